"""The labelled corpus keeps its held-out part honest (issue 14).

A third of every new corpus file (chosen by a hash of the string) is held out: rules are
written from the other lines, and the benchmark only counts the held-out ones. A rule whose
example is a held-out string would make the held-out figure an in-sample one.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from scanner.classification.fingerprints import load_rules

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("benchmark_corpus",
                                               ROOT / "scripts" / "benchmark_corpus.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("benchmark_corpus", bench)  # its dataclass looks itself up
_spec.loader.exec_module(bench)


def _rows() -> list[tuple[Path, str, str, str]]:
    return [(p, v, r, m) for p in sorted(bench.CORPUS.glob("*.tsv")) for v, r, m in bench.load(p)]


def test_the_corpus_holds_a_thousand_labelled_strings_of_every_kind() -> None:
    rows = _rows()
    assert len(rows) >= 1000
    kinds = {p.stem.split(".")[0] for p, *_ in rows}
    assert {"ftp_banner", "telnet_banner", "http_server", "http_title", "snmp_sysdescr",
            "dhcp_vendor_class", "mdns_model"} <= kinds
    # every file names its source on each line and in the README
    readme = (bench.CORPUS / "README.md").read_text(encoding="utf-8")
    for p in {p for p, *_ in rows}:
        assert p.name in readme, p.name


def test_no_rule_example_is_a_held_out_string() -> None:
    held = {bench.unescape(v) for p, v, _, _ in _rows() if bench.part_of(p, v) == "held-out"}
    assert len(held) > 150
    leaks = [(r.source, ex.get("value")) for f in load_rules() for r in f.rules
             for ex in r.examples if ex.get("value") in held]
    assert leaks == []


def test_the_split_is_fixed_by_the_string_alone() -> None:
    p = bench.CORPUS / "snmp_sysdescr.recog.tsv"
    assert bench.part_of(p, "x") == bench.part_of(p, "x")
    assert bench.part_of(bench.CORPUS / "snmp_sysdescr.tsv", "x") == "seen"
    assert bench.part_of(bench.CORPUS / "mdns_model.libirecovery.seen.tsv", "x") == "seen"
    assert bench.unescape("a\\r\\nb\\x00") == "a\r\nb\x00"
