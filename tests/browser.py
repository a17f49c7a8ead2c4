"""Open a report in the real headless Chromium: the DOM it built, a screenshot, a PDF.

Chromium starts with a fresh profile, every background service off and a host resolver that
resolves nothing, so opening a file:// report cannot send a packet anywhere.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import unavailable

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server",
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=2000")


@dataclass(frozen=True)
class Rendered:
    dom: str
    screenshot: Path
    pdf: Path
    pages: list[str]  # text of each PDF page (pdftotext)

    def text(self) -> str:
        return "\n".join(self.pages)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    unavailable("Chromium is not installed (bash scripts/dev.sh setup installs it)")
    raise AssertionError  # unreachable


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def open_report(html: Path, workdir: Path) -> Rendered:
    if not shutil.which("pdftotext"):
        unavailable("pdftotext is not installed (poppler-utils)")
    url = html.resolve().as_uri()
    dom = _run(["--dump-dom", url], workdir / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = workdir / "report.png"
    r = _run([f"--screenshot={shot}", "--window-size=1240,1754", "--hide-scrollbars", url],
             workdir / "profile-shot")
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    pdf = workdir / "report.pdf"
    r = _run([f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url], workdir / "profile-pdf")
    assert r.returncode == 0 and pdf.exists(), r.stderr[-2000:]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return Rendered(dom.stdout, shot, pdf, text.split("\f")[:-1] or [text])


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def squeeze(text: str) -> str:
    """Whitespace removed: PDF text breaks lines wherever the layout did."""
    return re.sub(r"\s+", "", text)
