"""Scan history in SQLite (stdlib): every scan stored, listed, read back.

WAL mode and a busy timeout let several writers (a scheduled scan, a technician) share the
file; a schema version with ordered migrations lets the layout grow. The directory is
owner-only and the file mode 0600: a scan describes the practice's weak spots.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ScanFileError
from scanner.jsonio import dumps, loads
from scanner.model import Scan
from scanner.state import state_dir

MIGRATIONS = (
    # 1: one row per scan, the scan itself as JSON
    """CREATE TABLE scans (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,
       finished_at TEXT NOT NULL, complete INTEGER NOT NULL, scope TEXT NOT NULL,
       hosts INTEGER NOT NULL, findings INTEGER NOT NULL, scan_json TEXT NOT NULL)""",
)


@dataclass(frozen=True)
class Entry:
    id: int
    started_at: str
    complete: bool
    scope: str
    hosts: int
    findings: int


class History:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "history.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = not self.path.exists()
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (schema_version INTEGER NOT NULL)")
            row = self.db.execute("SELECT schema_version FROM meta").fetchone()
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise ScanFileError(f"{self.path}: history schema {version} is newer than this "
                                    "praxisscan understands")
            for step in MIGRATIONS[version:]:
                self.db.execute(step)
            if row is None:
                self.db.execute("INSERT INTO meta VALUES (?)", (len(MIGRATIONS),))
            else:
                self.db.execute("UPDATE meta SET schema_version = ?", (len(MIGRATIONS),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def add(self, scan: Scan) -> int:
        cur = self.db.execute(
            "INSERT INTO scans (started_at, finished_at, complete, scope, hosts, findings, "
            "scan_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (scan.started_at.isoformat(), scan.finished_at.isoformat(), int(scan.complete),
             ", ".join(scan.scope.networks or scan.scope.targets), len(scan.hosts),
             len(scan.findings), dumps(scan)))
        return int(cur.lastrowid or 0)

    def entries(self, limit: int = 50) -> list[Entry]:
        rows = self.db.execute("SELECT id, started_at, complete, scope, hosts, findings "
                               "FROM scans ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [Entry(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    def get(self, scan_id: int) -> Scan:
        row = self.db.execute("SELECT scan_json FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise ScanFileError(f"no scan {scan_id} in the history ({self.path})")
        return loads(row[0], f"history scan {scan_id}")

    def last(self, n: int) -> list[Scan]:
        ids = [e.id for e in self.entries(n)]
        if len(ids) < n:
            raise ScanFileError(f"the history holds {len(ids)} scan(s), {n} are needed")
        return [self.get(i) for i in reversed(ids)]

    def close(self) -> None:
        self.db.close()
