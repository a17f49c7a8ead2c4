"""The console's pages: server-rendered HTML (Jinja2 templates in reports/fleet/), no
JavaScript, German first with an English switch, CSV export of every table.

Every page but /login needs a session (else 303 to /login). Every POST form carries the
session's CSRF token (the login form a pre-session token in a cookie, double submit).
Responses forbid scripts, framing by others and caching.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from scanner.fleet import auth, queries
from scanner.fleet.words import WORDS
from scanner.render.csv_inventory import _cell as csv_cell
from scanner.resources import data_dir

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
PRE_COOKIE = "__Host-praxisfleet-login"
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}

_env = None


def _templates():  # noqa: ANN202
    global _env
    if _env is None:
        from scanner.render.html import environment

        _env = environment()
        _env.filters["when"] = _when
    return _env


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get("lang")
    return "en" if wanted == "en" else "de"


def _page(request: Request, template: str, status: int = 200, csp: str = CSP,
          **context: object) -> HTMLResponse:
    lang = _lang(request)
    html = _templates().get_template(f"fleet/{template}").render(
        lang=lang, t=WORDS[lang], path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status, headers={**HEADERS,
                                                               "Content-Security-Policy": csp})
    if request.query_params.get("lang") in ("de", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, secure=True, httponly=True,
                            samesite="lax")
    return response


def _csv(name: str, rows: list[dict], columns: list[str]) -> Response:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(columns)
    for r in rows:
        out.writerow([csv_cell(_when(r[c]) if isinstance(r[c], datetime) else r[c])
                      for c in columns])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'})


Handler = Callable[[Request, auth.Session], Awaitable[Response]]


def _signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        fleet = request.app.state.fleet
        session = await fleet.run(auth.session, request.cookies.get(auth.COOKIE))
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        request.state.session = session
        return await handler(request, session)
    return page


def _nav(session: auth.Session) -> dict:
    return {"user": session.user.name, "csrf": session.csrf}


async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = _page(request, "login.html.j2", csrf=token, user=None, error=None,
                     next=request.query_params.get("next", "/"))
    response.set_cookie(PRE_COOKIE, token, max_age=3600, secure=True, httponly=True,
                        samesite="strict")
    return response


async def login(request: Request) -> Response:
    fleet = request.app.state.fleet
    form = await request.form()
    expected = request.cookies.get(PRE_COOKIE, "")
    if not expected or not auth.csrf_ok(expected, form.get("csrf")):
        return _page(request, "error.html.j2", 403, user=None, message=WORDS[_lang(request)]["csrf"])
    name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))[:1000]
    address = request.client.host if request.client else "-"
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    if await fleet.run(auth.too_many_failures, name, address):
        return _page(request, "login.html.j2", 429, csrf=expected, user=None, next=target,
                     error=WORDS[_lang(request)]["too_many"])
    sid = await fleet.run(auth.login, name, password, address)
    if sid is None:
        return _page(request, "login.html.j2", 401, csrf=expected, user=None, next=target,
                     error=WORDS[_lang(request)]["bad_login"])
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(auth.COOKIE, sid, max_age=auth.SESSION_HOURS * 3600, secure=True,
                        httponly=True, samesite="lax")
    response.delete_cookie(PRE_COOKIE, secure=True, httponly=True, samesite="strict")
    return response


@_signed_in
async def logout(request: Request, session: auth.Session) -> Response:
    form = await request.form()
    if not auth.csrf_ok(session.csrf, form.get("csrf")):
        return _page(request, "error.html.j2", 403, message=WORDS[_lang(request)]["csrf"],
                     **_nav(session))
    await request.app.state.fleet.run(auth.logout, request.cookies[auth.COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, secure=True, httponly=True, samesite="lax")
    return response


OVERVIEW_COLUMNS = ["slug", "name", "last_complete_scan", "rating", "critical", "high", "medium",
                    "low", "new_this_week", "devices", "last_push_at", "silent"]


async def _table(request: Request, session: auth.Session, query: Callable[..., Any],
                 args: tuple[Any, ...], as_csv: bool, csv_name: str, columns: list[str],
                 template: str, **page: Any) -> Response:
    """One fleet-wide table: the query's rows as a page, or as a CSV download."""
    rows = await request.app.state.fleet.run(query, session.user, *args)
    if as_csv:
        return _csv(csv_name, rows, columns)
    return _page(request, template, rows=rows, **page, **_nav(session))


@_signed_in
async def overview(request: Request, session: auth.Session) -> Response:
    return await _table(request, session, queries.overview, (),
                        request.url.path.endswith(".csv"), "fleet-overview", OVERVIEW_COLUMNS,
                        "overview.html.j2")


def _not_found(request: Request, session: auth.Session) -> Response:
    return _page(request, "error.html.j2", 404, message=WORDS[_lang(request)]["not_found"],
                 **_nav(session))


PRACTICE_TABLES = {
    "scans": (queries.scans, ["id", "started_at", "complete", "devices", "findings", "rating",
                              "received_at"]),
    "findings": (queries.open_findings, ["severity", "rule", "title_de", "title_en", "host",
                                         "port", "first_seen", "last_seen"]),
    "devices": (queries.devices, ["name", "ip", "role", "first_seen", "last_seen"]),
}


def _practice_data(conn, user: auth.User, slug: str, tables: list[str]) -> dict | None:  # noqa: ANN001
    p = queries.practice(conn, user, slug)
    if p is None:
        return None
    return {"practice": p, **{t: PRACTICE_TABLES[t][0](conn, p["id"]) for t in tables}}


@_signed_in
async def practice_page(request: Request, session: auth.Session) -> Response:
    data = await request.app.state.fleet.run(_practice_data, session.user,
                                             request.path_params["slug"], list(PRACTICE_TABLES))
    if data is None:
        return _not_found(request, session)
    latest = next((s for s in data["scans"] if s["complete"]), None) or \
        (data["scans"][0] if data["scans"] else None)
    return _page(request, "practice.html.j2", latest=latest, **data, **_nav(session))


@_signed_in
async def practice_csv(request: Request, session: auth.Session) -> Response:
    table = request.path_params["table"]
    if table not in PRACTICE_TABLES:
        return _not_found(request, session)
    slug = request.path_params["slug"]
    data = await request.app.state.fleet.run(_practice_data, session.user, slug, [table])
    if data is None:
        return _not_found(request, session)
    return _csv(f"{slug}-{table}", data[table], PRACTICE_TABLES[table][1])


def _reports(conn, user: auth.User, slug: str, ids: list[str]) -> list[dict] | None:  # noqa: ANN001
    p = queries.practice(conn, user, slug)
    if p is None:
        return None
    found = [queries.scan_report(conn, p["id"], i) for i in ids]
    return None if any(r is None for r in found) else [r for r in found if r is not None]


@_signed_in
async def report(request: Request, session: auth.Session) -> Response:
    from scanner.jsonio import scan_from_dict
    from scanner.render.html import render_html

    docs = await request.app.state.fleet.run(_reports, session.user, request.path_params["slug"],
                                             [request.path_params["scan_id"]])
    if docs is None:
        return _not_found(request, session)
    html = render_html(scan_from_dict(docs[0], "stored scan"), _lang(request))
    return HTMLResponse(html, headers={**HEADERS, "Content-Security-Policy": REPORT_CSP,
                                       "X-Frame-Options": "SAMEORIGIN"})


@_signed_in
async def diff_page(request: Request, session: auth.Session) -> Response:
    from markupsafe import Markup

    from scanner.monitor.diff import diff
    from scanner.jsonio import scan_from_dict
    from scanner.render.diff_text import render_diff_html, scan_label

    slug = request.path_params["slug"]
    old_id, new_id = request.query_params.get("old", ""), request.query_params.get("new", "")
    docs = await request.app.state.fleet.run(_reports, session.user, slug, [old_id, new_id])
    if docs is None:
        return _not_found(request, session)
    old, new = (scan_from_dict(d, "stored scan") for d in docs)
    if old.started_at > new.started_at:
        old, new = new, old
    html = render_diff_html(diff(old, new), _lang(request), scan_label(old), scan_label(new))
    body = html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]  # ours, escaped by its renderer
    return _page(request, "diff.html.j2", slug=slug, diff_html=Markup(body), **_nav(session))


RULE_COLUMNS = ["rule", "severity", "title_de", "title_en", "practices", "findings"]
FLEET_FINDING_COLUMNS = ["slug", "name", "severity", "host", "port", "title_de", "title_en",
                         "first_seen", "last_seen"]


@_signed_in
async def rules_page(request: Request, session: auth.Session) -> Response:
    return await _table(request, session, queries.rules, (),
                        request.url.path.endswith(".csv"), "fleet-findings", RULE_COLUMNS,
                        "rules.html.j2")


@_signed_in
async def finding_page(request: Request, session: auth.Session) -> Response:
    rule = request.path_params["rule"]
    return await _table(request, session, queries.finding_across_fleet, (rule,),
                        request.query_params.get("format") == "csv", f"fleet-{rule}",
                        FLEET_FINDING_COLUMNS, "finding.html.j2", rule=rule)


async def stylesheet(request: Request) -> Response:
    css = (data_dir("reports") / "fleet" / "fleet.css").read_text()
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600",
                                                         "X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", overview),
        Route("/overview.csv", overview),
        Route("/practice/{slug}", practice_page),
        Route("/practice/{slug}/{table}.csv", practice_csv),
        Route("/practice/{slug}/report/{scan_id}", report),
        Route("/practice/{slug}/diff", diff_page),
        Route("/findings", rules_page),
        Route("/findings.csv", rules_page),
        Route("/findings/{rule}", finding_page),
        Route("/static/fleet.css", stylesheet),
    ]
