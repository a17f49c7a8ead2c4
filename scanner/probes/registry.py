"""Which probe runs against which port, and the runner that paces them per host.

What starts a probe, and what it sends, is the probe table (scanner/probes/table.py); this
module turns a host's open ports into jobs in that table's order. Jobs of one host run one
after another, paced so that the host receives at most its policy's packets per second
(the pipeline runs hosts in parallel). A job that raises or is cut off by the deadline
becomes a "not tested" entry, never a silent gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from scanner.model import NotTested
from scanner.observer import NullObserver, ScanObserver
from scanner.probes.base import ProbeResult, RateWindow, SharedWindow, Target
from scanner.probes.table import SILENT, Probe, Trigger, only, port_probe


@dataclass(frozen=True)
class Job:
    probe: str  # the policy name of the probe
    port: int | None
    run: Callable[[], ProbeResult] = field(compare=False)
    packets: int = 12  # what we send, counted on captures of the lab (with margin), for pacing


def jobs_for(ip: str, open_tcp: list[int], allowed: frozenset[str], source_ip: str,
             login: tuple[str, str] | None = None, window: RateWindow | None = None
             ) -> list[Job]:
    """The jobs for one host, in the table's order: per open port its protocol probe (or
    the greeting, or a banner read) and TLS; then the once-per-host probes, the UDP
    questions, and the probes that need the operator's login."""
    jobs: list[Job] = []

    def add(probe: Probe, port: int = 0) -> None:
        target = Target(ip, port, source_ip, login, window)
        if probe.name in allowed and probe.run is not None and _has(target, probe.needs):
            jobs.append(Job(probe.name, port or None, partial(probe.run, target), probe.packets))

    ports = set(open_tcp)
    greeting, = only(Trigger.GREETING)
    banner, = only(Trigger.OTHER_PORT)
    for port in sorted(ports):
        own = port_probe(port)
        if port in greeting.ports and (own is None or own.name not in allowed):
            add(greeting, port)  # the listen-only grade: the greeting without a command
        elif own is not None:
            add(own, port)
        elif port not in SILENT:
            add(banner, port)
        for also in only(Trigger.ALSO):
            if port in also.ports:
                add(also, port)
    done: set[tuple[Trigger, str]] = set()  # ONCE: the first entry of a name with a port open
    for probe in only(Trigger.ONCE) + only(Trigger.HOST) + only(Trigger.LOGIN):
        first = next((p for p in probe.ports if p in ports), None)
        if probe.trigger is Trigger.HOST:
            add(probe)
        elif first is not None and (probe.trigger, probe.name) not in done:
            done.add((probe.trigger, probe.name))
            add(probe, first)
    return jobs


def _has(target: Target, needs: frozenset[str]) -> bool:
    return all(getattr(target, n) not in (None, "") for n in needs)


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
    asked = start_together(udp, window, key, deadline, stop, run) if udp else []
    for job in (j for j in jobs if j.port is not None):
        window.wait_for(job.packets)
        why = _cut_short(deadline, stop)
        if why:
            run.not_tested.append(NotTested(_check(job), f"{why} before this probe", key))
            continue
        _record(run, _outcome(job, key))
        window.sent(job.packets)
        observer.advance()
    collect(run, asked, observer)
    return run


def start_together(jobs: list[Job], window: RateWindow, key: str, deadline: float | None,
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
    pool.shutdown(wait=False)  # they run on; collect() waits for them
    return asked


def collect(run: HostRun, asked: list[Future], observer: ScanObserver = NullObserver()) -> None:
    """The outcomes of the questions start_together sent (each has its own timeout)."""
    for answer in asked:
        _record(run, answer.result())
        observer.advance()


def _cut_short(deadline: float | None, stop: threading.Event | None) -> str | None:
    if stop is not None and stop.is_set():
        return "interrupted"
    if deadline is not None and time.monotonic() >= deadline:
        return "the scan's time budget ran out"
    return None


def _record(run: HostRun, outcome: ProbeResult | NotTested) -> None:
    if isinstance(outcome, ProbeResult):
        run.results.append(outcome)
    else:
        run.not_tested.append(outcome)


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
