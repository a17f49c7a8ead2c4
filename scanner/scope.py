"""Scope guard: turn what the operator typed into networks, and refuse what is not allowed.

Targets are CIDRs (``192.168.178.0/24``), ranges (``192.168.178.10-20`` or
``192.168.178.10-192.168.178.20``), single addresses or host names. Public addresses and
scopes larger than a /16 need an explicit flag: a typo must not scan someone else.
"""

from __future__ import annotations

import ipaddress
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


def parse_target(text: str) -> Target:
    t = text.strip()
    if not t:
        raise TargetError("empty target")
    try:
        if "/" in t:
            return Target(t, (ipaddress.IPv4Network(t, strict=False),))
        if "-" in t and t[0].isdigit():
            return Target(t, tuple(_range(t)))
        return Target(t, (ipaddress.IPv4Network(t),))
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError) as e:
        if _looks_like_name(t):
            return Target(t, (_resolve(t),))
        raise TargetError(f"malformed target {text!r}: {e} (expected e.g. 192.168.178.0/24, "
                          "192.168.178.10-20 or a host name)") from None


def _range(t: str) -> list[IPv4Net]:
    start_s, end_s = (x.strip() for x in t.split("-", 1))
    start = ipaddress.IPv4Address(start_s)
    if end_s.isdigit():
        end = ipaddress.IPv4Address(start_s.rsplit(".", 1)[0] + "." + end_s)
    else:
        end = ipaddress.IPv4Address(end_s)
    if end < start:
        raise ValueError(f"range ends before it starts ({end} < {start})")
    return list(ipaddress.summarize_address_range(start, end))


def _looks_like_name(t: str) -> bool:
    return (not t[0].isdigit() or not t.replace(".", "").isdigit()) and all(
        c.isalnum() or c in "-._" for c in t)


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
