"""`nmcli -t -f FIELDS device wifi list` (terse) into sightings.

NetworkManager works without root, but it does not report WPS or management-frame protection
and gives signal in percent: those stay unknown (``wps`` checks are "not tested" for nmcli).
Terse output escapes ':' and '\\' inside values with a backslash.
"""

from __future__ import annotations

from scanner.wlan import ies
from scanner.wlan.merge import Sighting

FIELDS = ("BSSID", "SSID", "SSID-HEX", "CHAN", "FREQ", "SIGNAL", "SECURITY", "WPA-FLAGS",
          "RSN-FLAGS")
MAX_TEXT = 4 * 1024 * 1024
_PAIR = {"pair_wep40": "WEP-40", "pair_wep104": "WEP-104", "pair_tkip": "TKIP",
         "pair_ccmp": "CCMP"}
_GROUP = {"group_wep40": "WEP-40", "group_wep104": "WEP-104", "group_tkip": "TKIP",
          "group_ccmp": "CCMP"}
_AKM = {"psk": "PSK", "802.1X": "802.1X", "sae": "SAE", "owe": "OWE",
        "eap_suite_b_192": "SUITE-B-192"}


def command(interface: str | None) -> list[str]:
    cmd = ["nmcli", "-t", "-e", "yes", "-f", ",".join(FIELDS), "device", "wifi", "list"]
    return cmd + (["ifname", interface] if interface else [])


def split_terse(line: str) -> list[str]:
    fields, cur, i = [], [], 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            cur.append(line[i + 1])
            i += 2
            continue
        if c == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur))
    return fields


def parse_nmcli(text: str, fields: tuple[str, ...] = FIELDS) -> list[Sighting]:
    out = []
    for line in text[:MAX_TEXT].splitlines():
        values = split_terse(line)
        if len(values) != len(fields):
            continue  # a warning line or a foreign field list
        row = dict(zip(fields, values))
        bssid = row.get("BSSID", "").lower()
        if len(bssid) != 17:
            continue
        out.append(_sighting(bssid, row))
    return out


def _sighting(bssid: str, row: dict[str, str]) -> Sighting:
    e = ies.Elements()
    hexed = row.get("SSID-HEX", "")
    try:
        e.ssid = bytes.fromhex(hexed) if hexed else row.get("SSID", "").encode("utf-8")
    except ValueError:
        e.ssid = row.get("SSID", "").encode("utf-8")
    e.rsn = _suites(row.get("RSN-FLAGS", ""))
    e.wpa = _suites(row.get("WPA-FLAGS", ""))
    security = row.get("SECURITY", "").split()
    try:
        channel = int(row.get("CHAN", ""))
    except ValueError:
        channel = None
    e.channel = channel
    freq = row.get("FREQ", "").split()
    return Sighting(bssid=bssid, elements=e, privacy="WEP" in security or bool(e.rsn or e.wpa),
                    beacon=True, frequency_mhz=int(freq[0]) if freq and freq[0].isdigit() else None,
                    source="nmcli")


def _suites(flags: str) -> ies.Suites | None:
    words = flags.split()
    if not words or words == ["(none)"]:
        return None
    s = ies.Suites()
    s.pairwise = [_PAIR[w] for w in words if w in _PAIR]
    s.group = next((_GROUP[w] for w in words if w in _GROUP), None)
    s.akms = [_AKM[w] for w in words if w in _AKM]
    return s
