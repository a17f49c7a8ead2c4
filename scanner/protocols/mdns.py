"""mDNS (and LLMNR, same wire format) packets into plain records, via zeroconf's parser.

zeroconf's DNSIncoming is built for hostile input (it never raises on wire data); we only
flatten its records into strings, cut to bounded sizes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_PACKET = 9000
MAX_TEXT = 255


@dataclass(frozen=True)
class DnsRecord:
    kind: str  # "PTR", "SRV", "TXT", "A", "AAAA", "HINFO", "QUERY"
    name: str
    value: str = ""
    port: int | None = None
    txt: tuple[tuple[str, str], ...] = ()


def parse(data: bytes) -> list[DnsRecord]:
    from zeroconf import DNSIncoming

    try:
        msg = DNSIncoming(bytes(data[:MAX_PACKET]))
    except Exception:  # noqa: BLE001 - a parser of wire data must not fail the scan
        return []
    if not msg.valid:
        return []
    out = [DnsRecord("QUERY", _s(q.name)) for q in msg.questions]
    for rec in msg.answers():
        out.extend(_record(rec))
    return out


def _record(rec: object) -> list[DnsRecord]:
    from zeroconf import DNSAddress, DNSHinfo, DNSPointer, DNSService, DNSText

    name = _s(getattr(rec, "name", ""))
    if isinstance(rec, DNSPointer):
        return [DnsRecord("PTR", name, _s(rec.alias))]
    if isinstance(rec, DNSService):
        return [DnsRecord("SRV", name, _s(rec.server), port=int(rec.port))]
    if isinstance(rec, DNSText):
        return [DnsRecord("TXT", name, txt=decode_txt(rec.text))]
    if isinstance(rec, DNSAddress):
        try:
            addr = str(ipaddress.ip_address(rec.address))
        except ValueError:
            return []
        return [DnsRecord("AAAA" if ":" in addr else "A", name, addr)]
    if isinstance(rec, DNSHinfo):
        return [DnsRecord("HINFO", name, _s(f"{rec.cpu} {rec.os}"))]
    return []


def decode_txt(raw: bytes, limit: int = 64) -> tuple[tuple[str, str], ...]:
    """DNS-SD TXT: length-prefixed ``key=value`` strings (RFC 6763 §6)."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(raw) and len(pairs) < limit:
        n = raw[i]
        item = raw[i + 1 : i + 1 + n]
        i += 1 + n
        if not item:
            continue
        key, _, value = item.partition(b"=")
        pairs.append((_s(key.decode("utf-8", "replace"), 64).lower(),
                      _s(value.decode("utf-8", "replace"))))
    return tuple(pairs)


def _s(value: object, limit: int = MAX_TEXT) -> str:
    return str(value)[:limit]


def service_type(name: str) -> str | None:
    """``_ipp._tcp`` from ``Printer._ipp._tcp.local.`` or ``_ipp._tcp.local.``."""
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) - 1):
        if labels[i].startswith("_") and labels[i + 1] in ("_tcp", "_udp"):
            return f"{labels[i]}.{labels[i + 1]}"
    return None


def instance_name(name: str) -> str:
    """The instance part of ``iPhone von X._companion-link._tcp.local.``."""
    st = service_type(name)
    if not st:
        return ""
    return name.split("." + st, 1)[0] if not name.startswith(st) else ""


def mdns_query(service_types: tuple[str, ...] = ("_services._dns-sd._udp",)) -> bytes:
    """A one-shot query (PTR) for the given service types."""
    from zeroconf import DNSOutgoing, DNSQuestion
    from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_PTR

    out = DNSOutgoing(_FLAGS_QR_QUERY, multicast=True)
    for st in service_types:
        out.add_question(DNSQuestion(f"{st}.local.", _TYPE_PTR, _CLASS_IN))
    return out.packets()[0]
