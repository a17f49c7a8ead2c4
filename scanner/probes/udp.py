"""UDP probes sent once per host: SNMP (community ``public``), SICCT discovery, NetBIOS."""

from __future__ import annotations

import ipaddress
import socket

from scanner.probes.base import ProbeResult, observation
from scanner.protocols import netbios, sicct
from scanner.text import clean

SYS_DESCR, SYS_OBJECT_ID, SYS_NAME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.5.0"


def _ask(ip: str, port: int, payload: bytes, timeout: float = 1.5,
         source: tuple[str, int] | None = None) -> bytes | None:
    """One datagram to ``ip`` (IPv4, or IPv6 with its zone when link-local) and its answer,
    if it came from ``ip``."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        if source:
            s.bind(source)
        try:
            s.sendto(payload, (ip, port))
            data, addr = s.recvfrom(4096)
        except OSError:
            return None
        return data if _same(addr[0], ip) else None


def _same(a: str, b: str) -> bool:
    """The same address, however written (``::1``, ``0::1``; a zone is the link's name)."""
    try:
        return ipaddress.ip_address(a.split("%", 1)[0]) == ipaddress.ip_address(b.split("%", 1)[0])
    except ValueError:
        return False


def snmp_public(ip: str) -> ProbeResult:
    from scapy.asn1.asn1 import ASN1_OID
    from scapy.layers.snmp import SNMP, SNMPget, SNMPvarbind

    req = SNMP(version=1, community=b"public", PDU=SNMPget(id=0x5053, varbindlist=[
        SNMPvarbind(oid=ASN1_OID(oid)) for oid in (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME)]))
    data = _ask(ip, 161, bytes(req))
    if data is None:
        return ProbeResult()
    try:
        reply = SNMP(data)
        values = {str(vb.oid.val): vb.value.val for vb in reply.PDU.varbindlist}
    except Exception:  # noqa: BLE001 - scapy's BER decoder raises many types on bad input
        return ProbeResult()

    def text(oid: str) -> str:
        v = values.get(oid, b"")
        return clean(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v), 300)

    return ProbeResult((observation("snmp", community="public", sys_descr=text(SYS_DESCR),
                                    sys_object_id=text(SYS_OBJECT_ID), sys_name=text(SYS_NAME)),))


def sicct_discovery(ip: str, source_ip: str) -> ProbeResult:
    """Unicast SICCT service discovery (gemSpec_KT TIP1-A_3151): terminals must answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.5)
        try:
            s.bind((source_ip, 0))
            s.sendto(sicct.encode_request(source_ip, s.getsockname()[1]), (ip, sicct.PORT))
            data, addr = s.recvfrom(sicct.MAX_DATAGRAM)
        except OSError:
            return ProbeResult()
    reply = sicct.parse_reply(data) if addr[0] == ip else None
    if reply is None:
        return ProbeResult()
    return ProbeResult((observation("sicct", name=clean(reply.name, 32), mac=reply.mac,
                                    tcp_port=reply.tcp_port, tls=reply.tls or "none"),))


def netbios_status(ip: str) -> ProbeResult:
    data = _ask(ip, netbios.PORT, netbios.nbstat_query())
    status = netbios.parse_node_status(data) if data else None
    if status is None:
        return ProbeResult()
    names = ", ".join(f"{clean(n.name, 15)}<{n.suffix:02x}>" for n in status.names[:32])
    return ProbeResult((observation("netbios", computer=clean(status.computer, 15),
                                    workgroup=clean(status.workgroup, 15), names=names),))
