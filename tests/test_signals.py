"""Signals and deadlines stop every nmap we started, and the partial scan is written.

Two namespaces of the test's own, linked by one veth pair and to nothing else: the scanner
(10.98.0.1) and a target (10.98.0.2) whose firewall drops every TCP packet, so a port scan
takes long enough to be interrupted. Routed addresses (10.99.0.0/22) point at the target,
which does not forward: host discovery towards them hears nothing and stays busy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, netns_pids

pytestmark = pytest.mark.lab


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture
def pair(ns_pair: Callable[[str, str], tuple[str, str]]) -> tuple[str, str]:
    scanner, target = ns_pair("sig", "10.98.0")
    _run("ip", "-n", scanner, "route", "add", "10.99.0.0/22", "via", "10.98.0.2")
    _run("ip", "netns", "exec", target, "iptables", "-A", "INPUT", "-p", "tcp", "-j", "DROP")
    return scanner, target


def _nmaps(ns: str) -> list[int]:
    found = []
    for pid in netns_pids(ns):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "nmap":
                found.append(pid)
        except OSError:
            pass
    return found


def _start_scan(ns: str, out: Path, *args: str) -> subprocess.Popen[str]:
    argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "scanner", "scan", *args,
            "-i", "eth0", "--format", "json", "--output", str(out), "--no-history",
            "--listen", "0", "--quiet", "--fail-on", "none"]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)


def _wait_for_nmap(ns: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(200):
        if _nmaps(ns):
            time.sleep(1.0)  # well inside its work
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    pytest.fail("nmap never started")


@pytest.mark.parametrize("sig, word", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_signal_during_port_scan_stops_nmap_and_writes_the_partial_scan(
        pair: tuple[str, str], tmp_path: Path, sig: signal.Signals, word: str) -> None:
    scanner, _ = pair
    out = tmp_path / "scan.json"
    proc = _start_scan(scanner, out, "10.98.0.2", "--profile", "standard")
    _wait_for_nmap(scanner, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert _nmaps(scanner) == [], "an nmap outlived praxisscan"
    assert netns_pids(scanner) == []
    scan = json.loads(out.read_text())
    assert scan["complete"] is False
    assert any(word in n["reason"] for n in scan["not_tested"]), scan["not_tested"]
    assert [h["ip"] for h in scan["hosts"]] == ["10.98.0.2"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_routed_discovery_stops_nmap(pair: tuple[str, str], tmp_path: Path,
                                                   sig: signal.Signals) -> None:
    scanner, _ = pair
    out = tmp_path / "scan.json"
    proc = _start_scan(scanner, out, "10.99.0.0/22")
    _wait_for_nmap(scanner, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert netns_pids(scanner) == []
    assert json.loads(out.read_text())["complete"] is False


def test_time_budget_ends_routed_discovery(pair: tuple[str, str], tmp_path: Path) -> None:
    scanner, _ = pair
    out = tmp_path / "scan.json"
    started = time.monotonic()
    proc = _start_scan(scanner, out, "10.99.0.0/22", "--max-time", "2")
    _, err = proc.communicate(timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 2 and "Traceback" not in err, err
    # The budget is honoured, not a benchmark: before, nmap ran on for 40 s and more.
    assert took < 20, f"--max-time 2 took {took:.1f} s"
    assert netns_pids(scanner) == []
    scan = json.loads(out.read_text())
    assert scan["complete"] is False
    assert any("time budget" in n["reason"] for n in scan["not_tested"])


SITE = """[practice]
name = "Praxis Signal"
size = "praxis"

[[network]]
cidr = "10.98.0.0/29"
zone = "praxis"
"""


def _watch(ns: str, tmp_path: Path, state: Path) -> subprocess.Popen[str]:
    site = tmp_path / "praxis.toml"
    site.write_text(SITE)
    argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "scanner", "watch", "--site",
            str(site), "-i", "eth0", "--report-dir", str(tmp_path / "reports")]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PRAXISSCAN_STATE_DIR": str(state)})


def test_watch_with_a_damaged_history_still_writes_the_report(pair: tuple[str, str],
                                                              tmp_path: Path) -> None:
    scanner, _ = pair
    state = tmp_path / "state"
    state.mkdir()
    (state / "history.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    proc = _watch(scanner, tmp_path, state)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    assert "damaged" in err and "Traceback" not in err
    assert [p.suffix for p in (tmp_path / "reports").iterdir()] == [".html"]


def test_watch_cut_short_by_sigterm_is_stored_as_incomplete_and_exits_2(
        pair: tuple[str, str], tmp_path: Path) -> None:
    scanner, _ = pair
    state = tmp_path / "state"
    proc = _watch(scanner, tmp_path, state)
    _wait_for_nmap(scanner, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err  # before: 0, "stored as the first of this network"
    assert "cut short" in err and "Traceback" not in err
    assert netns_pids(scanner) == []
    from scanner.monitor.history import History

    entries = History.reader(state / "history.sqlite").entries()
    assert len(entries) == 1 and not entries[0].complete
