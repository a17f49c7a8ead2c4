"""The push endpoint: POST /api/v1/practices/{slug}/scans with ``Authorization: Bearer TOKEN``
and the scan's JSON as the body.

Order of checks, each answered before anything is stored: token (401 unknown or revoked,
403 for another practice's URL), size (413 over the configured limit, counted while reading,
whatever Content-Length claims), UTF-8 JSON (400, also a truncated body), a scan the strict
loader accepts (422). Then one transaction stores it (201 new, 200 already stored).
"""

from __future__ import annotations

import json

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from scanner.errors import ScanFileError
from scanner.fleet import ingest, tokens
from scanner.jsonio import scan_from_dict


DRAIN_BYTES = 64 * 1024 * 1024  # an oversized scan up to this much more is read and dropped


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def push_scan(request: Request) -> JSONResponse:
    app = request.app.state.fleet
    slug = request.path_params["slug"]
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return _error(401, "missing bearer token", **{"WWW-Authenticate": "Bearer"})
    owner = await app.run(tokens.owner, auth[7:].strip())
    if owner is None:
        return _error(401, "unknown or revoked token", **{"WWW-Authenticate": "Bearer"})
    if owner.slug != slug:
        return _error(403, "this token may push only for its own practice")
    limit = app.settings.max_scan_bytes
    declared = request.headers.get("content-length", "")
    too_big = _error(413, f"scan larger than the server's limit of {limit} bytes")
    if declared.isdigit() and int(declared) > limit + DRAIN_BYTES:
        return too_big  # not worth reading: the client will see the connection close
    body, seen = bytearray(), 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit + DRAIN_BYTES:
            return too_big
        if seen <= limit:
            body += chunk
    if seen > limit:
        # read (and dropped) to the end, so that the client reads the answer instead of a
        # connection reset while it is still sending
        return too_big
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return _error(400, f"body is not UTF-8 JSON ({type(e).__name__}); truncated?")
    try:
        scan = scan_from_dict(doc, "pushed scan")
    except (ScanFileError, RecursionError) as e:
        return _error(422, str(e)[:500])
    try:
        stored = await app.run(ingest.store, owner.practice_id, scan)
    except ingest.Conflict:
        return _error(409, "this scan is stored for another practice")
    task = BackgroundTask(run_in_threadpool, app.flush_alerts) \
        if stored.alerts and app.settings.notify else None
    return JSONResponse({"scan_id": stored.scan_id, "stored": stored.created},
                        status_code=201 if stored.created else 200, background=task)
