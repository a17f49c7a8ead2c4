"""nmap's service database wired into the probes and the classification.

Real parts: the installed nmap-service-probes, the lab daemons' sessions and nmap's own
verdicts on them (captures/lab), greetings spelt as nmap's own lines spell them, and, for
the missing-database test, a real scan in namespaces of the test's own with the file hidden
in a private mount namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner import nmapdb
from scanner.classification.classify import NMAP_CONFIDENCE, classify, nmap_reasons
from scanner.model import Host, Observation, Protocol, Role, Service, Source
from scanner.probes.base import ProbeResult
from scanner.probes.nmap_match import as_observation, fill_service, names_device, with_nmap
from tests.conftest import REPO, captures_dir, unavailable
from tests.test_nmapdb import tcp_streams

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module", autouse=True)
def db() -> nmapdb.ServiceDatabase:
    got = nmapdb.default()
    if isinstance(got, nmapdb.Unavailable):
        unavailable(f"nmap's service database: {got.reason}")
    return got


def _lab(port: int, probe: str) -> bytes:
    for p, first, request, server in tcp_streams(captures_dir() / "lab" / "lab_services.pcap"):
        if p != port:
            continue
        if probe == "NULL" and first:
            return first[:first.index(b"\n") + 1] if first.startswith(b"SSH-") else first
        if probe == "GetRequest" and request.startswith(b"GET / "):
            return server
    raise AssertionError(f"no {probe} response for port {port} in the lab capture")


def _nmap_said(port: int) -> dict[str, str]:
    root = ET.parse(captures_dir() / "lab" / "lab_nmap_tcp.xml").getroot()
    for p in root.iter("port"):
        if int(p.get("portid")) == port:
            return dict(p.find("service").attrib)
    raise AssertionError(port)


def _obs(result: ProbeResult) -> dict[str, str]:
    (o,) = [o for o in result.observations if o.kind == "nmap-service"]
    return dict(o.data)


@pytest.mark.parametrize("port, probe", [(21, "NULL"), (22, "NULL"), (80, "GetRequest")])
def test_lab_responses_give_the_observation_and_service_nmap_gave_them(port, probe) -> None:
    got = with_nmap(ProbeResult(), probe, _lab(port, probe), port)
    nmap = _nmap_said(port)
    seen = _obs(got)
    assert (seen["service"], seen["product"], seen["version"]) == (
        nmap["name"], nmap["product"], nmap["version"])
    assert seen["soft"] == "no" and int(seen["line"]) > 0 and seen["probe"] == "NULL" \
        if probe == "NULL" else seen["probe"] == "GetRequest"
    assert got.service == Service(port, Protocol.TCP, nmap["name"], nmap["product"],
                                  nmap["version"], nmap.get("extrainfo", ""))


def test_our_identification_stays_and_nmap_fills_only_the_gaps() -> None:
    ours = Service(22, Protocol.TCP, "ssh", "OpenSSH", "9.2p1 Debian-2+deb12u10")
    got = with_nmap(ProbeResult((), ours), "NULL", _lab(22, "NULL"), 22)
    assert got.service == Service(22, Protocol.TCP, "ssh", "OpenSSH", "9.2p1 Debian-2+deb12u10",
                                  "protocol 2.0")
    # Another product than nmap's: its version would be a wrong answer, so none is taken.
    m = nmapdb.match_response("NULL", _lab(22, "NULL"))
    other = fill_service(Service(22, Protocol.TCP, "ssh", "Dropbear"), m, 22)
    assert (other.product, other.version, other.extra_info) == ("Dropbear", "", "")


def test_a_softmatch_names_the_service_only_and_never_a_role() -> None:
    raw = _lab(23, "NULL")  # the lab switch's telnetd: IAC negotiation, nmap softmatches it
    assert raw.startswith(b"\xff")
    got = with_nmap(ProbeResult(), "NULL", raw, 23)
    assert _obs(got)["soft"] == "yes"
    assert got.service == Service(23, Protocol.TCP, "telnet")
    assert nmap_reasons(got.observations) == []


def test_nothing_matched_leaves_the_result_as_it_was() -> None:
    mine = ProbeResult((), Service(2121, Protocol.TCP, "x"))
    assert with_nmap(mine, "NULL", b"hello, I am nobody in particular\r\n", 2121) is mine
    assert with_nmap(mine, "NULL", b"", 2121) is mine


def test_observations_hold_cleaned_text_never_raw_bytes() -> None:
    hostile = b"SSH-2.0-OpenSSH_9.2p1\x1b[31m\x00\x07 Debian-2\r\n"
    got = with_nmap(ProbeResult(), "NULL", hostile, 22)
    for o in got.observations:
        for _, v in o.data:
            assert v.isprintable(), repr(v)


def _host(*observations: Observation) -> Host:
    return Host(ip="10.0.0.9", observations=observations)


def _nmap_obs(probe: str, raw: bytes, port: int) -> Observation:
    m = nmapdb.match_response(probe, raw)
    assert m is not None
    return as_observation(m, port, names_device(m))


def test_nmap_gives_the_role_maker_and_model_with_its_line_as_the_reason() -> None:
    # HP JetDirect's FTP greeting as nmap's own line spells it (nmap-service-probes: "^220 JD
    # FTP Server Ready", p/HP JetDirect ftpd/ d/print server/).
    h = classify(_host(_nmap_obs("NULL", b"220 JD FTP Server Ready\r\n", 21)))
    assert (h.role, h.vendor, h.product) == (Role.PRINTER, "HP", "JetDirect")
    (reason,) = h.classification.reasons
    assert reason.rule.startswith("nmap-service-probes:") and reason.field == "nmap_service"
    assert reason.confidence == NMAP_CONFIDENCE


def test_our_rules_that_read_the_device_outrank_nmap() -> None:
    ssh = Observation(Source.PROBE, "banner", (("port", "22"), ("protocol", "ssh"),
                                               ("text", _lab(22, "NULL").decode().strip())), T0)
    h = classify(_host(ssh, _nmap_obs("NULL", _lab(22, "NULL"), 22)))
    assert h.os == "Debian 12"  # our ssh rule; nmap's o/Linux/ stays a lost alternative
    assert any(r.rule.startswith("nmap-service-probes:") and r.get("os") == "Linux"
               for r in h.classification.alternatives)
    # A role from our rule (the FRITZ!Box title) beats nmap's printer.
    title = Observation(Source.PROBE, "http", (("port", "80"), ("title", "FRITZ!Box")), T0)
    h = classify(_host(title, _nmap_obs("NULL", b"220 JD FTP Server Ready\r\n", 21)))
    assert h.role is Role.ROUTER


def test_nmaps_maker_is_spelt_as_our_vocabulary_or_not_given() -> None:
    # nmap's D-Link camera line: cpe:/h:dlink:$1 -> D-Link, not "dlink"
    cam = classify(_host(_nmap_obs("NULL", b"220 Welcome to DCS-6620G FTP Server\r\n", 21)))
    assert (cam.role, cam.vendor) == (Role.CAMERA, "D-Link")
    # nmap's Speedport line: cpe:/h:speedport:w921v, d/WAP/. Speedport is Telekom's product
    # line, no maker, and a DSL router: our model family (0.5) outranks nmap's WAP.
    raw = b"220 Speedport W 921V FTP Server v1.37.000 ready\r\n"
    alone = classify(_host(_nmap_obs("NULL", raw, 21)))
    assert alone.vendor is None
    greeting = Observation(Source.PROBE, "banner", (("port", "21"), ("protocol", "ftp"),
                                                    ("text", raw.decode().strip())), T0)
    both = classify(_host(greeting, _nmap_obs("NULL", raw, 21)))
    assert (both.role, both.vendor) == (Role.ROUTER, "Deutsche Telekom")


@pytest.mark.parametrize("greeting, line_product", [
    # Cisco IOS's telnet login as nmap's line spells it: p/Cisco IOS telnetd/ d/switch/
    # o/IOS/. IOS runs on routers, switches and firewalls alike: no role from it.
    (b"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\xff\xfd\x1f\r\n\r\nUser Access Verification"
     b"\r\n\r\nUsername: ", "Cisco IOS telnetd"),
    # A Ricoh maintenance shell: nmap's HP LaserJet softmatch catches it first; a softmatch
    # never names a maker or a role (issue 14: "Ricoh is not Cisco", nor HP).
    (b"\xff\xfb\x01\xff\xfb\x03\nRICOH Maintenance Shell.   \n\rUser access verification.\n\r",
     "HP LaserJet telnetd"),
])
def test_wrong_answers_nmap_must_not_give(greeting, line_product) -> None:
    o = _nmap_obs("NULL", greeting, 23)
    assert o.get("product") == line_product
    h = classify(_host(o))
    assert h.role is Role.UNKNOWN and h.vendor is None and h.product is None


def test_software_found_on_many_kinds_of_device_decides_no_role(db) -> None:
    # Every line whose product the file gives device types of several roles, without a
    # hardware CPE, must give no role: e.g. p/thttpd/ d/WAP/, p/GoAhead WebServer/.
    from scanner.nmapdb.roles import role_for_device_type

    shared = [m for probe in db._probes.values() for m in probe.matches
              if not m.soft and "d" in dict(m.templates) and not any("h:" in c[:2] for c in m.cpes)
              and len({role_for_device_type(k) or k
                       for k in db.device_types_of_product(m.line)}) > 1]
    assert len(shared) > 100
    for line in shared:
        t = dict(line.templates)
        m = nmapdb.NmapMatch(line.service, t.get("p", ""), "", "", "", "", t["d"], (),
                             line.line, False, "NULL")
        assert names_device(m) == "no", line.line
        assert not any(r.get("role") for r in nmap_reasons((as_observation(m, 80, "no"),)))


# --- a scan without the database -------------------------------------------------------------

SERVER = """
import socket, sys, threading
greeting = bytes.fromhex(sys.argv[1])
s = socket.create_server(("0.0.0.0", 22))
def one(c):
    with c:
        c.sendall(greeting)
        try:
            c.settimeout(5); c.recv(1024)
        except OSError:
            pass
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
"""


@pytest.fixture
def pair(ns_pair: Callable[[str, str], tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """A scanner (10.97.0.1) and a target (10.97.0.2) whose port 22 says the lab's SSH
    greeting, linked by one veth pair and to nothing else."""
    if not shutil.which("unshare"):
        unavailable("unshare (util-linux) is not installed")
    scanner, target = ns_pair("nw", "10.97.0")
    server = subprocess.Popen(["ip", "netns", "exec", target, sys.executable, "-c", SERVER,
                               _lab(22, "NULL").hex()], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        yield scanner, target
    finally:
        server.kill()
        server.wait(10)


def _scan(ns: str, out: Path, hide_database: bool, tmp_path: Path) -> dict:
    argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "scanner", "scan", "10.97.0.2",
            "-i", "eth0", "--format", "json", "--output", str(out), "--no-history",
            "--listen", "0", "--quiet", "--fail-on", "none"]
    if hide_database:
        # nmap's data directory without nmap-service-probes, mounted over the real one in a
        # mount namespace of this scan alone: the file is missing as on a stripped install.
        data = tmp_path / "nmap-data"
        shutil.copytree("/usr/share/nmap", data, ignore=shutil.ignore_patterns("nmap-service-probes"))
        script = f"mount --bind {data} /usr/share/nmap && exec \"$@\""
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *argv]
    r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "HOME": str(tmp_path)})  # no ~/.nmap of ours
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


@pytest.mark.lab
def test_a_missing_database_is_one_not_tested_note_and_the_scan_goes_on(pair, tmp_path) -> None:
    if not Path("/usr/share/nmap/nmap-service-probes").is_file():
        unavailable("nmap's data directory is not /usr/share/nmap")
    scanner, _ = pair
    without = _scan(scanner, tmp_path / "without.json", True, tmp_path)
    notes = [n for n in without["not_tested"] if n["check"] == "nmap-service-probes"]
    assert len(notes) == 1 and "not found" in notes[0]["reason"] and notes[0].get("host") is None
    (host,) = without["hosts"]
    kinds = [o["kind"] for o in host["observations"]]
    assert "banner" in kinds and "nmap-service" not in kinds  # the probe ran, nmap did not
    with_db = _scan(scanner, tmp_path / "with.json", False, tmp_path)
    assert not [n for n in with_db["not_tested"] if n["check"] == "nmap-service-probes"]
    (host,) = with_db["hosts"]
    (nmap,) = [o for o in host["observations"] if o["kind"] == "nmap-service"]
    assert nmap["data"]["product"] == "OpenSSH"
    assert {"port": 22, "extra_info": "protocol 2.0"}.items() <= host["services"][0].items()
