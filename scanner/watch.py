"""One run of the scheduled scan after the scan itself: store it, compare it with the previous
run, and speak up only when new findings or new devices appeared."""

from __future__ import annotations

import json
from dataclasses import dataclass

from scanner.diff import Diff, diff
from scanner.history import History
from scanner.model import Scan
from scanner.notify import Message
from scanner.render.diff_text import diff_sections, render_diff_html, render_diff_json, render_diff_text


@dataclass(frozen=True)
class WatchResult:
    scan_id: int
    previous: Scan | None
    diff: Diff | None

    @property
    def news(self) -> bool:
        """New findings or new devices: what is worth a message."""
        return bool(self.diff and (self.diff.new_findings or self.diff.new_devices))


def record(scan: Scan, history: History) -> WatchResult:
    """Store the scan; compare it with the last complete scan of the same networks (a partial
    or a differently scoped scan would report devices as gone that were only not looked at)."""
    previous = None
    for entry in history.entries(100):
        candidate = history.get(entry.id)
        if candidate.complete and candidate.scope.networks == scan.scope.networks:
            previous = candidate
            break
    scan_id = history.add(scan)
    return WatchResult(scan_id, previous, diff(previous, scan) if previous else None)


def message(result: WatchResult, scan: Scan, practice: str, lang: str = "de") -> Message:
    d = result.diff
    assert d is not None
    en = lang == "en"
    parts = []
    n, m = len(d.new_findings), len(d.new_devices)
    if n:
        parts.append(f"{n} " + (("new finding" if en else "neuer Befund") if n == 1 else
                                ("new findings" if en else "neue Befunde")))
    if m:
        parts.append(f"{m} " + (("new device" if en else "neues Gerät") if m == 1 else
                                ("new devices" if en else "neue Geräte")))
    subject = f"praxisscan {practice}: " + ", ".join(parts)
    before = result.previous
    label = (lambda s: f"{s.started_at.strftime('%Y-%m-%d %H:%M')} UTC, {len(s.hosts)} hosts")
    intro = ("The weekly network check found changes since the last run.\n"
             if en else "Die wöchentliche Netzwerkprüfung hat Änderungen seit dem letzten Lauf gefunden.\n")
    text = (f"{intro}{'Practice' if en else 'Praxis'}: {practice}\n"
            f"{'Before' if en else 'Vorher'}: {label(before)}\n{'After' if en else 'Nachher'}: {label(scan)}\n\n"
            + render_diff_text(d, lang)
            + ("\nDetails: praxisscan show " if en else "\nEinzelheiten: praxisscan show ")
            + f"{result.scan_id}\n")
    payload = {"practice": practice, "scan_id": result.scan_id,
               "started_at": scan.started_at.isoformat(), "summary": subject,
               "sections": {title: lines for title, lines in diff_sections(d, lang)},
               "diff": json.loads(render_diff_json(d))}
    return Message(subject, text, render_diff_html(d, lang, label(before), label(scan)), payload)
