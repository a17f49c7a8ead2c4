"""nmap's service database applied to what a probe already received.

A probe hands over the raw bytes it read (a greeting before it sent anything: nmap's NULL
probe; the answer to our ``GET /``: nmap's GetRequest) and gets back its result with an
``nmap-service`` observation added and the service's product, version and extra info filled
where its own parsing found nothing. Nothing here sends a packet, and the raw bytes never
leave this module: the observation holds nmap's cleaned fields only.

The database is imported on first use, so that ``praxisscan --help`` never pays for it.
When it is unavailable the probe's result is returned as it was; the pipeline says "not
tested" once per scan.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from scanner.model import Observation, Protocol, Service
from scanner.probes.base import ProbeResult, observation
from scanner.text import clean

if TYPE_CHECKING:
    from scanner.nmapdb import NmapMatch

KIND = "nmap-service"


def identify(probe: str, raw: bytes) -> NmapMatch | None:
    """nmap's verdict on ``raw`` (cut to what nmapdb matches); None when nothing matches or
    the database is unavailable. Never raises on what the network sent."""
    from scanner import nmapdb

    if not raw:
        return None
    try:
        return nmapdb.match_response(probe, bytes(raw[:nmapdb.MAX_RESPONSE]))
    except (RecursionError, MemoryError, ValueError):  # a pathological response costs the match only
        return None


GREETING_FIELDS = ("ftp_banner", "ssh_banner", "telnet_banner", "smtp_banner", "pop3_banner")


def greeting_as_sent(field: str, text: str) -> bytes | None:
    """A greeting as a server sends it, for nmap's NULL lines, from the text a rule field
    holds (recog's examples and ``praxisscan fingerprints match`` leave out FTP's "220 "
    and SSH's "SSH-2.0-"); None for fields that are no greetings. Telnet text is taken as
    it stands: its line breaks are part of what nmap's lines match."""
    if field not in GREETING_FIELDS:
        return None
    if field == "ftp_banner" and not re.match(r"\d{3}[ -]", text):
        text = f"220 {text}"
    elif field == "ssh_banner" and not text.startswith("SSH-"):
        text = f"SSH-2.0-{text}"
    if field != "telnet_banner" and not text.endswith("\n"):
        text += "\r\n"
    return text.encode("latin-1", "replace")


def greeting_observation(field: str, text: str) -> Observation | None:
    """nmap's verdict on a greeting given as a rule field's text (see greeting_as_sent), as
    the observation a scan's banner probe would add; None for other fields or no match."""
    raw = greeting_as_sent(field, text)
    m = identify("NULL", raw) if raw else None
    return as_observation(m, 0, names_device(m)) if m else None


def names_device(m: NmapMatch) -> str:
    """Whether the line tells what kind of device answered, for classification:

    ``product``  its product is only ever given device types of one role (``p/HP JetDirect
                 ftpd/`` is a printer wherever it appears), so the product names the device;
    ``hardware`` the product is software found on many kinds of device, but the line names
                 the hardware (a ``cpe:/h:`` CPE);
    ``no``       no device type, a softmatch, or software or a brand word alone
                 (``p/GoAhead WebServer/ d/WAP/``, ``p/Cisco telnetd/ d/switch/``), or a
                 product named after an OS that runs on several kinds of device
                 (``p/Cisco IOS telnetd/ d/switch/ o/IOS/``: IOS routers say the same).
    """
    from scanner import nmapdb

    if m.soft or not m.device_type:
        return "no"
    db = nmapdb.default()
    if not isinstance(db, nmapdb.ServiceDatabase):
        return "no"

    def roles(kinds: frozenset[str]) -> set[object]:
        return {nmapdb.role_for_device_type(k) or k for k in kinds}

    os_name, os_kinds = db.device_types_of_os(m.line)
    os_in_product = bool(os_name) and os_name.lower() in m.product.lower().split()
    if len(roles(db.device_types_of_product(m.line))) == 1 and not (
            os_in_product and len(roles(os_kinds)) > 1):
        return "product"
    return "hardware" if any(c.startswith("cpe:/h:") for c in m.cpes) else "no"


def as_observation(m: NmapMatch, port: int, device: str = "no") -> Observation:
    return observation(
        KIND, port=port, service=clean(m.service, 64), product=clean(m.product, 200),
        version=clean(m.version, 100), info=clean(m.info, 200), hostname=clean(m.hostname, 100),
        os=clean(m.os, 100), device_type=clean(m.device_type, 64), names_device=device,
        cpes=clean(" ".join(m.cpes), 1000), line=m.line, soft="yes" if m.soft else "no",
        probe=m.probe)


def fill_service(ours: Service | None, m: NmapMatch, port: int) -> Service:
    """Our identification first; nmap fills only what we left empty. A version or extra info
    is taken only when it belongs to the same product (ours empty or the same name): an
    OpenSSH version next to another product's name would be a wrong answer."""
    s = ours or Service(port, Protocol.TCP)
    name = s.name or m.service
    if m.soft:
        return dataclasses.replace(s, name=name)
    same = not s.product or s.product.lower() == m.product.lower()
    return dataclasses.replace(
        s, name=name, product=s.product or clean(m.product, 200),
        version=s.version or (clean(m.version, 100) if same else ""),
        extra_info=s.extra_info or (clean(m.info, 200) if same else ""))


def with_nmap(result: ProbeResult, probe: str, raw: bytes, port: int) -> ProbeResult:
    """``result`` plus nmap's verdict on ``raw``; unchanged when nmap has none."""
    m = identify(probe, raw)
    if m is None:
        return result
    return ProbeResult((*result.observations, as_observation(m, port, names_device(m))),
                       fill_service(result.service, m, port))
