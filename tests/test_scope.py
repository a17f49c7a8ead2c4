"""Scope guard: what a typed target means, and what is refused."""

from __future__ import annotations

import ipaddress

import pytest

from scanner.errors import TargetError
from scanner.scope import guard, host_addresses, is_public, parse_target

N = ipaddress.IPv4Network


@pytest.mark.parametrize("text, expected", [
    ("192.168.178.0/24", [N("192.168.178.0/24")]),
    ("192.168.178.7/24", [N("192.168.178.0/24")]),
    ("192.168.178.10", [N("192.168.178.10/32")]),
    ("192.168.178.10-13", [N("192.168.178.10/31"), N("192.168.178.12/31")]),
    ("192.168.178.254-192.168.179.1", [N("192.168.178.254/31"), N("192.168.179.0/31")]),
    ("localhost", [N("127.0.0.1/32")]),
])
def test_targets_parse_to_networks(text: str, expected: list[N]) -> None:
    assert list(parse_target(text).networks) == expected


@pytest.mark.parametrize("text", ["192.168.178.300", "192.168.178.0/33", "192.168.178.20-10",
                                  "", "1.2.3", "no such host.invalid!"])
def test_malformed_targets_are_refused(text: str) -> None:
    with pytest.raises(TargetError):
        parse_target(text)


def test_public_ranges_need_the_flag() -> None:
    t = [parse_target("8.8.8.0/24")]
    with pytest.raises(TargetError, match="--allow-public"):
        guard(t, allow_public=False, allow_large=False)
    assert guard(t, allow_public=True, allow_large=False) == [N("8.8.8.0/24")]


@pytest.mark.parametrize("net, public", [
    ("10.1.2.0/24", False), ("172.31.0.0/16", False), ("192.168.0.0/16", False),
    ("127.0.0.1/32", False), ("100.64.1.0/24", False), ("172.32.0.0/24", True),
    ("10.0.0.0/7", True), ("11.22.33.0/24", True), ("192.0.2.0/24", True),
])
def test_public_means_outside_every_private_block(net: str, public: bool) -> None:
    assert is_public(N(net)) is public


def test_more_than_a_slash_16_needs_the_flag() -> None:
    with pytest.raises(TargetError, match="--allow-large"):
        guard([parse_target("10.0.0.0/15")], allow_public=False, allow_large=False)
    assert guard([parse_target("10.0.0.0/16")], allow_public=False, allow_large=False)
    assert guard([parse_target("10.0.0.0/15")], allow_public=False, allow_large=True)


def test_host_addresses_leave_out_network_and_broadcast() -> None:
    addrs = [str(a) for a in host_addresses([N("192.168.1.0/30"), N("192.168.2.9/32")])]
    assert addrs == ["192.168.1.1", "192.168.1.2", "192.168.2.9"]
