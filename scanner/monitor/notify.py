"""Tell someone that the weekly scan found something new: e-mail (SMTP with STARTTLS) and/or a
webhook (HTTP POST of JSON). Nothing is sent in cleartext over SMTP: a server without
STARTTLS is refused. Passwords come from the environment, never from the command line."""

from __future__ import annotations

import email.policy
import json
import re
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from scanner.errors import PraxisscanError

TIMEOUT = 30.0


class NotifyError(PraxisscanError):
    """A notification could not be delivered."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    payload: dict  # for webhooks


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    recipients: tuple[str, ...]
    sender: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None  # a private CA for the practice's own mail server


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


def header_value(value: str) -> str:
    """One line: a CR or LF would end the header and start another (Bcc: ...)."""
    return _CONTROLS.sub(" ", value).strip()


def _mail(target: SmtpTarget, message: Message) -> EmailMessage:
    # no folding below RFC 5322's 998 characters: folded encoded words come back with a
    # doubled space in some readers ("neues  Gerät")
    mail = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    sender = header_value(target.sender)
    mail["Subject"] = header_value(message.subject)
    mail["From"] = sender
    mail["To"] = ", ".join(header_value(r) for r in target.recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send_email(target: SmtpTarget, message: Message) -> None:
    try:
        mail = _mail(target, message)
    except (ValueError, TypeError, IndexError) as e:  # the email package's header errors
        raise NotifyError(f"e-mail could not be built: {e}"[:300]) from None
    context = ssl.create_default_context(cafile=target.cafile)
    try:
        with smtplib.SMTP(target.host, target.port, timeout=TIMEOUT) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise NotifyError(f"{target.host}:{target.port} offers no STARTTLS; "
                                  "praxisscan does not send scan results in cleartext")
            smtp.starttls(context=context)
            smtp.ehlo()
            if target.user:
                smtp.login(target.user, target.password or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as e:
        if isinstance(e, NotifyError):
            raise
        raise NotifyError(f"e-mail via {target.host}:{target.port} failed: "
                          f"{type(e).__name__}: {e}"[:300]) from None


def check_webhook(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifyError(f"--notify-webhook wants an http(s) URL, not {url!r}")
    return parts


def post_webhook(url: str, message: Message, cafile: str | None = None) -> None:
    parts = check_webhook(url)
    body = json.dumps(message.payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "praxisscan"})
    context = ssl.create_default_context(cafile=cafile) if parts.scheme == "https" else None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as response:
            if not 200 <= response.status < 300:
                raise NotifyError(f"webhook {parts.hostname} answered HTTP {response.status}")
    except urllib.error.HTTPError as e:
        raise NotifyError(f"webhook {parts.hostname} answered HTTP {e.code}") from None
    except (OSError, urllib.error.URLError) as e:
        raise NotifyError(f"webhook {parts.hostname} not reached: {e}"[:300]) from None


def deliver(message: Message, smtp: SmtpTarget | None, webhooks: list[str]) -> list[str]:
    """Send on every channel; one that fails, however it fails, does not stop the others.
    Returns one line per failed channel."""
    channels = ([("e-mail", lambda: send_email(smtp, message))] if smtp else []) + [
        ("webhook", lambda u=u: post_webhook(u, message)) for u in webhooks]
    failures = []
    for where, send in channels:
        try:
            send()
        except NotifyError as e:
            failures.append(f"{where}: {e}")
        except Exception as e:  # noqa: BLE001 - a bug in one channel must not silence the rest
            failures.append(f"{where}: {type(e).__name__}: {e}"[:300])
    return failures
