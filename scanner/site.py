"""The site file (praxis.toml): how the practice network should be.

Validated strictly: an unknown key is an error, not ignored, and every error names the file
and line (``praxis.toml:23: device 4 (EKG-PC): unknown key 'macc'``).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from scanner.errors import UsageError
from scanner.model import Host, Role
from scanner.oui import normalize_mac

ZONES = ("praxis", "medical", "ti", "guest", "server")
SIZES = {  # KBV/KZBV IT-Sicherheitsrichtlinie: which Anlagen apply (domain.md §1.1)
    "praxis": ("Anlage 1",),
    "mittlere-praxis": ("Anlage 1", "Anlage 2"),
    "grosspraxis": ("Anlage 1", "Anlage 2", "Anlage 3"),
}
SECURITY = ("open", "wep", "wpa", "owe", "wpa2", "wpa3")


class SiteError(UsageError):
    pass


@dataclass(frozen=True)
class Network:
    cidr: ipaddress.IPv4Network
    zone: str


@dataclass(frozen=True)
class Device:
    name: str
    role: Role
    mac: str | None = None
    ip: str | None = None
    hostname: str | None = None
    services: frozenset[str] | None = None  # "tcp/445", "udp/161"; None: not listed
    zones: tuple[str, ...] = ()

    def matches(self, host: Host) -> bool:
        if self.mac:
            return host.mac == self.mac
        if self.hostname:
            return any(n.lower() == self.hostname.lower() for n in host.hostnames)
        return host.ip == self.ip


@dataclass(frozen=True)
class Wlan:
    ssid: str
    zone: str
    min_security: str
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

    @property
    def anlagen(self) -> tuple[str, ...]:
        return SIZES[self.size]

    def device_for(self, host: Host) -> Device | None:
        return next((d for d in self.devices if d.matches(host)), None)

    def zone_of(self, ip: str) -> str | None:
        addr = ipaddress.IPv4Address(ip)
        hits = [n for n in self.networks if addr in n.cidr]
        return max(hits, key=lambda n: n.cidr.prefixlen).zone if hits else None


# -- loading ----------------------------------------------------------------------------------

_TOP = {"practice", "network", "device", "wlan", "acknowledged", "policy"}
_KEYS = {
    "practice": {"name", "size"},
    "network": {"cidr", "zone"},
    "device": {"name", "role", "mac", "ip", "hostname", "services", "zones", "note"},
    "wlan": {"ssid", "zone", "min_security", "bssids", "vendors"},
    "acknowledged": {"finding", "reason", "by", "until"},
}
_SERVICE = re.compile(r"^(tcp|udp)/\d{1,5}$")


def load_site(path: Path) -> Site:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError(f"{path}: no such site file") from None
    except UnicodeDecodeError:
        raise SiteError(f"{path}: not UTF-8 text") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SiteError(f"{path.name}: {e}") from None
    return _Parser(path.name, text).site(doc)


class _Parser:
    def __init__(self, fname: str, text: str) -> None:
        self.fname = fname
        self.lines = text.splitlines()

    def fail(self, message: str, table: str | None = None, index: int = 0,
             key: str | None = None) -> SiteError:
        return SiteError(f"{self.fname}:{self._line(table, index, key)}: {message}")

    def _line(self, table: str | None, index: int, key: str | None) -> int:
        """Where to point: the key's line inside the table's index-th occurrence."""
        if table is None:
            return 1
        headers = [i for i, line in enumerate(self.lines)
                   if re.match(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$", line)]
        if not headers:
            return 1
        start = headers[min(index, len(headers) - 1)]
        if key:
            for i in range(start + 1, len(self.lines)):
                if re.match(r"^\s*\[", self.lines[i]):
                    break
                if re.match(rf"^\s*{re.escape(key)}\s*=", self.lines[i]):
                    return i + 1
        return start + 1

    def site(self, doc: dict[str, Any]) -> Site:
        unknown = set(doc) - _TOP
        if unknown:
            raise self.fail(f"unknown section {sorted(unknown)[0]!r} (known: "
                            f"{', '.join(sorted(_TOP))})")
        practice = doc.get("practice")
        if not isinstance(practice, dict):
            raise self.fail("missing [practice] with name and size")
        self._keys("practice", 0, practice, "practice")
        size = practice.get("size", "praxis")
        if size not in SIZES:
            raise self.fail(f"practice size {size!r} is not one of {', '.join(SIZES)}",
                            "practice", 0, "size")
        networks = tuple(self._network(i, n) for i, n in enumerate(self._list(doc, "network")))
        devices = tuple(self._device(i, d) for i, d in enumerate(self._list(doc, "device")))
        self._no_duplicates(devices)
        wlans = tuple(self._wlan(i, w) for i, w in enumerate(self._list(doc, "wlan")))
        acks = tuple(self._ack(i, a) for i, a in enumerate(self._list(doc, "acknowledged")))
        policy = doc.get("policy", {})
        self._policy(policy)
        return Site(path=self.fname, name=str(practice.get("name", "")), size=size,
                    networks=networks, devices=devices, wlans=wlans, acknowledged=acks,
                    policy=policy)

    def _list(self, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
        value = doc.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{name} must be written as [[{name}]] tables", name)
        return value

    def _keys(self, table: str, i: int, d: dict[str, Any], label: str) -> None:
        unknown = set(d) - _KEYS[table]
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"{label}: unknown key {key!r} (known: "
                            f"{', '.join(sorted(_KEYS[table]))})", table, i, key)

    def _network(self, i: int, n: dict[str, Any]) -> Network:
        label = f"network {i + 1}"
        self._keys("network", i, n, label)
        try:
            cidr = ipaddress.IPv4Network(str(n.get("cidr", "")), strict=False)
        except ValueError as e:
            raise self.fail(f"{label}: cidr: {e}", "network", i, "cidr") from None
        zone = n.get("zone")
        if zone not in ZONES:
            raise self.fail(f"{label}: zone {zone!r} is not one of {', '.join(ZONES)}",
                            "network", i, "zone")
        return Network(cidr, zone)

    def _device(self, i: int, d: dict[str, Any]) -> Device:
        label = f"device {i + 1}" + (f" ({d['name']})" if "name" in d else "")
        self._keys("device", i, d, label)
        if "name" not in d:
            raise self.fail(f"{label}: needs a name", "device", i)
        if not any(k in d for k in ("mac", "ip", "hostname")):
            raise self.fail(f"{label}: needs mac, ip or hostname to be recognised", "device", i)
        try:
            role = Role(d.get("role", "unknown"))
        except ValueError:
            raise self.fail(f"{label}: role {d.get('role')!r} is not one of "
                            f"{', '.join(r.value for r in Role)}", "device", i, "role") from None
        mac = None
        if "mac" in d:
            mac = normalize_mac(str(d["mac"]))
            if mac is None:
                raise self.fail(f"{label}: mac {d['mac']!r} is not a MAC address",
                                "device", i, "mac")
        if "ip" in d:
            try:
                ipaddress.IPv4Address(str(d["ip"]))
            except ValueError:
                raise self.fail(f"{label}: ip {d['ip']!r} is not an IPv4 address",
                                "device", i, "ip") from None
        services = d.get("services", [])
        bad = [s for s in services if not isinstance(s, str) or not _SERVICE.match(s)]
        if bad:
            raise self.fail(f"{label}: service {bad[0]!r} must look like 'tcp/445'",
                            "device", i, "services")
        zones = tuple(d.get("zones", ()))
        if any(z not in ZONES for z in zones):
            raise self.fail(f"{label}: zones must be among {', '.join(ZONES)}",
                            "device", i, "zones")
        return Device(name=str(d["name"]), role=role, mac=mac, ip=d.get("ip"),
                      hostname=d.get("hostname"),
                      services=frozenset(services) if "services" in d else None, zones=zones)

    def _no_duplicates(self, devices: tuple[Device, ...]) -> None:
        seen: dict[str, int] = {}
        for i, d in enumerate(devices):
            ident = d.mac or d.ip or (d.hostname or "").lower()
            if ident in seen:
                raise self.fail(f"device {i + 1} ({d.name}): the same device as device "
                                f"{seen[ident] + 1} ({ident}): contradictory", "device", i)
            seen[ident] = i

    def _wlan(self, i: int, w: dict[str, Any]) -> Wlan:
        label = f"wlan {i + 1}"
        self._keys("wlan", i, w, label)
        if not w.get("ssid"):
            raise self.fail(f"{label}: needs an ssid", "wlan", i)
        if w.get("zone") not in ZONES:
            raise self.fail(f"{label}: zone must be one of {', '.join(ZONES)}", "wlan", i, "zone")
        sec = w.get("min_security", "wpa2")
        if sec not in SECURITY:
            raise self.fail(f"{label}: min_security must be one of {', '.join(SECURITY)}",
                            "wlan", i, "min_security")
        return Wlan(str(w["ssid"]), w["zone"], sec, tuple(w.get("bssids", ())),
                    tuple(str(v) for v in w.get("vendors", ())))

    def _ack(self, i: int, a: dict[str, Any]) -> Acknowledgement:
        label = f"acknowledged {i + 1}"
        self._keys("acknowledged", i, a, label)
        for key in ("finding", "reason", "by", "until"):
            if key not in a:
                raise self.fail(f"{label}: needs {key}", "acknowledged", i)
        if not isinstance(a["until"], date):
            raise self.fail(f"{label}: until must be a date like 2027-03-31",
                            "acknowledged", i, "until")
        return Acknowledgement(str(a["finding"]), str(a["reason"]), str(a["by"]), a["until"])

    def _policy(self, policy: Any) -> None:
        if not isinstance(policy, dict):
            raise self.fail("[policy] must be a table", "policy")
        unknown = set(policy) - {"role", "host"}
        if unknown:
            raise self.fail(f"policy: unknown key {sorted(unknown)[0]!r} (known: role, host)",
                            "policy")
        allowed = {"host_pps", "max_profile", "probes"}
        for scope in ("role", "host"):
            for name, d in policy.get(scope, {}).items():
                if scope == "role" and name not in {r.value for r in Role}:
                    raise self.fail(f"policy.role.{name}: not a role", f"policy.role.{name}")
                bad = set(d) - allowed
                if bad:
                    raise self.fail(f"policy.{scope}.{name}: unknown key {sorted(bad)[0]!r} "
                                    f"(known: {', '.join(sorted(allowed))})",
                                    f'policy.{scope}."{name}"' if scope == "host" else
                                    f"policy.{scope}.{name}")
