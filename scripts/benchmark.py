#!/usr/bin/env python3
"""Side-by-side benchmark on the lab practice: praxisscan against nmap and arp-scan.

Run as root from the checkout:  sudo .venv/bin/python scripts/benchmark.py
It builds the lab (unless --keep-lab finds one running), runs every tool inside the lab's
scanner namespace in the same run, and ends with one ratio per line. Nothing here is a
test: the figures go into the README's performance section.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.lab.lab import SCANNER_NS, Lab  # noqa: E402
from scanner.lab.topology import load_practice  # noqa: E402
from scanner.ports import NEVER_PROBED  # noqa: E402

PY = sys.executable
SUBNET = str(load_practice().subnet)

ARP_SNIPPET = """
import ipaddress, json, time
from scanner import netinfo
from scanner.discovery.arp import arp_sweep
from scanner.plan import ARP_RATE_PPS
iface = netinfo.interface("eth0")
net = ipaddress.ip_network("%s")
import scapy.layers.l2  # imported before the clock starts: we time the sweep, not the import
t = time.perf_counter()
found = arp_sweep(iface, net.hosts(), rate_pps=ARP_RATE_PPS, rounds=2)  # the CLI default
print(json.dumps({"seconds": time.perf_counter() - t, "hosts": sorted(r.ip for r in found)}))
""" % SUBNET


def in_ns(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", SCANNER_NS, *argv], capture_output=True,
                          text=True, cwd=REPO, **kw)


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    r = in_ns(argv)
    return time.perf_counter() - t, r


def arp(repeat: int) -> dict[str, object]:
    ours = [json.loads(in_ns([PY, "-c", ARP_SNIPPET], check=True).stdout) for _ in range(repeat)]
    nmap_runs = [timed(["nmap", "-n", "-sn", SUBNET, "-oG", "-"]) for _ in range(repeat)]
    arpscan_runs = [timed(["arp-scan", "-I", "eth0", SUBNET]) for _ in range(repeat)]
    nmap_hosts = set(re.findall(r"Host: (\S+) .*Status: Up", nmap_runs[0][1].stdout))
    arpscan_hosts = set(re.findall(r"^(\d+\.\d+\.\d+\.\d+)\s", arpscan_runs[0][1].stdout, re.M))
    own = in_ns(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.split()[3].split("/")[0]
    nmap_hosts.discard(own)
    return {
        "ours": statistics.median(r["seconds"] for r in ours),
        "nmap": statistics.median(t for t, _ in nmap_runs),
        "arpscan": statistics.median(t for t, _ in arpscan_runs),
        "same_hosts": set(ours[0]["hosts"]) == nmap_hosts == arpscan_hosts,
        "hosts": len(ours[0]["hosts"]),
    }


def standard(out: Path) -> dict[str, object]:
    scan_json = out / "standard.json"
    t = time.perf_counter()
    # IPv4 only, like the nmap reference; scripts/benchmark_ipv6.py measures the IPv6 part
    r = in_ns([PY, "-m", "scanner", "scan", SUBNET, "-i", "eth0", "--profile", "standard",
               "--format", "json", "-o", str(scan_json), "-q", "--fail-on", "none",
               "--no-ipv6"])
    ours = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"praxisscan failed: {r.stderr}")
    scan = json.loads(scan_json.read_text())
    hosts = [h["ip"] for h in scan["hosts"]]
    xml = out / "nmap.xml"
    t = time.perf_counter()
    in_ns(["nmap", "-n", "-sS", "-sV", "--top-ports", "1000", "-T4", "-oX", str(xml), *hosts])
    theirs = time.perf_counter() - t
    # The comparison covers the port set both scan: praxisscan never probes 9100-9107.
    nmap_open = {(ip, port) for ip, port in nmap_open_tcp(xml.read_text())
                 if port not in NEVER_PROBED}
    ours_open = {(h["ip"], s["port"]) for h in scan["hosts"] for s in h["services"]}
    missing = sorted(nmap_open - ours_open)
    return {"ours": ours, "nmap": theirs, "missing": missing, "nmap_open": len(nmap_open),
            "ours_open": len(ours_open)}


def nmap_open_tcp(xml: str) -> set[tuple[str, int]]:
    """(IPv4 address, port) of every TCP port nmap's XML output (-oX) calls open; read
    apart from praxisscan's own nmap adapter, whose results it is the reference for."""
    found = set()
    for host in re.findall(r"<host .*?</host>", xml, re.S):
        ip = re.search(r'addr="([\d.]+)" addrtype="ipv4"', host).group(1)
        for port in re.findall(r'<port protocol="tcp" portid="(\d+)"><state state="open"', host):
            found.add((ip, int(port)))
    return found


def help_time(repeat: int = 7) -> float:
    """Median wall time of ``praxisscan --help`` as an installed copy starts: Python's
    bytecode cache written (pip writes it at install; a PYTHONDONTWRITEBYTECODE in the
    caller's environment would make every run compile the sources again), first run not
    counted."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        subprocess.run([PY, "-m", "scanner", "--help"], capture_output=True, check=True, cwd=REPO,
                       env=env)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs[1:])


def peak_memory(out: Path) -> float:
    """Peak RSS (MiB) of the largest process any scan in this run started (praxisscan or
    one of its nmap children): the kernel reports the maximum over all waited children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    in_ns([PY, "-m", "scanner", "scan", SUBNET, "-i", "eth0", "--format", "json",
           "-o", str(out / "quick.json"), "-q"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep-lab", action="store_true", help="use a running lab, leave it up")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each ARP tool (median)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (the lab uses network namespaces)")
    lab = Lab(progress=lambda m: print(f"lab: {m}", file=sys.stderr))
    if not (a.keep_lab and lab.status().up):
        lab.up()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            print("ARP discovery of the lab /24 ...", file=sys.stderr)
            arp_r = arp(a.repeat)
            print("standard profile vs nmap -sS -sV --top-ports 1000 -T4 (minutes) ...",
                  file=sys.stderr)
            std = standard(out)
            mem = peak_memory(out)
            hlp = help_time()
    finally:
        if not a.keep_lab:
            lab.down()
    print(f"ARP discovery: praxisscan {arp_r['ours']:.3f} s, nmap -sn {arp_r['nmap']:.3f} s, "
          f"arp-scan {arp_r['arpscan']:.3f} s; {arp_r['hosts']} hosts; same hosts found: "
          f"{arp_r['same_hosts']}")
    print(f"standard profile: praxisscan {std['ours']:.1f} s, nmap {std['nmap']:.1f} s; open "
          f"ports nmap {std['nmap_open']} (9100-9107 left out), praxisscan {std['ours_open']}; "
          f"nmap ports missing in praxisscan: {std['missing'] or 'none'}")
    print(f"praxisscan --help: {hlp:.3f} s (median of 7)")
    print(f"peak memory (largest scan process of this run): {mem:.0f} MiB")
    print(f"ratio ARP praxisscan/nmap -sn: {arp_r['ours'] / arp_r['nmap']:.2f}")
    print(f"ratio ARP praxisscan/arp-scan: {arp_r['ours'] / arp_r['arpscan']:.2f}")
    print(f"ratio standard praxisscan/nmap: {std['ours'] / std['nmap']:.2f}")


if __name__ == "__main__":
    main()
