"""The IPv6 pass of a host's port scan: nmap -6 on one discovered address of the host.

Called from the pipeline after the host's IPv4 scan and probes, in the same worker, so the
two families never run at the same time and the host's rate (its policy's packets per
second) holds across both. Only an address discovery tied to the host's MAC is scanned, never
a prefix. One address per host is enough to see its listening sockets and its host firewall:
the stable global one (what the Internet would reach), else the unique local one, else the
link-local one; temporary addresses belong to the same sockets and are not scanned again.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import AddressKind, Ipv6Address, Protocol, Service
from scanner.portscan.nmap_scan import NMAP_SHARE_OF_HOST, NmapRun
from scanner.scope import Ipv6Guard

PREFERENCE = (AddressKind.GLOBAL, AddressKind.ULA, AddressKind.LINK_LOCAL)


def target(addresses: Sequence[Ipv6Address], guard: Ipv6Guard,
           interface: str | None) -> str | None:
    """The address to scan (link-local with its zone), or None when the scope allows none."""
    for kind in PREFERENCE:
        for a in addresses:
            if a.kind is kind and guard.allows(a.address):
                if kind is AddressKind.LINK_LOCAL:
                    return f"{a.address}%{interface}" if interface else None
                return a.address
    return None


def scan(address: str, ports: Sequence[int], udp: Sequence[int], interface: str | None,
         run: NmapRun, host_pps: float, max_pps: float,
         share: float = NMAP_SHARE_OF_HOST) -> tuple[Service, ...]:
    """Open TCP and UDP ports over IPv6: ``udp`` is what the host's IPv4 scan asked under
    its role's policy (none in the quick profile).

    One nmap run for both: nmap runs its SYN scan and its UDP scan one after the other, each
    at the host's --scan-delay, so the host never gets more than its rate from this pass.
    A UDP port counts only when it answered with data (nmap's "open"), as over IPv4.
    ``share``: nmap's part of the host's cap (engine.other_family_share)."""
    found = run.scan([address], ports, interface, host_pps=host_pps, max_pps=max_pps,
                     ipv6=True, udp=tuple(udp), share=share)
    if not found:
        return ()
    return tuple(s for s in found[0].services if s.protocol in (Protocol.TCP, Protocol.UDP))
