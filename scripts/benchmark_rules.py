"""Time evaluate() on a generated scan (issue 12, L14): python -m scripts.benchmark_rules [HOSTS]

Not a test (no timed assertions on a shared machine): run it to compare two versions.
All hosts share one /20, the worst case for the rules that look at neighbours.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from scanner.model import Host, Observation, Protocol, Role, Scan, Scope, Service, Source
from scanner.rules.engine import evaluate
from scanner.site import Site, load_site

T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)
ROLES = ([Role.WORKSTATION] * 40 + [Role.SMARTPHONE] * 15 + [Role.MEDICAL_DEVICE] * 15
         + [Role.PVS_SERVER] * 2 + [Role.KONNEKTOR] + [Role.PRINTER] * 10 + [Role.IOT] * 7
         + [Role.UNKNOWN] * 10)


def generated_scan(n: int, seed: int = 12) -> Scan:
    rng = random.Random(seed)
    hosts = []
    for i in range(n):
        mac = f"{rng.choice(['00', '02', '6a'])}:19:99:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        ports = rng.sample([22, 23, 80, 443, 445, 3389, 5432, 5900], 3)
        obs = (Observation(Source.PROBE, "smb", (("port", "445"), ("smb1", rng.choice(["yes", "no"]))), T0),
               Observation(Source.PROBE, "http", (("port", "80"), ("tls", "no"), ("login_form", "yes")), T0))
        hosts.append(Host(ip=f"10.0.{i // 250}.{i % 250 + 1}", mac=mac,
                          mac_randomized=mac.startswith(("02", "6a")), role=rng.choice(ROLES),
                          services=tuple(Service(p, Protocol.TCP) for p in ports), observations=obs))
    return Scan(started_at=T0, finished_at=T0, complete=True, hosts=tuple(hosts),
                scope=Scope(targets=("10.0.0.0/20",), networks=("10.0.0.0/20",)))


def site_listing_half(scan: Scan) -> Site:
    text = '[practice]\nname = "x"\n\n[[network]]\ncidr = "10.0.0.0/20"\nzone = "praxis"\n'
    half = scan.hosts[: len(scan.hosts) // 2]
    text += "".join(f'\n[[device]]\nname = "d{i}"\nrole = "workstation"\nmac = "{h.mac}"\n'
                    for i, h in enumerate(half))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "praxis.toml"
        path.write_text(text)
        return load_site(path)


def main(n: int) -> None:
    scan = generated_scan(n)
    for label, site in (("no site file", None), (f"site file with {n // 2} devices", site_listing_half(scan))):
        start = time.perf_counter()
        findings, gaps = evaluate(scan, site, date(2026, 11, 28))
        print(f"{n} hosts, {label}: {time.perf_counter() - start:.2f} s, "
              f"{len(findings)} findings, {len(gaps)} not tested")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
