"""Reading a capture of a lab scan: the rate figures the capture tests and the scale
benchmark both judge the scanner by."""

from __future__ import annotations


def busiest_second(times: list[float]) -> int:
    """The most packets in any one-second window (sliding, not per calendar second): the
    figure a per-host or global packets-per-second cap must hold."""
    ts, worst, j = sorted(times), 0, 0
    for i in range(len(ts)):
        while ts[i] - ts[j] >= 1.0:
            j += 1
        worst = max(worst, i - j + 1)
    return worst
