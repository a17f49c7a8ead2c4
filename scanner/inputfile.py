"""Read a user-named input file (scan JSON, site file, policy) safely.

Only a regular file is read, and only up to a size limit: a FIFO would hang the command,
``/dev/zero`` would fill the memory, a directory or a symlink loop would raise an OSError
deep inside. Every refusal is the caller's typed error, naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scanner.errors import PraxisscanError


def read_limited(path: Path, limit: int, error: type[PraxisscanError], what: str = "file",
                 undecodable: str = "strict") -> str:
    """The UTF-8 text of ``path`` (a leading byte order mark removed). ``undecodable``:
    "surrogateescape" keeps bytes that are not UTF-8 (tool output with raw SSIDs)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except OSError as e:
        raise error(f"{path}: cannot open ({e.strerror or e})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path}: is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file (a device, FIFO or socket); "
                        f"name a {what}")
        if info.st_size > limit:
            raise error(f"{path}: larger than {_size(limit)}; not a {what}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(2**20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise error(f"{path}: cannot read ({e.strerror or e})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # grew while we read
        raise error(f"{path}: larger than {_size(limit)}; not a {what}")
    try:
        return data.decode("utf-8-sig", undecodable)
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text (byte {e.start})") from None


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 and limit % 2**20 == 0 else f"{limit} bytes"
