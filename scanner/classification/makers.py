"""A maker's own name where a device writes its name: a maker-only guess.

Devices often begin what they say with their maker's name ("SHARP MX-M363N Ver 01.05 FTP
server.", "Grandstream GXW-4008 V1.5A Command Shell", "Welcome to the Cisco TelePresence
..."). For every maker of fingerprints/vendors.txt, spelt as its devices write it
(fingerprints/maker_spellings.txt, case-sensitive), this reads the name as a whole word at
such a position only: the start of an HTTP title, Server header, realm, SNMP sysDescr, DHCP
vendor class, UPnP manufacturer or SSDP product, the start of a line of a Telnet or FTP greeting, the software part of an SSH
greeting, the organisation or common name of a TLS certificate's subject, and the holder of
a copyright notice in a sysDescr or greeting. A name in capitals counts as well. It names the maker, never a
role, and ranks below every rule that knows the device and below nmap's database.
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
# The holder of a copyright notice made the device ("Copyright (c) Cisco Systems, Inc.",
# "(c) Avaya Networks", "Copyright by Huawei Technologies"): anywhere in the text.
_COPYRIGHT = r"(?:Copyright|\([cC]\)|\xa9)[\s:]*(?:\([cC]\)\s*)?(?:[0-9]{4}(?:\s*[-,]\s*[0-9]{4})*[\s,.]*)?(?:by\s+)?"
# A name followed by a trademark sign ("BrightSign&reg;", "Room Alert®") is a whole word.
_END = r"(?:(?![\w&])|(?=&(?:reg|trade|#174|#8482);))"
# field -> (what may stand before the name, what must follow it); the name is a whole word
POSITIONS = {
    # (A title's part after a separator, "Login - Cisco DNA Center", names the maker too, but
    # named one right maker in the corpus' seen and dev titles: not worth a wrong one.)
    "http_title": (r"^\s*" + _WELCOME, _END),
    "http_server": (r"^", _END),
    "snmp_sysdescr": (r"(?:^\s*|" + _COPYRIGHT + ")", _END),
    "dhcp_vendor_class": (r"^", _END),
    # a realm, an SSDP server's product after "UPnP/1.0", a UPnP manufacturer
    "http_auth": (r'realm="\s*' + _WELCOME, _END),
    "ssdp_server": (r"(?:^|UPnP/[12]\.[0-9],? )", _END),
    "upnp_device": (r"^", _END),
    # a model or prompt follows the name in a greeting: "SHARP MX-M363N", "Ruijie login:"
    "telnet_banner": (r"(?:" + _LINE + _WELCOME + ")", r"(?=[ \t_-]+\w)"),
    "telnet_banner#copyright": (_COPYRIGHT, _END),
    "ftp_banner": (_LINE + r"(?:220[ -])?\s*" + _WELCOME, r"(?=[ \t_-]+\w)"),
    "ftp_banner#copyright": (_COPYRIGHT, _END),
    "ssh_banner": (r"^(?:SSH-[12]\.[0-9]+-)?", r"(?=[-_ ]|$)"),
    # a device's default certificate: its organisation or its name
    "tls_subject": (r"(?:^|, )(?:organizationName|commonName)=", _END),
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
def _patterns() -> dict[str, list[tuple[re.Pattern[str], dict[str, str]]]]:
    spellings = cached_spellings(fingerprint_dir())
    by_word = {w: m for m, words in spellings.items() for w in words}
    # Devices print their maker's name in capitals as often as in its own letters
    # ("POLYCOM", "CANON", "TRENDNET"): a name in capitals counts, unless another maker
    # claims that spelling.
    for maker, words in spellings.items():
        for w in words:
            if sum(c.isalpha() for c in w) >= 3:
                by_word.setdefault(w.upper(), maker)
    # longest first, so that "Konica Minolta" is tried before a shorter name
    names = "|".join(re.escape(w) for w in sorted(by_word, key=len, reverse=True))
    out: dict[str, list[tuple[re.Pattern[str], dict[str, str]]]] = {}
    for key, (before, after) in POSITIONS.items():
        out.setdefault(key.split("#")[0], []).append(
            (re.compile(f"{before}(?P<name>{names}){after}"), by_word))
    return out


def maker_reasons(evidence: list[tuple[str, str]]) -> list[Reason]:
    """One reason per piece of evidence that names a maker where devices name theirs."""
    out = []
    patterns = _patterns()
    for field, value in evidence:
        for pattern, by_word in patterns.get(field, ()):
            m = pattern.search(value[:1024])
            if m:
                out.append(Reason(f"{RULE}:{m.group('name')}", field, value[:200],
                                  (("vendor", by_word[m.group("name")]),), CONFIDENCE))
                break
    return out
