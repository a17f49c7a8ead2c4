"""Where the data directories (reports/, fingerprints/) are: in a wheel or in the checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name  # wheel: force-included by pyproject.toml
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # checkout / editable install
