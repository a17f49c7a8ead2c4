"""Real parts for the fleet tests and the benchmark: a throw-away PostgreSQL cluster (initdb in
a temporary directory, loopback and a socket in that directory), a throw-away CA with a server
certificate for 127.0.0.1 (openssl), and the real `praxisscan fleet serve` (uvicorn with its
own TLS) as a subprocess, optionally inside a network namespace."""

from __future__ import annotations

import glob
import http.cookiejar
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Unavailable(Exception):
    """A prerequisite (PostgreSQL, openssl) is not installed."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    raise Unavailable("PostgreSQL server binaries (initdb) not found: apt-get install postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """initdb + pg_ctl in a temporary directory; as root the server runs as 'postgres'
    (PostgreSQL refuses to run as root). Stopped and removed on exit."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="pxtest-pg-"))
        self.port = free_port()
        self.role = "fleet"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        r = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            log = self.dir / "pg.log"
            raise RuntimeError(f"{argv[0]} failed: {r.stderr[-1500:]}"
                               f"{log.read_text()[-1500:] if log.exists() else ''}")

    def __enter__(self) -> Postgres:
        data = self.dir / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", self.role,
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "pg.log"),
                  "-w", "-t", "60", "-o",
                  f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                  "start")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, database: str = "postgres", socket_dir: bool = False) -> str:
        host = urllib.parse.quote(str(self.dir), safe="") if socket_dir else "127.0.0.1"
        return f"postgresql://{self.role}@{host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, migrated database; its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        dsn = self.dsn(name)
        r = praxisscan("fleet", "migrate", "--database", dsn)
        assert r.returncode == 0, r.stderr
        return dsn

    def query(self, dsn: str, sql: str, params: tuple = (), fetch: bool = True) -> list[tuple]:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if fetch else []

    def token(self, dsn: str, slug: str, name: str | None = None) -> str:
        from scanner.fleet import db, tokens

        with db.transaction(dsn) as conn:
            return tokens.create(conn, slug, name)

    def user(self, dsn: str, name: str, password: str, practices: list[str] | None = None) -> None:
        from scanner.fleet import auth, db

        with db.transaction(dsn) as conn:
            auth.add_user(conn, name, password + "-long-enough", practices or [])


def praxisscan(*args: str, env: dict | None = None, wrap: list[str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    argv = [*(wrap or []), sys.executable, "-m", "scanner", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})


@dataclass(frozen=True)
class Tls:
    ca: Path
    cert: Path
    key: Path


def make_tls(folder: Path) -> Tls:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    if not shutil.which("openssl"):
        raise Unavailable("openssl is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    cert, key, csr = folder / "server.pem", folder / "server-key.pem", folder / "server.csr"
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")

    def ossl(*a: str) -> None:
        subprocess.run(["openssl", *a], check=True, capture_output=True)

    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", "/CN=praxisscan test CA", "-keyout", str(ca_key), "-out", str(ca),
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    ossl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))
    for p in (ca, cert, key):
        p.chmod(0o644)
    return Tls(ca, cert, key)


class FleetServer:
    """`praxisscan fleet serve` with uvicorn's TLS on 127.0.0.1 (in a namespace with ns=...)."""

    def __init__(self, dsn: str, tls: Tls, *, ns: str | None = None, port: int | None = None,
                 extra: tuple[str, ...] = (), pool_size: int | None = None) -> None:
        self.dsn, self.tls, self.ns = dsn, tls, ns
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[str] | None = None
        self.log = Path(tempfile.mkstemp(prefix="pxtest-fleet-", suffix=".log")[1])

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def push_url(self, slug: str) -> str:
        return f"{self.base}/api/v1/practices/{slug}/scans"

    def start(self) -> FleetServer:
        wrap = ["ip", "netns", "exec", self.ns] if self.ns else []
        argv = [*wrap, sys.executable, "-m", "scanner", "fleet", "serve", "--database", self.dsn,
                "--port", str(self.port), "--ssl-certfile", str(self.tls.cert),
                "--ssl-keyfile", str(self.tls.key), *self.extra]
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fleet serve exited: {self.log.read_text()[-2000:]}")
            try:
                status, _ = https_request(self.base + "/login", self.tls.ca, ns=self.ns)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"fleet serve did not come up: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> FleetServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)


def _context(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def https_request(url: str, ca: Path, *, data: bytes | None = None, headers: dict | None = None,
                  cookie: str | None = None, ns: str | None = None,
                  method: str | None = None) -> tuple[int, bytes]:
    """One request, redirects not followed; (status, body). With ns: from inside that
    namespace (through curl, the namespace's own loopback)."""
    if ns:
        argv = ["ip", "netns", "exec", ns, "curl", "-s", "-o", "-", "-w", "\n%{http_code}",
                "--cacert", str(ca), url]
        out = subprocess.run(argv, capture_output=True, timeout=30)
        if out.returncode != 0:
            raise OSError(f"curl: {out.returncode}")
        body, _, code = out.stdout.rpartition(b"\n")
        return int(code), body
    hdrs = dict(headers or {})
    if cookie:
        hdrs["Cookie"] = cookie
    request = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(
        context=_context(ca)))
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def https_get(url: str, ca: Path, cookie: str | None = None) -> bytes:
    status, body = https_request(url, ca, cookie=cookie)
    assert status == 200, (status, body[:300])
    return body


def post_scan(url: str, body: bytes, token: str | None, ca: Path,
              headers: dict | None = None) -> tuple[int, dict]:
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    status, answer = https_request(url, ca, data=body, headers=hdrs, method="POST")
    try:
        return status, json.loads(answer or b"{}")
    except ValueError:
        return status, {"raw": answer[:200].decode(errors="replace")}


def login(base: str, name: str, password: str, ca: Path) -> str:
    """Sign in through the login form as a browser would; the session's Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect,
                                         urllib.request.HTTPSHandler(context=_context(ca)))
    page = opener.open(base + "/login", timeout=30).read().decode()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"csrf": csrf, "name": name, "password": password + "-long-enough",
                                   "next": "/"}).encode()
    try:
        opener.open(base + "/login", data=form, timeout=60)
    except urllib.error.HTTPError as e:
        assert e.code == 303, (e.code, e.read()[:300])
    cookies = {c.name: c.value for c in jar}
    assert "__Host-praxisfleet" in cookies, cookies
    return f"__Host-praxisfleet={cookies['__Host-praxisfleet']}"
