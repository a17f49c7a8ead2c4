"""The FRITZ!Box's MyFRITZ! shares over TR-064 (service X_AVM-DE_MyFritz:1), read-only.

A MyFRITZ! share ("MyFRITZ!-Freigabe") opens one port of one LAN device to the Internet,
over IPv6 to the device's own addresses (no NAT) and, where the line allows, over IPv4. It
is the only per-device IPv6 share data TR-064 gives (docs/ipv6.md §1.4): the plain IPv6
port shares and the IPv6 "exposed host" cannot be listed, so an empty list proves nothing.

Arguments and types as in AVM's x_myfritzSCPD.xml, read from the models generated from it
(nitram509/gofritz: pkg/tr064model/gateway_avm_my_fritz_get_service_by_index.go and
..._get_number_of_services.go, FRITZ!OS 07.57 and 08.00):
GetNumberOfServices -> NewNumberOfServices (ui4); GetServiceByIndex(NewIndex ui4) ->
NewEnabled (boolean), NewName, NewScheme ("https://"), NewPort (ui4), NewURLPath, NewType,
NewIPv4ForwardingWarning (ui1), NewIPv4Addresses, NewIPv6Addresses, NewIPv6InterfaceIDs
(comma-separated strings; an interface ID is written "::4c4f:e72c:de8e:2776"),
NewMACAddress ("88:70:8C:50:A8:63"), NewHostName, NewDynDnsLabel, NewStatus (ui4).

Every field is the router's word: bounded, checked and dropped when malformed; a share
without a readable port or switch is a note, not an observation.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping

from scanner.model import Observation
from scanner.probes.base import observation
from scanner.probes.upnp_igd import parse_port, parse_uint
from scanner.text import clean

KIND = "tr064-myfritz-share"
MAX_SERVICES = 128  # a box with more is hostile: the first ones are read, the cap is said
MAX_ADDRESSES = 8  # per family and share
_FIELD_CHARS = 2048  # more than 8 addresses could ever need
_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")
_LIST_SPLIT = re.compile(r"[\s,;]+")

Call = Callable[..., "Mapping[str, object] | None"]


def read_shares(call: Call) -> tuple[list[Observation], list[str]]:
    """Every MyFRITZ! share the box lists, and notes on what could not be read. ``call``
    is the audit's (action, **arguments) -> answer, None when not answered."""
    count = call("GetNumberOfServices")
    if count is None:
        return [], []
    total = parse_uint(count.get("NewNumberOfServices"))
    if total is None:
        return [], ["X_AVM-DE_MyFritz1: NewNumberOfServices unreadable: MyFRITZ! shares not read"]
    obs, notes = [], []
    if total > MAX_SERVICES:
        notes.append(f"X_AVM-DE_MyFritz1: {total} MyFRITZ! shares listed, the first "
                     f"{MAX_SERVICES} read")
    for i in range(min(total, MAX_SERVICES)):
        fields = call("GetServiceByIndex", NewIndex=i)
        if not fields:  # the count said more than the box has: the list ends here
            notes.append(f"X_AVM-DE_MyFritz1: MyFRITZ! share {i} of {total} not answered")
            break
        share, note = share_observation(i, fields)
        obs.extend([share] if share else [])
        notes.extend([f"X_AVM-DE_MyFritz1: {note}"] if note else [])
    return obs, notes


def share_observation(index: int, fields: Mapping[str, object]
                      ) -> tuple[Observation | None, str | None]:
    """One GetServiceByIndex answer as an observation, or the note saying why not."""
    enabled = _flag(fields.get("NewEnabled"))
    port = parse_port(fields.get("NewPort"))
    if enabled is None or port is None:
        bad = "NewEnabled" if enabled is None else "NewPort"
        return None, f"MyFRITZ! share {index} not evaluated: {bad} " \
                     f"{clean(_text(fields.get(bad)), 40)!r} unreadable"
    mac = _text(fields.get("NewMACAddress")).lower().replace("-", ":")
    status = parse_uint(fields.get("NewStatus"))
    return observation(
        KIND, index=index, enabled="yes" if enabled else "no", port=port,
        name=clean(_text(fields.get("NewName")), 64),
        scheme=clean(_text(fields.get("NewScheme")), 16),
        hostname=clean(_text(fields.get("NewHostName")), 64),
        mac=mac if _MAC.fullmatch(mac) else None,
        ipv4=", ".join(addresses(fields.get("NewIPv4Addresses"), 4)),
        ipv6=", ".join(addresses(fields.get("NewIPv6Addresses"), 6)),
        ipv6_iids=", ".join(interface_ids(fields.get("NewIPv6InterfaceIDs"))),
        status=status if status is not None and status < 2**32 else None), None


def addresses(value: object, version: int) -> list[str]:
    """The valid unicast addresses of one family in a comma-separated list, bounded."""
    out: list[str] = []
    for word in _LIST_SPLIT.split(_text(value)):
        try:
            a = ipaddress.ip_address(word.split("%", 1)[0])
        except ValueError:
            continue
        if a.version == version and not (a.is_multicast or a.is_unspecified or a.is_loopback) \
                and str(a) not in out:
            out.append(str(a))
        if len(out) == MAX_ADDRESSES:
            break
    return out


def interface_ids(value: object) -> list[str]:
    """Interface IDs (the low 64 bits) written "::a:b:c:d" (or "a:b:c:d"), bounded."""
    out: list[str] = []
    for word in _LIST_SPLIT.split(_text(value)):
        try:
            a = ipaddress.IPv6Address(word if "::" in word else f"::{word}")
        except ValueError:
            continue
        if 0 < int(a) < 2**64 and str(a) not in out:
            out.append(str(a))
        if len(out) == MAX_ADDRESSES:
            break
    return out


def _text(v: object) -> str:
    return "" if v is None else str(v)[:_FIELD_CHARS].strip()


def _flag(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    t = _text(v).lower()
    return True if t in ("1", "true", "yes") else False if t in ("0", "false", "no") else None
