"""The scan policy (scanner/policy.toml): rates, port profiles and probes per device role."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from scanner.ports import Profile

POLICY_FILE = Path(__file__).with_name("policy.toml")
_ORDER = [Profile.QUICK, Profile.STANDARD, Profile.DEEP]


@dataclass(frozen=True)
class RolePolicy:
    role: str
    host_pps: float
    max_profile: Profile
    probes: frozenset[str]

    def profile(self, requested: Profile) -> Profile:
        return min(requested, self.max_profile, key=_ORDER.index)


@dataclass(frozen=True)
class Policy:
    max_pps: float
    default: RolePolicy
    roles: dict[str, RolePolicy]
    vendor_hints: tuple[tuple[str, re.Pattern[str]], ...]
    port_hints: tuple[tuple[str, frozenset[int]], ...]
    hosts: dict[str, dict] = field(default_factory=dict)  # MAC or IP -> overrides

    def for_role(self, role: str) -> RolePolicy:
        return self.roles.get(role, self.default)

    def for_host(self, role: str, mac: str | None, ip: str) -> RolePolicy:
        """The role's policy, with the site file's overrides for this host applied."""
        base = self.for_role(role)
        override = self.hosts.get((mac or "").lower()) or self.hosts.get(ip)
        return _role(base.role, override, base) if override else base

    def with_overrides(self, overrides: dict) -> Policy:
        """The site file's [policy.role.X] and [policy.host."MAC or IP"] tables applied."""
        roles = dict(self.roles)
        for name, d in overrides.get("role", {}).items():
            roles[name] = _role(name, d, roles.get(name, self.default))
        hosts = {k.lower(): v for k, v in overrides.get("host", {}).items()}
        return replace(self, roles=roles, hosts={**self.hosts, **hosts})

    def prescan_role(self, mac_vendor: str | None, open_ports: set[int] = frozenset()) -> str:
        """The role a host is treated as before classification: the cautious guess."""
        for role, pattern in self.vendor_hints:
            if mac_vendor and pattern.search(mac_vendor):
                return role
        for role, ports in self.port_hints:
            if ports & open_ports:
                return role
        return "default"

    def describe(self) -> list[str]:
        lines = []
        for p in (self.default, *self.roles.values()):
            lines.append(f"  {p.role}: at most {p.host_pps:g} packets/s per host, ports up to "
                         f"profile {p.max_profile.value}, probes: {', '.join(sorted(p.probes))}")
        return lines


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    doc = tomllib.loads(path.read_text())
    default = _role("default", doc["default"], None)
    roles = {name: _role(name, d, default) for name, d in doc.get("role", {}).items()}
    pre = doc.get("prescan", {})
    return Policy(
        max_pps=float(doc["global"]["max_pps"]),
        default=default,
        roles=roles,
        vendor_hints=tuple((r, re.compile(p, re.IGNORECASE))
                           for r, p in pre.get("vendor", {}).items()),
        port_hints=tuple((r, frozenset(p)) for r, p in pre.get("ports", {}).items()),
    )


def _role(name: str, d: dict, base: RolePolicy | None) -> RolePolicy:
    return RolePolicy(
        role=name,
        host_pps=float(d.get("host_pps", base.host_pps if base else 40)),
        max_profile=Profile(d.get("max_profile", base.max_profile.value if base else "deep")),
        probes=frozenset(d.get("probes", base.probes if base else ())),
    )
