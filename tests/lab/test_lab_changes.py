"""Change the lab practice between two scans; the diff must name exactly those changes.

Changes: a new phone joins (DHCP, random MAC), the NAS's FTP port is closed, the reception
PC gets another IP address. Everything else stays as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.monitor.diff import diff
from scanner.jsonio import loads
from scanner.lab.lab import LAN_NS, SCANNER_NS
from scanner.lab.netns import run
from scanner.lab.topology import load_practice
from tests.conftest import praxisscan

pytestmark = pytest.mark.lab
PRACTICE = load_practice()
PHONE_NS, PHONE_MAC = "pxlab-newphone", "2e:11:22:33:44:55"  # lab down removes pxlab-*


def join_phone(lab, ns: str, mac: str, hostname: str) -> None:  # noqa: ANN001
    """A new Android phone joins the practice LAN and asks DHCP for an address."""
    run(["ip", "netns", "add", ns])
    peer = ns.removeprefix("pxlab-")[:15]
    run(["ip", "link", "add", "eth0", "netns", ns, "address", mac, "type", "veth",
         "peer", "name", peer, "netns", LAN_NS])
    run(["ip", "-n", LAN_NS, "link", "set", peer, "master", "br0", "up"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])
    run(["ip", "netns", "exec", ns, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f",
         "-t", "5", "-T", "1", "-s", str(lab.dir / "udhcpc.script"), "-x", f"hostname:{hostname}",
         "-V", "android-dhcp-15"], timeout=30)


def scan(path: Path):  # noqa: ANN201
    r = praxisscan("scan", str(PRACTICE.subnet), "-i", "eth0", "--format", "json", "-o",
                   str(path), "-q", "--fail-on", "none", "--no-history", ns=SCANNER_NS)
    assert r.returncode == 0, r.stderr
    return loads(path.read_text())


def test_the_diff_names_exactly_what_changed_in_the_lab(lab, tmp_path: Path) -> None:
    before = scan(tmp_path / "before.json")
    nas, pc = PRACTICE.host("nas"), PRACTICE.host("ws-empfang")
    # 1. the NAS's FTP port is closed (the kernel answers with a reset from now on)
    run(["ip", "netns", "exec", "pxlab-nas", "iptables-legacy", "-I", "INPUT", "-p", "tcp",
         "--dport", "21", "-j", "REJECT", "--reject-with", "tcp-reset"])
    # 2. the reception PC moves to another address
    new_ip = "192.168.178.23"
    # IPv4 only: a flush of every family would also drop its link-local and SLAAC addresses,
    # which come back only with the next RA, and its IPv6 firewall gap would vanish by chance
    run(["ip", "-4", "-n", "pxlab-ws-empfang", "addr", "flush", "dev", "eth0"])
    run(["ip", "-n", "pxlab-ws-empfang", "addr", "add", f"{new_ip}/24", "dev", "eth0"])
    # 3. a new phone joins and asks DHCP for an address
    join_phone(lab, PHONE_NS, PHONE_MAC, "Pixel-8")

    after = scan(tmp_path / "after.json")
    d = diff(before, after)
    assert [h.mac for h in d.new_devices] == [PHONE_MAC]
    assert d.gone_devices == ()
    assert [(b.ip, a.ip) for b, a in d.moved] == [(pc.ip, new_ip)]
    assert [(k, s.port) for k, s in d.ports_closed] == [(f"mac:{nas.mac}", 21)]
    assert d.ports_opened == () and d.service_changes == ()
    assert {(f.rule, f.host) for f in d.new_findings} == {
        ("private-mobile-device", f"mac:{PHONE_MAC}")}
    assert {(f.rule, f.host) for f in d.resolved_findings} == {("cleartext-ftp", f"mac:{nas.mac}")}

    r = praxisscan("diff", str(tmp_path / "before.json"), str(tmp_path / "after.json"))
    assert r.returncode == 1
    assert f"{pc.ip} -> {new_ip}" in r.stdout and "tcp/21" in r.stdout
