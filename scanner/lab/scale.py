"""The lab's scale segment: N cheap hosts for benchmarks at MVZ size (``lab up --size N``).

Every host is a network namespace of its own (``pxlab-sNNNN``) with a veth into a bridge
that lives in ``pxlab-scale``, so ARP, the kernel's RST for a closed port and a firewall
that drops everything are real per host. The hosts sit in 10.64.0.0/22, the scanner of the
segment in ``pxlab-sscan`` at 10.64.3.254; nothing links the segment to the practice or to
the root namespace. One listener process (scale_listener.py) opens each host's 1-3 TCP
listeners inside its namespace, instead of one daemon per port. Every 5th host drops all
IPv4 like a Windows PC with its firewall on (it still answers ARP).

Setup cost, measured on the 2-core lab machine: about 8 ms per host (namespace, veth,
address; the firewall rule of every 5th host), so 1,000 hosts in about 10 s.

All namespaces share the kernel's one neighbour table and its limit (gc_thresh3, 1,024 by
default): the scanner's entry for every host plus every host's entry for the scanner
overflow it at about 500 hosts, and the kernel then drops packets (a 1,000-host quick scan
found 719 hosts and 787 of 1,486 open ports). A real network has a kernel per device, so the
segment raises the limits to what it needs (never lowers them; a reboot restores them).
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import LabError
from scanner.lab.netns import (PREFIX, in_ns, kill_namespace_processes, list_lab_namespaces,
                               listening, run)

SCALE_NS = PREFIX + "scale"  # the segment's bridge and its listener process
SCANNER_NS = PREFIX + "sscan"
SUBNET = ipaddress.IPv4Network("10.64.0.0/22")
SCANNER_IP = "10.64.3.254"
SCANNER_MAC = "02:50:52:41:58:02"
MAX_HOSTS = 1000  # a Linux bridge takes at most 1,024 ports
FIREWALLED_EVERY = 5
# Ports a host listens on, by its number: 1-3 of the services of an office network. What
# each answers (banner, HTTP, silence) is in scale_listener.py. No SMB or RDP: a listener
# that accepts and stays silent there would make every SMB/RDP probe wait for its timeout,
# where real servers answer at once.
PORT_SETS = ((22,), (80, 5432), (21, 80), (8080,), (22, 80), (22, 80, 5900), (80, 5900))


@dataclass(frozen=True)
class ScaleHost:
    number: int
    ip: str
    mac: str
    tcp_open: tuple[int, ...]
    firewalled: bool
    prefix: str = PREFIX

    @property
    def namespace(self) -> str:
        return f"{self.prefix}s{self.number:04d}"

    @property
    def port_name(self) -> str:  # its veth's name in the bridge namespace
        return f"s{self.number:04d}"


def scale_hosts(size: int, prefix: str = PREFIX) -> list[ScaleHost]:
    if not 0 <= size <= MAX_HOSTS:
        raise LabError(f"--size must be from 0 to {MAX_HOSTS} (a bridge takes 1,024 ports)")
    first = int(SUBNET.network_address)
    return [ScaleHost(number=i, ip=str(ipaddress.IPv4Address(first + i)),
                      mac=f"02:5c:00:00:{i >> 8:02x}:{i & 0xff:02x}",
                      tcp_open=PORT_SETS[i % len(PORT_SETS)],
                      firewalled=i % FIREWALLED_EVERY == 0, prefix=prefix)
            for i in range(1, size + 1)]


def build(lab_dir: Path, size: int, progress: Callable[[str], None],
          prefix: str = PREFIX) -> None:
    """Add the segment; the caller removes every namespace named ``prefix``* if this fails
    (``prefix``: pxlab- in the lab; a test's own pxtest-... elsewhere)."""
    hosts = scale_hosts(size, prefix)
    scale_ns, scanner_ns = prefix + "scale", prefix + "sscan"
    if not hosts:
        return
    started = time.monotonic()
    progress(f"scale segment: {size} hosts in {SUBNET}")
    _fit_neighbour_tables(size, progress)
    _fit_backlog(size, progress)
    for ns in (scale_ns, scanner_ns):
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    # The bridge is the segment's switch: no address of its own, so no IPv6 either (it would
    # take a link-local address and answer over IPv6 like a device).
    in_ns(scale_ns, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
                     "net.ipv6.conf.all.disable_ipv6=1"])
    run(["ip", "-n", scale_ns, "link", "add", "br0", "type", "bridge", "stp_state", "0",
         "forward_delay", "0", "mcast_snooping", "0"])
    run(["ip", "-n", scale_ns, "link", "set", "br0", "up"])
    # Both ends of every veth are created inside lab namespaces: none in the root namespace.
    root_batch = [f"netns add {h.namespace}" for h in hosts]
    root_batch += [f"link add eth0 netns {h.namespace} address {h.mac} type veth peer name "
                   f"{h.port_name} netns {scale_ns}" for h in hosts]
    root_batch.append(f"link add eth0 netns {scanner_ns} address {SCANNER_MAC} type veth "
                      f"peer name scanner netns {scale_ns}")
    _batch(None, root_batch)
    _batch(scale_ns, [f"link set {name} master br0 up"
                      for name in [h.port_name for h in hosts] + ["scanner"]])
    for ns, ip in [(h.namespace, h.ip) for h in hosts] + [(scanner_ns, SCANNER_IP)]:
        _batch(ns, ["link set lo up", "link set eth0 up",
                    f"addr add {ip}/{SUBNET.prefixlen} dev eth0"])
    for h in hosts:
        if h.firewalled:
            in_ns(h.namespace, ["iptables-legacy", "-P", "INPUT", "DROP"])
    spec = lab_dir / "scale.json"
    spec.write_text(json.dumps([[h.namespace, list(h.tcp_open)] for h in hosts]))
    log = (lab_dir / "scale-listener.log").open("ab")
    subprocess.Popen(["ip", "netns", "exec", scale_ns, sys.executable, "-m",
                      "scanner.lab.scale_listener", str(spec)], stdin=subprocess.DEVNULL,
                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                     cwd=Path(__file__).resolve().parents[2])
    log.close()
    _wait_listening(hosts[-1], lab_dir)
    progress(f"scale segment up: {size} hosts in {time.monotonic() - started:.1f} s")


def remove(prefix: str) -> None:
    """Remove a segment built with ``prefix`` outside the lab (a test's or a benchmark's):
    its listener first, then every namespace named ``prefix``*."""
    kill_namespace_processes(prefix + "scale")
    spaces = list_lab_namespaces(prefix)
    if spaces:
        _batch(None, [f"netns del {ns}" for ns in spaces])


def _fit_neighbour_tables(size: int, progress: Callable[[str], None]) -> None:
    """Room in the kernel's shared neighbour tables (IPv4 and IPv6) for every namespace's
    entries: 2 per host, and the practice's (see the module's docstring)."""
    need = 1 << (4 * size + 1024).bit_length()
    for family in ("ipv4", "ipv6"):
        base = Path(f"/proc/sys/net/{family}/neigh/default")
        current = _raise_sysctl(base / "gc_thresh3", need)
        if current is not None:
            _raise_sysctl(base / "gc_thresh2", need // 2)
            _raise_sysctl(base / "gc_thresh1", need // 8)
            progress(f"kernel neighbour table ({family}): gc_thresh3 {current} -> {need}")


def _fit_backlog(size: int, progress: Callable[[str], None]) -> None:
    """Room in the kernel's per-CPU input queue for a broadcast's copies: the bridge floods
    each who-has to every host's veth at once, and all of them wait in the one queue of the
    CPU that forwards (``net.core.netdev_max_backlog``, 1,000 by default). At 600 hosts a
    sweep at 1,000 who-has a second overflowed it and the kernel dropped who-has frames
    (``/proc/net/softnet_stat``'s second column), so a host's two who-has could both be lost.
    On a real switch every device has a kernel of its own. Raised, never lowered."""
    need = 1 << (16 * size).bit_length()
    current = _raise_sysctl(Path("/proc/sys/net/core/netdev_max_backlog"), need)
    if current is not None:
        progress(f"kernel input queue: netdev_max_backlog {current} -> {need}")


def _raise_sysctl(path: Path, need: int) -> int | None:
    """Set a kernel limit to ``need`` where it is lower (never lowered); the old value when
    it was raised, else None (high enough, or not readable here)."""
    try:
        current = int(path.read_text())
    except (OSError, ValueError):
        return None
    if current >= need:
        return None
    path.write_text(f"{need}\n")
    return current


def _batch(ns: str | None, commands: list[str]) -> None:
    argv = ["ip", *(["-n", ns] if ns else []), "-batch", "-"]
    p = subprocess.run(argv, input="\n".join(commands) + "\n", capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        raise LabError(f"ip -batch{' in ' + ns if ns else ''}: "
                       f"{(p.stderr.strip().splitlines() or ['failed'])[-1]}")


def _wait_listening(last: ScaleHost, lab_dir: Path, timeout: float = 60) -> None:
    """The listener opens the hosts in order: the last host listening means all do."""
    deadline = time.monotonic() + timeout
    while set(last.tcp_open) - listening(last.namespace):
        if time.monotonic() > deadline:
            raise LabError(f"scale listener not ready after {timeout:.0f} s; log: "
                           f"{lab_dir / 'scale-listener.log'}")
        time.sleep(0.2)
