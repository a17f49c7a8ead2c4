"""Issue 12 L3: no escape sequence and no bidi control from the network reaches the terminal
(`report`, `diff`, `history`) or the HTML report, whatever field it hides in (ip, mac, names,
vendor, scope). Through the real CLI with a hostile stored scan."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest

from scanner.monitor.history import History
from scanner.jsonio import dumps
from scanner.model import Host, Scope, Service, Protocol
from scanner.text import clean
from tests.conftest import praxisscan
from tests.test_model_json import sample_scan

ESC = "\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b31m\x07\x08"
BIDI = "".join(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F,
                                0x061C))
# what must never be in the output: C0 (but line feed), DEL, C1, bidi controls
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def hostile_scan(n: int = 0, addresses: bool = True):  # noqa: ANN201
    """``addresses``: hostile ip and mac too. A scan file carrying them is refused by the
    strict loader; the renderers must still be safe for them in memory."""
    base = sample_scan()
    junk = (ESC, ESC + BIDI) if addresses else ("", "")
    evil = Host(ip=f"10.0.0.{n + 5}{junk[0]}", mac=f"00:11:22:33:44:5{n}{junk[1]}",
                mac_vendor=f"Vend\u202eor{ESC}", hostnames=(f"gpj.\u202eexe{ESC}{BIDI}",),
                vendor=f"ACME{BIDI}", product=f"Box{ESC}", os=f"Linux\u2067{ESC}",
                services=(Service(80 + n, Protocol.TCP, f"http{ESC}", f"nginx\u202e{ESC}",
                                  f"1.{n}{BIDI}"),))
    return dataclasses.replace(
        base, hosts=base.hosts + (evil,), complete=True,
        scope=Scope(targets=(f"10.0.0.0/24{ESC}{BIDI}",), networks=()),
        started_at=base.started_at + timedelta(days=n), finished_at=base.finished_at + timedelta(days=n))


@pytest.mark.parametrize("fmt", ["terminal", "html"])
def test_report_shows_no_control_or_bidi_character(fmt: str, tmp_path: Path) -> None:
    stored = tmp_path / "scan.json"
    stored.write_text(dumps(hostile_scan(addresses=False)))
    r = praxisscan("report", str(stored), "--format", fmt, "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    assert not FORBIDDEN.findall(r.stdout), sorted(set(FORBIDDEN.findall(r.stdout)))
    assert "10.0.0.5" in r.stdout and "00:11:22:33:44:50" in r.stdout
    if fmt == "html":
        assert "U+202E" in r.stdout  # shown, inert, so that the reader sees the trick


def test_diff_shows_no_control_or_bidi_character(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(dumps(hostile_scan(0, addresses=False)))
    moved = hostile_scan(1, addresses=False)
    new.write_text(dumps(moved))
    for fmt in ("terminal", "html"):
        r = praxisscan("diff", str(old), str(new), "--format", fmt)
        assert r.returncode in (0, 1), r.stderr
        assert "10.0.0.6" in r.stdout
        assert not FORBIDDEN.findall(r.stdout), (fmt, sorted(set(FORBIDDEN.findall(r.stdout))))


def test_a_scan_file_with_hostile_addresses_is_refused_with_an_inert_message(
        tmp_path: Path) -> None:
    stored = tmp_path / "scan.json"
    stored.write_text(dumps(hostile_scan()))
    r = praxisscan("report", str(stored))
    assert r.returncode == 2 and "malformed scan" in r.stderr and "is not an IPv4" in r.stderr
    assert not FORBIDDEN.findall(r.stderr), sorted(set(FORBIDDEN.findall(r.stderr)))


@pytest.mark.parametrize("fmt", ["terminal", "html", "csv"])
def test_renderers_are_safe_for_hostile_addresses_in_memory(fmt: str) -> None:
    from scanner.render import Format, render

    out = render(hostile_scan(), Format(fmt), "de")
    assert not FORBIDDEN.findall(out.replace("\r\n", "\n")), sorted(set(FORBIDDEN.findall(out)))
    assert "10.0.0.5" in out


def test_history_shows_no_control_or_bidi_character(tmp_path: Path) -> None:
    state = tmp_path / "state"
    history = History(state / "history.sqlite")
    history.add(hostile_scan())
    history.close()
    r = praxisscan("history", env={"PRAXISSCAN_STATE_DIR": str(state)})
    assert r.returncode == 0, r.stderr
    assert "10.0.0.0/24" in r.stdout
    assert not FORBIDDEN.findall(r.stdout), sorted(set(FORBIDDEN.findall(r.stdout)))


def test_clean_removes_controls_and_shows_bidi_controls() -> None:
    assert clean(f"a{ESC}b") == "ab"
    assert clean("abc\u202edef") == "abc[U+202E]def"
    assert not FORBIDDEN.search(clean(BIDI + "".join(map(chr, range(0x00, 0xA0)))))
