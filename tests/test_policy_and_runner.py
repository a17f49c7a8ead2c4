"""The scan policy data and the probe runner's guarantees (pacing, deadline, failures)."""

from __future__ import annotations

import time

import pytest

from scanner.policy import load_policy
from scanner.ports import Profile
from scanner.probes.base import ProbeResult
from scanner.probes.registry import Job, jobs_for, probe_host


def test_policy_roles_and_prescan_guesses() -> None:
    p = load_policy()
    assert p.for_role("default").host_pps == 40
    med = p.for_role("medical-device")
    assert med.host_pps <= 20 and med.profile(Profile.DEEP) is Profile.QUICK
    # identify grade (one question each, one GET /) and listen-only greetings; nothing else
    assert med.probes == {"dicom", "sicct", "netbios", "smb", "http", "greeting"}
    assert "greeting" in p.for_role("card-terminal").probes
    assert p.prescan_role("SCHILLER AG") == "medical-device"
    assert p.prescan_role("Cherry GmbH") == "card-terminal"
    assert p.prescan_role("Dell Inc.", {104}) == "medical-device"
    assert p.prescan_role("Dell Inc.", {22, 445}) == "default"
    assert p.prescan_role(None) == "default"


def test_jobs_follow_the_ports_and_the_allowed_probes() -> None:
    everything = load_policy().for_role("default").probes
    jobs = {(j.probe, j.port) for j in jobs_for("10.0.0.1", [21, 22, 443, 445, 104, 8123],
                                                 everything, "10.0.0.9")}
    assert {("ftp", 21), ("ssh", 22), ("http", 443), ("tls", 443), ("connector-sds", 443),
            ("smb", 445), ("dicom", 104), ("banner", 8123), ("snmp", None)} <= jobs
    medical = load_policy().for_role("medical-device").probes
    jobs = {(j.probe, j.port) for j in jobs_for("10.0.0.1", [21, 22, 23, 25, 80, 104, 110, 445,
                                                          5900], medical, "10.0.0.9")}
    # server-first ports are only listened to; no USER, EHLO, CAPA, no connector.sds
    assert jobs == {("greeting", 21), ("greeting", 22), ("greeting", 23), ("greeting", 25),
                    ("http", 80), ("dicom", 104), ("greeting", 110), ("smb", 445),
                    ("greeting", 5900), ("sicct", None), ("netbios", None)}
    # where the protocol probe is allowed it runs instead; VNC has none: always the greeting
    default = {(j.probe, j.port) for j in jobs_for("10.0.0.1", [21, 5900], everything, "10.0.0.9")}
    assert {("ftp", 21), ("greeting", 5900)} <= default and ("greeting", 21) not in default


def _job(name: str, fn, packets: int = 10) -> Job:
    return Job(name, 1, fn, packets)


def test_runner_paces_a_host_to_its_rate() -> None:
    starts: list[float] = []

    def probe() -> ProbeResult:
        starts.append(time.monotonic())
        return ProbeResult()

    probe_host([_job("a", probe, 10) for _ in range(4)], 20.0, "ip:10.0.0.1", preceding_share=0)
    # 20 packets/s and 10 packets per job: at most two jobs in any one-second window.
    for i in range(2, len(starts)):
        assert starts[i] - starts[i - 2] >= 0.95


def test_failures_and_the_deadline_become_not_tested() -> None:
    def boom() -> ProbeResult:
        raise ValueError("hostile reply")

    def refused() -> ProbeResult:
        raise ConnectionRefusedError()

    run = probe_host([_job("x", boom), _job("y", refused), _job("z", lambda: ProbeResult())],
                     1000.0, "ip:10.0.0.1", preceding_share=0)
    assert [n.reason for n in run.not_tested] == ["probe error: ValueError: hostile reply",
                                                  "probe failed: ConnectionRefusedError"]
    assert run.results == [ProbeResult()]  # the job after the failures still ran
    late = probe_host([_job("w", lambda: ProbeResult())], 1000.0, "ip:10.0.0.3",
                      deadline=time.monotonic() - 1)
    assert [n.check for n in late.not_tested] == ["probe:w/tcp/1"]
    assert "time budget" in late.not_tested[0].reason


@pytest.mark.parametrize("profile", list(Profile))
def test_plan_lists_the_policy(profile: Profile) -> None:
    from scanner.plan import make_plan

    text = "\n".join(make_plan(["192.168.50.0/29"], profile=profile).describe())
    assert "medical-device: at most 20 packets/s per host" in text
    assert "Never probed: TCP 9100-9107" in text
