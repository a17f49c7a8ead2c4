"""Offline MAC vendor lookup: longest prefix over MA-S (36 bit), MA-M (28 bit), MA-L (24 bit).

MA-L comes from aiooui (MIT, refreshed 2026-09). MA-M and MA-S come from IEEE CSV files
(``Registry,Assignment,Organization Name,Organization Address``): Debian's ieee-data when
installed, overridden by fresher files the operator drops into ``extra_dirs``. A 24-bit
lookup alone would call many small medical vendors "IEEE Registration Authority".
A locally administered address is random (iOS/Android privacy MACs) and has no vendor.
"""

from __future__ import annotations

import asyncio
import csv
import threading
from pathlib import Path

SYSTEM_IEEE_DIR = Path("/usr/share/ieee-data")
_FILE_FOR = {"MA-L": "oui.csv", "MA-M": "mam.csv", "MA-S": "oui36.csv", "IAB": "iab.csv"}
_BITS = {"MA-S": 9, "MA-M": 7, "MA-L": 6, "IAB": 9}  # prefix length in hex digits


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
                        asyncio.run(aiooui.async_load())
                    table: dict[str, str] = {}
                    for d in self.ieee_dirs:
                        for name in ("oui.csv", "mam.csv", "oui36.csv", "iab.csv"):
                            path = d / name
                            if path.is_file():
                                table.update(read_ieee_csv(path))
                    self._loaded = table
        return self._loaded

    def _ma_l(self, mac: str) -> str | None:
        import aiooui

        return aiooui.get_vendor(mac)


def read_ieee_csv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[0] not in _BITS:
                continue
            prefix = row[1].strip().upper()
            if len(prefix) == _BITS[row[0]] and all(c in "0123456789ABCDEF" for c in prefix):
                out[prefix] = row[2].strip()
    return out


def user_oui_dir() -> Path:
    from scanner.state import state_dir

    return state_dir() / "oui"


def install_ieee_csv(source: Path, target_dir: Path | None = None) -> tuple[str, int, Path]:
    """Check an IEEE registry CSV and install it where lookups prefer it.

    Returns (registry, entries, installed path). Raises ValueError for a file that is not
    an IEEE MA-L/MA-M/MA-S/IAB CSV.
    """
    entries = read_ieee_csv(source)
    if not entries:
        raise ValueError(f"{source}: no IEEE registry rows (expected the CSV from "
                         "standards-oui.ieee.org: Registry,Assignment,Organization Name,...)")
    with source.open(newline="", encoding="utf-8", errors="replace") as f:
        registries = {row[0] for row in csv.reader(f) if row and row[0] in _FILE_FOR}
    if len(registries) != 1:
        raise ValueError(f"{source}: mixes registries {sorted(registries)}; one file each")
    registry = registries.pop()
    target_dir = target_dir or user_oui_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / _FILE_FOR[registry]
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(source.read_bytes())
    tmp.replace(target)
    return registry, len(entries), target
