"""Command line: parse, call the library, print. Exit 0 clean, 1 findings >= --fail-on, 2 error.

Imports of the heavy parts (scapy, nmap, jinja2, rich) happen inside the commands so that
``praxisscan --help`` starts fast.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from scanner import __version__
from scanner.cli import fleet as cli_fleet, knowledge as cli_knowledge
from scanner.cli.output import (EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, crash_log, emit,
                                exit_for, fritzbox_login, output_file,
                                store_in_history, write_private)
from scanner.cli.watch import cmd_schedule, cmd_watch, cmd_wlan, notify_arguments
from scanner.errors import PraxisscanError, Terminated, UsageError
from scanner.vocabulary import Lang, Severity
from scanner.ports import Profile
from scanner.render import Format
from scanner.practice_size import SIZES

if TYPE_CHECKING:
    from scanner.model import Reason

# The choices of the options, from the enums they become (argparse shows them in --help).
SEVERITIES = (*(s.value for s in Severity), "none")
LANGS = tuple(lang.value for lang in Lang)
PROFILES = tuple(p.value for p in Profile)
FORMATS = tuple(f.value for f in Format)
FORMATS_NO_CSV = tuple(f.value for f in Format if f is not Format.CSV)  # no host inventory
DIFF_FORMATS = ("terminal", "json", "html")  # what cmd_diff renders (its own renderers)


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error every other failure has (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="praxisscan",
        description="Network exposure scanner for German medical practices. "
                    "Scans only what you name (or, with --yes, the networks of this machine's "
                    "interfaces); --plan shows what would be sent without sending anything.",
    )
    p.add_argument("--version", action="version", version=f"praxisscan {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("scan", help="scan the practice network")
    s.add_argument("targets", nargs="*", metavar="TARGET",
                   help="CIDR, range (192.168.178.10-20) or host; none: the interfaces' networks")
    s.add_argument("--interface", "-i", help="network interface to scan from")
    s.add_argument("--site", type=Path, help="site file with the practice's allowlist")
    s.add_argument("--profile", choices=PROFILES, default="quick",
                   help="quick: practice port list; standard: + nmap's top 1000; deep: all TCP")
    s.add_argument("--format", "-f", choices=FORMATS, default="terminal")
    s.add_argument("--output", "-o", type=output_file, help="write the report here instead of stdout")
    s.add_argument("--lang", choices=LANGS, default="de", help="report language")
    s.add_argument("--yes", "-y", action="store_true",
                   help="confirm scanning the detected networks without asking")
    s.add_argument("--plan", action="store_true",
                   help="print what would be sent, send nothing")
    s.add_argument("--allow-public", action="store_true",
                   help="allow public (non-RFC 1918) targets")
    s.add_argument("--allow-large", action="store_true", help="allow more than a /16")
    s.add_argument("--no-ipv6", dest="ipv6", action="store_false",
                   help="IPv4 only: no IPv6 discovery and no IPv6 pass")
    s.add_argument("--fail-on", choices=SEVERITIES, default="high",
                   help="exit 1 when a finding has at least this severity (default: high)")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    s.add_argument("--max-time", type=_budget, metavar="SECONDS",
                   help="time budget: stop after this long and report what was learned "
                        "(marked incomplete)")
    s.add_argument("--no-history", action="store_true",
                   help="do not store the scan in the history (see: praxisscan history)")
    s.add_argument("--fritzbox-user", metavar="USER",
                   help="read the FRITZ!Box settings over TR-064 as this user; the password "
                        "comes from $PRAXISSCAN_FRITZBOX_PASSWORD (never the command line)")
    # One retry by default, as arp-scan and nmap do: a who-has or its answer lost on a busy
    # link would otherwise hide a host for the whole scan; it costs one frame per silent address.
    s.add_argument("--arp-retries", type=int, choices=range(0, 4), default=1, metavar="N",
                   help="ask silent addresses again N times (default 1; more for lossy WLAN)")
    s.add_argument("--listen", type=_listen_seconds, default=6.0, metavar="SECONDS",
                   help="listen at least this long for DHCP, mDNS, SSDP, NetBIOS (default 6)")

    lab = sub.add_parser("lab", help="the simulated practice network (needs root)")
    lab.add_argument("action", choices=("up", "down", "status"))
    lab.add_argument("--size", type=int, default=0, metavar="N",
                     help="up: also N benchmark hosts in 10.64.0.0/22 (0-1000), scanned from "
                          "the namespace pxlab-sscan")

    fp = sub.add_parser("fingerprints", help="the device fingerprint rules")
    fp_sub = fp.add_subparsers(dest="fp_action", metavar="ACTION", required=True)
    fp_sub.add_parser("test", help="run every rule's examples, print what fails")
    m = fp_sub.add_parser("match", help="classify one observation, e.g. "
                                        "'ssh_banner SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10'")
    m.add_argument("field", help="evidence kind (the rule file's field), e.g. mac_vendor")
    m.add_argument("value")
    m.add_argument("--json", action="store_true")

    oui = sub.add_parser("oui", help="the offline MAC vendor tables")
    oui_sub = oui.add_subparsers(dest="oui_action", metavar="ACTION", required=True)
    up = oui_sub.add_parser("update", help="install a fresh IEEE CSV (oui.csv, mam.csv, oui36.csv)")
    up.add_argument("file", type=Path)

    b = sub.add_parser("baseline", help="draft a site file (praxis.toml) from a scan")
    b.add_argument("scan", type=Path, help="a scan written with --format json")
    b.add_argument("--output", "-o", type=output_file, required=True)
    b.add_argument("--name", default="Praxis", help="the practice's name")
    b.add_argument("--size", choices=tuple(SIZES),
                   default="praxis", help="practice size: which KBV Anlagen apply")

    ex = sub.add_parser("external", help="outside-in check of the practice's public address "
                                         "(run from outside the practice)")
    ex.add_argument("address", nargs="?",
                    help="the practice's public IPv4 or IPv6 address (may be left out with "
                         "--inside: then only the devices' IPv6 addresses are checked)")
    ex.add_argument("--inside", type=Path, help="the inside scan (JSON) to tie results to")
    ex.add_argument("--site", type=Path)
    ex.add_argument("--interface", "-i")
    ex.add_argument("--format", "-f", choices=FORMATS_NO_CSV, default="terminal")
    ex.add_argument("--output", "-o", type=output_file)
    ex.add_argument("--lang", choices=LANGS, default="de")
    ex.add_argument("--plan", action="store_true", help="print what would be sent, send nothing")
    ex.add_argument("--fail-on", choices=SEVERITIES, default="high")

    wl = sub.add_parser("wlan", help="WLAN audit: live (iw as root, nmcli without) or from a "
                        "monitor-mode capture")
    src = wl.add_mutually_exclusive_group()
    src.add_argument("--capture", type=Path, metavar="PCAP",
                     help="read beacons from a monitor-mode capture (pcap/pcapng); no radio needed")
    src.add_argument("--from-iw", type=Path, metavar="FILE",
                     help="read saved output of 'iw dev IF scan'")
    src.add_argument("--from-nmcli", type=Path, metavar="FILE",
                     help="read saved output of " + "'nmcli -t -e yes -f " + ",".join(
                         ("BSSID", "SSID", "SSID-HEX", "CHAN", "FREQ", "SIGNAL", "SECURITY",
                          "WPA-FLAGS", "RSN-FLAGS")) + " device wifi list'")
    wl.add_argument("--interface", "-i", help="WLAN interface for a live scan, e.g. wlan0")
    wl.add_argument("--tool", choices=("auto", "iw", "nmcli"), default="auto",
                    help="live scan tool (auto: iw as root, nmcli otherwise)")
    wl.add_argument("--site", type=Path, help="site file with the practice's WLANs")
    wl.add_argument("--into", type=Path, metavar="SCAN",
                    help="add the WLAN audit to this scan (JSON) and report both together")
    wl.add_argument("--format", "-f", choices=FORMATS_NO_CSV, default="terminal")
    wl.add_argument("--output", "-o", type=output_file)
    wl.add_argument("--lang", choices=LANGS, default="de")
    wl.add_argument("--fail-on", choices=SEVERITIES, default="high")

    wa = sub.add_parser("watch", help="scheduled run: scan the site file's networks, store, "
                        "compare with the last run, notify when something new appears")
    wa.add_argument("targets", nargs="*", metavar="TARGET",
                    help="networks to scan (default: the site file's [[network]] entries)")
    wa.add_argument("--site", type=Path, required=True)
    wa.add_argument("--interface", "-i")
    wa.add_argument("--profile", choices=PROFILES, default="quick")
    wa.add_argument("--lang", choices=LANGS, default="de")
    wa.add_argument("--report-dir", type=Path, help="also write each run's HTML report here")
    wa.add_argument("--fritzbox-user", metavar="USER",
                    help="read the FRITZ!Box settings (password in $PRAXISSCAN_FRITZBOX_PASSWORD)")
    notify_arguments(wa)
    cli_fleet.push_arguments(wa)

    sc = sub.add_parser("schedule", help="install or remove the weekly scan (systemd timer)")
    sc_sub = sc.add_subparsers(dest="schedule_command", required=True)
    si = sc_sub.add_parser("install", help="write praxisscan-watch.service and .timer")
    si.add_argument("--site", type=Path, required=True)
    si.add_argument("--weekly", action="store_true", required=True,
                    help="once a week (the only rhythm offered: a practice network changes slowly)")
    si.add_argument("--at", default="Mon 07:30", help="weekday and time, e.g. 'Mon 07:30' (default)")
    si.add_argument("--interface", "-i")
    si.add_argument("--profile", choices=PROFILES, default="quick")
    si.add_argument("--lang", choices=LANGS, default="de")
    si.add_argument("--report-dir", type=Path)
    si.add_argument("--fritzbox-user", metavar="USER")
    si.add_argument("--unit-dir", type=Path, help=argparse.SUPPRESS)  # tests: write elsewhere
    notify_arguments(si)
    cli_fleet.push_arguments(si)
    sr = sc_sub.add_parser("remove", help="disable the timer and delete its units")
    sr.add_argument("--unit-dir", type=Path, help=argparse.SUPPRESS)

    rp = sub.add_parser("report", help="render a stored scan again (optionally against a "
                                       "site file)")
    rp.add_argument("scan", type=Path, help="a scan written with --format json")
    rp.add_argument("--site", type=Path, help="evaluate the rules again with this site file")
    rp.add_argument("--format", "-f", choices=FORMATS,
                    default="terminal")
    rp.add_argument("--output", "-o", type=output_file)
    rp.add_argument("--lang", choices=LANGS, default="de")
    rp.add_argument("--fail-on", choices=SEVERITIES, default="high")

    sub.add_parser("history", help="list the stored scans")
    sh = sub.add_parser("show", help="render a stored scan")
    sh.add_argument("id", type=_scan_id)
    sh.add_argument("--format", "-f", choices=FORMATS, default="terminal")
    sh.add_argument("--output", "-o", type=output_file)
    sh.add_argument("--lang", choices=LANGS, default="de")

    df = sub.add_parser("diff", help="what changed between two scans (exit 1: changes)")
    df.add_argument("old", nargs="?", help="scan file or history id")
    df.add_argument("new", nargs="?", help="scan file or history id")
    df.add_argument("--last", action="store_true", help="the last two scans in the history")
    df.add_argument("--format", "-f", choices=DIFF_FORMATS, default="terminal")
    df.add_argument("--output", "-o", type=output_file, help="write the diff here instead of stdout")
    df.add_argument("--lang", choices=LANGS, default="de")
    df.add_argument("--quiet", "-q", action="store_true", help="print nothing when nothing changed")

    rl = sub.add_parser("rules", help="the exposure rules")
    rl_sub = rl.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    rl_sub.add_parser("catalog", help="print the findings catalog (Markdown)")
    cli_knowledge.add_parser(sub)
    cli_fleet.add_parsers(sub)

    d = sub.add_parser("demo", help="build the lab practice, scan it, write the report, remove it")
    d.add_argument("--output-dir", type=Path, default=Path("praxisscan-demo"))
    d.add_argument("--lang", choices=LANGS, default="de")
    d.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return {"scan": cmd_scan, "lab": cmd_lab, "demo": cmd_demo,
                "fingerprints": cmd_fingerprints, "oui": cmd_oui, "baseline": cmd_baseline,
                "rules": cmd_rules, "external": cmd_external, "wlan": cmd_wlan,
                "watch": cmd_watch, "schedule": cmd_schedule,
                "report": cmd_report, "history": cmd_history, "show": cmd_show,
                "diff": cmd_diff, "knowledge": cli_knowledge.cmd_knowledge,
                **cli_fleet.COMMANDS}[args.command](args)
    except PraxisscanError as e:
        print(f"praxisscan: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as e:
        why = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        print(f"praxisscan: {why}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (praxisscan ... | head): nothing left to tell it.
        _silence_stdout()
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - no traceback reaches the user; exit 2, not 1
        where = crash_log(e, argv if argv is not None else sys.argv[1:])
        print(f"praxisscan: internal error: {type(e).__name__}: {str(e)[:200]}"
              + (f" (details: {where})" if where else ""), file=sys.stderr)
        return EXIT_ERROR
    finally:
        _stop_children()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    # Once: the partial scan must still be written when the service manager repeats itself.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _stop_children() -> None:
    nmap = sys.modules.get("scanner.portscan.nmap_scan")  # never imported: nothing started
    if nmap is not None:
        nmap.stop_all()


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# -- scan ---------------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace) -> int:
    from scanner.pipeline import require_root, run_scan
    from scanner.plan import make_plan
    from scanner.ports import Profile
    from scanner.render import Format, render

    from scanner.site import load_site

    site = load_site(args.site) if args.site else None
    plan = make_plan(args.targets, interface=args.interface, profile=Profile(args.profile),
                     allow_public=args.allow_public, allow_large=args.allow_large,
                     arp_rounds=1 + args.arp_retries, ipv6=args.ipv6)
    from scanner.policy import load_policy

    policy = load_policy().with_overrides(site.policy) if site else None
    if args.plan:
        print("\n".join(plan.describe(policy)))
        return EXIT_OK
    if plan.detected and not args.yes:
        _confirm(plan.describe(policy))
    require_root()
    from scanner.observer import NullObserver
    from scanner.pipeline import ScanOptions

    login = fritzbox_login(args)
    observer = NullObserver() if args.quiet else _rich_observer()
    scan = run_scan(plan, observer, options=ScanOptions(listen_seconds=args.listen,
                                                        max_time=args.max_time,
                                                        fritzbox_login=login), site=site)
    color = args.output is None and args.format == "terminal" and sys.stdout.isatty()
    report = render(scan, Format(args.format), args.lang, color=color, site=site)
    emit(report, args.output)  # the report first: a broken history must not lose the scan
    if not args.no_history:
        store_in_history(scan)
    if not scan.complete:
        where = args.output or "stdout"
        print(f"praxisscan: scan incomplete, partial results written to {where} "
              "(see not_tested)", file=sys.stderr)
        return EXIT_ERROR
    return exit_for(scan, args.fail_on)


def _seconds(text: str, low: float, high: float, *, low_inclusive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number of seconds: {text!r}")
    if value < low or (value == low and not low_inclusive) or value > high:
        bound = ">=" if low_inclusive else ">"
        raise argparse.ArgumentTypeError(f"{text}: must be {bound} {low:g} and <= {high:g} seconds")
    return value


def _budget(text: str) -> float:
    # 0 or nan used to mean "no budget" silently: a budget is a positive number.
    return _seconds(text, 0, 7 * 24 * 3600, low_inclusive=False)


def _listen_seconds(text: str) -> float:
    return _seconds(text, 0, 3600, low_inclusive=True)


def _scan_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"not a scan id: {text!r} (see: praxisscan history)")
    return int(text)


def _confirm(plan_lines: list[str]) -> None:
    if not sys.stdin.isatty():
        raise UsageError("no target given: the networks were detected from the interfaces. "
                         "Check them with --plan, then confirm with --yes or name the targets")
    print("\n".join(plan_lines), file=sys.stderr)
    answer = input("Diese Netze scannen? / Scan these networks? [y/N] ")
    if answer.strip().lower() not in ("y", "yes", "j", "ja"):
        raise UsageError("not confirmed: nothing was sent")


def _rich_observer():
    from scanner.cli.progress import RichObserver

    return RichObserver()


# -- lab and demo -------------------------------------------------------------------------


def _lab():
    from scanner.lab.lab import Lab

    return Lab(progress=lambda msg: print(f"lab: {msg}", file=sys.stderr))


def cmd_lab(args: argparse.Namespace) -> int:
    from scanner.lab.demo import LAB_SUBNET

    lab = _lab()
    if args.action == "up":
        lab.up(args.size)
        print(f"The lab practice is up. Scan it from its scanner namespace, e.g.:\n"
              f"  {' '.join(lab.scanner_command(['praxisscan', 'scan', LAB_SUBNET, '-i', 'eth0']))}")
        return EXIT_OK
    if args.action == "down":
        lab.down()
        print("The lab practice is down; nothing of it is left.")
        return EXIT_OK
    status = lab.status()
    if not status.namespaces:
        print("The lab practice is not running.")
        return EXIT_FINDINGS
    for h in status.hosts:
        state = "ready" if h.ready else "NOT READY"
        missing = [f"tcp/{p}" for p in h.tcp_missing] + [f"udp/{p}" for p in h.udp_missing]
        print(f"{h.name:<12} {h.ip:<16} {state}" + (f" (not listening: {', '.join(missing)})"
                                                     if missing else ""))
    return EXIT_OK if status.up else EXIT_FINDINGS


def cmd_demo(args: argparse.Namespace) -> int:
    from scanner.jsonio import load_file
    from scanner.lab.demo import run_demo
    from scanner.lab.lab import LAB_SITE_FILE
    from scanner.render import Format, render
    from scanner.site import load_site

    out: Path = args.output_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--output-dir {out}: {e.strerror or e}") from None
    json_path = run_demo(_lab(), out / "scan.json", args.keep_lab,
                         progress=lambda msg: print(msg, file=sys.stderr))
    scan = load_file(json_path)
    html_path = out / "report.html"
    write_private(html_path, render(scan, Format.HTML, args.lang, site=load_site(LAB_SITE_FILE)))
    sys.stdout.write(render(scan, Format.TERMINAL, args.lang, color=sys.stdout.isatty()))
    print(f"\nReport: {html_path.resolve()}\nScan (JSON): {json_path}")
    return EXIT_OK


# -- fingerprints and OUI data --------------------------------------------------------------


def cmd_fingerprints(args: argparse.Namespace) -> int:
    import json

    from scanner.classification.fingerprints import RuleError, check_examples, load_rules

    try:
        files = load_rules()
    except (RuleError, ValueError) as e:
        raise UsageError(f"fingerprint rules: {e}") from None
    if args.fp_action == "test":
        problems = check_examples(files)
        for p in problems:
            print(p)
        rules = sum(len(f.rules) for f in files)
        examples = sum(len(r.examples) for f in files for r in f.rules)
        print(f"{rules} rules in {len(files)} files, {examples} examples: "
              + (f"{len(problems)} problems" if problems else "all hold"))
        return EXIT_FINDINGS if problems else EXIT_OK
    from scanner.classification.classify import match_value
    from scanner.text import clean

    fields = sorted({f.field for f in files})
    if args.field not in fields:
        raise UsageError(f"unknown field {args.field!r}; fields: {', '.join(fields)}")
    reasons = match_value(args.field, args.value) + _nmap_verdict(args.field, args.value)
    if args.json:
        print(json.dumps([{"rule": r.rule, "confidence": r.confidence,
                           "attributes": dict(r.attributes)} for r in reasons], indent=2))
    elif not reasons:
        print("no rule matches")
    for r in reasons if not args.json else ():
        attrs = ", ".join(f"{k}={clean(v, 80)}" for k, v in r.attributes)
        print(f"{r.rule} (confidence {r.confidence:g}): {attrs}")
    return EXIT_OK if reasons else EXIT_FINDINGS


def _nmap_verdict(field: str, value: str) -> list[Reason]:
    """What nmap's NULL lines make of a greeting, as a scan's banner probe would ask them."""
    from scanner.classification.classify import nmap_reasons
    from scanner.probes.nmap_match import greeting_observation

    o = greeting_observation(field, value)
    return nmap_reasons((o,)) if o else []


def cmd_oui(args: argparse.Namespace) -> int:
    from scanner.classification.oui import install_ieee_csv

    try:
        registry, count, target = install_ieee_csv(args.file)
    except FileNotFoundError:
        raise UsageError(f"{args.file}: no such file") from None
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(f"installed {count} {registry} entries as {target}; lookups prefer it over the "
          "system copy")
    return EXIT_OK


def cmd_baseline(args: argparse.Namespace) -> int:
    from scanner.baseline import draft_site
    from scanner.jsonio import load_file
    from scanner.site import load_site

    if args.output is None:
        raise UsageError("baseline writes a site file: name it with --output FILE")
    scan = load_file(args.scan)
    if args.output.exists():
        raise UsageError(f"{args.output} exists: baseline never overwrites a site file")
    write_private(args.output, draft_site(scan, args.name, args.size))
    load_site(args.output)  # the draft must itself be a valid site file
    print(f"Draft site file written to {args.output}: review every device before using it "
          "with --site.")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from scanner.rules.catalog_doc import catalog_markdown

    sys.stdout.write(catalog_markdown())
    return EXIT_OK


def cmd_external(args: argparse.Namespace) -> int:
    import dataclasses

    from scanner import external
    from scanner.jsonio import load_file
    from scanner.pipeline import require_root
    from scanner.rules.engine import apply_rules
    from scanner.render import Format, render
    from scanner.site import load_site

    if not args.address and not args.inside:
        raise UsageError("external needs the practice's public address, or --inside SCAN.json "
                         "to check its devices' IPv6 addresses")
    address = external.public_address(args.address) if args.address else None
    inside = load_file(args.inside) if args.inside else None
    if args.plan:
        print("\n".join(external.describe(address, inside)))
        return EXIT_OK
    site = load_site(args.site) if args.site else None
    require_root()
    reached = external.check(address, inside, args.interface) if address else []
    if inside and not (address and ":" in address):
        reached += external.check_inside_ipv6(inside, args.interface)
    scan = external.merge(address or "", inside, reached)
    scan = dataclasses.replace(scan, not_tested=scan.not_tested + external.gaps(address, inside))
    scan = apply_rules(scan, site)
    color = args.output is None and args.format == "terminal" and sys.stdout.isatty()
    emit(render(scan, Format(args.format), args.lang, color=color, site=site), args.output)
    return exit_for(scan, args.fail_on)


def cmd_report(args: argparse.Namespace) -> int:
    from scanner.jsonio import load_file
    from scanner.render import Format, render
    from scanner.site import load_site

    scan = load_file(args.scan)
    site = load_site(args.site) if args.site else None
    if site:
        from scanner.rules.engine import apply_rules

        scan = apply_rules(scan, site)
    color = args.output is None and args.format == "terminal" and sys.stdout.isatty()
    emit(render(scan, Format(args.format), args.lang, color=color, site=site), args.output)
    return exit_for(scan, args.fail_on)


# -- history and diff -----------------------------------------------------------------------


def cmd_history(args: argparse.Namespace) -> int:
    from scanner.monitor.history import History

    h = History.reader()
    entries = h.entries()
    if not entries:
        print(f"no scans stored yet ({h.path})")
    from scanner.text import clean

    for e in entries:
        state = "" if e.complete else "  UNVOLLSTÄNDIG/incomplete"
        # the scope and times come from stored scans, which may come from anywhere
        print(f"{e.id:>5}  {clean(str(e.started_at)[:19])}  {clean(e.scope, 200):<20} {e.hosts:>4} hosts "
              f"{e.findings:>4} findings{state}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from scanner.monitor.history import History
    from scanner.render import Format, render

    scan = History.reader().get(args.id)
    color = args.output is None and args.format == "terminal" and sys.stdout.isatty()
    emit(render(scan, Format(args.format), args.lang, color=color), args.output)
    return EXIT_OK


def _load_scan(ref: str):  # noqa: ANN202
    from scanner.monitor.history import History
    from scanner.jsonio import load_file

    if ref.isascii() and ref.isdigit() and not Path(ref).exists():
        return History.reader().get(int(ref))
    return load_file(Path(ref))


def cmd_diff(args: argparse.Namespace) -> int:
    from scanner.monitor.diff import diff
    from scanner.render.diff_text import (render_diff_html, render_diff_json, render_diff_text,
                                          scan_label)

    if args.last:
        from scanner.monitor.history import History

        old, new = History.reader().last(2)
    elif args.old and args.new:
        old, new = _load_scan(args.old), _load_scan(args.new)
    else:
        raise UsageError("diff needs OLD and NEW (files or history ids) or --last")
    d = diff(old, new)
    if d.empty and args.quiet:
        return EXIT_OK
    if args.format == "json":
        text = render_diff_json(d)
    elif args.format == "html":
        text = render_diff_html(d, args.lang, scan_label(old), scan_label(new))
    else:
        text = render_diff_text(d, args.lang)
    emit(text, args.output)
    return EXIT_OK if d.empty else EXIT_FINDINGS
