"""Which match lines can possibly match a response, decided before any regex runs.

Running all ~4,000 NULL-probe (or ~4,800 GetRequest) regexes against every response costs
milliseconds per response. Most lines name literal text that any match must contain
(``220 (vsFTPd``, ``Server: nginx/``). For each line we pick one 4-byte piece of such a
required literal (the piece fewest lines share); a response is tried only against lines
whose piece occurs in it, plus the lines without a usable literal. The selection is sound:
a literal is "required" only when it sits in the pattern's top-level sequence, or inside a
group or a repetition of at least one, never inside an alternative or an optional part.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

try:  # the parser of the re module: internal, so its absence only disables the prefilter
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python versions
    _parser = None

GRAM = 4


def required_literals(pattern: bytes, flags: int) -> list[bytes]:
    """Byte strings every match of ``pattern`` contains; [] when unsure."""
    if _parser is None:
        return []
    try:
        parsed = _parser.parse(pattern, flags)
    except (re.error, RecursionError, TypeError, ValueError):
        return []
    found: list[bytes] = []
    _walk(parsed, found)
    return found


def _walk(items: Iterable[tuple[object, Any]], found: list[bytes]) -> None:
    run = bytearray()

    def flush() -> None:
        if run:
            found.append(bytes(run))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL:
            run.append(av)
        elif op is _c.AT:
            continue  # an anchor consumes nothing: literals around it stay adjacent
        elif op is _c.SUBPATTERN:
            flush()
            _group, add_flags, del_flags, sub = av
            if not add_flags and not del_flags:  # scoped flags change what a literal means
                _walk(sub, found)
        elif op is _c.ATOMIC_GROUP:
            flush()
            _walk(av, found)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            flush()
            low, _high, sub = av
            if low >= 1:
                _walk(sub, found)
        else:
            flush()
    flush()


class Index:
    """Line positions grouped by one required 4-byte piece, in file order within a group."""

    def __init__(self, literals: list[list[bytes]], ignore_case: list[bool]) -> None:
        grams: list[set[bytes]] = []
        for lits, icase in zip(literals, ignore_case, strict=True):
            pieces: set[bytes] = set()
            for lit in lits:
                lit = lit.lower() if icase else lit
                pieces.update(lit[k:k + GRAM] for k in range(len(lit) - GRAM + 1))
            grams.append(pieces)
        shared = Counter(g for pieces in grams for g in pieces)
        self.always: list[int] = []
        self.exact: dict[bytes, list[int]] = {}
        self.folded: dict[bytes, list[int]] = {}
        for pos, (pieces, icase) in enumerate(zip(grams, ignore_case, strict=True)):
            if not pieces:
                self.always.append(pos)
                continue
            key = min(pieces, key=lambda g: (shared[g], g))
            (self.folded if icase else self.exact).setdefault(key, []).append(pos)

    def candidates(self, data: bytes) -> list[int]:
        found = list(self.always)
        if self.exact:
            present = {data[k:k + GRAM] for k in range(len(data) - GRAM + 1)}
            for key in present & self.exact.keys():
                found += self.exact[key]
        if self.folded:
            low = data.lower()
            present = {low[k:k + GRAM] for k in range(len(low) - GRAM + 1)}
            for key in present & self.folded.keys():
                found += self.folded[key]
        found.sort()
        return found
