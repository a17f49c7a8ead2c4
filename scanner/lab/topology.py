"""The lab practice's plan and ground truth, read from ``practice.toml``."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import LabError
from scanner.model import Role

PRACTICE_FILE = Path(__file__).with_name("practice.toml")


@dataclass(frozen=True)
class Daemon:
    kind: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Firewall:
    allow_tcp: tuple[int, ...]
    answer_ping: bool


@dataclass(frozen=True)
class Dhcp:
    hostname: str
    vendor_class: str


@dataclass(frozen=True)
class PortForward:
    proto: str
    port: int
    to: str
    to_port: int


@dataclass(frozen=True)
class UpnpMapping:
    proto: str
    external_port: int
    internal_port: int
    description: str


@dataclass(frozen=True)
class LabHost:
    name: str
    hostname: str
    role: Role
    ip: str
    mac: str
    tcp_open: tuple[int, ...]
    udp_open: tuple[int, ...]
    exposures: tuple[str, ...]
    daemons: tuple[Daemon, ...]
    firewall: Firewall | None = None
    dhcp: Dhcp | None = None
    port_forwards: tuple[PortForward, ...] = ()
    upnp_mappings: tuple[UpnpMapping, ...] = ()
    tr064: dict[str, Any] | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class Practice:
    subnet: ipaddress.IPv4Network
    wan_address: str
    internet_address: str
    scanner_ip: str
    scanner_mac: str
    hosts: tuple[LabHost, ...]

    @property
    def prefixlen(self) -> int:
        return self.subnet.prefixlen

    @property
    def router(self) -> LabHost:
        return next(h for h in self.hosts if h.role is Role.ROUTER)

    def host(self, name: str) -> LabHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"the lab has no host named {name!r}")


def load_practice(path: Path = PRACTICE_FILE) -> Practice:
    with path.open("rb") as f:
        doc = tomllib.load(f)
    net = doc["network"]
    subnet = ipaddress.IPv4Network(net["subnet"])
    hosts = tuple(_host(h, subnet) for h in doc["host"])
    names = [h.name for h in hosts]
    if len(set(names)) != len(names):
        raise LabError(f"{path}: duplicate host names")
    ips = [h.ip for h in hosts] + [net["scanner_ip"]]
    if len(set(ips)) != len(ips):
        raise LabError(f"{path}: duplicate IP addresses")
    return Practice(
        subnet=subnet,
        wan_address=net["wan_address"],
        internet_address=net["internet_address"],
        scanner_ip=net["scanner_ip"],
        scanner_mac=net["scanner_mac"],
        hosts=hosts,
    )


def _host(d: dict[str, Any], subnet: ipaddress.IPv4Network) -> LabHost:
    name = d["name"]
    # Interface names in the bridge namespace are the host names: at most 15 bytes.
    if len(name) > 15:
        raise LabError(f"lab host name {name!r} is longer than 15 characters")
    if ipaddress.IPv4Address(d["ip"]) not in subnet:
        raise LabError(f"lab host {name}: {d['ip']} is outside {subnet}")
    fw = d.get("firewall")
    dhcp = d.get("dhcp")
    return LabHost(
        name=name,
        hostname=d["hostname"],
        role=Role(d["role"]),
        ip=d["ip"],
        mac=d["mac"].lower(),
        tcp_open=tuple(d["tcp_open"]),
        udp_open=tuple(d["udp_open"]),
        exposures=tuple(d["exposures"]),
        daemons=tuple(
            Daemon(kind=x["kind"], params={k: v for k, v in x.items() if k != "kind"})
            for x in d["daemons"]
        ),
        firewall=Firewall(tuple(fw["allow_tcp"]), bool(fw["answer_ping"])) if fw else None,
        dhcp=Dhcp(dhcp["hostname"], dhcp["vendor_class"]) if dhcp else None,
        port_forwards=tuple(PortForward(**p) for p in d.get("port_forwards", ())),
        upnp_mappings=tuple(UpnpMapping(**m) for m in d.get("upnp_mappings", ())),
        tr064=d.get("tr064"),
    )
