"""Storing one pushed scan: the scan whole (JSONB) plus the rows fleet queries need.

The scan's id is the SHA-256 of its canonical JSON (scanner.jsonio.dumps of the parsed scan),
so the same scan pushed twice, from a queue retry or by hand, is stored once whatever the
client sends as an id. One transaction per scan, with the practice row locked, so that scans
of one practice arriving at once update first/last seen and resolution in order.

A finding is open until a complete scan that is the practice's newest no longer shows it.
A new or reopened critical/high finding gets one row in alert_outbox (sent by notify.py).
Acknowledged findings (accepted in the site file) are not fleet findings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timezone

from psycopg.types.json import Jsonb

from scanner.jsonio import dumps, scan_to_dict
from scanner.model import Scan, Severity
from scanner.render.summary import device_names, rating

ALERT_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)


@dataclass(frozen=True)
class Stored:
    scan_id: str
    created: bool  # False: the same scan was already stored
    alerts: int = 0


class Conflict(Exception):
    """The same scan is stored for another practice."""


def scan_id(scan: Scan) -> str:
    return hashlib.sha256(dumps(scan).encode()).hexdigest()


def store(conn, practice_id: int, scan: Scan) -> Stored:  # noqa: ANN001 - psycopg.Connection
    """Store the scan in the current transaction (the caller commits)."""
    sid = scan_id(scan)
    if scan.started_at.tzinfo is None:  # an old scan without offset: praxisscan writes UTC
        scan = replace(scan, started_at=scan.started_at.replace(tzinfo=timezone.utc),
                       finished_at=scan.finished_at.replace(tzinfo=timezone.utc))
    conn.execute("SELECT 1 FROM practice WHERE id = %s FOR UPDATE", (practice_id,))
    conn.execute("UPDATE practice SET last_push_at = now() WHERE id = %s", (practice_id,))
    row = conn.execute(
        "INSERT INTO scan (id, practice_id, started_at, finished_at, complete, hosts, findings, "
        "rating, report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        (sid, practice_id, scan.started_at, scan.finished_at, scan.complete, len(scan.hosts),
         len(scan.findings), rating(scan, "de").level, Jsonb(scan_to_dict(scan)))).fetchone()
    if row is None:
        owner = conn.execute("SELECT practice_id FROM scan WHERE id = %s", (sid,)).fetchone()
        if owner and owner[0] != practice_id:
            raise Conflict(sid)
        return Stored(sid, created=False)
    _devices(conn, practice_id, scan)
    alerts = _findings(conn, practice_id, scan, sid)
    return Stored(sid, created=True, alerts=alerts)


def _devices(conn, practice_id: int, scan: Scan) -> None:  # noqa: ANN001
    names = device_names(scan)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO device (practice_id, device_key, ip, name, role, first_seen, last_seen) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (practice_id, device_key) DO UPDATE "
            "SET first_seen = LEAST(device.first_seen, EXCLUDED.first_seen), "
            "last_seen = GREATEST(device.last_seen, EXCLUDED.last_seen), "
            "ip = CASE WHEN EXCLUDED.last_seen >= device.last_seen THEN EXCLUDED.ip ELSE device.ip END, "
            "name = CASE WHEN EXCLUDED.last_seen >= device.last_seen THEN EXCLUDED.name "
            "ELSE device.name END, "
            "role = CASE WHEN EXCLUDED.last_seen >= device.last_seen THEN EXCLUDED.role "
            "ELSE device.role END",
            [(practice_id, h.key, h.ip, names.get(h.key, h.ip)[:300], h.role.value,
              scan.started_at, scan.started_at) for h in scan.hosts])


def _findings(conn, practice_id: int, scan: Scan, sid: str) -> int:  # noqa: ANN001
    when = scan.started_at
    current = {f.fingerprint: f for f in scan.findings if f.fingerprint and not f.acknowledged}
    known = dict(conn.execute(
        "SELECT fingerprint, resolved_at FROM finding WHERE practice_id = %s "
        "AND fingerprint = ANY(%s)", (practice_id, list(current))).fetchall())
    newest = conn.execute(
        "SELECT max(started_at) FROM scan WHERE practice_id = %s AND complete",
        (practice_id,)).fetchone()[0]
    names = device_names(scan)
    opened = [fp for fp in current if fp not in known
              or (known[fp] is not None and known[fp] <= when)]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO finding (practice_id, fingerprint, rule, severity, severity_rank, host, "
            "port, title_de, title_en, first_seen, last_seen) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (practice_id, fingerprint) DO UPDATE SET "
            "first_seen = LEAST(finding.first_seen, EXCLUDED.first_seen), "
            "last_seen = GREATEST(finding.last_seen, EXCLUDED.last_seen), "
            "severity = EXCLUDED.severity, severity_rank = EXCLUDED.severity_rank, "
            "resolved_at = CASE WHEN finding.resolved_at <= EXCLUDED.last_seen THEN NULL "
            "ELSE finding.resolved_at END",
            [(practice_id, fp, f.rule, f.severity.value, f.severity.rank,
              names.get(f.host, f.host) if f.host else None, f.port,
              f.title.de[:500], f.title.en[:500], when, when) for fp, f in current.items()])
    if scan.complete and (newest is None or when >= newest):
        conn.execute(
            "UPDATE finding SET resolved_at = %s WHERE practice_id = %s AND resolved_at IS NULL "
            "AND last_seen < %s AND NOT (fingerprint = ANY(%s))",
            (when, practice_id, when, list(current)))
    alerts = [current[fp] for fp in opened if current[fp].severity in ALERT_SEVERITIES]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO alert_outbox (dedup_key, payload) VALUES (%s, %s) "
            "ON CONFLICT (dedup_key) DO NOTHING",
            [(f"{practice_id}:{f.fingerprint}:{sid}", Jsonb({
                "practice_id": practice_id, "scan_id": sid, "rule": f.rule,
                "severity": f.severity.value, "host": names.get(f.host, f.host) if f.host else None,
                "port": f.port, "title_de": f.title.de, "title_en": f.title.en,
                "started_at": when.isoformat()})) for f in alerts])
    return len(alerts)
