"""TLS: negotiated version, certificate subject/issuer/validity, legacy versions accepted."""

from __future__ import annotations

import hashlib
import ssl
import tempfile
from datetime import datetime, timezone

from scanner.probes.base import ProbeResult, connect, observation, tls_client_context


def tls(ip: str, port: int) -> ProbeResult:
    try:
        with connect(ip, port) as raw, tls_client_context().wrap_socket(raw) as s:
            version, der = s.version(), s.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError):
        return ProbeResult()
    cert = _decode(der) if der else {}
    legacy = [name for name, v in (("TLSv1", ssl.TLSVersion.TLSv1),
                                   ("TLSv1.1", ssl.TLSVersion.TLSv1_1)) if _accepts(ip, port, v)]
    not_after = cert.get("notAfter", "")
    expired = ""
    if not_after:
        try:
            expired = "yes" if ssl.cert_time_to_seconds(not_after) < datetime.now(
                timezone.utc).timestamp() else "no"
        except ValueError:
            pass
    return ProbeResult((observation(
        "tls", port=port, version=version, legacy_versions=",".join(legacy) or "none",
        cert_sha256=hashlib.sha256(der).hexdigest() if der else "",
        subject=_name(cert.get("subject", ())), issuer=_name(cert.get("issuer", ())),
        not_after=not_after, expired=expired,
        self_signed="yes" if cert and cert.get("subject") == cert.get("issuer") else "no"),))


def _accepts(ip: str, port: int, version: ssl.TLSVersion) -> bool:
    try:
        ctx = tls_client_context(minimum=version, maximum=version)
        with connect(ip, port) as raw, ctx.wrap_socket(raw) as s:
            return s.version() is not None
    except (OSError, ssl.SSLError, ValueError):
        return False


def _decode(der: bytes) -> dict:
    # The stdlib decodes only verified certificates from a socket; decode the DER ourselves
    # through its test helper, which reads a PEM file.
    pem = ssl.DER_cert_to_PEM_cert(der)
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:
        f.write(pem)
        f.flush()
        try:
            return ssl._ssl._test_decode_cert(f.name)  # type: ignore[attr-defined]
        except (ssl.SSLError, ValueError):
            return {}


def _name(rdns: tuple) -> str:
    parts = []
    for rdn in rdns:
        for key, value in rdn:
            parts.append(f"{key}={value}")
    return ", ".join(parts)[:300]
