"""Wrong answers the local-announcement rules must not give (issue 14, session 10).

DHCP vendor classes, mDNS service types and TXT models, SSDP SERVER headers and UPnP
descriptions: real strings (recog's examples, Home Assistant's discovery manifests, vendor
manuals) and a role or maker they must NOT get. A brand alone decides no role: a Samsung or LG
string may be a phone, a TV or a printer, a Yealink or Aerohive class any of the maker's lines.
"""

from __future__ import annotations

import pytest

from scanner.classification.classify import match_value

# (field, real string, role it must not get, maker it must not get)
WRONG = [
    # makers of several device kinds: the class names the maker only (recog dhcp_vendor_class.xml)
    ("dhcp_vendor_class", "yealink", "voip-phone", None),
    ("dhcp_vendor_class", "AEROHIVE", "access-point", None),
    ("dhcp_vendor_class", "Aruba-Sensor-Q9X65A", "access-point", None),
    ("dhcp_vendor_class", "Aruba-Sensor-Q9X65A", "switch", None),
    ("dhcp_vendor_class", "ubnt", "access-point", None),
    # a Dell printer's class is no workstation, a Dell zero client no printer
    ("dhcp_vendor_class", "Dell Color MFP S2825cdn", "workstation", None),
    ("dhcp_vendor_class", "wyse-1000", "printer", None),
    # busybox's client runs in routers, cameras and medical devices alike
    ("dhcp_vendor_class", "udhcpc1.21.1", "router", None),
    ("dhcp_vendor_class", "udhcp 1.22.1", "camera", None),
    # iRobot's Roombas announce Amazon's Alexa service (home-assistant generated/zeroconf.py)
    ("mdns_service", "_amzn-alexa._tcp", "media", "Amazon"),
    # DoorBird door stations announce Axis' video service; Apple's sleep proxies run on Apple
    # TVs and AirPort base stations alike; file sharing is no NAS (PCs and Macs announce it)
    ("mdns_service", "_axis-video._tcp", None, "Axis"),
    ("mdns_service", "_sleep-proxy._udp", "media", None),
    ("mdns_service", "_sleep-proxy._udp", "access-point", None),
    ("mdns_service", "_smb._tcp", "nas", None),
    ("mdns_service", "_afpovertcp._tcp", "nas", None),
    # LinkPlay modules sit in many makers' speakers: no maker
    ("mdns_service", "_linkplay._tcp", None, "Sonos"),
    # deCONZ gateways and diyHue answer as a Hue bridge (deCONZ's SSDP reply, Home Assistant's
    # deconz discovery): no Philips; ESP firmwares answer as a WeMo plug: no router or media
    ("ssdp_server", "Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0", None, "Philips"),
    ("upnp_device", "Royal Philips Electronics | Philips hue bridge 2015 | "
                    "urn:schemas-upnp-org:device:Basic:1", None, "Philips"),
    ("upnp_device", "Belkin International Inc. | Socket | urn:Belkin:device:controllee:1",
     "router", None),
    # Yamaha makes routers as well as receivers: the maker's name decides nothing
    ("upnp_device", "Yamaha Corporation | RX-V685 | urn:schemas-upnp-org:device:MediaRenderer:1",
     "router", None),
    # UPnP libraries and media-server software run on PCs and NAS alike (recog upnp_banners.xml)
    ("ssdp_server", "Linux/2.6.28-17-generic, UPnP/1.0, Portable SDK for UPnP devices/1.6.6",
     "media", None),
    ("ssdp_server", "Linux-amd64-3.0.0-25-generic, UPnP/1.0, PMS/1.50.0", None, "Sony"),
    ("ssdp_server", "UPnP/1.0, DLNADOC/1.50, Platinum/0.5.1", None, "Microsoft"),
    # TP-Link's TL-WR routers; not every ipos device is one
    ("ssdp_server", "ipos/7.0 UPnP/1.0 TL-WR841N/8.0", "access-point", None),
    # NAS, routers with a USB disk (Asuswrt's afpd service file) and Linux home servers announce
    # the _device-info model "Xserve" so that Finder shows a server icon (a QNAP TS-464C's
    # mDNS answer, Netatalk/avahi service files): no Apple, no workstation
    ("mdns_model", "Xserve", "workstation", "Apple"),
    ("mdns_model", "Xserve1,1", "workstation", "Apple"),
    ("mdns_model", "RackMac", "workstation", "Apple"),
    # default host names shared by makers: KM (Konica Minolta's bizhub, Kyocera Mita), ET
    # (Lexmark's, kept by the Xerox printers Lexmark builds: Xerox' OUI 9C:93:4E)
    ("hostname", "KM00D91C.local", None, "Kyocera"),
    ("hostname", "KM00D91C.local", None, "Konica Minolta"),
    ("hostname", "et9c934ee8dd28.at.urfu.ru", None, "Lexmark"),
    # IEEE registration names that start like a maker's: SonoSite's ultrasound is no Sonos
    # speaker, SONOS Co., Ltd. is another company (aiooui's MA-L table)
    ("mac_vendor", "SonoSite, Inc.", "media", "Sonos"),
    ("mac_vendor", "SonoSite, Inc.", "iot", "Sonos"),
    ("mac_vendor", "SONOS Co., Ltd.", "media", "Sonos"),
    # makers of several device kinds, and Hisense' and Teltonika's other companies
    ("mac_vendor", "Axis Communications AB", "camera", None),
    ("mac_vendor", "Avaya Inc", "voip-phone", None),
    ("mac_vendor", "Hisense Broadband Multimedia Technology Co.,Ltd.", "media", None),
    ("mac_vendor", "UAB Teltonika Telematics", "router", None),
    ("mac_vendor", "Zebra Technologies Inc.", "printer", None),
    ("mac_vendor", "SHARP CORPORATION", "printer", None),
    ("mac_vendor", "Espressif Inc.", None, "Espressif"),
    # registrations that start like a maker's name but belong to another company or line
    ("mac_vendor", "TopControl GMBH", "medical-device", "Topcon"),
    ("mac_vendor", "Topcon Positioning Systems, Inc.", "medical-device", None),
    ("mac_vendor", "OLYMPUS IMAGE SYSTEMS, INC.", "medical-device", None),
    ("mac_vendor", "Kyocera Wireless Corp.", "printer", None),
    ("mac_vendor", "OPPO Digital, Inc.", "smartphone", None),
    ("mac_vendor", "DellKing Industrial Co., Ltd", "workstation", "Dell"),
    ("mac_vendor", "Hewlett Packard Enterprise", "workstation", None),
    ("mac_vendor", "Lenovo Mobile Communication Technology Ltd.", "workstation", None),
    ("mac_vendor", "LenovoEMC Products USA, LLC", "workstation", None),
]


@pytest.mark.parametrize("field,value,role,maker", WRONG, ids=lambda v: str(v)[:30])
def test_strings_that_must_not_get_a_role_or_maker(field, value, role, maker) -> None:
    reasons = match_value(field, value)
    roles = {r.get("role") for r in reasons}
    makers = {r.get("vendor") for r in reasons}
    if role:
        assert role not in roles, reasons
    if maker:
        assert maker not in makers, reasons


@pytest.mark.parametrize("field,value,role,maker", [
    ("dhcp_vendor_class", "Poly-VVX-D230", "voip-phone", "Polycom"),
    ("dhcp_vendor_class", "digium_D65_2_9_10", "voip-phone", "Digium"),
    ("dhcp_vendor_class", "ccp.avaya.com", "voip-phone", "Avaya"),
    ("dhcp_vendor_class", "Mfg=DELL;Typ=Printer;Mod=Dell S2830dn;Ser=1A2BC34;", "printer", "Dell"),
    ("dhcp_vendor_class", "Zebra Technologies ZTC ZT230-203dpi ZPL", "printer", "Zebra"),
    ("dhcp_vendor_class", "BrightSign XT1144-PP", "media", "BrightSign"),
    ("mdns_service", "_googlecast._tcp", "media", "Google"),
    ("mdns_service", "_mediaremotetv._tcp", "media", "Apple"),
    ("mdns_service", "_airport._tcp", "access-point", "Apple"),
    ("mdns_service", "_soundtouch._tcp", "media", "Bose"),
    ("ssdp_server", "ipos/7.0 UPnP/1.0 TL-WR941N/2.0", "router", "TP-Link"),
    ("ssdp_server", "SHP, UPnP/1.0, Samsung UPnP SDK/1.0", "media", "Samsung"),
    ("upnp_device", "Roku | 3810X | urn:roku-com:device:player:1-0", "media", "Roku"),
    ("upnp_device", "Signify | Philips hue bridge 2015 | urn:schemas-upnp-org:device:Basic:1",
     "iot", "Philips"),
    ("mdns_printer", "RICOH MP C2011", "printer", "Ricoh"),
    ("mdns_printer", "KONICA MINOLTA bishub C287", "printer", "Konica Minolta"),
    ("mdns_printer", "Xerox WorkCentre 3025", "printer", "Xerox"),
    ("mdns_service", "_qdiscover._tcp", "nas", "QNAP"),
    ("hostname", "XRX9C934E2CF72C", "printer", "Xerox"),
    ("hostname", "SEC30CDA7112233", "printer", "Samsung"),
    ("hostname", "RNP474CB6", "printer", "Ricoh"),
    ("hostname", "BRN0080770A5050.local", "printer", "Brother"),
    ("mac_vendor", "SonoSite, Inc.", "medical-device", "SonoSite"),
    ("mac_vendor", "AMERICAN POWER CONVERSION CORP", "ups", "APC"),
    ("mac_vendor", "Sonos, Inc.", "media", "Sonos"),
    ("hostname", "LGwebOSTV", "media", "LG"),
])
def test_the_right_answers_stay(field, value, role, maker) -> None:
    got = match_value(field, value)
    assert got, value
    assert got[0].get("role") == role and got[0].get("vendor") == maker
