"""Outside-in check: what the Internet reaches at the practice's public address.

Run from outside the practice (a technician's mobile hotspot): SYN-scan the public address,
identify what answers, and tie every open port to the inside host it reaches, by the same
TLS or RDP certificate seen from inside, else by the router's UPnP mapping for that port.
What it cannot see: ports the provider filters, services that answer only certain source
addresses, and over IPv4 anything behind a DS-Lite or CGNAT connection (no public IPv4).

Over IPv6 there is no NAT: with ``--inside`` the global addresses the inside scan tied to each
device (by MAC) are scanned from outside too, and every open port belongs to the device
whose address answered, exactly, with no guessing. A FRITZ!Box IPv6 share, an "exposed host"
or a UPnP pinhole can only be seen this way (docs/ipv6.md §1.4, §9). Prefixes of consumer
lines may change: the inside scan should be recent.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone

from scanner import __version__
from scanner.errors import TargetError
from scanner.model import Host, NotTested, Observation, Scan, Scope, Source
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
    method: str  # "certificate", "upnp-mapping", "address" (IPv6: the device's own) or ""
    address: str = ""  # the address that answered, when not the one checked (IPv6)


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


GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def public_address(text: str) -> str:
    """The practice's public IPv4 or IPv6 address for the outside-in check, or TargetError:
    from outside, only a global address is anybody's Internet side; a LAN address is scanned
    with ``praxisscan scan``."""
    if ":" in text:
        return public_ipv6(text)
    try:
        addr = ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise TargetError(f"external needs one IPv4 or IPv6 address, not {text!r}") from None
    for test, what in _NOT_PUBLIC:
        if test(addr):
            raise TargetError(f"external checks the practice's public Internet address; {addr} "
                              f"is {what} (the LAN inside is checked with praxisscan scan)")
    return str(addr)


def public_ipv6(text: str) -> str:
    """A global unicast IPv6 address (2000::/3), or TargetError saying what it is instead."""
    try:
        addr = ipaddress.IPv6Address(text.strip().strip("[]"))
    except ValueError:
        raise TargetError(f"external needs one IPv4 or IPv6 address, not {text!r}") from None
    if addr not in GLOBAL_UNICAST or addr.ipv4_mapped:
        what = ("a link-local address" if addr.is_link_local else
                "a unique local (LAN) address" if addr in ipaddress.IPv6Network("fc00::/7") else
                "a multicast address" if addr.is_multicast else "not a global unicast address")
        raise TargetError(f"external checks addresses the Internet can reach; {addr} is {what} "
                          "(the LAN inside is checked with praxisscan scan)")
    return str(addr)


def inside_ipv6(inside: Scan | None) -> list[tuple[str, str]]:
    """(host key, address) of every stable global IPv6 address the inside scan found.
    Temporary addresses change daily and a FRITZ!Box share names the stable interface ID:
    they are not checked (said in the report)."""
    out = []
    for h in inside.hosts if inside else ():
        for a in h.ipv6:
            if a.kind.value == "global":
                try:
                    out.append((h.key, public_ipv6(a.address)))
                except TargetError:
                    continue  # a scan file's address outside 2000::/3 is not contacted
    return out


def check(address: str, inside: Scan | None, interface: str | None = None,
          observer: ScanObserver = NullObserver()) -> list[Reachable]:
    nmap_binary()
    found = NmapRun().scan([address], tcp_ports(Profile.STANDARD), interface, observer,
                           host_pps=40, max_pps=200, ipv6=":" in address)
    open_ports = [s.port for s in found[0].services] if found else []
    owner = dict((a, k) for k, a in inside_ipv6(inside)).get(address)
    if owner:  # IPv6: the address is the device's own
        return [dataclasses.replace(_identify(address, port, None), internal_host=owner,
                                    internal_port=port, method="address") for port in open_ports]
    return [_identify(address, port, inside) for port in open_ports]


def check_inside_ipv6(inside: Scan, interface: str | None = None,
                      observer: ScanObserver = NullObserver()) -> list[Reachable]:
    """Every stable global IPv6 address of the inside scan, from outside, in one nmap run
    (each address at most 40 packets/s); each open port tied to the address's device."""
    targets = inside_ipv6(inside)
    if not targets:
        return []
    nmap_binary()
    # One nmap per address, side by side: nmap's --scan-delay paces a whole host group, so
    # one run over all addresses would take their sum; each address at most 40 packets/s.
    from concurrent.futures import ThreadPoolExecutor

    def one(address: str) -> list:  # noqa: ANN001
        return NmapRun().scan([address], tcp_ports(Profile.STANDARD), interface, observer,
                              host_pps=40, max_pps=40, ipv6=True)

    with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
        found = [h for hosts in pool.map(one, [a for _, a in targets]) for h in hosts]
    owner = {a: k for k, a in targets}
    out = []
    for h in found:
        addr = str(ipaddress.IPv6Address(h.ip.split("%")[0]))
        for s in h.services:
            r = _identify(addr, s.port, None)
            out.append(dataclasses.replace(r, internal_host=owner.get(addr),
                                           internal_port=s.port, method="address",
                                           address=addr))
    return out


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
        shown = f"[{r.address}]" if r.address else f"[{address}]" if ":" in address else address
        detail = (f"{shown}:{r.external_port} -> "
                  + (f"{r.internal_host}:{r.internal_port}" if r.internal_host else "unknown inside host")
                  + (f" ({r.method})" if r.method else "") + f"; {r.label}")
        extra.setdefault(r.internal_host, []).append(Observation(
            Source.PROBE, "inbound",
            (("port", str(r.internal_port or r.external_port)), ("external", f"{shown}:{r.external_port}"),
             ("method", r.method), ("detail", detail)), now))
    hosts = [dataclasses.replace(h, observations=h.observations + tuple(extra.pop(h.key, [])))
             for h in base.hosts]
    if extra:  # answered from outside, but no inside host could be named
        hosts.append(Host(ip=address, observations=tuple(o for obs in extra.values() for o in obs)))
    return dataclasses.replace(base, hosts=tuple(hosts), findings=())


def describe(address: str | None, inside: Scan | None = None) -> list[str]:
    lines = []
    if address:
        lines.append(f"Outside-in check of {address}: TCP SYN to {len(tcp_ports(Profile.STANDARD))} "
                     f"ports ({port_spec(tcp_ports(Profile.STANDARD))[:60]}...) at most 40 packets/s, "
                     "then TLS/RDP/SSH/HTTP identification of open ports; nothing else.")
    v6 = inside_ipv6(inside)
    if v6:
        lines.append(f"IPv6: the same TCP SYN scan of the {len(v6)} stable global IPv6 addresses "
                     "of the inside scan's devices, each at most 40 packets/s, and the same "
                     "identification of their open ports: "
                     + ", ".join(a for _, a in v6[:8]) + (" ..." if len(v6) > 8 else ""))
    return lines


def gaps(address: str | None, inside: Scan | None) -> tuple[NotTested, ...]:
    """What this outside-in check could not look at, said in the report."""
    from scanner.rules.line import internet_line

    out = []
    if address is None or ":" in address:
        line = internet_line(inside) if inside else None
        out.append(NotTested("external-ipv4", "DS-Lite: the line has no public IPv4 address, so "
                             "nothing reaches the practice over IPv4; only the IPv6 check was done"
                             if line == "ds-lite" else
                             "no public IPv4 address given: only the IPv6 check was done"))
    if inside is not None:
        temporary = sum(1 for h in inside.hosts for a in h.ipv6 if a.kind.value == "temporary")
        if not inside_ipv6(inside):
            out.append(NotTested("external-ipv6", "the inside scan found no global IPv6 address"
                                 " to check from outside"))
        elif temporary:
            out.append(NotTested("external-ipv6", f"{temporary} temporary (privacy) IPv6 "
                                 "addresses not checked: they change daily"))
    return tuple(out)
