"""`iw dev IF scan` text (iw 5.x/6.x scan.c) into sightings.

iw prints what the kernel reports for each BSS and decodes the elements itself: RSN and WPA
suites by name, WPS attributes, the SSID with every byte that is not printable ASCII (and
leading/trailing spaces and backslashes) as \\xNN. We read those lines back into
``ies.Elements`` so that one code path judges security for captures, iw and nmcli alike.
"""

from __future__ import annotations

import re

from scanner.wlan import ies
from scanner.wlan.merge import Sighting

MAX_TEXT = 4 * 1024 * 1024
_BSS = re.compile(r"^BSS ([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})")
_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
# iw's names (scan.c print_auth / print_cipher) -> ours (ies.AKMS / ies.CIPHERS)
IW_AKMS = {"IEEE 802.1X": "802.1X", "PSK": "PSK", "FT/IEEE 802.1X": "FT-802.1X", "FT/PSK": "FT-PSK",
           "IEEE 802.1X/SHA-256": "802.1X-SHA256", "PSK/SHA-256": "PSK-SHA256",
           "TDLS/TPK": "TDLS", "SAE": "SAE", "FT/SAE": "FT-SAE",
           "IEEE 802.1X/SUITE-B": "SUITE-B", "IEEE 802.1X/SUITE-B-192": "SUITE-B-192",
           "FT/IEEE 802.1X/SHA-384": "FT-802.1X-SHA384", "FILS/SHA-256": "FILS-SHA256",
           "FILS/SHA-384": "FILS-SHA384", "FT/FILS/SHA-256": "FT-FILS-SHA256",
           "FT/FILS/SHA-384": "FT-FILS-SHA384", "OWE": "OWE", "SAE-EXT-KEY": "SAE-EXT-KEY",
           "FT/SAE-EXT-KEY": "FT-SAE-EXT-KEY"}
IW_CIPHERS = {"WEP-40": "WEP-40", "TKIP": "TKIP", "CCMP": "CCMP", "WEP-104": "WEP-104",
              "AES-128-CMAC": "BIP-CMAC-128", "GCMP-128": "GCMP-128", "GCMP": "GCMP-128",
              "GCMP-256": "GCMP-256", "CCMP-256": "CCMP-256", "BIP-GMAC-128": "BIP-GMAC-128",
              "BIP-GMAC-256": "BIP-GMAC-256", "BIP-CMAC-256": "BIP-CMAC-256"}


def parse_iw_scan(text: str) -> list[Sighting]:
    out: list[Sighting] = []
    block: list[str] = []
    bssid = None
    for line in text[:MAX_TEXT].splitlines():
        m = _BSS.match(line)
        if m:
            if bssid:
                out.append(_sighting(bssid, block))
            bssid, block = m.group(1).lower(), []
        elif bssid:
            block.append(line)
    if bssid:
        out.append(_sighting(bssid, block))
    return out


def _sighting(bssid: str, lines: list[str]) -> Sighting:
    e = ies.Elements()
    privacy, freq, signal = False, None, None
    section: ies.Suites | ies.Wps | None = None
    for raw in lines:
        depth = len(raw) - len(raw.lstrip("\t"))
        line = raw.strip()
        if depth <= 1:
            section = None
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "freq":
                freq = _number(value)
            elif key == "signal":
                signal = _number(value.split()[0]) if value else None
            elif key == "capability":
                privacy = "Privacy" in value.split()
            elif key == "SSID":
                # iw escapes leading/trailing spaces, so the text after "SSID: " is exact;
                # with beacon and probe-response elements both printed, a name beats none
                ssid = unescape(raw.split("SSID:", 1)[1][1:])
                if e.ssid is None or (not e.ssid.strip(b"\x00") and ssid.strip(b"\x00")):
                    e.ssid = ssid
            elif key == "DS Parameter set":
                e.channel = _int_after(value, "channel") or e.channel
            elif key == "MESH ID":
                e.mesh_id = value.encode()
            elif key in ("RSN", "WPA"):
                suites = ies.Suites()
                if key == "RSN" and e.rsn is None:
                    e.rsn = suites
                elif key == "WPA" and e.wpa is None:
                    e.wpa = suites
                section = suites
                _suite_line(suites, value.lstrip("* ").strip())
            elif key == "WPS":
                e.wps = e.wps or ies.Wps()
                section = e.wps
                _wps_line(e.wps, value.lstrip("* ").strip())
            elif key == "HT operation":
                section = None
        else:
            item = line.lstrip("* ").strip()
            if isinstance(section, ies.Suites):
                _suite_line(section, item)
            elif isinstance(section, ies.Wps):
                _wps_line(section, item)
            elif item.startswith("primary channel:") and e.channel is None:
                e.channel = _int_after(item, "primary channel:")
    return Sighting(bssid=bssid, elements=e, privacy=privacy, beacon=True,
                    signal_dbm=round(signal) if signal is not None else None,
                    frequency_mhz=round(freq) if freq else None, source="iw")


def _suite_line(s: ies.Suites, item: str) -> None:
    key, _, value = item.partition(":")
    value = value.strip()
    if key == "Group cipher":
        s.group = _cipher(value)
    elif key == "Pairwise ciphers":
        s.pairwise = [_cipher(v) for v in value.split()]
    elif key == "Authentication suites":
        s.akms = _akms(value)
    elif key == "Capabilities":
        m = re.search(r"\(0x([0-9a-fA-F]+)\)", value)
        if m:
            s.capabilities = int(m.group(1), 16)


def _wps_line(w: ies.Wps, item: str) -> None:
    key, _, value = item.partition(":")
    value = value.strip()
    if key == "Version" and value:
        w.version = w.version or value
    elif key == "Version2" and value:
        w.version = value
    elif key == "Wi-Fi Protected Setup State":
        w.configured = value.startswith("2")
    elif key == "AP setup locked":
        w.locked = _int(value.split()[0]) == 1 if value else None  # printed as 0x01
    elif key == "Manufacturer":
        w.manufacturer = value
    elif key == "Model":
        w.model = value


def _cipher(name: str) -> str:
    return IW_CIPHERS.get(name, name)


def _akms(value: str) -> list[str]:
    """iw separates suites by spaces and some names hold a space: match longest names first."""
    out, rest = [], value
    names = sorted(IW_AKMS, key=len, reverse=True)
    while rest:
        rest = rest.lstrip()
        hit = next((n for n in names if rest.startswith(n) and rest[len(n):len(n) + 1] in ("", " ")),
                   None)
        if hit is None:
            token, _, rest = rest.partition(" ")
            if token:
                out.append(token)  # e.g. "00-0f-ac:99": kept as iw wrote it
            continue
        out.append(IW_AKMS[hit])
        rest = rest[len(hit):]
    return out


def unescape(text: str) -> bytes:
    """Undo iw's SSID escaping: \\xNN back to the byte; the rest is ASCII as printed."""
    raw = text.encode("utf-8", "surrogateescape")
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _number(value: str) -> float | None:
    try:
        return float(value.split()[0]) if value else None
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value, 0)
    except ValueError:
        return None


def _int_after(value: str, word: str) -> int | None:
    m = re.search(re.escape(word) + r"\s*(\d+)", value)
    return int(m.group(1)) if m else None
