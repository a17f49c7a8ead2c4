"""UPnP device description (the XML behind an SSDP LOCATION), and the URLs it names."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scanner.protocols.xmlsafe import find_text, local, parse_xml


@dataclass(frozen=True)
class DeviceDescription:
    device_type: str
    friendly_name: str
    manufacturer: str
    model_name: str
    model_number: str
    serial: str
    services: tuple[str, ...]  # serviceType URNs, e.g. WANIPConnection:1
    control_urls: tuple[tuple[str, str], ...]  # (serviceType, controlURL)
    scpd_urls: tuple[tuple[str, str], ...] = ()  # (serviceType, SCPDURL): the action lists
    url_base: str = ""  # UPnP 1.0 URLBase: what relative URLs resolve against, if given


def parse(data: bytes) -> DeviceDescription | None:
    root = parse_xml(data)
    if root is None or local(root.tag) != "root":
        return None
    services: list[str] = []
    controls: list[tuple[str, str]] = []
    scpds: list[tuple[str, str]] = []
    for el in root.iter():
        if local(el.tag) == "service" and len(services) < 64:
            st = find_text(el, "serviceType")
            services.append(st)
            url = find_text(el, "controlURL")
            if url:
                controls.append((st, url))
            scpd = find_text(el, "SCPDURL")
            if scpd:
                scpds.append((st, scpd))
    return DeviceDescription(
        device_type=find_text(root, "deviceType"),
        friendly_name=find_text(root, "friendlyName"),
        manufacturer=find_text(root, "manufacturer"),
        model_name=find_text(root, "modelName"),
        model_number=find_text(root, "modelNumber"),
        serial=find_text(root, "serialNumber"),
        services=tuple(services),
        control_urls=tuple(controls),
        scpd_urls=tuple(scpds),
        url_base=find_text(root, "URLBase", 1024),
    )


def actions(scpd: bytes) -> tuple[str, ...]:
    """Action names a service description (SCPD) offers."""
    root = parse_xml(scpd)
    if root is None:
        return ()
    return tuple(find_text(a, "name") for a in root.iter() if local(a.tag) == "action")[:128]


@dataclass(frozen=True)
class HttpUrl:
    """An http URL as a device named it. ``host`` is as written (a name stays a name: the
    scope guard refuses it, nothing resolves it); ``path`` holds path and query."""

    host: str
    port: int
    path: str

    def __str__(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


MAX_URL = 1024


def http_url(text: str, base: HttpUrl | None = None) -> HttpUrl | None:
    """An SSDP LOCATION, or a description's controlURL/SCPDURL resolved against ``base``
    (the URLBase or the description's own URL); None for anything but plain http with a
    valid port, for user info (``http://a@b/``), and for spaces or control characters (they
    would end up in our request line)."""
    t = text.strip()
    if not t or len(t) > MAX_URL or not all("\x21" <= c <= "\x7e" for c in t):
        return None
    if base is not None:
        t = urljoin(str(base), t)
    try:
        parts = urlsplit(t)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or "@" in parts.netloc or not parts.hostname:
        return None
    if port is None:
        port = 80
    if not 0 < port < 65536:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return HttpUrl(parts.hostname, port, path if path.startswith("/") else "/" + path)
