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


# -- L10: where the history goes --------------------------------------------------------------

def _as_user(cwd: Path, *args: str, env: dict[str, str]):  # noqa: ANN202
    """The real CLI as a non-root run, where the XDG rules apply, working in ``cwd`` (where a
    relative directory would land). The one seam: the effective uid. A real other user cannot
    run this Python, which lives under root's mode-0700 home."""
    import os
    import subprocess
    import sys

    code = ("import os, runpy, sys; os.geteuid = lambda: 1000; sys.argv = ['praxisscan', *sys.argv[1:]]; "
            "runpy.run_module('scanner', run_name='__main__')")
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    full = {**os.environ, "HOME": str(home), **env}
    full.pop("PRAXISSCAN_STATE_DIR")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd, env=full, timeout=60)


@pytest.mark.parametrize("xdg", ["", "relative/data", "."])
def test_empty_or_relative_xdg_data_home_is_ignored(xdg: str, tmp_path: Path) -> None:
    r = _as_user(tmp_path, "history", env={"XDG_DATA_HOME": xdg})
    assert r.returncode == 0, r.stderr
    assert str(tmp_path / "home" / ".local" / "share" / "praxisscan") in r.stdout
    assert not (tmp_path / "praxisscan").exists()
    assert not (tmp_path / "relative").exists()


def test_absolute_xdg_data_home_is_used(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = _as_user(tmp_path, "history", env={"XDG_DATA_HOME": str(data)})
    assert r.returncode == 0 and str(data / "praxisscan" / "history.sqlite") in r.stdout, r.stderr


def test_a_relative_state_dir_is_refused(tmp_path: Path) -> None:
    r = praxisscan("history", env={"PRAXISSCAN_STATE_DIR": "state"})
    _error(r, "PRAXISSCAN_STATE_DIR", "absolute")
