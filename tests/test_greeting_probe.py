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
