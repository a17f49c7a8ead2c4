"""Version-info templates: ``$1`` and the helpers ``$P()``, ``$SUBST()``, ``$I()``.

Semantics follow nmap's service_scan.cc (dotmplsubst/substvar) and the Nmap book:

- ``$1`` ... ``$9``: the bytes the group captured (one digit only: ``$10`` is ``$1`` + "0").
- ``$P(n)``: group n with every byte that is not printable ASCII (C ``isprint``) dropped, so
  UTF-16 ``W\\0O\\0R\\0K\\0`` reads ``WORK``.
- ``$SUBST(n,"from","to")``: group n with every occurrence of ``from`` replaced by ``to``
  (C escapes allowed in both strings).
- ``$I(n,">")`` / ``$I(n,"<")``: group n (at most 8 bytes) read as an unsigned big- or
  little-endian integer, written in decimal.
- Trailing white space and commas are cut from the result. A template nmap cannot fill (an
  unknown helper, a group that does not exist, a result longer than nmap's field) leaves
  the field empty, as nmap does; it never raises.

For CPE templates, what a variable inserts is made safe for a CPE URL (lower case, spaces to
``_``, the reserved characters of CPE 2.2 section 5.4 as ``%XX``); the literal text stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import cast

from scanner.nmapdb.fileformat import LineError, unescape

# nmap's static buffers (testMatch): a longer result is dropped there, so here too.
FIELD_LIMITS = {"p": 80, "v": 80, "i": 256, "h": 80, "o": 32, "d": 32, "cpe": 80}

Groups = Sequence[bytes | None]  # index 0 is the whole match

_CPE_RESERVED = set(":/?#[]@!$&'()*+,;=%<>\"")


def fill(template: str, groups: Groups, limit: int,
         transform: Callable[[str], str] | None = None) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        try:
            value, i = _variable(template, j, groups)
        except LineError:
            return ""
        out.append(transform(value) if transform else value)
    result = "".join(out)
    while result and (result[-1].isspace() or result[-1] == ","):
        result = result[:-1]
    return result if len(result) < limit else ""


def transform_cpe(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _CPE_RESERVED else "_" if ch == " " else ch.lower()
                   for ch in value)


def _variable(t: str, j: int, groups: Groups) -> tuple[str, int]:
    """The text for the variable at t[j] == "$", and the index after it."""
    if j + 1 < len(t) and t[j + 1].isdigit():
        return _group(groups, int(t[j + 1])).decode("latin-1"), j + 2
    open_ = t.find("(", j)
    command = t[j + 1:open_] if open_ > 0 else ""
    if not command.isalpha() or len(command) >= 16:
        raise LineError("not a variable")
    args, end = _arguments(t, open_ + 1)
    if command == "P" and _shape(args, int):
        data = _group(groups, cast(int, args[0]))
        return bytes(b for b in data if 0x20 <= b <= 0x7E).decode("ascii"), end
    if command == "SUBST" and _shape(args, int, bytes, bytes):
        data = _group(groups, cast(int, args[0]))
        return (data.replace(cast(bytes, args[1]), cast(bytes, args[2])) if args[1] else data).decode("latin-1"), end
    if command == "I" and _shape(args, int, bytes) and args[1] in (b">", b"<"):
        data = _group(groups, cast(int, args[0]))
        if len(data) > 8:
            raise LineError("$I() of more than 8 bytes")
        return str(int.from_bytes(data, "big" if args[1] == b">" else "little")), end
    raise LineError(f"unknown or malformed ${command}()")


def _group(groups: Groups, n: int) -> bytes:
    if not 1 <= n <= 9 or n >= len(groups):
        raise LineError(f"no group {n}")
    return groups[n] or b""


def _shape(args: list[int | bytes], *types: type) -> bool:
    return len(args) == len(types) and all(isinstance(a, t) for a, t in zip(args, types, strict=True))


_INT = re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+)\s*")


def _arguments(t: str, i: int) -> tuple[list[int | bytes], int]:
    """``1,"_",".")`` -> [1, b"_", b"."] and the index after ")"."""
    args: list[int | bytes] = []
    while i < len(t):
        while i < len(t) and t[i].isspace():
            i += 1
        if i >= len(t):
            break
        if t[i] == ")":
            return args, i + 1
        if t[i] == '"':
            k = i + 1
            while k < len(t) and not (t[k] == '"' and t[k - 1] != "\\"):
                k += 1
            if k >= len(t):
                raise LineError("unterminated string argument")
            args.append(unescape(t[i + 1:k]))
            i = k + 1
        else:
            m = _INT.match(t, i)
            if not m:
                raise LineError("bad argument")
            args.append(int(m.group(1), 0))
            i = m.end()
        while i < len(t) and t[i].isspace():
            i += 1
        if i < len(t) and t[i] == ",":
            i += 1
    raise LineError("unterminated argument list")
