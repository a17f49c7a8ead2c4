"""SMB: does the server still speak SMBv1? One negotiate offering only ``NT LM 0.12``.

An SMB1 server answers with the ``\\xffSMB`` header; a server without SMB1 answers SMB2
(``\\xfeSMB``) or closes the connection. Nothing beyond the negotiate is sent.
"""

from __future__ import annotations

import struct

from scanner.model import Protocol, Service
from scanner.probes.base import Budget, ProbeResult, connect, observation, read_until

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
    obs = observation("smb", port=port, smb1=smb1,
                      dialect="NT LM 0.12" if smb1 == "yes" else "")
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
