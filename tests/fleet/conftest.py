"""Fixtures of the fleet tests: one throw-away PostgreSQL cluster for the session, a fresh
database and a real `praxisscan fleet serve` (uvicorn, TLS with a throw-away CA) per module.
Under CI=true a missing PostgreSQL is a failure, not a skip (tests/conftest.py unavailable)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.fleet.support import FleetServer, Postgres, Tls, Unavailable, make_tls
from tests.receivers import Receivers

MAX_SCAN_BYTES = 400_000


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    try:
        import psycopg, starlette, uvicorn  # noqa: F401, E401
    except ImportError as e:
        unavailable(f"the fleet extra is not installed ({e.name}): pip install -e '.[fleet]'")
    try:
        pg = Postgres()
    except Unavailable as e:
        unavailable(str(e))
    with pg:
        yield pg


@pytest.fixture(scope="session")
def tls() -> Iterator[Tls]:
    with tempfile.TemporaryDirectory(prefix="pxtest-tls-") as d:
        try:
            yield make_tls(Path(d))
        except Unavailable as e:
            unavailable(str(e))


@dataclass
class Fleet:
    pg: Postgres
    dsn: str
    tls: Tls
    server: FleetServer
    hooks: Receivers

    def count(self, sql: str, *params: object) -> int:
        return self.pg.query(self.dsn, sql, params)[0][0]

    def stored(self) -> tuple[int, int, int]:
        return (self.count("SELECT count(*) FROM scan"), self.count("SELECT count(*) FROM device"),
                self.count("SELECT count(*) FROM finding"))


@pytest.fixture(scope="module")
def fleet(postgres: Postgres, tls: Tls, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    dsn = postgres.create_database(name)
    with Receivers(tmp_path_factory.mktemp("hooks")) as hooks:
        server = FleetServer(dsn, tls, extra=(
            "--max-scan-bytes", str(MAX_SCAN_BYTES),
            "--notify-webhook", f"http://127.0.0.1:{hooks.http_port}/hook"))
        with server:
            yield Fleet(postgres, dsn, tls, server, hooks)
