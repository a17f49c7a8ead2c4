"""The version knowledge: which product versions are end-of-life or known to be exploited.

The packaged file (``scanner/rules/versions.toml``) carries its date. ``praxisscan knowledge
update FILE`` installs a newer one into the state directory; it is used instead of the
packaged file while it is valid and newer. Trust model: the update is a file the operator
fetched from the project together with ``FILE.sha256`` (``sha256sum`` format). The checksum
proves the download is complete and unaltered relative to that checksum, not who wrote it;
the trust lies in where both came from. On top, the file must parse, carry a supported
schema version, be newer than what is in use, and every entry's own examples must pass
against the version parsers: a file that contradicts itself is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from scanner import versions
from scanner.errors import PraxisscanError
from scanner.model import KnowledgeStamp
from scanner.state import state_dir
from scanner.versions import Version

PACKAGED = Path(__file__).parent / "rules" / "versions.toml"
INSTALLED_NAME = "versions.toml"
SCHEMA = 1
# "exploited": known to be exploited (a CISA KEV listing or the vendor's advisory says so);
# "exploit-public": a working exploit is published, but no such listing exists. The two are
# separate findings, so "known exploited" never claims more than its source says.
KINDS = ("eol", "exploited", "exploit-public")
_KNOWN_EXPLOITED = re.compile(r"CISA KEV|Known Exploited Vulnerabilities|vendor advisory",
                              re.IGNORECASE)
_DENIED = re.compile(r"\bnot (?:in|a|listed)\b[^.;]*KEV", re.IGNORECASE)


class KnowledgeError(PraxisscanError):
    """The version knowledge file is unusable (file:line or entry named)."""


@dataclass(frozen=True)
class Range:
    at_least: Version | None  # inclusive lower bound
    below: Version | None  # exclusive upper bound


@dataclass(frozen=True)
class Backport:
    distro: str
    fixed: str  # the distribution's package revision that carries the fix, e.g. "2+deb12u3"
    source: str


@dataclass(frozen=True)
class Entry:
    id: str
    product: str
    kind: str  # "eol" or "exploited"
    title: str
    source: str
    affected: tuple[Range, ...]  # empty: every version (an end-of-life model or build)
    models: tuple[str, ...] = ()  # exact model names it applies to (FRITZ!Box 7580)
    since: date | None = None  # the vendor's last day of updates; later days are end-of-life
    cve: str = ""
    fixed: str = ""  # first fixed upstream version
    exploitation: str = ""  # why "known exploited": KEV entry, published exploit
    update: str = ""  # the update path, for the finding's evidence
    require: str = ""  # regex the raw announcement must match (e.g. a portable OpenSSH)
    backports: tuple[Backport, ...] = ()
    # regexes on the OS name praxisscan reports (Host.os) when no build was announced,
    # e.g. "Windows 7 / Server 2008 R2" from an IIS 7.5 Server header
    os_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    scheme: str


@dataclass(frozen=True)
class Knowledge:
    date: date
    schema: int
    path: Path
    origin: str  # "packaged" or "installed"
    sha256: str
    products: dict[str, Product]
    entries: tuple[Entry, ...]

    def for_product(self, product: str) -> list[Entry]:
        return [e for e in self.entries if e.product == product]

    def stamp(self) -> KnowledgeStamp:
        """What a scan records of the knowledge it was judged with."""
        return KnowledgeStamp(self.date, self.origin, self.sha256, len(self.entries))

    def summary(self) -> str:
        return (f"version knowledge of {self.date.isoformat()} ({self.origin}, "
                f"{len(self.entries)} entries, sha256 {self.sha256[:12]})")


def load(path: Path, origin: str = "packaged") -> Knowledge:
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise KnowledgeError(f"{path}: not a valid TOML file ({e})") from None
    head = doc.get("knowledge", {})
    if head.get("schema") != SCHEMA:
        raise KnowledgeError(f"{path}: schema {head.get('schema')!r} is not supported "
                             f"(this praxisscan reads schema {SCHEMA})")
    if not isinstance(head.get("date"), date):
        raise KnowledgeError(f"{path}: [knowledge] date missing (e.g. date = 2026-12-01)")
    products = {}
    for p in doc.get("product", []):
        if p.get("scheme") not in versions.SCHEMES:
            raise KnowledgeError(f"{path}: product {p.get('id')!r}: unknown scheme {p.get('scheme')!r}")
        products[p["id"]] = Product(p["id"], p.get("name", p["id"]), p["scheme"])
    entries = tuple(_entry(path, products, e) for e in doc.get("entry", []))
    return Knowledge(head["date"], SCHEMA, path, origin, hashlib.sha256(raw).hexdigest(),
                     products, entries)


def _entry(path: Path, products: dict[str, Product], e: dict) -> Entry:
    where = f"{path}: entry {e.get('id')!r}"
    for key in ("id", "product", "kind", "title", "source"):
        if not e.get(key):
            raise KnowledgeError(f"{where}: '{key}' missing")
    if e["product"] not in products:
        raise KnowledgeError(f"{where}: unknown product {e['product']!r}")
    if e["kind"] not in KINDS:
        raise KnowledgeError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if e["kind"] in ("exploited", "exploit-public") and not (
            e.get("cve") and e.get("fixed") and e.get("exploitation")):
        raise KnowledgeError(f"{where}: an '{e['kind']}' entry needs cve, fixed and exploitation")
    if e["kind"] == "exploited" and (not _KNOWN_EXPLOITED.search(e["exploitation"])
                                     or _DENIED.search(e["exploitation"])):
        raise KnowledgeError(f"{where}: 'exploited' promises known exploitation: its exploitation "
                             "must name the CISA KEV listing or the vendor advisory (a published "
                             "exploit alone is kind 'exploit-public')")
    for pattern in e.get("os_names", ()):
        try:
            re.compile(pattern)
        except re.error as err:
            raise KnowledgeError(f"{where}: os_names {pattern!r} is not a regex ({err})") from None
    if e["kind"] == "eol" and not (e.get("since") or e.get("models") or e.get("affected")):
        raise KnowledgeError(f"{where}: an 'eol' entry needs since, models or affected")
    scheme = products[e["product"]].scheme

    def bound(text: str | None) -> Version | None:
        if text is None:
            return None
        v = versions.parse(scheme, str(text))
        if v is None:
            raise KnowledgeError(f"{where}: {text!r} is not a {scheme} version")
        return v

    ranges = tuple(Range(bound(r.get("at_least")), bound(r.get("below")))
                   for r in e.get("affected", []))
    backports = tuple(Backport(b["distro"], b["fixed"], b["source"]) for b in e.get("backports", []))
    if not e.get("examples"):
        raise KnowledgeError(f"{where}: no examples (announced strings that match and that do not)")
    return Entry(e["id"], e["product"], e["kind"], e["title"], e["source"], ranges,
                 tuple(e.get("models", ())), e.get("since"), e.get("cve", ""),
                 e.get("fixed", ""), e.get("exploitation", ""), e.get("update", ""),
                 e.get("require", ""), backports, tuple(e.get("os_names", ())))


@dataclass(frozen=True)
class Verdict:
    """How one announcement stands against one entry."""

    entry: Entry
    applies: bool | None  # None: not decidable from what was announced
    why: str


def judge(k: Knowledge, entry: Entry, announced: str, model: str = "",
          today: date | None = None) -> Verdict:
    scheme = k.products[entry.product].scheme
    if entry.models and not model.strip():
        return Verdict(entry, None, "model not announced")
    if entry.models and model.strip().lower() not in {m.lower() for m in entry.models}:
        return Verdict(entry, False, "other model")
    if entry.since and today and today <= entry.since:  # the vendor's last day counts as supported
        return Verdict(entry, False, f"supported until {entry.since.isoformat()}")
    if not entry.affected:
        return Verdict(entry, True, "model or product line without updates")
    v = versions.parse(scheme, announced)
    if v is None:
        return Verdict(entry, None, f"no {scheme} version in {announced!r}")
    if entry.require and not re.search(entry.require, announced):
        return Verdict(entry, False, "variant not affected")
    hit: bool | None = False
    for r in entry.affected:
        lo = versions.compare(v, r.at_least) if r.at_least else 1
        hi = versions.compare(v, r.below) if r.below else -1
        if lo is None or hi is None:
            hit = None if hit is False else hit
            continue
        if lo >= 0 and hi < 0:
            hit = True
            break
    if hit is None:
        return Verdict(entry, None, f"{v} lacks the precision the entry needs")
    if not hit:
        return Verdict(entry, False, f"{v} outside the affected versions")
    if v.distro:
        return _backported(entry, v)
    return Verdict(entry, True, f"{v} is affected")


def judge_os_name(entry: Entry, os_name: str, today: date | None = None) -> Verdict:
    """An OS name without a build ("Windows 7 / Server 2008 R2") against an entry's os_names."""
    if not any(re.search(p, os_name) for p in entry.os_names):
        return Verdict(entry, False, f"{os_name!r} is not named by the entry")
    if entry.since and today and today <= entry.since:
        return Verdict(entry, False, f"supported until {entry.since.isoformat()}")
    return Verdict(entry, True, f"{os_name!r} is named by the entry")


def _backported(entry: Entry, v: Version) -> Verdict:
    """A distribution package keeps the upstream number and backports fixes: only a known
    fixed revision of that distribution decides; anything else is not decidable."""
    for b in entry.backports:
        if b.distro == v.distro:
            fixed = versions.debian_revision_at_least(v.patch, b.fixed)
            if fixed is True:
                return Verdict(entry, False, f"{v}: {v.distro} revision {v.patch} carries the fix "
                               f"(fixed in {b.fixed}, {b.source})")
            if fixed is False:
                return Verdict(entry, True, f"{v}: {v.distro} revision {v.patch} is older than "
                               f"the fixed {b.fixed} ({b.source})")
    return Verdict(entry, None, f"{v}: a {v.distro} package; whether it carries a backported fix "
                   "cannot be read from the version")


def check_examples(k: Knowledge) -> list[str]:
    """Every entry's examples against the parsers: the failures, as text."""
    failures = []
    doc = tomllib.loads(k.path.read_text(encoding="utf-8"))
    for raw in doc.get("entry", []):
        entry = next(e for e in k.entries if e.id == raw["id"])
        for ex in raw.get("examples", []):
            today = ex.get("today")
            if "os" in ex:  # an OS name without a build
                got = judge_os_name(entry, ex["os"], today)
            else:
                got = judge(k, entry, ex.get("value", ""), ex.get("model", ""), today)
            want = ex.get("match")
            want = None if want == "undecidable" else want
            if got.applies != want:
                failures.append(f"{entry.id}: {ex.get('value', ex.get('os'))!r} (model {ex.get('model', '')!r}) "
                                f"gave {got.applies} ({got.why}), expected {want}")
    return failures


def installed_path() -> Path:
    return state_dir() / INSTALLED_NAME


@cache
def current() -> Knowledge:
    """The installed file when it is valid and newer than the packaged one; else packaged."""
    packaged = load(PACKAGED)
    path = installed_path()
    if path.exists():
        try:
            mine = load(path, "installed")
        except (KnowledgeError, OSError, KeyError, TypeError):
            return packaged
        if mine.date > packaged.date and not check_examples(mine):
            return mine
    return packaged


def install(source: Path) -> Knowledge:
    """Verify ``source`` against ``source.sha256`` and install it; the installed Knowledge."""
    sums = source.with_name(source.name + ".sha256")
    if not source.is_file():
        raise KnowledgeError(f"{source}: no such file")
    if not sums.is_file():
        raise KnowledgeError(f"{sums}: checksum file missing (the project publishes FILE.sha256 "
                             "beside every knowledge file)")
    want = sums.read_text(encoding="utf-8", errors="replace").split()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if not want or want[0].lower() != digest:
        raise KnowledgeError(f"{sums}:1: SHA-256 does not match {source.name} "
                             f"(file has {digest[:16]}...)")
    new = load(source, "installed")
    failures = check_examples(new)
    if failures:
        raise KnowledgeError(f"{source}: {len(failures)} example(s) fail, e.g. {failures[0]}")
    in_use = current()
    if new.date <= in_use.date:
        raise KnowledgeError(f"{source}: dated {new.date.isoformat()}, not newer than the "
                             f"knowledge in use ({in_use.date.isoformat()}, {in_use.origin})")
    target = installed_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(source.read_bytes())
    os.replace(tmp, target)
    current.cache_clear()
    return load(target, "installed")


def stated_in(scan) -> tuple[date, str] | None:  # noqa: ANN001 - a scanner.model.Scan
    """The knowledge date and origin a scan was judged with; None for scans judged before
    version knowledge existed."""
    return (scan.knowledge.date, scan.knowledge.origin) if scan.knowledge else None


def age_days(scan) -> int | None:  # noqa: ANN001 - a scanner.model.Scan
    """How old the knowledge was on the day of the scan (negative: dated after the scan)."""
    k = scan.knowledge
    return (scan.started_at.date() - k.date).days if k else None
