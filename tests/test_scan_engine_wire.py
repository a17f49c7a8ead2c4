"""The scan engine on the wire, in namespaces of the test's own (no lab needed).

A bridge namespace joins the scanner (10.97.0.1) and three targets: one whose firewall drops
all IPv4 like a Windows PC (10.97.0.2), one that answers (RSTs, one open port, two ports
dropped) (10.97.0.3), and one behind an allowlist like a Konnektor or an appliance (443
open, 8443 closed, everything else dropped) (10.97.0.4), and one that answers SYN-ACK on every
port like a tarpit or a SYN proxy (10.97.0.5: iptables sends every TCP port to one listener).
tcpdump in the scanner's namespace records every packet it sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from scanner.lab.wire import busiest_second
from scanner.ports import Profile, tcp_ports
from tests.capture import capture
from tests.conftest import REPO, unavailable

pytestmark = pytest.mark.lab
SILENT, ANSWERS, DROPPED = "10.97.0.2", "10.97.0.3", (22, 80)
WALLED, ALLOWED = "10.97.0.4", (443, 8443)
TARPIT = "10.97.0.5"


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture(scope="module")
def net() -> Iterator[dict[str, str]]:
    if os.geteuid() != 0:
        unavailable("needs root to create network namespaces")
    base = f"pxtest-eng{os.getpid()}"
    names = {"br": f"{base}-br", "scanner": f"{base}-s", "silent": f"{base}-a",
             "answers": f"{base}-b", "walled": f"{base}-c", "tarpit": f"{base}-d"}
    servers = []
    try:
        for ns in names.values():
            _run("ip", "netns", "add", ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "-n", names["br"], "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", names["br"], "link", "set", "br0", "up")
        for i, (role, ip) in enumerate((("scanner", "10.97.0.1"), ("silent", SILENT),
                                        ("answers", ANSWERS), ("walled", WALLED),
                                        ("tarpit", TARPIT))):
            _run("ip", "-n", names[role], "link", "add", "eth0", "type", "veth", "peer",
                 "name", f"p{i}", "netns", names["br"])
            _run("ip", "-n", names["br"], "link", "set", f"p{i}", "master", "br0", "up")
            _run("ip", "-n", names[role], "addr", "add", f"{ip}/24", "dev", "eth0")
            _run("ip", "-n", names[role], "link", "set", "eth0", "up")
        _run("ip", "netns", "exec", names["silent"], "iptables-legacy", "-P", "INPUT", "DROP")
        for port in DROPPED:
            _run("ip", "netns", "exec", names["answers"], "iptables-legacy", "-A", "INPUT",
                 "-p", "tcp", "--dport", str(port), "-j", "DROP")
        for port in ALLOWED:
            _run("ip", "netns", "exec", names["walled"], "iptables-legacy", "-A", "INPUT",
                 "-p", "tcp", "--dport", str(port), "-j", "ACCEPT")
        _run("ip", "netns", "exec", names["walled"], "iptables-legacy", "-A", "INPUT",
             "-p", "tcp", "-j", "DROP")
        _run("ip", "netns", "exec", names["tarpit"], "iptables-legacy", "-t", "nat", "-A",
             "PREROUTING", "-p", "tcp", "-j", "REDIRECT", "--to-ports", "7777")
        for ns, port, then in (("answers", 445, "time.sleep(600)"),
                               ("walled", 443, "time.sleep(600)"),
                               # closes at once: the probes of its 56 ports end quickly
                               ("tarpit", 7777, "while True: s.accept()[0].close()")):
            servers.append(subprocess.Popen([
                "ip", "netns", "exec", names[ns], sys.executable, "-c",
                f"import socket,time\ns=socket.socket()\ns.bind(('0.0.0.0',{port}))\n"
                f"s.listen()\n{then}"]))
        time.sleep(0.5)
        yield names
    finally:
        for server in servers:
            server.kill()
            server.wait()
        for ns in names.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture(scope="module")
def quick_scan(net: dict[str, str], tmp_path_factory) -> tuple[dict, list]:
    from scapy.layers.inet import IP  # noqa: F401 - registers Ethernet/IP for rdpcap
    from scapy.utils import rdpcap

    out = tmp_path_factory.mktemp("engine")
    pcap, scan = out / "scan.pcap", out / "scan.json"
    with capture(net["scanner"], pcap, "src", "10.97.0.1"):
        r = subprocess.run(["ip", "netns", "exec", net["scanner"], sys.executable, "-m",
                            "scanner", "scan", SILENT, ANSWERS, WALLED, TARPIT, "-i", "eth0", "--listen", "0",
                            "--format", "json", "-o", str(scan), "-q", "--fail-on", "none",
                            "--no-history"], cwd=REPO, capture_output=True, text=True,
                           timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(scan.read_text()), list(rdpcap(str(pcap)))


def _syns(packets: list, dst: str) -> list[int]:
    from scapy.layers.inet import IP, TCP

    return [p[TCP].dport for p in packets if IP in p and p[IP].dst == dst and TCP in p
            and p[TCP].flags == "S"]


def test_a_host_that_answers_nothing_is_asked_every_port_once(quick_scan) -> None:
    ports = [p for p in tcp_ports(Profile.QUICK)]
    syns = _syns(quick_scan[1], SILENT)
    assert sorted(syns) == sorted(ports)


def test_a_host_that_answers_gets_its_silent_ports_asked_again(quick_scan) -> None:
    syns = _syns(quick_scan[1], ANSWERS)
    for port in DROPPED:
        assert syns.count(port) == 2, port
    assert syns.count(443) == 1  # closed: its RST was the answer
    host = next(h for h in quick_scan[0]["hosts"] if h["ip"] == ANSWERS)
    assert [s["port"] for s in host["services"]] == [445]


def test_a_host_behind_an_allowlist_has_its_dropped_ports_asked_again(quick_scan) -> None:
    syns = _syns(quick_scan[1], WALLED)
    dropped = set(tcp_ports(Profile.QUICK)) - set(ALLOWED)
    assert all(syns.count(p) == 2 for p in dropped), sorted(p for p in dropped
                                                            if syns.count(p) != 2)
    # 443 and 8443 answer (SYN-ACK, RST); a lost answer may have 8443 asked again too
    assert syns.count(443) >= 1 and syns.count(8443) in (1, 2)
    host = next(h for h in quick_scan[0]["hosts"] if h["ip"] == WALLED)
    assert [s["port"] for s in host["services"]] == [443]


def test_every_packet_to_a_host_fits_its_cap(quick_scan) -> None:
    from scapy.layers.inet import IP

    for dst in (SILENT, ANSWERS, WALLED, TARPIT):
        ts = sorted(float(p.time) for p in quick_scan[1] if IP in p and p[IP].dst == dst)
        assert 0 < busiest_second(ts) <= 40, (dst, busiest_second(ts))


def test_nmap_asks_faster_than_half_the_cap_where_few_ports_answer(quick_scan) -> None:
    # The SYN-ACK watch lets a host's own nmap use 33 of its 40 packets per second; at half
    # the cap no second would see more than 21 SYNs.
    from scapy.layers.inet import IP, TCP

    ts = [float(p.time) for p in quick_scan[1] if IP in p and p[IP].dst == SILENT
          and TCP in p and p[TCP].flags == "S"]
    assert 28 <= busiest_second(ts) <= 33, busiest_second(ts)


def test_a_host_that_answers_every_port_trips_the_watch_and_is_asked_again(quick_scan) -> None:
    # Every SYN-ACK makes the kernel send a RST: at 33 SYNs a second that breaks the cap,
    # so the watch kills the host's nmap after 4 SYN-ACKs; the host is asked again from the
    # start at half its cap, and every port is still found.
    from scapy.layers.inet import IP, TCP

    runs: dict[int, list[int]] = {}  # nmap's SYNs by its source port, one per run
    for p in quick_scan[1]:
        if IP in p and p[IP].dst == TARPIT and TCP in p and p[TCP].flags == "S":
            runs.setdefault(p[TCP].sport, []).append(p[TCP].dport)
    killed, again = [ports for ports in runs.values() if len(ports) > 2]  # probes: 1 each
    assert 4 <= len(killed) <= 4 + 3  # the trip's 4, and any sent while it was on its way
    assert sorted(again) == sorted(tcp_ports(Profile.QUICK))
    rsts = [p for p in quick_scan[1] if IP in p and p[IP].dst == TARPIT and TCP in p
            and p[TCP].flags == "R"]
    assert len(rsts) >= len(killed) + len(again)  # one from the kernel per SYN-ACK
    ports = tcp_ports(Profile.QUICK)
    host = next(h for h in quick_scan[0]["hosts"] if h["ip"] == TARPIT)
    assert {s["port"] for s in host["services"] if s["protocol"] == "tcp"} >= set(ports)


def _arp_requests(packets: list, ip: str) -> int:
    from scapy.layers.l2 import ARP

    return sum(1 for p in packets if ARP in p and p[ARP].op == 1 and p[ARP].pdst == ip)


def test_after_the_sweep_nobody_asks_arp_again(quick_scan) -> None:
    # The sweep's answers are in the kernel's neighbour table before nmap starts: nmap and
    # the kernel (our probes' connect()) do not ask again, and cannot hold SYNs back for a
    # lost reply and then send them in one burst.
    for dst in (SILENT, ANSWERS):
        assert _arp_requests(quick_scan[1], dst) == 1, dst  # the sweep's one who-has
