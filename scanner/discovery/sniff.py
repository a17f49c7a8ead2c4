"""Listening on one interface: an AF_PACKET socket (scapy's L2ListenSocket) with a BPF
filter, read by a daemon thread that hands every frame on as bytes.

scapy is imported on start() only: it takes about half a second, which --help never pays.
"""

from __future__ import annotations

import select
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

    def start(self) -> str | None:
        """None once listening, else why it cannot (no BPF compiler, no permission, no
        such interface): the caller says so, the scan goes on."""
        from scapy.arch.linux import L2ListenSocket

        quiet_scapy()
        try:
            self._sock = L2ListenSocket(iface=self.iface, filter=self.bpf)
        except Exception as e:  # noqa: BLE001 - no BPF compiler / no permission
            return str(e)
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return None

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
            self._sock.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.2)
            if not ready:
                continue
            try:
                _cls, raw, _ts = self._sock.recv_raw()
            except Exception:  # noqa: BLE001 - a socket hiccup must not end the listener
                continue
            if raw:
                self.on_frame(raw)
