#!/usr/bin/env python3
"""Classification speed: 10,000 hosts' observations, and loading the rules.

Run from the checkout:  .venv/bin/python scripts/benchmark_classify.py
The hosts are made from the evidence kinds a lab scan produces (MAC vendor, host names,
DHCP, mDNS, SSDP, UPnP, HTTP, TLS, banners, SNMP, connector.sds, SICCT, DICOM, ports),
with varied values, so every rule file is exercised. No network is used.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.classification.classify import classify  # noqa: E402
from scanner.classification.fingerprints import load_file, load_rules  # noqa: E402
from scanner.model import Host, Observation, Protocol, Service, Source  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PROFILES = [
    ("AVM Audiovisuelles Marketing und Computersysteme GmbH", ["fritz.box"], [80, 49000],
     [("http", {"title": "FRITZ!Box", "server": "nginx/1.22.1"}),
      ("upnp-device", {"manufacturer": "AVM", "model_name": "FRITZ!Box 7590",
                       "device_type": "urn:schemas-upnp-org:device:InternetGatewayDevice:2"}),
      ("ssdp", {"server": "Debian/6.1 UPnP/1.1 MiniUPnPd/2.3.1"})]),
    ("KoCo Connector AG", ["kocobox"], [80, 443, 636, 8500],
     [("connector-sds", {"vendor_id": "KOCOC", "product_code": "kocobox", "product_name": "KoCoBox MED+"}),
      ("tls", {"subject": "commonName=kocobox"}), ("sicct-client", {})]),
    ("Cherry GmbH", ["ST-1506-0A1B2C"], [4742], [("sicct", {"name": "ST-1506-0A1B2C"})]),
    ("Fujitsu Technology Solutions GmbH", ["PVS-SERVER"], [25, 110, 139, 445, 3389, 5432],
     [("smtp", {"greeting": "220 KOM-LE-Clientmodul ESMTP"}), ("pop3", {"greeting": "+OK KOM-LE Clientmodul POP3"}),
      ("netbios", {"computer": "PVS-SERVER"})]),
    ("SCHILLER AG", ["EKG-PC"], [139, 445], [("netbios", {"computer": "EKG-PC"})]),
    ("GE Healthcare", ["LOGIQ-E10"], [104], [("dicom", {"association": "accepted", "implementation_version": "X"})]),
    ("Brother industries, LTD.", ["BRN0080770A5050"], [631],
     [("snmp", {"sys_descr": "Brother NC-8300w, Firmware Ver.1.05"}),
      ("mdns-service", {"type": "_ipp._tcp", "txt.ty": "Brother HL-L2350DW series"})]),
    ("Synology Incorporated", ["DiskStation"], [21, 22, 445, 5000, 5001],
     [("http", {"title": "Synology DiskStation"}), ("banner", {"protocol": "ssh", "text": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"})]),
    (None, ["iPhone-von-Dr-Weber"], [62078],
     [("mdns-service", {"type": "_device-info._tcp", "txt.model": "iPhone15,2"}), ("dhcp", {"hostname": "iPhone"})]),
    (None, ["Galaxy-S23"], [], [("dhcp", {"vendor_class": "android-dhcp-14"})]),
    ("Dell Inc.", ["DESKTOP-QF3QR4B"], [3389], [("dhcp", {"vendor_class": "MSFT 5.0"})]),
]


def make_hosts(n: int) -> list[Host]:
    rng = random.Random(42)
    hosts = []
    for i in range(n):
        vendor, names, ports, obs = PROFILES[i % len(PROFILES)]
        suffix = f"{rng.randrange(1 << 24):06x}"
        observations = tuple(
            Observation(Source.PROBE, kind, tuple(d.items()), T0)
            for kind, d in obs)
        hosts.append(Host(
            ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            mac=None if vendor is None else f"00:11:22:{suffix[:2]}:{suffix[2:4]}:{suffix[4:]}",
            mac_vendor=vendor, mac_randomized=vendor is None,
            hostnames=tuple(names),
            services=tuple(Service(p, Protocol.TCP) for p in ports),
            observations=observations))
    return hosts


def main() -> None:
    files = sorted((Path(__file__).resolve().parent.parent / "fingerprints").glob("*.toml"))
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        rules = tuple(load_file(f) for f in files)
        loads.append(time.perf_counter() - t)
    load_rules()  # warm the cache the classifier uses
    hosts = make_hosts(10_000)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        classified = [classify(h) for h in hosts]
        runs.append(time.perf_counter() - t)
    unknown = sum(1 for h in classified if h.role.value == "unknown")
    print(f"rules: {sum(len(f.rules) for f in rules)} in {len(rules)} files")
    print(f"rule loading: {statistics.median(loads) * 1000:.1f} ms (median of 5; budget 100 ms)")
    print(f"classification of 10,000 hosts: {statistics.median(runs):.3f} s (median of 3; "
          f"budget 1 s); unclassified: {unknown}")


if __name__ == "__main__":
    main()
