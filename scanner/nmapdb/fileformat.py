"""The ``nmap-service-probes`` file format, parsed into plain data (no regex is compiled here).

Grammar as nmap reads it (service_scan.cc, and the "nmap-service-probes File Format" chapter
of the Nmap book): a line is a comment (``#``), blank, or a directive. ``Probe <TCP|UDP>
<name> q<d>payload<d> [no-payload]`` opens a probe; ``match``/``softmatch <service>
m<d>regex<d>[is] [templates]`` belong to the probe above them; ``ports``, ``sslports``,
``rarity``, ``fallback``, ``totalwaitms``, ``tcpwrappedms`` describe it; ``Exclude`` stands
before the first probe. A delimiter is any character and is never escaped inside its field:
nmap looks for the next occurrence of it, and so do we. Templates are ``p v i h o d`` plus
``cpe:``, each ``<mode><d>text<d>[flags]``.

nmap stops at the first bad line; a scanner must not, so a line we cannot read becomes a
counted note (``file:line: why``) and the rest of the file is still used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEMPLATE_MODES = ("p", "v", "i", "h", "o", "d")


@dataclass(frozen=True)
class MatchLine:
    line: int
    service: str
    soft: bool
    pattern: bytes  # the PCRE source as bytes (the file is read as latin-1)
    ignore_case: bool
    dot_all: bool
    templates: tuple[tuple[str, str], ...]  # ("p", "vsftpd"), ("v", "$1") ...
    cpes: tuple[str, ...]  # "a:vsftpd:vsftpd:$1" (without "cpe:/")


@dataclass
class Probe:
    protocol: str  # "TCP" or "UDP"
    name: str
    payload: bytes
    line: int
    fallback: tuple[str, ...] = ()
    ports: str = ""
    sslports: str = ""
    rarity: int | None = None
    matches: list[MatchLine] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedFile:
    probes: tuple[Probe, ...]
    notes: tuple[str, ...]  # lines we skipped, "nmap-service-probes:123: why"
    exclude: str = ""


class LineError(ValueError):
    pass


def parse(text: str, source: str = "nmap-service-probes") -> ParsedFile:
    probes: list[Probe] = []
    notes: list[str] = []
    exclude = ""
    current: Probe | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        try:
            word, _, rest = line.partition(" ")
            if word == "Probe":
                current = _probe(rest, lineno)
                probes.append(current)
            elif word == "Exclude":
                exclude = rest.strip()
            elif current is None:
                raise LineError(f"{word!r} before the first Probe")
            elif word in ("match", "softmatch"):
                current.matches.append(_match(rest, lineno, soft=word == "softmatch"))
            elif word == "fallback":
                current.fallback = tuple(n.strip() for n in rest.split(",") if n.strip())
            elif word == "ports":
                current.ports = rest.strip()
            elif word == "sslports":
                current.sslports = rest.strip()
            elif word == "rarity":
                current.rarity = int(rest)
            elif word in ("totalwaitms", "tcpwrappedms"):
                int(rest)  # timing of probes we never send: checked, not kept
            else:
                raise LineError(f"unknown directive {word[:40]!r}")
        except (LineError, ValueError) as e:
            notes.append(f"{source}:{lineno}: {e}")
    return ParsedFile(tuple(probes), tuple(notes), exclude)


def _probe(rest: str, lineno: int) -> Probe:
    protocol, _, rest = rest.partition(" ")
    if protocol not in ("TCP", "UDP"):
        raise LineError(f"probe protocol {protocol[:10]!r} is neither TCP nor UDP")
    name, _, rest = rest.partition(" ")
    if not name or not name[0].isalnum():
        raise LineError("bad probe name")
    if len(rest) < 2 or rest[0] != "q":
        raise LineError("probe string must begin with 'q'")
    delim = rest[1]
    end = rest.find(delim, 2)
    if end < 0:
        raise LineError("no closing delimiter for the probe string")
    return Probe(protocol, name, unescape(rest[2:end]), lineno)


def _match(rest: str, lineno: int, soft: bool) -> MatchLine:
    service, sep, rest = rest.partition(" ")
    if not sep or not service:
        raise LineError("no service name")
    fields = list(_fields(rest))
    if not fields or fields[0][0] != "m":
        raise LineError("the pattern must begin with 'm'")
    _, pattern, flags = fields[0]
    if set(flags) - {"i", "s"}:
        raise LineError(f"unknown regex option {flags!r}")
    templates: dict[str, str] = {}
    cpes: list[str] = []
    for mode, text, _flags in fields[1:]:
        if mode == "cpe:":
            cpes.append(text)
        elif mode in TEMPLATE_MODES:
            templates[mode] = text  # a repeated field replaces the earlier one, as in nmap
        else:
            raise LineError(f"unknown template {mode!r}")
    return MatchLine(lineno, service, soft, pattern.encode("latin-1"), "i" in flags,
                     "s" in flags, tuple(templates.items()), tuple(cpes))


def _fields(text: str):
    """``m|re|i p/x/ cpe:/a:b:c/a`` -> ("m", "re", "i"), ("p", "x", ""), ("cpe:", "a:b:c", "a")."""
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        if text.startswith("cpe:", i):
            mode, i = "cpe:", i + 4
        else:
            mode, i = text[i], i + 1
        if i >= n:
            raise LineError(f"template {mode!r} has no delimiter")
        delim = text[i]
        end = text.find(delim, i + 1)
        if end < 0:
            raise LineError(f"template {mode!r} has no closing {delim!r}")
        body = text[i + 1:end]
        i = end + 1
        start = i
        while i < n and text[i].isalpha():
            i += 1
        yield mode, body, text[start:i]


_SIMPLE_ESCAPES = {"\\": 0x5C, "0": 0, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9,
                   "v": 11, '"': 0x22, "'": 0x27}


def unescape(s: str) -> bytes:
    """C-style escapes as nmap's cstring_unescape reads them (probe strings, $SUBST args)."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
            continue
        if i + 1 >= len(s):
            raise LineError("string ends in a backslash")
        e = s[i + 1]
        if e == "x":
            digits = s[i + 2:i + 4]
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise LineError(f"bad \\x escape {s[i:i + 4]!r}")
            out.append(int(digits, 16))
            i += 4
        elif e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        else:
            raise LineError(f"unknown escape \\{e}")
    return bytes(out)
