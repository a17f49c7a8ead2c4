"""MyFRITZ! shares over TR-064 (X_AVM-DE_MyFritz:1): read from the lab's TR-064 emulator on
127.0.0.1 through the real fritzconnection, parsed defensively, tied to their devices, and
reported as the router letting the Internet in over IPv6 to that device's port."""

from __future__ import annotations

from datetime import datetime, timezone

from scanner.lab.daemons import myfritz_share
from scanner.lab.topology import load_practice
from scanner.model import AddressKind, Host, Ipv6Address, Observation, Role, Scan, Scope, Source
from scanner.probes.tr064_myfritz import MAX_ADDRESSES, MAX_SERVICES, share_observation
from scanner.rules.engine import evaluate
from scanner.rules.evidence import text
from tests.test_upnp_scope import _audit, _box, fritzbox

PRACTICE = load_practice()
NAS = PRACTICE.host("nas")
NAS_V6 = "2001:db8:1:1:211:32ff:fe0a:6060"
T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)


def _lab_share() -> dict:
    return myfritz_share(PRACTICE, PRACTICE.router.tr064["myfritz_shares"][0])


def test_the_lab_fritzbox_tells_its_myfritz_share_of_the_nas_with_its_ipv6_address() -> None:
    cfg = _box(myfritz_shares=[_lab_share()])
    with fritzbox(cfg) as port:
        obs, _, unreadable = _audit(cfg, port)
    assert unreadable == []
    (share,) = [o for o in obs if o.kind == "tr064-myfritz-share"]
    assert dict(share.data) == {
        "index": "0", "enabled": "yes", "port": "5001", "name": "DiskStation",
        "scheme": "https://", "hostname": "DiskStation", "mac": NAS.mac, "ipv4": NAS.ip,
        "ipv6": NAS_V6, "ipv6_iids": "::211:32ff:fe0a:6060", "status": "200"}


def test_a_box_that_lies_about_its_share_count_is_read_up_to_the_cap_and_said() -> None:
    hostile = {"Port": "50x1", "MACAddress": "not a mac"}
    cfg = _box(myfritz_shares=[_lab_share(), hostile], myfritz_count=10**9)
    with fritzbox(cfg) as port:
        obs, _, unreadable = _audit(cfg, port)
    assert [o.get("port") for o in obs if o.kind == "tr064-myfritz-share"] == ["5001"]
    assert (f"X_AVM-DE_MyFritz1: 1000000000 MyFRITZ! shares listed, the first {MAX_SERVICES} "
            "read") in unreadable
    # the hostile share is a note naming its field; the index past the real list (the
    # emulator's 713 fault) ends the list: not a billion requests, not 128
    assert "X_AVM-DE_MyFritz1: MyFRITZ! share 1 not evaluated: NewPort '50x1' unreadable" \
        in unreadable
    assert unreadable[-1] == "X_AVM-DE_MyFritz1: MyFRITZ! share 2 of 1000000000 not answered"
    assert len(unreadable) <= 4


def test_share_fields_are_bounded_checked_and_dropped_when_malformed() -> None:
    many = ", ".join(f"2001:db8:1:1::{i:x}" for i in range(1, 500))
    o, note = share_observation(3, {
        "NewEnabled": True, "NewPort": 5001, "NewName": "x" * 5000 + "\x1b[31m",
        "NewMACAddress": "00-11-32-0A-60-60", "NewIPv4Addresses": "192.168.178.60, 999.1.1.1, ::1",
        "NewIPv6Addresses": f"{many}, 192.168.178.60, ff02::1, fe80::1%eth0",
        "NewIPv6InterfaceIDs": "::211:32ff:fe0a:6060,1:2:3:4:5:6:7:8, 4c4f:e72c:de8e:2776, ::",
        "NewStatus": "-1"})
    assert note is None and o is not None
    d = dict(o.data)
    assert d["mac"] == "00:11:32:0a:60:60" and d["ipv4"] == "192.168.178.60"
    assert len(d["ipv6"].split(", ")) == MAX_ADDRESSES and "192.168" not in d["ipv6"]
    assert d["ipv6_iids"] == "::211:32ff:fe0a:6060, ::4c4f:e72c:de8e:2776"
    assert len(d["name"]) <= 64 and "\x1b" not in d["name"] and "status" not in d
    for bad, why in (({"NewEnabled": "maybe", "NewPort": "443"}, "NewEnabled 'maybe'"),
                     ({"NewEnabled": "1", "NewPort": "0"}, "NewPort '0'"),
                     ({"NewEnabled": "1"}, "NewPort ''"), ({}, "NewEnabled ''")):
        o, note = share_observation(7, bad)
        assert o is None and note == f"MyFRITZ! share 7 not evaluated: {why} unreadable"


def _scan(*observations: Observation, inbound: tuple[Observation, ...] = ()) -> Scan:
    router = Host(ip="192.168.178.1", mac=PRACTICE.router.mac, role=Role.ROUTER,
                  hostnames=("fritz.box",), observations=observations)
    nas = Host(ip=NAS.ip, mac=NAS.mac, role=Role.NAS, hostnames=("DiskStation",),
               ipv6=(Ipv6Address(NAS_V6, AddressKind.GLOBAL),), observations=inbound)
    return Scan(started_at=T0, finished_at=T0, complete=True, hosts=(router, nas),
                scope=Scope(targets=("192.168.178.0/24",), networks=("192.168.178.0/24",)))


def _share(**data: str) -> Observation:
    return Observation(Source.PROBE, "tr064-myfritz-share", tuple(data.items()), T0)


def test_the_finding_names_the_nas_its_port_and_its_ipv6_address() -> None:
    share = _share(index="0", enabled="yes", port="5001", name="DiskStation", hostname="DiskStation",
                   mac=NAS.mac, ipv4=NAS.ip, ipv6=NAS_V6)
    myfritz = Observation(Source.PROBE, "tr064-myfritz", (("enabled", "yes"),), T0)
    findings, gaps = evaluate(_scan(myfritz, share), None, T0.date())
    (f,) = [f for f in findings if f.rule == "ipv6-inbound-open"]
    assert (f.host, f.port) == (f"mac:{NAS.mac}", 5001)
    lines = [text(e, "en") for e in f.evidence]
    assert lines[0] == ("fritz.box opens tcp/5001 of DiskStation to the Internet over IPv6 by "
                        f"MyFRITZ! share 'DiskStation' ({NAS_V6})")
    assert lines[1].startswith(f"{NAS.ip}, DiskStation")
    (inbound,) = [f for f in findings if f.rule == "inbound-service"]
    assert (inbound.host, inbound.port) == (f"mac:{NAS.mac}", 5001)
    assert text(inbound.evidence[0], "de") == (
        "fritz.box gibt über MyFRITZ! 'DiskStation' tcp/5001 von DiskStation für das Internet "
        f"frei (IPv6: {NAS_V6}) (IPv4: {NAS.ip})")
    # TR-064 cannot tell the plain IPv6 shares: never read as "none"
    (note,) = [g for g in gaps if g.check == "ipv6-inbound-open"]
    assert "plain IPv6 port shares and an IPv6 exposed host cannot be read" in note.reason
    assert note.host == f"mac:{PRACTICE.router.mac}"


def test_the_note_on_plain_ipv6_shares_goes_once_the_outside_in_check_looked_over_ipv6() -> None:
    myfritz = Observation(Source.PROBE, "tr064-myfritz", (("enabled", "yes"),), T0)
    seen = Observation(Source.PROBE, "inbound", (("port", "5001"), ("external", f"[{NAS_V6}]:5001"),
                                                 ("detail", "x")), T0)
    _, gaps = evaluate(_scan(myfritz, inbound=(seen,)), None, T0.date())
    assert not [g for g in gaps if g.check == "ipv6-inbound-open"]
    _, gaps = evaluate(_scan(), None, T0.date())  # no TR-064 audit: nothing said to be unread
    assert not [g for g in gaps if g.check == "ipv6-inbound-open"]
