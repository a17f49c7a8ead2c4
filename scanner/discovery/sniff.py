"""Listening on one interface: an AF_PACKET socket (scapy's L2ListenSocket) with a BPF
filter, read by a daemon thread that hands every frame on as bytes.

scapy is imported on start() only: it takes about half a second, which --help never pays.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from typing import Any


def quiet_scapy() -> None:
    """scapy logs warnings to stderr itself; library code must not print."""
    import logging

    logging.getLogger("scapy").setLevel(logging.ERROR)


class FrameListener:
    """Frames matching ``bpf`` on interface ``iface``, each passed to ``on_frame`` in the
    listener's thread until stop()."""

    def __init__(self, iface: str, bpf: str, on_frame: Callable[[bytes], None],
                 thread_name: str) -> None:
        self.iface = iface
        self.bpf = bpf
        self.on_frame = on_frame
        self.thread_name = thread_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: Any = None
        # stop() writes one byte here: the loop's select() wakes at once instead of at its
        # next poll, so that the scan's last second is not spent waiting for its listeners.
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None

    def start(self) -> str | None:
        """None once listening, else why it cannot (no BPF compiler, no permission, no
        such interface): the caller says so, the scan goes on."""
        from scapy.arch.linux import L2ListenSocket

        quiet_scapy()
        try:
            self._sock = L2ListenSocket(iface=self.iface, filter=self.bpf)
        except Exception as e:  # noqa: BLE001 - no BPF compiler / no permission
            return str(e)
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return None

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread and self._wake_w and self._wake_r:
            self._wake_w.send(b"\0")
            thread.join(timeout=2)
            self._sock.close()
            self._wake_w.close()
            self._wake_r.close()

    def _loop(self) -> None:
        wake = self._wake_r
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock, wake], [], [])
            if self._sock not in ready:
                continue  # woken by stop()
            try:
                _cls, raw, _ts = self._sock.recv_raw()
            except Exception:  # noqa: BLE001 - a socket hiccup must not end the listener
                continue
            if raw:
                self.on_frame(raw)
