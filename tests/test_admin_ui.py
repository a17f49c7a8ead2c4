"""Which plain-HTTP pages are an administration interface without a login form (#19)."""

from __future__ import annotations

from datetime import datetime, timezone

from scanner.model import Host, Observation, Role, Source
from scanner.rules.admin_ui import identify

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def page(**data: str) -> Observation:
    return Observation(Source.PROBE, "http", tuple({"port": "80", "tls": "no", "status": "200",
                                                    "login_form": "no", **data}.items()), T0)


def test_by_the_pages_own_words() -> None:
    ui = identify(Host(ip="10.0.0.60"), page(title="Synology DiskStation"))
    assert (ui.source, ui.rule, ui.kind, ui.device) == ("fingerprint", "title.synology", "nas",
                                                        "Synology")
    assert ui.what == "Synology NAS"


def test_by_the_classified_host_named_in_the_page() -> None:
    nas = Host(ip="10.0.0.61", role=Role.NAS, vendor="Asustor", product="AS5304T")
    ui = identify(nas, page(title="AS5304T - ADM"))
    assert (ui.source, ui.field, ui.value) == ("host", "http_title", "AS5304T - ADM")
    # the same page on a workstation is nobody's administration interface
    assert identify(Host(ip="10.0.0.62", role=Role.WORKSTATION, product="AS5304T"),
                    page(title="AS5304T - ADM")) is None


def test_by_nmaps_device_type_on_the_same_port_only() -> None:
    nmap = Observation(Source.PROBE, "nmap-service", (
        ("port", "80"), ("product", "APC UPS http config"), ("device_type", "power-device"),
        ("soft", "no"), ("line", "1234")), T0)
    ups = Host(ip="10.0.0.70", observations=(nmap,))
    assert identify(ups, page()).what == "APC UPS http config (power-device)"
    assert identify(ups, page(port="8080")) is None


def test_not_a_page_or_only_a_weak_guess() -> None:
    router = Host(ip="10.0.0.1", role=Role.ROUTER, vendor="AVM", product="FRITZ!Box")
    assert identify(router, page(status="404", title="FRITZ!Box")) is None  # UPnP port
    assert identify(router, page(status="301", title="FRITZ!Box")) is None  # to HTTPS
    cups = Host(ip="10.0.0.50", role=Role.PRINTER)
    assert identify(cups, page(title="Home - CUPS 2.4.2", server="CUPS/2.4 IPP/2.1")) is None
