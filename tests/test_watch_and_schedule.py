"""The weekly run without the scan: history, what counts as news, the message, and delivery to
a real SMTP server (STARTTLS required) and a real HTTP receiver on loopback; the systemd units
checked by systemd-analyze. The whole run against the lab is in tests/lab/test_lab_watch.py."""

from __future__ import annotations

import dataclasses
import re
import shlex
import email
import email.policy
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from scanner.monitor.history import History
from scanner.model import Finding, Host, Localized, Role, Severity
from scanner.monitor.notify import NotifyError, SmtpTarget, post_webhook, send_email
from scanner.rules.engine import fingerprint
from scanner.monitor.schedule import parse_when
from scanner.monitor.watch import message, record
from tests.conftest import praxisscan, unavailable
from tests.receivers import PASSWORD, USER, Receivers
from tests.test_model_json import HOSTILE, sample_scan

PHONE = Host(ip="192.168.178.150", mac="3a:11:22:33:44:55", mac_randomized=True,
             hostnames=("Galaxy-S24",), role=Role.SMARTPHONE)


def week(scan, n: int):  # noqa: ANN001, ANN201
    return dataclasses.replace(scan, complete=True, started_at=scan.started_at + timedelta(days=7 * n),
                               finished_at=scan.finished_at + timedelta(days=7 * n))


def with_phone(scan):  # noqa: ANN001, ANN201
    f = Finding("private-mobile-device", Severity.MEDIUM, PHONE.key, None,
                Localized("Privates Smartphone oder Tablet im Praxisnetz", "Private smartphone"),
                ("random MAC 3a:11:22:33:44:55",), fix=Localized("Ins Gäste-WLAN", "Guest WLAN"),
                fingerprint=fingerprint("private-mobile-device", PHONE.key, None))
    return dataclasses.replace(scan, hosts=scan.hosts + (PHONE,), findings=scan.findings + (f,))


def test_first_run_is_the_baseline_then_only_news_counts(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    base = week(sample_scan(), 0)
    first = record(base, history)
    assert first.previous is None and not first.news
    same = record(week(base, 1), history)
    assert same.previous is not None and not same.news
    partial = dataclasses.replace(week(with_phone(base), 2), complete=False, hosts=())
    record(partial, history)  # stored, but never a baseline: it did not look everywhere
    news = record(week(with_phone(base), 3), history)
    assert news.previous.started_at == week(base, 1).started_at
    assert news.news and [h.mac for h in news.diff.new_devices] == [PHONE.mac]
    gone = record(week(base, 4), history)  # the phone left: good news is no news
    assert not gone.news and len(gone.diff.gone_devices) == 1


def _news(tmp_path: Path):  # noqa: ANN202
    history = History(tmp_path / "h.sqlite")
    base = week(sample_scan(), 0)
    record(base, history)
    new = week(with_phone(base), 1)
    return message(record(new, history), new, "Praxis <b>Dr. Test</b>", "de")


def test_email_goes_out_over_starttls_with_login_and_reads_well(tmp_path: Path) -> None:
    msg = _news(tmp_path)
    assert msg.subject == "praxisscan Praxis <b>Dr. Test</b>: 1 neuer Befund, 1 neues Gerät"
    with Receivers(tmp_path / "in") as r:
        send_email(SmtpTarget("127.0.0.1", ("it@praxis.example", "chefin@praxis.example"),
                              "scanbox@praxis.example", r.smtp_port, user=USER, password=PASSWORD,
                              cafile=str(r.cert)), msg)
        (mail_path,) = r.mails()
    meta = (mail_path.with_suffix(".json")).read_text()
    assert '"tls": true' in meta and '"auth": true' in meta
    assert "chefin@praxis.example" in meta
    mail = email.message_from_bytes(mail_path.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == msg.subject
    text = mail.get_body(("plain",)).get_content()
    assert "Neue Geräte (1):" in text and "Galaxy-S24" in text and "praxisscan show 2" in text
    html = mail.get_body(("html",)).get_content()
    assert "Ins Gäste-WLAN" in html and "<script" not in html


def test_no_starttls_no_mail_and_a_wrong_ca_is_refused(tmp_path: Path) -> None:
    msg = _news(tmp_path)
    with Receivers(tmp_path / "plain", starttls=False) as r:
        with pytest.raises(NotifyError, match="offers no STARTTLS"):
            send_email(SmtpTarget("127.0.0.1", ("it@praxis.example",), "a@praxis.example",
                                  r.smtp_port), msg)
        assert r.mails() == []
    with Receivers(tmp_path / "tls") as r:
        with pytest.raises(NotifyError, match="CERTIFICATE_VERIFY_FAILED"):
            send_email(SmtpTarget("127.0.0.1", ("it@praxis.example",), "a@praxis.example",
                                  r.smtp_port), msg)  # self-signed and no --smtp-cafile
        assert r.mails() == []


def test_webhook_gets_json_with_the_news_and_errors_are_reported(tmp_path: Path) -> None:
    msg = _news(tmp_path)
    with Receivers(tmp_path / "in") as r:
        post_webhook(f"http://127.0.0.1:{r.http_port}/praxisscan", msg)
        (hook,) = r.hooks()
    assert hook["practice"] == "Praxis <b>Dr. Test</b>" and hook["scan_id"] == 2
    assert [d["mac"] for d in hook["diff"]["new_devices"]] == [PHONE.mac]
    assert hook["diff"]["new_findings"][0]["rule"] == "private-mobile-device"
    with Receivers(tmp_path / "err", hook_status=500) as r:
        with pytest.raises(NotifyError, match="HTTP 500"):
            post_webhook(f"http://127.0.0.1:{r.http_port}/x", msg)
    with pytest.raises(NotifyError, match="http"):
        post_webhook("file:///etc/passwd", msg)


def test_hostile_names_stay_text_in_the_mail(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    base = week(sample_scan(), 0)
    record(base, history)
    evil = dataclasses.replace(PHONE, hostnames=(HOSTILE,))
    new = week(dataclasses.replace(base, hosts=base.hosts + (evil,)), 1)
    msg = message(record(new, history), new, "Praxis", "en")
    assert "\x1b" not in msg.text and "<script>" not in msg.html
    assert "&lt;script&gt;" in msg.html


def test_schedule_install_writes_units_systemd_accepts_and_remove_undoes_it(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        unavailable("systemd-analyze is not installed (package systemd)")
    units = tmp_path / "units"
    site = Path(__file__).resolve().parent.parent / "scanner" / "lab" / "praxis.toml"
    r = praxisscan("schedule", "install", "--site", str(site), "--weekly", "--at", "Mi 06:15",
                   "--notify-email", "it@praxis.example", "--smtp-host", "mail.praxis.example",
                   "--smtp-user", "scanbox@praxis.example", "--notify-webhook",
                   "https://chat.example/hook", "--unit-dir", str(units))
    assert r.returncode == 0, r.stderr
    service = (units / "praxisscan-watch.service").read_text()
    timer = (units / "praxisscan-watch.timer").read_text()
    assert "OnCalendar=Wed *-*-* 06:15:00" in timer and "Persistent=true" in timer
    assert f"watch --site {site}" in service and "--notify-email it@praxis.example" in service
    assert "PRAXISSCAN_SMTP_PASSWORD" not in service  # secrets only in the env file
    env = units / "watch.env"
    assert env.stat().st_mode & 0o777 == 0o600
    assert "15 6 * * 3 root " in r.stdout  # the cron alternative
    check = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            str(units / "praxisscan-watch.timer"),
                            str(units / "praxisscan-watch.service")],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stderr == "", check.stderr
    cal = subprocess.run(["systemd-analyze", "calendar", "Wed *-*-* 06:15:00"],
                         capture_output=True, text=True)
    assert "Next elapse: Wed" in cal.stdout
    r = praxisscan("schedule", "remove", "--unit-dir", str(units))
    assert r.returncode == 0 and not (units / "praxisscan-watch.timer").exists()
    assert not (units / "praxisscan-watch.service").exists() and env.exists()


def test_schedule_refuses_what_would_fail_next_monday(tmp_path: Path) -> None:
    bad = tmp_path / "praxis.toml"
    bad.write_text("[practice]\nname = 'X'\nsize = 'riesig'\n")
    r = praxisscan("schedule", "install", "--site", str(bad), "--weekly", "--unit-dir", str(tmp_path))
    assert r.returncode == 2 and "praxis.toml" in r.stderr
    site = Path(__file__).resolve().parent.parent / "scanner" / "lab" / "praxis.toml"
    r = praxisscan("schedule", "install", "--site", str(site), "--weekly", "--notify-email",
                   "it@praxis.example", "--unit-dir", str(tmp_path))
    assert r.returncode == 2 and "--smtp-host" in r.stderr
    r = praxisscan("schedule", "install", "--site", str(site), "--weekly", "--notify-webhook",
                   "file:///etc/passwd", "--unit-dir", str(tmp_path))
    assert r.returncode == 2 and "http(s) URL" in r.stderr
    assert not (tmp_path / "praxisscan-watch.service").exists()
    with pytest.raises(Exception, match="Mon 07:30"):
        parse_when("Montag früh")
    assert parse_when("so 23:59").on_calendar == "Sun *-*-* 23:59:00"


# -- issue 12 M5: arguments with %, $, quotes and spaces ------------------------------------

HOOK = "https://chat.example/hooks/a%20b?token=x%2Fy$HOME&n=${USER}%h"


def _systemd_words(line: str) -> list[str]:
    """ExecStart= split as systemd.service "Command lines" documents it: words, double or
    single quotes, C escapes; then %% -> % and $$ -> $ (a lone % or $ would be expanded)."""
    words, i = [], 0
    while i < len(line):
        if line[i] == " ":
            i += 1
            continue
        word, quote = "", None
        while i < len(line) and (quote or line[i] != " "):
            c = line[i]
            if quote is None and c in "\"'":
                quote = c
            elif c == quote:
                quote = None
            elif c == "\\":
                nxt = line[i + 1]
                if nxt == "x":
                    word += chr(int(line[i + 2:i + 4], 16))
                    i += 2
                else:
                    word += {"n": "\n", "t": "\t"}.get(nxt, nxt)
                i += 1
            else:
                word += c
            i += 1
        words.append(word)
    out = []
    for w in words:
        assert re.fullmatch(r"(?:[^%$]|%%|\$\$)*", w), f"unescaped % or $ in {w!r}"
        out.append(w.replace("%%", "%").replace("$$", "$"))
    return out


def test_schedule_install_escapes_percent_dollar_and_quotes(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        unavailable("systemd-analyze is not installed (package systemd)")
    units = tmp_path / "units"
    reports = tmp_path / "Berichte 100% \"$HOME\" 'x' \\ ü"
    site = Path(__file__).resolve().parent.parent / "scanner" / "lab" / "praxis.toml"
    r = praxisscan("schedule", "install", "--site", str(site), "--weekly", "--at", "Mo 07:30",
                   "--notify-webhook", HOOK, "--report-dir", str(reports),
                   "--unit-dir", str(units))
    assert r.returncode == 0, r.stderr
    service = units / "praxisscan-watch.service"
    check = subprocess.run(["systemd-analyze", "verify", "--man=no", str(service)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stderr == "", check.stderr
    exec_line = next(line for line in service.read_text(encoding="utf-8").splitlines()
                     if line.startswith("ExecStart="))
    argv = _systemd_words(exec_line.removeprefix("ExecStart="))
    assert argv[1] == "watch" and argv[argv.index("--notify-webhook") + 1] == HOOK
    assert argv[argv.index("--report-dir") + 1] == str(reports.resolve())

    cron = next(line for line in r.stdout.splitlines() if line.startswith("30 7 * * 1 root "))
    command = cron.removeprefix("30 7 * * 1 root ")
    # cron makes every % not escaped as \% a line break (crontab(5)) and removes the backslash
    assert re.search(r"(?<!\\)%", command) is None, command
    command = command.replace("\\%", "%")
    assert shlex.split(command)[:len(argv)] == argv
    shown = subprocess.run(["sh", "-c", "set -- " + command.split(" >> ")[0]
                            + "; printf '%s\\0' \"$@\""], capture_output=True, text=True)
    assert shown.stdout.split("\0")[:-1] == argv


def test_schedule_install_refuses_a_line_break_in_an_argument(tmp_path: Path) -> None:
    site = Path(__file__).resolve().parent.parent / "scanner" / "lab" / "praxis.toml"
    r = praxisscan("schedule", "install", "--site", str(site), "--weekly",
                   "--report-dir", str(tmp_path / "a\nb"), "--unit-dir", str(tmp_path / "u"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "control character" in r.stderr
    assert not (tmp_path / "u" / "praxisscan-watch.service").exists()


# -- issue 12 L13: a line break in the practice name ------------------------------------------

def test_a_line_break_in_the_practice_name_neither_breaks_nor_injects_a_header(
        tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    base = week(sample_scan(), 0)
    record(base, history)
    new = week(with_phone(base), 1)
    msg = message(record(new, history), new, "Praxis Dr. Test\r\nBcc: victim@evil.example\n",
                  "de")
    with Receivers(tmp_path / "in") as r:
        send_email(SmtpTarget("127.0.0.1", ("it@praxis.example",), "scanbox@praxis.example\n",
                              r.smtp_port, user=USER, password=PASSWORD, cafile=str(r.cert)), msg)
        (mail_path,) = r.mails()
    meta = (mail_path.with_suffix(".json")).read_text()
    assert "victim@evil.example" not in meta  # no extra recipient
    mail = email.message_from_bytes(mail_path.read_bytes(), policy=email.policy.default)
    assert mail["Bcc"] is None
    assert mail["Subject"].startswith("praxisscan Praxis Dr. Test Bcc: victim@evil.example")
    assert "\n" not in mail["Subject"] and mail["From"] == "scanbox@praxis.example"


def test_one_failing_channel_does_not_stop_the_others(tmp_path: Path) -> None:
    from scanner.monitor.notify import deliver

    msg = _news(tmp_path)
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with Receivers(tmp_path / "in") as r:
        failures = deliver(msg, SmtpTarget("127.0.0.1", ("it@praxis.example",),
                                           "a@praxis.example", closed_port),
                           ["http://127.0.0.1:1/nothing-listens", f"http://127.0.0.1:{r.http_port}/x"])
        assert len(r.hooks()) == 1
    assert [f.split(":")[0] for f in failures] == ["e-mail", "webhook"]


def test_schedule_install_carries_the_fleet_push(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        unavailable("systemd-analyze is not installed (package systemd)")
    units = tmp_path / "units"
    token = tmp_path / "fleet.token"
    token.write_text("pxf_" + "a" * 43 + "\n")
    token.chmod(0o644)
    site = Path(__file__).resolve().parent.parent / "scanner" / "lab" / "praxis.toml"
    url = "https://fleet.example/api/v1/practices/praxis-weber/scans"
    args = ["schedule", "install", "--site", str(site), "--weekly", "--push", url,
            "--token-file", str(token), "--unit-dir", str(units)]
    r = praxisscan(*args)
    assert r.returncode == 2 and "chmod 600" in r.stderr  # checked now, not next Monday
    token.chmod(0o600)
    r = praxisscan(*args)
    assert r.returncode == 0, r.stderr
    service = (units / "praxisscan-watch.service").read_text()
    assert f"--push {url}" in service and f"--token-file {token}" in service
    assert "pxf_" not in service  # the token stays in its file
    check = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            str(units / "praxisscan-watch.service")], capture_output=True, text=True)
    assert check.returncode == 0 and check.stderr == "", check.stderr
