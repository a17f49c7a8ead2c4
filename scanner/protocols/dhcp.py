"""DHCP/BOOTP (RFC 2131/2132): the client facts a DHCP packet reveals.

Option 12 host name, 55 parameter request list (a fingerprint), 60 vendor class
(``android-dhcp-14``, ``MSFT 5.0``), 61 client id, 53 message type.
"""

from __future__ import annotations

from dataclasses import dataclass

MAGIC = b"\x63\x82\x53\x63"
TYPES = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak",
         7: "release", 8: "inform"}


@dataclass(frozen=True)
class DhcpPacket:
    op: int  # 1 request (client), 2 reply (server)
    client_mac: str
    message_type: str
    hostname: str = ""
    vendor_class: str = ""
    param_list: str = ""  # "1,3,6,15,..."
    client_id: str = ""
    requested_ip: str = ""
    your_ip: str = ""


def parse(data: bytes) -> DhcpPacket | None:
    data = bytes(data[:1500])
    if len(data) < 240 or data[236:240] != MAGIC or data[0] not in (1, 2):
        return None
    hlen = min(data[2], 16)
    mac = ":".join(f"{b:02x}" for b in data[28 : 28 + hlen]) if hlen == 6 else ""
    opts = _options(data[240:])
    def text(code: int) -> str:
        return opts.get(code, b"").decode("utf-8", "replace").strip("\x00")[:255]
    req = opts.get(50, b"")
    yi = data[16:20]
    return DhcpPacket(
        op=data[0],
        client_mac=mac,
        message_type=TYPES.get(opts.get(53, b"\x00")[:1][0] if opts.get(53) else 0, ""),
        hostname=text(12),
        vendor_class=text(60),
        param_list=",".join(str(b) for b in opts.get(55, b"")),
        client_id=opts.get(61, b"").hex(),
        requested_ip=".".join(str(b) for b in req) if len(req) == 4 else "",
        your_ip=".".join(str(b) for b in yi) if any(yi) else "",
    )


def _options(raw: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    i = 0
    while i < len(raw):
        code = raw[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        n = raw[i + 1]
        value = raw[i + 2 : i + 2 + n]
        if len(value) < n:
            break
        out[code] = out.get(code, b"") + value  # RFC 3396: repeated options concatenate
        i += 2 + n
    return out
