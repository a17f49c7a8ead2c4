"""baseline drafts a valid, cautious site file; the catalog document is generated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from scanner.baseline import draft_site
from scanner.classify import classify
from scanner.jsonio import dumps
from scanner.model import Host, Observation, Protocol, Role, Service, Source
from scanner.rules.catalog_doc import catalog_markdown
from scanner.site import load_site
from tests.conftest import REPO, praxisscan
from tests.test_model_json import T0, sample_scan

EVIL = 'x"\n[[device]]\nname = "pwned"\nrole = "router"\nmac = "00:00:00:00:00:01"\n#'


def scan_for_baseline():
    hosts = (
        Host(ip="192.168.178.1", mac="3c:a6:2f:0a:01:01", mac_vendor="AVM GmbH",
             hostnames=("fritz.box",), services=(Service(80, Protocol.TCP),)),
        Host(ip="192.168.178.101", mac="6a:3f:c1:5e:22:91", mac_randomized=True,
             hostnames=(EVIL,), services=(Service(62078, Protocol.TCP),)),
        Host(ip="192.168.178.77", mac="00:11:22:33:44:55"),
        Host(ip="192.168.178.50", mac="00:80:77:0a:50:50", mac_vendor="Brother industries, LTD.",
             observations=(Observation(Source.PROBE, "snmp", (("sys_descr", "Brother NC-8300w"),), T0),)),
    )
    return dataclasses.replace(sample_scan(), hosts=tuple(classify(h) for h in hosts))


def test_baseline_lists_practice_devices_and_only_comments_out_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "praxis.toml"
    path.write_text(draft_site(scan_for_baseline(), "Praxis Dr. Weber", "praxis"))
    site = load_site(path)
    assert {(d.name, d.role, d.mac) for d in site.devices} == {
        ("fritz.box", Role.ROUTER, "3c:a6:2f:0a:01:01"),
        ("printer 192.168.178.50", Role.PRINTER, "00:80:77:0a:50:50")}
    assert site.devices[0].services == frozenset({"tcp/80"})
    text = path.read_text()
    assert "# NICHT übernommen / NOT trusted (random MAC)" in text
    assert "# NICHT übernommen / NOT trusted (classified as unknown)" in text
    assert "pwned" not in {d.name for d in site.devices}  # the hostile name stayed a string


def test_baseline_cli_never_overwrites(tmp_path: Path) -> None:
    scan_file = tmp_path / "scan.json"
    scan_file.write_text(dumps(scan_for_baseline()))
    out = tmp_path / "praxis.toml"
    r = praxisscan("baseline", str(scan_file), "--output", str(out), "--name", "Praxis")
    assert r.returncode == 0, r.stderr
    assert out.stat().st_mode & 0o777 == 0o600 and len(load_site(out).devices) == 2
    r = praxisscan("baseline", str(scan_file), "--output", str(out))
    assert r.returncode == 2 and "never overwrites" in r.stderr


def test_the_committed_catalog_is_the_generated_one() -> None:
    committed = (REPO / "docs" / "findings-catalog.md").read_text()
    assert committed == catalog_markdown(), "run: praxisscan rules catalog > docs/findings-catalog.md"
    r = praxisscan("rules", "catalog")
    assert r.returncode == 0 and r.stdout == committed
    assert "| `konnektor-client-auth-disabled` | high |" in committed
