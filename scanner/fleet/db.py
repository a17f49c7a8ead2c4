"""The fleet database: connecting (psycopg 3) and the versioned schema.

Migrations are plain SQL, applied in order under an advisory lock so that two servers
starting at once do not both migrate. ``schema_version`` holds how many have run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from scanner.fleet import FleetError

MIGRATION_LOCK = 7317017  # pg_advisory_xact_lock key: "fleet migrations"

MIGRATIONS = (
    # 1: practices, their push tokens, scans (whole, JSONB), devices and findings with
    #    first/last seen, staff users with their access, sessions, login attempts, alerts
    """
    CREATE TABLE practice (
      id bigserial PRIMARY KEY, slug text UNIQUE NOT NULL, name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), last_push_at timestamptz);
    CREATE TABLE push_token (
      id bigserial PRIMARY KEY,
      practice_id bigint NOT NULL REFERENCES practice ON DELETE CASCADE,
      prefix text NOT NULL, token_sha256 bytea UNIQUE NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), last_used_at timestamptz,
      revoked_at timestamptz);
    CREATE TABLE scan (
      id text PRIMARY KEY,
      practice_id bigint NOT NULL REFERENCES practice ON DELETE CASCADE,
      started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(), complete boolean NOT NULL,
      hosts integer NOT NULL, findings integer NOT NULL, rating text NOT NULL,
      report jsonb NOT NULL);
    CREATE INDEX scan_practice_latest ON scan (practice_id, started_at DESC);
    CREATE TABLE device (
      practice_id bigint NOT NULL REFERENCES practice ON DELETE CASCADE,
      device_key text NOT NULL, ip text NOT NULL, name text NOT NULL, role text NOT NULL,
      first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
      PRIMARY KEY (practice_id, device_key));
    CREATE TABLE finding (
      practice_id bigint NOT NULL REFERENCES practice ON DELETE CASCADE,
      fingerprint text NOT NULL, rule text NOT NULL, severity text NOT NULL,
      severity_rank smallint NOT NULL, host text, port integer, title_de text NOT NULL,
      title_en text NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
      resolved_at timestamptz, PRIMARY KEY (practice_id, fingerprint));
    CREATE INDEX finding_open_by_rule ON finding (rule, practice_id) WHERE resolved_at IS NULL;
    CREATE INDEX finding_open_by_practice ON finding (practice_id) WHERE resolved_at IS NULL;
    CREATE TABLE staff_user (
      id bigserial PRIMARY KEY, name text UNIQUE NOT NULL, pw_hash text NOT NULL,
      all_practices boolean NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE user_practice (
      user_id bigint NOT NULL REFERENCES staff_user ON DELETE CASCADE,
      practice_id bigint NOT NULL REFERENCES practice ON DELETE CASCADE,
      PRIMARY KEY (user_id, practice_id));
    CREATE TABLE web_session (
      id_sha256 bytea PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES staff_user ON DELETE CASCADE,
      csrf text NOT NULL, expires_at timestamptz NOT NULL);
    CREATE TABLE login_attempt (
      id bigserial PRIMARY KEY, name text NOT NULL, address text NOT NULL,
      at timestamptz NOT NULL DEFAULT now());
    CREATE INDEX login_attempt_at ON login_attempt (at);
    CREATE TABLE alert_outbox (
      id bigserial PRIMARY KEY, dedup_key text UNIQUE NOT NULL, payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), attempts integer NOT NULL DEFAULT 0,
      last_error text, sent_at timestamptz);
    """,
)


def connect(dsn: str):  # noqa: ANN201 - psycopg.Connection
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=False)
    except psycopg.Error as e:
        raise FleetError(f"database not reachable ({_one_line(e)}); check --database") from None


def make_pool(dsn: str, size: int = 8):  # noqa: ANN201 - psycopg_pool.ConnectionPool
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(dsn, min_size=1, max_size=size, open=False)
    try:
        pool.open(wait=True, timeout=15)
    except Exception as e:  # noqa: BLE001 - psycopg_pool.PoolTimeout and friends
        pool.close()
        raise FleetError(f"database not reachable ({_one_line(e)}); check --database") from None
    return pool


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:300]


def schema_version(conn) -> int:  # noqa: ANN001
    row = conn.execute("SELECT to_regclass('fleet_schema') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM fleet_schema").fetchone()
    return row[0] or 0


def migrate(dsn: str) -> tuple[int, int]:
    """Bring the schema up to date. Returns (version before, version after)."""
    import psycopg

    with connect(dsn) as conn:
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS fleet_schema (version integer NOT NULL)")
            before = schema_version(conn)
            if before > len(MIGRATIONS):
                raise FleetError(f"database schema {before} is newer than this praxisscan "
                                 f"understands ({len(MIGRATIONS)})")
            for step in MIGRATIONS[before:]:
                conn.execute(step)
            conn.execute("DELETE FROM fleet_schema")
            conn.execute("INSERT INTO fleet_schema VALUES (%s)", (len(MIGRATIONS),))
            conn.commit()
        except psycopg.Error as e:
            raise FleetError(f"migration failed: {_one_line(e)}") from None
    return before, len(MIGRATIONS)


def require_current(conn) -> None:  # noqa: ANN001
    version = schema_version(conn)
    if version != len(MIGRATIONS):
        raise FleetError(f"database schema is at version {version}, this praxisscan needs "
                         f"{len(MIGRATIONS)}: run praxisscan fleet migrate --database ...")


@contextmanager
def transaction(dsn: str) -> Iterator:
    """One connection, one transaction, for the CLI's short jobs."""
    with connect(dsn) as conn:
        require_current(conn)
        yield conn
        conn.commit()
