"""Version knowledge (#16) against the running lab practice.

The lab's real daemons announce versions that must NOT be reported: Debian 12's OpenSSH
9.2p1 with the regreSSHion backport, Samba's NTLMSSP answer (not a Windows 7), a FRITZ!Box
7590 on FRITZ!OS 07.57 (still maintained), certificates made for a year. The trigger side
uses the same real evidence judged on a later day: the Konnektor's certificate then ends
within 90 days. (A FRITZ!Box on AVM's end-of-maintenance list would need the lab's model and
tests/lab/test_lab_scan.py's ground truth changed together; see the issue's report.)
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
from tests.conftest import praxisscan

pytestmark = pytest.mark.lab
PRACTICE = load_practice()
VERSION_RULES = {"end-of-life", "known-exploited-version", "certificate-expires-soon"}


@pytest.fixture(scope="module")
def scan(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("versions") / "scan.json"
    r = praxisscan("scan", str(PRACTICE.subnet), "-i", "eth0", "--format", "json", "-o",
                   str(out), "-q", "--fail-on", "none", "--no-history", ns=SCANNER_NS)
    assert r.returncode == 0, r.stderr
    return loads(out.read_text())


def _host(scan, name: str):  # noqa: ANN001, ANN202
    return next(h for h in scan.hosts if h.ip == PRACTICE.host(name).ip)


def _obs(scan, name: str, kind: str) -> list[dict[str, str]]:  # noqa: ANN001
    return [dict(o.data) for o in _host(scan, name).observations if o.kind == kind]


def test_the_labs_versions_were_read_and_none_is_reported(scan) -> None:
    ssh = [o["text"] for o in _obs(scan, "nas", "banner") if o.get("protocol") == "ssh"]
    assert ssh and "OpenSSH_9.2p1 Debian-2+deb12u" in ssh[0]  # the backport decision ran
    assert _obs(scan, "fritzbox", "tr064-device")[0]["firmware"] == "154.07.57"
    assert [o["os_version"] for o in _obs(scan, "pvs-server", "smb")] == ["6.1 build 0"]
    assert [f for f in scan.findings if f.rule in VERSION_RULES] == []


def test_what_cannot_be_judged_is_listed_as_not_tested(scan) -> None:
    why = {n.host: n.reason for n in scan.not_tested if n.check == "end-of-life" and n.host}
    assert "firmware 5.1.8" in why[_host(scan, "konnektor").key]  # no Konnektor facts yet
    assert "DSM version" in why[_host(scan, "nas").key]
    dated = [n.reason for n in scan.not_tested if n.check == "end-of-life" and n.host is None]
    assert dated and dated[0].startswith("version knowledge of 2026-12-01 (packaged")


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
