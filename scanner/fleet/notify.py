"""Notifications from the fleet server, through the practice box's notifier (scanner.monitor.notify):
one message per new or reopened critical/high finding (alert_outbox rows written by ingest,
sent once, retried on the next flush while they fail), and the weekly digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from scanner.monitor.notify import Message, SmtpTarget, deliver
from scanner.text import clean

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class NotifySettings:
    smtp: SmtpTarget | None = None
    webhooks: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.smtp or self.webhooks)


def _alert_message(slug: str, name: str, p: dict) -> Message:
    where = clean(p.get("host") or "-", 120) + (f":{p['port']}" if p.get("port") else "")
    subject = (f"praxisscan fleet {clean(name, 80)}: neuer Befund ({p['severity']}): "
               f"{clean(p['title_de'], 120)}")
    text = (f"Praxis / practice: {clean(name, 120)} ({slug})\n"
            f"Schweregrad / severity: {p['severity']}\nRegel / rule: {p['rule']}\n"
            f"Gerät / device: {where}\nBefund: {clean(p['title_de'], 300)}\n"
            f"Finding: {clean(p['title_en'], 300)}\nScan: {p['started_at']}\n")
    html = f"<pre>{escape(text)}</pre>"
    return Message(subject, text, html, {"kind": "new-finding", "practice": slug, **p})


def flush_alerts(conn, settings: NotifySettings) -> list[str]:  # noqa: ANN001
    """Send every unsent alert; returns one line per failed delivery. Rows are locked while
    being sent so that two server workers never send the same alert."""
    if not settings:
        return []
    failures: list[str] = []
    rows = conn.execute(
        "SELECT o.id, o.payload, p.slug, p.name FROM alert_outbox o "
        "JOIN practice p ON p.id = (o.payload->>'practice_id')::bigint "
        "WHERE o.sent_at IS NULL AND o.attempts < %s ORDER BY o.id "
        "FOR UPDATE OF o SKIP LOCKED LIMIT 100", (MAX_ATTEMPTS,)).fetchall()
    for alert_id, payload, slug, name in rows:
        failed = deliver(_alert_message(slug, name, payload), settings.smtp,
                         list(settings.webhooks))
        if failed:
            failures += failed
            conn.execute("UPDATE alert_outbox SET attempts = attempts + 1, last_error = %s "
                         "WHERE id = %s", ("; ".join(failed)[:1000], alert_id))
        else:
            conn.execute("UPDATE alert_outbox SET sent_at = now(), attempts = attempts + 1 "
                         "WHERE id = %s", (alert_id,))
    return failures


def digest_message(conn, days: int = 7) -> Message:  # noqa: ANN001
    """The weekly summary for the provider: practices with urgent findings, silent boxes,
    what is new."""
    from scanner.fleet.queries import SILENT_DAYS

    total = conn.execute("SELECT count(*) FROM practice").fetchone()[0]
    urgent = conn.execute(
        "SELECT p.slug, p.name, count(*) FILTER (WHERE f.severity = 'critical'), "
        "count(*) FILTER (WHERE f.severity = 'high') FROM finding f "
        "JOIN practice p ON p.id = f.practice_id WHERE f.resolved_at IS NULL "
        "AND f.severity IN ('critical', 'high') GROUP BY p.slug, p.name "
        "ORDER BY 3 DESC, 4 DESC, p.slug").fetchall()
    silent = conn.execute(
        "SELECT slug, name, last_push_at FROM practice WHERE last_push_at IS NULL "
        "OR last_push_at < now() - make_interval(days => %s) ORDER BY slug",
        (SILENT_DAYS,)).fetchall()
    new = conn.execute(
        "SELECT count(*), count(DISTINCT practice_id) FROM finding WHERE resolved_at IS NULL "
        "AND first_seen > now() - make_interval(days => %s)", (days,)).fetchone()
    lines = [f"Praxen / practices: {total}",
             f"Neue offene Befunde ({days} Tage) / new open findings ({days} days): "
             f"{new[0]} in {new[1]}",
             "", "Kritisch/hoch offen / critical/high open:"]
    lines += [f"  {slug} ({clean(name, 80)}): {c} kritisch/critical, {h} hoch/high"
              for slug, name, c, h in urgent] or ["  -"]
    lines += ["", f"Still seit über {SILENT_DAYS} Tagen / silent for more than {SILENT_DAYS} days:"]
    lines += [f"  {slug} ({clean(name, 80)}): {when.date().isoformat() if when else 'nie/never'}"
              for slug, name, when in silent] or ["  -"]
    text = "\n".join(lines) + "\n"
    subject = (f"praxisscan fleet: Wochenbericht / weekly digest: {len(urgent)} Praxen mit "
               f"kritischen/hohen Befunden, {len(silent)} still")
    payload = {"kind": "weekly-digest", "practices": total, "new_findings": new[0],
               "urgent": [{"practice": s, "critical": c, "high": h} for s, _, c, h in urgent],
               "silent": [s for s, _, _ in silent]}
    return Message(subject, text, f"<pre>{escape(text)}</pre>", payload)


def send_digest(conn, settings: NotifySettings, days: int = 7) -> tuple[Message, list[str]]:  # noqa: ANN001
    message = digest_message(conn, days)
    return message, deliver(message, settings.smtp, list(settings.webhooks))
