"""Rules on what devices announce about their software: end-of-life, Windows end-of-life
(outdated-os), known-exploited and public-exploit versions (all judged against the dated
version knowledge) and certificates that end soon.

A device's announcement is read from the evidence the probes already record: FRITZ!OS from
the TR-064 description, Windows builds from the NTLMSSP challenge, OpenSSH from its banner,
IIS from the Server header, Samba from nmap's service version, Synology DSM from the
modelNumber of its UPnP description. What cannot be decided (no
version read, a distribution package whose backports are unknown) is "not tested", never
a finding and never silence.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone

from scanner import knowledge, versions
from scanner.model import Evidence, Host, NotTested, Reason, Role, Severity
from scanner.rules.base import Context, Hit, rule
from scanner.rules.evidence import make

Out = Iterator["Hit | NotTested"]
EXPIRY_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Announcement:
    host: Host
    product: str  # a product id of the knowledge file
    text: str  # what the device said, verbatim
    port: int | None
    where: str  # which evidence, for "not tested" notes
    source: str = "service"  # which evidence, as the template "announced-<source>"
    product_name: str = ""  # the service's product, for "announced-service"
    model: str = ""
    at_least: bool = False  # the version is a lower bound, not the exact release

    def evidence(self) -> Evidence:
        return make(f"announced-{self.source}", port=self.port if self.port is not None else "?",
                    model=self.model or "?", product=self.product_name, text=self.text)


def _who(h: Host) -> Evidence:
    from scanner.rules.checks import _who as who

    return who(h)


def announcements(ctx: Context, h: Host) -> list[Announcement]:
    out: list[Announcement] = []
    for o in ctx.observations(h, "tr064-device"):
        if o.get("firmware") and ("AVM" in o.get("manufacturer", "") or "FRITZ" in o.get("model", "")):
            out.append(Announcement(h, "fritzos", (o.get("firmware") or ""), o.number("port"),
                                    f"TR-064 description (tcp/{o.get('port')}) of {o.get('model')}",
                                    "tr064", model=o.get("model", "")))
    for o in ctx.observations(h, "upnp-device"):
        # A DiskStation's root description: modelNumber "DS216se 6.2-25556". DSM is the
        # whole system, so the announcement stands for the host, not for one port.
        if (o.get("manufacturer") or "").startswith("Synology") and o.get("model_number"):
            out.append(Announcement(h, "dsm", (o.get("model_number") or ""), None,
                                    f"UPnP description {o.get('location')} (modelNumber)",
                                    "upnp", model=o.get("model_name", "")))
    for o in ctx.observations(h, "smb"):
        if o.get("os_version"):
            out.append(Announcement(h, "windows", (o.get("os_version") or ""), o.number("port"),
                                    f"SMB NTLMSSP challenge (tcp/{o.get('port')})", "smb"))
    for o in ctx.observations(h, "http"):
        if re.match(r"Microsoft-IIS/", o.get("server", "")):
            out.append(Announcement(h, "iis", (o.get("server") or ""), o.number("port"),
                                    f"HTTP Server header (tcp/{o.get('port')})", "http"))
    ssh_ports = set()
    for o in ctx.observations(h, "banner"):
        if o.get("protocol") == "ssh" and "OpenSSH_" in o.get("text", ""):
            ssh_ports.add(o.number("port"))
            out.append(Announcement(h, "openssh", (o.get("text") or ""), o.number("port"),
                                    f"SSH banner (tcp/{o.get('port')})", "ssh"))
    for s in h.services:
        if s.product == "OpenSSH" and s.version and s.port not in ssh_ports:
            out.append(Announcement(h, "openssh", f"OpenSSH_{s.version}", s.port,
                                    f"service version (tcp/{s.port})", "service"))
        elif "samba" in s.product.lower() and s.version:
            # nmap-service-probes answers "4.6.2" for any Samba that refuses SMB1's dialect
            # (reply with dialect index 0xFFFF): every Samba since 4.6.2 says that, so the
            # number is a lower bound and cannot put a server inside an affected range.
            out.append(Announcement(h, "samba", s.version, s.port,
                                    f"service version (tcp/{s.port}: {s.product})", "service",
                                    product_name=s.product,
                                    at_least=s.version.strip() == "4.6.2"))
    return out


def unread(ctx: Context, h: Host, announced: set[str]) -> str | None:
    """Why a product praxisscan recognises has no version in this scan, or None.
    ``announced``: the products whose version the host did announce."""
    if (h.vendor == "AVM" or (h.product or "").startswith("FRITZ")) and h.role is Role.ROUTER \
            and "fritzos" not in announced:
        return "FRITZ!Box: FRITZ!OS version not read (TR-064 description on tcp/49000 not reachable)"
    if h.vendor == "Synology" and "dsm" not in announced:
        return ("Synology NAS: DSM version not read (no UPnP description with a modelNumber; "
                "DSM announces it only while its SSDP service runs); read it in DSM "
                "(Control Panel > Update & Restore)")
    if h.vendor == "QNAP":
        return "QNAP NAS: the QTS version is not announced to the network; read it in QTS"
    if (h.os or "") == "Samba" and not announced & {"samba", "windows"}:
        return ("Samba: version not read (its NTLMSSP answer says build 0, which is Samba's, "
                "not a Windows build; nmap reported no Samba version)")
    if h.role is Role.KONNEKTOR:
        sds = next(iter(ctx.observations(h, "connector-sds")), None)
        if not sds:
            return "Konnektor: connector.sds not readable, firmware version unknown"
        # No vendor or gematik source gives end dates per Konnektor firmware version; what
        # has ended Konnektors (the 2022-2024 exchange, RSA-only cards after 2025) is the
        # end of their gSMC-K certificates, which certificate-expires-soon judges.
        return (f"Konnektor {sds.get('product_name', '')} firmware {sds.get('fw_version', '?')}: "
                "the version knowledge has no Konnektor entries (no source gives end dates per "
                "firmware version; its certificates are judged by certificate-expires-soon); "
                "check the vendor's update notes")
    if h.role is Role.CARD_TERMINAL:
        return "card terminal: the firmware version is not announced in the SICCT discovery reply"
    return None


def exposure(ctx: Context, h: Host, port: int | None) -> Evidence | None:
    """Why this service counts as reachable from the Internet, or None."""
    for o in ctx.observations(h, "inbound"):
        if port is None or o.number("port") == port:
            return make("internet-reachable", detail=o.get("detail", ""))
    for r in ctx.scan.hosts:
        for o in ctx.observations(r, "tr064-port-share"):
            if o.get("enabled") == "yes" and o.get("internal_client") == h.ip \
                    and (port is None or o.number("internal_port") == port):
                return make("forwarded-to-it", protocol=o.get("protocol", "TCP"),
                            external=o.get("external_port", "?"),
                            description=o.get("description", ""))
        for o in ctx.observations(r, "upnp-mapping"):
            if o.get("internal_client") == h.ip and (port is None or o.number("internal_port") == port):
                return make("upnp-mapped-to-it", external=o.get("external_port", "?"), ip=h.ip,
                            port=o.get("internal_port", "?"))
    if any(o.get("enabled") == "yes" for kind in ("tr064-remote-access", "tr064-myfritz")
           for o in ctx.observations(h, kind)):
        return make("router-remote-on")
    return None


def _judge(ctx: Context, kind: str, rule_id: str) -> Out:
    k = knowledge.current()
    skip = _covered_by_outdated_os(ctx) if kind == "eol" else set()
    for h in ctx.scan.hosts:
        found = announcements(ctx, h)
        by_port: dict[int | None, list[tuple[Announcement, knowledge.Verdict]]] = {}
        for a in found:
            # Windows' end of life is outdated-os's finding; IIS ships with Windows and ends
            # with it, so where outdated-os reports the host, it reports both at once.
            if (kind == "eol" and a.product == "windows") or (a.product == "iis" and h.key in skip):
                continue
            for entry in k.for_product(a.product):
                if entry.kind != kind:
                    continue
                v = knowledge.judge(k, entry, a.text, a.model, ctx.today)
                if a.at_least and v.applies is True:
                    v = knowledge.Verdict(entry, None, f"{a.text} is only a lower bound (nmap "
                                          "reports 4.6.2 for every later Samba without SMB1)")
                if v.applies is True:
                    by_port.setdefault(a.port, []).append((a, v))
                elif v.applies is None and not (a.product == "windows" and v.why.startswith("no ")):
                    yield NotTested(rule_id, f"{a.where}: '{a.text}' not decidable against "
                                    f"{entry.id} ({v.why})", h.key)
        for port, hits in by_port.items():
            yield _hit(ctx, h, port, hits, k)
        readable = {a.product for a in found
                    if knowledge.versions.parse(k.products[a.product].scheme, a.text)}
        if why := unread(ctx, h, readable):
            yield NotTested(rule_id, why, h.key)


def _hit(ctx: Context, h: Host, port: int | None, hits: list, k: knowledge.Knowledge,
         severity: Severity | None = None, first: Evidence | None = None,
         confidence: float = 1.0) -> Hit:
    ev = [first or hits[0][0].evidence()]
    for _, v in hits:
        e = v.entry
        if e.kind == "eol":
            ev.append(make("matches-eol", id=e.id, title=e.title, source=e.source,
                           since=e.since.isoformat() if e.since else None))
        else:
            ev.append(make("matches-exploited", id=e.id, cve=e.cve, title=e.title, fixed=e.fixed,
                           exploitation=e.exploitation, source=e.source))
        if e.update:
            ev.append(make("update-path", update=e.update))
    ev.append(make("judged-against", knowledge=k.summary()))
    reach = exposure(ctx, h, port)
    if reach:
        ev.append(reach)
    ev.append(_who(h))
    return Hit(h.key, port, tuple(ev), Severity.CRITICAL if reach else severity, confidence)


def _covered_by_outdated_os(ctx: Context) -> set[str]:
    """Hosts outdated-os reports: their IIS is not reported a second time."""
    return {item.host for item in outdated_os(ctx) if isinstance(item, Hit) and item.host}


@rule("outdated-os")
def outdated_os(ctx: Context) -> Out:
    """Windows without security updates, judged by the knowledge's Windows entries: by the
    build the host announced (NTLMSSP; with the update revision where one is announced),
    else by the OS name praxisscan reports. A build decides before the name."""
    k = knowledge.current()
    entries = [e for e in k.for_product("windows") if e.kind == "eol"]
    for h in ctx.scan.hosts:
        yield from _windows(ctx, h, k, entries)


def _windows(ctx: Context, h: Host, k: knowledge.Knowledge, entries: list) -> Out:
    # A medical device's PC often cannot be upgraded: its segment is the fix, so medium.
    base = Severity.MEDIUM if ctx.zone(h) == "medical" else None
    builds = [a for a in announcements(ctx, h)
              if a.product == "windows" and versions.parse("windows", a.text)]
    for a in builds:
        hits, open_ = [], []
        for e in entries:
            v = knowledge.judge(k, e, a.text, "", ctx.today)
            if v.applies is True:
                hits.append((a, v))
            elif v.applies is None:
                open_.append(v)
        if hits:
            yield _hit(ctx, h, a.port, hits, k, base)
            return
        for v in open_:
            yield NotTested("outdated-os", f"{a.where}: '{a.text}' not decidable against "
                            f"{v.entry.id} ({v.why})", h.key)
    if builds:
        return
    os_name = h.os or ""
    if not os_name.startswith("Windows"):
        return
    named = [(None, v) for e in entries
             if (v := knowledge.judge_os_name(e, os_name, ctx.today)).applies]
    if named:
        reason = _os_reason(h)
        first = make("os-reported", os=os_name, field=reason.field if reason else "",
                     value=reason.value if reason else "")
        yield _hit(ctx, h, None, named, k, base, first, reason.confidence if reason else 1.0)
    elif not any(re.search(p, os_name) for e in entries for p in e.os_names):
        yield NotTested("outdated-os", f"{os_name}: build not read (no NTLMSSP answer on "
                        "tcp/445), so its release cannot be judged", h.key)


def _os_reason(h: Host) -> Reason | None:
    """The evidence that named the OS's version (else its name): what the device said."""
    reasons = h.classification.reasons if h.classification else ()
    return next((r for r in reasons if r.get("os_version") and h.os and h.os.endswith(
        r.get("os_version") or "")), None) or next((r for r in reasons if r.get("os")), None)


@rule("end-of-life")
def end_of_life(ctx: Context) -> Out:
    # How fresh the facts are is recorded in the scan itself (Scan.knowledge, set where the
    # rules are applied) and shown in the report's header.
    yield from _judge(ctx, "eol", "end-of-life")


@rule("known-exploited-version")
def known_exploited(ctx: Context) -> Out:
    yield from _judge(ctx, "exploited", "known-exploited-version")


@rule("public-exploit-version")
def public_exploit(ctx: Context) -> Out:
    # A working exploit is published, but neither CISA KEV nor the vendor reports attacks:
    # a finding of its own, so known-exploited-version keeps its promise.
    yield from _judge(ctx, "exploit-public", "public-exploit-version")


@rule("certificate-expires-soon")
def certificate_expires_soon(ctx: Context) -> Out:
    for h, o in ctx.each("tls"):
        end = _not_after(o.get("not_after", ""))
        if end is None:
            continue
        days = (end - ctx.today).days
        if 0 <= days <= EXPIRY_WINDOW_DAYS:
            sev = Severity.HIGH if h.role is Role.KONNEKTOR else None
            yield Hit(h.key, o.number("port") or 443,
                      (make("cert-ends", port=o.get("port", "?"), subject=o.get("subject", ""),
                            not_after=o.get("not_after", ""), days=days),
                       make("cert-issuer", issuer=o.get("issuer")) if o.get("issuer")
                       else make("cert-issuer-unknown"), _who(h)), sev)


def _not_after(text: str) -> date | None:
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(text), timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        return None


