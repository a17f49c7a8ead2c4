"""The scan's two listeners on a real link: the passive listener (DHCP, mDNS, SSDP ...) and
IPv6 discovery, each on an AF_PACKET socket with its BPF filter.

Everything happens in two namespaces of the test's own (tests/conftest.py: ns_pair): the
scanner's side listens, the other side announces itself by SSDP and answers the scanner's
IPv6 echo to all nodes. Nothing reaches the root namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

from tests.conftest import REPO

LISTEN = r"""
import json, socket, sys, time
from scanner.discovery.ipv6 import Ipv6Discovery
from scanner.discovery.passive import PassiveListener
from scanner.netinfo import Interface, interface

iface = interface("eth0")
passive, v6 = PassiveListener(iface), Ipv6Discovery(iface)
passive.start()
v6.start()
time.sleep(0.3)
print("listening", flush=True)
sys.stdin.readline()  # the other side has announced itself
v6.ask()
time.sleep(1.0)
heard = passive.stop()
view = v6.stop()
nowhere = Interface("pxnone0", None, ())
broken, broken6 = PassiveListener(nowhere), Ipv6Discovery(nowhere)
broken.start()
broken6.start()
print(json.dumps({
    "heard": [[h.mac, h.ip, h.observation.kind, h.observation.get("server")] for h in heard],
    "locations": passive.locations, "error": passive.error, "error6": v6.error,
    "by_mac": [[m, [a.address for a in addrs]] for m, addrs in view.by_mac],
    "sent": view.packets_sent,
    "broken": [broken.error, len(broken.stop()), broken6.error, broken6.stop().by_mac],
}))
"""

NOTIFY = ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
          "NTS: ssdp:alive\r\nSERVER: Linux/5.10 UPnP/1.0 Wirecheck/1.0\r\n"
          "LOCATION: http://10.96.0.2:49000/desc.xml\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n")


def _mac(ns: str) -> str:
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show", "eth0"], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)[0]["address"]


def _link_local(ns: str) -> str:
    """eth0's link-local address once duplicate address detection has finished."""
    for _ in range(50):
        out = subprocess.run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", "eth0",
                              "scope", "link"], capture_output=True, text=True, check=True)
        infos = [a for link in json.loads(out.stdout) for a in link.get("addr_info", [])]
        if infos and not any(a.get("tentative") for a in infos):
            return infos[0]["local"]
        time.sleep(0.2)
    raise AssertionError(f"{ns}: no usable IPv6 link-local address")


def test_both_listeners_hear_the_link_and_say_when_they_cannot(
        ns_pair: Callable[[str, str], tuple[str, str]]) -> None:
    scanner, other = ns_pair("lst", "10.96.0")
    other_mac, other_ll = _mac(other), _link_local(other)
    _link_local(scanner)
    listen = subprocess.Popen(["ip", "netns", "exec", scanner, sys.executable, "-c", LISTEN],
                              cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert listen.stdout is not None and listen.stdin is not None
        assert listen.stdout.readline().strip() == "listening"
        send = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                f"s.bind(('10.96.0.2', 1900)); s.sendto({NOTIFY.encode()!r}, ('10.96.0.1', 1900))")
        subprocess.run(["ip", "netns", "exec", other, sys.executable, "-c", send], check=True)
        listen.stdin.write("\n")
        listen.stdin.flush()
        out, err = listen.communicate(timeout=30)
    finally:
        listen.kill()
    assert listen.returncode == 0, err
    got = json.loads(out.splitlines()[-1])
    assert got["error"] is None and got["error6"] is None
    assert [other_mac, "10.96.0.2", "ssdp", "Linux/5.10 UPnP/1.0 Wirecheck/1.0"] in got["heard"]
    assert got["locations"] == {"http://10.96.0.2:49000/desc.xml": "10.96.0.2"}
    assert dict(got["by_mac"]).get(other_mac) == [other_ll]
    assert got["sent"] >= 2  # the router solicitation and the echo to all nodes
    passive_error, heard, v6_error, by_mac = got["broken"]
    assert passive_error.startswith("cannot listen on pxnone0: ")
    assert v6_error.startswith("cannot listen for IPv6 on pxnone0: ")
    assert (heard, by_mac) == (0, [])
