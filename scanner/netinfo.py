"""The machine's interfaces: the one adapter over netifaces (the netifaces-plus fork)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from scanner.errors import InterfaceError


@dataclass(frozen=True)
class Interface:
    name: str
    mac: str | None
    addresses: tuple[ipaddress.IPv4Interface, ...]

    @property
    def networks(self) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(a.network for a in self.addresses)


def interfaces() -> list[Interface]:
    import netifaces  # the C extension loads only when a command needs it

    out = []
    for name in netifaces.interfaces():
        addrs = netifaces.ifaddresses(name)
        link = addrs.get(netifaces.AF_LINK, [{}])
        mac = (link[0].get("addr") or "").lower() or None
        v4 = []
        for a in addrs.get(netifaces.AF_INET, []):
            if "addr" in a and "netmask" in a:
                v4.append(ipaddress.IPv4Interface(f"{a['addr']}/{a['netmask']}"))
        out.append(Interface(name=name, mac=mac, addresses=tuple(v4)))
    return out


def interface(name: str) -> Interface:
    found = {i.name: i for i in interfaces()}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise InterfaceError(f"unknown interface {name!r} (this machine has: {known})")
    iface = found[name]
    if not iface.addresses:
        raise InterfaceError(f"interface {name!r} has no IPv4 address")
    return iface


def scannable_interfaces() -> list[Interface]:
    """Interfaces a scan without explicit targets would cover: up, IPv4, not loopback."""
    return [i for i in interfaces()
            if i.addresses and not any(a.ip.is_loopback for a in i.addresses)]


def interface_for(ip: ipaddress.IPv4Address, candidates: list[Interface]) -> Interface | None:
    """The interface whose subnet holds ``ip`` (where ARP reaches it), if any."""
    for iface in candidates:
        if any(ip in net for net in iface.networks):
            return iface
    return None


def ipv6_addresses(name: str) -> list[ipaddress.IPv6Interface]:
    """The IPv6 addresses of interface ``name`` (link-local ones without their zone)."""
    import netifaces

    try:
        found = netifaces.ifaddresses(name).get(netifaces.AF_INET6, [])
    except ValueError:  # no such interface
        return []
    out = []
    for a in found:
        addr = (a.get("addr") or "").split("%")[0]
        bits = str(a.get("netmask") or "/128").rsplit("/", 1)[-1]
        try:
            out.append(ipaddress.IPv6Interface(f"{addr}/{bits if bits.isdigit() else 128}"))
        except ValueError:
            continue
    return out
