"""What the IPv6 side costs: the lab practice scanned IPv4-only (--no-ipv6) and dual-stack,
side by side, alternating, on the same running lab. Prints each run's wall time and the
medians. Run as root, under the lab lock, from the repository root:

    flock /tmp/praxisscan-lab.lock .venv/bin/python scripts/benchmark_ipv6.py --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.lab.lab import SCANNER_NS, Lab  # noqa: E402


def one(ipv6: bool, out: Path, profile: str) -> float:
    argv = ["ip", "netns", "exec", SCANNER_NS, sys.executable, "-m", "scanner", "scan",
            str(Lab().practice.subnet), "--interface", "eth0", "--profile", profile,
            "--format", "json", "--output", str(out), "--fail-on", "none", "--quiet"]
    if not ipv6:
        argv.append("--no-ipv6")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=600)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit(f"scan failed: {r.stderr.strip()[-300:]}")
    return wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile", default="quick")
    args = ap.parse_args()
    lab = Lab()
    lab.up()
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.rounds):
                for ipv6 in (False, True) if i % 2 == 0 else (True, False):
                    wall = one(ipv6, Path(tmp) / "scan.json", args.profile)
                    times[ipv6].append(wall)
                    print(f"round {i + 1} {'dual-stack' if ipv6 else 'IPv4 only '}: {wall:.1f} s",
                          flush=True)
    finally:
        lab.down()
    v4, v6 = statistics.median(times[False]), statistics.median(times[True])
    print(f"median IPv4 only {v4:.1f} s, dual-stack {v6:.1f} s: IPv6 adds {100 * (v6 / v4 - 1):+.0f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
