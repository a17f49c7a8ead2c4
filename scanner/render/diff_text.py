"""A diff as text (terminal) and as JSON. Network text is cleaned like in every report."""

from __future__ import annotations

import json

from scanner.monitor.diff import Diff
from scanner.model import Scan
from scanner.text import clean, host_name


def _host(d: Diff, key: str) -> str:
    """'192.168.178.3 Switch Flur (GS1900-24E) (switch)': the practice's name first."""
    h = d.hosts.get(key)
    if h is None:
        return clean(key)
    return clean(f"{h.ip} {host_name(h, 80)} ({h.role.value})".replace("  ", " "), 100)


def diff_sections(d: Diff, lang: str = "de") -> list[tuple[str, list[str]]]:
    """(heading, lines) of every non-empty part, most important first; shared by text and HTML."""
    de = lang != "en"
    out: list[tuple[str, list[str]]] = []

    def section(title_de: str, title_en: str, lines: list[str]) -> None:
        if lines:
            out.append((title_de if de else title_en, lines))

    section("Neue Befunde", "New findings",
            [f"[{f.severity.value}] {clean(f.title.get(lang))} ({_host(d, f.host or '')}"
             f"{':' + str(f.port) if f.port else ''})" for f in d.new_findings])
    section("Neue Geräte", "New devices", [_host(d, h.key) + f" {clean(h.mac or '')}" for h in d.new_devices])
    section("Verschwundene Geräte", "Devices gone", [_host(d, h.key) for h in d.gone_devices])
    section("Umgezogen (neue IP)", "Moved (new IP)",
            [f"{_host(d, a.key)}: {clean(b.ip)} -> {clean(a.ip)}" for b, a in d.moved])
    section("Geöffnete Ports", "Ports opened",
            [f"{_host(d, k)} {s.protocol.value}/{s.port} {clean(s.name)}" for k, s in d.ports_opened])
    section("Geschlossene Ports", "Ports closed",
            [f"{_host(d, k)} {s.protocol.value}/{s.port} {clean(s.name)}" for k, s in d.ports_closed])
    section("Geänderte Dienste", "Changed services",
            [f"{_host(d, c.host)} {clean(c.protocol)}/{c.port}: {clean(c.before)} -> {clean(c.after)}"
             for c in d.service_changes])
    section("Behobene Befunde", "Resolved findings",
            [f"[{f.severity.value}] {clean(f.title.get(lang))} ({_host(d, f.host or '')})"
             for f in d.resolved_findings])
    return out


def render_diff_text(d: Diff, lang: str = "de") -> str:
    out: list[str] = []
    for title, lines in diff_sections(d, lang):
        out.append(f"{title} ({len(lines)}):")
        out.extend(f"  {line}" for line in lines)
    if not out:
        out.append("Keine Änderungen." if lang != "en" else "No changes.")
    return "\n".join(out) + "\n"


def scan_label(scan: Scan) -> str:
    """How a diff names its two sides."""
    return f"{scan.started_at.strftime('%Y-%m-%d %H:%M')} UTC, {len(scan.hosts)} hosts"


def render_diff_html(d: Diff, lang: str, old_label: str, new_label: str) -> str:
    from scanner.render.html import environment

    lang = "en" if lang == "en" else "de"
    from scanner.rules import evidence

    return environment().get_template("diff.html.j2").render(
        lang=lang, ev=lambda e: evidence.text(e, lang), sections=diff_sections(d, lang), new_findings=d.new_findings,
        who={k: _host(d, k) for k in d.hosts}, old=old_label, new=new_label, changed=not d.empty)


def render_diff_json(d: Diff) -> str:
    def host(h) -> dict:  # noqa: ANN001
        return {"key": h.key, "ip": h.ip, "mac": h.mac, "hostnames": list(h.hostnames),
                "site_name": h.site_name, "role": h.role.value}

    def svc(key: str, s) -> dict:  # noqa: ANN001
        return {"host": key, "port": s.port, "protocol": s.protocol.value, "name": s.name}

    def finding(f) -> dict:  # noqa: ANN001
        return {"rule": f.rule, "severity": f.severity.value, "host": f.host, "port": f.port,
                "fingerprint": f.fingerprint, "title": {"de": f.title.de, "en": f.title.en}}

    return json.dumps({
        "changed": not d.empty,
        "new_findings": [finding(f) for f in d.new_findings],
        "resolved_findings": [finding(f) for f in d.resolved_findings],
        "new_devices": [host(h) for h in d.new_devices],
        "gone_devices": [host(h) for h in d.gone_devices],
        "moved": [{"key": a.key, "from": b.ip, "to": a.ip} for b, a in d.moved],
        "ports_opened": [svc(k, s) for k, s in d.ports_opened],
        "ports_closed": [svc(k, s) for k, s in d.ports_closed],
        "service_changes": [{"host": c.host, "port": c.port, "protocol": c.protocol,
                             "before": c.before, "after": c.after} for c in d.service_changes],
    }, ensure_ascii=False, indent=2) + "\n"
