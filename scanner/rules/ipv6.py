"""The IPv6 exposure rules: a host firewall written for IPv4 only, and a router that lets
the Internet open its IPv6 firewall. IPv6 results reached from outside are ``inbound``
observations like IPv4 ones (scanner/external.py), judged by inbound-service."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.model import NotTested, Protocol
from scanner.rules.checks import _name, _who
from scanner.rules.base import Context, Hit, rule
from scanner.rules.evidence import make
from scanner.rules.myfritz import shares

Out = Iterator["Hit | NotTested"]


@rule("ipv6-firewall-gap")
def firewall_gap(ctx: Context) -> Out:
    """Open over IPv6, closed or filtered over IPv4, on the same device (keyed by MAC): TCP
    and UDP alike (over IPv4 a UDP port counts when nmap or one of our questions got an
    answer, as over IPv6)."""
    for h in ctx.scan.hosts:
        if not h.ipv6_services:
            continue
        over_ipv4 = {(s.protocol, s.port) for s in h.services}
        scanned = next((a.address for a in h.ipv6 if a.kind.value == "global"), None) or \
            next((a.address for a in h.ipv6), "?")
        for s in h.ipv6_services:
            if s.protocol in (Protocol.TCP, Protocol.UDP) and (s.protocol, s.port) not in over_ipv4:
                what = " ".join(x for x in (s.name, s.product, s.version) if x)
                key = "ipv6-open-ipv4-closed" if s.protocol is Protocol.TCP else \
                    "ipv6-udp-open-ipv4-closed"
                yield Hit(h.key, s.port, (make(key, port=s.port, address=scanned, what=what),
                                          _who(h)))


@rule("ipv6-inbound-open")
def inbound_open(ctx: Context) -> Out:
    """The router lets the Internet in over IPv6: its IGDv2 WANIPv6FirewallControl says the
    firewall is off or LAN devices may open pinholes (GetFirewallStatus; a FRITZ!Box answers
    for the asking device), or a MyFRITZ! share opens a device's port over IPv6 (TR-064)."""
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "upnp-ipv6-firewall"):
            enabled, allowed = o.flag("firewall_enabled"), o.flag("inbound_pinhole_allowed")
            if enabled is False:
                yield Hit(h.key, None, (make("ipv6-firewall-off"), _who(h)))
            elif allowed:
                yield Hit(h.key, None, (make("ipv6-pinholes-allowed",
                                             location=o.get("location", "")), _who(h)))
            break
    for s in shares(ctx):
        if s.over_ipv6:
            yield Hit(s.key, s.port, (
                make("myfritz-share-ipv6", router=_name(s.router), name=s.seen.get("name", "?"),
                     port=str(s.port or "?"), device=s.shown, ipv6=s.ipv6_shown),
                _who(s.device) if s.device else make("points-to", ip=s.shown)))
    audited = [h for h in ctx.scan.hosts if ctx.observations(h, "tr064-myfritz")]
    if audited and not _seen_from_outside_over_ipv6(ctx):
        yield NotTested("ipv6-inbound-open", "TR-064 tells the MyFRITZ! shares only: the "
                        "FRITZ!Box's plain IPv6 port shares and an IPv6 exposed host cannot be "
                        "read from it, so none listed proves nothing; only the outside-in check "
                        "over IPv6 shows them (praxisscan external --inside SCAN.json)",
                        audited[0].key)


def _seen_from_outside_over_ipv6(ctx: Context) -> bool:
    """Whether the scan holds the outside-in check's IPv6 results ("[2001:db8::1]:443")."""
    return any(o.get("external", "").startswith("[") for _, o in ctx.each("inbound"))
