"""The scan's IPv6 side: discovery on each scanned link, the scope, and each host's IPv6 pass.

The pipeline calls it at four points (start, after ARP, per host after its IPv4 scan, when
merging). IPv6 addresses are tied to the hosts ARP found, by MAC; a device that answers over
IPv6 only (no IPv4 address in the scope) is counted and said, not scanned.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timezone

from scanner.discovery.ipv6 import Ipv6Discovery, LinkView
from scanner.model import Host, Ipv6Address, NotTested, Observation, Service, Source
from scanner.portscan import ipv6_pass
from scanner.portscan.nmap_scan import NmapRun
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
            self.services[ip] = found

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
                                  "address per host); UDP and the service probes run over IPv4"))
        return gaps

    def stop(self) -> None:
        for d in self.discoveries:
            d.stop()


def _advert_observation(ra: RouterAdvert) -> Observation:
    yes = {True: "yes", False: "no"}
    pairs = [("router", ra.router), ("managed", yes[ra.managed]), ("other", yes[ra.other]),
             ("lifetime", str(ra.lifetime)),
             ("prefixes", ", ".join(p.network for p in ra.prefixes)),
             ("dns", ", ".join(ra.dns))]
    return Observation.checked(Source.NDP, "ipv6-router", [(k, v) for k, v in pairs if v],
                               datetime.now(timezone.utc))
