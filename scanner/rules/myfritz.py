"""The FRITZ!Box's MyFRITZ! shares (read over TR-064), tied to the LAN devices they open.

A share names its device by MAC, IPv6 addresses, IPv6 interface IDs and IPv4 addresses, as
the router knows it. The device is looked up in that order: the MAC is the device's identity
in a scan, an address may have moved to another device since (DHCP, privacy addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.model import Host, Observation
from scanner.rules.base import Context

KIND = "tr064-myfritz-share"  # scanner/probes/tr064_myfritz.py
LOW64 = 2**64 - 1


@dataclass(frozen=True)
class Share:
    router: Host
    seen: Observation
    device: Host | None  # the scanned host it opens, when one matches

    @property
    def port(self) -> int | None:
        return self.seen.number("port") or None

    def words(self, key: str) -> tuple[str, ...]:
        return tuple(w for w in self.seen.get(key, "").split(", ") if w)

    @property
    def over_ipv6(self) -> bool:
        """The router opens it over IPv6: it names the device's IPv6 addresses or IDs."""
        return bool(self.words("ipv6") or self.words("ipv6_iids"))

    @property
    def key(self) -> str:
        """The device's identity key; for a device the scan did not see, the router's word."""
        if self.device is not None:
            return self.device.key
        if self.seen.get("mac"):
            return f"mac:{self.seen.get('mac')}"
        first = (self.words("ipv4") or self.words("ipv6") or ("?",))[0]
        return f"ip:{first}"

    @property
    def shown(self) -> str:
        """The device as the router names it, for the evidence line."""
        s = self.seen
        return s.get("hostname") or s.get("mac") or (self.words("ipv4") or ("?",))[0]

    @property
    def ipv6_shown(self) -> str:
        return ", ".join(self.words("ipv6")) or ", ".join(
            f"interface ID {i}" for i in self.words("ipv6_iids"))


def shares(ctx: Context) -> Iterator[Share]:
    """Every switched-on MyFRITZ! share in the scan, with its device."""
    for h, o in ctx.each(KIND):
        if o.flag("enabled"):
            yield Share(h, o, device_of(ctx.scan.hosts, o))


def device_of(hosts: tuple[Host, ...], o: Observation) -> Host | None:
    mac = (o.get("mac") or "").lower()
    if mac:
        for h in hosts:
            if (h.mac or "").lower() == mac:
                return h
    words = lambda key: [w for w in o.get(key, "").split(", ") if w]  # noqa: E731
    v6 = set(words("ipv6"))
    for h in hosts:
        if v6 & {a.address for a in h.ipv6}:
            return h
    iids = {int(ipaddress.IPv6Address(i)) for i in words("ipv6_iids") if _is_v6(i)}
    for h in hosts:
        # a share binds to the stable interface ID, never to a temporary (privacy) one
        if iids & {int(ipaddress.IPv6Address(a.address)) & LOW64 for a in h.ipv6
                   if a.kind.value != "temporary"}:
            return h
    v4 = set(words("ipv4"))
    return next((h for h in hosts if h.ip in v4), None)


def _is_v6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
