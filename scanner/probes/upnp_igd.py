"""Read-only UPnP IGD audit: the router's external address and every port mapping.

SOAP GetExternalIPAddress and GetGenericPortMappingEntry(0, 1, ...) until the router
answers 713 SpecifiedArrayIndexInvalid (bounded). NAT-PMP: the external address only.
Nothing is added, changed or deleted.
"""

from __future__ import annotations

import re
import socket
import struct

from scanner.model import Observation
from scanner.probes.base import (HTTP_EXCHANGE_PACKETS, Budget, RateWindow, connect, observation,
                                  read_until)
from scanner.protocols.xmlsafe import find_text, parse_xml

MAX_MAPPINGS = 128
_WAN = re.compile(r"urn:schemas-upnp-org:service:WAN(IP|PPP)Connection:\d")


def is_wan_service(service: str) -> bool:
    return bool(_WAN.fullmatch(service))


def audit(ip: str, port: int, control_urls: list[tuple[str, str]],
          window: RateWindow) -> list[Observation]:
    """Every SOAP call is one HTTP/1.0 exchange paced through the host's rate window: a
    router with 128 mappings would otherwise get 1,000 packets in a second."""
    out: list[Observation] = []
    for service, url in control_urls:
        if not is_wan_service(service):
            continue
        with window.paced(HTTP_EXCHANGE_PACKETS):
            ext = _soap(ip, port, url, service, "GetExternalIPAddress", "")
        if ext is not None:
            out.append(observation("upnp-external-ip", address=find_text(ext, "NewExternalIPAddress")))
        for i in range(MAX_MAPPINGS):
            with window.paced(HTTP_EXCHANGE_PACKETS):
                entry = _soap(ip, port, url, service, "GetGenericPortMappingEntry",
                              f"<NewPortMappingIndex>{i}</NewPortMappingIndex>")
            if entry is None:  # 713 SpecifiedArrayIndexInvalid: the end of the list
                break
            out.append(observation(
                "upnp-mapping", index=i, protocol=find_text(entry, "NewProtocol"),
                external_port=find_text(entry, "NewExternalPort"),
                internal_client=find_text(entry, "NewInternalClient"),
                internal_port=find_text(entry, "NewInternalPort"),
                description=find_text(entry, "NewPortMappingDescription"),
                enabled=find_text(entry, "NewEnabled"),
                remote_host=find_text(entry, "NewRemoteHost"),
                lease=find_text(entry, "NewLeaseDuration")))
        break
    return out


def _soap(ip: str, port: int, url: str, service: str, action: str, args: str):  # noqa: ANN202
    body = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action} xmlns:u="{service}">{args}</u:{action}></s:Body></s:Envelope>').encode()
    path = url if url.startswith("/") else "/" + url.split("/", 3)[-1]
    head = (f"POST {path} HTTP/1.0\r\nHost: {ip}:{port}\r\n"
            'Content-Type: text/xml; charset="utf-8"\r\n'
            f'SOAPAction: "{service}#{action}"\r\nContent-Length: {len(body)}\r\n\r\n').encode()
    try:
        with connect(ip, port) as s:
            s.sendall(head + body)
            raw = read_until(s, None, 64 * 1024, Budget(3.0))
    except OSError:
        return None
    status, _, rest = raw.partition(b"\r\n")
    if b" 200 " not in status + b" ":
        return None
    return parse_xml(rest.partition(b"\r\n\r\n")[2])


def natpmp_external_address(gateway: str, timeout: float = 1.5) -> str | None:
    """RFC 6886 opcode 0: the gateway's external address, or None."""
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
