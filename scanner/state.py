"""Where praxisscan keeps its own data (fresh OUI tables; later the scan history)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    if os.environ.get("PRAXISSCAN_STATE_DIR"):
        return Path(os.environ["PRAXISSCAN_STATE_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/praxisscan")
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "praxisscan"
