"""JSON form of a scan: the contract that scripts and later tools rely on.

The layout is described by ``scanner/schema/scan.schema.json``; ``schema_version`` changes
whenever a field changes meaning or disappears. Reading is strict about the version.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from scanner.errors import ScanFileError
from scanner.model import (
    SCHEMA_VERSION,
    Classification,
    Reason,
    Finding,
    Host,
    KnowledgeStamp,
    Localized,
    NotTested,
    Observation,
    Protocol,
    Role,
    Scan,
    Scope,
    Service,
    Severity,
    Source,
    WlanNetwork,
    WlanSecurity,
)


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
    return json.dumps(scan_to_dict(scan), ensure_ascii=False, indent=2) + "\n"


def loads(text: str, origin: str = "<scan>") -> Scan:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScanFileError(f"{origin}: not JSON ({e.msg} at line {e.lineno})") from None
    return scan_from_dict(doc, origin)


def scan_from_dict(doc: Any, origin: str = "<scan>") -> Scan:
    if not isinstance(doc, dict):
        raise ScanFileError(f"{origin}: not a praxisscan scan (expected a JSON object)")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ScanFileError(
            f"{origin}: schema_version {version!r} is not supported (this praxisscan reads "
            f"{SCHEMA_VERSION})"
        )
    try:
        return Scan(
            schema_version=version,
            tool_version=doc.get("tool", {}).get("version", ""),
            complete=bool(doc["complete"]),
            started_at=datetime.fromisoformat(doc["started_at"]),
            finished_at=datetime.fromisoformat(doc["finished_at"]),
            scope=_scope_from_dict(doc["scope"]),
            hosts=tuple(_host_from_dict(h) for h in doc["hosts"]),
            findings=tuple(_finding_from_dict(f) for f in doc["findings"]),
            not_tested=tuple(
                NotTested(check=n["check"], reason=n["reason"], host=n.get("host"))
                for n in doc["not_tested"]
            ),
            wlans=None if doc.get("wlans") is None else tuple(
                _wlan_from_dict(w) for w in doc["wlans"]),
            knowledge=_knowledge_from_dict(doc.get("knowledge")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ScanFileError(f"{origin}: malformed scan ({type(e).__name__}: {e})") from None


def _knowledge_from_dict(d: Any) -> KnowledgeStamp | None:
    """Absent or null in scans judged before version knowledge existed."""
    if d is None:
        return None
    return KnowledgeStamp(date=date.fromisoformat(d["date"]), origin=str(d["origin"]),
                          sha256=str(d.get("sha256", "")), entries=int(d.get("entries", 0)))


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
        "services": [
            {
                "port": s.port,
                "protocol": s.protocol.value,
                "name": s.name,
                "product": s.product,
                "version": s.version,
                "extra_info": s.extra_info,
            }
            for s in h.services
        ],
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
    }


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
        services=tuple(
            Service(
                port=int(s["port"]),
                protocol=Protocol(s["protocol"]),
                name=s.get("name", ""),
                product=s.get("product", ""),
                version=s.get("version", ""),
                extra_info=s.get("extra_info", ""),
            )
            for s in d.get("services", ())
        ),
        observations=tuple(
            Observation(
                source=Source(o["source"]),
                kind=o["kind"],
                seen_at=datetime.fromisoformat(o["seen_at"]),
                data=tuple((str(k), str(v)) for k, v in o.get("data", {}).items()),
            )
            for o in d.get("observations", ())
        ),
        classification=_classification_from_dict(d.get("classification")),
    )


def _localized_to_dict(t: Localized) -> dict[str, str]:
    return {"de": t.de, "en": t.en}


def _localized_from_dict(d: Any) -> Localized:
    return Localized(de=d.get("de", ""), en=d.get("en", ""))


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "host": f.host,
        "port": f.port,
        "title": _localized_to_dict(f.title),
        "evidence": list(f.evidence),
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
        evidence=tuple(d.get("evidence", ())),
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
