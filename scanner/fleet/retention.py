"""How long the fleet server keeps what the practices pushed.

Scans older than the retention are deleted, except each practice's newest complete scan:
the overview and the practice page stand on it. Findings resolved before the cut-off go
too; open findings and the device list stay, they are the fleet's memory of each practice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pruned:
    scans: int
    findings: int


def prune(conn, days: int) -> Pruned:  # noqa: ANN001 - psycopg.Connection
    cutoff = "now() - make_interval(days => %s)"
    scans = conn.execute(
        f"""DELETE FROM scan s WHERE s.received_at < {cutoff}
            AND s.id IS DISTINCT FROM (
              SELECT k.id FROM scan k WHERE k.practice_id = s.practice_id AND k.complete
              ORDER BY k.started_at DESC LIMIT 1)""", (days,)).rowcount
    findings = conn.execute(
        f"DELETE FROM finding WHERE resolved_at IS NOT NULL AND resolved_at < {cutoff}",
        (days,)).rowcount
    return Pruned(scans, findings)
