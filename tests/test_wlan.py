"""WLAN audit: real captures (../shared/testdata/captures/wlan, see its README), real iw and
nmcli output (tests/data/wlan_tools, recorded by scripts/record_wlan_tools.sh), hostile input,
the WLAN rules over them, and the `praxisscan wlan` command."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import stat
from pathlib import Path

import jsonschema
import pytest

from scanner.jsonio import loads
from scanner.model import WlanSecurity as S
from scanner.rules.engine import apply_rules
from scanner.rules.evidence import text as evidence_text
from scanner.site import load_site
from scanner.wlan import ToolOutputError, audit, ies
from scanner.wlan.capture import sighting
from scanner.wlan.iw import parse_iw_scan
from scanner.wlan.merge import networks
from scanner.wlan.nmcli import parse_nmcli, split_terse
from tests.conftest import REPO, captures_dir, praxisscan

TOOLS = REPO / "tests" / "data" / "wlan_tools"


def wlan_capture(name: str) -> Path:
    return captures_dir() / "wlan" / name


def by_ssid(nets):  # noqa: ANN001, ANN201
    return {w.ssid: w for w in nets}


# -- captures: each as the captures README classifies it -----------------------------------

# file -> (ssid, modes weakest first, what else must hold)
CAPTURES = {
    "aircrack_wep.open.system.authentication.cap": ("teddy", (S.WEP,), {}),
    "aircrack_wep.shared.key.authentication.cap": ("teddy", (S.WEP,), {}),
    "tcpdump_ieee802.11_exthdr.pcap": ("omus", (S.OPEN,), {"wps": False}),
    "aircrack_wpa.cap": ("test", (S.WPA,), {"ciphers": ("TKIP",)}),
    "aircrack_wpa-psk-linksys.cap": ("linksys", (S.WPA,), {"ciphers": ("TKIP",)}),
    "aircrack_wpa2-psk-linksys.cap": ("linksys", (S.WPA2,), {"ciphers": ("CCMP",)}),
    "aircrack_wpa2.eapol.cap": ("Harkonen", (S.WPA2,), {"akms": ("PSK",)}),
    "aircrack_MOM1.cap": ("MOM1", (S.WPA, S.WPA2), {"group_cipher": "TKIP", "wps": True,
                                                     "wps_version": "1.0"}),
    "aircrack_test-pmkid.pcap": ("WLAN-771698", (S.WPA, S.WPA2), {"group_cipher": "TKIP"}),
    "aircrack_wps2.0.pcap": ("WLAN_666", (S.WPA, S.WPA2), {"wps": True, "wps_version": "2.0",
                                                           "wps_configured": True}),
    "aircrack_test23.pcap": ("WLAN-2", (S.WPA2,), {"wps": True, "ciphers": ("CCMP",)}),
    "aircrack_testm1m2m3.pcap": ("WLAN-2", (S.WPA2,), {"wps": True}),
    "aircrack_wpa3-psk.pcap": ("WPA3-Network", (S.WPA3,), {"akms": ("SAE",), "pmf": "required"}),
    "aircrack_pmkid-not-recognized.cap": ("WML", (S.WPA2, S.WPA3), {"akms": ("PSK", "SAE"),
                                                                     "wps": True}),
    "aircrack_n-02.cap": ("Neheb", (S.WPA2,), {"akms": ("PSK-SHA256",)}),
    "aircrack_zn2i.pcap": ("dlink", (S.WPA2,), {}),
    "aircrack_capture_wds-01.cap": ("test1", (S.WPA2,), {}),
    "scapy_bad_rsn_parsing_overrides_ssid.pcap": ("ROUTE-821E295", (S.WPA2,), {}),
}


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_capture_is_classified_as_its_readme_says(name: str) -> None:
    ssid, modes, extra = CAPTURES[name]
    result = audit.from_capture(wlan_capture(name))
    w = by_ssid(result.networks)[ssid]
    assert w.modes == modes
    assert w.security is modes[0]  # a mixed or transition network counts as its weaker mode
    assert w.transition == (len(modes) > 1)
    for field, value in extra.items():
        assert getattr(w, field) == value, field
    assert w.source == "capture"


def test_seven_networks_with_wps_two_locked() -> None:
    nets = by_ssid(audit.from_capture(wlan_capture("aircrack_test1.pcap")).networks)
    assert set(nets) == {"tmpAP", "Vodafone", "veles3", "Lekonora", "Intertelecom_FREE",
                         "ogogo", "Smile)"}
    assert all(w.wps for w in nets.values())
    assert {s for s, w in nets.items() if w.wps_locked} == {"Lekonora", "Smile)"}
    assert {s for s, w in nets.items() if S.WPA in w.modes} == {"Lekonora", "Smile)"}


def test_non_utf8_ssid_is_kept_as_bytes_and_shown_escaped() -> None:
    (w,) = audit.from_capture(wlan_capture("aircrack_Chinese-SSID-Name.pcap")).networks
    assert w.ssid_hex == "b2e2cad4"  # GBK "测试": no guess at the encoding
    assert w.ssid == "\\xb2\\xe2\\xca\\xd4"
    assert w.security is S.WEP


def test_mesh_beacon_with_empty_ssid_is_not_called_hidden() -> None:
    (w,) = audit.from_capture(wlan_capture("tcpdump_ieee802.11_meshid.pcap")).networks
    assert w.ssid == "" and not w.hidden
    assert w.modes == (S.WPA3,)


@pytest.mark.parametrize("name", ["aircrack_80211ad_beacon.pcap", "aircrack_wpaclean_crash.pcap",
                                  "aircrack_floatingpoint_exception.pcap"])
def test_malformed_captures_give_no_network_and_no_exception(name: str) -> None:
    assert audit.from_capture(wlan_capture(name)).networks == ()


def test_a_capture_truncated_mid_packet_keeps_what_came_before(tmp_path: Path) -> None:
    whole = wlan_capture("aircrack_test1.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    nets = audit.from_capture(cut).networks
    assert 0 < len(nets) <= 7


def test_pcapng_reads_like_pcap(tmp_path: Path) -> None:
    """The same beacons in a pcapng file (written by scapy's pcapng writer, radiotap link)."""
    from scapy.utils import RawPcapNgWriter, RawPcapReader

    frames = [f for f, _ in RawPcapReader(str(wlan_capture("aircrack_test1.pcap")))]
    out = tmp_path / "test1.pcapng"
    writer = RawPcapNgWriter(str(out))
    writer.linktype = 127  # LINKTYPE_IEEE802_11_RADIOTAP in the interface block
    for f in frames:
        writer.write(f)
    writer.close()
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert (audit.from_capture(out).networks
            == audit.from_capture(wlan_capture("aircrack_test1.pcap")).networks)


def test_not_a_capture_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.pcap"
    bogus.write_text("Praxis WLAN Passwort: geheim\n")
    r = praxisscan("wlan", "--capture", str(bogus))
    assert r.returncode == 2
    assert "not a readable pcap/pcapng capture" in r.stderr
    assert "Traceback" not in r.stderr


def _beacons(name: str) -> list[bytes]:
    from scapy.utils import RawPcapReader

    with RawPcapReader(str(wlan_capture(name))) as reader:
        return [bytes(frame) for frame, _ in reader][:40]


@pytest.mark.parametrize("name", ["aircrack_MOM1.cap", "aircrack_test1.pcap",
                                  "aircrack_pmkid-not-recognized.cap"])
def test_every_truncation_and_random_bit_flips_never_raise(name: str) -> None:
    rng = random.Random(7)
    for frame in _beacons(name):
        for cut in range(len(frame) + 1):
            sighting(frame[:cut], 127)
        for _ in range(200):
            b = bytearray(frame)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            sighting(bytes(b), 127)


def test_elements_of_any_length_are_survived() -> None:
    huge_vendor = bytes([221, 255]) + b"\x00\x50\xf2\x04" + bytes(251)
    wps_junk = bytes([221, 10]) + b"\x00\x50\xf2\x04" + b"\x10\x4a\xff\xff\x10\x44"
    rsn_short = bytes([48, 3, 1, 0, 0])
    e = ies.parse(bytes([0, 4]) + b"Gast" + huge_vendor * 50 + wps_junk + rsn_short + b"\x30")
    assert e.ssid == b"Gast" and e.rsn is not None and e.wps is not None
    assert ies.modes(e, privacy=True) == (S.WPA2,)  # RSN with its default AKM


# -- iw and nmcli: output recorded from the real tools -------------------------------------

# What hostapd was told for each BSS (scripts/wlan_guest_init.sh): the ground truth.
RECORDED = {
    "3c:a6:2f:10:00:01": ("Praxis-Offen", (S.OPEN,), {}),
    "00:14:6c:10:00:02": ("Praxis-WEP", (S.WEP,), {}),
    "00:0b:86:10:00:03": ("Praxis-WPA1", (S.WPA,), {"ciphers": ("TKIP",)}),
    "00:21:29:10:00:04": ("Praxis-Mixed", (S.WPA, S.WPA2), {"group_cipher": "TKIP"}),
    "3c:a6:2f:10:00:05": ("Praxis", (S.WPA2,), {"akms": ("PSK",), "ciphers": ("CCMP",)}),
    "3c:a6:2f:10:00:06": ("Praxis-WPA3", (S.WPA3,), {"akms": ("SAE",)}),
    "3c:a6:2f:10:00:07": ("Praxis-Trans", (S.WPA2, S.WPA3), {"akms": ("PSK", "SAE")}),
    "00:a0:57:10:00:08": ("Praxis-OWE", (S.OWE,), {"akms": ("OWE",)}),
    "00:a0:57:10:00:09": ("Praxis-Enterprise", (S.WPA2,), {"akms": ("802.1X",), "enterprise": True}),
    "14:cc:20:10:00:0a": ("Praxis-WPS", (S.WPA2,), {}),
    "14:cc:20:10:00:0b": ("Praxis-WPS-Locked", (S.WPA2,), {}),
    "3c:a6:2f:10:00:0c": ("", (S.WPA2,), {"hidden": True}),
    "3c:a6:2f:10:00:0d": ("Praxis-K\\xfcche", (S.WPA2,), {"ssid_hex": "5072617869732d4bfc636865"}),
    "3c:a6:2f:10:00:0e": ("<b>Gast:</b>[red]\\x1b[31m", (S.OPEN,), {}),
}
PMF = {"3c:a6:2f:10:00:06": "required", "3c:a6:2f:10:00:07": "capable",
       "00:a0:57:10:00:08": "required"}
WPS = {"14:cc:20:10:00:0a": ("2.0", True, None), "14:cc:20:10:00:0b": ("2.0", True, True)}


def _check_recorded(nets, source: str) -> None:  # noqa: ANN001
    got = {w.bssid: w for w in nets}
    assert set(got) == set(RECORDED)
    for bssid, (ssid, modes, extra) in RECORDED.items():
        w = got[bssid]
        assert (w.ssid, w.modes) == (ssid, modes), bssid
        for field, value in extra.items():
            assert getattr(w, field) == value, (bssid, field)
        assert w.channel in (1, 6, 11) and w.band == "2.4 GHz"
        assert w.source == source


@pytest.mark.parametrize("name", ["iw_scan.txt", "iw_scan_dump.txt"])
def test_iw_output_recorded_from_iw_5_19(name: str) -> None:
    nets = audit.from_iw_text((TOOLS / name).read_text(encoding="utf-8")).networks
    _check_recorded(nets, "iw")
    got = {w.bssid: w for w in nets}
    for bssid, w in got.items():
        assert w.pmf == PMF.get(bssid), bssid
        assert (w.wps_version, w.wps_configured, w.wps_locked) == WPS.get(bssid, (None, None, None))
        assert w.wps == (bssid in WPS) and w.wps_known
        assert w.signal_dbm == -30
    assert got["3c:a6:2f:10:00:0a".replace("3c:a6:2f", "14:cc:20")].vendor.startswith("TP-LINK")


def test_nmcli_output_recorded_from_nmcli_1_42() -> None:
    nets = audit.from_nmcli_text((TOOLS / "nmcli_praxisscan.txt").read_text(encoding="utf-8"))
    _check_recorded(nets.networks, "nmcli")
    assert all(not w.wps_known and w.pmf is None for w in nets.networks)
    assert [n.check for n in nets.not_tested] == ["wps-enabled"]


def test_nmcli_other_field_lists_and_terse_escapes() -> None:
    fields = ("IN-USE", "BSSID", "SSID", "MODE", "CHAN", "FREQ", "SIGNAL", "SECURITY",
              "WPA-FLAGS", "RSN-FLAGS")
    nets = networks(parse_nmcli((TOOLS / "nmcli_terse.txt").read_text(encoding="utf-8"), fields))
    assert len(nets) == 14
    # without SSID-HEX, NetworkManager's own guess of the Latin-1 name is what we get
    assert "Praxis-Küche" in {w.ssid for w in nets}
    assert split_terse(r"3C\:A6:<b>Gast\:</b>\\x:") == ["3C:A6", "<b>Gast:</b>\\x", ""]


def test_iw_and_nmcli_parsers_survive_cut_and_garbled_output() -> None:
    """Damaged output gives what it still shows, or ToolOutputError (not tested): nothing else."""
    def survive(parse, text: str) -> None:  # noqa: ANN001
        try:
            parse(text)
        except ToolOutputError:
            pass

    text = (TOOLS / "iw_scan.txt").read_text(encoding="utf-8")
    for cut in range(0, len(text), 97):
        survive(parse_iw_scan, text[:cut])
    rng = random.Random(3)
    garbled = "".join(c if rng.random() > 0.02 else rng.choice("\t:*\\x0\n") for c in text)
    survive(parse_iw_scan, garbled)
    parse_iw_scan("BSS 00:11:22:33:44:55(on wlan0)\n" + "\tSSID: " + "A" * 5_000_000)
    nm = (TOOLS / "nmcli_praxisscan.txt").read_text(encoding="utf-8")
    for cut in range(0, len(nm), 13):
        survive(parse_nmcli, nm[:cut])
    garbled = "".join(c if rng.random() > 0.02 else rng.choice("\t:*\\x0\n") for c in nm)
    survive(parse_nmcli, garbled)


def test_live_scan_runs_iw_and_reads_its_output(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The radio is the one seam we cannot reach here: a stand-in `iw` prints the recording."""
    if os.geteuid() != 0:
        pytest.skip("the iw path is taken as root only")
    fake = tmp_path / "iw"
    fake.write_text(f"#!/bin/sh\n[ \"$1 $3\" = 'dev scan' ] || exit 9\ncat {TOOLS / 'iw_scan.txt'}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    _check_recorded(audit.live("wlan0").networks, "iw")
    with pytest.raises(audit.WlanError, match="--interface"):
        audit.live(None, "iw")  # this machine has no WLAN interface to pick


def test_the_one_wlan_interface_is_picked_and_several_are_named(tmp_path: Path) -> None:
    (tmp_path / "eth0").mkdir()
    (tmp_path / "wlp2s0" / "wireless").mkdir(parents=True)
    assert audit._only_wireless_interface(tmp_path) == "wlp2s0"
    (tmp_path / "wlx00c0ca" / "wireless").mkdir(parents=True)
    with pytest.raises(audit.WlanError, match="one of wlp2s0, wlx00c0ca"):
        audit._only_wireless_interface(tmp_path)


# -- rules over WLAN audits -----------------------------------------------------------------


def _rules_over(result: audit.WlanAudit, site_text: str | None, tmp_path: Path):  # noqa: ANN202
    site = None
    if site_text is not None:
        p = tmp_path / "praxis.toml"
        p.write_text(site_text)
        site = load_site(p)
    scan = apply_rules(audit.as_scan(result), site)
    return {(f.rule, f.host) for f in scan.findings}, scan


SITE = """
[practice]
name = "Test"
size = "praxis"
[[wlan]]
ssid = "Praxis"
zone = "praxis"
min_security = "wpa2"
vendors = ["AVM"]
[[wlan]]
ssid = "Praxis-WPS"
zone = "praxis"
[[wlan]]
ssid = "Praxis-OWE"
zone = "guest"
min_security = "owe"
"""


def test_rules_on_the_recorded_iw_scan_without_a_site_file(tmp_path: Path) -> None:
    result = audit.from_iw_text((TOOLS / "iw_scan.txt").read_text(encoding="utf-8"))
    found, _ = _rules_over(result, None, tmp_path)
    assert found == {
        ("open-wlan", "wlan:3c:a6:2f:10:00:01"), ("open-wlan", "wlan:3c:a6:2f:10:00:0e"),
        ("weak-wlan", "wlan:00:14:6c:10:00:02"), ("weak-wlan", "wlan:00:0b:86:10:00:03"),
        ("weak-wlan", "wlan:00:21:29:10:00:04"),
        ("wps-enabled", "wlan:14:cc:20:10:00:0a"), ("wps-enabled", "wlan:14:cc:20:10:00:0b"),
    }


def test_with_a_site_file_only_the_practice_wlans_are_judged(tmp_path: Path) -> None:
    result = audit.from_iw_text((TOOLS / "iw_scan.txt").read_text(encoding="utf-8"))
    found, _ = _rules_over(result, SITE, tmp_path)
    # neighbours' open and WEP networks are not the practice's; its own WPS AP is
    assert found == {("wps-enabled", "wlan:14:cc:20:10:00:0a")}


def test_practice_ssid_from_another_maker_is_a_rogue(tmp_path: Path) -> None:
    text = (TOOLS / "iw_scan.txt").read_text(encoding="utf-8")
    # the same recording, but the practice SSID now also comes from a TP-Link BSSID
    twin = text[text.index("BSS 3c:a6:2f:10:00:05"):].split("\nBSS ", 1)[0]
    evil = twin.replace("3c:a6:2f:10:00:05", "14:cc:20:66:66:66")
    found, scan = _rules_over(audit.from_iw_text(text + "\n" + evil), SITE, tmp_path)
    assert ("rogue-access-point", "wlan:14:cc:20:66:66:66") in found
    assert ("rogue-access-point", "wlan:3c:a6:2f:10:00:05") not in found
    (hit,) = [f for f in scan.findings if f.rule == "rogue-access-point"]
    assert "is not AVM" in evidence_text(hit.evidence[0], "en")


def test_nmcli_audit_reports_wps_as_not_tested_not_as_clean(tmp_path: Path) -> None:
    result = audit.from_nmcli_text((TOOLS / "nmcli_praxisscan.txt").read_text(encoding="utf-8"))
    found, scan = _rules_over(result, None, tmp_path)
    assert not any(rule == "wps-enabled" for rule, _ in found)
    assert any(n.check == "wps-enabled" for n in scan.not_tested)


# -- the command ----------------------------------------------------------------------------


def test_wlan_command_json_follows_the_schema_and_exit_code_reflects_findings() -> None:
    r = praxisscan("wlan", "--from-iw", str(TOOLS / "iw_scan.txt"), "--format", "json")
    assert r.returncode == 1, r.stderr  # open and WEP networks in range: high findings
    doc = json.loads(r.stdout)
    schema = json.loads((REPO / "scanner" / "schema" / "scan.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert len(doc["wlans"]) == 14 and doc["hosts"] == []
    assert {n["check"] for n in doc["not_tested"]} <= {"rogue-access-point"}
    assert loads(r.stdout).wlans[0].source == "iw"


def test_wlan_into_an_inside_scan_reports_both(tmp_path: Path) -> None:
    r = praxisscan("wlan", "--from-iw", str(TOOLS / "iw_scan.txt"), "--format", "json")
    base = loads(r.stdout)

    from scanner.jsonio import dumps
    from scanner.model import Host, Role

    from scanner.model import WlanNetwork

    router_view = (WlanNetwork("Praxis", "3c:a6:2f:10:00:05", S.WPA2, source="tr064"),
                   WlanNetwork("Praxis-5G", "3c:a6:2f:10:00:55", S.WPA3, source="tr064"))
    host_scan = dataclasses.replace(base, wlans=router_view, findings=(), not_tested=(),
                                    hosts=(Host(ip="192.168.178.10", role=Role.PVS_SERVER),))
    stored = tmp_path / "inside.json"
    stored.write_text(dumps(host_scan))
    out = tmp_path / "both.html"
    r = praxisscan("wlan", "--from-nmcli", str(TOOLS / "nmcli_praxisscan.txt"), "--into",
                   str(stored), "--format", "html", "--output", str(out), "--lang", "en")
    assert r.returncode == 1, r.stderr
    html = out.read_text()
    assert "192.168.178.10" in html and "Praxis-Enterprise" in html
    assert "&lt;b&gt;Gast:&lt;/b&gt;" in html and "<b>Gast" not in html
    both = praxisscan("wlan", "--from-nmcli", str(TOOLS / "nmcli_praxisscan.txt"), "--into",
                      str(stored), "--format", "json")
    wlans = {(w["bssid"], w["source"]) for w in json.loads(both.stdout)["wlans"]}
    # the air's view replaces the router's for the same BSS; the router's 5 GHz BSS stays
    assert ("3c:a6:2f:10:00:05", "nmcli") in wlans and ("3c:a6:2f:10:00:05", "tr064") not in wlans
    assert ("3c:a6:2f:10:00:55", "tr064") in wlans and len(wlans) == 15


def test_without_a_wlan_audit_the_wlan_rules_say_not_tested(tmp_path: Path) -> None:
    from scanner.rules.base import rules_in

    no_audit = dataclasses.replace(audit.as_scan(audit.WlanAudit((), "iw")), wlans=None)
    scan = apply_rules(no_audit, None)
    gaps = {n.check: n.reason for n in scan.not_tested}
    for rule_id in ("open-wlan", "weak-wlan", "wps-enabled", "rogue-access-point"):
        assert gaps[rule_id] == "no WLAN audit in this scan (praxisscan wlan)"
    assert "guest-wlan-not-separated" not in gaps  # judged from the site file alone
    assert set(rules_in("wlan")) == {"open-wlan", "weak-wlan", "wps-enabled", "rogue-access-point",
                               "guest-wlan-not-separated"}
