"""The owner's page: one overall rating and the few actions that matter most."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.rules.line import internet_line
from scanner.model import Finding, Scan, Severity
from scanner.rules.base import rules_in

INBOUND_RULES = rules_in("inbound")  # catalog.toml's category


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
    from scanner.text import clean, host_name

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


KNOWLEDGE = {
    "de": {"title": "Versionswissen", "line": "Versionswissen vom {date} ({age})", "days": "{n} Tage alt", "day": "1 Tag alt",
           "newer": "jünger als der Scan", "installed": ", per Update installiert",
           "later": "Später veröffentlichte Supportenden und ausgenutzte Schwachstellen kennt dieser Scan nicht."},
    "en": {"title": "Version knowledge", "line": "Version knowledge of {date} ({age})", "days": "{n} days old", "day": "1 day old",
           "newer": "newer than the scan", "installed": ", installed by update",
           "later": "End-of-support dates and exploited vulnerabilities published later are unknown to this scan."},
}


def knowledge_line(scan: Scan, lang: str) -> str | None:
    """How old the version knowledge was on the day of the scan; None for scans judged
    before it existed. A stored scan judged again later may be older than its knowledge."""
    k = scan.knowledge
    if k is None:
        return None
    words = KNOWLEDGE["en" if lang == "en" else "de"]
    days = (scan.started_at.date() - k.date).days
    age = words["newer"] if days < 0 else words["day"] if days == 1 else words["days"].format(n=days)
    shown = k.date.isoformat() if lang == "en" else k.date.strftime("%d.%m.%Y")
    return (words["line"].format(date=shown, age=age)
            + (words["installed"] if k.origin == "installed" else ""))


def knowledge_words(lang: str) -> dict[str, str]:
    return KNOWLEDGE["en" if lang == "en" else "de"]


LINE = {
    "de": {
        "dual-stack": "Internetanschluss: Dual-Stack (öffentliche IPv4-Adresse und IPv6). Über IPv6 "
                      "gibt es kein NAT: {n} Geräte mit globaler IPv6-Adresse sind aus dem Internet "
                      "direkt adressierbar, geschützt nur von der IPv6-Firewall des Routers.",
        "ds-lite": "Internetanschluss: DS-Lite (keine öffentliche IPv4-Adresse, IPv4 teilt sich die "
                   "Praxis mit anderen Kunden des Anbieters). Aus dem Internet ist die Praxis nur "
                   "über IPv6 erreichbar: {n} Geräte mit globaler IPv6-Adresse; IPv4-Portfreigaben "
                   "wirken nicht, die Prüfung von außen muss über IPv6 laufen.",
        "ipv4-only": "Internetanschluss: nur IPv4 (im Praxisnetz kündigt kein Router ein globales "
                     "IPv6-Präfix an).",
    },
    "en": {
        "dual-stack": "Internet line: dual stack (a public IPv4 address and IPv6). IPv6 has no "
                      "NAT: {n} devices with a global IPv6 address are directly addressable from "
                      "the Internet, protected only by the router's IPv6 firewall.",
        "ds-lite": "Internet line: DS-Lite (no public IPv4 address; the practice shares IPv4 with "
                   "other customers of the provider). From the Internet the practice is reachable "
                   "over IPv6 only: {n} devices with a global IPv6 address; IPv4 port shares do "
                   "not work, and the outside-in check has to use IPv6.",
        "ipv4-only": "Internet line: IPv4 only (no router announces a global IPv6 prefix in the "
                     "practice network).",
    },
}


def internet_line_text(scan: Scan, lang: str) -> str | None:
    kind = internet_line(scan)
    if kind is None:
        return None
    n = sum(1 for h in scan.hosts if h.global_ipv6)
    return LINE["en" if lang == "en" else "de"][kind].format(n=n)
