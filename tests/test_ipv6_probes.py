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
from scanner.model import Protocol, Service
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
