"""The exposure rules. Each takes the Context and yields Hits and NotTested entries."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterator

from scanner.model import Evidence, Host, NotTested, Observation, Role, Severity, WlanSecurity
from scanner.ports import CRITICAL_EXPOSED
from scanner.rules import admin_ui
from scanner.rules.base import Check, Context, Hit, role_confidence, rule
from scanner.rules.evidence import make
from scanner.rules.myfritz import shares

Out = Iterator["Hit | NotTested"]
MOBILE = (Role.SMARTPHONE, Role.TABLET)
CONSUMER_IOT = (Role.IOT, Role.CAMERA, Role.MEDIA)
CLIENTS = (Role.WORKSTATION, Role.SMARTPHONE, Role.TABLET, Role.UNKNOWN)
DATABASES = {1433: "MS SQL", 3050: "Firebird", 5432: "PostgreSQL", 3306: "MySQL/MariaDB"}
REMOTE_TOOLS = {5938: "TeamViewer", 5939: "TeamViewer", 5940: "TeamViewer", 7070: "AnyDesk",
                6568: "AnyDesk", 4899: "Radmin", 2112: "UltraViewer"}
VNC = range(5900, 5904)
TI_RANGE = ipaddress.IPv4Network("100.64.0.0/10")


def _who(h: Host, key: str = "host") -> Evidence:
    """The device, as evidence: address, the practice's name, the network's, what it is."""
    name = h.hostnames[0] if h.hostnames else ""
    device = " ".join(x for x in (h.vendor, h.product) if x)
    return make(key, ip=h.ip, site=h.site_name or "", name=name,
                device=device or h.mac_vendor or "", role=h.role.value)


def _peers(hosts: list[Host]) -> str:
    return ", ".join(f"{o.role.value} {o.ip}" for o in hosts)


def _port(o: Observation, key: str = "port", default: int | None = None) -> int | None:
    """A typed port of the evidence; 0 (none given) and absence give ``default``."""
    return o.number(key) or default


def _shown(n: int | None) -> str:
    return "?" if n is None else str(n)


def _name(h: Host) -> str:
    """A device in a line of evidence: the practice's name, else the network's, else its IP."""
    return h.site_name or (h.hostnames[0] if h.hostnames else "") or h.ip


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
            mac = (make("mac-unknown") if not h.mac else
                   make("mac-randomised" if h.mac_randomized else "mac", mac=h.mac))
            yield Hit(h.key, None, (make("not-in-site", file=ctx.site.path), _who(h), mac), sev)


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
            yield Hit(ident, None, (make("site-device-silent", name=d.name, role=d.role.value,
                                         file=ctx.site.path),))


@rule("private-mobile-device")
def private_mobile(ctx: Context) -> Out:
    sensitive = [h for h in ctx.scan.hosts if h.role in (Role.PVS_SERVER, Role.KONNEKTOR)]
    for h in ctx.scan.hosts:
        if not (h.role in MOBILE or h.mac_randomized) or ctx.device(h) or ctx.zone(h) == "guest":
            continue
        why = (make("mobile-role", role=h.role.value) if h.role in MOBILE
               else make("randomised-mac"))
        near, count = ctx.near(h, sensitive)
        sev = Severity.HIGH if count else None
        ev = [_who(h), why]
        if count:
            ev.append(make("same-network", peers=_peers(near),
                           more=count - len(near) if count > len(near) else None))
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
                yield Hit(h.key, s.port, (make("service-not-allowed",
                                               service=f"{s.protocol.value}/{s.port}",
                                               label=label, device=d.name),))


@rule("smbv1")
def smbv1(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        smb = ctx.observations(h, "smb")
        o = next((o for o in smb if o.flag("smb1")), None)
        if o is not None:
            sev = Severity.CRITICAL if h.role in (Role.PVS_SERVER, Role.SERVER) else None
            port = _port(o, default=445)
            yield Hit(h.key, port, (make("smb1-accepted", port=port), _who(h)), sev)
        elif not smb and ctx.open_tcp(h) & {139, 445}:
            yield NotTested("smbv1", "SMB port open but not probed (policy or probe failure)", h.key)


def _port_rule(ctx: Context, ports: set[int] | range, what: str,
               severity=lambda h, p: None) -> Out:  # noqa: ANN001
    for h in ctx.scan.hosts:
        for s in h.services:
            if s.protocol.value == "tcp" and s.port in ports:
                label = " ".join(x for x in (s.product, s.version) if x)
                yield Hit(h.key, s.port, (make("port-open", port=s.port, what=what, label=label),
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
        ev = [make("port-open", port=21, what=(banner.get("text") or "FTP") if banner else "FTP")]
        if anonymous:
            ev.append(make("ftp-anonymous"))
        yield Hit(h.key, 21, (*ev, _who(h)), Severity.HIGH if anonymous else None)


@rule("rdp-exposed")
def rdp(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if 3389 not in ctx.open_tcp(h):
            continue
        probe = next(iter(ctx.observations(h, "rdp")), None)
        key = {True: "rdp-open-nla", False: "rdp-open-no-nla", None: "rdp-open"}[
            probe.flag("nla") if probe else None]
        yield Hit(h.key, 3389, (make(key), _who(h)))


@rule("vnc-exposed")
def vnc(ctx: Context) -> Out:
    yield from _port_rule(ctx, VNC, "VNC")


@rule("remote-maintenance-tool")
def remote_tools(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for port in sorted(ctx.open_tcp(h) & set(REMOTE_TOOLS)):
            yield Hit(h.key, port, (make("port-open", port=port, what=REMOTE_TOOLS[port]), _who(h)))


@rule("snmp-default-community")
def snmp(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "snmp"):
            if o.get("community") == "public":
                sev = Severity.HIGH if h.role in (Role.ROUTER, Role.SWITCH, Role.KONNEKTOR) else None
                yield Hit(h.key, 161, (make("snmp-public", descr=(o.get("sys_descr") or "")[:260]),
                                       _who(h)), sev)
                break


@rule("management-over-http")
def management_http(ctx: Context) -> Out:
    for h, o in ctx.each("http"):
        if o.flag("tls") is not False:
            continue
        sev = Severity.HIGH if h.role in (Role.KONNEKTOR, Role.CARD_TERMINAL) else None
        port = _port(o, default=80)
        v6 = o.get("address")  # probed over IPv6 (a port IPv4 does not show open)
        ip = f"[{v6}]" if v6 else h.ip
        if o.flag("login_form") or o.get("auth"):
            yield Hit(h.key, port, (make("http-login", ip=ip, port=port, title=o.get("title")),
                                    _who(h)), sev)
        elif ui := admin_ui.identify(h, o):  # a login built by JavaScript has no form to see
            yield Hit(h.key, port, (
                make("admin-ui-plain", ip=ip, port=port, device=ui.device, kind=ui.kind,
                     title=o.get("title")),
                make(f"admin-ui-by-{ui.source}", device=ui.device, kind=ui.kind, rule=ui.rule,
                     field=ui.field, value=ui.value, scripts="yes" if o.flag("scripts") else ""),
                _who(h)), sev)


@rule("weak-tls")
def weak_tls(ctx: Context) -> Out:
    for h, o in ctx.each("tls"):
        legacy = o.get("legacy_versions", "none")
        if legacy != "none" or o.get("version") in ("TLSv1", "TLSv1.1", "SSLv3"):
            port = _port(o, default=443)
            accepted = legacy if legacy != "none" else o.get("version")
            yield Hit(h.key, port, (make("tls-legacy", port=port, versions=accepted), _who(h)))


@rule("expired-certificate")
def expired(ctx: Context) -> Out:
    for h, o in ctx.each("tls"):
        if o.flag("expired"):
            port = _port(o, default=443)
            yield Hit(h.key, port, (make("cert-expired", port=port, subject=o.get("subject", ""),
                                         not_after=o.get("not_after", "")), _who(h)))


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
        yield Hit(h.key, None, (_who(h), make("shares-network", peers=_peers(near),
                                              more=count - len(near) if count > len(near) else None)),
                  Severity.HIGH if risky else None, role_confidence(h))


@rule("pvs-database-exposed")
def pvs_database(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role is not Role.PVS_SERVER:
            continue
        for port in sorted(ctx.open_tcp(h) & set(DATABASES)):
            yield Hit(h.key, port, (make("pvs-database", port=port, database=DATABASES[port]), _who(h)),
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
                      (make("sds-tls", tls_mandatory=sds.get("tls_mandatory", "?"), plain=plain),
                       _who(h)))
        elif h.role is Role.KONNEKTOR and not sds:
            yield NotTested("konnektor-tls-disabled", "connector.sds could not be read", h.key)


@rule("konnektor-client-auth-disabled")
def konnektor_caut(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        sds = _sds(ctx, h)
        if sds and sds.flag("client_aut_mandatory") is False:
            yield Hit(h.key, _port(sds, default=443),
                      (make("sds-client-auth"), _who(h)))
        elif h.role is Role.KONNEKTOR and not sds:
            yield NotTested("konnektor-client-auth-disabled", "connector.sds could not be read", h.key)


@rule("konnektor-ldap-cleartext")
def konnektor_ldap(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role is Role.KONNEKTOR and 389 in ctx.open_tcp(h):
            yield Hit(h.key, 389, (make("konnektor-ldap"), _who(h)))


@rule("card-terminal-no-tls")
def card_terminal(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "sicct"):
            if o.get("tls") == "none":
                yield Hit(h.key, 4742, (make("sicct-no-tls", name=o.get("name", "")), _who(h)))
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
                yield Hit(h.key, port, (make("kim-no-tls", port=_shown(port),
                                             greeting=o.get("greeting"), command=flag.upper()),
                                        _who(h)))


@rule("upnp-enabled")
def upnp_enabled(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "upnp-device"):
            if o.flag("igd"):
                ev = [make("upnp-igd", location=o.get("location", "?"), name=o.get("friendly_name")),
                      _who(h)]
                if o.get("add_mapping") == "offered":
                    ev.append(make("upnp-add-mapping"))
                yield Hit(h.key, _port(o), tuple(ev))
                break


@rule("upnp-port-mapping")
def upnp_mapping(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        maps = ctx.observations(h, "upnp-mapping")
        for m in maps:
            port, external = m.number("internal_port"), m.number("external_port")
            sev = Severity.CRITICAL if port in CRITICAL_EXPOSED else None
            target = ctx.host_at(m.get("internal_client"))
            yield Hit(h.key, external or None,
                      (make("upnp-mapping", protocol=m.get("protocol", "TCP"),
                            external=_shown(external), client=m.get("internal_client", "?"),
                            port=_shown(port), description=m.get("description", "")),
                       _who(target, "points-to") if target
                       else make("points-to", ip=m.get("internal_client", "?"))), sev)
        if not maps and any(o.flag("igd") for o in ctx.observations(h, "upnp-device")):
            yield NotTested("upnp-port-mapping", "the router's UPnP mapping list could not be read",
                            h.key)


@rule("inbound-service")
def inbound(ctx: Context) -> Out:
    """What the Internet reaches: seen from outside, or configured as a port share or a
    MyFRITZ! share (over IPv4 and IPv6) on the FRITZ!Box."""
    evidence: dict[tuple[str, int | None], list[Evidence]] = {}
    for h in ctx.scan.hosts:
        for o in ctx.observations(h, "inbound"):
            evidence.setdefault((h.key, _port(o)), []).append(
                make("internet-reachable", detail=o.get("detail", "")))
        for o in ctx.observations(h, "tr064-port-share"):
            if not o.flag("enabled"):
                continue
            target = ctx.host_at(o.get("internal_client"))
            key = target.key if target else f"ip:{o.get('internal_client')}"
            internal = o.number("internal_port")
            evidence.setdefault((key, internal or None), []).append(
                make("port-share", router=_name(h), protocol=o.get("protocol", "TCP"),
                     external=_shown(o.number("external_port")),
                     client=o.get("internal_client", "?"), port=_shown(internal),
                     description=o.get("description", "")))
    for s in shares(ctx):
        evidence.setdefault((s.key, s.port), []).append(
            make("myfritz-share", router=_name(s.router), name=s.seen.get("name", "?"),
                 port=str(s.port or "?"), device=s.shown, ipv6=s.ipv6_shown,
                 ipv4=s.seen.get("ipv4", "")))
    by_key = {h.key: h for h in ctx.scan.hosts}
    for (key, port), ev in sorted(evidence.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        who = [_who(by_key[key])] if key in by_key else []
        yield Hit(key, port, (*ev, *who), Severity.CRITICAL if port in CRITICAL_EXPOSED else None)
    if not evidence:
        yield NotTested("inbound-service", "no outside-in check and no router port-share list "
                        "in this scan (praxisscan external; --fritzbox-user)")


@rule("router-remote-access")
def router_remote_access(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        ev: list[Evidence] = [
            make("remote-access", port=_shown(o.number("port")), user=o.get("username", "?"))
            for o in ctx.observations(h, "tr064-remote-access") if o.flag("enabled")]
        ev += [make("myfritz", dyndns=o.get("dyndns"))
               for o in ctx.observations(h, "tr064-myfritz") if o.flag("enabled")]
        ev += [make("ftp-wan") for o in ctx.observations(h, "tr064-storage") if o.flag("ftp_wan")]
        if ev:
            yield Hit(h.key, None, (*ev, _who(h)))
        elif h.vendor == "AVM" and h.role is Role.ROUTER and not ctx.observations(h, "tr064-remote-access"):
            yield NotTested("router-remote-access", "FRITZ!Box settings not read "
                            "(--fritzbox-user with $PRAXISSCAN_FRITZBOX_PASSWORD)", h.key)


# The rules registered as WLAN rules; the catalog's "wlan" category must name the same
# (tests/test_house.py), and is what praxisscan wlan reports on.
WLAN_REGISTERED: list[str] = []


def wlan_rule(rule_id: str, needs_audit: bool = True) -> Callable[[Check], Check]:
    """A WLAN rule: without a WLAN audit in the scan it is "not tested", never silent."""
    def register(fn: Check) -> Check:
        WLAN_REGISTERED.append(rule_id)
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
                                                    and expected.min_security is WlanSecurity.OPEN):
            yield Hit(f"wlan:{w.bssid}", None, (make("wlan-open", ssid=w.ssid, bssid=w.bssid),))


@wlan_rule("weak-wlan")
def weak_wlan(ctx: Context) -> Out:
    for w in _judged(ctx):
        expected = _practice_wlan(ctx, w.ssid)
        # OWE encrypts but lets anyone in: weak only where the site file asks for more
        floor = (expected.min_security if expected
                 else WlanSecurity.OWE if w.security is WlanSecurity.OWE else WlanSecurity.WPA2)
        weak = w.security in (WlanSecurity.WEP, WlanSecurity.WPA) or "TKIP" in w.ciphers
        below = w.security is not WlanSecurity.OPEN and w.security.rank < floor.rank
        if weak or below:
            yield Hit(f"wlan:{w.bssid}", None, (make(
                "wlan-weak", ssid=w.ssid, bssid=w.bssid, security=w.security.value.upper(),
                cipher="TKIP" if "TKIP" in w.ciphers else None,
                floor=floor.value.upper() if below else None),))


@wlan_rule("wps-enabled")
def wps(ctx: Context) -> Out:
    blind = [w for w in _judged(ctx) if not w.wps_known]
    if blind:
        yield NotTested("wps-enabled", f"the WLAN source ({blind[0].source}) does not report WPS "
                        f"for {len(blind)} network(s); praxisscan wlan as root uses iw, which does")
    for w in _judged(ctx):
        if w.wps and w.wps_known:
            yield Hit(f"wlan:{w.bssid}", None, (make(
                "wlan-wps", ssid=w.ssid, bssid=w.bssid, version=w.wps_version,
                configured="yes" if w.wps_configured else None,
                locked="yes" if w.wps_locked else None),))


@wlan_rule("rogue-access-point")
def rogue(ctx: Context) -> Out:
    if not ctx.site or not ctx.site.wlans:
        yield NotTested("rogue-access-point", "the site file lists no expected WLANs")
        return
    for w in ctx.scan.wlans or ():
        expected = _practice_wlan(ctx, w.ssid)
        if expected is None:
            continue
        unknown = bool(expected.bssids) and w.bssid.lower() not in {b.lower() for b in expected.bssids}
        maker = bool(expected.vendors) and not any(
            v.lower() in (w.vendor or "").lower() for v in expected.vendors)
        weaker = w.security.rank < expected.min_security.rank
        if unknown or maker or weaker:
            if unknown:
                why = make("rogue-bssid", ssid=w.ssid, bssid=w.bssid)
            elif maker:
                why = make("rogue-maker", ssid=w.ssid, bssid=w.bssid, vendor=w.vendor or "?",
                           expected="/".join(expected.vendors))
            else:
                why = make("rogue-weaker", ssid=w.ssid, bssid=w.bssid, security=w.security.value)
            yield Hit(f"wlan:{w.bssid}", None, (why,))


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
            yield Hit(f"wlan-ssid:{w.ssid}", None, (make(
                "guest-wlan-zone", ssid=w.ssid, zone=w.zone,
                shared="yes" if w.zone in practice_zones else None,
                seen="yes" if w.ssid in seen else None,
                listed=None if w.ssid in seen else "yes"),))


def _guest_like(ssid: str) -> bool:
    return any(word in ssid.lower() for word in GUEST_WORDS)


@rule("ti-address-conflict")
def ti_conflict(ctx: Context) -> Out:
    for net in ctx.networks():
        if net.overlaps(TI_RANGE):
            yield Hit(f"net:{net}", None, (make("ti-overlap", network=net, ti=TI_RANGE),))


@rule("multiple-dhcp-servers")
def dhcp_servers(ctx: Context) -> Out:
    servers = [h for h in ctx.scan.hosts if ctx.observations(h, "dhcp-server")]
    if len(servers) > 1:
        for h in servers:
            yield Hit(h.key, 67, (_who(h), make("dhcp-servers", count=len(servers),
                                                servers=", ".join(s.ip for s in servers))))


@rule("consumer-iot-in-practice-network")
def consumer_iot(ctx: Context) -> Out:
    for h in ctx.scan.hosts:
        if h.role in CONSUMER_IOT and ctx.zone(h) != "guest" and not ctx.device(h):
            yield Hit(h.key, None, (_who(h),), None, role_confidence(h))


# Roles the classifier cannot tell apart from what the network shows: a PVS server, a
# server and a workstation are all Windows PCs; an ECG PC is a PC; a FRITZ!Box is a router
# and an access point; a NAS is a server. Disagreement within a pair is no finding.
ROLE_KIN = {frozenset(p) for p in (
    (Role.PVS_SERVER, Role.SERVER), (Role.PVS_SERVER, Role.WORKSTATION),
    (Role.SERVER, Role.WORKSTATION), (Role.SERVER, Role.NAS),
    (Role.MEDICAL_DEVICE, Role.WORKSTATION), (Role.MEDICAL_DEVICE, Role.SERVER),
    (Role.ROUTER, Role.ACCESS_POINT), (Role.SMARTPHONE, Role.TABLET))}
MISMATCH_CONFIDENCE = 0.7  # a role guessed from one port or a vendor alone stays below


@rule("role-mismatch")
def role_mismatch(ctx: Context) -> Out:
    """The site file lists a device as one thing and the scan sees another: a swapped or
    re-used address, or a site file that was never right."""
    if not ctx.site:
        yield _no_site("role-mismatch")
        return
    for h in ctx.scan.hosts:
        looks, listed = h.classified_role, h.role
        if looks is None or looks in (listed, Role.UNKNOWN) or frozenset((looks, listed)) in ROLE_KIN:
            continue
        # the classifier's own confidence: role_confidence() is 1 here, the site file's word
        confidence = h.classification.confidence if h.classification else 1.0
        if confidence < MISMATCH_CONFIDENCE:
            continue
        by = ", ".join(dict.fromkeys(r.rule for r in (h.classification.reasons if h.classification
                                                       else ()) if r.get("role") == looks.value))
        ev = [make("role-mismatch", listed=listed.value, looks=looks.value, file=ctx.site.path,
                   confidence=f"{confidence * 100:.0f}"), _who(h)]
        if by:
            ev.append(make("recognised-by", rules=by[:200]))
        yield Hit(h.key, None, tuple(ev), None, confidence)


@rule("management-controller-reachable")
def management_controller(ctx: Context) -> Out:
    """A server's management controller (iDRAC, iLO, iRMC, IPMI) in the network of the
    practice's clients: whoever reaches it controls the server below the operating system."""
    clients = [h for h in ctx.scan.hosts if h.role in CLIENTS]
    for h in ctx.scan.hosts:
        if h.role is not Role.MANAGEMENT_CONTROLLER:
            continue
        near, count = ctx.near(h, clients)
        zone = ctx.zone(h)
        if not count and zone not in ("praxis", "guest"):
            continue
        ports = ", ".join(f"tcp/{p}" for p in sorted(ctx.open_tcp(h)))
        where = (make("shares-network", peers=_peers(near),
                      more=count - len(near) if count > len(near) else None)
                 if count else make("in-zone", zone=zone or ""))
        ev = (_who(h), make("open-ports", ports=ports), where) if ports else (_who(h), where)
        yield Hit(h.key, None, ev, None, role_confidence(h))
