"""The scan engine's arithmetic: rate division by policy class, nmap's silence, the floor."""

from __future__ import annotations

import ipaddress
import math

import pytest

from scanner.portscan.engine import PortClass, divide, host_timeout, hostgroup, merge
from scanner.portscan.nmap_scan import (NMAP_SHARE_OF_HOST, NmapHost, parse_nmap_xml,
                                        scan_delay_ms, tcp_scan_arguments)
from scanner.model import Protocol, Service

STANDARD = PortClass(40.0, tuple(range(1, 1046)), tuple(range(1, 14)))
QUICK = PortClass(40.0, tuple(range(1, 58)), ())
MEDICAL = PortClass(20.0, tuple(range(1, 58)), ())


def test_a_big_class_gets_what_small_classes_cannot_use() -> None:
    rates = divide({STANDARD: 950, MEDICAL: 50}, 1800)
    assert sum(rates.values()) == pytest.approx(1800)
    # in proportion to packets: both classes end together
    t_std = STANDARD.packets(950) / rates[STANDARD]
    t_med = MEDICAL.packets(50) / rates[MEDICAL]
    assert t_std == pytest.approx(t_med)


def test_a_class_never_gets_more_than_its_hosts_can_take() -> None:
    rates = divide({STANDARD: 3, QUICK: 200}, 1800)
    assert rates[STANDARD] == pytest.approx(3 * 1000 / 51)  # its scan delays (51 ms) bound it
    assert rates[QUICK] == pytest.approx(1800 - 3 * 1000 / 51)
    assert divide({MEDICAL: 1}, 1800) == {MEDICAL: pytest.approx(1000 / 101)}


def test_the_host_timeout_outlasts_a_group_at_its_rate() -> None:
    rate = divide({STANDARD: 1000}, 1800)[STANDARD]
    assert host_timeout(STANDARD, 1000, rate) > STANDARD.packets(1000) / rate
    args = tcp_scan_arguments([22, 80], "eth0", host_timeout=1234.5, hostgroup=700)
    assert args[args.index("--host-timeout") + 1] == "1235s"
    assert args[args.index("--min-hostgroup") + 1] == args[args.index("--max-hostgroup") + 1] == "700"
    udp_only = tcp_scan_arguments([], None, udp=[161], tcp=False)
    assert "-sS" not in udp_only and udp_only[udp_only.index("-p") + 1] == "U:161"


_XML = """<?xml version="1.0"?><nmaprun scanner="nmap" args="nmap" version="7.93">
<host><status state="up" reason="arp-response"/>
<address addr="10.64.0.2" addrtype="ipv4"/><address addr="02:5C:00:00:00:02" addrtype="mac"/>
<ports><extraports state="closed" count="1040"><extrareasons reason="reset" count="1040" proto="tcp" ports="1-21,23-79,81-1045"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="http" method="table" conf="3"/></port>
</ports></host>
<host><status state="up" reason="arp-response"/>
<address addr="10.64.0.5" addrtype="ipv4"/>
<ports><extraports state="filtered" count="1045"><extrareasons reason="no-response" count="1045" proto="tcp" ports="1-1045"/></extraports></ports></host>
<host><status state="up" reason="user-set"/>
<address addr="10.64.0.6" addrtype="ipv4"/>
<ports><extraports state="filtered" count="1043"><extrareasons reason="no-response" count="1043" proto="tcp" ports="1-442,444-635,637-1045"/></extraports>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
<port protocol="tcp" portid="636"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
</ports></host>
<runstats><finished time="1" timestr="" elapsed="1" exit="success"/><hosts up="3" down="0" total="3"/></runstats></nmaprun>
"""


def test_nmap_xml_says_which_ports_got_no_answer() -> None:
    hosts = {h.ip: h for h in parse_nmap_xml(_XML)}
    assert hosts["10.64.0.2"].answered_tcp and hosts["10.64.0.2"].unanswered_tcp == {80}
    assert not hosts["10.64.0.5"].answered_tcp  # a firewall dropping everything
    assert len(hosts["10.64.0.5"].unanswered_tcp) == 1045
    assert hosts["10.64.0.6"].answered_tcp and len(hosts["10.64.0.6"].unanswered_tcp) == 1043


def test_merge_keeps_every_open_port_of_every_run() -> None:
    tcp = NmapHost("10.64.0.6", None, (Service(443, Protocol.TCP, "https"),))
    udp = NmapHost("10.64.0.6", "02:5c:00:00:00:06", (Service(161, Protocol.UDP, "snmp"),))
    again = NmapHost("10.64.0.6", None, (Service(80, Protocol.TCP, "http"),))
    got = merge(tcp, udp, again)
    assert got.mac == "02:5c:00:00:00:06"
    assert [(s.protocol.value, s.port) for s in got.services] == [("tcp", 80), ("tcp", 443),
                                                                  ("udp", 161)]


def test_the_scale_segment_plan() -> None:
    from scanner.errors import LabError
    from scanner.lab import scale

    hosts = scale.scale_hosts(1000)
    assert len({h.ip for h in hosts}) == len({h.mac for h in hosts}) == 1000
    assert all(ipaddress.IPv4Address(h.ip) in scale.SUBNET for h in hosts)
    assert scale.SCANNER_IP not in {h.ip for h in hosts}
    assert sum(h.firewalled for h in hosts) == 200
    assert all(1 <= len(h.tcp_open) <= 3 for h in hosts)
    assert all(len(h.namespace) <= 255 and len(h.port_name) <= 15 for h in hosts)
    with pytest.raises(LabError, match="from 0 to 1000"):
        scale.scale_hosts(1001)


@pytest.mark.parametrize("pps", [40.0, 20.0, 10.0])
def test_host_groups_are_sized_with_the_pace_nmap_is_given(pps: float) -> None:
    # The engine fills a class's rate with hosts at nmap's per-host pace (--scan-delay); a
    # pace it overrates makes the groups too small and leaves the class's rate unused.
    args = tcp_scan_arguments([22, 80], "eth0", host_pps=pps)
    delay = args[args.index("--scan-delay") + 1]
    nmap_pps = 1000 / int(delay.removesuffix("ms"))
    cls = PortClass(pps, (22, 80), ())
    assert cls.fastest(1) == pytest.approx(nmap_pps)
    assert hostgroup(cls, 10_000, 1000) * nmap_pps >= 1000  # the group can fill the rate


def test_the_neighbour_table_gets_only_what_arp_said_and_no_static_entry() -> None:
    from scanner.portscan.neighbours import commands

    learned = [("10.64.0.2", "02:5C:00:00:00:02"), ("10.64.0.3", "02:5c:00:00:00:03"),
               ("10.64.0.4; reboot", "02:5c:00:00:00:04"),  # network input: never a command
               ("10.64.0.5", "02:5c:00:00:00:05 dev lo"), ("10.64.0.6", "01:00:5e:00:00:01"),
               ("224.0.0.1", "02:5c:00:00:00:07"), ("10.64.0.8", "00:00:00:00:00:00")]
    assert commands("eth0", learned, static={"10.64.0.3"}) == [
        "neigh replace 10.64.0.2 lladdr 02:5c:00:00:00:02 dev eth0 nud reachable"]
    assert commands("eth0 dev lo", learned, static=set()) == []


def test_the_neighbour_table_gets_the_unicast_ipv6_addresses_a_host_said_it_holds() -> None:
    from scanner.portscan.neighbours import commands

    mac = "02:5c:00:00:00:02"
    learned = [("fe80::5c:ff:fe00:2", mac), ("2001:db8:1:1::2", mac), ("fd00::2", mac),
               ("ff02::1", mac), ("::", mac), ("::1", mac), ("fe80::3", "33:33:00:00:00:01"),
               ("fe80::4%eth0", mac), ("FD00::0:5", mac)]
    assert commands("eth0", learned, static={"fd00::2"}) == [
        f"neigh replace {a} lladdr {mac} dev eth0 nud reachable"
        for a in ("fe80::5c:ff:fe00:2", "2001:db8:1:1::2", "fd00::5")]


@pytest.mark.parametrize("hosts", [90, 200, 1000])
def test_hosts_are_spread_evenly_over_the_host_groups(hosts: int) -> None:
    # quick at 200 hosts: nmap's rate about 1,175 packets/s fills groups of 89 hosts; two
    # of 89 and one of 22 took a whole host's time more than three of 67
    rate = 1175.0
    group = hostgroup(QUICK, hosts, rate)
    groups = math.ceil(hosts / group)
    assert group * groups - hosts < groups  # sizes differ by one at most
    assert groups == math.ceil(hosts / math.ceil(1.5 * rate / QUICK.fastest(1)))


def test_a_network_bigger_than_the_neighbour_table_is_said(tmp_path) -> None:
    from scanner.portscan.neighbours import capacity_gap

    limit = tmp_path / "gc_thresh3"
    limit.write_text("1024\n")
    said = capacity_gap(1000, str(limit))
    assert said is not None and "1000 hosts" in said and "1024" in said
    assert "gc_thresh3=4096" in said  # room for twice the hosts, rounded up
    assert capacity_gap(900, str(limit)) is None
    assert capacity_gap(1000, str(tmp_path / "absent")) is None  # inside a namespace


def test_a_rechecked_port_is_named_as_the_services_file_names_it_once_per_port(monkeypatch) -> None:
    import socket

    from scanner import pipeline

    getattr(pipeline._service_name, "cache_clear", lambda: None)()
    asked: list[int] = []
    real = socket.getservbyport

    def counted(port: int, proto: str = "tcp") -> str:
        asked.append(port)
        return real(port, proto)

    monkeypatch.setattr(socket, "getservbyport", counted)
    names = [pipeline._service_name(p) for p in (873, 873, 873, 61999, 61999)]
    assert names == ["rsync", "rsync", "rsync", "", ""]  # a port without a name: empty
    assert asked == [873, 61999]  # a scan of many hosts asks the system once per port


# -- the second ask of ports a firewall dropped ------------------------------------------


def test_a_second_ask_uses_the_cap_less_the_kernels_rsts_and_a_margin() -> None:
    from scanner.portscan.engine import repeat_share

    assert repeat_share(40, 0) == pytest.approx(0.9)  # 36 SYNs + margin 4 = 40
    assert repeat_share(40, 2) == pytest.approx(1 - 6 / 40)  # 34 SYNs + 2 RSTs + 4
    assert repeat_share(20, 1) == pytest.approx(1 - 3 / 20)  # medical: 17 + 1 + 2
    assert repeat_share(5, 0) == pytest.approx(0.8)  # a margin of at least one packet
    assert repeat_share(40, 30) == NMAP_SHARE_OF_HOST  # never below the first ask's half


def test_the_ipv6_pass_keeps_the_half_share_for_a_host_that_drops_over_ipv4() -> None:
    from scanner.portscan.engine import other_family_share

    web = (Service(port=443, protocol=Protocol.TCP), Service(port=53, protocol=Protocol.UDP))
    assert other_family_share(NmapHost("10.0.0.2", None, web), 40) == pytest.approx(1 - 5 / 40)
    assert other_family_share(NmapHost("10.0.0.2", None, web, drops_tcp=True), 40) == NMAP_SHARE_OF_HOST
    assert other_family_share(NmapHost("10.0.0.2", None, (), answered_tcp=False), 40) == NMAP_SHARE_OF_HOST


def test_nmap_gets_the_share_as_its_scan_delay_and_a_floor_for_its_rate() -> None:
    args = tcp_scan_arguments([22], "eth0", host_pps=40, max_pps=300, share=0.9, min_pps=250)
    assert args[args.index("--scan-delay") + 1] == "28ms"  # 1000 / 36, rounded up
    assert args[args.index("--min-rate") + 1] == "250"
    assert "--min-rate" not in tcp_scan_arguments([22], "eth0")
    capped = tcp_scan_arguments([22], None, max_pps=100, min_pps=250)
    assert capped[capped.index("--min-rate") + 1] == "100"  # never above --max-rate


def test_more_lends_what_is_free_and_takes_it_back() -> None:
    from scanner.portscan.engine import Budget

    b = Budget(1000)
    with b.nmap(700):
        with b.more(500) as got:
            assert got == pytest.approx(250)  # 950 (the probes keep 5 %) - 700
            assert b._probe_cap() == pytest.approx(50)
        assert b._probe_cap() == pytest.approx(300)
    with b.more(100) as got:
        assert got == 100


class _Nmap:
    """nmap's answers as the engine reads them (the seam the wire test covers for real)."""

    def __init__(self, answers: list[list[NmapHost]], calls: list[dict]) -> None:
        self.answers, self.calls, self.stopped = answers, calls, False

    def scan(self, hosts, ports, interface, on_host=None, **rates):  # noqa: ANN001, ANN003
        self.calls.append({"hosts": list(hosts), "ports": list(ports), **rates})
        found = self.answers.pop(0)
        for h in found if on_host else ():
            on_host(h)
        return [] if on_host else found


def test_hosts_that_drop_many_ports_are_asked_again_at_the_higher_share() -> None:
    from contextlib import contextmanager

    from scanner.portscan.engine import scan_class

    wall = frozenset(range(1, 58)) - {443}
    answers = [[NmapHost("10.0.0.2", None, (Service(port=443, protocol=Protocol.TCP),),
                         unanswered_tcp=wall),
                NmapHost("10.0.0.3", None, (), unanswered_tcp=frozenset({22}))],
               [NmapHost("10.0.0.2", None, (Service(port=8443, protocol=Protocol.TCP),))]]
    calls: list[dict] = []
    done: dict[str, NmapHost] = {}
    lent: list[float] = []

    @contextmanager
    def more(want: float):  # noqa: ANN202
        lent.append(want)
        yield want

    scan_class(QUICK, ["10.0.0.2", "10.0.0.3"], 20.0, "eth0",
               lambda: _Nmap(answers, calls), lambda h: done.__setitem__(h.ip, h), more)
    second = calls[1]
    assert second["hosts"] == ["10.0.0.2"] and second["ports"] == sorted(wall)
    assert second["share"] == pytest.approx(0.9)  # none of the asked ports was open
    # the class's rate (20) is less than the host's scan delay (28 ms) allows: more lent
    assert lent == [pytest.approx(1000 / 28 - 20)] and second["max_pps"] == pytest.approx(1000 / 28)
    assert second["min_pps"] == pytest.approx(0.9 * 1000 / 28)
    assert [s.port for s in done["10.0.0.2"].services] == [443, 8443]
    assert done["10.0.0.2"].drops_tcp and not done["10.0.0.2"].unanswered_tcp
    # its probes count nmap's last second at the share it was asked at last
    assert done["10.0.0.2"].share == pytest.approx(0.9) and done["10.0.0.3"].share == NMAP_SHARE_OF_HOST
    # a host with a few lost answers is left to the probe stage's recheck
    assert done["10.0.0.3"].unanswered_tcp == {22} and not done["10.0.0.3"].drops_tcp


def _nmap_schedule(cls: PortClass, open_ports: int, share: float) -> list[float]:
    """The fastest a host of ``cls`` can be sent to: nmap's SYNs one --scan-delay apart (read
    from the arguments nmap gets), and the kernel's RST 1 ms after each open port's SYN (the
    last ports open: the worst case at the end)."""
    args = tcp_scan_arguments(cls.tcp, None, host_pps=cls.host_pps, share=share)
    delay = int(args[args.index("--scan-delay") + 1].removesuffix("ms")) / 1000
    syns = [i * delay for i in range(len(cls.tcp))]
    return syns + [t + 0.001 for t in syns[len(syns) - open_ports:]]


@pytest.mark.parametrize("cls, open_ports, share", [
    (QUICK, 0, NMAP_SHARE_OF_HOST), (QUICK, 3, NMAP_SHARE_OF_HOST),
    (MEDICAL, 3, NMAP_SHARE_OF_HOST), (STANDARD, 5, NMAP_SHARE_OF_HOST),
    (QUICK, 3, 0.9),  # a host asked a second time, at up to 90 % of its cap
])
def test_the_estimate_of_nmaps_last_second_holds_what_nmap_can_send(
        cls: PortClass, open_ports: int, share: float) -> None:
    from scanner.lab.wire import busiest_second
    from scanner.portscan.engine import last_second

    times = _nmap_schedule(cls, open_ports, share)
    done = max(times)  # nmap reports the host after its last packet
    estimate = last_second(cls, open_ports, share)
    assert len([t for t in times if done - t < 1.0]) <= estimate
    assert busiest_second(times) <= estimate
    if share == NMAP_SHARE_OF_HOST:  # room for the probes right away: less than the whole second's cap
        assert estimate <= 0.6 * cls.host_pps + open_ports


def test_a_tcp_scan_shorter_than_a_second_counts_the_udp_run_before_it() -> None:
    from scanner.portscan.engine import last_second

    few = PortClass(40.0, (22, 80, 443), (161,))
    assert last_second(few, 1) == 2 * last_second(PortClass(40.0, (22, 80, 443), ()), 0) + 1
    # enough TCP ports for a second of their own: the UDP run is older than that
    assert last_second(STANDARD, 1) == last_second(QUICK, 1)


def test_packets_dated_earlier_leave_the_window_earlier(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from scanner.probes import base

    def no_waiting(_seconds: float) -> None:
        raise AssertionError("waited for packets that left the window already")

    window = base.RateWindow(40)
    window.sent(40, at=time.monotonic() - 1.0)  # nmap's second, reported a second ago
    monkeypatch.setattr(base.time, "sleep", no_waiting)
    window.wait_for(40)  # a whole second's worth fits at once
    window.sent(40)
    with pytest.raises(AssertionError, match="waited"):
        window.wait_for(1)  # these are now: the next packet must wait


# -- the SYN-ACK watch: a first ask at more than half the cap ----------------------------


def _syns_per_second(host_pps: float, share: float) -> int:
    return 1000 // scan_delay_ms(host_pps, share) + 1  # both ends of the window counted


@pytest.mark.parametrize("host_pps", [10, 20, 40])  # the caps of policy.toml
def test_the_half_share_holds_the_cap_when_every_port_answers(host_pps: int) -> None:
    # each SYN a SYN-ACK, each SYN-ACK a kernel RST: twice nmap's SYNs of one second
    assert 2 * _syns_per_second(host_pps, NMAP_SHARE_OF_HOST) <= host_pps


@pytest.mark.parametrize("host_pps, syns, limit", [(20, 15, 2), (40, 33, 4), (80, 67, 8)])
def test_the_watched_share_leaves_room_for_the_rsts_up_to_the_trip(
        host_pps: int, syns: int, limit: int) -> None:
    from scanner.portscan.engine import TRIP_LATENCY_PACKETS, watched_share

    w = watched_share(host_pps)
    assert (_syns_per_second(host_pps, w.share), w.limit) == (syns, limit)
    assert syns + limit + TRIP_LATENCY_PACKETS <= host_pps


def test_a_cap_too_small_for_a_trip_keeps_the_half_share() -> None:
    from scanner.portscan.engine import watched_share

    assert watched_share(10).share == NMAP_SHARE_OF_HOST and watched_share(10).limit == 0


def _syn_ack(src: str) -> bytes:
    """An Ethernet frame with an IPv4 header from ``src`` (the watch reads no more)."""
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]) + bytes(map(int, src.split("."))) \
        + bytes([10, 0, 0, 1])
    return b"\x02" * 12 + b"\x08\x00" + ip + bytes(20)


def test_the_watch_trips_once_at_the_limit_within_one_second() -> None:
    from scanner.portscan.synack_watch import SynAckWatch

    now = [0.0]
    trips: list[str] = []
    w = SynAckWatch("lo", clock=lambda: now[0])
    w.watch("10.0.0.2", 3, lambda: trips.append("10.0.0.2"))
    for t in (0.0, 0.6, 1.2, 1.9):  # never three within one second
        now[0] = t
        w.frame(_syn_ack("10.0.0.2"))
    w.frame(_syn_ack("10.0.0.3"))  # not watched
    assert trips == []
    now[0] = 2.1  # 1.2, 1.9, 2.1
    w.frame(_syn_ack("10.0.0.2"))
    w.frame(_syn_ack("10.0.0.2"))
    assert trips == ["10.0.0.2"]  # once: its nmap is gone
    w.forget("10.0.0.2")
    w.frame(b"\x00" * 10)  # a runt frame is no host's


def test_a_class_bound_by_its_hosts_caps_gets_an_nmap_per_host_and_a_tripped_host_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from scanner.portscan import engine
    from scanner.portscan.engine import scan_class, watched_share

    monkeypatch.setattr(engine.time, "sleep", lambda _s: None)
    calls: list[dict] = []

    class Run:
        def __init__(self) -> None:
            self.stopped = self.tripped = False

        def trip(self) -> None:
            self.tripped = True

        def scan(self, hosts, ports, interface, on_host=None, **rates):  # noqa: ANN001, ANN003
            calls.append({"hosts": list(hosts), **rates})
            if hosts == ["10.0.0.9"] and rates["share"] > NMAP_SHARE_OF_HOST:
                watch.on.pop("10.0.0.9")()  # its SYN-ACKs trip the watch
                return []
            first_ask = rates["share"] == watched_share(40).share
            wall = frozenset(range(100, 140)) if first_ask and hosts == ["10.0.0.2"] else frozenset()
            return [NmapHost(hosts[0], None, (Service(port=22, protocol=Protocol.TCP),),
                             unanswered_tcp=wall)]

    class Watch:
        def __init__(self) -> None:
            self.on: dict = {}

        def watch(self, ip, limit, on_trip):  # noqa: ANN001
            assert limit == 4
            self.on[ip] = on_trip

        def forget(self, ip):  # noqa: ANN001
            self.on.pop(ip, None)

    watch = Watch()
    lent: list[float] = []

    @contextmanager
    def more(want: float):  # noqa: ANN202
        lent.append(want)
        yield want

    done: dict[str, NmapHost] = {}
    ips = ["10.0.0.2", "10.0.0.9"]
    scan_class(QUICK, ips, QUICK.fastest(2), "eth0", Run, lambda h: done.__setitem__(h.ip, h),
               more, watch)  # type: ignore[arg-type]
    fast = watched_share(40).share
    assert lent[0] == pytest.approx(2 * (1000 / 31 - 1000 / 51))  # scan delays 31 and 51 ms
    firsts = [c for c in calls if c["share"] == fast]
    assert sorted(c["hosts"][0] for c in firsts) == ips and all(c["hostgroup"] == 1 for c in firsts)
    assert all(c["max_pps"] == pytest.approx(1000 / 31) for c in firsts)
    again = [c for c in calls if c["share"] == NMAP_SHARE_OF_HOST]
    assert [c["hosts"] for c in again] == [["10.0.0.9"]]
    assert done["10.0.0.9"].share == NMAP_SHARE_OF_HOST
    # the host behind a firewall is asked its dropped ports at once, alone, with its own
    # rate and what the budget lends up to its scan delay at 90 % (28 ms)
    second = [c for c in calls if c["share"] == pytest.approx(0.9)]
    assert [(c["hosts"], c["max_pps"]) for c in second] == [(["10.0.0.2"], pytest.approx(1000 / 28))]
    assert lent[1] == pytest.approx(1000 / 28 - 1000 / 31)
    assert done["10.0.0.2"].drops_tcp and done["10.0.0.2"].share == pytest.approx(0.9)


def test_a_class_bound_by_the_global_cap_is_scanned_together_at_the_half_share() -> None:
    from scanner.portscan.engine import scan_class

    calls: list[dict] = []
    answers = [[NmapHost("10.0.0.2", None, ()), NmapHost("10.0.0.3", None, ())]]

    class Watch:
        def watch(self, *_a) -> None:  # noqa: ANN002
            raise AssertionError("a class bound by the global rate is not watched")

    scan_class(QUICK, ["10.0.0.2", "10.0.0.3"], 20.0, "eth0", lambda: _Nmap(answers, calls),
               lambda h: None, watch=Watch())  # type: ignore[arg-type]
    assert [c["hosts"] for c in calls] == [["10.0.0.2", "10.0.0.3"]]
