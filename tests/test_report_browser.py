"""The HTML report in a real headless Chromium: it renders, it prints to A4 PDF, the owner's
summary is page 1, every finding carries evidence and fix, hostile names stay inert."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scanner.model import Finding, Localized, NotTested, Severity, WlanNetwork, WlanSecurity
from scanner.render.html import render_html
from tests.browser import open_report, png_size, squeeze
from tests.test_model_json import HOSTILE, sample_scan

IMG = '<img src=x onerror="document.title=\'pwned\'">'


def hostile_scan():  # noqa: ANN201
    base = sample_scan()
    pvs = base.hosts[0].key
    findings = base.findings + (
        Finding("inbound-service", Severity.CRITICAL, pvs, 3389,
                Localized("Dienst aus dem Internet erreichbar", "Service reachable from the Internet"),
                (f"11.22.33.2:3389 -> {IMG}", "RDP certificate CN=" + HOSTILE),
                Localized("Erklärung RDP", "RDP explanation"),
                Localized("Portfreigabe 3389 löschen", "Delete the port share 3389"), ("BSI NET.1.1",)),
        Finding("open-wlan", Severity.HIGH, "wlan:3c:a6:2f:10:00:0e",
                None, Localized("Offenes WLAN", "Open WLAN"), (f"'{HOSTILE}' has no encryption",),
                Localized("Erklärung WLAN", "WLAN explanation"),
                Localized("WLAN verschlüsseln", "Encrypt the WLAN"), ("BSI NET.2.1",)),
    )
    wlan = WlanNetwork(ssid="<b>Gast:</b>[red]\\x1b[31m" + HOSTILE, bssid="3c:a6:2f:10:00:0e",
                       security=WlanSecurity.OPEN, modes=(WlanSecurity.OPEN,), source="iw")
    return dataclasses.replace(base, findings=findings, wlans=(wlan,),
                               not_tested=base.not_tested + (NotTested("wps-enabled", IMG),))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_hostile_report_renders_inert_and_prints(tmp_path: Path, lang: str) -> None:
    scan = hostile_scan()
    page = tmp_path / "report.html"
    page.write_text(render_html(scan, lang))
    shown = open_report(page, tmp_path)

    # The DOM Chromium built has no element that came from the network.
    assert "<script" not in shown.dom.lower() and "<img" not in shown.dom.lower()
    assert "<b>Gast" not in shown.dom
    assert "pwned" not in shown.dom.split("<title>")[1].split("</title>")[0]
    # ... but the text itself is shown, literally, without terminal escapes.
    text = shown.text()
    assert squeeze("<script>alert(1)</script>[bold red]x[/]") in squeeze(text)
    assert "\x1b" not in text and "[31m" not in text.replace("\\x1b[31m", "")
    assert "…" in text  # the 5,000-character names are cut, not printed whole
    assert len(shown.pages) < 12

    # Page 1 is the owner's summary with its rating and the actions, worst first.
    first = shown.pages[0]
    assert ("Zusammenfassung für die Praxisleitung" if lang == "de"
            else "Summary for the practice owner") in first
    assert ("Dringender Handlungsbedarf" if lang == "de" else "Urgent action needed") in first
    actions = ("Portfreigabe 3389 löschen", "WLAN verschlüsseln", "Abhilfe") if lang == "de" else (
        "Delete the port share 3389", "Encrypt the WLAN", "fix")
    positions = [squeeze(first).index(squeeze(a)) for a in actions]
    assert positions == sorted(positions)
    assert ("Geräte (3)" if lang == "de" else "Devices (3)") not in first

    # Every finding shows its evidence and its fix.
    for f in scan.findings:
        assert squeeze(f.fix.get(lang)) in squeeze(text)
        for e in f.evidence:
            assert squeeze(e[:60].replace("\x1b[31m", "").replace("\x1b[0m", ""))[:30] in squeeze(text)
    width, height = png_size(shown.screenshot)
    assert (width, height) == (1240, 1754)
    assert shown.screenshot.stat().st_size > 20_000  # a page with content, not a blank one


def test_diff_html_names_the_changes_and_renders(tmp_path: Path) -> None:
    from scanner.jsonio import dumps
    from scanner.model import Host, Role
    from scanner.rules.engine import fingerprint
    from tests.conftest import praxisscan

    before = sample_scan()
    phone = Host(ip="192.168.178.150", mac="3a:11:22:33:44:55", mac_randomized=True,
                 hostnames=(HOSTILE,), role=Role.SMARTPHONE)
    new_finding = Finding("private-mobile-device", Severity.MEDIUM, phone.key, None,
                          Localized("Privates Smartphone im Praxisnetz", "Private smartphone"),
                          (f"random MAC, name {IMG}",), fix=Localized("Ins Gäste-WLAN", "Guest WLAN"),
                          fingerprint=fingerprint("private-mobile-device", phone.key, None))
    after = dataclasses.replace(before, hosts=before.hosts + (phone,),
                                findings=before.findings + (new_finding,))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(dumps(before))
    b.write_text(dumps(after))
    out = tmp_path / "diff.html"
    r = praxisscan("diff", str(a), str(b), "--format", "html", "--output", str(out))
    assert r.returncode == 1, r.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    shown = open_report(out, tmp_path)
    assert "<img" not in shown.dom.lower() and "<script" not in shown.dom.lower()
    text = squeeze(shown.text())
    assert squeeze("Neue Befunde: was zu tun ist") in text and squeeze("Ins Gäste-WLAN") in text
    assert squeeze("Neue Geräte (1)") in text and "192.168.178.150" in text
    assert squeeze("Verschwundene Geräte") not in text  # nothing went: no empty sections
