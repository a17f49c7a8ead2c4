"""Version knowledge (#16): the vendor version schemes, every entry's examples, the
checksum-verified update, and the rules' reading of what devices announce."""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from scanner import knowledge, versions
from scanner.cli.commands import main
from scanner.model import Host, Observation, Protocol, Role, Scan, Scope, Service, Source
from scanner.rules.engine import evaluate
from scanner.rules.evidence import text as evidence_text
from tests.conftest import REPO

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _fresh_knowledge(tmp_path, monkeypatch):
    monkeypatch.setenv("PRAXISSCAN_STATE_DIR", str(tmp_path / "state"))
    knowledge.current.cache_clear()
    yield
    knowledge.current.cache_clear()


def v(scheme: str, text: str) -> versions.Version:
    got = versions.parse(scheme, text)
    assert got is not None, text
    return got


# -- schemes ---------------------------------------------------------------------------------

def test_fritzos_reads_avms_two_digit_minor_and_its_short_form() -> None:
    assert versions.compare(v("fritzos", "7.57"), v("fritzos", "7.6")) == -1  # 7.6 is 07.60
    assert versions.compare(v("fritzos", "154.07.57"), v("fritzos", "7.57")) == 0
    assert versions.compare(v("fritzos", "FRITZ!OS 8.00"), v("fritzos", "07.62")) == 1
    assert versions.compare(v("fritzos", "07.39-94751"), v("fritzos", "7.39")) == 1  # Labor build
    assert versions.parse("fritzos", "unknown") is None


def test_dsm_orders_build_and_update() -> None:
    a = v("dsm", "DSM 7.2.1-69057 Update 5")
    assert versions.compare(a, v("dsm", "7.2.1-69057 Update 4")) == 1
    assert versions.compare(a, v("dsm", "7.2.2-72806")) == -1
    assert versions.compare(v("dsm", "6.2.4-25556 Update 7"), v("dsm", "7.0-41890")) == -1
    # Synology's advisories write the update as a third dash field
    assert versions.compare(a, v("dsm", "7.2.1-69057-5")) == 0
    assert versions.compare(a, v("dsm", "7.2.1-69057-12")) == -1


def test_qts_orders_version_then_build_date() -> None:
    assert versions.compare(v("qts", "5.1.0.2444 build 20230629"),
                            v("qts", "5.1.0.2444 build 20230512")) == 1
    assert versions.compare(v("qts", "QTS 4.5.4.1800 build 20210923"),
                            v("qts", "5.0.0.1716 build 20210701")) == -1


def test_windows_builds_with_and_without_the_update_revision() -> None:
    ntlm, full = v("windows", "10.0 build 19045"), v("windows", "10.0.19045.5011")
    assert versions.compare(full, v("windows", "10.0.19045.4000")) == 1
    assert versions.compare(ntlm, v("windows", "10.0.19045.5011")) is None  # revision unknown
    assert versions.compare(ntlm, v("windows", "10.0.19046")) == -1
    assert versions.parse("windows", "6.1 build 0") is None  # Samba's NTLMSSP, not Windows 7


def test_openssh_keeps_the_distribution_revision_apart() -> None:
    d = v("openssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
    assert d.numbers == (9, 2, 0, 1) and (d.distro, d.patch) == ("debian", "2+deb12u3")
    nmap = v("openssh", "OpenSSH_9.2p1 Debian 2+deb12u3")
    assert (nmap.distro, nmap.patch) == ("debian", "2+deb12u3")
    u = v("openssh", "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5")
    assert u.distro == "ubuntu"
    assert v("openssh", "SSH-2.0-OpenSSH_9.8p1").distro == ""
    assert versions.debian_revision_at_least("2+deb12u10", "2+deb12u3") is True
    assert versions.debian_revision_at_least("2+deb12u2", "2+deb12u3") is False
    assert versions.debian_revision_at_least("5+deb11u3", "2+deb12u3") is None


def test_samba_and_iis_as_dotted_numbers() -> None:
    assert versions.compare(v("dotted", "4.17.12"), v("dotted", "4.6.4")) == 1
    assert v("dotted", "Microsoft-IIS/8.5").numbers == (8, 5)
    assert v("dotted", "4.5.9-Debian").distro == "debian"


# -- the knowledge file ----------------------------------------------------------------------

def test_every_entry_passes_its_examples_and_has_both_sides() -> None:
    k = knowledge.current()
    assert k.origin == "packaged" and k.date >= date(2026, 12, 1)
    assert knowledge.check_examples(k) == []
    doc = tomllib.loads(knowledge.PACKAGED.read_text(encoding="utf-8"))
    for e in doc["entry"]:
        matches = {ex["match"] for ex in e["examples"]}
        assert True in matches and False in matches, f"{e['id']}: needs a match and a non-match"
        assert e["source"].strip(), e["id"]
        if e["kind"] in ("exploited", "exploit-public"):
            assert e["cve"].startswith("CVE-") and e["fixed"], e["id"]


def _publish(tmp_path: Path, text: str, checksum: str | None = None) -> Path:
    f = tmp_path / "versions.toml"
    f.write_text(text, encoding="utf-8")
    digest = checksum or hashlib.sha256(f.read_bytes()).hexdigest()
    (tmp_path / "versions.toml.sha256").write_text(f"{digest}  versions.toml\n")
    return f


def _newer(days: str = "2027-02-01") -> str:
    return knowledge.PACKAGED.read_text(encoding="utf-8").replace(
        "date = 2026-12-01", f"date = {days}", 1)


def test_update_installs_a_newer_verified_file_and_scans_use_it(tmp_path: Path) -> None:
    text = _newer().replace('title = "FRITZ!Box 7580: AVM', 'title = "FRITZ!Box 7580 (updated): AVM', 1)
    k = knowledge.install(_publish(tmp_path, text))
    assert k.origin == "installed" and k.date == date(2027, 2, 1)
    assert knowledge.current().path == knowledge.installed_path()
    box = Host(ip="192.168.178.1", mac="3c:a6:2f:00:00:01", role=Role.ROUTER,
               observations=(_obs("tr064-device", port="49000", model="FRITZ!Box 7580",
                                  manufacturer="AVM", firmware="153.07.29"),))
    (f,) = [f for f in evaluate(_scan(box), None, date(2027, 2, 2))[0] if f.rule == "end-of-life"]
    text = " ".join(evidence_text(e, "en") for e in f.evidence)
    assert "FRITZ!Box 7580 (updated)" in text and "version knowledge of 2027-02-01 (installed" in text


@pytest.mark.parametrize("case, message", [
    ("no-checksum", "checksum file missing"),
    ("bad-checksum", "SHA-256 does not match"),
    ("not-newer", "not newer"),
    ("bad-example", "example(s) fail"),
    ("bad-schema", "schema 9 is not supported"),
])
def test_update_refuses_what_it_cannot_trust(tmp_path: Path, case: str, message: str,
                                             capsys) -> None:
    text = {"not-newer": knowledge.PACKAGED.read_text(encoding="utf-8"),
            "bad-example": _newer().replace('{ value = "SSH-2.0-OpenSSH_9.8p1", match = false }',
                                            '{ value = "SSH-2.0-OpenSSH_9.8p1", match = true }'),
            "bad-schema": _newer().replace("schema = 1", "schema = 9", 1)}.get(case, _newer())
    f = _publish(tmp_path, text, "0" * 64 if case == "bad-checksum" else None)
    if case == "no-checksum":
        (tmp_path / "versions.toml.sha256").unlink()
    assert main(["knowledge", "update", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("praxisscan: error: ") and message in err and err.count("\n") == 1
    assert not knowledge.installed_path().exists()
    assert knowledge.current().origin == "packaged"


def test_a_damaged_installed_file_falls_back_to_the_packaged_one() -> None:
    knowledge.installed_path().parent.mkdir(parents=True)
    knowledge.installed_path().write_text("[knowledge\n")
    assert knowledge.current().origin == "packaged"


# -- the rules reading announcements ---------------------------------------------------------

def _scan(*hosts: Host) -> Scan:
    return Scan(started_at=T0, finished_at=T0, complete=True, hosts=hosts,
                scope=Scope(targets=(), networks=("192.168.178.0/24",)))


def _obs(kind: str, **data: str) -> Observation:
    return Observation(Source.PROBE, kind, tuple(data.items()), T0)


def test_samba_version_from_nmap_is_judged_and_a_range_is_not_tested() -> None:
    old = Host(ip="192.168.178.60", mac="00:11:32:00:00:60", role=Role.NAS,
               services=(Service(445, Protocol.TCP, "netbios-ssn", "Samba smbd", "4.5.9"),))
    vague = dataclasses.replace(old, ip="192.168.178.61", mac="00:11:32:00:00:61",
                                services=(Service(445, Protocol.TCP, "netbios-ssn", "Samba smbd",
                                                  "3.X - 4.X"),))
    # nmap's "4.6.2" is the answer of every Samba that refuses SMB1: a lower bound only
    bound = dataclasses.replace(old, ip="192.168.178.62", mac="00:11:32:00:00:62",
                                services=(Service(139, Protocol.TCP, "netbios-ssn", "Samba smbd",
                                                  "4.6.2"),))
    findings, gaps = evaluate(_scan(old, vague, bound), None, date(2026, 12, 1))
    (f,) = [f for f in findings if f.rule == "known-exploited-version"]
    assert f.host == old.key and f.port == 445 and "CVE-2017-7494" in " ".join(evidence_text(e, "en") for e in f.evidence)
    for h in (vague, bound):
        assert any(g.check == "known-exploited-version" and g.host == h.key for g in gaps)


def test_recognised_products_without_a_version_are_not_tested() -> None:
    fritz = Host(ip="192.168.178.1", mac="3c:a6:2f:00:00:01", role=Role.ROUTER, vendor="AVM")
    nas = Host(ip="192.168.178.60", mac="00:11:32:00:00:60", role=Role.NAS, vendor="Synology",
               observations=(_obs("banner", port="22", protocol="ssh",
                                  text="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"),))
    kon = Host(ip="192.168.178.2", mac="00:25:f4:00:00:02", role=Role.KONNEKTOR,
               observations=(_obs("connector-sds", port="443", product_name="KoCoBox MED+",
                                  fw_version="5.1.8"),))
    pvs = Host(ip="192.168.178.10", mac="00:19:99:00:00:10", role=Role.PVS_SERVER, os="Samba",
               observations=(_obs("smb", port="445", os_version="6.1 build 0"),))
    findings, gaps = evaluate(_scan(fritz, nas, kon, pvs), None, date(2026, 12, 1))
    assert not [f for f in findings if f.rule in ("end-of-life", "known-exploited-version")]
    why = {g.host: g.reason for g in gaps if g.check == "end-of-life" and g.host}
    assert "FRITZ!OS version not read" in why[fritz.key]
    assert "DSM version" in why[nas.key]
    assert "firmware 5.1.8" in why[kon.key]
    assert "build 0, which is Samba's" in why[pvs.key]
    # the knowledge date is the scan's own field now, not a line among the gaps
    assert not [g for g in gaps if g.check == "end-of-life" and g.host is None]


def test_windows_10_is_reported_once_by_outdated_os_not_twice() -> None:
    win10 = Host(ip="192.168.178.24", mac="3c:52:82:00:00:24", role=Role.WORKSTATION,
                 os="Windows 10", observations=(_obs("smb", port="445", os_version="10.0 build 19045"),))
    findings, _ = evaluate(_scan(win10), None, date(2026, 12, 1))
    assert [f.rule for f in findings if f.host == win10.key] == ["outdated-os"]


def test_windows_is_judged_by_its_build_with_the_entry_and_source_as_evidence() -> None:
    """outdated-os reads the knowledge file: the build decides before the name, and the
    finding names the entry, Microsoft's date and the update path."""
    ltsc = Host(ip="192.168.178.25", mac="3c:52:82:00:00:25", role=Role.WORKSTATION,
                os="Windows 10", observations=(_obs("smb", port="445", os_version="10.0 build 19044"),))
    w23h2 = Host(ip="192.168.178.26", mac="3c:52:82:00:00:26", role=Role.WORKSTATION,
                 observations=(_obs("smb", port="445", os_version="10.0 build 22631"),))
    findings, _ = evaluate(_scan(ltsc, w23h2), None, date(2026, 12, 1))
    assert [(f.host, f.port) for f in findings if f.rule == "outdated-os"] == [(w23h2.key, 445)]
    (f,) = [f for f in findings if f.rule == "outdated-os"]
    text = " ".join(evidence_text(e, "en") for e in f.evidence)
    assert "windows-11-23h2" in text and "learn.microsoft.com/en-us/lifecycle" in text
    assert "version knowledge of 2026-12-01" in text
    later, _ = evaluate(_scan(ltsc, w23h2), None, date(2027, 1, 13))  # LTSC 2021's end passed
    assert {f.host for f in later if f.rule == "outdated-os"} == {ltsc.key, w23h2.key}


def test_a_windows_name_without_a_build_or_entry_is_not_tested() -> None:
    w11 = Host(ip="192.168.178.27", mac="3c:52:82:00:00:27", role=Role.WORKSTATION, os="Windows 11")
    findings, gaps = evaluate(_scan(w11), None, date(2026, 12, 1))
    assert not [f for f in findings if f.rule == "outdated-os"]
    (g,) = [g for g in gaps if g.check == "outdated-os" and g.host == w11.key]
    assert "Windows 11: build not read" in g.reason


def test_known_exploited_needs_a_kev_listing_or_a_vendor_advisory(tmp_path: Path) -> None:
    """regreSSHion has a public exploit but no CISA KEV listing: filed as exploit-public.
    A file that files such an entry as 'exploited' is refused."""
    k = knowledge.current()
    (r,) = [e for e in k.entries if e.id == "openssh-regresshion"]
    assert r.kind == "exploit-public" and "not in CISA KEV" in r.exploitation
    assert all("Known Exploited Vulnerabilities" in e.exploitation
               or "vendor advisory" in e.exploitation for e in k.entries if e.kind == "exploited")
    bad = tmp_path / "versions.toml"
    bad.write_text(knowledge.PACKAGED.read_text(encoding="utf-8").replace(
        'kind = "exploit-public"', 'kind = "exploited"', 1), encoding="utf-8")
    with pytest.raises(knowledge.KnowledgeError, match="must name the CISA KEV listing"):
        knowledge.load(bad)


def test_regresshion_is_a_public_exploit_finding_not_a_known_exploited_one() -> None:
    box = Host(ip="192.168.178.12", mac="00:19:99:00:00:12", role=Role.SERVER,
               observations=(_obs("banner", port="22", protocol="ssh", text="SSH-2.0-OpenSSH_9.7p1"),))
    findings, _ = evaluate(_scan(box), None, date(2026, 12, 1))
    assert [f.rule for f in findings] == ["public-exploit-version"]
    text = " ".join(evidence_text(e, "en") for e in findings[0].evidence)
    assert "CVE-2024-6387" in text and "public exploit, not in CISA KEV" in text


def test_the_scan_records_the_knowledge_date_and_the_reports_show_its_age() -> None:
    import json

    import jsonschema

    from scanner.jsonio import dumps, loads
    from scanner.rules.engine import apply_rules
    from scanner.render.html import render_html
    from scanner.render.terminal import render_terminal

    scan = apply_rules(dataclasses.replace(
        _scan(Host(ip="192.168.178.5", mac="3c:52:82:00:00:05")),
        started_at=datetime(2027, 1, 31, 9, tzinfo=timezone.utc)), None)
    doc = json.loads(dumps(scan))
    assert doc["knowledge"]["date"] == "2026-12-01" and doc["knowledge"]["origin"] == "packaged"
    assert doc["knowledge"]["sha256"] == knowledge.current().sha256
    jsonschema.validate(doc, json.loads((REPO / "scanner" / "schema" / "scan.schema.json").read_text()))
    again = loads(dumps(scan))
    assert again == scan
    assert knowledge.stated_in(again) == (date(2026, 12, 1), "packaged")
    assert knowledge.age_days(again) == 61
    assert "Versionswissen vom 01.12.2026 (61 Tage alt)" in render_terminal(again, "de")
    assert "Version knowledge of 2026-12-01 (61 days old)" in render_terminal(again, "en")
    html = render_html(again, "de")
    assert 'id="knowledge-date">Versionswissen vom 01.12.2026 (61 Tage alt)<' in html
    assert "Version knowledge of 2026-12-01 (61 days old)" in render_html(again, "en")


def test_scans_judged_before_version_knowledge_still_load_and_say_nothing_of_it() -> None:
    import json

    from scanner.jsonio import dumps, loads
    from scanner.render.terminal import render_terminal

    doc = json.loads(dumps(_scan()))
    del doc["knowledge"]  # a scan file written before the field existed
    old = loads(json.dumps(doc))
    assert old.knowledge is None and knowledge.stated_in(old) is None
    assert "Versionswissen" not in render_terminal(old, "de")


def test_the_lab_diskstation_announces_dsm_as_real_diskstations_do() -> None:
    """The lab's description file and NOTIFY, read by the scanner's own parsers: the
    modelNumber is what DSM really serves (see scanner/lab/files/synology-desc-DSM.xml)."""
    from scanner.lab.emulators.chatter import ssdp_notify
    from scanner.protocols import ssdp, upnp

    text = (REPO / "scanner" / "lab" / "files" / "synology-desc-DSM.xml").read_text()
    for key, value in (("ip", "192.168.178.60"), ("port", "5000"), ("mac", "0011320a6060"),
                       ("model", "DS918+"), ("dsm", "6.2-25556"), ("name", "DiskStation")):
        text = text.replace("{" + key + "}", value)
    desc = upnp.parse(text.encode())
    assert desc is not None and (desc.manufacturer, desc.model_number) == ("Synology", "DS918+ 6.2-25556")
    url = "http://192.168.178.60:5000/ssdp/desc-DSM-eth0.xml"
    note = ssdp.parse(ssdp_notify(url, "73796E6F-6473-6D00-0000-0011320a6060"))
    assert note is not None and note.kind == "notify" and note.get("location") == url
    assert versions.parse("dsm", desc.model_number) == versions.parse("dsm", "DSM 6.2-25556")


@pytest.mark.parametrize("version, entry, last_day", [("8.5", "iis-8", date(2023, 10, 10)),
                                                      ("7.5", "iis-7", date(2020, 1, 14))])
def test_the_lab_iis_stand_in_announces_its_version_over_http(version: str, entry: str,
                                                              last_day: date) -> None:
    """The lab's IIS stand-in (PVS server: 8.5, ECG PC: 7.5) over loopback, read by the real
    HTTP probe: its Server header is judged against the knowledge's IIS entry, silent on
    Microsoft's last day and a finding the day after."""
    import socket
    import subprocess
    import sys
    import time

    from scanner.probes import web

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "scanner.lab.emulators.iis", "--bind",
                             "127.0.0.1", "--port", str(port), "--version", version], cwd=REPO)
    try:
        for _ in range(100):
            got = web.fetch("127.0.0.1", port, "/")
            if got is not None:
                break
            time.sleep(0.05)
        assert got is not None and got[0] == 200 and len(got[2]) == {"8.5": 701, "7.5": 689}[version]
        seen = web.http("127.0.0.1", port, False).observations  # with nmap's reading
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    (obs,) = [o for o in seen if o.kind == "http"]
    assert dict(obs.data)["server"] == f"Microsoft-IIS/{version}"
    host = Host(ip="192.168.178.10", mac="00:19:99:00:00:10", role=Role.PVS_SERVER,
                services=(Service(port, Protocol.TCP, "http"),), observations=seen)

    def eol(today: date) -> list[str]:
        findings, _ = evaluate(_scan(host), None, today)
        return [" ".join(evidence_text(e, "en") for e in f.evidence)
                for f in findings if f.rule == "end-of-life"]

    assert eol(last_day) == []
    (text,) = eol(last_day.replace(day=last_day.day + 1))
    assert f"matches {entry}" in text and f"Microsoft-IIS/{version}" in text
