"""Commands of the WLAN audit and of the weekly scan: wlan, watch, schedule."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.cli import fleet as cli_fleet
from scanner.cli.output import (EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit, exit_for,
                                fritzbox_login, read_text, write_private)
from scanner.errors import UsageError


def notify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notify-email", action="append", default=[], metavar="ADDRESS",
                   help="send news to this address (repeatable); needs --smtp-host")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int, default=587)
    p.add_argument("--smtp-user", help="SMTP login (password in $PRAXISSCAN_SMTP_PASSWORD)")
    p.add_argument("--smtp-from", help="sender address (default: the SMTP user)")
    p.add_argument("--smtp-cafile", type=Path,
                   help="CA certificate of the mail server, when it is not publicly trusted")
    p.add_argument("--notify-webhook", action="append", default=[], metavar="URL",
                   help="POST the news as JSON to this URL (repeatable)")


def cmd_wlan(args: argparse.Namespace) -> int:
    from scanner.jsonio import load_file
    from scanner.rules.engine import apply_rules
    from scanner.render import Format, render
    from scanner.site import load_site
    from scanner.wlan import ToolOutputError, audit

    site = load_site(args.site) if args.site else None
    if args.capture:
        result = audit.from_capture(args.capture)
    elif args.from_iw or args.from_nmcli:
        path = args.from_iw or args.from_nmcli
        read = audit.from_iw_text if args.from_iw else audit.from_nmcli_text
        try:
            result = read(read_text(path))
        except ToolOutputError as e:
            raise ToolOutputError(f"{path}: {e}; the WLAN audit was not done") from None
    else:
        result = audit.live(args.interface, args.tool)
    if args.capture and result.skipped_frames:
        print(f"praxisscan: {result.skipped_frames} unreadable frame(s) in {args.capture} skipped",
              file=sys.stderr)
    scan = audit.as_scan(result, load_file(args.into) if args.into else None)
    scan = apply_rules(scan, site)
    if not args.into:  # a WLAN-only audit: the host rules' gaps are not news here
        import dataclasses

        from scanner.rules.base import rules_in

        wlan_rules = rules_in("wlan")
        scan = dataclasses.replace(scan, not_tested=tuple(
            n for n in scan.not_tested if n.check in wlan_rules))
    color = args.output is None and args.format == "terminal" and sys.stdout.isatty()
    emit(render(scan, Format(args.format), args.lang, color=color, site=site), args.output)
    return exit_for(scan, args.fail_on)


def _smtp_target(args: argparse.Namespace, need_password: bool = True):  # noqa: ANN202
    """The SMTP settings checked; the password is only needed at send time (the env file)."""
    from scanner.monitor.notify import SmtpTarget

    if not args.notify_email:
        return None
    if not args.smtp_host:
        raise UsageError("--notify-email needs --smtp-host")
    sender = args.smtp_from or args.smtp_user
    if not sender or "@" not in sender:
        raise UsageError("--notify-email needs a sender: --smtp-from ADDRESS (or an --smtp-user "
                         "that is an address)")
    password = os.environ.get("PRAXISSCAN_SMTP_PASSWORD")
    if args.smtp_user and not password and need_password:
        raise UsageError("--smtp-user needs the password in $PRAXISSCAN_SMTP_PASSWORD")
    return SmtpTarget(host=args.smtp_host, port=args.smtp_port, recipients=tuple(args.notify_email),
                      sender=sender, user=args.smtp_user, password=password,
                      cafile=str(args.smtp_cafile) if args.smtp_cafile else None)


def _check_webhooks(urls: list[str]) -> None:
    from scanner.monitor.notify import check_webhook

    for url in urls:
        check_webhook(url)


def cmd_watch(args: argparse.Namespace) -> int:
    from scanner.monitor.history import History
    from scanner.monitor.notify import deliver
    from scanner.observer import NullObserver
    from scanner.pipeline import ScanOptions, require_root, run_scan
    from scanner.plan import make_plan
    from scanner.ports import Profile
    from scanner.render.html import render_html
    from scanner.site import load_site
    from scanner.monitor.watch import message, record

    site = load_site(args.site)
    smtp = _smtp_target(args)  # fail on bad notification settings before scanning
    _check_webhooks(args.notify_webhook)
    push_target = cli_fleet.check_push_arguments(args)
    targets = args.targets or [str(n.cidr) for n in site.networks]
    if not targets:
        raise UsageError(f"{args.site} lists no [[network]] and no TARGET was given: "
                         "the scheduled scan only scans named networks")
    plan = make_plan(targets, interface=args.interface, profile=Profile(args.profile))
    require_root()
    login = fritzbox_login(args)
    scan = run_scan(plan, NullObserver(), options=ScanOptions(fritzbox_login=login), site=site)
    if args.report_dir:  # first: a damaged history must not cost the week's report
        name = f"praxisscan-{scan.started_at.strftime('%Y%m%d-%H%M')}.html"
        write_private(args.report_dir / name, render_html(scan, args.lang, site))
    history = History()
    result = record(scan, history)
    if push_target:
        cli_fleet.push_after_watch(push_target, history, result.scan_id)
    if not scan.complete:
        print(f"praxisscan watch: scan {result.scan_id} was cut short and is stored as "
              "incomplete; no comparison, no notification (see not_tested)", file=sys.stderr)
        return EXIT_ERROR
    if result.previous is None:
        print(f"praxisscan watch: scan {result.scan_id} stored as the first of this network; "
              "later runs report what changes against it")
        return EXIT_OK
    if not result.news:
        print(f"praxisscan watch: scan {result.scan_id} stored; no new findings or devices")
        return EXIT_OK
    msg = message(result, scan, site.name, args.lang)
    print(msg.text)
    failures = deliver(msg, smtp, args.notify_webhook)
    for f in failures:
        print(f"praxisscan watch: notification failed: {f}", file=sys.stderr)
    return EXIT_ERROR if failures else EXIT_FINDINGS


def cmd_schedule(args: argparse.Namespace) -> int:
    from scanner.monitor import schedule

    unit_dir = args.unit_dir or schedule.UNIT_DIR
    if args.schedule_command == "remove":
        removed = schedule.remove(unit_dir)
        print("\n".join(f"removed {p}" for p in removed) or "praxisscan schedule: nothing installed")
        return EXIT_OK
    from scanner.site import load_site

    site_path = args.site.resolve()
    load_site(site_path)  # a broken site file fails now, not next Monday
    _smtp_target(args, need_password=False)
    _check_webhooks(args.notify_webhook)
    cli_fleet.check_push_arguments(args)  # a missing or open token file fails now
    when = schedule.parse_when(args.at)
    watch_args = ["--site", str(site_path), "--profile", args.profile, "--lang", args.lang]
    for flag, value in (("--interface", args.interface), ("--fritzbox-user", args.fritzbox_user),
                        ("--report-dir", args.report_dir and str(args.report_dir.resolve())),
                        ("--smtp-host", args.smtp_host), ("--smtp-user", args.smtp_user),
                        ("--smtp-from", args.smtp_from),
                        ("--smtp-cafile", args.smtp_cafile and str(args.smtp_cafile.resolve())),
                        ("--push", args.push),
                        ("--token-file", args.token_file and str(args.token_file.resolve())),
                        ("--push-cafile", args.push_cafile and str(args.push_cafile.resolve()))):
        if value:
            watch_args += [flag, value]
    if args.notify_email or args.smtp_host:
        watch_args += ["--smtp-port", str(args.smtp_port)]
    for address in args.notify_email:
        watch_args += ["--notify-email", address]
    for url in args.notify_webhook:
        watch_args += ["--notify-webhook", url]
    done = schedule.install(watch_args, when, unit_dir=unit_dir,
                            env_file=schedule.ENV_FILE if args.unit_dir is None
                            else unit_dir / "watch.env")
    print(f"wrote {done.service}\nwrote {done.timer}\nsecrets go into {done.env_file} (mode 0600)")
    if done.enabled:
        print(f"enabled: systemctl list-timers {schedule.UNIT}.timer")
    else:
        print(f"not enabled (systemd is not running here): systemctl enable --now "
              f"{schedule.UNIT}.timer")
    print(f"alternative without systemd, a line for /etc/crontab:\n{done.cron}")
    return EXIT_OK
