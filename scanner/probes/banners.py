"""Greeting-based services: SSH, FTP, Telnet, SMTP (EHLO), POP3 (CAPA), and a generic read.

What a server says before we send anything is also matched against nmap's NULL probe lines
(scanner/probes/nmap_match.py): the raw bytes as received, IAC and all, never stored.
"""

from __future__ import annotations

import re
import socket

from scanner.model import Protocol, Service
from scanner.probes.base import Budget, ProbeResult, connect, observation, read_until
from scanner.probes.nmap_match import with_nmap
from scanner.render.text import clean

_SSH = re.compile(r"^SSH-([\d.]+)-([A-Za-z][\w]*?)[_-]([\w.+~-]+)(?:\s+(.*))?$")
_VSFTPD = re.compile(r"\(vsFTPd ([\d.]+)\)")
_IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
_LAST_LINE = re.compile(rb"(?:^|\n)\d{3} [^\n]*\n")  # the end of an FTP/SMTP reply


def ssh(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = read_until(s, b"\n", 512)
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
        greeting = _first_line(raw)
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
    text = clean(_IAC.sub(b"", raw).decode("utf-8", "replace").strip(), 300)
    obs = observation("banner", port=port, protocol="telnet", text=text,
                      negotiates="yes" if b"\xff" in raw else "no")
    return with_nmap(ProbeResult((obs,), Service(port, Protocol.TCP, "telnet")), "NULL", raw, port)


def smtp(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = _reply(s)
        greeting = _first_line(raw)
        if not greeting.startswith("220"):
            return with_nmap(ProbeResult(), "NULL", raw, port)
        s.sendall(b"EHLO praxisscan.invalid\r\n")
        ehlo = read_until(s, None, 4096, Budget(2.0)).decode("utf-8", "replace")
        s.sendall(b"QUIT\r\n")
    caps = [line[4:].strip().upper() for line in ehlo.splitlines() if line.startswith("250")]
    return with_nmap(ProbeResult(
        (observation("smtp", port=port, greeting=greeting,
                     starttls="yes" if "STARTTLS" in caps else "no"),),
        Service(port, Protocol.TCP, "smtp", _product(greeting[4:])),
    ), "NULL", raw, port)


def pop3(ip: str, port: int) -> ProbeResult:
    with connect(ip, port) as s:
        raw = read_until(s, b"\r\n", 1024)
        greeting = _first_line(raw)
        if not greeting.startswith("+OK"):
            return with_nmap(ProbeResult(), "NULL", raw, port)
        s.sendall(b"CAPA\r\n")
        capa = read_until(s, b"\r\n.\r\n", 4096).decode("utf-8", "replace").upper()
        s.sendall(b"QUIT\r\n")
    return with_nmap(ProbeResult(
        (observation("pop3", port=port, greeting=greeting,
                     stls="yes" if "\nSTLS" in capa.replace("\r", "") else "no"),),
        Service(port, Protocol.TCP, "pop3", _product(greeting[3:])),
    ), "NULL", raw, port)


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
