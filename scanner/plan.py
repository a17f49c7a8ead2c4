"""The scan plan: everything a scan will send, computed before anything is sent.

``praxisscan scan --plan`` prints it and stops; a scan without explicit targets shows it and
asks for confirmation. Building a plan reads interfaces and may resolve host names, nothing
else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from scanner import netinfo
from scanner.errors import TargetError
from scanner.model import Scope
from scanner.policy import Policy, load_policy
from scanner.ports import NEVER_PROBED, Profile, port_spec, tcp_ports, udp_ports
from scanner.probes.table import PROBES, Grade
from scanner.scope import ScopeGuard, guard, host_addresses, parse_target

ARP_RATE_PPS = 1000.0


@dataclass(frozen=True)
class ArpTask:
    interface: netinfo.Interface
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    networks: tuple[ipaddress.IPv4Network, ...]
    detected: bool  # the networks came from the interfaces, not from the operator
    arp: tuple[ArpTask, ...]
    routed_targets: tuple[str, ...]
    profile: Profile
    tcp_ports: tuple[int, ...]
    interface: str | None
    allow_public: bool
    allow_large: bool
    target_texts: tuple[str, ...]
    arp_rounds: int = 1
    ipv6: bool = True  # IPv6 discovery and the IPv6 pass (scanner/portscan/ipv6_stage.py)

    @property
    def address_count(self) -> int:
        return sum(len(t.targets) for t in self.arp) + len(self.routed_targets)

    def scope(self) -> Scope:
        return Scope(
            targets=self.target_texts,
            networks=tuple(str(n) for n in self.networks),
            interface=self.interface,
            profile=self.profile.value,
            tcp_ports=port_spec(list(self.tcp_ports)),
            excluded_ports=f"{NEVER_PROBED.start}-{NEVER_PROBED.stop - 1}",
            allow_public=self.allow_public,
            allow_large=self.allow_large,
        )

    def guard(self) -> ScopeGuard:
        """What may be contacted besides the targets themselves (addresses the network names)."""
        return ScopeGuard(self.networks, self.allow_public)

    def describe(self, policy: Policy | None = None) -> list[str]:
        """Plain lines: what will be sent, to whom, how fast (``policy``: with the site
        file's overrides applied, as the scan will use it)."""
        lines = [
            f"Scope: {', '.join(str(n) for n in self.networks)}"
            + (" (detected from the interfaces)" if self.detected else ""),
            f"Profile: {self.profile.value}, {self.address_count} addresses",
        ]
        for t in self.arp:
            lines.append(f"ARP who-has to {len(t.targets)} addresses on {t.interface.name} "
                         f"(from {t.interface.addresses[0].ip}), at most "
                         f"{ARP_RATE_PPS:.0f}/s, each asked at most {self.arp_rounds}x")
        if self.routed_targets:
            lines.append(f"nmap host discovery (ICMP echo, TCP SYN 22,80,443,445,3389, "
                         f"TCP ACK 80) to {len(self.routed_targets)} routed addresses")
        lines.append(f"nmap TCP SYN scan of {len(self.tcp_ports)} ports on every host found: "
                     f"{_abbrev(port_spec(list(self.tcp_ports)))}")
        if udp_ports(self.profile):
            lines.append(f"nmap UDP scan of {len(udp_ports(self.profile))} key ports: "
                         f"{port_spec(udp_ports(self.profile))}")
        lines.extend(_ipv6_lines(self))
        lines.append("mDNS service enumeration and SSDP M-SEARCH (multicast, once); listening "
                     "for DHCP, mDNS, SSDP, NetBIOS, LLMNR and SICCT during the scan")
        lines.append("Per host, by the role guessed from MAC vendor and open ports:")
        lines.extend((policy or load_policy()).describe())
        lines.append("Probes are read-only; by grade, what each sends (a host gets those its "
                     "role allows):")
        for grade in Grade:
            sends = dict.fromkeys(f"{p.name} ({p.sends})" for p in PROBES if p.grade is grade)
            lines.append(f"  {grade.value}: {'; '.join(sends)}")
        lines.append(f"Never probed: TCP {NEVER_PROBED.start}-{NEVER_PROBED.stop - 1} (raw "
                     "printing); no OS detection, no NSE scripts")
        lines.append("Addresses the network names (SSDP locations, UPnP and TR-064 URLs, "
                     "redirects) are contacted only inside this scope; host names in them are "
                     "not resolved")
        return lines


def _ipv6_lines(plan: Plan) -> list[str]:
    if not plan.ipv6:
        return ["IPv6: off (--no-ipv6)"]
    links = ", ".join(t.interface.name for t in plan.arp) or "no local link"
    scope = ("any global address (--allow-public)" if plan.allow_public else
             "global addresses only inside the prefixes the practice's router announces")
    return [
        f"IPv6 on {links}: one router solicitation (ff02::2), one ICMPv6 echo to ff02::1 from "
        "each own address, one echo per host to its likely stable address (announced prefix + "
        "its link-local interface ID); listening for RA, NS/NA, DHCPv6, mDNS and LLMNR",
        "IPv6 scan: only addresses tied by MAC to a host found by ARP, never a prefix sweep; "
        "nmap -6 TCP SYN (and UDP) of the same ports on one address per host (stable global, "
        "else unique local, else link-local), after that host's IPv4 scan, at its rate; then "
        "the policy's TCP probes on the ports open over IPv6 only and its UDP questions that "
        "got no answer over IPv4 (SNMP; SICCT and NetBIOS are IPv4-only), in the same rate "
        "window",
        f"IPv6 scope: link-local (fe80::/10) and unique local (fc00::/7); {scope}",
    ]


def _abbrev(spec: str, limit: int = 160) -> str:
    return spec if len(spec) <= limit else spec[:limit].rsplit(",", 1)[0] + ",..."


def make_plan(
    targets: list[str],
    *,
    interface: str | None = None,
    profile: Profile = Profile.QUICK,
    allow_public: bool = False,
    allow_large: bool = False,
    arp_rounds: int = 1,
    ipv6: bool = True,
) -> Plan:
    chosen = [netinfo.interface(interface)] if interface else None
    if targets:
        nets = guard([parse_target(t) for t in targets],
                     allow_public=allow_public, allow_large=allow_large)
        candidates = chosen or netinfo.scannable_interfaces()
        detected = False
    else:
        candidates = chosen or netinfo.scannable_interfaces()
        if not candidates:
            raise TargetError("no target given and no interface with an IPv4 address found")
        detected_nets = [n for i in candidates for n in i.networks]
        nets = guard([parse_target(str(n)) for n in detected_nets],
                     allow_public=allow_public, allow_large=allow_large)
        detected = True

    per_iface: dict[str, list[str]] = {}
    routed: list[str] = []
    by_name = {i.name: i for i in candidates}
    own = {a.ip for i in candidates for a in i.addresses}
    for addr in host_addresses(nets):
        if addr in own:
            continue
        iface = netinfo.interface_for(addr, candidates)
        if iface:
            per_iface.setdefault(iface.name, []).append(str(addr))
        else:
            routed.append(str(addr))
    return Plan(
        networks=tuple(nets),
        detected=detected,
        arp=tuple(ArpTask(by_name[n], tuple(a)) for n, a in per_iface.items()),
        routed_targets=tuple(routed),
        profile=profile,
        tcp_ports=tuple(tcp_ports(profile)),
        interface=interface,
        allow_public=allow_public,
        allow_large=allow_large,
        target_texts=tuple(targets),
        arp_rounds=arp_rounds,
        ipv6=ipv6,
    )
