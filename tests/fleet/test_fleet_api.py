"""The push API against a real PostgreSQL and a real uvicorn over HTTPS on loopback, driven by
the real client (`praxisscan push`) where a user would use it."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scanner.fleet.ingest import scan_id
from scanner.jsonio import dumps
from scanner.model import Finding, Localized, Severity
from scripts.benchmark_fleet import make_scan
from tests.fleet.conftest import MAX_SCAN_BYTES, Fleet
from tests.fleet.support import free_port, post_scan, praxisscan


def _token_file(fleet: Fleet, tmp: Path, slug: str) -> Path:
    path = tmp / f"{slug}.token"
    r = praxisscan("fleet", "token", "create", slug, "--name", f"Praxis {slug}", "--output",
                   str(path), "--database", fleet.dsn)
    assert r.returncode == 0, r.stderr
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    return path


def _scan_file(tmp: Path, practice: int, week: int, **kw: object) -> Path:
    path = tmp / f"scan-{practice}-{week}.json"
    path.write_text(dumps(make_scan(practice, week, **kw)))
    return path


def _push(fleet: Fleet, slug: str, what: str, token: Path) -> object:
    return praxisscan("push", what, "--url", fleet.server.push_url(slug), "--token-file",
                      str(token), "--cafile", str(fleet.tls.ca))


def _scans_of(fleet: Fleet, slug: str) -> int:
    return fleet.count("SELECT count(*) FROM scan s JOIN practice p ON p.id = s.practice_id "
                       "WHERE p.slug = %s", slug)


def test_push_stores_the_scan_and_a_second_push_stores_nothing_new(fleet: Fleet,
                                                                    tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-push")
    scan = _scan_file(tmp_path, 101, 0)
    first = _push(fleet, "praxis-push", str(scan), token)
    assert first.returncode == 0, first.stderr
    assert "stored as" in first.stdout and "already" not in first.stdout
    again = _push(fleet, "praxis-push", str(scan), token)
    assert again.returncode == 0 and "already stored" in again.stdout
    assert _scans_of(fleet, "praxis-push") == 1
    sid = scan_id(make_scan(101, 0))
    report, practice = fleet.pg.query(
        fleet.dsn, "SELECT s.report, p.slug FROM scan s JOIN practice p ON p.id = s.practice_id "
        "WHERE s.id = %s", (sid,))[0]
    assert practice == "praxis-push" and len(report["hosts"]) == 40  # stored whole
    assert fleet.count("SELECT count(*) FROM device d JOIN practice p ON p.id = d.practice_id "
                       "WHERE p.slug = 'praxis-push'") == 40
    findings = fleet.count("SELECT count(*) FROM finding f JOIN practice p ON "
                           "p.id = f.practice_id WHERE p.slug = 'praxis-push'")
    assert findings == len(make_scan(101, 0).findings) > 0


def test_a_token_of_practice_a_is_refused_for_practice_b(fleet: Fleet, tmp_path: Path) -> None:
    token_a = _token_file(fleet, tmp_path, "praxis-a")
    _token_file(fleet, tmp_path, "praxis-b")
    before = fleet.stored()
    r = _push(fleet, "praxis-b", str(_scan_file(tmp_path, 102, 0)), token_a)
    assert r.returncode == 2
    assert "HTTP 403" in r.stderr and "another practice" in r.stderr
    assert fleet.stored() == before
    assert _scans_of(fleet, "praxis-a") == _scans_of(fleet, "praxis-b") == 0


def test_a_revoked_token_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-revoked")
    assert _push(fleet, "praxis-revoked", str(_scan_file(tmp_path, 103, 0)), token).returncode == 0
    r = praxisscan("fleet", "token", "revoke", "praxis-revoked", "--database", fleet.dsn)
    assert r.returncode == 0 and "revoked 1 token" in r.stdout
    refused = _push(fleet, "praxis-revoked", str(_scan_file(tmp_path, 103, 1)), token)
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr
    assert _scans_of(fleet, "praxis-revoked") == 1
    status, _ = post_scan(fleet.server.push_url("praxis-revoked"), b"{}",
                          token.read_text().strip(), fleet.tls.ca)
    assert status == 401


def test_bad_scans_are_answered_4xx_and_nothing_is_stored(fleet: Fleet, tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-bad").read_text().strip()
    url = fleet.server.push_url("praxis-bad")
    good = dumps(make_scan(104, 0)).encode()
    doc = json.loads(good)
    del doc["hosts"]
    wrong_version = dict(json.loads(good), schema_version=999)
    hosts_not_a_list = dict(json.loads(good), hosts="192.168.1.1")
    oversized = dumps(make_scan(104, 0, devices=200, hostile_name="x" * 300_000)).encode()
    assert len(oversized) > MAX_SCAN_BYTES
    cases = {
        "malformed": (b"this is not json {", 400),
        "truncated": (good[: len(good) // 2], 400),
        "not utf-8": (b'{"schema_version": "\xff\xfe"}', 400),
        "schema-invalid (no hosts)": (json.dumps(doc).encode(), 422),
        "schema-invalid (version)": (json.dumps(wrong_version).encode(), 422),
        "schema-invalid (types)": (json.dumps(hosts_not_a_list).encode(), 422),
        "not an object": (b"[1, 2, 3]", 422),
        "oversized": (oversized, 413),
    }
    before = fleet.stored()
    for name, (body, expected) in cases.items():
        status, answer = post_scan(url, body, token, fleet.tls.ca)
        assert status == expected, (name, status, answer)
        assert answer.get("error"), name
    # a Content-Length that lies is no way around the limit: counted while reading
    status, _ = post_scan(url, oversized, token, fleet.tls.ca,
                          headers={"Transfer-Encoding": "chunked"})
    assert 400 <= status < 500
    assert fleet.stored() == before
    assert _scans_of(fleet, "praxis-bad") == 0


def test_50_concurrent_pushes_are_all_stored_and_none_twice(fleet: Fleet, tmp_path: Path) -> None:
    slugs = [f"praxis-conc-{i}" for i in range(5)]
    tokens = {s: _token_file(fleet, tmp_path, s).read_text().strip() for s in slugs}
    jobs = [(slugs[i % 5], dumps(make_scan(200 + i % 5, i // 5)).encode()) for i in range(50)]
    jobs += jobs[:10]  # ten of them pushed twice at the same time (a box retrying)

    def push(job: tuple[str, bytes]) -> int:
        slug, body = job
        return post_scan(fleet.server.push_url(slug), body, tokens[slug], fleet.tls.ca)[0]

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(push, jobs))
    assert set(statuses) <= {200, 201}, statuses
    assert statuses.count(201) == 50
    assert sum(_scans_of(fleet, s) for s in slugs) == 50
    ids = fleet.pg.query(fleet.dsn, "SELECT s.id FROM scan s JOIN practice p ON "
                         "p.id = s.practice_id WHERE p.slug LIKE 'praxis-conc-%%'")
    assert len({i for (i,) in ids}) == 50
    assert fleet.count("SELECT count(*) FROM device d JOIN practice p ON p.id = d.practice_id "
                       "WHERE p.slug LIKE 'praxis-conc-%%'") == 5 * 40


def _critical(scan, fingerprint: str = "fp-critical-pvs"):  # noqa: ANN001, ANN202
    host = scan.hosts[1]
    finding = Finding("pvs-database-exposed", Severity.CRITICAL, host.key, 1433,
                      Localized("PVS-Datenbank offen", "PVS database exposed"), ("1433 open",),
                      fingerprint=fingerprint)
    return dataclasses.replace(scan, findings=(*scan.findings, finding))


def _hooks(fleet: Fleet, kind: str, wait: float = 10, **match: str) -> list[dict]:
    deadline = time.monotonic() + wait
    while True:
        found = [h for h in fleet.hooks.hooks() if h.get("kind") == kind
                 and all(h.get(k) == v for k, v in match.items())]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_new_critical_finding_is_notified_once(fleet: Fleet, tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-alert").read_text().strip()
    url = fleet.server.push_url("praxis-alert")
    week0 = _critical(make_scan(300, 0, devices=5))
    week1 = _critical(make_scan(300, 1, devices=5))
    assert post_scan(url, dumps(week0).encode(), token, fleet.tls.ca)[0] == 201
    alerts = _hooks(fleet, "new-finding", practice="praxis-alert", rule="pvs-database-exposed")
    assert len(alerts) == 1 and alerts[0]["severity"] == "critical"
    assert post_scan(url, dumps(week0).encode(), token, fleet.tls.ca)[0] == 200  # re-push
    assert post_scan(url, dumps(week1).encode(), token, fleet.tls.ca)[0] == 201  # still open
    time.sleep(2)
    again = [h for h in fleet.hooks.hooks() if h.get("practice") == "praxis-alert"
             and h.get("rule") == "pvs-database-exposed"]
    assert len(again) == 1
    assert fleet.count("SELECT count(*) FROM alert_outbox WHERE sent_at IS NULL") == 0


def test_weekly_digest_names_urgent_and_silent_practices(fleet: Fleet, tmp_path: Path) -> None:
    _token_file(fleet, tmp_path, "praxis-silent")  # a box that never pushed
    token = _token_file(fleet, tmp_path, "praxis-digest").read_text().strip()
    post_scan(fleet.server.push_url("praxis-digest"), dumps(_critical(make_scan(301, 0))).encode(),
              token, fleet.tls.ca)
    r = praxisscan("fleet", "digest", "--database", fleet.dsn, "--notify-webhook",
                   f"http://127.0.0.1:{fleet.hooks.http_port}/digest")
    assert r.returncode == 0, r.stderr
    digest = _hooks(fleet, "weekly-digest")[-1]
    assert "praxis-silent" in digest["silent"]
    assert any(u["practice"] == "praxis-digest" and u["critical"] >= 1 for u in digest["urgent"])
    assert "praxis-digest" in r.stdout


def test_migrate_again_changes_nothing(fleet: Fleet) -> None:
    r = praxisscan("fleet", "migrate", "--database", fleet.dsn)
    assert r.returncode == 0 and "is current" in r.stdout


def test_push_queue_keeps_scans_while_the_server_is_down(fleet: Fleet, tmp_path: Path) -> None:
    """The queue in the history (migration 2): a server that is down leaves the scans queued,
    the next run delivers them once. (The real watch run: test_fleet_watch.py.)"""
    from scanner.fleet.push import push_queue, target
    from scanner.monitor.history import History

    token = _token_file(fleet, tmp_path, "praxis-queue")
    history = History(tmp_path / "history.sqlite")
    ids = [history.add(make_scan(400, week, devices=3)) for week in range(2)]
    for i in ids:
        history.queue_push(i)
    down = target(f"https://127.0.0.1:{free_port()}/api/v1/practices/praxis-queue/scans", token,
                  fleet.tls.ca)
    lines, remaining = push_queue(down, history)
    assert remaining == 2 and all("stays queued" in line for line in lines)
    assert history.queued_pushes() == ids
    up = dataclasses.replace(down, url=fleet.server.push_url("praxis-queue"))
    lines, remaining = push_queue(up, history)
    assert remaining == 0 and history.queued_pushes() == []
    assert push_queue(up, history) == ([], 0)
    assert _scans_of(fleet, "praxis-queue") == 2
    r = praxisscan("push", str(ids[0]), "--url", up.url, "--token-file", str(token), "--cafile",
                   str(fleet.tls.ca), env={"PRAXISSCAN_STATE_DIR": str(tmp_path)})
    assert r.returncode == 0 and "already stored" in r.stdout
    assert _scans_of(fleet, "praxis-queue") == 2


def test_push_refuses_plain_http_and_an_untrusted_certificate(fleet: Fleet, tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-tls")
    scan = str(_scan_file(tmp_path, 500, 0))
    r = praxisscan("push", scan, "--url", fleet.server.push_url("praxis-tls").replace(
        "https:", "http:"), "--token-file", str(token))
    assert r.returncode == 2 and "https://" in r.stderr
    r = praxisscan("push", scan, "--url", fleet.server.push_url("praxis-tls"), "--token-file",
                   str(token), env={"SSL_CERT_FILE": os.devnull})
    assert r.returncode == 2 and "--cafile" in r.stderr
    assert _scans_of(fleet, "praxis-tls") == 0


def test_a_server_answering_5xx_leaves_the_scan_queued(fleet: Fleet, tmp_path: Path) -> None:
    import http.server
    import ssl
    import threading

    from scanner.fleet.push import push_queue, target
    from scanner.monitor.history import History

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(fleet.tls.cert, fleet.tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        history = History(tmp_path / "history.sqlite")
        scan = history.add(make_scan(401, 0, devices=2))
        history.queue_push(scan)
        token = _token_file(fleet, tmp_path, "praxis-5xx")
        failing = target(f"https://127.0.0.1:{server.server_address[1]}/scans", token,
                         fleet.tls.ca)
        lines, remaining = push_queue(failing, history)
        assert remaining == 1 and "HTTP 503" in lines[0] and history.queued_pushes() == [scan]
    finally:
        server.shutdown()
    lines, remaining = push_queue(dataclasses.replace(
        failing, url=fleet.server.push_url("praxis-5xx")), history)
    assert remaining == 0 and _scans_of(fleet, "praxis-5xx") == 1


def test_prune_keeps_the_newest_complete_scan_of_each_practice(fleet: Fleet, tmp_path: Path) -> None:
    token = _token_file(fleet, tmp_path, "praxis-prune")
    for week in range(3):
        r = _push(fleet, "praxis-prune", str(_scan_file(tmp_path, 500, week, devices=3)), token)
        assert r.returncode == 0, r.stderr
    practice = "(SELECT id FROM practice WHERE slug = 'praxis-prune')"
    assert fleet.count(f"SELECT count(*) FROM scan WHERE practice_id = {practice}") == 3
    newest = fleet.pg.query(fleet.dsn, f"SELECT max(started_at) FROM scan WHERE complete "
                                       f"AND practice_id = {practice}")[0][0]
    # received long ago, all three: only the newest complete one may stay
    fleet.pg.query(fleet.dsn, f"UPDATE scan SET received_at = now() - interval '400 days' "
                              f"WHERE practice_id = {practice} RETURNING id")
    r = praxisscan("fleet", "prune", "--older-than", "365", "--database", fleet.dsn)
    assert r.returncode == 0 and "deleted 2 scan(s)" in r.stdout, (r.stdout, r.stderr)
    left = fleet.pg.query(fleet.dsn, f"SELECT started_at FROM scan WHERE practice_id = {practice}")
    assert left == [(newest,)]
    r = praxisscan("fleet", "prune", "--older-than", "0", "--database", fleet.dsn)
    assert r.returncode == 2 and "number of days" in r.stderr
