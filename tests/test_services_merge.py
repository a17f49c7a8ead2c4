"""One truth for services: every port that answered, once, with how it was seen (#19)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import jsonschema

from scanner.hosts import merge_services
from scanner.jsonio import loads, scan_to_dict
from scanner.model import Observation, Protocol, SeenBy, Service, Source
from tests.conftest import REPO
from tests.test_model_json import sample_scan

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
SCHEMA = json.loads((REPO / "scanner" / "schema" / "scan.schema.json").read_text())


def obs(source: Source, kind: str, **data: str) -> Observation:
    return Observation(source, kind, tuple(data.items()), T0)


def test_udp_answers_of_probes_and_listening_become_services_once() -> None:
    found = (Service(23, Protocol.TCP, "telnet"), Service(161, Protocol.UDP, "snmp"))
    observations = [
        obs(Source.PROBE, "snmp", community="public", sys_descr="GS1900-24E"),
        obs(Source.PROBE, "netbios", computer="EKG-PC"),
        obs(Source.NETBIOS, "netbios", computer="EKG-PC"),       # heard as well: still once
        obs(Source.SICCT, "sicct", name="ST-1506", tls="1.2"),    # a reply heard passively
        obs(Source.MDNS, "mdns-host", name="drucker.local"),
        obs(Source.MDNS, "mdns-service", type="_ipp._tcp", port="631"),
        obs(Source.DHCP, "dhcp-server", message="offer"),
        obs(Source.PROBE, "natpmp", external_address="11.22.33.2"),  # the router's NAT-PMP
        obs(Source.SSDP, "ssdp", message="response", server="MiniUPnPd/2.3.1"),  # answered
        obs(Source.SSDP, "ssdp-search", st="ssdp:all"),           # a client asking: no service
        obs(Source.SICCT, "sicct-client"),                        # a Konnektor asking: none
        obs(Source.NETBIOS, "netbios-name", name="EKG-PC"),       # a registration: none
    ]
    got = merge_services(found, [], observations)
    assert [(s.protocol.value, s.port, s.seen_by.value) for s in got] == [
        ("tcp", 23, "nmap"), ("udp", 67, "passive"), ("udp", 137, "probe"),
        ("udp", 161, "nmap"), ("udp", 1900, "passive"), ("udp", 4742, "passive"),
        ("udp", 5351, "probe"), ("udp", 5353, "passive")]
    assert {s.port: s.name for s in got}[4742] == "sicct"


def test_an_ssdp_notify_alone_proves_no_listener_on_1900() -> None:
    # A NOTIFY may leave from any port (the lab DiskStation's does); only an answer to an
    # M-SEARCH, which went to udp/1900, shows a listener there.
    got = merge_services((), [], [obs(Source.SSDP, "ssdp", message="notify",
                                      location="http://192.168.178.60:5000/ssdp/desc.xml")])
    assert got == ()


def test_probe_identification_fills_nmaps_port() -> None:
    (s,) = merge_services((Service(22, Protocol.TCP, "ssh"),),
                          [Service(22, Protocol.TCP, "ssh", "OpenSSH", "9.2p1")], [])
    assert (s.product, s.version, s.seen_by) == ("OpenSSH", "9.2p1", SeenBy.NMAP)


def test_seen_by_is_in_the_json_and_old_scans_without_it_still_load() -> None:
    doc = scan_to_dict(sample_scan())
    assert doc["hosts"][0]["services"][0]["seen_by"] == "nmap"
    jsonschema.validate(doc, SCHEMA)
    doc["hosts"][0]["services"][1]["seen_by"] = "probe"
    assert loads(json.dumps(doc)).hosts[0].services[1].seen_by is SeenBy.PROBE
    for s in doc["hosts"][0]["services"]:
        del s["seen_by"]  # a scan file written before #19
    old = loads(json.dumps(doc))
    assert [s.seen_by for s in old.hosts[0].services] == [SeenBy.NMAP, SeenBy.NMAP]
