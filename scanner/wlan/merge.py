"""From sightings (one beacon, probe response or scan-result entry) to one WlanNetwork per BSSID."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scanner.model import WlanNetwork
from scanner.wlan import ies


@dataclass(frozen=True)
class Sighting:
    bssid: str
    elements: ies.Elements
    privacy: bool
    beacon: bool = True
    signal_dbm: int | None = None
    frequency_mhz: int | None = None
    source: str = ""


def networks(sightings: Iterable[Sighting],
             vendor_of: Callable[[str], str | None] | None = None) -> tuple[WlanNetwork, ...]:
    """One network per BSSID, strongest first.

    A beacon decides the security (probe responses may answer a directed probe differently);
    the name comes from whichever frame carries it, so a hidden network named in a probe
    response keeps both its name and the mark that it hides.
    """
    by_bssid: dict[str, list[Sighting]] = {}
    for s in sightings:
        by_bssid.setdefault(s.bssid.lower(), []).append(s)
    out = [_network(bssid, group, vendor_of) for bssid, group in by_bssid.items()]
    return tuple(sorted(out, key=lambda w: (-(w.signal_dbm if w.signal_dbm is not None else -999),
                                            w.ssid, w.bssid)))


def _network(bssid: str, group: list[Sighting],
             vendor_of: Callable[[str], str | None] | None) -> WlanNetwork:
    main = next((s for s in group if s.beacon), group[0])
    e = main.elements
    ssid_raw = e.ssid if e.ssid and e.ssid.strip(b"\x00") else None
    hidden = any(s.beacon and not (s.elements.ssid and s.elements.ssid.strip(b"\x00"))
                 for s in group) and e.mesh_id is None
    if ssid_raw is None:
        ssid_raw = next((s.elements.ssid for s in group
                         if s.elements.ssid and s.elements.ssid.strip(b"\x00")), None)
    ssid, ssid_hex = ies.decode_ssid(ssid_raw)
    wps = _merged_wps([s.elements.wps for s in group if s.elements.wps])
    modes = ies.modes(e, main.privacy)
    signals = [s.signal_dbm for s in group if s.signal_dbm is not None]
    freq = next((s.frequency_mhz for s in group if s.frequency_mhz), None)
    channel = e.channel if e.channel is not None else ies.mhz_to_channel(freq)
    if freq is None:
        freq = ies.channel_to_mhz(channel)
    akms = tuple(dict.fromkeys([*(e.rsn.akms if e.rsn else []), *(e.wpa.akms if e.wpa else [])]))
    group_cipher = suites.group if (suites := e.rsn or e.wpa) else None
    return WlanNetwork(
        ssid=ssid, ssid_hex=ssid_hex, hidden=hidden, bssid=bssid,
        vendor=vendor_of(bssid) if vendor_of else None,
        security=min(modes, key=lambda m: m.rank), modes=modes, akms=akms,
        ciphers=ies.ciphers(e, main.privacy), group_cipher=group_cipher, pmf=ies.pmf(e.rsn),
        wps=wps is not None, wps_version=wps.version if wps else None,
        wps_configured=wps.configured if wps else None, wps_locked=wps.locked if wps else None,
        wps_known=main.source != "nmcli",  # NetworkManager does not report WPS
        channel=channel, frequency_mhz=freq, signal_dbm=max(signals) if signals else None,
        source=main.source)


def _merged_wps(found: list[ies.Wps]) -> ies.Wps | None:
    if not found:
        return None
    out = ies.Wps()
    for w in found:
        for name in ("version", "configured", "locked", "manufacturer", "model"):
            if getattr(out, name) is None and getattr(w, name) is not None:
                setattr(out, name, getattr(w, name))
    return out
