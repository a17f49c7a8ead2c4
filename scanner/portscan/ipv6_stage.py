"""The scan's IPv6 side: discovery on each scanned link, the scope, and each host's IPv6 pass.

The pipeline calls it at four points (start, after ARP, per host after its IPv4 scan, when
merging). IPv6 addresses are tied to the hosts ARP found, by MAC; a device that answers over
IPv6 only (no IPv4 address in the scope) is counted and said, not scanned.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime, timezone

from scanner.discovery.ipv6 import Ipv6Discovery, LinkView
from scanner.model import (AddressKind, Host, Ipv6Address, NotTested, Observation, Protocol,
                           SeenBy, Service, Source)
from scanner.portscan import ipv6_pass
from scanner.portscan.nmap_scan import NMAP_SHARE_OF_HOST, NmapRun
from scanner.probes.base import ProbeResult, RateWindow
from scanner.ports import port_spec
from scanner.probes.registry import HostRun, collect, jobs_for, probe_host, start_together
from scanner.probes.table import Probe, Trigger, only
from scanner.protocols.ndp import RouterAdvert
from scanner.scope import Ipv6Guard

ANSWER_WAIT = 0.5  # after the guesses: replies to unicast echoes on the LAN take ms
LISTED_DEVICES = 8  # IPv6-only devices named in the note; the rest are counted
LISTED_ADDRESSES = 3  # per device: enough to find it (global, ULA, link-local first)
# IPv6 entries written into the kernel's table at most: half of its default limit
# (net.ipv6.neigh.default.gc_thresh3, 1,024), so that the kernel keeps room for its own.
HELD_NEIGHBOURS = 512


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
        self.udp_asked: dict[str, frozenset[int]] = {}  # IPv4 address -> UDP ports nmap -6 asked
        # IPv4 address -> (the IPv6 address asked, the UDP questions on their way)
        self._early: dict[str, tuple[str, HostRun, list[Future]]] = {}
        self._lock = threading.Lock()
        self._tying: threading.Thread | None = None  # after_arp's wait for the answers
        self._out_of_scope: set[str] = set()  # IPv4 addresses whose IPv6 ones are all refused

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
        ``vendor`` names a MAC's manufacturer for the note on IPv6-only devices.

        The answers to the guesses are awaited on a thread of its own, so the IPv4 port
        scan starts at once; whatever needs the IPv6 addresses (a host's IPv6 pass, the
        merge) waits for it there (``_tied``)."""
        self._hold_neighbours(set(by_mac))
        for d in self.discoveries:
            if d.error is None:
                d.confirm_stable(set(by_mac), wait=0)
        self._tying = threading.Thread(target=self._tie, args=(by_mac, drafts, vendor),
                                       name="ipv6-tie", daemon=True)
        self._tying.start()

    def _tie(self, by_mac: dict[str, str], drafts: dict,  # noqa: ANN001
             vendor: Callable[[str], str | None]) -> None:
        time.sleep(ANSWER_WAIT)
        try:
            self._tie_now(by_mac, drafts, vendor)
        except Exception as e:  # noqa: BLE001 - the IPv4 scan goes on; the gap is said
            self.not_tested.append(NotTested("ipv6-discovery",
                                             f"tying IPv6 addresses to hosts failed: {e!r}"[:300]))

    def _hold_neighbours(self, macs: set[str]) -> None:
        """The IPv6 addresses of the scan's hosts (``macs``) into the kernel's neighbour
        table as REACHABLE, before the kernel verifies them itself in the middle of their
        port scans (neighbours.py says why). An address heard from two MACs (a device
        claiming another's) is left to the kernel."""
        for d in self.discoveries:
            try:
                by_mac = d.view().by_mac
            except Exception:  # noqa: BLE001 - the tie says it ("ipv6-discovery"); no entry, no harm
                continue
            claims = Counter(a.address for _mac, addrs in by_mac for a in addrs)
            pairs = [(a.address, mac) for mac, addrs in by_mac if mac in macs
                     for a in addrs if claims[a.address] == 1]
            if pairs:
                d.hold(pairs[:HELD_NEIGHBOURS])

    def _tied(self) -> None:
        if self._tying is not None:
            self._tying.join()

    def _tie_now(self, by_mac: dict[str, str], drafts: dict,  # noqa: ANN001
                 vendor: Callable[[str], str | None]) -> None:
        self.views = [d.view() for d in self.discoveries]
        hosts_macs = set(by_mac)
        self._hold_neighbours(hosts_macs)  # the answers to the guesses too
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

    def _target(self, ip: str, key: str) -> str | None:
        """The host's address to scan and probe (link-local with its zone), chosen once."""
        self._tied()
        if ip in self.zoned:
            return self.zoned[ip]
        addrs = self.addresses.get(ip, ())
        if not addrs or ip in self._out_of_scope:
            return None
        interface = self.interface_of.get(ip)
        address = ipv6_pass.target(addrs, self.guard, interface)
        with self._lock:
            if address is None:  # said once, however often the host's stages ask
                self._out_of_scope.add(ip)
                self.not_tested.append(NotTested(
                    "ipv6-scan", "no IPv6 address of this host is in scope", key))
            else:
                self.targets[ip] = address.split("%")[0]
                self.zoned[ip] = address
        return address

    def will_scan(self, ip: str, key: str) -> bool:
        """Whether the host has an IPv6 address for its pass (IPv4-only hosts, and every host
        of a scan without IPv6, have none: nothing to wait for, no rate to hold)."""
        return self._target(ip, key) is not None

    def ask_first(self, ip: str, key: str, allowed: frozenset[str], window: RateWindow,
                  udp: Sequence[int], udp_over_ipv4: frozenset[int],
                  deadline: float | None = None, stop: threading.Event | None = None) -> None:
        """The UDP questions the IPv6 pass's nmap will not ask (``udp``: the ports it asks),
        sent before it starts and collected by probe_host after it: their wait for an
        answer (1.5 s for a host that says nothing) runs while nmap -6 scans, as over IPv4
        the UDP questions wait while the TCP probes run. Counted in the host's window
        (``window``, the IPv4 probes'), in this thread, before nmap -6 starts."""
        questions = [q for q in only(Trigger.HOST) if q.udp is not None and q.name in allowed
                     and not q.no_ipv6 and q.udp not in udp_over_ipv4 and q.udp not in udp]
        address = self._target(ip, key) if questions else None
        if address is None or self.guard.refusal(address):
            return  # probe_host says why (scope)
        asked = {q.name for q in questions}
        jobs = [j for j in jobs_for(address, [], allowed, "", None, window)
                if j.port is None and j.probe in asked]
        if not jobs:
            return
        run = HostRun(window=window)  # a scan that is ending makes them "not tested" there
        futures = start_together(jobs, window, key, deadline, stop, run)
        with self._lock:
            self._early[ip] = (address, run, futures)

    def scan_host(self, ip: str, key: str, ports: list[int], run: NmapRun, host_pps: float,
                  max_pps: float, udp: Sequence[int] = (),
                  share: float = NMAP_SHARE_OF_HOST) -> None:
        """The host's IPv6 pass; runs in the host's worker after its IPv4 scan.

        ``ports`` and ``udp``: what the host's IPv4 scan asked under its role's policy."""
        address = self._target(ip, key)
        if address is None:
            return
        found = ipv6_pass.scan(address, ports, udp, self.interface_of.get(ip), run, host_pps,
                               max_pps, share)
        with self._lock:
            self.udp_asked[ip] = frozenset(udp)
            self.services[ip] = found

    def probe_host(self, ip: str, key: str, open_over_ipv4: list[int], allowed: frozenset[str],
                   window: RateWindow, deadline: float | None = None,
                   stop: threading.Event | None = None,
                   udp_over_ipv4: frozenset[int] = frozenset()) -> Ipv6Probes:
        """The probe table's probes on the ports open over IPv6 but not over IPv4.

        Only the gap ports: a port open over both families is one listening socket, which
        the IPv4 probes have identified already; probing it again would double the host's
        packets for nothing. The gap is what a firewall written for IPv4 only leaves open,
        and what ipv6-firewall-gap reports: there the service's name and version matter.
        ``window`` is the host's IPv4 probe window, so its per-host cap counts both families.

        UDP (``udp_over_ipv4``: the UDP ports open over IPv4, by nmap or a probe's answer):
        the table's UDP questions go to the ports that did not answer over IPv4, under the
        same policy gate. Where the profile's nmap asked the port over IPv6, only when it
        answered there (a gap port), here; where it did not (the quick profile), the
        question is the scan, as over IPv4: one datagram, sent by ask_first and collected
        here. A question whose protocol exists over IPv4 only (SICCT, NetBIOS) is not sent;
        on a gap port nmap found it is "not tested". The operator's login stays out (the
        TR-064 audit ran over IPv4 on the same device).
        """
        self._tied()
        with self._lock:
            early = self._early.pop(ip, None)
        address = self.zoned.get(ip)
        found = self.services.get(ip, ())
        gap = sorted({s.port for s in found if s.protocol is Protocol.TCP} - set(open_over_ipv4))
        open_udp = {s.port for s in found if s.protocol is Protocol.UDP}
        questions, cannot = [], []
        for q in only(Trigger.HOST):
            if q.udp is None or q.name not in allowed or q.udp in udp_over_ipv4:
                continue
            if q.udp not in self.udp_asked.get(ip, ()) or q.udp not in open_udp:
                continue  # asked first (nmap -6 did not ask it), or nmap -6 got no answer
            if q.no_ipv6:
                cannot.append(NotTested(f"probe:{q.name}", f"over IPv6: {q.no_ipv6}", key))
                continue
            questions.append(q)
        if address is None or not (gap or questions or early):
            return Ipv6Probes(not_tested=tuple(cannot))
        why = self.guard.refusal(address)
        if why:  # target() chose it through the guard; a second look costs nothing
            return Ipv6Probes(not_tested=(NotTested("ipv6-probes", why, key),))
        got = probe_address(address, gap, allowed, window, key, deadline, stop, questions)
        if early is not None:
            got = _merged(got, _collected(early, key))
        with self._lock:
            self.services[ip] = _identified(found, got.services)
        return dataclasses.replace(got, not_tested=got.not_tested + tuple(cannot))

    def merge(self, host: Host) -> Host:
        self._tied()
        return dataclasses.replace(host, ipv6=self.addresses.get(host.ip, ()),
                                   ipv6_services=self.services.get(host.ip, ()))

    def standing_gaps(self) -> list[NotTested]:
        self._tied()
        gaps = list(self.not_tested)
        if not self.discoveries:
            gaps.append(NotTested("ipv6", "IPv6 was not examined (--no-ipv6, or no target on a "
                                  "local link): a device open over IPv6 would not be seen"))
        if self.services:
            # UDP over IPv6 is tested now (nmap -6 -sU, the UDP questions); what stays out:
            ipv4_only = "; ".join(f"{q.name} (udp/{q.udp}): {q.no_ipv6}"
                                  for q in only(Trigger.HOST) if q.no_ipv6)
            asked = set().union(*self.udp_asked.values())
            udp = (f"the UDP ports {port_spec(sorted(asked))}" if asked else
                   "no UDP port range (the profile scans none over IPv4 either)")
            gaps.append(NotTested("ipv6-services", f"over IPv6 the TCP ports and {udp} are "
                                  "scanned as over IPv4, at one address per host; probes and "
                                  "UDP questions go only where IPv4 does not show the port "
                                  f"open; never asked over IPv6: {ipv4_only}"))
        return gaps

    def stop(self) -> None:
        self._tied()
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
                  stop: threading.Event | None = None,
                  questions: Sequence[Probe] = ()) -> Ipv6Probes:
    """The TCP probes of ``ports`` and the UDP ``questions`` (HOST entries of the probe
    table) on one IPv6 address (its scope checked by the caller)."""
    jobs = [j for j in jobs_for(address, ports, allowed, "", None, window) if j.port is not None]
    asked = {q.name for q in questions}
    jobs += [j for j in jobs_for(address, [], allowed, "", None, window)
             if j.port is None and j.probe in asked]
    if not jobs:
        return Ipv6Probes()
    # The nmap -6 pass just used up to the host's rate: the first probe waits for it, as
    # the IPv4 probes wait for the IPv4 scan.
    window.sent(int(0.9 * window.pps))
    run = probe_host(jobs, window.pps, key, deadline, stop, window=window)
    return _over_ipv6(address, key, run.results, run.not_tested)


def _over_ipv6(address: str, key: str, results: Sequence[ProbeResult],
               not_tested: Sequence[NotTested]) -> Ipv6Probes:
    """Probe results as IPv6 ones: each observation names the address, each gap says IPv6."""
    shown = address.split("%", 1)[0]
    observations = tuple(dataclasses.replace(o, data=o.data + (("address", shown),))
                         for r in results for o in r.observations)
    gaps = [dataclasses.replace(n, reason=f"over IPv6 ({shown}): {n.reason}")
            for n in not_tested]
    gaps += [dataclasses.replace(n, host=key, reason=f"over IPv6 ({shown}): {n.reason}")
             for r in results for n in r.gaps]
    # A UDP question's answer is its service (over IPv4 scanner/hosts.py makes it one).
    udp = {q.name: q.udp for q in only(Trigger.HOST) if q.udp is not None}
    answered = tuple(Service(udp[o.kind], Protocol.UDP, o.kind, seen_by=SeenBy.PROBE)
                     for r in results for o in r.observations if o.kind in udp)
    return Ipv6Probes(observations, tuple(r.service for r in results if r.service) + answered,
                      tuple(gaps))


def _collected(early: tuple[str, HostRun, list[Future]], key: str) -> Ipv6Probes:
    """The answers to the questions ask_first sent."""
    address, run, futures = early
    collect(run, futures)
    return _over_ipv6(address, key, run.results, run.not_tested)


def _merged(a: Ipv6Probes, b: Ipv6Probes) -> Ipv6Probes:
    return Ipv6Probes(a.observations + b.observations, a.services + b.services,
                      a.not_tested + b.not_tested)


def _identified(found: tuple[Service, ...], probed: tuple[Service, ...]) -> tuple[Service, ...]:
    """nmap's open ports, named by the probes where they identified the service, and the
    UDP ports that answered a question nmap did not ask (as scanner.hosts.merge_services
    does over IPv4, which this stage may not import)."""
    by_port = {(s.protocol, s.port): s for s in probed}
    out = {}
    for s in found:
        p = by_port.get((s.protocol, s.port))
        out[(s.protocol, s.port)] = s if p is None else dataclasses.replace(
            s, name=p.name or s.name, product=p.product or s.product,
            version=p.version or s.version, extra_info=p.extra_info or s.extra_info)
    for k, p in by_port.items():
        if p.protocol is Protocol.UDP:
            out.setdefault(k, p)
    return tuple(out[k] for k in sorted(out, key=lambda k: (k[0].value, k[1])))


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
