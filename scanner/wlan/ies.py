"""802.11 information elements of a beacon or probe response, read into our terms.

Everything here takes bytes from the air: any length, any content. Every reader stops at the
first element that does not fit and keeps what it had; nothing raises.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from scanner.model import WlanSecurity

# IEEE 802.11-2020 Table 9-149 (cipher suites) and 9-151 (AKM suites); WPA1 uses the same
# numbers under the Microsoft OUI 00:50:f2.
CIPHERS = {1: "WEP-40", 2: "TKIP", 4: "CCMP", 5: "WEP-104", 6: "BIP-CMAC-128", 8: "GCMP-128",
           9: "GCMP-256", 10: "CCMP-256", 11: "BIP-GMAC-128", 12: "BIP-GMAC-256",
           13: "BIP-CMAC-256"}
AKMS = {1: "802.1X", 2: "PSK", 3: "FT-802.1X", 4: "FT-PSK", 5: "802.1X-SHA256", 6: "PSK-SHA256",
        7: "TDLS", 8: "SAE", 9: "FT-SAE", 11: "SUITE-B", 12: "SUITE-B-192",
        13: "FT-802.1X-SHA384", 14: "FILS-SHA256", 15: "FILS-SHA384", 16: "FT-FILS-SHA256",
        17: "FT-FILS-SHA384", 18: "OWE", 19: "FT-PSK-SHA384", 20: "PSK-SHA384",
        24: "SAE-EXT-KEY", 25: "FT-SAE-EXT-KEY"}
# Which security generation an AKM belongs to (Wi-Fi Alliance WPA3 spec v3.1 §2-3).
AKM_MODE = {"802.1X": WlanSecurity.WPA2, "PSK": WlanSecurity.WPA2, "FT-802.1X": WlanSecurity.WPA2,
            "FT-PSK": WlanSecurity.WPA2, "802.1X-SHA256": WlanSecurity.WPA2,
            "PSK-SHA256": WlanSecurity.WPA2, "SAE": WlanSecurity.WPA3, "FT-SAE": WlanSecurity.WPA3,
            "SAE-EXT-KEY": WlanSecurity.WPA3, "FT-SAE-EXT-KEY": WlanSecurity.WPA3,
            "SUITE-B": WlanSecurity.WPA3, "SUITE-B-192": WlanSecurity.WPA3,
            "FT-802.1X-SHA384": WlanSecurity.WPA3, "OWE": WlanSecurity.OWE}
RSN_OUI = b"\x00\x0f\xac"
MS_OUI = b"\x00\x50\xf2"
WFA_OUI = b"\x50\x6f\x9a"
WPS_VENDOR_EXT_OUI = b"\x00\x37\x2a"
MFPR, MFPC = 0x0040, 0x0080
CAPABILITY_PRIVACY = 0x0010


@dataclass
class Suites:
    """What one RSN or WPA element says."""

    group: str | None = None
    pairwise: list[str] = field(default_factory=list)
    akms: list[str] = field(default_factory=list)
    capabilities: int | None = None


@dataclass
class Wps:
    version: str | None = None
    configured: bool | None = None
    locked: bool | None = None
    manufacturer: str | None = None
    model: str | None = None


@dataclass
class Elements:
    """The parts of a beacon's elements that decide its security."""

    ssid: bytes | None = None
    channel: int | None = None
    rsn: Suites | None = None
    wpa: Suites | None = None
    wps: Wps | None = None
    owe_transition: bool = False
    mesh_id: bytes | None = None


def iterate(data: bytes) -> list[tuple[int, bytes]]:
    """(id, body) of each element; a truncated last element is dropped."""
    out, i = [], 0
    while i + 2 <= len(data):
        eid, length = data[i], data[i + 1]
        if i + 2 + length > len(data):
            break
        out.append((eid, data[i + 2:i + 2 + length]))
        i += 2 + length
    return out


def parse(data: bytes) -> Elements:
    e = Elements()
    wps_body = b""
    for eid, body in iterate(data):
        if eid == 0 and e.ssid is None:
            e.ssid = body
        elif eid == 3 and len(body) >= 1 and e.channel is None:
            e.channel = body[0]
        elif eid == 61 and len(body) >= 1 and e.channel is None:  # HT operation: primary channel
            e.channel = body[0]
        elif eid == 48 and e.rsn is None:
            e.rsn = suites(body, RSN_OUI)
        elif eid == 114:
            e.mesh_id = body
        elif eid == 221 and len(body) >= 4:
            oui, kind = body[:3], body[3]
            if oui == MS_OUI and kind == 1 and e.wpa is None:
                e.wpa = suites(body[4:], MS_OUI)
            elif oui == MS_OUI and kind == 4:
                wps_body += body[4:]  # one WPS element may be split over several
            elif oui == WFA_OUI and kind == 0x1C:
                e.owe_transition = True
    if wps_body:
        e.wps = wps(wps_body)
    return e


def suites(body: bytes, oui: bytes) -> Suites:
    """RSN (IEEE 802.11 §9.4.2.24) or WPA1 element body; missing tail fields stay unset."""
    s = Suites()
    try:
        pos = 2  # version
        if len(body) < pos + 4:
            return s
        s.group = _suite(body[pos:pos + 4], oui, CIPHERS)
        pos += 4
        for target, names in ((s.pairwise, CIPHERS), (s.akms, AKMS)):
            if len(body) < pos + 2:
                return s
            (count,) = struct.unpack_from("<H", body, pos)
            pos += 2
            for _ in range(count):
                if len(body) < pos + 4:
                    return s
                target.append(_suite(body[pos:pos + 4], oui, names))
                pos += 4
        if len(body) >= pos + 2:
            (s.capabilities,) = struct.unpack_from("<H", body, pos)
    except struct.error:
        pass
    return s


def _suite(raw: bytes, oui: bytes, names: dict[int, str]) -> str:
    if raw[:3] == oui and raw[3] in names:
        return names[raw[3]]
    return f"{raw[:3].hex(':')}-{raw[3]}"


def wps(body: bytes) -> Wps:
    """Wi-Fi Simple Configuration TLVs (WSC spec 2.0.x §12): version, state, lock, names."""
    w = Wps()
    i = 0
    while i + 4 <= len(body):
        kind, length = struct.unpack_from(">HH", body, i)
        value = body[i + 4:i + 4 + length]
        i += 4 + length
        if len(value) < length:
            break
        if kind == 0x104A and value:
            w.version = w.version or f"{value[0] >> 4}.{value[0] & 0x0F}"
        elif kind == 0x1044 and value:
            w.configured = value[0] == 2
        elif kind == 0x1057 and value:
            w.locked = value[0] == 1
        elif kind == 0x1021:
            w.manufacturer = value.decode("utf-8", "replace")
        elif kind == 0x1023:
            w.model = value.decode("utf-8", "replace")
        elif kind == 0x1049 and value[:3] == WPS_VENDOR_EXT_OUI:
            sub = value[3:]
            j = 0
            while j + 2 <= len(sub):
                sid, slen = sub[j], sub[j + 1]
                if sid == 0 and slen >= 1 and j + 2 < len(sub):  # Version2
                    w.version = f"{sub[j + 2] >> 4}.{sub[j + 2] & 0x0F}"
                j += 2 + slen
    return w


def modes(e: Elements, privacy: bool) -> tuple[WlanSecurity, ...]:
    """Every security mode a client may use with this BSS, weakest first."""
    found: set[WlanSecurity] = set()
    if e.rsn is not None:
        found |= {AKM_MODE[a] for a in e.rsn.akms if a in AKM_MODE}
        if not e.rsn.akms:
            found.add(WlanSecurity.WPA2)  # the RSN default AKM is 802.1X
    if e.wpa is not None:
        found.add(WlanSecurity.WPA)
    if not found:
        found.add(WlanSecurity.WEP if privacy else WlanSecurity.OPEN)
    return tuple(sorted(found, key=lambda m: m.rank))


def pmf(rsn: Suites | None) -> str | None:
    if rsn is None or rsn.capabilities is None:
        return None
    if rsn.capabilities & MFPR:
        return "required"
    return "capable" if rsn.capabilities & MFPC else None


def ciphers(e: Elements, privacy: bool) -> tuple[str, ...]:
    out: list[str] = []
    for s in (e.rsn, e.wpa):
        if s is not None:
            for c in [*s.pairwise, *([s.group] if s.group else [])]:
                if c not in out and not c.startswith("BIP"):
                    out.append(c)
    if not out and privacy and e.rsn is None and e.wpa is None:
        out.append("WEP")
    return tuple(out)


def decode_ssid(raw: bytes | None) -> tuple[str, str | None]:
    """(display text, hex of the raw bytes when they are not UTF-8); no guess at encodings."""
    if not raw:
        return "", None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        text = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in raw)
        return text, raw.hex()


def channel_to_mhz(channel: int | None, band_hint: str | None = None) -> int | None:
    if channel is None:
        return None
    if band_hint == "6":
        return 5950 + 5 * channel
    if channel == 14:
        return 2484
    if 1 <= channel <= 13:
        return 2407 + 5 * channel
    if 32 <= channel <= 177:
        return 5000 + 5 * channel
    return None


def mhz_to_channel(mhz: int | None) -> int | None:
    if mhz is None:
        return None
    if mhz == 2484:
        return 14
    if 2412 <= mhz <= 2472:
        return (mhz - 2407) // 5
    if 5955 <= mhz <= 7115:
        return (mhz - 5950) // 5
    if 5000 < mhz < 5925:
        return (mhz - 5000) // 5
    if 58000 < mhz < 71000:
        return (mhz - 56160) // 2160
    return None
