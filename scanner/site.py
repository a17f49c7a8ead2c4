"""The site file (praxis.toml): how the practice network should be.

Validated strictly: an unknown key is an error, not ignored, and every error names the file
and line (``praxis.toml:23: device 4 (EKG-PC): unknown key 'macc'``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, overload

from scanner.errors import UsageError
from scanner.model import Host, Role, WlanSecurity, Zone
from scanner.classification.oui import normalize_mac
from scanner.policy import load_policy, role_values_problem
from scanner.ports import Profile
from scanner.practice_size import SIZES
from scanner.tomlfile import line_of, load_toml

ZONES = tuple(z.value for z in Zone)  # as the error messages list them
MAX_SITE_BYTES = 2**20  # a large practice's file is a few KiB
SECURITY = tuple(s.value for s in sorted(WlanSecurity, key=lambda s: s.rank))  # weakest first


class SiteError(UsageError):
    pass


@dataclass(frozen=True)
class Network:
    cidr: ipaddress.IPv4Network
    zone: Zone


@dataclass(frozen=True)
class Device:
    name: str
    role: Role
    mac: str | None = None
    ip: str | None = None
    hostname: str | None = None
    services: frozenset[str] | None = None  # "tcp/445", "udp/161"; None: not listed
    zones: tuple[Zone, ...] = ()

    def matches(self, host: Host) -> bool:
        if self.mac:
            return host.mac == self.mac
        if self.hostname:
            return any(n.lower() == self.hostname.lower() for n in host.hostnames)
        return host.ip == self.ip


@dataclass(frozen=True)
class Wlan:
    ssid: str
    zone: Zone
    min_security: WlanSecurity
    bssids: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()  # access-point makers, e.g. "AVM": another maker is a rogue


@dataclass(frozen=True)
class Acknowledgement:
    finding: str  # the finding's fingerprint
    reason: str
    by: str
    until: date


@dataclass(frozen=True)
class Site:
    path: str
    name: str
    size: str
    networks: tuple[Network, ...] = ()
    devices: tuple[Device, ...] = ()
    wlans: tuple[Wlan, ...] = ()
    acknowledged: tuple[Acknowledgement, ...] = ()
    policy: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Anlage 4 of the guideline binds practices that run large medical devices (CT, MRI ...)
    large_medical_devices: bool = False

    @property
    def anlagen(self) -> tuple[str, ...]:
        return SIZES[self.size]

    def device_for(self, host: Host) -> Device | None:
        return next((d for d in self.devices if d.matches(host)), None)

    def zone_of(self, ip: str) -> Zone | None:
        addr = ipaddress.IPv4Address(ip)
        hits = [n for n in self.networks if addr in n.cidr]
        return max(hits, key=lambda n: n.cidr.prefixlen).zone if hits else None


# -- loading ----------------------------------------------------------------------------------

_TOP = {"practice", "network", "device", "wlan", "acknowledged", "policy"}
_KEYS = {
    "practice": {"name", "size", "large_medical_devices"},
    "network": {"cidr", "zone"},
    "device": {"name", "role", "mac", "ip", "hostname", "services", "zones", "note"},
    "wlan": {"ssid", "zone", "min_security", "bssids", "vendors"},
    "acknowledged": {"finding", "reason", "by", "until"},
}
_SERVICE = re.compile(r"^(tcp|udp)/\d{1,5}\Z")
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}\Z")


def load_site(path: Path) -> Site:
    doc, lines = load_toml(path, MAX_SITE_BYTES, SiteError, "site file")
    return _Parser(path.name, lines).site(doc)


def _one_line(value: Any, limit: int = 60) -> str:
    """A name for an error message: control and bidi characters visible, cut."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Parser:
    def __init__(self, fname: str, lines: list[str]) -> None:
        self.fname = fname
        self.lines = lines

    def fail(self, message: str, table: str | None = None, index: int = 0,
             key: str | None = None) -> SiteError:
        return SiteError(f"{self.fname}:{line_of(self.lines, table, index, key)}: {message}")

    def site(self, doc: dict[str, Any]) -> Site:
        unknown = set(doc) - _TOP
        if unknown:
            name = sorted(unknown)[0]
            raise self.fail(f"unknown section {_one_line(name)!r} (known: "
                            f"{', '.join(sorted(_TOP))})", name)
        practice = doc.get("practice")
        if not isinstance(practice, dict):
            raise self.fail("missing [practice] with name and size")
        self._keys("practice", 0, practice, "practice")
        name = practice.get("name", "")
        if not isinstance(name, str):
            raise self.fail("practice name must be a string", "practice", 0, "name")
        size = practice.get("size", "praxis")
        if not isinstance(size, str) or size not in SIZES:
            raise self.fail(f"practice size {size!r} is not one of {', '.join(SIZES)}",
                            "practice", 0, "size")
        large = practice.get("large_medical_devices", False)
        if not isinstance(large, bool):
            raise self.fail(f"practice large_medical_devices must be true or false (no quotes), "
                            f"not {_one_line(repr(large))}", "practice", 0,
                            "large_medical_devices")
        networks = tuple(self._network(i, n) for i, n in enumerate(self._list(doc, "network")))
        devices = tuple(self._device(i, d) for i, d in enumerate(self._list(doc, "device")))
        self._no_duplicates(devices)
        wlans = tuple(self._wlan(i, w) for i, w in enumerate(self._list(doc, "wlan")))
        acks = tuple(self._ack(i, a) for i, a in enumerate(self._list(doc, "acknowledged")))
        policy = self._policy(doc.get("policy", {}))
        return Site(path=self.fname, name=name, size=size,
                    networks=networks, devices=devices, wlans=wlans, acknowledged=acks,
                    policy=policy, large_medical_devices=large)

    def _list(self, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
        value = doc.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{name} must be written as [[{name}]] tables", name)
        return value

    def _keys(self, table: str, i: int, d: dict[str, Any], label: str) -> None:
        unknown = set(d) - _KEYS[table]
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"{label}: unknown key {_one_line(key)!r} (known: "
                            f"{', '.join(sorted(_KEYS[table]))})", table, i, key)

    @overload
    def _text(self, table: str, i: int, d: dict[str, Any], key: str, label: str,
              required: Literal[True]) -> str: ...
    @overload
    def _text(self, table: str, i: int, d: dict[str, Any], key: str, label: str,
              required: bool = False) -> str | None: ...
    def _text(self, table: str, i: int, d: dict[str, Any], key: str, label: str,
              required: bool = False) -> str | None:
        """A non-empty string value, or None when the key is absent and not required."""
        if key not in d and not required:
            return None
        value = d.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{label}: {key} must be a non-empty string", table, i,
                            key if key in d else None)
        return value

    def _strings(self, table: str, i: int, d: dict[str, Any], key: str, label: str,
                 what: str) -> list[str]:
        """A list of non-empty strings; a bare string is refused, not split into letters."""
        value = d.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{label}: {key} must be a list of {what}", table, i, key)
        return value

    def _network(self, i: int, n: dict[str, Any]) -> Network:
        label = f"network {i + 1}"
        self._keys("network", i, n, label)
        if not isinstance(n.get("cidr"), str):
            raise self.fail(f"{label}: cidr must be a string like \"192.168.178.0/24\"",
                            "network", i, "cidr" if "cidr" in n else None)
        try:
            cidr = ipaddress.IPv4Network(n["cidr"], strict=False)
        except ValueError as e:
            raise self.fail(f"{label}: cidr: {_one_line(e, 120)}", "network", i, "cidr") from None
        zone = n.get("zone")
        if not isinstance(zone, str) or zone not in ZONES:
            raise self.fail(f"{label}: zone {zone!r} is not one of {', '.join(ZONES)}",
                            "network", i, "zone")
        return Network(cidr, Zone(zone))

    def _device(self, i: int, d: dict[str, Any]) -> Device:
        named = isinstance(d.get("name"), str) and d["name"].strip()
        label = f"device {i + 1}" + (f" ({_one_line(d['name'], 40)})" if named else "")
        self._keys("device", i, d, label)
        name = self._text("device", i, d, "name", label, required=True)
        if not any(k in d for k in ("mac", "ip", "hostname")):
            raise self.fail(f"{label}: needs mac, ip or hostname to be recognised", "device", i)
        role = d.get("role", "unknown")
        if not isinstance(role, str) or role not in {r.value for r in Role}:
            raise self.fail(f"{label}: role {role!r} is not one of "
                            f"{', '.join(r.value for r in Role)}", "device", i, "role")
        mac = None
        if "mac" in d:
            mac = normalize_mac(d["mac"]) if isinstance(d["mac"], str) else None
            if mac is None:
                raise self.fail(f"{label}: mac {d['mac']!r} is not a MAC address",
                                "device", i, "mac")
        ip = d.get("ip")
        if "ip" in d:
            try:
                ipaddress.IPv4Address(ip if isinstance(ip, str) else "-")
            except ValueError:
                raise self.fail(f"{label}: ip {ip!r} is not an IPv4 address",
                                "device", i, "ip") from None
        hostname = self._text("device", i, d, "hostname", label)
        services = self._strings("device", i, d, "services", label, "strings like 'tcp/445'")
        bad = [s for s in services if not _SERVICE.match(s) or int(s.split("/")[1]) > 65535]
        if bad:
            raise self.fail(f"{label}: service {bad[0]!r} must look like 'tcp/445'",
                            "device", i, "services")
        zones = self._strings("device", i, d, "zones", label, f"zones ({', '.join(ZONES)})")
        if any(z not in ZONES for z in zones):
            raise self.fail(f"{label}: zones must be among {', '.join(ZONES)}",
                            "device", i, "zones")
        if "note" in d and not isinstance(d["note"], str):
            raise self.fail(f"{label}: note must be a string", "device", i, "note")
        return Device(name=name, role=Role(role), mac=mac, ip=ip, hostname=hostname,
                      services=frozenset(services) if "services" in d else None,
                      zones=tuple(Zone(z) for z in zones))

    def _no_duplicates(self, devices: tuple[Device, ...]) -> None:
        seen: dict[str, int] = {}
        for i, d in enumerate(devices):
            ident = d.mac or d.ip or (d.hostname or "").lower()
            if ident in seen:
                raise self.fail(f"device {i + 1} ({_one_line(d.name, 40)}): the same device as "
                                f"device {seen[ident] + 1} ({_one_line(ident)}): contradictory",
                                "device", i)
            seen[ident] = i

    def _wlan(self, i: int, w: dict[str, Any]) -> Wlan:
        label = f"wlan {i + 1}"
        self._keys("wlan", i, w, label)
        ssid = self._text("wlan", i, w, "ssid", label, required=True)
        zone = w.get("zone")
        if not isinstance(zone, str) or zone not in ZONES:
            raise self.fail(f"{label}: zone must be one of {', '.join(ZONES)}", "wlan", i,
                            "zone" if "zone" in w else None)
        sec = w.get("min_security", "wpa2")
        if not isinstance(sec, str) or sec not in SECURITY:
            raise self.fail(f"{label}: min_security must be one of {', '.join(SECURITY)}",
                            "wlan", i, "min_security")
        bssids = self._strings("wlan", i, w, "bssids", label, "MAC addresses")
        bad = [b for b in bssids if not _MAC.match(b)]
        if bad:
            raise self.fail(f"{label}: bssids: {bad[0]!r} is not a MAC address", "wlan", i,
                            "bssids")
        vendors = self._strings("wlan", i, w, "vendors", label, "non-empty strings")
        return Wlan(ssid, Zone(zone), WlanSecurity(sec), tuple(b.lower().replace("-", ":") for b in bssids),
                    tuple(vendors))

    def _ack(self, i: int, a: dict[str, Any]) -> Acknowledgement:
        label = f"acknowledged {i + 1}"
        self._keys("acknowledged", i, a, label)
        for key in ("finding", "reason", "by", "until"):
            if key not in a:
                raise self.fail(f"{label}: needs {key}", "acknowledged", i)
        finding, reason, by = (self._text("acknowledged", i, a, k, label, required=True)
                               for k in ("finding", "reason", "by"))
        until = a["until"]
        # A TOML date only: a datetime (a date subclass) cannot be compared with the scan's
        # date, and "until 12:00 +02:00" promises a precision the rules do not have.
        if not isinstance(until, date) or isinstance(until, datetime):
            raise self.fail(f"{label}: until must be a date like 2027-03-31 (a TOML date: no "
                            f"time, no quotes), not {_one_line(until)!r}",
                            "acknowledged", i, "until")
        return Acknowledgement(finding, reason, by, until)

    def _policy(self, policy: Any) -> dict[str, Any]:
        """The [policy] overrides, checked against scanner/policy.toml: a site file can only
        make the scan gentler. Host keys come out normalised (MAC lower case with colons)."""
        if not isinstance(policy, dict):
            raise self.fail("[policy] must be a table", "policy")
        unknown = set(policy) - {"role", "host"}
        if unknown:
            raise self.fail(f"policy: unknown key {_one_line(sorted(unknown)[0])!r} "
                            "(known: role, host)", "policy")
        for scope in ("role", "host"):
            if not isinstance(policy.get(scope, {}), dict):
                raise self.fail(f"policy.{scope} must be a table", "policy")
        base = load_policy()
        roles: dict[str, Any] = {}
        for name, d in policy.get("role", {}).items():
            table = f"policy.role.{name}"
            if name not in {r.value for r in Role}:
                raise self.fail(f"{table}: not a role", table)
            cap = base.for_role(name)
            self._role_values(table, table, d, cap.host_pps, cap.max_profile, cap.probes)
            roles[name] = d
        hosts: dict[str, Any] = {}
        for name, d in policy.get("host", {}).items():
            label, table = f"policy.host.{_one_line(name)}", f'policy.host."{name}"'
            key = _host_key(name)
            if key is None:
                raise self.fail(f"{label}: not a MAC or IPv4 address", table)
            # The host's role is known only during the scan; there the override can only
            # narrow the role's policy (Policy.for_host). Here: at most the default's.
            cap = base.default
            self._role_values(label, table, d, cap.host_pps, Profile.DEEP, cap.probes)
            hosts[key] = d
        return {"role": roles, "host": hosts} if policy else {}

    def _role_values(self, label: str, table: str, d: Any, max_pps: float, max_profile: Profile,
                     probes: frozenset[str]) -> None:
        problem = role_values_problem(d, label, max_pps=max_pps, max_profile=max_profile,
                                      probes=probes)
        if problem:
            key, message = problem
            raise self.fail(message, table, 0, key)


def _host_key(name: str) -> str | None:
    if _MAC.match(name):
        return name.lower().replace("-", ":")
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        return None


