"""``praxisscan push`` (on the practice box) and ``praxisscan fleet ...`` (on the server).

The server commands need the optional extra ``praxisscan[fleet]``; push needs nothing more
than the box has.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.cli.output import EXIT_ERROR, EXIT_OK
from scanner.errors import UsageError

DATABASE_ENV = "PRAXISSCAN_FLEET_DATABASE"
PASSWORD_ENV = "PRAXISSCAN_FLEET_PASSWORD"


def push_arguments(p: argparse.ArgumentParser) -> None:
    """For watch: push each stored scan (and what is still queued) to the fleet server."""
    p.add_argument("--push", metavar="URL",
                   help="fleet server's push URL (https://HOST/api/v1/practices/PRACTICE/scans)")
    p.add_argument("--token-file", type=Path, help="the practice's push token (mode 0600)")
    p.add_argument("--push-cafile", type=Path, help="CA certificate of the fleet server")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    pu = sub.add_parser("push", help="send a scan (file or history id), or the queued ones, "
                        "to the fleet server")
    pu.add_argument("scan", nargs="?", help="scan file or history id (default: every queued scan)")
    pu.add_argument("--url", required=True,
                    help="push URL: https://HOST/api/v1/practices/PRACTICE/scans")
    pu.add_argument("--token-file", type=Path, required=True)
    pu.add_argument("--cafile", type=Path, help="CA certificate of the fleet server")

    fl = sub.add_parser("fleet", help="the fleet server: many practices, one PostgreSQL, a console")
    fl_sub = fl.add_subparsers(dest="fleet_action", metavar="ACTION", required=True)

    def db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--database", default=os.environ.get(DATABASE_ENV),
                       help=f"postgresql://... (default: ${DATABASE_ENV})")
        return p

    se = db(fl_sub.add_parser("serve", help="run the push API and the console (uvicorn)"))
    se.add_argument("--host", default="127.0.0.1")
    se.add_argument("--port", type=int, default=8443)
    se.add_argument("--ssl-certfile", type=Path, help="serve HTTPS itself (else: behind a proxy)")
    se.add_argument("--ssl-keyfile", type=Path)
    se.add_argument("--max-scan-bytes", type=int, default=20 * 1024 * 1024,
                    help="largest scan accepted (default 20 MiB)")
    se.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                    help="proxies whose X-Forwarded-For is trusted (default 127.0.0.1)")
    from scanner.cli.watch import notify_arguments

    notify_arguments(se)
    db(fl_sub.add_parser("migrate", help="create or update the database schema"))
    tk = fl_sub.add_parser("token", help="push tokens of a practice")
    tk_sub = tk.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    tc = db(tk_sub.add_parser("create", help="new token (the practice is created if new)"))
    tc.add_argument("practice", metavar="PRACTICE", help="practice id, e.g. praxis-mueller-bonn")
    tc.add_argument("--name", help="the practice's display name")
    tc.add_argument("--output", type=Path, help="write the token to this file (mode 0600)")
    tr = db(tk_sub.add_parser("revoke", help="revoke every token of the practice"))
    tr.add_argument("practice", metavar="PRACTICE")
    us = fl_sub.add_parser("user", help="console users")
    us_sub = us.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    ua = db(us_sub.add_parser("add", help=f"add a user or set a new password (from ${PASSWORD_ENV} "
                              "or asked)"))
    ua.add_argument("name")
    ua.add_argument("--practice", action="append", default=[], metavar="PRACTICE",
                    help="limit the user to these practices (repeatable; default: all)")
    ur = db(us_sub.add_parser("remove", help="remove a user (ends the user's sessions)"))
    ur.add_argument("name")
    dg = db(fl_sub.add_parser("digest", help="send the weekly digest (for a timer)"))
    dg.add_argument("--days", type=int, default=7)
    notify_arguments(dg)
    nt = db(fl_sub.add_parser("notify", help="send alerts that are still waiting"))
    notify_arguments(nt)
    pr = db(fl_sub.add_parser("prune", help="delete scans and resolved findings older than "
                                            "the retention (each practice's newest complete "
                                            "scan stays)"))
    pr.add_argument("--older-than", type=_days, required=True, metavar="DAYS")


def _days(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 36500:
        raise argparse.ArgumentTypeError(f"a number of days from 1 to 36500, not {text!r}")
    return int(text)


def _dsn(args: argparse.Namespace) -> str:
    if not args.database:
        raise UsageError(f"name the database: --database postgresql://... or ${DATABASE_ENV}")
    return args.database


def _server_deps() -> None:
    try:
        import psycopg  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise UsageError(f"the fleet server needs its extra: pip install 'praxisscan[fleet]' "
                         f"({e.name} is missing)") from None


def _notify_settings(args: argparse.Namespace):  # noqa: ANN202
    from scanner.cli.watch import _check_webhooks, _smtp_target
    from scanner.fleet.notify import NotifySettings

    smtp = _smtp_target(args)
    _check_webhooks(args.notify_webhook)
    return NotifySettings(smtp, tuple(args.notify_webhook))


def cmd_push(args: argparse.Namespace) -> int:
    from scanner.fleet.push import push, push_queue, target
    from scanner.monitor.history import History

    t = target(args.url, args.token_file, args.cafile)
    if args.scan is None:
        history = History()
        lines, remaining = push_queue(t, history)
        print("\n".join(lines) or "praxisscan push: nothing queued")
        return EXIT_ERROR if remaining else EXIT_OK
    stored = History() if args.scan.isdigit() else None
    if stored is not None:
        scan = stored.get(int(args.scan))
    else:
        from scanner.jsonio import load_file

        scan = load_file(Path(args.scan))
    outcome = push(t, scan)
    if outcome.delivered and stored is not None:
        stored.mark_pushed(int(args.scan))
    print(f"praxisscan push: {args.scan}: {outcome.detail}",
          file=sys.stdout if outcome.delivered else sys.stderr)
    return EXIT_OK if outcome.delivered else EXIT_ERROR


def check_push_arguments(args: argparse.Namespace):  # noqa: ANN201
    """watch: the push settings checked before scanning; None without --push."""
    if not args.push:
        if args.token_file or args.push_cafile:
            raise UsageError("--token-file/--push-cafile need --push URL")
        return None
    if not args.token_file:
        raise UsageError("--push needs --token-file FILE")
    from scanner.fleet.push import target

    return target(args.push, args.token_file, args.push_cafile)


def push_after_watch(t, history, scan_id: int) -> None:  # noqa: ANN001
    """Queue the new scan, then push the queue; a failure is a warning (the scan stays
    queued for the next run), never a lost scan."""
    from scanner.fleet.push import PushError, push_queue

    history.queue_push(scan_id)
    try:
        lines, remaining = push_queue(t, history)
    except PushError as e:
        print(f"praxisscan watch: warning: push refused: {e}; scans stay queued", file=sys.stderr)
        return
    for line in lines:
        print(f"praxisscan watch: push: {line}", file=sys.stderr if remaining else sys.stdout)


def cmd_fleet(args: argparse.Namespace) -> int:
    _server_deps()
    dsn = _dsn(args)
    action = args.fleet_action
    if action == "serve":
        return _serve(args, dsn)
    from scanner.fleet import auth, db, notify, tokens

    if action == "migrate":
        before, after = db.migrate(dsn)
        print(f"database schema: version {before} -> {after}" if before != after
              else f"database schema is current (version {after})")
        return EXIT_OK
    if action == "token":
        with db.transaction(dsn) as conn:
            if args.token_action == "revoke":
                n = tokens.revoke(conn, args.practice)
                print(f"revoked {n} token(s) of {args.practice}")
                return EXIT_OK
            token = tokens.create(conn, args.practice, args.name)
        if args.output:
            from scanner.cli.output import write_private

            write_private(args.output, token + "\n")
            print(f"token for {args.practice} written to {args.output} (copy it to the box, "
                  "mode 0600)")
        else:
            print(token)
        print(f"push URL: https://SERVER/api/v1/practices/{args.practice}/scans", file=sys.stderr)
        return EXIT_OK
    if action == "user":
        with db.transaction(dsn) as conn:
            if args.user_action == "remove":
                auth.remove_user(conn, args.name)
                print(f"removed user {args.name}")
                return EXIT_OK
            password = os.environ.get(PASSWORD_ENV) or _ask_password()
            auth.add_user(conn, args.name, password, args.practice)
        scope = ", ".join(args.practice) or "all practices"
        print(f"user {args.name} may sign in ({scope})")
        return EXIT_OK
    if action == "prune":
        from scanner.fleet.retention import prune

        with db.transaction(dsn) as conn:
            done = prune(conn, args.older_than)
        print(f"deleted {done.scans} scan(s) and {done.findings} resolved finding(s) older "
              f"than {args.older_than} days")
        return EXIT_OK
    settings = _notify_settings(args)
    if not settings:
        raise UsageError("name where to send: --notify-email ... --smtp-host ... or "
                         "--notify-webhook URL")
    with db.transaction(dsn) as conn:
        if action == "digest":
            message, failures = notify.send_digest(conn, settings, args.days)
            print(message.text)
        else:
            failures = notify.flush_alerts(conn, settings)
    for f in failures:
        print(f"praxisscan fleet: notification failed: {f}", file=sys.stderr)
    return EXIT_ERROR if failures else EXIT_OK


def _ask_password() -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for the password: set ${PASSWORD_ENV}")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise UsageError("the passwords differ")
    return first


def _serve(args: argparse.Namespace, dsn: str) -> int:
    import uvicorn

    from scanner.fleet.app import Settings, create_app
    from scanner.fleet.db import connect, require_current

    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise UsageError("--ssl-certfile and --ssl-keyfile go together")
    with connect(dsn) as conn:  # fail with one line before uvicorn starts
        require_current(conn)
    app = create_app(Settings(dsn, args.max_scan_bytes, _notify_settings(args)))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                ssl_certfile=str(args.ssl_certfile) if args.ssl_certfile else None,
                ssl_keyfile=str(args.ssl_keyfile) if args.ssl_keyfile else None,
                proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips,
                server_header=False)
    return EXIT_OK


COMMANDS = {"push": cmd_push, "fleet": cmd_fleet}
