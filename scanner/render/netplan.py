"""Network plan for the report: devices grouped by role under the router, the Internet on top,
a red line for every device reachable from the Internet. Only coordinates and plain strings
come out of here; the template writes the SVG and escapes every string."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Role, Scan
from scanner.render.summary import INBOUND_RULES, open_findings
from scanner.render.text import clean

GROUPS = (  # (id, roles, German, English)
    ("ti", (Role.KONNEKTOR, Role.CARD_TERMINAL), "TI", "TI"),
    ("server", (Role.PVS_SERVER, Role.SERVER, Role.NAS), "Server", "Servers"),
    ("work", (Role.WORKSTATION,), "Arbeitsplätze", "Workstations"),
    ("medical", (Role.MEDICAL_DEVICE,), "Medizingeräte", "Medical devices"),
    ("print", (Role.PRINTER,), "Drucker", "Printers"),
    ("other", (Role.SMARTPHONE, Role.TABLET, Role.IOT, Role.UNKNOWN),
     "Mobil / unbekannt", "Mobile / unknown"),
)
NETWORK_ROLES = (Role.ROUTER, Role.ACCESS_POINT, Role.SWITCH)
COL_W, BOX_W, BOX_H, GAP = 170, 150, 38, 8
TOP_INTERNET, TOP_NETWORK, TOP_GROUPS = 10, 90, 190
MAX_PER_GROUP = 12


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    line1: str
    line2: str
    severity: str  # worst open finding on the device, "" for none
    exposed: bool  # reachable from the Internet


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


def plan(scan: Scan, lang: str) -> Plan:
    worst: dict[str, int] = {}
    sev_name: dict[str, str] = {}
    exposed_keys: set[str] = set()
    for f in open_findings(scan):
        if f.host and f.severity.rank > worst.get(f.host, -1):
            worst[f.host], sev_name[f.host] = f.severity.rank, f.severity.value
        if f.rule in INBOUND_RULES and f.rule != "upnp-enabled" and f.host:
            exposed_keys.add(f.host)

    def box(h, x: int, y: int) -> Box:  # noqa: ANN001 - Host
        name = h.hostnames[0] if h.hostnames else (h.product or h.vendor or h.mac_vendor or "")
        return Box(x, y, clean(name, 22) or "?", clean(h.ip, 22), sev_name.get(h.key, ""),
                   h.key in exposed_keys)

    columns = []
    groups = [g for g in GROUPS if any(h.role in g[1] for h in scan.hosts)]
    for i, (_, roles, de, en) in enumerate(groups):
        x = 10 + i * COL_W
        members = sorted((h for h in scan.hosts if h.role in roles), key=lambda h: h.ip)
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
    return Plan(width, height, width // 2, network, tuple(columns),
                tuple(b for b in all_boxes if b.exposed))
