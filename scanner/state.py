"""Where praxisscan keeps its own data (fresh OUI tables, the scan history).

``PRAXISSCAN_STATE_DIR`` when set (it must be absolute: a relative one would put the history
wherever the command happens to run, and a weekly job from cron would start afresh each
time); else /var/lib/praxisscan for root; else ``$XDG_DATA_HOME/praxisscan``, where an empty
or relative XDG_DATA_HOME is ignored as the XDG Base Directory spec says (~/.local/share).
"""

from __future__ import annotations

import os
from pathlib import Path

from scanner.errors import UsageError


def state_dir() -> Path:
    configured = os.environ.get("PRAXISSCAN_STATE_DIR")
    if configured:
        if not os.path.isabs(configured):
            raise UsageError(f"PRAXISSCAN_STATE_DIR must be an absolute path, not {configured!r}")
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/praxisscan")
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "praxisscan"
