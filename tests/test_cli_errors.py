"""A careless operator and a damaged machine: every failure is one line on stderr and exit 2.

Exit 1 means "findings" (and "news sent" for watch): a crash must never look like it. Nothing
here sends a packet: the commands read files, or fail before sending.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.cli import commands as cli
from scanner.monitor.history import History
from scanner.jsonio import dumps
from tests.conftest import praxisscan
from tests.test_cli import error_line
from tests.test_model_json import sample_scan


@pytest.fixture
def scan_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan.json"
    path.write_text(dumps(sample_scan()))
    return path


@pytest.fixture
def state(tmp_path: Path) -> dict[str, str]:
    return {"PRAXISSCAN_STATE_DIR": str(tmp_path / "state")}


# -- output paths (H4, L5) -------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="the damage was done as root")
def test_output_onto_a_device_is_refused_and_the_device_survives(scan_file: Path) -> None:
    before = os.stat("/dev/null")
    for target in ("/dev/null", "/dev/stdout"):
        r = praxisscan("report", str(scan_file), "-o", target)
        assert r.returncode == 2
        assert "not a regular file" in error_line(r)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_links_are_judged_by_what_they_point_to(scan_file: Path, tmp_path: Path) -> None:
    (tmp_path / "null").symlink_to("/dev/null")
    r = praxisscan("report", str(scan_file), "-o", str(tmp_path / "null"))
    assert r.returncode == 2 and "not a regular file" in error_line(r)
    kept = tmp_path / "kept.txt"
    kept.write_text("the link's target stays as it was")
    (tmp_path / "link").symlink_to(kept)
    r = praxisscan("report", str(scan_file), "-o", str(tmp_path / "link"))
    assert r.returncode in (0, 1), r.stderr
    assert not (tmp_path / "link").is_symlink() and "192.168.178.10" in (tmp_path / "link").read_text()
    assert kept.read_text() == "the link's target stays as it was"


def test_dash_is_stdout(scan_file: Path, tmp_path: Path) -> None:
    r = praxisscan("report", str(scan_file), "-f", "json", "-o", "-")
    assert r.returncode in (0, 1), r.stderr
    assert r.stdout.startswith("{") and '"hosts"' in r.stdout
    assert not (Path.cwd() / "-").exists() and not (tmp_path / "-").exists()


def test_fifo_as_output_is_refused(scan_file: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = praxisscan("report", str(scan_file), "-o", str(fifo))
    assert r.returncode == 2 and "not a regular file" in error_line(r)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("where, fragment", [
    ("dir", "is a directory"),
    ("file/report.html", "is not a directory"),
])
def test_unwritable_outputs_are_one_line(scan_file: Path, tmp_path: Path, where: str,
                                         fragment: str) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    r = praxisscan("report", str(scan_file), "-o", str(tmp_path / where))
    assert r.returncode == 2 and fragment in error_line(r)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_read_only_directory_as_non_root(scan_file: Path) -> None:
    import shutil
    import tempfile

    repo = Path(__file__).resolve().parent.parent
    private = [str(d) for base in (repo, Path(sys.prefix).resolve()) for d in (base, *base.parents)
               if not d.stat().st_mode & 0o001]
    if private:  # e.g. a clone inside `mktemp -d` (0700): uid 65534 cannot import praxisscan
        pytest.skip(f"the checkout is not reachable by another user ({private[0]} is private)")
    top = Path(tempfile.mkdtemp(prefix="praxisscan-ro-"))  # pytest's tmp_path is root-only
    locked = top / "locked"
    locked.mkdir(mode=0o555)
    os.chmod(top, 0o755)
    readable = shutil.copy(scan_file, top / "scan.json")
    os.chmod(readable, 0o644)
    tmp_path = top
    scan_file = Path(readable)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-m", "scanner", "report", str(scan_file), "-o",
                        str(locked / "r.txt")], capture_output=True, text=True,
                       cwd=repo, env={**os.environ, "HOME": str(tmp_path)})
    shutil.rmtree(top)
    assert r.returncode == 2 and "is not writable" in error_line(r)


# -- input files (L12) -----------------------------------------------------------------------


def test_scan_file_that_is_missing_a_directory_or_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for ref, fragment in ((tmp_path / "nope.json", "no such file"),
                          (tmp_path, "is a directory"),
                          (fifo, "not a regular file")):
        for command in (["report", str(ref)], ["diff", str(ref), str(ref)],
                        ["baseline", str(ref), "-o", str(tmp_path / "p.toml")]):
            r = praxisscan(*command, timeout=30)
            assert r.returncode == 2, (command, r.stderr)
            assert fragment in error_line(r)


def test_external_inside_that_is_a_directory(tmp_path: Path, scratch_ns: str) -> None:
    # In a namespace without a route: were the check to run, nothing could leave.
    r = praxisscan("external", "11.22.33.2", "--inside", str(tmp_path), ns=scratch_ns)
    assert r.returncode == 2 and "is a directory" in error_line(r)


# -- numeric options (L7) --------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["scan", "--plan", "--max-time", "0", "10.0.0.1"],
    ["scan", "--plan", "--max-time", "nan", "10.0.0.1"],
    ["scan", "--plan", "--max-time", "inf", "10.0.0.1"],
    ["scan", "--plan", "--max-time", "-3", "10.0.0.1"],
    ["scan", "--plan", "--listen", "inf", "10.0.0.1"],
    ["scan", "--plan", "--listen", "1e400", "10.0.0.1"],
    ["show", "99999999999999999999"],
    ["show", "-1"],
])
def test_numbers_out_of_range_are_refused_before_anything_runs(args: list[str],
                                                               state: dict[str, str]) -> None:
    r = praxisscan(*args, env=state)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "error:" in r.stderr


# -- history (H3) ----------------------------------------------------------------------------


def _damaged(state: dict[str, str]) -> Path:
    path = Path(state["PRAXISSCAN_STATE_DIR"]) / "history.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    return path


def test_damaged_history_is_one_line_for_reading_commands(state: dict[str, str]) -> None:
    path = _damaged(state)
    for command in (["history"], ["show", "1"], ["diff", "--last"]):
        r = praxisscan(*command, env=state)
        assert r.returncode == 2, (command, r.stderr)
        line = error_line(r)
        assert str(path) in line and "damaged" in line and "mv " in line


def test_damaged_history_does_not_lose_the_scan(state: dict[str, str], capsys) -> None:
    from scanner.cli.output import store_in_history

    _damaged(state)
    os.environ["PRAXISSCAN_STATE_DIR"], old = state["PRAXISSCAN_STATE_DIR"], os.environ.get(
        "PRAXISSCAN_STATE_DIR")
    try:
        assert store_in_history(sample_scan()) is None
    finally:
        os.environ["PRAXISSCAN_STATE_DIR"] = old or ""
    assert "warning: scan not stored in the history" in capsys.readouterr().err


def test_reading_commands_do_not_wait_for_a_writer(state: dict[str, str]) -> None:
    path = Path(state["PRAXISSCAN_STATE_DIR"]) / "history.sqlite"
    history = History(path)
    history.add(sample_scan())
    history.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # a scan being stored right now
    try:
        # Before, `history` waited 30 s for the lock and then crashed.
        r = praxisscan("history", env=state, timeout=10)
        assert r.returncode == 0, r.stderr
        assert "192.168.178.0/24" in r.stdout
        r = praxisscan("show", "1", "-f", "json", env=state, timeout=10)
        assert r.returncode == 0 and '"hosts"' in r.stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_reading_commands_never_create_a_history(state: dict[str, str]) -> None:
    r = praxisscan("history", env=state)
    assert r.returncode == 0 and "no scans stored yet" in r.stdout
    assert not Path(state["PRAXISSCAN_STATE_DIR"]).exists()


# -- the last line of defence (item 1) -------------------------------------------------------


def test_unexpected_error_is_one_line_exit_2_and_a_private_log(
        monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("PRAXISSCAN_STATE_DIR", str(tmp_path))

    def broken(args: object) -> int:
        raise ValueError("invalid literal for int() with base 10: '3389abc'")

    monkeypatch.setattr(cli, "cmd_rules", broken)
    assert cli.main(["rules", "catalog"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("praxisscan: internal error: ValueError")
    logs = list((tmp_path / "crash").iterdir())
    assert len(logs) == 1 and str(logs[0]) in err[0]
    assert logs[0].stat().st_mode & 0o777 == 0o600
    text = logs[0].read_text()
    assert "Traceback" in text and "3389abc" in text and "['rules', 'catalog']" in text


def test_closed_stdout_is_no_traceback(scan_file: Path) -> None:
    # praxisscan report ... | head -1
    p = subprocess.run(f"{sys.executable} -m scanner report {scan_file} | head -c 1",
                       shell=True, capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parent.parent)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr


def test_a_host_whose_evidence_breaks_classification_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner import pipeline
    from scanner.hosts import HostDraft
    from scanner.model import Protocol, Service
    from scanner.classification.oui import MacVendors
    from scanner.portscan.nmap_scan import NmapHost

    st = pipeline._State()
    st.drafts["10.0.0.5"] = HostDraft("10.0.0.5", mac="00:11:22:33:44:55")
    st.nmap["10.0.0.5"] = NmapHost("10.0.0.5", None, (Service(3389, Protocol.TCP, "ms-wbt-server"),))

    def broken(host: object) -> object:
        raise ValueError("hostile evidence")

    monkeypatch.setattr(pipeline, "classify", broken)
    host = pipeline._host(st, "10.0.0.5", MacVendors())
    assert host.ip == "10.0.0.5" and host.mac == "00:11:22:33:44:55"
    assert [s.port for s in host.services] == [3389]
    assert [(n.check, n.reason) for n in st.not_tested] == [
        ("classification", "evidence not understood: ValueError")]
