"""The DS-Lite variant of the lab router: its WAN side has no public IPv4 address (the B4
address 192.0.0.2 of RFC 6333 towards the provider's AFTR), so UPnP tells no public IPv4
and the Internet reaches the practice over IPv6 only. The report must say so, and the
outside-in check must say the IPv4 check is impossible and do the IPv6 one.

Run under the lab lock: flock /tmp/praxisscan-lab.lock .venv/bin/python -m pytest -q tests/lab/test_lab_dslite.py
"""

from __future__ import annotations

import dataclasses

import pytest

from scanner.jsonio import dumps, loads
from scanner.lab import ipv6 as lab6
from scanner.lab.lab import INTERNET_NS, SCANNER_NS
from scanner.lab.topology import load_practice
from tests.conftest import praxisscan, require_lab_prerequisites

pytestmark = pytest.mark.lab

BASE = load_practice()
# No UPnP mapping: miniupnpd maps nothing while its external address is reserved.
PRACTICE = dataclasses.replace(
    BASE, wan_address="192.0.0.2/29", internet_address="192.0.0.1/29",
    hosts=tuple(dataclasses.replace(h, upnp_mappings=()) for h in BASE.hosts))


@pytest.fixture(scope="module")
def dslite(tmp_path_factory):
    require_lab_prerequisites()
    from scanner.lab.lab import Lab

    lab = Lab(practice=PRACTICE)
    out = tmp_path_factory.mktemp("dslite")
    try:
        lab.up()
        r = praxisscan("scan", str(PRACTICE.subnet), "--interface", "eth0", "--format", "json",
                       "--output", str(out / "scan.json"), "--fail-on", "none", ns=SCANNER_NS)
        assert r.returncode == 0, r.stderr
        r = praxisscan("external", "--inside", str(out / "scan.json"), "-i", "eth0",
                       "--format", "json", "-o", str(out / "outside.json"), "--fail-on", "none",
                       ns=INTERNET_NS)
        assert r.returncode == 0, r.stderr
        yield loads((out / "scan.json").read_text()), loads((out / "outside.json").read_text())
    finally:
        lab.down()


def test_the_summary_says_ds_lite(dslite) -> None:
    from scanner.render.summary import internet_line_text
    from scanner.rules.line import internet_line

    scan = dslite[0]
    router = next(h for h in scan.hosts if h.ip == PRACTICE.router.ip)
    ext = [o.get("address") for o in router.observations if o.kind == "upnp-external-ip"]
    assert ext and ext[0] in (None, "0.0.0.0"), ext  # no public IPv4 told
    assert internet_line(scan) == "ds-lite"
    assert "DS-Lite" in internet_line_text(scan, "de")
    assert "reachable over IPv6 only" in internet_line_text(scan, "en")


def test_outside_in_says_ipv4_is_impossible_and_checks_ipv6(dslite) -> None:
    outside = dslite[1]
    reasons = {n.check: n.reason for n in outside.not_tested}
    assert reasons["external-ipv4"].startswith("DS-Lite: the line has no public IPv4 address")
    nas = PRACTICE.host(lab6.SHARE[0])
    assert [(f.host, f.port) for f in outside.findings if f.rule == "inbound-service"] == [
        (f"mac:{nas.mac}", lab6.SHARE[1])]
    assert dumps(outside)  # the combined scan is a valid scan file
