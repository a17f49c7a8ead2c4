"""Evaluate every exposure rule over a scan and the site file, into findings.

The rules (scanner/rules/base.py: what a rule is) are the functions of scanner/rules/checks.py
and scanner/rules/lifecycle.py, registered when this module imports them. The engine adds
the catalog's texts, a stable fingerprint and the site file's acknowledgements. Each rule
runs guarded: one that raises is "not tested", the others still report. Rules read typed evidence (ports, flags) only through
``Observation.number``/``flag``, which the model has validated.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime

from scanner.model import Finding, NotTested, Role, Scan
from scanner.rules import checks, ipv6, lifecycle
from scanner.rules.base import RULES, Context, Entry, Hit, _device_index, catalog
from scanner.site import Acknowledgement, Site

# The modules whose @rule functions the engine runs (importing them registers them).
RULE_MODULES = (checks, lifecycle, ipv6)


def apply_site(scan: Scan, site: Site | None) -> Scan:
    """The site file's word on each host: its name, and its role where the site file gives
    one (the classifier's role is kept in ``classified_role``). A scan evaluated before
    against another site file (``praxisscan report --site``) first gets its own back, so the
    names and roles always follow the site file given now."""
    index = _device_index(site, scan.hosts) if site else {}
    hosts = []
    for h in scan.hosts:
        own = h.classified_role if h.classified_role is not None else h.role
        d = index.get(id(h))
        listed = d.role if d and d.role is not Role.UNKNOWN else None
        word = (d.name if d else None, listed or own, own if listed else None)
        if word == (h.site_name, h.role, h.classified_role):
            hosts.append(h)  # evaluated against this site file before: nothing changes
        else:
            hosts.append(dataclasses.replace(h, site_name=word[0], role=word[1],
                                             classified_role=word[2]))
    return dataclasses.replace(scan, hosts=tuple(hosts))


def apply_rules(scan: Scan, site: Site | None) -> Scan:
    """The exposure rules over a finished scan: findings, and what they could not test."""
    scan = apply_site(scan, site)  # the practice's names and roles, stored in the scan
    findings, gaps = evaluate(scan, site)
    # Evaluating again (a stored scan, a new site file) replaces the rules' own gaps.
    kept = tuple(n for n in scan.not_tested if n.check not in catalog())
    from scanner import knowledge  # the version knowledge the rules just judged with

    return dataclasses.replace(scan, findings=findings, not_tested=kept + gaps,
                               knowledge=knowledge.current().stamp())


def fingerprint(rule_id: str, host: str | None, port: int | None) -> str:
    """No timestamps, no IP for MAC-keyed hosts: survives rescans and address changes."""
    # surrogatepass: a lone surrogate (from a hand-made scan file) must not end evaluation;
    # every other text encodes as before, so fingerprints stay what they were
    text = f"{rule_id}|{host or '-'}|{port or '-'}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def evaluate(scan: Scan, site: Site | None, today: date | None = None
             ) -> tuple[tuple[Finding, ...], tuple[NotTested, ...]]:
    today = today.date() if isinstance(today, datetime) else today or date.today()
    ctx = Context(apply_site(scan, site), site, today)
    acks = {a.finding: a for a in site.acknowledged} if site else {}
    out = [item for entry in catalog().values() for item in _run(entry, ctx, acks)]
    findings = sorted((f for f in out if isinstance(f, Finding)),
                      key=lambda f: (-f.severity.rank, f.rule, f.host or "", f.port or 0))
    return tuple(findings), tuple(n for n in out if isinstance(n, NotTested))


def _run(entry: Entry, ctx: Context, acks: dict[str, Acknowledgement]
         ) -> list[Finding | NotTested]:
    """One rule, guarded: if it raises, what it yielded so far stands and the rest of it
    is "not tested" (for the host whose evidence it was reading), named by the exception's
    type only: its text may carry what a device sent."""
    out: list[Finding | NotTested] = []
    ctx.reading = None
    try:
        for item in RULES[entry.id](ctx):
            out.append(item if isinstance(item, NotTested) else _finding(entry, item, ctx, acks))
    except Exception as e:  # noqa: BLE001 - one rule must never lose the scan
        host = ctx.reading.key if ctx.reading else None
        out.append(NotTested(entry.id, f"the rule failed ({type(e).__name__}): "
                             "its result is incomplete", host))
    return out


def _finding(entry: Entry, hit: Hit, ctx: Context, acks: dict[str, Acknowledgement]) -> Finding:
    fp = fingerprint(entry.id, hit.host, hit.port)
    return Finding(rule=entry.id, severity=hit.severity or entry.severity, host=hit.host,
                   port=hit.port, title=entry.title, evidence=hit.evidence,
                   explanation=entry.explanation, fix=entry.fix, references=entry.references,
                   fingerprint=fp, acknowledged=_acknowledged(acks.get(fp), ctx.today),
                   confidence=hit.confidence)


def _acknowledged(ack: Acknowledgement | None, today: date) -> str:
    """The note of a still valid acknowledgement. ``until`` may be a date, a naive or an
    aware datetime (TOML has all three); anything else acknowledges nothing."""
    if ack is None:
        return ""
    until = ack.until.date() if isinstance(ack.until, datetime) else ack.until
    if not isinstance(until, date) or until < today:
        return ""
    return f"{ack.reason} ({ack.by}, bis/until {until.isoformat()})"
