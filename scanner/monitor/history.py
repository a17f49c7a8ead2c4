"""Scan history in SQLite (stdlib): every scan stored, listed, read back.

WAL mode and a busy timeout let several writers (a scheduled scan, a technician) share the
file; a schema version with ordered migrations lets the layout grow. Reading commands open
the file read-only and never wait for a writer (WAL readers see the last commit). The
directory is owner-only and the file mode 0600: a scan describes the practice's weak spots.
Every SQLite failure (a damaged file after a power loss, a full disk, a lock held too long)
becomes a HistoryError that names the file and what to do.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import HistoryError, ScanFileError
from scanner.jsonio import dumps, loads
from scanner.model import Scan
from scanner.state import state_dir

MIGRATIONS = (
    # 1: one row per scan, the scan itself as JSON
    """CREATE TABLE scans (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,
       finished_at TEXT NOT NULL, complete INTEGER NOT NULL, scope TEXT NOT NULL,
       hosts INTEGER NOT NULL, findings INTEGER NOT NULL, scan_json TEXT NOT NULL)""",
    # 2: scans waiting to be pushed to a fleet server (watch --push); a row leaves the queue
    #    only when the server has it
    """CREATE TABLE push_queue (scan_id INTEGER PRIMARY KEY REFERENCES scans(id),
       queued_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, pushed_at TEXT, attempts INTEGER NOT
       NULL DEFAULT 0, last_error TEXT)""",
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
    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self.path = path or state_dir() / "history.sqlite"
        self.read_only = read_only
        with self._guard():
            if read_only:
                self.db = self._open_read_only()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = not self.path.exists()
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if fresh:
                os.chmod(self.path, 0o600)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            self._migrate()

    @classmethod
    def reader(cls, path: Path | None = None) -> History:
        """For history, show, diff: read-only, never creates the file, never waits."""
        return cls(path, read_only=True)

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.exists():  # no history yet: an empty one, nothing created on disk
            return self._open_read_only_empty()
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=0,
                             isolation_level=None)
        has_meta = db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
        row = db.execute("SELECT schema_version FROM meta").fetchone() if has_meta else None
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise ScanFileError(f"{self.path}: history schema {version} is newer than this "
                                "praxisscan understands")
        if version < 1:  # not yet migrated: nothing stored that we could read
            db.close()
            return self._open_read_only_empty()
        return db

    def _open_read_only_empty(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(MIGRATIONS[0] + ";")
        return db

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as e:
            raise HistoryError(_explain(self.path, e)) from None
        except OSError as e:  # the directory: a file in its place, no permission, disk full
            raise HistoryError(f"{self.path}: history not usable: {e.strerror or e}") from None

    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")  # may wait for another writer (busy_timeout)
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
        if self.read_only:
            raise HistoryError(f"{self.path}: opened read-only")
        with self._guard():
            cur = self.db.execute(
                "INSERT INTO scans (started_at, finished_at, complete, scope, hosts, findings, "
                "scan_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (scan.started_at.isoformat(), scan.finished_at.isoformat(), int(scan.complete),
                 ", ".join(scan.scope.networks or scan.scope.targets), len(scan.hosts),
                 len(scan.findings), dumps(scan)))
        return int(cur.lastrowid or 0)

    def entries(self, limit: int = 50) -> list[Entry]:
        with self._guard():
            rows = self.db.execute("SELECT id, started_at, complete, scope, hosts, findings "
                                   "FROM scans ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [Entry(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    def get(self, scan_id: int) -> Scan:
        if not 0 < scan_id < 2**63:
            raise ScanFileError(f"no scan {scan_id} in the history ({self.path})")
        with self._guard():
            row = self.db.execute("SELECT scan_json FROM scans WHERE id = ?",
                                  (scan_id,)).fetchone()
        if row is None:
            raise ScanFileError(f"no scan {scan_id} in the history ({self.path})")
        return loads(row[0], f"history scan {scan_id}")

    def last(self, n: int) -> list[Scan]:
        ids = [e.id for e in self.entries(n)]
        if len(ids) < n:
            raise ScanFileError(f"the history holds {len(ids)} scan(s), {n} are needed")
        return [self.get(i) for i in reversed(ids)]

    def queue_push(self, scan_id: int) -> None:
        with self._guard():
            self.db.execute("INSERT OR IGNORE INTO push_queue (scan_id) VALUES (?)", (scan_id,))

    def queued_pushes(self) -> list[int]:
        with self._guard():
            rows = self.db.execute("SELECT scan_id FROM push_queue WHERE pushed_at IS NULL "
                                   "ORDER BY scan_id").fetchall()
        return [r[0] for r in rows]

    def mark_pushed(self, scan_id: int) -> None:
        with self._guard():
            self.db.execute("INSERT INTO push_queue (scan_id, pushed_at, attempts) "
                            "VALUES (?, CURRENT_TIMESTAMP, 1) ON CONFLICT (scan_id) DO UPDATE "
                            "SET pushed_at = CURRENT_TIMESTAMP, attempts = attempts + 1, "
                            "last_error = NULL", (scan_id,))

    def push_failed(self, scan_id: int, error: str) -> None:
        with self._guard():
            self.db.execute("UPDATE push_queue SET attempts = attempts + 1, last_error = ? "
                            "WHERE scan_id = ?", (error[:500], scan_id))

    def close(self) -> None:
        self.db.close()


def _explain(path: Path, error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return f"{path}: the history is locked by another praxisscan run ({text}); try again"
    if isinstance(error, sqlite3.OperationalError) and "readonly" not in text \
            and "not a database" not in text and "malformed" not in text:
        return f"{path}: history not usable: {text}"
    return (f"{path}: history database damaged or unreadable ({text}). Move it aside "
            f"(mv {path} {path}.broken); the next scan starts a new history")
