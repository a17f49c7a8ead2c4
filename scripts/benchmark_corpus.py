#!/usr/bin/env python3
"""Classification quality on a labelled corpus of real device strings.

Run from the checkout:  .venv/bin/python scripts/benchmark_corpus.py [--misses]
The corpus is tests/data/corpus/*.tsv (its README names the source of every file): one
string a line with the role and maker a person expects. Each string becomes the one piece
of evidence of a host (an FTP greeting, an HTTP title, an SNMP sysDescr ...) and goes
through the classifier as a scan's observation would. Reported, for each part:

  right role   share of the strings labelled with a role that get that role
  right maker  share of the strings naming a maker that get that maker
  wrong        share of all strings given a role or maker other than the label's
               (a string labelled "-" has no expected answer: any answer is not wrong,
               an answer is still counted as coverage)

The parts keep the figures honest:
  seen      files named <kind>.tsv (the rules of session 3 were written from them) and
            <kind>.<source>.seen.tsv (a table the rules were written from as a whole)
  dev       files named <kind>.<source>.tsv, lines whose hash puts them in the part a
            rule writer may read (``--misses`` lists their misses)
  held-out  the same files' other lines (one in three, by a hash of the string fixed
            before any rule was written): never listed, only counted. This is the figure
            that estimates how the rules do on strings nobody tuned them for.

Values may hold \\r, \\n, \\t, \\xNN and \\\\ escapes (telnet greetings span lines).
No network is used. nmap's database is not consulted unless ``--nmap`` is given: it reads
raw responses, which the corpus does not hold. With ``--nmap`` each greeting is rebuilt as a
server sends it (FTP's "220 " reply code and SSH's "SSH-2.0-" where recog's examples leave
them out, a CR LF at the end) and matched against nmap's NULL probe, as a scan's banner probe
does (scanner/probes/banners.py); titles, Server headers and the rest stay our rules' alone.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.classification.classify import classify  # noqa: E402
from scanner.model import Host, Observation, Source  # noqa: E402
from scanner.probes.nmap_match import greeting_observation  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PARTS = ("seen", "dev", "held-out")

# corpus kind (file name up to the first dot) -> (observation kind, fixed pairs, key)
KINDS = {
    "ftp_banner": ("banner", (("protocol", "ftp"),), "text"),
    "ssh_banner": ("banner", (("protocol", "ssh"),), "text"),
    "telnet_banner": ("banner", (("protocol", "telnet"),), "text"),
    "http_title": ("http", (), "title"),
    "http_server": ("http", (), "server"),
    "http_wwwauth": ("http", (), "auth"),
    "snmp_sysdescr": ("snmp", (), "sys_descr"),
    "snmp_sysobjectid": ("snmp", (), "sys_object_id"),
    "dhcp_vendor_class": ("dhcp", (), "vendor_class"),
    "mdns_model": ("mdns-service", (("type", "_device-info._tcp"),), "txt.model"),
    "ssdp_server": ("ssdp", (), "server"),
    "upnp_device": ("upnp-device", (), "manufacturer"),
    "tls_subject": ("tls", (), "subject"),
    "smtp_banner": ("smtp", (), "greeting"),
    "pop3_banner": ("pop3", (), "greeting"),
}

# The kinds of evidence issue 14's independent corpus holds (greetings, HTTP Server headers
# and titles, sysDescr, DHCP vendor classes, mDNS models): its figures are compared with this
# subset as well as with the whole part.
ISSUE_KINDS = frozenset({"ftp_banner", "ssh_banner", "telnet_banner", "http_title", "http_server",
                         "snmp_sysdescr", "dhcp_vendor_class", "mdns_model"})

_ESCAPE = re.compile(r"\\(r|n|t|\\|x[0-9a-fA-F]{2})")


def unescape(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        return {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}.get(s) or chr(int(s[1:], 16))
    return _ESCAPE.sub(one, value)


def part_of(path: Path, value: str) -> str:
    if "." not in path.stem or path.stem.endswith(".seen"):
        return "seen"
    return "held-out" if hashlib.sha256(value.encode()).digest()[0] % 3 == 0 else "dev"


def load(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 4:
            raise SystemExit(f"{path.name}:{n}: want 4 tab-separated columns, got {len(cols)}")
        rows.append((cols[0], cols[1], cols[2]))
    return rows


def host_for(kind: str, value: str, nmap: bool = False) -> Host:
    obs_kind, fixed, key = KINDS[kind]
    text = unescape(value)
    observations = [Observation(Source.PROBE, obs_kind, (*fixed, (key, text)), T0)]
    verdict = greeting_observation(kind, text) if nmap else None
    if verdict is not None:
        observations.append(verdict)
    return Host(ip="192.0.2.1", observations=tuple(observations))


def same_maker(got: str | None, want: str) -> bool:
    return bool(got) and got.lower() == want.lower()


@dataclass
class Tally:
    total: int = 0
    roles: int = 0
    right_roles: int = 0
    makers: int = 0
    right_makers: int = 0
    wrong: int = 0
    answered: int = 0
    files: dict[str, list[int]] = field(default_factory=dict)  # name -> [n, roles, ok, wrong, makers, ok]


def by_kind(files: dict[str, list[int]]) -> dict[str, list[int]]:
    """Per kind of evidence: [roles, right roles, makers, right makers, wrong]."""
    kinds: dict[str, list[int]] = {}
    for name, (_, r, ok, bad, m, mok) in files.items():
        k = kinds.setdefault(name.split(".")[0], [0, 0, 0, 0, 0])
        for i, v in enumerate((r, ok, m, mok, bad)):
            k[i] += v
    return kinds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true",
                    help="list every miss and wrong answer of the seen and dev parts")
    ap.add_argument("--nmap", action="store_true",
                    help="also match greetings against nmap's service database, as a scan does")
    args = ap.parse_args()
    tallies = {p: Tally() for p in PARTS}
    hidden_misses = 0
    for path in sorted(CORPUS.glob("*.tsv")):
        kind = path.stem.split(".")[0]
        if kind not in KINDS:
            raise SystemExit(f"{path.name}: unknown kind {kind!r} (known: {sorted(KINDS)})")
        for value, role, maker in load(path):
            part = part_of(path, value)
            t = tallies[part]
            row = t.files.setdefault(path.name, [0, 0, 0, 0, 0, 0])
            h = classify(host_for(kind, value, args.nmap))
            got_role = h.role.value if h.role.value != "unknown" else None
            t.total += 1
            row[0] += 1
            t.answered += bool(got_role or h.vendor)
            bad = False
            if role != "-":
                t.roles += 1
                row[1] += 1
                if got_role == role:
                    t.right_roles += 1
                    row[2] += 1
                elif got_role:
                    bad = True
            if maker != "-":
                t.makers += 1
                row[4] += 1
                if same_maker(h.vendor, maker):
                    t.right_makers += 1
                    row[5] += 1
                elif h.vendor:
                    bad = True
            t.wrong += bad
            row[3] += bad
            missed = bad or (role != "-" and got_role != role) or (
                maker != "-" and not same_maker(h.vendor, maker))
            if missed and part == "held-out":
                hidden_misses += 1
            elif missed and args.misses:
                tag = "WRONG" if bad else "miss "
                print(f"{tag} {path.name:30} {value[:64]!r:68} want {role}/{maker} "
                      f"got {got_role}/{h.vendor}")
    pct = lambda a, b: f"{100 * a / b:5.1f} %" if b else "  n/a"  # noqa: E731
    n = sum(t.total for t in tallies.values())
    print(f"corpus: {n} strings in {len(list(CORPUS.glob('*.tsv')))} files "
          f"({CORPUS.relative_to(ROOT)})")
    for part in PARTS:
        t = tallies[part]
        print(f"\n{part}: {t.total} strings")
        for name, (k, r, ok, bad, m, mok) in sorted(t.files.items()):
            print(f"  {name:32} {k:4} strings, right role {ok:3}/{r:<3}, "
                  f"right maker {mok:3}/{m:<3}, wrong {bad}")
        kinds = by_kind(t.files)
        for kind, (r, ok, m, mok, bad) in sorted(kinds.items()):
            mark = "*" if kind in ISSUE_KINDS else " "
            print(f"  {mark} {kind:30} right role {pct(ok, r)} ({ok}/{r}), "
                  f"right maker {pct(mok, m)} ({mok}/{m}), wrong {bad}")
        sub = [v for k, v in kinds.items() if k in ISSUE_KINDS]
        r, ok, m, mok = (sum(v[i] for v in sub) for i in range(4))
        print(f"  * the kinds the independent corpus holds: right role {pct(ok, r)} ({ok}/{r}), "
              f"right maker {pct(mok, m)} ({mok}/{m})")
        print(f"  right role:  {pct(t.right_roles, t.roles)} ({t.right_roles} of {t.roles} "
              "labelled with a role)")
        print(f"  right maker: {pct(t.right_makers, t.makers)} ({t.right_makers} of {t.makers} "
              "naming a maker)")
        print(f"  wrong:       {pct(t.wrong, t.total)} ({t.wrong} of {t.total})")
        print(f"  answered:    {pct(t.answered, t.total)} (a role or a maker at all)")
    if hidden_misses:
        print(f"\n(held-out misses are counted, never listed: {hidden_misses})")


if __name__ == "__main__":
    main()
