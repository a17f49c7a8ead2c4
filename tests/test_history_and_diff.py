"""History (SQLite) and diff: diff(a, a) is empty, every mutation is named, storage is safe."""

from __future__ import annotations

import dataclasses
import multiprocessing
import random
import sqlite3
from pathlib import Path

import pytest

from scanner.monitor.diff import diff
from scanner.errors import ScanFileError
from scanner.monitor.history import History
from scanner.jsonio import dumps
from scanner.model import Finding, Host, Localized, Protocol, Role, Scan, Service, Severity
from scanner.rules.engine import fingerprint
from tests.conftest import praxisscan
from tests.test_model_json import sample_scan


def population(rng: random.Random, n: int = 30) -> Scan:
    hosts = tuple(Host(ip=f"192.168.178.{i + 2}", mac=f"00:11:22:00:00:{i:02x}",
                       role=rng.choice(list(Role)),
                       services=tuple(Service(p, Protocol.TCP, "svc", "prod", "1.0")
                                      for p in sorted(rng.sample([22, 80, 443, 445, 3389, 5432], 3))))
                  for i in range(n))
    findings = tuple(Finding(rule="rdp-exposed", severity=Severity.MEDIUM, host=h.key, port=3389,
                             title=Localized("t", "t"), evidence=(),
                             fingerprint=fingerprint("rdp-exposed", h.key, 3389))
                     for h in hosts if h.service(3389))
    return dataclasses.replace(sample_scan(), hosts=hosts, findings=findings)


@pytest.mark.parametrize("seed", range(20))
def test_a_scan_against_itself_has_no_changes(seed: int) -> None:
    s = population(random.Random(seed))
    assert diff(s, s).empty


@pytest.mark.parametrize("seed", range(20))
def test_the_diff_names_exactly_the_changes_made(seed: int) -> None:
    rng = random.Random(seed)
    old = population(rng)
    hosts = list(old.hosts)
    gone = hosts.pop(rng.randrange(len(hosts)))
    i = rng.randrange(len(hosts))
    moved_before = hosts[i]
    hosts[i] = dataclasses.replace(moved_before, ip="10.9.9.9")
    j = rng.choice([k for k in range(len(hosts)) if k != i])
    opened = Service(8080, Protocol.TCP, "http-alt")
    hosts[j] = dataclasses.replace(hosts[j], services=hosts[j].services + (opened,))
    k = rng.choice([x for x in range(len(hosts)) if x not in (i, j)])
    closed = hosts[k].services[0]
    bumped = hosts[k].services[1]
    hosts[k] = dataclasses.replace(hosts[k], services=(
        dataclasses.replace(bumped, version="2.0"), *hosts[k].services[2:]))
    newcomer = Host(ip="192.168.178.200", mac="da:a1:19:7e:33:05", role=Role.SMARTPHONE)
    hosts.append(newcomer)
    new_finding = Finding(rule="private-mobile-device", severity=Severity.HIGH, host=newcomer.key,
                          port=None, title=Localized("t", "t"), evidence=(),
                          fingerprint=fingerprint("private-mobile-device", newcomer.key, None))
    findings = tuple(f for f in old.findings if f.host != gone.key) + (new_finding,)
    new = dataclasses.replace(old, hosts=tuple(hosts), findings=findings)

    d = diff(old, new)
    assert [h.key for h in d.new_devices] == [newcomer.key]
    assert [h.key for h in d.gone_devices] == [gone.key]
    assert [(b.ip, a.ip) for b, a in d.moved] == [(moved_before.ip, "10.9.9.9")]
    assert d.ports_opened == ((hosts[j].key, opened),)
    assert d.ports_closed == ((hosts[k].key, closed),)
    assert [(c.host, c.port, c.after) for c in d.service_changes] == [
        (hosts[k].key, bumped.port, "svc prod 2.0")]
    assert d.new_findings == (new_finding,)
    assert {f.host for f in d.resolved_findings} == ({gone.key} if gone.service(3389) else set())


def test_history_round_trip_and_permissions(tmp_path: Path) -> None:
    h = History(tmp_path / "state" / "history.sqlite")
    first, second = h.add(sample_scan()), h.add(sample_scan())
    assert h.get(first) == sample_scan()
    assert [e.id for e in h.entries()] == [second, first]
    assert len(h.last(2)) == 2
    assert (tmp_path / "state" / "history.sqlite").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    with pytest.raises(ScanFileError, match="no scan 99"):
        h.get(99)


def _write_many(path: str, n: int) -> None:
    h = History(Path(path))
    for _ in range(n):
        h.add(sample_scan())


def test_concurrent_writers_do_not_corrupt_the_history(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    History(path).close()
    procs = [multiprocessing.Process(target=_write_many, args=(str(path), 15)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM scans").fetchone() == (60,)


def test_a_newer_history_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    History(path).close()
    sqlite3.connect(path, isolation_level=None).execute("UPDATE meta SET schema_version = 99")
    with pytest.raises(ScanFileError, match="newer than this praxisscan understands"):
        History(path)


def test_diff_cli_exit_codes_and_quiet(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    s = population(random.Random(1))
    a.write_text(dumps(s))
    b.write_text(dumps(dataclasses.replace(s, hosts=s.hosts[1:])))
    r = praxisscan("diff", str(a), str(a), "--quiet")
    assert r.returncode == 0 and r.stdout == ""
    r = praxisscan("diff", str(a), str(a))
    assert r.returncode == 0 and r.stdout.strip() == "Keine Änderungen."
    r = praxisscan("diff", str(a), str(b), "--lang", "en")
    assert r.returncode == 1 and "Devices gone (1):" in r.stdout
    r = praxisscan("diff", str(a), str(b), "--format", "json")
    assert r.returncode == 1 and '"changed": true' in r.stdout
    r = praxisscan("diff", str(a))
    assert r.returncode == 2 and "OLD and NEW" in r.stderr


def test_history_and_show_cli(tmp_path: Path) -> None:
    env = {"PRAXISSCAN_STATE_DIR": str(tmp_path)}
    r = praxisscan("history", env=env)
    assert r.returncode == 0 and "no scans stored yet" in r.stdout
    History(tmp_path / "history.sqlite").add(sample_scan())
    r = praxisscan("history", env=env)
    assert r.returncode == 0 and "3 hosts" in r.stdout and "UNVOLLSTÄNDIG" in r.stdout
    r = praxisscan("show", "1", "--format", "json", env=env)
    assert r.returncode == 0 and '"schema_version": 1' in r.stdout
    r = praxisscan("diff", "--last", env=env)
    assert r.returncode == 2 and "1 scan(s), 2 are needed" in r.stderr
