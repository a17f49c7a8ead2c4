"""IPv6 in the lab practice, as a FRITZ!Box on a dual-stack line sets it up.

The router announces a ULA prefix and a global prefix from the documentation range
(2001:db8::/32, RFC 3849) with radvd, a real daemon; every host takes its addresses by
SLAAC; the phones add temporary (privacy) addresses. The router forwards IPv6 to the dead-end
internet namespace through an ip6tables firewall that drops everything inbound except one
share (the NAS's DSM port, as a FRITZ!Box "IPv6-Freigabe" bound to the NAS's interface ID)
and what miniupnpd opens in its MINIUPNPD chain (IGDv2 pinholes).

Planted over IPv6 (docs/ipv6.md §10):
- ws-empfang drops every IPv4 packet (iptables) but has no ip6tables rules: its SMB port and
  its SNMP agent (snmpd, udp/161), listening on both families, answer over IPv6 only
  (ipv6-firewall-gap, TCP and UDP);
- the NAS's DSM port 5001 is reachable from the internet namespace over IPv6 (the share).

Nothing is created in the root namespace; the internet namespace routes nothing beyond itself.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import LabError
from scanner.lab import netns
from scanner.lab.daemons import HostDir
from scanner.lab.netns import in_ns, ns_name, run
from scanner.lab.topology import LabHost, Practice
from scanner.model import Role

ULA_PREFIX = ipaddress.IPv6Network("fd00::/64")  # what a FRITZ!Box hands out (§1.1)
GLOBAL_PREFIX = ipaddress.IPv6Network("2001:db8:1:1::/64")
WAN_NETWORK = ipaddress.IPv6Network("2001:db8:ffff::/64")
ROUTER_WAN = ipaddress.IPv6Address("2001:db8:ffff::1")
INTERNET_ADDRESS = ipaddress.IPv6Address("2001:db8:ffff::2")
PRIVACY_ROLES = (Role.SMARTPHONE, Role.TABLET)  # use_tempaddr=2, as iOS and Android do

# The planted IPv6 exposures: (host, tcp port).
GAP = ("ws-empfang", 445)  # open over IPv6, dropped over IPv4 (ipv6-firewall-gap)
UDP_GAP = ("ws-empfang", 161)  # the same over UDP: snmpd on both families (practice.toml)
SHARE = ("nas", 5001)  # the router's IPv6 share: reachable from the internet namespace
ADDRESS_TIMEOUT = 20.0  # SLAAC after radvd's first RA (MaxRtrAdvInterval 4 s)


@dataclass(frozen=True)
class Listener:
    """A TCP port a lab host serves over IPv6 (socat: a real socket, a real handshake)."""

    host: str
    port: int
    forward_to_ipv4: bool  # relay to the host's IPv4 service (the same daemon answers)


LISTENERS = (Listener(GAP[0], GAP[1], False), Listener(SHARE[0], SHARE[1], True))


def eui64(prefix: ipaddress.IPv6Network, mac: str) -> ipaddress.IPv6Address:
    """The SLAAC address a host with ``mac`` takes in ``prefix`` (modified EUI-64,
    RFC 4291 App. A): the kernel's default (addr_gen_mode 0) in the lab."""
    b = bytes.fromhex(mac.replace(":", ""))
    iid = bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:6]
    return ipaddress.IPv6Address(int(prefix.network_address) | int.from_bytes(iid, "big"))


def stable_address(h: LabHost, prefix: ipaddress.IPv6Network = GLOBAL_PREFIX) -> str:
    return str(eui64(prefix, h.mac))


def prepare_hosts(practice: Practice) -> None:
    """Before radvd's first RA: privacy addresses on the phones."""
    for h in practice.hosts:
        if h.role in PRIVACY_ROLES:
            in_ns(ns_name(h.name), ["sysctl", "-qw", "net.ipv6.conf.eth0.use_tempaddr=2"])


def wire_router(practice: Practice, internet_ns: str) -> None:
    """Addresses, routes, forwarding and the firewall of the router's IPv6 side."""
    router = ns_name(practice.router.name)
    in_ns(router, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
    for prefix in (ULA_PREFIX, GLOBAL_PREFIX):
        run(["ip", "-n", router, "addr", "add", f"{prefix.network_address + 1}/64", "dev",
             "eth0", "nodad"])
    run(["ip", "-n", router, "addr", "add", f"{ROUTER_WAN}/64", "dev", "wan", "nodad"])
    run(["ip", "-n", internet_ns, "addr", "add", f"{INTERNET_ADDRESS}/64", "dev", "eth0", "nodad"])
    in_ns(router, ["ip", "-6", "route", "add", "default", "via", str(INTERNET_ADDRESS)])
    # The internet namespace knows the way back to the practice's global prefix, nothing else.
    in_ns(internet_ns, ["ip", "-6", "route", "add", str(GLOBAL_PREFIX), "via", str(ROUTER_WAN)])
    nas = practice.host(SHARE[0])
    # Legacy ip6tables: miniupnpd links the legacy library, and an nft DROP would still drop
    # what its legacy MINIUPNPD chain accepts (docs/ipv6.md §10 step 4).
    rules = "\n".join([
        "*filter",
        ":INPUT ACCEPT [0:0]",
        ":FORWARD DROP [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":MINIUPNPD - [0:0]",
        # The router itself answers nothing from the WAN side but ICMPv6 (RFC 6092 REC-50)
        "-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        "-A INPUT -i wan -p ipv6-icmp -j ACCEPT",
        "-A INPUT -i wan -j DROP",
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        "-A FORWARD -m conntrack --ctstate INVALID -j DROP",
        "-A FORWARD -i eth0 -o wan -j ACCEPT",
        # RFC 4890 §4.3.1: ICMPv6 errors pass
        *(f"-A FORWARD -p ipv6-icmp --icmpv6-type {t} -j ACCEPT"
          for t in ("destination-unreachable", "packet-too-big", "time-exceeded",
                    "parameter-problem")),
        # The FRITZ!Box IPv6 share: one port, bound to the NAS's interface ID
        f"-A FORWARD -i wan -o eth0 -d {stable_address(nas)}/128 -p tcp --dport {SHARE[1]} "
        "-j ACCEPT",
        "-A FORWARD -i wan ! -o wan -j MINIUPNPD",
        "COMMIT",
    ]) + "\n"
    _restore(router, rules)


def _restore(ns: str, rules: str) -> None:
    import subprocess

    p = subprocess.run(["ip", "netns", "exec", ns, "ip6tables-legacy-restore"], input=rules,
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise LabError(f"ip6tables-legacy-restore in {ns}: {p.stderr.strip()[-300:]}")


def radvd_config(router: LabHost) -> str:
    # M=0, O=1 and RDNSS: what a FRITZ!Box announces with "DNS-Server zuweisen" (§1.1)
    return "\n".join([
        "interface eth0 {",
        "    AdvSendAdvert on;",
        "    MinRtrAdvInterval 3;",
        "    MaxRtrAdvInterval 4;",
        "    AdvManagedFlag off;",
        "    AdvOtherConfigFlag on;",
        f"    prefix {GLOBAL_PREFIX} {{ AdvOnLink on; AdvAutonomous on; }};",
        f"    prefix {ULA_PREFIX} {{ AdvOnLink on; AdvAutonomous on; }};",
        f"    RDNSS {ULA_PREFIX.network_address + 1} {{ AdvRDNSSLifetime 60; }};",
        "};",
    ]) + "\n"


def start_radvd(practice: Practice, hostdir: Path) -> dict[str, int]:
    router = practice.router
    conf = hostdir / "etc" / "radvd.conf"
    conf.write_text(radvd_config(router))
    conf.chmod(0o644)  # radvd refuses a world-writable config
    argv = ["radvd", "-n", "-C", str(conf), "-p", str(hostdir / "state" / "radvd.pid"),
            "-m", "stderr"]
    pid = netns.spawn(ns_name(router.name), router.hostname, hostdir, argv,
                      hostdir / "log" / "radvd.log")
    return {f"{router.name}/radvd": pid}


def start_listeners(practice: Practice, hostdir_of: Callable[[LabHost], HostDir]) -> dict[str, int]:
    pids: dict[str, int] = {}
    for lis in LISTENERS:
        h = practice.host(lis.host)
        hd = hostdir_of(h)
        if lis.forward_to_ipv4:
            argv = ["socat", f"TCP6-LISTEN:{lis.port},ipv6only=1,reuseaddr,fork",
                    f"TCP4:{h.ip}:{lis.port}"]
        else:  # one dual-stack socket, as a Windows service binds it
            argv = ["socat", "-u", f"TCP6-LISTEN:{lis.port},ipv6only=0,reuseaddr,fork",
                    "GOPEN:/dev/null"]
        pid = netns.spawn(ns_name(h.name), h.hostname, hd.root, argv,
                          hd.root / "log" / f"ipv6-{lis.port}.log")
        pids[f"{h.name}/ipv6-{lis.port}"] = pid
    return pids


def addresses(ns: str) -> list[tuple[str, bool]]:
    """(address, temporary) of the global-scope IPv6 addresses on eth0 that finished DAD."""
    out = in_ns(ns, ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global"],
                check=False)
    found = []
    for line in out.splitlines():
        cols = line.split()
        if "inet6" not in cols or "tentative" in cols:
            continue
        found.append((cols[cols.index("inet6") + 1].split("/")[0], "temporary" in cols))
    return found


def wait_for_addresses(practice: Practice, namespaces: list[str]) -> None:
    """Until every host holds an address in both prefixes (and the phones a temporary one)."""
    deadline = time.monotonic() + ADDRESS_TIMEOUT
    wanted = {ns_name(h.name): h for h in practice.hosts if h.role is not Role.ROUTER}
    pending: list[str] = []
    while True:
        pending = []
        for ns in namespaces:
            got = addresses(ns)
            nets = {ipaddress.IPv6Address(a) in GLOBAL_PREFIX for a, _ in got}
            need_temp = ns in wanted and wanted[ns].role in PRIVACY_ROLES
            if nets != {True, False} or (need_temp and not any(t for _, t in got)):
                pending.append(ns)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise LabError(f"no SLAAC addresses after {ADDRESS_TIMEOUT:.0f} s in "
                           f"{', '.join(pending[:4])} (radvd log: hosts/{practice.router.name}"
                           "/log/radvd.log)")
        time.sleep(0.2)
