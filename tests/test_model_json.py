"""The JSON contract: round trip, committed schema, strict reading."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import jsonschema
import pytest

from scanner.errors import ScanFileError
from scanner.jsonio import dumps, loads, scan_to_dict
from scanner.model import (Classification, Finding, Host, Localized, NotTested, Observation,
                           Protocol, Reason, Role, Scan, Scope, Service, Severity, Source)
from tests.conftest import REPO

SCHEMA = json.loads((REPO / "scanner" / "schema" / "scan.schema.json").read_text())
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
HOSTILE = "<script>alert(1)</script>[bold red]x[/]\x1b[31mred\x1b[0m" + "Ä" * 5000


def sample_scan() -> Scan:
    hosts = (
        Host(ip="192.168.178.10", mac="00:19:99:0a:10:10", mac_vendor="Fujitsu",
             hostnames=("PVS-SERVER", HOSTILE), role=Role.PVS_SERVER, vendor="Fujitsu",
             product="PRIMERGY", os="Windows Server 2019",
             services=(Service(445, Protocol.TCP, "microsoft-ds", "Samba smbd", "4.17"),
                       Service(161, Protocol.UDP, "snmp", HOSTILE, "")),
             observations=(Observation(Source.ARP, "arp-reply",
                                       (("ip", "192.168.178.10"), ("banner", HOSTILE)), T0),),
             classification=Classification(0.45, None, (
                 Reason("ports.pvs-database", "ports", "139,445,5432", (("role", "pvs-server"),), 0.45),),
                 (Reason("ports.rdp", "ports", "3389", (("role", "workstation"),), 0.3),))),
        Host(ip="192.168.178.101", mac="6a:3f:c1:5e:22:91", mac_randomized=True,
             role=Role.SMARTPHONE),
        Host(ip="10.0.0.5", hostnames=("[bold red]x[/]",)),
    )
    return Scan(
        started_at=T0, finished_at=T0, complete=False, tool_version="0.1.0",
        scope=Scope(targets=("192.168.178.0/24",), networks=("192.168.178.0/24",),
                    interface="eth0", tcp_ports="21-23", excluded_ports="9100-9107"),
        hosts=hosts,
        findings=(Finding("smbv1", Severity.HIGH, hosts[0].key, 445,
                          Localized("SMBv1 aktiv", "SMBv1 enabled"), ("dialect NT LM 0.12",),
                          Localized("Erklärung", "explanation"), Localized("Abhilfe", "fix"),
                          ("BSI SYS.1.1.A6",)),),
        not_tested=(NotTested("udp-services", "not in profile", None),
                    NotTested("snmp", "timeout", hosts[0].key)),
    )


def test_round_trip_is_lossless() -> None:
    scan = sample_scan()
    assert loads(dumps(scan)) == scan


def test_json_matches_committed_schema() -> None:
    jsonschema.validate(scan_to_dict(sample_scan()), SCHEMA)


def test_minimum_contract_fields_are_present() -> None:
    doc = scan_to_dict(sample_scan())
    for key in ("schema_version", "complete", "started_at", "finished_at", "scope", "hosts",
                "findings", "not_tested"):
        assert key in doc
    host = doc["hosts"][0]
    for key in ("key", "ip", "mac", "mac_vendor", "mac_randomized", "hostnames", "role",
                "vendor", "product", "os", "services"):
        assert key in host
    assert set(host["services"][0]) >= {"port", "protocol", "name", "product", "version"}
    assert set(doc["findings"][0]) >= {"rule", "severity", "host", "port", "title", "evidence"}


def test_host_identity_is_mac_then_name_then_ip() -> None:
    assert Host(ip="1.2.3.4", mac="AA:BB:CC:00:11:22", hostnames=("x",)).key == "mac:aa:bb:cc:00:11:22"
    assert Host(ip="1.2.3.4", hostnames=("PVS-Server",)).key == "name:pvs-server"
    assert Host(ip="1.2.3.4").key == "ip:1.2.3.4"


def test_schema_rejects_an_unknown_role() -> None:
    doc = scan_to_dict(sample_scan())
    doc["hosts"][0]["role"] = "toaster"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"),
    ("[]", "expected a JSON object"),
    ('{"schema_version": 99}', "schema_version 99 is not supported"),
    ('{"schema_version": 1, "complete": true}', "malformed scan"),
])
def test_unreadable_scan_files_raise_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ScanFileError, match=message):
        loads(text, "old.json")
