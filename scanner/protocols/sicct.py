"""SICCT service discovery (UDP 4742) as BER-TLV, after SICCT 1.3.0 §6.2.3 Tab. 27/28.

Request ``A0``: ``80`` protocol version (2 bytes), ``81`` client IPv4, ``82`` client reply
port. Reply ``A1``: ``80`` version, ``81`` terminal IPv4, ``83`` MAC, ``84`` terminal name
(ASCII, at most 32), ``82`` SICCT command-interpreter TCP port, optional ``A3`` security
protocol holding ``8A`` = TLS version byte. No ``A3``: the terminal offers no TLS.
Parsing is total: malformed input returns None, it never raises.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

PORT = 4742
VERSION = b"\x01\x03"
TLS_VERSIONS = {0x10: "1.0", 0x11: "1.0", 0x20: "1.1", 0x30: "1.2", 0x40: "1.3"}
_TLS_BYTES = {"1.0": 0x10, "1.1": 0x20, "1.2": 0x30, "1.3": 0x40}
MAX_DATAGRAM = 1024


@dataclass(frozen=True)
class DiscoveryReply:
    ip: str | None
    mac: str | None
    name: str
    tcp_port: int | None
    tls: str | None  # "1.2" and so on; None: no secure channel offered


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n])
    return bytes([tag]) + length + value


def _items(data: bytes) -> list[tuple[int, bytes]] | None:
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            return None
        tag, n = data[i], data[i + 1]
        i += 2
        if n == 0x81:
            if i >= len(data):
                return None
            n = data[i]
            i += 1
        elif n > 0x81:
            return None
        if i + n > len(data):
            return None
        out.append((tag, data[i : i + n]))
        i += n
    return out


def encode_request(client_ip: str, reply_port: int = PORT) -> bytes:
    body = (
        _tlv(0x80, VERSION)
        + _tlv(0x81, ipaddress.IPv4Address(client_ip).packed)
        + _tlv(0x82, reply_port.to_bytes(2, "big"))
    )
    return _tlv(0xA0, body)


def parse_request(data: bytes) -> tuple[str, int] | None:
    """The client's IPv4 and reply port, or None."""
    top = _items(data[:MAX_DATAGRAM])
    if not top or top[0][0] != 0xA0:
        return None
    fields = dict(_items(top[0][1]) or [])
    ip, port = fields.get(0x81), fields.get(0x82)
    if ip is None or len(ip) != 4 or port is None or len(port) != 2:
        return None
    return str(ipaddress.IPv4Address(ip)), int.from_bytes(port, "big")


def encode_reply(ip: str, mac: str, name: str, tcp_port: int = PORT, tls: str | None = None) -> bytes:
    body = (
        _tlv(0x80, VERSION)
        + _tlv(0x81, ipaddress.IPv4Address(ip).packed)
        + _tlv(0x83, bytes.fromhex(mac.replace(":", "")))
        + _tlv(0x84, name.encode("ascii")[:32])
        + _tlv(0x82, tcp_port.to_bytes(2, "big"))
    )
    if tls:
        body += _tlv(0xA3, _tlv(0x8A, bytes([_TLS_BYTES[tls]])))
    return _tlv(0xA1, body)


def parse_reply(data: bytes) -> DiscoveryReply | None:
    top = _items(data[:MAX_DATAGRAM])
    if not top or top[0][0] != 0xA1:
        return None
    fields = dict(_items(top[0][1]) or [])
    ip, mac, name, port = fields.get(0x81), fields.get(0x83), fields.get(0x84), fields.get(0x82)
    tls = None
    if 0xA3 in fields:
        sec = dict(_items(fields[0xA3]) or [])
        v = sec.get(0x8A)
        tls = TLS_VERSIONS.get(v[0], f"0x{v[0]:02x}") if v else None
    return DiscoveryReply(
        ip=str(ipaddress.IPv4Address(ip)) if ip and len(ip) == 4 else None,
        mac=":".join(f"{b:02x}" for b in mac) if mac and len(mac) == 6 else None,
        name=(name or b"").decode("ascii", "replace")[:32],
        tcp_port=int.from_bytes(port, "big") if port and len(port) == 2 else None,
        tls=tls,
    )
