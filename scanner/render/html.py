"""HTML report: one self-contained file (inline CSS and SVG, no network), Jinja2 with autoescape."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from scanner.model import Scan
from scanner.site import Site
from scanner.render import netplan, summary
from scanner.render.labels import labels
from scanner.text import clean, device_line, host_device_line, host_name, inert, wlan_cells
from scanner.rules import evidence, guideline
from scanner.rules.base import guideline_rules
from scanner.resources import data_dir

SEVERITY_FILL = {"critical": "#8e1b10", "high": "#c0392b", "medium": "#f5b041", "low": "#f9e79f",
                 "info": "#d6eaf8"}


def _finalize(value: object) -> object:
    """Every ``{{ }}`` output: autoescape stops markup, this stops bidi reordering and
    control characters, also in a field a template forgot to ``clean``."""
    if isinstance(value, Markup):
        return Markup(inert(str(value)))
    return inert(value) if isinstance(value, str) else value


def environment() -> Environment:
    env = Environment(
        finalize=_finalize,
        loader=FileSystemLoader(data_dir("reports")),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clean"] = clean
    env.globals["device_line"] = device_line
    env.globals["host_device_line"] = host_device_line
    env.globals["host_name"] = host_name
    return env


def render_html(scan: Scan, lang: str = "de", site: Site | None = None) -> str:
    """``site``: the site file, when known, draws the network plan by zone and says which
    parts of the guideline bind the practice."""
    lang = "en" if lang == "en" else "de"
    L = labels(lang)
    large_devices = bool(site and site.large_medical_devices)
    findings = sorted(scan.findings, key=lambda f: (-f.severity.rank, f.rule, f.host or ""))
    wlans = scan.wlans or ()
    return environment().get_template("scan.html.j2").render(
        scan=scan, L=L, lang=lang, ev=lambda e: evidence.text(e, lang),
        service_count=sum(len(h.services) for h in scan.hosts),
        findings=findings,
        rating=summary.rating(scan, lang),
        knowledge=summary.knowledge_line(scan, lang),
        internet_line=summary.internet_line_text(scan, lang),
        knowledge_words=summary.knowledge_words(lang),
        actions=summary.top_actions(scan, lang),
        counts=summary.severity_counts(scan),
        netplan=netplan.plan(scan, lang, site.zone_of if site else None),
        sev_fill=SEVERITY_FILL,
        wlan_rows=[wlan_cells(w, L) for w in wlans],
        wlan_sources=", ".join(sorted({w.source or "?" for w in wlans})) or "–",
        inbound=[f for f in findings if f.rule in summary.INBOUND_RULES],
        inbound_rules=summary.INBOUND_RULES,
        who=summary.device_names(scan),
        guideline=guideline.view(scan, guideline_rules(), site.size if site else None,
                                 large_devices),
        guideline_size=L["size_" + (site.size if site else "none")]
        + (L["size_devices"] if large_devices else ""),
    )
