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


def commands(interface: str, learned: Iterable[tuple[str, str]],
             static: set[str]) -> list[str]:
    """``ip -batch`` lines for (ip, mac) pairs; what is not a unicast IPv4 address and a
    unicast MAC (network input: an ARP reply) is left out, like every address in
    ``static``."""
    if not _IFACE.match(interface):
        return []
    lines = []
    for ip, mac in learned:
        mac = mac.lower()
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            continue
        if (not _MAC.match(mac) or int(mac[:2], 16) & 1 or mac == "00:00:00:00:00:00"
                or addr.is_multicast or addr.is_unspecified or str(addr) in static):
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
        shown = subprocess.run([ip, "-j", "-4", "neigh", "show", "dev", interface],
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
