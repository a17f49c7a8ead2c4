"""`praxisscan watch --push` for real: a tiny scan in two namespaces of the test's own, the fleet
server inside the scanner's namespace (its loopback), PostgreSQL reached through its socket
directory. The server is down for the first run: the scan stays queued in the history; the
next run delivers it and the new one, each once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fleet.support import FleetServer, Postgres, Tls, praxisscan

SITE = """
[practice]
name = "Praxis Watch-Test"
size = "praxis"

[[network]]
cidr = "10.97.0.0/24"
zone = "praxis"
"""


@pytest.fixture
def pair(ns_pair: Callable[[str, str], tuple[str, str]]) -> tuple[str, str]:
    """10.97.0.1 scans 10.97.0.2 (tests/conftest.py: ns_pair)."""
    return ns_pair("flw", "10.97.0")


def test_watch_queues_while_the_server_is_down_and_delivers_once_when_it_is_back(
        pair: tuple[str, str], postgres: Postgres, tls: Tls, tmp_path: Path) -> None:
    scanner, _ = pair
    dsn = postgres.create_database("watch_push")
    token = tmp_path / "token"
    r = praxisscan("fleet", "token", "create", "praxis-watch", "--output", str(token),
                   "--database", dsn)
    assert r.returncode == 0, r.stderr
    site = tmp_path / "praxis.toml"
    site.write_text(SITE)
    socket_dsn = postgres.dsn("watch_push", socket_dir=True)  # from inside the namespace
    server = FleetServer(socket_dsn, tls, ns=scanner, port=8443)
    state = {"PRAXISSCAN_STATE_DIR": str(tmp_path / "state")}
    watch = ("watch", "--site", str(site), "10.97.0.2", "-i", "eth0", "--push",
             server.push_url("praxis-watch"), "--token-file", str(token),
             "--push-cafile", str(tls.ca))
    netns = ["ip", "netns", "exec", scanner]

    def stored() -> int:
        return postgres.query(dsn, "SELECT count(*) FROM scan")[0][0]

    first = praxisscan(*watch, env=state, wrap=netns)
    assert first.returncode == 0, first.stderr
    assert "stays queued" in first.stderr and "not reached" in first.stderr
    assert stored() == 0

    with server:
        second = praxisscan(*watch, env=state, wrap=netns)
        assert second.returncode in (0, 1), second.stderr
        assert second.stdout.count("stored as") == 2, second.stdout + second.stderr
        assert stored() == 2
        # nothing left in the queue; pushing the first scan again stores nothing new
        queue = praxisscan("push", "--url", server.push_url("praxis-watch"), "--token-file",
                           str(token), "--cafile", str(tls.ca), env=state, wrap=netns)
        assert queue.returncode == 0 and "nothing queued" in queue.stdout
        again = praxisscan("push", "1", "--url", server.push_url("praxis-watch"), "--token-file",
                           str(token), "--cafile", str(tls.ca), env=state, wrap=netns)
        assert again.returncode == 0 and "already stored" in again.stdout
        assert stored() == 2
    hosts = postgres.query(dsn, "SELECT hosts FROM scan")
    assert all(h == 1 for (h,) in hosts)  # the scans are the real ones: 10.97.0.2
