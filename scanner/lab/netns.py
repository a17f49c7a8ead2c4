"""Thin wrappers over iproute2 for the lab's network namespaces.

Every namespace the lab makes carries ``PREFIX``; cleanup works from the kernel's list of
namespaces, not from the lab's state file, so it also recovers from a crash.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from scanner.errors import LabError

PREFIX = "pxlab-"

# Runs inside ``ip netns exec``: give the daemon its own hostname and private copies of the
# directories daemons write to, bound from the host's lab directory. Daemons then leave no
# pid file, socket, log or spool file anywhere but in the lab directory.
_WRAPPER = r"""
h=$1; d=$2; shift 2
hostname "$h"
mount --bind "$d/etc/resolv.conf" /etc/resolv.conf 2>/dev/null
mount --bind "$d/etc/hosts" /etc/hosts 2>/dev/null
for p in run var/log var/spool var/cache var/tmp; do mount --bind "$d/fs/$p" "/$p" || exit 97; done
TMPDIR="$d/fs/tmp" exec "$@"
"""
# /tmp stays shared: a checkout (and its venv, whose python runs the emulators) may live
# there. Daemons get TMPDIR inside the lab directory instead.
PRIVATE_DIRS = ("run", "var/log", "var/spool", "var/cache", "var/tmp")


def ns_name(host: str) -> str:
    return PREFIX + host


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> str:
    try:
        p = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise LabError(f"{argv[0]} is not installed (run: bash scripts/dev.sh setup)") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"timed out after {timeout:.0f} s: {' '.join(argv)}") from None
    if check and p.returncode != 0:
        msg = (p.stderr or p.stdout).strip().splitlines()
        raise LabError(f"{' '.join(argv)}: {msg[-1] if msg else f'exit {p.returncode}'}")
    return p.stdout


def in_ns(ns: str, argv: Sequence[str], **kw: object) -> str:
    return run(["ip", "netns", "exec", ns, *argv], **kw)  # type: ignore[arg-type]


def list_lab_namespaces(prefix: str = PREFIX) -> list[str]:
    out = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def ns_pids(ns: str) -> list[int]:
    out = run(["ip", "netns", "pids", ns], check=False)
    return [int(x) for x in out.split() if x.isdigit()]


def kill_namespace_processes(ns: str, grace: float = 2.0) -> None:
    """TERM everything in the namespace, KILL what is left after ``grace`` seconds, and
    return only when every one of those processes has exited."""
    pids = set(ns_pids(ns))
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    if not _wait_gone(pids, grace):
        for pid in pids | set(ns_pids(ns)):
            _signal(pid, signal.SIGKILL)
        if not _wait_gone(pids | set(ns_pids(ns)), 5.0):
            raise LabError(f"processes in {ns} survived SIGKILL: {sorted(pids)}")


def _wait_gone(pids: set[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        alive = {p for p in pids if _alive(p)}
        if not alive:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; its parent reaps it


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def delete_namespace(ns: str) -> None:
    kill_namespace_processes(ns)
    run(["ip", "netns", "del", ns], check=False)


def spawn(
    ns: str,
    hostname: str,
    hostdir: Path,
    argv: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
) -> int:
    """Start a daemon in its own session inside ``ns``; returns its pid (= process group)."""
    full = [
        "ip", "netns", "exec", ns,
        "unshare", "--uts", "--mount", "--propagation", "private", "--",
        "/bin/sh", "-c", _WRAPPER, "sh", hostname, str(hostdir), *argv,
    ]
    with log.open("ab") as out:
        p = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    return p.pid


def listening(ns: str, proto: str = "tcp") -> set[int]:
    """Ports with a listening socket in ``ns`` (bound to any address)."""
    flag = "-Hltn" if proto == "tcp" else "-Hlun"
    out = in_ns(ns, ["ss", flag], check=False)
    ports: set[int] = set()
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 4:
            local = cols[3]
            port = local.rsplit(":", 1)[-1]
            if port.isdigit():
                ports.add(int(port))
    return ports
