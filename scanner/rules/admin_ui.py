"""Which plain-HTTP pages are a device's administration interface, by what identifies them.

A login form is not needed to know a management page: a Synology DSM, a QNAP QTS, a UniFi
controller or many printers and switches build their login with JavaScript, so the page
that arrives has no password field. Such a page is identified by fingerprint instead:

1. the page's own words: its title or Server header matched by the fingerprint rules
   (fingerprints/http_title.toml, http_server.toml) to a kind of device that is
   administered over its web page, with a rule that reads the device's own words
   (confidence >= MIN_CONFIDENCE; weaker rules such as "CUPS is a printer" do not count);
2. nmap's verdict on the same answer (its GetRequest line, ``nmap-service`` observation on
   the port) naming such a device type: the device type table fingerprints/nmap/
   device_types.toml, including UPS and management controllers, which have no role yet;
3. the host as classified: a device of such a role whose vendor or product the page's
   title or Server header names.

Only pages that were served (HTTP 200) count: a 404 of a UPnP or TR-064 port is no page.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Host, Observation, Role

ADMIN_ROLES = frozenset({Role.NAS, Role.ROUTER, Role.SWITCH, Role.ACCESS_POINT, Role.PRINTER})
ADMIN_PLANNED = frozenset({"ups", "management-controller"})  # nmap device types, no role yet
MIN_CONFIDENCE = 0.6
_KIND = {"nas": "NAS", "router": "router", "switch": "switch", "access-point": "access point",
         "printer": "printer"}


@dataclass(frozen=True)
class AdminUi:
    what: str  # "Synology nas", "UPS (nmap: APC ...)"
    how: str  # which evidence identified it, for the finding's evidence line


def identify(host: Host, page: Observation) -> AdminUi | None:
    """The administration interface ``page`` (an ``http`` observation) belongs to, if any."""
    if page.number("status") != 200:
        return None
    title, server = page.get("title") or "", page.get("server") or ""
    return (_by_fingerprint(title, server) or _by_nmap(host, page.number("port"))
            or _by_host(host, title, server))


def _by_fingerprint(title: str, server: str) -> AdminUi | None:
    from scanner.classify import match_value

    for field, value in (("http_title", title), ("http_server", server)):
        if not value:
            continue
        for r in match_value(field, value):
            role = r.get("role")
            if r.confidence >= MIN_CONFIDENCE and role and Role(role) in ADMIN_ROLES:
                what = " ".join(x for x in (r.get("vendor"), r.get("product"), _KIND[role]) if x)
                return AdminUi(what, f"fingerprint {r.rule}: {field} '{value}'")
    return None


def _by_nmap(host: Host, port: int | None) -> AdminUi | None:
    from scanner.nmapdb.roles import device_types

    table = device_types()
    for o in host.observations:
        if o.kind != "nmap-service" or o.number("port") != port or o.get("soft") == "yes":
            continue
        kind = o.get("device_type") or ""
        role, planned = table.get(kind, (None, None))
        if (role in ADMIN_ROLES) or planned in ADMIN_PLANNED:
            product = " ".join(x for x in (o.get("product"), o.get("version")) if x)
            return AdminUi(f"{product or kind} ({kind})",
                           f"nmap-service-probes line {o.get('line', '?')}: {product or kind}")
    return None


def _by_host(host: Host, title: str, server: str) -> AdminUi | None:
    if host.role not in ADMIN_ROLES:
        return None
    page = f"{title} {server}".lower()
    for name in (host.product, host.vendor):
        if name and name.lower() in page:
            what = " ".join(x for x in (host.vendor, host.product, _KIND[host.role.value]) if x)
            return AdminUi(what, f"the host, identified as {what}, named in "
                                 f"{'the title' if name.lower() in title.lower() else 'the Server header'}")
    return None
