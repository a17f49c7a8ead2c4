"""The README's main job: praxisscan demo builds the lab, scans it, writes the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.lab import netns
from scanner.lab.topology import load_practice
from tests.conftest import praxisscan, require_lab_prerequisites

pytestmark = pytest.mark.lab


def test_demo_writes_the_report_and_removes_the_lab(tmp_path: Path) -> None:
    require_lab_prerequisites()
    practice = load_practice()
    r = praxisscan("demo", "--output-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    html = (tmp_path / "report.html").read_text()
    scan = json.loads((tmp_path / "scan.json").read_text())
    assert {h["ip"] for h in scan["hosts"]} == {h.ip for h in practice.hosts}
    for h in practice.hosts:
        assert h.ip in html and h.ip in r.stdout
    assert '<html lang="de">' in html and "Nicht geprüft" in html
    assert f"Report: {tmp_path / 'report.html'}" in r.stdout
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o600
    assert netns.list_lab_namespaces() == []
    # With the lab's site file the report names exactly the planted exposures.
    from scanner.jsonio import loads
    from tests.lab.test_lab_scan import found, planted

    assert found(loads((tmp_path / "scan.json").read_text())) == planted()
    assert "Konnektor: Client-Authentisierung abgeschaltet" in html
    # The guideline view: every requirement that binds the lab practice, each with a status.
    import re

    from scanner.lab.lab import LAB_SITE_FILE
    from scanner.rules.guideline import applicable
    from scanner.site import load_site

    rows = re.findall(r'<tr class="gl-([a-z-]+)"><td>Anlage (\d) Nr\. (\d+): ', html)
    assert {f"A{a}-{n}" for _, a, n in rows} == {
        r.id for r in applicable(load_site(LAB_SITE_FILE).size)}
    status = {f"A{a}-{n}": s for s, a, n in rows}
    assert status["A1-11"] == "open"  # the lab's planted port forwards
    assert status["A1-21"] == "out-of-reach"

    # The report as the practice gets it: opened and printed by a real Chromium, de and en.
    from scanner.rules import evidence
    from tests.browser import open_report, squeeze

    scan_obj = loads((tmp_path / "scan.json").read_text())
    en = tmp_path / "report-en.html"
    r = praxisscan("report", str(tmp_path / "scan.json"), "--format", "html", "--lang", "en",
                   "--output", str(en), "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    for lang, page in (("de", tmp_path / "report.html"), ("en", en)):
        work = tmp_path / f"chromium-{lang}"
        work.mkdir()
        shown = open_report(page, work)
        text = squeeze(shown.text())
        assert squeeze("Zusammenfassung für die Praxisleitung" if lang == "de"
                       else "Summary for the practice owner") in squeeze(shown.pages[0])
        for f in scan_obj.findings:
            assert squeeze(f.fix.get(lang)) in text, f.rule
            for e in f.evidence:
                assert squeeze(evidence.text(e, lang))[:120] in text, (f.rule, e)
        # evidence in the report's language: no phrase of the other language's templates
        other = "en" if lang == "de" else "de"
        words = " ".join(shown.text().split())  # the PDF's lines joined, words kept apart
        wrong = sorted(p for p in evidence.fixed_phrases(other) if evidence.found_in(p, words))
        assert not wrong, (lang, wrong[:5])
        # the site file's names, with the network's beside them (issue 19, item 4)
        assert squeeze("Switch Flur (GS1900-24E)") in text
        for name in ("PVS-Server", "PC Empfang", "EKG (Schiller)", "NAS Datensicherung"):
            assert squeeze(name) in text, name
        for h in practice.hosts:
            assert h.ip in text
        assert "<svg" in shown.dom and "Internet" in shown.dom
        # the FRITZ!Box's third SSID, read over TR-064, is markup: shown as text, never run
        assert "<script" not in shown.dom
        assert "&lt;script&gt;x&lt;/script&gt;[red]x[/]" in shown.dom  # text, in a table cell
        assert squeeze("<script>x</script>") in text  # printed (the cell may wrap the rest)
        assert squeeze("WLANConfiguration4 GetInfo: unreadable answer") in text
