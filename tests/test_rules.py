"""Exposure rules against fixture folders: tests/rules/<rule>/<case>/case.toml.

Each case describes a scan (hosts with services and observations, WLANs, networks), may
carry a praxis.toml site file beside it, and lists the findings of its rule it expects:
host, port, severity. A 'silent' case expects none. One test runs them all; another proves
every rule in the catalog has a case that fires and one that stays silent.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from scanner.model import (AddressKind, Classification, Host, Ipv6Address, Observation, Protocol, Role, Scan, Scope,
                           Service, Severity,
                           Source, WlanNetwork, WlanSecurity)
from scanner.classification.oui import is_randomized
from scanner.rules.base import catalog
from scanner.rules.engine import evaluate, fingerprint
from scanner.site import load_site

CASES = sorted(Path(__file__).with_name("rules").glob("*/*/case.toml"))
T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)


def _wlan(w: dict) -> WlanNetwork:
    """A fixture's [[wlan]] table: WlanNetwork's own field names, enums by value."""
    fields = dict(w)
    fields["security"] = WlanSecurity(fields["security"])
    fields["modes"] = tuple(WlanSecurity(m) for m in fields.get("modes", ()))
    for name in ("ciphers", "akms"):
        fields[name] = tuple(fields.get(name, ()))
    return WlanNetwork(**fields)


def _service(s: str | dict) -> Service:
    at = s if isinstance(s, str) else s["at"]
    extra = {} if isinstance(s, str) else {"product": s.get("product", ""),
                                            "version": s.get("version", "")}
    return Service(int(at.split("/")[1]), Protocol(at.split("/")[0]), **extra)


def load_case(path: Path) -> tuple[Scan, object, date, set[tuple[str, int | None, str]]]:
    doc = tomllib.loads(path.read_text())
    hosts = []
    for h in doc.get("host", []):
        # "tcp/445", or { at = "tcp/445", product = "Samba smbd", version = "4.5.9" }
        services = tuple(_service(s) for s in h.get("services", []))
        observations = tuple(
            Observation(Source.PROBE, o["kind"],
                        tuple((k, str(v)) for k, v in o.items() if k != "kind"), T0)
            for o in h.get("observations", []))
        mac = h.get("mac")
        # "confidence": the classifier's confidence in the role (no key: no classification)
        classification = (Classification(h["confidence"]) if "confidence" in h else None)
        # IPv6: "ipv6" = ["2001:db8::1 global", ...], "ipv6_services" like "services"
        ipv6 = tuple(Ipv6Address(a.split()[0], AddressKind(a.split()[1]))
                     for a in h.get("ipv6", []))
        ipv6_services = tuple(Service(int(s.split("/")[1]), Protocol(s.split("/")[0]))
                              for s in h.get("ipv6_services", []))
        hosts.append(Host(ip=h["ip"], mac=mac, mac_randomized=bool(mac and is_randomized(mac)),
                          role=Role(h.get("role", "unknown")), os=h.get("os"),
                          hostnames=tuple(h.get("hostnames", [])), services=services,
                          observations=observations, classification=classification,
                          ipv6=ipv6, ipv6_services=ipv6_services))
    wlans = None
    if "wlan" in doc or "wlans" in doc:
        wlans = tuple(_wlan(w) for w in doc.get("wlan", []))
    nets = tuple(doc.get("networks", ["192.168.178.0/24"]))
    scan = Scan(started_at=T0, finished_at=T0, complete=True, hosts=tuple(hosts), wlans=wlans,
                scope=Scope(targets=nets, networks=nets))
    site_file = path.with_name("praxis.toml")
    site = load_site(site_file) if site_file.exists() else None
    expected = {(e["host"], e.get("port"), e["severity"]) for e in doc.get("expect", [])}
    return scan, site, doc.get("today", date(2026, 11, 28)), expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_rule_fixture(case: Path) -> None:
    rule_id = case.parent.parent.name
    scan, site, today, expected = load_case(case)
    findings, _ = evaluate(scan, site, today)
    got = {(f.host, f.port, f.severity.value) for f in findings if f.rule == rule_id}
    assert got == expected
    for f in findings:
        assert f.fingerprint == fingerprint(f.rule, f.host, f.port)


def test_every_rule_has_a_case_that_fires_and_one_that_stays_silent() -> None:
    cases: dict[str, dict[str, int]] = {}
    for c in CASES:
        expected = load_case(c)[3]
        cases.setdefault(c.parent.parent.name, {})[c.parent.name] = len(expected)
    for rule_id in catalog():
        assert cases.get(rule_id, {}).get("fires", 0) > 0, f"{rule_id}: no case that fires"
        assert cases.get(rule_id, {}).get("silent") == 0, f"{rule_id}: no silent case"
    assert set(cases) <= set(catalog()), "fixture folder for an unknown rule"


def test_fingerprints_survive_an_ip_change() -> None:
    mac = "00:19:99:00:00:10"
    a = fingerprint("smbv1", f"mac:{mac}", 445)
    assert a == fingerprint("smbv1", f"mac:{mac}", 445) and len(a) == 16
    assert a != fingerprint("smbv1", f"mac:{mac}", 139)


def test_acknowledged_findings_are_marked_and_expired_ones_come_back(tmp_path: Path) -> None:
    case = Path(__file__).with_name("rules") / "cleartext-telnet" / "fires" / "case.toml"
    scan = load_case(case)[0]
    fp = fingerprint("cleartext-telnet", "mac:00:13:49:00:00:03", 23)
    site = tmp_path / "praxis.toml"
    site.write_text(f'[practice]\nname = "x"\n\n[[acknowledged]]\nfinding = "{fp}"\n'
                    'reason = "Switch wird im Januar getauscht"\nby = "IT Müller"\nuntil = 2027-01-31\n')
    (f,) = [f for f in evaluate(scan, load_site(site), date(2026, 12, 1))[0] if f.rule == "cleartext-telnet"]
    assert f.acknowledged.startswith("Switch wird im Januar getauscht (IT Müller")
    (f,) = [f for f in evaluate(scan, load_site(site), date(2027, 2, 1))[0] if f.rule == "cleartext-telnet"]
    assert f.acknowledged == ""


def test_catalog_entries_are_complete_in_both_languages() -> None:
    for rule_id, e in catalog().items():
        for text in (e.title, e.explanation, e.fix):
            assert text.de.strip() and text.en.strip(), rule_id
        assert e.references and isinstance(e.severity, Severity), rule_id


def test_evaluating_again_replaces_the_rules_own_gaps(tmp_path: Path) -> None:
    import dataclasses

    from scanner.rules.engine import apply_rules

    case = Path(__file__).with_name("rules") / "unknown-device" / "fires" / "case.toml"
    scan, site, _, _ = load_case(case)
    without = apply_rules(scan, None)
    assert any(n.check == "unknown-device" for n in without.not_tested)
    again = apply_rules(dataclasses.replace(without, findings=()), site)
    assert not any(n.check == "unknown-device" for n in again.not_tested)
    assert apply_rules(again, site).not_tested == again.not_tested  # idempotent


def test_findings_resting_on_a_classified_role_carry_its_confidence() -> None:
    import dataclasses

    from scanner.classification.classify import classify
    from scanner.model import Host, Protocol, Service

    pvs = classify(Host(ip="192.168.178.10", mac="00:19:99:00:00:10",
                        services=tuple(Service(p, Protocol.TCP) for p in (445, 5432))))
    assert pvs.role is Role.PVS_SERVER and pvs.classification.confidence == 0.45
    smb = Observation(Source.PROBE, "smb", (("port", "445"), ("smb1", "yes")), T0)
    pvs = dataclasses.replace(pvs, observations=(smb,))
    scan = Scan(started_at=T0, finished_at=T0, complete=True, hosts=(pvs,),
                scope=Scope(targets=(), networks=("192.168.178.0/24",)))
    conf = {f.rule: f.confidence for f in evaluate(scan, None)[0]}
    assert conf["pvs-database-exposed"] == 0.45  # rests on "this is the PVS server"
    assert conf["smbv1"] == 1.0  # the server said so itself
