"""The rules' lookups that keep evaluation near-linear in hosts (issue 12, L14) answer exactly
what the plain pairwise definitions answer: same network, the site file's device, presence.

No timing here (timed assertions flake on a shared machine); the figures are in the commit
that made evaluation near-linear (4,000 hosts: 15.8 s before, 0.14 s after).
"""

from __future__ import annotations

import ipaddress
import random
from datetime import date, datetime, timezone
from scanner.model import Host, Role, Scan, Scope
from scanner.rules.base import Context
from scanner.rules.engine import evaluate
from scanner.rules.evidence import text as evidence_text
from scanner.site import Device, Network, Site

T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)


def _hosts(rng: random.Random, n: int) -> tuple[Host, ...]:
    out = []
    for _ in range(n):
        third = rng.choice([0, 0, 1, 2, 9])  # 10.0.9.x lies in no network of the scope
        mac = rng.choice([None, f"00:19:99:00:00:{rng.randrange(40):02x}"])  # duplicates too
        names = rng.choice([(), (f"PC{rng.randrange(30)}",), (f"pc{rng.randrange(30)}", "X")])
        out.append(Host(ip=rng.choice([f"10.0.{third}.{rng.randrange(1, 60)}", "not-an-ip"]),
                        mac=mac, hostnames=names, role=rng.choice(list(Role))))
    return tuple(out)


def _site(rng: random.Random) -> Site:
    """Built directly: the loader refuses duplicates, which test the first-match order."""
    devices = []
    for i in range(60):
        ident = rng.choice([{"mac": f"00:19:99:00:00:{rng.randrange(40):02x}"},
                            {"hostname": f"Pc{rng.randrange(30)}"},
                            {"ip": f"10.0.{rng.choice([0, 1, 2])}.{rng.randrange(1, 60)}"}])
        devices.append(Device(name=f"d{i}", role=Role.WORKSTATION, **ident))
    nets = (Network(ipaddress.IPv4Network("10.0.0.0/23"), "praxis"),
            Network(ipaddress.IPv4Network("10.0.1.0/24"), "medical"))
    return Site(path="praxis.toml", name="x", size="praxis", networks=nets, devices=tuple(devices))


def test_indexed_lookups_answer_what_the_pairwise_definitions_answer() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        hosts = _hosts(rng, 80)
        site = _site(rng)
        scan = Scan(started_at=T0, finished_at=T0, complete=True, hosts=hosts,
                    scope=Scope(targets=(), networks=("10.0.0.0/24", "10.0.2.0/24", "bogus")))
        ctx = Context(scan, site, date(2026, 11, 28))
        among = [h for h in hosts if rng.random() < 0.3]
        for h in hosts:
            assert ctx.device(h) == site.device_for(h)
            pairwise = [o for o in among if ctx.same_network(h, o)]
            assert ctx.near(h, among) == (pairwise[:5], len(pairwise))
        for d in site.devices:
            assert ctx.answered(d) == any(d.matches(h) for h in hosts)


def test_a_phone_beside_many_servers_names_five_and_counts_the_rest() -> None:
    servers = tuple(Host(ip=f"192.168.178.{10 + i}", mac=f"00:19:99:00:00:{i:02x}",
                         role=Role.PVS_SERVER) for i in range(8))
    phone = Host(ip="192.168.178.101", mac="6a:3f:c1:5e:22:91", mac_randomized=True,
                 role=Role.SMARTPHONE)
    scan = Scan(started_at=T0, finished_at=T0, complete=True, hosts=(*servers, phone),
                scope=Scope(targets=(), networks=("192.168.178.0/24",)))
    (f,) = [f for f in evaluate(scan, None)[0] if f.rule == "private-mobile-device"]
    assert f.severity.value == "high"
    assert evidence_text(f.evidence[2], "en") == ("same network as " + ", ".join(f"PVS server {s.ip}" for s in servers[:5])
                             + " and 3 more")
