"""The scan's IPv6 side: discovery on each scanned link, the scope, and each host's IPv6 pass.

The pipeline calls it at four points (start, after ARP, per host after its IPv4 scan, when
merging). IPv6 addresses are tied to the hosts ARP found, by MAC; a device that answers over
IPv6 only (no IPv4 address in the scope) is counted and said, not scanned.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from scanner.discovery.ipv6 import Ipv6Discovery, LinkView
from scanner.model import AddressKind, Host, Ipv6Address, NotTested, Observation, Service, Source
from scanner.portscan import ipv6_pass
from scanner.portscan.nmap_scan import NmapRun
from scanner.probes.base import RateWindow
from scanner.probes.registry import jobs_for, probe_host
from scanner.protocols.ndp import RouterAdvert
from scanner.scope import Ipv6Guard

ANSWER_WAIT = 0.5  # after the guesses: replies to unicast echoes on the LAN take ms
LISTED_DEVICES = 8  # IPv6-only devices named in the note; the rest are counted
LISTED_ADDRESSES = 3  # per device: enough to find it (global, ULA, link-local first)


class Ipv6Stage:
    def __init__(self, interfaces: list, allow_public: bool) -> None:  # noqa: ANN001
        self.discoveries = [Ipv6Discovery(i) for i in interfaces]
        self.allow_public = allow_public
        self.views: list[LinkView] = []
        self.addresses: dict[str, tuple[Ipv6Address, ...]] = {}  # by IPv4 address
        self.targets: dict[str, str] = {}  # IPv4 address -> the IPv6 address scanned
        self.zoned: dict[str, str] = {}  # the same, with its zone (link-local): to connect to
        self.interface_of: dict[str, str] = {}  # IPv4 address -> the link it was found on
        self.services: dict[str, tuple[Service, ...]] = {}
        self.guard = Ipv6Guard((), allow_public)
        self.not_tested: list[NotTested] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen from the beginning, and ask the link at once (answers come during ARP)."""
        for d in self.discoveries:
            d.start()
            if d.error is None:
                d.ask()
            if d.error:
                self.not_tested.append(NotTested("ipv6-discovery", d.error))

    def after_arp(self, by_mac: dict[str, str], drafts: dict,  # noqa: ANN001
                  vendor: Callable[[str], str | None] = lambda _mac: None) -> None:
        """Guess the stable addresses, then tie what was learned to the ARP-found hosts.
        ``vendor`` names a MAC's manufacturer for the note on IPv6-only devices."""
        for d in self.discoveries:
            if d.error is None:
                d.confirm_stable(set(by_mac), wait=ANSWER_WAIT)
        self.views = [d.view() for d in self.discoveries]
        hosts_macs = set(by_mac)
        # Only the practice's own router (a host of this scan) sets which global prefixes
        # are in scope: a prefix announced by a device outside the scan is not trusted.
        prefixes = tuple(p for v in self.views for p in v.prefixes(hosts_macs))
        self.guard = Ipv6Guard(prefixes, self.allow_public)
        unknown: dict[str, tuple[Ipv6Address, ...]] = {}
        for d, view in zip(self.discoveries, self.views, strict=True):
            for mac, addrs in view.by_mac:
                ip = by_mac.get(mac)
                if ip is None:
                    unknown[mac] = unknown.get(mac, ()) + addrs
                    continue
                self.addresses[ip] = addrs
                self.interface_of[ip] = d.iface.name
            for ra in view.adverts:
                ip = by_mac.get(ra.mac)
                if ip is not None and ip in drafts:
                    drafts[ip].observations.append(_advert_observation(ra))
        if unknown:
            self.not_tested.append(NotTested("ipv6-only-devices", ipv6_only_note(unknown, vendor)))

    def scan_host(self, ip: str, key: str, ports: list[int], run: NmapRun, host_pps: float,
                  max_pps: float) -> None:
        """The host's IPv6 pass; runs in the host's worker after its IPv4 scan."""
        addrs = self.addresses.get(ip, ())
        if not addrs:
            return
        interface = self.interface_of.get(ip)
        address = ipv6_pass.target(addrs, self.guard, interface)
        if address is None:
            with self._lock:
                self.not_tested.append(NotTested(
                    "ipv6-scan", "no IPv6 address of this host is in scope", key))
            return
        found = ipv6_pass.scan(address, ports, interface, run, host_pps, max_pps)
        with self._lock:
            self.targets[ip] = address.split("%")[0]
            self.zoned[ip] = address
            self.services[ip] = found

    def probe_host(self, ip: str, key: str, open_over_ipv4: list[int], allowed: frozenset[str],
                   window: RateWindow, deadline: float | None = None,
                   stop: threading.Event | None = None) -> Ipv6Probes:
        """The probe table's TCP probes on the ports open over IPv6 but not over IPv4.

        Only the gap ports: a port open over both families is one listening socket, which
        the IPv4 probes have identified already; probing it again would double the host's
        packets for nothing. The gap is what a firewall written for IPv4 only leaves open,
        and what ipv6-firewall-gap reports: there the service's name and version matter.
        ``window`` is the host's IPv4 probe window, so its per-host cap counts both families.
        The UDP questions stay out (UDP is not scanned over IPv6: a standing gap), and so
        does the operator's login (the TR-064 audit ran over IPv4 on the same device).
        """
        address = self.zoned.get(ip)
        found = self.services.get(ip, ())
        gap = sorted({s.port for s in found} - set(open_over_ipv4))
        if address is None or not gap:
            return Ipv6Probes()
        why = self.guard.refusal(address)
        if why:  # target() chose it through the guard; a second look costs nothing
            return Ipv6Probes(not_tested=(NotTested("ipv6-probes", why, key),))
        got = probe_address(address, gap, allowed, window, key, deadline, stop)
        with self._lock:
            self.services[ip] = _identified(found, got.services)
        return got

    def merge(self, host: Host) -> Host:
        return dataclasses.replace(host, ipv6=self.addresses.get(host.ip, ()),
                                   ipv6_services=self.services.get(host.ip, ()))

    def standing_gaps(self) -> list[NotTested]:
        gaps = list(self.not_tested)
        if not self.discoveries:
            gaps.append(NotTested("ipv6", "IPv6 was not examined (--no-ipv6, or no target on a "
                                  "local link): a device open over IPv6 would not be seen"))
        if self.services:
            gaps.append(NotTested("ipv6-services", "over IPv6 only TCP ports are scanned (one "
                                  "address per host), and probed only where IPv4 does not show "
                                  "the port open; UDP is neither scanned nor probed over IPv6"))
        return gaps

    def stop(self) -> None:
        for d in self.discoveries:
            d.stop()


@dataclasses.dataclass(frozen=True)
class Ipv6Probes:
    """What the probes learned over IPv6: observations carry ``address`` (the IPv6 one)."""

    observations: tuple[Observation, ...] = ()
    services: tuple[Service, ...] = ()
    not_tested: tuple[NotTested, ...] = ()


def probe_address(address: str, ports: list[int], allowed: frozenset[str], window: RateWindow,
                  key: str, deadline: float | None = None,
                  stop: threading.Event | None = None) -> Ipv6Probes:
    """The TCP probes of ``ports`` on one IPv6 address (its scope checked by the caller)."""
    jobs = [j for j in jobs_for(address, ports, allowed, "", None, window) if j.port is not None]
    if not jobs:
        return Ipv6Probes()
    # The nmap -6 pass just used up to the host's rate: the first probe waits for it, as
    # the IPv4 probes wait for the IPv4 scan.
    window.sent(int(0.9 * window.pps))
    run = probe_host(jobs, window.pps, key, deadline, stop, window=window)
    shown = address.split("%", 1)[0]
    observations = tuple(dataclasses.replace(o, data=o.data + (("address", shown),))
                         for r in run.results for o in r.observations)
    gaps = [dataclasses.replace(n, reason=f"over IPv6 ({shown}): {n.reason}")
            for n in run.not_tested]
    gaps += [dataclasses.replace(n, host=key, reason=f"over IPv6 ({shown}): {n.reason}")
             for r in run.results for n in r.gaps]
    return Ipv6Probes(observations, tuple(r.service for r in run.results if r.service),
                      tuple(gaps))


def _identified(found: tuple[Service, ...], probed: tuple[Service, ...]) -> tuple[Service, ...]:
    """nmap's open ports, named by the probes where they identified the service (as
    scanner.hosts.merge_services does over IPv4, which this stage may not import)."""
    by_port = {s.port: s for s in probed}
    out = []
    for s in found:
        p = by_port.get(s.port)
        out.append(s if p is None else dataclasses.replace(
            s, name=p.name or s.name, product=p.product or s.product,
            version=p.version or s.version, extra_info=p.extra_info or s.extra_info))
    return tuple(out)


def ipv6_only_note(unknown: dict[str, tuple[Ipv6Address, ...]],
                   vendor: Callable[[str], str | None]) -> str:
    """The devices seen over IPv6 only, so that a technician can find them: MAC, maker,
    a few addresses (global ones first: those are what the Internet could reach)."""
    order = {AddressKind.GLOBAL: 0, AddressKind.TEMPORARY: 1, AddressKind.ULA: 2,
             AddressKind.LINK_LOCAL: 3}
    listed = []
    for mac in sorted(unknown)[:LISTED_DEVICES]:
        addrs = sorted(set(unknown[mac]), key=lambda a: (order.get(a.kind, 9), a.address))
        shown = ", ".join(a.address for a in addrs[:LISTED_ADDRESSES])
        more = len(addrs) - LISTED_ADDRESSES
        maker = vendor(mac)
        listed.append(f"{mac}{f' ({maker})' if maker else ''}: {shown}"
                      f"{f' (+{more})' if more > 0 else ''}")
    rest = len(unknown) - len(listed)
    return (f"{len(unknown)} devices answered over IPv6 but not ARP in the scanned networks: "
            f"not scanned: {'; '.join(listed)}{f'; and {rest} more' if rest > 0 else ''}")


def _advert_observation(ra: RouterAdvert) -> Observation:
    yes = {True: "yes", False: "no"}
    pairs = [("router", ra.router), ("managed", yes[ra.managed]), ("other", yes[ra.other]),
             ("lifetime", str(ra.lifetime)),
             ("prefixes", ", ".join(p.network for p in ra.prefixes)),
             ("dns", ", ".join(ra.dns))]
    return Observation.checked(Source.NDP, "ipv6-router", [(k, v) for k, v in pairs if v],
                               datetime.now(timezone.utc))
