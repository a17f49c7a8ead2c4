"""The probe table is the one place that says which probe runs where: the runner, the
outside-in check, --plan and the policy all follow it."""

from __future__ import annotations

from scanner.plan import make_plan
from scanner.policy import KNOWN_PROBES
from scanner.probes.base import RateWindow
from scanner.probes.registry import jobs_for
from scanner.probes.table import NAMES, PROBES, Trigger, outside_in


def test_the_policy_knows_exactly_the_tables_probe_names() -> None:
    assert KNOWN_PROBES == NAMES == {p.name for p in PROBES}


def test_the_tr064_login_is_a_job_only_with_credentials_and_after_the_others() -> None:
    everything = NAMES
    window = RateWindow(40)
    plain = [(j.probe, j.port) for j in jobs_for("10.0.0.1", [80, 49000], everything, "10.0.0.9")]
    assert plain.count(("tr064", 49000)) == 1  # the description only
    login = jobs_for("10.0.0.1", [80, 49000], everything, "10.0.0.9", ("admin", "pw"), window)
    assert [(j.probe, j.port) for j in login][-1] == ("tr064", 49000)
    assert [(j.probe, j.port) for j in login].count(("tr064", 49000)) == 2
    assert login[-1].packets == 0  # it paces each SOAP exchange through the host's window
    # a role whose policy forbids tr064 gets neither, login or not
    no_tr064 = jobs_for("10.0.0.1", [49000], everything - {"tr064"}, "10.0.0.9",
                        ("admin", "pw"), window)
    assert all(j.probe != "tr064" for j in no_tr064)


def test_outside_in_picks_the_ports_own_probe_else_by_tls() -> None:
    def never() -> bool:
        raise AssertionError("RDP and SSH ports need no TLS test")

    assert [p.name for p in outside_in(3389, never)] == ["rdp"]
    assert [p.name for p in outside_in(22, never)] == ["ssh"]
    assert [p.name for p in outside_in(8443, lambda: True)] == ["tls", "http"]
    assert [p.name for p in outside_in(8080, lambda: False)] == ["http"]


def test_plan_lists_every_probe_of_the_table_by_grade() -> None:
    text = "\n".join(make_plan(["192.168.50.0/29"]).describe())
    for p in PROBES:
        assert f"{p.name} ({p.sends})" in text
    assert "  listen-only: greeting (" in text


def test_every_probe_but_the_announced_stage_has_a_function() -> None:
    assert {p.name for p in PROBES if p.run is None} == {
        p.name for p in PROBES if p.trigger is Trigger.ANNOUNCED} == {"upnp"}


def test_the_fritzbox_password_is_in_no_jobs_repr() -> None:
    jobs = jobs_for("10.0.0.1", [49000], NAMES, "10.0.0.9", ("admin", "geheim-123"),
                    RateWindow(40))
    assert jobs and not any("geheim-123" in repr(j) for j in jobs)
