"""Draft a site file from a scan, for the technician to review.

Every device is commented with its classification. A device the classifier calls a phone,
tablet or unknown (or that uses a random MAC) is never written as trusted: it appears
commented out, to be added by hand only if it really belongs to the practice.
"""

from __future__ import annotations

import json

from scanner.model import Host, Role, Scan
from scanner.text import clean, device_line

UNTRUSTED = (Role.SMARTPHONE, Role.TABLET, Role.UNKNOWN)


def _s(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; clean() removes newlines and
    # control characters, so a hostile name cannot break out of its string or comment.
    return json.dumps(clean(value, 80), ensure_ascii=False)


def _comment(text: str) -> str:
    # Every piece of scan text in a comment is cleaned one by one, and the line again as a
    # whole: a newline or control character here would start a live TOML line.
    return "# " + clean(text, 400)


def draft_site(scan: Scan, name: str = "Praxis", size: str = "praxis") -> str:
    out = [
        f"# Entwurf aus dem Scan vom {scan.started_at:%Y-%m-%d %H:%M} UTC: bitte jedes Gerät prüfen.",
        f"# Draft from the scan of {scan.started_at:%Y-%m-%d %H:%M} UTC: review every device.",
        "", "[practice]", f"name = {_s(name)}", f"size = {_s(size)}", "",
    ]
    for net in scan.scope.networks:
        out += ["[[network]]", f"cidr = {_s(net)}", 'zone = "praxis"', ""]
    for h in scan.hosts:
        out += _device(h) + [""]
    return "\n".join(out)


def _device(h: Host) -> list[str]:
    c = h.classification
    why = f"{c.confidence:.0%}, " + ", ".join(r.rule for r in c.reasons[:6]) if c else "no evidence"
    head = _comment(f"{clean(h.ip, 40)} {clean(h.hostnames[0], 40) if h.hostnames else ''}: "
                    f"{h.role.value} {device_line(h.vendor, h.product, h.os)} ({clean(why, 120)})")
    label = h.hostnames[0] if h.hostnames else f"{h.role.value} {h.ip}"
    ident = f"mac = {_s(h.mac)}" if h.mac and not h.mac_randomized else f"ip = {_s(h.ip)}"
    services = ", ".join(_s(f"{s.protocol.value}/{s.port}") for s in h.services)
    body = ["[[device]]", f"name = {_s(label)}", f"role = {_s(h.role.value)}", ident,
            f"services = [{services}]"]
    if h.role in UNTRUSTED or h.mac_randomized:
        reason = "random MAC" if h.mac_randomized else f"classified as {h.role.value}"
        return [head, f"# NICHT übernommen / NOT trusted ({reason}): only add it if it is a "
                      "practice device", *("# " + line for line in body)]
    return [head, *body]
