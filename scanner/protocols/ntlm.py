"""NTLMSSP (MS-NLMP): the NEGOTIATE we send, and what a server's CHALLENGE tells.

The CHALLENGE carries the server's OS version (major.minor, build) and, in its target
info, NetBIOS and DNS names: what nmap's smb-os-discovery reads. No authentication is
ever completed: we close after the challenge.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SIGNATURE = b"NTLMSSP\x00"
# UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY | TARGET_INFO
# | VERSION | 128 | 56
NEGOTIATE_FLAGS = 0xA2888205


@dataclass(frozen=True)
class Challenge:
    major: int | None
    minor: int | None
    build: int | None
    netbios_computer: str = ""
    netbios_domain: str = ""
    dns_computer: str = ""
    dns_domain: str = ""

    @property
    def version(self) -> str:
        if self.major is None:
            return ""
        return f"{self.major}.{self.minor} build {self.build}"


def negotiate_message() -> bytes:
    return (SIGNATURE + struct.pack("<I", 1) + struct.pack("<I", NEGOTIATE_FLAGS)
            + b"\x00" * 16 + b"\x00" * 8)


def find_challenge(data: bytes) -> Challenge | None:
    """The CHALLENGE anywhere in ``data`` (it sits inside SPNEGO inside SMB), or None."""
    i = data.find(SIGNATURE + b"\x02\x00\x00\x00")
    return parse_challenge(data[i:]) if i >= 0 else None


def parse_challenge(msg: bytes) -> Challenge | None:
    msg = bytes(msg[:8192])
    if len(msg) < 48 or not msg.startswith(SIGNATURE) or msg[8:12] != b"\x02\x00\x00\x00":
        return None
    flags = struct.unpack_from("<I", msg, 20)[0]
    major = minor = build = None
    if flags & 0x02000000 and len(msg) >= 56:
        major, minor, build = msg[48], msg[49], struct.unpack_from("<H", msg, 50)[0]
    names: dict[int, str] = {}
    ti_len, _, ti_off = struct.unpack_from("<HHI", msg, 40)
    info = msg[ti_off : ti_off + ti_len] if ti_off + ti_len <= len(msg) else b""
    i = 0
    while i + 4 <= len(info) and len(names) < 16:
        av_id, av_len = struct.unpack_from("<HH", info, i)
        if av_id == 0:  # MsvAvEOL
            break
        value = info[i + 4 : i + 4 + av_len]
        if av_id in (1, 2, 3, 4):
            names[av_id] = value.decode("utf-16-le", "replace")[:128]
        i += 4 + av_len
    return Challenge(major, minor, build, names.get(1, ""), names.get(2, ""),
                     names.get(3, ""), names.get(4, ""))
