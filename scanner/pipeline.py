"""The scan pipeline: plan -> discovery -> port scan -> probes -> classification -> Scan.

Stages: a passive listener runs for the whole scan; ARP finds the local hosts; mDNS/SSDP
queries ask the network to describe itself; nmap SYN-scans each host within its role's
policy (rate, port profile); our probes identify services; then everything heard and
probed is merged per host. A time budget (``max_time``) or Ctrl-C ends the scan early with
what was learned, marked incomplete, and every skipped part listed as not tested.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache

from scanner import __version__
from scanner.classification.classify import classify
from scanner.discovery.arp import arp_sweep
from scanner.discovery.passive import Heard, PassiveListener
from scanner.errors import PrivilegeError
from scanner.hosts import HostDraft, build_host, merge_services
from scanner.portscan.ipv6_stage import Ipv6Stage
from scanner.model import (Host, NotTested, Observation, Protocol, Role, Scan, Service,
                           Source, WlanNetwork)
from scanner.observer import NullObserver, ScanObserver
from scanner.classification.oui import MacVendors
from scanner.plan import ARP_RATE_PPS, Plan
from scanner.policy import Policy, load_policy
from scanner.errors import Terminated
from scanner.portscan import engine, neighbours
from scanner.portscan.nmap_scan import NmapHost, NmapRun, nmap_binary, ping_scan, stop_all
from scanner.portscan.synack_watch import SynAckWatch
from scanner.ports import tcp_ports, udp_ports
from scanner.probes import web
from scanner.probes.base import RateWindow
from scanner.probes.registry import jobs_for, probe_host
from scanner.probes.table import Trigger, only
from scanner.protocols import upnp
from scanner.text import clean
from scanner.rules.engine import apply_rules
from scanner.scope import ScopeGuard
from scanner.site import Site


MAX_PROBING_HOSTS = 256  # hosts whose probes run at once (each paced to its own cap)


@dataclass(frozen=True)
class ScanOptions:
    listen_seconds: float = 6.0  # the passive window lasts at least this long
    max_time: float | None = None  # seconds; None: no budget
    fritzbox_login: tuple[str, str] | None = None  # (user, password) for TR-064


@dataclass
class _State:
    drafts: dict[str, HostDraft] = field(default_factory=dict)
    by_mac: dict[str, str] = field(default_factory=dict)
    not_tested: list[NotTested] = field(default_factory=list)
    nmap: dict[str, NmapHost] = field(default_factory=dict)
    probed: set[str] = field(default_factory=set)
    windows: dict[str, RateWindow] = field(default_factory=dict)  # per host, after nmap
    wlans: list[WlanNetwork] | None = None  # set once a WLAN source (TR-064) was read
    stage: str = "start"
    ipv6: Ipv6Stage | None = None

    def draft(self, ip: str) -> HostDraft:
        return self.drafts.setdefault(ip, HostDraft(ip))


def require_root() -> None:
    if os.geteuid() != 0:
        raise PrivilegeError("praxisscan scan needs root for ARP and SYN scans: run it with "
                             "sudo (praxisscan scan --plan works without)")


def run_scan(plan: Plan, observer: ScanObserver = NullObserver(),
             vendors: MacVendors | None = None, options: ScanOptions = ScanOptions(),
             policy: Policy | None = None, site: Site | None = None) -> Scan:
    require_root()
    nmap_binary()  # fail before sending anything if nmap is missing
    policy = policy or load_policy()
    if site:
        policy = policy.with_overrides(site.policy)
    vendors = vendors or MacVendors()
    started_at, t0 = datetime.now(timezone.utc), time.monotonic()
    deadline = t0 + options.max_time if options.max_time else None
    st = _State()
    nmap_runs: list[NmapRun] = []
    timer = _deadline_timer(deadline, nmap_runs)
    listeners = [PassiveListener(t.interface) for t in plan.arp]
    st.ipv6 = Ipv6Stage([t.interface for t in plan.arp] if plan.ipv6 else [], plan.allow_public)
    interrupted = ""
    try:
        for listener in listeners:
            listener.start()
            if listener.error:
                st.not_tested.append(NotTested("passive-discovery", listener.error))
        st.ipv6.start()
        _discover(plan, st, listeners, observer, nmap_runs)
        st.ipv6.after_arp(st.by_mac, st.drafts, vendors.lookup)
        # Not earlier: its 2 s of CPU would compete with ARP and the listeners for the two
        # cores; the first probes come a host group's scan time after this.
        _warm_up_nmap_database()
        _scan_hosts(plan, st, policy, vendors, nmap_runs, deadline, observer, site,
                    options.fritzbox_login)
        _upnp(st, listeners, policy, plan.guard())
        st.stage = "listening"
        remaining = options.listen_seconds - (time.monotonic() - t0)
        if remaining > 0 and not _past(deadline):
            observer.note(f"listening {remaining:.0f} s more for DHCP, mDNS, SSDP ...")
            time.sleep(min(remaining, (deadline - time.monotonic()) if deadline else remaining))
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (Terminated) from the CLI's handler
        interrupted = "interrupted (SIGTERM)" if isinstance(e, Terminated) else "interrupted (Ctrl-C)"
        for run in nmap_runs:
            run.stop()
        stop_all()
    finally:
        if timer:
            timer.cancel()
    for listener in listeners:
        _attach_heard(plan, st, listener.stop())
    st.ipv6.stop()
    st.not_tested.extend(_nmap_database_gap())
    cut_short = interrupted or _past(deadline)
    if cut_short:
        _record_gaps(st, interrupted or "time budget (--max-time) ran out")
    hosts = tuple(_host(st, ip, vendors) for ip in sorted(st.drafts, key=ipaddress.IPv4Address))
    st.not_tested.extend(_enterprise_numbers_gap(hosts))
    scan = Scan(
        started_at=started_at,
        finished_at=datetime.now(timezone.utc),
        scope=plan.scope(),
        complete=not cut_short,
        hosts=hosts,
        not_tested=(tuple(_standing_gaps(plan)) + tuple(st.not_tested)
                    + tuple(st.ipv6.standing_gaps())),
        tool_version=__version__,
        wlans=tuple(st.wlans) if st.wlans is not None else None,
    )
    return apply_rules(scan, site)


# -- stages ---------------------------------------------------------------------------------


def _discover(plan: Plan, st: _State, listeners: list[PassiveListener],
              observer: ScanObserver, nmap_runs: list[NmapRun]) -> None:
    st.stage = "discovery"
    for task, listener in zip(plan.arp, listeners, strict=True):
        listener.query()  # answers arrive while ARP runs
        observer.stage_started(f"ARP discovery on {task.interface.name}", len(task.targets))
        replies = arp_sweep(task.interface, (ipaddress.IPv4Address(a) for a in task.targets),
                            rate_pps=ARP_RATE_PPS, rounds=plan.arp_rounds, observer=observer)
        for r in replies:
            d = st.draft(r.ip)
            d.mac = r.mac
            st.by_mac[r.mac] = r.ip
            d.observations.append(Observation(Source.ARP, "arp-reply",
                                              (("ip", r.ip), ("mac", r.mac)), r.seen_at))
        observer.stage_finished(f"{len(replies)} hosts answered ARP")
        # What ARP found goes into the kernel's table: nmap and our probes need not ask again.
        why = neighbours.load(task.interface.name, [(r.ip, r.mac) for r in replies])
        if why:
            observer.note(why)
        if (full := neighbours.capacity_gap(len(replies))) is not None:
            observer.note(full)
            st.not_tested.append(NotTested("neighbour-table", full))
        listener.query_service_types()
    if plan.routed_targets:
        observer.stage_started("nmap host discovery (routed)", 100)
        run = NmapRun()
        nmap_runs.append(run)  # the deadline timer and Ctrl-C stop it like the port scans
        for ip in ping_scan(plan.routed_targets, plan.interface, observer, run):
            st.draft(ip)
        observer.stage_finished()


def _scan_hosts(plan: Plan, st: _State, policy: Policy, vendors: MacVendors,
                nmap_runs: list[NmapRun], deadline: float | None,
                observer: ScanObserver, site: Site | None = None,
                fritzbox_login: tuple[str, str] | None = None) -> None:
    """Port scans by policy class (scanner/portscan/engine.py), then our probes per host as
    soon as its ports are known, many hosts at once, all within one global budget."""
    st.stage = "tcp-scan"
    src_ip = next((str(t.interface.addresses[0].ip) for t in plan.arp), "0.0.0.0")
    stop = threading.Event()
    lock = threading.Lock()
    budget = engine.Budget(policy.max_pps)
    classes: dict[engine.PortClass, list[str]] = {}
    class_of: dict[str, engine.PortClass] = {}
    reported: dict[str, float] = {}  # when nmap gave us the host: its last packet was before
    for ip in sorted(st.drafts, key=ipaddress.IPv4Address):
        d = st.drafts[ip]
        # The site file's word on a device comes first; then the cautious guess.
        known = site.device_for(Host(ip=ip, mac=d.mac)) if site else None
        d.prescan_role = (known.role.value if known and known.role is not Role.UNKNOWN
                          else policy.prescan_role(vendors.lookup(d.mac) if d.mac else None))
        rp = policy.for_host(d.prescan_role, d.mac, ip)
        profile = rp.profile(plan.profile)
        cls = engine.PortClass(rp.host_pps, tuple(tcp_ports(profile)), tuple(udp_ports(profile)))
        classes.setdefault(cls, []).append(ip)
        class_of[ip] = cls
    sizes = {c: len(ips) for c, ips in classes.items()}
    rates = engine.divide(sizes, engine.nmap_share(sizes) * policy.max_pps)
    observer.stage_started(f"TCP scan and probes of {len(st.drafts)} hosts", len(st.drafts))

    def new_run() -> NmapRun:
        run = NmapRun()
        with lock:
            nmap_runs.append(run)  # the deadline timer and Ctrl-C stop it
        if stop.is_set() or _past(deadline):  # the timer has fired already
            run.stop()
        return run

    def probe(ip: str) -> None:
        d = st.drafts[ip]
        if stop.is_set() or _past(deadline):
            return
        scanned = st.nmap[ip]
        window = RateWindow(policy.for_host(d.prescan_role, d.mac, ip).host_pps, budget.probes)
        # nmap's last second of the host at the share it was last asked at (up to 90 % of
        # the cap for a second ask), the kernel's RSTs included, dated when nmap reported
        # it: the probes wait only for what may still be in the window.
        window.sent(engine.last_second(class_of[ip], len(scanned.open_tcp), scanned.share),
                    at=reported[ip])
        if scanned.unanswered_tcp:
            back = engine.recheck(ip, scanned.unanswered_tcp, window)
            with lock:
                found = engine.merge(scanned, NmapHost(ip, None, tuple(
                    Service(port=p, protocol=Protocol.TCP, name=_service_name(p)) for p in back)))
                # asked twice now; a port still silent was dropped (a host firewall's rule)
                st.nmap[ip] = scanned = dataclasses.replace(
                    found, unanswered_tcp=frozenset(),
                    drops_tcp=found.drops_tcp or len(back) < len(scanned.unanswered_tcp))
        open_tcp = scanned.open_tcp
        # Ports can reveal a fragile device the MAC vendor did not: re-check before probing.
        if d.prescan_role == "default":
            d.prescan_role = policy.prescan_role(None, set(open_tcp))
        rp = policy.for_host(d.prescan_role, d.mac, ip)
        window.pps = min(window.pps, rp.host_pps)  # a medical device by its ports: its cap
        jobs = jobs_for(ip, open_tcp, rp.probes, src_ip, fritzbox_login, window)
        result = probe_host(jobs, rp.host_pps, d.key, deadline, stop, window=window)
        st.probed.add(ip)
        st.windows[ip] = result.window
        for r in result.results:
            d.observations.extend(r.observations)
            if r.service:
                d.probed_services.append(r.service)
        with lock:
            st.not_tested.extend(result.not_tested)
            for r in result.results:
                st.not_tested.extend(dataclasses.replace(n, host=d.key) for n in r.gaps)
                if r.wlans is not None:
                    st.wlans = (st.wlans or []) + list(r.wlans)
        if st.ipv6 and not (stop.is_set() or _past(deadline)):
            # After the host's IPv4 scan and probes, so one device never gets both families
            # at once; its nmap rate is taken from the global budget like a class's.
            # the same window: the host's cap counts the probes of both families
            udp4 = frozenset(s.port for s in merge_services(scanned.services, [], d.observations)
                             if s.protocol is Protocol.UDP)
            udp = udp_ports(rp.profile(plan.profile))
            st.ipv6.ask_first(ip, d.key, rp.probes, result.window, udp, udp4, deadline, stop)
            if st.ipv6.will_scan(ip, d.key):
                share = engine.other_family_share(scanned, rp.host_pps)
                # nmap -6 paces itself from its first packet: the probes' last second (and
                # the questions just asked) must leave room for it. A host without an IPv6
                # address waits for nothing: the last hosts' wait was the scan's last second.
                result.window.room(share * rp.host_pps)
                with budget.nmap(rp.host_pps):
                    st.ipv6.scan_host(ip, d.key, tcp_ports(rp.profile(plan.profile)),
                                      new_run(), rp.host_pps, rp.host_pps, udp, share)
            v6 = st.ipv6.probe_host(ip, d.key, open_tcp, rp.probes, result.window, deadline, stop,
                                    udp4)
            d.observations.extend(v6.observations)
            with lock:
                st.not_tested.extend(v6.not_tested)
        observer.advance()

    probing: list[Future[None]] = []
    workers = min(MAX_PROBING_HOSTS, max(1, len(st.drafts)))
    probes = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")

    def finished(found: NmapHost) -> None:
        with lock:
            reported[found.ip] = time.monotonic()
            st.nmap[found.ip] = found
            if not stop.is_set():
                probing.append(probes.submit(probe, found.ip))

    def scan(cls: engine.PortClass, ips: list[str]) -> None:
        with budget.nmap(rates[cls]):
            engine.scan_class(cls, ips, rates[cls], plan.interface, new_run, finished,
                              budget.more, watch)

    # The SYN-ACK tripwire that lets small classes ask faster (engine.first_ask_watched);
    # without it (no interface named, no BPF) every class keeps the half share.
    iface = plan.interface or next((t.interface.name for t in plan.arp), None)
    watch: SynAckWatch | None = SynAckWatch(iface) if iface else None
    if watch and watch.start() is not None:
        watch = None
    with ExitStack() as cleanup, \
            ThreadPoolExecutor(max_workers=max(1, len(classes)), thread_name_prefix="nmap") as pool:
        if watch:
            cleanup.callback(watch.stop)
        scans = [pool.submit(scan, c, ips) for c, ips in classes.items()]
        try:
            for f in scans:
                f.result()
            for f in list(probing):  # complete: every scan has ended
                f.result()
        except KeyboardInterrupt:
            stop.set()
            with lock:
                for run in nmap_runs:
                    run.stop()  # each nmap ends; its partial XML is parsed in its thread
            probes.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            probes.shutdown(wait=True)
    observer.stage_finished()


@cache  # rechecked ports repeat across hosts; the answer never changes during a run
def _service_name(port: int) -> str:
    """nmap's name for a TCP port (nmap-services), as its scan would have said."""
    import socket

    try:
        return socket.getservbyport(port, "tcp")
    except OSError:
        return ""


MAX_UPNP_LOCATIONS = 16  # descriptions fetched per scan
MAX_UPNP_NOTES = 16  # locations refused, each said; beyond that, counted


def _upnp(st: _State, listeners: list[PassiveListener], policy: Policy,
          guard: ScopeGuard) -> None:
    """Fetch the descriptions scanned hosts announce by SSDP, where the scope allows: the
    probe table's ANNOUNCED entry (upnp), a stage of its own because an announcement on
    one host can name another.

    The LOCATION is the network's word: it passes the scope guard like a target, else it is
    a note and nothing is sent. A location on another scanned host (a proxy, a second
    address) is contacted as that host, in its rate window and under its policy, and what
    it serves is that host's evidence, marked ``announced_by``; a host the scan did not
    find is not contacted.
    """
    st.stage = "upnp"
    fetched: set[str] = set()
    refused = 0
    for listener in listeners:
        for location, announcer in list(listener.locations.items()):
            a = st.drafts.get(announcer)
            if a is None:
                continue  # heard from a host outside the scan
            url = upnp.http_url(location)
            refusal = _location_refusal(url, guard, st.drafts)
            if refusal is not None or url is None:
                refused += 1
                if refused <= MAX_UPNP_NOTES and refusal is not None:
                    what, why = refusal
                    reason = f"{what}: not contacted ({clean(location, 200)}: {why})"
                    st.not_tested.append(NotTested("upnp", reason, a.key))
                continue
            if str(url) in fetched or len(fetched) >= MAX_UPNP_LOCATIONS:
                continue
            fetched.add(str(url))
            d = st.drafts[url.host]
            rules = policy.for_host(d.prescan_role or "default", d.mac, url.host)
            if not any(p.name in rules.probes for p in only(Trigger.ANNOUNCED)):
                continue
            window = st.windows.get(url.host)
            if window is None:  # heard only: nothing known of its last second
                window = RateWindow(rules.host_pps)
                window.sent(int(rules.host_pps))
            result = web.upnp_description(url, window, guard,
                                          announced_by=announcer if announcer != url.host else None)
            d.observations.extend(result.observations)
            st.not_tested.extend(NotTested("upnp", n, d.key) for n in result.notes)
    if refused > MAX_UPNP_NOTES:
        st.not_tested.append(NotTested("upnp", f"{refused - MAX_UPNP_NOTES} more announced "
                                               "locations outside the scope: not contacted"))


def _location_refusal(url: upnp.HttpUrl | None, guard: ScopeGuard,
                      drafts: dict[str, HostDraft]) -> tuple[str, str] | None:
    """(what, why) when the location must not be contacted."""
    if url is None:
        return "announced location not understood", "not plain http with a port 1-65535"
    why = guard.refusal(url.host)
    if why:
        return "announced location outside the scope", why
    if url.host not in drafts:
        return "announced location on a host this scan did not find", url.host
    return None


# -- merging ----------------------------------------------------------------------------------


def _host(st: _State, ip: str, vendors: MacVendors) -> Host:
    """One host merged and classified. What a hostile device sent must not cost the scan:
    a failure here keeps the host with what nmap saw and says what was not judged."""
    d = st.drafts[ip]
    try:
        host = classify(build_host(d, st.nmap.get(ip), vendors))
        return st.ipv6.merge(host) if st.ipv6 else host
    except Exception as e:  # noqa: BLE001 - failure after discovery is data, not a lost scan
        st.not_tested.append(NotTested("classification", f"evidence not understood: "
                                                         f"{type(e).__name__}", d.key))
    scanned = st.nmap.get(ip)
    return Host(ip=ip, mac=d.mac or (scanned.mac if scanned else None),
                services=scanned.services if scanned else ())


def _attach_heard(plan: Plan, st: _State, heard: list[Heard]) -> None:
    nets = [ipaddress.IPv4Network(n) for n in plan.scope().networks]
    for h in heard:
        ip = st.by_mac.get(h.mac or "") or h.ip
        if not ip or ip == "0.0.0.0":
            continue
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            continue
        if ip not in st.drafts and not any(addr in n for n in nets):
            continue  # heard, but outside what the operator asked us to look at
        d = st.draft(ip)
        if h.mac and not d.mac and h.observation.source is not Source.SSDP:
            d.mac = h.mac
        d.observations.append(h.observation)


def _standing_gaps(plan: Plan) -> list[NotTested]:
    # Said out loud so that an empty findings list is never read as "clean".
    return [
        NotTested("udp-services", f"profile {plan.profile.value} scans no UDP port range; only "
                  "SNMP (161), SICCT (4742) and NetBIOS (137) are asked directly")
        if not udp_ports(plan.profile) else
        NotTested("udp-services", "only the key UDP ports are scanned: "
                  + ", ".join(str(p) for p in udp_ports(plan.profile))),
        NotTested("tcp/9100-9107", "raw printing ports are never probed (scan policy)"),
    ]


def _record_gaps(st: _State, why: str) -> None:
    st.not_tested.append(NotTested("scan", f"{why} during stage {st.stage}"))
    for ip, d in st.drafts.items():
        if ip not in st.nmap:
            st.not_tested.append(NotTested("tcp-scan", why, d.key))
        elif ip not in st.probed:
            st.not_tested.append(NotTested("probes", why, d.key))


def _warm_up_nmap_database() -> threading.Thread:
    """Load nmap's service database and compile the two probes our responses are matched
    against (NULL, GetRequest) while nmap scans the first hosts, so that the first probe does
    not wait for it (about 2 s of CPU). Started after discovery, which it would slow down.
    The database's own lock makes probes wait if they come early."""
    def warm() -> None:
        from scanner import nmapdb

        db = nmapdb.default()
        if isinstance(db, nmapdb.ServiceDatabase):
            db.compiled("NULL")
            db.compiled("GetRequest")

    t = threading.Thread(target=warm, name="nmapdb-warm-up", daemon=True)
    t.start()
    return t


def _nmap_database_gap() -> list[NotTested]:
    """Once per scan, not per host: nmap's service database could not be used."""
    from scanner import nmapdb

    db = nmapdb.default()
    return [db.not_tested()] if isinstance(db, nmapdb.Unavailable) else []


def _enterprise_numbers_gap(hosts: tuple[Host, ...]) -> list[NotTested]:
    """Once per scan: a host answered with a sysObjectID, but IANA's registry is missing."""
    from scanner.classification import enterprises

    asked = any(o.kind == "snmp" and o.get("sys_object_id") for h in hosts for o in h.observations)
    registry = enterprises.default() if asked else None
    return [registry.not_tested()] if isinstance(registry, enterprises.Unavailable) else []


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _deadline_timer(deadline: float | None, runs: list[NmapRun]) -> threading.Timer | None:
    if deadline is None:
        return None

    def stop_all() -> None:
        for r in list(runs):
            r.stop()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), stop_all)
    timer.daemon = True
    timer.start()
    return timer
