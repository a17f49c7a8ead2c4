"""What the console shows: each function one indexed query, limited to what the user may see.

Rows come back as dicts with the column names the templates and the CSV exports use.
"""

from __future__ import annotations

from scanner.fleet.auth import User

SILENT_DAYS = 8
# the practices a user may see: all, or those granted by `fleet user add --practice`
VISIBLE = ("(%(all)s OR EXISTS (SELECT 1 FROM user_practice up WHERE up.user_id = %(uid)s "
           "AND up.practice_id = p.id))")


def _rows(conn, sql: str, params: dict) -> list[dict]:  # noqa: ANN001
    cur = conn.execute(sql, params)
    names = [c.name for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _who(user: User) -> dict:
    return {"all": user.all_practices, "uid": user.id}


def overview(conn, user: User) -> list[dict]:  # noqa: ANN001
    return _rows(conn, f"""
        SELECT p.slug, p.name, ls.started_at AS last_complete_scan, ls.rating,
               coalesce(ls.hosts, 0) AS devices, p.last_push_at,
               coalesce(fc.critical, 0) AS critical, coalesce(fc.high, 0) AS high,
               coalesce(fc.medium, 0) AS medium, coalesce(fc.low, 0) AS low,
               coalesce(fc.new_this_week, 0) AS new_this_week,
               (p.last_push_at IS NULL OR p.last_push_at < now() - make_interval(days => {SILENT_DAYS}))
                 AS silent
        FROM practice p
        LEFT JOIN LATERAL (SELECT started_at, rating, hosts FROM scan s
                           WHERE s.practice_id = p.id AND s.complete
                           ORDER BY started_at DESC LIMIT 1) ls ON true
        LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE severity = 'critical') AS critical,
                                  count(*) FILTER (WHERE severity = 'high') AS high,
                                  count(*) FILTER (WHERE severity = 'medium') AS medium,
                                  count(*) FILTER (WHERE severity = 'low') AS low,
                                  count(*) FILTER (WHERE first_seen > now() - interval '7 days')
                                    AS new_this_week
                           FROM finding f WHERE f.practice_id = p.id AND f.resolved_at IS NULL
                          ) fc ON true
        WHERE {VISIBLE}
        ORDER BY silent DESC, critical DESC, high DESC, p.slug""", _who(user))


def practice(conn, user: User, slug: str) -> dict | None:  # noqa: ANN001
    rows = _rows(conn, f"SELECT p.id, p.slug, p.name, p.last_push_at FROM practice p "
                       f"WHERE p.slug = %(slug)s AND {VISIBLE}", {**_who(user), "slug": slug})
    return rows[0] if rows else None


def scans(conn, practice_id: int, limit: int = 60) -> list[dict]:  # noqa: ANN001
    return _rows(conn, "SELECT id, started_at, complete, hosts AS devices, findings, rating, "
                       "received_at FROM scan WHERE practice_id = %(p)s "
                       "ORDER BY started_at DESC LIMIT %(n)s", {"p": practice_id, "n": limit})


def scan_report(conn, practice_id: int, scan_id: str) -> dict | None:  # noqa: ANN001
    row = conn.execute("SELECT report FROM scan WHERE practice_id = %s AND id = %s",
                       (practice_id, scan_id)).fetchone()
    return row[0] if row else None


def open_findings(conn, practice_id: int) -> list[dict]:  # noqa: ANN001
    return _rows(conn, "SELECT severity, rule, title_de, title_en, host, port, first_seen, "
                       "last_seen FROM finding WHERE practice_id = %(p)s AND resolved_at IS NULL "
                       "ORDER BY severity_rank DESC, rule, host", {"p": practice_id})


def devices(conn, practice_id: int) -> list[dict]:  # noqa: ANN001
    return _rows(conn, "SELECT name, ip, role, first_seen, last_seen FROM device "
                       "WHERE practice_id = %(p)s ORDER BY last_seen DESC, ip LIMIT 2000",
                 {"p": practice_id})


def rules(conn, user: User) -> list[dict]:  # noqa: ANN001
    return _rows(conn, f"""
        SELECT f.rule, max(f.severity_rank) AS rank, (array_agg(f.severity ORDER BY f.severity_rank DESC))[1] AS severity,
               min(f.title_de) AS title_de, min(f.title_en) AS title_en,
               count(DISTINCT f.practice_id) AS practices, count(*) AS findings
        FROM finding f JOIN practice p ON p.id = f.practice_id
        WHERE f.resolved_at IS NULL AND {VISIBLE}
        GROUP BY f.rule ORDER BY rank DESC, practices DESC, f.rule""", _who(user))


def finding_across_fleet(conn, user: User, rule: str) -> list[dict]:  # noqa: ANN001
    return _rows(conn, f"""
        SELECT p.slug, p.name, f.severity, f.host, f.port, f.title_de, f.title_en,
               f.first_seen, f.last_seen
        FROM finding f JOIN practice p ON p.id = f.practice_id
        WHERE f.rule = %(rule)s AND f.resolved_at IS NULL AND {VISIBLE}
        ORDER BY f.severity_rank DESC, p.slug, f.host""", {**_who(user), "rule": rule})
