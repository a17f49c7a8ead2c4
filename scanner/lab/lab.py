"""Build, inspect and remove the lab practice.

Topology: one namespace per host, all attached by veth to a bridge that lives in its own
namespace (``pxlab-lan``); the router has a second veth to a dead-end ``pxlab-internet``
namespace. No interface is ever created in the root namespace, so nothing the lab or a scan
inside it sends can reach the machine's own network.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from scanner.errors import LabError, PrivilegeError, ToolMissingError
from scanner.lab import ipv6, netns, scale
from scanner.lab.daemons import HostDir, procs_for
from scanner.lab.netns import PREFIX, in_ns, ns_name, run
from scanner.lab.topology import LabHost, Practice, load_practice

LAB_SITE_FILE = Path(__file__).with_name("praxis.toml")  # the lab practice's own site file
DEFAULT_DIR = Path(os.environ.get("PRAXISSCAN_LAB_DIR", "/var/lib/praxisscan/lab"))
LAN_NS = PREFIX + "lan"
INTERNET_NS = PREFIX + "internet"
SCANNER_NS = PREFIX + "scanner"
REQUIRED_TOOLS = ("ip", "unshare", "iptables-legacy", "busybox", "socat", "openssl", "nmap",
                  "smbd", "nmbd", "nginx", "miniupnpd", "upnpc", "snmpd", "cupsd", "xrdp",
                  "vsftpd", "ssh-keygen", "runuser", "Xtigervnc", "radvd",
                  "ip6tables-legacy-restore")
READY_TIMEOUT = 30.0
# The lab's namespaces (pxlab-*) are one per machine, whatever the directory: whoever brings
# the lab up holds this lock until its down(); another up() or down() waits for it instead
# of tearing the lab down under a running scan (a CI run and a benchmark did, and the CI's
# lab tests then saw another process's fresh lab: no new phone, no UPnP mapping yet).
LOCK_FILE = Path(os.environ.get("PRAXISSCAN_LAB_LOCK", "/var/lib/praxisscan/lab.lock"))
LOCK_WAIT = 1800.0  # seconds; a benchmark holds the lab for many minutes
DHCP_RECONNECT_SECONDS = 3

Progress = Callable[[str], None]

_UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc hook: configure the lease on the interface, nothing else.
case "$1" in
  bound|renew)
    ip addr replace "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done ;;
esac
exit 0
"""


@dataclass(frozen=True)
class HostStatus:
    name: str
    ip: str
    namespace_exists: bool
    tcp_missing: tuple[int, ...]
    udp_missing: tuple[int, ...]

    @property
    def ready(self) -> bool:
        return self.namespace_exists and not self.tcp_missing and not self.udp_missing


def _gone_is_fine(func, path, exc_info) -> None:  # noqa: ANN001
    """rmtree: a file that vanished meanwhile (a daemon's pid file, another `lab down`
    racing this one) is what we wanted anyway."""
    if not issubclass(exc_info[0], FileNotFoundError):
        raise exc_info[1]


@dataclass(frozen=True)
class LabStatus:
    namespaces: tuple[str, ...]
    hosts: tuple[HostStatus, ...]

    @property
    def up(self) -> bool:
        return bool(self.namespaces) and all(h.ready for h in self.hosts)


class Lab:
    def __init__(self, directory: Path = DEFAULT_DIR, practice: Practice | None = None,
                 progress: Progress | None = None, wait: float | None = None) -> None:
        self.dir = directory.resolve()
        # Daemons see a private /run, /var/log ...: what lies below would vanish for them.
        for what, path in (("the lab directory", self.dir),
                           ("praxisscan's Python", Path(sys.executable).parent)):
            hidden = [d for d in netns.PRIVATE_DIRS if path.is_relative_to("/" + d)]
            if hidden:
                raise LabError(f"{what} ({path}) must not be under /{hidden[0]}")
        self.practice = practice or load_practice()
        self.progress = progress or (lambda msg: None)
        self.wait = LOCK_WAIT if wait is None else wait  # seconds for another owner
        self._lock: IO[str] | None = None  # the open lock file while this object owns the lab

    # -- public --------------------------------------------------------------------------

    def up(self, size: int = 0) -> None:
        """The practice; with ``size``, also the scale segment of that many hosts. Waits
        while another process owns the lab; this object owns it until down()."""
        _require_root()
        scale.scale_hosts(size)  # a wrong size fails before anything is built
        missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
        if missing:
            raise ToolMissingError(
                f"the lab needs {', '.join(missing)} (run: bash scripts/dev.sh setup)")
        self._own()
        try:
            if netns.list_lab_namespaces() or self.dir.exists():
                self.progress("cleaning up an earlier lab")  # of a process that has ended
                self._remove()
            self._build()
            scale.build(self.dir, size, self.progress)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Remove the lab; one another process still owns is waited for, not torn down."""
        _require_root()
        self._own()
        try:
            self._remove()
        finally:
            self._release()

    def _own(self) -> None:
        if self._lock is not None:
            return
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        f = open(LOCK_FILE, "a+")  # noqa: SIM115 - held open until _release()
        deadline, said = time.monotonic() + self.wait, False
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                f.seek(0)
                owner = f.read().strip()[:40] or "?"
                if time.monotonic() >= deadline:
                    f.close()
                    raise LabError(f"the lab is in use by process {owner} "
                                   f"({LOCK_FILE}); waited {self.wait:.0f} s") from None
                if not said:
                    self.progress(f"waiting: the lab is in use by process {owner}")
                    said = True
                time.sleep(min(1.0, self.wait))
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._lock = f

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the flock
            self._lock = None

    def _remove(self) -> None:
        spaces = netns.list_lab_namespaces()
        for ns in spaces:  # stop every process first, so none is left in a deleted namespace
            netns.kill_namespace_processes(ns)
        for ns in spaces:
            netns.delete_namespace(ns)
        if self.dir.exists():
            shutil.rmtree(self.dir, onerror=_gone_is_fine)

    def status(self) -> LabStatus:
        spaces = tuple(netns.list_lab_namespaces())
        hosts = []
        for h in self.practice.hosts:
            ns = ns_name(h.name)
            exists = ns in spaces
            tcp = netns.listening(ns, "tcp") if exists else set()
            udp = netns.listening(ns, "udp") if exists else set()
            hosts.append(HostStatus(
                name=h.name, ip=h.ip, namespace_exists=exists,
                tcp_missing=tuple(p for p in h.tcp_open if p not in tcp),
                udp_missing=tuple(p for p in h.udp_open if p not in udp),
            ))
        return LabStatus(namespaces=spaces, hosts=tuple(hosts))

    def scanner_command(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the lab's scanner namespace."""
        return ["ip", "netns", "exec", SCANNER_NS, *argv]

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        started = time.monotonic()
        p = self.practice
        self.dir.mkdir(parents=True, mode=0o755)
        (self.dir / "udhcpc.script").write_text(_UDHCPC_SCRIPT)
        (self.dir / "udhcpc.script").chmod(0o755)
        self.progress("creating namespaces and the LAN bridge")
        self._add_ns(LAN_NS)
        # The bridge stands for the practice's switch, which has no address of its own: with
        # IPv6 on, br0 took SLAAC addresses from radvd and answered the scanner's echo, a
        # phantom "IPv6-only device". Bridged IPv6 frames are not affected.
        in_ns(LAN_NS, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
                       "net.ipv6.conf.all.disable_ipv6=1"])
        run(["ip", "-n", LAN_NS, "link", "add", "br0", "type", "bridge",
             "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"])
        run(["ip", "-n", LAN_NS, "link", "set", "br0", "up"])
        for h in p.hosts:
            self._add_ns(ns_name(h.name))
            self._attach(ns_name(h.name), h.name, h.mac)
            if not h.dhcp:
                self._address(ns_name(h.name), h.ip)
        self._add_ns(SCANNER_NS)
        self._attach(SCANNER_NS, "scanner", p.scanner_mac)
        self._address(SCANNER_NS, p.scanner_ip)
        self._wire_internet()
        ipv6.prepare_hosts(p)
        ipv6.wire_router(p, INTERNET_NS)
        for h in p.hosts:
            if h.role.value != "router" and not h.dhcp:
                in_ns(ns_name(h.name), ["ip", "route", "add", "default", "via", p.router.ip])
            if h.firewall:
                self._firewall(h)
        in_ns(SCANNER_NS, ["ip", "route", "add", "default", "via", p.router.ip])

        pids: dict[str, int] = {}
        for h in p.hosts:
            if not h.dhcp:
                pids.update(self._start_daemons(h, self._host_dir(h)))
        pids.update(ipv6.start_radvd(p, self._host_dir(p.router).root))
        self.progress("waiting for the router's DHCP server")
        self._wait_ready([p.router])
        for h in p.hosts:  # a DHCP host's daemons can only bind once it has its lease
            if h.dhcp:
                self._dhcp_client(h)
                hd = self._host_dir(h)
                pids.update(self._start_daemons(h, hd))
                pids.update(self._dhcp_reconnects(h, hd))
        pids.update(ipv6.start_listeners(p, self._host_dir))
        self.progress("waiting for every daemon to listen")
        self._wait_ready(list(p.hosts))
        self.progress("waiting for the IPv6 addresses (SLAAC)")
        ipv6.wait_for_addresses(p, [ns_name(h.name) for h in p.hosts if h is not p.router]
                                + [SCANNER_NS])
        for h in p.hosts:
            for m in h.upnp_mappings:
                self._upnp_map(h, m.proto, m.external_port, m.internal_port, m.description)
        (self.dir / "state.json").write_text(json.dumps({
            "started_at": datetime.now(timezone.utc).isoformat(),
            "pids": pids,
        }, indent=2))
        self.progress(f"lab practice up: {len(p.hosts)} hosts in "
                      f"{time.monotonic() - started:.1f} s")

    def _add_ns(self, ns: str) -> None:
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])

    def _attach(self, ns: str, port_name: str, mac: str) -> None:
        # Both ends are created inside lab namespaces: nothing appears in the root namespace.
        run(["ip", "link", "add", "eth0", "netns", ns, "address", mac, "type", "veth",
             "peer", "name", port_name, "netns", LAN_NS])
        run(["ip", "-n", LAN_NS, "link", "set", port_name, "master", "br0", "up"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def _address(self, ns: str, ip: str) -> None:
        run(["ip", "-n", ns, "addr", "add", f"{ip}/{self.practice.prefixlen}", "dev", "eth0"])

    def _wire_internet(self) -> None:
        p, router = self.practice, ns_name(self.practice.router.name)
        self._add_ns(INTERNET_NS)
        run(["ip", "link", "add", "wan", "netns", router, "type", "veth",
             "peer", "name", "eth0", "netns", INTERNET_NS])
        run(["ip", "-n", router, "addr", "add", p.wan_address, "dev", "wan"])
        run(["ip", "-n", router, "link", "set", "wan", "up"])
        run(["ip", "-n", INTERNET_NS, "addr", "add", p.internet_address, "dev", "eth0"])
        run(["ip", "-n", INTERNET_NS, "link", "set", "eth0", "up"])
        gw = p.internet_address.split("/")[0]
        in_ns(router, ["ip", "route", "add", "default", "via", gw])
        in_ns(router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        ipt = ["iptables-legacy"]
        in_ns(router, [*ipt, "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"])
        for fwd in p.router.port_forwards:
            target = p.host(fwd.to).ip
            in_ns(router, [*ipt, "-t", "nat", "-A", "PREROUTING", "-i", "wan", "-p", fwd.proto,
                           "--dport", str(fwd.port), "-j", "DNAT",
                           "--to-destination", f"{target}:{fwd.to_port}"])
        # miniupnpd links the legacy x_tables library: its chains must be legacy too.
        for table, chain, hook, direction in (
            ("nat", "MINIUPNPD", "PREROUTING", "-i"),
            ("nat", "MINIUPNPD-POSTROUTING", "POSTROUTING", "-o"),
            ("mangle", "MINIUPNPD", "PREROUTING", "-i"),
            ("filter", "MINIUPNPD", "FORWARD", "-i"),
        ):
            in_ns(router, [*ipt, "-t", table, "-N", chain])
            in_ns(router, [*ipt, "-t", table, "-I", hook, direction, "wan", "-j", chain])

    def _firewall(self, h: LabHost) -> None:
        assert h.firewall
        ns, ipt = ns_name(h.name), "iptables-legacy"
        in_ns(ns, [ipt, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"])
        in_ns(ns, [ipt, "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED",
                   "-j", "ACCEPT"])
        for port in h.firewall.allow_tcp:
            in_ns(ns, [ipt, "-A", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"])
        if h.firewall.answer_ping:
            in_ns(ns, [ipt, "-A", "INPUT", "-p", "icmp", "--icmp-type", "echo-request",
                       "-j", "ACCEPT"])
        in_ns(ns, [ipt, "-P", "INPUT", "DROP"])

    def _host_dir(self, h: LabHost) -> HostDir:
        root = self.dir / "hosts" / h.name
        for sub in ("state", "log", "etc", "fs/tmp", *(f"fs/{d}" for d in netns.PRIVATE_DIRS)):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "fs" / "tmp").chmod(0o1777)
        (root / "fs" / "var" / "tmp").chmod(0o1777)
        (root / "etc" / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        (root / "etc" / "hosts").write_text(f"127.0.0.1 localhost\n{h.ip} {h.hostname}\n")
        return HostDir(self.practice, h, root)

    def _start_daemons(self, h: LabHost, hd: HostDir) -> dict[str, int]:
        pids = {}
        try:
            procs = procs_for(hd)
        except subprocess.CalledProcessError as e:
            err = (e.stderr or b"").decode(errors="replace").strip().splitlines()
            raise LabError(f"{h.name}: {' '.join(map(str, e.cmd))} failed: "
                           f"{err[-1] if err else f'exit {e.returncode}'}") from None
        for proc in procs:
            self.progress(f"{h.name}: starting {proc.name}")
            pid = netns.spawn(ns_name(h.name), h.hostname, hd.root, proc.argv,
                              hd.root / "log" / f"{proc.name}.log", proc.env)
            pids[f"{h.name}/{proc.name}"] = pid
        return pids

    def _dhcp_client(self, h: LabHost) -> None:
        assert h.dhcp
        self.progress(f"{h.name}: DHCP request (hostname {h.dhcp.hostname})")
        argv = ["busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "5", "-T", "1",
                "-s", str(self.dir / "udhcpc.script"), "-x", f"hostname:{h.dhcp.hostname}",
                "-V", h.dhcp.vendor_class]
        in_ns(ns_name(h.name), argv, timeout=20)
        got = in_ns(ns_name(h.name), ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])
        if f" {h.ip}/" not in got:
            raise LabError(f"{h.name}: DHCP gave {got.strip() or 'no address'}, expected {h.ip}")

    def _dhcp_reconnects(self, h: LabHost, hd: HostDir) -> dict[str, int]:
        """A phone on WLAN asks DHCP again at every reconnect: here every few seconds."""
        assert h.dhcp
        loop = (f"while sleep {DHCP_RECONNECT_SECONDS}; do busybox udhcpc -i eth0 -n -q -f "
                f"-t 3 -T 1 -s {self.dir / 'udhcpc.script'} -x hostname:{h.dhcp.hostname} "
                f"-V '{h.dhcp.vendor_class}' >/dev/null 2>&1; done")
        pid = netns.spawn(ns_name(h.name), h.hostname, hd.root, ["/bin/sh", "-c", loop],
                          hd.root / "log" / "dhcp-reconnect.log")
        return {f"{h.name}/dhcp-reconnect": pid}

    def _upnp_map(self, h: LabHost, proto: str, ext: int, internal: int, desc: str) -> None:
        router = self.practice.router
        http_port = next(d.params.get("http_port", 5000) for d in router.daemons
                         if d.kind == "miniupnpd")
        url = f"http://{router.ip}:{http_port}/rootDesc.xml"
        out = in_ns(ns_name(h.name), ["upnpc", "-u", url, "-e", desc, "-a", h.ip,
                                      str(internal), str(ext), proto], timeout=15)
        if "is redirected" not in out:
            raise LabError(f"{h.name}: UPnP mapping {ext}/{proto} failed: {out.strip()[-200:]}")

    def _wait_ready(self, hosts: list[LabHost]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            pending = []
            for h in hosts:
                ns = ns_name(h.name)
                tcp, udp = netns.listening(ns, "tcp"), netns.listening(ns, "udp")
                miss = [f"tcp/{p}" for p in h.tcp_open if p not in tcp]
                miss += [f"udp/{p}" for p in h.udp_open if p not in udp]
                if miss:
                    pending.append((h, miss))
            if not pending:
                return
            if time.monotonic() > deadline:
                h, miss = pending[0]
                raise LabError(f"lab host {h.name} is not listening on {', '.join(miss)} "
                               f"after {READY_TIMEOUT:.0f} s; logs: {self.dir}/hosts/{h.name}/log "
                               f"{self._log_tail(h)}")
            time.sleep(0.1)

    def _log_tail(self, h: LabHost) -> str:
        tails = []
        for log in sorted((self.dir / "hosts" / h.name / "log").glob("*.log")):
            lines = log.read_text(errors="replace").strip().splitlines()
            if lines:
                tails.append(f"[{log.stem}: {lines[-1][:200]}]")
        return " ".join(tails)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise PrivilegeError("the lab needs root (network namespaces): run it with sudo")
