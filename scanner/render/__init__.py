"""Renderers: a scan in, a string out. The CLI decides where the string goes."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports Format for --help: not the site parser and the policy
    from scanner.model import Scan
    from scanner.site import Site


class Format(str, enum.Enum):
    TERMINAL = "terminal"
    JSON = "json"
    HTML = "html"
    CSV = "csv"


def render(scan: Scan, fmt: Format, lang: str = "de", color: bool = False,
           site: Site | None = None) -> str:
    if fmt is Format.JSON:
        from scanner.jsonio import dumps

        return dumps(scan)
    if fmt is Format.HTML:
        from scanner.render.html import render_html

        return render_html(scan, lang, site)
    if fmt is Format.TERMINAL:
        from scanner.render.terminal import render_terminal

        return render_terminal(scan, lang, color)
    if fmt is Format.CSV:
        from scanner.render.csv_inventory import render_csv

        return render_csv(scan)
    raise AssertionError(f"unhandled format {fmt}")  # pragma: no cover
