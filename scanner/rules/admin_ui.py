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

from scanner.model import Host, Observation

# Roles by name: UPS and management controllers (iDRAC, iLO, IPMI) are named by nmap's
# device types (power-device, remote management) whether or not they are roles of their own.
_KIND = {"nas": "NAS", "router": "router", "switch": "switch", "access-point": "access point",
         "printer": "printer", "ups": "UPS", "management-controller": "management controller"}
ADMIN_ROLES = frozenset(_KIND)
ADMIN_DEVICE_TYPES = frozenset({"power-device", "power-misc", "remote management",
                                "terminal server"})
MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class AdminUi:
    """An identified administration interface, as values (for evidence templates)."""

    device: str  # vendor and product as identified: "Synology", "APC UPS http config"
    kind: str  # a role ("nas") or, from nmap, a device type ("power-device")
    source: str  # "fingerprint", "nmap" or "host": what identified it
    rule: str = ""  # the fingerprint rule id, or the nmap-service-probes line
    field: str = ""  # the evidence field that matched: http_title, http_server
    value: str = ""  # the words that matched

    @property
    def what(self) -> str:
        """'Synology NAS', 'APC UPS http config (power-device)'."""
        if self.kind in _KIND:
            return " ".join(x for x in (self.device, _KIND[self.kind]) if x)
        return f"{self.device or self.kind} ({self.kind})"

    @property
    def how(self) -> str:
        if self.source == "fingerprint":
            return f"fingerprint {self.rule}: {self.field} '{self.value}'"
        if self.source == "nmap":
            return f"nmap-service-probes line {self.rule}: {self.value}"
        return f"the host, identified as {self.what}, named in {self.field}"


def identify(host: Host, page: Observation) -> AdminUi | None:
    """The administration interface ``page`` (an ``http`` observation) belongs to, if any."""
    if page.number("status") != 200:
        return None
    title, server = page.get("title") or "", page.get("server") or ""
    return (_by_fingerprint(title, server) or _by_nmap(host, page.number("port"))
            or _by_host(host, title, server))


def _by_fingerprint(title: str, server: str) -> AdminUi | None:
    from scanner.classification.classify import match_value

    for field, value in (("http_title", title), ("http_server", server)):
        if not value:
            continue
        for r in match_value(field, value):
            role = r.get("role")
            if r.confidence >= MIN_CONFIDENCE and role in ADMIN_ROLES:
                device = " ".join(x for x in (r.get("vendor"), r.get("product")) if x)
                return AdminUi(device, role, "fingerprint", r.rule, field, value)
    return None


def _by_nmap(host: Host, port: int | None) -> AdminUi | None:
    from scanner.nmapdb.roles import role_for_device_type

    for o in host.observations:
        if o.kind != "nmap-service" or o.number("port") != port or o.get("soft") == "yes":
            continue
        kind = o.get("device_type") or ""
        role = role_for_device_type(kind) if kind else None
        if (role is not None and role.value in ADMIN_ROLES) or kind in ADMIN_DEVICE_TYPES:
            product = " ".join(x for x in (o.get("product"), o.get("version")) if x)
            return AdminUi(product, kind, "nmap", o.get("line") or "?", "", product or kind)
    return None


def _by_host(host: Host, title: str, server: str) -> AdminUi | None:
    if host.role.value not in ADMIN_ROLES:
        return None
    for name in (host.product, host.vendor):
        for field, value in (("http_title", title), ("http_server", server)):
            if name and value and name.lower() in value.lower():
                device = " ".join(x for x in (host.vendor, host.product) if x)
                return AdminUi(device, host.role.value, "host", "", field, value)
    return None
