"""``praxisscan knowledge``: show, test and update the version knowledge file."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner.cli.output import EXIT_FINDINGS, EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    kn = sub.add_parser("knowledge", help="the version knowledge (end-of-life, exploited versions)")
    kn_sub = kn.add_subparsers(dest="knowledge_action", metavar="ACTION", required=True)
    kn_sub.add_parser("show", help="which knowledge file is in use, its date and products")
    kn_sub.add_parser("test", help="run every entry's examples, print what fails")
    up = kn_sub.add_parser("update", help="install a newer knowledge file (needs FILE.sha256 beside it)")
    up.add_argument("file", type=Path)


def cmd_knowledge(args: argparse.Namespace) -> int:
    from scanner import knowledge

    if args.knowledge_action == "update":
        k = knowledge.install(args.file)
        print(f"installed {k.summary()} as {k.path}; scans use it instead of the packaged file")
        return EXIT_OK
    k = knowledge.current()
    if args.knowledge_action == "test":
        failures = knowledge.check_examples(k)
        for f in failures:
            print(f)
        print(f"{len(k.entries)} entries, {len(failures)} failing example(s)")
        return EXIT_FINDINGS if failures else EXIT_OK
    print(f"{k.summary()}\nfile: {k.path}")
    for p in k.products.values():
        ids = [e.id for e in k.for_product(p.id)]
        print(f"  {p.name} ({p.scheme}): {len(ids)} entries")
    return EXIT_OK
