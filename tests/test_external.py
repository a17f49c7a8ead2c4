"""Outside-in check: merging what answered from outside into the inside scan; RDP parsing."""

from __future__ import annotations

import struct

import pytest

from scanner.external import Reachable, merge
from scanner.rules.engine import apply_rules
from scanner.probes.rdp import parse_negotiation
from tests.conftest import praxisscan
from tests.test_model_json import sample_scan


def test_merge_ties_inbound_ports_to_inside_hosts_and_rules_judge_them() -> None:
    inside = sample_scan()
    pvs = inside.hosts[0].key
    reached = [Reachable(3389, "rdp: commonName=PVS-SERVER", pvs, 3389, "certificate"),
               Reachable(8080, "http: Kamera", None, None, "")]
    scan = apply_rules(merge("11.22.33.2", inside, reached), None)
    inbound = {(f.host, f.port, f.severity.value) for f in scan.findings if f.rule == "inbound-service"}
    assert inbound == {(pvs, 3389, "critical"), ("ip:11.22.33.2", 8080, "high")}
    assert len(scan.hosts) == len(inside.hosts) + 1  # the untied answer keeps the public address
    assert not any(n.check == "inbound-service" for n in scan.not_tested)


def test_rdp_negotiation_replies() -> None:
    header = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00"
    assert parse_negotiation(header + struct.pack("<BBHI", 2, 0, 8, 2)) == 2  # CredSSP (NLA)
    assert parse_negotiation(header + struct.pack("<BBHI", 2, 0, 8, 1)) == 1  # TLS
    assert parse_negotiation(header + struct.pack("<BBHI", 3, 0, 8, 5)) is None  # failure
    assert parse_negotiation(b"\x03\x00\x00\x0b\x06\xd0\x00\x00\x12\x34\x00") == 0  # old RDP
    assert parse_negotiation(b"") is None and parse_negotiation(b"HTTP/1.1 400") is None


def test_external_cli_input() -> None:
    r = praxisscan("external", "practice.example")
    assert r.returncode == 2 and "one IPv4 or IPv6 address" in r.stderr
    r = praxisscan("external", "11.22.33.2", "--plan")
    assert r.returncode == 0 and "Outside-in check of 11.22.33.2" in r.stdout


@pytest.mark.parametrize("address, what", [
    ("0.0.0.0", "the unspecified address"), ("255.255.255.255", "the broadcast address"),
    ("224.0.0.251", "a multicast address"), ("127.0.0.1", "a loopback address"),
    ("169.254.10.1", "a link-local address"), ("240.0.0.7", "a reserved address"),
    ("192.168.178.1", "a private (LAN) address"), ("10.0.0.1", "a private (LAN) address"),
    ("100.64.12.1", "a carrier-grade NAT address"), ("192.0.2.7", "a special-purpose address"),
])
def test_external_refuses_what_is_no_public_address(address: str, what: str) -> None:
    # --plan: even a guard that failed would send nothing
    r = praxisscan("external", address, "--plan")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(f"praxisscan: error: external checks the practice's public "
                               f"Internet address; {address} is {what}")
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_labs_wan_address_is_public_so_the_demo_runs() -> None:
    from scanner.external import public_address
    from scanner.lab.topology import load_practice

    wan = load_practice().wan_address.split("/")[0]
    assert public_address(wan) == wan
