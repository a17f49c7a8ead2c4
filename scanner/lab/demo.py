"""The README's main job: build the lab practice, scan it from inside and from its dead-end
"internet", and leave the scan (JSON) for the report. The CLI only prints.

Both scans run as the real CLI in the lab's namespaces (``ip netns exec``), exactly as a
technician would run them: nothing is sent from the machine's own network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from scanner.errors import LabError
from scanner.lab.lab import INTERNET_NS, LAB_SITE_FILE, Lab

LAB_SUBNET = "192.168.178.0/24"


def run_demo(lab: Lab, json_path: Path, keep_lab: bool = False,
             progress: Callable[[str], None] = lambda _msg: None) -> Path:
    """Scan the lab practice into ``json_path`` (inside, then outside-in); returns it."""
    json_path = json_path.resolve()
    lab.up()
    try:
        box = lab.practice.router.tr064 or {}
        _run(lab.scanner_command(_praxisscan(
            "scan", LAB_SUBNET, "--interface", "eth0", "--site", str(LAB_SITE_FILE),
            "--format", "json", "--output", str(json_path), "--fail-on", "none",
            "--fritzbox-user", box.get("user", ""))),
            {"PRAXISSCAN_FRITZBOX_PASSWORD": box.get("password", "")}, "the scan inside the lab")
        wan = lab.practice.wan_address.split("/")[0]
        progress(f"Outside-in check of {wan} from the lab's internet namespace ...")
        _run(["ip", "netns", "exec", INTERNET_NS, *_praxisscan(
            "external", wan, "--inside", str(json_path), "--site", str(LAB_SITE_FILE),
            "--interface", "eth0", "--format", "json", "--output", str(json_path),
            "--fail-on", "none")], {}, "the outside-in check in the lab")
    finally:
        if not keep_lab:
            lab.down()
    return json_path


def _praxisscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "scanner", *args]


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    rc = subprocess.run(argv, stdin=subprocess.DEVNULL, env={**os.environ, **env}).returncode
    if rc != 0:
        raise LabError(f"{what} failed (exit {rc})")
