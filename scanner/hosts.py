"""Merging what every stage learned about one address into a Host."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import Host, Observation, Protocol, SeenBy, Service, Source, host_key
from scanner.classification.oui import MacVendors, is_randomized
from scanner.portscan.nmap_scan import NmapHost
from scanner.text import clean

# Where a host's name comes from, most trusted first.
_NAME_SOURCES = (("netbios", "computer"), ("smb", "netbios_computer"), ("smb", "dns_computer"),
                 ("dhcp", "hostname"), ("mdns-host", "name"),
                 ("snmp", "sys_name"), ("sicct", "name"))

# Observations that only a listening UDP service produces: an answer to our question
# (probe) or what the device sent from its server port on its own (passive). Queries a
# device sends as a client (an SSDP M-SEARCH, a SICCT discovery request, a NetBIOS name
# registration) and SSDP NOTIFYs (sent from any port) tell nothing about a port that
# answers and are not counted.
_UDP_ANSWERS = {"snmp": (161, "snmp"), "sicct": (4742, "sicct"), "netbios": (137, "netbios-ns"),
                "mdns-service": (5353, "mdns"), "mdns-host": (5353, "mdns"),
                "mdns-hinfo": (5353, "mdns"), "ssdp": (1900, "ssdp"),
                "dhcp-server": (67, "dhcps"), "natpmp": (5351, "nat-pmp")}


@dataclass
class HostDraft:
    ip: str
    mac: str | None = None
    prescan_role: str = "default"
    observations: list[Observation] = field(default_factory=list)
    probed_services: list[Service] = field(default_factory=list)

    @property
    def key(self) -> str:
        return host_key(self.mac, (), self.ip)


def build_host(d: HostDraft, scanned: NmapHost | None, vendors: MacVendors) -> Host:
    mac = d.mac or (scanned.mac if scanned else None)
    return Host(
        ip=d.ip,
        mac=mac,
        mac_vendor=vendors.lookup(mac) if mac else None,
        mac_randomized=is_randomized(mac) if mac else False,
        hostnames=hostnames(d.observations),
        services=merge_services(scanned.services if scanned else (), d.probed_services,
                                d.observations),
        observations=unique(d.observations),
    )


def unique(observations: list[Observation]) -> tuple[Observation, ...]:
    """The first of each (source, kind, data): a repeated announcement adds nothing."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for o in observations:
        k = (o.source, o.kind, o.data)
        if k not in seen:
            seen.add(k)
            out.append(o)
    return tuple(out)


def hostnames(observations: list[Observation]) -> tuple[str, ...]:
    names: list[str] = []
    for kind, key in _NAME_SOURCES:
        for o in observations:
            if o.kind == kind:
                name = clean(o.get(key) or "", 64).strip()
                if name.endswith(".local"):
                    name = name[: -len(".local")]
                if name and name.lower() not in (n.lower() for n in names):
                    names.append(name)
    return tuple(names)


def merge_services(found: tuple[Service, ...], identified: list[Service],
                   observations: list[Observation] | tuple[Observation, ...] = ()
                   ) -> tuple[Service, ...]:
    """One entry per port that answered, with how it was seen.

    nmap says which ports are open; a probe's identification fills in name/product/version.
    UDP ports nmap did not scan (the quick profile scans none) but that answered a probe or
    were heard answering are added from the observations (see ``_UDP_ANSWERS``).
    """
    by_port = {(s.port, s.protocol): s for s in identified}
    out: dict[tuple[int, Protocol], Service] = {}
    for s in found:
        p = by_port.get((s.port, s.protocol))
        if p:
            s = Service(s.port, s.protocol, p.name or s.name, p.product or s.product,
                        p.version or s.version, p.extra_info or s.extra_info, SeenBy.NMAP)
        out.setdefault((s.port, s.protocol), s)
    # a probe's answer outranks what was only overheard
    for o in sorted(observations, key=lambda o: o.source is not Source.PROBE):
        answer = _UDP_ANSWERS.get(o.kind)
        # SSDP: only an answer to an M-SEARCH (sent to udp/1900) proves a listener there; a
        # NOTIFY may leave from any port and says nothing about 1900
        if answer is None or (o.kind == "ssdp" and o.get("message") != "response"):
            continue
        if o.get("address"):  # an answer over IPv6 (scanner/portscan/ipv6_stage.py): not IPv4's
            continue
        port, name = answer
        seen = SeenBy.PROBE if o.source is Source.PROBE else SeenBy.PASSIVE
        out.setdefault((port, Protocol.UDP), Service(port, Protocol.UDP, name, seen_by=seen))
    return tuple(sorted(out.values(), key=lambda s: (s.protocol.value, s.port)))
