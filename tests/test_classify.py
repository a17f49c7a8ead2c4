"""Classification: real captures classify as their README says; conflicts are explained."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timezone

import pytest

from scanner.classification.classify import classify, match_value
from scanner.discovery.passive import parse_datagram
from scanner.hosts import hostnames, unique
from scanner.model import Host, Observation, Role, Source
from scanner.classification.oui import MacVendors, is_randomized
from tests.conftest import captures_dir

VENDORS = MacVendors()
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def hosts_from_capture(name: str) -> dict[str, Host]:
    """What a passive listener and our banner probes would have learned, per source MAC."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapReader

    obs: dict[str, list[Observation]] = defaultdict(list)
    ips: dict[str, str] = {}
    with PcapReader(str(captures_dir() / name)) as reader:
        for p in reader:
            if IP not in p or Ether not in p:
                continue
            mac, ip = p[Ether].src.lower(), p[IP].src
            if UDP in p:
                for h in parse_datagram(mac, ip, p[UDP].sport, p[UDP].dport, bytes(p[UDP].payload)):
                    key = (h.mac or mac).lower()
                    obs[key].append(h.observation)
                    if h.ip and h.ip != "0.0.0.0":
                        ips.setdefault(key, h.ip)
            elif TCP in p and len(p[TCP].payload):
                o = _banner(p[TCP].sport, bytes(p[TCP].payload))
                if o:
                    obs[mac].append(o)
                    ips.setdefault(mac, ip)
    out = {}
    for mac, items in obs.items():
        o = list(unique(items))
        out[mac] = classify(Host(ip=ips.get(mac, "0.0.0.0"), mac=mac,
                                 mac_vendor=VENDORS.lookup(mac), mac_randomized=is_randomized(mac),
                                 hostnames=hostnames(o), observations=tuple(o)))
    return out


def _banner(port: int, payload: bytes) -> Observation | None:
    text = payload[:2048].decode("utf-8", "replace")
    if text.startswith("SSH-"):
        return Observation(Source.PROBE, "banner", (("protocol", "ssh"), ("text", text.split("\r\n")[0].strip())), T0)
    if port == 21 and text.startswith("220"):
        return Observation(Source.PROBE, "banner", (("protocol", "ftp"), ("text", text.split("\r\n")[0])), T0)
    if text.startswith("HTTP/1."):
        m = re.search(r"^Server: *(.+?)\r?$", text, re.M | re.I)
        if m:
            return Observation(Source.PROBE, "http", (("server", m.group(1)),), T0)
    return None


def test_iphone_and_imac_from_a_home_lan() -> None:
    hosts = hosts_from_capture("discovery/ndpi_iphone.pcap")
    iphone, imac = hosts["c4:61:8b:35:82:a9"], hosts["d8:30:62:56:00:1c"]
    assert (iphone.role, iphone.vendor, iphone.os) == (Role.SMARTPHONE, "Apple", "iOS")
    assert "Lucas-iPhone" in iphone.hostnames
    assert (imac.role, imac.vendor, imac.os) == (Role.WORKSTATION, "Apple", "macOS")
    assert imac.classification and imac.classification.model == "iMac11,3"


def test_android_phone_from_its_dhcp() -> None:
    phone = hosts_from_capture("discovery/ndpi_android.pcap")["4c:6a:f6:9f:f6:27"]
    assert (phone.role, phone.os) == (Role.SMARTPHONE, "Android 9")
    assert any(r.rule == "dhcp.android" for r in phone.classification.reasons)


def test_raspberry_pi_from_its_dhcp() -> None:
    pi = hosts_from_capture("discovery/tcpdump_dhcp-mud.pcap")["b8:27:eb:b8:53:c8"]
    assert (pi.role, pi.vendor, pi.os) == (Role.IOT, "Raspberry Pi", "Linux")


def test_macbook_from_its_dhcp_host_name() -> None:
    hosts = hosts_from_capture("discovery/tcpdump_dhcp-option-108.pcapng")
    mac = next(h for h in hosts.values() if "MacBookPro" in h.hostnames)
    assert (mac.role, mac.vendor, mac.os) == (Role.WORKSTATION, "Apple", "macOS")


def test_hp_jetdirect_printer_from_its_web_server() -> None:
    hosts = hosts_from_capture("services/ndpi_ipp.pcap")
    printer = next(h for h in hosts.values()
                   if any(o.get("server", "").startswith("Virata-EmWeb") for o in h.observations))
    assert (printer.role, printer.vendor) == (Role.PRINTER, "HP")


@pytest.mark.parametrize("capture, os_name", [
    ("services/tcpdump_ssh.pcap", "Debian 9"),
    ("services/ndpi_ftp.pcap", "Linux"),
    ("services/zeek_ftp_ipv4.pcap", "NetBSD"),
])
def test_operating_systems_from_banners(capture: str, os_name: str) -> None:
    assert os_name in {h.os for h in hosts_from_capture(capture).values()}


def test_single_observations_from_the_lab_capture() -> None:
    hp, *families = match_value(
        "dhcp_vendor_class", "Mfg=Hewlett Packard;Typ=Printer;Mod=HP LaserJet 400 M401dne;Ser=ABCDE12345;")
    assert (hp.get("role"), hp.get("vendor"), hp.get("product")) == ("printer", "HP", "HP LaserJet 400 M401dne")
    # the model family (fingerprints/model_families.toml) agrees
    assert [(f.rule, f.get("role"), f.get("vendor")) for f in families] == [
        ("family.hp-printer", "printer", "HP")]
    (win,) = match_value("dhcp_vendor_class", "MSFT 5.0")
    assert win.get("os") == "Windows"


def test_mac_vendors_at_scale_on_a_campus_capture() -> None:
    from scapy.layers.l2 import ARP
    from scapy.utils import PcapReader

    macs = set()
    with PcapReader(str(captures_dir() / "discovery/darinssc_arp.pcap")) as reader:
        for p in reader:
            if ARP in p:
                macs.add(p[ARP].hwsrc.lower())
    universal = [m for m in macs if not is_randomized(m) and m != "00:00:00:00:00:00"]
    named = [m for m in universal if VENDORS.lookup(m)]
    assert len(universal) > 100
    assert len(named) / len(universal) >= 0.95
    roles = {classify(Host(ip="10.0.0.1", mac=m, mac_vendor=VENDORS.lookup(m))).vendor for m in named}
    assert {"Dell", "HP", "Lenovo"} <= roles


def test_conflicts_are_decided_by_confidence_and_kept_visible() -> None:
    host = Host(ip="10.0.0.7", mac="3c:52:82:00:00:01", mac_vendor="Hewlett Packard",
                observations=(Observation(Source.PROBE, "snmp", (("sys_descr", "HP ETHERNET MULTI-ENVIRONMENT,JETDIRECT"),), T0),))
    c = classify(host)
    assert (c.role, c.vendor) == (Role.PRINTER, "HP")  # snmp 0.9 beats the HP MAC's 0.2
    assert [r.rule for r in c.classification.alternatives] == ["mac.hp"]
    assert c.classification.confidence == 0.9


def test_a_host_without_evidence_stays_unknown() -> None:
    h = classify(Host(ip="10.0.0.8"))
    assert h.role is Role.UNKNOWN and h.classification is None


@pytest.mark.parametrize("kind, pairs, padded", [
    # sysDescr as some agents send it: with CR LF (recog's snmp_sysdescr.xml example)
    ("snmp", (), ("sys_descr", "RICOH FastEther8400e Rev.R1.05 10/100BASE Ethernet PrintServ\r\n")),
    ("mdns-service", (("type", "_device-info._tcp"),), ("txt.model", "iPhone13,4\x00")),
    ("dhcp", (), ("vendor_class", "android-dhcp-13 ")),
    ("snmp", (), ("sys_object_id", " 1.3.6.1.4.1.10002.1")),
    ("banner", (("protocol", "ssh"),), ("text", "SSH-2.0-DraySSH_2.0 ")),
])
def test_padding_around_a_value_changes_nothing(kind, pairs, padded) -> None:
    def answer(value: str) -> tuple[Role, str | None]:
        h = classify(Host(ip="192.0.2.1", observations=(
            Observation(Source.PROBE, kind, (*pairs, (padded[0], value)), T0),)))
        return h.role, h.vendor

    bare = answer(padded[1].strip(" \t\r\n\x00"))
    assert bare != (Role.UNKNOWN, None)  # the bare value is known: the test can fail
    assert answer(padded[1]) == bare


# A Canon SELPHY CP1300's _ipp._tcp TXT record as `avahi-browse -r` printed it in a public
# GitHub issue (27 keys; ty= and product= stand after the 16th).
SELPHY_TXT = ("TLS=1.2", "Staple=F", "Sort=F", "Scan=F", "Punch=0", "PaperMax=<legal-A4",
              "PaperCustom=T", "Fax=F", "Duplex=F", "Copies=T", "Color=T", "Collate=F", "Bind=F",
              "TBCP=F", "Binary=F", "Transparent=F",
              "UUID=f84aad2c-f8a5-43ac-9673-9c32ceb3a49e", "usb_CMD=URF",
              "usb_MDL=SELPHY CP1300", "usb_MFG=Canon",
              "adminurl=http://CP1300b3a49e.local:8008/index.html",
              "pdl=image/urf,image/jpeg,image/pwg-raster,application/octet-stream",
              "product=(Canon SELPHY CP1300 HTTP)", "ty=Canon SELPHY CP1300 HTTP",
              "priority=50", "qtotal=1", "rp=ipp/print", "txtvers=1")


def _mdns_answer(instance: str, txt: tuple[str, ...]) -> bytes:
    from zeroconf import DNSOutgoing, DNSPointer, DNSText, const

    out = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
    stype = instance.split(".", 1)[1]
    out.add_answer_at_time(DNSPointer(stype, const._TYPE_PTR, const._CLASS_IN, 4500, instance), 0)
    raw = b"".join(bytes([len(t.encode())]) + t.encode() for t in txt)
    out.add_answer_at_time(DNSText(instance, const._TYPE_TXT, const._CLASS_IN, 4500, raw), 0)
    return out.packets()[0]


def _host_from_mdns(instance: str, txt: tuple[str, ...]) -> Host:
    heard = parse_datagram("00:1e:8f:00:00:01", "192.0.2.9", 5353, 5353, _mdns_answer(instance, txt))
    return classify(Host(ip="192.0.2.9", observations=tuple(h.observation for h in heard)))


def test_a_printers_type_after_the_sixteenth_txt_key_still_names_it() -> None:
    host = _host_from_mdns("Canon SELPHY CP1300._ipp._tcp.local.", SELPHY_TXT)
    assert (host.role, host.vendor) == (Role.PRINTER, "Canon")


@pytest.mark.parametrize("drop", [("ty=",), ("ty=", "product=")])
def test_without_ty_the_product_or_the_ieee_1284_model_names_the_printer(drop) -> None:
    txt = tuple(t for t in SELPHY_TXT if not t.startswith(drop))
    host = _host_from_mdns("Canon SELPHY CP1300._ipp._tcp.local.", txt)
    assert (host.role, host.vendor) == (Role.PRINTER, "Canon")
    assert host.classification is not None
    assert any(r.field == "mdns_printer" for r in host.classification.reasons)


def test_a_cast_receivers_model_name_names_its_maker() -> None:
    # md= as pychromecast's table spells Sony's and Google's receivers; the instance name
    # is the form Cast devices announce (model-uuid)
    tv = _host_from_mdns("BRAVIA-4K-VH2-0f1e._googlecast._tcp.local.",
                         ("id=0f1e", "md=BRAVIA 4K VH2", "fn=Wartezimmer"))
    assert (tv.role, tv.vendor) == (Role.MEDIA, "Sony")
    mini = _host_from_mdns("Google-Nest-Mini-9a8b._googlecast._tcp.local.",
                           ("id=9a8b", "md=Google Nest Mini", "fn=Empfang"))
    assert (mini.role, mini.vendor) == (Role.MEDIA, "Google")


def test_an_airplay_receivers_am_names_its_apple_model() -> None:
    # _raop._tcp carries the model as am= (no model= key); AppleTV5,3 is Apple's identifier
    # of the fourth-generation Apple TV (libirecovery's table)
    tv = _host_from_mdns("0A1B2C3D4E5F@Wartezimmer._raop._tcp.local.",
                         ("txtvers=1", "am=AppleTV5,3", "vs=220.68"))
    assert (tv.role, tv.vendor) == (Role.MEDIA, "Apple")
    assert tv.classification is not None and tv.classification.model == "AppleTV5,3"
