"""HTTP(S): server header and title, the Konnektor's connector.sds, UPnP descriptions."""

from __future__ import annotations

import html
import ipaddress
import re
import ssl
from dataclasses import dataclass

from scanner.model import Observation, Protocol, Service
from scanner.probes.base import (HTTP_EXCHANGE_PACKETS, Budget, ProbeResult, RateWindow, connect,
                                  observation, read_until, tls_client_context)
from scanner.probes.nmap_match import with_nmap
from scanner.protocols import connector_sds, upnp
from scanner.text import clean
from scanner.scope import ScopeGuard

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
MAX_BODY = 256 * 1024
RAW_START = 16 * 1024  # = nmapdb.MAX_RESPONSE, without importing nmapdb for --help


def fetch(ip: str, port: int, path: str = "/", use_tls: bool = False,
          host: str | None = None) -> tuple[int, dict[str, str], bytes] | None:
    """One GET, HTTP/1.0 (no keep-alive, no chunking, redirects not followed); None when
    nothing HTTP came back. ``ip`` must be a literal address: a name is never resolved."""
    got = exchange(ip, port, path, use_tls, host)
    return got[:3] if got else None


def exchange(ip: str, port: int, path: str = "/", use_tls: bool = False,
             host: str | None = None) -> tuple[int, dict[str, str], bytes, bytes] | None:
    """:func:`fetch`, plus the start of the answer as received (status line, headers, the
    start of the body; for HTTPS the decrypted answer), which nmap's GetRequest lines read."""
    literal = host_literal(ip)
    if literal is None:
        return None
    if any(c in path for c in "\r\n ") or (host and any(c in host for c in "\r\n")):
        return None
    request = (f"GET {path} HTTP/1.0\r\nHost: {host or literal}\r\n"
               "User-Agent: praxisscan\r\nAccept: */*\r\nConnection: close\r\n\r\n").encode()
    try:
        raw_sock = connect(ip, port)
        sock = tls_client_context().wrap_socket(raw_sock) if use_tls else raw_sock
        with sock:
            sock.sendall(request)
            raw = read_until(sock, None, MAX_BODY, Budget(4.0))
    except (OSError, ssl.SSLError, ValueError):
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0]) if lines else None
    if not m:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:64]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()[:64]] = v.strip()[:512]
    return int(m.group(1)), headers, body, raw[:RAW_START]


def host_literal(ip: str) -> str | None:
    """The address as a URL or Host header writes it: an IPv6 literal in brackets, without
    its zone (``fe80::1%eth0``: the zone is the scanner's interface, meaningless to the
    server); None for anything but a literal address, so that a name is never resolved."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        return f"[{str(addr).split('%', 1)[0]}]"
    return str(addr)


def http(ip: str, port: int, use_tls: bool) -> ProbeResult:
    got = exchange(ip, port, "/", use_tls)
    if got is None:
        return ProbeResult()
    status, headers, body, raw = got
    t = _TITLE.search(body[:MAX_BODY])
    title = clean(html.unescape(t.group(1).decode("utf-8", "replace")).strip(), 200) if t else ""
    server = clean(headers.get("server", ""), 200)
    product, version = server_product(server)
    obs = observation("http", port=port, tls="yes" if use_tls else "no", status=status,
                      server=server, title=title,
                      auth=headers.get("www-authenticate", "")[:100],
                      login_form="yes" if b'type="password"' in body.lower()
                      or b"type='password'" in body.lower() else "no",
                      scripts="yes" if b"<script" in body.lower() else "no")
    # Our request is HTTP/1.0 like nmap's GetRequest, so its lines apply to the answer.
    return with_nmap(ProbeResult((obs,), Service(port, Protocol.TCP, "https" if use_tls else "http",
                                                 product, version)), "GetRequest", raw, port)


def server_product(header: str) -> tuple[str, str]:
    """``nginx/1.22.1`` -> (nginx, 1.22.1). For ``OS/x UPnP/1.1 Product/y`` the product is
    the token after ``UPnP/``, as the UPnP spec orders them."""
    tokens = header.split()
    if not tokens:
        return "", ""
    pick = tokens[0]
    for i, t in enumerate(tokens[:-1]):
        if t.upper().startswith("UPNP/"):
            pick = tokens[i + 1]
    name, _, version = pick.partition("/")
    return name, version


def connector_directory(ip: str, port: int, use_tls: bool) -> ProbeResult:
    got = fetch(ip, port, "/connector.sds", use_tls)
    if got is None or got[0] != 200:
        return ProbeResult()
    sds = connector_sds.parse(got[2])
    if sds is None:
        return ProbeResult()
    obs = observation(
        "connector-sds", port=port, tls="yes" if use_tls else "no",
        product_type=sds.product_type, vendor_id=sds.vendor_id, product_code=sds.product_code,
        product_name=sds.product_name, vendor_name=sds.vendor_name,
        version=sds.type_version, hw_version=sds.hw_version, fw_version=sds.fw_version,
        tls_mandatory=_tri(sds.tls_mandatory), client_aut_mandatory=_tri(sds.client_aut_mandatory),
        plain_endpoints=len(sds.plain_http_endpoints), tls_endpoints=sds.tls_endpoints)
    return ProbeResult((obs,))


@dataclass(frozen=True)
class UpnpResult:
    observations: tuple[Observation, ...] = ()
    notes: tuple[str, ...] = ()  # what was not contacted or not understood, and why


def upnp_description(url: upnp.HttpUrl, window: RateWindow, guard: ScopeGuard,
                     announced_by: str | None = None) -> UpnpResult:
    """The device description and, for an Internet gateway, its mappings; every HTTP
    exchange goes through the host's rate window. ``url`` passed ``guard`` already; every
    URL the description names must pass it too and stay on the description's host (whose
    rate window and policy apply), else it is noted, not contacted."""
    if not guard.allows(url.host):
        return UpnpResult(notes=(f"location outside the scope: not contacted ({url})",))
    with window.paced(HTTP_EXCHANGE_PACKETS):
        got = fetch(url.host, url.port, url.path, host=f"{url.host}:{url.port}")
    if got is None or got[0] != 200:
        return UpnpResult()
    desc = upnp.parse(got[2])
    if desc is None:
        return UpnpResult()
    notes: list[str] = []
    base = (upnp.http_url(desc.url_base) if desc.url_base else None) or url

    def on_host(kind: str, raw: str) -> upnp.HttpUrl | None:
        named = upnp.http_url(raw, base)
        why = ("not an http URL" if named is None else guard.refusal(named.host)
               or (f"on {named.host}, not on the description's host {url.host}"
                   if named.host != url.host else None))
        if why:
            notes.append(f"{kind} outside the scope: not contacted ({clean(raw, 120)}: {why})")
            return None
        return named

    igd = "InternetGatewayDevice" in desc.device_type
    data = dict(location=str(url), port=url.port, device_type=desc.device_type,
                friendly_name=desc.friendly_name, manufacturer=desc.manufacturer,
                model_name=desc.model_name, model_number=desc.model_number,
                server=got[1].get("server", ""), services=" ".join(desc.services)[:1000],
                igd="yes" if igd else "no", announced_by=announced_by)
    extra: list[Observation] = []
    if igd:
        from scanner.probes import upnp_igd

        wan = [(s, u) for s, raw in desc.scpd_urls
               if upnp_igd.is_wan_service(s) and (u := on_host("SCPD URL", raw))]
        data["add_mapping"] = _add_mapping_offered(wan, window)
        controls = [(s, u) for s, raw in desc.control_urls
                    if upnp_igd.is_wan_service(s) and (u := on_host("control URL", raw))]
        found, gaps = upnp_igd.audit(controls, window, guard)
        extra.extend(found)
        notes.extend(gaps)
        v6 = [(s, u) for s, raw in desc.control_urls
              if upnp_igd.is_ipv6_firewall_service(s) and (u := on_host("control URL", raw))]
        found, gaps = upnp_igd.firewall_status(v6, window, guard)
        extra.extend(found)
        notes.extend(gaps)
        with window.paced(2):
            ext = upnp_igd.natpmp_external_address(url.host, guard)
        if ext:
            extra.append(observation("natpmp", external_address=ext))
    return UpnpResult((observation("upnp-device", **data), *extra), tuple(notes))


def _add_mapping_offered(scpds: list[tuple[str, upnp.HttpUrl]], window: RateWindow) -> str:
    """Can any LAN device open ports? Read the WAN service's action list; never call it."""
    for _service, scpd in scpds[:4]:  # a description may list any number
        with window.paced(HTTP_EXCHANGE_PACKETS):
            got = fetch(scpd.host, scpd.port, scpd.path, host=f"{scpd.host}:{scpd.port}")
        if got and got[0] == 200:
            return "offered" if "AddPortMapping" in upnp.actions(got[2]) else "not offered"
    return "unknown"


def _tri(v: bool | None) -> str:
    return "unknown" if v is None else "true" if v else "false"

