"""The ARP sweep's answers, written into the kernel's neighbour table before the port scan.

Why: our ARP sweep reads replies on a raw socket, so the kernel and nmap learn nothing from
it. nmap then asks each host's MAC again (its own ARP, or, when that answer is lost on a
busy link, it sends through the kernel, which holds the SYNs until its ARP is answered and
then sends them in one burst: 59 packets to one host in one second in the overloaded
1,000-host segment, cap 40). Our probes' connect() waits for the kernel's ARP too. With
the entries in place nmap reads the MAC from the table (libdnet arp_get) and sends at its
own pace, and nobody asks again.

The entries are ordinary ones (state REACHABLE): the kernel ages them out and verifies them
as it does with what it learns itself. A static (PERMANENT or NOARP) entry the operator set
is never changed.

IPv6 the same way, for another reason: a host answering our IPv6 discovery first asks for
our MAC (a neighbour solicitation carrying its own); the kernel answers and so holds the
host's address in state DELAY, and five seconds later it verifies it with a unicast
solicitation of its own. Three addresses per host made three packets to it in the second
its port scan began (sonography, cap 20: 21 packets). An entry written REACHABLE ends that
wait; the host's own later solicitations leave a REACHABLE entry as it is.

The table has a size: above ``gc_thresh3`` entries (1,024 by default) the kernel refuses new
ones ("neighbor table overflow") and drops what waits for them, so on a /22 with a thousand
hosts SYNs are lost and open ports go unseen. capacity_gap() says so before the scan; the
operator raises the limit (we never change the scanning machine's settings ourselves).
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from collections.abc import Iterable

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_IFACE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
_KEPT_STATES = {"PERMANENT", "NOARP"}
# One table per kernel (inside a network namespace this file is absent: the namespace shares
# the table and the limit of the root namespace, which it cannot read).
GC_THRESH3 = "/proc/sys/net/ipv4/neigh/default/gc_thresh3"
# Room for the entries the machine holds anyway (its router, its own peers).
HEADROOM = 64


def capacity_gap(hosts: int, path: str = GC_THRESH3) -> str | None:
    """Why the scan of ``hosts`` neighbours may miss ports, or None when the table holds them
    (or its limit cannot be read)."""
    try:
        with open(path) as f:
            limit = int(f.read().strip())
    except (OSError, ValueError):
        return None
    if hosts + HEADROOM <= limit:
        return None
    return (f"{hosts} hosts answered ARP, but the kernel's neighbour table holds at most "
            f"{limit} entries (net.ipv4.neigh.default.gc_thresh3): packets to hosts beyond it "
            f"are dropped and their open ports may be missed. Raise it before scanning, e.g. "
            f"sysctl -w net.ipv4.neigh.default.gc_thresh3={_round_up(2 * (hosts + HEADROOM))}")


def _round_up(n: int) -> int:
    return 1 << (n - 1).bit_length()


def commands(interface: str, learned: Iterable[tuple[str, str]],
             static: set[str]) -> list[str]:
    """``ip -batch`` lines for (ip, mac) pairs; what is not a unicast address (IPv4 or IPv6)
    and a unicast MAC (network input: an ARP reply, a solicitation) is left out, like every
    address in ``static``."""
    if not _IFACE.match(interface):
        return []
    lines = []
    for ip, mac in learned:
        mac = mac.lower()
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if (not _MAC.match(mac) or int(mac[:2], 16) & 1 or mac == "00:00:00:00:00:00"
                or addr.is_multicast or addr.is_unspecified or addr.is_loopback
                or getattr(addr, "scope_id", None) or str(addr) in static):
            continue
        lines.append(f"neigh replace {addr} lladdr {mac} dev {interface} nud reachable")
    return lines


def load(interface: str, learned: Iterable[tuple[str, str]]) -> str | None:
    """Write ``learned`` into the neighbour table of ``interface``; the reason when it could
    not (the scan goes on without: nmap and the kernel then ask ARP themselves)."""
    ip = shutil.which("ip")
    if ip is None:
        return "the ip command (iproute2) is missing"
    try:
        shown = subprocess.run([ip, "-j", "neigh", "show", "dev", interface],
                               capture_output=True, text=True, timeout=10, check=True)
        static = {e.get("dst", "") for e in json.loads(shown.stdout or "[]")
                  if _KEPT_STATES & set(e.get("state", ()))}
        lines = commands(interface, learned, static)
        if not lines:
            return None
        done = subprocess.run([ip, "-force", "-batch", "-"], input="\n".join(lines) + "\n",
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return f"neighbour table not written: {type(e).__name__}"
    if done.returncode != 0:
        return f"neighbour table not fully written: {done.stderr.strip()[-200:]}"
    return None
