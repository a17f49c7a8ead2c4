"""A tripwire on the kernel's RSTs: every SYN-ACK a host sends to nmap's SYN scan makes our
kernel answer with a RST (nmap's raw SYN has no socket), a packet nmap does not pace. While
a host's first ask runs at more than half of its cap (engine.watched_share), this listener
counts the SYN-ACKs each watched host sends; when a host's count in one second reaches its
limit, its ``on_trip`` runs at once (the engine kills that host's nmap). So the cap holds on
the wire however many of the host's ports answer: nmap's SYNs, the RSTs before the trip, and
the few RSTs to SYNs nmap sent while the trip was on its way.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from scanner.discovery.sniff import FrameListener

# SYN and ACK both set (RFC 9293 flag bits 0x02 and 0x10), IPv4: what makes the kernel RST.
SYN_ACK_FILTER = "ip and tcp[13] & 0x12 == 0x12"


def source_ipv4(frame: bytes) -> str | None:
    """The IPv4 source address of an Ethernet frame, or of a bare IPv4 packet."""
    if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
        packed = frame[26:30]
    elif len(frame) >= 20 and frame[0] >> 4 == 4:
        packed = frame[12:16]
    else:
        return None
    return socket.inet_ntoa(packed)


class SynAckWatch:
    """Per watched host, the SYN-ACKs of the last second, and a trip at its limit."""

    def __init__(self, iface: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._watched: dict[str, tuple[int, Callable[[], None]]] = {}
        self._seen: dict[str, deque[float]] = {}
        self._listener = FrameListener(iface, SYN_ACK_FILTER, self.frame, "synack-watch")

    def start(self) -> str | None:
        """None once listening, else why not (the engine then keeps the half share)."""
        return self._listener.start()

    def stop(self) -> None:
        self._listener.stop()

    def watch(self, ip: str, limit: int, on_trip: Callable[[], None]) -> None:
        """Call ``on_trip`` once when ``ip`` has sent ``limit`` SYN-ACKs within one second."""
        with self._lock:
            self._watched[ip] = (limit, on_trip)
            self._seen[ip] = deque()

    def forget(self, ip: str) -> None:
        with self._lock:
            self._watched.pop(ip, None)
            self._seen.pop(ip, None)

    def frame(self, raw: bytes) -> None:
        ip = source_ipv4(raw)
        now = self._clock()
        with self._lock:
            if ip not in self._watched:
                return
            limit, on_trip = self._watched[ip]
            seen = self._seen[ip]
            seen.append(now)
            while now - seen[0] >= 1.0:
                seen.popleft()
            if len(seen) < limit:
                return
            del self._watched[ip]  # once: the host's nmap is gone after this
        on_trip()
