"""What every command shares: exit codes, where output goes, secrets from the environment."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from scanner.errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def exit_for(scan, fail_on: str) -> int:
    from scanner.model import Severity

    if fail_on == "none":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    open_findings = [f for f in scan.findings if not f.acknowledged]
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in open_findings) else EXIT_OK


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    write_private(output, text)


def write_private(path: Path, text: str) -> None:
    """Atomic write, readable by the owner only: a scan describes the practice's weak spots."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
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


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
