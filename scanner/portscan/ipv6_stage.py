"""The scan's IPv6 side: discovery on each scanned link, the scope, and each host's IPv6 pass.

The pipeline calls it at four points (start, after ARP, per host after its IPv4 scan, when
merging). IPv6 addresses are tied to the hosts ARP found, by MAC; a device that answers over
IPv6 only (no IPv4 address in the scope) is counted and said, not scanned.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime, timezone

from scanner.discovery.ipv6 import Ipv6Discovery, LinkView
from scanner.model import (Host, Ipv6Address, NotTested, Observation, Protocol, SeenBy,
                           Service, Source)
from scanner.portscan import ipv6_pass
from scanner.portscan.nmap_scan import NmapRun
from scanner.probes.base import RateWindow
from scanner.ports import port_spec
from scanner.probes.registry import jobs_for, probe_host
from scanner.probes.table import Probe, Trigger, only
from scanner.protocols.ndp import RouterAdvert
from scanner.scope import Ipv6Guard

ANSWER_WAIT = 0.5  # after the guesses: replies to unicast echoes on the LAN take ms


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
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen from the beginning, and ask the link at once (answers come during ARP)."""
        for d in self.discoveries:
            d.start()
            if d.error is None:
                d.ask()
            if d.error:
                self.not_tested.append(NotTested("ipv6-discovery", d.error))

    def after_arp(self, by_mac: dict[str, str], drafts: dict) -> None:  # noqa: ANN001
        """Guess the stable addresses, then tie what was learned to the ARP-found hosts."""
        for d in self.discoveries:
            if d.error is None:
                d.confirm_stable(set(by_mac), wait=ANSWER_WAIT)
        self.views = [d.view() for d in self.discoveries]
        hosts_macs = set(by_mac)
        # Only the practice's own router (a host of this scan) sets which global prefixes
        # are in scope: a prefix announced by a device outside the scan is not trusted.
        prefixes = tuple(p for v in self.views for p in v.prefixes(hosts_macs))
        self.guard = Ipv6Guard(prefixes, self.allow_public)
        unknown = 0
        for d, view in zip(self.discoveries, self.views, strict=True):
            for mac, addrs in view.by_mac:
                ip = by_mac.get(mac)
                if ip is None:
                    unknown += 1
                    continue
                self.addresses[ip] = addrs
                self.interface_of[ip] = d.iface.name
            for ra in view.adverts:
                ip = by_mac.get(ra.mac)
                if ip is not None and ip in drafts:
                    drafts[ip].observations.append(_advert_observation(ra))
        if unknown:
            self.not_tested.append(NotTested(
                "ipv6-only-devices", f"{unknown} devices answered over IPv6 but not ARP in the "
                "scanned networks: not scanned"))

    def scan_host(self, ip: str, key: str, ports: list[int], run: NmapRun, host_pps: float,
                  max_pps: float, udp: Sequence[int] = ()) -> None:
        """The host's IPv6 pass; runs in the host's worker after its IPv4 scan.

        ``ports`` and ``udp``: what the host's IPv4 scan asked under its role's policy."""
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
        found = ipv6_pass.scan(address, ports, udp, interface, run, host_pps, max_pps)
        with self._lock:
            self.udp_asked[ip] = frozenset(udp)
            self.targets[ip] = address.split("%")[0]
            self.zoned[ip] = address
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
        answered there (a gap port); where it did not (the quick profile), the question is
        the scan, as over IPv4: one datagram. A question whose protocol exists over IPv4
        only (SICCT, NetBIOS) is not sent; on a gap port nmap found it is "not tested".
        The operator's login stays out (the TR-064 audit ran over IPv4 on the same device).
        """
        address = self.zoned.get(ip)
        found = self.services.get(ip, ())
        gap = sorted({s.port for s in found if s.protocol is Protocol.TCP} - set(open_over_ipv4))
        open_udp = {s.port for s in found if s.protocol is Protocol.UDP}
        questions, cannot = [], []
        for q in only(Trigger.HOST):
            if q.udp is None or q.name not in allowed or q.udp in udp_over_ipv4:
                continue
            if q.udp in self.udp_asked.get(ip, ()) and q.udp not in open_udp:
                continue  # nmap -6 asked it: no answer, no gap
            if q.no_ipv6:
                if q.udp in open_udp:
                    cannot.append(NotTested(f"probe:{q.name}", f"over IPv6: {q.no_ipv6}", key))
                continue
            questions.append(q)
        if address is None or not (gap or questions):
            return Ipv6Probes(not_tested=tuple(cannot))
        why = self.guard.refusal(address)
        if why:  # target() chose it through the guard; a second look costs nothing
            return Ipv6Probes(not_tested=(NotTested("ipv6-probes", why, key),))
        got = probe_address(address, gap, allowed, window, key, deadline, stop, questions)
        with self._lock:
            self.services[ip] = _identified(found, got.services)
        return dataclasses.replace(got, not_tested=got.not_tested + tuple(cannot))

    def merge(self, host: Host) -> Host:
        return dataclasses.replace(host, ipv6=self.addresses.get(host.ip, ()),
                                   ipv6_services=self.services.get(host.ip, ()))

    def standing_gaps(self) -> list[NotTested]:
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
    shown = address.split("%", 1)[0]
    observations = tuple(dataclasses.replace(o, data=o.data + (("address", shown),))
                         for r in run.results for o in r.observations)
    gaps = [dataclasses.replace(n, reason=f"over IPv6 ({shown}): {n.reason}")
            for n in run.not_tested]
    gaps += [dataclasses.replace(n, host=key, reason=f"over IPv6 ({shown}): {n.reason}")
             for r in run.results for n in r.gaps]
    # A UDP question's answer is its service (over IPv4 scanner/hosts.py makes it one).
    kinds = {q.name: q for q in questions}
    answered = tuple(Service(kinds[o.kind].udp or 0, Protocol.UDP, o.kind, seen_by=SeenBy.PROBE)
                     for r in run.results for o in r.observations if o.kind in kinds)
    return Ipv6Probes(observations, tuple(r.service for r in run.results if r.service)
                      + answered, tuple(gaps))


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


def _advert_observation(ra: RouterAdvert) -> Observation:
    yes = {True: "yes", False: "no"}
    pairs = [("router", ra.router), ("managed", yes[ra.managed]), ("other", yes[ra.other]),
             ("lifetime", str(ra.lifetime)),
             ("prefixes", ", ".join(p.network for p in ra.prefixes)),
             ("dns", ", ".join(ra.dns))]
    return Observation.checked(Source.NDP, "ipv6-router", [(k, v) for k, v in pairs if v],
                               datetime.now(timezone.utc))
