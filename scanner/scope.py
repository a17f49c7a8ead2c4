"""Scope guard: turn what the operator typed into networks, and refuse what is not allowed.

Targets are CIDRs (``192.168.178.0/24``), ranges (``192.168.178.10-20`` or
``192.168.178.10-192.168.178.20``), single addresses or host names. Public addresses and
scopes larger than a /16 need an explicit flag: a typo must not scan someone else.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.errors import TargetError

IPv4Net = ipaddress.IPv4Network

# Private and local ranges a practice LAN can use. 100.64.0.0/10 (shared address space) is
# listed because a practice that uses it collides with the TI and must be scannable.
NON_PUBLIC = tuple(ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "100.64.0.0/10",
))
LARGE = 65536  # addresses in a /16


@dataclass(frozen=True)
class Target:
    text: str
    networks: tuple[IPv4Net, ...]


# A range starts with an address: never a host name, so a malformed range is an error of
# its own, not a DNS query.
_RANGE = re.compile(r"\s*[0-9]+(\.[0-9]*)+\s*-.*")
_DOTTED = re.compile(r"[0-9.]+")
EXAMPLES = "expected e.g. 192.168.178.0/24, 192.168.178.10-20 or a host name"


def parse_target(text: str) -> Target:
    t = text.strip()
    if not t:
        raise TargetError("empty target")
    if "/" in t:
        try:
            return Target(t, (ipaddress.IPv4Network(t, strict=False),))
        except ValueError as e:
            raise TargetError(f"malformed target {text!r}: {e} ({EXAMPLES})") from None
    if _RANGE.fullmatch(t):
        return Target(t, tuple(_range(text, t)))
    if _DOTTED.fullmatch(t):
        try:
            return Target(t, (ipaddress.IPv4Network(t),))
        except ValueError as e:
            raise TargetError(f"malformed target {text!r}: {e} ({EXAMPLES})") from None
    if _looks_like_name(t):
        return Target(t, (_resolve(t),))
    raise TargetError(f"malformed target {text!r} ({EXAMPLES})")


def _range(text: str, t: str) -> list[IPv4Net]:
    start_s, end_s = (x.strip() for x in t.split("-", 1))
    try:
        start = ipaddress.IPv4Address(start_s)
    except ValueError as e:
        raise TargetError(f"malformed target {text!r}: range start: {e}") from None
    if end_s.isdigit():
        if int(end_s) > 255 or len(end_s) > 3:
            raise TargetError(f"malformed target {text!r}: the range's last octet {end_s} is not "
                              "0-255 (write 192.168.178.10-20 or 192.168.178.10-192.168.179.20)")
        end = ipaddress.IPv4Address(int(start) & 0xFFFFFF00 | int(end_s))
    else:
        try:
            end = ipaddress.IPv4Address(end_s)
        except ValueError as e:
            raise TargetError(f"malformed target {text!r}: range end: {e}") from None
    if end < start:
        raise TargetError(f"malformed target {text!r}: the range ends before it starts "
                          f"({end} < {start})")
    return list(ipaddress.summarize_address_range(start, end))


def _looks_like_name(t: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-._") for c in t)


def _resolve(name: str) -> IPv4Net:
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise TargetError(f"cannot resolve target {name!r}: {e}") from None
    return ipaddress.IPv4Network(infos[0][4][0])


def is_public(net: IPv4Net) -> bool:
    return not any(net.subnet_of(block) for block in NON_PUBLIC)


def guard(targets: list[Target], *, allow_public: bool, allow_large: bool) -> list[IPv4Net]:
    """The networks to scan, or TargetError naming the flag that would allow them."""
    nets = list(ipaddress.collapse_addresses(n for t in targets for n in t.networks))
    if not nets:
        raise TargetError("no targets")
    if not allow_public:
        for t in targets:
            public = [n for n in t.networks if is_public(n)]
            if public:
                raise TargetError(f"target {t.text} ({public[0]}) is a public address range; "
                                  "scan only networks you are responsible for, and add "
                                  "--allow-public to confirm")
    size = sum(n.num_addresses for n in nets)
    if size > LARGE and not allow_large:
        raise TargetError(f"the targets cover {size:,} addresses, more than a /16; "
                          "add --allow-large to confirm")
    return nets


def host_addresses(nets: list[IPv4Net]) -> Iterator[ipaddress.IPv4Address]:
    """Every address worth probing: network and broadcast addresses left out."""
    for n in nets:
        if n.prefixlen >= 31:
            yield from n
        else:
            yield from n.hosts()


class OutOfScope(Exception):
    """An address derived from network input that the scope does not cover; not contacted."""


@dataclass(frozen=True)
class ScopeGuard:
    """The one check every address praxisscan contacts passes, whoever named it: the
    operator (targets) or the network (SSDP locations, UPnP control URLs, redirects).

    Only literal IPv4 host addresses inside the scanned networks; host names are refused, not
    resolved (a DNS query is a packet, and the answer is the network's word again); public
    addresses only with --allow-public, as for targets.
    """

    networks: tuple[IPv4Net, ...]
    allow_public: bool = False

    def refusal(self, host: object) -> str | None:
        """None when ``host`` may be contacted, else why not (one short clause)."""
        text = str(host)
        try:
            addr = ipaddress.IPv4Address(text)
        except ValueError:
            return f"{text[:64]!r} is not an IPv4 address (host names are not resolved)"
        if addr.is_unspecified or addr.is_multicast or addr == LIMITED_BROADCAST:
            return f"{addr} is not a host address"
        net = next((n for n in self.networks if addr in n), None)
        if net is None:
            return f"{addr} is outside the scanned networks"
        if net.prefixlen < 31 and addr in (net.network_address, net.broadcast_address):
            return f"{addr} is the network or broadcast address of {net}"
        if not self.allow_public and is_public(ipaddress.IPv4Network(addr)):
            return f"{addr} is a public address (no --allow-public)"
        return None

    def allows(self, host: object) -> bool:
        return self.refusal(host) is None

    def check(self, host: object) -> str:
        """``host`` as a canonical address, or OutOfScope with the reason."""
        why = self.refusal(host)
        if why:
            raise OutOfScope(why)
        return str(ipaddress.IPv4Address(str(host)))


LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


@dataclass(frozen=True)
class Ipv6Guard:
    """The scope for IPv6, whose addresses the operator never types: they are discovered.

    Link-local (fe80::/10) and unique local (fc00::/7) addresses are private, like the
    RFC 1918 ranges. A global unicast address is accepted only inside a prefix that the
    practice's own router announced on the scanned link (``prefixes``: from router
    advertisements sent by a host of the scan), otherwise refused without --allow-public.
    Everything else (multicast, loopback, unspecified, IPv4-mapped) is never contacted.
    """

    prefixes: tuple[ipaddress.IPv6Network, ...] = ()
    allow_public: bool = False

    def refusal(self, host: object) -> str | None:
        text = str(host).split("%", 1)[0]
        try:
            addr = ipaddress.IPv6Address(text)
        except ValueError:
            return f"{text[:64]!r} is not an IPv6 address"
        if addr.is_multicast or addr.is_unspecified or addr.is_loopback or addr.ipv4_mapped:
            return f"{addr} is not a host address"
        if addr.is_link_local or addr in UNIQUE_LOCAL:
            return None
        if addr not in GLOBAL_UNICAST:
            return f"{addr} is not a unicast address in use (outside 2000::/3)"
        if any(addr in p for p in self.prefixes):
            return None
        if self.allow_public:
            return None
        return (f"{addr} is a global address outside the prefixes the practice's router "
                "announced (no --allow-public)")

    def allows(self, host: object) -> bool:
        return self.refusal(host) is None
