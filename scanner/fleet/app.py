"""The fleet server's ASGI application (Starlette): the push API and the console.

Database work runs in Starlette's thread pool on a psycopg connection pool; each call of
``FleetApp.run`` is one transaction (committed when the function returns, rolled back when it
raises).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from scanner.fleet.notify import NotifySettings

DEFAULT_MAX_SCAN_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    dsn: str
    max_scan_bytes: int = DEFAULT_MAX_SCAN_BYTES
    notify: NotifySettings = field(default_factory=NotifySettings)
    pool_size: int = 8


class FleetApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = None
        self._alerts = threading.Lock()  # one sender at a time: no burst of parallel mails

    def open(self) -> None:
        from scanner.fleet.db import connect, make_pool, require_current

        with connect(self.settings.dsn) as conn:  # a clear error before serving anything
            require_current(conn)
        self.pool = make_pool(self.settings.dsn, self.settings.pool_size)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.pool is None:
            raise RuntimeError("the database pool is not open (startup did not run)")
        with self.pool.connection() as conn:  # commits on success, rolls back on an exception
            return fn(conn, *args)

    def flush_alerts(self) -> list[str]:
        from scanner.fleet.notify import flush_alerts

        with self._alerts:
            return self.call(flush_alerts, self.settings.notify)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(self.call, fn, *args)


def create_app(settings: Settings) -> Starlette:
    from scanner.fleet import api, console

    fleet = FleetApp(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(fleet.open)
        try:
            yield
        finally:
            await run_in_threadpool(fleet.close)

    routes = [Route("/api/v1/practices/{slug}/scans", api.push_scan, methods=["POST"]),
              *console.routes()]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.fleet = fleet
    return app
