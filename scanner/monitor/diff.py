"""What changed between two scans, keyed by device identity (MAC, then name, then IP).

A device whose IP changed is "moved", not removed and added (ndiff keys by IP and drowns
its users in noise). Changes are sorted by risk: new findings and new devices first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import Finding, Host, Scan, Service


@dataclass(frozen=True)
class ServiceChange:
    host: str
    port: int
    protocol: str
    before: str
    after: str


@dataclass(frozen=True)
class Diff:
    new_devices: tuple[Host, ...] = ()
    gone_devices: tuple[Host, ...] = ()
    moved: tuple[tuple[Host, Host], ...] = ()  # (before, after): same device, new address
    ports_opened: tuple[tuple[str, Service], ...] = ()  # (host key, service)
    ports_closed: tuple[tuple[str, Service], ...] = ()
    service_changes: tuple[ServiceChange, ...] = ()
    new_findings: tuple[Finding, ...] = ()
    resolved_findings: tuple[Finding, ...] = ()
    hosts: dict[str, Host] = field(default_factory=dict, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not any((self.new_devices, self.gone_devices, self.moved, self.ports_opened,
                        self.ports_closed, self.service_changes, self.new_findings,
                        self.resolved_findings))


def _label(s: Service) -> str:
    return " ".join(x for x in (s.name, s.product, s.version) if x)


def diff(old: Scan, new: Scan) -> Diff:
    before = {h.key: h for h in old.hosts}
    after = {h.key: h for h in new.hosts}
    opened, closed, changed = [], [], []
    for key in sorted(before.keys() & after.keys()):
        b = {(s.protocol.value, s.port): s for s in before[key].services}
        a = {(s.protocol.value, s.port): s for s in after[key].services}
        opened += [(key, a[p]) for p in sorted(a.keys() - b.keys())]
        closed += [(key, b[p]) for p in sorted(b.keys() - a.keys())]
        changed += [ServiceChange(key, p[1], p[0], _label(b[p]), _label(a[p]))
                    for p in sorted(a.keys() & b.keys()) if _label(a[p]) != _label(b[p])]
    old_f = {f.fingerprint: f for f in old.findings}
    new_f = {f.fingerprint: f for f in new.findings}
    risk = lambda f: (-f.severity.rank, f.rule, f.host or "")  # noqa: E731
    return Diff(
        new_devices=tuple(after[k] for k in sorted(after.keys() - before.keys())),
        gone_devices=tuple(before[k] for k in sorted(before.keys() - after.keys())),
        moved=tuple((before[k], after[k]) for k in sorted(before.keys() & after.keys())
                    if before[k].ip != after[k].ip),
        ports_opened=tuple(opened), ports_closed=tuple(closed), service_changes=tuple(changed),
        new_findings=tuple(sorted((new_f[k] for k in new_f.keys() - old_f.keys()), key=risk)),
        resolved_findings=tuple(sorted((old_f[k] for k in old_f.keys() - new_f.keys()), key=risk)),
        hosts={**before, **after},
    )

