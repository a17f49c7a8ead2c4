"""Generated malformed evidence against every rule (issue 12, "done when").

Hostile strings for every key a rule reads, missing and repeated keys, huge values, keys of
one kind on observations of another, odd addresses, networks and acknowledgements: no
exception escapes evaluate(), no rule even needs its guard, and a malformed number never
becomes a port in a finding. A seeded generator (not hypothesis): the same cases on every
run and no new test dependency; the seeds are in the failure message.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from scanner.model import (TYPED, Host, Observation, Protocol, Role, Scan, Scope, Service,
                           Source, WlanNetwork, WlanSecurity, Zone, typed)
from scanner.rules.engine import evaluate
from scanner.rules.evidence import text as evidence_text
from scanner.site import Acknowledgement, Device, Network, Site, Wlan
from tests.test_rules import CASES, load_case

T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)
MARK = "4711zz"  # in malformed numbers only: must never reach a finding

# What the rules read, by kind (test_the_generator_covers_every_key_the_rules_read keeps it whole).
READ = {
    "smb": ("port", "smb1", "dialect", "os_version"),
    "banner": ("port", "protocol", "text", "anonymous"),
    "rdp": ("port", "nla", "security"),
    "snmp": ("community", "sys_descr", "sys_name"),
    "http": ("port", "tls", "login_form", "auth", "title", "status", "server", "scripts",
             "address"),  # address: probed over IPv6 (#15)
    # management-over-http's identification of admin pages by nmap's verdict (#19)
    "nmap-service": ("port", "soft", "device_type", "product", "version", "line"),
    "tls": ("port", "legacy_versions", "version", "expired", "subject", "not_after", "self_signed",
            "issuer"),
    "connector-sds": ("port", "tls", "tls_mandatory", "client_aut_mandatory", "plain_endpoints",
                      "tls_endpoints", "product_name", "fw_version"),
    "sicct": ("name", "tls", "tcp_port"),
    "smtp": ("port", "greeting", "starttls"),
    "pop3": ("port", "greeting", "stls"),
    "upnp-device": ("port", "igd", "location", "friendly_name", "add_mapping", "manufacturer",
                    "model_name", "model_number"),
    "upnp-mapping": ("index", "protocol", "external_port", "internal_client", "internal_port",
                     "description", "enabled", "lease"),
    "inbound": ("port", "detail", "external"),
    "tr064-port-share": ("external_port", "internal_client", "internal_port", "protocol",
                         "enabled", "description"),
    "tr064-remote-access": ("enabled", "port", "username"),
    "tr064-myfritz": ("enabled", "dyndns", "port"),
    "tr064-myfritz-share": ("enabled", "port", "name", "hostname", "mac", "ipv4", "ipv6",
                            "ipv6_iids"),  # scanner/rules/myfritz.py (#15)
    "tr064-storage": ("ftp_wan",),
    "dhcp-server": ("message", "offered"),
    "tr064-device": ("port", "firmware", "manufacturer", "model"),
    "upnp-ipv6-firewall": ("firewall_enabled", "inbound_pinhole_allowed", "location"),
}
KINDS = (*READ, "unknown-kind", "", "TLS")
ALL_KEYS = sorted({k for keys in READ.values() for k in keys} | {k for _, k in TYPED})
HOSTILE = ("", " ", "0", "1", "-1", "+80", " 80", "80 ", "0x50", "1e3", "3.0", "65535", "65536",
           "4294967296", "9" * 5000, "٣٣٨٩", "８０", "²", "NaN", "inf", "None", "null", "yes",
           "no", "YES", "yes\n", "true", "false", "unknown", "offered", "not offered", "none",
           "TLSv1", "KOM-LE", "public", "192.168.178.10", "10.0.0.5", "\x00", "\u202e",
           "\ud800", "<script>alert(1)</script>", "[bold red]x[/]", "\x1b[31m", "{port}", "%s",
           "A" * 100_000, "3389", "445", "23", "5432")


def _value(rng: random.Random, kind: str, key: str) -> str:
    if key == "greeting" and rng.random() < 0.2:
        # a KIM greeting now and then: from HOSTILE alone kim-cleartext fired on one seed in
        # 600, and any new key of READ reshuffled it away (#15 added http's address)
        return rng.choice(("220 kim.praxis KOM-LE ESMTP", "+OK KOM-LE POP3 ready"))
    t = typed(kind, key)
    if t is not None and rng.random() < 0.5:
        return rng.choice((f"3389{MARK}", f"{MARK}", f"-{MARK}", rng.choice(HOSTILE)))
    if t is not None and rng.random() < 0.5:  # a valid one, so that rules fire too
        return str(rng.choice((0, 21, 23, 443, 445, 3389, 65535))) if hasattr(t, "low") \
            else rng.choice(sorted(t.words))
    return rng.choice(HOSTILE) if rng.random() < 0.9 else "".join(
        chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(1, 40)))


def _observation(rng: random.Random) -> Observation:
    kind = rng.choice(KINDS)
    own = READ.get(kind, ())
    keys = [k for k in own if rng.random() < 0.7]  # missing keys
    keys += rng.sample(ALL_KEYS, rng.randrange(0, 4))  # keys of other kinds, repeated keys
    pairs = [(k, _value(rng, kind, k)) for k in keys]
    bad = [(k, v) for k, v in pairs if (t := typed(kind, k)) is not None and not t.valid(v)]
    if bad:  # the strict constructor refuses exactly these (a hostile scan file)
        with pytest.raises(ValueError):
            Observation(rng.choice(list(Source)), kind, tuple(pairs), T0)
    o = Observation.checked(rng.choice(list(Source)), kind, pairs, T0)  # what producers use
    assert all(t.valid(v) for k, v in o.data if (t := typed(kind, k)) is not None)
    return o


def _host(rng: random.Random) -> Host:
    ip = rng.choice(("192.168.178.10", "192.168.178.1", f"192.168.178.{rng.randrange(256)}",
                     "10.0.0.5", "100.64.0.1", "not-an-ip", "", "192.168.178.999", "::1",
                     "\u202e1.1.1.1", rng.choice(HOSTILE)))
    mac = rng.choice((None, "", "00:19:99:00:00:10", "6a:3f:c1:5e:22:91", rng.choice(HOSTILE)))
    ports = rng.sample((0, 21, 23, 80, 139, 389, 443, 445, 1433, 3389, 5432, 5900, 7070, 65535),
                       rng.randrange(0, 6))
    return Host(
        ip=ip, mac=mac, mac_randomized=rng.random() < 0.3,
        hostnames=tuple(rng.choice(HOSTILE)[:64] for _ in range(rng.randrange(0, 3))),
        role=rng.choice(list(Role)), vendor=rng.choice((None, "AVM", rng.choice(HOSTILE))),
        os=rng.choice((None, "Windows 7", "Windows 10 Pro", "Windows Server 2008", rng.choice(HOSTILE))),
        services=tuple(Service(p, rng.choice(list(Protocol))) for p in ports),
        observations=tuple(_observation(rng) for _ in range(rng.randrange(0, 8))))


def _site(rng: random.Random, hosts: tuple[Host, ...]) -> Site | None:
    if rng.random() < 0.3:
        return None
    import ipaddress

    devices = tuple(Device(name=rng.choice(HOSTILE)[:20], role=rng.choice(list(Role)),
                           mac=h.mac or None, ip=None if h.mac else h.ip,
                           services=rng.choice((None, frozenset({"tcp/445", "tcp/3389"}))))
                    for h in hosts if rng.random() < 0.5)
    until = rng.choice((date(2027, 1, 1), datetime(2027, 1, 1, 10), T0 + timedelta(days=400),
                        datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=14))), "2099-01-01",
                        None, 20270101))
    from scanner.rules.engine import fingerprint

    acks = tuple(Acknowledgement(fingerprint(rng.choice(("smbv1", "upnp-port-mapping")),
                                             h.key, rng.choice((None, 445, 3389))), "r", "by",
                                 until)  # type: ignore[arg-type]
                 for h in hosts)
    return Site(path="praxis.toml", name="x", size="praxis",
                networks=(Network(ipaddress.IPv4Network("192.168.178.0/24"), Zone.PRAXIS),
                          Network(ipaddress.IPv4Network("192.168.178.0/28"), Zone.MEDICAL)),
                devices=devices, acknowledged=acks,
                wlans=tuple(Wlan(ssid=rng.choice(("Praxis", "Gast", rng.choice(HOSTILE))),
                                 zone=rng.choice((Zone.PRAXIS, Zone.GUEST)),
                                 min_security=rng.choice((WlanSecurity.OPEN, WlanSecurity.WPA2,
                                                          WlanSecurity.WPA3)),
                                 bssids=rng.choice(((), ("3c:a6:2f:00:00:01",))),
                                 vendors=rng.choice(((), ("AVM",))))
                            for _ in range(rng.randrange(0, 3))))


def _wlans(rng: random.Random) -> tuple[WlanNetwork, ...] | None:
    if rng.random() < 0.4:
        return None
    return tuple(WlanNetwork(ssid=rng.choice(("Praxis", "Gast", rng.choice(HOSTILE))),
                             bssid=rng.choice(("3c:a6:2f:00:00:01", rng.choice(HOSTILE))),
                             security=rng.choice(list(WlanSecurity)),
                             ciphers=tuple(rng.sample(("CCMP", "TKIP", ""), rng.randrange(0, 3))),
                             wps=rng.random() < 0.5, wps_known=rng.random() < 0.7,
                             vendor=rng.choice((None, "AVM", rng.choice(HOSTILE))))
                 for _ in range(rng.randrange(0, 4)))


def _scan(rng: random.Random) -> Scan:
    nets = tuple(rng.sample(("192.168.178.0/24", "100.64.0.0/10", "10.0.0.0/8", "bogus",
                             "192.168.178.1/24", "0.0.0.0/0", ""), rng.randrange(0, 3)))
    return Scan(started_at=T0, finished_at=T0, complete=rng.random() < 0.7,
                hosts=tuple(_host(rng) for _ in range(rng.randrange(0, 12))), wlans=_wlans(rng),
                scope=Scope(targets=nets, networks=nets))


@pytest.mark.parametrize("block", range(10))
def test_no_malformed_observation_makes_a_rule_fail_or_cite_an_invalid_port(block: int) -> None:
    for seed in range(block * 60, block * 60 + 60):
        rng = random.Random(seed)
        scan = _scan(rng)
        site = _site(rng, scan.hosts)
        today = rng.choice((date(2026, 11, 28), date(2027, 6, 1), datetime(2027, 6, 1, 12)))
        findings, gaps = evaluate(scan, site, today)  # type: ignore[arg-type]
        failed = [g for g in gaps if "the rule failed" in g.reason]
        assert not failed, f"seed {seed}: {failed}"
        for f in findings:
            assert f.port is None or (type(f.port) is int and 0 <= f.port <= 65535), (seed, f)
            assert not any(MARK in line for line in _lines(f)), (seed, f)


def test_malformed_observations_make_rules_fire_on_what_is_valid() -> None:
    """The generator is not vacuous: its scans make most rules fire and carry notes."""
    fired: set[str] = set()
    noted = 0
    for seed in range(600):
        rng = random.Random(seed)
        scan = _scan(rng)
        noted += sum(1 for h in scan.hosts for o in h.observations if o.get("malformed"))
        fired |= {f.rule for f in evaluate(scan, _site(rng, scan.hosts))[0]}
    assert noted > 500
    assert {"smbv1", "upnp-port-mapping", "inbound-service", "konnektor-tls-disabled",
            "management-over-http", "kim-cleartext", "router-remote-access", "upnp-enabled",
            "weak-tls", "expired-certificate", "rdp-exposed"} <= fired


def test_the_generator_covers_every_key_the_rules_read(monkeypatch) -> None:
    """Every (kind, key) the rules read on the fixture cases is one the generator makes."""
    read: set[tuple[str, str]] = set()
    get = Observation.get

    def recording(self: Observation, key: str, default: str | None = None) -> str | None:
        read.add((self.kind, key))
        return get(self, key, default)

    monkeypatch.setattr(Observation, "get", recording)
    for case in CASES:
        scan, site, today, _ = load_case(case)
        evaluate(scan, site, today)
    assert read, "no observation read: the recording is broken"
    missing = {(k, key) for k, key in read if key not in READ.get(k, ())}
    assert not missing


def test_a_scan_file_with_a_malformed_port_is_refused_where_it_is_read(tmp_path: Path) -> None:
    from scanner.errors import ScanFileError
    from scanner.jsonio import dumps, loads

    o = Observation(Source.PROBE, "upnp-mapping", (("internal_port", "3389"),), T0)
    scan = Scan(started_at=T0, finished_at=T0, complete=True, hosts=(Host(ip="10.0.0.1", observations=(o,)),),
                scope=Scope(targets=(), networks=()))
    text = dumps(scan)
    assert loads(text) == scan  # the wire format is unchanged: values stay strings
    with pytest.raises(ScanFileError):
        loads(text.replace('"3389"', '"3389abc"'))


def _lines(f) -> list[str]:  # noqa: ANN001 - a Finding
    """A finding's evidence as the English report shows it."""
    return [evidence_text(e, "en") for e in f.evidence]
