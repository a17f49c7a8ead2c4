"""Pushing scans from the practice box to the fleet server (stdlib only: the box does not
install the server's dependencies).

HTTPS only, the certificate verified (the system's CAs, or --cafile for a private CA). The
history keeps a queue of scans not yet delivered; a server that is down, times out or answers
5xx/429 leaves them queued for the next run, so nothing is lost. The server stores a scan once
whatever the number of retries (its id is the hash of the scan).
"""

from __future__ import annotations

import json
import os
import ssl
import stat
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import PraxisscanError, UsageError
from scanner.jsonio import dumps
from scanner.model import Scan

TIMEOUT = 60.0
RETRY_LATER = {408, 425, 429, 500, 502, 503, 504}


class PushError(PraxisscanError):
    """A scan could not be delivered to the fleet server."""


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    cafile: str | None = None


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry: bool  # not delivered, but worth trying again later (server down, 5xx)
    detail: str


def target(url: str, token_file: Path, cafile: Path | None = None) -> Target:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"--push/--url wants an https:// URL (scans are sent only encrypted), "
                         f"not {url!r}")
    try:
        info = token_file.stat()
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise UsageError(f"--token-file {token_file}: {e.strerror or e}") from None
    if not token or any(c.isspace() for c in token):
        raise UsageError(f"--token-file {token_file}: holds no token (one line, as printed by "
                         "praxisscan fleet token create)")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(f"--token-file {token_file}: readable by others; chmod 600 {token_file}")
    if cafile is not None and not os.access(cafile, os.R_OK):
        raise UsageError(f"--cafile {cafile}: not readable")
    return Target(url, token, str(cafile) if cafile else None)


def push(t: Target, scan: Scan) -> Outcome:
    body = dumps(scan).encode("utf-8")
    request = urllib.request.Request(t.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "praxisscan",
        "Authorization": f"Bearer {t.token}"})
    context = ssl.create_default_context(cafile=t.cafile)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as response:
            answer = json.loads(response.read(65536) or b"{}")
            stored = "stored" if answer.get("stored") else "already stored"
            return Outcome(True, False, f"{stored} as {str(answer.get('scan_id', ''))[:16]}")
    except urllib.error.HTTPError as e:
        reason = _reason(e)
        if e.code in (401, 403):
            raise PushError(f"{t.url}: HTTP {e.code}: {reason} (is the token revoked, or "
                            "for another practice? praxisscan fleet token create)") from None
        return Outcome(False, e.code in RETRY_LATER, f"HTTP {e.code}: {reason}")
    except (OSError, urllib.error.URLError, ValueError) as e:
        cause = getattr(e, "reason", None)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise PushError(f"{t.url}: certificate not trusted ({cause.verify_message}); "
                            "name the server's CA with --cafile") from None
        return Outcome(False, True, f"not reached: {getattr(e, 'reason', e)}"[:300])


def _reason(e: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(e.read(4096)).get("error", e.reason))[:300]
    except (ValueError, AttributeError, OSError):
        return str(e.reason)[:300]


def push_queue(t: Target, history) -> tuple[list[str], int]:  # noqa: ANN001 - History
    """Push every queued scan, oldest first. Returns (one line per scan, how many remain)."""
    lines, remaining = [], 0
    for scan_id in history.queued_pushes():
        outcome = push(t, history.get(scan_id))
        if outcome.delivered:
            history.mark_pushed(scan_id)
            lines.append(f"scan {scan_id}: {outcome.detail}")
        else:
            remaining += 1
            history.push_failed(scan_id, outcome.detail)
            lines.append(f"scan {scan_id}: not delivered, stays queued: {outcome.detail}")
    return lines, remaining
