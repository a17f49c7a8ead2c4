"""Greeting-based services: SSH, FTP, Telnet, SMTP (EHLO), POP3 (CAPA), and a generic read.

What a server says before we send anything is also matched against nmap's NULL probe lines
(scanner/probes/nmap_match.py): the raw bytes as received, IAC and all, never stored.

:func:`greeting` is the listen-only grade of the same probes (policy name ``greeting``): the
connect, the server's first words, the close; not one byte sent. Each protocol's reading of
its greeting (``_ssh`` ... ``_vnc``) is shared by both grades, so a device the policy only
listens to is identified the same way, minus what only a command reveals (anonymous FTP,
STARTTLS, STLS).
"""

from __future__ import annotations

import re
import socket

from scanner.model import Protocol, Service
from scanner.ports import SERVER_FIRST
from scanner.probes.base import Budget, ProbeResult, connect, observation, read_until
from scanner.probes.nmap_match import with_nmap
from scanner.text import clean, with_line_breaks

_SSH = re.compile(r"^SSH-([\d.]+)-([A-Za-z][\w]*?)[_-]([\w.+~-]+)(?:\s+(.*))?$")
_VSFTPD = re.compile(r"\(vsFTPd ([\d.]+)\)")
_IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
_LAST_LINE = re.compile(rb"(?:^|\n)\d{3} [^\n]*\n")  # the end of an FTP/SMTP reply
_RFB = re.compile(r"^RFB (\d{3})\.(\d{3})$")  # RFC 6143 7.1.1: "RFB 003.008\n", 12 bytes


def ssh(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = read_until(s, b"\n", 512)
    return _ssh(raw, port)


def _ssh(raw: bytes, port: int) -> ProbeResult:
    raw = raw[:raw.index(b"\n") + 1] if b"\n" in raw else raw  # what nmap's NULL probe sees
    line = raw.split(b"\n")[0].decode("utf-8", "replace").strip()
    if not line.startswith("SSH-"):
        return with_nmap(ProbeResult(), "NULL", raw, port)
    m = _SSH.match(line)
    product, version = (m.group(2), m.group(3) + (f" {m.group(4)}" if m.group(4) else "")) if m else ("", "")
    return with_nmap(ProbeResult(
        (observation("banner", port=port, protocol="ssh", text=clean(line, 300)),),
        Service(port, Protocol.TCP, "ssh", product, version),
    ), "NULL", raw, port)


def ftp(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = _reply(s)
        if not _first_line(raw).startswith("220"):
            return _ftp(raw, port)
        # Anonymous access is the risk; asking is read-only (no login completes a write).
        s.sendall(b"USER anonymous\r\n")
        user = _first_line(read_until(s, b"\r\n", 1024))
        anonymous = ""
        if user.startswith("331"):
            s.sendall(b"PASS praxisscan@\r\n")
            anonymous = "yes" if _first_line(read_until(s, b"\r\n", 1024)).startswith("230") else "no"
        elif user:
            anonymous = "no"
        s.sendall(b"QUIT\r\n")
    return _ftp(raw, port, anonymous)


def _ftp(raw: bytes, port: int, anonymous: str = "") -> ProbeResult:
    """``anonymous`` empty: not asked (the listen-only grade, or no answer to USER)."""
    greeting = _first_line(raw)
    if not greeting.startswith("220"):
        return with_nmap(ProbeResult(), "NULL", raw, port)
    m = _VSFTPD.search(greeting)
    return with_nmap(ProbeResult(
        (observation("banner", port=port, protocol="ftp", text=greeting, anonymous=anonymous),),
        Service(port, Protocol.TCP, "ftp", "vsftpd" if m else "", m.group(1) if m else ""),
    ), "NULL", raw, port)


def telnet(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = read_until(s, b"login", 2048, Budget(3.0))
    return _telnet(raw, port)


def _telnet(raw: bytes, port: int) -> ProbeResult:
    said = _IAC.sub(b"", raw).decode("utf-8", "replace")
    text = clean(said.strip(), 300)
    # The greeting's lines as sent ("\r\n\r\nUser Access Verification\r\n\r\nUsername:"):
    # the rules from recog and nmap quote them so; flattened to one line a quarter of the
    # multi-line ones no longer matched.
    lines = with_line_breaks(said, 300)
    obs = observation("banner", port=port, protocol="telnet", text=text,
                      negotiates="yes" if b"\xff" in raw else "no",
                      **({"lines": lines} if lines != text else {}))
    return with_nmap(ProbeResult((obs,), Service(port, Protocol.TCP, "telnet")), "NULL", raw, port)


def smtp(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = _reply(s)
        if not _first_line(raw).startswith("220"):
            return _smtp(raw, port)
        s.sendall(b"EHLO praxisscan.invalid\r\n")
        ehlo = read_until(s, None, 4096, Budget(2.0)).decode("utf-8", "replace")
        s.sendall(b"QUIT\r\n")
    caps = [line[4:].strip().upper() for line in ehlo.splitlines() if line.startswith("250")]
    return _smtp(raw, port, "yes" if "STARTTLS" in caps else "no")


def _smtp(raw: bytes, port: int, starttls: str = "") -> ProbeResult:
    """``starttls`` empty: not asked (listen-only): the rules read it as unknown."""
    greeting = _first_line(raw)
    if not greeting.startswith("220"):
        return with_nmap(ProbeResult(), "NULL", raw, port)
    return with_nmap(ProbeResult(
        (observation("smtp", port=port, greeting=greeting, starttls=starttls),),
        Service(port, Protocol.TCP, "smtp", _product(greeting[4:])),
    ), "NULL", raw, port)


def pop3(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = read_until(s, b"\r\n", 1024)
        if not _first_line(raw).startswith("+OK"):
            return _pop3(raw, port)
        s.sendall(b"CAPA\r\n")
        capa = read_until(s, b"\r\n.\r\n", 4096).decode("utf-8", "replace").upper()
        s.sendall(b"QUIT\r\n")
    return _pop3(raw, port, "yes" if "\nSTLS" in capa.replace("\r", "") else "no")


def _pop3(raw: bytes, port: int, stls: str = "") -> ProbeResult:
    greeting = _first_line(raw)
    if not greeting.startswith("+OK"):
        return with_nmap(ProbeResult(), "NULL", raw, port)
    return with_nmap(ProbeResult(
        (observation("pop3", port=port, greeting=greeting, stls=stls),),
        Service(port, Protocol.TCP, "pop3", _product(greeting[3:])),
    ), "NULL", raw, port)


def _vnc(raw: bytes, port: int) -> ProbeResult:
    line = raw.split(b"\n")[0].decode("ascii", "replace").strip()
    m = _RFB.match(line)
    if not m:
        return with_nmap(ProbeResult(), "NULL", raw, port)
    version = f"{int(m.group(1))}.{int(m.group(2))}"
    return with_nmap(ProbeResult(
        (observation("banner", port=port, protocol="vnc", text=line),),
        Service(port, Protocol.TCP, "vnc", "", "", f"RFB protocol {version}"),
    ), "NULL", raw, port)


# What each server-first protocol says before the client speaks, and how much of it to wait
# for: a whole reply (FTP, SMTP: multi-line greetings), one line (SSH, POP3, RFB), or up to
# the login prompt (Telnet, whose option negotiation we leave unanswered).
_GREETINGS = SERVER_FIRST


def greets_first(port: int) -> bool:
    return port in _GREETINGS


def server_first_ports() -> tuple[int, ...]:
    return tuple(sorted(_GREETINGS))


def greeting(ip: str, port: int) -> ProbeResult:
    """Listen-only: connect, read the greeting, close. Sends nothing at all: the server
    speaks first in FTP (RFC 959), SSH (RFC 4253 4.2), Telnet, SMTP (RFC 5321 3.1), POP3
    (RFC 1939 4) and VNC (RFC 6143 7.1.1), so the device receives the TCP handshake and the
    close, as from any client that connects and leaves."""
    kind = _GREETINGS[port]
    with connect(ip, port) as s:
        if kind in ("ftp", "smtp"):
            raw = _reply(s)
        elif kind == "telnet":
            raw = read_until(s, b"login", 2048, Budget(3.0))
        else:
            raw = read_until(s, b"\n", 512, Budget(3.0))
    return {"ftp": _ftp, "ssh": _ssh, "telnet": _telnet, "smtp": _smtp, "pop3": _pop3,
            "vnc": _vnc}[kind](raw, port)


def generic(ip: str, port: int) -> ProbeResult:
    """Whatever a service says first, within two seconds. Sends nothing."""
    with connect(ip, port) as s:
        raw = read_until(s, None, 1024)
    text = clean(raw.decode("utf-8", "replace").strip(), 300)
    if not text:
        return with_nmap(ProbeResult(), "NULL", raw, port)
    return with_nmap(ProbeResult((observation("banner", port=port, protocol="unknown", text=text),)),
                     "NULL", raw, port)


def _reply(s: socket.socket, limit: int = 4096) -> bytes:
    """A whole FTP/SMTP reply: multi-line greetings (``220-`` ... ``220 ``) end with the line
    whose code is followed by a space; the lines before it are part of what nmap matches."""
    budget = Budget(4.0)
    data = b""
    while len(data) < limit and not budget.spent:
        got = read_until(s, b"\n", limit - len(data), budget)
        data += got
        # no newline: the read timed out or the peer closed; not a code: not a reply at all
        if b"\n" not in got or _LAST_LINE.search(data) or not data[:1].isdigit():
            break
    return data


def _first_line(raw: bytes) -> str:
    return clean(raw.split(b"\n")[0].decode("utf-8", "replace").strip(), 300)


def _product(rest: str) -> str:
    words = [w for w in rest.split() if w.upper() not in ("ESMTP", "POP3", "READY", "SERVER")]
    return " ".join(words[:3])
