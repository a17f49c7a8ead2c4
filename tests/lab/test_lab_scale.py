"""The scale segment at MVZ size, in namespaces of the test's own (no practice lab needed).

600 hosts are more than the kernel's shared neighbour table takes by default (each host's
entry for the scanner plus the scanner's for each host): before the segment made room, a
quick scan lost hosts and open ports to "neighbor table overflow". Here every host and every
open port of the quick profile must be found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.ports import Profile, tcp_ports
from tests.conftest import REPO, unavailable

pytestmark = pytest.mark.lab
SIZE = 600


@pytest.fixture(scope="module")
def segment(tmp_path_factory) -> Iterator[str]:
    if os.geteuid() != 0:
        unavailable("needs root to create network namespaces")
    from scanner.lab import scale

    prefix = f"pxtest-sc{os.getpid()}-"
    try:
        scale.build(tmp_path_factory.mktemp("scale"), SIZE, lambda m: None, prefix=prefix)
        yield prefix
    finally:
        scale.remove(prefix)


def test_a_quick_scan_of_600_hosts_finds_every_host_and_open_port(segment: str,
                                                                   tmp_path: Path) -> None:
    from scanner.lab import scale

    out = tmp_path / "scan.json"
    r = subprocess.run(["ip", "netns", "exec", segment + "sscan", sys.executable, "-m",
                        "scanner", "scan", "10.64.0.0/22", "-i", "eth0", "--profile", "quick",
                        "--listen", "1", "--format", "json", "-o", str(out), "-q",
                        "--fail-on", "none", "--no-history"],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    scan = json.loads(out.read_text())
    found = {h["ip"]: {s["port"] for s in h["services"] if s["protocol"] == "tcp"}
             for h in scan["hosts"]}
    hosts = scale.scale_hosts(SIZE)
    assert sorted(set(h.ip for h in hosts) - set(found)) == []
    quick = set(tcp_ports(Profile.QUICK))
    missed = {h.ip: sorted(set(h.tcp_open) & quick - found[h.ip])
              for h in hosts if not h.firewalled and set(h.tcp_open) & quick - found[h.ip]}
    assert missed == {}
    # the segment's bridge is a switch, not a device seen over IPv6 only
    assert not [n for n in scan["not_tested"] if n["check"] == "ipv6-only-devices"]
