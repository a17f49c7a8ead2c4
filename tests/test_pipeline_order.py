"""The scan's stages in their order: nmap's service database is loaded after discovery; a
host's IPv6 pass (and its wait) only where the host has an IPv6 address.

Its parse and compile take about 2 s of CPU; during ARP and the listen window they would
compete with discovery for the two cores. The load is observed where it happens, at
``nmapdb.default()`` (the warm-up thread's first call), not at the pipeline's helper.
"""

from __future__ import annotations

import ipaddress
import threading

import pytest

from scanner import nmapdb, pipeline
from scanner.plan import Plan
from scanner.portscan.ipv6_stage import Ipv6Stage
from scanner.ports import Profile


def _plan() -> Plan:
    return Plan(networks=(ipaddress.IPv4Network("192.0.2.0/24"),), detected=False, arp=(),
                routed_targets=(), profile=Profile.QUICK, tcp_ports=(22,), interface=None,
                allow_public=False, allow_large=False, target_texts=("192.0.2.0/24",),
                ipv6=False)


def test_the_service_database_is_loaded_after_discovery_and_before_the_port_scan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    loading = threading.Event()
    real_default = nmapdb.default

    def default() -> object:
        if not loading.is_set():
            events.append("database")
            loading.set()
        return real_default()

    def discover(*_args: object) -> None:
        events.append("discovery")
        # Give a warm-up started too early its chance to show up here: the thread was started
        # before this call, so it calls default() within this wait. No time is asserted;
        # in the right order the wait simply runs out.
        loading.wait(0.5)

    def after_arp(self: Ipv6Stage, *_args: object) -> None:
        events.append("after_arp")

    def scan_hosts(*_args: object) -> None:
        # The first probes need the database: it is on its way when the port scan starts.
        assert loading.wait(30), "the service database was never loaded"
        events.append("port scan")

    monkeypatch.setattr(pipeline, "require_root", lambda: None)
    monkeypatch.setattr(pipeline, "nmap_binary", lambda: "/usr/bin/nmap")
    monkeypatch.setattr(nmapdb, "default", default)
    monkeypatch.setattr(pipeline, "_discover", discover)
    monkeypatch.setattr(Ipv6Stage, "after_arp", after_arp)
    monkeypatch.setattr(pipeline, "_scan_hosts", scan_hosts)

    scan = pipeline.run_scan(_plan(), options=pipeline.ScanOptions(listen_seconds=0))

    assert events == ["discovery", "after_arp", "database", "port scan"]
    assert scan.complete


def test_a_host_without_an_ipv6_address_waits_for_no_ipv6_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After its IPv4 probes a host waits until nmap -6's first second fits into its window,
    but only a host that has an IPv6 address to scan: for the others that wait (up to a
    second) was dead time, the last hosts' one at the end of every scan."""
    from scanner.model import Protocol, Service
    from scanner.portscan import engine
    from scanner.portscan.nmap_scan import NmapHost
    from scanner.policy import load_policy
    from scanner.probes.base import RateWindow
    from scanner.portscan.ipv6_stage import Ipv6Probes
    from scanner.probes.registry import HostRun

    waited: list[float] = []
    passes: list[str] = []
    monkeypatch.setattr(RateWindow, "room", lambda self, packets: waited.append(packets))
    monkeypatch.setattr(Ipv6Stage, "scan_host",
                        lambda self, ip, *_a, **_k: passes.append(ip))
    # the IPv6 questions and probes are not what is tested: they would go to fe80::6%eth0
    monkeypatch.setattr(Ipv6Stage, "ask_first", lambda self, *_a, **_k: None)
    monkeypatch.setattr(Ipv6Stage, "probe_host", lambda self, *_a, **_k: Ipv6Probes())

    def scan_class(cls: object, ips: list[str], rate: float, interface: object,
                   new_run: object, finished, more: object, watch: object) -> None:  # noqa: ANN001
        for ip in ips:
            finished(NmapHost(ip, None, (Service(port=22, protocol=Protocol.TCP),)))

    monkeypatch.setattr(engine, "scan_class", scan_class)
    monkeypatch.setattr(pipeline, "probe_host",
                        lambda _jobs, pps, *_a, window, **_k: HostRun(window=window))
    st = pipeline._State()
    for ip in ("192.0.2.5", "192.0.2.6"):
        st.draft(ip).mac = "02:00:00:00:00:0" + ip[-1]
    st.ipv6 = Ipv6Stage([], allow_public=False)
    st.ipv6.zoned["192.0.2.6"] = "fe80::6%eth0"  # only .6 has an IPv6 address
    pipeline._scan_hosts(_plan(), st, load_policy(), pipeline.MacVendors(), [], None,
                         pipeline.NullObserver())
    assert st.probed == {"192.0.2.5", "192.0.2.6"}
    assert passes == ["192.0.2.6"]
    # nmap -6's first second (at least half the host's cap) was waited for once, for .6;
    # smaller waits are probes' packets
    first_seconds = [p for p in waited if p >= load_policy().default.host_pps / 2]
    assert len(first_seconds) == 1
