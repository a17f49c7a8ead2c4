#!/usr/bin/env python3
"""nmap's service database: load cost, and matching 1,000 responses.

Run from the checkout:  .venv/bin/python scripts/benchmark_nmapdb.py
The responses are the real greetings and HTTP answers of the shared captures (public ones
and the lab's daemons), repeated with varied versions, host names and dates, half of them
for the NULL probe and half for GetRequest, and some that match nothing (the costliest kind:
every candidate line is tried). No network is used. The issue's target: 1,000 responses in
under 1 s after loading.
"""

from __future__ import annotations

import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.nmapdb.database import MAX_RESPONSE, Unavailable, load  # noqa: E402
from tests.test_nmapdb import tcp_streams  # noqa: E402

CAPTURES = REPO.parent / "shared" / "testdata" / "captures"
N = 1000


def real_responses() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for pcap in sorted((CAPTURES / "services").glob("*.pcap")) + [CAPTURES / "lab" / "lab_services.pcap"]:
        for _port, first, request, server in tcp_streams(pcap):
            if first:
                said = first[:first.index(b"\n") + 1] if first.startswith(b"SSH-") and b"\n" in first else first
                out.append(("NULL", said[:4096]))
            elif request.startswith(b"GET / ") and server:
                out.append(("GetRequest", server[:MAX_RESPONSE]))
            elif server.startswith(b"SSH-"):
                out.append(("NULL", server[:server.index(b"\n") + 1]))
            elif server:  # answers to requests we would not make: still a hostile-ish input
                out.append(("GetRequest", server[:4096]))
    return out


def vary(rnd: random.Random, data: bytes) -> bytes:
    data = re.sub(rb"\d+\.\d+(?:\.\d+)?",
                  lambda m: b".".join(str(rnd.randint(0, 12)).encode() for _ in m.group().split(b".")),
                  data, count=2)
    data = re.sub(rb"Date: [^\r\n]+", f"Date: Tue, {rnd.randint(1, 28):02d} Dec 2026 "
                  f"{rnd.randint(0, 23):02d}:00:00 GMT".encode(), data)
    return data.replace(b"labnas", f"host{rnd.randint(1, 99)}".encode())


def main() -> int:
    t = time.perf_counter()
    db = load()
    t_load = time.perf_counter() - t
    if isinstance(db, Unavailable):
        print(f"nmap's service database is not available: {db.reason}")
        return 2
    t = time.perf_counter()
    n_null = db.compiled("NULL")
    t_null = time.perf_counter() - t
    t = time.perf_counter()
    n_get = db.compiled("GetRequest")
    t_get = time.perf_counter() - t
    t = time.perf_counter()
    rest = sum(db.compiled(p) for p in db.probe_names("TCP")) - n_null - n_get
    rest += sum(db.compiled(p, "UDP") for p in db.probe_names("UDP"))
    t_rest = time.perf_counter() - t

    rnd = random.Random(14)
    base = real_responses()
    corpus = [(probe, vary(rnd, data)) for probe, data in
              (base[i % len(base)] for i in range(N))]
    rnd.shuffle(corpus)
    times, hits, soft = [], 0, 0
    t_all = time.perf_counter()
    for probe, data in corpus:
        t = time.perf_counter()
        got = db.match_response(probe, data)
        times.append(time.perf_counter() - t)
        hits += got is not None
        soft += bool(got and got.soft)
    t_all = time.perf_counter() - t_all

    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import scanner.nmapdb"], cwd=REPO, check=True)
    t_import = time.perf_counter() - t

    print(f"file:                      {db.path} ({db.match_lines} match/softmatch lines)")
    print(f"read + parse:              {t_load * 1000:7.1f} ms  ({len(db.parse_notes)} lines skipped)")
    print(f"compile NULL:              {t_null * 1000:7.1f} ms  ({n_null} lines)")
    print(f"compile GetRequest:        {t_get * 1000:7.1f} ms  ({n_get} lines)")
    print(f"compile all other probes:  {t_rest * 1000:7.1f} ms  ({rest} lines; a scan never needs them)")
    print(f"lines that did not compile: {len(db.compile_notes)}")
    print(f"match {N} responses:        {t_all * 1000:7.1f} ms  ({len(base)} real responses varied; "
          f"{hits} named, {soft} of them by a softmatch only)")
    print(f"  per response:            mean {statistics.mean(times) * 1e6:.0f} us, "
          f"p99 {sorted(times)[int(N * 0.99)] * 1e6:.0f} us, max {max(times) * 1e6:.0f} us")
    print(f"python -c 'import scanner.nmapdb' (interpreter start included): {t_import * 1000:.0f} ms")
    print(f"target 1,000 responses < 1 s after loading: {'met' if t_all < 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
