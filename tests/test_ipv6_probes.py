"""The probe table over IPv6 (issue 15): real servers on ::1, the only IPv6 address a unit
test may talk to. Each probe kind the IPv6 pass runs is checked on a socket bound to ::1:
HTTP (the Host header in brackets), TLS (no SNI for a literal), the SSH greeting; then the
stage's choice of ports (only those IPv4 does not show open) and the rule text for them."""

from __future__ import annotations

import dataclasses
import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import external
from scanner.model import Protocol, SeenBy, Service
from scanner.portscan.ipv6_stage import Ipv6Stage, probe_address
from scanner.probes import banners, tls, web
from scanner.probes.base import RateWindow
from scanner.rules.engine import evaluate
from scanner.rules.evidence import text
from tests.receivers import make_certificate
from tests.test_rules import load_case

LOOPBACK = "::1"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind((LOOPBACK, 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")


class _Page(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.hosts.append(self.headers.get("Host", ""))
        body = b"<html><title>DiskStation</title><input type=\"password\"></html>"
        self.send_response(200)
        self.send_header("Server", "nginx/1.22.1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Http6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.fixture
def web6() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []
    server = _Http6((LOOPBACK, 0), type("Page", (_Page,), {"hosts": hosts}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()
        server.server_close()


class _Once:
    """A TCP server on ::1 that answers each connection with ``answer`` (or a TLS
    handshake), and records what it learned of the client."""

    def __init__(self, answer: bytes = b"", context: ssl.SSLContext | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET6)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.answer, self.context = answer, context
        self.sni: list[str | None] = []
        if context is not None:
            context.sni_callback = lambda s, name, c: self.sni.append(name)  # type: ignore[assignment]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                if self.context is not None:
                    with self.context.wrap_socket(conn, server_side=True) as s:
                        s.recv(1)
                else:
                    with conn:
                        conn.sendall(self.answer)
                        conn.recv(64)
            except (OSError, ssl.SSLError):
                pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def tls6(tmp_path: Path) -> Iterator[_Once]:
    cert, key = make_certificate(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = _Once(context=ctx)
    yield server
    server.close()


@pytest.fixture
def ssh6() -> Iterator[_Once]:
    server = _Once(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    yield server
    server.close()


def test_the_http_probe_speaks_to_an_ipv6_literal(web6: tuple[int, list[str]]) -> None:
    port, hosts = web6
    result = web.http(LOOPBACK, port, False)
    (obs,) = [o for o in result.observations if o.kind == "http"]
    assert (obs.get("title"), obs.get("server"), obs.get("login_form")) == \
        ("DiskStation", "nginx/1.22.1", "yes")
    assert result.service and (result.service.product, result.service.version) == \
        ("nginx", "1.22.1")
    assert hosts == ["[::1]"]  # RFC 3986: an IPv6 literal in brackets


def test_an_ipv6_host_header_never_carries_the_zone() -> None:
    assert web.host_literal("fe80::1aa9:9bff:fe0a:2121%eth0") == "[fe80::1aa9:9bff:fe0a:2121]"
    assert web.host_literal("192.168.178.60") == "192.168.178.60"
    assert web.host_literal("nas.local") is None  # a name is never resolved


def test_the_tls_probe_over_ipv6_sends_no_sni(tls6: _Once) -> None:
    (obs,) = tls.tls(LOOPBACK, tls6.port).observations
    assert obs.get("version", "").startswith("TLSv1.")
    assert obs.get("subject") == "commonName=127.0.0.1" and len(obs.get("cert_sha256", "")) == 64
    assert tls6.sni and set(tls6.sni) == {None}  # no server name for an address literal


def test_the_ssh_greeting_over_ipv6_names_the_version(ssh6: _Once) -> None:
    result = banners.ssh(LOOPBACK, ssh6.port)
    assert result.service is not None
    assert (result.service.product, result.service.version) == ("OpenSSH", "9.2p1 Debian-2+deb12u3")


class _Counted(RateWindow):
    def __init__(self, pps: float) -> None:
        super().__init__(pps)
        self.stamped: list[int] = []

    def sent(self, packets: int) -> None:
        self.stamped.append(packets)
        super().sent(packets)


# The table picks a probe by port; the servers below sit on free ports, where it reads a
# banner (the ports' own probes are tried on ::1 above, and in the lab on their ports).


def test_the_ipv6_probes_run_in_the_hosts_window_and_name_the_address(
        web6: tuple[int, list[str]], ssh6: _Once) -> None:
    window = _Counted(400)
    got = probe_address(LOOPBACK, [web6[0], ssh6.port],
                        frozenset({"banner", "snmp", "netbios", "sicct"}), window, "mac:x")
    assert {o.get("address") for o in got.observations} == {"::1"}
    assert {o.get("port") for o in got.observations if o.kind == "banner"} == {str(ssh6.port)}
    assert [s.product for s in got.services] == ["OpenSSH"]
    # nmap -6's share of the last second, then two banner reads (6 each); the UDP
    # questions of the policy are neither paced nor sent
    assert window.stamped == [int(0.9 * 400), 6, 6]
    assert not got.not_tested


class _OpenGuard:
    """The scope guard refuses loopback by design; the stage is tried on ::1 through it."""

    def refusal(self, host: object) -> str | None:
        return None


def test_only_the_ports_ipv4_does_not_show_are_probed_over_ipv6(
        web6: tuple[int, list[str]], ssh6: _Once) -> None:
    stage = Ipv6Stage([], allow_public=False)
    ip = "192.168.178.60"
    stage.zoned[ip] = LOOPBACK
    stage.services[ip] = (Service(web6[0], Protocol.TCP, "http"),
                          Service(ssh6.port, Protocol.TCP, "ssh"))
    stage.guard = _OpenGuard()  # type: ignore[assignment]
    dropbear = _Once(b"SSH-2.0-dropbear_2022.83\r\n")
    try:
        stage.services[ip] += (Service(dropbear.port, Protocol.TCP, "ssh"),)
        # IPv4 shows the first SSH port and the web port open: only dropbear is the gap
        got = stage.probe_host(ip, "mac:00:11:32:0a:60:60", [ssh6.port, web6[0]],
                               frozenset({"banner"}), RateWindow(400))
    finally:
        dropbear.close()
    assert {o.get("port") for o in got.observations if o.kind == "banner"} == {str(dropbear.port)}
    named = {s.port: s for s in stage.services[ip]}
    assert (named[dropbear.port].name, named[dropbear.port].product,
            named[dropbear.port].version) == ("ssh", "Dropbear sshd", "2022.83")
    assert named[ssh6.port].product == ""  # open over IPv4 too: the IPv4 probes named it


def test_the_stage_probes_nothing_the_ipv6_scope_refuses(web6: tuple[int, list[str]]) -> None:
    stage = Ipv6Stage([], allow_public=False)
    ip = "192.168.178.60"
    stage.zoned[ip] = LOOPBACK
    stage.services[ip] = (Service(web6[0], Protocol.TCP, "http"),)
    got = stage.probe_host(ip, "k", [], frozenset({"http"}), RateWindow(400))
    assert web6[1] == [] and not got.observations
    assert [n.check for n in got.not_tested] == ["ipv6-probes"]


def test_outside_in_identifies_an_ipv6_service(web6: tuple[int, list[str]]) -> None:
    obs = external._probe(LOOPBACK, web6[0])
    assert [o.get("title") for o in obs if o.kind == "http"] == ["DiskStation"]
    assert external._label(web6[0], obs) == "http: DiskStation"


def test_a_login_seen_over_ipv6_is_reported_at_its_ipv6_url() -> None:
    case = Path(__file__).with_name("rules") / "management-over-http" / "fires" / "case.toml"
    scan = load_case(case)[0]
    (h,) = scan.hosts
    (o,) = h.observations
    o = dataclasses.replace(o, data=o.data + (("address", "2001:db8:1:1:211:32ff:fe0a:6060"),))
    scan = dataclasses.replace(scan, hosts=(dataclasses.replace(h, observations=(o,)),))
    (f,) = [f for f in evaluate(scan, None)[0] if f.rule == "management-over-http"]
    assert text(f.evidence[0], "en").startswith(
        "http://[2001:db8:1:1:211:32ff:fe0a:6060]:5000/ serves a login over plain HTTP")


# -- UDP over IPv6: nmap -6 -sU, the SNMP question, the rule -----------------------------------


@pytest.fixture
def udp6() -> Iterator[int]:
    """A UDP service on ::1 that answers every datagram (nmap's "open": data came back)."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))

    def serve() -> None:
        while True:
            try:
                _, peer = sock.recvfrom(2048)
                sock.sendto(b"\x00answer", peer)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


def test_the_ipv6_pass_scans_the_policys_udp_ports(udp6: int) -> None:
    """The UDP ports the host's IPv4 scan asked are asked over IPv6 in the same nmap run;
    a silent one (closed: ICMPv6 port unreachable) is no service."""
    import shutil

    from scanner.portscan import ipv6_pass
    from scanner.portscan.nmap_scan import NmapRun

    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as free:
        free.bind((LOOPBACK, 0))
        closed = free.getsockname()[1]
    found = ipv6_pass.scan(LOOPBACK, [closed], [udp6, closed], None, NmapRun(), 200, 200)
    assert [(s.protocol, s.port) for s in found] == [(Protocol.UDP, udp6)]


@pytest.fixture
def snmpd6(tmp_path: Path) -> Iterator[None]:
    """The real net-snmp agent on [::1]:161, community public for ::1 only."""
    import shutil
    import subprocess
    import time

    snmpd = shutil.which("snmpd")
    if snmpd is None:
        pytest.skip("snmpd is not installed")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((LOOPBACK, 161))
        except OSError as e:
            pytest.skip(f"[::1]:161 is not free to bind: {e}")
    conf = tmp_path / "snmpd.conf"
    conf.write_text("agentAddress udp6:[::1]:161\nrocommunity6 public ::1/128\n"
                    "sysDescr EMPFANG-PC Windows SNMP\nsysName EMPFANG-PC\n")
    proc = subprocess.Popen([snmpd, "-f", "-Lo", "-C", "-c", str(conf), "-I", "-smux",
                             "-p", str(tmp_path / "snmpd.pid")],
                            env={"SNMP_PERSISTENT_DIR": str(tmp_path), "MIBS": ""},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):  # until it listens
            if ":161 " in subprocess.run(["ss", "-Hnlu", "src", "[::1]"], capture_output=True,
                                         text=True).stdout:
                break
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(5)


def test_the_snmp_question_speaks_to_an_ipv6_address(snmpd6: None) -> None:
    from scanner.probes import udp

    (obs,) = udp.snmp_public(LOOPBACK).observations
    assert (obs.get("sys_name"), obs.get("sys_descr")) == ("EMPFANG-PC",
                                                           "EMPFANG-PC Windows SNMP")


def _udp_stage(ip: str) -> Ipv6Stage:
    stage = Ipv6Stage([], allow_public=False)
    stage.zoned[ip] = LOOPBACK
    stage.services[ip] = ()
    stage.guard = _OpenGuard()  # type: ignore[assignment]
    return stage


def test_the_udp_questions_go_over_ipv6_where_ipv4_got_no_answer(snmpd6: None) -> None:
    """The quick profile's nmap asks no UDP port: the question is the scan, as over IPv4,
    sent before the nmap -6 pass and collected after it. SNMP answers over IPv6, which
    makes udp/161 an IPv6 service with its evidence; SICCT and NetBIOS exist over IPv4 only
    and are not sent."""
    ip = "192.168.178.21"
    stage = _udp_stage(ip)
    window = _Counted(400)
    allowed = frozenset({"snmp", "sicct", "netbios"})
    stage.ask_first(ip, "mac:18:a9:9b:0a:21:21", allowed, window, (), frozenset())
    assert window.stamped == [1]  # one datagram, in the host's window, before nmap -6
    got = stage.probe_host(ip, "mac:18:a9:9b:0a:21:21", [], allowed, window,
                           udp_over_ipv4=frozenset())
    (obs,) = got.observations
    assert (obs.kind, obs.get("address"), obs.get("sys_name")) == ("snmp", "::1", "EMPFANG-PC")
    assert [(s.protocol, s.port, s.name, s.seen_by.value) for s in stage.services[ip]] == \
        [(Protocol.UDP, 161, "snmp", "probe")]
    assert window.stamped == [1] and not got.not_tested
    # over IPv4 it answered already: the same socket, not asked again
    again = _udp_stage(ip)
    again.ask_first(ip, "k", allowed, _Counted(400), (), frozenset({161}))
    got = again.probe_host(ip, "k", [], allowed, _Counted(400), udp_over_ipv4=frozenset({161}))
    assert not got.observations and again.services[ip] == ()
    # the policy does not allow it, or the profile's nmap -6 asks udp/161 itself (and got
    # no answer): not asked
    for policy, nmap_udp in ((frozenset({"banner"}), ()), (allowed, (161,))):
        other = _udp_stage(ip)
        other.ask_first(ip, "k", policy, _Counted(400), nmap_udp, frozenset())
        other.udp_asked[ip] = frozenset(nmap_udp)
        assert not other.probe_host(ip, "k", [], policy, _Counted(400)).observations


def test_udp_gap_ports_nmap_found_get_their_question_or_a_not_tested(snmpd6: None) -> None:
    """A profile whose nmap -6 asks UDP: it found udp/161 and udp/4742 (SICCT) open, IPv4
    answered neither. SNMP is asked after the pass; the SICCT question carries an IPv4
    address: said, not sent."""
    ip = "192.168.178.30"
    stage = _udp_stage(ip)
    allowed = frozenset({"snmp", "sicct"})
    stage.ask_first(ip, "k", allowed, _Counted(400), (161, 4742), frozenset())  # nothing
    stage.udp_asked[ip] = frozenset({161, 4742})
    stage.services[ip] = (Service(161, Protocol.UDP, "snmp"), Service(4742, Protocol.UDP))
    window = _Counted(400)
    got = stage.probe_host(ip, "mac:00:1b:b5:0a:30:30", [], allowed, window,
                           udp_over_ipv4=frozenset())
    assert [(o.kind, o.get("address")) for o in got.observations] == [("snmp", "::1")]
    assert window.stamped == [int(0.9 * 400), 1]  # after nmap -6's share of the second
    assert [(n.check, n.host) for n in got.not_tested] == [("probe:sicct", "mac:00:1b:b5:0a:30:30")]
    assert "IPv4 only" in got.not_tested[0].reason
    assert [(s.port, s.name) for s in stage.services[ip]] == [(161, "snmp"), (4742, "")]


def test_the_standing_gap_names_the_udp_ports_scanned_over_ipv6() -> None:
    stage = Ipv6Stage([], allow_public=False)
    stage.services["192.168.178.21"] = ()
    stage.udp_asked["192.168.178.21"] = frozenset({53, 67, 69, 161})
    (gap,) = [n for n in stage.standing_gaps() if n.check == "ipv6-services"]
    assert "UDP ports 53,67,69,161" in gap.reason
    assert "UDP is neither scanned nor probed" not in gap.reason
    assert "sicct (udp/4742)" in gap.reason and "netbios (udp/137)" in gap.reason


def test_an_snmp_answer_over_ipv6_is_no_ipv4_service() -> None:
    """The IPv4 services of a host come from IPv4 answers only: ws-empfang drops every IPv4
    packet, its SNMP answered over IPv6 (the observation names the IPv6 address)."""
    from datetime import datetime, timezone

    from scanner.hosts import merge_services
    from scanner.model import Observation, Source

    now = datetime.now(timezone.utc)
    over6 = Observation.checked(Source.PROBE, "snmp", [("sys_name", "EMPFANG-PC"),
                                                       ("address", "2001:db8:1:1::21")], now)
    assert merge_services((), [], [over6]) == ()
    over4 = Observation.checked(Source.PROBE, "snmp", [("sys_name", "EMPFANG-PC")], now)
    assert [(s.protocol, s.port) for s in merge_services((), [], [over4])] == [(Protocol.UDP, 161)]


def test_a_udp_service_open_over_ipv6_only_is_a_firewall_gap() -> None:
    case = Path(__file__).with_name("rules") / "ipv6-firewall-gap" / "fires" / "case.toml"
    scan = load_case(case)[0]
    ws = scan.hosts[0]
    ws = dataclasses.replace(ws, ipv6_services=ws.ipv6_services + (
        Service(161, Protocol.UDP, "snmp", seen_by=SeenBy.PROBE),))
    nas = dataclasses.replace(scan.hosts[1], services=scan.hosts[1].services + (
        Service(161, Protocol.UDP, "snmp"),), ipv6_services=scan.hosts[1].ipv6_services + (
        Service(161, Protocol.UDP, "snmp"),))
    scan = dataclasses.replace(scan, hosts=(ws, nas))
    gaps = [f for f in evaluate(scan, None)[0] if f.rule == "ipv6-firewall-gap"]
    assert sorted((f.host, f.port) for f in gaps) == [
        ("mac:00:11:32:0a:60:60", 8080), ("mac:18:a9:9b:0a:21:21", 161),
        ("mac:18:a9:9b:0a:21:21", 445)]
    (udp,) = [f for f in gaps if f.port == 161]
    assert text(udp.evidence[0], "en") == ("udp/161 open over IPv6 "
                                           "(2001:db8:1:1:1aa9:9bff:fe0a:2121): snmp, "
                                           "no answer over IPv4")
    assert text(udp.evidence[0], "de").startswith("udp/161 über IPv6 offen")
