"""IANA Private Enterprise Numbers: the maker behind an SNMP sysObjectID.

A sysObjectID ``1.3.6.1.4.1.<n>....`` names the organisation that registered ``n`` with
IANA. Debian ships the registry with Wireshark's data files (package libwireshark-data,
``/usr/share/wireshark/enterprises.tsv``, "number<TAB>organisation" lines). The registry is
read on first use; a missing or unreadable file makes the check "not tested" and never
fails a scan.

Only organisations that our maker vocabulary (fingerprints/vendors.txt) knows become a
vendor: a registry name such as "Frogfoot Networks" (the number Ubiquiti's airOS answers
with) or "net-snmp" (the agent of countless Linux boxes) names no device maker, and a
maker's number decides no role (brand alone decides nothing).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from scanner.model import NotTested

CHECK = "enterprise-numbers"
PATHS = (Path("/usr/share/wireshark/enterprises.tsv"),
         Path("/usr/share/snmp/enterprises.tsv"))
_PREFIX = re.compile(r"^\.?1\.3\.6\.1\.4\.1\.(\d{1,9})(?:\.|$)")

# Registry spellings that differ from our vocabulary's; matched as lower-case prefixes
# of the registry name. Numbers whose holder writes software (agents, operating systems)
# map to nothing on purpose.
_ALIASES = {
    "hewlett-packard": "HP", "hewlett packard": "HP", "hp enterprise": "HP",
    "american power conversion": "APC", "ciscosystems": "Cisco", "seiko epson": "Epson",
    "zyxel": "Zyxel", "huawei": "Huawei", "brother industries": "Brother",
    "canon inc": "Canon", "kyocera": "Kyocera", "ricoh": "Ricoh", "xerox": "Xerox",
    "konica minolta": "Konica Minolta", "lexmark": "Lexmark", "dell inc": "Dell",
    "eaton corporation": "Eaton", "fortinet": "Fortinet", "mikrotik": "MikroTik",
    "ubiquiti": "Ubiquiti", "tp-link": "TP-Link", "netgear": "Netgear",
    "d-link": "D-Link", "qnap": "QNAP", "synology": "Synology", "lancom systems": "LANCOM",
    "draytek": "DrayTek", "juniper networks": "Juniper", "extreme networks": "Extreme Networks",
    "brocade": "Brocade", "palo alto networks": "Palo Alto Networks", "sonicwall": "SonicWall",
    "check point": "Check Point", "avaya": "Avaya", "3com": "3Com", "axis communications": "Axis",
    "hangzhou hikvision": "Hikvision", "zhejiang dahua": "Dahua", "sharp corporation": "Sharp",
    "sharp electronics": "Sharp",
    "toshiba": "Toshiba", "oki electric": "OKI", "samsung": "Samsung", "apple computer": "Apple",
    "yealink": "Yealink", "snom": "Snom", "grandstream": "Grandstream", "gigaset": "Gigaset",
    "supermicro": "Supermicro", "super micro": "Supermicro", "fujitsu": "Fujitsu",
    "lenovo": "Lenovo", "sophos": "Sophos", "securepoint": "Securepoint", "avm gmbh": "AVM",
    "bintec": "bintec", "riello": "Riello", "generex": "Generex", "panasonic": "Panasonic",
    "nokia": "Nokia", "zte": "ZTE", "moxa": "Moxa", "netapp": "NetApp", "polycom": "Polycom",
    "arris networks": "Arris", "arris interactive": "Arris", "sagemcom": "Sagemcom", "emc": "EMC",
    "ciena": "Ciena",
    # session 13: registry names of makers of the vocabulary that the entries above missed
    # (the registry keeps a company's name of the day it registered)
    "network appliance": "NetApp",  # 789, NetApp's former name (NETAPP-MIB: netapp ::= { enterprises 789 })
    "proxim wireless": "Proxim",  # 841
    "tec corporation": "Toshiba",  # 1129, Toshiba TEC's former name (glpi-agent's Toshiba MibSupport: toshibatec => 1129)
    "yamaha corporation": "Yamaha",  # 1182 and 12419 (not Yamaha Motor's or Yamaha Sound Systems' numbers)
    "melco inc": "Buffalo", "melco holdings": "Buffalo",  # 5227, 26652: Buffalo's former name and its parent
    "hikvision digital": "Hikvision",  # 39165
    "oki data": "OKI",  # 2001, OKI's printer company
    "western digital": "Western Digital", "zebra technologies": "Zebra",
    "auerswald": "Auerswald", "agfeo": "Agfeo",
    "lanier worldwide": "Ricoh", "infoprint solutions": "Ricoh",  # Ricoh's brands (tests/data/corpus/README.md)
    "aruba, a hewlett": "Aruba",  # 14823, 'Aruba, a Hewlett Packard Enterprise company'
    "matsushita electric industrial": "Panasonic",  # 258, Panasonic's former name (its printers: 258.406)
    "minolta co": "Konica Minolta",  # 2590, Minolta's printers (Observium's konica OS: 2590.1.1.1.2.1)
    "hp inc": "HP", "cyber power system": "CyberPower", "mitel": "Mitel",
    "unify software and solutions": "Unify", "watchguard": "WatchGuard", "sonos": "Sonos",
    "server technology": "Server Technology", "gude analog": "Gude", "raritan computer": "Raritan",
    "tripp lite": "Tripp Lite", "lantronix": "Lantronix", "ruckus wireless": "Ruckus", "olivetti": "Olivetti",
    "h3c": "H3C", "enterasys": "Enterasys", "alcatel-lucent enterprise": "Alcatel",
    "arista networks": "Arista", "riverbed technology": "Riverbed", "opengear": "Opengear",
    "barracuda networks": "Barracuda",
}
_SOFTWARE = {"net-snmp", "u.c. davis", "microsoft", "vmware", "freebsd", "openbsd", "sun microsystems"}


class Registry:
    def __init__(self, names: dict[int, str], source: Path) -> None:
        self.names = names
        self.source = source

    def organisation(self, oid: str) -> tuple[int, str] | None:
        m = _PREFIX.match(oid.strip())
        if not m:
            return None
        number = int(m.group(1))
        name = self.names.get(number)
        return (number, name) if name else None

    def maker(self, oid: str) -> tuple[int, str, str | None] | None:
        """(number, registry name, our maker or None) for an enterprise OID."""
        hit = self.organisation(oid)
        if hit is None:
            return None
        number, name = hit
        return number, name, maker_for(name)


class Unavailable:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def not_tested(self) -> NotTested:
        return NotTested(CHECK, self.reason)


def maker_for(organisation: str) -> str | None:
    low = organisation.lower().strip()
    if any(low.startswith(s) for s in _SOFTWARE):
        return None
    for prefix, maker in _ALIASES.items():
        if low.startswith(prefix):
            return maker
    return None


def parse(lines: Iterable[str]) -> dict[int, str]:
    """``number<TAB>organisation`` lines; comments and malformed lines are skipped."""
    names: dict[int, str] = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        number, _, rest = line.partition("\t")
        if not number.isdigit() or not rest.strip():
            continue
        names[int(number)] = rest.split("\t")[0].split("#")[0].strip()[:120]
    return names


def load(paths: Iterable[Path] = PATHS) -> Registry | Unavailable:
    tried = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            tried.append(f"{path}: {e.strerror or type(e).__name__}")
            continue
        names = parse(text.splitlines())
        if names:
            return Registry(names, path)
        tried.append(f"{path}: no entries")
    return Unavailable("IANA enterprise numbers not found (Debian package libwireshark-data): "
                       + "; ".join(tried))


_lock = threading.Lock()


def default() -> Registry | Unavailable:
    """The installed registry, read once per process."""
    with _lock:  # a second thread asking meanwhile waits for this read, never reads again
        return _loaded()


@cache
def _loaded() -> Registry | Unavailable:
    return load()
