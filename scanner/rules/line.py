"""What kind of Internet line the practice has (dual stack, DS-Lite, IPv4 only), as far as
its router told the scan. Read by the report's summary and by the outside-in check, which
must know whether an IPv4 check is possible at all."""

from __future__ import annotations

import ipaddress

from scanner.model import Scan


def internet_line(scan: Scan) -> str | None:
    """"dual-stack", "ds-lite" or "ipv4-only", as far as the router told; None when unknown.

    IPv6: a global prefix in a router advertisement heard on the LAN. Public IPv4: the
    router's external address by UPnP (GetExternalIPAddress) or TR-064; an empty or
    non-public one (DS-Lite: the AFTR tunnel, CGNAT 100.64.0.0/10) means none.
    """
    v6 = False
    v4: bool | None = None
    for h in scan.hosts:
        for o in h.observations:
            if o.kind == "ipv6-router":
                for p in (o.get("prefixes") or "").split(","):
                    try:
                        net = ipaddress.IPv6Network(p.strip())
                    except ValueError:
                        continue
                    v6 = v6 or net.subnet_of(ipaddress.IPv6Network("2000::/3"))
            elif o.kind in ("upnp-external-ip", "tr064-external-ip"):
                try:
                    public = ipaddress.IPv4Address(o.get("address") or "").is_global
                except ValueError:
                    public = False
                v4 = bool(v4) or public
    if v6 and v4 is not None:
        return "dual-stack" if v4 else "ds-lite"
    if v4 and not v6 and any(h.ipv6 for h in scan.hosts):  # IPv6 was examined: no prefix
        return "ipv4-only"
    return None
