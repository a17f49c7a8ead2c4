"""Offline WLAN audit from a monitor-mode capture (pcap or pcapng).

scapy only reads the file; the 802.11 header and the elements are parsed by ``ies`` so that a
frame scapy's dissectors stumble on (bad RSN, DMG beacons, truncation) is still read or skipped
alone. Radiotap, Prism, AVS, PPI and bare 802.11 link types are understood.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import PraxisscanError
from scanner.wlan import ies
from scanner.wlan.merge import Sighting

LINKTYPE_IEEE802_11 = 105
LINKTYPE_PRISM = 119
LINKTYPE_AVS = 163
LINKTYPE_PPI = 192
LINKTYPE_RADIOTAP = 127
BEACON, PROBE_RESPONSE = 0x80, 0x50
MAX_FRAMES = 2_000_000  # a day of beacons from 20 APs; more is not a practice capture


class CaptureError(PraxisscanError):
    """The file is not a readable pcap/pcapng capture."""


@dataclass(frozen=True)
class Radio:
    signal_dbm: int | None = None
    frequency_mhz: int | None = None
    fcs_at_end: bool = False


def read_capture(path: Path) -> tuple[list[Sighting], int]:
    """Sightings of every beacon and probe response, and the number of frames skipped."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    sightings: list[Sighting] = []
    skipped = 0
    try:
        reader = RawPcapReader(str(path))
    except (Scapy_Exception, OSError, EOFError, struct.error, ValueError) as e:
        raise CaptureError(f"{path}: not a readable pcap/pcapng capture ({e})") from None
    with reader:
        linktype = getattr(reader, "linktype", LINKTYPE_IEEE802_11)
        count = 0
        while count < MAX_FRAMES:
            try:
                item = next(reader)
            except (StopIteration, EOFError):
                break
            except (Scapy_Exception, struct.error, ValueError, OSError):
                skipped += 1  # a truncated or corrupt record ends what can be read
                break
            count += 1
            frame, meta = item if isinstance(item, tuple) else (item, None)
            lt = getattr(meta, "linktype", None) or linktype
            try:
                seen = sighting(bytes(frame), lt)
            except Exception:  # noqa: BLE001 - hostile frame: skip it, keep the capture
                seen = None
                skipped += 1
            if seen is not None:
                sightings.append(seen)
    return sightings, skipped


def sighting(frame: bytes, linktype: int) -> Sighting | None:
    radio, dot11 = unwrap(frame, linktype)
    if dot11 is not None and radio.fcs_at_end:
        dot11 = dot11[:-4]
    if dot11 is None or len(dot11) < 36:  # header, timestamp, interval, capability
        return None
    kind = dot11[0] & 0xFC  # subtype and type; version bits ignored
    if kind not in (BEACON, PROBE_RESPONSE):
        return None
    bssid = dot11[16:22].hex(":")
    (capability,) = struct.unpack_from("<H", dot11, 34)
    elements = ies.parse(dot11[36:])
    return Sighting(bssid=bssid, elements=elements,
                    privacy=bool(capability & ies.CAPABILITY_PRIVACY),
                    beacon=kind == BEACON, signal_dbm=radio.signal_dbm,
                    frequency_mhz=radio.frequency_mhz, source="capture")


def unwrap(frame: bytes, linktype: int) -> tuple[Radio, bytes | None]:
    if linktype == LINKTYPE_IEEE802_11:
        return Radio(), frame
    if linktype == LINKTYPE_RADIOTAP and len(frame) >= 8:
        (length,) = struct.unpack_from("<H", frame, 2)
        return radiotap(frame[:length]), frame[length:]
    if linktype == LINKTYPE_PRISM and len(frame) >= 8:
        (length,) = struct.unpack_from("<I", frame, 4)
        return Radio(), frame[length:]
    if linktype == LINKTYPE_AVS and len(frame) >= 8:
        (length,) = struct.unpack_from(">I", frame, 4)
        return Radio(), frame[length:]
    if linktype == LINKTYPE_PPI and len(frame) >= 4:
        (length,) = struct.unpack_from("<H", frame, 2)
        return Radio(), frame[length:]
    return Radio(), None


def radiotap(header: bytes) -> Radio:
    """Signal, channel frequency and the FCS flag, read with scapy's radiotap dissector."""
    from scapy.layers.dot11 import RadioTap

    try:
        rt = RadioTap(header)
        flags = int(getattr(rt, "Flags", 0) or 0)
        signal = getattr(rt, "dBm_AntSignal", None)
        freq = getattr(rt, "ChannelFrequency", None)
        return Radio(signal_dbm=int(signal) if signal is not None else None,
                     frequency_mhz=int(freq) if freq else None, fcs_at_end=bool(flags & 0x10))
    except Exception:  # noqa: BLE001 - a radiotap header from the air may be anything
        return Radio()
