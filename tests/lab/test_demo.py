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
