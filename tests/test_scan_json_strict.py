"""Strict reading of scan JSON: every malformed document is one typed error, never a crash.

Each case is valid JSON that a hand, a script or a damaged disk could produce; the loader
must answer ``ScanFileError`` ("malformed scan: <JSON path>: <what>"), never a traceback,
and never accept a value that crashes later (a rule, the report, writing it back).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from scanner.errors import ScanFileError
from scanner.jsonio import MAX_SCAN_BYTES, dumps, loads, scan_to_dict
from tests.conftest import praxisscan
from tests.test_model_json import sample_scan


def _doc() -> dict[str, Any]:
    return scan_to_dict(sample_scan())


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        node = doc
        for step in parents:
            node = node[step]
        node[last] = value
    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        node = doc
        for step in parents:
            node = node[step]
        del node[last]
    return change


def _steps(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


DEEP = 5000
# (what changes, where the error must point)
MUTATIONS = [
    (_set("scope", "x"), "$.scope"),
    (_set("hosts", "x"), "$.hosts"),
    (_set("hosts.0", "x"), "$.hosts[0]"),
    (_set("hosts.0.services.0", "x"), "$.hosts[0].services[0]"),
    (_set("hosts.0.observations.0", 5), "$.hosts[0].observations[0]"),
    (_set("hosts.0.classification", "x"), "$.hosts[0].classification"),
    (_set("hosts.0.classification.reasons.0", []), "$.hosts[0].classification.reasons[0]"),
    (_set("findings.0.title", "x"), "$.findings[0].title"),
    (_set("findings.0.explanation", "x"), "$.findings[0].explanation"),
    (_set("findings.0", None), "$.findings[0]"),
    (_set("not_tested.0", "x"), "$.not_tested[0]"),
    (_set("tool", "x"), "$.tool"),
    (_set("wlans", {"a": 1}), "$.wlans"),
    (_set("wlans", [{"ssid": "x", "bssid": "y", "security": "wpa9", "wps": False}]),
     "$.wlans[0].security"),
    (_set("hosts.0.services.0.port", 70000), "$.hosts[0].services[0].port"),
    (_set("hosts.0.services.0.port", -1), "$.hosts[0].services[0].port"),
    (_set("hosts.0.services.0.port", "445"), "$.hosts[0].services[0].port"),
    (_set("hosts.0.services.0.port", True), "$.hosts[0].services[0].port"),
    (_set("hosts.0.services.0.port", 44.5), "$.hosts[0].services[0].port"),
    (_set("hosts.0.services.0.protocol", "sctp"), "$.hosts[0].services[0].protocol"),
    (_set("hosts.0.ip", 5), "$.hosts[0].ip"),
    (_set("hosts.0.ip", "999.1.1.1"), "$.hosts[0].ip"),
    (_set("hosts.0.ip", "192.168.178.10\n[[acknowledged]]"), "$.hosts[0].ip"),
    (_set("hosts.0.mac", 5), "$.hosts[0].mac"),
    (_set("hosts.0.mac", "00:19:99:0a:10:10\n"), "$.hosts[0].mac"),
    (_set("hosts.0.vendor", ["x"]), "$.hosts[0].vendor"),
    (_set("hosts.0.hostnames", "PVS"), "$.hosts[0].hostnames"),
    (_set("hosts.0.hostnames.0", 7), "$.hosts[0].hostnames[0]"),
    (_set("hosts.0.role", "toaster"), "$.hosts[0].role"),
    (_set("hosts.0.observations.0.source", "telepathy"), "$.hosts[0].observations[0].source"),
    (_set("hosts.0.observations.0.seen_at", "yesterday"), "$.hosts[0].observations[0].seen_at"),
    (_set("hosts.0.observations.0.seen_at", "2026-11-28T09:00:00"),
     "$.hosts[0].observations[0].seen_at"),  # no offset: cannot be compared with the others
    (_set("hosts.0.observations.0.data", {"ip": 5}), "$.hosts[0].observations[0].data.ip"),
    (_set("hosts.0.classification.confidence", 7), "$.hosts[0].classification.confidence"),
    (_set("started_at", "2026-13-45T00:00:00+00:00"), "$.started_at"),
    (_set("started_at", 5), "$.started_at"),
    (_set("complete", "yes"), "$.complete"),
    (_set("scope.networks", ["192.168.178.0/33"]), "$.scope.networks[0]"),
    (_set("scope.networks", ["192.168.178.1/24"]), "$.scope.networks[0]"),
    (_set("scope.targets", "192.168.178.0/24"), "$.scope.targets"),
    (_set("findings.0.severity", "apocalyptic"), "$.findings[0].severity"),
    (_set("findings.0.port", 1e300), "$.findings[0].port"),
    (_set("findings.0.confidence", "high"), "$.findings[0].confidence"),
    (_set("not_tested.0.host", 5), "$.not_tested[0].host"),
    (_set("hosts.0.unexpected", 1), "$.hosts[0]"),
    (_delete("hosts.0.ip"), "$.hosts[0]"),
    (_delete("scope"), "$"),
    (_delete("hosts.0.services.0.protocol"), "$.hosts[0].services[0]"),
]


@pytest.mark.parametrize("change, where", MUTATIONS)
def test_a_malformed_scan_is_one_typed_error_naming_the_json_path(
        change: Callable[[dict[str, Any]], None], where: str) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(ScanFileError) as e:
        loads(json.dumps(doc), "scan.json")
    message = str(e.value)
    assert message.startswith(f"scan.json: malformed scan: {where}"), message
    assert "\n" not in message


@pytest.mark.parametrize("text, what", [
    ('{"schema_version": 1, "complete": NaN}', "NaN"),
    ('{"schema_version": 1, "complete": Infinity}', "Infinity"),
    ('{"schema_version": 1, "complete": -Infinity}', "-Infinity"),
    ('{"schema_version": 1, "complete": 1e400}', "1e400"),
    ('{"schema_version": 1, "tool": {"name": "\\ud800"}}', "surrogate"),
    ('{"schema_version": 1, "complete": ' + "9" * 5000 + "}", "digits"),
    ('{"schema_version": 1, "complete": ' + "[" * DEEP + "]" * DEEP + "}", "nested"),
    ('{"schema_version": 1, "x": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}", "nested"),
])
def test_values_json_allows_but_a_scan_cannot_hold_are_refused(text: str, what: str) -> None:
    with pytest.raises(ScanFileError, match=r"^scan\.json: malformed scan: ") as e:
        loads(text, "scan.json")
    assert what in str(e.value)


def test_nan_in_a_real_document_is_refused() -> None:
    text = dumps(sample_scan()).replace('"confidence": 0.45', '"confidence": NaN', 1)
    assert "NaN" in text
    with pytest.raises(ScanFileError, match="NaN"):
        loads(text, "scan.json")


def test_a_lone_surrogate_in_a_host_name_is_refused_not_written_back() -> None:
    doc = _doc()
    doc["hosts"][0]["hostnames"][0] = "PVS\ud800"
    with pytest.raises(ScanFileError, match=r"\$\.hosts\[0\]\.hostnames\[0\]: .*surrogate"):
        loads(json.dumps(doc), "scan.json")


def test_writing_never_emits_nan() -> None:
    import dataclasses

    scan = sample_scan()
    host = scan.hosts[0]
    bad = dataclasses.replace(host, classification=dataclasses.replace(
        host.classification, confidence=float("nan")))
    with pytest.raises(ValueError):
        dumps(dataclasses.replace(scan, hosts=(bad,)))


def test_an_oversized_document_is_refused_before_parsing() -> None:
    with pytest.raises(ScanFileError, match="larger than"):
        loads(" " * (MAX_SCAN_BYTES + 1), "scan.json")


def test_every_valid_scan_still_loads() -> None:
    scan = sample_scan()
    assert loads(dumps(scan)) == scan
    assert loads("\ufeff" + dumps(scan)) == scan  # saved by a Windows editor
    doc = copy.deepcopy(_doc())
    doc["wlans"] = None
    assert loads(json.dumps(doc)).wlans is None


@pytest.mark.parametrize("text", [
    '{"schema_version": 1, "complete": NaN}',
    json.dumps({**_doc(), "hosts": "x"}),
    '{"schema_version": 1, "x": ' + "[" * DEEP + "]" * DEEP + "}",
])
def test_report_on_a_malformed_scan_exits_2_with_one_line(tmp_path, text: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    r = praxisscan("report", str(bad))
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"praxisscan: error: {bad}: malformed scan: ")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_the_schema_enums_are_the_model_enums() -> None:
    from scanner.model import Protocol, Role, Severity, Source, WlanSecurity
    from scanner.schema.check import schema

    props = schema()["properties"]
    host = props["hosts"]["items"]["properties"]
    assert host["role"]["enum"] == [r.value for r in Role]
    assert host["observations"]["items"]["properties"]["source"]["enum"] == [s.value for s in Source]
    assert host["services"]["items"]["properties"]["protocol"]["enum"] == [p.value for p in Protocol]
    assert props["findings"]["items"]["properties"]["severity"]["enum"] == [s.value for s in Severity]
    wlan = props["wlans"]["oneOf"][1]["items"]["properties"]
    assert wlan["security"]["enum"] == [s.value for s in WlanSecurity]


def test_a_schema_keyword_the_checker_does_not_enforce_is_refused(monkeypatch, tmp_path) -> None:
    from scanner.schema import check

    bad = tmp_path / "scan.schema.json"
    bad.write_text(json.dumps({"type": "object", "properties": {"x": {"uniqueItems": True}}}))
    monkeypatch.setattr(check, "SCHEMA_FILE", bad)
    check.schema.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="uniqueItems"):
            check.schema()
    finally:
        check.schema.cache_clear()


def test_a_value_the_model_refuses_is_a_malformed_scan_too(monkeypatch) -> None:
    # Observation.__post_init__ validates typed keys (ValueError): the loader reports it with
    # the observation's path like any schema error.
    from dataclasses import dataclass

    from scanner import jsonio
    from scanner.model import Observation

    @dataclass(frozen=True)
    class Strict(Observation):
        def __post_init__(self) -> None:
            raise ValueError("port 'abc' is not a number")

    monkeypatch.setattr(jsonio, "Observation", Strict)
    with pytest.raises(ScanFileError) as e:
        loads(dumps(sample_scan()), "scan.json")
    assert str(e.value) == ("scan.json: malformed scan: $.hosts[0].observations[0]: "
                            "ValueError: port 'abc' is not a number")


def test_scan_files_are_read_only_when_regular_and_small(tmp_path) -> None:
    import os

    from scanner.jsonio import load_file

    good = tmp_path / "scan.json"
    good.write_text(dumps(sample_scan()))
    assert load_file(good) == sample_scan()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for path, message in [(fifo, "not a regular file"), (tmp_path, "is a directory"),
                          (loop, "cannot open"), (tmp_path / "nope.json", "no such file"),
                          (Path("/dev/zero"), "not a regular file")]:
        with pytest.raises(ScanFileError, match=message):
            load_file(path)
