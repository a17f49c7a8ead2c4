#!/usr/bin/env python3
"""Benchmark at MVZ size: praxisscan quick and standard against nmap, with the policy floor.

Run as root from the checkout:
    .venv/bin/python scripts/benchmark_scale.py 40 200 1000
Per size it builds the lab's scale segment of that many hosts on its own (namespaces
``pxbench-*``, apart from the practice lab, so the lab stays free for tests; every 5th host
drops all IPv4), scans the segment from its scanner namespace with praxisscan quick and standard
(--listen 1, --no-ipv6: the reference is IPv4 only; scripts/benchmark_ipv6.py measures
what the IPv6 pass adds) and with ``nmap -sS -sV --top-ports 1000 -T4`` in the same run, and prints
times, the policy floor, the ratios, the coverage on the shared port set and the peak RSS.

The floor: max(all packets / the global cap, the busiest host's packets / its cap) plus
the probes' time (see floor()); the probes' time is what one host's probes need after its
port scan: the second nmap may have used of the host's window, then the UDP probes' 1.5 s.

``--quick-only [--runs N]`` builds the segment once and runs only the quick scan, N times,
each with its capture and its coverage against the segment's own list of open ports: the
quick figure measured repeatedly in minutes, without the standard and nmap runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.lab import scale  # noqa: E402
from scanner.lab.wire import busiest_second  # noqa: E402
from scanner.policy import load_policy  # noqa: E402
from scanner.probes.registry import jobs_for  # noqa: E402
from scanner.ports import NEVER_PROBED, Profile, nmap_top_tcp, tcp_ports, udp_ports  # noqa: E402
from scripts.benchmark import nmap_open_tcp  # noqa: E402

PY = sys.executable
PREFIX = "pxbench-"
SCANNER_NS = PREFIX + "sscan"
PROBE_SECONDS = 1.0 + 1.5  # nmap's last second of the host, then the UDP probes' wait


def in_ns(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SCANNER_NS, *argv],
                          capture_output=True, text=True, cwd=REPO, **kw)


def floor(profile: Profile, size: int) -> float:
    """max(all packets / global cap, the busiest host's packets / its cap) + PROBE_SECONDS.

    nmap's packets: every port once, twice to the hosts that answer nothing (nmap's single
    retry), as the issue counts them; the probes' packets as registry.py counts them for
    each host's open ports."""
    policy = load_policy()
    ports = len(tcp_ports(profile)) + len(udp_ports(profile))
    total, busiest = 0.0, 0.0
    for h in scale.scale_hosts(size):
        nmap = ports * (2 if h.firewalled else 1)
        probes = sum(j.packets for j in jobs_for(h.ip, [] if h.firewalled else list(h.tcp_open),
                                                 policy.default.probes, scale.SCANNER_IP))
        total += nmap + probes
        busiest = max(busiest, (nmap + probes) / policy.default.host_pps)
    return max(total / policy.max_pps, busiest) + PROBE_SECONDS


def busiest_seconds(pcap: Path) -> tuple[int, int]:
    """(busiest second over all hosts, busiest second of any one host) of what the scanner
    sent: IPv4 from its address (kernel RSTs included) and its ARP requests."""
    from scapy.utils import RawPcapReader

    me = bytes(int(x) for x in scale.SCANNER_IP.split("."))
    every: list[float] = []
    per: dict[bytes, list[float]] = {}
    for data, meta in RawPcapReader(str(pcap)):
        t = meta.sec + meta.usec / 1e6
        kind = data[12:14]
        if kind == b"\x08\x00" and data[26:30] == me:
            dst = data[30:34]
        elif kind == b"\x08\x06" and data[20:22] == b"\x00\x01" and data[28:32] == me:
            dst = data[38:42]
        else:
            continue
        every.append(t)
        per.setdefault(dst, []).append(t)
    return busiest_second(every), max((busiest_second(ts) for ts in per.values()), default=0)


def target(size: int) -> str:
    """The smallest network that holds the segment's first ``size`` hosts: what an operator
    would scan (a /24 for 200 hosts, the /22 for 1,000)."""
    last = ipaddress.IPv4Address(scale.scale_hosts(size)[-1].ip)
    for prefix in range(30, scale.SUBNET.prefixlen - 1, -1):
        net = ipaddress.IPv4Network(f"{scale.SUBNET.network_address}/{prefix}")
        if last < net.broadcast_address:
            return str(net)
    return str(scale.SUBNET)


def praxisscan(profile: Profile, out: Path, size: int, capture: bool = False) -> dict[str, object]:
    path = out / f"{profile.value}.json"
    pcap = out / f"{profile.value}.pcap"
    dump = subprocess.Popen(["ip", "netns", "exec", SCANNER_NS, "tcpdump", "-i", "eth0",
                             "-U", "-n", "-s", "64", "-w", str(pcap), "src", scale.SCANNER_IP,
                             "or", "arp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL) if capture else None
    if dump:
        time.sleep(1.0)
    t = time.perf_counter()
    r = in_ns(["/usr/bin/time", "-f", "maxrss %M", PY, "-m", "scanner", "scan", target(size),
               "-i", "eth0", "--profile", profile.value, "--listen", "1", "--format", "json",
               "-o", str(path), "-q", "--fail-on", "none", "--no-history",
               "--no-ipv6"])  # like with like: the nmap reference scans IPv4 only
    seconds = time.perf_counter() - t
    if dump:
        time.sleep(0.5)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=30)
    if r.returncode != 0:
        sys.exit(f"praxisscan {profile.value} failed: {r.stderr[-2000:]}")
    scan = json.loads(path.read_text())
    rss = int(re.findall(r"maxrss (\d+)", r.stderr)[-1]) / 1024
    return {"seconds": seconds, "rss": rss, "hosts": [h["ip"] for h in scan["hosts"]],
            "busiest": busiest_seconds(pcap) if dump else None,
            "open": {(h["ip"], s["port"]) for h in scan["hosts"] for s in h["services"]
                     if s["protocol"] == "tcp"}}


def nmap(hosts: list[str], out: Path) -> dict[str, object]:
    xml, targets = out / "nmap.xml", out / "targets.txt"
    targets.write_text("\n".join(hosts) + "\n")
    t = time.perf_counter()
    in_ns(["nmap", "-n", "-sS", "-sV", "--top-ports", "1000", "-T4", "-oX", str(xml),
           "-iL", str(targets)])
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "open": nmap_open_tcp(xml.read_text())}


def missing(ours: set, theirs: set, profile: Profile) -> list:
    shared = (set(tcp_ports(profile)) & set(nmap_top_tcp(1000))) - set(NEVER_PROBED)
    return sorted((ip, p) for ip, p in theirs - ours if p in shared)


def one_size(size: int, skip_nmap: bool) -> dict[str, object]:
    t = time.perf_counter()
    scale.remove(PREFIX)  # what an interrupted run left
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            scale.build(out, size, lambda m: print(f"segment: {m}", file=sys.stderr),
                        prefix=PREFIX)
            setup = time.perf_counter() - t
            load = os.getloadavg()[0]
            quick = praxisscan(Profile.QUICK, out, size, capture=True)
            std = praxisscan(Profile.STANDARD, out, size)
            theirs = nmap(std["hosts"], out) if not skip_nmap else {"seconds": float("nan"),
                                                                   "open": set()}
            load = max(load, os.getloadavg()[0])
    finally:
        scale.remove(PREFIX)
    return {
        "size": size, "setup": setup, "found": len(std["hosts"]), "load": load,
        "quick": quick["seconds"], "quick_floor": floor(Profile.QUICK, size),
        "standard": std["seconds"], "standard_floor": floor(Profile.STANDARD, size),
        "nmap": theirs["seconds"], "rss": max(quick["rss"], std["rss"]),
        "missing_quick": missing(quick["open"], theirs["open"], Profile.QUICK),
        "missing_standard": missing(std["open"], theirs["open"], Profile.STANDARD),
        "nmap_open": len(theirs["open"]), "ours_open": len(std["open"]),
        "busiest": quick["busiest"],
    }


def present(size: int, profile: Profile) -> set[tuple[str, int]]:
    """The open TCP ports of the segment that ``profile`` asks: what a scan should find."""
    asked = set(tcp_ports(profile))
    return {(h.ip, p) for h in scale.scale_hosts(size) if not h.firewalled
            for p in h.tcp_open if p in asked}


def quick_only(size: int, runs: int) -> None:
    """Only the quick scan, ``runs`` times on one segment: time, coverage, busiest second."""
    scale.remove(PREFIX)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            scale.build(out, size, lambda m: print(f"segment: {m}", file=sys.stderr),
                        prefix=PREFIX)
            there = present(size, Profile.QUICK)
            times = []
            for i in range(runs):
                load = os.getloadavg()[0]
                r = praxisscan(Profile.QUICK, out, size, capture=True)
                times.append(r["seconds"])
                found = len(r["open"] & there)  # type: ignore[operator]
                print(f"{size} hosts quick run {i + 1}: {r['seconds']:.2f} s (floor "
                      f"{floor(Profile.QUICK, size):.1f} s, load {load:.1f}), open ports "
                      f"{found} of {len(there)} found, busiest second (all, one host) "
                      f"{r['busiest']}, peak RSS {r['rss']:.0f} MiB", flush=True)
    finally:
        scale.remove(PREFIX)
    print(f"{size} hosts quick, {runs} runs: median {statistics.median(times):.2f} s, "
          f"range {min(times):.2f}-{max(times):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sizes", nargs="*", type=int, default=[40, 200, 1000])
    ap.add_argument("--skip-nmap", action="store_true", help="praxisscan only (development)")
    ap.add_argument("--quick-only", action="store_true",
                    help="only the quick scan (no standard, no nmap), --runs times per size")
    ap.add_argument("--runs", type=int, default=1, help="quick scans per size (--quick-only)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (the lab uses network namespaces)")
    if a.quick_only:
        for size in a.sizes:
            quick_only(size, max(1, a.runs))
        return
    rows = []
    for size in a.sizes:
        r = one_size(size, a.skip_nmap)
        rows.append(r)
        print(f"{size} hosts (lab set-up {r['setup']:.1f} s, {r['found']} found, load "
              f"{r['load']:.1f}): quick {r['quick']:.1f} s (floor {r['quick_floor']:.1f} s, "
              f"{r['quick'] / r['quick_floor']:.2f}x), standard {r['standard']:.1f} s (floor "
              f"{r['standard_floor']:.1f} s, {r['standard'] / r['standard_floor']:.2f}x), nmap "
              f"{r['nmap']:.1f} s, standard/nmap {r['standard'] / r['nmap']:.2f}, peak RSS "
              f"{r['rss']:.0f} MiB; open TCP ports nmap {r['nmap_open']}, praxisscan standard "
              f"{r['ours_open']}; quick scan's busiest second (all, one host): "
              f"{r['busiest']}; nmap's ports missing on the shared port set: quick "
              f"{r['missing_quick'] or 'none'}, standard {r['missing_standard'] or 'none'}",
              flush=True)
    print("\n| hosts | quick (floor, ratio) | standard (floor, ratio) | nmap -sS -sV "
          "--top-ports 1000 -T4 | standard / nmap | peak RSS |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['quick']:.1f} s ({r['quick_floor']:.1f} s, "
              f"{r['quick'] / r['quick_floor']:.2f}x) | {r['standard']:.1f} s "
              f"({r['standard_floor']:.1f} s, {r['standard'] / r['standard_floor']:.2f}x) | "
              f"{r['nmap']:.1f} s | {r['standard'] / r['nmap']:.2f} | {r['rss']:.0f} MiB |")


if __name__ == "__main__":
    main()
