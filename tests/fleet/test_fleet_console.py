"""The console in the real headless Chromium (JavaScript off) against the real server: login,
overview, practice page with the report, diff, the fleet-wide finding page, CSV; hostile
device names appear as text; no session means the login page; a form without its CSRF token
is refused."""

from __future__ import annotations

import csv
import dataclasses
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.jsonio import dumps
from scanner.model import Finding, Localized, Severity
from scripts.benchmark_fleet import make_scan
from tests.fleet.cdp import Browser
from tests.fleet.conftest import Fleet
from tests.fleet.support import https_request, login, post_scan

HOSTILE = '=HYPERLINK("http://x")<script>alert(1)</script><img src=x onerror=alert(2)>'
PASSWORD = "console-test"  # support.py makes it long enough


def _with_critical(scan):  # noqa: ANN001, ANN202
    f = Finding("pvs-database-exposed", Severity.CRITICAL, scan.hosts[0].key, 1433,
                Localized("PVS-Datenbank offen", "PVS database exposed"), ("1433 open",),
                fingerprint="fp-console-critical")
    return dataclasses.replace(scan, findings=(*scan.findings, f))


@pytest.fixture(scope="module")
def practice(fleet: Fleet) -> Iterator[str]:
    token = fleet.pg.token(fleet.dsn, "praxis-hostile", f"Praxis {HOSTILE}")
    fleet.pg.token(fleet.dsn, "praxis-quiet", "Praxis Still")  # never pushed: silent
    for week in range(3):
        scan = _with_critical(make_scan(600, week, devices=6, hostile_name=HOSTILE))
        assert post_scan(fleet.server.push_url("praxis-hostile"), dumps(scan).encode(), token,
                         fleet.tls.ca)[0] == 201
    fleet.pg.user(fleet.dsn, "anna", PASSWORD)
    yield "praxis-hostile"


def _no_markup_from_the_scan(dom: str) -> None:
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_console_in_chromium(fleet: Fleet, practice: str, tmp_path: Path) -> None:
    base = fleet.server.base
    with Browser(tmp_path, fleet.tls.cert) as b:
        # without a session: the login page, with the page asked for kept as next
        dom = b.open(f"{base}/practice/{practice}")
        assert urllib.parse.urlsplit(b.url()).path == "/login", re.findall(r"[A-Z_]{8,}", dom)[:20]
        assert 'id="login"' in dom and "Anmelden" in dom
        b.type_into("#name", "anna")
        b.type_into("#password", PASSWORD + "-long-enough")
        dom = b.press_enter("#password")
        assert b.url() == f"{base}/practice/{practice}"
        session = next(c for c in b.cookies() if c["name"] == "__Host-praxisfleet")
        assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"

        # practice page: name and devices as text, the report embedded, history, findings
        _no_markup_from_the_scan(dom)
        assert 'id="practice-name"' in dom and "Offene Befunde" in dom
        assert 'class="report"' in dom and "PVS-Datenbank offen" in dom
        report_url = re.search(r'id="report-link" href="([^"]+)"', dom).group(1)
        report = b.open(base + report_url)
        _no_markup_from_the_scan(report)
        assert "PVS-Datenbank offen" in report

        # before/after diff through the form (two selects, a submit button)
        b.open(f"{base}/practice/{practice}")
        diff = b.press_enter("#diff-form button")
        assert urllib.parse.urlsplit(b.url()).path == f"/practice/{practice}/diff"
        assert "Änderungen zwischen zwei Scans" in diff
        assert "<script" not in diff

        # overview: the practice with its critical finding, the silent box highlighted
        overview = b.open(base + "/")
        assert 'id="overview"' in overview
        _no_markup_from_the_scan(overview)
        quiet_row = re.search(r'<tr class="silent">.*?</tr>', overview, re.S).group(0)
        assert "Praxis Still" in quiet_row and "still seit über 8 Tagen" in quiet_row
        assert 'class="num critical">1<' in overview

        # the fleet-wide finding page
        rules = b.open(base + "/findings")
        assert 'href="/findings/pvs-database-exposed"' in rules
        across = b.open(base + "/findings/pvs-database-exposed")
        assert f'href="/practice/{practice}"' in across
        _no_markup_from_the_scan(across)

        # English
        english = b.open(base + "/?lang=en")
        assert "Overview" in english and "Last complete scan" in english

        # CSV exports, formulas defused
        rows = list(csv.DictReader(b.download(base + f"/practice/{practice}/devices.csv")
                                   .open(encoding="utf-8")))
        assert len(rows) == 6
        hostile = next(r for r in rows if "HYPERLINK" in r["name"])
        assert hostile["name"].startswith("'=HYPERLINK")
        overview_csv = list(csv.DictReader(b.download(base + "/overview.csv")
                                           .open(encoding="utf-8")))
        row = next(r for r in overview_csv if r["slug"] == practice)
        assert row["critical"] == "1" and row["name"].startswith("Praxis =HYPERLINK")
        across_csv = b.download(base + "/findings/pvs-database-exposed?format=csv").read_text()
        assert practice in across_csv

        # a form without its CSRF token is refused; the session stays
        b.open(base + "/")
        b.remove("form.logout input[name=csrf]")
        refused = b.press_enter("form.logout button")
        assert "CSRF" in refused
        assert 'id="overview"' in b.open(base + "/")

        # logging out ends the session
        b.press_enter("form.logout button")
        assert urllib.parse.urlsplit(b.url()).path == "/login"
        b.open(base + "/findings")
        assert urllib.parse.urlsplit(b.url()).path == "/login"


PAGES = ["/", "/overview.csv", "/practice/praxis-hostile", "/practice/praxis-hostile/scans.csv",
         "/practice/praxis-hostile/findings.csv", "/practice/praxis-hostile/devices.csv",
         "/practice/praxis-hostile/report/x", "/practice/praxis-hostile/diff?old=a&new=b",
         "/findings", "/findings.csv", "/findings/smbv1", "/findings/smbv1?format=csv"]


def test_without_a_session_every_page_redirects_to_login(fleet: Fleet, practice: str) -> None:
    for page in PAGES:
        for cookie in (None, "__Host-praxisfleet=forged-session-id"):
            status, _ = https_request(fleet.server.base + page, fleet.tls.ca, cookie=cookie)
            assert status == 303, page
    status, _ = https_request(fleet.server.base + "/logout", fleet.tls.ca, data=b"csrf=x",
                              method="POST")
    assert status == 303


def test_login_without_csrf_token_is_refused(fleet: Fleet, practice: str) -> None:
    form = urllib.parse.urlencode({"name": "anna", "password": PASSWORD + "-long-enough"})
    status, body = https_request(fleet.server.base + "/login", fleet.tls.ca, data=form.encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"CSRF" in body


def test_pages_send_a_strict_content_security_policy(fleet: Fleet, practice: str) -> None:
    import urllib.request

    cookie = login(fleet.server.base, "anna", PASSWORD, fleet.tls.ca)
    import ssl

    request = urllib.request.Request(fleet.server.base + "/", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, context=ssl.create_default_context(
            cafile=str(fleet.tls.ca))) as r:
        csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp


def test_a_user_sees_only_the_practices_granted(fleet: Fleet, practice: str) -> None:
    fleet.pg.user(fleet.dsn, "bernd", PASSWORD, practices=["praxis-quiet"])
    cookie = login(fleet.server.base, "bernd", PASSWORD, fleet.tls.ca)
    status, body = https_request(fleet.server.base + "/", fleet.tls.ca, cookie=cookie)
    assert status == 200 and b"Praxis Still" in body and b"HYPERLINK" not in body
    status, _ = https_request(fleet.server.base + f"/practice/{practice}", fleet.tls.ca,
                              cookie=cookie)
    assert status == 404
    status, body = https_request(fleet.server.base + "/findings/pvs-database-exposed",
                                 fleet.tls.ca, cookie=cookie)
    assert status == 200 and practice.encode() not in body


def test_login_attempts_are_rate_limited(fleet: Fleet, practice: str) -> None:
    fleet.pg.user(fleet.dsn, "carla", PASSWORD)
    try:
        for _ in range(5):
            with pytest.raises(AssertionError):
                login(fleet.server.base, "carla", "wrong-password", fleet.tls.ca)
        with pytest.raises(AssertionError, match="429"):
            login(fleet.server.base, "carla", PASSWORD, fleet.tls.ca)
    finally:
        fleet.pg.query(fleet.dsn, "DELETE FROM login_attempt", fetch=False)
