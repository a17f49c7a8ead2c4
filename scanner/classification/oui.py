"""Offline MAC vendor lookup: longest prefix over MA-S (36 bit), MA-M (28 bit), MA-L (24 bit).

MA-L comes from aiooui (MIT, refreshed 2026-09). MA-M and MA-S come from IEEE CSV files
(``Registry,Assignment,Organization Name,Organization Address``): Debian's ieee-data when
installed, overridden by fresher files the operator drops into ``extra_dirs``. A 24-bit
lookup alone would call many small medical vendors "IEEE Registration Authority".
A locally administered address is random (iOS/Android privacy MACs) and has no vendor.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import threading
from pathlib import Path

SYSTEM_IEEE_DIR = Path("/usr/share/ieee-data")
_FILE_FOR = {"MA-L": "oui.csv", "MA-M": "mam.csv", "MA-S": "oui36.csv", "IAB": "iab.csv"}
_BITS = {"MA-S": 9, "MA-M": 7, "MA-L": 6, "IAB": 9}  # prefix length in hex digits
# IEEE's largest registry (MA-L, oui.csv) is about 4 MB; its longest field a few hundred bytes.
# csv's own field limit (128 KiB) stays: a bigger field is a damaged file, reported by line.
MAX_CSV_BYTES = 64 * 1024 * 1024


def normalize_mac(mac: str) -> str | None:
    digits = "".join(c for c in mac.lower() if c in "0123456789abcdef")
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_randomized(mac: str) -> bool:
    """Locally administered bit set: a privacy/random address, not a vendor's."""
    return bool(int(mac[:2], 16) & 0x02)


class MacVendors:
    """Thread-safe: the scan looks vendors up from many threads at once."""

    def __init__(self, ieee_dirs: tuple[Path, ...] | None = None) -> None:
        self.ieee_dirs = ieee_dirs if ieee_dirs is not None else (SYSTEM_IEEE_DIR, user_oui_dir())
        self._lock = threading.Lock()
        self._loaded: dict[str, str] | None = None

    def lookup(self, mac: str) -> str | None:
        norm = normalize_mac(mac)
        if norm is None or is_randomized(norm):
            return None
        hexes = norm.replace(":", "").upper()
        table = self._table
        for digits in (9, 7):
            name = table.get(hexes[:digits])
            if name:
                return name
        return self._ma_l(norm) or table.get(hexes[:6])

    @property
    def _table(self) -> dict[str, str]:
        """Prefixes from IEEE CSVs (later directories override earlier ones), and the
        aiooui MA-L table, both loaded once."""
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    import aiooui

                    if not aiooui.is_loaded():
                        import asyncio  # only when the table is loaded: keeps --help fast

                        asyncio.run(aiooui.async_load())
                    table: dict[str, str] = {}
                    for d in self.ieee_dirs:
                        for name in ("oui.csv", "mam.csv", "oui36.csv", "iab.csv"):
                            path = d / name
                            try:
                                table.update(read_ieee_csv(path))
                            except (OSError, ValueError):
                                continue  # missing or damaged: the other tables still answer
                    self._loaded = table
        return self._loaded

    def _ma_l(self, mac: str) -> str | None:
        import aiooui

        return aiooui.get_vendor(mac)


def read_regular_file(path: Path, limit: int = MAX_CSV_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ValueError for anything else
    (a directory, a FIFO that would block, /dev/zero that never ends, a missing file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror or e}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as f:
        if info.st_size > limit:
            raise ValueError(f"{path}: {info.st_size} bytes; an IEEE registry CSV has at most "
                             f"{limit // (1024 * 1024)} MiB")
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise ValueError(f"{path}: {e.strerror or e}") from None
    if len(data) > limit:
        raise ValueError(f"{path}: larger than {limit // (1024 * 1024)} MiB")
    return data


def parse_ieee_csv(data: bytes, name: str) -> tuple[dict[str, str], set[str]]:
    """Prefix -> organisation, and the registries named; ValueError with the line for a row
    csv cannot read (a field over csv's 128 KiB limit, a NUL)."""
    out: dict[str, str] = {}
    registries: set[str] = set()
    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""))
    try:
        for row in reader:
            if len(row) < 3 or row[0] not in _BITS:
                continue
            registries.add(row[0])
            prefix = row[1].strip().upper()
            if len(prefix) == _BITS[row[0]] and all(c in "0123456789ABCDEF" for c in prefix):
                out[prefix] = row[2].strip()
    except csv.Error as e:
        raise ValueError(f"{name}:{reader.line_num}: not a row of an IEEE registry CSV "
                         f"({e})") from None
    return out, registries


def read_ieee_csv(path: Path) -> dict[str, str]:
    return parse_ieee_csv(read_regular_file(path), str(path))[0]


def user_oui_dir() -> Path:
    from scanner.state import state_dir

    return state_dir() / "oui"


def install_ieee_csv(source: Path, target_dir: Path | None = None) -> tuple[str, int, Path]:
    """Check an IEEE registry CSV and install it where lookups prefer it.

    Returns (registry, entries, installed path). Raises ValueError for a file that is not
    an IEEE MA-L/MA-M/MA-S/IAB CSV.
    """
    data = read_regular_file(source)  # read once: what is checked is what is installed
    entries, registries = parse_ieee_csv(data, str(source))
    if not entries:
        raise ValueError(f"{source}: no IEEE registry rows (expected the CSV from "
                         "standards-oui.ieee.org: Registry,Assignment,Organization Name,...)")
    if len(registries) != 1:
        raise ValueError(f"{source}: mixes registries {sorted(registries)}; one file each")
    registry = registries.pop()
    target_dir = target_dir or user_oui_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / _FILE_FOR[registry]
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return registry, len(entries), target
