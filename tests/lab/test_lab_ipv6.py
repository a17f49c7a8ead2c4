"""IPv6 in the lab practice: a real scan from the scanner namespace (dual stack: radvd on the
router, SLAAC and privacy addresses on the hosts), compared with what the kernels of the
hosts' namespaces hold, and checked on the wire; then the outside-in check over IPv6 from the
internet namespace.

Run under the lab lock: flock /tmp/praxisscan-lab.lock .venv/bin/python -m pytest -q tests/lab/test_lab_ipv6.py
"""

from __future__ import annotations

import ipaddress

import pytest

from scanner.jsonio import dumps, loads
from scanner.lab import ipv6 as lab6
from scanner.lab.lab import INTERNET_NS, LAB_SITE_FILE, SCANNER_NS
from scanner.lab.netns import ns_name
from scanner.lab.topology import load_practice
from scanner.model import AddressKind, Scan
from scanner.rules.evidence import text
from tests.capture import capture
from tests.conftest import praxisscan

pytestmark = pytest.mark.lab

PRACTICE = load_practice()
SUBNET = str(PRACTICE.subnet)
LINK_PREFIXES = (lab6.ULA_PREFIX, lab6.GLOBAL_PREFIX)


@pytest.fixture(scope="module")
def scan_run(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("labscan6")
    pcap, json_path = out / "scanner.pcap", out / "scan.json"
    # everything the scanner's interface sends, both families
    with capture(SCANNER_NS, pcap, "ether", "src", PRACTICE.scanner_mac):
        r = praxisscan("scan", SUBNET, "--interface", "eth0", "--format", "json",
                       "--output", str(json_path), "--fail-on", "none",
                       "--site", str(LAB_SITE_FILE), ns=SCANNER_NS)
    assert r.returncode == 0, r.stderr
    return loads(json_path.read_text()), pcap, json_path


def _host(scan: Scan, name: str):  # noqa: ANN202
    ip = PRACTICE.host(name).ip
    return next(h for h in scan.hosts if h.ip == ip)


def test_every_lab_host_has_its_ipv6_addresses_tied_to_the_right_device(scan_run) -> None:
    scan: Scan = scan_run[0]
    for truth in PRACTICE.hosts:
        h = _host(scan, truth.name)
        ns = ns_name(truth.name)
        # what the host's own kernel holds, scope global (SLAAC, temporary included)
        held = {a for a, _ in lab6.addresses(ns)}
        temporary = {a for a, t in lab6.addresses(ns) if t}
        if truth is PRACTICE.router:  # static on the router: ::1 in both prefixes
            held = {str(p.network_address + 1) for p in LINK_PREFIXES}
        got = {a.address: a.kind for a in h.ipv6}
        link_local = str(lab6.eui64(ipaddress.IPv6Network("fe80::/64"), truth.mac))
        assert got.get(link_local) is AddressKind.LINK_LOCAL, truth.name
        assert set(got) - {link_local} == held, truth.name
        for a in held:
            in_global = ipaddress.IPv6Address(a) in lab6.GLOBAL_PREFIX
            want = (AddressKind.ULA if not in_global else
                    AddressKind.TEMPORARY if a in temporary else AddressKind.GLOBAL)
            assert got[a] is want, (truth.name, a)
        if truth.role.value == "smartphone":
            assert AddressKind.TEMPORARY in got.values(), truth.name


def test_no_lab_device_is_reported_as_ipv6_only(scan_run) -> None:
    """Every lab device answers ARP, so none is "IPv6 only". The lab's switch fabric (the
    bridge in the LAN namespace) used to take SLAAC addresses and answer the echo to all
    nodes: one phantom device in every demo ("1 devices answered over IPv6 but not ARP")."""
    scan: Scan = scan_run[0]
    assert [n.reason for n in scan.not_tested if n.check == "ipv6-only-devices"] == []


def test_the_routers_advertisement_is_evidence_on_the_router(scan_run) -> None:
    scan: Scan = scan_run[0]
    (ra,) = [o for o in _host(scan, "fritzbox").observations if o.kind == "ipv6-router"]
    assert ra.get("prefixes") == "2001:db8:1:1::/64, fd00::/64"
    assert (ra.flag("managed"), ra.flag("other"), ra.get("dns")) == (False, True, "fd00::1")
    assert ra.get("router") == str(lab6.eui64(ipaddress.IPv6Network("fe80::/64"),
                                              PRACTICE.router.mac))


def test_the_planted_ipv6_gap_is_reported_with_evidence(scan_run) -> None:
    """ws-empfang's IPv4 firewall drops everything; over IPv6 its SMB port (TCP) and its
    SNMP agent (UDP, a real snmpd on both families) answer: one gap finding each."""
    scan: Scan = scan_run[0]
    ws = _host(scan, lab6.GAP[0])
    assert [s.port for s in ws.services] == []  # IPv4: every packet dropped
    assert [(s.protocol.value, s.port) for s in ws.ipv6_services] == [
        ("tcp", lab6.GAP[1]), ("udp", lab6.UDP_GAP[1])]
    gaps = sorted((f for f in scan.findings if f.rule == "ipv6-firewall-gap"),
                  key=lambda f: f.port or 0)
    assert [(f.host, f.port, f.severity.value) for f in gaps] == [(ws.key, 161, "high"),
                                                                  (ws.key, 445, "high")]
    address = lab6.stable_address(PRACTICE.host("ws-empfang"))
    udp, tcp = ([text(e, "en") for e in f.evidence] for f in gaps)
    assert tcp[0] == (f"tcp/445 open over IPv6 ({address}): microsoft-ds, closed or filtered "
                      "over IPv4")
    assert udp[0] == f"udp/161 open over IPv6 ({address}): snmp, no answer over IPv4"
    assert "192.168.178.21" in tcp[1] and "192.168.178.21" in udp[1]


def test_the_ipv6_only_port_carries_probe_evidence(scan_run) -> None:
    """Our probes run over IPv6 on the ports IPv4 does not show open: ws-empfang's SMB port
    gets the SMB negotiate at its IPv6 address; a port open over both is not probed twice."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    from scapy.utils import rdpcap

    scan: Scan = scan_run[0]
    ws = _host(scan, lab6.GAP[0])
    address = lab6.stable_address(PRACTICE.host(lab6.GAP[0]))
    (smb,) = [o for o in ws.observations if o.kind == "smb" and o.get("address") == address]
    assert smb.get("port") == str(lab6.GAP[1])
    assert [s.name for s in ws.ipv6_services] == ["microsoft-ds", "snmp"]
    # the SNMP question went over IPv6 (IPv4 got no answer): its answer is the evidence,
    # and so is the community finding, at the device's IPv6 address
    (snmp,) = [o for o in ws.observations if o.kind == "snmp"]
    assert (snmp.get("address"), snmp.get("sys_name")) == (address, "EMPFANG-PC")
    assert "Windows" in snmp.get("sys_descr", "")
    (community,) = [f for f in scan.findings if f.rule == "snmp-default-community"
                    and f.host == ws.key]
    assert "Windows" in text(community.evidence[0], "en")
    reasons = {n.check: n.reason for n in scan.not_tested}
    assert "UDP is neither scanned nor probed" not in reasons["ipv6-services"]
    assert "sicct (udp/4742)" in reasons["ipv6-services"]
    nas = _host(scan, lab6.SHARE[0])  # 5001 answers over both families: probed over IPv4
    assert lab6.SHARE[1] in [s.port for s in nas.ipv6_services]
    assert not [o for o in nas.observations if o.get("address")]
    # on the wire: data (not only the SYN scan) went to the gap port's IPv6 address
    data = [p for p in rdpcap(str(scan_run[1])) if IPv6 in p and TCP in p
            and p[IPv6].dst == address and p[TCP].dport == lab6.GAP[1] and len(p[TCP].payload)]
    assert data, "no probe data reached ws-empfang over IPv6"
    from scapy.layers.inet import UDP
    snmp_out = [p for p in rdpcap(str(scan_run[1])) if IPv6 in p and UDP in p
                and p[IPv6].dst == address and p[UDP].dport == lab6.UDP_GAP[1]]
    assert len(snmp_out) == 1, "one SNMP question to ws-empfang over IPv6"


def test_the_routers_igdv2_lets_lan_devices_open_pinholes(scan_run) -> None:
    scan: Scan = scan_run[0]
    router = _host(scan, "fritzbox")
    (fw,) = [o for o in router.observations if o.kind == "upnp-ipv6-firewall"]
    # miniupnpd always says 1/1 (docs/ipv6.md §3.2)
    assert (fw.flag("firewall_enabled"), fw.flag("inbound_pinhole_allowed")) == (True, True)
    hits = [(f.host, f.severity.value) for f in scan.findings if f.rule == "ipv6-inbound-open"]
    assert hits == [(router.key, "medium")]


def test_the_summary_says_dual_stack(scan_run) -> None:
    from scanner.render.summary import internet_line_text
    from scanner.rules.line import internet_line

    scan: Scan = scan_run[0]
    assert internet_line(scan) == "dual-stack"
    assert f"{len(PRACTICE.hosts)} devices with a global IPv6 address" in internet_line_text(
        scan, "en")


def test_on_the_wire_no_ipv6_packet_leaves_the_labs_prefixes_and_no_prefix_is_swept(
        scan_run) -> None:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    scan: Scan = scan_run[0]
    packets = rdpcap(str(scan_run[1]))
    sent6 = [p for p in packets if IPv6 in p]
    assert len(sent6) > 100, "the capture did not record the IPv6 pass"
    asked = set()  # what the scanner asked: echo requests and SYNs (not its kernel's replies)
    for p in sent6:
        dst = ipaddress.IPv6Address(p[IPv6].dst)
        if dst.is_multicast:
            assert (int(dst) >> 112) & 0xF == 2, f"multicast beyond the link: {p.summary()}"
            continue
        assert dst.is_link_local or any(dst in n for n in LINK_PREFIXES), \
            f"IPv6 packet outside the lab's prefixes: {p.summary()}"
        if TCP in p or ICMPv6EchoRequest in p:
            asked.add(dst)
    # no sweep: every address asked is one a host of the scan holds (the guessed stable
    # addresses are in the lab the ones the hosts hold), at most a few per host
    held = {ipaddress.IPv6Address(a.address) for h in scan.hosts for a in h.ipv6}
    assert asked <= held, sorted(map(str, asked - held))[:5]
    assert len(asked) <= 3 * len(scan.hosts)

    # per device (MAC), no IPv4 SYN while its IPv6 pass runs (the UPnP audit of the router
    # comes later, after every host's scan)
    by_mac: dict[str, dict[int, list[float]]] = {}
    for p in packets:
        if TCP in p and p[TCP].flags == "S":
            fam = 6 if IPv6 in p else 4 if IP in p else 0
            by_mac.setdefault(p[Ether].dst, {}).setdefault(fam, []).append(float(p.time))
    gap = PRACTICE.host(lab6.GAP[0]).mac
    assert by_mac[gap][6], "ws-empfang got no IPv6 SYN"
    for mac, fams in by_mac.items():
        if fams.get(4) and fams.get(6):
            during = [t for t in fams[4] if min(fams[6]) <= t <= max(fams[6])]
            assert not during, (mac, len(during))


@pytest.fixture(scope="module")
def outside_in6(scan_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("outside6")
    inside = out / "inside.json"
    inside.write_text(dumps(scan_run[0]))
    r = praxisscan("external", "--inside", str(inside), "--site", str(LAB_SITE_FILE),
                   "-i", "eth0", "--format", "json", "-o", str(out / "combined.json"),
                   "--fail-on", "none", ns=INTERNET_NS)
    assert r.returncode == 0, r.stderr
    return loads((out / "combined.json").read_text())


def _sent_per_device(pcap, scan: Scan) -> dict[str, list[float]]:  # noqa: ANN001
    """Per lab device (by MAC): when the scanner sent it anything, in either family: every
    unicast frame to its MAC (nmap, nmap -6, our probes, the kernel's RSTs), ARP who-has
    for its IPv4 address and neighbour solicitations for its IPv6 addresses."""
    from scapy.layers.inet6 import ICMPv6ND_NS
    from scapy.layers.l2 import ARP, Ether
    from scapy.utils import rdpcap

    by_mac = {h.mac.lower(): h.name for h in PRACTICE.hosts}
    by_ip = {h.ip: h.name for h in PRACTICE.hosts}
    for h in scan.hosts:
        name = by_ip.get(h.ip)
        for a in h.ipv6 if name else ():
            by_ip[a.address] = name
    times: dict[str, list[float]] = {}
    for p in rdpcap(str(pcap)):
        if Ether not in p:
            continue
        name = by_mac.get(p[Ether].dst.lower())
        if name is None and ARP in p and p[ARP].op == 1:
            name = by_ip.get(p[ARP].pdst)
        if name is None and ICMPv6ND_NS in p:
            name = by_ip.get(str(ipaddress.IPv6Address(p[ICMPv6ND_NS].tgt)))
        if name is not None:
            times.setdefault(name, []).append(float(p.time))
    return times


def test_every_device_stays_under_its_cap_counting_both_families(scan_run) -> None:
    """The per-host cap holds for the device, not per address family: its IPv4 scan and
    probes, its IPv6 pass and probes, and the questions and solicitations of both."""
    from scanner.lab.wire import busiest_second
    from scanner.model import Host, Role
    from scanner.policy import load_policy
    from scanner.site import load_site

    site = load_site(LAB_SITE_FILE)
    policy = load_policy().with_overrides(site.policy)
    times = _sent_per_device(scan_run[1], scan_run[0])
    busiest = {}
    for h in PRACTICE.hosts:
        device = site.device_for(Host(ip=h.ip, mac=h.mac))  # as the pipeline chooses it
        vendor = next((x.mac_vendor for x in scan_run[0].hosts if x.ip == h.ip), None)
        role = (device.role.value if device and device.role is not Role.UNKNOWN
                else policy.prescan_role(vendor))
        cap = policy.for_host(role, h.mac, h.ip).host_pps
        busiest[h.name] = (busiest_second(times.get(h.name, [])), cap)
    print("busiest second per device, both families (packets, cap):", busiest)
    assert all(n > 0 for n, _ in busiest.values())
    over = {name: v for name, v in busiest.items() if v[0] > v[1]}
    assert over == {}, f"over the cap in one second (packets, cap): {over}"


def test_the_kernel_does_not_verify_the_addresses_discovery_learned(scan_run) -> None:
    """Each device answering our echo to ff02::1 first asks for our MAC; the kernel answers
    and five seconds later verifies the device's address by a unicast solicitation of its
    own, one per address, in the middle of the port scans (sonography, cap 20: 21 packets
    in one second). The scanner writes what discovery learned as REACHABLE, which holds 15
    s at least (half the kernel's base reachable time): none in the scan's first 15 s."""
    from scapy.layers.inet6 import ICMPv6ND_NS
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    packets = rdpcap(str(scan_run[1]))
    start = float(packets[0].time)
    verified = sorted({p[Ether].dst for p in packets
                       if ICMPv6ND_NS in p and not p[Ether].dst.startswith("33:33")
                       and float(p.time) - start < 15.0})
    assert verified == []


def test_outside_in_over_ipv6_finds_exactly_the_share_and_names_its_device(outside_in6) -> None:
    nas = PRACTICE.host(lab6.SHARE[0])
    inbound = [f for f in outside_in6.findings if f.rule == "inbound-service"]
    assert [(f.host, f.port) for f in inbound] == [(f"mac:{nas.mac}", lab6.SHARE[1])]
    lines = [text(e, "en") for e in inbound[0].evidence]
    assert lines[0].startswith(f"reachable from the Internet: [{lab6.stable_address(nas)}]:5001 "
                               f"-> mac:{nas.mac}:5001 (address)")
    assert "DiskStation" in lines[-1] or nas.ip in lines[-1]
    # the probe table identified the service over IPv6 (it used to stay "tcp/5001")
    (seen,) = [o for h in outside_in6.hosts for o in h.observations if o.kind == "inbound"]
    assert not seen.get("detail", "").endswith(f"; tcp/{lab6.SHARE[1]}"), seen.get("detail")
    reasons = {n.check: n.reason for n in outside_in6.not_tested}
    assert reasons["external-ipv4"] == "no public IPv4 address given: only the IPv6 check was done"
    assert "temporary" in reasons["external-ipv6"]
