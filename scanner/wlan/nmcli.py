"""`nmcli -t -f FIELDS device wifi list` (terse) into sightings.

NetworkManager works without root, but it does not report WPS or management-frame protection
and gives signal in percent: those stay unknown (``wps`` checks are "not tested" for nmcli).
Terse output escapes ':' and '\\' inside values with a backslash.
"""

from __future__ import annotations

import re

from scanner.wlan import ToolOutputError, ies
from scanner.wlan.merge import Sighting

FIELDS = ("BSSID", "SSID", "SSID-HEX", "CHAN", "FREQ", "SIGNAL", "SECURITY", "WPA-FLAGS",
          "RSN-FLAGS")
MAX_TEXT = 4 * 1024 * 1024
_PAIR = {"pair_wep40": "WEP-40", "pair_wep104": "WEP-104", "pair_tkip": "TKIP",
         "pair_ccmp": "CCMP"}
_GROUP = {"group_wep40": "WEP-40", "group_wep104": "WEP-104", "group_tkip": "TKIP",
          "group_ccmp": "CCMP"}
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")
_SMALL_INT = re.compile(r"[0-9]{1,6}", re.ASCII)
# nmcli prints an SSID as it got it: a raw line break in a neighbour's SSID splits a row,
# so a short row is joined with the next lines, at most this many
MAX_ROW_LINES = 4
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


def _command_text(fields: tuple[str, ...]) -> str:
    return f"`nmcli -t -e yes -f {','.join(fields)} device wifi list`"


def expected(fields: tuple[str, ...]) -> str:
    return f"does not look like the output of {_command_text(fields)}"


def parse_nmcli(text: str, fields: tuple[str, ...] = FIELDS,
                allow_empty: bool = False) -> list[Sighting]:
    """The sightings in ``text``; ``ToolOutputError`` when a line is not a row of that field list.

    An empty text is refused unless it came from a live run (``allow_empty``): a file without
    a network cannot be told from a wrong one."""
    out: list[Sighting] = []
    lines = [line.removesuffix("\r") for line in text[:MAX_TEXT].split("\n")]
    start, row_text = 0, None
    for n, line in enumerate(lines, 1):
        if row_text is None:
            if not line.strip():
                continue
            start, row_text = n, line
        else:
            row_text += "\n" + line
        values = split_terse(row_text)
        if len(values) < len(fields) and n - start + 1 < MAX_ROW_LINES and n < len(lines):
            continue
        row = dict(zip(fields, values, strict=False))  # a short row is refused below
        if len(values) != len(fields) or not _MAC.fullmatch(row.get("BSSID", "")):
            raise ToolOutputError(f"{expected(fields)}: line {start} is not a row of these "
                                  f"{len(fields)} fields{_hint(lines[start - 1])}")
        out.append(_sighting(row["BSSID"].lower(), row))
        row_text = None
    if not out and not allow_empty:
        raise ToolOutputError(f"no network in the file: NetworkManager that saw nothing cannot be "
                              f"told from a wrong or truncated file (expected the output of "
                              f"{_command_text(fields)})")
    return out


def _hint(line: str) -> str:
    words = line.split()
    if line.startswith("BSS "):
        return " (this looks like iw output: use --from-iw)"
    if "\x00" in line or any(0xDC80 <= ord(c) <= 0xDCFF for c in line):
        return " (binary data: a capture? use --capture)"
    if words and words[0] in ("NAME", "IN-USE", "SSID", "BSSID") and "  " in line:
        return " (this looks like nmcli's table output: run nmcli with -t -e yes)"
    if line.lstrip().startswith(("{", "[")):
        return " (this looks like JSON)"
    if line.count(":") >= 5 and "\\:" not in line:
        return " (colons not escaped: run nmcli with -e yes)"
    return ""


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
    e.channel = _small_int(row.get("CHAN", ""), 1, 233)
    freq = row.get("FREQ", "").split()
    return Sighting(bssid=bssid, elements=e, privacy="WEP" in security or bool(e.rsn or e.wpa),
                    beacon=True, frequency_mhz=_small_int(freq[0], 1, 100_000) if freq else None,
                    source="nmcli")


def _small_int(text: str, low: int, high: int) -> int | None:
    """ASCII digits in range, else unknown (int() takes '١٢', str.isdigit() takes '²')."""
    if not _SMALL_INT.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _suites(flags: str) -> ies.Suites | None:
    words = flags.split()
    if not words or words == ["(none)"]:
        return None
    s = ies.Suites()
    s.pairwise = [_PAIR[w] for w in words if w in _PAIR]
    s.group = next((_GROUP[w] for w in words if w in _GROUP), None)
    s.akms = [_AKM[w] for w in words if w in _AKM]
    return s
