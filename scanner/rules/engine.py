"""Evaluate every exposure rule over a scan and the site file, into findings.

A rule is a small pure function registered with ``@rule(id)``: it gets a ``Context`` and
yields ``Hit``s (something to report) and ``NotTested`` entries (evidence it needed but the
scan does not have). The engine adds the catalog's texts, a stable fingerprint and the
site file's acknowledgements.
"""

from __future__ import annotations

import hashlib
import ipaddress
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from scanner.model import Finding, Host, Localized, NotTested, Protocol, Scan, Severity
from scanner.site import Device, Site

CATALOG_FILE = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Hit:
    host: str | None  # the host's (or expected device's) identity key
    port: int | None
    evidence: tuple[str, ...]
    severity: Severity | None = None  # None: the catalog's default
    confidence: float = 1.0


@dataclass(frozen=True)
class Entry:
    id: str
    severity: Severity
    title: Localized
    explanation: Localized
    fix: Localized
    references: tuple[str, ...]


@dataclass
class Context:
    scan: Scan
    site: Site | None
    today: date
    _zones: dict[str, str | None] = field(default_factory=dict)

    def device(self, host: Host) -> Device | None:
        return self.site.device_for(host) if self.site else None

    def zone(self, host: Host) -> str | None:
        """The host's zone from the site file; None when no site file says."""
        if host.ip not in self._zones:
            self._zones[host.ip] = self.site.zone_of(host.ip) if self.site else None
        return self._zones[host.ip]

    def observations(self, host: Host, kind: str) -> list[dict[str, str]]:
        return [dict(o.data) for o in host.observations if o.kind == kind]

    def each(self, kind: str) -> Iterator[tuple[Host, dict[str, str]]]:
        """Every observation of ``kind`` on every host, with its host."""
        for h in self.scan.hosts:
            for o in self.observations(h, kind):
                yield h, o

    def open_tcp(self, host: Host) -> set[int]:
        return {s.port for s in host.services if s.protocol is Protocol.TCP}

    def same_network(self, a: Host, b: Host) -> bool:
        for net in self.networks():
            try:
                if ipaddress.IPv4Address(a.ip) in net and ipaddress.IPv4Address(b.ip) in net:
                    return True
            except ValueError:
                return False
        return False

    def networks(self) -> list[ipaddress.IPv4Network]:
        nets = [n.cidr for n in self.site.networks] if self.site else []
        nets += [ipaddress.IPv4Network(n) for n in self.scan.scope.networks]
        return nets


Check = Callable[[Context], Iterator["Hit | NotTested"]]
RULES: dict[str, Check] = {}


def rule(rule_id: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        RULES[rule_id] = fn
        return fn

    return register


@cache
def catalog() -> dict[str, Entry]:
    doc = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    out = {}
    for rid, d in doc["rule"].items():
        out[rid] = Entry(rid, Severity(d["severity"]), Localized(**d["title"]),
                         Localized(**d["explanation"]), Localized(**d["fix"]),
                         tuple(d["references"]))
    return out


def fingerprint(rule_id: str, host: str | None, port: int | None) -> str:
    """No timestamps, no IP for MAC-keyed hosts: survives rescans and address changes."""
    return hashlib.sha256(f"{rule_id}|{host or '-'}|{port or '-'}".encode()).hexdigest()[:16]


def evaluate(scan: Scan, site: Site | None, today: date | None = None
             ) -> tuple[tuple[Finding, ...], tuple[NotTested, ...]]:
    from scanner.rules import checks, lifecycle  # noqa: F401 - registers the rules

    ctx = Context(scan, site, today or date.today())
    findings: list[Finding] = []
    gaps: list[NotTested] = []
    acks = {a.finding: a for a in site.acknowledged} if site else {}
    for rid, entry in catalog().items():
        for item in RULES[rid](ctx):
            if isinstance(item, NotTested):
                gaps.append(item)
                continue
            fp = fingerprint(rid, item.host, item.port)
            ack = acks.get(fp)
            note = ""
            if ack and ack.until >= ctx.today:
                note = f"{ack.reason} ({ack.by}, bis/until {ack.until.isoformat()})"
            findings.append(Finding(
                rule=rid, severity=item.severity or entry.severity, host=item.host,
                port=item.port, title=entry.title, evidence=item.evidence,
                explanation=entry.explanation, fix=entry.fix, references=entry.references,
                fingerprint=fp, acknowledged=note, confidence=item.confidence))
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, f.host or "", f.port or 0))
    return tuple(findings), tuple(gaps)


def role_confidence(host: Host) -> float:
    """How sure the role is: the site file's word or a classification's confidence."""
    return host.classification.confidence if host.classification else 1.0
