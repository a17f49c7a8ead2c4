"""The history's push queue (migration 2) on an existing history of schema 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from scanner.monitor.history import MIGRATIONS, History
from scripts.benchmark_fleet import make_scan


def _history_of_schema_1(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(MIGRATIONS[0])
    db.execute("CREATE TABLE meta (schema_version INTEGER NOT NULL)")
    db.execute("INSERT INTO meta VALUES (1)")
    db.commit()
    db.close()
    h = History.__new__(History)  # add a scan the way schema 1 stored it
    h.read_only, h.path = False, path
    h.db = sqlite3.connect(path, isolation_level=None)
    h.add(make_scan(1, 0, devices=2))
    h.db.close()


def test_readers_see_the_scans_of_a_history_not_yet_migrated(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    _history_of_schema_1(path)
    reader = History.reader(path)
    assert [e.id for e in reader.entries()] == [1]  # not an empty history


def test_an_old_history_gets_the_queue_and_keeps_its_scans(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    _history_of_schema_1(path)
    history = History(path)
    assert history.db.execute("SELECT schema_version FROM meta").fetchone()[0] == 2
    second = history.add(make_scan(1, 1, devices=2))
    history.queue_push(second)
    history.queue_push(second)  # queued once
    assert history.queued_pushes() == [second]
    history.push_failed(second, "not reached")
    assert history.queued_pushes() == [second]
    history.mark_pushed(second)
    assert history.queued_pushes() == []
    history.mark_pushed(1)  # pushed by hand (praxisscan push 1): recorded, never queued again
    history.queue_push(1)
    assert history.queued_pushes() == []
