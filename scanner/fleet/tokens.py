"""Push tokens: one or more per practice, random, stored only as SHA-256, revocable.

A token is 32 random bytes (secrets.token_urlsafe) behind a greppable prefix; a slow KDF adds
nothing for a secret of that entropy and would make every push slow. The token names its
practice: the server derives the practice from the token, never from the request alone.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from scanner.fleet import FleetError

PREFIX = "pxf_"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class TokenOwner:
    token_id: int
    practice_id: int
    slug: str


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise FleetError(f"practice id {slug!r}: use lower-case letters, digits and '-' "
                         "(at most 63, e.g. praxis-mueller-bonn)")
    return slug


def ensure_practice(conn, slug: str, name: str | None = None) -> int:  # noqa: ANN001
    check_slug(slug)
    row = conn.execute(
        "INSERT INTO practice (slug, name) VALUES (%s, %s) ON CONFLICT (slug) DO UPDATE "
        "SET name = COALESCE(%s, practice.name) RETURNING id", (slug, name or slug, name)).fetchone()
    return row[0]


def create(conn, slug: str, name: str | None = None) -> str:  # noqa: ANN001
    """A new token for the practice (created if new). The token is shown once."""
    practice_id = ensure_practice(conn, slug, name)
    secret = secrets.token_urlsafe(32)
    token = f"{PREFIX}{secret}"
    conn.execute("INSERT INTO push_token (practice_id, prefix, token_sha256) VALUES (%s, %s, %s)",
                 (practice_id, token[:10], digest(token)))
    return token


def revoke(conn, slug: str) -> int:  # noqa: ANN001
    """Revoke every live token of the practice; returns how many."""
    cur = conn.execute(
        "UPDATE push_token SET revoked_at = now() FROM practice p WHERE p.id = practice_id "
        "AND p.slug = %s AND revoked_at IS NULL", (check_slug(slug),))
    if cur.rowcount == 0 and conn.execute("SELECT 1 FROM practice WHERE slug = %s",
                                          (slug,)).fetchone() is None:
        raise FleetError(f"no practice {slug!r} on this server")
    return cur.rowcount


def owner(conn, token: str) -> TokenOwner | None:  # noqa: ANN001
    """The practice a live token belongs to, or None (unknown or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT t.id, t.practice_id, p.slug, t.token_sha256 FROM push_token t "
        "JOIN practice p ON p.id = t.practice_id "
        "WHERE t.token_sha256 = %s AND t.revoked_at IS NULL", (digest(token),)).fetchone()
    if row is None or not secrets.compare_digest(bytes(row[3]), digest(token)):
        return None
    return TokenOwner(row[0], row[1], row[2])
