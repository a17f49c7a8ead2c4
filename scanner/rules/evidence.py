"""Evidence lines in the report's language: one table of templates, German and English.

A rule yields ``Evidence(key, values)``; the renderers turn it into text with ``text(e,
lang)``. The scan file keeps the key and the values, so a German and an English report of
the same scan say the same thing. Template syntax, kept small on purpose:

- ``{name}`` is the value ``name``; ``{name:role}`` the value read as a device role and
  named in the report's language; ``{name:peers}`` a list "role ip, role ip" likewise;
  ``{name:if}`` prints nothing (it only makes the part around it conditional);
- ``[...]`` is a part that is left out when one of the values in it is empty.

Values are substituted, never parsed: a brace or bracket that a device sends is just text.
Evidence in scans written before these templates is a plain string and shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scanner.model import Evidence, Localized, Role

# (key, German, English)
_TABLE: tuple[tuple[str, str, str], ...] = (
    # the device the finding is about: address, practice name, network name, device, role
    ("host", "{ip}[, {site}][, {name}][, {device}][, {role:role}]",
     "{ip}[, {site}][, {name}][, {device}][, {role:role}]"),
    ("not-in-site", "nicht in {file} aufgeführt", "not in {file}"),
    ("mac", "MAC {mac}", "MAC {mac}"),
    ("mac-randomised", "MAC {mac} (zufällig)", "MAC {mac} (randomised)"),
    ("mac-unknown", "MAC unbekannt", "MAC unknown"),
    ("site-device-silent", "{name} ({role:role}) steht in {file}, hat nicht geantwortet",
     "{name} ({role:role}) listed in {file}, did not answer"),
    ("mobile-role", "Rolle {role:role}", "role {role:role}"),
    ("randomised-mac", "zufällige MAC-Adresse", "randomised MAC address"),
    ("same-network", "im selben Netz wie {peers:peers}[ und {more} weitere]",
     "same network as {peers:peers}[ and {more} more]"),
    ("shares-network", "teilt ein Netz mit {peers:peers}[ und {more} weiteren]",
     "shares a network with {peers:peers}[ and {more} more]"),
    ("in-zone", "in Zone '{zone}'", "in zone '{zone}'"),
    ("open-ports", "offene Ports: {ports}", "open ports: {ports}"),
    ("service-not-allowed", "{service} offen[ ({label})], für {device} nicht erlaubt",
     "{service} open[ ({label})], not allowed for {device}"),
    ("smb1-accepted", "tcp/{port}: SMB1-Aushandlung angenommen (Dialekt NT LM 0.12)",
     "tcp/{port}: SMB1 negotiate accepted (dialect NT LM 0.12)"),
    ("port-open", "tcp/{port} offen: {what}[ ({label})]", "tcp/{port} open: {what}[ ({label})]"),
    ("ftp-anonymous", "anonyme Anmeldung angenommen", "anonymous login accepted"),
    ("rdp-open", "tcp/3389 offen: Remote Desktop (RDP)", "tcp/3389 open: Remote Desktop (RDP)"),
    ("rdp-open-nla", "tcp/3389 offen: Remote Desktop (RDP), Network Level Authentication "
     "verlangt", "tcp/3389 open: Remote Desktop (RDP), Network Level Authentication required"),
    ("rdp-open-no-nla", "tcp/3389 offen: Remote Desktop (RDP), ohne Network Level "
     "Authentication", "tcp/3389 open: Remote Desktop (RDP), without Network Level "
     "Authentication"),
    ("snmp-public", "udp/161 antwortet auf die Community 'public'[: {descr}]",
     "udp/161 answers community 'public'[: {descr}]"),
    ("http-login", "http://{ip}:{port}/ bietet eine Anmeldung über unverschlüsseltes HTTP"
     "[ ('{title}')]", "http://{ip}:{port}/ serves a login over plain HTTP[ ('{title}')]"),
    ("tls-legacy", "tcp/{port} nimmt {versions} an", "tcp/{port} accepts {versions}"),
    ("cert-expired", "tcp/{port}: Zertifikat '{subject}' abgelaufen am {not_after}",
     "tcp/{port}: certificate '{subject}' expired {not_after}"),
    ("cert-ends", "tcp/{port}: Zertifikat '{subject}' endet am {not_after} (in {days} Tagen)",
     "tcp/{port}: certificate '{subject}' ends {not_after} (in {days} days)"),
    ("cert-issuer", "Aussteller: {issuer}", "issuer: {issuer}"),
    ("cert-issuer-unknown", "Aussteller unbekannt", "issuer: unknown"),
    ("os-reported", "meldet {os}[ ({field} '{value}')]", "reports {os}[ ({field} '{value}')]"),
    ("admin-ui-plain", "http://{ip}:{port}/ liefert die Verwaltungsoberfläche von {device}"
     "[ ({kind:role})] über unverschlüsseltes HTTP[ ('{title}')]",
     "http://{ip}:{port}/ serves the administration interface of {device}[ ({kind:role})] "
     "over plain HTTP[ ('{title}')]"),
    ("admin-ui-by-fingerprint", "erkannt am Fingerprint {rule} ({field} '{value}'), kein "
     "Passwortfeld auf der Seite[ (die Seite wird per JavaScript aufgebaut{scripts:if})]",
     "identified by fingerprint {rule} ({field} '{value}'), no password field on the page"
     "[ (the page is built by JavaScript{scripts:if})]"),
    ("admin-ui-by-nmap", "von nmap erkannt (nmap-service-probes, Zeile {rule}: {value}), kein "
     "Passwortfeld auf der Seite[ (die Seite wird per JavaScript aufgebaut{scripts:if})]",
     "identified by nmap (nmap-service-probes line {rule}: {value}), no password field on "
     "the page[ (the page is built by JavaScript{scripts:if})]"),
    ("admin-ui-by-host", "das Gerät ist als {kind:role} erkannt, {field} nennt es, kein "
     "Passwortfeld auf der Seite[ (die Seite wird per JavaScript aufgebaut{scripts:if})]",
     "the device is identified as {kind:role}, named in {field}, no password field on the "
     "page[ (the page is built by JavaScript{scripts:if})]"),
    ("pvs-database", "tcp/{port} offen: {database} auf dem PVS-Server",
     "tcp/{port} open: {database} on the PVS server"),
    ("sds-tls", "connector.sds: TLSMandatory={tls_mandatory}, {plain} Endpunkte ohne TLS",
     "connector.sds: TLSMandatory={tls_mandatory}, {plain} endpoints without TLS"),
    ("sds-client-auth", "connector.sds: ClientAutMandatory=false",
     "connector.sds: ClientAutMandatory=false"),
    ("konnektor-ldap", "tcp/389 offen: LDAP ohne TLS am Konnektor",
     "tcp/389 open: LDAP without TLS on the Konnektor"),
    ("sicct-no-tls", "SICCT-Discovery-Antwort von '{name}' bietet keinen sicheren Kanal (kein "
     "A3/TLS-Element)", "SICCT discovery reply of '{name}' offers no secure channel (no A3/TLS "
     "element)"),
    ("kim-no-tls", "tcp/{port}: '{greeting}' ohne {command}", "tcp/{port}: '{greeting}' without "
     "{command}"),
    ("upnp-igd", "UPnP-IGD unter {location}[: {name}]", "UPnP IGD at {location}[: {name}]"),
    ("upnp-add-mapping", "AddPortMapping angeboten: jedes Gerät im LAN kann Ports öffnen",
     "AddPortMapping offered: any device in the LAN can open ports"),
    ("upnp-mapping", "{protocol} {external} -> {client}:{port} '{description}'",
     "{protocol} {external} -> {client}:{port} '{description}'"),
    ("points-to", "zeigt auf {ip}[, {site}][, {name}][, {device}][, {role:role}]",
     "points to {ip}[, {site}][, {name}][, {device}][, {role:role}]"),
    ("internet-reachable", "aus dem Internet erreichbar: {detail}",
     "reachable from the Internet: {detail}"),
    ("ipv6-open-ipv4-closed", "tcp/{port} über IPv6 offen ({address})[: {what}], über IPv4 "
     "geschlossen oder gefiltert", "tcp/{port} open over IPv6 ({address})[: {what}], closed or "
     "filtered over IPv4"),
    # UDP its own line: scan files written before it name TCP ports without a protocol field
    ("ipv6-udp-open-ipv4-closed", "udp/{port} über IPv6 offen ({address})[: {what}], über IPv4 "
     "ohne Antwort", "udp/{port} open over IPv6 ({address})[: {what}], no answer over IPv4"),
    ("ipv6-pinholes-allowed", "UPnP IGDv2 WANIPv6FirewallControl: Firewall an, Geräte im LAN "
     "dürfen IPv6-Pinholes öffnen[ ({location})]", "UPnP IGDv2 WANIPv6FirewallControl: "
     "firewall on, LAN devices may open IPv6 pinholes[ ({location})]"),
    ("ipv6-firewall-off", "die IPv6-Firewall des Routers ist ausgeschaltet",
     "the router's IPv6 firewall is switched off"),
    ("myfritz-share-ipv6", "{router} öffnet über MyFRITZ! '{name}' tcp/{port} von {device} "
     "für das Internet über IPv6 ({ipv6})", "{router} opens tcp/{port} of {device} to the "
     "Internet over IPv6 by MyFRITZ! share '{name}' ({ipv6})"),
    ("myfritz-share", "{router} gibt über MyFRITZ! '{name}' tcp/{port} von {device} für das "
     "Internet frei[ (IPv6: {ipv6})][ (IPv4: {ipv4})]", "{router} opens tcp/{port} of {device} "
     "to the Internet by MyFRITZ! share '{name}'[ (IPv6: {ipv6})][ (IPv4: {ipv4})]"),
    ("port-share", "{router} leitet {protocol} {external} an {client}:{port} weiter "
     "('{description}')", "{router} forwards {protocol} {external} -> {client}:{port} "
     "'{description}'"),
    ("forwarded-to-it", "der Router leitet {protocol} {external} hierher weiter (Portfreigabe "
     "'{description}')", "the router forwards {protocol} {external} to it (port share "
     "'{description}')"),
    ("upnp-mapped-to-it", "UPnP-Weiterleitung {external} -> {ip}:{port}",
     "UPnP mapping {external} -> {ip}:{port}"),
    ("router-remote-on", "Fernzugriff / MyFRITZ des Routers ist eingeschaltet",
     "the router's own remote access / MyFRITZ is enabled"),
    ("remote-access", "Fernzugriff auf Port {port} (Benutzer {user})",
     "remote access on port {port} (user {user})"),
    ("myfritz", "MyFRITZ eingeschaltet[ ({dyndns})]", "MyFRITZ enabled[ ({dyndns})]"),
    ("ftp-wan", "FTP-Zugriff aus dem Internet eingeschaltet", "FTP access from the Internet enabled"),
    ("wlan-open", "'{ssid}' ({bssid}) ist unverschlüsselt", "'{ssid}' ({bssid}) has no encryption"),
    ("wlan-weak", "'{ssid}' ({bssid}) nutzt {security}[ mit {cipher}][, schwächer als {floor}]",
     "'{ssid}' ({bssid}) uses {security}[ with {cipher}][, below {floor}]"),
    ("wlan-wps", "'{ssid}' ({bssid}) bietet WPS an[ {version}][, eingerichtet{configured:if}]"
     "[, AP-PIN gesperrt{locked:if}]", "'{ssid}' ({bssid}) advertises WPS[ {version}]"
     "[, configured{configured:if}][, AP PIN locked{locked:if}]"),
    ("rogue-bssid", "Praxis-SSID '{ssid}' von {bssid}: unbekannte BSSID",
     "practice SSID '{ssid}' from {bssid}: unknown BSSID"),
    ("rogue-maker", "Praxis-SSID '{ssid}' von {bssid}: Hersteller {vendor} ist nicht "
     "{expected}", "practice SSID '{ssid}' from {bssid}: access point maker {vendor} is not "
     "{expected}"),
    ("rogue-weaker", "Praxis-SSID '{ssid}' von {bssid}: schwächere Sicherheit ({security})",
     "practice SSID '{ssid}' from {bssid}: weaker security ({security})"),
    ("guest-wlan-zone", "Gast-WLAN '{ssid}' liegt in Zone '{zone}'[, der Zone des "
     "Praxis-WLANs{shared:if}][ (in der Luft gesehen{seen:if})][ (laut Praxisdatei{listed:if})]",
     "guest WLAN '{ssid}' is in zone '{zone}'[, the zone of the practice WLAN{shared:if}]"
     "[ (seen on air{seen:if})][ (from the site file{listed:if})]"),
    ("ti-overlap", "Netz {network} überschneidet sich mit dem TI-Bereich {ti}",
     "network {network} overlaps the TI range {ti}"),
    ("dhcp-servers", "antwortet auf DHCP; {count} DHCP-Server gesehen: {servers}",
     "answers DHCP; {count} DHCP servers seen: {servers}"),
    ("role-mismatch", "in {file} als {listed:role} eingetragen, sieht aus wie {looks:role} "
     "({confidence} %)", "listed as {listed:role} in {file}, looks like {looks:role} "
     "({confidence} %)"),
    ("recognised-by", "erkannt an: {rules}", "recognised by: {rules}"),
    # version rules (lifecycle.py): where the version was read, and what it matches
    ("announced-tr064", "TR-064-Beschreibung (tcp/{port}) von {model}: meldet '{text}'",
     "TR-064 description (tcp/{port}) of {model}: announced '{text}'"),
    ("announced-smb", "SMB-NTLMSSP-Challenge (tcp/{port}): meldet '{text}'",
     "SMB NTLMSSP challenge (tcp/{port}): announced '{text}'"),
    ("announced-http", "HTTP-Server-Kopfzeile (tcp/{port}): meldet '{text}'",
     "HTTP Server header (tcp/{port}): announced '{text}'"),
    ("announced-ssh", "SSH-Banner (tcp/{port}): meldet '{text}'",
     "SSH banner (tcp/{port}): announced '{text}'"),
    ("announced-upnp", "UPnP-Beschreibung von {model}: modelNumber '{text}'",
     "UPnP description of {model}: modelNumber '{text}'"),
    ("announced-service", "Dienstversion (tcp/{port}[: {product}]): meldet '{text}'",
     "service version (tcp/{port}[: {product}]): announced '{text}'"),
    ("matches-eol", "entspricht {id}: {title}[ (seit {since})]; Quelle: {source}",
     "matches {id}: {title}[ (since {since})]; source: {source}"),
    ("matches-exploited", "entspricht {id}: {cve} {title}; behoben in {fixed}; Ausnutzung: "
     "{exploitation}; Quelle: {source}", "matches {id}: {cve} {title}; fixed in {fixed}; "
     "exploitation: {exploitation}; source: {source}"),
    ("update-path", "Update-Weg: {update}", "update path: {update}"),
    ("judged-against", "beurteilt nach {knowledge}", "judged against {knowledge}"),
)
TEMPLATES: dict[str, Localized] = {key: Localized(de, en) for key, de, en in _TABLE}

ROLE_NAMES: dict[str, dict[str, str]] = {
    "de": {"router": "Router", "access-point": "Access Point", "switch": "Switch",
           "konnektor": "Konnektor", "card-terminal": "Kartenterminal",
           "pvs-server": "PVS-Server", "server": "Server", "workstation": "Arbeitsplatz-PC",
           "medical-device": "Medizingerät", "printer": "Drucker", "nas": "NAS",
           "smartphone": "Smartphone", "tablet": "Tablet", "iot": "IoT-Gerät",
           "unknown": "unbekannt"},
    "en": {r.value: r.value.replace("-", " ") for r in Role} | {
        "pvs-server": "PVS server", "nas": "NAS", "iot": "IoT device"},
}

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def make(key: str, **values: object) -> Evidence:
    """An evidence line; ``None`` values are left out (their optional part then is too)."""
    if key not in TEMPLATES:
        raise KeyError(f"no evidence template {key!r}")
    return Evidence(key, tuple((k, str(v)) for k, v in values.items() if v is not None))


def role_name(role: str, lang: str) -> str:
    return ROLE_NAMES["en" if lang == "en" else "de"].get(role, role)


def text(e: Evidence | str, lang: str = "de") -> str:
    """The line as the report shows it (not yet cleaned: the renderer cleans and escapes)."""
    if isinstance(e, str):
        return e  # a scan written before templates: shown as it was written
    values = dict(e.values)
    template = TEMPLATES.get(e.key)
    if template is None:  # a newer praxisscan's key, or a hand-edited file: still readable
        return f"{e.key}: " + ", ".join(f"{k}={v}" for k, v in e.values)
    return fill(template.get(lang), values, lang)


def fill(template: str, values: Mapping[str, str], lang: str) -> str:
    def optional(m: re.Match[str]) -> str:
        names = [f.group(1) for f in _FIELD.finditer(m.group(1))]
        return m.group(1) if all(values.get(n) for n in names) else ""

    def field(m: re.Match[str]) -> str:
        value, spec = values.get(m.group(1), "?"), m.group(2)
        if spec == "if":
            return ""
        if spec == "role":
            return role_name(value, lang)
        if spec == "peers":  # "pvs-server 192.168.178.10, konnektor 192.168.178.2"
            return ", ".join(" ".join((role_name(r, lang), ip)) if ip else r for r, _, ip in
                             (p.partition(" ") for p in value.split(", ")))
        return value

    return _FIELD.sub(field, _OPTIONAL.sub(optional, template))


def fixed_phrases(lang: str) -> set[str]:
    """The fixed text of every template in ``lang`` that the other language does not share:
    what must not appear in a report of the other language. A lone word ("with", "network")
    is left out: it occurs in any text, such as a knowledge file's English source titles."""
    other = "de" if lang == "en" else "en"
    out = set()
    for t in TEMPLATES.values():
        theirs = _literal_parts(t.get(other))
        for part in _literal_parts(t.get(lang)):
            word = re.search(r"[A-Za-zÄÖÜäöüß]{4,}", part)
            if word and part not in theirs and word.group() != part:
                out.add(part)
    return out


def found_in(phrase: str, text: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as words (not inside "expired-certificate")."""
    return re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text) is not None


def _literal_parts(template: str) -> set[str]:
    flat = template.replace("[", "\0").replace("]", "\0")
    return {p.strip() for p in re.split(r"\{[^}]*\}|\0", flat)} - {""}
