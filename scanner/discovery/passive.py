"""Listen during the scan window: DHCP, mDNS, SSDP, NetBIOS, LLMNR and SICCT on the wire.

A thread reads an AF_PACKET socket (scapy's L2listen with a BPF filter) and turns every
frame into ``Heard`` items at once; the parsers never raise. Besides listening, the
listener sends the multicast queries whose answers it wants to hear: an mDNS service
enumeration (then a PTR query per service type found) and an SSDP M-SEARCH.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from scanner.discovery.sniff import FrameListener
from scanner.model import Observation, Source
from scanner.netinfo import Interface
from scanner.protocols import dhcp, mdns, netbios, sicct, ssdp
from scanner.text import clean

BPF = ("udp and (port 67 or port 68 or port 137 or port 138 or port 1900 or port 4742 "
       "or port 5353 or port 5355)")
MDNS_GROUP = ("224.0.0.251", 5353)
MAX_HEARD = 20_000  # a chatty network must not grow memory without bound


@dataclass(frozen=True)
class Heard:
    """One observation, and whom it is about (by MAC and/or IP)."""

    mac: str | None
    ip: str | None
    observation: Observation


class PassiveListener:
    def __init__(self, iface: Interface) -> None:
        self.iface = iface
        self.heard: list[Heard] = []
        self.service_types: set[str] = set()
        self.locations: dict[str, str] = {}  # SSDP LOCATION -> announcing IP
        self._listener = FrameListener(iface.name, BPF, self._on_frame, "passive")
        self._lock = threading.Lock()
        self._query_sockets: list[socket.socket] = []
        self.error: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        why = self._listener.start()
        if why is not None:
            self.error = f"cannot listen on {self.iface.name}: {why}"

    def stop(self) -> list[Heard]:
        self._listener.stop()
        for s in self._query_sockets:
            s.close()
        with self._lock:
            return list(self.heard)

    # -- active multicast queries ------------------------------------------------------------

    def query(self) -> None:
        """mDNS service enumeration and SSDP M-SEARCH, once each."""
        self._send(mdns.mdns_query(), MDNS_GROUP)
        self._send(ssdp.m_search(), ssdp.GROUP)

    def query_service_types(self) -> None:
        with self._lock:
            types = tuple(sorted(self.service_types))[:40]
        for i in range(0, len(types), 10):
            self._send(mdns.mdns_query(types[i : i + 10]), MDNS_GROUP)

    def _send(self, payload: bytes, dest: tuple[str, int]) -> None:
        # The socket stays open until stop(): answers sent to it unicast (legacy mDNS, SSDP)
        # must not meet a closed port and make our kernel send ICMP errors to the devices.
        src = str(self.iface.addresses[0].ip)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._query_sockets.append(s)
        try:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            s.bind((src, 0))
            s.sendto(payload, dest)
        except OSError as e:
            self.error = f"multicast query to {dest[0]} failed: {e}"

    # -- receiving ---------------------------------------------------------------------------

    def _on_frame(self, raw: bytes) -> None:
        items = frame_to_heard(raw, self.iface.mac)
        with self._lock:
            for h in items:
                self._note(h)

    def _note(self, h: Heard) -> None:
        if len(self.heard) >= MAX_HEARD:
            return
        self.heard.append(h)
        o = h.observation
        if o.kind == "mdns-service" and o.get("type"):
            self.service_types.add(o.get("type") or "")
        if o.kind == "ssdp" and o.get("location") and h.ip:
            self.locations.setdefault(o.get("location") or "", h.ip)


def frame_to_heard(raw: bytes, own_mac: str | None = None) -> list[Heard]:
    """Everything one Ethernet frame tells. Total: returns [] for anything unexpected."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    try:
        frame = Ether(raw)
        if Ether not in frame or IP not in frame or UDP not in frame:
            return []
        mac = frame[Ether].src.lower()
        if own_mac and mac == own_mac.lower():
            return []
        ip, udp = frame[IP].src, frame[UDP]
        payload = bytes(udp.payload)
        return parse_datagram(mac, ip, int(udp.sport), int(udp.dport), payload)
    except Exception:  # noqa: BLE001 - hostile frames must not end the listener
        return []


def parse_datagram(mac: str | None, ip: str, sport: int, dport: int,
                   payload: bytes) -> list[Heard]:
    now = datetime.now(timezone.utc)

    def obs(source: Source, kind: str, **data: object) -> Observation:
        return Observation.checked(source, kind, ((k, clean(v, 300)) for k, v in data.items()
                                                  if v not in (None, "")), now)

    ports = {sport, dport}
    if ports & {67, 68}:
        p = dhcp.parse(payload)
        if p is None:
            return []
        if p.op == 1:  # client: about the client's MAC
            return [Heard(p.client_mac or mac, p.requested_ip or (ip if ip != "0.0.0.0" else None),
                          obs(Source.DHCP, "dhcp", message=p.message_type, hostname=p.hostname,
                              vendor_class=p.vendor_class, param_list=p.param_list,
                              client_id=p.client_id))]
        return [Heard(mac, ip, obs(Source.DHCP, "dhcp-server", message=p.message_type,
                                   offered=p.your_ip, client=p.client_mac))]
    if sport == 5353 or dport == 5353:
        return _mdns(mac, ip, payload, obs)
    if 5355 in ports:
        names = [r.name.rstrip(".") for r in mdns.parse(payload) if r.kind == "QUERY"]
        return [Heard(mac, ip, obs(Source.MDNS, "llmnr-query", name=n)) for n in names[:5]]
    if 1900 in ports:
        m = ssdp.parse(payload)
        if m is None:
            return []
        if m.kind == "search":
            return [Heard(mac, ip, obs(Source.SSDP, "ssdp-search", st=m.get("st"),
                                       user_agent=m.get("user-agent")))]
        return [Heard(mac, ip, obs(Source.SSDP, "ssdp", message=m.kind, server=m.get("server"),
                                   location=m.get("location"), nt=m.get("nt") or m.get("st"),
                                   usn=m.get("usn")))]
    if ports & {137, 138}:
        status = netbios.parse_node_status(payload) if sport == 137 else None
        if status:
            return [Heard(mac, ip, obs(Source.NETBIOS, "netbios", computer=status.computer,
                                       workgroup=status.workgroup))]
        name = netbios.parse_registration(payload) if dport == 137 else None
        return [Heard(mac, ip, obs(Source.NETBIOS, "netbios-name", name=name))] if name else []
    if 4742 in ports:
        if sicct.parse_request(payload):
            return [Heard(mac, ip, obs(Source.SICCT, "sicct-client"))]
        r = sicct.parse_reply(payload)
        if r:
            return [Heard(r.mac or mac, r.ip or ip, obs(Source.SICCT, "sicct", name=r.name,
                                                        tcp_port=r.tcp_port, tls=r.tls or "none"))]
    return []


# TXT keys the classifier reads (scanner/classification/classify.py) are kept wherever they
# stand: a printer's _ipp record holds 25 and more keys, ty= and product= often after the
# 16th. Of the other keys the first 16 are kept, for the report's evidence.
_TXT_READ = frozenset({"model", "am", "ty", "product", "usb_mfg", "usb_mdl", "md"})
_TXT_OTHERS = 16


def _txt_fields(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    others = 0
    for k, v in pairs:
        if k in _TXT_READ:
            out.setdefault(f"txt.{k}", v)
        elif others < _TXT_OTHERS:
            others += 1
            out.setdefault(f"txt.{k}", v)
    return out


def _mdns(mac: str | None, ip: str, payload: bytes, obs) -> list[Heard]:  # noqa: ANN001
    records = mdns.parse(payload)
    out: list[Heard] = []
    srv = {r.name: r for r in records if r.kind == "SRV"}
    txt = {r.name: r for r in records if r.kind == "TXT"}
    for r in records:
        if r.kind == "PTR" and r.name.startswith("_services._dns-sd"):
            st = mdns.service_type(r.value)
            if st:
                out.append(Heard(mac, ip, obs(Source.MDNS, "mdns-service", type=st)))
        elif r.kind == "PTR" and mdns.service_type(r.value):
            inst = r.value
            s, t = srv.get(inst), txt.get(inst)
            data = {"type": mdns.service_type(inst), "instance": mdns.instance_name(inst),
                    "port": s.port if s else None, "target": s.value if s else None}
            data.update(_txt_fields(t.txt if t else ()))
            out.append(Heard(mac, ip, obs(Source.MDNS, "mdns-service", **data)))
        elif r.kind == "A" and r.value == ip:
            out.append(Heard(mac, ip, obs(Source.MDNS, "mdns-host", name=r.name.rstrip("."))))
        elif r.kind == "HINFO":
            out.append(Heard(mac, ip, obs(Source.MDNS, "mdns-hinfo", value=r.value)))
    # TXT records answered without their PTR (e.g. _device-info): keep them too.
    for name, t in txt.items():
        st = mdns.service_type(name)
        if st and not any(o.observation.get("instance") == mdns.instance_name(name)
                          and o.observation.get("type") == st for o in out):
            data = {"type": st, "instance": mdns.instance_name(name)}
            data.update(_txt_fields(t.txt))
            out.append(Heard(mac, ip, obs(Source.MDNS, "mdns-service", **data)))
    return out

