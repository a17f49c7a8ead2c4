"""ARP sweep of the local subnet with scapy: our own paced send/receive loop.

Every address gets one who-has (``rounds`` > 1 asks the silent ones again, for lossy
links); replies are read while sending and for a short grace window after the last request. Hosts that drop
everything at IP level (a Konnektor, a firewalled PC) still answer ARP.
"""

from __future__ import annotations

import ipaddress
import select
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from scanner.errors import ScanRuntimeError
from scanner.netinfo import Interface
from scanner.observer import NullObserver, ScanObserver

ETH_P_ARP = 0x0806
BROADCAST = "ff:ff:ff:ff:ff:ff"


@dataclass(frozen=True)
class ArpReply:
    ip: str
    mac: str
    seen_at: datetime


def arp_sweep(
    iface: Interface,
    targets: Iterable[ipaddress.IPv4Address],
    *,
    rate_pps: float = 1000.0,
    grace: float = 0.2,
    rounds: int = 1,
    observer: ScanObserver = NullObserver(),
) -> list[ArpReply]:
    # scapy takes ~0.5 s to import: only a scan pays for it, never --help.
    from scapy.arch.linux import L2Socket
    from scapy.layers.l2 import ARP, Ether
    from scapy.packet import Raw

    from scanner.discovery.sniff import quiet_scapy

    quiet_scapy()

    if not iface.mac:
        raise ScanRuntimeError(f"interface {iface.name} has no MAC address: ARP is impossible")
    src_ip = str(iface.addresses[0].ip)
    wanted = [str(t) for t in targets if str(t) != src_ip]
    try:
        sock = L2Socket(iface=iface.name, type=ETH_P_ARP)
    except (OSError, PermissionError) as e:
        raise ScanRuntimeError(f"cannot open a raw socket on {iface.name}: {e}") from None
    found: dict[str, ArpReply] = {}
    interval = 1.0 / rate_pps
    template = bytes(Ether(dst=BROADCAST, src=iface.mac) /
                     ARP(op=1, hwsrc=iface.mac, psrc=src_ip, pdst="0.0.0.0"))

    def drain(until: float) -> None:
        while True:
            wait = until - time.monotonic()
            ready, _, _ = select.select([sock], [], [], max(wait, 0))
            if not ready:
                return
            frame = sock.recv()
            if frame is None or ARP not in frame:
                continue
            arp = frame[ARP]
            if arp.op == 2 and arp.psrc in pending and arp.psrc not in found:
                found[arp.psrc] = ArpReply(arp.psrc, arp.hwsrc.lower(), datetime.now(timezone.utc))
                observer.host_found(arp.psrc)

    try:
        pending = set(wanted)
        for round_no in range(rounds):
            ask = [ip for ip in wanted if ip not in found]
            if not ask:
                break
            next_send = time.monotonic()
            for ip in ask:
                # One frame built by scapy, the target address patched in: building a packet
                # object per address costs more than sending it.
                sock.send(Raw(template[:38] + ipaddress.IPv4Address(ip).packed + template[42:]))
                if round_no == 0:
                    observer.advance()
                next_send += interval
                drain(next_send)  # read replies while pacing
            drain(time.monotonic() + grace)
    finally:
        sock.close()
    return sorted(found.values(), key=lambda r: ipaddress.IPv4Address(r.ip))
