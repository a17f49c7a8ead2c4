"""The scan model: what every stage produces and consumes.

All types are frozen: a stage never edits what an earlier stage produced, it returns new
values (``dataclasses.replace``). Collections are tuples so a value can be shared freely.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import overload

from scanner.vocabulary import Lang as Lang, Severity as Severity

SCHEMA_VERSION = 1


class Zone(enum.StrEnum):
    """The network zones a site file places networks, devices and WLANs in. A StrEnum:
    compared with and shown as its value (evidence texts, the network plan)."""

    PRAXIS = "praxis"
    MEDICAL = "medical"
    TI = "ti"
    GUEST = "guest"
    SERVER = "server"


class Role(str, enum.Enum):
    ROUTER = "router"
    ACCESS_POINT = "access-point"
    SWITCH = "switch"
    KONNEKTOR = "konnektor"
    CARD_TERMINAL = "card-terminal"
    PVS_SERVER = "pvs-server"
    SERVER = "server"
    WORKSTATION = "workstation"
    MEDICAL_DEVICE = "medical-device"
    PRINTER = "printer"
    NAS = "nas"
    SMARTPHONE = "smartphone"
    TABLET = "tablet"
    VOIP_PHONE = "voip-phone"
    PBX = "pbx"
    UPS = "ups"  # UPS and PDU network cards
    CAMERA = "camera"  # IP cameras and video recorders
    MEDIA = "media"  # TVs, streaming players, speakers
    MANAGEMENT_CONTROLLER = "management-controller"  # BMCs: iDRAC, iLO, iRMC, IPMI
    IOT = "iot"
    UNKNOWN = "unknown"


class Protocol(str, enum.Enum):
    TCP = "tcp"
    UDP = "udp"


class SeenBy(str, enum.Enum):
    """How a service was seen to answer: the port scan, one of our probes (a UDP question
    the port answered), or passive listening (what the device sent on its own)."""

    NMAP = "nmap"
    PROBE = "probe"
    PASSIVE = "passive"


class Source(str, enum.Enum):
    """Where a piece of evidence came from."""

    ARP = "arp"
    ICMP = "icmp"
    NMAP = "nmap"
    MDNS = "mdns"
    SSDP = "ssdp"
    DHCP = "dhcp"
    NETBIOS = "netbios"
    SICCT = "sicct"
    PROBE = "probe"
    SITE = "site"
    NDP = "ndp"  # IPv6 neighbour discovery: router advertisements, NS/NA, echo replies


class AddressKind(str, enum.Enum):
    """What an IPv6 address of a host is (RFC 4291 §2.5, RFC 4193, RFC 8981)."""

    LINK_LOCAL = "link-local"  # fe80::/10: the link only
    ULA = "ula"  # fc00::/7: the practice only, never routed to the Internet
    GLOBAL = "global"  # reachable from the Internet where the router lets it through
    TEMPORARY = "temporary"  # a global privacy address: changes daily, used for outbound


@dataclass(frozen=True)
class Ipv6Address:
    """One IPv6 address of a host, tied to it by MAC (neighbour discovery)."""

    address: str
    kind: AddressKind


@dataclass(frozen=True)
class Localized:
    """User-facing text in both report languages."""

    de: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


@dataclass(frozen=True)
class Scope:
    """What the operator allowed to be scanned, and how."""

    targets: tuple[str, ...]
    networks: tuple[str, ...]
    interface: str | None = None
    profile: str = "quick"
    tcp_ports: str = ""
    excluded_ports: str = ""
    allow_public: bool = False
    allow_large: bool = False


@dataclass(frozen=True)
class Number:
    """A whole number written in ASCII decimal digits, within ``low``..``high``."""

    what: str
    low: int
    high: int

    def valid(self, text: str) -> bool:
        # isascii: int() would take "٣٣٨٩" and " 80"; the length bound keeps int() cheap
        return (text.isascii() and text.isdigit() and len(text) <= 10
                and self.low <= int(text) <= self.high)


@dataclass(frozen=True)
class Choice:
    """One word out of a fixed set; ``yes``/``true`` and ``no``/``false`` read as flags."""

    what: str
    words: frozenset[str]

    def valid(self, text: str) -> bool:
        return text in self.words


PORT = Number("port (0-65535)", 0, 65535)
COUNT = Number("count (0-4294967295)", 0, 2**32 - 1)
YES_NO = Choice("yes/no", frozenset({"yes", "no"}))
YES_NO_UNKNOWN = Choice("yes/no/unknown", frozenset({"yes", "no", "unknown"}))
TRUE_FALSE_UNKNOWN = Choice("true/false/unknown", frozenset({"true", "false", "unknown"}))
_TRUE, _FALSE = frozenset({"yes", "true"}), frozenset({"no", "false"})

# The typed evidence: every key a rule reads as a number, flag or enumeration, by
# (kind, key); kind "*" means every kind. Keys not listed are free text. An Observation
# with a value outside its type is a ValueError: producers drop or note such values
# (Observation.checked), a scan file carrying one is malformed.
TYPED: dict[tuple[str, str], Number | Choice] = {
    ("*", "port"): PORT,
    ("*", "internal_port"): PORT,  # upnp-mapping, tr064-port-share
    ("*", "external_port"): PORT,
    ("*", "tcp_port"): PORT,  # sicct
    # upnp-mapping "lease" stays text: no rule reads it, and stored scans hold what routers sent
    ("upnp-mapping", "index"): COUNT,
    ("connector-sds", "plain_endpoints"): COUNT,
    ("connector-sds", "tls_endpoints"): COUNT,
    ("http", "status"): Number("HTTP status (100-999)", 100, 999),
    ("http", "tls"): YES_NO,
    ("http", "login_form"): YES_NO,
    ("http", "scripts"): YES_NO,
    ("connector-sds", "tls"): YES_NO,
    ("connector-sds", "tls_mandatory"): TRUE_FALSE_UNKNOWN,
    ("connector-sds", "client_aut_mandatory"): TRUE_FALSE_UNKNOWN,
    ("smb", "smb1"): YES_NO_UNKNOWN,
    ("banner", "anonymous"): YES_NO,
    ("tls", "expired"): YES_NO,
    ("tls", "self_signed"): YES_NO,
    ("rdp", "nla"): YES_NO,
    ("smtp", "starttls"): YES_NO,
    ("pop3", "stls"): YES_NO,
    ("upnp-device", "igd"): YES_NO,
    ("ipv6-router", "managed"): YES_NO,  # RA M flag
    ("ipv6-router", "other"): YES_NO,  # RA O flag
    ("upnp-ipv6-firewall", "firewall_enabled"): YES_NO,  # IGDv2 GetFirewallStatus
    ("upnp-ipv6-firewall", "inbound_pinhole_allowed"): YES_NO,
    ("upnp-device", "add_mapping"): Choice("offered/not offered/unknown",
                                           frozenset({"offered", "not offered", "unknown"})),
    ("tr064-remote-access", "enabled"): YES_NO,
    ("tr064-myfritz", "enabled"): YES_NO,
    ("tr064-port-share", "enabled"): YES_NO,
    ("tr064-myfritz-share", "enabled"): YES_NO,  # scanner/probes/tr064_myfritz.py
    ("tr064-myfritz-share", "index"): COUNT,
    ("tr064-storage", "ftp_wan"): YES_NO,
    ("nmap-service", "line"): Number("line number (1-9999999)", 1, 9_999_999),
    ("nmap-service", "soft"): YES_NO,
    ("nmap-service", "names_device"): Choice("product/hardware/no",
                                             frozenset({"product", "hardware", "no"})),
}


def typed(kind: str, key: str) -> Number | Choice | None:
    """The type of ``key`` in an observation of ``kind``; None for free text."""
    return TYPED.get((kind, key)) or TYPED.get(("*", key))


@dataclass(frozen=True)
class Observation:
    """One piece of raw evidence about a host, as seen on the network.

    ``data`` holds the evidence as text pairs; values come from the network and are
    untrusted: renderers escape them, nothing interprets them as markup. Keys listed in
    ``TYPED`` are checked here (ValueError); rules read them only through ``number`` and
    ``flag``, which therefore cannot fail on what a device sent.
    """

    source: Source
    kind: str
    data: tuple[tuple[str, str], ...]
    seen_at: datetime

    def __post_init__(self) -> None:
        for k, v in self.data:
            t = typed(self.kind, k)
            if t is not None and not (isinstance(v, str) and t.valid(v)):
                raise ValueError(f"observation {self.kind[:40]!r}: {k} = {str(v)[:40]!r} "
                                 f"is not a {t.what}")

    @classmethod
    def checked(cls, source: Source, kind: str, pairs: Iterable[tuple[str, str]],
                seen_at: datetime) -> Observation:
        """What producers use: a malformed typed value is dropped and its key named under
        ``malformed``, so that hostile input never raises out of a probe or parser."""
        kept, bad = [], []
        for k, v in pairs:
            t = typed(kind, k)
            if t is not None and not (isinstance(v, str) and t.valid(v)):
                bad.append(f"{k}={str(v)[:40]!r}")
            else:
                kept.append((k, v))
        if bad:
            kept.append(("malformed", ", ".join(bad)))
        return cls(source, kind, tuple(kept), seen_at)

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: str | None) -> str | None: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.data:
            if k == key:
                return v
        return default

    def number(self, key: str) -> int | None:
        """A typed number (a port, a count); None when the observation has none."""
        t = typed(self.kind, key)
        if not isinstance(t, Number):
            raise TypeError(f"{self.kind}: {key} is not a typed number")
        v = self.get(key)
        return int(v) if v is not None else None

    def flag(self, key: str) -> bool | None:
        """A typed yes/no (or true/false); None when absent or "unknown"."""
        t = typed(self.kind, key)
        if not (isinstance(t, Choice) and t.words & (_TRUE | _FALSE)):
            raise TypeError(f"{self.kind}: {key} is not a typed flag")
        v = self.get(key)
        return True if v in _TRUE else False if v in _FALSE else None


@dataclass(frozen=True)
class Service:
    port: int
    protocol: Protocol
    name: str = ""
    product: str = ""
    version: str = ""
    extra_info: str = ""
    # Scan files written before this field listed nmap's open ports only: nmap is the default.
    seen_by: SeenBy = SeenBy.NMAP


@dataclass(frozen=True)
class Reason:
    """One fingerprint rule that matched one piece of a host's evidence."""

    rule: str
    field: str
    value: str
    attributes: tuple[tuple[str, str], ...]
    confidence: float

    def get(self, attribute: str) -> str | None:
        for k, v in self.attributes:
            if k == attribute:
                return v
        return None


@dataclass(frozen=True)
class Classification:
    confidence: float  # of the role
    model: str | None = None
    reasons: tuple[Reason, ...] = ()
    alternatives: tuple[Reason, ...] = ()  # matches whose answer lost


@dataclass(frozen=True)
class Host:
    """A device on the network.

    Identity (``key``) is the MAC address first, then a stable name, then the IP: a device
    keeps its key when DHCP gives it another address.
    """

    ip: str
    mac: str | None = None
    mac_vendor: str | None = None
    mac_randomized: bool = False
    hostnames: tuple[str, ...] = ()
    role: Role = Role.UNKNOWN
    vendor: str | None = None
    product: str | None = None
    os: str | None = None
    services: tuple[Service, ...] = ()
    observations: tuple[Observation, ...] = ()
    classification: Classification | None = None
    # The site file's word (set when the scan is evaluated against a site file): the
    # practice's name for the device, and, when the site file gives the role, the role the
    # classifier found (``role`` is then the site file's).
    site_name: str | None = None
    classified_role: Role | None = None
    # IPv6: the addresses discovered for this device (by its MAC), and the ports that
    # answered over IPv6 (the separate IPv6 pass; ``services`` is what answered over IPv4).
    ipv6: tuple[Ipv6Address, ...] = ()
    ipv6_services: tuple[Service, ...] = ()

    @property
    def global_ipv6(self) -> tuple[str, ...]:
        """Addresses the Internet could reach (stable and temporary global ones)."""
        return tuple(a.address for a in self.ipv6
                     if a.kind in (AddressKind.GLOBAL, AddressKind.TEMPORARY))

    @property
    def key(self) -> str:
        return host_key(self.mac, self.hostnames, self.ip)

    def service(self, port: int, protocol: Protocol = Protocol.TCP) -> Service | None:
        for s in self.services:
            if s.port == port and s.protocol is protocol:
                return s
        return None


def host_key(mac: str | None, hostnames: tuple[str, ...], ip: str) -> str:
    if mac:
        return f"mac:{mac.lower()}"
    if hostnames:
        return f"name:{hostnames[0].lower()}"
    return f"ip:{ip}"


@dataclass(frozen=True)
class Evidence:
    """One line of a finding's evidence: a template id (scanner/rules/evidence.py) and the
    values it is filled with, so that each report shows it in its own language. Values are
    untrusted text (names, banners): renderers clean and escape them."""

    key: str
    values: tuple[tuple[str, str], ...] = ()

    def get(self, name: str, default: str = "") -> str:
        for k, v in self.values:
            if k == name:
                return v
        return default


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    host: str | None
    port: int | None
    title: Localized
    evidence: tuple[Evidence | str, ...]  # str: a scan written before evidence had templates
    explanation: Localized = Localized("", "")
    fix: Localized = Localized("", "")
    references: tuple[str, ...] = ()
    fingerprint: str = ""  # stable across rescans: rule, device identity, port
    confidence: float = 1.0  # < 1 when the finding rests on a classified role
    acknowledged: str = ""  # "reason (by, until date)" from the site file, if acknowledged


@dataclass(frozen=True)
class NotTested:
    """A check that could not run: never to be read as a clean result."""

    check: str
    reason: str
    host: str | None = None


class WlanSecurity(str, enum.Enum):
    OPEN = "open"
    OWE = "owe"
    WEP = "wep"
    WPA = "wpa"  # WPA1
    WPA2 = "wpa2"
    WPA3 = "wpa3"

    @property
    def rank(self) -> int:
        return ["open", "wep", "wpa", "owe", "wpa2", "wpa3"].index(self.value)


@dataclass(frozen=True)
class WlanNetwork:
    """One BSS seen by a WLAN audit (praxisscan wlan, or the router's own settings)."""

    ssid: str  # display text; bytes that are not UTF-8 appear as \\xNN
    bssid: str
    security: WlanSecurity  # the weakest mode a client may use (a transition BSS counts as its weaker mode)
    ciphers: tuple[str, ...] = ()  # pairwise and group ciphers, e.g. ("CCMP", "TKIP")
    wps: bool = False
    vendor: str | None = None
    channel: int | None = None
    signal_dbm: int | None = None
    modes: tuple[WlanSecurity, ...] = ()  # every mode offered; two or more is a transition mode
    akms: tuple[str, ...] = ()  # "PSK", "SAE", "802.1X", "OWE", "PSK-SHA256", "FT-PSK" ...
    group_cipher: str | None = None
    pmf: str | None = None  # "required", "capable" or None (no management-frame protection)
    hidden: bool = False
    ssid_hex: str | None = None  # the raw SSID bytes when they are not valid UTF-8
    frequency_mhz: int | None = None
    wps_version: str | None = None  # "1.0", "2.0"
    wps_configured: bool | None = None
    wps_locked: bool | None = None
    wps_known: bool = True  # False when the source cannot see WPS (nmcli, a router without the action)
    source: str = ""  # "iw", "nmcli", "capture", "tr064"

    @property
    def enterprise(self) -> bool:
        return any(a.startswith("802.1X") or a.startswith("FT-802.1X") or a.startswith("SUITE-B")
                   for a in self.akms)

    @property
    def transition(self) -> bool:
        return len(set(self.modes)) > 1

    @property
    def band(self) -> str | None:
        f = self.frequency_mhz
        if f is None:
            return None
        if f < 3000:
            return "2.4 GHz"
        if 5925 < f < 7200:  # 6 GHz starts at 5955 MHz (channel 1)
            return "6 GHz"
        if f < 5925:
            return "5 GHz"
        return "60 GHz"


@dataclass(frozen=True)
class KnowledgeStamp:
    """The version knowledge a scan's findings were judged with: anything published after
    its date is unknown to the scan (see scanner/knowledge.py)."""

    date: date
    origin: str  # "packaged" or "installed"
    sha256: str
    entries: int


@dataclass(frozen=True)
class Scan:
    started_at: datetime
    finished_at: datetime
    scope: Scope
    complete: bool
    hosts: tuple[Host, ...] = ()
    findings: tuple[Finding, ...] = ()
    not_tested: tuple[NotTested, ...] = ()
    tool_version: str = ""
    schema_version: int = field(default=SCHEMA_VERSION)
    wlans: tuple[WlanNetwork, ...] | None = None  # None: no WLAN audit in this scan
    knowledge: KnowledgeStamp | None = None  # None: judged before version knowledge existed
