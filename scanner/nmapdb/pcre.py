"""PCRE (as nmap compiles it: no UTF-8, options CASELESS/DOTALL only) to Python ``re`` on bytes.

Python 3.11 takes almost all of nmap's patterns unchanged, including possessive quantifiers
and atomic groups. What remains differs in meaning, not in syntax, so it is rewritten here
rather than left to fail silently:

- ``\\Z`` in PCRE also matches before a final newline; Python's ``\\Z`` is PCRE's ``\\z``.
- ``\\h \\H \\v \\V \\R`` are PCRE classes (``\\v`` is a single character in Python).
- ``\\e`` is ESC; ``[:alpha:]`` POSIX classes exist only inside PCRE brackets.
- ``(?<name>...)`` and ``(?'name'...)`` are PCRE names for ``(?P<name>...)``.
- ``{,n}`` is a literal in PCRE 8 and a quantifier in Python.

Constructs with no Python equivalent (``\\G \\K \\Q...\\E \\C \\X``, callouts, recursion,
conditionals on names) raise :class:`Untranslatable`; the caller skips that line with a note.
"""

from __future__ import annotations

import re


class Untranslatable(ValueError):
    pass


_H = rb"[\t \xa0]"
_V = rb"[\n\x0b\x0c\r\x85]"
_ESCAPES_OUTSIDE = {
    b"Z": rb"(?=\n?\Z)", b"z": rb"\Z", b"e": rb"\x1b",
    b"h": _H, b"H": rb"[^\t \xa0]", b"v": _V, b"V": rb"[^\n\x0b\x0c\r\x85]",
    b"R": rb"(?:\r\n|[\n\x0b\x0c\r\x85])",
}
_ESCAPES_IN_CLASS = {b"e": rb"\x1b", b"h": rb"\t \xa0", b"v": rb"\n\x0b\x0c\r\x85"}
_UNSUPPORTED = set(b"GKQECX")
_POSIX = {
    b"alpha": rb"a-zA-Z", b"digit": rb"0-9", b"alnum": rb"a-zA-Z0-9", b"upper": rb"A-Z",
    b"lower": rb"a-z", b"space": rb"\t\n\x0b\x0c\r ", b"blank": rb"\t ",
    b"punct": rb"!-/:-@\[-`{-~", b"xdigit": rb"0-9A-Fa-f", b"word": rb"\w",
    b"print": rb" -~", b"graph": rb"!-~", b"cntrl": rb"\x00-\x1f\x7f", b"ascii": rb"\x00-\x7f",
}
_POSIX_RE = re.compile(rb"\[:(\^?)([a-z]+):\]")


def translate(pattern: bytes) -> bytes:
    out = bytearray()
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i:i + 1]
        if c == b"\\":
            e = pattern[i + 1:i + 2]
            if not e:
                raise Untranslatable("pattern ends in a backslash")
            table = _ESCAPES_IN_CLASS if in_class else _ESCAPES_OUTSIDE
            if e in table:
                out += table[e]
            elif e[0] in _UNSUPPORTED:
                raise Untranslatable(f"PCRE escape \\{e.decode('latin-1')} has no Python form")
            elif in_class and e in (b"H", b"V", b"R"):
                raise Untranslatable(f"\\{e.decode()} inside a character class")
            else:
                out += c + e
            i += 2
            continue
        if in_class:
            if c == b"[":
                m = _POSIX_RE.match(pattern, i)
                if m:
                    if m.group(1) or m.group(2) not in _POSIX:
                        raise Untranslatable("negated or unknown POSIX class")
                    out += _POSIX[m.group(2)]
                    i = m.end()
                    continue
                out += rb"\["  # a literal bracket in PCRE; Python warns of nested sets
                i += 1
                continue
            if c == b"]":
                in_class = False
            out += c
            i += 1
            continue
        if c == b"[":
            in_class = True
            out += c
            i += 1
            if pattern[i:i + 1] == b"^":
                out += b"^"
                i += 1
            if pattern[i:i + 1] == b"]":  # a leading ] is a literal in both dialects
                out += rb"\]"
                i += 1
            continue
        if c == b"(" and pattern[i + 1:i + 2] == b"?":
            i = _group_opening(pattern, i, out)
            continue
        if c == b"{" and pattern[i + 1:i + 2] == b",":
            out += rb"\{"
            i += 1
            continue
        out += c
        i += 1
    if in_class:
        raise Untranslatable("unterminated character class")
    return bytes(out)


def _group_opening(pattern: bytes, i: int, out: bytearray) -> int:
    rest = pattern[i + 2:i + 3]
    if rest == b"<" and pattern[i + 3:i + 4] not in (b"=", b"!"):
        out += b"(?P<"
        return i + 3
    if rest == b"'":
        end = pattern.find(b"'", i + 3)
        if end < 0:
            raise Untranslatable("unterminated group name")
        out += b"(?P<" + pattern[i + 3:end] + b">"
        return end + 1
    if rest in (b"R", b"&", b"C", b"|") or rest.isdigit() or pattern[i + 2:i + 4] == b"P>":
        raise Untranslatable("recursion, callouts or branch reset")
    out += b"(?"
    return i + 2
