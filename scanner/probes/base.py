"""What every probe shares: bounded sockets, and the result type.

A probe is read-only (it asks, it never configures), bounded in time (each socket
operation) and in size (what it reads), and never raises on what the network sends back:
it returns what it learned, or nothing.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from scanner.model import NotTested, Observation, Service, Source, WlanNetwork

TIMEOUT = 2.0
MAX_READ = 64 * 1024


@dataclass(frozen=True)
class ProbeResult:
    observations: tuple[Observation, ...] = ()
    service: Service | None = None  # identification of the probed port, if learned
    gaps: tuple[NotTested, ...] = ()  # what it could not read (the scan names the host)
    wlans: tuple[WlanNetwork, ...] | None = None  # a WLAN audit's networks; None: none done


@dataclass
class Budget:
    """A probe's wall-clock allowance across several socket operations."""

    seconds: float = 6.0
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return max(0.05, min(TIMEOUT, self.seconds - (time.monotonic() - self.start)))

    @property
    def spent(self) -> bool:
        return time.monotonic() - self.start >= self.seconds


def observation(kind: str, **data: object) -> Observation:
    """A probe's evidence; a malformed number or flag is dropped and noted, never raised."""
    return Observation.checked(Source.PROBE, kind,
                               ((k, str(v)[:1024]) for k, v in data.items() if v not in (None, "")),
                               datetime.now(timezone.utc))


def connect(ip: str, port: int, timeout: float = TIMEOUT) -> socket.socket:
    return socket.create_connection((ip, port), timeout=timeout)


def read_until(sock: socket.socket, done: bytes | None = None, limit: int = 4096,
               budget: Budget | None = None) -> bytes:
    """Read until ``done`` appears, ``limit`` bytes, EOF, or the budget runs out."""
    budget = budget or Budget(TIMEOUT)
    data = b""
    while len(data) < limit and not budget.spent:
        sock.settimeout(budget.left())
        try:
            chunk = sock.recv(min(4096, limit - len(data)))
        except (TimeoutError, socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
        if done is not None and done in data:
            break
    return data


# catch_warnings swaps the process's warning filters: probes in threads take turns.
_WARNING_FILTERS = threading.Lock()


def tls_client_context(minimum: ssl.TLSVersion | None = None,
                       maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """No verification (we inspect, we do not trust); legacy versions allowed on request."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minimum or maximum:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        # Asking for TLS 1.0/1.1 is what the legacy check is for: Python's warning that
        # they are deprecated says nothing to the user of a scan.
        with _WARNING_FILTERS, warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1(_1)? is deprecated",
                                    DeprecationWarning)
            if minimum:
                ctx.minimum_version = minimum
            if maximum:
                ctx.maximum_version = maximum
    return ctx


def is_tls(ip: str, port: int, timeout: float = TIMEOUT) -> bool:
    try:
        with connect(ip, port, timeout) as raw:
            with tls_client_context().wrap_socket(raw) as s:
                return s.version() is not None
    except (OSError, ssl.SSLError, ValueError):
        return False


# What we send in one HTTP exchange (SYN, request, ACKs of the answer, FIN, last ACK), with
# margin; counted into the host's RateWindow by every HTTP-speaking stage after the probes.
HTTP_EXCHANGE_PACKETS = 8


class SharedWindow:
    """At most ``cap()`` packets in any one-second window over all hosts together: the
    probes' part of the scan's global cap. Thread-safe; ``cap`` is asked each time, so the
    share grows when an nmap finishes and gives its rate back."""

    def __init__(self, cap: Callable[[], float]) -> None:
        self.cap = cap
        self._log: deque[tuple[float, int]] = deque()
        self._sum = 0
        self._lock = threading.Lock()

    def take(self, packets: int) -> None:
        """Wait until ``packets`` more fit into the last second, and count them at once."""
        while True:
            with self._lock:
                now = time.monotonic()
                while self._log and now - self._log[0][0] >= 1.0:
                    self._sum -= self._log.popleft()[1]
                if not self._log or self._sum + packets <= self.cap():
                    self._log.append((now, packets))
                    self._sum += packets
                    return
                wait = 1.0 - (now - self._log[0][0])
            time.sleep(max(0.005, wait))


class RateWindow:
    """At most ``pps`` packets in any one-second window (what a capture would measure).

    Shared by every stage that talks to one host after nmap: probes, UPnP, so that their
    packets add up in the same window. Not thread-safe: one host, one thread at a time.
    With ``shared``, the packets also count against the scan's global window."""

    def __init__(self, pps: float, shared: SharedWindow | None = None) -> None:
        self.pps = pps
        self.shared = shared
        self.log: list[tuple[float, int]] = []

    def room(self, packets: float) -> None:
        """Wait until ``packets`` more fit into the last second, without counting them: for
        a sender that paces itself (nmap at its scan delay), so that its first second does
        not land on top of the probes' last one."""
        while True:
            now = time.monotonic()
            self.log = [(t, n) for t, n in self.log if now - t < 1.0]
            if not self.log or sum(n for _, n in self.log) + packets <= self.pps:
                return
            time.sleep(max(0.01, 1.0 - (now - self.log[0][0])))

    def wait_for(self, packets: int) -> None:
        self.room(packets)
        if self.shared:  # counted globally from now on, a little before they are sent
            self.shared.take(packets)

    def sent(self, packets: int, at: float | None = None) -> None:
        """Count ``packets`` as sent at ``at`` (time.monotonic()), by default now: stamped at
        the end, a probe's packets span its whole run. An earlier ``at`` (what nmap sent
        before it reported the host) leaves the window that much sooner."""
        self.log.append((time.monotonic() if at is None else at, packets))

    @contextmanager
    def paced(self, packets: int) -> Iterator[None]:
        """Wait until ``packets`` more fit into the last second, then count them as sent."""
        self.wait_for(packets)
        try:
            yield
        finally:
            self.sent(packets)


@dataclass(frozen=True)
class Target:
    """What a probe gets from the scan."""

    ip: str
    port: int = 0  # 0: the host, not a port (the UDP questions)
    source_ip: str = ""  # the scanner's own address on the host's network
    # (user, password) for TR-064; never in a repr (a job's, a traceback's)
    login: tuple[str, str] | None = field(default=None, repr=False)
    window: RateWindow | None = None  # the host's rate window, for probes that pace themselves
