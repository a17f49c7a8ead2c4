"""CSV inventory: one row per device, for spreadsheets and asset lists.

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab) are
prefixed with an apostrophe: host names and banners come from the network.
"""

from __future__ import annotations

import csv
import io

from scanner.model import Scan
from scanner.render.text import clean

COLUMNS = ("ip", "mac", "mac_vendor", "mac_randomized", "hostname", "role", "vendor", "product",
           "os", "confidence", "services", "findings")


def _cell(value: object) -> str:
    text = clean(value, 500)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


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
            findings.get(h.key, 0))])
    return buf.getvalue()
