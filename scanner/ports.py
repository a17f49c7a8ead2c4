"""Port profiles: which TCP ports each profile probes, and the ports no profile touches."""

from __future__ import annotations

import enum
from functools import cache
from pathlib import Path

# Raw printing (JetDirect 9100-9107): anything sent there may be printed, and old printers
# crash on probes. No profile sends a single packet to these ports.
NEVER_PROBED = range(9100, 9108)

# Server-first protocols: the server speaks before the client sends anything (FTP RFC 959,
# SSH RFC 4253 4.2, Telnet, SMTP RFC 5321 3.1, POP3 RFC 1939 4, VNC RFC 6143 7.1.1).
VNC_PORTS = range(5900, 5904)
SERVER_FIRST: dict[int, str] = {21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 587: "smtp",
                                110: "pop3", **{p: "vnc" for p in VNC_PORTS}}
TR064_PORT = 49000  # the FRITZ!Box's TR-064 (AVM's TR-064 first steps)

# The practice list: what matters in a German GP practice (see docs/domain.md).
PRACTICE_TCP: dict[int, str] = {
    21: "FTP", 22: "SSH", 23: "Telnet", 25: "SMTP (KIM-Clientmodul)", 53: "DNS",
    80: "HTTP", 104: "DICOM", 110: "POP3 (KIM-Clientmodul)", 135: "MS RPC",
    139: "NetBIOS", 143: "IMAP", 389: "LDAP (Konnektor)", 443: "HTTPS", 445: "SMB",
    465: "SMTPS", 515: "LPD", 548: "AFP", 587: "SMTP submission", 631: "IPP",
    636: "LDAPS (Konnektor)", 993: "IMAPS", 995: "POP3S", 1433: "MS SQL (PVS)",
    1521: "Oracle", 1883: "MQTT", 2049: "NFS", 2112: "UltraViewer", 2575: "HL7 MLLP",
    3050: "Firebird (PVS)", 3306: "MySQL/MariaDB", 3389: "RDP", 4242: "DICOM (Orthanc)",
    4444: "Sophos admin", 4742: "SICCT (card terminal)", 4899: "Radmin",
    5000: "NAS admin / UPnP", 5001: "NAS admin (HTTPS)", 5432: "PostgreSQL (PVS)",
    5900: "VNC", 5901: "VNC", 5938: "TeamViewer", 5939: "TeamViewer", 6568: "AnyDesk",
    7070: "AnyDesk", 8000: "HTTP alt", 8042: "Orthanc REST", 8080: "HTTP alt",
    8443: "HTTPS alt (RISE Konnektor)", 8500: "Konnektor management",
    8501: "Konnektor remote management", 8883: "MQTT TLS", 11112: "DICOM",
    11115: "Securepoint UTM admin", 49000: "FRITZ!Box TR-064/UPnP",
    49443: "FRITZ!Box TR-064 TLS", 62078: "iOS lockdownd",
}


# UDP ports the standard and deep profiles ask (nmap -sU sends each its protocol's payload).
KEY_UDP: dict[int, str] = {
    53: "DNS", 67: "DHCP server", 69: "TFTP", 123: "NTP", 137: "NetBIOS", 161: "SNMP",
    500: "IKE (VPN)", 1434: "MS SQL Browser (PVS)", 1900: "SSDP/UPnP", 4500: "IPsec NAT-T",
    4742: "SICCT", 5351: "NAT-PMP/PCP", 5353: "mDNS",
}


# Services whose reach from the Internet is critical, whatever the catalog's default says:
# remote control (RDP, VNC), file shares (SMB, NetBIOS), databases of practice software
# (MSSQL, Firebird, PostgreSQL, MySQL) and Telnet.
CRITICAL_EXPOSED = frozenset({3389, 5900, 5901, 445, 139, 1433, 3050, 5432, 3306, 23})


class Profile(str, enum.Enum):
    QUICK = "quick"
    STANDARD = "standard"
    DEEP = "deep"


def tcp_ports(profile: Profile) -> list[int]:
    if profile is Profile.QUICK:
        ports = set(PRACTICE_TCP)
    elif profile is Profile.STANDARD:
        ports = set(PRACTICE_TCP) | set(nmap_top_tcp(1000))
    else:
        ports = set(range(1, 65536))
    return sorted(p for p in ports if p not in NEVER_PROBED)


def udp_ports(profile: Profile) -> list[int]:
    return [] if profile is Profile.QUICK else sorted(KEY_UDP)


def port_spec(ports: list[int]) -> str:
    """Compact nmap port list: ``1-3,5,7-9``."""
    parts: list[str] = []
    run: list[int] = []
    for p in sorted(ports):
        if run and p == run[-1] + 1:
            run.append(p)
            continue
        if run:
            parts.append(_span(run))
        run = [p]
    if run:
        parts.append(_span(run))
    return ",".join(parts)


def _span(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


@cache
def nmap_top_tcp(n: int, services: Path = Path("/usr/share/nmap/nmap-services")) -> tuple[int, ...]:
    """nmap's own "top ports" ranking, read from its nmap-services frequency column."""
    ranked = []
    try:
        lines = services.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ()
    for line in lines:
        if line.startswith("#"):
            continue
        cols = line.split()
        if len(cols) >= 3 and cols[1].endswith("/tcp"):
            ranked.append((float(cols[2]), int(cols[1].split("/")[0])))
    ranked.sort(reverse=True)
    return tuple(p for _, p in ranked[:n])
