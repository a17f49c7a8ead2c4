"""One run of the scheduled scan after the scan itself: store it, compare it with the previous
run, and speak up only when new findings or new devices appeared."""

from __future__ import annotations

import json
from dataclasses import dataclass

from scanner.monitor.diff import Diff, diff
from scanner.monitor.history import History
from scanner.model import Scan
from scanner.monitor.notify import Message
from scanner.render.diff_text import (diff_sections, render_diff_html, render_diff_json,
                                      render_diff_text, scan_label)
from scanner.text import clean


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


WORDS = {
    "de": {"finding": ("neuer Befund", "neue Befunde"), "device": ("neues Gerät", "neue Geräte"),
           "intro": "Die wöchentliche Netzwerkprüfung hat Änderungen seit dem letzten Lauf gefunden.",
           "practice": "Praxis", "before": "Vorher", "after": "Nachher",
           "details": "Einzelheiten: praxisscan show"},
    "en": {"finding": ("new finding", "new findings"), "device": ("new device", "new devices"),
           "intro": "The weekly network check found changes since the last run.",
           "practice": "Practice", "before": "Before", "after": "After",
           "details": "Details: praxisscan show"},
}


def message(result: WatchResult, scan: Scan, practice: str, lang: str = "de") -> Message:
    d, before = result.diff, result.previous
    assert d is not None and before is not None
    w = WORDS["en" if lang == "en" else "de"]
    practice = clean(practice, 120)  # from the site file; a subject is one line
    counts = [(len(d.new_findings), w["finding"]), (len(d.new_devices), w["device"])]
    subject = f"praxisscan {practice}: " + ", ".join(
        f"{n} {one if n == 1 else many}" for n, (one, many) in counts if n)
    text = (f"{w['intro']}\n{w['practice']}: {practice}\n"
            f"{w['before']}: {scan_label(before)}\n{w['after']}: {scan_label(scan)}\n\n"
            f"{render_diff_text(d, lang)}\n{w['details']} {result.scan_id}\n")
    payload = {"practice": practice, "scan_id": result.scan_id,
               "started_at": scan.started_at.isoformat(), "summary": subject,
               "sections": {title: lines for title, lines in diff_sections(d, lang)},
               "diff": json.loads(render_diff_json(d))}
    html = render_diff_html(d, lang, scan_label(before), scan_label(scan))
    return Message(subject, text, html, payload)
