"""The probe table: every probe praxisscan sends, in one place.

Each entry says which ports (or what else) start it, how many packets it sends (for the
per-host pacing), its grade, what it needs from the scan besides the address, and the
function that runs it. The runner (scanner/probes/registry.py), the outside-in check
(scanner/external.py), ``--plan`` (scanner/plan.py) and the policy validator
(scanner/policy.py: the probe names a policy may allow) all read this table.

Adding a probe: its module in scanner/probes/ and one entry here (plus its fingerprint or
evidence text where it brings new evidence).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from scanner.ports import SERVER_FIRST, TR064_PORT
from scanner.probes.base import HTTP_EXCHANGE_PACKETS, ProbeResult, Target


def _module(name: str) -> ModuleType:
    # The probe modules are imported when a probe runs, not with the table: the policy and
    # the site file read the table, and `praxisscan --help` must not pay for ElementTree,
    # html and the UPnP stack (issue 14: --help under 0.1 s).
    return importlib.import_module(f"scanner.probes.{name}")


class Grade(enum.Enum):
    """What a probe sends, gentlest first (the grades scanner/policy.toml explains)."""

    LISTEN = "listen-only"  # the TCP handshake and the close; not one byte of data
    IDENTIFY = "identify"  # the one question any client of the protocol asks first
    PROTOCOL = "protocol"  # the protocol's own exchange


class Trigger(enum.Enum):
    """What starts a probe on a host."""

    PORT = "its port is open"  # the port's protocol probe: the first entry naming the port
    GREETING = "a server-first port whose protocol probe the policy does not allow"
    OTHER_PORT = "an open port no protocol probe names"
    ALSO = "its port is open (besides the port's protocol probe)"
    ONCE = "the first of its ports that is open, once per host"
    HOST = "every host (one UDP datagram)"
    LOGIN = "the operator's credentials (--fritzbox-user) and its port open"
    ANNOUNCED = "a location a scanned host announces by SSDP (a stage after the probes)"


class Outside(enum.Enum):
    """How the outside-in check picks a probe for a port the Internet reaches."""

    NO = "not used"
    BY_PORT = "on its own ports"
    CERTIFICATE = "first on a port that speaks TLS (the certificate names the service)"
    TLS = "on a port that speaks TLS"
    PLAIN = "on a port that does not speak TLS"


@dataclass(frozen=True)
class Probe:
    name: str  # the policy's name (policy.toml: probes = [...]); two entries may share one
    trigger: Trigger
    ports: tuple[int, ...]  # the TCP ports it runs on (ONCE: in order of preference)
    packets: int  # what it sends per run, counted on captures of the lab (with margin)
    grade: Grade
    sends: str  # what goes on the wire, as --plan says it
    run: Callable[[Target], ProbeResult] | None  # None: run by its own stage (UPnP)
    needs: frozenset[str] = frozenset()  # Target fields besides ip and port it reads
    outside: Outside = Outside.NO
    udp: int | None = None  # HOST: the UDP port its question goes to
    # Why it is not sent over IPv6 (the protocol exists over IPv4 only); "" when it is
    no_ipv6: str = ""


def _ports(*ports: int) -> tuple[int, ...]:
    return ports


PLAIN_HTTP = _ports(80, 631, 5000, 8000, 8042, 8080, 49000)
HTTPS = _ports(443, 5001, 8443, 8500, 8501, 11115, 49443)
TLS_PORTS = _ports(443, 636, 993, 995, 4742, 5001, 8443, 8500, 8501, 11115, 49443)
DICOM = _ports(104, 11112, 4242)
# Open ports that get no banner read: they say nothing unasked (SMB, databases, RPC), or
# their own probe runs once per host (SMB), or TLS answers them.
SILENT = frozenset({139, 445, 5432, 1433, 3306, 3050, 135, 62078, 49152, *TLS_PORTS})
# SYN, ACK, the greeting's ACK(s), FIN and its ACK: counted with margin, as the others
GREETING_PACKETS = 8

PROBES: tuple[Probe, ...] = (
    Probe("greeting", Trigger.GREETING, tuple(sorted(SERVER_FIRST)),
          GREETING_PACKETS, Grade.LISTEN,
          "nothing: the greeting of FTP, SSH, Telnet, SMTP, POP3 or VNC is read, then closed",
          lambda t: _module("banners").greeting(t.ip, t.port)),
    Probe("ssh", Trigger.PORT, _ports(22), 12, Grade.PROTOCOL, "the SSH version line",
          lambda t: _module("banners").ssh(t.ip, t.port), outside=Outside.BY_PORT),
    Probe("ftp", Trigger.PORT, _ports(21), 18, Grade.PROTOCOL, "USER anonymous",
          lambda t: _module("banners").ftp(t.ip, t.port)),
    Probe("telnet", Trigger.PORT, _ports(23), 12, Grade.PROTOCOL, "the Telnet option answers",
          lambda t: _module("banners").telnet(t.ip, t.port)),
    Probe("smtp", Trigger.PORT, _ports(25, 587), 16, Grade.PROTOCOL, "EHLO",
          lambda t: _module("banners").smtp(t.ip, t.port)),
    Probe("pop3", Trigger.PORT, _ports(110), 16, Grade.PROTOCOL, "CAPA",
          lambda t: _module("banners").pop3(t.ip, t.port)),
    Probe("rdp", Trigger.PORT, _ports(3389), 16, Grade.PROTOCOL,
          "one RDP connection request and a TLS handshake",
          lambda t: _module("rdp").rdp(t.ip, t.port), outside=Outside.BY_PORT),
    Probe("dicom", Trigger.PORT, DICOM, 16, Grade.IDENTIFY, "DICOM C-ECHO (verification)",
          lambda t: _module("dicom").c_echo(t.ip, t.port)),
    Probe("http", Trigger.PORT, PLAIN_HTTP, 12, Grade.IDENTIFY, "one HTTP GET /",
          lambda t: _module("web").http(t.ip, t.port, False), outside=Outside.PLAIN),
    Probe("http", Trigger.PORT, HTTPS, 18, Grade.IDENTIFY, "one HTTP GET / over TLS",
          lambda t: _module("web").http(t.ip, t.port, True), outside=Outside.TLS),
    Probe("banner", Trigger.OTHER_PORT, (), 6, Grade.PROTOCOL,
          "nothing: what the service says unasked within two seconds",
          lambda t: _module("banners").generic(t.ip, t.port)),
    Probe("tls", Trigger.ALSO, TLS_PORTS, 38, Grade.PROTOCOL,
          "up to three TLS handshakes, legacy versions included",
          lambda t: _module("tls").tls(t.ip, t.port), outside=Outside.CERTIFICATE),
    Probe("connector-sds", Trigger.ONCE, _ports(443), 20, Grade.PROTOCOL,
          "one HTTP GET /connector.sds", lambda t: _module("web").connector_directory(t.ip, t.port, True)),
    Probe("connector-sds", Trigger.ONCE, _ports(80), 12, Grade.PROTOCOL,
          "one HTTP GET /connector.sds", lambda t: _module("web").connector_directory(t.ip, t.port, False)),
    Probe("tr064", Trigger.ONCE, _ports(TR064_PORT), 12, Grade.PROTOCOL,
          "one HTTP GET /tr64desc.xml", lambda t: _module("tr064").description(t.ip, t.port)),
    Probe("smb", Trigger.ONCE, _ports(445, 139), 22, Grade.IDENTIFY, "one SMB negotiate",
          lambda t: _module("smb").smb(t.ip, t.port)),
    Probe("snmp", Trigger.HOST, (), 1, Grade.PROTOCOL, "SNMP GET, community public",
          lambda t: _module("udp").snmp_public(t.ip), udp=161),
    Probe("sicct", Trigger.HOST, (), 1, Grade.IDENTIFY, "a SICCT discovery request",
          lambda t: _module("udp").sicct_discovery(t.ip, t.source_ip), needs=frozenset({"source_ip"}),
          udp=4742, no_ipv6="SICCT service discovery carries the client's IPv4 address "
          "(gemSpec_KT): card terminals answer it over IPv4 only"),
    Probe("netbios", Trigger.HOST, (), 1, Grade.IDENTIFY,
          "a NetBIOS node status query", lambda t: _module("udp").netbios_status(t.ip),
          udp=137, no_ipv6="NetBIOS over TCP/IP exists for IPv4 only (RFC 1002)"),
    # paced by the host's window for each SOAP exchange itself: no packets of its own here
    Probe("tr064", Trigger.LOGIN, _ports(TR064_PORT), 0, Grade.PROTOCOL,
          "TR-064 SOAP reads with the operator's FRITZ!Box login (nothing is changed)",
          lambda t: _module("tr064").audit_probe(t), needs=frozenset({"login", "window"})),
    Probe("upnp", Trigger.ANNOUNCED, (), HTTP_EXCHANGE_PACKETS, Grade.PROTOCOL,
          "HTTP GETs of the announced description, and the gateway's mapping list", None),
)

NAMES = frozenset(p.name for p in PROBES)  # what a policy's probes = [...] may name


def port_probe(port: int) -> Probe | None:
    """The protocol probe of an open port: the first PORT entry naming it."""
    return next((p for p in PROBES if p.trigger is Trigger.PORT and port in p.ports), None)


def only(trigger: Trigger) -> tuple[Probe, ...]:
    return tuple(p for p in PROBES if p.trigger is trigger)


def outside_in(port: int, speaks_tls: Callable[[], bool]) -> tuple[Probe, ...]:
    """The probes the outside-in check runs on a port the Internet reaches: the port's own
    (RDP, SSH), else TLS and HTTPS on a TLS port, else plain HTTP."""
    own = tuple(p for p in PROBES if p.outside is Outside.BY_PORT and port in p.ports)
    if own:
        return own
    kinds = (Outside.CERTIFICATE, Outside.TLS) if speaks_tls() else (Outside.PLAIN,)
    return tuple(p for kind in kinds for p in PROBES if p.outside is kind)
