"""IPv6 discovery on the scanned link: ask once, listen, tie every address to a MAC.

What is sent (all inside the listen window, nothing else): one router solicitation to
ff02::2; one ICMPv6 echo to ff02::1 from each of our own addresses on the interface (from the
link-local source the hosts answer link-local, from a global source with their preferred,
often temporary, address); then one echo to each host's likely stable address (each announced
prefix + the host's link-local interface ID; RFC 4291 App. A), which is a guess per host and
never a sweep of a prefix. Everything else is heard: router advertisements, NS/NA and DAD,
DHCPv6, mDNS AAAA, LLMNR (scanner/protocols/ndp.py).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
import time
from dataclasses import dataclass

from scanner.discovery.sniff import FrameListener
from scanner.model import AddressKind, Ipv6Address
from scanner.netinfo import Interface, ipv6_addresses
from scanner.portscan import neighbours
from scanner.protocols.ndp import RouterAdvert, Sighting, parse_frame

BPF = "ip6"
MAX_SIGHTINGS = 20_000
GUESS_PPS = 100.0  # unicast echoes to guessed stable addresses
ALL_NODES, ALL_ROUTERS = "ff02::1", "ff02::2"
LOW64 = (1 << 64) - 1
GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


@dataclass(frozen=True)
class LinkView:
    """What IPv6 discovery learned on one link."""

    adverts: tuple[RouterAdvert, ...]
    by_mac: tuple[tuple[str, tuple[Ipv6Address, ...]], ...]  # sorted by MAC
    packets_sent: int

    def addresses(self, mac: str | None) -> tuple[Ipv6Address, ...]:
        return dict(self.by_mac).get((mac or "").lower(), ())

    def prefixes(self, routers: set[str] | None = None) -> tuple[ipaddress.IPv6Network, ...]:
        """On-link prefixes announced by the routers with these MACs (all when None)."""
        out: list[ipaddress.IPv6Network] = []
        for ra in self.adverts:
            if routers is not None and ra.mac not in routers:
                continue
            for p in ra.prefixes:
                net = ipaddress.IPv6Network(p.network)
                if p.on_link and net not in out:
                    out.append(net)
        return tuple(out)


def kinds(mac: str, addresses: set[ipaddress.IPv6Address]) -> tuple[Ipv6Address, ...]:
    """Each address with its kind. A global address is temporary when the same host holds
    another address in the same /64 whose interface ID is stable (its link-local one or the
    EUI-64 of its MAC), and this one's is not. Without such a sibling it stays "global": an
    RFC 7217 stable address and a lone temporary one cannot be told apart from outside."""
    stable = {int(a) & LOW64 for a in addresses if a.is_link_local}
    stable.add(_eui64_iid(mac))
    out = []
    for a in sorted(addresses):
        if a.is_link_local:
            kind = AddressKind.LINK_LOCAL
        elif a in UNIQUE_LOCAL:
            kind = AddressKind.ULA
        elif a in GLOBAL_UNICAST:
            siblings = [b for b in addresses if b != a and (int(b) >> 64) == (int(a) >> 64)]
            temporary = (int(a) & LOW64) not in stable and any(
                (int(b) & LOW64) in stable for b in siblings)
            kind = AddressKind.TEMPORARY if temporary else AddressKind.GLOBAL
        else:
            continue  # loopback, IPv4-mapped, documentation of nothing: not a host address
        out.append(Ipv6Address(str(a), kind))
    return tuple(out)


def _eui64_iid(mac: str) -> int:
    b = bytes.fromhex(mac.replace(":", ""))
    return int.from_bytes(bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:6], "big")


def build_view(adverts: list[RouterAdvert], sightings: list[Sighting], sent: int,
               own_macs: set[str]) -> LinkView:
    """Addresses per MAC: link-local ones, and others only inside a prefix announced on the
    link (a router forwards packets from elsewhere with its own MAC: those are not its)."""
    prefixes = [ipaddress.IPv6Network(p.network) for ra in adverts for p in ra.prefixes
                if p.on_link]
    seen: dict[str, set[ipaddress.IPv6Address]] = {}
    for s in sightings:
        if s.mac in own_macs:
            continue
        a = ipaddress.IPv6Address(s.address)
        if a.is_link_local or any(a in p for p in prefixes):
            seen.setdefault(s.mac, set()).add(a)
    by_mac = tuple((mac, kinds(mac, addrs)) for mac, addrs in sorted(seen.items()))
    routers: dict[tuple[str, str], RouterAdvert] = {}
    for ra in adverts:  # the latest RA per router
        routers[(ra.mac, ra.router)] = ra
    return LinkView(tuple(routers.values()), by_mac, sent)


class Ipv6Discovery:
    """Listen for IPv6 on one interface for the whole scan; ask the link a few times."""

    def __init__(self, iface: Interface) -> None:
        self.iface = iface
        self.error: str | None = None
        self._adverts: list[RouterAdvert] = []
        self._sightings: list[Sighting] = []
        self._lock = threading.Lock()
        self._listener = FrameListener(iface.name, BPF, self._on_frame, "ipv6-listen")
        self._sent = 0

    def start(self) -> None:
        why = self._listener.start()
        if why is not None:
            self.error = f"cannot listen for IPv6 on {self.iface.name}: {why}"

    def stop(self) -> LinkView:
        self._listener.stop()
        return self.view()

    def view(self) -> LinkView:
        with self._lock:
            adverts, sightings = list(self._adverts), list(self._sightings)
        return build_view(adverts, sightings, self._sent, {self.iface.mac or ""})

    # -- asking ------------------------------------------------------------------------------

    def ask(self) -> None:
        """Router solicitation, then one echo to all nodes from each of our addresses."""
        own = ipv6_addresses(self.iface.name)
        link_local = next((a.ip for a in own if a.ip.is_link_local), None)
        if link_local is None:
            self.error = f"{self.iface.name} has no IPv6 link-local address: IPv6 not asked"
            return
        self._send(link_local, ALL_ROUTERS, struct.pack("!BBHI", 133, 0, 0, 0), hops=255)
        sources = [link_local] + [a.ip for a in own
                                  if not a.ip.is_link_local and not a.ip.is_loopback]
        for src in sources:
            self._send(src, ALL_NODES, _echo(0), hops=1)

    def confirm_stable(self, macs: set[str], wait: float = 1.0) -> None:
        """One echo to the likely stable address, in each announced prefix, of each host
        with one of ``macs`` (the hosts of the scan: nothing goes to other devices)."""
        view = self.view()
        own = ipv6_addresses(self.iface.name)
        by_prefix = {}
        for a in own:
            for p in view.prefixes():
                if a.ip in p:
                    by_prefix[p] = a.ip
        interval = 1.0 / GUESS_PPS
        for mac, addrs in view.by_mac:
            if mac not in macs:
                continue
            have = {ipaddress.IPv6Address(a.address) for a in addrs}
            iids = {int(a) & LOW64 for a in have if a.is_link_local}
            for prefix, src in by_prefix.items():
                if prefix.prefixlen != 64:
                    continue
                for iid in iids:
                    guess = ipaddress.IPv6Address(int(prefix.network_address) | iid)
                    if guess in have:
                        continue
                    self._send(src, str(guess), _echo(1), hops=64)
                    time.sleep(interval)
        time.sleep(wait)

    def hold(self, pairs: list[tuple[str, str]]) -> None:
        """(address, MAC) pairs into the kernel's neighbour table of this link (REACHABLE).
        A failure costs a few packets, not a finding: the IPv4 table's load has said it
        already (the same ip command, the same link)."""
        neighbours.load(self.iface.name, pairs)

    def _send(self, src: ipaddress.IPv6Address, dst: str, packet: bytes, hops: int) -> None:
        index = socket.if_nametoindex(self.iface.name)
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        try:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
            s.bind((str(src), 0, 0, index if src.is_link_local else 0))
            dest = ipaddress.IPv6Address(dst)
            s.sendto(packet, (dst, 0, 0, index if dest.is_link_local or dest.is_multicast else 0))
            self._sent += 1
        except OSError as e:
            self.error = f"IPv6 {dst} from {src}: {e}"
        finally:
            s.close()

    # -- listening ---------------------------------------------------------------------------

    def _on_frame(self, raw: bytes) -> None:
        facts = parse_frame(raw)
        with self._lock:
            for f in facts:
                if isinstance(f, RouterAdvert):
                    if len(self._adverts) < 64:
                        self._adverts.append(f)
                elif len(self._sightings) < MAX_SIGHTINGS:
                    self._sightings.append(f)


def _echo(seq: int) -> bytes:
    # type 128, code 0, checksum 0 (the kernel computes ICMPv6 checksums on raw sockets)
    return struct.pack("!BBHHH", 128, 0, 0, 0x7078, seq) + b"praxisscan"
