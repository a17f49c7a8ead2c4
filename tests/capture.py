"""tcpdump on eth0 of a namespace of the test's own (or the lab's), around a block: what the
tests check on the wire."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def capture(ns: str, pcap: Path, *bpf: str, after: float = 0.5) -> Iterator[None]:
    """Every frame on eth0 of ``ns`` that matches the filter ``bpf`` (all when empty),
    written to ``pcap`` from before the block until ``after`` seconds after it."""
    dump = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "eth0", "-U", "-n",
                             "-w", str(pcap), *bpf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # tcpdump needs a moment before it captures
    try:
        yield
    finally:
        time.sleep(after)  # a late packet of the block is still captured
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
