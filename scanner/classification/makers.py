"""A maker's own name where a device writes its name: a maker-only guess.

Devices often begin what they say with their maker's name ("SHARP MX-M363N Ver 01.05 FTP
server.", "Grandstream GXW-4008 V1.5A Command Shell", "Welcome to the Cisco TelePresence
..."). For every maker of fingerprints/vendors.txt, spelt as its devices write it
(fingerprints/maker_spellings.txt, case-sensitive), this reads the name as a whole word at
such a position only: the start of an HTTP title, Server header, SNMP sysDescr or DHCP
vendor class, the start of a line of a Telnet or FTP greeting, the software part of an SSH
greeting. It names the maker, never a role, and ranks below every rule that knows the
device and below nmap's database.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from scanner.classification.fingerprints import RuleError, fingerprint_dir
from scanner.model import Reason

CONFIDENCE = 0.45
RULE = "maker-name"

_WELCOME = r"(?:Welcome to (?:the )?)?"
_LINE = r"(?:^|[\r\n])[\s\x00]*"
# field -> (what may stand before the name, what must follow it); the name is a whole word
POSITIONS = {
    "http_title": (r"^\s*" + _WELCOME, r"(?![\w&])"),
    "http_server": (r"^", r"(?![\w&])"),
    "snmp_sysdescr": (r"^\s*", r"(?![\w&])"),
    "dhcp_vendor_class": (r"^", r"(?![\w&])"),
    # a model or prompt follows the name in a greeting: "SHARP MX-M363N", "Ruijie login:"
    "telnet_banner": (_LINE + _WELCOME, r"(?=[ \t_-]+\w)"),
    "ftp_banner": (_LINE + r"(?:220[ -])?\s*" + _WELCOME, r"(?=[ \t_-]+\w)"),
    "ssh_banner": (r"^(?:SSH-[12]\.[0-9]+-)?", r"(?=[-_ ]|$)"),
}


def load_spellings(directory: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Maker -> the spellings its devices write; a maker listed with "-" is never guessed
    from its name (software makers, generic words). Makers not listed: the vocabulary's
    own spelling."""
    directory = directory or fingerprint_dir()
    vocab = [ln.strip() for ln in (directory / "vendors.txt").read_text(encoding="utf-8")
             .splitlines() if ln.strip() and not ln.startswith("#")]
    out: dict[str, tuple[str, ...]] = {m: (m,) for m in vocab}
    path = directory / "maker_spellings.txt"
    if not path.is_file():  # without its exclusions, names of software makers would count
        return {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        maker, sep, rest = line.partition(":")
        maker = maker.strip()
        if not sep or maker not in out:
            raise RuleError(f"{path.name}:{n}: want '<maker of vendors.txt>: spelling, ...'")
        words = tuple(w.strip() for w in rest.split(",") if w.strip())
        out[maker] = () if words == ("-",) else words
    out = {m: s for m, s in out.items() if s}
    owner: dict[str, str] = {}
    for maker, words in out.items():
        for w in words:
            if owner.setdefault(w, maker) != maker:
                raise RuleError(f"{path.name}: {w!r} is claimed by {owner[w]} and {maker}")
    return out


@cache
def cached_spellings(directory: Path) -> dict[str, tuple[str, ...]]:
    """load_spellings, once per directory: rule loading checks the file, the guess uses it."""
    return load_spellings(directory)


@cache
def _patterns() -> dict[str, tuple[re.Pattern[str], dict[str, str]]]:
    spellings = cached_spellings(fingerprint_dir())
    by_word = {w: m for m, words in spellings.items() for w in words}
    # longest first, so that "Konica Minolta" is tried before a shorter name
    names = "|".join(re.escape(w) for w in sorted(by_word, key=len, reverse=True))
    return {field: (re.compile(f"{before}(?P<name>{names}){after}"), by_word)
            for field, (before, after) in POSITIONS.items()}


def maker_reasons(evidence: list[tuple[str, str]]) -> list[Reason]:
    """One reason per piece of evidence that begins with a maker's name."""
    out = []
    patterns = _patterns()
    for field, value in evidence:
        hit = patterns.get(field)
        if hit is None:
            continue
        m = hit[0].search(value[:1024])
        if m:
            out.append(Reason(f"{RULE}:{m.group('name')}", field, value[:200],
                              (("vendor", hit[1][m.group("name")]),), CONFIDENCE))
    return out
