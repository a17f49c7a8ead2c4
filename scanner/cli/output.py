"""What every command shares: exit codes, where output goes, secrets from the environment."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.errors import OutputError, PraxisscanError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def exit_for(scan, fail_on: str) -> int:
    from scanner.vocabulary import Severity

    if fail_on == "none":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    open_findings = [f for f in scan.findings if not f.acknowledged]
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in open_findings) else EXIT_OK


def output_file(text: str) -> Path | None:
    """``--output`` as argparse reads it: ``-`` is stdout (None), anything else a regular file.

    Checked before any work is done: a scan must not run for minutes and then find that its
    report cannot be written. Devices, FIFOs and directories are refused because the atomic
    write would replace them with a regular file (``-o /dev/null`` as root broke /dev/null).
    """
    if text == "-":
        return None
    if not text:
        raise argparse.ArgumentTypeError("empty path (use - for stdout)")
    path = Path(text)
    try:
        problem = _output_problem(path)
    except OSError as e:  # a parent we may not enter, a name too long, ...
        problem = e.strerror or str(e)
    if problem:
        raise argparse.ArgumentTypeError(f"{text}: {problem}")
    return path


def _output_problem(path: Path) -> str | None:
    # Followed for the check (/dev/stdout is a link to a descriptor); a link to a regular file
    # is itself replaced by the atomic write, never written through.
    if path.exists() and not path.is_file():
        kind = "is a directory" if path.is_dir() else "is not a regular file"
        return f"{kind}; name a file (or - for stdout)"
    parent = _existing_ancestor(path.parent)
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_private(output, text)


def write_private(path: Path, text: str) -> None:
    """Atomic write, readable by the owner only: a scan describes the practice's weak spots."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as e:
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fritzbox_login(args: argparse.Namespace) -> tuple[str, str] | None:
    if not args.fritzbox_user:
        return None
    password = os.environ.get("PRAXISSCAN_FRITZBOX_PASSWORD")
    if not password:
        raise UsageError("--fritzbox-user needs the password in $PRAXISSCAN_FRITZBOX_PASSWORD")
    return (args.fritzbox_user, password)


MAX_INPUT_BYTES = 256 * 1024 * 1024


def read_text(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """A text file the operator named (tool output): regular files only (a FIFO would
    hang, /dev/zero would fill the memory), at most ``limit`` bytes; bytes that are not
    UTF-8 are kept (surrogateescape). Scan files go through jsonio.load_file instead."""
    from scanner.inputfile import read_limited

    return read_limited(path, limit, UsageError, undecodable="surrogateescape")


def crash_log(error: BaseException, argv: list[str]) -> Path | None:
    """The traceback of an unexpected error, for a bug report: in the state directory
    (owner-only), never on the terminal. None when even that cannot be written."""
    import traceback
    import tempfile
    from datetime import datetime

    from scanner import __version__
    from scanner.state import state_dir

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"praxisscan {__version__}, {stamp}\ncommand: {argv!r}\n\n"
            + "".join(traceback.format_exception(error)))
    for directory in (state_dir() / "crash", Path(tempfile.gettempdir())):
        path = directory / f"praxisscan-crash-{stamp}-{os.getpid()}.log"
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_private(path, text)
            return path
        except (OSError, PraxisscanError):
            continue
    return None


def store_in_history(scan) -> int | None:  # noqa: ANN001 - Scan, imported lazily
    """Store a finished scan; a damaged or locked history is a warning, never a lost scan."""
    from scanner.errors import HistoryError
    from scanner.monitor.history import History

    try:
        return History().add(scan)
    except HistoryError as e:
        print(f"praxisscan: warning: scan not stored in the history: {e}", file=sys.stderr)
        return None
