"""The owner's page: one overall rating and the few actions that matter most."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Finding, Scan, Severity

INBOUND_RULES = ("inbound-service", "upnp-port-mapping", "upnp-enabled", "router-remote-access")


@dataclass(frozen=True)
class Action:
    """One fix that closes every open finding of one rule."""

    rule: str
    severity: Severity
    title: str
    fix: str
    where: tuple[str, ...]  # affected devices/networks, as the findings name them


@dataclass(frozen=True)
class Rating:
    level: str  # "critical", "action", "improve", "good"
    text: str


RATINGS = {
    "de": {"critical": "Dringender Handlungsbedarf", "action": "Handlungsbedarf",
           "improve": "Verbesserungen empfohlen", "good": "Keine wesentlichen Schwachstellen gefunden",
           "incomplete": " (Scan unvollständig: Bewertung vorläufig)"},
    "en": {"critical": "Urgent action needed", "action": "Action needed",
           "improve": "Improvements recommended", "good": "No significant weaknesses found",
           "incomplete": " (scan incomplete: rating provisional)"},
}


def open_findings(scan: Scan) -> list[Finding]:
    return [f for f in scan.findings if not f.acknowledged]


def rating(scan: Scan, lang: str) -> Rating:
    words = RATINGS["en" if lang == "en" else "de"]
    worst = max((f.severity.rank for f in open_findings(scan)), default=-1)
    if worst >= Severity.CRITICAL.rank:
        level = "critical"
    elif worst >= Severity.HIGH.rank:
        level = "action"
    elif worst >= Severity.MEDIUM.rank:
        level = "improve"
    else:
        level = "good"
    return Rating(level, words[level] + ("" if scan.complete else words["incomplete"]))


def device_names(scan: Scan) -> dict[str, str]:
    """Host key -> 'Switch Flur (GS1900-24E), 192.168.178.3' or 'PVS-SERVER (192.168.178.10)':
    what a reader recognises, the practice's own name first."""
    from scanner.render.text import clean, host_name

    out = {}
    for h in scan.hosts:
        name = host_name(h, 70)
        if h.site_name:
            out[h.key] = f"{name}, {h.ip}"
        else:
            out[h.key] = f"{clean(h.hostnames[0], 40)} ({h.ip})" if h.hostnames else h.ip
    return out


def top_actions(scan: Scan, lang: str, limit: int = 5) -> list[Action]:
    """The open findings grouped by rule, worst first, then the ones touching most devices."""
    names = device_names(scan)
    groups: dict[str, list[Finding]] = {}
    for f in open_findings(scan):
        groups.setdefault(f.rule, []).append(f)
    actions = [
        Action(rule=rule, severity=max((f.severity for f in fs), key=lambda s: s.rank),
               title=fs[0].title.get(lang), fix=fs[0].fix.get(lang),
               where=tuple(dict.fromkeys(names.get(f.host, f.host) for f in fs if f.host)))
        for rule, fs in groups.items()
    ]
    actions.sort(key=lambda a: (-a.severity.rank, -len(a.where), a.rule))
    return actions[:limit]


def severity_counts(scan: Scan) -> dict[str, int]:
    counts = {s.value: 0 for s in sorted(Severity, key=lambda s: -s.rank)}
    for f in open_findings(scan):
        counts[f.severity.value] += 1
    return counts
