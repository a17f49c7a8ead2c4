"""The listen-only grade (#19): a server-first service's greeting is read, nothing is sent.

Each server below is a loopback socket that speaks first, as FTP, SMTP, SSH, POP3, Telnet
and VNC servers do, and records every byte the client sends until it closes.
"""

from __future__ import annotations

import socket
import threading

import pytest

from scanner.probes import banners


class Greeter:
    def __init__(self, greeting: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.closed_by_client = False
        self._t = threading.Thread(target=self._serve, args=(greeting,), daemon=True)
        self._t.start()

    def _serve(self, greeting: bytes) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.sendall(greeting)
            conn.settimeout(5)
            while True:
                try:
                    chunk = conn.recv(1024)
                except OSError:
                    break
                if not chunk:
                    self.closed_by_client = True
                    break
                self.received += chunk

    def done(self) -> None:
        self._t.join(6)
        self.sock.close()


def probe(greeting: bytes, kind_port: int, monkeypatch) -> tuple[banners.ProbeResult, Greeter]:
    g = Greeter(greeting)
    # the probe chooses its reading by the well-known port; the test server's port differs
    monkeypatch.setitem(banners._GREETINGS, g.port, banners._GREETINGS[kind_port])
    result = banners.greeting("127.0.0.1", g.port)
    g.done()
    return result, g


@pytest.mark.parametrize("port, greeting, protocol, text", [
    (21, b"220 Microsoft FTP Service\r\n", "ftp", "220 Microsoft FTP Service"),
    (21, b"220-Welcome\r\n220-to the ECG PC\r\n220 ready\r\n", "ftp", "220-Welcome"),
    (22, b"SSH-2.0-OpenSSH_for_Windows_8.1\r\n", "ssh", "SSH-2.0-OpenSSH_for_Windows_8.1"),
    (23, b"\xff\xfd\x18\xff\xfd\x20Welcome to Microsoft Telnet Service \r\n\r\nlogin: ", "telnet",
     "Welcome to Microsoft Telnet Service"),
    (5900, b"RFB 003.008\n", "vnc", "RFB 003.008"),
])
def test_greeting_is_read_and_nothing_is_sent(port, greeting, protocol, text, monkeypatch) -> None:
    result, g = probe(greeting, port, monkeypatch)
    assert g.received == b"" and g.closed_by_client  # handshake and close, no data
    (banner, *_) = result.observations
    assert (banner.kind, banner.get("protocol")) == ("banner", protocol)
    assert banner.get("text").startswith(text)
    assert banner.get("anonymous") is None  # never asked in this grade
    assert result.service is not None and result.service.port == g.port


def test_smtp_and_pop3_greetings_without_ehlo_or_capa(monkeypatch) -> None:
    result, g = probe(b"220 KOM-LE-Clientmodul ESMTP\r\n", 25, monkeypatch)
    assert g.received == b""
    smtp = result.observations[0]
    assert smtp.get("greeting") == "220 KOM-LE-Clientmodul ESMTP"
    assert smtp.get("starttls") is None and smtp.flag("starttls") is None  # unknown, not "no"
    result, g = probe(b"+OK KOM-LE Clientmodul POP3\r\n", 110, monkeypatch)
    assert g.received == b"" and result.observations[0].get("stls") is None


def test_vnc_greeting_names_the_protocol_version(monkeypatch) -> None:
    result, _ = probe(b"RFB 003.008\n", 5900, monkeypatch)
    assert result.service.name == "vnc" and result.service.extra_info == "RFB protocol 3.8"


def test_a_silent_or_hostile_server_gives_nothing_and_no_error(monkeypatch) -> None:
    result, g = probe(b"\x00\xff" * 300, 5900, monkeypatch)
    assert g.received == b"" and not [o for o in result.observations if o.kind == "banner"]


@pytest.mark.parametrize("greeting, role, maker", [
    # recog's telnet_banners.xml examples, with option negotiation in front as a device sends it
    (b"\xff\xfb\x01\xff\xfb\x03\r\nLexmark International Telnet\r\n\r\nlogin: ", "printer", "Lexmark"),
    (b"\xff\xfb\x01\xff\xfb\x03\r\n\r\nUser Access Verification\r\n\r\nUsername: ", "unknown", "Cisco"),
    (b"\xff\xfd\x18ZXHN H108N\r\nLogin: ", "router", "ZTE"),
])
def test_a_multi_line_telnet_greeting_is_classified_as_received(greeting, role, maker,
                                                                monkeypatch) -> None:
    """The rules quote greetings with their line breaks; the probe keeps them for matching
    (``lines``) beside the one-line ``text`` that reports show."""
    from scanner.classification.classify import classify
    from scanner.model import Host

    result, _ = probe(greeting, 23, monkeypatch)
    (banner, *_) = result.observations
    assert "\n" not in banner.get("text") and "\r" not in banner.get("text")
    assert "\r\n" in banner.get("lines")
    host = classify(Host(ip="192.0.2.1", observations=(banner,)))
    assert (host.role.value, host.vendor) == (role, maker)


def test_every_telnet_rule_example_matches_as_the_probe_stores_it() -> None:
    """What a real scan hands the classifier, for every example of the Telnet rules: the
    same answer as the example itself (flattened to one line, 25 of 92 multi-line
    examples lost their role or maker)."""
    import tomllib
    from datetime import datetime, timezone
    from pathlib import Path

    from scanner.classification.classify import classify
    from scanner.model import Host, Observation, Source

    def answer(observations) -> tuple[str, str | None]:  # noqa: ANN001
        h = classify(Host(ip="192.0.2.1", observations=tuple(observations)))
        return h.role.value, h.vendor

    checked = 0
    for path in sorted((Path(__file__).parent.parent / "fingerprints").glob("telnet_banner*.toml")):
        for rule in tomllib.loads(path.read_text(encoding="utf-8")).get("rule", []):
            for ex in rule.get("example", []):
                value = ex["value"]
                as_given = Observation(Source.PROBE, "banner",
                                       (("protocol", "telnet"), ("text", value)),
                                       datetime.now(timezone.utc))
                stored = [o for o in banners._telnet(value.encode(), 23).observations
                          if o.kind == "banner"]
                assert answer(stored) == answer([as_given]), (rule["id"], value)
                checked += 1
    assert checked > 100


def test_the_kept_line_breaks_carry_no_escape_or_control() -> None:
    raw = b"\x1b[2J\x1b]0;owned\x07Router\r\n\x00\x08login: " + "\u202e".encode()
    result = banners._telnet(raw, 23)
    (banner, *_) = result.observations
    assert banner.get("lines") == "Router\r\nlogin: [U+202E]"
