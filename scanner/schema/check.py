"""Check a parsed scan document against ``scan.schema.json``, with no library.

The committed schema is the one description of the format: this walker enforces it when a
scan is read, so what the schema refuses never reaches the model or the rules. It knows the
few JSON Schema keywords the file uses (an unknown keyword is refused when the schema is
loaded, so the schema cannot grow a rule that is silently not enforced), and three formats:
``date-time`` (ISO 8601 with an offset: timestamps are compared with each other),
``ipv4``, ``ipv6`` and ``ipv4-network`` (a network address with its prefix, as the scope writes it).

A failure is ``Invalid(path, what)`` with a JSON path (``$.hosts[3].services[0].port``).
The walker only descends where the schema does, so its depth is the schema's, whatever the
document's nesting.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Callable

SCHEMA_FILE = Path(__file__).with_name("scan.schema.json")
_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_KEYWORDS = _ANNOTATIONS | {"type", "const", "enum", "required", "properties",
                            "additionalProperties", "items", "oneOf", "minimum", "maximum",
                            "pattern", "format"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Invalid(Exception):
    """Not an instance of the schema. Deliberately not a ValueError: it passes through the
    model builders' ``except ValueError`` untouched, keeping its path."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"{path}: {what}")
        self.path = path
        self.what = what


def check(doc: Any) -> None:
    _check(doc, schema(), "$")


@cache
def schema() -> dict[str, Any]:
    loaded = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    _audit(loaded, "#")
    return loaded


def _audit(node: Any, where: str) -> None:
    if isinstance(node, dict):
        unknown = set(node) - _KEYWORDS
        if unknown:
            raise RuntimeError(f"scan.schema.json {where}: keyword {sorted(unknown)[0]!r} "
                               "is not enforced by scanner/schema/check.py")
        if "format" in node and node["format"] not in _FORMATS:
            raise RuntimeError(f"scan.schema.json {where}: format {node['format']!r} unknown")
        for key, sub in node.get("properties", {}).items():
            _audit(sub, f"{where}/properties/{key}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                _audit(node[key], f"{where}/{key}")
        for i, sub in enumerate(node.get("oneOf", ())):
            _audit(sub, f"{where}/oneOf/{i}")


def show(value: Any, limit: int = 60) -> str:
    """A value for an error message: one line, escapes visible, cut."""
    text = repr(value)
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer"}


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


def _types(node: dict[str, Any]) -> list[str] | None:
    t = node.get("type")
    return None if t is None else [t] if isinstance(t, str) else list(t)


def _admits(node: dict[str, Any], value: Any) -> bool:
    types = _types(node)
    if types is not None:
        return any(_TYPES[t](value) for t in types)
    if "enum" in node:
        return any(_same(value, e) for e in node["enum"])
    return True


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # in Python True == 1; in JSON they differ


def _check(value: Any, node: dict[str, Any], path: str) -> None:
    if "oneOf" in node:
        fitting = [alt for alt in node["oneOf"] if _admits(alt, value)]
        if len(fitting) != 1:
            wanted = " or ".join(t for alt in node["oneOf"] for t in (_types(alt) or ["value"]))
            raise Invalid(path, f"expected {wanted}, got {_kind(value)} {show(value)}")
        _check(value, fitting[0], path)
    types = _types(node)
    if types is not None and not any(_TYPES[t](value) for t in types):
        wanted = " or ".join(_ARTICLE.get(t, f"a {t}") for t in types)
        raise Invalid(path, f"expected {wanted}, got {_kind(value)} {show(value)}")
    if "const" in node and not _same(value, node["const"]):
        raise Invalid(path, f"must be {show(node['const'])}, not {show(value)}")
    if "enum" in node and not any(_same(value, e) for e in node["enum"]):
        known = ", ".join("null" if e is None else str(e) for e in node["enum"])
        raise Invalid(path, f"{show(value)} is not one of {known}")
    if isinstance(value, str):
        _string(value, node, path)
    elif _TYPES["number"](value):
        if "minimum" in node and value < node["minimum"]:
            raise Invalid(path, f"{show(value)} is below the minimum {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            raise Invalid(path, f"{show(value)} is above the maximum {node['maximum']}")
    elif isinstance(value, dict):
        _object(value, node, path)
    elif isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            _check(item, node["items"], f"{path}[{i}]")


def _string(value: str, node: dict[str, Any], path: str) -> None:
    if _SURROGATE.search(value):
        raise Invalid(path, f"{show(value)} holds a lone surrogate (not Unicode text)")
    pattern = node.get("pattern")
    if pattern is not None and not _search(pattern, value):
        raise Invalid(path, f"{show(value)} does not match {pattern}")
    fmt = node.get("format")
    if fmt is not None:
        problem = _FORMATS[fmt](value)
        if problem:
            raise Invalid(path, f"{show(value)} {problem}")


def _object(value: dict[str, Any], node: dict[str, Any], path: str) -> None:
    props = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        if _SURROGATE.search(key):
            raise Invalid(path, f"key {show(key)} holds a lone surrogate")
        where = f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) \
            else f"{path}[{show(key)}]"
        if key in props:
            _check(item, props[key], where)
        elif extra is False:
            raise Invalid(path, f"unknown key {show(key)}")
        elif isinstance(extra, dict):
            _check(item, extra, where)
    missing = [k for k in node.get("required", ()) if k not in value]
    if missing:
        raise Invalid(path, f"missing {', '.join(missing)}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262: '$' does not match before a final newline.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _search(pattern: str, value: str) -> bool:
    return _compiled(pattern).search(value) is not None


def _date_time(value: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "is not an ISO 8601 date and time"
    return None if parsed.tzinfo is not None else "has no UTC offset"


def _ipv4(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "is not an IPv4 address"
    return None


def _ipv4_network(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value)
    except ValueError as e:
        return f"is not an IPv4 network ({show(str(e), 80)[1:-1]})"
    return None


def _ipv6(value: str) -> str | None:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return "is not an IPv6 address"
    return None


_FORMATS: dict[str, Callable[[str], str | None]] = {
    "date-time": _date_time,
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "ipv4-network": _ipv4_network,
}
