"""FRITZ!Box TR-064 (port 49000), read-only.

Without credentials: the device description (/tr64desc.xml): model and FRITZ!OS version.
With credentials (a FRITZ!Box user; the password from $PRAXISSCAN_FRITZBOX_PASSWORD, never on
the command line): through fritzconnection, remote access, MyFRITZ and its shares (IPv6 too:
scanner/probes/tr064_myfritz.py), FTP from the Internet, port shares and the security of
every WLAN. Only Get* actions are called.

fritzconnection takes its URLs from the box's descriptions and lets requests follow
redirects: every request it makes is checked against the box's own address first, so a
description or redirect naming another host (``SCPDURL`` = ``@8.8.8.8/x``, a 302 to a public
address, a host name) is refused before a packet or DNS query goes out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from scanner.ports import TR064_PORT
from scanner.model import NotTested, Observation, WlanNetwork, WlanSecurity
from scanner.probes.base import ProbeResult, RateWindow, Target, observation
from scanner.probes.tr064_myfritz import read_shares
from scanner.probes.upnp_igd import mapping_observation, parse_port, parse_uint
from scanner.scope import OutOfScope
from scanner.probes.web import fetch
from scanner.protocols.xmlsafe import find_text, parse_xml

PORT = TR064_PORT


class LoginRefused(Exception):
    """The FRITZ!Box refused the user or password."""
MAX_SHARES = 128
# TR-064 BeaconType (gofritz model, docs/domain.md §5.1) -> security and ciphers
# (modes weakest first, ciphers); "OWETrans" lets plain open clients in too.
S = WlanSecurity
BEACON = {
    "None": ((S.OPEN,), ()), "Basic": ((S.WEP,), ("WEP",)),
    "WPA": ((S.WPA,), ("TKIP",)), "11i": ((S.WPA2,), ("CCMP",)),
    "WPAand11i": ((S.WPA, S.WPA2), ("TKIP", "CCMP")), "WPA3": ((S.WPA3,), ("CCMP",)),
    "11iandWPA3": ((S.WPA2, S.WPA3), ("CCMP",)), "OWE": ((S.OWE,), ("CCMP",)),
    "OWETrans": ((S.OPEN, S.OWE), ()),
}


def description(ip: str, port: int = PORT) -> ProbeResult:
    got = fetch(ip, port, "/tr64desc.xml")
    root = parse_xml(got[2]) if got and got[0] == 200 else None
    if root is None:
        return ProbeResult()
    return ProbeResult((observation("tr064-device", port=port, model=find_text(root, "modelName"),
                                    manufacturer=find_text(root, "manufacturer"),
                                    firmware=find_text(root, "Display")),))


# A SOAP exchange on fritzconnection's kept-alive connection, plus the ACKs of a long SCPD:
# counted higher than a plain HTTP exchange so that at 40 packets/s it stays at 4 a second.
SOAP_EXCHANGE_PACKETS = 10


@contextmanager
def paced_requests(window: RateWindow, box: str | None = None) -> Iterator[None]:
    """Every HTTP exchange made through ``requests`` while inside waits in ``window``, and
    goes only to the address ``box`` (when given): anything else raises OutOfScope unsent.

    fritzconnection builds its own session (descriptions, one SCPD per service, digest
    challenges), so the pacing wraps the transport adapter's send: the digest retry after a
    401 goes straight to the adapter and bypasses Session.send (which let a burst of 48
    packets/s reach the lab's FRITZ!Box once it served four WLANs). In praxisscan only
    fritzconnection uses requests, and one audit runs at a time (the lock).
    """
    from requests.adapters import HTTPAdapter

    with _PACING:
        original = HTTPAdapter.send

        def send(self, request, **kw):  # noqa: ANN001, ANN202
            if box is not None:
                _only_to(box, request.url)
            with window.paced(SOAP_EXCHANGE_PACKETS):
                return original(self, request, **kw)

        HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            HTTPAdapter.send = original  # type: ignore[method-assign]


_PACING = threading.Lock()


def _only_to(box: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or host != box or "@" in parts.netloc:
        raise OutOfScope(f"TR-064 URL not on the FRITZ!Box {box}: not contacted "
                         f"({str(url)[:120]!r})")


def audit_probe(t: Target) -> ProbeResult:
    """The FRITZ!Box settings with the operator's credentials, as a probe of the table: a
    refused login or an answer that cannot be read is a "not tested" of tr064, never the
    end of the scan."""
    import requests

    if t.login is None or t.window is None:
        return ProbeResult()
    try:
        found, wlans, unreadable = audit(t.ip, *t.login, t.window, t.port or PORT)
    except LoginRefused as e:
        return ProbeResult(gaps=(NotTested("tr064", f"{e}: check user and password"),))
    except (OSError, requests.RequestException, ValueError) as e:
        return ProbeResult(gaps=(NotTested("tr064", f"TR-064 not readable: {type(e).__name__}"),))
    except Exception as e:  # noqa: BLE001 - whatever the router sends must not end the scan
        return ProbeResult(gaps=(NotTested("tr064", "TR-064 answer not understood: "
                                                    f"{type(e).__name__}"),))
    return ProbeResult(tuple(found), gaps=tuple(NotTested("tr064", gap) for gap in unreadable),
                       wlans=tuple(wlans))


def audit(ip: str, user: str, password: str, window: RateWindow, port: int = PORT
          ) -> tuple[list[Observation], list[WlanNetwork], list[str]]:
    """Everything a FRITZ!Box user may read that matters for inbound exposure and WLAN, and
    which answers could not be read (a box may send anything, even broken XML). ``window``:
    the host's rate window, shared with the probes before and the UPnP audit after."""
    with paced_requests(window, box=ip):
        try:
            return _audit(ip, user, password, port)
        except OutOfScope as e:  # while reading the descriptions: nothing is readable
            return [], [], [str(e)]


def _audit(ip: str, user: str, password: str, port: int
           ) -> tuple[list[Observation], list[WlanNetwork], list[str]]:
    from xml.etree.ElementTree import ParseError

    from fritzconnection import FritzConnection
    from fritzconnection.core.exceptions import FritzAuthorizationError, FritzConnectionException

    fc = FritzConnection(address=ip, port=port, user=user, password=password, timeout=5)
    obs: list[Observation] = []
    unreadable: list[str] = []

    def call(service: str, action: str, **args: object) -> dict | None:
        if service not in fc.services:
            return None
        try:
            return fc.call_action(service, action, **args)
        except FritzAuthorizationError:
            raise LoginRefused(f"the FRITZ!Box refused user {user!r}") from None
        except FritzConnectionException:
            return None
        except OutOfScope as e:
            unreadable.append(f"{service} {action}: {e}")
            return None
        except (ParseError, ValueError, KeyError, TypeError, AttributeError) as e:
            unreadable.append(f"{service} {action}: unreadable answer ({type(e).__name__})")
            return None

    if (r := call("X_AVM-DE_RemoteAccess1", "GetInfo")) is not None:
        obs.append(observation("tr064-remote-access", enabled=_yes(r.get("NewEnabled")),
                               port=parse_port(r.get("NewPort")), username=r.get("NewUsername")))
    if (r := call("X_AVM-DE_MyFritz1", "GetInfo")) is not None:
        obs.append(observation("tr064-myfritz", enabled=_yes(r.get("NewEnabled")),
                               dyndns=r.get("NewDynDNSName"), port=parse_port(r.get("NewPort"))))
    shares, notes = read_shares(lambda action, **a: call("X_AVM-DE_MyFritz1", action, **a))
    obs.extend(shares)
    unreadable.extend(notes)
    if (r := call("X_AVM-DE_Storage1", "GetInfo")) is not None:
        obs.append(observation("tr064-storage", ftp_wan=_yes(r.get("NewFTPWANEnable"))))
    count = call("WANIPConnection1", "GetPortMappingNumberOfEntries") or {}
    for i in range(min(parse_uint(count.get("NewPortMappingNumberOfEntries")) or 0, MAX_SHARES)):
        e = call("WANIPConnection1", "GetGenericPortMappingEntry", NewPortMappingIndex=i)
        if not e:
            break
        share, note = mapping_observation("tr064-port-share", i, e)
        obs.extend([share] if share else [])
        unreadable.extend([f"WANIPConnection1 {note}"] if note else [])
    wlans = []
    for n in range(1, 5):
        if f"WLANConfiguration{n}" not in fc.services:
            break
        w = call(f"WLANConfiguration{n}", "GetInfo")
        if w is None:
            continue
        modes, ciphers = BEACON.get(str(w.get("NewBeaconType")), ((WlanSecurity.OPEN,), ()))
        wps = call(f"WLANConfiguration{n}", "X_AVM-DE_GetWPSInfo")
        status = str(wps.get("NewX_AVM-DE_WPSStatus", "")) if wps else ""
        wlans.append(WlanNetwork(ssid=str(w.get("NewSSID", "")), bssid=str(w.get("NewBSSID", "")).lower(),
                                 security=modes[0], modes=modes, ciphers=ciphers, vendor="AVM",
                                 channel=_channel(w.get("NewChannel")),
                                 wps=bool(status) and status != "off", wps_known=bool(status),
                                 source="tr064"))
    if not obs and not wlans and not unreadable:
        raise LoginRefused(f"the FRITZ!Box gave user {user!r} no settings to read")
    return obs, wlans, unreadable


def _channel(v: object) -> int | None:
    n = parse_uint(v)
    return n if n and n <= 233 else None  # 802.11 channels end at 233 (6 GHz)


def _yes(v: object) -> str:
    return "yes" if v in (True, 1, "1", "true") else "no"
