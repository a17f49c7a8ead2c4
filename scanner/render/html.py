"""HTML report: one self-contained file (inline CSS, no network), Jinja2 with autoescape."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scanner.model import Scan
from scanner.render.labels import labels
from scanner.render.text import clean, device_line
from scanner.resources import data_dir


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(data_dir("reports")),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clean"] = clean
    env.globals["device_line"] = device_line
    return env


def render_html(scan: Scan, lang: str = "de") -> str:
    L = labels(lang)
    return environment().get_template("scan.html.j2").render(
        scan=scan, L=L, lang="en" if lang == "en" else "de",
        service_count=sum(len(h.services) for h in scan.hosts),
        findings=sorted(scan.findings, key=lambda f: -f.severity.rank),
    )
