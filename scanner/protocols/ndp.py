"""What one IPv6 Ethernet frame tells about the link: the adapter over scapy's IPv6 layers.

Router advertisements (prefixes, M/O flags, RDNSS, the router's link-local address),
neighbour solicitations and advertisements (including DAD probes), echo replies, DHCPv6,
mDNS AAAA records and LLMNR over IPv6. Every fact carries the sender's MAC, so that each
IPv6 address is tied to one device (RFC 4861 §4.1-4.4, §7.2; RFC 4862 §5.4; RFC 8415;
RFC 6762; RFC 4795).

``parse_frame`` is total: a truncated, bit-flipped or hostile frame gives fewer facts, never an
exception. Addresses are checked with ``ipaddress``; text is cut and cleaned.
"""

from __future__ import annotations

from typing import Any

import ipaddress
from dataclasses import dataclass

from scanner.text import clean

MAX_PREFIXES = 8  # per RA: more is noise or an attack
MAX_DNS = 4
MAX_AAAA = 8


@dataclass(frozen=True)
class Prefix:
    network: str  # e.g. "2001:db8:1:1::/64"
    on_link: bool
    autonomous: bool  # hosts form SLAAC addresses in it
    valid_lifetime: int


@dataclass(frozen=True)
class RouterAdvert:
    mac: str
    router: str  # the router's link-local address (RAs always come from one)
    managed: bool  # M: addresses by DHCPv6
    other: bool  # O: other configuration (DNS) by DHCPv6
    lifetime: int  # seconds as default router; 0: not a default router
    prefixes: tuple[Prefix, ...]
    dns: tuple[str, ...]  # RDNSS (RFC 8106)


@dataclass(frozen=True)
class Sighting:
    """``mac`` uses (or claims, by DAD) ``address``; ``how`` says which packet told."""

    mac: str
    address: str
    how: str  # "na", "ns", "dad", "echo-reply", "dhcpv6", "mdns", "llmnr", "traffic"
    name: str = ""  # the host name, where the packet gave one (mDNS AAAA)


Fact = RouterAdvert | Sighting


def parse_frame(raw: bytes) -> list[Fact]:
    """Every fact in one Ethernet frame; [] for anything that is not understood."""
    try:
        return _parse(raw)
    except Exception:  # noqa: BLE001 - scapy on hostile input can raise nearly anything
        return []


def _parse(raw: bytes) -> list[Fact]:
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    frame = Ether(raw)
    if IPv6 not in frame:
        return []
    mac = _mac(frame[Ether].src)
    ip6 = frame[IPv6]
    if mac is None:
        return []
    src = _unicast(ip6.src)
    nh = ip6.payload
    facts: list[Fact] = []
    name = type(nh).__name__
    if name == "ICMPv6ND_RA":
        ra = _router_advert(mac, ip6)
        if ra:
            facts.append(ra)
    elif name == "ICMPv6ND_NA":
        target = _unicast(nh.tgt)
        lladdr = _option_lladdr(nh, "ICMPv6NDOptDstLLAddr") or mac
        if target:
            facts.append(Sighting(lladdr, target, "na"))
    elif name == "ICMPv6ND_NS":
        target = _unicast(nh.tgt)
        if src is None and target:  # DAD: the sender is about to use the target address
            facts.append(Sighting(mac, target, "dad"))
        elif src:
            facts.append(Sighting(mac, src, "ns"))
    elif name == "ICMPv6EchoReply" and src:
        facts.append(Sighting(mac, src, "echo-reply"))
    udp = _udp(ip6)
    if udp is not None:
        sport, dport, payload = udp
        ports = {sport, dport}
        if ports & {546, 547} and src:
            facts.append(Sighting(mac, src, "dhcpv6"))
        elif 5353 in ports:
            facts.extend(_mdns_aaaa(mac, src, payload))
        elif 5355 in ports and src:
            facts.append(Sighting(mac, src, "llmnr"))
    if src and not any(isinstance(f, Sighting) and f.address == src for f in facts):
        facts.append(Sighting(mac, src, "traffic"))
    return facts


def _router_advert(mac: str, ip6: Any) -> RouterAdvert | None:  # scapy's IPv6 packet
    router = _unicast(ip6.src)
    if router is None or not ipaddress.IPv6Address(router).is_link_local:
        return None  # RFC 4861 §6.1.2: an RA from a non-link-local source is invalid
    ra = ip6.payload
    prefixes: list[Prefix] = []
    dns: list[str] = []
    opt = ra.payload
    for _ in range(64):  # options are a chain; a loop bound against crafted chains
        if opt is None or not opt or type(opt).__name__ in ("NoPayload", "Raw", "Padding"):
            break
        kind = type(opt).__name__
        if kind == "ICMPv6NDOptPrefixInfo" and len(prefixes) < MAX_PREFIXES:
            p = _prefix(opt)
            if p:
                prefixes.append(p)
        elif kind == "ICMPv6NDOptRDNSS":
            for a in list(opt.dns or ())[:MAX_DNS]:
                u = _unicast(a)
                if u and len(dns) < MAX_DNS:
                    dns.append(u)
        opt = opt.payload
    return RouterAdvert(mac=mac, router=router, managed=bool(ra.M), other=bool(ra.O),
                        lifetime=int(ra.routerlifetime), prefixes=tuple(prefixes),
                        dns=tuple(dns))


def _prefix(opt: Any) -> Prefix | None:
    try:
        length = int(opt.prefixlen)
        net = ipaddress.IPv6Network(f"{opt.prefix}/{length}", strict=False)
    except (ValueError, TypeError):
        return None
    if net.is_link_local or net.is_multicast or length == 0:
        return None
    return Prefix(str(net), bool(opt.L), bool(opt.A), int(opt.validlifetime))


def _option_lladdr(nh: Any, option: str) -> str | None:
    opt = nh.payload
    for _ in range(16):
        if opt is None or not opt:
            return None
        if type(opt).__name__ == option:
            return _mac(opt.lladdr)
        opt = opt.payload
    return None


def _udp(ip6: Any) -> tuple[int, int, bytes] | None:
    from scapy.layers.inet import UDP

    if UDP not in ip6:
        return None
    u = ip6[UDP]
    return int(u.sport), int(u.dport), bytes(u.payload)


def _mdns_aaaa(mac: str, src: str | None, payload: bytes) -> list[Sighting]:
    """A responder's AAAA records name its own addresses (RFC 6762 §6): tied to its MAC."""
    from scanner.protocols import mdns

    out: list[Sighting] = []
    for r in mdns.parse(payload):
        if r.kind != "AAAA" or len(out) >= MAX_AAAA:
            continue
        addr = _unicast(r.value)
        if addr:
            name = clean(r.name.rstrip("."), 64)
            out.append(Sighting(mac, addr, "mdns", name.removesuffix(".local")))
    if src and not any(s.address == src for s in out):
        out.append(Sighting(mac, src, "mdns"))
    return out


def _mac(value: object) -> str | None:
    text = str(value or "").lower()
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p)
                                  for p in parts):
        return None
    b0 = int(parts[0], 16)
    if b0 & 1 or text == "00:00:00:00:00:00":  # group address: not one device
        return None
    return text


def _unicast(value: object) -> str | None:
    """A unicast IPv6 address as text, else None (unspecified, multicast, loopback, junk)."""
    try:
        a = ipaddress.IPv6Address(str(value).split("%")[0])
    except ValueError:
        return None
    if a.is_unspecified or a.is_multicast or a.is_loopback or a.ipv4_mapped:
        return None
    return str(a)
