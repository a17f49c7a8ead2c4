"""Read-only UPnP IGD audit: the router's external address and every port mapping.

SOAP GetExternalIPAddress and GetGenericPortMappingEntry(0, 1, ...) until the router
answers 713 SpecifiedArrayIndexInvalid (bounded). NAT-PMP: the external address only.
Nothing is added, changed or deleted. Every address contacted passes the scope guard.

A mapping is evidence the rules count ports with, so it is parsed here, where the router's
words enter: a mapping with a field that is not what the standard allows (a port
``3389abc``, ``NewEnabled`` = ``maybe``, a host name as internal client) is not an
observation but a note naming the field; the scan goes on.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from scanner.model import Observation
from scanner.probes.base import (HTTP_EXCHANGE_PACKETS, Budget, RateWindow, connect, observation,
                                  read_until)
from scanner.protocols.upnp import HttpUrl
from scanner.protocols.xmlsafe import find_text, local, parse_xml
from scanner.text import clean
from scanner.scope import OutOfScope, ScopeGuard

MAX_MAPPINGS = 128
_WAN = re.compile(r"urn:schemas-upnp-org:service:WAN(IP|PPP)Connection:\d")
_V6_FIREWALL = re.compile(r"urn:schemas-upnp-org:service:WANIPv6FirewallControl:\d")
_DECIMAL = re.compile(r"[0-9]{1,10}")  # ASCII digits only: int() would take "３" and " 1_0"


def is_wan_service(service: str) -> bool:
    return bool(_WAN.fullmatch(service))


def is_ipv6_firewall_service(service: str) -> bool:
    """IGDv2's WANIPv6FirewallControl (ISO/IEC 29341-24-11)."""
    return bool(_V6_FIREWALL.fullmatch(service))


# -- one mapping ------------------------------------------------------------------------------


class MalformedMapping(ValueError):
    """A field of a port mapping that is not what the IGD standard allows."""


@dataclass(frozen=True)
class PortMapping:
    """One mapping in canonical form: ports 1-65535, protocol TCP/UDP, an IPv4 client."""

    protocol: str
    external_port: int
    internal_client: str
    internal_port: int
    enabled: bool
    description: str = ""
    remote_host: str = ""
    lease: int | None = None

    def data(self) -> dict[str, object]:
        return dict(protocol=self.protocol, external_port=self.external_port,
                    internal_client=self.internal_client, internal_port=self.internal_port,
                    enabled="yes" if self.enabled else "no", description=self.description,
                    remote_host=self.remote_host, lease=self.lease)


def parse_mapping(fields: Mapping[str, object]) -> PortMapping:
    """A GetGenericPortMappingEntry answer (UPnP IGD or TR-064; values as text, or typed by
    fritzconnection), or MalformedMapping naming the first bad field."""
    return PortMapping(
        protocol=_protocol(fields.get("NewProtocol")),
        external_port=_port(fields, "NewExternalPort"),
        internal_client=_ipv4(fields, "NewInternalClient"),
        internal_port=_port(fields, "NewInternalPort"),
        enabled=_flag(fields, "NewEnabled"),
        description=clean(_text(fields.get("NewPortMappingDescription")), 200),
        remote_host=_optional_ipv4(fields.get("NewRemoteHost")),
        lease=_optionalparse_uint(fields.get("NewLeaseDuration")),
    )


def _text(v: object) -> str:
    return "" if v is None else str(v)[:256].strip()


def _bad(name: str, v: object, wanted: str) -> MalformedMapping:
    shown = _text(v)
    return MalformedMapping(f"{name} {clean(shown, 40)!r} is not {wanted}" if shown
                            else f"{name} is missing")


def _protocol(v: object) -> str:
    p = _text(v).upper()
    if p not in ("TCP", "UDP"):
        raise _bad("NewProtocol", v, "TCP or UDP")
    return p


def parse_uint(v: object) -> int | None:
    """A non-negative integer written in decimal (at most 10 digits), or None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    t = _text(v)
    return int(t) if _DECIMAL.fullmatch(t) else None


def parse_port(v: object) -> int | None:
    """A port number 1-65535 from a device's answer, or None."""
    n = parse_uint(v)
    return n if n is not None and 0 < n < 65536 else None


def _port(fields: Mapping[str, object], name: str) -> int:
    n = parse_port(fields.get(name))
    if n is None:
        raise _bad(name, fields.get(name), "a port (1-65535)")
    return n


def _ipv4(fields: Mapping[str, object], name: str) -> str:
    try:
        return str(ipaddress.IPv4Address(_text(fields.get(name))))
    except ValueError:
        raise _bad(name, fields.get(name), "an IPv4 address") from None


def _flag(fields: Mapping[str, object], name: str) -> bool:
    v = fields.get(name)
    if isinstance(v, bool):
        return v
    t = _text(v).lower()
    if t in ("1", "true", "yes"):
        return True
    if t in ("0", "false", "no"):
        return False
    raise _bad(name, v, "a boolean (0 or 1)")


def _optional_ipv4(v: object) -> str:
    try:
        return str(ipaddress.IPv4Address(_text(v)))
    except ValueError:
        return ""  # empty is the wildcard; anything else says nothing we could use


def _optionalparse_uint(v: object) -> int | None:
    n = parse_uint(v)
    return n if n is not None and n < 2**32 else None


def mapping_observation(kind: str, index: int, fields: Mapping[str, object]
                        ) -> tuple[Observation | None, str | None]:
    """One mapping as an observation, or the note saying why it is not one."""
    try:
        m = parse_mapping(fields)
    except MalformedMapping as e:
        return None, f"port mapping {index} not evaluated: {e}"
    return observation(kind, index=index, **m.data()), None


# -- the SOAP audit ---------------------------------------------------------------------------


def audit(controls: list[tuple[str, HttpUrl]], window: RateWindow, guard: ScopeGuard
          ) -> tuple[list[Observation], list[str]]:
    """What the first WAN connection service tells, and what could not be used. Every SOAP
    call is one HTTP/1.0 exchange paced through the host's rate window: a router with 128
    mappings would otherwise get 1,000 packets in a second."""
    out: list[Observation] = []
    notes: list[str] = []
    for service, url in controls:
        if not is_wan_service(service):
            continue
        try:
            with window.paced(HTTP_EXCHANGE_PACKETS):
                ext = _soap(url, service, "GetExternalIPAddress", "", guard)
            if ext is not None:
                address = _optional_ipv4(find_text(ext, "NewExternalIPAddress"))
                out.append(observation("upnp-external-ip", address=address))
            for i in range(MAX_MAPPINGS):
                with window.paced(HTTP_EXCHANGE_PACKETS):
                    entry = _soap(url, service, "GetGenericPortMappingEntry",
                                  f"<NewPortMappingIndex>{i}</NewPortMappingIndex>", guard)
                if entry is None:  # 713 SpecifiedArrayIndexInvalid: the end of the list
                    break
                obs, note = mapping_observation("upnp-mapping", i, _fields(entry))
                if obs:
                    out.append(obs)
                if note:
                    notes.append(note)
        except OutOfScope as e:
            notes.append(f"control URL outside the scope: not contacted ({url}: {e})")
        break
    return out, notes


def firewall_status(controls: list[tuple[str, HttpUrl]], window: RateWindow,
                    guard: ScopeGuard) -> tuple[list[Observation], list[str]]:
    """IGDv2 GetFirewallStatus: is the router's IPv6 firewall on, and may LAN devices open
    pinholes? Read-only; the service has no action that lists pinholes (by design)."""
    for service, url in controls:
        if not is_ipv6_firewall_service(service):
            continue
        try:
            with window.paced(HTTP_EXCHANGE_PACKETS):
                answer = _soap(url, service, "GetFirewallStatus", "", guard)
        except OutOfScope as e:
            return [], [f"control URL outside the scope: not contacted ({url}: {e})"]
        if answer is None:
            return [], ["IGDv2 GetFirewallStatus gave no answer"]
        enabled = _bool_word(find_text(answer, "FirewallEnabled"))
        allowed = _bool_word(find_text(answer, "InboundPinholeAllowed"))
        return [observation("upnp-ipv6-firewall", firewall_enabled=enabled,
                            inbound_pinhole_allowed=allowed, location=str(url))], []
    return [], []


def _bool_word(v: object) -> str | None:
    """UPnP booleans ("1", "0", "true", "false", "yes", "no") as yes/no; else None."""
    t = str(v or "").strip().lower()
    return "yes" if t in ("1", "true", "yes") else "no" if t in ("0", "false", "no") else None


def _fields(entry) -> dict[str, str]:  # noqa: ANN001 - an ElementTree element
    """The answer's out arguments by name; a missing one stays missing."""
    names = ("NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort",
             "NewInternalClient", "NewEnabled", "NewPortMappingDescription", "NewLeaseDuration")
    present = {local(el.tag) for el in entry.iter()}
    return {n: find_text(entry, n) for n in names if n in present}


def _soap(url: HttpUrl, service: str, action: str, args: str, guard: ScopeGuard):  # noqa: ANN202
    ip = guard.check(url.host)
    if not (is_wan_service(service) or is_ipv6_firewall_service(service)):  # goes into headers
        return None
    body = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action} xmlns:u="{service}">{args}</u:{action}></s:Body></s:Envelope>').encode()
    head = (f"POST {url.path} HTTP/1.0\r\nHost: {ip}:{url.port}\r\n"
            'Content-Type: text/xml; charset="utf-8"\r\n'
            f'SOAPAction: "{service}#{action}"\r\nContent-Length: {len(body)}\r\n\r\n').encode()
    try:
        with connect(ip, url.port) as s:
            s.sendall(head + body)
            raw = read_until(s, None, 64 * 1024, Budget(3.0))
    except OSError:
        return None
    status, _, rest = raw.partition(b"\r\n")
    if b" 200 " not in status + b" ":
        return None
    return parse_xml(rest.partition(b"\r\n\r\n")[2])


def natpmp_external_address(gateway: str, guard: ScopeGuard, timeout: float = 1.5) -> str | None:
    """RFC 6886 opcode 0: the gateway's external address, or None (also when the gateway
    is outside the scope: then nothing is sent)."""
    if not guard.allows(gateway):
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(b"\x00\x00", (gateway, 5351))
            data, addr = s.recvfrom(64)
        except OSError:
            return None
    if addr[0] != gateway or len(data) < 12 or data[:2] != b"\x00\x80":
        return None
    if struct.unpack(">H", data[2:4])[0] != 0:
        return None
    return socket.inet_ntoa(data[8:12])
