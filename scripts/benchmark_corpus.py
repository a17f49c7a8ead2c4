#!/usr/bin/env python3
"""Classification quality on a labelled corpus of real device strings.

Run from the checkout:  .venv/bin/python scripts/benchmark_corpus.py [--misses]
The corpus is tests/data/corpus/*.tsv (its README names the source of every file): one
string a line with the role and maker a person expects. Each string becomes the one piece
of evidence of a host (an FTP greeting, an HTTP title, an SNMP sysDescr ...) and goes
through the classifier as a scan's observation would. Reported:

  right role   share of the strings labelled with a role that get that role
  right maker  share of the strings naming a maker that get that maker
  wrong        share of all strings given a role or maker other than the label's
               (a string labelled "-" has no expected answer: any answer is not wrong,
               an answer is still counted as coverage)

No network is used; nmap's database is not consulted (it reads raw responses, which the
corpus does not hold).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.classification.classify import classify  # noqa: E402
from scanner.model import Host, Observation, Source  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

# corpus file -> (observation kind, fixed pairs, key that carries the string)
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
}


def load(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        value, role, maker, _source = line.split("\t")
        rows.append((value, role, maker))
    return rows


def host_for(kind: str, value: str) -> Host:
    obs_kind, fixed, key = KINDS[kind]
    return Host(ip="192.0.2.1", observations=(
        Observation(Source.PROBE, obs_kind, (*fixed, (key, value)), T0),))


def same_maker(got: str | None, want: str) -> bool:
    return bool(got) and got.lower() == want.lower()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="list every miss and wrong answer")
    args = ap.parse_args()
    total = roles = right_roles = makers = right_makers = wrong = answered = 0
    per_file = []
    for path in sorted(CORPUS.glob("*.tsv")):
        kind = path.stem
        rows = load(path)
        f_roles = f_right = f_wrong = 0
        for value, role, maker in rows:
            h = classify(host_for(kind, value))
            got_role = h.role.value if h.role.value != "unknown" else None
            total += 1
            answered += bool(got_role or h.vendor)
            bad = False
            if role != "-":
                roles += 1
                f_roles += 1
                if got_role == role:
                    right_roles += 1
                    f_right += 1
                elif got_role:
                    bad = True
            if maker != "-":
                makers += 1
                if same_maker(h.vendor, maker):
                    right_makers += 1
                elif h.vendor:
                    bad = True
            wrong += bad
            f_wrong += bad
            if args.misses and (bad or (role != "-" and got_role != role)
                                or (maker != "-" and not same_maker(h.vendor, maker))):
                tag = "WRONG" if bad else "miss "
                print(f"{tag} {kind:18} {value[:70]!r:74} want {role}/{maker} "
                      f"got {got_role}/{h.vendor}")
        per_file.append((kind, len(rows), f_roles, f_right, f_wrong))
    print(f"corpus: {total} strings in {len(per_file)} files ({CORPUS.relative_to(ROOT)})")
    for kind, n, r, ok, bad in per_file:
        print(f"  {kind:18} {n:4} strings, right role {ok}/{r}, wrong {bad}")
    pct = lambda a, b: f"{100 * a / b:.1f} %" if b else "n/a"  # noqa: E731
    print(f"right role:  {pct(right_roles, roles)} ({right_roles} of {roles} labelled with a role)")
    print(f"right maker: {pct(right_makers, makers)} ({right_makers} of {makers} naming a maker)")
    print(f"wrong:       {pct(wrong, total)} ({wrong} of {total})")
    print(f"answered:    {pct(answered, total)} (a role or a maker at all)")


if __name__ == "__main__":
    main()
