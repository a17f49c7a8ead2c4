"""nmap's service database, matched against responses our own probes already received.

Nothing here sends a packet. ``match_response("NULL", greeting)`` asks which ``match`` line
of the NULL probe (what a server says first: FTP, SSH, Telnet, SMTP, POP3, VNC ...) fits;
``match_response("GetRequest", http_response)`` does the same for the answer to ``GET /``.
As nmap does, a probe's own lines are tried first, then the probes named in its
``fallback`` line, then (for TCP) the NULL probe's lines. The first hard ``match`` wins; a
``softmatch`` only names the service and the search goes on among later lines for that
service; if none hits, the softmatch is the answer.

The file is parsed on first use and each probe's lines are compiled on the first response
for that probe: importing this module costs nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from scanner.model import NotTested
from scanner.nmapdb.fileformat import MatchLine, ParsedFile, Probe, parse
from scanner.nmapdb.pcre import Untranslatable, translate
from scanner.nmapdb.prefilter import Index, required_literals
from scanner.nmapdb.templates import FIELD_LIMITS, fill, transform_cpe

FILENAME = "nmap-service-probes"
MAX_FILE = 32 * 1024 * 1024  # the real file is about 2.5 MB
# What of a response is matched. nmap's patterns look at a greeting or at the headers and
# the start of a page; the cap bounds the time a hostile response can cost.
MAX_RESPONSE = 16 * 1024
CHECK = "nmap-service-probes"


@dataclass(frozen=True)
class NmapMatch:
    service: str
    product: str
    version: str
    info: str
    hostname: str
    os: str
    device_type: str
    cpes: tuple[str, ...]
    line: int  # the match line in nmap-service-probes
    soft: bool
    probe: str  # the probe whose line matched ("NULL" also for a GetRequest fallback)

    @property
    def reason(self) -> str:
        return f"{CHECK}:{self.line}"


@dataclass(frozen=True)
class Unavailable:
    """The database could not be used; the scan reports the check as not tested."""

    reason: str

    def not_tested(self, host: str | None = None) -> NotTested:
        return NotTested(CHECK, self.reason, host)


@dataclass(frozen=True)
class _Compiled:
    line: MatchLine
    regex: re.Pattern[bytes]


class _CompiledProbe:
    def __init__(self, probe: Probe, notes: list[str], source: str) -> None:
        self.lines: list[_Compiled] = []
        literals: list[list[bytes]] = []
        icase: list[bool] = []
        for m in probe.matches:
            flags = (re.IGNORECASE if m.ignore_case else 0) | (re.DOTALL if m.dot_all else 0)
            try:
                pattern = translate(m.pattern)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # a FutureWarning means a changed meaning
                    regex = re.compile(pattern, flags)
            except (Untranslatable, re.error, FutureWarning, RecursionError, OverflowError) as e:
                notes.append(f"{source}:{m.line}: pattern skipped: {e}"[:300])
                continue
            self.lines.append(_Compiled(m, regex))
            literals.append(required_literals(pattern, flags))
            icase.append(m.ignore_case)
        self.index = Index(literals, icase)


class ServiceDatabase:
    def __init__(self, parsed: ParsedFile, path: Path) -> None:
        self.path = path
        self.parse_notes = parsed.notes
        self.compile_notes: list[str] = []
        self._probes = {(p.protocol, p.name): p for p in parsed.probes}
        self._compiled: dict[tuple[str, str], _CompiledProbe] = {}
        self._lock = threading.Lock()  # probes run in threads; compile each probe once
        self._kinds: dict[int, tuple[frozenset[str], str, frozenset[str]]] | None = None

    def device_types_of_product(self, line: int) -> frozenset[str]:
        """Every device type the file gives the product of match line ``line`` (by its
        ``p/`` template). Software that ships on many kinds of device (``p/GoAhead
        WebServer/`` is a WAP, a printer, a camera ...) names no kind of device by itself."""
        return self._device_types(line)[0]

    def device_types_of_os(self, line: int) -> tuple[str, frozenset[str]]:
        """The ``o/`` of match line ``line`` and every device type the file gives that OS
        (``o/IOS/``: switch, router, firewall)."""
        return self._device_types(line)[1:]

    def _device_types(self, line: int) -> tuple[frozenset[str], str, frozenset[str]]:
        with self._lock:
            if self._kinds is None:
                of_line: dict[int, tuple[str, str]] = {}
                kinds: dict[tuple[str, str], set[str]] = {}
                for probe in self._probes.values():
                    for m in probe.matches:
                        t = dict(m.templates)
                        of_line[m.line] = (t.get("p", ""), t.get("o", ""))
                        if "d" in t:
                            for key in (("p", t.get("p", "")), ("o", t.get("o", ""))):
                                if key[1]:
                                    kinds.setdefault(key, set()).add(t["d"])
                self._kinds = {n: (frozenset(kinds.get(("p", p), ())) if p else frozenset(), o,
                                   frozenset(kinds.get(("o", o), ())) if o else frozenset())
                               for n, (p, o) in of_line.items()}
            return self._kinds.get(line, (frozenset(), "", frozenset()))

    @property
    def match_lines(self) -> int:
        return sum(len(p.matches) for p in self._probes.values())

    def probe_names(self, protocol: str = "TCP") -> list[str]:
        return [name for proto, name in self._probes if proto == protocol]

    def compiled(self, probe: str, protocol: str = "TCP") -> int:
        """Compile a probe's lines now (else on first use); how many compiled."""
        got = self._compile(probe, protocol)
        return len(got.lines) if got else 0

    def match_response(self, probe: str, response: bytes,
                       protocol: str = "TCP") -> NmapMatch | None:
        data = bytes(response[:MAX_RESPONSE])
        if not data:
            return None
        soft: NmapMatch | None = None
        for name in self._chain(probe, protocol):
            compiled = self._compile(name, protocol)
            if compiled is None:
                continue
            for pos in compiled.index.candidates(data):
                c = compiled.lines[pos]
                if soft is not None and c.line.service != soft.service:
                    continue
                m = c.regex.search(data)
                if m is None:
                    continue
                found = _result(c.line, m, name)
                if not c.line.soft:
                    return found
                soft = soft or found
        return soft

    def _chain(self, probe: str, protocol: str) -> list[str]:
        first = self._probes.get((protocol, probe))
        if first is None:
            return []
        chain = [probe, *first.fallback]
        if protocol == "TCP":
            chain.append("NULL")
        return list(dict.fromkeys(n for n in chain if (protocol, n) in self._probes))

    def _compile(self, name: str, protocol: str) -> _CompiledProbe | None:
        key = (protocol, name)
        got = self._compiled.get(key)
        if got is not None or key not in self._probes:
            return got
        with self._lock:
            if key not in self._compiled:
                self._compiled[key] = _CompiledProbe(self._probes[key], self.compile_notes,
                                                     self.path.name)
            return self._compiled[key]


def _result(line: MatchLine, m: re.Match[bytes], probe: str) -> NmapMatch:
    groups = [m.group(0), *m.groups()]
    t = dict(line.templates)
    field = {mode: fill(t[mode], groups, FIELD_LIMITS[mode]) if mode in t else ""
             for mode in ("p", "v", "i", "h", "o", "d")}
    cpes = tuple(f"cpe:/{got}" for cpe in line.cpes
                 if (got := fill(cpe, groups, FIELD_LIMITS["cpe"], transform_cpe)))
    return NmapMatch(line.service, field["p"], field["v"], field["i"], field["h"], field["o"],
                     field["d"], cpes, line.line, line.soft, probe)


def candidate_paths(datadir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where nmap itself looks (nmap_fetchfile): ``--datadir``, ``$NMAPDIR``, ``~/.nmap``,
    then the data directory of the installed nmap. The current directory is left out: a
    file dropped there must not steer a scan."""
    dirs: list[Path] = []
    if datadir:
        dirs.append(Path(datadir))
    if os.environ.get("NMAPDIR"):
        dirs.append(Path(os.environ["NMAPDIR"]))
    dirs.append(Path.home() / ".nmap")
    exe = shutil.which("nmap")
    if exe:
        dirs.append(Path(exe).resolve().parent.parent / "share" / "nmap")
    dirs += [Path("/usr/share/nmap"), Path("/usr/local/share/nmap")]
    return [d / FILENAME for d in dict.fromkeys(dirs)]


def load(path: str | os.PathLike[str] | None = None, *,
         datadir: str | os.PathLike[str] | None = None) -> ServiceDatabase | Unavailable:
    """Read and parse the file; every failure is an :class:`Unavailable`, never an exception."""
    if path is None:
        found = [p for p in candidate_paths(datadir) if p.is_file()]
        if not found:
            return Unavailable(f"{FILENAME} not found (is nmap installed? looked in "
                               + ", ".join(str(p.parent) for p in candidate_paths(datadir))
                               + ")")
        path = found[0]
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE + 1)
    except OSError as e:
        return Unavailable(f"cannot read {path}: {e.strerror or e}")
    if len(raw) > MAX_FILE:
        return Unavailable(f"{path}: larger than {MAX_FILE // (1024 * 1024)} MB, "
                           "not an nmap-service-probes file")
    parsed = parse(raw.decode("latin-1"), path.name)
    if not any(p.name == "NULL" and p.protocol == "TCP" for p in parsed.probes) or \
            not any(p.matches for p in parsed.probes):
        first = f" (first problem: {parsed.notes[0]})" if parsed.notes else ""
        return Unavailable(f"{path}: no NULL probe or no match lines, "
                           f"not an nmap-service-probes file{first}")
    return ServiceDatabase(parsed, path)
