"""The scan's stages in their order: nmap's service database is loaded after discovery.

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
