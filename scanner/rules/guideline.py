"""The guideline view: the requirements of the Richtlinie nach § 390 SGB V (Fassung 2025)
that apply to the practice, and what this scan says about each.

The requirements are data (guideline.toml); which finding speaks to which requirement is
said once, in the catalog (`guideline = [...]`). A requirement is "open" when one of its
findings is open, "not tested" when one of its rules could not run, "nothing found" only
when every one of its rules ran; one that no rule can judge is outside a scan's reach,
never "met".
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scanner.model import Finding, Localized, Scan

GUIDELINE_FILE = Path(__file__).with_name("guideline.toml")
CITATION = "Richtlinie nach § 390 SGB V, Fassung 2025"
# Which practices each Anlage binds (practice size from the site file).
APPLIES = ("all", "mid", "large", "devices")
_BY_SIZE = {"praxis": {"all"}, "mittlere-praxis": {"all", "mid"},
            "grosspraxis": {"all", "mid", "large"}}


@dataclass(frozen=True)
class Requirement:
    id: str  # "A1-11"
    anlage: int
    nr: int
    title: Localized
    applies: str
    scannable: bool

    def citation(self) -> str:
        return f"{CITATION}, Anlage {self.anlage} Nr. {self.nr} ({self.title.de})"


class Status(str, enum.Enum):
    OPEN = "open"
    NOT_TESTED = "not-tested"
    NOTHING_FOUND = "nothing-found"
    OUT_OF_REACH = "out-of-reach"


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    status: Status
    findings: tuple[Finding, ...]  # the open findings behind an "open"
    rules: tuple[str, ...]  # the rules that speak to it


@cache
def requirements() -> dict[str, Requirement]:
    doc = tomllib.loads(GUIDELINE_FILE.read_text(encoding="utf-8"))
    out = {}
    for rid, d in doc["requirement"].items():
        anlage, nr = rid.removeprefix("A").split("-")
        if d["applies"] not in APPLIES:
            raise ValueError(f"{GUIDELINE_FILE}: {rid}: applies {d['applies']!r}")
        out[rid] = Requirement(rid, int(anlage), int(nr), Localized(**d["title"]),
                               d["applies"], bool(d.get("scannable", True)))
    return out


def applicable(size: str | None, large_devices: bool = False) -> list[Requirement]:
    """The requirements that bind a practice of this size (None: no site file, so only
    what binds every practice), in the guideline's order."""
    bound = set(_BY_SIZE.get(size or "praxis", {"all"}))
    if large_devices:
        bound.add("devices")
    return sorted((r for r in requirements().values() if r.applies in bound),
                  key=lambda r: (r.anlage, r.nr))


def view(scan: Scan, rules_of: dict[str, tuple[str, ...]], size: str | None,
         large_devices: bool = False) -> list[RequirementStatus]:
    """``rules_of``: requirement id -> the rules citing it (from the catalog)."""
    gaps = {n.check for n in scan.not_tested}
    out = []
    for req in applicable(size, large_devices):
        rules = rules_of.get(req.id, ())
        open_findings = tuple(f for f in scan.findings
                              if f.rule in rules and not f.acknowledged)
        if not req.scannable or not rules:
            status = Status.OUT_OF_REACH
        elif open_findings:
            status = Status.OPEN
        elif gaps & set(rules):
            status = Status.NOT_TESTED
        else:
            status = Status.NOTHING_FOUND
        out.append(RequirementStatus(req, status, open_findings, rules))
    return out
