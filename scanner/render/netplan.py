"""Network plan for the report: the Internet on top, the router, the devices below it, a red
line for every device reachable from the Internet. With a site file that puts the devices
into two or more zones the columns are the zones; otherwise they are the device roles, framed
by the one zone they share when the site file names it (a flat network shows as one frame).
Only coordinates and plain strings come out of here; the template writes the SVG and escapes
every string."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scanner.model import Role, Scan
from scanner.render.summary import INBOUND_RULES, open_findings
from scanner.text import clean

GROUPS = (  # (id, roles, German, English)
    ("ti", (Role.KONNEKTOR, Role.CARD_TERMINAL), "TI", "TI"),
    ("server", (Role.PVS_SERVER, Role.SERVER, Role.NAS), "Server", "Servers"),
    ("work", (Role.WORKSTATION,), "Arbeitsplätze", "Workstations"),
    ("medical", (Role.MEDICAL_DEVICE,), "Medizingeräte", "Medical devices"),
    ("print", (Role.PRINTER,), "Drucker", "Printers"),
    ("phone", (Role.PBX, Role.VOIP_PHONE), "Telefonie", "Telephony"),
    ("facility", (Role.MANAGEMENT_CONTROLLER, Role.UPS, Role.CAMERA),
     "USV / BMC / Kameras", "UPS / BMC / cameras"),
    ("other", (Role.SMARTPHONE, Role.TABLET, Role.MEDIA, Role.IOT, Role.UNKNOWN),
     "Mobil / unbekannt", "Mobile / unknown"),
)
NETWORK_ROLES = (Role.ROUTER, Role.ACCESS_POINT, Role.SWITCH)
COL_W, BOX_W, BOX_H, GAP = 170, 150, 38, 8
TOP_INTERNET, TOP_NETWORK, TOP_GROUPS = 10, 90, 190
MAX_PER_GROUP = 12
ZONE_ORDER = ("ti", "server", "praxis", "medical", "guest")


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    line1: str
    line2: str
    severity: str  # worst open finding on the device, "" for none
    exposed: bool  # reachable from the Internet
    ipv6_global: bool = False  # holds a global IPv6 address: addressable from the Internet


@dataclass(frozen=True)
class Column:
    x: int
    y: int
    height: int
    label: str
    boxes: tuple[Box, ...]
    more: int


@dataclass(frozen=True)
class Plan:
    width: int
    height: int
    internet_x: int
    network: tuple[Box, ...]
    columns: tuple[Column, ...]
    exposed: tuple[Box, ...]  # boxes with a line to the Internet
    frame: str = ""  # the one zone every column lies in, when the site file says so
    ipv6: bool = False  # some device holds a global IPv6 address (the legend says what it means)


def plan(scan: Scan, lang: str, zone_of: Callable[[str], str | None] | None = None) -> Plan:
    worst: dict[str, int] = {}
    sev_name: dict[str, str] = {}
    exposed_keys: set[str] = set()
    for f in open_findings(scan):
        if f.host and f.severity.rank > worst.get(f.host, -1):
            worst[f.host], sev_name[f.host] = f.severity.rank, f.severity.value
        if f.rule in INBOUND_RULES and f.rule != "upnp-enabled" and f.host:
            exposed_keys.add(f.host)

    zones = ({h.key: zone_of(h.ip) for h in scan.hosts if h.role not in NETWORK_ROLES}
             if zone_of else {})
    by_zone = len(set(zones.values()) - {None}) >= 2

    def box(h, x: int, y: int) -> Box:  # noqa: ANN001 - Host
        network = h.hostnames[0] if h.hostnames else (h.product or h.vendor or h.mac_vendor or "")
        name = h.site_name or network  # the practice's name, the network's beside the address
        beside = network if h.site_name and network.lower() != h.site_name.lower() else ""
        second = " · ".join(x for x in (h.ip, beside, h.role.value if by_zone else "") if x)
        return Box(x, y, clean(name, 22) or "?", clean(second, 34), sev_name.get(h.key, ""),
                   h.key in exposed_keys, bool(h.global_ipv6))

    if by_zone:
        present = set(zones.values())
        order = [z for z in ZONE_ORDER if z in present] + sorted(
            z for z in present if z and z not in ZONE_ORDER) + ([None] if None in present else [])
        groups = [(z, (lambda h, z=z: zones.get(h.key, "-") == z),
                   f"Zone {z}" if z else "ohne Zone", f"zone {z}" if z else "no zone") for z in order]
    else:
        groups = [(g, (lambda h, roles=roles: h.role in roles), de, en)
                  for g, roles, de, en in GROUPS if any(h.role in roles for h in scan.hosts)]
    columns = []
    for i, (_, member, de, en) in enumerate(groups):
        x = 10 + i * COL_W
        members = sorted((h for h in scan.hosts if member(h) and h.role not in NETWORK_ROLES),
                         key=lambda h: (h.role.value, h.ip) if by_zone else h.ip)
        shown = members[:MAX_PER_GROUP]
        boxes = tuple(box(h, x + (COL_W - 10 - BOX_W) // 2, TOP_GROUPS + 28 + n * (BOX_H + GAP))
                      for n, h in enumerate(shown))
        height = 36 + len(shown) * (BOX_H + GAP) + (18 if len(members) > len(shown) else 0)
        columns.append(Column(x, TOP_GROUPS, height, en if lang == "en" else de, boxes,
                              len(members) - len(shown)))
    width = max(10 + len(groups) * COL_W, 3 * COL_W + 20)
    net_hosts = sorted((h for h in scan.hosts if h.role in NETWORK_ROLES), key=lambda h: h.ip)
    start = max(10, (width - len(net_hosts) * (BOX_W + GAP)) // 2)
    network = tuple(box(h, start + n * (BOX_W + GAP), TOP_NETWORK)
                    for n, h in enumerate(net_hosts[: max(1, width // (BOX_W + GAP))]))
    height = TOP_GROUPS + max((c.height for c in columns), default=0) + 20
    all_boxes = network + tuple(b for c in columns for b in c.boxes)
    shared = set(zones.values()) - {None}
    frame = f"Zone {next(iter(shared))}" if not by_zone and len(shared) == 1 else ""
    return Plan(width, height, width // 2, network, tuple(columns),
                tuple(b for b in all_boxes if b.exposed), frame,
                any(b.ipv6_global for b in all_boxes))
