"""The benchmarks' reference: the open TCP ports nmap's own XML names (scripts/benchmark.py,
scripts/benchmark_scale.py), read on a real nmap run against the lab practice."""

from __future__ import annotations

from scanner.model import Protocol
from scanner.portscan.nmap_scan import parse_nmap_xml
from scripts.benchmark import nmap_open_tcp
from tests.conftest import captures_dir


def test_the_reference_reads_every_open_tcp_port_nmap_wrote() -> None:
    xml = (captures_dir() / "lab" / "lab_nmap_tcp.xml").read_text()
    theirs = {(h.ip, s.port) for h in parse_nmap_xml(xml) for s in h.services
              if s.protocol is Protocol.TCP}
    assert len(theirs) >= 10
    assert nmap_open_tcp(xml) == theirs
