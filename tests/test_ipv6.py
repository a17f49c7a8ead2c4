"""IPv6 without the lab: parsers over real captures (and their mangled copies), address kinds,
tying addresses to MACs, the IPv6 scope guard, the address each host's IPv6 pass scans, and
the scan file."""

from __future__ import annotations

import ipaddress
import logging
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner.discovery.ipv6 import build_view, kinds
from scanner.model import AddressKind, Host, Ipv6Address, Protocol, Scan, Scope, Service
from scanner.portscan import ipv6_pass
from scanner.protocols.ndp import Prefix, RouterAdvert, Sighting, parse_frame
from scanner.scope import Ipv6Guard

from tests.conftest import captures_dir

logging.getLogger("scapy").setLevel(logging.ERROR)

DATA = Path(__file__).with_name("data")
LAB = DATA / "lab_ipv6_link.pcap"  # recorded in the lab's scanner namespace during a scan
THIRD_PARTY = ("zeek_mdns.pcap", "darinssc_llmnr.pcap", "ndpi_iphone.pcap", "ndpi_android.pcap",
               "ndpi_upnp.pcap", "zeek_mdns-no-assoc.pcap")


def _capture(name: str) -> Path:
    """A third-party capture from ../shared: skipped locally when missing, a failure in CI."""
    return captures_dir() / "discovery" / name


def _frames(path: Path, limit: int = 400) -> list[bytes]:
    from scapy.layers.inet6 import IPv6
    from scapy.utils import PcapReader

    out = []
    with PcapReader(str(path)) as r:
        for p in r:
            if IPv6 in p:
                out.append(bytes(p))
                if len(out) >= limit:
                    break
    return out


def _valid(fact: object) -> None:
    """What a fact may hold, whatever the frame was: well-formed addresses and MACs."""
    mac = fact.mac  # type: ignore[attr-defined]
    assert len(mac) == 17 and not int(mac[:2], 16) & 1
    if isinstance(fact, Sighting):
        a = ipaddress.IPv6Address(fact.address)
        assert not (a.is_multicast or a.is_unspecified or a.is_loopback)
        assert len(fact.name) <= 64
    else:
        assert isinstance(fact, RouterAdvert)
        assert ipaddress.IPv6Address(fact.router).is_link_local
        assert len(fact.prefixes) <= 8 and len(fact.dns) <= 4
        for p in fact.prefixes:
            ipaddress.IPv6Network(p.network)


def test_the_lab_capture_gives_the_routers_advertisement() -> None:
    ras = [f for raw in _frames(LAB) for f in parse_frame(raw) if isinstance(f, RouterAdvert)]
    assert ras, "no RA in the lab capture"
    ra = ras[0]
    assert ra.mac == "3c:a6:2f:0a:01:01" and ra.router == "fe80::3ea6:2fff:fe0a:101"
    assert {p.network for p in ra.prefixes} == {"2001:db8:1:1::/64", "fd00::/64"}
    assert all(p.autonomous and p.on_link for p in ra.prefixes)
    assert (ra.managed, ra.other, ra.dns) == (False, True, ("fd00::1",))


def test_the_lab_capture_ties_addresses_to_macs() -> None:
    facts = [f for raw in _frames(LAB) for f in parse_frame(raw)]
    hows = {f.how for f in facts if isinstance(f, Sighting)}
    assert {"na", "echo-reply"} <= hows
    nas = {(f.mac, f.address) for f in facts if isinstance(f, Sighting) and f.how == "echo-reply"}
    # the NAS answered the echo to all nodes from its link-local address, with its own MAC
    assert ("00:11:32:0a:60:60", "fe80::211:32ff:fe0a:6060") in nas


def test_third_party_captures_mdns_and_llmnr_over_ipv6() -> None:
    mdns = [f for raw in _frames(_capture("zeek_mdns.pcap")) for f in parse_frame(raw)]
    assert any(isinstance(f, Sighting) and f.how == "mdns" for f in mdns)
    llmnr = [f for raw in _frames(_capture("darinssc_llmnr.pcap")) for f in parse_frame(raw)]
    assert any(isinstance(f, Sighting) and f.how == "llmnr" for f in llmnr)
    ns = [f for raw in _frames(_capture("ndpi_iphone.pcap")) for f in parse_frame(raw)]
    assert any(isinstance(f, Sighting) and f.how in ("dad", "ns") for f in ns)


def test_a_dhcpv6_solicit_ties_the_clients_link_local_address() -> None:
    # synthetic: none of the captures holds DHCPv6 (built with scapy, the parser's own library)
    from scapy.layers.dhcp6 import DHCP6_Solicit
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    raw = bytes(Ether(src="18:a9:9b:0a:21:21", dst="33:33:00:01:00:02")
                / IPv6(src="fe80::1aa9:9bff:fe0a:2121", dst="ff02::1:2")
                / UDP(sport=546, dport=547) / DHCP6_Solicit())
    assert Sighting("18:a9:9b:0a:21:21", "fe80::1aa9:9bff:fe0a:2121", "dhcpv6") in parse_frame(raw)


@pytest.mark.parametrize("name", ["lab", *THIRD_PARTY])
def test_parsers_survive_truncation_and_bit_flips(name: str) -> None:
    frames = _frames(LAB if name == "lab" else _capture(name), limit=120)
    assert frames
    rng = random.Random(name)
    for raw in frames:
        for cut in sorted({rng.randrange(len(raw)) for _ in range(6)} | {14, 54, 62}):
            for f in parse_frame(raw[:cut]):
                _valid(f)
        for _ in range(12):
            b = bytearray(raw)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
            for f in parse_frame(bytes(b)):
                _valid(f)


def test_a_crafted_ra_is_bounded() -> None:
    from scapy.layers.inet6 import (ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                                    IPv6)
    from scapy.layers.l2 import Ether

    opts = ICMPv6NDOptPrefixInfo(prefix="2001:db8::", prefixlen=64)
    for i in range(1, 40):
        opts = opts / ICMPv6NDOptPrefixInfo(prefix=f"2001:db8:{i:x}::", prefixlen=64)
    pkt = (Ether(src="3c:a6:2f:0a:01:01") / IPv6(src="fe80::1") / ICMPv6ND_RA() / opts
           / ICMPv6NDOptRDNSS(dns=[f"2001:db8::{i}" for i in range(1, 10)]))
    (ra,) = [f for f in parse_frame(bytes(pkt)) if isinstance(f, RouterAdvert)]
    assert len(ra.prefixes) == 8 and len(ra.dns) == 4  # 40 prefixes and 9 servers announced
    spoofed = Ether(src="3c:a6:2f:0a:01:01") / IPv6(src="2001:db8::1") / ICMPv6ND_RA()
    assert not [f for f in parse_frame(bytes(spoofed)) if isinstance(f, RouterAdvert)]


PHONE = "6a:3f:c1:5e:22:91"


def test_kinds_tell_temporary_from_stable_addresses() -> None:
    addrs = {ipaddress.IPv6Address(a) for a in (
        "fe80::683f:c1ff:fe5e:2291", "2001:db8:1:1:683f:c1ff:fe5e:2291",
        "2001:db8:1:1:c1f8:3f19:f0ad:fcb9", "fd00::94a8:2ba7:e99d:1b16")}
    got = {a.address: a.kind for a in kinds(PHONE, addrs)}
    assert got == {"fe80::683f:c1ff:fe5e:2291": AddressKind.LINK_LOCAL,
                   "2001:db8:1:1:683f:c1ff:fe5e:2291": AddressKind.GLOBAL,
                   "2001:db8:1:1:c1f8:3f19:f0ad:fcb9": AddressKind.TEMPORARY,
                   "fd00::94a8:2ba7:e99d:1b16": AddressKind.ULA}
    # a lone random global address cannot be told from an RFC 7217 stable one: global
    lone = kinds(PHONE, {ipaddress.IPv6Address("2001:db8:1:1:c1f8:3f19:f0ad:fcb9")})
    assert lone[0].kind is AddressKind.GLOBAL


def test_only_addresses_in_announced_prefixes_are_tied_to_a_mac() -> None:
    ra = RouterAdvert("3c:a6:2f:0a:01:01", "fe80::1", False, True, 1800,
                      (Prefix("2001:db8:1:1::/64", True, True, 86400),), ())
    sightings = [
        Sighting("00:11:32:0a:60:60", "2001:db8:1:1:211:32ff:fe0a:6060", "echo-reply"),
        Sighting("00:11:32:0a:60:60", "fe80::211:32ff:fe0a:6060", "na"),
        # forwarded by the router from the Internet: the router's MAC, not the router's address
        Sighting("3c:a6:2f:0a:01:01", "2001:db8:ffff::2", "traffic"),
        Sighting("02:50:52:41:58:01", "fe80::50:52ff:fe41:5801", "traffic"),  # our own
    ]
    view = build_view([ra], sightings, 3, {"02:50:52:41:58:01"})
    assert [a.address for a in view.addresses("00:11:32:0a:60:60")] == [
        "2001:db8:1:1:211:32ff:fe0a:6060", "fe80::211:32ff:fe0a:6060"]
    assert view.addresses("3c:a6:2f:0a:01:01") == ()
    assert view.addresses("02:50:52:41:58:01") == ()
    assert view.prefixes({"3c:a6:2f:0a:01:01"}) == (ipaddress.IPv6Network("2001:db8:1:1::/64"),)
    assert view.prefixes({"00:00:5e:00:53:01"}) == ()  # an RA from a device outside the scan


def test_the_ipv6_scope_guard() -> None:
    g = Ipv6Guard((ipaddress.IPv6Network("2001:db8:1:1::/64"),))
    assert g.allows("fe80::1%eth0") and g.allows("fd00::1") and g.allows("2001:db8:1:1::5")
    assert "outside the prefixes" in (g.refusal("2001:db8:2::5") or "")
    assert "outside the prefixes" in (g.refusal("2a00:1450:4001::200e") or "")
    for bad in ("ff02::1", "::", "::1", "::ffff:192.168.178.1", "fritz.box", "192.168.178.1"):
        assert g.refusal(bad), bad
    assert Ipv6Guard((), allow_public=True).allows("2a00:1450:4001::200e")


def test_each_host_is_scanned_at_one_address_the_scope_allows() -> None:
    addrs = (Ipv6Address("2001:db8:1:1::9", AddressKind.TEMPORARY),
             Ipv6Address("fe80::9", AddressKind.LINK_LOCAL),
             Ipv6Address("fd00::9", AddressKind.ULA),
             Ipv6Address("2001:db8:9::9", AddressKind.GLOBAL))
    g = Ipv6Guard((ipaddress.IPv6Network("2001:db8:1:1::/64"),))
    assert ipv6_pass.target(addrs, g, "eth0") == "fd00::9"  # the global one is out of scope
    assert ipv6_pass.target(addrs[:2], g, "eth0") == "fe80::9%eth0"  # never a temporary one
    assert ipv6_pass.target(addrs[:2], g, None) is None


def test_ipv6_addresses_and_services_survive_the_scan_file() -> None:
    from scanner.errors import ScanFileError
    from scanner.jsonio import dumps, loads

    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    host = Host(ip="192.168.178.21", mac="18:a9:9b:0a:21:21",
                ipv6=(Ipv6Address("2001:db8:1:1:1aa9:9bff:fe0a:2121", AddressKind.GLOBAL),
                      Ipv6Address("fe80::1aa9:9bff:fe0a:2121", AddressKind.LINK_LOCAL)),
                ipv6_services=(Service(445, Protocol.TCP),))
    scan = Scan(started_at=t, finished_at=t, scope=Scope((), ()), complete=True, hosts=(host,))
    text = dumps(scan)
    assert loads(text).hosts[0] == host
    with pytest.raises(ScanFileError, match="ipv6"):
        loads(text.replace("2001:db8:1:1:1aa9:9bff:fe0a:2121", "2001:db8::zz"))
    with pytest.raises(ScanFileError, match="ipv6"):
        loads(text.replace('"link-local"', '"site-local"'))


def test_the_lab_addresses_are_the_eui64_ones_the_kernel_forms() -> None:
    from scanner.lab.ipv6 import GLOBAL_PREFIX, eui64

    # seen in the lab: `ip -6 addr` in pxlab-nas
    assert str(eui64(GLOBAL_PREFIX, "00:11:32:0a:60:60")) == "2001:db8:1:1:211:32ff:fe0a:6060"


@pytest.mark.parametrize("address, what", [
    ("fe80::1", "a link-local address"), ("fd00::1", "a unique local (LAN) address"),
    ("ff02::1", "a multicast address"), ("::1", "not a global unicast address"),
    ("::ffff:11.22.33.2", "not a global unicast address"),
])
def test_external_refuses_what_no_internet_host_has(address: str, what: str) -> None:
    from tests.conftest import praxisscan

    r = praxisscan("external", address, "--plan")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (f"praxisscan: error: external checks addresses the Internet can reach; "
                        f"{ipaddress.IPv6Address(address)} is {what} (the LAN inside is checked "
                        "with praxisscan scan)\n")


def test_external_plans_the_inside_devices_global_ipv6_addresses(tmp_path: Path) -> None:
    from scanner.jsonio import dumps
    from tests.conftest import praxisscan

    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    nas = Host(ip="192.168.178.60", mac="00:11:32:0a:60:60", ipv6=(
        Ipv6Address("2001:db8:1:1:211:32ff:fe0a:6060", AddressKind.GLOBAL),
        Ipv6Address("2001:db8:1:1:c1f8:3f19:f0ad:fcb9", AddressKind.TEMPORARY),
        Ipv6Address("fd00::211:32ff:fe0a:6060", AddressKind.ULA)))
    inside = tmp_path / "inside.json"
    inside.write_text(dumps(Scan(started_at=t, finished_at=t, scope=Scope((), ()), complete=True,
                                 hosts=(nas,))))
    r = praxisscan("external", "--inside", str(inside), "--plan")
    assert r.returncode == 0, r.stderr
    assert "1 stable global IPv6 addresses" in r.stdout
    assert "2001:db8:1:1:211:32ff:fe0a:6060" in r.stdout and "fcb9" not in r.stdout
    assert "fd00" not in r.stdout
    r = praxisscan("external")
    assert r.returncode == 2 and "--inside" in r.stderr


def test_the_inventory_lists_each_devices_ipv6_addresses_with_their_kind() -> None:
    import csv
    import io

    from scanner.render.csv_inventory import render_csv

    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    host = Host(ip="192.168.178.101", mac="6a:3f:c1:5e:22:91", ipv6=(
        Ipv6Address("2001:db8:1:1:683f:c1ff:fe5e:2291", AddressKind.GLOBAL),
        Ipv6Address("2001:db8:1:1:c1f8:3f19:f0ad:fcb9", AddressKind.TEMPORARY)),
        ipv6_services=(Service(62078, Protocol.TCP),))
    scan = Scan(started_at=t, finished_at=t, scope=Scope((), ()), complete=True, hosts=(host,))
    (row,) = csv.DictReader(io.StringIO(render_csv(scan)))
    assert row["ipv6"] == ("2001:db8:1:1:683f:c1ff:fe5e:2291 (global) "
                           "2001:db8:1:1:c1f8:3f19:f0ad:fcb9 (temporary)")
    assert row["ipv6_services"] == "tcp/62078"


@pytest.mark.parametrize("external, prefixes, line", [
    ("11.22.33.2", "2001:db8:1:1::/64, fd00::/64", "dual-stack"),
    ("", "2001:db8:1:1::/64, fd00::/64", "ds-lite"),  # FRITZ!Box on DS-Lite: empty
    ("0.0.0.0", "2001:db8:1:1::/64", "ds-lite"),  # miniupnpd with a reserved WAN address
    ("100.64.1.2", "2001:db8:1:1::/64", "ds-lite"),  # carrier-grade NAT
    ("11.22.33.2", "fd00::/64", "ipv4-only"),  # only a ULA: no IPv6 Internet
    (None, "2001:db8:1:1::/64", None),  # the router told nothing about IPv4: unknown
])
def test_the_summary_tells_the_line(external: str | None, prefixes: str, line: str | None) -> None:
    from scanner.model import Observation, Source
    from scanner.rules.line import internet_line

    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    obs = [Observation(Source.NDP, "ipv6-router", (("prefixes", prefixes),), t)]
    if external is not None:
        data = (("address", external),) if external else ()
        obs.append(Observation(Source.PROBE, "upnp-external-ip", data, t))
    router = Host(ip="192.168.178.1", mac="3c:a6:2f:0a:01:01", observations=tuple(obs),
                  ipv6=(Ipv6Address("fe80::1", AddressKind.LINK_LOCAL),))
    scan = Scan(started_at=t, finished_at=t, scope=Scope((), ()), complete=True, hosts=(router,))
    assert internet_line(scan) == line


class _RecordedLink:
    """The seam of the discovery's raw sockets: the link as the lab capture recorded it."""

    error = None

    class iface:  # noqa: N801 - stands in for scanner.netinfo.Interface
        name = "eth0"

    def __init__(self, view) -> None:  # noqa: ANN001
        self._view = view
        self.held: list[list[tuple[str, str]]] = []  # what would go into the kernel's table

    def confirm_stable(self, macs: set[str], wait: float) -> None:
        pass

    def hold(self, pairs: list[tuple[str, str]]) -> None:
        self.held.append(pairs)

    def view(self):  # noqa: ANN201
        return self._view


def test_the_ipv6_only_note_names_each_device_a_technician_must_find() -> None:
    """A device that answers over IPv6 but not ARP is listed by MAC, maker and addresses
    (it used to be a bare count: "1 devices answered over IPv6 ...")."""
    from scanner.portscan.ipv6_stage import Ipv6Stage

    facts = [f for raw in _frames(LAB) for f in parse_frame(raw)]
    view = build_view([f for f in facts if isinstance(f, RouterAdvert)],
                      [f for f in facts if isinstance(f, Sighting)], 0, set())
    nas = "00:11:32:0a:60:60"
    assert view.addresses(nas), "the NAS is not in the lab capture"
    stage = Ipv6Stage([], allow_public=False)
    stage.discoveries = [_RecordedLink(view)]  # type: ignore[list-item]
    by_mac = {mac: f"192.168.178.{i}" for i, (mac, _) in enumerate(view.by_mac, 1) if mac != nas}
    stage.after_arp(by_mac, {}, vendor=lambda mac: "Synology" if mac == nas else None)
    (note,) = [n for n in stage.standing_gaps() if n.check == "ipv6-only-devices"]
    assert note.reason.startswith("1 devices answered over IPv6 but not ARP in the scanned "
                                  "networks: not scanned: 00:11:32:0a:60:60 (Synology): ")
    shown = note.reason.split("(Synology): ", 1)[1].split(", ")
    held = [a.address for a in view.addresses(nas)]
    assert shown[0] in held and len(shown) <= 3
    assert "fe80::211:32ff:fe0a:6060" in held


def test_the_scanned_hosts_ipv6_addresses_go_into_the_neighbour_table_unless_contested() -> None:
    """Written before the port scan (the kernel would otherwise verify each address five
    seconds after answering the host, in the middle of its scan); only hosts of the scan,
    and never an address two MACs claim (which one holds it is the kernel's to find out)."""
    from scanner.discovery.ipv6 import LinkView
    from scanner.portscan.ipv6_stage import Ipv6Stage

    a, b, outside = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"
    ll = AddressKind.LINK_LOCAL
    view = LinkView((), (
        (a, (Ipv6Address("fe80::a", ll), Ipv6Address("2001:db8:1:1::a", AddressKind.GLOBAL),
             Ipv6Address("fd00::5", AddressKind.ULA))),
        (b, (Ipv6Address("fe80::b", ll), Ipv6Address("fd00::5", AddressKind.ULA))),
        (outside, (Ipv6Address("fe80::c", ll),))), 0)
    link = _RecordedLink(view)
    stage = Ipv6Stage([], allow_public=False)
    stage.discoveries = [link]  # type: ignore[list-item]
    stage.after_arp({a: "192.0.2.10", b: "192.0.2.11"}, {})
    stage._tied()
    assert link.held[0] == [("fe80::a", a), ("2001:db8:1:1::a", a), ("fe80::b", b)]
    assert link.held[-1] == link.held[0]  # written again after the guesses' answers


class _BrokenLink(_RecordedLink):
    def view(self):  # noqa: ANN201
        raise ValueError("a malformed advert the parser let through")


def test_a_failure_to_tie_ipv6_addresses_is_said_and_the_scan_goes_on() -> None:
    """The addresses are tied on a thread of its own while the IPv4 scan starts: what fails
    there is a "not tested" note, never an exception lost in a thread or a crashed scan."""
    from scanner.model import Host
    from scanner.portscan.ipv6_stage import Ipv6Stage

    stage = Ipv6Stage([], allow_public=False)
    stage.discoveries = [_BrokenLink(None)]  # type: ignore[list-item]
    stage.after_arp({"02:00:00:00:00:01": "192.168.178.2"}, {})
    assert stage.merge(Host(ip="192.168.178.2")).ipv6 == ()
    (note,) = [n for n in stage.standing_gaps() if n.check == "ipv6-discovery"]
    assert "malformed advert" in note.reason


def test_the_ipv6_only_note_is_capped() -> None:
    from scanner.portscan.ipv6_stage import LISTED_DEVICES, ipv6_only_note

    unknown = {f"02:00:00:00:00:{i:02x}": tuple(
        Ipv6Address(f"fe80::{i}:{j}", AddressKind.LINK_LOCAL) for j in range(5))
        for i in range(40)}
    note = ipv6_only_note(unknown, lambda _mac: None)
    assert note.count("02:00:00:00:00:") == LISTED_DEVICES
    assert note.endswith(f"; and {40 - LISTED_DEVICES} more") and "(+2)" in note
    assert len(note) < 1200


def test_a_host_without_an_ipv6_address_in_scope_is_said_once() -> None:
    """Every stage of the host asks for its IPv6 target (the wait before nmap -6, the pass,
    the UDP questions); the "not in scope" note is one entry, not one per question."""
    from scanner.model import AddressKind, Ipv6Address
    from scanner.portscan.ipv6_stage import Ipv6Stage
    from scanner.portscan.nmap_scan import NmapRun

    stage = Ipv6Stage([], allow_public=False)
    # a link-local address without the link it was seen on: nothing to scan it through
    stage.addresses["192.0.2.5"] = (Ipv6Address("fe80::5", AddressKind.LINK_LOCAL),)
    assert not stage.will_scan("192.0.2.5", "mac:02:00:00:00:00:05")
    assert not stage.will_scan("192.0.2.5", "mac:02:00:00:00:00:05")
    stage.scan_host("192.0.2.5", "mac:02:00:00:00:00:05", [22], NmapRun(), 40, 40)
    notes = [n for n in stage.not_tested if n.check == "ipv6-scan"]
    assert len(notes) == 1 and notes[0].host == "mac:02:00:00:00:00:05"
