"""The inventory's device column: maker, model and version from every source (issue 14, item 5)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from scanner.model import Classification, Host, Observation, Role, Source
from scanner.render.html import render_html
from scanner.render.terminal import render_terminal
from scanner.text import device_identity, host_device_line
from tests.test_model_json import sample_scan

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _obs(kind: str, **kv: str) -> Observation:
    return Observation(Source.PROBE, kind, tuple(kv.items()), T0)


def test_firmware_and_model_from_tr064_join_the_classified_maker() -> None:
    # what a FRITZ!Box 7590 says in /tr64desc.xml (the lab's TR-064 stand-in serves the same fields)
    h = Host(ip="192.168.178.1", role=Role.ROUTER, vendor="AVM", os="Linux", observations=(
        _obs("tr064-device", port="49000", model="FRITZ!Box 7590", manufacturer="AVM",
             firmware="154.07.57"),))
    assert device_identity(h) == ("AVM", "FRITZ!Box 7590", "154.07.57")
    assert host_device_line(h) == "AVM FRITZ!Box 7590 154.07.57 (Linux)"


def test_the_model_of_a_rule_and_the_version_nmap_read_from_the_device() -> None:
    h = Host(ip="192.0.2.9", role=Role.PRINTER, vendor="Epson", product="AL-C2900",
             classification=Classification(0.85, "AL-C2900"), observations=(
                 _obs("nmap-service", line="123", soft="no", names_device="product",
                      product="Epson AL-C2900 printer http config", version="02.17.00"),))
    assert host_device_line(h) == "Epson AL-C2900 02.17.00"


def test_a_device_that_names_itself_in_upnp_is_shown_escaped() -> None:
    evil = "<script>alert(1)</script>\x1b[31m"
    h = Host(ip="192.0.2.10", observations=(
        _obs("upnp-device", manufacturer=evil, model_name="Model\u202eX", device_type="x"),))
    maker, model, _ = device_identity(h)
    assert "\x1b" not in maker and "[U+202E]" in model
    scan = dataclasses.replace(sample_scan(), hosts=(h,))
    html = render_html(scan, "en")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    term = render_terminal(scan, "en", width=200)
    assert "\x1b[31m" not in term and "alert(1)" in term
