"""Shared test helpers.

Lab tests need root and the lab's daemons. Outside CI they are skipped with the reason when
those are missing; under CI=true a missing prerequisite is a failure, never a skip.
Every packet a test sends goes to loopback or into namespaces the test's lab created.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Scans the tests run store their history here, not in the machine's /var/lib/praxisscan.
os.environ.setdefault("PRAXISSCAN_STATE_DIR", tempfile.mkdtemp(prefix="praxisscan-test-state-"))
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where everything must be installed."""
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


def captures_dir() -> Path:
    d = SHARED / "testdata" / "captures"
    if not d.is_dir():
        unavailable(f"shared captures not found at {d}")
    return d


def praxisscan(*args: str, ns: str | None = None, input: str | None = None,
               env: dict[str, str] | None = None, timeout: float = 600,
               wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI as a user would, optionally inside a lab namespace."""
    argv = [sys.executable, "-m", "scanner", *args]
    if ns:
        argv = ["ip", "netns", "exec", ns, *argv]
    if wrap:
        argv = [*wrap, *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          input=input, env={**os.environ, **(env or {})})


def require_lab_prerequisites() -> None:
    if os.geteuid() != 0:
        unavailable("lab tests need root (network namespaces)")
    from scanner.lab.lab import REQUIRED_TOOLS

    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        unavailable(f"lab tools missing: {', '.join(missing)} (bash scripts/dev.sh setup)")


@pytest.fixture(scope="module")
def lab():
    """A running lab practice for one test module; removed afterwards even on failure."""
    require_lab_prerequisites()
    from scanner.lab.lab import Lab

    practice_lab = Lab()
    practice_lab.root_links_before = root_links()  # type: ignore[attr-defined]
    try:
        practice_lab.up()
        yield practice_lab
    finally:
        practice_lab.down()


@pytest.fixture
def scratch_ns():
    """An empty namespace with one veth pair inside it (192.168.77.1/24 on eth0)."""
    if os.geteuid() != 0:
        unavailable("needs root to create a network namespace")
    name = f"pxtest-{os.getpid()}"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("ip", "netns", "add", name)
    try:
        run("ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        run("ip", "-n", name, "addr", "add", "192.168.77.1/24", "dev", "eth0")
        run("ip", "-n", name, "link", "set", "eth0", "up")
        run("ip", "-n", name, "link", "set", "eth1", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def netns_pids(ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture
def ns_pair() -> Iterator[Callable[[str, str], tuple[str, str]]]:
    """``ns_pair(tag, "10.97.0")``: two namespaces of the test's own, a scanner (.1) and a
    target (.2) on eth0, joined by one veth pair and to nothing else (never the root
    namespace). After the test every process left in them is killed and both are deleted,
    even on failure."""
    made: list[str] = []

    def run(*argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True)

    def make(tag: str, subnet: str) -> tuple[str, str]:
        if os.geteuid() != 0:
            unavailable("needs root to create network namespaces")
        scanner, target = f"pxtest-{tag}{os.getpid()}-a", f"pxtest-{tag}{os.getpid()}-b"
        for ns in (scanner, target):
            run("ip", "netns", "add", ns)
            made.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", scanner, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", target)
        for ns, ip in ((scanner, f"{subnet}.1/24"), (target, f"{subnet}.2/24")):
            run("ip", "-n", ns, "addr", "add", ip, "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
        return scanner, target

    try:
        yield make
    finally:
        for ns in made:
            for pid in netns_pids(ns):
                os.kill(pid, signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def root_links() -> set[str]:
    """Interface names in the root namespace: the lab must never add one."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


# -- the network-safety net of tests that run in the root namespace ---------------------------

def _loopback(address: object) -> bool:
    """Whether a socket address (as connect/sendto take it) stays on this machine."""
    if not isinstance(address, tuple) or not address:
        return True  # an AF_UNIX path, a netlink pair: no packet on a link
    host = str(address[0])
    if host in ("", "localhost", "lo"):  # "lo": an AF_PACKET socket bound to loopback
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name, or another interface of an AF_PACKET socket


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Outside the lab tests (which run the scanner in namespaces of their own), a socket of
    the test process may reach loopback only: a connect, a datagram or a raw socket bound
    to another interface is refused (no packet leaves) and fails the test, even where the
    code under test swallows the OSError as "no answer". Found a test that sent UDP
    questions to fe80::6%eth0 from the root namespace."""
    if request.node.get_closest_marker("lab") is not None:
        yield
        return
    refused: list[str] = []
    real = {name: getattr(socket.socket, name) for name in
            ("connect", "connect_ex", "sendto", "bind")}

    def guard(name: str) -> Callable[..., object]:
        def checked(self: socket.socket, *args: object) -> object:
            address = args[-1] if name == "sendto" else args[0]
            binding_a_link = name == "bind" and self.family == getattr(socket, "AF_PACKET", -1)
            if (name != "bind" or binding_a_link) and not _loopback(address):
                refused.append(f"{name}{address!r}")
                raise OSError(errno.EPERM, f"test network guard: {name} to {address!r}")
            return real[name](self, *args)
        return checked

    for name in real:
        monkeypatch.setattr(socket.socket, name, guard(name))
    yield
    assert not refused, f"the test sent beyond loopback from the root namespace: {refused}"
