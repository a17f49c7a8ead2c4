"""The exposure rules. Each takes the Context and yields Hits and NotTested entries."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from datetime import date

from scanner.model import Host, NotTested, Observation, Role, Severity, WlanSecurity
from scanner.rules import admin_ui
from scanner.rules.engine import Check, Context, Hit, role_confidence, rule

Out = Iterator["Hit | NotTested"]
MOBILE = (Role.SMARTPHONE, Role.TABLET)
DATABASES = {1433: "MS SQL", 3050: "Firebird", 5432: "PostgreSQL", 3306: "MySQL/MariaDB"}
REMOTE_TOOLS = {5938: "TeamViewer", 5939: "TeamViewer", 5940: "TeamViewer", 7070: "AnyDesk",
                6568: "AnyDesk", 4899: "Radmin", 2112: "UltraViewer"}
VNC = range(5900, 5904)
WINDOWS_10_END = date(2025, 10, 14)
TI_RANGE = ipaddress.IPv4Network("100.64.0.0/10")


def _who(h: Host) -> str:
    name = h.hostnames[0] if h.hostnames else ""
    device = " ".join(x for x in (h.vendor, h.product) if x)
    return ", ".join(x for x in (h.ip, name, device or h.mac_vendor or "", h.role.value) if x)


def _port(o: Observation, key: str = "port", default: int | None = None) -> int | None:
    """A typed port of the evidence; 0 (none given) and absence give ``default``."""
    return o.number(key) or default


def _shown(n: int | None) -> str:
    return "?" if n is None else str(n)


def _no_site(check: str) -> NotTested:
    return NotTested(check, "no site file (--site): the practice's allowlist is unknown")


@rule("unknown-device")
def unknown_device(ctx: Context) -> Out:
    if not ctx.site:
        yield _no_site("unknown-device")
        return
    for h in ctx.scan.hosts:
        if not ctx.device(h):
            zone = ctx.zone(h)
            sev = Severity.HIGH if zone in ("ti", "server") else None
            yield Hit(h.key, None, (f"not in {ctx.site.path}: {_who(h)}",
                                    f"MAC {h.mac or 'unknown'}" + (" (randomised)" if h.mac_randomized else "")), sev)


@rule("missing-device")
def missing_device(ctx: Context) -> Out:
    if not ctx.site:
        yield _no_site("missing-device")
        return
    if not ctx.scan.complete:
        yield NotTested("missing-device", "the scan is incomplete: absence proves nothing")
        return
    for d in ctx.site.devices:
        if not ctx.answered(d):
            ident = f"mac:{d.mac}" if d.mac else f"name:{d.hostname.lower()}" if d.hostname else f"ip:{d.ip}"
            yield Hit(ident, None, (f"{d.name} ({d.role.value}) listed in {ctx.site.path}, "
                                    "did not answer",))


@rule("private-mobile-device")
def private_mobile(ctx: Context) -> Out:
    sensitive = [h for h in ctx.scan.hosts if h.role in (Role.PVS_SERVER, Role.KONNEKTOR)]
    for h in ctx.scan.hosts:
        if not (h.role in MOBILE or h.mac_randomized) or ctx.device(h) or ctx.zone(h) == "guest":
            continue
        why = f"role {h.role.value}" if h.role in MOBILE else "randomised MAC address"
        near, count = ctx.near(h, sensitive)
        sev = Severity.HIGH if count else None
        ev = [f"{_who(h)} ({why})"]
        if count:
            ev.append("same network as " + ", ".join(f"{s.role.value} {s.ip}" for s in near)
                      + (f" and {count - len(near)} more" if count > len(near) else ""))
        conf = role_confidence(h) if h.role in MOBILE else 1.0  # a random MAC is a fact
        yield Hit(h.key, None, tuple(ev), sev, conf)


@rule("unexpected-service")
def unexpected_service(ctx: Context) -> Out:
    if not ctx.site:
        yield _no_site("unexpected-service")
        return
    for h in ctx.scan.hosts:
        d = ctx.device(h)
        if d is None:
            continue
        if d.services is None:
            yield NotTested("unexpected-service", f"{d.name}: no allowed services listed", h.key)
            continue
        for s in h.services:
            if f"{s.protocol.value}/{s.port}" not in d.services:
                label = " ".join(x for x in (s.name, s.product, s.version) if x)
                yield Hit(h.key, s.port, (f"{s.protocol.value}/{s.port} open ({label or 'unknown'}), "
                                          f"not allowed for {d.name}",))


@rule("smbv1")
def smbv1(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        smb = ctx.observations(h, "smb")
        o = next((o for o in smb if o.flag("smb1")), None)
        if o is not None:
            sev = Severity.CRITICAL if h.role in (Role.PVS_SERVER, Role.SERVER) else None
            port = _port(o, default=445)
            yield Hit(h.key, port, (f"tcp/{port}: SMB1 negotiate accepted (dialect NT LM 0.12)",
                                    _who(h)), sev)
        elif not smb and ctx.open_tcp(h) & {139, 445}:
            yield NotTested("smbv1", "SMB port open but not probed (policy or probe failure)", h.key)


def _port_rule(ctx: Context, ports: set[int] | range, what: str,
               severity=lambda h, p: None) -> Out:  # noqa: ANN001
    for h in ctx.scan.hosts:
        for s in h.services:
            if s.protocol.value == "tcp" and s.port in ports:
                label = " ".join(x for x in (s.product, s.version) if x)
                yield Hit(h.key, s.port, (f"tcp/{s.port} open: {what}" + (f" ({label})" if label else ""),
                                          _who(h)), severity(h, s.port))


@rule("cleartext-telnet")
def telnet(ctx: Context) -> Out:
    yield from _port_rule(ctx, {23}, "Telnet",
                          lambda h, p: Severity.CRITICAL if h.role is Role.PVS_SERVER else None)


@rule("cleartext-ftp")
def ftp(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if 21 not in ctx.open_tcp(h):
            continue
        banner = next((o for o in ctx.observations(h, "banner") if o.get("protocol") == "ftp"), None)
        anonymous = bool(banner and banner.flag("anonymous"))
        ev = [f"tcp/21 open: {banner.get('text', 'FTP') if banner else 'FTP'}"]
        if anonymous:
            ev.append("anonymous login accepted")
        yield Hit(h.key, 21, (*ev, _who(h)), Severity.HIGH if anonymous else None)


@rule("rdp-exposed")
def rdp(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if 3389 not in ctx.open_tcp(h):
            continue
        probe = next(iter(ctx.observations(h, "rdp")), None)
        nla = {True: ", Network Level Authentication required",
               False: ", without Network Level Authentication"}.get(probe and probe.flag("nla"), "")
        yield Hit(h.key, 3389, (f"tcp/3389 open: Remote Desktop (RDP){nla}", _who(h)))


@rule("vnc-exposed")
def vnc(ctx: Context) -> Out:
    yield from _port_rule(ctx, VNC, "VNC")


@rule("remote-maintenance-tool")
def remote_tools(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for port in sorted(ctx.open_tcp(h) & set(REMOTE_TOOLS)):
            yield Hit(h.key, port, (f"tcp/{port} open: {REMOTE_TOOLS[port]}", _who(h)))


@rule("snmp-default-community")
def snmp(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "snmp"):
            if o.get("community") == "public":
                sev = Severity.HIGH if h.role in (Role.ROUTER, Role.SWITCH, Role.KONNEKTOR) else None
                yield Hit(h.key, 161, (f"udp/161 answers community 'public': {o.get('sys_descr', '')}"[:300],
                                       _who(h)), sev)
                break


@rule("management-over-http")
def management_http(ctx: Context) -> Out:
    for h, o in ctx.each("http"):
        if o.flag("tls") is not False:
            continue
        sev = Severity.HIGH if h.role in (Role.KONNEKTOR, Role.CARD_TERMINAL) else None
        port = _port(o, default=80)
        title = f" ('{o.get('title')}')" if o.get("title") else ""
        if o.flag("login_form") or o.get("auth"):
            yield Hit(h.key, port, (f"http://{h.ip}:{port}/ serves a login over plain HTTP{title}",
                                    _who(h)), sev)
        elif ui := admin_ui.identify(h, o):  # a login built by JavaScript has no form to see
            scripted = " (the page is built by JavaScript)" if o.flag("scripts") else ""
            yield Hit(h.key, port, (f"http://{h.ip}:{port}/ serves the administration interface "
                                    f"of {ui.what} over plain HTTP{title}",
                                    f"{ui.what} identified ({ui.how}), no password field on the "
                                    f"page{scripted}", _who(h)), sev)


@rule("weak-tls")
def weak_tls(ctx: Context) -> Out:
    for h, o in ctx.each("tls"):
        legacy = o.get("legacy_versions", "none")
        if legacy != "none" or o.get("version") in ("TLSv1", "TLSv1.1", "SSLv3"):
            port = _port(o, default=443)
            accepted = legacy if legacy != "none" else o.get("version")
            yield Hit(h.key, port, (f"tcp/{port} accepts {accepted}", _who(h)))


@rule("expired-certificate")
def expired(ctx: Context) -> Out:
    for h, o in ctx.each("tls"):
        if o.flag("expired"):
            port = _port(o, default=443)
            yield Hit(h.key, port, (f"tcp/{port}: certificate '{o.get('subject', '')}' expired "
                                    f"{o.get('not_after', '')}", _who(h)))


_EOL = re.compile(r"^Windows (XP|Vista|7|8|8\.1)\b|Server (2003|2008|2012)\b")


@rule("outdated-os")
def outdated_os(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        os_name = h.os or ""
        eol = bool(_EOL.search(os_name))
        if not eol and re.match(r"^Windows 10\b(?!.*Server)", os_name) and ctx.today > WINDOWS_10_END:
            eol = True
        if eol:
            sev = Severity.MEDIUM if ctx.zone(h) == "medical" else None
            os_reason = _os_reason(h)
            said = f" ({os_reason.field} '{os_reason.value}')" if os_reason else ""
            yield Hit(h.key, None, (f"reports {os_name}{said}", _who(h)), sev,
                      os_reason.confidence if os_reason else 1.0)


def _os_reason(h: Host):  # noqa: ANN202
    """The evidence that named the OS's version (else its name): what the device said."""
    reasons = h.classification.reasons if h.classification else ()
    return next((r for r in reasons if r.get("os_version") and h.os and h.os.endswith(
        r.get("os_version") or "")), None) or next((r for r in reasons if r.get("os")), None)


@rule("medical-device-not-segmented")
def medical_not_segmented(ctx: Context) -> Out:
    others = [h for h in ctx.scan.hosts
              if h.role in (Role.WORKSTATION, Role.PVS_SERVER, *MOBILE) or h.mac_randomized]
    for h in ctx.scan.hosts:
        if h.role is not Role.MEDICAL_DEVICE or ctx.zone(h) == "medical":
            continue
        near, count = ctx.near(h, others)
        if not count:
            continue
        risky = any(x.flag("smb1") for x in ctx.observations(h, "smb")) or 23 in ctx.open_tcp(h)
        yield Hit(h.key, None, (f"{_who(h)} shares a network with "
                                + ", ".join(f"{o.role.value} {o.ip}" for o in near),),
                  Severity.HIGH if risky else None, role_confidence(h))


@rule("pvs-database-exposed")
def pvs_database(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role is not Role.PVS_SERVER:
            continue
        for port in sorted(ctx.open_tcp(h) & set(DATABASES)):
            yield Hit(h.key, port, (f"tcp/{port} open: {DATABASES[port]} on the PVS server", _who(h)),
                      None, role_confidence(h))


def _sds(ctx: Context, h: Host) -> Observation | None:
    return next(iter(ctx.observations(h, "connector-sds")), None)


@rule("konnektor-tls-disabled")
def konnektor_tls(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        sds = _sds(ctx, h)
        plain = (sds.number("plain_endpoints") or 0) if sds else 0
        if sds and (sds.flag("tls_mandatory") is False or plain > 0):
            yield Hit(h.key, _port(sds, default=443),
                      (f"connector.sds: TLSMandatory={sds.get('tls_mandatory')}, "
                       f"{plain} endpoints without TLS", _who(h)))
        elif h.role is Role.KONNEKTOR and not sds:
            yield NotTested("konnektor-tls-disabled", "connector.sds could not be read", h.key)


@rule("konnektor-client-auth-disabled")
def konnektor_caut(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        sds = _sds(ctx, h)
        if sds and sds.flag("client_aut_mandatory") is False:
            yield Hit(h.key, _port(sds, default=443),
                      ("connector.sds: ClientAutMandatory=false", _who(h)))
        elif h.role is Role.KONNEKTOR and not sds:
            yield NotTested("konnektor-client-auth-disabled", "connector.sds could not be read", h.key)


@rule("konnektor-ldap-cleartext")
def konnektor_ldap(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role is Role.KONNEKTOR and 389 in ctx.open_tcp(h):
            yield Hit(h.key, 389, ("tcp/389 open: LDAP without TLS on the Konnektor", _who(h)))


@rule("card-terminal-no-tls")
def card_terminal(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "sicct"):
            if o.get("tls") == "none":
                yield Hit(h.key, 4742, (f"SICCT discovery reply of '{o.get('name', '')}' offers "
                                        "no secure channel (no A3/TLS element)", _who(h)))
                break
        else:
            if h.role is Role.CARD_TERMINAL and not ctx.observations(h, "sicct"):
                yield NotTested("card-terminal-no-tls", "no SICCT discovery reply", h.key)


@rule("kim-cleartext")
def kim(ctx: Context) -> Out:
    for kind, flag in (("smtp", "starttls"), ("pop3", "stls")):
        for h, o in ctx.each(kind):
            if "KOM-LE" in (o.get("greeting") or "").upper() and o.flag(flag) is False:
                port = _port(o)
                yield Hit(h.key, port, (f"tcp/{_shown(port)}: '{o.get('greeting')}' "
                                        f"without {flag.upper()}", _who(h)))


@rule("upnp-enabled")
def upnp_enabled(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "upnp-device"):
            if o.flag("igd"):
                ev = [f"UPnP IGD at {o.get('location')}: {o.get('friendly_name', '')}", _who(h)]
                if o.get("add_mapping") == "offered":
                    ev.append("AddPortMapping offered: any device in the LAN can open ports")
                yield Hit(h.key, _port(o), tuple(ev))
                break


@rule("upnp-port-mapping")
def upnp_mapping(ctx: Context) -> Out:
    critical = {3389, 445, 139, 1433, 3050, 5432, 3306, 5900, 5901, 23}
    for h in ctx.scan.hosts:
        maps = ctx.observations(h, "upnp-mapping")
        for m in maps:
            port, external = m.number("internal_port"), m.number("external_port")
            sev = Severity.CRITICAL if port in critical else None
            target = ctx.host_at(m.get("internal_client"))
            yield Hit(h.key, external or None,
                      (f"{m.get('protocol', 'TCP')} {_shown(external)} -> "
                       f"{m.get('internal_client')}:{_shown(port)} '{m.get('description', '')}'",
                       f"points to {_who(target) if target else m.get('internal_client')}"), sev)
        if not maps and any(o.flag("igd") for o in ctx.observations(h, "upnp-device")):
            yield NotTested("upnp-port-mapping", "the router's UPnP mapping list could not be read",
                            h.key)


@rule("inbound-service")
def inbound(ctx: Context) -> Out:
    """What the Internet reaches: seen from outside, or configured as a port share."""
    critical = {3389, 445, 139, 1433, 3050, 5432, 3306, 5900, 5901, 23}
    evidence: dict[tuple[str, int | None], list[str]] = {}
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "inbound"):
            evidence.setdefault((h.key, _port(o)), []).append(
                f"reachable from the Internet: {o.get('detail', '')}")
        for o in ctx.observations(h, "tr064-port-share"):
            if not o.flag("enabled"):
                continue
            target = ctx.host_at(o.get("internal_client"))
            key = target.key if target else f"ip:{o.get('internal_client')}"
            internal = o.number("internal_port")
            evidence.setdefault((key, internal or None), []).append(
                f"{_who(h)} forwards {o.get('protocol', 'TCP')} "
                f"{_shown(o.number('external_port'))} -> "
                f"{o.get('internal_client')}:{_shown(internal)} '{o.get('description', '')}'")
    by_key = {h.key: h for h in ctx.scan.hosts}
    for (key, port), ev in sorted(evidence.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        who = [_who(by_key[key])] if key in by_key else []
        yield Hit(key, port, (*ev, *who), Severity.CRITICAL if port in critical else None)
    if not evidence:
        yield NotTested("inbound-service", "no outside-in check and no router port-share list "
                        "in this scan (praxisscan external; --fritzbox-user)")


@rule("router-remote-access")
def router_remote_access(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        ev = [f"remote access on port {_shown(o.number('port'))} (user {o.get('username', '?')})"
              for o in ctx.observations(h, "tr064-remote-access") if o.flag("enabled")]
        ev += [f"MyFRITZ enabled ({o.get('dyndns', '')})"
               for o in ctx.observations(h, "tr064-myfritz") if o.flag("enabled")]
        ev += ["FTP access from the Internet enabled"
               for o in ctx.observations(h, "tr064-storage") if o.flag("ftp_wan")]
        if ev:
            yield Hit(h.key, None, (*ev, _who(h)))
        elif h.vendor == "AVM" and h.role is Role.ROUTER and not ctx.observations(h, "tr064-remote-access"):
            yield NotTested("router-remote-access", "FRITZ!Box settings not read "
                            "(--fritzbox-user with $PRAXISSCAN_FRITZBOX_PASSWORD)", h.key)


WLAN_RULES: list[str] = []  # what a WLAN-only audit reports on (praxisscan wlan)


def wlan_rule(rule_id: str, needs_audit: bool = True) -> Callable[[Check], Check]:
    """A WLAN rule: without a WLAN audit in the scan it is "not tested", never silent."""
    def register(fn: Check) -> Check:
        WLAN_RULES.append(rule_id)
        if not needs_audit:
            return rule(rule_id)(fn)

        @functools.wraps(fn)
        def checked(ctx: Context) -> Out:
            if ctx.scan.wlans is None:
                yield NotTested(rule_id, "no WLAN audit in this scan (praxisscan wlan)")
                return
            yield from fn(ctx)
        return rule(rule_id)(checked)
    return register


def _practice_wlan(ctx: Context, ssid: str):  # noqa: ANN202
    return next((w for w in ctx.site.wlans if w.ssid == ssid), None) if ctx.site else None


def _judged(ctx: Context):  # noqa: ANN202
    """The networks the practice answers for: those its site file lists, or, without a list,
    every network in range (the technician sorts out the neighbours')."""
    listed = {w.ssid for w in ctx.site.wlans} if ctx.site and ctx.site.wlans else None
    return [w for w in ctx.scan.wlans or () if listed is None or w.ssid in listed]


@wlan_rule("open-wlan")
def open_wlan(ctx: Context) -> Out:
    for w in _judged(ctx):
        expected = _practice_wlan(ctx, w.ssid)
        if w.security is WlanSecurity.OPEN and not (expected and expected.zone == "guest"
                                                    and expected.min_security == "open"):
            yield Hit(f"wlan:{w.bssid}", None, (f"'{w.ssid}' ({w.bssid}) has no encryption",))


@wlan_rule("weak-wlan")
def weak_wlan(ctx: Context) -> Out:
    for w in _judged(ctx):
        expected = _practice_wlan(ctx, w.ssid)
        # OWE encrypts but lets anyone in: weak only where the site file asks for more
        floor = (WlanSecurity(expected.min_security) if expected
                 else WlanSecurity.OWE if w.security is WlanSecurity.OWE else WlanSecurity.WPA2)
        weak = w.security in (WlanSecurity.WEP, WlanSecurity.WPA) or "TKIP" in w.ciphers
        below = w.security is not WlanSecurity.OPEN and w.security.rank < floor.rank
        if weak or below:
            what = f"{w.security.value.upper()}" + (" with TKIP" if "TKIP" in w.ciphers else "")
            yield Hit(f"wlan:{w.bssid}", None, (f"'{w.ssid}' ({w.bssid}) uses {what}"
                                                + (f", below {floor.value.upper()}" if below else ""),))


@wlan_rule("wps-enabled")
def wps(ctx: Context) -> Out:
    blind = [w for w in _judged(ctx) if not w.wps_known]
    if blind:
        yield NotTested("wps-enabled", f"the WLAN source ({blind[0].source}) does not report WPS "
                        f"for {len(blind)} network(s); praxisscan wlan as root uses iw, which does")
    for w in _judged(ctx):
        if w.wps and w.wps_known:
            state = ", ".join(x for x in (
                f"WPS {w.wps_version}" if w.wps_version else "",
                "configured" if w.wps_configured else "",
                "AP PIN locked" if w.wps_locked else "") if x)
            yield Hit(f"wlan:{w.bssid}", None, (f"'{w.ssid}' ({w.bssid}) advertises WPS"
                                                + (f" ({state})" if state else ""),))


@wlan_rule("rogue-access-point")
def rogue(ctx: Context) -> Out:
    if not ctx.site or not ctx.site.wlans:
        yield NotTested("rogue-access-point", "the site file lists no expected WLANs")
        return
    for w in ctx.scan.wlans:
        expected = _practice_wlan(ctx, w.ssid)
        if expected is None:
            continue
        unknown = bool(expected.bssids) and w.bssid.lower() not in {b.lower() for b in expected.bssids}
        maker = bool(expected.vendors) and not any(
            v.lower() in (w.vendor or "").lower() for v in expected.vendors)
        weaker = w.security.rank < WlanSecurity(expected.min_security).rank
        if unknown or maker or weaker:
            why = ("unknown BSSID" if unknown else
                   f"access point maker {w.vendor or 'unknown'} is not {'/'.join(expected.vendors)}"
                   if maker else f"weaker security ({w.security.value})")
            yield Hit(f"wlan:{w.bssid}", None, (f"practice SSID '{w.ssid}' from {w.bssid}: {why}",))


GUEST_WORDS = ("gast", "guest", "besucher", "patient", "wartezimmer", "visitor")


@wlan_rule("guest-wlan-not-separated", needs_audit=False)
def guest_wlan_zone(ctx: Context) -> Out:
    """A guest WLAN that the site file places in a practice zone, or in the same zone as the
    practice WLAN: guests and patient data share one network."""
    if not ctx.site or not ctx.site.wlans:
        return
    practice_zones = {w.zone for w in ctx.site.wlans
                      if w.zone != "guest" and not _guest_like(w.ssid)}
    seen = {w.ssid for w in ctx.scan.wlans or ()}
    for w in ctx.site.wlans:
        guest = _guest_like(w.ssid) or w.zone == "guest"
        if guest and (w.zone in practice_zones or (w.zone != "guest" and _guest_like(w.ssid))):
            where = "seen on air" if w.ssid in seen else "from the site file"
            yield Hit(f"wlan-ssid:{w.ssid}", None, (
                f"guest WLAN '{w.ssid}' is in zone '{w.zone}'"
                + (", the zone of the practice WLAN" if w.zone in practice_zones else "")
                + f" ({where})",))


def _guest_like(ssid: str) -> bool:
    return any(word in ssid.lower() for word in GUEST_WORDS)


@rule("ti-address-conflict")
def ti_conflict(ctx: Context) -> Out:
    for net in ctx.networks():
        if net.overlaps(TI_RANGE):
            yield Hit(f"net:{net}", None, (f"network {net} overlaps the TI range {TI_RANGE}",))


@rule("multiple-dhcp-servers")
def dhcp_servers(ctx: Context) -> Out:
    servers = [h for h in ctx.scan.hosts if ctx.observations(h, "dhcp-server")]
    if len(servers) > 1:
        for h in servers:
            yield Hit(h.key, 67, (f"{_who(h)} answers DHCP; "
                                  f"{len(servers)} DHCP servers seen: " + ", ".join(s.ip for s in servers),))


@rule("consumer-iot-in-practice-network")
def consumer_iot(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role is Role.IOT and ctx.zone(h) != "guest" and not ctx.device(h):
            yield Hit(h.key, None, (_who(h),), None, role_confidence(h))
