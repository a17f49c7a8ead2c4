"""The guideline view: the catalog cites the Richtlinie nach § 390 SGB V (Fassung 2025) by
requirement id, every cited id exists, and the report's view says per applicable requirement
what the scan found, what it could not test, and what a scan cannot judge."""

from __future__ import annotations

import dataclasses
import re

import pytest

from scanner.model import NotTested
from scanner.render.html import render_html
from scanner.rules import guideline
from scanner.rules.base import catalog, guideline_rules
from scanner.rules.guideline import Status
from scanner.site import load_site
from tests.test_model_json import sample_scan


def test_every_cited_requirement_exists_and_every_judgeable_one_is_cited() -> None:
    known = guideline.requirements()
    cited = guideline_rules()
    assert set(cited) <= set(known)
    judgeable = {r.id for r in known.values() if r.scannable}
    assert judgeable == set(cited), "a requirement no rule cites must say scannable = false"


def test_references_read_as_the_2025_guideline_and_carry_no_old_qualifiers() -> None:
    for entry in catalog().values():
        for ref in entry.references:
            assert "nicht geprüft" not in ref and "KZBV-Nummerierung" not in ref, (entry.id, ref)
            if "§ 390" in ref:
                assert re.fullmatch(r"Richtlinie nach § 390 SGB V, Fassung 2025, Anlage [1-5] "
                                    r"Nr\. \d+ \(.+\)", ref), ref


@pytest.mark.parametrize("rule, must, must_not", [
    # the corrections of the sourced mapping (docs/guideline-mapping.md)
    ("guest-wlan-not-separated", {"A1-11"}, {"A1-32"}),  # 32 is the smartphone lock code
    ("konnektor-client-auth-disabled", {"A5-7"}, set()),
    ("konnektor-tls-disabled", {"A5-7"}, set()),
    ("cleartext-ftp", {"A2-2", "A3-3"}, set()),
    ("cleartext-telnet", {"A2-2", "A3-3"}, set()),
    ("consumer-iot-in-practice-network", {"A2-6"}, set()),
    ("medical-device-not-segmented", {"A1-17"}, set()),
    ("open-wlan", set(), {"A1-11"}),  # no WLAN requirement exists: BSI only
])
def test_corrected_references(rule: str, must: set[str], must_not: set[str]) -> None:
    cited = set(catalog()[rule].guideline)
    assert must <= cited and not (must_not & cited)


@pytest.mark.parametrize("size, anlagen", [
    (None, {1, 5}), ("praxis", {1, 5}), ("mittlere-praxis", {1, 2, 5}),
    ("grosspraxis", {1, 2, 3, 5}),
])
def test_the_practice_size_decides_the_anlagen(size: str | None, anlagen: set[int]) -> None:
    assert {r.anlage for r in guideline.applicable(size)} == anlagen
    assert 4 in {r.anlage for r in guideline.applicable(size, large_devices=True)}


def test_status_open_not_tested_nothing_found_out_of_reach() -> None:
    scan = sample_scan()  # one open smbv1 finding
    scan = dataclasses.replace(scan, not_tested=scan.not_tested + (
        NotTested("unknown-device", "no site file"),))
    view = {s.requirement.id: s for s in guideline.view(scan, guideline_rules(), "praxis")}
    assert view["A1-17"].status is Status.OPEN
    assert [f.rule for f in view["A1-17"].findings] == ["smbv1"]
    assert view["A1-12"].status is Status.NOT_TESTED  # its allowlist rule did not run
    assert view["A1-13"].status is Status.NOTHING_FOUND
    assert view["A1-21"].status is Status.OUT_OF_REACH  # backups: no scan can judge them
    acknowledged = dataclasses.replace(scan, findings=tuple(
        dataclasses.replace(f, acknowledged="accepted until Q2") for f in scan.findings))
    again = {s.requirement.id: s for s in guideline.view(acknowledged, guideline_rules(), "praxis")}
    assert again["A1-17"].status is Status.NOTHING_FOUND


def test_the_html_report_lists_every_applicable_requirement_with_a_status(tmp_path) -> None:
    site_file = tmp_path / "praxis.toml"
    site_file.write_text('[practice]\nname = "P"\nsize = "mittlere-praxis"\n')
    for lang in ("de", "en"):
        html = render_html(sample_scan(), lang, load_site(site_file))
        rows = re.findall(r'<tr class="gl-([a-z-]+)"><td>Anlage (\d) Nr\. (\d+): ', html)
        assert {f"A{a}-{n}" for _, a, n in rows} == {
            r.id for r in guideline.applicable("mittlere-praxis")}
        assert {s for s, _, _ in rows} <= {s.value for s in Status}
        assert "Anlage 2 Nr. 2" in html


def test_the_mapping_document_shows_what_the_catalog_cites() -> None:
    from tests.conftest import REPO

    text = (REPO / "docs" / "guideline-mapping.md").read_text()
    shown = dict(re.findall(r"^\| ([a-z0-9-]+) \| (.+) \|$", text, re.M))
    for rule, entry in catalog().items():
        assert shown[rule] == (", ".join(entry.guideline) or "none (BSI IT-Grundschutz only)"), rule
