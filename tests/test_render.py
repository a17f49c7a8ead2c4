"""Reports show hostile text from the network inert, in every format."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from scanner.render import Format, render
from scanner.text import clean
from tests.test_model_json import HOSTILE, sample_scan


def test_terminal_report_neutralises_markup_and_escapes() -> None:
    out = render(sample_scan(), Format.TERMINAL, "de", color=False)
    assert "\x1b" not in out  # no escape from the network reaches the terminal
    assert "[bold red]x[/]" in out  # Rich markup shown literally, not interpreted
    assert "192.168.178.10" in out and "Fujitsu" in out



def test_addresses_never_wrap_in_a_narrow_terminal() -> None:
    from scanner.render.terminal import render_terminal

    out = render_terminal(sample_scan(), "de", width=90)
    for h in sample_scan().hosts:
        assert h.ip in out
        assert h.mac is None or h.mac in out
    assert "UNVOLLSTÄNDIG" in out  # complete=False is said, in German by default


def test_terminal_colour_output_carries_only_our_own_escapes() -> None:
    out = render(sample_scan(), Format.TERMINAL, "de", color=True)
    assert "\x1b[31m" not in out and "red\x1b" not in out


def test_html_report_escapes_everything_and_is_self_contained() -> None:
    html = render(sample_scan(), Format.HTML, "de")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)  # nothing loads from the net
    assert '<html lang="de">' in html and "Netzwerk-Sicherheitsbericht" in html
    assert "SMBv1 aktiv" in html and "Abhilfe" in html


def test_html_report_in_english() -> None:
    html = render(sample_scan(), Format.HTML, "en")
    assert '<html lang="en">' in html and "SMBv1 enabled" in html
    assert "Network security report" in html


def test_long_strings_are_cut() -> None:
    html = render(sample_scan(), Format.HTML, "de")
    assert "Ä" * 1000 not in html
    assert clean("x" * 10_000, 200) == "x" * 199 + "…"


def test_json_report_keeps_the_raw_text() -> None:
    doc = json.loads(render(sample_scan(), Format.JSON))
    assert doc["hosts"][0]["hostnames"][1] == HOSTILE  # data is kept; renderers escape


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]0;evil title\x07ok", "ok"), ("a\x00b\x7fc", "abc"), ("line1\nline2", "line1 line2"),
    ("\x9b31mx", "x"),  # the 8-bit CSI is a whole sequence, like ESC [
])
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_csv_inventory_defuses_formulas() -> None:
    import csv
    import dataclasses
    import io

    from scanner.model import Host

    scan = dataclasses.replace(sample_scan(), hosts=sample_scan().hosts + (
        Host(ip="10.0.0.9", hostnames=('=HYPERLINK("http://evil","x")',)),))
    rows = list(csv.reader(io.StringIO(render(scan, Format.CSV))))
    assert rows[0][:6] == ["ip", "mac", "mac_vendor", "mac_randomized", "hostname", "role"]
    assert len(rows) == 1 + len(scan.hosts)
    assert rows[-1][4] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert rows[1][0] == "192.168.178.10" and rows[1][11] == "1"  # one finding on the PVS server


def test_report_renders_a_stored_scan_again_with_a_site_file(tmp_path) -> None:
    from pathlib import Path

    from scanner.jsonio import dumps
    from tests.conftest import praxisscan
    from tests.test_rules import load_case

    case = Path(__file__).with_name("rules") / "unknown-device" / "fires" / "case.toml"
    scan, _, _, _ = load_case(case)
    stored = tmp_path / "scan.json"
    stored.write_text(dumps(scan))
    r = praxisscan("report", str(stored), "--format", "json", "--fail-on", "none")
    assert r.returncode == 0 and '"findings": []' in r.stdout  # rendered as stored
    r = praxisscan("report", str(stored), "--site", str(case.with_name("praxis.toml")),
                   "--format", "csv", "--fail-on", "medium")
    assert r.returncode == 1  # the unknown device is a medium finding
    assert r.stdout.splitlines()[2].startswith("192.168.178.77,00:11:22:33:44:55")


def test_network_plan_draws_zones_from_the_site_file(tmp_path) -> None:
    from scanner.model import Host, Role
    from scanner.render.netplan import plan
    from scanner.site import load_site

    hosts = (Host(ip="192.168.178.1", role=Role.ROUTER), Host(ip="192.168.178.10", role=Role.PVS_SERVER),
             Host(ip="192.168.178.21", role=Role.WORKSTATION),
             Host(ip="192.168.179.40", role=Role.MEDICAL_DEVICE, hostnames=("EKG-PC",)))
    scan = dataclasses.replace(sample_scan(), hosts=hosts, findings=())
    site = tmp_path / "praxis.toml"
    site.write_text('[practice]\nname = "T"\nsize = "praxis"\n'
                    '[[network]]\ncidr = "192.168.178.0/24"\nzone = "praxis"\n'
                    '[[network]]\ncidr = "192.168.179.0/24"\nzone = "medical"\n')
    zoned = plan(scan, "de", load_site(site).zone_of)
    assert [c.label for c in zoned.columns] == ["Zone praxis", "Zone medical"]
    assert [b.line2 for b in zoned.columns[1].boxes] == ["192.168.179.40 · medical-device"]
    assert not zoned.frame and [b.line2 for b in zoned.network] == ["192.168.178.1 · router"]
    flat = site.read_text().replace("192.168.179.0/24", "10.9.9.0/24")
    site.write_text(flat)
    one = plan(dataclasses.replace(scan, hosts=hosts[:3]), "en", load_site(site).zone_of)
    assert one.frame == "Zone praxis"  # a flat network: every column inside one zone
    assert [c.label for c in one.columns] == ["Servers", "Workstations"]
    assert plan(scan, "en").frame == ""  # no site file: roles only


# -- issue 12 M6: defused for every separator a spreadsheet may pick ---------------------------

FORMULA_NAMES = ("x;=cmd|'/c calc'!A1;", "a,=1+1", "b\t+SUM(A1)", "c; -2+3", "d;\"=E1\"",
                 "e;@SUM(1)", "f,,;;=g", "=h", "ＡＢ;=i", "j;\r=k", "k;'=l")


def _dangerous(field: str) -> bool:
    return field.lstrip(" \"").startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_cells_are_defused_for_comma_semicolon_and_tab_readers(tmp_path) -> None:
    import csv
    import dataclasses
    import io

    from scanner.jsonio import dumps
    from scanner.model import Host
    from tests.conftest import praxisscan

    hosts = tuple(Host(ip=f"10.0.0.{n}", mac=f"00:11:22:33:44:{n:02x}", hostnames=(name,),
                       vendor=name, product=name)
                  for n, name in enumerate(FORMULA_NAMES, 10))
    scan = dataclasses.replace(sample_scan(), hosts=sample_scan().hosts + hosts)
    stored = tmp_path / "scan.json"
    stored.write_text(dumps(scan))
    r = praxisscan("report", str(stored), "--format", "csv", "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    for delimiter in (",", ";", "\t"):
        rows = list(csv.reader(io.StringIO(r.stdout), delimiter=delimiter))
        bad = [f for row in rows for f in row if _dangerous(f)]
        assert not bad, (delimiter, bad)
    # read with the delimiter it was written with, the text is all there
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[-len(FORMULA_NAMES)][4] == "x;'=cmd|'/c calc'!A1;"
    assert [row[4].replace("'", "") for row in rows[-len(FORMULA_NAMES):]] == [
        clean(n).replace("'", "") for n in FORMULA_NAMES]
