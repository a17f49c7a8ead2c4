"""Issue 12 L9, L10, L11: command-line inputs that crashed (fingerprints match, the state
directory, oui update), through the real CLI: exit 2, one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import praxisscan


def _error(r, *words: str) -> None:  # noqa: ANN001
    assert r.returncode == 2, (r.returncode, r.stdout[-300:], r.stderr[-600:])
    assert "Traceback" not in r.stderr and r.stderr.startswith("praxisscan: error: "), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


@pytest.mark.parametrize("value", ["80,abc", "80,1e3", "80,-1", "80,65536", "80,\u0663",
                                   "9" * 5000, "80;443"])
def test_fingerprints_match_ports_rejects_what_is_not_a_port_list(value: str) -> None:
    _error(praxisscan("fingerprints", "match", "ports", value), "ports")


def test_fingerprints_match_ports_still_matches() -> None:
    r = praxisscan("fingerprints", "match", "ports", "4742, 22,")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
