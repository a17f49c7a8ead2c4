"""Read a TOML input file (site file, policy) and point errors at its lines.

Syntax errors come out as ``file:line: message`` like every other error about the file;
the line of a semantic error is found again in the text (``line_of``), since tomllib keeps
no positions.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from scanner.errors import PraxisscanError
from scanner.inputfile import read_limited

_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


def load_toml(path: Path, limit: int, error: type[PraxisscanError],
              what: str) -> tuple[dict[str, Any], list[str]]:
    """The parsed document and its lines; a BOM is accepted, a regular file only."""
    text = read_limited(path, limit, error, what)
    lines = text.splitlines()
    try:
        return tomllib.loads(text), lines
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _POSITION.match(message)
        if m:
            raise error(f"{path.name}:{m['line']}: {m['msg']} (column {m['col']})") from None
        where = max(len(lines), 1) if "end of document" in message else 1
        message = message.replace(" (at end of document)", " at the end of the file")
        raise error(f"{path.name}:{where}: {message}") from None
    except RecursionError:
        raise error(f"{path.name}: nested too deeply (arrays or inline tables)") from None


def line_of(lines: list[str], table: str | None, index: int = 0, key: str | None = None) -> int:
    """Where to point: the key's line inside the table's index-th occurrence (1 if unknown)."""
    if table is None:
        return 1
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
    headers = [i for i, line in enumerate(lines) if header.match(line)]
    if not headers:
        return 1
    start = headers[min(index, len(headers) - 1)]
    if key:
        assignment = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start + 1, len(lines)):
            if re.match(r"^\s*\[", lines[i]):
                break
            if assignment.match(lines[i]):
                return i + 1
    return start + 1
