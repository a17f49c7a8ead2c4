"""`wlan --from-iw/--from-nmcli` on files that are not what the option says (issue 12, M4 and
L8): such a file is an error (exit 2, "not tested"), never "0 WLANs, no findings".

Inputs are the real recordings in tests/data/wlan_tools, swapped, and the real captures in
../shared/testdata/captures read as text."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from scanner.wlan import ToolOutputError, audit
from scanner.wlan.iw import parse_iw_scan
from scanner.wlan.nmcli import parse_nmcli
from tests.conftest import REPO, captures_dir, praxisscan

TOOLS = REPO / "tests" / "data" / "wlan_tools"


def _refused(option: str, path: Path, expect: str) -> None:
    done = praxisscan("wlan", option, str(path), "--lang", "en")
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("praxisscan: error: "), done.stderr
    assert str(path) in done.stderr and expect in done.stderr, done.stderr
    assert "WLAN" not in done.stdout  # no report, no "0 WLANs"


@pytest.mark.parametrize("name", ["nmcli_table.txt", "nmcli_praxisscan.txt", "nmcli_terse.txt",
                                  "hostapd.log", "versions.txt", "README.md"])
def test_from_iw_refuses_what_iw_does_not_print(name: str) -> None:
    _refused("--from-iw", TOOLS / name, "does not look like `iw dev IF scan` output")


@pytest.mark.parametrize("name", ["nmcli_table.txt", "iw_scan.txt", "iw_scan_dump.txt",
                                  "nmcli_terse_noescape.txt", "hostapd.log", "README.md"])
def test_from_nmcli_refuses_what_it_cannot_read(name: str) -> None:
    _refused("--from-nmcli", TOOLS / name, "does not look like")


def test_the_hint_names_the_right_option_or_flag() -> None:
    done = praxisscan("wlan", "--from-nmcli", str(TOOLS / "iw_scan.txt"))
    assert "--from-iw" in done.stderr
    done = praxisscan("wlan", "--from-iw", str(TOOLS / "nmcli_praxisscan.txt"))
    assert "--from-nmcli" in done.stderr
    done = praxisscan("wlan", "--from-nmcli", str(TOOLS / "nmcli_table.txt"))
    assert "-t" in done.stderr and "table" in done.stderr


@pytest.mark.parametrize("option", ["--from-iw", "--from-nmcli"])
def test_captures_random_bytes_json_and_empty_files_are_refused(option: str,
                                                                 tmp_path: Path) -> None:
    caps = sorted(p for p in captures_dir().rglob("*") if p.suffix in (".pcap", ".pcapng",
                                                                        ".cap", ".xml"))
    assert len(caps) >= 20
    for cap in caps[::4]:
        _refused(option, cap, "does not look like")
    rnd = tmp_path / "random.bin"
    rnd.write_bytes(random.Random(12).randbytes(4096))
    _refused(option, rnd, "does not look like")
    js = tmp_path / "scan.json"
    js.write_text(json.dumps({"bssid": "3c:a6:2f:10:00:05", "ssid": "Praxis", "security": "open",
                              "a:b:c:d:e:f:g:h": "x:y:z:1:2:3:4:5:6"}, indent=2))
    _refused(option, js, "does not look like")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    _refused(option, empty, "no network")


def test_json_lines_no_longer_invent_a_network(tmp_path: Path) -> None:
    js = tmp_path / "x.json"
    js.write_text('"3C\\:A6\\:2F\\:10\\:00\\:05":"Praxis":"":"1":"2412 MHz":"":"":"":"":\n{}\n')
    with pytest.raises(ToolOutputError):
        parse_nmcli(js.read_text())


def test_the_recordings_still_read() -> None:
    assert len(parse_iw_scan((TOOLS / "iw_scan.txt").read_text())) == 14
    assert len(parse_iw_scan((TOOLS / "iw_scan_dump.txt").read_text())) == 14
    assert len(parse_nmcli((TOOLS / "nmcli_praxisscan.txt").read_text())) == 14


@pytest.mark.parametrize("value", ["-1e999", "1e999", "nan", "NaN", "inf", "-inf", "-1e308",
                                   "١٢", "-30.00.1", "0x10", "-9999999999999999999999"])
def test_iw_numbers_are_parsed_strictly(value: str, tmp_path: Path) -> None:
    text = (TOOLS / "iw_scan.txt").read_text()
    bad = text.replace("signal: -30.00 dBm", f"signal: {value} dBm", 1).replace(
        "freq: 2412", f"freq: {value}", 1).replace("channel 1\n", f"channel {value}\n", 1)
    f = tmp_path / "iw.txt"
    f.write_text(bad)
    done = praxisscan("wlan", "--from-iw", str(f), "--format", "json")
    assert done.returncode in (0, 1), done.stderr[-800:]
    nets = json.loads(done.stdout)["wlans"]
    assert len(nets) == 14
    first = next(w for w in nets if w["bssid"] == "3c:a6:2f:10:00:07")
    assert first["signal_dbm"] is None and first["frequency_mhz"] is None


def test_out_of_range_numbers_are_unknown() -> None:
    text = (TOOLS / "iw_scan.txt").read_text().replace("signal: -30.00 dBm", "signal: 4000.00 dBm",
                                                       1).replace("freq: 2412", "freq: 0", 1)
    w = next(s for s in parse_iw_scan(text) if s.bssid == "3c:a6:2f:10:00:07")
    assert w.signal_dbm is None and w.frequency_mhz is None


def test_nmcli_unicode_digits_do_not_crash() -> None:
    row = ("3C\\:A6\\:2F\\:10\\:00\\:05:Praxis:507261786973:\u0661:\u00b2412 MHz:100:WPA2:(none):"
           "pair_ccmp group_ccmp psk\n")
    (s,) = parse_nmcli(row)
    assert s.frequency_mhz is None and s.elements.channel is None


def test_a_live_run_that_heard_nothing_is_zero_networks() -> None:
    """iw prints nothing when the radio heard nothing: that is the tool's answer, not a file
    of unknown origin."""
    assert audit.from_iw_text("", live=True).networks == ()
    assert audit.from_nmcli_text("", live=True).networks == ()


def test_a_line_break_in_a_neighbours_ssid_does_not_make_the_file_unreadable() -> None:
    nm = (TOOLS / "nmcli_praxisscan.txt").read_text().replace("Praxis-WPA3:", "Praxis\nWPA3:", 1)
    assert len(parse_nmcli(nm)) == 14
    iw = (TOOLS / "iw_scan.txt").read_text().replace("\tSSID: Praxis-WPA3", "\tSSID: Praxis\x85"
                                                        "\u2028WPA3\n\x1c\n", 1)
    assert len(parse_iw_scan(iw)) == 14
