"""The Konnektor's service directory (``/connector.sds``, gemSpec_Kon TAB_KON_517/518)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.protocols.xmlsafe import find_text, local, parse_xml

NAMESPACE = "http://ws.gematik.de/conn/ServiceDirectory/v3.1"


@dataclass(frozen=True)
class ServiceDirectory:
    product_type: str
    vendor_id: str
    product_code: str
    product_name: str
    vendor_name: str
    type_version: str
    hw_version: str
    fw_version: str
    tls_mandatory: bool | None
    client_aut_mandatory: bool | None
    plain_http_endpoints: tuple[str, ...]  # <Endpoint Location="http://..."> (without TLS)
    tls_endpoints: int


def parse(data: bytes) -> ServiceDirectory | None:
    root = parse_xml(data)
    if root is None or local(root.tag) != "ConnectorServices":
        return None
    plain: list[str] = []
    tls = 0
    for el in root.iter():
        name = local(el.tag)
        if name == "EndpointTLS":
            tls += 1
        elif name == "Endpoint":
            loc = el.get("Location", "")[:256]
            if loc and len(plain) < 50:
                plain.append(loc)
    return ServiceDirectory(
        product_type=find_text(root, "ProductType"),
        vendor_id=find_text(root, "ProductVendorID"),
        product_code=find_text(root, "ProductCode"),
        product_name=find_text(root, "ProductName"),
        vendor_name=find_text(root, "ProductVendorName"),
        type_version=find_text(root, "ProductTypeVersion"),
        hw_version=find_text(root, "HWVersion"),
        fw_version=find_text(root, "FWVersion"),
        tls_mandatory=_bool(find_text(root, "TLSMandatory")),
        client_aut_mandatory=_bool(find_text(root, "ClientAutMandatory")),
        plain_http_endpoints=tuple(plain),
        tls_endpoints=tls,
    )


def _bool(text: str) -> bool | None:
    t = text.strip().lower()
    return True if t == "true" else False if t == "false" else None
