"""TCP port and service scan with the nmap binary; python-nmap parses its XML.

We start nmap ourselves (not ``PortScanner.scan``) so its XML goes to a file we keep, its
progress lines reach the observer, and a failure becomes a typed error with nmap's own
message instead of an empty result. What we never pass: ``-O``/``-A`` (OS detection) and
``--script`` (NSE); ports 9100-9107 are excluded on nmap's side as a second fence.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ScanRuntimeError, ToolMissingError
from scanner.model import Protocol, Service
from scanner.observer import NullObserver, ScanObserver
from scanner.ports import NEVER_PROBED, port_spec

_PROGRESS = re.compile(r"About ([0-9.]+)% done")

# Every nmap we start, until it has ended: nmap runs in its own session (so Ctrl-C reaches
# praxisscan only, which keeps nmap's XML), so nothing else would stop it when we exit.
_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()
_STOP_GRACE_SECONDS = 2.0
# nmap's part of a host's packets-per-second cap (its --scan-delay). Half: for every open
# port the kernel also sends a RST to the SYN-ACK, and a device with several open ports may
# answer every SYN of one second (an ECG PC with FTP, HTTP, SMB and VNC in the practice
# list sent 21 packets in a second at 80 %, cap 20).
NMAP_SHARE_OF_HOST = 0.5


@dataclass(frozen=True)
class NmapHost:
    ip: str
    mac: str | None
    services: tuple[Service, ...]
    # TCP ports that got no answer at all, and whether any TCP port answered (open or
    # closed): a host that answered nothing is firewalled, asking it again finds nothing.
    unanswered_tcp: frozenset[int] = frozenset()
    answered_tcp: bool = True
    # Many ports of it were dropped and asked a second time: a host firewall, which over
    # IPv6 may be missing (its IPv6 pass keeps the half share: it may answer every port).
    drops_tcp: bool = False
    # nmap's part of the host's cap in its last ask (its --scan-delay): what its probes
    # count of nmap's last second (engine.last_second)
    share: float = NMAP_SHARE_OF_HOST

    @property
    def open_tcp(self) -> list[int]:
        """Its open TCP ports, in port order."""
        return [s.port for s in self.services if s.protocol is Protocol.TCP]


def nmap_binary() -> str:
    path = shutil.which("nmap")
    if not path:
        raise ToolMissingError("nmap is not installed: apt-get install nmap "
                               "(or run: bash scripts/dev.sh setup)")
    return path


def scan_delay_ms(host_pps: float, share: float = NMAP_SHARE_OF_HOST) -> int:
    """nmap's --scan-delay for a host: at most ``share`` of its cap in any one-second window.
    A window holds 1000 // delay + 1 SYNs (both ends): 1000 / (share * cap) alone gave 21 at
    half of 40, and a host answering every port saw 42 packets in a second (a SYN proxy)."""
    most = max(1, math.floor(share * host_pps + 1e-9))
    return 1000 // most + 1


def tcp_scan_arguments(ports: Sequence[int], interface: str | None, *, host_pps: float = 40,
                       max_pps: float = 2000, max_retries: int = 1,
                       version_detection: bool = False,
                       udp: Sequence[int] = (), tcp: bool = True,
                       host_timeout: float = 600, hostgroup: int | None = None,
                       ipv6: bool = False, share: float = NMAP_SHARE_OF_HOST,
                       min_pps: float | None = None) -> list[str]:
    """nmap's arguments; ``share``: nmap's part of each host's cap (its --scan-delay),
    ``min_pps``: --min-rate, for a run whose hosts drop most SYNs (without it nmap reads
    the silence as congestion and slows far below what the scan delays allow)."""
    if any(p in NEVER_PROBED for p in ports):
        raise ScanRuntimeError("refusing to probe ports 9100-9107 (raw printing)")
    spec = port_spec(list(ports))
    if udp:
        spec = f"T:{spec},U:{port_spec(list(udp))}" if tcp else f"U:{port_spec(list(udp))}"
    delay_ms = scan_delay_ms(host_pps, share)
    # --disable-arp-ping: nmap would ARP every local target again, even with -Pn; it reads
    # the MACs from the neighbour table, where the pipeline put our sweep's answers.
    args = ["-n", "-Pn", "--disable-arp-ping", *(["-sS"] if tcp else []), "-T4",
            "--max-retries", str(max_retries),
            "--host-timeout", f"{math.ceil(host_timeout)}s",
            # Per host: at least this long between two probes, so at most host_pps.
            "--scan-delay", f"{delay_ms}ms", "--max-scan-delay", f"{max(delay_ms, 10)}ms",
            "--max-rate", f"{max_pps:g}",
            *(["--min-rate", f"{min(min_pps, max_pps):g}"] if min_pps else []),
            "-p", spec,
            "--exclude-ports", f"{NEVER_PROBED.start}-{NEVER_PROBED.stop - 1}"]
    if udp:
        # Closed UDP ports answer with ICMP, which hosts rate-limit: without this nmap asks
        # them again and again (6 s instead of 3 s for 40 hosts); open ports answer with data.
        args += ["-sU", "--defeat-icmp-ratelimit"]
    if hostgroup:  # every host at once: the rate goes to whoever still has ports left
        args += ["--min-hostgroup", str(hostgroup), "--max-hostgroup", str(hostgroup)]
    if version_detection:
        args += ["-sV", "--version-light"]
    if interface:
        args += ["-e", interface]
    if ipv6:  # the IPv6 pass (scanner/portscan/ipv6_pass.py): one family per nmap run
        args.insert(0, "-6")
    return args


class NmapRun:
    """One nmap TCP scan; ``stop()`` (from another thread) ends it early, keeping its XML."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.stopped = False
        self.tripped = False

    def stop(self) -> None:
        self.stopped = True
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()

    def trip(self) -> None:
        """End at once, without another packet (SIGKILL: nmap's SIGTERM handler still runs):
        a host sent more SYN-ACKs than its cap leaves room for (synack_watch.py). What the
        run found is dropped; the engine asks the host again."""
        self.tripped = True
        if self.proc and self.proc.poll() is None:
            self.proc.kill()

    def scan(self, hosts: Sequence[str], ports: Sequence[int], interface: str | None,
             observer: ScanObserver = NullObserver(),
             on_host: Callable[[NmapHost], None] | None = None, **rates: object) -> list[NmapHost]:
        """``on_host`` gets each host as soon as nmap has written it (after each of its host
        groups), while the run goes on; hosts it got are not returned again."""
        if not hosts:
            return []
        args = [nmap_binary(), *tcp_scan_arguments(ports, interface, **rates),  # type: ignore[arg-type]
                "--stats-every", "1s" if on_host else "2s"]
        seen: set[str] = set()
        complete = [0]  # </host> elements written so far

        def stream(xml_path: Path) -> None:
            text = xml_path.read_text(errors="replace") if xml_path.exists() else ""
            if text.count("</host>") == complete[0]:
                return
            complete[0] = text.count("</host>")
            for h in _partial_hosts(text, ""):
                if h.ip not in seen:
                    seen.add(h.ip)
                    on_host(h)  # type: ignore[misc]

        with tempfile.TemporaryDirectory(prefix="praxisscan-nmap-") as tmp:
            xml_path, targets = Path(tmp) / "tcp.xml", Path(tmp) / "targets.txt"
            targets.write_text("\n".join(hosts) + "\n")
            err = _run([*args, "-oX", str(xml_path), "-iL", str(targets)], observer, self,
                       (lambda: stream(xml_path)) if on_host else None)
            xml = xml_path.read_text(errors="replace") if xml_path.exists() else ""
        if self.tripped:
            return []
        found = _partial_hosts(xml, err) if self.stopped else parse_nmap_xml(xml, err)
        return [h for h in found if h.ip not in seen]


def stop_all() -> int:
    """Stop every nmap still running (signal, deadline, exit); returns how many were running."""
    with _LIVE_LOCK:
        live = [p for p in _LIVE if p.poll() is None]
    for proc in live:
        proc.terminate()
    for proc in live:
        try:
            proc.wait(_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
    return len(live)


def _partial_hosts(xml: str, err: str) -> list[NmapHost]:
    """What a stopped nmap had finished; a stop before its first host is no error."""
    if "<nmaprun" not in xml:
        return []
    try:
        return parse_nmap_xml(close_partial_xml(xml), err)
    except ScanRuntimeError:
        return []


def close_partial_xml(xml: str) -> str:
    """Make the XML of a stopped nmap parseable: keep complete <host> elements only."""
    end = xml.rfind("</host>")
    head = xml[: end + len("</host>")] if end >= 0 else xml[: xml.find("<host") if "<host" in xml else len(xml)]
    return (head + '\n<runstats><finished time="0" timestr="" elapsed="0" exit="stopped"/>'
            '<hosts up="0" down="0" total="0"/></runstats></nmaprun>\n')


def _run(argv: list[str], observer: ScanObserver, owner: NmapRun | None = None,
         poll: Callable[[], None] | None = None) -> str:
    # Own session: Ctrl-C reaches praxisscan only, which then stops nmap and keeps its XML.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    with _LIVE_LOCK:
        _LIVE.add(proc)
    if owner:
        owner.proc = proc
        if owner.tripped:  # while starting: trip() and stop() saw no process yet
            proc.kill()
        elif owner.stopped:
            proc.terminate()
    assert proc.stdout and proc.stderr
    try:
        done = 0.0
        for line in proc.stdout:
            m = _PROGRESS.search(line)
            if m:
                pct = float(m.group(1))
                observer.advance(max(0, int(pct - done)))
                done = max(done, pct)
            if poll and line.startswith("Stats:"):  # once per --stats-every
                poll()
        err = proc.stderr.read()
        proc.wait()
    except BaseException:  # Ctrl-C, SIGTERM, an observer error: nmap must not outlive us
        proc.terminate()
        try:
            proc.wait(_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        proc.stdout.close()
        proc.stderr.close()
    if proc.returncode != 0 and not (owner and (owner.stopped or owner.tripped)):
        last = [line for line in err.strip().splitlines() if line.strip()]
        raise ScanRuntimeError(f"nmap failed (exit {proc.returncode}): "
                               f"{last[-1] if last else 'no message'}")
    return err


def parse_nmap_xml(xml: str, stderr: str = "") -> list[NmapHost]:
    """Our hosts from nmap XML. Raises ScanRuntimeError when nmap gave no usable XML."""
    import nmap

    if not xml.strip():
        raise ScanRuntimeError(f"nmap wrote no XML output {stderr.strip()[-200:]}".strip())
    parser = nmap.PortScanner.__new__(nmap.PortScanner)  # parse only: no nmap lookup
    try:
        result = parser.analyse_nmap_xml_scan(nmap_xml_output=xml)
    except (nmap.PortScannerError, AttributeError, KeyError, TypeError, ValueError) as e:
        # python-nmap assumes nmap's layout and fails with whatever the gap raises.
        raise ScanRuntimeError(f"nmap output unreadable: {str(e).strip()[:200]}") from None
    silence = _tcp_silence(xml)
    hosts = []
    for ip, h in result.get("scan", {}).items():
        services = []
        for proto in (Protocol.TCP, Protocol.UDP):
            for port, p in sorted(h.get(proto.value, {}).items()):
                # Only ports that answered: a UDP "open|filtered" is silence, not a service.
                if p.get("state") != "open":
                    continue
                services.append(Service(
                    port=int(port), protocol=proto, name=p.get("name", ""),
                    product=p.get("product", ""), version=p.get("version", ""),
                    extra_info=p.get("extrainfo", ""),
                ))
        mac = h.get("addresses", {}).get("mac")
        unanswered, answered = silence.get(ip, (frozenset(), True))
        hosts.append(NmapHost(ip=ip, mac=mac.lower() if mac else None, services=tuple(services),
                              unanswered_tcp=unanswered, answered_tcp=answered))
    return hosts


def _tcp_silence(xml: str) -> dict[str, tuple[frozenset[int], bool]]:
    """Per host: the TCP ports that got no answer, and whether any TCP port answered.

    python-nmap drops nmap's <extraports> summary, where most of this is (e.g. "1,040
    filtered, no-response, ports 1-20,..."), so it is read here."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    out = {}
    for host in root.iter("host"):
        addr = next((a.get("addr") for a in host.iter("address")
                     if a.get("addrtype") == "ipv4"), None)
        if addr is None:
            continue
        silent: set[int] = set()
        answered = False
        for port in host.iter("port"):
            if port.get("protocol") != "tcp":
                continue
            state = port.find("state")
            if state is None:
                continue
            if state.get("reason") == "no-response":
                silent.add(int(port.get("portid", "0")))
            elif state.get("state") in ("open", "closed"):
                answered = True
        for extra in host.iter("extraports"):
            for why in extra.iter("extrareasons"):
                if why.get("proto", "tcp") != "tcp":
                    continue
                if why.get("reason") == "no-response" or why.get("reason") == "no-responses":
                    silent.update(_port_list(why.get("ports", "")))
                elif extra.get("state") in ("open", "closed"):
                    answered = True
        out[addr] = (frozenset(silent), answered)
    return out


def ping_scan(targets: Sequence[str], interface: str | None,
              observer: ScanObserver = NullObserver(), run: NmapRun | None = None) -> list[str]:
    """Hosts that answer nmap's host discovery (for subnets ARP cannot reach).

    ``run.stop()`` from another thread (deadline, signal) ends it with the hosts found so far.
    """
    run = run or NmapRun()
    args = [nmap_binary(), "-n", "-sn", "-PE", "-PS22,80,443,445,3389", "-PA80", "-T4",
            "--stats-every", "2s"]
    if interface:
        args += ["-e", interface]
    with tempfile.TemporaryDirectory(prefix="praxisscan-nmap-") as tmp:
        xml_path, targets_file = Path(tmp) / "ping.xml", Path(tmp) / "targets.txt"
        targets_file.write_text("\n".join(targets) + "\n")
        err = _run([*args, "-oX", str(xml_path), "-iL", str(targets_file)], observer, run)
        xml = xml_path.read_text(errors="replace") if xml_path.exists() else ""
    hosts = _partial_hosts(xml, err) if run.stopped else parse_nmap_xml(xml, err)
    return [h.ip for h in hosts]


def _port_list(spec: str) -> set[int]:
    """``1-3,5`` -> {1, 2, 3, 5}; what is not a port range is left out."""
    ports: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            a, b = int(lo), int(hi or lo)
            if 0 < a <= b <= 65535:
                ports.update(range(a, b + 1))
    return ports
