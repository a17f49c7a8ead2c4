"""JSON form of a scan: the contract that scripts and later tools rely on.

The layout is described by ``scanner/schema/scan.schema.json``; ``schema_version`` changes
whenever a field changes meaning or disappears. Reading is strict: the version, then the
whole document against the schema (types, ranges, enumerations, addresses, timestamps; see
scanner/schema/check.py), before anything is built. A scan file is as hostile as the network
it describes: every refusal is one ``ScanFileError`` naming the JSON path, never a crash in
a rule or a report later. Writing never emits NaN or Infinity.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

from scanner.errors import ScanFileError
from scanner.inputfile import read_limited
from scanner.model import (
    SCHEMA_VERSION,
    AddressKind,
    Classification,
    Evidence,
    Reason,
    Finding,
    Host,
    Ipv6Address,
    KnowledgeStamp,
    Localized,
    NotTested,
    Observation,
    Protocol,
    Role,
    Scan,
    Scope,
    SeenBy,
    Service,
    Severity,
    Source,
    WlanNetwork,
    WlanSecurity,
)
from scanner.schema.check import Invalid as _Invalid, check, show

# A scan of a /22 with every host busy is a few MiB; far more is not a scan.
MAX_SCAN_BYTES = 64 * 2**20
T = TypeVar("T")


def scan_to_dict(scan: Scan) -> dict[str, Any]:
    return {
        "schema_version": scan.schema_version,
        "tool": {"name": "praxisscan", "version": scan.tool_version},
        "complete": scan.complete,
        "started_at": scan.started_at.isoformat(),
        "finished_at": scan.finished_at.isoformat(),
        "scope": _scope_to_dict(scan.scope),
        "hosts": [_host_to_dict(h) for h in scan.hosts],
        "findings": [_finding_to_dict(f) for f in scan.findings],
        "not_tested": [
            {"check": n.check, "host": n.host, "reason": n.reason} for n in scan.not_tested
        ],
        "wlans": None if scan.wlans is None else [_wlan_to_dict(w) for w in scan.wlans],
        "knowledge": None if scan.knowledge is None else {
            "date": scan.knowledge.date.isoformat(), "origin": scan.knowledge.origin,
            "sha256": scan.knowledge.sha256, "entries": scan.knowledge.entries},
    }


def dumps(scan: Scan) -> str:
    # allow_nan=False: NaN and Infinity are not JSON; a scan that holds one is a bug to see.
    return json.dumps(scan_to_dict(scan), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def loads(text: str, origin: str = "<scan>") -> Scan:
    """A scan from its JSON text; anything but a well-formed scan is one ``ScanFileError``."""
    text = text.removeprefix("\ufeff")  # a byte order mark from a Windows editor
    if len(text) > MAX_SCAN_BYTES:
        raise _malformed(origin, "$", f"larger than {MAX_SCAN_BYTES // 2**20} MiB")
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                         parse_int=_bounded_int)
    except json.JSONDecodeError as e:
        raise ScanFileError(f"{origin}: not JSON ({e.msg} at line {e.lineno})") from None
    except _Invalid as e:
        raise _malformed(origin, e.path, e.what) from None
    except RecursionError:
        raise _malformed(origin, "$", "nested too deeply") from None
    return scan_from_dict(doc, origin)


def load_file(path: Path) -> Scan:
    """A scan file: a regular file of at most ``MAX_SCAN_BYTES``, read without following
    a FIFO or a device into a hang."""
    return loads(read_limited(path, MAX_SCAN_BYTES, ScanFileError), str(path))


def scan_from_dict(doc: Any, origin: str = "<scan>") -> Scan:
    if not isinstance(doc, dict):
        raise ScanFileError(f"{origin}: not a praxisscan scan (expected a JSON object)")
    version = doc.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ScanFileError(
            f"{origin}: schema_version {show(version)} is not supported (this praxisscan "
            f"reads {SCHEMA_VERSION})"
        )
    try:
        check(doc)
        return _scan(doc)
    except _Invalid as e:
        raise _malformed(origin, e.path, e.what) from None
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        # The schema check should leave nothing for the model to refuse; if the model still
        # does (an observation's typed value, say), it is the same kind of error.
        raise _malformed(origin, "$", _reason(e)) from None


def _scan(doc: dict[str, Any]) -> Scan:
    return Scan(
        schema_version=doc["schema_version"],
        tool_version=doc.get("tool", {}).get("version", ""),
        complete=doc["complete"],
        started_at=datetime.fromisoformat(doc["started_at"]),
        finished_at=datetime.fromisoformat(doc["finished_at"]),
        scope=_at("$.scope", _scope_from_dict, doc["scope"]),
        hosts=_each("$.hosts", _host_from_dict, doc["hosts"]),
        findings=_each("$.findings", _finding_from_dict, doc["findings"]),
        not_tested=_each("$.not_tested", _not_tested_from_dict, doc["not_tested"]),
        wlans=None if doc.get("wlans") is None else _each("$.wlans", _wlan_from_dict,
                                                          doc["wlans"]),
        knowledge=_at("$.knowledge", _knowledge_from_dict, doc.get("knowledge")),
    )


def _knowledge_from_dict(d: Any) -> KnowledgeStamp | None:
    """Absent or null in scans judged before version knowledge existed."""
    if d is None:
        return None
    return KnowledgeStamp(date=date.fromisoformat(d["date"]), origin=str(d["origin"]),
                          sha256=str(d.get("sha256", "")), entries=int(d.get("entries", 0)))


def _malformed(origin: str, path: str, what: str) -> ScanFileError:
    return ScanFileError(f"{origin}: malformed scan: {path}: {what}")


def _reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {show(str(e), 160)[1:-1]}"


def _at(path: str, build: Callable[[Any], T], value: Any) -> T:
    try:
        return build(value)
    except _Invalid as e:  # from a nested _each: its path is relative to this value
        raise _Invalid(e.path if e.path.startswith("$") else f"{path}.{e.path}", e.what) from None
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        raise _Invalid(path, _reason(e)) from None


def _each(path: str, build: Callable[[Any], T], items: list[Any]) -> tuple[T, ...]:
    return tuple(_at(f"{path}[{i}]", build, item) for i, item in enumerate(items))


def _no_constant(name: str) -> Any:
    raise _Invalid("$", f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Invalid("$", f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 40:
        raise _Invalid("$", f"a number of {len(text)} digits")
    return int(text)


def _not_tested_from_dict(n: dict[str, Any]) -> NotTested:
    return NotTested(check=n["check"], reason=n["reason"], host=n.get("host"))


def _scope_to_dict(s: Scope) -> dict[str, Any]:
    return {
        "targets": list(s.targets),
        "networks": list(s.networks),
        "interface": s.interface,
        "profile": s.profile,
        "tcp_ports": s.tcp_ports,
        "excluded_ports": s.excluded_ports,
        "allow_public": s.allow_public,
        "allow_large": s.allow_large,
    }


def _scope_from_dict(d: dict[str, Any]) -> Scope:
    return Scope(
        targets=tuple(d["targets"]),
        networks=tuple(d["networks"]),
        interface=d.get("interface"),
        profile=d.get("profile", "quick"),
        tcp_ports=d.get("tcp_ports", ""),
        excluded_ports=d.get("excluded_ports", ""),
        allow_public=bool(d.get("allow_public", False)),
        allow_large=bool(d.get("allow_large", False)),
    )


def _host_to_dict(h: Host) -> dict[str, Any]:
    return {
        "key": h.key,
        "ip": h.ip,
        "mac": h.mac,
        "mac_vendor": h.mac_vendor,
        "mac_randomized": h.mac_randomized,
        "hostnames": list(h.hostnames),
        "role": h.role.value,
        "vendor": h.vendor,
        "product": h.product,
        "os": h.os,
        "services": [_service_to_dict(s) for s in h.services],
        "observations": [
            {
                "source": o.source.value,
                "kind": o.kind,
                "seen_at": o.seen_at.isoformat(),
                "data": dict(o.data),
            }
            for o in h.observations
        ],
        "classification": _classification_to_dict(h.classification),
        "site_name": h.site_name,
        "classified_role": h.classified_role.value if h.classified_role else None,
        "ipv6": [{"address": a.address, "kind": a.kind.value} for a in h.ipv6],
        "ipv6_services": [_service_to_dict(s) for s in h.ipv6_services],
    }


def _service_to_dict(s: Service) -> dict[str, Any]:
    return {
        "port": s.port,
        "protocol": s.protocol.value,
        "name": s.name,
        "product": s.product,
        "version": s.version,
        "extra_info": s.extra_info,
        "seen_by": s.seen_by.value,
    }


def _service_from_dict(s: dict[str, Any]) -> Service:
    return Service(
        port=int(s["port"]),
        protocol=Protocol(s["protocol"]),
        name=s.get("name", ""),
        product=s.get("product", ""),
        version=s.get("version", ""),
        extra_info=s.get("extra_info", ""),
        seen_by=SeenBy(s.get("seen_by", SeenBy.NMAP.value)),
    )


def _reason_to_dict(r: Reason) -> dict[str, Any]:
    return {"rule": r.rule, "field": r.field, "value": r.value,
            "attributes": dict(r.attributes), "confidence": r.confidence}


def _reason_from_dict(d: dict[str, Any]) -> Reason:
    return Reason(d["rule"], d["field"], d["value"],
                  tuple((str(k), str(v)) for k, v in d.get("attributes", {}).items()),
                  float(d["confidence"]))


def _classification_to_dict(c: Classification | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"confidence": c.confidence, "model": c.model,
            "reasons": [_reason_to_dict(r) for r in c.reasons],
            "alternatives": [_reason_to_dict(r) for r in c.alternatives]}


def _classification_from_dict(d: Any) -> Classification | None:
    if not d:
        return None
    return Classification(
        confidence=float(d["confidence"]), model=d.get("model"),
        reasons=tuple(_reason_from_dict(r) for r in d.get("reasons", ())),
        alternatives=tuple(_reason_from_dict(r) for r in d.get("alternatives", ())),
    )


def _host_from_dict(d: dict[str, Any]) -> Host:
    return Host(
        ip=d["ip"],
        mac=d.get("mac"),
        mac_vendor=d.get("mac_vendor"),
        mac_randomized=bool(d.get("mac_randomized", False)),
        hostnames=tuple(d.get("hostnames", ())),
        role=Role(d.get("role", "unknown")),
        vendor=d.get("vendor"),
        product=d.get("product"),
        os=d.get("os"),
        services=tuple(_service_from_dict(s) for s in d.get("services", ())),
        ipv6=tuple(Ipv6Address(a["address"], AddressKind(a["kind"])) for a in d.get("ipv6", ())),
        ipv6_services=tuple(_service_from_dict(s) for s in d.get("ipv6_services", ())),
        observations=_each("observations", _observation_from_dict, d.get("observations", [])),
        classification=_classification_from_dict(d.get("classification")),
        site_name=d.get("site_name"),
        classified_role=Role(d["classified_role"]) if d.get("classified_role") else None,
    )


def _observation_from_dict(o: dict[str, Any]) -> Observation:
    return Observation(
        source=Source(o["source"]),
        kind=o["kind"],
        seen_at=datetime.fromisoformat(o["seen_at"]),
        data=tuple((str(k), str(v)) for k, v in o.get("data", {}).items()),
    )


def _localized_to_dict(t: Localized) -> dict[str, str]:
    return {"de": t.de, "en": t.en}


def _localized_from_dict(d: Any) -> Localized:
    return Localized(de=d.get("de", ""), en=d.get("en", ""))


def _evidence_to_json(e: Evidence | str) -> Any:
    return e if isinstance(e, str) else {"key": e.key, "values": dict(e.values)}


def _evidence_from_json(e: Any) -> Evidence | str:
    """A template and its values; a plain string from a scan written before templates."""
    if isinstance(e, str):
        return e
    return Evidence(e["key"], tuple((str(k), str(v)) for k, v in e.get("values", {}).items()))


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "host": f.host,
        "port": f.port,
        "title": _localized_to_dict(f.title),
        "evidence": [_evidence_to_json(e) for e in f.evidence],
        "explanation": _localized_to_dict(f.explanation),
        "fix": _localized_to_dict(f.fix),
        "references": list(f.references),
        "fingerprint": f.fingerprint,
        "acknowledged": f.acknowledged,
        "confidence": f.confidence,
    }


def _finding_from_dict(d: dict[str, Any]) -> Finding:
    return Finding(
        rule=d["rule"],
        severity=Severity(d["severity"]),
        host=d.get("host"),
        port=d.get("port"),
        title=_localized_from_dict(d["title"]),
        evidence=tuple(_evidence_from_json(e) for e in d.get("evidence", ())),
        explanation=_localized_from_dict(d.get("explanation", {})),
        fix=_localized_from_dict(d.get("fix", {})),
        references=tuple(d.get("references", ())),
        fingerprint=d.get("fingerprint", ""),
        acknowledged=d.get("acknowledged", ""),
        confidence=float(d.get("confidence", 1.0)),
    )


def _wlan_to_dict(w: WlanNetwork) -> dict[str, Any]:
    return {"ssid": w.ssid, "ssid_hex": w.ssid_hex, "hidden": w.hidden, "bssid": w.bssid,
            "vendor": w.vendor, "security": w.security.value, "modes": [m.value for m in w.modes],
            "akms": list(w.akms), "ciphers": list(w.ciphers), "group_cipher": w.group_cipher,
            "pmf": w.pmf, "wps": w.wps, "wps_version": w.wps_version,
            "wps_configured": w.wps_configured, "wps_locked": w.wps_locked,
            "wps_known": w.wps_known, "channel": w.channel, "frequency_mhz": w.frequency_mhz, "signal_dbm": w.signal_dbm,
            "source": w.source}


def _wlan_from_dict(w: dict[str, Any]) -> WlanNetwork:
    return WlanNetwork(
        ssid=w["ssid"], bssid=w["bssid"], security=WlanSecurity(w["security"]),
        ciphers=tuple(w.get("ciphers", ())), wps=bool(w.get("wps")), vendor=w.get("vendor"),
        channel=w.get("channel"), signal_dbm=w.get("signal_dbm"),
        modes=tuple(WlanSecurity(m) for m in w.get("modes", ())), akms=tuple(w.get("akms", ())),
        group_cipher=w.get("group_cipher"), pmf=w.get("pmf"), hidden=bool(w.get("hidden")),
        ssid_hex=w.get("ssid_hex"), frequency_mhz=w.get("frequency_mhz"),
        wps_version=w.get("wps_version"), wps_configured=w.get("wps_configured"),
        wps_locked=w.get("wps_locked"), wps_known=w.get("wps_known", True), source=w.get("source", ""))
