"""Real receivers for notifications, on loopback only: an SMTP server that insists on STARTTLS
(aiosmtpd) and an HTTP server that takes webhook POSTs. Each message lands in a folder.

In-process: ``with Receivers(folder) as r: ...``. In a lab namespace (a separate loopback):
``ip netns exec NS python -m tests.receivers FOLDER`` prints "ready SMTP_PORT HTTP_PORT".
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "scanbox@praxis.example", "lab-only-smtp-secret"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the openssl command line)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        (self.folder / f"mail-{self.count}.eml").write_bytes(envelope.original_content or b"")
        (self.folder / f"mail-{self.count}.json").write_text(json.dumps({
            "from": envelope.mail_from, "to": envelope.rcpt_tos,
            "tls": session.ssl is not None, "auth": bool(session.authenticated)}))
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN201
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
    return AuthResult(success=ok)


class _Hooks(http.server.BaseHTTPRequestHandler):
    folder: Path
    status = 204

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = len(list(self.folder.glob("hook-*.json"))) + 1
        (self.folder / f"hook-{n}.json").write_bytes(body)
        (self.folder / f"hook-{n}.headers").write_text(str(self.headers))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    """aiosmtpd checks its own server by connecting to the port it was given: no port 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receivers:
    def __init__(self, folder: Path, starttls: bool = True, hook_status: int = 204) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.cert, key = make_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.smtp = Controller(_Mailbox(folder), hostname="127.0.0.1", port=_free_port(),
                               tls_context=context if starttls else None,
                               require_starttls=starttls, authenticator=_authenticator,
                               auth_require_tls=True, auth_required=False)
        handler = type("Hooks", (_Hooks,), {"folder": folder, "status": hook_status})
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> Receivers:
        self.smtp.start()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.smtp.stop()
        self.http.shutdown()

    @property
    def smtp_port(self) -> int:
        return self.smtp.port

    @property
    def http_port(self) -> int:
        return self.http.server_address[1]

    def mails(self) -> list[Path]:
        return sorted(self.folder.glob("mail-*.eml"))

    def hooks(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.folder.glob("hook-*.json"))]


if __name__ == "__main__":
    with Receivers(Path(sys.argv[1])) as r:
        print(f"ready {r.smtp_port} {r.http_port}", flush=True)
        while True:
            time.sleep(3600)
