"""Lab broadcast chatter that real devices send on their own, for passive discovery.

- ``--llmnr NAME``: a Windows PC resolving a name by LLMNR (224.0.0.252:5355), as Windows
  does for ``wpad`` and mistyped share names. Windows cannot run in the lab.
- ``--sicct-discovery``: a Konnektor's card-terminal discovery (SICCT request broadcast to
  UDP 4742, gemSpec_Kon CTM, every 10 min in the field; here every few seconds).
- ``--ssdp-notify URL``: an SSDP ``ssdp:alive`` NOTIFY for the root device described at URL,
  as a Synology DiskStation announces ``/ssdp/desc-DSM-eth0.xml`` on its DSM port. (The
  SERVER header is left out: no source gives DSM's exact text, and nothing reads it.)
"""

from __future__ import annotations

import argparse
import random
import socket
import struct
import time

from scanner.protocols import sicct


def llmnr_query(name: str) -> bytes:
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack(">HHHHHH", random.randrange(65536), 0, 1, 0, 0, 0) + qname + b"\x00\x01\x00\x01"


def ssdp_notify(location: str, uuid: str) -> bytes:
    return ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
            f"LOCATION: {location}\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
            f"USN: uuid:{uuid}::upnp:rootdevice\r\n\r\n").encode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--every", type=float, default=3)
    ap.add_argument("--llmnr", action="append", default=[])
    ap.add_argument("--sicct-discovery", action="store_true")
    ap.add_argument("--ssdp-notify", default="")
    ap.add_argument("--ssdp-uuid", default="")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.ip))
    s.bind((a.ip, 0))
    while True:
        for name in a.llmnr:
            s.sendto(llmnr_query(name), ("224.0.0.252", 5355))
        if a.sicct_discovery:
            s.sendto(sicct.encode_request(a.ip, s.getsockname()[1]), ("255.255.255.255", sicct.PORT))
        if a.ssdp_notify:
            s.sendto(ssdp_notify(a.ssdp_notify, a.ssdp_uuid), ("239.255.255.250", 1900))
        time.sleep(a.every)


if __name__ == "__main__":
    main()
