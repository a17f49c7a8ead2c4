"""On the wire: a hostile SSDP announcer and UPnP gateway cannot make praxisscan send outside
its scope, and its malformed port mappings do not lose the scan (issue 12, H1 and H2).

Two namespaces of this test's own (``pxtest-<pid>-scan`` and ``-gw``), joined by one veth
pair, nothing linked to the root namespace. The gateway at 10.77.0.2 announces its own
description and three outside it: 10.77.0.3 (in the subnet, not a target), 10.78.0.9 and
8.8.8.8; its description names a control URL on 10.78.0.9; its port mappings are malformed.
The scanner's default route points at the gateway namespace, which forwards nothing: a
packet to 10.78.0.9 or 8.8.8.8 would show in the capture and go no further.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys

import pytest

from scanner.jsonio import loads
from tests.capture import capture
from tests.conftest import REPO, praxisscan, root_links, unavailable

pytestmark = pytest.mark.lab
SCANNER, GATEWAY = "10.77.0.1", "10.77.0.2"
OUTSIDE = ("10.77.0.3", "10.78.0.9", "8.8.8.8")
DISCOVERY_GROUPS = {"224.0.0.251", "239.255.255.250"}  # mDNS and SSDP queries, in the plan
VALID = {"NewRemoteHost": "", "NewExternalPort": "8443", "NewProtocol": "TCP",
         "NewInternalPort": "443", "NewInternalClient": "10.77.0.50", "NewEnabled": "1",
         "NewPortMappingDescription": "NAS", "NewLeaseDuration": "0"}
MALFORMED = [{**VALID, "NewInternalPort": "3389abc"}, {**VALID, "NewExternalPort": "-1"},
             {**VALID, "NewExternalPort": "99999"}, {**VALID, "NewEnabled": "maybe"},
             {**VALID, "NewInternalClient": "pvs.praxis.local"},
             {**VALID, "NewInternalPort": "9" * 400},
             {k: v for k, v in VALID.items() if k != "NewInternalPort"}]


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def namespaces():
    if os.geteuid() != 0:
        unavailable("needs root for network namespaces")
    for tool in ("ip", "tcpdump", "nmap"):
        if not shutil.which(tool):
            unavailable(f"{tool} is not installed")
    scan_ns, gw_ns = f"pxtest-{os.getpid()}-scan", f"pxtest-{os.getpid()}-gw"
    links_before = root_links()
    try:
        run("ip", "netns", "add", scan_ns)
        run("ip", "netns", "add", gw_ns)
        run("ip", "-n", scan_ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", gw_ns)
        for ns, ip in ((scan_ns, SCANNER), (gw_ns, GATEWAY)):
            run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "netns", "exec", gw_ns, "sysctl", "-qw", "net.ipv4.ip_forward=0")
        run("ip", "-n", gw_ns, "route", "add", "224.0.0.0/4", "dev", "eth0")
        # Everything outside 10.77.0.0/24 goes to the gateway namespace, a dead end.
        run("ip", "-n", scan_ns, "route", "add", "default", "via", GATEWAY)
        assert root_links() == links_before  # nothing of ours in the root namespace
        yield scan_ns, gw_ns
    finally:
        from scanner.lab.netns import kill_namespace_processes

        for ns in (scan_ns, gw_ns):
            try:
                kill_namespace_processes(ns)
            finally:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture(scope="module")
def hostile_scan(namespaces, tmp_path_factory):
    scan_ns, gw_ns = namespaces
    out = tmp_path_factory.mktemp("upnp-wire")
    log, pcap, json_path = out / "gateway.log", out / "scanner.pcap", out / "scan.json"
    log.touch()
    cfg = {"ip": GATEWAY, "port": 5000, "log": str(log), "mappings": [VALID, *MALFORMED],
           "announce": [f"http://{GATEWAY}:5000/desc.xml", "http://10.77.0.3:5000/desc.xml",
                        "http://10.78.0.9:5000/desc.xml", "http://8.8.8.8:80/desc.xml"],
           "services": [["urn:schemas-upnp-org:service:WANPPPConnection:1",
                         "http://10.78.0.9:5000/ctl", "http://8.8.8.8/scpd.xml"],
                        ["urn:schemas-upnp-org:service:WANIPConnection:1", "/ctl", "/scpd.xml"]]}
    (out / "gateway.json").write_text(json.dumps(cfg))
    gateway = subprocess.Popen(["ip", "netns", "exec", gw_ns, sys.executable, "-m",
                                "tests.fake_upnp", str(out / "gateway.json")],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert gateway.stdout.readline().strip() == "ready", gateway.stderr.read()
        with capture(scan_ns, pcap, after=1.0):
            r = praxisscan("scan", GATEWAY, "--interface", "eth0", "--format", "json",
                           "--output", str(json_path), "--fail-on", "none", "--listen", "3",
                           ns=scan_ns, timeout=300)
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
    return r, json_path, pcap, log.read_text().splitlines()


def test_the_scan_completes_despite_the_malformed_mappings(hostile_scan) -> None:
    r, json_path, _, _ = hostile_scan
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    scan = loads(json_path.read_text())
    assert scan.complete
    (gw,) = [h for h in scan.hosts if h.ip == GATEWAY]
    mappings = [dict(o.data) for o in gw.observations if o.kind == "upnp-mapping"]
    assert [(m["external_port"], m["internal_port"], m["internal_client"]) for m in mappings] == [
        ("8443", "443", "10.77.0.50")]
    notes = [n.reason for n in scan.not_tested if n.check == "upnp"]
    assert sum("not evaluated" in n for n in notes) == len(MALFORMED)
    assert "port mapping 1 not evaluated: NewInternalPort '3389abc' is not a port (1-65535)" in notes
    # the rules judged the one valid mapping
    assert any(f.rule == "upnp-port-mapping" and f.port == 8443 for f in scan.findings)


def test_locations_outside_the_scope_are_noted_not_contacted(hostile_scan) -> None:
    _, json_path, _, asked = hostile_scan
    scan = loads(json_path.read_text())
    notes = [n.reason for n in scan.not_tested if n.check == "upnp"]
    for location, why in (("http://10.78.0.9:5000/desc.xml", "10.78.0.9 is outside"),
                          ("http://8.8.8.8:80/desc.xml", "8.8.8.8 is outside"),
                          ("http://10.77.0.3:5000/desc.xml", "10.77.0.3 is outside")):
        assert any(n.startswith(f"announced location outside the scope: not contacted "
                                f"({location}: {why}") for n in notes), (location, notes)
    assert any(n.startswith("control URL outside the scope: not contacted "
                            "(http://10.78.0.9:5000/ctl") for n in notes)
    # the gateway in scope was audited
    assert "GET /desc.xml" in asked and "GET /scpd.xml" in asked and "POST /ctl" in asked


def test_on_the_wire_nothing_left_the_scope(hostile_scan) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import ARP
    from scapy.utils import rdpcap

    packets = rdpcap(str(hostile_scan[2]))
    sent = [p for p in packets if IP in p and p[IP].src == SCANNER]
    assert any(p[IP].dst == GATEWAY for p in sent)  # the capture saw the scan
    destinations = {p[IP].dst for p in sent}
    assert destinations - {GATEWAY} <= DISCOVERY_GROUPS, destinations
    assert not destinations & set(OUTSIDE)
    assert not [p for p in sent if UDP in p and 53 in (p[UDP].dport, p[UDP].sport)]  # no DNS
    for p in sent:
        assert ipaddress.IPv4Address(p[IP].dst) in ipaddress.IPv4Network("10.77.0.0/24") \
            or p[IP].dst in DISCOVERY_GROUPS
    asked_for = {p[ARP].pdst for p in packets if ARP in p and p[ARP].psrc == SCANNER
                 and p[ARP].op == 1}
    assert asked_for <= {GATEWAY}, asked_for
