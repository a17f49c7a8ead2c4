"""`iw dev IF scan` text (iw 5.x/6.x scan.c) into sightings.

iw prints what the kernel reports for each BSS and decodes the elements itself: RSN and WPA
suites by name, WPS attributes, the SSID with every byte that is not printable ASCII (and
leading/trailing spaces and backslashes) as \\xNN. We read those lines back into
``ies.Elements`` so that one code path judges security for captures, iw and nmcli alike.
"""

from __future__ import annotations

import re

from scanner.wlan import ToolOutputError, ies
from scanner.wlan.merge import Sighting

MAX_TEXT = 4 * 1024 * 1024
_BSS = re.compile(r"^BSS ([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})")
_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
_DECIMAL = re.compile(r"-?[0-9]{1,6}(?:\.[0-9]{1,6})?", re.ASCII)
# what a radio can report; anything else is a damaged value and stays unknown
SIGNAL_RANGE = (-150.0, 30.0)
FREQ_RANGE = (1.0, 100_000.0)
EXPECTED = "does not look like `iw dev IF scan` output"
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


def parse_iw_scan(text: str, allow_empty: bool = False) -> list[Sighting]:
    """The sightings in ``text``; ``ToolOutputError`` when it is not iw's scan output.

    iw prints nothing when the radio heard nothing. Only a live run (``allow_empty``) can tell
    that from a wrong or truncated file, so a file without a single BSS is refused."""
    # "\n" only: str.splitlines() also breaks at \x1c, \x85, U+2028, which iw prints raw in
    # WPS strings, and a neighbour's access point must not make the whole file unreadable
    lines = [line.removesuffix("\r") for line in text[:MAX_TEXT].split("\n")]
    recognise(lines, allow_empty)
    out: list[Sighting] = []
    block: list[str] = []
    bssid = None
    for line in lines:
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


def recognise(lines: list[str], allow_empty: bool = False) -> None:
    """iw's scan output starts with a ``BSS <address>`` line. Later lines are not judged: iw
    prints WPS strings raw, so a neighbour's access point can put a line break in them."""
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        if allow_empty:
            return
        raise ToolOutputError("no network in the file: a radio that heard nothing cannot be told "
                              "from a wrong or truncated file (expected `iw dev IF scan` output)")
    if not _BSS.match(lines[first]):
        binary = "\x00" in lines[first] or "\ufffd" in lines[first] or any(
            0xDC80 <= ord(c) <= 0xDCFF for c in lines[first])
        raise ToolOutputError(f"{EXPECTED}: line {first + 1} does not start with 'BSS <address>'"
                              + (" (binary data: a capture? use --capture)" if binary
                                 else _hint(lines[first])))


def _hint(line: str) -> str:
    if re.match(r"(?:[0-9A-Fa-f]{2}\\?:){5}[0-9A-Fa-f]{2}:", line.lstrip(" *:")):
        return " (this looks like nmcli output: use --from-nmcli)"
    if line.lstrip().startswith(("{", "[")):
        return " (this looks like JSON)"
    return ""


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
                freq = _number(value, FREQ_RANGE)
            elif key == "signal":
                signal = _number(value, SIGNAL_RANGE)
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
        m = re.search(r"\(0x([0-9a-fA-F]{1,4})\)", value)
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


def _number(value: str, bounds: tuple[float, float]) -> float | None:
    """A plain decimal as iw prints it (``-30.00``), inside ``bounds``; else unknown. Never
    ``float()`` on the text: it accepts ``nan``, ``inf`` and ``1e999``."""
    words = value.split()
    if not words or not _DECIMAL.fullmatch(words[0]):
        return None
    number = float(words[0])
    return number if bounds[0] <= number <= bounds[1] else None


def _int(value: str) -> int | None:
    if re.fullmatch(r"0x[0-9a-fA-F]{1,4}", value):
        return int(value, 16)
    return int(value) if re.fullmatch(r"[0-9]{1,5}", value) else None


def _int_after(value: str, word: str) -> int | None:
    """A channel number: 1 to 3 ASCII digits followed by nothing numeric."""
    m = re.search(re.escape(word) + r"\s*([0-9]{1,3})(?!\S)", value, re.ASCII)
    return int(m.group(1)) if m else None
