"""IANA enterprise numbers name the maker behind a sysObjectID (issue 14, item 2)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner.classification import enterprises
from scanner.classification.classify import classify
from scanner.model import Host, Observation, Source

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Lines as Debian's libwireshark-data ships them (/usr/share/wireshark/enterprises.tsv)
SAMPLE = ("# comment\n9\tciscoSystems\n890\tZyXEL Communications Corp.\n1248\tSEIKO EPSON CORPORATION\n"
          "8072\tnet-snmp\n10002\tFrogfoot Networks\nnot-a-number\tjunk\n6527\tNokia\t# formerly 'Alcatel-Lucent'\n")


def _snmp_host(oid: str) -> Host:
    return Host(ip="192.0.2.7", observations=(
        Observation(Source.PROBE, "snmp", (("sys_object_id", oid),), T0),))


def test_registry_lines_are_parsed_and_oids_resolved(tmp_path: Path) -> None:
    f = tmp_path / "enterprises.tsv"
    f.write_text(SAMPLE)
    reg = enterprises.load([f])
    assert isinstance(reg, enterprises.Registry)
    assert reg.maker("1.3.6.1.4.1.890.1.15") == (890, "ZyXEL Communications Corp.", "Zyxel")
    assert reg.maker(".1.3.6.1.4.1.1248.1.1.2.1") == (1248, "SEIKO EPSON CORPORATION", "Epson")
    assert reg.maker("1.3.6.1.4.1.6527.1") == (6527, "Nokia", "Nokia")
    # an agent's or an OEM's number names no device maker
    assert reg.maker("1.3.6.1.4.1.8072.3.2.10")[2] is None
    assert reg.maker("1.3.6.1.4.1.10002.1")[2] is None
    assert reg.maker("1.3.6.1.2.1.1") is None and reg.maker("1.3.6.1.4.1.999999") is None


def test_a_missing_registry_is_not_tested_never_a_crash(tmp_path: Path) -> None:
    got = enterprises.load([tmp_path / "absent.tsv"])
    assert isinstance(got, enterprises.Unavailable)
    note = got.not_tested()
    assert note.check == "enterprise-numbers" and "libwireshark-data" in note.reason


@pytest.mark.skipif(not enterprises.PATHS[0].exists(), reason="libwireshark-data not installed")
def test_the_installed_registry_names_the_maker_of_a_real_sysobjectid() -> None:
    # sysObjectID of an Epson WF-C5790 (LibreNMS tests/snmpsim/epson.snmprec)
    host = classify(_snmp_host("1.3.6.1.4.1.1248.1.1.2.1.3.5.69.69.80.83.50"))
    assert host.vendor == "Epson"
    assert any(r.rule == "iana-pen:1248" for r in host.classification.reasons)
    # (its role comes from the rule for Epson's printer branch, oid.epson-printer)
    # Zyxel XMG1915-10EP (LibreNMS tests/snmpsim/XMG1915-10EP.snmprec)
    zyxel = classify(_snmp_host("1.3.6.1.4.1.890.1.15"))
    assert zyxel.vendor == "Zyxel"
    assert zyxel.role.value == "unknown"  # a maker's number decides no role
    # registry names of the makers' former names (session 13): NetApp, Toshiba TEC, Buffalo
    for oid, maker in (("1.3.6.1.4.1.789.2.2", "NetApp"), ("1.3.6.1.4.1.1129.1", "Toshiba"),
                       ("1.3.6.1.4.1.5227.1", "Buffalo"), ("1.3.6.1.4.1.2001.1", "OKI")):
        assert classify(_snmp_host(oid)).vendor == maker, oid
    # a cosmetics firm whose registry name starts with LANCOM's is no LANCOM (3201 LANCOME)
    assert classify(_snmp_host("1.3.6.1.4.1.3201.1")).vendor != "LANCOM"
