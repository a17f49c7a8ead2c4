"""NetBIOS name service (UDP 137): node status (NBSTAT) replies and name registrations."""

from __future__ import annotations

import struct
from dataclasses import dataclass

PORT = 137


@dataclass(frozen=True)
class NetbiosName:
    name: str
    suffix: int
    group: bool


@dataclass(frozen=True)
class NodeStatus:
    names: tuple[NetbiosName, ...]
    mac: str

    @property
    def computer(self) -> str:
        return next((n.name for n in self.names if n.suffix == 0x00 and not n.group), "")

    @property
    def workgroup(self) -> str:
        return next((n.name for n in self.names if n.suffix == 0x00 and n.group), "")


def nbstat_query(transaction_id: int = 0x5053) -> bytes:
    # Name "*" (wildcard), encoded in the first-level encoding of RFC 1002.
    encoded = b"".join(bytes([0x41 + (c >> 4), 0x41 + (c & 0xF)]) for c in b"*" + b"\x00" * 15)
    return (struct.pack(">HHHHHH", transaction_id, 0, 1, 0, 0, 0)
            + bytes([32]) + encoded + b"\x00" + struct.pack(">HH", 0x21, 1))


def parse_node_status(data: bytes) -> NodeStatus | None:
    data = bytes(data[:2048])
    try:
        if len(data) < 12 or not data[2] & 0x80:
            return None
        i = _skip_name(data, 12)
        rtype, _cls, _ttl, _rdlen = struct.unpack(">HHIH", data[i : i + 10])
        if rtype != 0x21:
            return None
        i += 10
        count = data[i]
        i += 1
        names = []
        for _ in range(count):
            raw = data[i : i + 18]
            if len(raw) < 18:
                return None
            flags = struct.unpack(">H", raw[16:18])[0]
            names.append(NetbiosName(raw[:15].decode("ascii", "replace").rstrip(" \x00"),
                                     raw[15], bool(flags & 0x8000)))
            i += 18
        mac_raw = data[i : i + 6]
        mac = ":".join(f"{b:02x}" for b in mac_raw) if len(mac_raw) == 6 else ""
        return NodeStatus(tuple(names), mac)
    except (struct.error, IndexError):
        return None


def parse_registration(data: bytes) -> str | None:
    """The name a host registers or announces (opcode 5 registration / 8 refresh)."""
    data = bytes(data[:1024])
    if len(data) < 12 + 34 or (data[2] >> 3) & 0xF not in (5, 8):
        return None
    if data[12] != 32:
        return None
    enc = data[13:45]
    try:
        raw = bytes(((enc[j] - 0x41) << 4) | (enc[j + 1] - 0x41) for j in range(0, 32, 2))
    except ValueError:
        return None
    return raw[:15].decode("ascii", "replace").rstrip(" \x00") or None


def _skip_name(data: bytes, i: int) -> int:
    while True:
        n = data[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n
