"""UPnP device description (the XML behind an SSDP LOCATION)."""

from __future__ import annotations

from dataclasses import dataclass

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


def parse(data: bytes) -> DeviceDescription | None:
    root = parse_xml(data)
    if root is None or local(root.tag) != "root":
        return None
    services, controls, scpds = [], [], []
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
    )


def actions(scpd: bytes) -> tuple[str, ...]:
    """Action names a service description (SCPD) offers."""
    root = parse_xml(scpd)
    if root is None:
        return ()
    return tuple(find_text(a, "name") for a in root.iter() if local(a.tag) == "action")[:128]
