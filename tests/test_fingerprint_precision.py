"""Wrong answers the rules must not give (issue 14), and the provenance of new rules.

Each case is a real string and a role it must NOT get: brand words alone (ProCurve, Cisco)
decide no role, iPad board ids are not Apple TVs, another maker's prompt is not Cisco's.
"""

from __future__ import annotations

import pytest

from scanner.classification.classify import match_value
from scanner.classification.fingerprints import load_rules

NEW_ROLES = {"voip-phone", "pbx", "ups", "camera", "media", "management-controller"}

# (field, real string, role it must not get, maker it must not get)
WRONG = [
    # session 8: a Panasonic PBX (KX-NS) is no printer although Panasonic's MFPs are KX- too;
    # IOS images of Cisco's 2950 switches and 1200 access points are no router images
    # (fusioninventory-agent dico.pm's real sysDescrs)
    ("snmp_sysdescr", "Panasonic KX-NS500", "printer", None),
    # Synology's routers are no NAS although Synology's name heads their page (synology.com: RT2600ac)
    ("http_title", "Synology Router RT2600ac", "nas", None),
    # a maker's switches and access points are no routers or NAS because the maker also makes
    # those (model names as LANCOM, Sophos and QNAP write them)
    ("http_title", "LANCOM GS-2326P", "router", None),
    ("http_title", "Sophos APX 320", "router", None),
    ("http_title", "QNAP QSW-M408-4C", "nas", None),
    # Allied Telesis' AT-GS950 switches are no Netgear GS switches (the model name as Allied Telesis writes it)
    ("snmp_sysdescr", "AT-GS950/24", None, "Netgear"),
    ("snmp_sysdescr", "Cisco Internetwork Operating System Software \r\nIOS (tm) C2950 Software "
                      "(C2950-I6K2L2Q4-M), Version 12.1(22)EA12, RELEASE SOFTWARE (fc1)", "router", None),
    ("snmp_sysdescr", "Cisco IOS Software, C1200 Software (C1200-K9W7-M), Version 12.3(8)JA2, "
                      "RELEASE SOFTWARE (fc1)", "router", None),
    # Ricoh's telnet prompt in its own spelling (recog telnet_banners.xml names Cisco's in capitals)
    ("telnet_banner", "User access verification\r\nPassword:", None, "Cisco"),
    # ProCurve and Aruba name access points and routers as well as switches
    ("snmp_sysdescr", "ProCurve Access Point 530", "switch", None),
    ("snmp_sysdescr", "ProCurve Secure Router 7102dl", "switch", None),
    # a Cisco IOS router (public sysDescr of a 2900 router)
    ("snmp_sysdescr", "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), "
                      "Version 15.4(3)M3, RELEASE SOFTWARE (fc2)", "switch", None),
    # iPad board ids (recog mdns_device-info_txt.xml) are not Apple TVs
    ("mdns_model", "J207AP", "media", None),
    ("mdns_model", "J71tAP", "media", None),
    ("mdns_model", "J85AP", "iot", None),
    # a router's DHCP class from the brand Meraki alone
    ("dhcp_vendor_class", "MERAKI", "access-point", None),
    # Apple-silicon Macs announce J-board ids too (libirecovery's device table): not iPads
    ("mdns_model", "J274AP", "tablet", None),
    ("mdns_model", "J314sAP", "tablet", None),
    # a Watch's N-board id is no iPhone, an iPod's no Watch
    ("mdns_model", "N157sAP", "tablet", None),
    # role words: a load balancer and a speaker's setup page (recog examples) are no switch or AP
    ("snmp_sysdescr", "Nortel Application Switch 2424", "switch", None),
    ("http_title", "SoundTouch Access Point Setup", "access-point", None),
    # MiniDLNA on a Linux box is no router
    ("ssdp_server", "Debian/6.0 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.0", "router", None),
    # Cisco's and VMware's other management software is no BMC (recog html_title.xml)
    ("http_title", "Cisco Meeting Management", "management-controller", None),
    ("http_title", "Welcome to VMware Site Recovery Manager", "management-controller", None),
    # a brand word decides the maker, not the role: HPE's tape library is no NAS or switch
    ("http_title", "HPE StoreEver MSL3040", "nas", None),
    ("http_title", "HPE StoreEver MSL3040", "switch", None),
    # another maker's access point whose realm starts with "WL-" is no Asus WL-500 router
    ("http_auth", 'Basic realm="WL-5460AP v2"', "router", "Asus"),
    # a camera's page is no phone although both say "IP" (recog html_title.xml)
    ("http_title", "Cisco IP Camera", "voip-phone", None),
    # a speaker's setup page is no PBX, a ticket system's dashboard no router
    ("http_title", "SoundTouch Access Point Setup", "pbx", None),
    ("http_title", "System Dashboard - [Dev Test JIRA]", "router", None),
    # model families (fingerprints/model_families.toml): a Ricoh brand's "MP C2800" is no Cisco
    # C2800 router image, APC's environmental monitor (AP9320) is no UPS card (recog examples)
    ("ftp_banner", "NRG MP C2800 FTP server (8.25) ready.", "router", None),
    ("snmp_sysdescr", "APC Environmental Management System (MB:v3.6.9 PF:v2.6.4 "
                      "PN:apc_hw02_aos_264.bin AF1:v2.6.7 AN1:apc_hw02_ems_267.bin MN:AP9320 HR:4",
     "ups", None),
    # Cisco IOS names its self-signed certificate alike on switches and routers (a public IOS
    # configuration's subject-name): the maker, no role
    ("tls_subject", "commonName=IOS-Self-Signed-Certificate-1452385883", "switch", None),
    ("tls_subject", "commonName=IOS-Self-Signed-Certificate-1452385883", "router", None),
    # a PCoIP zero client is made by 10ZiG, Dell, Leadtek ...: Teradici's protocol names no maker
    ("tls_subject", "organizationalUnitName=PCoIP Device", None, "Teradici"),
    ("dhcp_vendor_class", "PCoIP Endpoint", None, "Teradici"),
    # a proxy's model "SG400" is no Cisco SG300 switch (recog snmp_sysdescr.xml)
    ("snmp_sysdescr", "Blue Coat SG400 Series, Version: SGOS 5.2.4.8, Release id: 35838 Proxy "
                      "Edition", "switch", None),
    # session 10: Tektronix made its Phaser printers before Xerox bought the line; TROY's and
    # silex's print servers are only "compatible with an HP JETDIRECT" (recog snmp_sysdescr.xml,
    # sections TEKTRONIX and Troy); Westell's VersaLink is a DSL gateway, no Xerox VersaLink
    # (nmap-service-probes line 8138's title); WTI's Network Power Switch is a PDU (line 4728)
    ("snmp_sysdescr", "Tektronix, Inc., Phaser 860N, PhaserShare Series B Network Interface, "
                      "(14.44/13.34/14.46/3.38)", None, "Xerox"),
    ("snmp_sysdescr", "silex PocketPro 100s compatible with an HP JETDIRECT EX", None, "HP"),
    ("snmp_sysdescr", "TROY PocketPro 100s compatible with an HP JETDIRECT EX", None, "HP"),
    ("http_title", "Westell VersaLink Wireless Gateway", "printer", "Xerox"),
    ("telnet_banner", "\r\n\r\nNetwork Power Switch v", "switch", None),
    # session 10: a Roku player's UPnP server runs miniupnpd but is no router (the SSDP reply
    # of Roku players quoted in public Roku-control code; nmap-service-probes line 11566)
    ("ssdp_server", "Roku UPnP/1.0 MiniUPnPd/1.4", "router", None),
    ("http_server", "Roku UPnP/1.0 MiniUPnPd/1.4", "router", None),
    # device announcements (DHCP vendor classes, mDNS service types and printer TXT,
    # SSDP/UPnP, host names, MAC registrations): a brand alone decides no role
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
    # session 11, snmp: one sysObjectID answered by several device kinds of a maker gives no
    # role (LibreNMS tests/snmpsim: Zyxel's 890.1.15 by a ZyWALL firewall, an XMG switch and
    # an NWA access point; net-snmp's Linux 8072.3.2.10 by Synology's DSM, OpenWrt and
    # Grandstream's HT adapters; MikroTik's 14988.1 by RouterOS on routers and switches);
    # Hikvision's generic sysDescr names no role (LibreNMS files it as type network)
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.15", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.15", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.15", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.8072.3.2.10", "nas", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.8072.3.2.10", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.8072.3.2.10", "voip-phone", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.14988.1", "switch", None),
    ("snmp_sysdescr", "Hikvision company products", "camera", None),
    ("snmp_sysdescr", "Linux 3.3.8 #1 Wed Jan 18 09:26:53 PST 2017 mips", "access-point", None),
    # session 11, greet: DHCP classes of satori's dhcp.xml. Another ARM Linux' dhcpcd is no
    # Chromecast (recog's example of a Freescale board); Trapeze's own access points are no
    # Enterasys ones although both send WIRELESS-AP:; busybox' udhcp of Axis cameras, Meraki
    # access points and WD NAS alike names no device
    ("dhcp_vendor_class", "dhcpcd-6.11.5:Linux-4.14.78:armv7l:Freescale", "media", "Google"),
    ("dhcp_vendor_class", "WIRELESS-AP:MP_422", None, "Enterasys"),
    ("dhcp_vendor_class", "udhcp 0.9.9-pre", "camera", "Axis"),
    ("dhcp_vendor_class", "udhcp 0.9.9-pre", "access-point", None),
    # FTP greetings of ztag's tests: Lexmark's own printers carry the same ET<MAC> host names as
    # the Dell lasers built on them; the USB-storage FTP of a Linksys router names no role
    ("ftp_banner", "220 ET0021B7ECFD08 Lexmark X656de FTP Server NR.APS.N504 ready.", None, "Dell"),
    ("ftp_banner", "220 Welcome to Linksys-EA6500", "nas", None),
    ("ftp_banner", "220 Network-Camera FTP server (GNU inetutils 1.4.2) ready.", None, "Axis"),
    # SSH software built into many makers' devices names none of them: Allegro's RomSShell
    # (HP iLO, switches, UPS cards), NOS-SSH (3Com WX and Trapeze controllers alike, Greenbone's
    # gb_ssh_os_detection.nasl); a Cisco WLC is no IOS router
    ("ssh_banner", "SSH-2.0-RomSShell_5.40", None, "HP"),
    ("ssh_banner", "SSH-2.0-NOS-SSH_2.0", None, "3Com"),
    ("ssh_banner", "SSH-2.0-CISCO_WLC", "router", None),
    # Finder icons that Samba and Netatalk file servers announce are no Apple hardware
    # (TrueNAS' avahi service, vfs_fruit configurations), while a real Mac stays a Mac
    ("mdns_model", "Xserve", None, "Apple"),
    ("mdns_model", "MacPro7,1@ECOLOR=226,226,224", "workstation", "Apple"),
    ("mdns_model", "TimeCapsule8,119", "access-point", "Apple"),
    # session 11, web: a title that is a bare model name: Juniper's (Trapeze) wireless
    # controllers MX-200/MX-216 are no Sharp MFPs (Sharp's MX- models carry a letter);
    # Zyxel's access points and switches are no routers (model names as Zyxel writes them)
    ("http_title", "MX-216", "printer", "Sharp"),
    ("http_title", "MX-200", "printer", "Sharp"),
    ("http_title", "ZyXEL NWA1123-AC", "router", None),
    ("http_title", "ZyXEL GS1900-24", "router", None),
    ("http_title", "ZyXEL P-2302R", "router", None),
    # a web site titled with a word that starts with a maker's name (nmap's http-title of a
    # public HTB write-up) names neither that maker nor a printer
    ("http_title", "Brotherhood Software", "printer", "Brother"),
    # web applications titled with the words of printers' web servers (Kyocera's Command
    # Center, HP's and others' EWS) are no printers (titles in public GitHub code)
    ("http_title", "Command Center | Advanced Analytics", "printer", "Kyocera"),
    ("http_title", "COMMAND CENTER LOGIN | Fortunes Collection", "printer", "Kyocera"),
    ("http_title", "EWS Developer Portal - Secure Access", "printer", None),
    # HP Inc's own web site certificate is no printer's (a real subject in public tool output);
    # a UniFi OS console's certificate names no role (gateway, Cloud Key or recorder)
    ("tls_subject", "countryName=US, stateOrProvinceName=California, localityName=Palo Alto, "
     "organizationName=HP Inc, commonName=hpcom-pro-domain-cloudfront-13.hpcloud.hp.com", "printer", None),
    ("tls_subject", "commonName=unifi.local", "router", None),
    # session 11, lead: Brother's TD-4100N label printer is no TP-Link TD- modem router; the
    # words "Remote UI" in another product's title are not Canon's Remote UI
    ("http_title", "Brother TD-4100N", "router", "TP-Link"),
    ("http_title", "Remote UI proof", "printer", "Canon"),
    # EWS-NIC cards sit in the Dell printers built on Fuji Xerox's too
    ("http_server", "EWS-NIC4/13.40", None, "Xerox"),
    # session 11, greet2: NETGEAR's managed switches greet with their GSM/XSM/FSM model in
    # parentheses; Zyxel's and Allied Telesis' GS switches are not NETGEAR's
    ("telnet_banner", "ZyXEL GS1900 login:", None, "Netgear"),
    ("telnet_banner", "AT-GS950/24", None, "Netgear"),
    # session 11, oid: Cisco's product numbers (CISCO-PRODUCTS-MIB) share one subtree for every
    # kind; the numbers next to the listed ones are other kinds: a wireless LAN controller
    # (ciscoAirCt2504K9, 1279) and a wireless bridge (ciscoBr1430, 1030) are no access points,
    # the access point module of an 860 router (cisco860Ap, 869) is no router, Cisco Secure ACS
    # (1117) and a UCS server's CIMC (2178, LibreNMS cimc.snmprec) are neither switch nor router
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.1279", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.1030", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.869", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.1117", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.1117", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.2178", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.2178", "router", None),
    # more of Cisco's neighbours: the Catalyst 5760 wireless controller (2026) is no switch, the
    # Edge 340 digital media player (2094) and the C1100TG terminal server (2971) are no routers
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.2026", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.2094", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.2971", "router", None),
    # HP's hpEtherSwitch branch (HP-ICF-OID) holds an access controller (J8153A 720wl, 39), a
    # router (J8680A E9408sl, 54) and a network access controller (J9065A, 73) among its switches
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.11.39", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.11.39", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.11.54", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.11.73", "switch", None),
    # APC's products.system branch (PowerNet-MIB) also registers PowerChute Network Shutdown
    # (pcns4, 318.1.3.31.1), software on a server, and cooling units (airFMSeries, 318.1.3.14.1)
    ("snmp_sysobjectid", "1.3.6.1.4.1.318.1.3.31.1", "ups", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.318.1.3.14.1", "ups", None),
    # Aruba's switchProducts branch (ARUBA-MIB 14823.1.1) is mobility controllers, no access
    # points (Datadog's aruba-switch profile: 14823.1.1.32 'ArubaOS (MODEL: Aruba7210-US)')
    ("snmp_sysobjectid", "1.3.6.1.4.1.14823.1.1.32", "access-point", None),
    # session 11, web2: realms of web applications that begin like Dahua's serial realm are no
    # cameras (a Flask app's and a script's realms in public code); a Netgear switch's model
    # and the bare maker name in a realm are no Netgear router
    ("http_auth", 'Basic realm="Login to use!"', "camera", "Dahua"),
    ("http_auth", 'Basic realm="Login to Myriad Utility URL"', "camera", "Dahua"),
    ("http_auth", 'Basic realm="NETGEAR GS308E"', "router", None),
    ("http_auth", 'Basic realm="Netgear"', "router", None),
    # MicroBT's WhatsMiner runs OpenWrt's LuCI but is no router; another product's "Luci" page
    ("http_title", "WhatsMiner - Overview - LuCI", "router", None),
    ("http_title", "Smartboard - Luci", "router", None),
    # SNOMED CT terminology tools, which a practice may run, are no snom phones; a phone book
    # web app named after snom phones is no phone (titles in public code)
    ("http_title", "SNOMED CT GP/FP RefSet Field Test - Home", "voip-phone", "Snom"),
    ("http_title", "Snomed Search", "voip-phone", "Snom"),
    ("http_title", "Snom Telefonbuch", "voip-phone", None),
    # "Web Service" in mixed case titles web applications (PHP and JSP pages in public code)
    ("http_title", "Web Service", "camera", None),
    # the ACE framework's JAWS web server (its source in public code) is no DVR
    ("http_server", "JAWS/1.0prebeta", "camera", None),
    # session 11, lines: names of product lines that another maker or another kind of device
    # also uses. Huawei's USG firewalls are no Zyxel USG FLEX (the model in a session cookie of
    # nmap 7.93's nselib/http.lua tests, line 3003)
    ("http_title", "Huawei USG6320", None, "Zyxel"),
    # IBM sold ThinkPads until 2005: no Lenovo (the Linux hdaps driver's log line in public code)
    ("snmp_sysdescr", "hdaps: IBM ThinkPad T43 detected.", None, "Lenovo"),
    # Epson's WorkForce DS- document scanners are no printers (model names as public code
    # lists them among scanners)
    ("http_title", "Epson WorkForce DS-530", "printer", None),
    ("http_title", "WorkForce DS-1660W", "printer", None),
    # Unify's OpenScape call server is no desk phone (fingerprints/model_families.toml's example)
    ("http_title", "OpenScape Business X1", "voip-phone", None),
    # TP-Link's Tapo plugs are no cameras (a Go package's doc comment in public code); Hanwha's
    # Wisenet WAVE is video management software, no camera (a public VMS product list)
    ("http_title", "Tapo P100 smart plugs", "camera", None),
    ("http_title", "Wisenet WAVE VMS", "camera", None),
    # Samsung Techwin made the Wisenet models before Hanwha bought it: no Hanwha after Samsung
    # (a shop's product name in public code)
    ("http_title", "Camera IP Samsung QND-7080RP", None, "Hanwha"),
    # Technologic Systems' TS-7xxx single-board computers are no QNAP NAS (U-Boot recipe and
    # kernel driver comments in public code)
    ("snmp_sysdescr", "U-Boot for Technologic Systems TS-7180", "nas", "QNAP"),
    ("snmp_sysdescr", "Configuration settings for the Technologic Systems TS-7250-V3", "nas", "QNAP"),
    # a portal's parts are no BMC (the plural as a public React page heads a section)
    ("http_title", "Scope of Integrated Management Modules", "management-controller", None),
    # Lenovo's ThinkPad Edge notebooks are no Poly Edge phones (linux-hardware.org probe tables)
    ("http_title", "Lenovo ThinkPad Edge E540", "voip-phone", "Polycom"),
    # HP's ENVY notebooks are no ENVY printers (the Linux HDA quirk table's name)
    ("http_title", "HP ENVY x360 Convertible 15-eu0xxx", "printer", None),
    # session 13, helper dhcp: DHCP classes that name a maker or an operating system and no
    # device kind. Windows sends MSFT 5.0 on desks and servers alike; Android's dhcpcd 5.5.6
    # runs in e-book readers and Crestron panels (satori dhcp.xml: "Amazon Fire OS 3.0",
    # "Crestron"); satori's WLAN controllers (SymbolWS, RBT-8200) are no access points; the
    # PlayBook (BlackBerry Tablet OS) is no phone; Aruba's Instant APs are no switches
    ("dhcp_vendor_class", "MSFT 5.0", "workstation", None),
    ("dhcp_vendor_class", "MSFT 5.0", "server", None),
    ("dhcp_vendor_class", "dhcpcd-5.5.6", "smartphone", None),
    ("dhcp_vendor_class", "dhcpcd-5.5.6", "media", None),
    ("dhcp_vendor_class", "SymbolWS", "access-point", None),
    ("dhcp_vendor_class", "RBT-8200", "access-point", None),
    ("dhcp_vendor_class", "BlackBerry Tablet OS", "smartphone", None),
    ("dhcp_vendor_class", "ArubaInstantAP", "switch", None),
    # NAS model names in mDNS TXT (fingerprints/mdns_model.toml): Technologic Systems' TS-7180
    # board (its name in public U-Boot code) is no QNAP, a serial line is no RackStation
    ("mdns_model", "TS-7180", "nas", "QNAP"),
    ("mdns_model", "RS232", "nas", "Synology"),
    # DHCP classes of boot firmware and cable modems name no device kind (dnsmasq
    # configurations on GitHub match PXEClient:Arch:00007, HTTPClient:Arch:00016, U-Boot;
    # Wireshark decodes docsis classes), nor does TR-111's dslforum.org
    ("dhcp_vendor_class", "PXEClient:Arch:00007", "workstation", None),
    ("dhcp_vendor_class", "HTTPClient:Arch:00016", "workstation", None),
    ("dhcp_vendor_class", "U-Boot", "iot", None),
    ("dhcp_vendor_class", "dslforum.org", "router", None),
    # Cisco's Plug and Play class comes from routers and switches alike
    ("dhcp_vendor_class", "ciscopnp", "switch", None),
    ("dhcp_vendor_class", "ciscopnp", "router", None),
    # session 13, greet helper (Telnet/SSH/FTP greetings; the literal text of nmap 7.93's
    # nmap-service-probes lines). Konica Minolta's printers ask "User Name : " as APC's cards do
    # (line 6080): neither UPS nor a switch's bare "User Name:"; Airaya's access point asks
    # "User Name:" inside a longer greeting (line 6170); Foundry's login prompt is no HP iLO
    # (line 4196); Comware's ACL refusal comes from switches, routers and firewalls (line 4590,
    # HP's and H3C's command references); Allied Telesyn's greeting is no router's alone (lines
    # 4080-4081, switches); RomCliSecure is Allegro Software's SSH toolkit, no ADTRAN (line 3628)
    ("telnet_banner", "\n\rUser Name : ", "ups", "APC"),
    ("telnet_banner", "\n\rUser Name : ", "switch", None),
    ("telnet_banner", "\n\rUser Name : \n\rPassword :\n\r\r\n*** Incorrect User Name or Password ***"
     "\r\n\n\rUser Name : ", "ups", "APC"),
    ("telnet_banner", "User Name: \r\r\nPassword: \r\r\nRemote MAC address: ", "switch", None),
    ("telnet_banner", "\r\nUser Access Verification\r\n\r\nPlease Enter Login Name: ",
     "management-controller", "HP"),
    ("telnet_banner", "%connection closed by remote host!", "switch", None),
    ("telnet_banner", "\r\n%connection closed by remote host!\x00", "router", None),
    ("telnet_banner", "\r\nTELNET session now in ESTABLISHED state\r\n\r\n", "router", None),
    ("ssh_banner", "SSH-2.0-RomCliSecure_", None, "ADTRAN"),
    # APC's AP9630 repeats its "User Name : " prompt (line 6191): no switch; HP ProCurve's secure
    # router frames no "User Access Login" in asterisks (line 4369): no TP-Link switch
    ("telnet_banner", "\r\nUser Name : \r\nUser Name : \r\nUser Name : ", "switch", None),
    ("telnet_banner", "\r\n\r\n\r\nUser Access Login\r\n\r\nUsername:", "switch", "TP-Link"),
    # session 13, snmp: neighbours of the listed sysObjectIDs that are other kinds. Cisco's
    # 4224 (9.1.399) is 'switch, router and voice gateway' in one, the MSFC (258) a card in a
    # Catalyst, the 1410 (533) a wireless bridge, the Catalyst 6500 firewall blade (522) a
    # module (CISCO-PRODUCTS-MIB); NetApp's NetCache (789.2.2) is a web cache (NETAPP-MIB);
    # Dell's W-650 (674.10895.5001) is an Aruba-built wireless controller (DELL-WLAN-MIB);
    # Zyxel's P-2302R (890.1.2.10.10) is a VoIP adapter, the ZyWALL IDP 10 (890.1.6.11) an
    # intrusion-prevention box, esSeriesCommon (890.1.5.8.1) a MIB node (ZYXEL-MIB via Open-AudIT);
    # Epson's projectors answer under 1248.4.1 (LibreNMS' epson-projector sensors)
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.399", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.399", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.258", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.533", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.9.1.522", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.789.2.2", "nas", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.674.10895.5001", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.2.10.10", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.6.11", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.890.1.5.8.1", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.1248.4.1", "printer", None),
    # LCOS' unified 2356.11 runs on LANCOM's routers and access points alike; Ruckus'
    # ZoneDirector controllers (25053.3.1.5) are no ZoneFlex access points; HP's Virtual
    # Connect Flex-10 (11.5.7.5.1) is a blade interconnect, no management controller (Observium)
    ("snmp_sysobjectid", "1.3.6.1.4.1.2356.11.8.103", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.2356.11.8.103", "router", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.25053.3.1.5.1", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.5.7.5.1", "management-controller", None),
    # NETGEAR's cable modem under its switch number (4526.1.1.1.1.0.1.3.9.12 'CG814CCR Cable
    # Modem') and WLAN switch (4526.6.1), TP-Link's contested 11863.1.1.2 (a switch for
    # Open-AudIT, an access point for Observium), D-Link's VoIP gateways (171.10.33)
    ("snmp_sysobjectid", "1.3.6.1.4.1.4526.1.1.1.1.0.1.3.9.12", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.4526.6.1", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11863.1.1.2", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11863.1.1.2", "access-point", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.171.10.33", "access-point", None),
    # ArubaOS on Aruba's mobility controllers names the controller's model (Greenbone's
    # gb_arubaos_snmp_detect.nasl comments): no access point
    ("snmp_sysdescr", "ArubaOS (MODEL: Aruba7005), Version 8.5.0.0-2.1.0.3 (77821)", "access-point", None),
    ("snmp_sysdescr", "ArubaOS (MODEL: Aruba200-US), Version 5.0.4.16 (43995)", "access-point", None),
    # LibreNMS' NetAgent II definition excepts Phoenixtec's 935.10 from its UPS cards
    ("snmp_sysobjectid", "1.3.6.1.4.1.935.10", "ups", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.935.10.1", "ups", None),
    # HP's chassis branch (HP-ICF-OID netElement 8) names switch stacks only under
    # hpicfStacks 2-7: a stack of AdvanceStack switching hubs (8.5.1), the J2603A repeater
    # SNMP module (8.1) and a switch power-supply bay (8.7.5) are no switches
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.8.5.1", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.8.1", "switch", None),
    ("snmp_sysobjectid", "1.3.6.1.4.1.11.2.3.7.8.7.5", "switch", None),
    # session 13, web: a Linksys access point's realm is no router (nmap's Linksys fingerprint
    # quotes "Linksys WAP200" next to the E2000 router)
    ("http_auth", 'Basic realm="Linksys WAP200"', "router", None),
    # a salon app named Comfortel is no Auerswald COMfortel phone (its chat page in public code)
    ("http_title", "Messages are end-to-end encrypted. Business messages are also read by Comfortel.",
     "voip-phone", "Auerswald"),
    # Epson's WorkForce DS- scanners are no Hikvision recorders, MikroTik's cAP access points
    # no routers (the makers' product names)
    ("http_title", "Epson WorkForce DS-7500", "camera", "Hikvision"),
    ("http_title", "MikroTik cAP ac", "router", None),
    ("http_title", "MikroTik RB260GS", "router", None),
    # Dell's S-series data-centre switches are no Dell printers (Dell's model names)
    ("http_title", "Dell S4148F-ON", "printer", None),
    # session 13, helper nuclei (nuclei-templates' whole titles): Microsoft's IIS 8 start page
    # (iisstart.htm) is no Xerox "Internet Services" printer; a generic webcam's live view
    # (GHDB's dork 'intitle:"Live View / - WebCam"') is no Axis camera
    ("http_title", "Microsoft Internet Information Services 8", "printer", "Xerox"),
    ("http_title", "Live View / - WebCam", None, "Axis"),
    # session 13, helper satori: a bare Grandstream Server header with a version is a phone or
    # adapter, but Grandstream's access points (GWN) are none (the maker's product name)
    ("http_server", "Grandstream GWN7630", "voip-phone", None),
    # embedded web servers and SSH stacks that many kinds of device share name no device (the
    # headers as a public Censys survey of a network and nmap's literal text show them; the
    # role each one's nmap lines mostly give)
    ("http_server", "GoAhead-Webs", "access-point", None),
    ("http_server", "Boa/0.94.14rc21", "camera", None),
    ("http_server", "lighttpd/1.4.39", "nas", None),
    ("http_server", "Allegro-Software-RomPager/4.01", "printer", None),
    ("http_server", "Allegro-Software-RomPager/4.01", "ups", None),
    ("http_server", "Mbedthis-Appweb/2.4.2", "management-controller", None),
    ("http_server", "micro_httpd", "router", None),
    ("ssh_banner", "SSH-2.0-dropbear_2020.81", "router", None),
    ("ssh_banner", "SSH-2.0-Cisco-1.25", "router", None),
    ("ssh_banner", "SSH-2.0-Cisco-1.25", "switch", None),
    # webcam and video-recording software on a PC is no camera (headers from the decoy server's
    # list of real ones: webcamXP and Yawcam are Windows programs, Blue Iris a PC NVR)
    ("http_server", "webcamXP", "camera", None),
    ("http_server", "Yawcam", "camera", None),
    ("http_server", "BlueIris-HTTP/1.1", "camera", None),
    # Grandstream's GXV35xx-37xx are cameras and encoders, not video phones (the Telnet
    # greeting of a GXV3674 in fingerprints/telnet_banner_devices.toml)
    ("http_title", "Grandstream GXV3674_FHD_VF", "voip-phone", None),
    # Sun's and Oracle's ILOM (Integrated Lights Out Manager) is no HP iLO
    ("http_title", "Sun Integrated Lights-Out Manager", None, "HP"),
    # session 13, helper lines: model numbers whose prefix other makers share (the model names
    # as each maker writes them). TRENDnet's TL2- switches are no TP-Link; Avocent's DSR KVM
    # switches no D-Link router; Huawei's four-digit USG firewalls and Ubiquiti's USG-3P no Zyxel;
    # Canon's PIXMA TS inkjets no Buffalo TeraStation; serial lines no RackStation; Trapeze's
    # MX wireless controllers no Sharp MFP; the X Window System and Netgear's Orbi RBR50 no
    # Supermicro or MikroTik; Canon's PowerShot no printer; D-Link's DVA- VoIP routers no
    # Synology recorder; Uniview's IPC cameras no Dahua; Cisco's 9800 wireless controllers no
    # switch; bintec's RT routers no ASUS; Netgear's and LANCOM's GS switches no Zyxel
    ("http_title", "TRENDnet TL2-G244", None, "TP-Link"),
    ("http_title", "Avocent DSR1021", "router", "D-Link"),
    ("http_title", "HUAWEI USG6305E", None, "Zyxel"),
    ("http_title", "UniFi Security Gateway USG-3P", None, "Zyxel"),
    ("http_title", "Canon PIXMA TS3150", "nas", "Buffalo"),
    ("http_title", "TS5150", "nas", "Buffalo"),
    ("snmp_sysdescr", "RS232 to Ethernet converter", "nas", "Synology"),
    ("http_title", "Trapeze MX-200R", "printer", "Sharp"),
    ("http_title", "Trapeze MX-2800", "printer", "Sharp"),
    ("http_title", "/tmp/.X11-unix", None, "Supermicro"),
    ("http_title", "NETGEAR Orbi RBR50", None, "MikroTik"),
    ("http_title", "Canon PowerShot G7 X Mark III", "printer", None),
    ("http_title", "D-Link DVA-5592", "camera", "Synology"),
    ("http_title", "IPC2124LR3-PF40", None, "Dahua"),
    ("http_title", "C9800-40-K9", "switch", None),
    ("http_title", "bintec RT1202", None, "Asus"),
    ("http_title", "NETGEAR GS108", None, "Zyxel"),
    ("http_title", "LANCOM GS-2326P+", None, "Zyxel"),
    # (batch 2) other makers' TVs with Google's or Amazon's platform, Apple's streaming service,
    # software named Sentinel (nmap 7.93's lines 304, 7870, 10477) are no player or UPS
    ("ssdp_server", "Chromecast built-in", None, "Google"),
    ("http_title", "Ninja Sphere Chromecast driver", "media", "Google"),
    ("http_title", "Toshiba Fire TV Edition", None, "Amazon"),
    ("http_title", "Apple TV+", "media", None),
    ("http_title", "SafeNet Sentinel Keys License Monitor httpd", "ups", "Riello"),
    ("http_title", "NetIQ Sentinel appliance", "ups", "Riello"),
    # (batch 3) SMC Networks' switches are no APC UPS; Sony's earbuds no Epson printer; Epson's
    # LX dot-matrix printers no LANCOM access point; ORiNOCO's access points (nmap 7.93's lines
    # 6579 and 7058) no Aruba; Lexmark's four-digit MB/MC MFPs no OKI; Cisco's and Zyxel's
    # switches no Sophos firewall; TP-Link's TG- network card no Arris gateway
    ("http_title", "SMC8024L2", "ups", "APC"),
    ("http_title", "Sony WF-1000XM4", "printer", "Epson"),
    ("http_title", "Sony WF-C500", "printer", "Epson"),
    ("http_title", "Epson LX-350", "access-point", "LANCOM"),
    ("http_title", "ORiNOCO AP-600", None, "Aruba"),
    ("http_title", "Orinoco AP-200 webadmin", None, "Aruba"),
    ("http_title", "Lexmark MB2236adw", None, "OKI"),
    ("http_title", "MC3326adwe", None, "OKI"),
    ("http_title", "SG350-10", "router", "Sophos"),
    ("http_title", "XGS1930-28", "router", "Sophos"),
    ("http_title", "TP-Link TG-3468", "router", "Arris"),
    # (batch 4) Planet's GS- switches are no LANCOM; Netgear's Nighthawk switch no router;
    # Zyxel's four-digit WAC access points no Netgear
    ("http_title", "PLANET GS-4210-24T2S", None, "LANCOM"),
    ("http_title", "Nighthawk S8000", "router", None),
    ("http_title", "WAC6103D-I", None, "Netgear"),
    # (batch 5) a dead star and a bird are no Securepoint firewall (public code's text)
    ("http_title", "A black dwarf is pretty much a dead star", "router", "Securepoint"),
    ("http_title", "Black Dwarf Hornbill", "router", "Securepoint"),
    # (batch 5) nmap 7.93's nmap-os-db: a Star Track satellite receiver is no APC UPS, a
    # Philips ADSL modem no Technicolor
    ("http_title", "Star Track SRT2014HD satellite receiver", "ups", "APC"),
    ("http_title", "Philips CGA5722", None, "Technicolor"),
    # (batch 6) Dell's monitors are no printers (model names as Dell writes them)
    ("http_title", "Dell S2721DGF", "printer", None),
    ("http_title", "Dell E2416H", "printer", None),
    # (batch 7, nmap-os-db fingerprint names) Sitecom's WL- access points are no ASUS; Aruba's
    # Instant On switches no access points; Epson's projectors no printers
    ("http_title", "Sitecom WL-342 WAP", None, "Asus"),
    ("http_title", "Aruba Instant On 1930 24G Class4 PoE 4SFP/SFP+ 195W Switch", "access-point", None),
    ("http_title", "Epson G5200W projector", "printer", None),
    # (batch 8) Samsung's monitors are no printers (the model name as Samsung writes it)
    ("http_title", "Samsung C24F390", "printer", None),
    # Sun's ILOM is no HP iLO (nmap 7.93's nmap-os-db fingerprint name; in SNMP: http_title.toml's
    # title.hp-ilo, not one of this helper's files, still reads the title so)
    ("snmp_sysdescr", "Sun Integrated Lights-Out Manager", None, "HP"),
    # TalkSwitch's TS-350i phone system is no QNAP NAS (nmap 7.93's nmap-service-probes line 9304)
    ("http_title", "TalkSwitch TS-350i VoIP phone http config", "nas", "QNAP"),
    # (batch 9) Google's Nest Wifi is a router, no speaker (the name as Google writes it)
    ("http_title", "Google Nest Wifi", "media", None),
    # Zyxel's WAX access points are no Netgear; Ericsson's RBS radio base stations no Orbi
    ("http_title", "Zyxel WAX510D", None, "Netgear"),
    ("http_title", "Ericsson RBS6201", "access-point", "Netgear"),
    # WD's My Cloud EX2100 is no Juniper switch; Lexmark's four-digit B printers no OKI
    ("http_title", "WD My Cloud EX2100", "switch", "Juniper"),
    ("http_title", "Lexmark B2236dw", None, "OKI"),
    # common words Dell uses as line names name no Dell without a model number
    ("snmp_sysdescr", "Precision Time Protocol", None, "Dell"),
    ("http_title", "Latitude and Longitude", None, "Dell"),
    # Samsung's Galaxy Note 10.1 is a tablet, no smartphone
    ("http_title", "Samsung Galaxy Note 10.1", "smartphone", None),
    # session 13, helper audit: Maxtor's Shared Storage drive (nmap-service-probes' literal
    # title) is no Western Digital My Book World; Synology's Linux sysDescr (its DiskStation
    # host name) is no DrayTek Vigor although both are net-snmp's Linux line
    ("http_title", "SHARED STORAGE DRIVE", None, "Western Digital"),
    ("snmp_sysdescr", "Linux DiskStation 4.4.302+ #64570 SMP", "router", "DrayTek"),
    # Sophos' anti-virus software's web UI (nmap 7.93 line 8028, Medusa httpd) is no firewall
    ("http_title", "Sophos Anti-Virus - Home", "router", None),
    # Securepoint's backup appliance is no firewall (the product name as securepoint.de writes it)
    ("http_title", "Securepoint Unified Backup", "router", None),
    # session 13, helper precision: product names of nmap 7.93's nmap-service-probes (p//,
    # line numbers given) and the literal text of its patterns, run through the model fields.
    # Role words inside the names of software, mail filters and other kinds of device
    # (lines 3046, 4980, 617, 3485, 8885, 13026, 14656, 3944, 3301, 10004, 6316):
    ("smtp_banner", "Barracuda Networks Spam Firewall smtpd", "router", None),
    ("http_title", "Kerio Personal Firewall", "router", None),
    ("http_title", "ConfigServer Security & Firewall", "router", None),
    ("http_title", "Sophos Message Router", "router", None),
    ("http_title", "Sophos PureMessage spam filter http interface", "router", None),
    ("snmp_sysdescr", "SonicWALL Email Security Appliance smtp proxy", "router", None),
    ("http_title", "SIP Express Router", "router", None),
    ("telnet_banner", "Welcome to Tenor Multipath Switch Telnet Server", "switch", None),
    ("smtp_banner", "Sendmail Switch smtpd", "switch", None),
    ("http_title", "Digital Loggers Web Power Switch", "switch", None),
    ("http_title", "Network UPS Tools upsd", "ups", None),
    ("snmp_sysdescr", "Network UPS Tools upsd", "ups", None),
    # TV recorders and satellite card sharing are no surveillance recorders (lines 1203, 5379, 307)
    ("ftp_banner", "Topfield TF7100HDPVRt DVR ftpd", "camera", None),
    ("http_title", "TiVo DVR Crestron control server", "camera", None),
    ("telnet_banner", "CCcam DVR card sharing system information", "camera", None),
    # Apple's QuickTime Streaming Server is no QNAP (line 5604); Catalyst the web frameworks no
    # Cisco switch (lines 1189, 7987); SAP's Internet Communication Manager no Avaya PBX (5726);
    # Samsung Contact, a mail server, no Samsung printer (2602); Sun's ILOM no HP iLO (7878);
    # Citizen's CLP label printers no Samsung (13857); LANCOM's WLAN controller no router (12026)
    ("http_title", "QTSS Admin Server httpd", "nas", "QNAP"),
    ("http_title", "Adobe Business Catalyst CMS ftpd", "switch", "Cisco"),
    ("http_server", "Catalyst Framework httpd", "switch", "Cisco"),
    ("http_server", "SAP NetWeaver Application Server Internet Communication Manager httpd", "pbx", "Avaya"),
    ("snmp_sysdescr", "Samsung Contact pop3d", "printer", None),
    ("http_title", "Sun Integrated Lights-Out httpd", None, "HP"),
    ("http_title", "Citizen CLP-521 printer smbd", None, "Samsung"),
    ("http_title", "Lancom WLAN Controller httpd", "router", None),
    # fingerprint names of nmap 7.93's nmap-os-db with their Class lines: TV recorders, a WLAN
    # controller, a load balancer, a lighting controller, a storage router, an ADSL modem, a scanner
    ("http_title", "DirecTV HR34 DVR (Linux 2.6.22)", "camera", None),
    ("snmp_sysdescr", "Motorola QIP7100 p2 FiOS DVR", "camera", None),
    ("http_title", "3Com WX1200 Wireless LAN Switch", "switch", None),
    ("snmp_sysdescr", "Radware OnDemand Switch 2 XL (APsolute OS 10.31)", "switch", None),
    ("http_title", "Advanced Illumination DCS-100E lighting controller", "camera", "D-Link"),
    ("snmp_sysdescr", "HP E1200 Network Storage Router NAS device or SonicWALL SOHO3 firewall",
     "switch", None),
    ("snmp_sysdescr", "GlobespanVirata GS8100, Huawei MT880, or Solwise SAR 100 ADSL modem", "switch", None),
    ("http_title", "Raritan Dominion SX32 KVM switch or Ricoh Aficio IS200e scanner", "printer", None),
    # QNAP's VioStor video recorder is no NAS, HP's E1200 storage router no switch
    # (nmap 7.93's nmap-service-probes lines 9662, 6186)
    ("http_title", "Qnap VioStor video recorder http admin", "nas", None),
    ("snmp_sysdescr", "HP E1200 storage telnetd", "switch", None),
    # Google's video server (YouTube's, nmap 7.93's nmap-service-probes line 9901) is no camera
    ("http_title", "Google Video Server", "camera", None),
    # TP-Link's embedded web server names itself so on its Web Smart Switches, powerline
    # extenders and wireless adapters too (lines 8097-8110); Piolink's load balancer (5698)
    ("http_server", "TP-LINK Router", "router", None),
    ("http_server", "Router Webserver", "router", None),
    ("http_server", "Router", "router", None),
    ("http_server", "Piolink Switch", "switch", None),
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
    ("mdns_model", "J105aAP", "media", "Apple"),
    ("mdns_model", "J207AP", "tablet", "Apple"),
    ("mdns_model", "D54pAP", "smartphone", "Apple"),
    ("telnet_banner", "User Access Verification\r\n\r\nUsername:", None, "Cisco"),
    ("ftp_banner", "NRG MP C2800 FTP server (8.25) ready.", "printer", "Ricoh"),
    ("http_auth", 'Basic realm="HP J4110A"', "switch", "HP"),
    ("mdns_model", "J274AP", "workstation", "Apple"),
    ("mdns_model", "N157sAP", "smartphone", "Apple"),
    ("mdns_model", "B520AP", "media", "Apple"),
    ("dhcp_vendor_class", "AAPLBSDPC/i386/iMac14,3", "workstation", "Apple"),
    ("ssdp_server", "Linux/i686 UPnP/1,0 DLNADOC/1.50 LGE WebOS TV/Version 0.9", "media", "LG"),
    ("ssh_banner", "SSH-2.0-ROSSSH", "router", "MikroTik"),
    ("ssh_banner", "ROSSSH", "router", "MikroTik"),
    # session 10: a scan keeps the FTP reply code that recog's examples leave out (the FTP
    # signatures of a public service scanner by Pradeep Jairamani, OWASP Nettacker's author;
    # nmap-service-probes' FTP lines all begin "^220")
    ("ftp_banner", "220 SHARP MX-M264N Ver 01.05.00.0n.16.U FTP server.", "printer", "Sharp"),
    ("ftp_banner", "220 Hotspot FTP server (MikroTik 6.27) ready", "router", "MikroTik"),
    # device announcements
    ("dhcp_vendor_class", "Poly-VVX-D230", "voip-phone", "Polycom"),
    ("dhcp_vendor_class", "digium_D65_2_9_10", "voip-phone", "Digium"),
    ("dhcp_vendor_class", "ccp.avaya.com", "voip-phone", "Avaya"),
    # Google Fiber's dhcpvendortax test (host-dhcpvendortax, wvtest) quotes this class
    ("dhcp_vendor_class", "Mfg=DELL;Typ=Printer;Mod=Dell 2330dn Laser Printer;Ser=0123AB5;", "printer", "Dell"),
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


def test_maker_rules_spelt_by_the_maker_match_case_sensitively() -> None:
    # "NRG" and "SAVIN" are Ricoh brands only in the maker's capitals
    assert not match_value("ftp_banner", "nrg mp c2800 FTP server (8.25) ready.")
    assert match_value("ftp_banner", "NRG MP C2800 FTP server (8.25) ready.")


def test_rules_for_the_new_roles_name_their_source() -> None:
    for f in load_rules():
        for rule in f.rules:
            role = dict(rule.constants).get("role")
            if role in NEW_ROLES or f.field == "http_auth":
                assert rule.origin, f"{rule.source}: a rule of issue 14 names its source"


# The maker-name guess (scanner/classification/makers.py): a maker's own name where devices
# write theirs. Real strings from recog's examples (seen and dev parts of tests/data/corpus).
MAKER_NAME_RIGHT = [
    ("ftp_banner", "SHARP MX-M363N Ver 01.05.00.1k FTP server.", "Sharp"),
    ("ftp_banner", "Welcome to the Cisco TelePresence IP GW 3510, version 2.0(3.32) ", "Cisco"),
    ("telnet_banner", "Grandstream GXW4216  V2.3B Command Shell Copyright 2015\r\nPassword:",
     "Grandstream"),
    ("telnet_banner", "ZyXEL login:", "Zyxel"),
    # makers added for breadth in session 8 (fingerprints/maker_spellings.txt): recog
    # html_title.xml examples of the corpus' dev part
    ("http_title", "Inveo Lantick Ethernet Relay Controller", "Inveo"),
    ("http_title", "Anybus-CC EtherNet/IP", "Anybus"),
    ("ssh_banner", "HUAWEI-1.5", "Huawei"),
    ("ssh_banner", "SSH-2.0-Cisco-1.25", "Cisco"),
    ("dhcp_vendor_class", "Cisco AIR-CTVM-K9", "Cisco"),
    ("dhcp_vendor_class", "AXIS,Network IO Audio Module,P8221,5.10.2", "Axis"),
    ("http_title", "Emerson Network Power Rack PDU Card", "Emerson"),
    ("http_server", "HP-iLO-Server/1.30", "HP"),
    # a brand names its maker: Allen-Bradley is Rockwell Automation's
    ("snmp_sysdescr", "Allen-Bradley 1766-L32AWA A/5.00 MicroLogix1400 Series A Revision 5.0",
     "Rockwell Automation"),
    # the holder of a copyright notice made the device (recog telnet_banners.xml, snmp_sysdescr.xml)
    ("telnet_banner", "Welcome Visiting Huawei Home Gateway\r\nCopyright by Huawei Technologies "
                      "Co., Ltd.\r\n\r\nLogin:", "Huawei"),
    ("snmp_sysdescr", "Ethernet Routing Switch 2526T (Stack Enabled) HW:01 FW:1.0.0.13 "
                      "SW:v4.1.0.000 BN:00 (c) Nortel Networks", "Nortel"),
    # a default certificate names its maker as its organisation (recog x509_subjects.xml)
    ("tls_subject", "commonName=FortiMail, organizationalUnitName=FortiMail, "
                    "organizationName=Fortinet, localityName=Sunnyvale", "Fortinet"),
    # a maker's name in capitals (recog snmp_sysdescr.xml)
    ("snmp_sysdescr", "NORTEL, Succession 1000/M Call Server, System 2121, Release 3, Issue 0",
     "Nortel"),
    # makers and brands that nmap's database names (fingerprints/maker_spellings.txt), in
    # real greetings (recog ftp_banners.xml, snmp_sysdescr.xml)
    ("ftp_banner", "FUJI XEROX DocuPrint 3055", "Xerox"),
    ("snmp_sysdescr", "Siemens Subscriber Networks 6500-Series (E652)", "Siemens"),
    # a trademark sign after the name (recog html_title.xml)
    ("http_title", "BrightSign&reg;", "BrightSign"),
    # a realm and an SSDP server name the maker first (recog http_wwwauth.xml, upnp_banners.xml)
    ("http_auth", 'Basic realm="TP-LINK Wireless N Access Point WA801N"', "TP-Link"),
    ("ssdp_server", "DrayTek/Vigor2130 UPnP/1.0 miniupnpd/1.0", "DrayTek"),
]

MAKER_NAME_NONE = [
    # software makers' names start greetings of any hardware
    ("telnet_banner", "Welcome to Microsoft Telnet Service \r\n\n\rlogin:"),
    ("ftp_banner", "hostname Microsoft FTP Service"),
    ("http_title", "IIS Windows Server"),
    ("http_server", "Sun-ILOM-Web-Server/1.0"),
    ("http_title", "Welcome to VMware Site Recovery Manager"),
    # operating systems and generic words are no makers
    ("telnet_banner", "Debian GNU/Linux 9\r\nserver-01.2 login:"),
    ("telnet_banner", "Username:"),
    # a maker's name later in the string is not where a device names itself
    ("ftp_banner", "ET0021B7549AF2 Source Technologies ST-9620 FTP Server NR.APS.N447b2 ready."),
    ("telnet_banner", "Welcome Visiting Huawei Home Gateway\r\n\r\nLogin:"),
    # a title names its maker at its start only (recog html_title.xml)
    ("http_title", "Login - Cisco DNA Center"),
    # software makers' copyrights and certificates name no device maker
    ("telnet_banner", "Welcome to Microsoft Telnet Service\r\nCopyright (c) Microsoft Corp."),
    ("tls_subject", "commonName=server99., organizationalUnitName=VMware ESX Server Default "
                    "Certificate, organizationName=VMware, Inc."),
    # an organisational unit is no organisation: a Vizio TV's Cast certificate is Google's
    ("tls_subject", "commonName=9V039WC9 FA8FCA697898, organizationalUnitName=Cast TV (Vizio), "
                    "organizationName=Google Inc"),
    # makers of server software and of parts inside other makers' boxes name no device maker:
    # VBrick's video platform as its admin guide names it ("VBrick Rev v7.10 Admin Guide"),
    # 3CX's PBX software as nmap-service-probes line 14664 names it (cpe:/a:, an application)
    ("http_title", "VBrick Rev"),
    ("http_title", "3CX PhoneSystem"),
]


@pytest.mark.parametrize("field,value,maker", MAKER_NAME_RIGHT, ids=lambda v: str(v)[:30])
def test_a_makers_own_name_names_the_maker(field, value, maker) -> None:
    guesses = [r for r in match_value(field, value) if r.rule.startswith("maker-name:")]
    assert [dict(r.attributes) for r in guesses] == [{"vendor": maker}], guesses


@pytest.mark.parametrize("field,value", MAKER_NAME_NONE, ids=lambda v: str(v)[:30])
def test_software_names_and_words_elsewhere_give_no_maker_guess(field, value) -> None:
    assert not [r for r in match_value(field, value) if r.rule.startswith("maker-name:")]


def test_the_maker_name_guess_is_case_sensitive_and_a_whole_word() -> None:
    # the maker's own spelling only (a real greeting in other letters): "sharp" and "SHARPS"
    # are words, not Sharp
    # (session 13, lines: Sharp's model scheme MX-M363N names Sharp by itself in
    # model_families.toml, so only the name guess is asked here)
    assert not [r for r in match_value("ftp_banner", "sharp MX-M363N Ver 01.05.00.1k FTP server.")
                if r.rule.startswith("maker-name:")]
    assert not [r for r in match_value("ftp_banner", "SHARPS MX-M363N FTP server.")
                if r.rule.startswith("maker-name:")]


def test_the_maker_name_guess_never_decides_a_role_and_ranks_below_rules() -> None:
    from scanner.classification.classify import NMAP_CONFIDENCE
    from scanner.classification.makers import CONFIDENCE

    assert CONFIDENCE < NMAP_CONFIDENCE
    value = "Grandstream GXW4216  V2.3B Command Shell Copyright 2015\r\nPassword:"
    for r in match_value("telnet_banner", value):
        if r.rule.startswith("maker-name:"):
            assert "role" not in dict(r.attributes)


def test_maker_spellings_name_makers_of_the_vocabulary(tmp_path) -> None:
    import shutil

    from scanner.classification.fingerprints import RuleError, fingerprint_dir
    from scanner.classification.makers import load_spellings

    spellings = load_spellings()
    assert "Microsoft" not in spellings and spellings["Ricoh"][:2] == ("Ricoh", "RICOH")
    shutil.copy(fingerprint_dir() / "vendors.txt", tmp_path / "vendors.txt")
    (tmp_path / "maker_spellings.txt").write_text("Rikoh: RICOH\n", encoding="utf-8")
    with pytest.raises(RuleError, match="maker_spellings.txt:1"):
        load_spellings(tmp_path)
    (tmp_path / "maker_spellings.txt").write_text("Ricoh: RICOH\nSharp: RICOH\n")
    with pytest.raises(RuleError, match="claimed by Ricoh and Sharp"):
        load_spellings(tmp_path)


# Model families (fingerprints/model_families.toml) are read in every field where a device
# names its model: real strings of the corpus' seen and dev parts and LibreNMS's test data.
FAMILY_RIGHT = [
    # session 8: the IOS images of Cisco's 1800 routers (fusioninventory-agent dico.pm)
    ("snmp_sysdescr", "Cisco IOS Software, 1841 Software (C1841-IPBASE-M), Version 12.4(1c), "
                      "RELEASE SOFTWARE (fc1)", "router"),
    ("telnet_banner", "Fritz!Box web password: ", "router"),
    ("snmp_sysdescr", "WS6-DGS-1210-52/F1 6.10.007", "switch"),
    ("snmp_sysdescr", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version "
                      "15.0(2a)EX5, RELEASE SOFTWARE (fc3)", "switch"),
    ("snmp_sysdescr", "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), "
                      "Version 15.4(3)M3, RELEASE SOFTWARE (fc2)", "router"),
    ("tls_subject", "commonName=HP Jetdirect 38831831, organizationalUnitName=2C413883186A, "
                    "organizationalUnitName=J8028E, organizationName=Hewlett-Packard Co.", "printer"),
    ("dhcp_vendor_class", "Polycom-VVX410", "voip-phone"),
    ("ftp_banner", "TASKalfa 520i FTP server", "printer"),
    ("ssdp_server", "DrayTek/Vigor2130 UPnP/1.0 miniupnpd/1.0", "router"),
]


@pytest.mark.parametrize("field,value,role", FAMILY_RIGHT, ids=lambda v: str(v)[:30])
def test_a_model_family_names_the_role_in_any_field(field, value, role) -> None:
    families = [dict(r.attributes) for r in match_value(field, value)
                if r.rule.startswith("family.")]
    assert [a["role"] for a in families] == [role], families


# Product lines that name their maker (fingerprints/product_lines.toml): in any field, the
# maker only. Real strings: nmap 7.93's nmap-service-probes titles and recog examples.
LINE_RIGHT = [
    ("http_title", "Fireware XTM WebUI", "WatchGuard"),          # nmap line 10170
    ("http_title", "NetBotz Network Monitoring Appliance -  ", "APC"),  # nmap line 8409
    ("http_title", "Dominion SX32", "Raritan"),                  # nmap line 7831
    ("snmp_sysdescr", "NetScreen-5GT version 6.2.0r4.0 (SN: 0064082005002928, Firewall+VPN)",
     "Juniper"),
    # session 11, lines: lines named without their maker (the rules' examples and sources)
    ("http_title", "USG FLEX 100", "Zyxel"),
    ("snmp_sysdescr", "COMfortel D-400", "Auerswald"),
    ("http_title", "ThinkCentre M81 7517A2F", "Lenovo"),
    ("snmp_sysdescr", "LIFEBOOK E752", "Fujitsu"),
]

LINE_WRONG = [
    # OfficeConnect was 3Com's line before HP bought 3Com: no HP (nmap 7.93's titles)
    ("http_title", "OfficeConnect 11Mbps Wireless Access Point", "HP"),
    # ProCurve's name decides the maker, the access point's words the role (recog example)
    ("snmp_sysdescr", "ProCurve Access Point 530", "Cisco"),
    # session 11, lines: an IBM ThinkPad is no Lenovo (the Linux hdaps driver's log line)
    ("snmp_sysdescr", "hdaps: IBM ThinkPad T43 detected.", "Lenovo"),
]


@pytest.mark.parametrize("field,value,maker", LINE_RIGHT, ids=lambda v: str(v)[:30])
def test_a_product_line_names_its_maker_and_no_role(field, value, maker) -> None:
    lines = [dict(r.attributes) for r in match_value(field, value) if r.rule.startswith("line.")]
    assert lines == [{"vendor": maker}], lines


@pytest.mark.parametrize("field,value,maker", LINE_WRONG, ids=lambda v: str(v)[:30])
def test_lines_of_several_makers_name_none_of_them(field, value, maker) -> None:
    assert maker not in {r.get("vendor") for r in match_value(field, value)}


# Login prompts of device families (fingerprints/telnet_banner_devices.toml), the whole greeting
# as nmap 7.93's nmap-service-probes telnet lines hold them (option negotiation left out)
TELNET_PROMPTS = [
    # (APC's "User Name : ", lines 3973-3974, left out in session 13: Konica Minolta's printers
    # send it too, line 6080; see WRONG)
    ("\n\r\n\r\rAccount:", "router", "DrayTek"),          # line 3837
    ("\n***************** User Access Login ********************", "switch", "TP-Link"),  # 4770
]


@pytest.mark.parametrize("value,role,maker", TELNET_PROMPTS, ids=lambda v: str(v)[:30])
def test_a_device_familys_login_prompt_names_role_and_maker(value, role, maker) -> None:
    got = match_value("telnet_banner", value)
    assert got and got[0].get("role") == role and got[0].get("vendor") == maker, got


def test_a_prompt_inside_another_devices_greeting_is_not_that_family() -> None:
    # an industrial switch asks "User Name :" inside its menu screen (nmap line 4848): no APC UPS
    menu = ("\x1b[0m\x1b[2J\x1b[03;33HWelcome to the\x1b[05;21H Managed Ethernet Switch"
            "\x1b[13;40H\x1b[15;27HUser Name :\x1b[17;27HPassword  :")
    reasons = match_value("telnet_banner", menu)
    assert "APC" not in {r.get("vendor") for r in reasons}
    assert "ups" not in {r.get("role") for r in reasons}


def test_registered_company_names_and_copyright_holders_name_the_maker() -> None:
    # Supermicro's BMC certificate organisation; H3C's copyright line (nmap line 4855's form)
    assert {r.get("vendor") for r in match_value(
        "tls_subject", "commonName=IPMI, organizationName=Super Micro Computer")} >= {"Supermicro"}
    assert {r.get("vendor") for r in match_value(
        "telnet_banner", "* Copyright (c) 2004-2013 Hangzhou H3C Tech. Co., Ltd.")} == {"H3C"}
    # the registered names of Epson and APC (IEEE OUI registry) as a certificate's organisation
    for company, maker in (("Seiko Epson Corporation", "Epson"),
                           ("American Power Conversion Corp", "APC")):
        assert {r.get("vendor") for r in match_value(
            "tls_subject", f"organizationName={company}")} == {maker}

