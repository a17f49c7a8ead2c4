"""Scope guard: what a typed target means, and what is refused."""

from __future__ import annotations

import ipaddress

import pytest

from scanner.errors import TargetError
from scanner.scope import OutOfScope, ScopeGuard, guard, host_addresses, is_public, parse_target

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


@pytest.fixture
def no_dns(monkeypatch):
    """A lookup would be a DNS query: fail the test instead of sending it."""
    import socket

    def refuse(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError(f"DNS lookup of {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("text, problem", [
    ("192.168.1.1-192.168.1.0", "the range ends before it starts (192.168.1.0 < 192.168.1.1)"),
    ("192.168.1.10-300", "the range's last octet 300 is not 0-255"),
    ("192.168.178.20-10", "the range ends before it starts"),
    ("10.0.0.1-10.0.0.x", "range end"),
    ("192.168.1-5", "range start"),
    ("192.168.1.5-", "range end"),
    ("192.168.178.300", "Octet 300 (> 255)"),
    ("1.2.3", "Expected 4 octets"),
])
def test_malformed_ranges_name_the_problem_and_never_reach_dns(no_dns, text: str,
                                                                problem: str) -> None:
    with pytest.raises(TargetError, match="malformed target") as e:
        parse_target(text)
    assert problem in str(e.value)


def test_a_host_name_with_digits_and_dashes_is_still_a_name(monkeypatch) -> None:
    import socket

    asked: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda name, *a, **k: asked.append(name) or
                        [(socket.AF_INET, 1, 6, "", ("192.168.178.5", 0))])
    assert parse_target("3com-switch").networks == (N("192.168.178.5/32"),)
    assert parse_target("123-praxis").networks == (N("192.168.178.5/32"),)
    assert asked == ["3com-switch", "123-praxis"]


GUARD = ScopeGuard((N("10.77.0.0/24"), N("192.168.178.10/32")))


@pytest.mark.parametrize("host, reason", [
    ("10.77.0.2", None), ("192.168.178.10", None), ("10.77.0.254", None),
    ("10.78.0.9", "10.78.0.9 is outside the scanned networks"),
    ("8.8.8.8", "8.8.8.8 is outside the scanned networks"),
    ("192.168.178.11", "192.168.178.11 is outside the scanned networks"),
    ("10.77.0.0", "10.77.0.0 is the network or broadcast address of 10.77.0.0/24"),
    ("10.77.0.255", "10.77.0.255 is the network or broadcast address of 10.77.0.0/24"),
    ("0.0.0.0", "0.0.0.0 is not a host address"),
    ("255.255.255.255", "255.255.255.255 is not a host address"),
    ("239.255.255.250", "239.255.255.250 is not a host address"),
    ("fritz.box", "'fritz.box' is not an IPv4 address (host names are not resolved)"),
    ("010.077.000.002", "is not an IPv4 address"),  # octal to the C library: refused
    ("10.77.0.2.", "is not an IPv4 address"), ("::1", "is not an IPv4 address"),
    ("", "is not an IPv4 address"),
])
def test_the_scope_guard(no_dns, host: str, reason: str | None) -> None:
    got = GUARD.refusal(host)
    assert got is None if reason is None else reason in got
    assert GUARD.allows(host) is (reason is None)


def test_the_guard_refuses_public_addresses_like_targets() -> None:
    nets = (N("8.8.8.0/24"),)
    assert ScopeGuard(nets).refusal("8.8.8.8") == "8.8.8.8 is a public address (no --allow-public)"
    assert ScopeGuard(nets, allow_public=True).allows("8.8.8.8")
    with pytest.raises(OutOfScope, match="outside the scanned networks"):
        ScopeGuard(nets).check("8.8.4.4")


def test_the_plan_gives_the_guard_of_its_scope() -> None:
    from scanner.plan import make_plan

    plan = make_plan(["10.77.0.2"], interface="lo")
    assert plan.guard().allows("10.77.0.2") and not plan.guard().allows("10.77.0.3")
    assert any("contacted only inside this scope" in line for line in plan.describe())
