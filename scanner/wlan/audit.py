"""The WLAN audit: which source to read, and what could not be seen.

Live: ``iw dev IF scan`` as root (it triggers a scan and shows WPS and PMF); without root,
``nmcli`` asks NetworkManager for its latest scan (no WPS, no PMF). Offline: a monitor-mode
capture. The radio only listens and sends probe requests, as every phone does; no frame is
sent to an access point's network.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scanner import __version__
from scanner.errors import PraxisscanError, ToolMissingError
from scanner.model import NotTested, Scan, Scope, WlanNetwork
from scanner.classification.oui import MacVendors
from scanner.wlan import nmcli
from scanner.wlan.capture import read_capture
from scanner.wlan.iw import parse_iw_scan
from scanner.wlan.merge import networks

IW_TIMEOUT = 30.0


class WlanError(PraxisscanError):
    """The live WLAN scan could not run."""


@dataclass(frozen=True)
class WlanAudit:
    networks: tuple[WlanNetwork, ...]
    source: str  # "iw", "nmcli", "capture"
    not_tested: tuple[NotTested, ...] = ()
    skipped_frames: int = 0


def as_scan(result: WlanAudit, into: Scan | None = None) -> Scan:
    """The audit as a scan of its own, or added to an inside scan. A BSS the scan already
    knows (from the router's settings) is replaced by what the air showed; the router's other
    networks stay."""
    now = datetime.now(timezone.utc)
    notes = tuple(result.not_tested)
    if into is not None:
        kept = tuple(n for n in into.not_tested if n not in notes)
        seen = {w.bssid for w in result.networks}
        known = tuple(w for w in into.wlans or () if w.bssid not in seen)
        return dataclasses.replace(into, wlans=result.networks + known, not_tested=kept + notes)
    scope = Scope(targets=(f"wlan:{result.source}",), networks=())
    return Scan(started_at=now, finished_at=now, scope=scope, complete=True,
                wlans=result.networks, not_tested=notes, tool_version=__version__)


def from_capture(path: Path, vendors: MacVendors | None = None) -> WlanAudit:
    sightings, skipped = read_capture(path)
    nets = networks(sightings, (vendors or MacVendors()).lookup)
    return WlanAudit(nets, "capture", skipped_frames=skipped)


def from_iw_text(text: str, vendors: MacVendors | None = None, live: bool = False) -> WlanAudit:
    """``live``: the text is what iw just printed, so no text means the radio heard nothing;
    from a file, no text is "not tested" (``ToolOutputError``)."""
    sightings = parse_iw_scan(text, allow_empty=live)
    return WlanAudit(networks(sightings, (vendors or MacVendors()).lookup), "iw")


def from_nmcli_text(text: str, vendors: MacVendors | None = None,
                    live: bool = False) -> WlanAudit:
    nets = networks(nmcli.parse_nmcli(text, allow_empty=live), (vendors or MacVendors()).lookup)
    return WlanAudit(nets, "nmcli", not_tested=(
        NotTested("wps-enabled", "nmcli does not report WPS; run praxisscan wlan as root (iw)"),))


def live(interface: str | None, tool: str = "auto",
         vendors: MacVendors | None = None) -> WlanAudit:
    """iw when root and present, else nmcli; ``tool`` forces one."""
    use_iw = tool == "iw" or (tool == "auto" and os.geteuid() == 0 and shutil.which("iw"))
    if use_iw:
        interface = interface or _only_wireless_interface()
        if os.geteuid() != 0:
            raise WlanError("iw scans need root; run with sudo or use --tool nmcli")
        return from_iw_text(_run(["iw", "dev", interface, "scan"], "iw"), vendors, live=True)
    return from_nmcli_text(_run(nmcli.command(interface), "nmcli"), vendors, live=True)


def _only_wireless_interface(sys_net: Path = Path("/sys/class/net")) -> str:
    """The machine's one WLAN interface (the kernel marks them with a wireless/ folder)."""
    found = sorted(p.parent.name for p in sys_net.glob("*/wireless"))
    if len(found) == 1:
        return found[0]
    raise WlanError("iw needs the WLAN interface: --interface IF"
                    + (f" (one of {', '.join(found)})" if found else
                       " (this machine shows none; a USB WLAN stick works)"))


def _run(cmd: list[str], tool: str) -> str:
    if not shutil.which(cmd[0]):
        raise ToolMissingError(f"{tool} is not installed (Debian/Ubuntu: apt install "
                               f"{'iw' if tool == 'iw' else 'network-manager'})")
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=IW_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise WlanError(f"{tool} gave no answer within {IW_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise WlanError(f"{' '.join(cmd)} failed: {err[-1] if err else done.returncode}"[:300])
    # SSIDs may hold any bytes: keep them through the decode (iw escapes, nmcli may not)
    return done.stdout.decode("utf-8", "surrogateescape")
