"""The site file's names and roles (issue 19, item 4): a listed device is reported under the
practice's name, with the network's name beside it, in every output; the site file's role is
the reported role (the classifier's is kept); `report --site` follows the site file given
there; the guideline view knows practices with large medical devices (item 7)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner.monitor.diff import diff
from scanner.monitor.history import History
from scanner.jsonio import dumps, loads
from scanner.model import Classification, Host, Protocol, Role, Scan, Scope, Service
from scanner.rules.engine import apply_rules
from scanner.render.csv_inventory import render_csv
from scanner.render.diff_text import render_diff_html, render_diff_text
from scanner.render.html import render_html
from scanner.render.terminal import render_terminal
from scanner.site import SiteError, load_site
from scanner.monitor.watch import message, record
from tests.conftest import praxisscan

T0 = datetime(2026, 11, 28, 7, 30, tzinfo=timezone.utc)
SWITCH = Host(ip="192.168.178.3", mac="00:13:49:0a:03:03", hostnames=("GS1900-24E",),
              role=Role.SWITCH, vendor="Zyxel", product="GS1900-24E",
              services=(Service(23, Protocol.TCP, "telnet"),),
              classification=Classification(0.85))
# drops every probe: nothing to classify
FIREWALLED = Host(ip="192.168.178.21", mac="18:a9:9b:0a:21:21", role=Role.UNKNOWN,
                  classification=Classification(0.0))
SITE = """[practice]
name = "Praxis Test"

[[network]]
cidr = "192.168.178.0/24"
zone = "praxis"

[[device]]
name = "{switch}"
role = "switch"
mac = "00:13:49:0a:03:03"
services = ["tcp/23"]

[[device]]
name = "PC Empfang"
role = "workstation"
mac = "18:a9:9b:0a:21:21"
services = []
"""


def _scan(*hosts: Host) -> Scan:
    return Scan(started_at=T0, finished_at=T0, complete=True, hosts=hosts,
                scope=Scope(targets=("192.168.178.0/24",), networks=("192.168.178.0/24",)))


def _site(tmp_path: Path, switch: str = "Switch Flur", name: str = "praxis.toml"):  # noqa: ANN202
    path = tmp_path / name
    path.write_text(SITE.replace("{switch}", switch))
    return load_site(path)


def _text(page: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_a_firewalled_workstation_listed_as_workstation_is_reported_as_one(tmp_path: Path) -> None:
    scan = apply_rules(_scan(SWITCH, FIREWALLED), _site(tmp_path))
    pc = scan.hosts[1]
    assert (pc.role, pc.classified_role, pc.site_name) == (Role.WORKSTATION, Role.UNKNOWN,
                                                             "PC Empfang")
    switch = scan.hosts[0]  # the classifier agrees: both roles kept, no finding
    assert (switch.role, switch.classified_role, switch.site_name) == (Role.SWITCH, Role.SWITCH,
                                                                         "Switch Flur")
    assert not [f for f in scan.findings if f.rule == "role-mismatch"]
    # the JSON is honest about both, and reads back
    doc = json.loads(dumps(scan))["hosts"][1]
    assert (doc["role"], doc["classified_role"], doc["site_name"]) == ("workstation", "unknown",
                                                                       "PC Empfang")
    assert loads(dumps(scan)).hosts == scan.hosts


def test_a_scan_file_from_before_site_names_still_loads(tmp_path: Path) -> None:
    doc = json.loads(dumps(apply_rules(_scan(SWITCH), _site(tmp_path))))
    for h in doc["hosts"]:
        del h["site_name"], h["classified_role"]
    old = loads(json.dumps(doc))
    assert old.hosts[0].site_name is None and old.hosts[0].classified_role is None
    bad = json.loads(dumps(_scan(SWITCH)))
    bad["hosts"][0]["classified_role"] = "toaster"
    with pytest.raises(Exception, match=r"\$\.hosts\[0\]\.classified_role"):
        loads(json.dumps(bad))


def test_the_practice_name_is_shown_everywhere_with_the_networks_beside_it(tmp_path: Path) -> None:
    scan = apply_rules(_scan(SWITCH, FIREWALLED), _site(tmp_path))
    name = "Switch Flur (GS1900-24E)"
    telnet = next(f for f in scan.findings if f.rule == "cleartext-telnet")
    for lang in ("de", "en"):
        page = render_html(scan, lang, _site(tmp_path))
        summary, rest = page.split('<section id="guideline">')
        findings, rest = rest.split('<section id="findings">')[1].split('<section id="netplan">')
        netplan, inventory = rest.split('<section id="inventory">')
        assert name in _text(summary), "top actions"
        assert f"{name}, 192.168.178.3" in _text(findings), "finding header"
        assert "Switch Flur" in _text(netplan) and "GS1900-24E" in _text(netplan)
        assert name in _text(inventory.split('<section id="wlan">')[0])
        assert "PC Empfang" in _text(inventory)
        assert "Switch Flur" in render_terminal(scan, lang, width=200)
    # the evidence line names the device too
    from scanner.rules.evidence import text

    assert any("Switch Flur" in text(e, "de") for e in telnet.evidence)
    rows = list(csv.DictReader(io.StringIO(render_csv(scan))))
    assert (rows[0]["site_name"], rows[0]["hostname"]) == ("Switch Flur", "GS1900-24E")
    assert (rows[1]["role"], rows[1]["classified_role"]) == ("workstation", "unknown")


def test_diff_and_notifications_use_the_practice_names(tmp_path: Path) -> None:
    site = _site(tmp_path)
    before = apply_rules(_scan(FIREWALLED), site)
    after = apply_rules(dataclasses.replace(_scan(FIREWALLED, SWITCH), started_at=T0.replace(day=29),
                                            finished_at=T0.replace(day=29)), site)
    d = diff(before, after)
    assert "Switch Flur (GS1900-24E)" in render_diff_text(d, "de")
    assert "Switch Flur (GS1900-24E)" in _text(render_diff_html(d, "de", "a", "b"))
    history = History(tmp_path / "h.sqlite")
    record(before, history)
    mail = message(record(after, history), after, site.name, "de")
    assert "Switch Flur (GS1900-24E)" in mail.text
    assert "Switch Flur (GS1900-24E)" in _text(mail.html)
    assert "Switch Flur (GS1900-24E)" in json.dumps(mail.payload, ensure_ascii=False)
    assert mail.payload["diff"]["new_devices"][0]["site_name"] == "Switch Flur"


def test_report_site_evaluates_again_and_the_names_follow_that_site_file(tmp_path: Path) -> None:
    scan = apply_rules(_scan(SWITCH, FIREWALLED), _site(tmp_path))
    again = apply_rules(scan, _site(tmp_path, "Switch Keller", "other.toml"))
    assert again.hosts[0].site_name == "Switch Keller"
    empty = tmp_path / "empty.toml"
    empty.write_text('[practice]\nname = "P"\n')
    bare = apply_rules(again, load_site(empty))  # listed nowhere: the classifier's word again
    assert [(h.site_name, h.role, h.classified_role) for h in bare.hosts] == [
        (None, Role.SWITCH, None), (None, Role.UNKNOWN, None)]
    # through the CLI, as a user would
    stored = tmp_path / "scan.json"
    stored.write_text(dumps(scan))
    (tmp_path / "keller.toml").write_text(SITE.replace("{switch}", "Switch Keller"))
    out = tmp_path / "r.html"
    r = praxisscan("report", str(stored), "--site", str(tmp_path / "keller.toml"),
                   "--format", "html", "--output", str(out), "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    assert "Switch Keller (GS1900-24E)" in _text(out.read_text())
    assert "Switch Flur" not in out.read_text()


def test_a_swapped_device_is_a_role_mismatch_in_the_reports_language(tmp_path: Path) -> None:
    pc = dataclasses.replace(SWITCH, hostnames=("DESKTOP-4711",), role=Role.WORKSTATION,
                             vendor=None, product=None, services=(),
                             classification=Classification(0.9))
    scan = apply_rules(_scan(pc), _site(tmp_path))
    (f,) = [f for f in scan.findings if f.rule == "role-mismatch"]
    assert scan.hosts[0].role is Role.SWITCH and scan.hosts[0].classified_role is Role.WORKSTATION
    from scanner.rules.evidence import text

    assert text(f.evidence[0], "de") == ("in praxis.toml als Switch eingetragen, sieht aus wie "
                                         "Arbeitsplatz-PC (90 %)")
    assert "Gerät ist nicht, was die Geräteliste sagt" in render_html(scan, "de")


@pytest.mark.parametrize("value", ['"yes"', "1", "[true]"])
def test_large_medical_devices_must_be_true_or_false(tmp_path: Path, value: str) -> None:
    path = tmp_path / "praxis.toml"
    path.write_text(f'[practice]\nname = "P"\nlarge_medical_devices = {value}\n')
    with pytest.raises(SiteError, match=r"praxis.toml:3: practice large_medical_devices must "
                                        r"be true or false"):
        load_site(path)


def test_practices_with_large_medical_devices_see_anlage_4(tmp_path: Path) -> None:
    import re

    path = tmp_path / "praxis.toml"
    path.write_text('[practice]\nname = "P"\n')
    assert load_site(path).large_medical_devices is False
    without = render_html(_scan(SWITCH), "de", load_site(path))
    assert not re.search(r'<tr class="gl-[a-z-]+"><td>Anlage 4 ', without)
    path.write_text('[practice]\nname = "P"\nlarge_medical_devices = true\n')
    site = load_site(path)
    assert site.large_medical_devices is True
    for lang in ("de", "en"):
        page = render_html(_scan(SWITCH), lang, site)
        assert re.search(r'<tr class="gl-[a-z-]+"><td>Anlage 4 Nr\. 2: ', page)
        assert ("Anlage 4 (Großgeräte)" if lang == "de" else "Anlage 4 (large medical devices)") in page
