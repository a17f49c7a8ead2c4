"""RDP: X.224 connection request asking for TLS/CredSSP, then the TLS certificate.

Learns whether Network Level Authentication (CredSSP) is offered and the server's
certificate (subject, SHA-256), which also identifies the host behind a port forward.
No login is attempted: we close after the TLS handshake.
"""

from __future__ import annotations

import hashlib
import ssl
import struct

from scanner.model import Protocol, Service
from scanner.probes.base import Budget, ProbeResult, connect, observation, read_until, tls_client_context
from scanner.probes.tls import _decode, _name

PROTOCOL_SSL, PROTOCOL_HYBRID = 0x1, 0x2
_CONNECTION_REQUEST = (b"\x03\x00\x00\x13"          # TPKT, 19 bytes
                       b"\x0e\xe0\x00\x00\x00\x00\x00"  # X.224 CR
                       + struct.pack("<BBHI", 1, 0, 8, PROTOCOL_SSL | PROTOCOL_HYBRID))


def rdp(ip: str, port: int) -> ProbeResult:
    try:
        raw = connect(ip, port)
    except OSError:
        return ProbeResult()
    with raw:
        raw.sendall(_CONNECTION_REQUEST)
        reply = read_until(raw, None, 19, Budget(3.0))
        selected = parse_negotiation(reply)
        if selected is None:
            return ProbeResult()
        data = {"port": port, "nla": "yes" if selected == PROTOCOL_HYBRID else "no",
                "security": {0: "rdp", 1: "tls", 2: "credssp"}.get(selected, str(selected))}
        if selected in (PROTOCOL_SSL, PROTOCOL_HYBRID):
            try:
                with tls_client_context().wrap_socket(raw) as tls_sock:
                    der = tls_sock.getpeercert(binary_form=True)
            except (OSError, ssl.SSLError, ValueError):
                der = None
            if der:
                cert = _decode(der)
                data.update(cert_sha256=hashlib.sha256(der).hexdigest(),
                            subject=_name(cert.get("subject", ())))
    return ProbeResult((observation("rdp", **data),),
                       Service(port, Protocol.TCP, "ms-wbt-server",
                               extra_info=f"{data['security']}, NLA {data['nla']}"))


def parse_negotiation(reply: bytes) -> int | None:
    """The protocol the server selected (0 standard RDP, 1 TLS, 2 CredSSP), or None."""
    if len(reply) < 11 or reply[0] != 3 or reply[5] != 0xD0:  # TPKT, X.224 Connection Confirm
        return None
    if len(reply) >= 19 and reply[11] == 0x02:  # RDP_NEG_RSP
        return struct.unpack_from("<I", reply, 15)[0]
    if len(reply) >= 19 and reply[11] == 0x03:  # RDP_NEG_FAILURE
        return None
    return 0  # no negotiation data: standard RDP security only
