"""Staff login: users with scrypt password hashes, server-side sessions, CSRF tokens, and a
login rate limit kept in the database (so it holds across workers and restarts).

The session cookie holds only a random id; the database keeps its SHA-256, the user and the
session's CSRF token, so logout and `fleet user remove` end a session at once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from scanner.fleet import FleetError

# OWASP's scrypt parameters (N=2^17, r=8, p=1): about 128 MiB, so maxmem is raised above it
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SESSION_HOURS = 12
LOGIN_WINDOW_MINUTES = 15
LOGIN_MAX_FAILURES = 5  # per user name and per address within the window
COOKIE = "__Host-praxisfleet"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    all_practices: bool


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def hash_password(password: str, n: int = SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P,
                         maxmem=256 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=256 * 1024 * 1024, dklen=len(_unb64(key)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(key))


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _unb64(s: str) -> bytes:
    return base64.b64decode(s)


def add_user(conn, name: str, password: str, practices: list[str]) -> None:  # noqa: ANN001
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise FleetError("user name: 1-100 characters, no spaces")
    if len(password) < 12:
        raise FleetError("password: at least 12 characters")
    row = conn.execute(
        "INSERT INTO staff_user (name, pw_hash, all_practices) VALUES (%s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET pw_hash = EXCLUDED.pw_hash, "
        "all_practices = EXCLUDED.all_practices RETURNING id",
        (name, hash_password(password), not practices)).fetchone()
    conn.execute("DELETE FROM user_practice WHERE user_id = %s", (row[0],))
    conn.execute("DELETE FROM web_session WHERE user_id = %s", (row[0],))
    for slug in practices:
        found = conn.execute("SELECT id FROM practice WHERE slug = %s", (slug,)).fetchone()
        if found is None:
            raise FleetError(f"no practice {slug!r} on this server (create its token first)")
        conn.execute("INSERT INTO user_practice VALUES (%s, %s)", (row[0], found[0]))


def remove_user(conn, name: str) -> None:  # noqa: ANN001
    cur = conn.execute("DELETE FROM staff_user WHERE name = %s", (name,))
    if cur.rowcount == 0:
        raise FleetError(f"no user {name!r}")


def too_many_failures(conn, name: str, address: str) -> bool:  # noqa: ANN001
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE name = %s), count(*) FILTER (WHERE address = %s) "
        "FROM login_attempt WHERE at > now() - make_interval(mins => %s)",
        (name, address, LOGIN_WINDOW_MINUTES)).fetchone()
    return max(row) >= LOGIN_MAX_FAILURES


def login(conn, name: str, password: str, address: str) -> str | None:  # noqa: ANN001
    """A new session id for the right password, else None (and the failure is counted).
    The caller checks too_many_failures first."""
    row = conn.execute("SELECT id, pw_hash FROM staff_user WHERE name = %s", (name,)).fetchone()
    stored = row[1] if row else _dummy_hash()  # the same work for an unknown name
    if row is None or not verify_password(password, stored):
        conn.execute("INSERT INTO login_attempt (name, address) VALUES (%s, %s)",
                     (name[:100], address))
        conn.execute("DELETE FROM login_attempt WHERE at < now() - interval '1 day'")
        return None
    sid = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM web_session WHERE expires_at < now()")
    conn.execute(
        "INSERT INTO web_session (id_sha256, user_id, csrf, expires_at) VALUES "
        "(%s, %s, %s, now() + make_interval(hours => %s))",
        (_sid(sid), row[0], secrets.token_urlsafe(32), SESSION_HOURS))
    return sid


def session(conn, sid: str | None) -> Session | None:  # noqa: ANN001
    if not sid or len(sid) > 100:
        return None
    row = conn.execute(
        "SELECT u.id, u.name, u.all_practices, s.csrf FROM web_session s "
        "JOIN staff_user u ON u.id = s.user_id WHERE s.id_sha256 = %s AND s.expires_at > now()",
        (_sid(sid),)).fetchone()
    return Session(User(row[0], row[1], row[2]), row[3]) if row else None


def logout(conn, sid: str) -> None:  # noqa: ANN001
    conn.execute("DELETE FROM web_session WHERE id_sha256 = %s", (_sid(sid),))


def _sid(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected, given)
