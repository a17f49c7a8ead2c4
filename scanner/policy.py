"""The scan policy (scanner/policy.toml): rates, port profiles and probes per device role.

Every value is checked when the file is read (type, range, known names), with ``file:line``;
a value that reached nmap or the probe runner unchecked could crash a scan after packets
were sent, or worse, send faster than a fragile device allows. A site file's overrides go
through the same checks and can only make a scan gentler (lower rate, smaller profile,
fewer probes), never above what this file allows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from scanner.errors import UsageError
from scanner.model import Role
from scanner.ports import Profile
from scanner.probes.table import NAMES
from scanner.tomlfile import line_of, load_toml

POLICY_FILE = Path(__file__).with_name("policy.toml")
MAX_POLICY_BYTES = 2**20
_ORDER = [Profile.QUICK, Profile.STANDARD, Profile.DEEP]
MIN_HOST_PPS = 1.0  # slower makes a port scan of one host take hours
MAX_GLOBAL_PPS = 10_000.0  # nmap --max-rate over all hosts; a practice LAN needs far less
KNOWN_PROBES = NAMES  # the probe table's names (scanner/probes/table.py)
ROLE_KEYS = ("host_pps", "max_profile", "probes")


class PolicyError(UsageError):
    """A policy file that cannot be used as written."""


@dataclass(frozen=True)
class RolePolicy:
    role: str
    host_pps: float
    max_profile: Profile
    probes: frozenset[str]

    def profile(self, requested: Profile) -> Profile:
        return min(requested, self.max_profile, key=_ORDER.index)

    def narrowed(self, overrides: dict[str, Any], role: str | None = None) -> RolePolicy:
        """This policy with overrides that can only lower it (the site file's)."""
        return RolePolicy(
            role=role or self.role,
            host_pps=min(self.host_pps, float(overrides.get("host_pps", self.host_pps))),
            max_profile=self.profile(Profile(overrides.get("max_profile",
                                                           self.max_profile.value))),
            probes=self.probes & frozenset(overrides.get("probes", self.probes)),
        )


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
        """The role's policy, narrowed by the site file's overrides for this host."""
        base = self.for_role(role)
        override = self.hosts.get((mac or "").lower()) or self.hosts.get(ip)
        return base.narrowed(override) if override else base

    def with_overrides(self, overrides: dict) -> Policy:
        """The site file's [policy.role.X] and [policy.host."MAC or IP"] tables applied."""
        roles = dict(self.roles)
        for name, d in overrides.get("role", {}).items():
            roles[name] = roles.get(name, self.default).narrowed(d, role=name)
        hosts = {k.lower(): v for k, v in overrides.get("host", {}).items()}
        return replace(self, roles=roles, hosts={**self.hosts, **hosts})

    def prescan_role(self, mac_vendor: str | None, open_ports: frozenset[int] | set[int] = frozenset()) -> str:
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
        for host, d in self.hosts.items():
            parts = ([f"at most {float(d['host_pps']):g} packets/s"] if "host_pps" in d else []) \
                + ([f"ports up to profile {d['max_profile']}"] if "max_profile" in d else []) \
                + ([f"probes: {', '.join(sorted(d['probes'])) or 'none'}"] if "probes" in d else [])
            lines.append(f"  host {host}: {', '.join(parts)} (never more than its role allows)")
        return lines


def role_values_problem(d: Any, label: str, *, max_pps: float, max_profile: Profile,
                        probes: frozenset[str] = KNOWN_PROBES) -> tuple[str | None, str] | None:
    """(key, problem) for the first unusable value of the role's table ``label``, None if all
    are fine. An unknown probe name leads its message (the typo a reader looks for first).

    The ceilings are what the table may ask for at most: the global rate and the deep profile
    in the policy file; the policy file's own values for a site file's override.
    """
    problem = _role_problem(d, max_pps=max_pps, max_profile=max_profile, probes=probes)
    if problem is None:
        return None
    key, message = problem
    if message.startswith("unknown probe"):
        return key, message.replace(" (known:", f" in {label} (known:", 1)
    return key, f"{label}: {message}"


def _role_problem(d: Any, *, max_pps: float, max_profile: Profile,
                  probes: frozenset[str]) -> tuple[str | None, str] | None:
    if not isinstance(d, dict):
        return None, "must be a table"
    unknown = sorted(set(d) - set(ROLE_KEYS))
    if unknown:
        return unknown[0], f"unknown key {unknown[0]!r} (known: {', '.join(ROLE_KEYS)})"
    if "host_pps" in d:
        v = d["host_pps"]
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not number or not math.isfinite(v) or not MIN_HOST_PPS <= v <= max_pps:
            return "host_pps", (f"host_pps {v!r} must be a number from {MIN_HOST_PPS:g} to "
                                f"{max_pps:g} (packets per second to one host)")
    if "max_profile" in d:
        allowed = [p.value for p in _ORDER[: _ORDER.index(max_profile) + 1]]
        if d["max_profile"] not in allowed or not isinstance(d["max_profile"], str):
            return "max_profile", (f"max_profile {d['max_profile']!r} is not one of "
                                   f"{', '.join(allowed)}")
    if "probes" in d:
        v = d["probes"]
        if not isinstance(v, list) or not all(isinstance(p, str) for p in v):
            return "probes", "probes must be a list of probe names like [\"dicom\", \"smb\"]"
        for p in v:
            if p not in KNOWN_PROBES:
                return "probes", (f"unknown probe {p!r} (known: "
                                  f"{', '.join(sorted(KNOWN_PROBES))})")
            if p not in probes:
                return "probes", (f"probe {p!r} is more than scanner/policy.toml allows here "
                                  f"({', '.join(sorted(probes))})")
    return None


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    doc, lines = load_toml(path, MAX_POLICY_BYTES, PolicyError, "policy file")

    def fail(message: str, table: str | None = None, key: str | None = None) -> PolicyError:
        return PolicyError(f"{path.name}:{line_of(lines, table, 0, key)}: {message}")

    unknown = sorted(set(doc) - {"global", "default", "role", "prescan"})
    if unknown:
        raise fail(f"unknown section {unknown[0]!r} (known: global, default, role, prescan)")
    glob = _table(doc, "global", fail, required=True)
    extra = sorted(set(glob) - {"max_pps"})
    if extra:
        raise fail(f"global: unknown key {extra[0]!r} (known: max_pps)", "global", extra[0])
    if "max_pps" not in glob:
        raise fail("[global] needs max_pps", "global")
    max_pps = glob["max_pps"]
    if isinstance(max_pps, bool) or not isinstance(max_pps, (int, float)) \
            or not math.isfinite(max_pps) or not MIN_HOST_PPS <= max_pps <= MAX_GLOBAL_PPS:
        raise fail(f"max_pps {max_pps!r} must be a number from {MIN_HOST_PPS:g} to "
                   f"{MAX_GLOBAL_PPS:g}", "global", "max_pps")
    raw_default = _table(doc, "default", fail, required=True)
    # without probes, the default role may run every probe of the table (a new probe's
    # entry there is enough), the roles below list what they allow
    missing = [k for k in ROLE_KEYS if k not in raw_default and k != "probes"]
    if missing:
        raise fail(f"[default] needs {', '.join(missing)}", "default")
    _role_values(raw_default, "default", "default", max_pps, fail)
    default = _role("default", raw_default, None)
    roles = {}
    for name, d in _table(doc, "role", fail).items():
        if name not in {r.value for r in Role}:
            raise fail(f"role.{name}: not a role", f"role.{name}")
        _role_values(d, f"role.{name}", f"role.{name}", max_pps, fail)
        roles[name] = _role(name, d, default)
    pre = _table(doc, "prescan", fail)
    if set(pre) - {"vendor", "ports"}:
        raise fail(f"prescan: unknown key {sorted(set(pre) - {'vendor', 'ports'})[0]!r} "
                   "(known: vendor, ports)", "prescan")
    return Policy(
        max_pps=float(max_pps),
        default=default,
        roles=roles,
        vendor_hints=tuple(_vendor_hints(_table(pre, "vendor", fail, "prescan.vendor"), fail)),
        port_hints=tuple(_port_hints(_table(pre, "ports", fail, "prescan.ports"), fail)),
    )


def _table(doc: dict[str, Any], key: str, fail: Any, name: str | None = None,
           required: bool = False) -> dict[str, Any]:
    name = name or key
    if key not in doc and required:
        raise fail(f"missing [{name}]")
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise fail(f"{name} must be a table [{name}]", name)
    return value


def _role_values(d: Any, label: str, table: str, max_pps: float, fail: Any) -> None:
    problem = role_values_problem(d, label, max_pps=max_pps, max_profile=Profile.DEEP)
    if problem:
        key, message = problem
        raise fail(message, table, key)


def _vendor_hints(d: dict[str, Any], fail: Any):
    for role, pattern in d.items():
        if role not in {r.value for r in Role}:
            raise fail(f"prescan.vendor: {role!r} is not a role", "prescan.vendor", role)
        if not isinstance(pattern, str):
            raise fail(f"prescan.vendor.{role} must be a regular expression string",
                       "prescan.vendor", role)
        try:
            yield role, re.compile(pattern, re.IGNORECASE)
        except re.error as e:
            raise fail(f"prescan.vendor.{role}: {e}", "prescan.vendor", role) from None


def _port_hints(d: dict[str, Any], fail: Any):
    for role, ports in d.items():
        if role not in {r.value for r in Role}:
            raise fail(f"prescan.ports: {role!r} is not a role", "prescan.ports", role)
        if not isinstance(ports, list) or not all(
                type(p) is int and 0 <= p <= 65535 for p in ports):
            raise fail(f"prescan.ports.{role} must be a list of port numbers (0-65535)",
                       "prescan.ports", role)
        yield role, frozenset(ports)


def _role(name: str, d: dict, base: RolePolicy | None) -> RolePolicy:
    return RolePolicy(
        role=name,
        host_pps=float(d.get("host_pps", base.host_pps if base else 40)),
        max_profile=Profile(d.get("max_profile", base.max_profile.value if base else "deep")),
        probes=frozenset(d.get("probes", base.probes if base else KNOWN_PROBES)),
    )
