"""A scan of the running lab practice, compared with the lab's ground truth (practice.toml).

The scan runs the real CLI inside the lab's scanner namespace while tcpdump records every
packet the scanner sends, so the scan policy is checked on the wire.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from scanner.jsonio import loads, scan_to_dict
from scanner.lab.lab import SCANNER_NS
from scanner.lab.topology import load_practice
from scanner.lab.wire import busiest_second
from scanner.model import Scan
from tests.capture import capture
from tests.conftest import REPO, praxisscan, root_links

pytestmark = pytest.mark.lab
PRACTICE = load_practice()
SUBNET = str(PRACTICE.subnet)


def _ports(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


@pytest.fixture(scope="module")
def scan_run(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("labscan")
    pcap, json_path = out / "scanner.pcap", out / "scan.json"
    with capture(SCANNER_NS, pcap, "src", PRACTICE.scanner_ip, "or", "arp"):
        r = praxisscan("scan", SUBNET, "--interface", "eth0", "--format", "json",
                       "--output", str(json_path), "--fail-on", "none",
                       "--fritzbox-user", PRACTICE.router.tr064["user"], ns=SCANNER_NS,
                       env={"PRAXISSCAN_FRITZBOX_PASSWORD": PRACTICE.router.tr064["password"]})
    assert r.returncode == 0, r.stderr
    return loads(json_path.read_text()), pcap, r


def test_every_lab_host_is_found_with_its_ip_and_mac(scan_run) -> None:
    scan: Scan = scan_run[0]
    found = {(h.ip, h.mac) for h in scan.hosts}
    expected = {(h.ip, h.mac) for h in PRACTICE.hosts}
    assert found == expected


def test_open_tcp_ports_match_the_ground_truth(scan_run) -> None:
    scan: Scan = scan_run[0]
    probed = _ports(scan.scope.tcp_ports)
    by_ip = {h.ip: h for h in scan.hosts}
    for truth in PRACTICE.hosts:
        seen = {s.port for s in by_ip[truth.ip].services if s.protocol.value == "tcp"}
        assert seen == set(truth.tcp_open) & probed, truth.name
    assert 9100 not in {s.port for h in scan.hosts for s in h.services}


def test_udp_answers_are_services_in_the_json_and_the_inventory(scan_run, tmp_path) -> None:
    """SNMP public (udp/161) and SICCT discovery (udp/4742) answered our probes: the quick
    profile scans no UDP port, yet both are services, once each, marked as seen by a probe."""
    scan: Scan = scan_run[0]
    by_ip = {h.ip: h for h in scan.hosts}
    expect = {"switch": 161, "drucker": 161, "kt-empfang": 4742, "kt-arzt": 4742,
              "fritzbox": 5351}  # NAT-PMP answered the UPnP audit's external-address request
    for name, port in expect.items():
        udp = [s for s in by_ip[PRACTICE.host(name).ip].services
               if s.protocol.value == "udp" and s.port == port]
        assert len(udp) == 1 and udp[0].seen_by.value == "probe", name
        assert port in PRACTICE.host(name).udp_open  # the ground truth listens there
    for h in scan.hosts:  # every port once
        ports = [(s.protocol, s.port) for s in h.services]
        assert len(ports) == len(set(ports)), h.ip
        truth = next(t for t in PRACTICE.hosts if t.ip == h.ip)
        udp = {s.port for s in h.services if s.protocol.value == "udp"}
        assert udp <= set(truth.udp_open) | {5353}, truth.name  # mDNS responders: 5353
    doc = scan_to_dict(scan)
    switch = next(h for h in doc["hosts"] if h["ip"] == PRACTICE.host("switch").ip)
    assert {"port": 161, "protocol": "udp", "seen_by": "probe"}.items() <= next(
        s for s in switch["services"] if s["port"] == 161).items()
    stored = tmp_path / "scan.json"
    stored.write_text(json.dumps(doc))
    r = praxisscan("report", str(stored), "--format", "csv", "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    rows = {line.split(",")[0]: line for line in r.stdout.splitlines()}
    assert "udp/161" in rows[PRACTICE.host("switch").ip]
    assert "udp/4742" in rows[PRACTICE.host("kt-arzt").ip]


def test_firewalled_hosts_are_found_by_arp(scan_run) -> None:
    scan: Scan = scan_run[0]
    ips = {h.ip for h in scan.hosts}
    for name in ("konnektor", "ws-empfang"):  # both drop everything but ARP (and 4 ports)
        assert PRACTICE.host(name).ip in ips


def test_vendors_and_randomised_phones(scan_run) -> None:
    scan: Scan = scan_run[0]
    by_ip = {h.ip: h for h in scan.hosts}
    expect = {"fritzbox": "AVM", "konnektor": "KoCo Connector", "ekg-pc": "SCHILLER",
              "sono": "GE Healthcare", "kt-empfang": "Cherry", "kt-arzt": "Ingenico",
              "nas": "Synology", "drucker": "Brother"}
    for name, vendor in expect.items():
        assert vendor.lower() in (by_ip[PRACTICE.host(name).ip].mac_vendor or "").lower(), name
    for name in ("iphone", "android"):
        phone = by_ip[PRACTICE.host(name).ip]
        assert phone.mac_randomized and phone.mac_vendor is None


def test_services_carry_nmaps_identification(scan_run) -> None:
    scan: Scan = scan_run[0]
    nas = next(h for h in scan.hosts if h.ip == PRACTICE.host("nas").ip)
    ftp = nas.service(21)
    assert ftp and (ftp.product, ftp.version) == ("vsftpd", "3.0.3")
    assert nas.service(22) and nas.service(22).product == "OpenSSH"


def test_nmaps_database_names_the_lab_daemons_in_the_json(scan_run) -> None:
    """OpenSSH, vsftpd, nginx and CUPS announce product and version in what our probes read
    anyway; Samba and PostgreSQL say nothing before a request nmap's NULL/GetRequest probes
    do not make, so the scan file carries no nmap verdict for them."""
    doc = scan_to_dict(scan_run[0])
    hosts = {h["ip"]: h for h in doc["hosts"]}

    def nmap(host: str, port: int) -> dict[str, str]:
        (o,) = [o["data"] for o in hosts[PRACTICE.host(host).ip]["observations"]
                if o["kind"] == "nmap-service" and o["data"]["port"] == str(port)]
        return o

    def service(host: str, port: int) -> dict[str, object]:
        return next(s for s in hosts[PRACTICE.host(host).ip]["services"] if s["port"] == port)

    for host, port, product in (("nas", 22, "OpenSSH"), ("nas", 21, "vsftpd"),
                                ("nas", 5000, "nginx"), ("nas", 5001, "nginx"),
                                ("drucker", 631, "CUPS")):
        got = nmap(host, port)
        assert got["product"] == product and got["version"] and got["soft"] == "no", (host, port)
        assert got["line"].isdigit() and got["cpes"].startswith("cpe:/a:"), (host, port)
        assert service(host, port)["product"] == product and service(host, port)["version"]
    assert nmap("nas", 21)["version"] == "3.0.3"
    assert service("nas", 22)["extra_info"] == "protocol 2.0"  # filled in from nmap
    assert service("drucker", 631)["version"] == nmap("drucker", 631)["version"]  # CUPS: ours had none
    pvs = hosts[PRACTICE.host("pvs-server").ip]
    assert not [o for o in pvs["observations"] if o["kind"] == "nmap-service"
                and o["data"]["port"] in ("139", "445", "5432")]
    assert not [n for n in doc["not_tested"] if n["check"] == "nmap-service-probes"]


def test_the_scan_file_matches_the_schema_and_round_trips(scan_run) -> None:
    scan: Scan = scan_run[0]
    schema = json.loads((REPO / "scanner" / "schema" / "scan.schema.json").read_text())
    doc = scan_to_dict(scan)
    jsonschema.validate(doc, schema)
    assert loads(json.dumps(doc)) == scan
    assert scan.complete
    # scanned without a site file: the allowlist rules say so instead of staying silent
    assert any(n.check == "unknown-device" and "no site file" in n.reason for n in scan.not_tested)


def test_on_the_wire_the_scanner_respects_the_policy(scan_run) -> None:
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.utils import rdpcap

    packets = rdpcap(str(scan_run[1]))
    sent = [p for p in packets if IP in p and p[IP].src == PRACTICE.scanner_ip]
    assert len(sent) > 500, "the capture did not record the scan"
    subnet = ipaddress.ip_network(SUBNET)
    for p in sent:
        dst = ipaddress.ip_address(p[IP].dst)
        assert dst in subnet or dst.is_multicast, f"packet left the lab subnet: {p.summary()}"
        if TCP in p:
            assert not 9100 <= p[TCP].dport <= 9107, p.summary()
        if ICMP in p:  # nmap OS detection sends echo requests with code 9 and odd sizes
            assert p[ICMP].type != 8 or p[ICMP].code == 0, p.summary()
            # our kernel must not answer late replies with port-unreachable
            assert p[ICMP].type != 3, p.summary()
        if UDP in p:  # OS detection's U1 probe: 300 bytes of 'C' to a closed port
            assert bytes(p[UDP].payload) != b"C" * 300, p.summary()


def test_the_lab_added_nothing_to_the_root_namespace(lab) -> None:
    assert root_links() == lab.root_links_before


def test_lab_status_says_ready(lab) -> None:
    r = praxisscan("lab", "status")
    assert r.returncode == 0, r.stdout + r.stderr
    for h in PRACTICE.hosts:
        assert f"{h.name}" in r.stdout
    assert "NOT READY" not in r.stdout


def _in_scanner(code: str) -> str:
    import sys

    return subprocess.run(["ip", "netns", "exec", SCANNER_NS, sys.executable, "-c", code],
                          capture_output=True, text=True, check=True, timeout=30,
                          cwd=REPO).stdout


def test_lab_card_terminals_answer_sicct_discovery(lab) -> None:
    code = f"""
import socket
from scanner.protocols import sicct
for ip in ({PRACTICE.host('kt-empfang').ip!r}, {PRACTICE.host('kt-arzt').ip!r}):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.bind(({PRACTICE.scanner_ip!r}, 0))
    s.sendto(sicct.encode_request({PRACTICE.scanner_ip!r}, s.getsockname()[1]), (ip, 4742))
    r = sicct.parse_reply(s.recv(1024))
    print(r.ip, r.mac, r.name, r.tcp_port, r.tls)
"""
    lines = _in_scanner(code).splitlines()
    emp, arzt = PRACTICE.host("kt-empfang"), PRACTICE.host("kt-arzt")
    assert lines == [f"{emp.ip} {emp.mac} ST-1506-0A1B2C 4742 1.2",
                     f"{arzt.ip} {arzt.mac} ORGA6100-0221734 4742 None"]


def test_lab_konnektor_serves_its_service_directory(lab) -> None:
    ip = PRACTICE.host("konnektor").ip
    code = f"""
import ssl, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
for url in ("https://{ip}/connector.sds", "http://{ip}/connector.sds"):
    print(urllib.request.urlopen(url, context=ctx, timeout=5).read().decode())
"""
    out = _in_scanner(code)
    assert out.count("<ProductCode>kocobox</ProductCode>") == 2
    assert "<ns2:ClientAutMandatory>false</ns2:ClientAutMandatory>" in out
    assert f"https://{ip}:443/service/cardservice" in out


def test_lab_router_has_the_upnp_mapping_and_port_forward(lab) -> None:
    router, nas = PRACTICE.router, PRACTICE.host("nas")
    out = subprocess.run(["ip", "netns", "exec", SCANNER_NS, "upnpc", "-u",
                          f"http://{router.ip}:5000/rootDesc.xml", "-l"],
                         capture_output=True, text=True, timeout=20).stdout
    assert f"5001->{nas.ip}:5001" in out and "Synology DSM" in out
    rules = subprocess.run(["ip", "netns", "exec", "pxlab-fritzbox", "iptables-legacy", "-t",
                            "nat", "-S", "PREROUTING"], capture_output=True, text=True).stdout
    assert f"--to-destination {PRACTICE.host('pvs-server').ip}:3389" in rules


def test_lab_hosts_have_their_own_hostnames(lab) -> None:
    # Daemons must report the lab host's name, not this machine's (telnet login prompt).
    code = f"""
import socket, time
s = socket.create_connection(({PRACTICE.host('switch').ip!r}, 23), timeout=5)
data = b""
end = time.time() + 3
while b"login" not in data and time.time() < end:
    data += s.recv(4096)
print(data.decode(errors="replace"))
"""
    assert "GS1900-24E login" in _in_scanner(code)


# -- discovery sources and probes against the lab's real daemons -------------------------------


def _obs(scan: Scan, host: str, kind: str) -> list[dict[str, str]]:
    ip = PRACTICE.host(host).ip
    h = next(h for h in scan.hosts if h.ip == ip)
    return [dict(o.data) for o in h.observations if o.kind == kind]


def _names(scan: Scan, host: str) -> tuple[str, ...]:
    return next(h for h in scan.hosts if h.ip == PRACTICE.host(host).ip).hostnames


def test_passive_dhcp_reveals_the_android_phone(scan_run) -> None:
    scan = scan_run[0]
    dhcp = _obs(scan, "android", "dhcp")
    assert any(d.get("vendor_class") == "android-dhcp-14" and d.get("hostname") == "Galaxy-S23"
               for d in dhcp)
    assert "Galaxy-S23" in _names(scan, "android")
    assert any(d.get("client") == PRACTICE.host("android").mac
               for d in _obs(scan, "fritzbox", "dhcp-server"))


def test_mdns_reveals_the_iphone_model(scan_run) -> None:
    scan = scan_run[0]
    services = _obs(scan, "iphone", "mdns-service")
    assert any(s.get("type") == "_device-info._tcp" and s.get("txt.model") == "iPhone15,2"
               for s in services)
    assert any(s.get("type") == "_companion-link._tcp" for s in services)
    assert "iPhone-von-Dr-Weber" in _names(scan, "iphone")
    assert any(s.get("type") == "_ipp._tcp" for s in _obs(scan, "drucker", "mdns-service"))


def test_ssdp_and_the_routers_upnp_description(scan_run) -> None:
    scan = scan_run[0]
    assert any("MiniUPnPd/2.3.1" in s.get("server", "") for s in _obs(scan, "fritzbox", "ssdp"))
    (desc,) = _obs(scan, "fritzbox", "upnp-device")
    assert desc["igd"] == "yes" and desc["friendly_name"] == "FRITZ!Box 7580"
    assert "WANIPConnection" in desc["services"]


def test_netbios_llmnr_and_sicct_broadcasts(scan_run) -> None:
    scan = scan_run[0]
    assert {"computer": "PVS-SERVER", "workgroup": "PRAXIS"}.items() <= \
        _obs(scan, "pvs-server", "netbios")[0].items()
    assert {d["name"] for d in _obs(scan, "ws-arzt", "llmnr-query")} >= {"wpad"}
    assert _obs(scan, "konnektor", "sicct-client")  # the Konnektor looks for terminals


def test_sicct_probe_names_both_terminals_and_their_tls(scan_run) -> None:
    scan = scan_run[0]
    assert {"name": "ST-1506-0A1B2C", "tls": "1.2"}.items() <= _obs(scan, "kt-empfang", "sicct")[0].items()
    assert {"name": "ORGA6100-0221734", "tls": "none"}.items() <= _obs(scan, "kt-arzt", "sicct")[0].items()


def test_konnektor_service_directory_probe(scan_run) -> None:
    (sds,) = _obs(scan_run[0], "konnektor", "connector-sds")
    assert sds["product_code"] == "kocobox" and sds["product_name"] == "KoCoBox MED+"
    assert sds["tls_mandatory"] == "true" and sds["client_aut_mandatory"] == "false"


def test_banner_probes(scan_run) -> None:
    scan = scan_run[0]
    ftp = next(d for d in _obs(scan, "nas", "banner") if d["protocol"] == "ftp")
    assert ftp["text"] == "220 (vsFTPd 3.0.3)" and ftp["anonymous"] == "yes"
    telnet = next(d for d in _obs(scan, "switch", "banner") if d["protocol"] == "telnet")
    assert "GS1900-24E login" in telnet["text"]
    assert _obs(scan, "pvs-server", "smtp")[0] == {
        "port": "25", "greeting": "220 KOM-LE-Clientmodul ESMTP", "starttls": "no"}
    assert _obs(scan, "pvs-server", "pop3")[0]["stls"] == "no"


def test_http_and_tls_probes(scan_run) -> None:
    scan = scan_run[0]
    titles = {d["port"]: d.get("title") for d in _obs(scan, "nas", "http")}
    assert titles["5000"] == "Synology DiskStation" and titles["5001"] == "Synology DiskStation"
    tls = {d["port"]: d for d in _obs(scan, "konnektor", "tls")}
    assert tls["443"]["version"] == "TLSv1.2" and "commonName=kocobox" in tls["443"]["subject"]
    assert tls["443"]["self_signed"] == "yes" and tls["443"]["expired"] == "no"


def test_smb_probe_tells_smb1_apart(scan_run) -> None:
    scan = scan_run[0]
    assert _obs(scan, "ekg-pc", "smb")[0]["smb1"] == "yes"
    assert _obs(scan, "pvs-server", "smb")[0]["smb1"] == "no"
    assert _obs(scan, "nas", "smb")[0]["smb1"] == "no"


def test_snmp_and_dicom_probes(scan_run) -> None:
    scan = scan_run[0]
    assert _obs(scan, "drucker", "snmp")[0]["sys_descr"].startswith("Brother NC-8300w")
    assert _obs(scan, "switch", "snmp")[0]["sys_name"] == "GS1900-24E"
    dicom = _obs(scan, "sono", "dicom")[0]
    assert dicom["association"] == "accepted" and dicom["echo"] == "success"


def _sent_times(pcap: Path) -> dict[str, list[float]]:
    """Per destination, when the scanner sent it anything: nmap's probes, our probes, the
    kernel's RSTs to SYN-ACKs and ACKs (all from the scanner's address), and ARP requests
    for the address (ours, nmap's, the kernel's)."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import ARP
    from scapy.utils import rdpcap

    times: dict[str, list[float]] = {}
    for p in rdpcap(str(pcap)):
        if IP in p and p[IP].src == PRACTICE.scanner_ip:
            times.setdefault(p[IP].dst, []).append(float(p.time))
        elif ARP in p and p[ARP].op == 1 and p[ARP].psrc == PRACTICE.scanner_ip:
            times.setdefault(p[ARP].pdst, []).append(float(p.time))
    return times


def test_every_host_stays_under_its_packet_rate(scan_run) -> None:
    from scanner.policy import load_policy

    policy = load_policy()
    times = _sent_times(scan_run[1])
    busiest = {}
    for h in PRACTICE.hosts:
        cap = policy.for_role(policy.prescan_role(_vendor(scan_run[0], h.ip))).host_pps
        busiest[h.name] = (busiest_second(times[h.ip]), cap)
    print("busiest second per host (packets, cap):", busiest)
    over = {name: v for name, v in busiest.items() if v[0] > v[1]}
    assert over == {}, f"over the cap in one second (packets, cap): {over}"


def test_the_scan_stays_under_the_global_rate(scan_run) -> None:
    from scanner.policy import load_policy

    every = [t for ts in _sent_times(scan_run[1]).values() for t in ts]
    worst = busiest_second(every)
    print("busiest second over all hosts:", worst)
    assert worst <= load_policy().max_pps


def _vendor(scan: Scan, ip: str) -> str | None:
    return next(h.mac_vendor for h in scan.hosts if h.ip == ip)


def test_medical_devices_get_only_discovery_grade_probes(scan_run) -> None:
    """The ECG PC runs FTP, VNC and IIS besides SMB; the sonography DICOM. On the wire they
    get the SYN scan, the handshake and close of the greetings read (not one byte of data to
    21 or 5900: no USER, no RFB reply), one GET / on 80, SMB negotiates, DICOM C-ECHO, and
    the NetBIOS and SICCT questions. Nothing else."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.utils import rdpcap

    ekg = PRACTICE.host("ekg-pc").ip
    medical = {ekg, PRACTICE.host("sono").ip}
    data: dict[int, list[bytes]] = {}
    handshakes: dict[int, set[str]] = {}
    for p in rdpcap(str(scan_run[1])):
        if IP not in p or p[IP].dst not in medical:
            continue
        if TCP in p:
            port, payload = p[TCP].dport, bytes(p[TCP].payload)
            if payload:  # data, not just the SYN scan and the handshakes
                assert port in (80, 104, 139, 445), p.summary()
                data.setdefault(port, []).append(payload)
            elif p[IP].dst == ekg:
                handshakes.setdefault(port, set()).add(str(p[TCP].flags))
        if UDP in p:
            assert p[UDP].dport in (137, 4742), p.summary()
    # the greetings were read: connected (ACK after SYN-ACK) and closed (FIN or RST), no data
    for port in (21, 5900):
        flags = handshakes.get(port, set())
        assert "A" in "".join(flags) and any("F" in f or "R" in f for f in flags), (port, flags)
        assert port not in data
    (get,) = data[80]  # one request, what a browser sends
    assert get.startswith(b"GET / HTTP/1.0\r\n") and get.endswith(b"\r\n\r\n")


def test_the_medical_device_pcs_greetings_and_server_header_are_read(scan_run) -> None:
    scan = scan_run[0]
    banners = {d["protocol"]: d for d in _obs(scan, "ekg-pc", "banner")}
    assert banners["ftp"]["text"] == "220 Microsoft FTP Service"
    assert "anonymous" not in banners["ftp"]  # never asked: the listen-only grade sends no USER
    assert banners["vnc"]["text"] == "RFB 003.008"
    (http,) = _obs(scan, "ekg-pc", "http")
    assert (http["server"], http["title"]) == ("Microsoft-IIS/7.5", "IIS7")
    ekg = next(h for h in scan.hosts if h.ip == PRACTICE.host("ekg-pc").ip)
    assert ekg.service(5900).name == "vnc" and ekg.service(21).name == "ftp"
    assert ekg.os == "Windows 7 / Server 2008 R2"
    (f,) = [f for f in scan.findings if f.rule == "outdated-os" and f.host == ekg.key]
    from scanner.rules.evidence import text

    assert "Microsoft-IIS/7.5" in text(f.evidence[0], "en")


def test_a_nas_page_without_a_password_field_is_a_management_ui(scan_run) -> None:
    scan = scan_run[0]
    page = next(d for d in _obs(scan, "nas", "http") if d["port"] == "5000")
    assert page["login_form"] == "no" and page["scripts"] == "yes"  # DSM builds it in JS
    nas = next(h for h in scan.hosts if h.ip == PRACTICE.host("nas").ip)
    (f,) = [f for f in scan.findings if f.rule == "management-over-http" and f.host == nas.key]
    assert f.port == 5000
    from scanner.rules.evidence import text

    lines = [text(e, "en") for e in f.evidence]
    assert any("identified by fingerprint title.synology" in e and "no password field" in e
               for e in lines), lines


# -- interruption ------------------------------------------------------------------------


def test_time_budget_gives_a_partial_scan(tmp_path: Path, lab) -> None:
    out = tmp_path / "partial.json"
    r = praxisscan("scan", SUBNET, "-i", "eth0", "--format", "json", "-o", str(out),
                   "--max-time", "3", "-q", ns=SCANNER_NS)
    assert r.returncode == 2 and "scan incomplete" in r.stderr
    scan = loads(out.read_text())
    assert scan.complete is False
    assert any(n.check == "scan" and "time budget" in n.reason for n in scan.not_tested)
    assert len(scan.hosts) == len(PRACTICE.hosts)  # ARP finished before the budget ran out


def test_ctrl_c_gives_a_partial_scan(tmp_path: Path, lab) -> None:
    import sys

    out = tmp_path / "interrupted.json"
    proc = subprocess.Popen(["ip", "netns", "exec", SCANNER_NS, sys.executable, "-m", "scanner",
                             "scan", SUBNET, "-i", "eth0", "--format", "json", "-o", str(out),
                             "-q"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(4)  # inside the TCP scan or the probes
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    scan = loads(out.read_text())
    assert scan.complete is False
    assert any(n.check == "scan" and "interrupted" in n.reason for n in scan.not_tested)
    assert subprocess.run(["pgrep", "-f", "nmap -n -Pn -sS"], capture_output=True).returncode == 1


# -- classification against the ground truth ------------------------------------------------


def test_every_lab_host_gets_its_ground_truth_role(scan_run) -> None:
    by_ip = {h.ip: h for h in scan_run[0].hosts}
    wrong = {t.name: by_ip[t.ip].role.value for t in PRACTICE.hosts
             if by_ip[t.ip].role is not t.role}
    assert wrong == {}


@pytest.mark.parametrize("name, vendor, product, os_name", [
    ("fritzbox", "AVM", "FRITZ!Box 7580", None),
    ("konnektor", "CGM", "KoCoBox MED+", None),
    ("switch", "Zyxel", "GS1900-24E", "Debian 12"),
    ("kt-empfang", "Cherry", "ST-1506", None),
    ("kt-arzt", "Ingenico", "ORGA", None),
    ("ekg-pc", "Schiller", None, "Windows 7 / Server 2008 R2"),  # IIS 7.5 outranks Samba's NTLMSSP
    ("sono", "GE Healthcare", None, None),  # its name never reaches the network
    ("drucker", "Brother", "HL-L2350DW", None),
    ("nas", "Synology", None, "Debian 12"),
    ("iphone", "Apple", "iPhone", "iOS"),
    ("android", "Samsung", "Galaxy-S23", "Android 14"),
])
def test_vendor_product_and_os_where_the_evidence_allows(scan_run, name, vendor, product,
                                                        os_name) -> None:
    h = next(h for h in scan_run[0].hosts if h.ip == PRACTICE.host(name).ip)
    assert (h.vendor, h.product, h.os) == (vendor, product, os_name)
    assert h.classification and h.classification.reasons  # every verdict is explained


# -- routed discovery, the standard profile's UDP ports, SMB identity --------------------------


def test_routed_hosts_are_found_by_nmap_host_discovery(tmp_path: Path, lab) -> None:
    # The dead-end "internet" namespace sits behind the router: ARP cannot reach it.
    out = tmp_path / "routed.json"
    target = PRACTICE.internet_address.split("/")[0]
    r = praxisscan("scan", target, "--allow-public", "-i", "eth0", "--format", "json",
                   "-o", str(out), "-q", "--listen", "0", "--fail-on", "none", ns=SCANNER_NS)
    assert r.returncode == 0, r.stderr
    (host,) = loads(out.read_text()).hosts
    assert host.ip == target and host.mac is None  # seen through the router, not on the LAN


def test_standard_profile_adds_the_key_udp_ports(tmp_path: Path, lab) -> None:
    out = tmp_path / "standard.json"
    # The printer's policy stops at the quick profile; the switch (default policy) does not.
    router, switch = PRACTICE.router.ip, PRACTICE.host("switch").ip
    r = praxisscan("scan", router, switch, "-i", "eth0", "--profile", "standard",
                   "--format", "json", "-o", str(out), "-q", "--fail-on", "none", ns=SCANNER_NS)
    assert r.returncode == 0, r.stderr
    udp = {(h.ip, s.port) for h in loads(out.read_text()).hosts for s in h.services
           if s.protocol.value == "udp"}
    assert {(router, 1900), (router, 5351), (switch, 161)} <= udp
    assert all(p in (53, 67, 69, 123, 137, 161, 500, 1434, 1900, 4500, 4742, 5351, 5353)
               for _, p in udp)


def test_smb_probe_reads_the_servers_identity(scan_run) -> None:
    smb = _obs(scan_run[0], "pvs-server", "smb")[0]
    assert smb["smb2_dialect"] == "3.0.2"
    assert smb["netbios_computer"] == "PVS-SERVER"
    assert smb["os_version"] == "6.1 build 0"  # Samba's NTLMSSP version
    pvs = next(h for h in scan_run[0].hosts if h.ip == PRACTICE.host("pvs-server").ip)
    # the PVS server's IIS 8.5 outranks Samba's NTLMSSP, as on the ECG PC
    assert pvs.os == "Windows 8.1 / Server 2012 R2"


# -- exposure rules with the lab's site file ----------------------------------------------------

def planted() -> set[tuple[str, str]]:
    return {(h.name, e) for h in PRACTICE.hosts for e in h.exposures}


def found(scan: Scan) -> set[tuple[str, str]]:
    name = {h.ip: t.name for t in PRACTICE.hosts for h in scan.hosts if h.ip == t.ip}
    key = {h.key: name[h.ip] for h in scan.hosts}
    # WLAN findings are keyed by BSSID: they belong to the access point that serves them.
    for t in PRACTICE.hosts:
        for w in (t.tr064 or {}).get("wlans", []):
            key[f"wlan:{w['bssid']}"] = t.name
    return {(key[f.host], f.rule) for f in scan.findings}


@pytest.fixture(scope="module")
def outside_in(scan_run, tmp_path_factory):
    """The outside-in check from the lab's internet namespace, tied to the inside scan."""
    from scanner.lab.lab import INTERNET_NS, LAB_SITE_FILE
    from scanner.jsonio import dumps

    out = tmp_path_factory.mktemp("outside")
    inside = out / "inside.json"
    inside.write_text(dumps(scan_run[0]))
    r = praxisscan("external", PRACTICE.wan_address.split("/")[0], "--inside", str(inside),
                   "--site", str(LAB_SITE_FILE), "-i", "eth0", "--format", "json",
                   "-o", str(out / "combined.json"), "--fail-on", "none", ns=INTERNET_NS)
    assert r.returncode == 0, r.stderr
    return loads((out / "combined.json").read_text())


def test_upnp_audit_lists_the_routers_mappings_and_external_address(scan_run) -> None:
    scan = scan_run[0]
    (mapping,) = _obs(scan, "fritzbox", "upnp-mapping")
    assert (mapping["external_port"], mapping["internal_client"], mapping["description"]) == (
        "5001", PRACTICE.host("nas").ip, "Synology DSM")
    wan = PRACTICE.wan_address.split("/")[0]
    assert _obs(scan, "fritzbox", "upnp-external-ip") == [{"address": wan}]
    assert _obs(scan, "fritzbox", "natpmp") == [{"external_address": wan}]
    (igd,) = _obs(scan, "fritzbox", "upnp-device")
    assert igd["add_mapping"] == "offered"  # read from the service description, never called


def test_outside_in_ties_the_port_forward_and_the_upnp_mapping_to_their_hosts(outside_in) -> None:
    inbound = {(f.host, f.port, f.severity.value) for f in outside_in.findings
               if f.rule == "inbound-service"}
    assert inbound == {(f"mac:{PRACTICE.host('pvs-server').mac}", 3389, "critical"),
                       (f"mac:{PRACTICE.host('nas').mac}", 5001, "high")}
    rdp = next(f for f in outside_in.findings if f.rule == "inbound-service" and f.port == 3389)
    from scanner.rules.evidence import text

    lines = [text(e, "en") for e in rdp.evidence]
    seen = [e for e in lines if "(certificate)" in e]
    assert seen and "PVS-SERVER" in seen[0]
    # the FRITZ!Box's own port-share list says the same: one finding, both evidences
    assert any("forwards TCP 3389" in e for e in lines)


def test_the_lab_site_file_gives_exactly_the_planted_exposures(outside_in) -> None:
    assert found(outside_in) == planted()
    checks = {n.check for n in outside_in.not_tested}
    assert {"upnp-port-mapping", "inbound-service", "unknown-device"}.isdisjoint(checks)
    # the WLANs came from the FRITZ!Box over TR-064: every WLAN rule decided, none "not tested"
    assert not {"open-wlan", "weak-wlan", "wps-enabled", "rogue-access-point"} & checks
    for f in outside_in.findings:  # every finding explains itself in both languages
        assert f.evidence and f.title.de and f.title.en and f.fix.de and f.fix.en
        assert f.references and len(f.fingerprint) == 16



def test_fritzbox_settings_over_tr064(scan_run) -> None:
    scan = scan_run[0]
    assert _obs(scan, "fritzbox", "tr064-device")[0]["firmware"] == "153.07.29"
    assert _obs(scan, "fritzbox", "tr064-remote-access")[0]["enabled"] == "yes"
    (share,) = _obs(scan, "fritzbox", "tr064-port-share")
    assert (share["external_port"], share["internal_client"]) == ("3389", PRACTICE.host("pvs-server").ip)
    assert {(w.ssid, w.security.value) for w in scan.wlans} == {
        ("Praxis", "wpa2"), ("Praxis-Gast", "wpa"), ("<script>x</script>[red]x[/]", "wpa2")}
    assert all(w.wps_known and not w.wps and w.source == "tr064" for w in scan.wlans)
    # the fourth WLAN's answer carries a raw ESC: not XML; the scan goes on, says so
    assert [n.reason for n in scan.not_tested if n.check == "tr064"] == [
        "WLANConfiguration4 GetInfo: unreadable answer (ParseError)"]


def test_the_fritzbox_myfritz_share_of_the_nas_is_reported_over_ipv6(scan_run) -> None:
    """The TR-064 emulator tells the MyFRITZ! share the router's ip6tables really opens
    (scanner/lab/ipv6.py SHARE): the finding is on the NAS, its port, its IPv6 address."""
    from scanner.lab import ipv6 as lab6
    from scanner.rules.evidence import text

    scan: Scan = scan_run[0]
    nas = PRACTICE.host(lab6.SHARE[0])
    (share,) = _obs(scan, "fritzbox", "tr064-myfritz-share")
    assert (share["mac"], share["port"], share["ipv6"]) == (
        nas.mac, str(lab6.SHARE[1]), lab6.stable_address(nas))
    hits = [f for f in scan.findings if f.rule == "ipv6-inbound-open" and f.port]
    assert [(f.host, f.port) for f in hits] == [(f"mac:{nas.mac}", lab6.SHARE[1])]
    lines = [text(e, "en") for e in hits[0].evidence]
    assert lines[0].endswith(f" opens tcp/{lab6.SHARE[1]} of DiskStation to the Internet over "
                             f"IPv6 by MyFRITZ! share 'DiskStation' ({lab6.stable_address(nas)})")
    assert lines[1].startswith(f"{nas.ip}")
    # TR-064 cannot list the plain IPv6 shares: said, never read as "none"
    assert any(n.check == "ipv6-inbound-open" and "cannot be read" in n.reason
               for n in scan.not_tested)


def test_a_wrong_fritzbox_password_is_not_tested_not_silence(tmp_path: Path, lab) -> None:
    out = tmp_path / "wrong.json"
    r = praxisscan("scan", PRACTICE.router.ip, "-i", "eth0", "--format", "json", "-o", str(out),
                   "-q", "--listen", "0", "--fail-on", "none", "--fritzbox-user", "praxis-admin",
                   ns=SCANNER_NS, env={"PRAXISSCAN_FRITZBOX_PASSWORD": "wrong"})
    assert r.returncode == 0, r.stderr
    scan = loads(out.read_text())
    assert any(n.check == "tr064" and "refused" in n.reason for n in scan.not_tested)
    assert scan.wlans is None
