"""Parsers of network input on real third-party captures, and on hostile input.

Captures come from ../shared/testdata/captures (see its README for what each shows).
Hostile input: every truncation of real packets, seeded random bit flips, oversized data,
wrong encodings, XML entity expansion. A parser returns a value or None; it never raises
and never hangs (a 10 s alarm guards against hangs; it is not a speed test).
"""

from __future__ import annotations

import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from scanner.discovery.passive import parse_datagram
from scanner.probes.smb import smb1_accepted
from scanner.protocols import connector_sds, dhcp, mdns, netbios, sicct, ssdp, upnp
from scanner.lab.daemons import FILES
from tests.conftest import captures_dir


@contextmanager
def no_hang(seconds: int = 10) -> Iterator[None]:
    def fail(*_: object) -> None:
        raise AssertionError(f"parser did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def udp_payloads(name: str, port: int) -> list[tuple[str, str, int, int, bytes]]:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapReader

    out = []
    with PcapReader(str(captures_dir() / name)) as reader:
        for p in reader:
            if UDP in p and port in (p[UDP].sport, p[UDP].dport) and IP in p:
                mac = p[Ether].src if Ether in p else None
                out.append((mac, p[IP].src, p[UDP].sport, p[UDP].dport, bytes(p[UDP].payload)))
    assert out, f"no UDP/{port} packets in {name}"
    return out


def heard(name: str, port: int) -> list:
    return [h for (mac, ip, sp, dp, pl) in udp_payloads(name, port)
            for h in parse_datagram(mac, ip, sp, dp, pl)]


# -- real captures ------------------------------------------------------------------------


def test_dhcp_android_vendor_class() -> None:
    obs = [h.observation for h in heard("discovery/ndpi_android.pcap", 67)]
    assert any(o.get("vendor_class") == "android-dhcp-9" and
               o.get("param_list") == "1,3,6,15,26,28,51,58,59,43" for o in obs)


def test_dhcp_iphone_and_raspberry_pi_host_names() -> None:
    iphone = [h for h in heard("discovery/ndpi_iphone.pcap", 67)
              if h.observation.get("hostname") == "Lucas-iPhone"]
    assert iphone and iphone[0].mac == "c4:61:8b:35:82:a9"
    pi = [h.observation for h in heard("discovery/tcpdump_dhcp-mud.pcap", 67)]
    assert any(o.get("hostname") == "raspberrypi" and
               o.get("vendor_class", "").startswith("dhcpcd-6.11.5:Linux") for o in pi)


def test_dhcp_server_reply_is_told_apart_from_clients() -> None:
    kinds = {h.observation.kind for h in heard("discovery/zeek_dhcp.pcap", 67)}
    assert kinds == {"dhcp", "dhcp-server"}


def test_mdns_device_info_model_and_services() -> None:
    obs = [h.observation for h in heard("discovery/ndpi_iphone.pcap", 5353)]
    assert any(o.get("txt.model") == "iMac11,3" for o in obs)
    types = {o.get("type") for o in obs if o.kind == "mdns-service"}
    assert {"_companion-link._tcp", "_smb._tcp", "_device-info._tcp"} <= types


def test_mdns_host_name_from_the_lab_capture() -> None:
    obs = [h.observation for h in heard("lab/lab_discovery.pcap", 5353)]
    assert any(o.kind == "mdns-host" and o.get("name") == "labprinter.local" for o in obs)
    assert any(o.get("type") == "_dicom._tcp" and o.get("txt.aet") == "LABPACS" for o in obs)


def test_netbios_node_status_and_registrations() -> None:
    obs = [h.observation for h in heard("discovery/ndpi_netbios.pcap", 137)]
    assert any(o.kind == "netbios" and o.get("computer") == "GUNNAR" and
               o.get("workgroup") == "VIGILANT_GROUP" for o in obs)
    names = {h.observation.get("name") for h in heard("discovery/ndpi_dos_win98_smb_netbeui.pcap", 137)}
    assert {"MDJR98", "WORKGROUP"} <= names


def test_ssdp_notify_from_miniupnpd_and_search_user_agent() -> None:
    obs = [h.observation for h in heard("lab/lab_discovery.pcap", 1900)]
    notify = [o for o in obs if o.get("message") == "notify"]
    assert notify and notify[0].get("location") == "http://10.77.0.2:5000/rootDesc.xml"
    assert "MiniUPnPd/2.3.1" in (notify[0].get("server") or "")
    ua = [h.observation for h in heard("discovery/ndpi_ssdp-m-search-ua.pcap", 1900)]
    assert ua[0].kind == "ssdp-search" and "Google Chrome" in (ua[0].get("user_agent") or "")


def test_ssdp_on_the_wrong_port_is_not_ssdp() -> None:
    # Plex GDM sends M-SEARCH to udp/32412: not ours to read as SSDP.
    from scapy.layers.inet import UDP
    from scapy.utils import rdpcap

    for p in rdpcap(str(captures_dir() / "discovery/ndpi_ssdp-m-search.pcap")):
        if UDP in p:
            assert parse_datagram(None, "10.0.0.1", p[UDP].sport, p[UDP].dport,
                                  bytes(p[UDP].payload)) == []


def test_llmnr_queries_for_wpad() -> None:
    names = {h.observation.get("name") for h in heard("discovery/darinssc_llmnr.pcap", 5355)
             if h.observation.kind == "llmnr-query"}
    assert {"wpad", "isatap"} <= names


def test_sicct_codec_against_the_spec_layout() -> None:
    # SICCT 1.3.0 Tab. 27: A0 { 80 version, 81 client IPv4, 82 reply port }
    req = sicct.encode_request("192.168.178.2", 4742)
    assert req == bytes.fromhex("a00e" "80020103" "8104c0a8b202" "82021286")
    assert sicct.parse_request(req) == ("192.168.178.2", 4742)
    reply = bytes.fromhex("a1" "25" "80020103" "8104c0a8b21e" "8306001bb50a3030"
                          "8408" + b"ST-1506X".hex() + "82021286" "a303" "8a0130")
    r = sicct.parse_reply(reply)
    assert (r.ip, r.mac, r.name, r.tcp_port, r.tls) == (
        "192.168.178.30", "00:1b:b5:0a:30:30", "ST-1506X", 4742, "1.2")
    no_tls = sicct.parse_reply(sicct.encode_reply("10.0.0.9", "00:03:81:00:00:01", "ORGA6100"))
    assert no_tls.tls is None


def test_connector_sds_from_the_lab_konnektor() -> None:
    sds = connector_sds.parse((FILES / "connector.sds").read_bytes())
    assert (sds.product_type, sds.vendor_id, sds.product_code, sds.product_name) == (
        "Konnektor", "KOCOC", "kocobox", "KoCoBox MED+")
    assert sds.tls_mandatory is True and sds.client_aut_mandatory is False
    assert sds.tls_endpoints == 5 and sds.plain_http_endpoints == ()


def test_connector_sds_plain_endpoints_are_listed() -> None:
    xml = (b'<ns2:ConnectorServices xmlns:ns2="http://ws.gematik.de/conn/ServiceDirectory/v3.1" '
           b'xmlns:ns3="http://ws.gematik.de/conn/ServiceInformation/v2.0">'
           b"<ns2:TLSMandatory>false</ns2:TLSMandatory>"
           b'<ns3:Endpoint Location="http://10.0.0.2:80/ws/CardService"/></ns2:ConnectorServices>')
    sds = connector_sds.parse(xml)
    assert sds.tls_mandatory is False and sds.plain_http_endpoints == ("http://10.0.0.2:80/ws/CardService",)


def test_smb1_decision_from_negotiate_replies() -> None:
    header = b"\x00\x00\x00\x30" + b"\xffSMB\x72" + b"\x00" * 4 + b"\x98" + b"\x00" * 22
    assert smb1_accepted(header + b"\x11\x00\x00") == "yes"            # dialect 0 chosen
    assert smb1_accepted(header + b"\x01\xff\xff") == "no"             # 0xFFFF: none of ours
    assert smb1_accepted(b"\x00\x00\x00\x40\xfeSMB" + b"\x00" * 60) == "no"
    assert smb1_accepted(b"") == "no" and smb1_accepted(b"\x00\x01") == "unknown"


# -- hostile input ------------------------------------------------------------------------

PARSERS: dict[str, Callable[[bytes], object]] = {
    "dhcp": dhcp.parse, "mdns": mdns.parse, "ssdp": ssdp.parse,
    "netbios": netbios.parse_node_status, "netbios-reg": netbios.parse_registration,
    "sicct": sicct.parse_reply, "sicct-req": sicct.parse_request,
    "connector-sds": connector_sds.parse, "upnp": upnp.parse, "smb": smb1_accepted,
}
SAMPLES = [("discovery/ndpi_android.pcap", 67), ("discovery/ndpi_iphone.pcap", 5353),
           ("lab/lab_discovery.pcap", 1900), ("discovery/ndpi_netbios.pcap", 137),
           ("discovery/tcpdump_nbns-valgrind.pcap", 137)]


def _mutations(data: bytes, rng: random.Random) -> Iterator[bytes]:
    for n in range(0, len(data), max(1, len(data) // 64)):
        yield data[:n]
    for _ in range(40):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        yield bytes(b)


@pytest.mark.parametrize("name, port", SAMPLES)
def test_every_parser_survives_mutated_real_packets(name: str, port: int) -> None:
    rng = random.Random(2026)
    payloads = [pl for *_, pl in udp_payloads(name, port)][:20]
    with no_hang():
        for pl in payloads:
            for m in _mutations(pl, rng):
                for parse in PARSERS.values():
                    parse(m)
                parse_datagram("aa:bb:cc:dd:ee:ff", "10.0.0.1", port, port, m)


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
def test_every_parser_survives_oversized_and_odd_input(parse: Callable[[bytes], object]) -> None:
    with no_hang():
        for data in (b"", b"\x00", b"\xff" * 3, b"\x00" * 5_000_000, bytes(range(256)) * 4000,
                     "ÄÖÜ€".encode("utf-16"), b"\xc3\x28\xa0\xa1" * 1000):
            parse(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<root><device><friendlyName>&lol3;</friendlyName></device></root>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ConnectorServices><ProductType>&x;</ProductType></ConnectorServices>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<root>" * 100_000,
                                 b"<root><device><friendlyName>x" + b"A" * 600_000])
def test_xml_parsers_refuse_entities_and_monsters(xml: bytes) -> None:
    with no_hang():
        assert upnp.parse(xml) is None
        assert connector_sds.parse(xml) is None


def test_upnp_description_fields() -> None:
    xml = (b'<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
           b"<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>"
           b"<friendlyName>FRITZ!Box 7590 &lt;script&gt;</friendlyName><manufacturer>AVM</manufacturer>"
           b"<modelName>FRITZ!Box 7590</modelName><serviceList><service>"
           b"<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"
           b"<controlURL>/ctl/IPConn</controlURL></service></serviceList></device></root>")
    d = upnp.parse(xml)
    assert d.friendly_name == "FRITZ!Box 7590 <script>" and d.manufacturer == "AVM"
    assert d.control_urls == (("urn:schemas-upnp-org:service:WANIPConnection:2", "/ctl/IPConn"),)


def test_ntlm_challenge_from_a_real_windows_server() -> None:
    from scapy.layers.inet import TCP
    from scapy.utils import rdpcap

    from scanner.protocols.ntlm import find_challenge

    challenges = [c for p in rdpcap(str(captures_dir() / "services/zeek_smb311.pcap"))
                  if TCP in p and (c := find_challenge(bytes(p[TCP].payload)))]
    c = challenges[0]
    assert (c.version, c.netbios_computer, c.netbios_domain, c.dns_computer) == (
        "10.0 build 14393", "AD", "FOO", "AD.foo.test")


def test_ntlm_parser_survives_mutations() -> None:
    from scanner.protocols.ntlm import negotiate_message, parse_challenge

    base = bytearray(b"NTLMSSP\x00\x02\x00\x00\x00" + b"\x00" * 8 + b"\x05\x02\x89\xe2"
                     + b"\x00" * 16 + b"\x10\x00\x10\x00\xff\xff\x00\x00" + b"\x0a\x00\x39\x38\x00\x00\x00\x0f")
    rng = random.Random(7)
    with no_hang():
        for n in range(len(base) + 1):
            parse_challenge(bytes(base[:n]))
        for _ in range(300):
            b = bytearray(base)
            b[rng.randrange(len(b))] = rng.randrange(256)
            parse_challenge(bytes(b))
    assert parse_challenge(bytes(base)).version == "10.0 build 14393"
    assert negotiate_message().startswith(b"NTLMSSP\x00\x01\x00\x00\x00")


def test_upnp_service_actions() -> None:
    scpd = (b'<?xml version="1.0"?><scpd xmlns="urn:schemas-upnp-org:service-1-0"><actionList>'
            b"<action><name>GetExternalIPAddress</name></action>"
            b"<action><name>AddPortMapping</name><argumentList/></action></actionList></scpd>")
    assert upnp.actions(scpd) == ("GetExternalIPAddress", "AddPortMapping")
    with no_hang():
        assert upnp.actions(BILLION_LAUGHS) == ()
