"""Port scans whose time follows the scan policy's floor, from 1 host to 1,000.

The floor: every packet at the global cap, and no host faster than its own cap. To stay
near it:

- Hosts that get the same nmap arguments (per-host rate, TCP and UDP ports) form a class,
  and one nmap scans all hosts of a class, in host groups just large enough to fill the
  class's rate with every host at its own cap: one --max-rate for the class instead of
  fixed per-host slices that a finished host leaves unused. ``--scan-delay`` holds every
  host to half its cap (NMAP_SHARE_OF_HOST; the kernel's RST to each SYN-ACK takes the
  rest).
- nmap writes a host group's results as soon as the group is done; each host's probes
  start then, while nmap scans the next group.
- The global cap is one budget. nmap's share (its packets' part of all we send) is divided
  among the classes in proportion to their packets, so that they finish together, but
  never more than a class's hosts can take at their own caps; the rest, and all of it once
  an nmap has ended, is the probes' (SharedWindow). The kernel's RSTs go in the margin the
  packet estimates of the probes leave.
- Where each host's own cap, not the global one, bounds a class (a practice, a few dozen
  hosts), each host gets an nmap of its own at more than half its cap (watched_share), and
  a tripwire on its SYN-ACKs (synack_watch.py) kills that nmap before the kernel's RSTs
  could break the cap; such a host is asked again from the start at the half share.
- The SYN scan asks every port once. A host that answered no port at all is firewalled: on
  a wired link asking it again finds nothing, so it is not asked again. A host that left a
  few ports unanswered lost answers (a busy link): its probe stage asks them once more by
  connect(); one that left many has a firewall, and nmap asks those once more. That second
  ask may use more of each host's cap (repeat_share): the ports are mostly dropped, and the
  kernel sends a RST only for a SYN-ACK, so nmap's packets are nearly all it sends.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any
from dataclasses import dataclass, replace

from scanner.portscan.nmap_scan import NMAP_SHARE_OF_HOST, NmapHost, NmapRun, scan_delay_ms
from scanner.portscan.synack_watch import SynAckWatch
from scanner.probes.base import RateWindow, SharedWindow

PROBE_PACKETS = 40  # what our probes send to one host, about (registry.py's counts)
# At most this many unanswered ports of a host that answered others are lost answers, asked
# again by recheck() in the host's probe stage; more are a firewall's, asked again by nmap.
RECHECK_LIMIT = 16
# At most this many hosts of a class get an nmap each under the SYN-ACK watch; a bigger class
# is bound by the global cap, where a higher share per host gains nothing.
WATCHED_HOSTS = 32
# RSTs to SYNs nmap sent while a trip was on its way (listener thread, kill): one SYN per
# scan delay (31 ms at a cap of 40), so three allow for a trip that takes 90 ms.
TRIP_LATENCY_PACKETS = 3


@dataclass(frozen=True)
class PortClass:
    """What one nmap run asks of each of its hosts."""

    host_pps: float
    tcp: tuple[int, ...]
    udp: tuple[int, ...]

    def packets(self, hosts: int) -> float:
        """Packets for ``hosts`` hosts: each TCP port once, each UDP port up to twice."""
        return hosts * (len(self.tcp) + 2 * len(self.udp))

    def fastest(self, hosts: int, share: float = NMAP_SHARE_OF_HOST) -> float:
        """The highest rate its hosts can take together (their scan delays)."""
        return hosts * 1000 / scan_delay_ms(self.host_pps, share)


class Budget:
    """The scan's global packets-per-second cap, shared by the nmap runs and the probes."""

    def __init__(self, max_pps: float) -> None:
        self.max_pps = max_pps
        self._nmap = 0.0
        self._lock = threading.Lock()
        self.probes = SharedWindow(self._probe_cap)

    def _probe_cap(self) -> float:
        with self._lock:
            return max(1.0, self.max_pps - self._nmap)

    @contextmanager
    def more(self, want: float) -> Iterator[float]:
        """Up to ``want`` more for an nmap run, from what neither the runs nor a margin for
        the probes (5 %) hold now; yields what was granted, held while the block runs."""
        with self._lock:
            got = max(0.0, min(want, 0.95 * self.max_pps - self._nmap))
            self._nmap += got
        try:
            yield got
        finally:
            with self._lock:
                self._nmap -= got

    @contextmanager
    def nmap(self, rate: float) -> Iterator[None]:
        """``rate`` is taken by an nmap run while the block runs."""
        with self._lock:
            self._nmap += rate
        try:
            yield
        finally:
            with self._lock:
                self._nmap -= rate


def divide(classes: dict[PortClass, int], total: float) -> dict[PortClass, float]:
    """Each class's nmap --max-rate: shares of ``total`` in proportion to packets (so the
    classes end together), a class capped at what its hosts can take, the rest given to
    the others (water filling)."""
    rates: dict[PortClass, float] = {}
    left = dict(classes)
    budget = total
    while left:
        work = sum(c.packets(n) for c, n in left.items()) or 1.0
        capped = {c: c.fastest(n) for c, n in left.items()
                  if c.fastest(n) <= budget * c.packets(n) / work}
        if not capped:
            for c, n in left.items():
                rates[c] = budget * c.packets(n) / work
            break
        for c, rate in capped.items():
            rates[c] = rate
            budget -= rate
            del left[c]
    return {c: max(1.0, r) for c, r in rates.items()}


def nmap_share(classes: dict[PortClass, int]) -> float:
    """nmap's part of the global cap: its packets' part of all we send, the probes' counted
    at PROBE_PACKETS per host (most in the quick profile, a few percent in standard)."""
    nmap = sum(c.packets(n) for c, n in classes.items())
    probes = PROBE_PACKETS * sum(classes.values())
    return min(0.95, max(0.5, nmap / (nmap + probes or 1)))


def hostgroup(cls: PortClass, hosts: int, rate: float) -> int:
    """Hosts one nmap scans at once: enough that their scan delays fill the rate (half
    again), few enough that results, and so the probes, come group by group. With one ask
    per port every host of a group needs the same time: no group waits for a slow one.
    The hosts are spread evenly over the groups: a small last group (22 of 200 after two
    of 89) cannot fill the rate, yet takes a whole host's time at its scan delay."""
    most = max(1, min(hosts, math.ceil(1.5 * rate / cls.fastest(1))))
    return math.ceil(hosts / math.ceil(hosts / most)) if hosts else 1


@dataclass(frozen=True)
class Watched:
    """A first ask under the SYN-ACK watch: nmap's share of the host's cap, and the
    SYN-ACKs in one second (each a kernel RST) that stop it."""

    share: float
    limit: int


def watched_share(host_pps: float) -> Watched:
    """Per second of a host's window: nmap's SYNs (``room``, scan_delay_ms), the RSTs up to
    the trip (``limit``, a tenth of the cap, at least 2) and TRIP_LATENCY_PACKETS more,
    within the cap. At a cap of 40: 33 SYNs (31 ms apart), trip at 4. Worth an nmap per
    host only where it asks a tenth faster than the half share at least (not at a cap of 10)."""
    limit = max(2, int(host_pps // 10))
    room = int(host_pps) - limit - TRIP_LATENCY_PACKETS
    if room < 1.1 * NMAP_SHARE_OF_HOST * host_pps:
        return Watched(NMAP_SHARE_OF_HOST, 0)
    return Watched(room / host_pps, limit)


def repeat_share(host_pps: float, open_ports: int) -> float:
    """nmap's part of a host's cap when most of what it asks is dropped: for every port
    that answers SYN-ACK the kernel sends one RST, so the cap less those (``open_ports``,
    the host's known open ports among those asked) and a margin for one found now (a
    tenth of the cap, at least one packet). Never below the first ask's half, at most 90 %."""
    margin = max(1.0, 0.1 * host_pps)
    return max(NMAP_SHARE_OF_HOST, min(0.9, 1.0 - (open_ports + margin) / host_pps))


def other_family_share(scanned: NmapHost, host_pps: float) -> float:
    """nmap's part of a host's cap for its IPv6 pass, from what its IPv4 scan showed. A host
    whose firewall dropped ports over IPv4 may have none over IPv6 (the gap this pass is
    for) and answer every port: the first ask's half. A host that answered every port
    shows the same sockets over both families, usually: the kernel's RSTs go to its open
    ports, as for a second ask."""
    if scanned.drops_tcp or not scanned.answered_tcp:
        return NMAP_SHARE_OF_HOST
    return repeat_share(host_pps, len(scanned.open_tcp))


def host_timeout(cls: PortClass, group: int, rate: float) -> float:
    """nmap's --host-timeout: a host's ports at its part of the rate, with room."""
    per_host = min(rate / group, cls.fastest(1))
    return max(600.0, 2 * (len(cls.tcp) + 2 * len(cls.udp)) / per_host + 120)


def first_ask_watched(cls: PortClass, ips: list[str], rate: float, interface: str | None,
                      new_run: Callable[[], NmapRun],
                      first: Callable[[NmapHost, float], None],
                      watch: SynAckWatch | None,
                      more: Callable[[float], AbstractContextManager[float]]) -> bool | None:
    """The first TCP ask of a class bound by its hosts' caps: each host its own nmap at the
    watched share, so a trip stops that host only, and ``first(host, its rate)`` as soon as
    it is done (a second ask follows at once). The tripped host's window empties for a
    second; then it is asked from the start at the half share (the killed run's answers are
    lost with it). None when not done this way: no watch, a class bound by the global cap or
    too big, a share no higher than half, or a global budget that cannot lend the extra
    rate; else whether the scan was stopped (deadline, signal)."""
    fast = watched_share(cls.host_pps)
    want = cls.fastest(len(ips), fast.share) - cls.fastest(len(ips))
    if not (watch and fast.limit and len(ips) <= WATCHED_HOSTS and cls.fastest(len(ips)) <= rate + 1e-6):
        return None
    watcher: SynAckWatch = watch
    with more(want) as extra:
        if extra < want - 1e-6:
            return None

        def ask(ip: str, share: float, timeout: float) -> tuple[NmapRun, list[NmapHost]]:
            run = new_run()
            pps = cls.fastest(1, share)
            if share > NMAP_SHARE_OF_HOST:
                watcher.watch(ip, fast.limit, run.trip)
            try:  # --min-rate: alone, a host that drops most SYNs would look like congestion
                return run, run.scan([ip], cls.tcp, interface, max_retries=0, host_pps=cls.host_pps,
                                     share=share, max_pps=pps, min_pps=0.9 * pps, hostgroup=1,
                                     host_timeout=timeout)
            finally:
                watcher.forget(ip)

        timeout = host_timeout(cls, 1, cls.fastest(1))

        def one(ip: str) -> bool:
            run, found = ask(ip, fast.share, timeout)
            share = fast.share
            if run.tripped and not run.stopped:
                time.sleep(1.0)  # the killed run's last second leaves the host's window
                run, found = ask(ip, NMAP_SHARE_OF_HOST, timeout)
                share = NMAP_SHARE_OF_HOST
            for h in found:
                first(replace(h, share=share), cls.fastest(1, share))
            return run.stopped

        with ThreadPoolExecutor(max_workers=len(ips), thread_name_prefix="nmap-host") as pool:
            return any(list(pool.map(one, ips)))


def scan_class(cls: PortClass, ips: list[str], rate: float, interface: str | None,
               new_run: Callable[[], NmapRun], finished: Callable[[NmapHost], None],
               more: Callable[[float], AbstractContextManager[float]] = lambda _want: nullcontext(0.0),
               watch: SynAckWatch | None = None) -> None:
    """Scan ``ips`` as one class; ``finished`` gets each host once its ports are known
    (as nmap completes its host group), so that its probes start while others are scanned.
    ``more(want)`` lends the second ask up to ``want`` more of the global rate (Budget.more);
    ``watch``, a started SynAckWatch, lets a class bound by its hosts' caps ask faster.

    A stopped run (deadline, signal) ends the class with what was finished: hosts not
    passed to ``finished`` were not scanned."""
    group = hostgroup(cls, len(ips), rate)
    common: dict[str, Any] = dict(host_pps=cls.host_pps, max_pps=rate, hostgroup=group,
                  host_timeout=host_timeout(cls, group, rate))
    udp: dict[str, NmapHost] = {}
    if cls.udp:  # first, for every host: the SYN scan's results then lead to the probes
        run = new_run()
        # One group: UDP waits for answers far longer than it sends; let all hosts wait at once.
        udp = {h.ip: h for h in run.scan(ips, (), interface, udp=cls.udp, tcp=False,
                                          max_retries=1, **{**common, "hostgroup": len(ips),
                                          "host_timeout": host_timeout(cls, len(ips), rate)})}
        if run.stopped:
            return
    again: dict[str, NmapHost] = {}

    def ask_again(hosts: dict[str, NmapHost], rate: float) -> None:
        """The dropped ports of ``hosts`` once more, at the share the kernel's RSTs leave,
        with ``rate`` (freed by their first ask) and what the global budget lends."""
        # One run for all: hosts that drop some ports usually drop the same ones (a Konnektor,
        # Windows PCs with one firewall profile); a host asked a port it answered loses little.
        ports = sorted(set().union(*(h.unanswered_tcp for h in hosts.values())))
        asked = set(ports)
        share = min(repeat_share(cls.host_pps, len(asked.intersection(h.open_tcp)))
                    for h in hosts.values())
        fastest = cls.fastest(len(hosts), share)  # every host at its scan delay
        with more(max(0.0, fastest - rate)) as extra:
            run = new_run()
            second = {h.ip: h for h in run.scan(
                list(hosts), ports, interface, max_retries=0,
                **{**common, "hostgroup": len(hosts), "share": share, "max_pps": rate + extra,
                   "min_pps": 0.9 * min(fastest, rate + extra)})}
        for ip, h in hosts.items():
            finished(replace(merge(h, udp.get(ip), second.get(ip)), unanswered_tcp=frozenset(),
                             drops_tcp=True, share=share))

    def first(h: NmapHost, own_rate: float | None = None) -> None:
        """``own_rate``: the host had an nmap of its own at that rate, and is asked again
        at once, while the others' first asks go on."""
        if h.answered_tcp and len(h.unanswered_tcp) > RECHECK_LIMIT:
            if own_rate:  # a firewall drops these: nmap asks them again
                ask_again({h.ip: h}, own_rate)
            else:
                again[h.ip] = h  # ... below, for all hosts of the class together
        elif h.answered_tcp:  # a few answers lost: the probe stage re-asks them (recheck)
            finished(merge(h, udp.get(h.ip)))
        else:  # answered nothing: firewalled, a second ask finds nothing on a wired link
            finished(replace(merge(h, udp.get(h.ip)), unanswered_tcp=frozenset()))

    stopped = first_ask_watched(cls, ips, rate, interface, new_run, first, watch, more)
    if stopped is None:  # together, at the half share
        run = new_run()
        for h in run.scan(ips, cls.tcp, interface, on_host=first, max_retries=0, **common):
            first(h)
        stopped = run.stopped
    if again and not stopped:
        ask_again(again, rate)


def last_second(cls: PortClass, open_tcp: int, share: float = NMAP_SHARE_OF_HOST) -> int:
    """What we may have sent one host of ``cls`` in the second before nmap reported it
    done, so that its probes count it in the host's window (RateWindow.sent(at=...)) instead
    of a whole second's cap: nmap's probes at its scan delay (``share`` of the cap, at most
    1000 // delay + 1 in any one second, both ends counted) and the kernel's RST to the
    SYN-ACK of each open port. The report comes after the host's last packet, so dating it
    then errs on the safe side. A TCP scan shorter than a second may share its second with
    the UDP run before it: then that run's second counts too."""
    per_second = 1000 // scan_delay_ms(cls.host_pps, share) + 1
    udp_too = bool(cls.udp) and len(cls.tcp) < per_second
    return per_second * (2 if udp_too else 1) + open_tcp


def recheck(ip: str, ports: frozenset[int], window: RateWindow) -> list[int]:
    """The ports of ``ports`` that accept a connection, asked once more by the kernel
    (SYN; on an answer the handshake's ACK and our close: 3 packets), paced in the host's
    window. The few answers nmap lost under load (a RST, a SYN-ACK) come back here."""
    found = []
    for port in sorted(ports):
        with window.paced(3):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(0.9)  # before the kernel's first SYN retransmission (1 s)
                if s.connect_ex((ip, port)) == 0:
                    found.append(port)
    return found


def merge(*parts: NmapHost | None) -> NmapHost:
    """One host from several runs: every open port any of them found."""
    found = [p for p in parts if p is not None]
    services = {(s.protocol, s.port): s for p in reversed(found) for s in p.services}
    return replace(found[0], mac=next((p.mac for p in found if p.mac), None),
                   services=tuple(services[k] for k in sorted(services,
                                                              key=lambda k: (k[0].value, k[1]))))
