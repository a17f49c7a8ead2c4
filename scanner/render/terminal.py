"""Terminal report with rich. Network text goes in as rich ``Text``: never parsed as markup."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.model import Scan
from scanner.render import summary
from scanner.render.labels import labels
from scanner.render.summary import device_names
from scanner.text import clean, host_device_line, host_name, wlan_cells
from scanner.rules.evidence import text as evidence_text


def render_terminal(scan: Scan, lang: str = "de", color: bool = False, width: int = 120) -> str:
    L = labels(lang)
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, emoji=False, markup=False)
    services = sum(len(h.services) for h in scan.hosts)
    if not scan.complete:
        console.print(Text(L["incomplete"], style="bold red"))
    console.print(Text(L["summary"].format(hosts=len(scan.hosts), services=services,
                                           findings=len(scan.findings)), style="bold"))
    if known := summary.knowledge_line(scan, lang):
        console.print(Text(known, style="dim"))
    if line := summary.internet_line_text(scan, lang):
        console.print(Text(line))
    if scan.hosts or scan.wlans is None:
        console.print(_hosts_table(scan, L))
    if scan.wlans is not None:
        console.print(_wlan_table(scan, L))
    console.print(Text(f"{L['findings']}: {len(scan.findings) or L['no_findings']}", style="bold"))
    who = device_names(scan)
    for f in sorted(scan.findings, key=lambda f: -f.severity.rank):
        ack = f" [{L['acknowledged']}: {clean(f.acknowledged, 120)}]" if f.acknowledged else ""
        console.print(Text(f"[{f.severity.value}] {clean(f.title.get(lang))} "
                           f"({clean(who.get(f.host or '', f.host or ''), 100)}"
                           f"{':' + str(f.port) if f.port else ''}){ack}"))
        for e in f.evidence[:2]:
            console.print(Text(f"    {clean(evidence_text(e, lang), 200)}", style="dim"))
    if scan.not_tested:
        console.print(Text(L["not_tested"] + ":", style="bold"))
        for n in scan.not_tested:
            console.print(Text(f"  - {clean(n.check)}: {clean(n.reason, 300)}"))
    return buf.getvalue()


def _wlan_table(scan: Scan, L: dict[str, str]) -> Table:
    table = Table(title=L["wlans"])
    keys = ("ssid", "bssid", "vendor", "channel", "signal", "security", "wps")
    for key in keys:
        table.add_column(L[key] if key != "vendor" else L["vendor"],
                         no_wrap=key == "bssid", overflow="fold")
    for w in scan.wlans or ():
        cells = wlan_cells(w, L)
        table.add_row(*(Text(cells[k]) for k in keys))
    return table


def _hosts_table(scan: Scan, L: dict[str, str]) -> Table:
    table = Table(title=L["hosts"], show_lines=False)
    # Addresses are read and copied: they never wrap.
    table.add_column(L["ip"], no_wrap=True, min_width=15)
    table.add_column(L["name"], overflow="fold")
    table.add_column(L["mac"], no_wrap=True, min_width=17)
    for col in (L["vendor"], L["role"], L["device"], L["services"]):
        table.add_column(col, overflow="fold")
    for h in scan.hosts:
        vendor = clean(h.mac_vendor or (L["randomized"] if h.mac_randomized else ""), 40)
        svc = ", ".join(
            clean(f"{s.port}/{s.protocol.value} {s.name} {s.product} {s.version}".strip(), 60)
            for s in h.services) or "-"
        table.add_row(Text(clean(h.ip)), Text(host_name(h, 40)),
                      Text(clean(h.mac or "")), Text(vendor),
                      Text(clean(h.role.value)), Text(host_device_line(h)), Text(svc))
    return table
