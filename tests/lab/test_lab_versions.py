"""Version knowledge (#16) against the running lab practice.

Trigger side: the lab's FRITZ!Box is a 7580 (AVM end of maintenance 02.01.2021) and its NAS
announces DSM 6.2 in its UPnP description (Extended Life Phase ended 30.09.2024): both are
end-of-life, critical because the router's remote access is on and the NAS's DSM port is
mapped by UPnP. The PVS server is a Windows Server 2012 R2 by its IIS 8.5 Server header
(Microsoft's last update 10.10.2023): outdated-os, judged against the knowledge file's
Windows entry, critical because its RDP is forwarded from the Internet. The same real
evidence judged on the vendors' last days is silent, the day after it fires: the boundary
on what the devices really said.

Silent side, from real daemons: Debian 12's OpenSSH 9.2p1 with the regreSSHion backport,
Samba's NTLMSSP answer on the PVS server (build 0: not taken for a Windows build), the PVS
server's IIS (reported once, with its Windows, by outdated-os), the Konnektor's firmware (no
sourced end dates: not tested), certificates made for a year.
"""

from __future__ import annotations

import ssl
from datetime import date, datetime, timedelta, timezone

import pytest

from scanner.jsonio import loads
from scanner.lab.lab import LAB_SITE_FILE, SCANNER_NS
from scanner.lab.topology import load_practice
from scanner.rules.engine import evaluate
from scanner.site import load_site
from scanner.rules.evidence import text as evidence_text
from tests.conftest import praxisscan

pytestmark = pytest.mark.lab
PRACTICE = load_practice()
VERSION_RULES = {"end-of-life", "known-exploited-version", "public-exploit-version",
                 "certificate-expires-soon"}


@pytest.fixture(scope="module")
def scan(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("versions") / "scan.json"
    # with the FRITZ!Box user: its settings say remote access is on (critical exposure)
    r = praxisscan("scan", str(PRACTICE.subnet), "-i", "eth0", "--format", "json", "-o",
                   str(out), "-q", "--fail-on", "none", "--no-history",
                   "--fritzbox-user", PRACTICE.router.tr064["user"], ns=SCANNER_NS,
                   env={"PRAXISSCAN_FRITZBOX_PASSWORD": PRACTICE.router.tr064["password"]})
    assert r.returncode == 0, r.stderr
    return loads(out.read_text())


def _host(scan, name: str):  # noqa: ANN001, ANN202
    return next(h for h in scan.hosts if h.ip == PRACTICE.host(name).ip)


def _obs(scan, name: str, kind: str) -> list[dict[str, str]]:  # noqa: ANN001
    return [dict(o.data) for o in _host(scan, name).observations if o.kind == kind]


def _eol(scan, today: date, rule: str = "end-of-life") -> dict[str, str]:  # noqa: ANN001
    """Host name -> severity of its end-of-life finding, judged on ``today``."""
    findings, _ = evaluate(scan, load_site(LAB_SITE_FILE), today)
    name = {_host(scan, t.name).key: t.name for t in PRACTICE.hosts}
    return {name[f.host]: f.severity.value for f in findings if f.rule == rule}


def test_the_labs_versions_were_read(scan) -> None:
    assert _obs(scan, "fritzbox", "tr064-device")[0]["firmware"] == "153.07.29"
    (dsm,) = [o for o in _obs(scan, "nas", "upnp-device") if o.get("manufacturer") == "Synology"]
    assert dsm["model_number"] == "DS918+ 6.2-25556"
    assert dsm["location"].endswith(":5000/ssdp/desc-DSM-eth0.xml")
    ssh = [o["text"] for o in _obs(scan, "nas", "banner") if o.get("protocol") == "ssh"]
    assert ssh and "OpenSSH_9.2p1 Debian-2+deb12u" in ssh[0]  # the backport decision ran
    assert [o["os_version"] for o in _obs(scan, "pvs-server", "smb")] == ["6.1 build 0"]
    (iis,) = _obs(scan, "pvs-server", "http")
    assert (iis["port"], iis["server"], iis["title"]) == ("80", "Microsoft-IIS/8.5",
                                                          "IIS Windows Server")
    assert _host(scan, "pvs-server").os == "Windows 8.1 / Server 2012 R2"


def test_the_pvs_servers_windows_is_end_of_life_by_the_knowledge_file(scan) -> None:
    pvs = _host(scan, "pvs-server")
    (f,) = [f for f in scan.findings if f.rule == "outdated-os" and f.host == pvs.key]
    assert (f.port, f.severity.value) == (None, "critical")
    text = " ".join(evidence_text(e, "en") for e in f.evidence)
    assert "Windows 8.1 / Server 2012 R2" in text and "Microsoft-IIS/8.5" in text
    assert "matches windows-8-2012" in text and "learn.microsoft.com/en-us/lifecycle" in text
    assert "version knowledge of 2026-12-01" in text and "3389" in text  # why critical
    # IIS 8.5 ends with its Windows: one finding, not a second end-of-life for the IIS
    assert not [f for f in scan.findings if f.host == pvs.key and f.rule in VERSION_RULES]


def test_the_pvs_server_is_silent_on_microsofts_last_day(scan) -> None:
    assert "pvs-server" not in _eol(scan, date(2023, 10, 10), "outdated-os")
    assert _eol(scan, date(2023, 10, 11), "outdated-os")["pvs-server"] == "critical"
    # the ECG PC (IIS 7.5: Windows 7) ended earlier; it is not in a medical zone: high
    assert _eol(scan, date(2023, 10, 10), "outdated-os")["ekg-pc"] == "high"


def test_the_router_and_the_nas_are_end_of_life_and_nothing_else_is(scan) -> None:
    eol = {(f.host, f.port, f.severity.value) for f in scan.findings if f.rule == "end-of-life"}
    assert eol == {(_host(scan, "fritzbox").key, 49000, "critical"),
                   (_host(scan, "nas").key, None, "critical")}
    assert [f for f in scan.findings if f.rule in VERSION_RULES - {"end-of-life"}] == []
    box = next(f for f in scan.findings if f.rule == "end-of-life" and f.port == 49000)
    text = " ".join(evidence_text(e, "en") for e in box.evidence)
    assert "announced '153.07.29'" in text and "matches fritzbox-7580-eom" in text
    assert "source: AVM end-of-maintenance list" in text and "MyFRITZ is enabled" in text
    nas = next(f for f in scan.findings if f.rule == "end-of-life" and f.port is None)
    text = " ".join(evidence_text(e, "en") for e in nas.evidence)
    assert "'DS918+ 6.2-25556'" in text and "matches dsm-6.2" in text
    assert "Software_Life_Cycle_Policy" in text and "UPnP mapping 5001" in text


def test_on_the_vendors_last_day_the_same_evidence_is_silent(scan) -> None:
    assert _eol(scan, date(2021, 1, 2)) == {}  # AVM still maintained the 7580; DSM 6.2 too
    assert _eol(scan, date(2021, 1, 3)) == {"fritzbox": "critical"}
    assert _eol(scan, date(2024, 9, 30)) == {"fritzbox": "critical"}
    assert _eol(scan, date(2024, 10, 1)) == {"fritzbox": "critical", "nas": "critical"}


def test_what_cannot_be_judged_is_listed_as_not_tested(scan) -> None:
    why = {(n.check, n.host): n.reason for n in scan.not_tested if n.host}
    konnektor = why[("end-of-life", _host(scan, "konnektor").key)]
    assert "firmware 5.1.8" in konnektor and "no Konnektor entries" in konnektor
    # Samba's NTLMSSP answer on the PVS server (build 0) is not a Windows build to judge
    pvs = _host(scan, "pvs-server")
    assert not [n for n in scan.not_tested if n.host == pvs.key and "6.1 build 0" in n.reason]
    assert ("end-of-life", _host(scan, "nas").key) not in why  # its DSM version was read


def test_the_scan_states_its_knowledge_date(scan) -> None:
    assert scan.knowledge is not None and scan.knowledge.date == date(2026, 12, 1)
    assert scan.knowledge.origin == "packaged" and len(scan.knowledge.sha256) == 64


def test_the_konnektors_certificate_is_reported_within_90_days_of_its_end(scan) -> None:
    (tls,) = [o for o in _obs(scan, "konnektor", "tls") if o["port"] == "443"]
    end = datetime.fromtimestamp(ssl.cert_time_to_seconds(tls["not_after"]), timezone.utc).date()
    assert end - date.today() > timedelta(days=90)  # the lab makes certificates for a year
    site = load_site(LAB_SITE_FILE)
    konnektor = _host(scan, "konnektor").key

    def soon(today: date) -> set[tuple[int | None, str]]:
        findings, _ = evaluate(scan, site, today)
        return {(f.port, f.severity.value) for f in findings
                if f.rule == "certificate-expires-soon" and f.host == konnektor}

    assert soon(end - timedelta(days=91)) == set()
    assert (443, "high") in soon(end - timedelta(days=90))
    assert (443, "high") in soon(end - timedelta(days=1))
