"""Fingerprint rules: data in fingerprints/*.toml, matched by one generic engine.

One file per kind of evidence (its ``field``). A rule has an id, a regular expression
(``pattern``; or ``ports_all``/``ports_any`` in the port-set file), constant attributes
(role, vendor, product, model, os, os_version), attributes captured by named groups of
the same names, a confidence, the public source of its examples (``source``), whether it
matches case-sensitively (``case``) and examples with their expected extractions. In a file the
first matching rule wins, as in Recog: put specific rules before general ones (the
generic test proves no earlier rule swallows a later rule's example).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from scanner.model import Role
from scanner.resources import data_dir

ATTRIBUTES = ("role", "vendor", "product", "model", "os", "os_version")
MAX_VALUE = 1024  # evidence is cut before matching: no regex ever runs on megabytes


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    field: str
    pattern: re.Pattern[str] | None
    ports_all: frozenset[int]
    ports_any: frozenset[int]
    constants: tuple[tuple[str, str], ...]
    confidence: float
    examples: tuple[dict[str, Any], ...]
    source: str  # file:rule index, for messages
    origin: str = ""  # the public source its pattern and examples come from (rule key `source`)
    # The pattern without its leading \b: it matches wherever the pattern does, and Python's
    # re skips ahead to a possible first letter only without the \b (five times faster on
    # evidence that matches neither, which is most evidence)
    gate: re.Pattern[str] | None = None

    def match(self, value: str | frozenset[int]) -> dict[str, str] | None:
        """The extracted attributes, or None."""
        if self.pattern is None:
            ports = value if isinstance(value, frozenset) else frozenset()
            if self.ports_all <= ports and (not self.ports_any or self.ports_any & ports):
                return dict(self.constants)
            return None
        if not isinstance(value, str):
            return None
        value = value[:MAX_VALUE]
        if self.gate is not None and not self.gate.search(value):
            return None
        m = self.pattern.search(value)
        if not m:
            return None
        out = dict(self.constants)
        out.update({k: v.strip() for k, v in m.groupdict().items() if v and v.strip()})
        return out


@dataclass(frozen=True)
class RuleFile:
    field: str
    path: Path
    rules: tuple[Rule, ...]

    def first_match(self, value: str | frozenset[int]) -> tuple[Rule, dict[str, str]] | None:
        for rule in self.rules:
            got = rule.match(value)
            if got is not None:
                return rule, got
        return None


def fingerprint_dir() -> Path:
    return data_dir("fingerprints")


@cache
def load_rules(directory: Path | None = None) -> tuple[RuleFile, ...]:
    directory = directory or fingerprint_dir()
    from scanner.classification.makers import cached_spellings  # it imports this module

    cached_spellings(directory)  # a broken maker_spellings.txt fails here, like a bad rule file
    return tuple(load_file(p) for p in sorted(directory.glob("*.toml")))


def load_file(path: Path) -> RuleFile:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{path.name}: {e}") from None
    field = doc.get("field")
    if not isinstance(field, str) or not field:
        raise RuleError(f"{path.name}: missing 'field'")
    unknown = set(doc) - {"field", "description", "rule"}
    if unknown:
        raise RuleError(f"{path.name}: unknown keys {sorted(unknown)}")
    rules = tuple(_rule(field, path.name, i, r) for i, r in enumerate(doc.get("rule", [])))
    return RuleFile(field, path, rules)


_RULE_KEYS = {"id", "pattern", "ports_all", "ports_any", "confidence", "example", "note",
              "source", "case", *ATTRIBUTES}


def _rule(field: str, fname: str, i: int, d: dict[str, Any]) -> Rule:
    where = f"{fname} rule {i + 1} ({d.get('id', '?')})"
    unknown = set(d) - _RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
    if "id" not in d or "confidence" not in d:
        raise RuleError(f"{where}: needs 'id' and 'confidence'")
    pattern = None
    if "pattern" in d:
        # Makers write their names one way ("RICOH", "NRG", "KONICA MINOLTA"): such rules
        # say case = "sensitive" so that a prompt in other letters is not taken for them.
        case = d.get("case", "insensitive")
        if case not in ("sensitive", "insensitive"):
            raise RuleError(f"{where}: case must be \"sensitive\" or \"insensitive\"")
        try:
            pattern = re.compile(d["pattern"], re.IGNORECASE if case == "insensitive" else 0)
        except re.error as e:
            raise RuleError(f"{where}: bad pattern: {e}") from None
        bad = set(pattern.groupindex) - set(ATTRIBUTES)
        if bad:
            raise RuleError(f"{where}: named groups must be attributes, not {sorted(bad)}")
    elif not ("ports_all" in d or "ports_any" in d):
        raise RuleError(f"{where}: needs 'pattern' (or ports_all/ports_any)")
    if "role" in d:
        Role(d["role"])  # raises ValueError for a role outside the scan model's vocabulary
    confidence = float(d["confidence"])
    if not 0 < confidence <= 1:
        raise RuleError(f"{where}: confidence must be in (0, 1]")
    examples = tuple(d.get("example", ()))
    if not examples:
        raise RuleError(f"{where}: every rule needs at least one example")
    gate = None
    if pattern is not None and pattern.pattern.startswith("\\b"):
        try:
            gate = re.compile(pattern.pattern[2:], pattern.flags)
        except re.error:
            gate = None
    return Rule(
        id=d["id"], field=field, pattern=pattern, gate=gate,
        ports_all=frozenset(d.get("ports_all", ())), ports_any=frozenset(d.get("ports_any", ())),
        constants=tuple((k, str(d[k])) for k in ATTRIBUTES if k in d),
        confidence=confidence, examples=examples, source=where,
        origin=str(d.get("source", "")),
    )


def check_examples(files: tuple[RuleFile, ...]) -> list[str]:
    """Every problem with the rule data, as messages; empty when all is well."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for f in files:
        for rule in f.rules:
            if rule.id in seen:
                problems.append(f"{rule.source}: id also used by {seen[rule.id]}")
            seen[rule.id] = rule.source
            groups = set(rule.pattern.groupindex) if rule.pattern else set()
            for n, ex in enumerate(rule.examples, 1):
                value = (frozenset(ex["ports"]) if "ports" in ex else ex.get("value", ""))
                expect = {k: str(v) for k, v in ex.items() if k not in ("value", "ports")}
                got = rule.match(value)
                if got is None:
                    problems.append(f"{rule.source} example {n}: does not match {value!r}")
                    continue
                if got != expect:
                    problems.append(f"{rule.source} example {n}: extracted {got}, "
                                    f"the example says {expect}")
                missing = groups - set(expect)
                if missing:
                    problems.append(f"{rule.source} example {n}: capture {sorted(missing)} "
                                    "not stated in the example")
                first = f.first_match(value)
                if first and first[0] is not rule:
                    problems.append(f"{rule.source} example {n}: shadowed by earlier "
                                    f"{first[0].source}")
    return problems
