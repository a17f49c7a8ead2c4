"""Which probe runs against which port, and the runner that paces them per host.

Jobs of one host run one after another, paced so that the host receives at most its
policy's packets per second (the pipeline runs hosts in parallel). A job that raises or is
cut off by the deadline becomes a "not tested" entry, never a silent gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from scanner.model import NotTested
from scanner.observer import NullObserver, ScanObserver
from scanner.probes import banners, dicom, rdp, smb, tls, tr064, udp, web
from scanner.probes.base import ProbeResult, RateWindow, SharedWindow

# Ports where a protocol is expected; other open ports get a passive banner read.
PLAIN_HTTP = {80, 631, 5000, 8000, 8042, 8080, 49000}
TR064 = 49000
TLS_PORTS = {443, 636, 993, 995, 4742, 5001, 8443, 8500, 8501, 11115, 49443}
HTTPS = {443, 5001, 8443, 8500, 8501, 11115, 49443}
DICOM = {104, 11112, 4242}
SMTP, POP3 = {25, 587}, {110}
SILENT = {139, 445, 5432, 1433, 3306, 3050, 135, 62078, 49152}
# The protocol probe of each server-first port; without it the greeting is only read.
_FULL = {22: "ssh", 21: "ftp", 23: "telnet", 110: "pop3", **{p: "smtp" for p in SMTP}}
# SYN, ACK, the greeting's ACK(s), FIN and its ACK: counted with margin, as the others
GREETING_PACKETS = 8


@dataclass(frozen=True)
class Job:
    probe: str  # the policy name of the probe
    port: int | None
    run: Callable[[], ProbeResult] = field(compare=False)
    packets: int = 12  # what we send, counted on captures of the lab (with margin), for pacing


def jobs_for(ip: str, open_tcp: list[int], allowed: frozenset[str], source_ip: str) -> list[Job]:
    jobs: list[Job] = []

    def add(probe: str, port: int | None, fn: Callable[[], ProbeResult], packets: int = 12) -> None:
        if probe in allowed:
            jobs.append(Job(probe, port, fn, packets))

    ports = set(open_tcp)
    for port in sorted(ports):
        full = _FULL.get(port)
        if banners.greets_first(port) and (full is None or full not in allowed):
            # the listen-only grade: the greeting without a command (roles whose policy
            # forbids the protocol probe, and VNC, which has none)
            add("greeting", port, lambda p=port: banners.greeting(ip, p), GREETING_PACKETS)
        elif port == 22:
            add("ssh", port, lambda p=port: banners.ssh(ip, p))
        elif port == 21:
            add("ftp", port, lambda p=port: banners.ftp(ip, p), 18)
        elif port == 23:
            add("telnet", port, lambda p=port: banners.telnet(ip, p))
        elif port in SMTP:
            add("smtp", port, lambda p=port: banners.smtp(ip, p), 16)
        elif port in POP3:
            add("pop3", port, lambda p=port: banners.pop3(ip, p), 16)
        elif port == 3389:
            add("rdp", port, lambda p=port: rdp.rdp(ip, p), 16)
        elif port in DICOM:
            add("dicom", port, lambda p=port: dicom.c_echo(ip, p), 16)
        elif port in PLAIN_HTTP:
            add("http", port, lambda p=port: web.http(ip, p, False))
        elif port in HTTPS:
            add("http", port, lambda p=port: web.http(ip, p, True), 18)
        elif port not in TLS_PORTS and port not in SILENT:
            add("banner", port, lambda p=port: banners.generic(ip, p), 6)
        if port in TLS_PORTS:
            add("tls", port, lambda p=port: tls.tls(ip, p), 38)
    if 443 in ports:
        add("connector-sds", 443, lambda: web.connector_directory(ip, 443, True), 20)
    elif 80 in ports:
        add("connector-sds", 80, lambda: web.connector_directory(ip, 80, False))
    if TR064 in ports:
        add("tr064", TR064, lambda: tr064.description(ip, TR064), 12)
    if ports & {445, 139}:
        port = 445 if 445 in ports else 139
        add("smb", port, lambda: smb.smb(ip, port), 22)
    add("snmp", None, lambda: udp.snmp_public(ip), 1)
    add("sicct", None, lambda: udp.sicct_discovery(ip, source_ip), 1)
    add("netbios", None, lambda: udp.netbios_status(ip), 1)
    return jobs


@dataclass
class HostRun:
    window: RateWindow  # the host's rate window, for the stages after the probes
    results: list[ProbeResult] = field(default_factory=list)
    not_tested: list[NotTested] = field(default_factory=list)


def probe_host(jobs: list[Job], pps: float, key: str, deadline: float | None = None,
               stop: threading.Event | None = None, observer: ScanObserver = NullObserver(),
               preceding_share: float = 0.9, shared: SharedWindow | None = None,
               window: RateWindow | None = None) -> HostRun:
    """One host's jobs, one after another, at most ``pps`` packets in any second.

    ``preceding_share``: the part of the rate the stage before (nmap) may have used in the
    last second; the first probe waits for it to leave the window.
    """
    if window is None:  # else the caller's, with what it has sent already
        window = RateWindow(pps, shared)
        window.sent(int(preceding_share * pps))
    run = HostRun(window=window)
    # The UDP questions (one datagram each, then up to 1.5 s of waiting) go out first and
    # together, and wait while the TCP probes run one after another.
    udp = [j for j in jobs if j.port is None]
    asked = _start_together(udp, window, key, deadline, stop, run) if udp else []
    for job in (j for j in jobs if j.port is not None):
        window.wait_for(job.packets)
        why = _cut_short(deadline, stop)
        if why:
            run.not_tested.append(NotTested(_check(job), f"{why} before this probe", key))
            continue
        _record(run, _outcome(job, key))
        window.sent(job.packets)
        observer.advance()
    for answer in asked:
        _record(run, answer.result())
        observer.advance()
    return run


def _start_together(jobs: list[Job], window: RateWindow, key: str, deadline: float | None,
                    stop: threading.Event | None, run: HostRun) -> list[Future]:
    packets = sum(j.packets for j in jobs)
    window.wait_for(packets)
    why = _cut_short(deadline, stop)
    if why:
        run.not_tested.extend(NotTested(_check(j), f"{why} before this probe", key) for j in jobs)
        return []
    window.sent(packets)  # stamped at the start: each sends its datagram at once
    pool = ThreadPoolExecutor(len(jobs), thread_name_prefix="udp-probe")
    asked = [pool.submit(_outcome, j, key) for j in jobs]
    pool.shutdown(wait=False)  # they run on; probe_host collects them at its end
    return asked


def _cut_short(deadline: float | None, stop: threading.Event | None) -> str | None:
    if stop is not None and stop.is_set():
        return "interrupted"
    if deadline is not None and time.monotonic() >= deadline:
        return "the scan's time budget ran out"
    return None


def _record(run: HostRun, outcome: ProbeResult | NotTested) -> None:
    (run.results if isinstance(outcome, ProbeResult) else run.not_tested).append(outcome)


def _outcome(job: Job, key: str) -> ProbeResult | NotTested:
    try:
        return job.run()
    except OSError as e:
        # refused/reset/unreachable: the port answered the SYN scan but not the probe
        return NotTested(_check(job), f"probe failed: {e.__class__.__name__}", key)
    except Exception as e:  # noqa: BLE001 - one probe must never end the scan
        return NotTested(_check(job), f"probe error: {type(e).__name__}: {e}"[:200], key)


def _check(job: Job) -> str:
    return f"probe:{job.probe}" + (f"/tcp/{job.port}" if job.port else "")
