"""CSV inventory: one row per device, for spreadsheets and asset lists.

Cells that a spreadsheet would run as a formula are defused with an apostrophe: host names
and banners come from the network. The file is comma-separated, but German Excel reads ';' and
others split on tabs, so every part of a cell after a ',', ';' or tab counts as the start of
a field too (OWASP "CSV Injection"): each part that starts with = + - @ (after spaces or
quotes) gets the apostrophe in front.
"""

from __future__ import annotations

import csv
import io
import re

from scanner.model import Scan
from scanner.text import clean

COLUMNS = ("ip", "mac", "mac_vendor", "mac_randomized", "hostname", "role", "vendor", "product",
           "os", "confidence", "services", "findings", "site_name", "classified_role", "ipv6",
           "ipv6_services")


# the start of the cell or of a part after a separator, then what a spreadsheet reads as a formula
_FORMULA = re.compile(r"(^|[,;\t])(?=[ \"]*[=+\-@\t\r])")


def _cell(value: object) -> str:
    return _FORMULA.sub(r"\1'", clean(value, 500))


def render_csv(scan: Scan) -> str:
    findings: dict[str | None, int] = {}
    for f in scan.findings:
        findings[f.host] = findings.get(f.host, 0) + 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for h in scan.hosts:
        w.writerow([_cell(v) for v in (
            h.ip, h.mac or "", h.mac_vendor or "", "yes" if h.mac_randomized else "no",
            h.hostnames[0] if h.hostnames else "", h.role.value, h.vendor or "", h.product or "",
            h.os or "", f"{h.classification.confidence:.2f}" if h.classification else "",
            " ".join(f"{s.protocol.value}/{s.port}" for s in h.services),
            findings.get(h.key, 0), h.site_name or "",
            h.classified_role.value if h.classified_role else "",
            " ".join(f"{a.address} ({a.kind.value})" for a in h.ipv6),
            " ".join(f"{s.protocol.value}/{s.port}" for s in h.ipv6_services))])
    return buf.getvalue()
