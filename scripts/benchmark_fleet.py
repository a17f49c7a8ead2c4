"""Benchmark of the fleet server at provider size: generated practices' weekly scans pushed
through the real API (uvicorn over HTTPS on loopback, a throw-away PostgreSQL), then the
console pages and the fleet-wide finding query timed at that size.

    .venv/bin/python scripts/benchmark_fleet.py [--practices 500] [--weeks 52] [--devices 40]

Prints the ingest rate (scans/s), the total time and page timings (median and worst of 20)
against the targets: overview < 300 ms, practice page < 200 ms, finding query < 300 ms.
Needs root or a non-root user (PostgreSQL is run as 'postgres' when started as root).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.model import (Finding, Host, Localized, Protocol, Role, Scan, Scope,  # noqa: E402
                           Service, Severity)

RULES = (("smbv1", Severity.HIGH, 445), ("cleartext-telnet", Severity.HIGH, 23),
         ("rdp-exposed", Severity.MEDIUM, 3389), ("vnc-exposed", Severity.HIGH, 5900),
         ("pvs-database-exposed", Severity.CRITICAL, 1433),
         ("management-over-http", Severity.MEDIUM, 80), ("weak-tls", Severity.MEDIUM, 443),
         ("end-of-life", Severity.HIGH, None), ("unknown-device", Severity.MEDIUM, None),
         ("snmp-default-community", Severity.MEDIUM, 161))
ROLES = (Role.WORKSTATION, Role.PRINTER, Role.PVS_SERVER, Role.NAS, Role.ROUTER)
START = datetime(2025, 12, 1, 7, 30, tzinfo=timezone.utc)


def make_scan(practice: int, week: int, devices: int = 40, hostile_name: str | None = None) -> Scan:
    """A practice's scan of one week: stable devices, a few findings that come and go."""
    rnd = random.Random(practice * 1000 + week)
    started = START + timedelta(weeks=week, minutes=practice % 600)
    hosts, findings = [], []
    for d in range(devices):
        mac = f"02:{practice >> 8 & 255:02x}:{practice & 255:02x}:00:00:{d:02x}"
        name = hostile_name if (hostile_name and d == 0) else f"PC-{practice:03d}-{d:02d}"
        host = Host(ip=f"192.168.{practice % 250}.{10 + d}", mac=mac, hostnames=(name,),
                    role=ROLES[d % len(ROLES)],
                    services=(Service(445, Protocol.TCP, "microsoft-ds", "Samba", "4.17"),))
        hosts.append(host)
        for rule, severity, port in RULES:
            # each device has a rule open in some weeks: stable per (practice, device, rule)
            seed = int(hashlib.sha256(f"{practice}:{d}:{rule}".encode()).hexdigest()[:8], 16)
            if seed % 23 == 0 and (week + seed) % 5 != 0:
                fp = hashlib.sha256(f"{rule}|{host.key}|{port}".encode()).hexdigest()[:32]
                findings.append(Finding(rule, severity, host.key, port,
                                        Localized(f"Befund {rule}", f"Finding {rule}"),
                                        (f"evidence {rnd.randint(0, 9)}",), fingerprint=fp))
    return Scan(started_at=started, finished_at=started + timedelta(minutes=4),
                scope=Scope(targets=(f"192.168.{practice % 250}.0/24",),
                            networks=(f"192.168.{practice % 250}.0/24",)),
                complete=True, hosts=tuple(hosts), findings=tuple(findings),
                tool_version="bench")


def _timed(fn, n: int = 20) -> tuple[float, float]:  # noqa: ANN001
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--practices", type=int, default=500)
    p.add_argument("--weeks", type=int, default=52)
    p.add_argument("--devices", type=int, default=40)
    p.add_argument("--clients", type=int, default=8, help="concurrent pushing boxes")
    args = p.parse_args()

    from scanner.jsonio import dumps
    from tests.fleet.support import FleetServer, Postgres, https_get, login, make_tls, post_scan

    with tempfile.TemporaryDirectory(prefix="pxbench-") as tmp, Postgres() as pg:
        tls = make_tls(Path(tmp))
        dsn = pg.create_database("bench")
        slugs = [f"praxis-{i:03d}" for i in range(args.practices)]
        tokens = {s: pg.token(dsn, s) for s in slugs}
        pg.user(dsn, "bench", "bench-password-1")
        with FleetServer(dsn, tls, pool_size=8) as server:
            total = args.practices * args.weeks
            print(f"pushing {total} scans ({args.practices} practices x {args.weeks} weeks x "
                  f"{args.devices} devices), {args.clients} clients ...", flush=True)

            def practice_job(i: int) -> int:
                slug = slugs[i]
                for week in range(args.weeks):
                    status, _ = post_scan(server.push_url(slug), dumps(
                        make_scan(i, week, args.devices)).encode(), tokens[slug], tls.ca)
                    assert status == 201, status
                return args.weeks

            t0 = time.perf_counter()
            done = 0
            with ThreadPoolExecutor(args.clients) as pool:
                for n in pool.map(practice_job, range(args.practices)):
                    done += n
                    if done % (args.weeks * 50) == 0:
                        el = time.perf_counter() - t0
                        print(f"  {done}/{total} scans, {done / el:.1f} scans/s", flush=True)
            elapsed = time.perf_counter() - t0
            print(f"ingest: {total} scans in {elapsed:.1f} s = {total / elapsed:.1f} scans/s")
            counts = pg.query(dsn, "SELECT (SELECT count(*) FROM scan), (SELECT count(*) FROM "
                              "device), (SELECT count(*) FROM finding), (SELECT "
                              "pg_size_pretty(pg_database_size(current_database())))")[0]
            print(f"stored: {counts[0]} scans, {counts[1]} devices, {counts[2]} findings, "
                  f"database {counts[3]}")
            pg.query(dsn, "VACUUM ANALYZE", fetch=False)
            cookie = login(server.base, "bench", "bench-password-1", tls.ca)
            pages = {"overview (target 300 ms)": "/",
                     "practice page (target 200 ms)": f"/practice/{slugs[len(slugs) // 2]}",
                     "finding across the fleet (target 300 ms)": "/findings/smbv1",
                     "findings index": "/findings"}
            for label, path in pages.items():
                median, worst = _timed(lambda path=path: https_get(server.base + path, tls.ca,
                                                                   cookie))
                print(f"{label}: median {median:.0f} ms, worst {worst:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
