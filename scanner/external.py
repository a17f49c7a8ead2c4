"""Outside-in check: what the Internet reaches at the practice's public address.

Run from outside the practice (a technician's mobile hotspot): SYN-scan the public address,
identify what answers, and tie every open port to the inside host it reaches, by the same
TLS or RDP certificate seen from inside, else by the router's UPnP mapping for that port.
What it cannot see: ports the provider filters, services that answer only certain source
addresses, and anything behind an IPv6-only or CGNAT connection (no public IPv4).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone

from scanner import __version__
from scanner.errors import TargetError
from scanner.model import Host, Observation, Scan, Scope, Source
from scanner.observer import NullObserver, ScanObserver
from scanner.portscan.nmap_scan import NmapRun, nmap_binary
from scanner.ports import Profile, port_spec, tcp_ports
from scanner.probes.base import Target, is_tls
from scanner.probes.table import outside_in
from scanner.text import clean


@dataclass(frozen=True)
class Reachable:
    external_port: int
    label: str  # what answered, as far as the probes tell
    internal_host: str | None  # host key inside, when it could be tied
    internal_port: int | None
    method: str  # "certificate", "upnp-mapping" or ""


# Addresses that are no practice's Internet address, and what they are (the first that fits).
_NOT_PUBLIC = (
    (lambda a: a.is_unspecified, "the unspecified address"),
    (lambda a: a == ipaddress.IPv4Address("255.255.255.255"), "the broadcast address"),
    (lambda a: a.is_multicast, "a multicast address"),
    (lambda a: a.is_loopback, "a loopback address"),
    (lambda a: a.is_link_local, "a link-local address"),
    (lambda a: a in ipaddress.IPv4Network("100.64.0.0/10"),
     "a carrier-grade NAT address (shared address space): the Internet cannot reach it"),
    (lambda a: a.is_reserved, "a reserved address"),
    (lambda a: any(a in ipaddress.IPv4Network(n) for n in
                   ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")), "a private (LAN) address"),
    (lambda a: not a.is_global, "a special-purpose address (documentation, benchmarking, ...)"),
)


def public_address(text: str) -> str:
    """The practice's public IPv4 address for the outside-in check, or TargetError: from
    outside, only a global address is anybody's Internet side; a LAN address is scanned
    with ``praxisscan scan``."""
    try:
        addr = ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise TargetError(f"external needs one IPv4 address, not {text!r}") from None
    for test, what in _NOT_PUBLIC:
        if test(addr):
            raise TargetError(f"external checks the practice's public Internet address; {addr} "
                              f"is {what} (the LAN inside is checked with praxisscan scan)")
    return str(addr)


def check(address: str, inside: Scan | None, interface: str | None = None,
          observer: ScanObserver = NullObserver()) -> list[Reachable]:
    nmap_binary()
    found = NmapRun().scan([address], tcp_ports(Profile.STANDARD), interface, observer,
                           host_pps=40, max_pps=200)
    open_ports = [s.port for s in found[0].services] if found else []
    return [_identify(address, port, inside) for port in open_ports]


def _identify(address: str, port: int, inside: Scan | None) -> Reachable:
    obs = _probe(address, port)
    fingerprint = next((o.get("cert_sha256") for o in obs if o.get("cert_sha256")), None)
    label = _label(port, obs)
    if inside and fingerprint:
        for h in inside.hosts:
            for o in h.observations:
                if o.get("cert_sha256") == fingerprint:
                    return Reachable(port, label, h.key, int(o.get("port") or 0) or None,
                                     "certificate")
    if inside:
        for h in inside.hosts:
            for o in h.observations:
                if o.kind == "upnp-mapping" and o.get("external_port") == str(port):
                    target = next((x for x in inside.hosts if x.ip == o.get("internal_client")), None)
                    return Reachable(port, label, target.key if target else None,
                                     int(o.get("internal_port") or 0) or None, "upnp-mapping")
    return Reachable(port, label, None, None, "")


def _probe(address: str, port: int) -> list[Observation]:
    """The probe table's outside-in entries for the port (scanner/probes/table.py)."""
    out: list[Observation] = []
    for probe in outside_in(port, lambda: is_tls(address, port)):
        if probe.run is None:
            continue
        try:
            out.extend(probe.run(Target(address, port)).observations)
        except OSError:
            pass
    return out


def _label(port: int, obs: list[Observation]) -> str:
    for o in obs:
        text = o.get("title") or o.get("subject") or o.get("server") or o.get("text")
        if text:
            return clean(f"{o.kind}: {text}", 120)
    return f"tcp/{port}"


def merge(address: str, inside: Scan | None, reached: list[Reachable]) -> Scan:
    """The inside scan with 'inbound' observations on the hosts the Internet reaches."""
    now = datetime.now(timezone.utc)
    base = inside or Scan(started_at=now, finished_at=now, complete=True, tool_version=__version__,
                          scope=Scope(targets=(address,), networks=()))
    extra: dict[str | None, list[Observation]] = {}
    for r in reached:
        detail = (f"{address}:{r.external_port} -> "
                  + (f"{r.internal_host}:{r.internal_port}" if r.internal_host else "unknown inside host")
                  + (f" ({r.method})" if r.method else "") + f"; {r.label}")
        extra.setdefault(r.internal_host, []).append(Observation(
            Source.PROBE, "inbound",
            (("port", str(r.internal_port or r.external_port)), ("external", f"{address}:{r.external_port}"),
             ("method", r.method), ("detail", detail)), now))
    hosts = [dataclasses.replace(h, observations=h.observations + tuple(extra.pop(h.key, [])))
             for h in base.hosts]
    if extra:  # answered from outside, but no inside host could be named
        hosts.append(Host(ip=address, observations=tuple(o for obs in extra.values() for o in obs)))
    return dataclasses.replace(base, hosts=tuple(hosts), findings=())


def describe(address: str) -> list[str]:
    return [f"Outside-in check of {address}: TCP SYN to {len(tcp_ports(Profile.STANDARD))} ports "
            f"({port_spec(tcp_ports(Profile.STANDARD))[:60]}...) at most 40 packets/s, then "
            "TLS/RDP/SSH/HTTP identification of open ports; nothing else."]
