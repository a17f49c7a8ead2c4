"""baseline drafts a valid, cautious site file; the catalog document is generated."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from scanner.baseline import draft_site
from scanner.classification.classify import classify
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


ACK_INJECTION = ('\n[[acknowledged]]\nfinding = "1f3a9c0d5e7b2a64"\nreason = "x"\nby = "x"\n'
                 'until = 2099-01-01\n[[device]]\nname = "injected"\nrole = "router"\n'
                 'ip = "10.9.9.9"\n#')


def _hostile_host(**fields) -> Host:
    base = dict(ip="192.168.178.9", mac="00:80:77:0a:50:51", mac_vendor="Brother" + ACK_INJECTION,
                hostnames=("drucker" + ACK_INJECTION,), role=Role.PRINTER,
                vendor="Brother\r" + ACK_INJECTION, product="HL\x0b" + ACK_INJECTION,
                os="Linux\u2028" + ACK_INJECTION, services=(Service(631, Protocol.TCP),))
    return Host(**{**base, **fields})


def _assert_no_injection(path: Path, loads: bool = True) -> None:
    # The TOML structure itself: no acknowledgement, no extra device, whatever the values.
    doc = tomllib.loads(path.read_text())
    assert "acknowledged" not in doc
    assert "injected" not in {d.get("name") for d in doc.get("device", [])}
    assert "10.9.9.9" not in {d.get("ip") for d in doc.get("device", [])}
    if loads:
        site = load_site(path)
        assert site.acknowledged == () and "injected" not in {d.name for d in site.devices}


def test_baseline_keeps_every_scan_string_inside_its_string_or_comment(tmp_path: Path) -> None:
    # L4: the ip went raw into the device's comment line; a newline in it started live
    # TOML: an acknowledgement that hides a critical finding.
    # (an ip like this cannot come from a scan file any more: see the CLI test below; when
    # it becomes the device's ip value, the draft is refused by load_site, never obeyed)
    for host, loads in ((_hostile_host(), True),
                        (_hostile_host(ip="192.168.178.9" + ACK_INJECTION), True),
                        (_hostile_host(mac=None, ip="192.168.178.9" + ACK_INJECTION), False)):
        path = tmp_path / "praxis.toml"
        path.write_text(draft_site(dataclasses.replace(sample_scan(), hosts=(host,))))
        _assert_no_injection(path, loads)


def test_baseline_cli_with_hostile_names_and_a_hostile_ip(tmp_path: Path) -> None:
    scan_file = tmp_path / "scan.json"
    scan_file.write_text(dumps(dataclasses.replace(sample_scan(), hosts=(_hostile_host(),))))
    out = tmp_path / "praxis.toml"
    r = praxisscan("baseline", str(scan_file), "--output", str(out))
    assert r.returncode == 0, r.stderr
    _assert_no_injection(out)
    # A newline in the ip no longer gets this far: the scan file is malformed.
    bad = dataclasses.replace(sample_scan(), hosts=(_hostile_host(ip="192.168.178.9" + ACK_INJECTION),))
    scan_file.write_text(dumps(bad))
    r = praxisscan("baseline", str(scan_file), "--output", str(tmp_path / "second.toml"))
    assert r.returncode == 2 and not (tmp_path / "second.toml").exists()
    assert r.stderr.startswith(f"praxisscan: error: {scan_file}: malformed scan: $.hosts[0].ip: ")
    assert r.stderr.count("\n") == 1
