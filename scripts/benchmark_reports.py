#!/usr/bin/env python3
"""Rendering and diff speed on 1,000-host scans (no network).

Run from the checkout:  .venv/bin/python scripts/benchmark_reports.py
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.classification.classify import classify  # noqa: E402
from scanner.monitor.diff import diff  # noqa: E402
from scanner.rules.engine import apply_rules  # noqa: E402
from scripts.benchmark_classify import make_hosts  # noqa: E402
from scanner.model import Scan, Scope  # noqa: E402
from scanner.render import Format, render  # noqa: E402
from datetime import datetime, timezone  # noqa: E402


def median_time(fn, n: int = 5) -> float:  # noqa: ANN001
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    now = datetime.now(timezone.utc)
    hosts = tuple(classify(h) for h in make_hosts(1000))
    scan = apply_rules(Scan(started_at=now, finished_at=now, complete=True, hosts=hosts,
                            scope=Scope(targets=("10.0.0.0/16",), networks=("10.0.0.0/16",))), None)
    rng = random.Random(7)
    changed = list(scan.hosts)
    for i in rng.sample(range(len(changed)), 50):
        changed[i] = dataclasses.replace(changed[i], ip=f"10.200.{i >> 8}.{i & 255}")
    later = dataclasses.replace(scan, hosts=tuple(changed[25:]))
    for fmt in (Format.HTML, Format.TERMINAL, Format.JSON, Format.CSV):
        print(f"render {fmt.value} of 1,000 hosts ({len(scan.findings)} findings): "
              f"{median_time(lambda: render(scan, fmt)):.3f} s (median of 5)")  # noqa: B023
    print(f"diff of two 1,000-host scans: {median_time(lambda: diff(scan, later)) * 1000:.1f} ms "
          "(median of 5; budget 200 ms)")


if __name__ == "__main__":
    main()
