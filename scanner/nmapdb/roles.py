"""nmap's device types (``d/printer/``, ``d/WAP/`` ...) as praxisscan roles.

The table is data: fingerprints/nmap/device_types.toml. A device type with no role there,
or one that nmap adds later, gives no role: the match is still evidence, it only does not
decide the role.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from scanner.model import Role
from scanner.resources import data_dir

class DeviceTypeTableError(ValueError):
    pass


def table_path() -> Path:
    return data_dir("fingerprints") / "nmap" / "device_types.toml"


@cache
def device_types(path: Path | None = None) -> dict[str, Role | None]:
    """nmap device type -> praxisscan role (None: the type names no device class)."""
    path = path or table_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise DeviceTypeTableError(f"{path}: {e}") from None
    table: dict[str, Role | None] = {}
    for name, entry in doc.get("type", {}).items():
        unknown = set(entry) - {"role"}
        if unknown:
            raise DeviceTypeTableError(f"{path.name}: type {name!r}: unknown keys {sorted(unknown)}")
        try:
            role = Role(entry["role"]) if "role" in entry else None
        except ValueError:
            raise DeviceTypeTableError(f"{path.name}: type {name!r}: no role "
                                       f"{entry['role']!r} in scanner/model.py") from None
        table[name] = role
    return table


def role_for_device_type(device_type: str) -> Role | None:
    return device_types().get(device_type)
