"""SMB: does the server still speak SMBv1, and which Windows is it?

1. One SMB1 negotiate offering only ``NT LM 0.12``: an SMB1 server picks it; a server
   without SMB1 answers SMB2 (``\\xfeSMB``), refuses the dialect, or closes.
2. An SMB2 negotiate and a session setup with an NTLMSSP NEGOTIATE: the server's CHALLENGE
   gives its OS version and names. We close then: no authentication is attempted.
"""

from __future__ import annotations

import struct

from scanner.model import Protocol, Service
from scanner.probes.base import Budget, ProbeResult, connect, observation, read_until
from scanner.protocols import ntlm

_SMB1_NEGOTIATE = (
    b"\xffSMB"            # protocol
    b"\x72"               # command: negotiate
    + b"\x00" * 4         # status
    + b"\x18"             # flags: case-insensitive, canonicalised paths
    + b"\x01\xc8"         # flags2: long names, NT status, unicode (LE: 0xc801)
    + b"\x00" * 12        # pid high, signature, reserved
    + b"\x00\x00"         # tid
    + b"\xfe\xff"         # pid
    + b"\x00\x00"         # uid
    + b"\x00\x00"         # mid
    + b"\x00"             # word count
    + struct.pack("<H", 12)
    + b"\x02NT LM 0.12\x00"
)
_SMB2_NEGOTIATE_DIALECTS = {0x0202: "2.0.2", 0x0210: "2.1", 0x0300: "3.0", 0x0302: "3.0.2",
                            0x0311: "3.1.1", 0x02FF: "2.???"}


def smb(ip: str, port: int) -> ProbeResult:
    packet = struct.pack(">I", len(_SMB1_NEGOTIATE)) + _SMB1_NEGOTIATE
    try:
        with connect(ip, port) as s:
            s.sendall(packet)
            reply = read_until(s, None, 512, Budget(3.0))
    except OSError:
        return ProbeResult()
    smb1 = smb1_accepted(reply)
    identity = smb2_identity(ip, port) if port == 445 else {}
    obs = observation("smb", port=port, smb1=smb1,
                      dialect="NT LM 0.12" if smb1 == "yes" else "", **identity)
    return ProbeResult((obs,), Service(port, Protocol.TCP, "microsoft-ds" if port == 445
                                       else "netbios-ssn"))


def smb1_accepted(reply: bytes) -> str:
    """"yes" only when the server chose our NT LM 0.12 dialect.

    An SMB2-only server answers SMB2 or closes; Samba without SMB1 answers in SMB1 format
    but with dialect index 0xFFFF ("none of yours"), which must not count as SMBv1.
    """
    if reply == b"":
        return "no"
    if len(reply) < 8:
        return "unknown"
    magic = reply[4:8]
    if magic == b"\xfeSMB":
        return "no"
    if magic != b"\xffSMB":
        return "unknown"
    status = reply[9:13]
    if len(reply) < 4 + 32 + 3 or status != b"\x00\x00\x00\x00":
        return "no"
    word_count, dialect = reply[36], int.from_bytes(reply[37:39], "little")
    return "yes" if word_count > 0 and dialect == 0 else "no"


# -- SMB2: dialect and the server's NTLMSSP challenge (OS version, names) -------------------

_DIALECTS = (0x0202, 0x0210, 0x0300, 0x0302)  # 3.1.1 would need negotiate contexts
_SPNEGO_OID = bytes.fromhex("2b0601050502")
_NTLMSSP_OID = bytes.fromhex("2b0601040182370202 0a".replace(" ", ""))


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + body


def _spnego_init(token: bytes) -> bytes:
    mech_types = _der(0xA0, _der(0x30, _der(0x06, _NTLMSSP_OID)))
    mech_token = _der(0xA2, _der(0x04, token))
    return _der(0x60, _der(0x06, _SPNEGO_OID) + _der(0xA0, _der(0x30, mech_types + mech_token)))


def _smb2_header(command: int, message_id: int) -> bytes:
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, command, 1, 0, 0, message_id,
                                     0xFEFF, 0, 0) + b"\x00" * 16)


def _smb2_negotiate() -> bytes:
    body = struct.pack("<HHHHI", 36, len(_DIALECTS), 1, 0, 0) + b"praxisscan-probe" + b"\x00" * 8
    body += b"".join(struct.pack("<H", d) for d in _DIALECTS)
    return _smb2_header(0, 0) + body


def _smb2_session_setup() -> bytes:
    blob = _spnego_init(ntlm.negotiate_message())
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 64 + 24, len(blob), 0) + blob
    return _smb2_header(1, 1) + body


def _netbios_frame(msg: bytes) -> bytes:
    return struct.pack(">I", len(msg)) + msg


def smb2_identity(ip: str, port: int) -> dict[str, str]:
    """Highest SMB2 dialect the server chose, and what its NTLMSSP challenge says."""
    out: dict[str, str] = {}
    try:
        with connect(ip, port) as s:
            s.sendall(_netbios_frame(_smb2_negotiate()))
            reply = read_until(s, None, 4096, Budget(3.0))
            if len(reply) < 4 + 64 + 6 or reply[4:8] != b"\xfeSMB":
                return out
            dialect = struct.unpack_from("<H", reply, 4 + 64 + 4)[0]
            out["smb2_dialect"] = _SMB2_NEGOTIATE_DIALECTS.get(dialect, f"0x{dialect:04x}")
            s.sendall(_netbios_frame(_smb2_session_setup()))
            reply = read_until(s, b"NTLMSSP\x00\x02", 8192, Budget(3.0))
            reply += read_until(s, None, 2048, Budget(0.3))
    except OSError:
        return out
    c = ntlm.find_challenge(reply)
    if c:
        out.update({"os_version": c.version, "netbios_computer": c.netbios_computer,
                    "netbios_domain": c.netbios_domain, "dns_computer": c.dns_computer})
    return {k: v for k, v in out.items() if v}
