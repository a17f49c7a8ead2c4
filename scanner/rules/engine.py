"""Evaluate every exposure rule over a scan and the site file, into findings.

A rule is a small pure function registered with ``@rule(id)``: it gets a ``Context`` and
yields ``Hit``s (something to report) and ``NotTested`` entries (evidence it needed but the
scan does not have). The engine adds the catalog's texts, a stable fingerprint and the
site file's acknowledgements. Each rule runs guarded: one that raises is "not tested", the
others still report. Rules read typed evidence (ports, flags) only through
``Observation.number``/``flag``, which the model has validated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

from scanner.model import (Evidence, Finding, Host, Localized, NotTested, Observation, Protocol,
                           Role, Scan, Severity)
from scanner.site import Acknowledgement, Device, Site

CATALOG_FILE = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Hit:
    host: str | None  # the host's (or expected device's) identity key
    port: int | None
    evidence: tuple[Evidence, ...]  # templates of scanner/rules/evidence.py
    severity: Severity | None = None  # None: the catalog's default
    confidence: float = 1.0


@dataclass(frozen=True)
class Entry:
    id: str
    severity: Severity
    title: Localized
    explanation: Localized
    fix: Localized
    references: tuple[str, ...]  # as shown: the guideline's requirements first, then others
    guideline: tuple[str, ...] = ()  # requirement ids of guideline.toml ("A1-11")


@dataclass
class Context:
    """What the rules read. Lookups that would cost a pass over all hosts (networks, a
    host's network, its site device, a host by address) are computed once: evaluation
    stays near-linear in the number of hosts."""

    scan: Scan
    site: Site | None
    today: date
    reading: Host | None = None  # the host whose evidence a rule read last: named if it fails
    _zones: dict[str, str | None] = field(default_factory=dict)
    _nets: list[ipaddress.IPv4Network] | None = None
    _net_of: dict[str, frozenset[int]] = field(default_factory=dict)
    _devices: dict[int, Device | None] | None = None
    _by_ip: dict[str, Host] | None = None
    _seen: tuple[set[str], set[str], set[str]] | None = None  # MACs, names, IPs scanned
    _groups: dict[int, tuple[Sequence[Host], dict[frozenset[int], list[int]]]] = field(
        default_factory=dict)

    def device(self, host: Host) -> Device | None:
        self.reading = host
        if not self.site:
            return None
        if self._devices is None:
            self._devices = _device_index(self.site, self.scan.hosts)
        if id(host) in self._devices:
            return self._devices[id(host)]
        return self.site.device_for(host)

    def zone(self, host: Host) -> str | None:
        """The host's zone from the site file; None when no site file says."""
        self.reading = host
        if host.ip not in self._zones:
            try:
                self._zones[host.ip] = self.site.zone_of(host.ip) if self.site else None
            except ValueError:  # not an IPv4 address: in no zone
                self._zones[host.ip] = None
        return self._zones[host.ip]

    def observations(self, host: Host, kind: str) -> list[Observation]:
        self.reading = host
        return [o for o in host.observations if o.kind == kind]

    def each(self, kind: str) -> Iterator[tuple[Host, Observation]]:
        """Every observation of ``kind`` on every host, with its host."""
        for h in self.scan.hosts:
            for o in self.observations(h, kind):
                yield h, o

    def answered(self, device: Device) -> bool:
        """Whether any scanned host matches the site file's ``device`` (``Device.matches``)."""
        if self._seen is None:
            hosts = self.scan.hosts
            self._seen = ({h.mac for h in hosts if h.mac},
                          {n.lower() for h in hosts for n in h.hostnames}, {h.ip for h in hosts})
        macs, names, ips = self._seen
        if device.mac:
            return device.mac in macs
        if device.hostname:
            return device.hostname.lower() in names
        return device.ip in ips

    def host_at(self, ip: str | None) -> Host | None:
        if self._by_ip is None:
            self._by_ip = {}
            for h in self.scan.hosts:
                self._by_ip.setdefault(h.ip, h)
        return self._by_ip.get(ip or "")

    def open_tcp(self, host: Host) -> set[int]:
        return {s.port for s in host.services if s.protocol is Protocol.TCP}

    def same_network(self, a: Host, b: Host) -> bool:
        return bool(self._networks_of(a) & self._networks_of(b))

    def near(self, host: Host, among: Sequence[Host], limit: int = 5) -> tuple[list[Host], int]:
        """The first ``limit`` hosts of ``among`` (in its order) that share a network with
        ``host``, and how many do. Hosts are grouped once by the networks they are in, so
        asking for every host costs hosts x groups, not hosts x hosts."""
        if id(among) not in self._groups:
            groups: dict[frozenset[int], list[int]] = {}
            for i, other in enumerate(among):
                groups.setdefault(self._networks_of(other), []).append(i)
            self._groups[id(among)] = (among, groups)  # holding ``among`` keeps its id valid
        groups = self._groups[id(among)][1]
        mine = self._networks_of(host)
        hits = [g for nets, g in groups.items() if nets & mine]
        first = sorted(i for g in hits for i in g[:limit])[:limit]
        return [among[i] for i in first], sum(len(g) for g in hits)

    def _networks_of(self, host: Host) -> frozenset[int]:
        if host.ip not in self._net_of:
            try:
                addr = ipaddress.IPv4Address(host.ip)
            except ValueError:
                self._net_of[host.ip] = frozenset()
            else:
                self._net_of[host.ip] = frozenset(
                    i for i, n in enumerate(self.networks()) if addr in n)
        return self._net_of[host.ip]

    def networks(self) -> list[ipaddress.IPv4Network]:
        if self._nets is None:
            nets = [n.cidr for n in self.site.networks] if self.site else []
            for n in self.scan.scope.networks:
                try:
                    nets.append(ipaddress.IPv4Network(n))
                except ValueError:  # a hand-edited scan file: that network is no network
                    pass
            self._nets = nets
        return self._nets


def _device_index(site: Site, hosts: tuple[Host, ...]) -> dict[int, Device | None]:
    """``site.device_for`` for every host at once: the first listed device that matches
    (by MAC, else hostname, else IP, as ``Device.matches``), without hosts x devices."""
    by_mac: dict[str, int] = {}
    by_name: dict[str, int] = {}
    by_ip: dict[str, int] = {}
    for i, d in enumerate(site.devices):
        if d.mac:
            by_mac.setdefault(d.mac, i)
        elif d.hostname:
            by_name.setdefault(d.hostname.lower(), i)
        elif d.ip:
            by_ip.setdefault(d.ip, i)
    out: dict[int, Device | None] = {}  # by id(): hosts sharing a key may differ in IP
    for h in hosts:
        hits = [by_mac.get(h.mac or ""), by_ip.get(h.ip),
                *(by_name.get(n.lower()) for n in h.hostnames)]
        found = [i for i in hits if i is not None]
        out[id(h)] = site.devices[min(found)] if found else None
    return out


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


Check = Callable[[Context], Iterator["Hit | NotTested"]]
RULES: dict[str, Check] = {}


def rule(rule_id: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        RULES[rule_id] = fn
        return fn

    return register


@cache
def catalog() -> dict[str, Entry]:
    from scanner.rules.guideline import requirements

    doc = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    known = requirements()
    out = {}
    for rid, d in doc["rule"].items():
        cited = tuple(d.get("guideline", ()))
        unknown = [g for g in cited if g not in known]
        if unknown:
            raise ValueError(f"{CATALOG_FILE}: rule {rid}: unknown guideline requirement(s) "
                             f"{', '.join(unknown)}")
        out[rid] = Entry(rid, Severity(d["severity"]), Localized(**d["title"]),
                         Localized(**d["explanation"]), Localized(**d["fix"]),
                         tuple(known[g].citation() for g in cited) + tuple(d["references"]),
                         cited)
    return out


def guideline_rules() -> dict[str, tuple[str, ...]]:
    """Requirement id -> the rules that speak to it (the catalog read the other way)."""
    out: dict[str, list[str]] = {}
    for entry in catalog().values():
        for g in entry.guideline:
            out.setdefault(g, []).append(entry.id)
    return {g: tuple(rules) for g, rules in out.items()}


def fingerprint(rule_id: str, host: str | None, port: int | None) -> str:
    """No timestamps, no IP for MAC-keyed hosts: survives rescans and address changes."""
    # surrogatepass: a lone surrogate (from a hand-made scan file) must not end evaluation;
    # every other text encodes as before, so fingerprints stay what they were
    text = f"{rule_id}|{host or '-'}|{port or '-'}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def evaluate(scan: Scan, site: Site | None, today: date | None = None
             ) -> tuple[tuple[Finding, ...], tuple[NotTested, ...]]:
    from scanner.rules import checks, ipv6, lifecycle  # noqa: F401 - registers the rules

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


def role_confidence(host: Host) -> float:
    """How sure the role is: the site file's word or a classification's confidence."""
    if host.classified_role is not None:
        return 1.0  # the site file says so
    return host.classification.confidence if host.classification else 1.0
