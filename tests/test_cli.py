"""The CLI as a user meets it: exit codes and one-line errors. Nothing here sends a packet
outside loopback: --plan sends nothing, and the only scan target is 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.cli.output import exit_for, write_private
from tests.conftest import praxisscan, unavailable
from tests.test_model_json import sample_scan


def error_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got: {r.stderr!r}"
    assert "Traceback" not in r.stderr
    return lines[0]


def test_version_and_help() -> None:
    r = praxisscan("--version")
    assert r.returncode == 0 and r.stdout.startswith("praxisscan ")
    r = praxisscan("scan", "--help")
    assert r.returncode == 0 and "--allow-public" in r.stdout and "--plan" in r.stdout


@pytest.mark.parametrize("args, fragment", [
    (["scan", "--plan", "192.168.178.300"], "malformed target"),
    (["scan", "--plan", "8.8.8.0/24"], "--allow-public"),
    (["scan", "--plan", "10.0.0.0/8"], "--allow-large"),
    (["scan", "--plan", "-i", "no-such-if0", "10.0.0.1"], "unknown interface 'no-such-if0'"),
    (["scan", "--site", "no-such-praxis.toml", "10.0.0.1"], "no such site file"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    r = praxisscan(*args)
    assert r.returncode == 2
    assert fragment in error_line(r)


def test_plan_describes_without_sending() -> None:
    r = praxisscan("scan", "--plan", "192.168.50.0/28")
    assert r.returncode == 0
    assert "192.168.50.0/28" in r.stdout and "14 addresses" in r.stdout
    assert "9100-9107" in r.stdout and "no OS detection" in r.stdout


def test_public_range_allowed_with_the_flag_in_plan_mode() -> None:
    r = praxisscan("scan", "--plan", "--allow-public", "8.8.8.8")
    assert r.returncode == 0 and "8.8.8.8/32" in r.stdout


def test_not_root_is_refused_before_sending() -> None:
    if not shutil.which("unshare"):
        pytest.skip("unshare not available")
    # A user namespace without uid mapping makes this a real non-root process.
    r = praxisscan("scan", "127.0.0.1", wrap=["unshare", "--user"])
    assert r.returncode == 2
    assert "needs root" in error_line(r)


def test_missing_nmap_is_refused_before_sending(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the nmap check runs after the root check")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not (Path(p) / "nmap").exists())
    r = praxisscan("scan", "127.0.0.1", env={"PATH": path})
    assert r.returncode == 2
    assert "nmap is not installed" in error_line(r)


def test_no_target_detects_networks_and_needs_confirmation(scratch_ns: str) -> None:
    r = praxisscan("scan", "--plan", ns=scratch_ns)
    assert r.returncode == 0
    assert "192.168.77.0/24 (detected from the interfaces)" in r.stdout
    r = praxisscan("scan", ns=scratch_ns, input="")
    assert r.returncode == 2
    assert "--yes" in error_line(r)


def test_fail_on_threshold() -> None:
    scan = sample_scan()  # one "high" finding
    assert exit_for(scan, "high") == 1
    assert exit_for(scan, "critical") == 0
    assert exit_for(scan, "none") == 0


def test_reports_are_written_private_and_atomic(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "scan.json"
    write_private(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["scan.json"]


def test_help_starts_fast() -> None:
    # Not a timing assertion: the heavy libraries must simply not load for --help.
    code = ("import sys; from scanner.cli import commands; "
            "assert not {'scapy', 'nmap', 'jinja2', 'rich', 'netifaces'} & set(sys.modules), "
            "sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'scapy','nmap','jinja2','rich','netifaces'}); "
            "assert 'scanner.nmapdb' not in sys.modules; "  # nmap's database: a scan pays, --help never
            # the probe modules (ElementTree, html, the UPnP stack) and asyncio load with a
            # scan, not with the probe table that the policy and site file read
            "heavy = {'asyncio', 'xml.etree.ElementTree', 'scanner.probes.web', "
            "'scanner.probes.tr064', 'scanner.probes.banners'} & set(sys.modules); "
            "assert not heavy, sorted(heavy); "
            # the choices of --fail-on and --lang come from scanner.vocabulary, not the scan
            # model; dataclasses, tempfile and getpass load in the commands that use them
            "light = {'scanner.model', 'dataclasses', 'tempfile', 'getpass'} & set(sys.modules); "
            "assert not light, sorted(light)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fingerprints_test_and_match() -> None:
    r = praxisscan("fingerprints", "test")
    assert r.returncode == 0 and r.stdout.strip().endswith("all hold")
    r = praxisscan("fingerprints", "match", "ssh_banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == "ssh.openssh-debian (confidence 0.7): os=Debian, os_version=12"
    r = praxisscan("fingerprints", "match", "sicct_name", "ORGA6100-0221734", "--json")
    assert '"vendor": "Ingenico"' in r.stdout and '"model": "6100"' in r.stdout
    r = praxisscan("fingerprints", "match", "mac_vendor", "Nobody GmbH")
    assert r.returncode == 1 and r.stdout.strip() == "no rule matches"
    r = praxisscan("fingerprints", "match", "colour", "red")
    assert r.returncode == 2 and "unknown field 'colour'" in error_line(r)


def test_fingerprints_match_shows_what_nmaps_database_makes_of_a_greeting() -> None:
    from scanner import nmapdb

    if isinstance(nmapdb.default(), nmapdb.Unavailable):
        unavailable("nmap's service database")
    # D-Link's camera greeting without the reply code, as recog's examples write greetings:
    # the command asks nmap's NULL lines with "220 " and CR LF added, as a server sends it
    r = praxisscan("fingerprints", "match", "ftp_banner", "Welcome to DCS-6620G FTP Server")
    nmap = [line for line in r.stdout.splitlines() if line.startswith("nmap-service-probes:")]
    assert r.returncode == 0 and len(nmap) == 1
    assert "role=camera" in nmap[0] and "vendor=D-Link" in nmap[0] and "model=DCS-6620G" in nmap[0]
    # an HTTP title is no greeting: nmap's database is not asked
    r = praxisscan("fingerprints", "match", "http_title", "Welcome to DCS-6620G FTP Server")
    assert "nmap-service-probes" not in r.stdout


def test_oui_update_installs_a_fresh_registry(tmp_path: Path) -> None:
    csv_file = tmp_path / "mam.csv"
    csv_file.write_text("Registry,Assignment,Organization Name,Organization Address\n"
                        'MA-M,8C1F645,"Praxis Medizintechnik, GmbH",Somewhere\n')
    state = tmp_path / "state"
    r = praxisscan("oui", "update", str(csv_file), env={"PRAXISSCAN_STATE_DIR": str(state)})
    assert r.returncode == 0, r.stderr
    assert (state / "oui" / "mam.csv").read_text() == csv_file.read_text()
    code = ("from scanner.classification.oui import MacVendors; "
            "print(MacVendors().lookup('8c:1f:64:5a:bc:de'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PRAXISSCAN_STATE_DIR": str(state)})
    assert out.stdout.strip() == "Praxis Medizintechnik, GmbH"
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    r = praxisscan("oui", "update", str(bad), env={"PRAXISSCAN_STATE_DIR": str(state)})
    assert r.returncode == 2 and "no IEEE registry rows" in error_line(r)
