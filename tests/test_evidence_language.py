"""Evidence in the report's language (issue 19, item 5): every rule's evidence is a template
with values; the German report shows no English evidence phrase, the English report no
German one; the scan file keeps the structure; old scans with plain-text evidence still load
and show their text."""

from __future__ import annotations

import dataclasses
import html as htmllib
import json
import re

import pytest

from scanner.jsonio import dumps, loads
from scanner.model import Evidence, Finding, Localized, Scan, Severity
from scanner.render.html import render_html
from scanner.render.terminal import render_terminal
from scanner.rules import evidence
from scanner.rules.base import catalog
from scanner.rules.engine import evaluate
from tests.test_rules import CASES, T0, load_case


def _fired() -> Scan:
    """One scan holding every finding of every fixture that fires: all rules, one report."""
    hosts, findings = [], []
    for case in CASES:
        if case.parent.name != "fires":
            continue
        scan, site, today, _ = load_case(case)
        found, _ = evaluate(scan, site, today)
        hosts += scan.hosts
        findings += found
    base = load_case(CASES[0])[0]
    return dataclasses.replace(base, hosts=tuple(hosts), findings=tuple(findings))


def _page_text(page: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def fired() -> Scan:
    return _fired()


def test_the_fixtures_fire_every_rule_with_structured_evidence(fired: Scan) -> None:
    assert {f.rule for f in fired.findings} == set(catalog())
    for f in fired.findings:
        assert f.evidence, f.rule
        assert all(isinstance(e, Evidence) and e.key in evidence.TEMPLATES for e in f.evidence), f


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_report_shows_no_evidence_phrase_of_the_other_language(fired: Scan, lang: str) -> None:
    other = "en" if lang == "de" else "de"
    phrases = evidence.fixed_phrases(other)
    assert len(phrases) > 60  # the check has teeth: the table's own words, not a handful
    for text in (_page_text(render_html(fired, lang)), render_terminal(fired, lang, width=400)):
        seen = sorted(p for p in phrases if evidence.found_in(p, text))
        assert not seen, f"{other} evidence in the {lang} report: {seen[:5]}"
    # ... and the report's own language is there
    page = _page_text(render_html(fired, lang))
    assert "tcp/23 " + ("offen: Telnet" if lang == "de" else "open: Telnet") in page


def test_before_templates_the_german_report_showed_english_evidence(fired: Scan) -> None:
    """The check above catches what issue 19 saw: the same findings with their evidence
    rendered in English (as scans wrote it until now) fail it."""
    english = dataclasses.replace(fired, findings=tuple(
        dataclasses.replace(f, evidence=tuple(evidence.text(e, "en") for e in f.evidence))
        for f in fired.findings))
    text = _page_text(render_html(english, "de"))
    seen = {p for p in evidence.fixed_phrases("en") if evidence.found_in(p, text)}
    assert {"open:", "reachable from the Internet:", "shares a network with"} <= seen
    assert len(seen) > 30


def test_every_template_has_the_same_values_in_both_languages() -> None:
    fields = re.compile(r"\{(\w+)(?::(\w+))?\}")
    for key, t in evidence.TEMPLATES.items():
        de = sorted(m.groups() for m in fields.finditer(t.de))
        en = sorted(m.groups() for m in fields.finditer(t.en))
        assert de == en, key
        assert t.de.count("[") == t.en.count("[") == t.de.count("]") == t.en.count("]"), key
        assert t.de != t.en or not re.search(r"[a-z]{4,}", re.sub(r"\{[^}]*\}", "", t.en)) \
            or key in {"sds-client-auth", "upnp-mapping", "host"}, key


def test_the_scan_file_keeps_key_and_values_and_reads_them_back(fired: Scan) -> None:
    doc = json.loads(dumps(fired))
    first = doc["findings"][0]["evidence"][0]
    assert set(first) == {"key", "values"} and first["key"] in evidence.TEMPLATES
    assert loads(dumps(fired)).findings == fired.findings


def test_old_scans_with_plain_text_evidence_load_and_show_it_as_written(fired: Scan) -> None:
    doc = json.loads(dumps(fired))
    doc["findings"] = [dict(doc["findings"][0], evidence=["tcp/21 open: vsFTPd 3.0.3",
                                                          "reachable from the Internet: x"])]
    old = loads(json.dumps(doc))
    assert old.findings[0].evidence == ("tcp/21 open: vsFTPd 3.0.3", "reachable from the Internet: x")
    assert "tcp/21 open: vsFTPd 3.0.3" in _page_text(render_html(old, "de"))
    assert "tcp/21 open: vsFTPd 3.0.3" in render_terminal(old, "de", width=300)


@pytest.mark.parametrize("bad", [{"key": "port-open"}, {"key": 5, "values": {}},
                                 {"key": "port-open", "values": {"port": 21}},
                                 {"key": "port-open", "values": {}, "extra": 1}, 7, None])
def test_malformed_evidence_in_a_scan_file_is_refused_with_its_path(fired: Scan, bad) -> None:
    from scanner.errors import ScanFileError

    doc = json.loads(dumps(fired))
    doc["findings"][0]["evidence"] = [bad]
    with pytest.raises(ScanFileError, match=r"\$\.findings\[0\]\.evidence\[0\]"):
        loads(json.dumps(doc))


def test_values_are_text_never_template_or_markup() -> None:
    """A device names itself '{port} <script>[x]': shown literally, escaped in HTML."""
    hostile = "{port}{name:role} <script>alert(1)</script> [x] \x1b[31m"
    e = evidence.make("sicct-no-tls", name=hostile)
    assert evidence.text(e, "en") == f"SICCT discovery reply of '{hostile}' offers no secure " \
                                      "channel (no A3/TLS element)"
    # an unknown key (a newer praxisscan, a hand-edited file) is still shown, not dropped
    assert evidence.text(Evidence("from-the-future", (("a", "b"),)), "de") == "from-the-future: a=b"
    # a value missing from a hand-edited file shows '?', an optional part is left out
    assert evidence.text(Evidence("port-open", (("what", "FTP"),)), "de") == "tcp/? offen: FTP"
    f = Finding("smbv1", Severity.HIGH, None, None, Localized("t", "t"), (e,))
    scan = dataclasses.replace(_fired(), findings=(f,))
    page = render_html(scan, "de")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page and "{port}{name:role}" in page


def test_roles_in_evidence_are_named_in_the_reports_language() -> None:
    e = evidence.make("role-mismatch", listed="printer", looks="workstation", file="praxis.toml",
                      confidence="85")
    assert evidence.text(e, "de") == ("in praxis.toml als Drucker eingetragen, sieht aus wie "
                                      "Arbeitsplatz-PC (85 %)")
    assert evidence.text(e, "en") == "listed as printer in praxis.toml, looks like workstation (85 %)"
    assert T0  # the fixtures' clock, shared with test_rules
