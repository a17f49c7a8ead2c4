"""Recipes for the lab's real daemons: config written into the host's lab directory, argv back.

Each recipe gets a ``HostDir`` and the daemon's parameters from practice.toml and returns the
processes to start. The traps these recipes avoid are listed in docs/lab-recipe.md
(cupsd needs a localhost Listen, snmpd opens smux on tcp/199, sshd needs /run/sshd, ...).
"""

from __future__ import annotations

import glob
import ipaddress
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from scanner.errors import LabError
from scanner.lab.topology import LabHost, Practice

FILES = Path(__file__).with_name("files")


@dataclass(frozen=True)
class Proc:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class HostDir:
    practice: Practice
    host: LabHost
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state"

    def fs(self, sub: str) -> Path:
        """A directory as the daemon sees it under ``/`` (``run``, ``var/log`` ...)."""
        return self.root / "fs" / sub

    def write(self, name: str, text: str) -> Path:
        p = self.root / "conf" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def cert(self) -> tuple[Path, Path]:
        """A self-signed certificate with the host's name, made once per lab."""
        crt, key = self.root / "tls" / "host.crt", self.root / "tls" / "host.key"
        if not crt.exists():
            crt.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                 "-subj", f"/CN={self.host.hostname}/O=Praxis Lab",
                 "-keyout", str(key), "-out", str(crt)],
                check=True, capture_output=True,
            )
        return crt, key

    @property
    def prefix(self) -> str:
        return f"{self.host.ip}/{self.practice.prefixlen}"


Recipe = Callable[[HostDir, dict[str, Any]], list[Proc]]
RECIPES: dict[str, Recipe] = {}


def recipe(kind: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        RECIPES[kind] = fn
        return fn

    return register


def procs_for(hd: HostDir) -> list[Proc]:
    out: list[Proc] = []
    for d in hd.host.daemons:
        if d.kind not in RECIPES:
            raise LabError(f"lab host {hd.host.name}: unknown daemon kind {d.kind!r}")
        out.extend(RECIPES[d.kind](hd, d.params))
    return out


def _emulator(module: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", f"scanner.lab.emulators.{module}", *args)


@recipe("udhcpd")
def _udhcpd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    net = hd.practice.subnet
    leases = [f"static_lease {h.mac} {h.ip}" for h in hd.practice.hosts if h.dhcp]
    conf = hd.write("udhcpd.conf", "\n".join([
        f"start {net.network_address + 100}",
        f"end {net.network_address + 199}",
        "interface eth0",
        f"lease_file {hd.state}/udhcpd.leases",
        f"pidfile {hd.state}/udhcpd.pid",
        f"opt router {hd.host.ip}",
        f"opt dns {hd.host.ip}",
        f"opt subnet {net.netmask}",
        "opt domain fritz.box",
        "opt lease 864000",
        *leases,
    ]) + "\n")
    (hd.state / "udhcpd.leases").touch()
    return [Proc("udhcpd", ("busybox", "udhcpd", "-f", str(conf)))]


@recipe("miniupnpd")
def _miniupnpd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    conf = hd.write("miniupnpd.conf", "\n".join([
        "ext_ifname=wan",
        "listening_ip=eth0",
        f"http_port={p.get('http_port', 5000)}",
        "enable_natpmp=yes",
        "enable_upnp=yes",
        "secure_mode=no",
        "system_uptime=yes",
        "notify_interval=30",
        "uuid=3d3cec3a-8cf0-11e0-98ee-3ca62f0a0101",
        f"friendly_name={p.get('friendly_name', 'Lab Router')}",
        "manufacturer_name=AVM",
        f"model_name={p.get('friendly_name', 'Lab Router')}",
        f"lease_file={hd.state}/upnp.leases",
        f"allow 1-65535 {hd.practice.subnet} 1-65535",
        "deny 0-65535 0.0.0.0/0 0-65535",
    ]) + "\n")
    return [Proc("miniupnpd", ("miniupnpd", "-d", "-f", str(conf)))]


@recipe("nginx")
def _nginx(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    www = hd.root / "www"
    www.mkdir(parents=True, exist_ok=True)
    title = p.get("title", hd.host.hostname)
    if p.get("page"):  # a recorded start page from files/ (no login form of its own)
        (www / "index.html").write_text((FILES / p["page"]).read_text())
    else:
        (www / "index.html").write_text(
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><form method='post' action='/login'>"
            "<input name='user'><input type='password' name='pass'></form></body></html>\n"
        )
    return [_nginx_proc(hd, p.get("http", []), p.get("https", []), www)]


@recipe("konnektor-web")
def _konnektor_web(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    www = hd.root / "www"
    www.mkdir(parents=True, exist_ok=True)
    sds = (FILES / "connector.sds").read_text().replace("{ip}", hd.host.ip)
    (www / "connector.sds").write_text(sds)
    (www / "index.html").write_text("")
    mgmt = hd.root / "www-mgmt"
    mgmt.mkdir(exist_ok=True)
    (mgmt / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>KoCoBox MED+ Administration</title></head>"
        "<body>Anmeldung</body></html>\n"
    )
    # connector.sds over plain HTTP is the spec default (ANCL_DVD_OPEN=Enabled).
    return [_nginx_proc(hd, [80], [443], www, extra_https={8500: mgmt})]


def _nginx_proc(
    hd: HostDir, http: list[int], https: list[int], www: Path,
    extra_https: dict[int, Path] | None = None,
) -> Proc:
    tmp = hd.state / "nginx"
    tmp.mkdir(parents=True, exist_ok=True)
    servers = [f"server {{ listen {hd.host.ip}:{port}; root {www}; }}" for port in http]
    if https or extra_https:
        crt, key = hd.cert()
        tls = f"ssl_certificate {crt}; ssl_certificate_key {key};"
        servers += [f"server {{ listen {hd.host.ip}:{port} ssl; {tls} root {www}; }}"
                    for port in https]
        servers += [f"server {{ listen {hd.host.ip}:{port} ssl; {tls} root {root}; }}"
                    for port, root in (extra_https or {}).items()]
    conf = hd.write("nginx.conf", f"""
daemon off;
worker_processes 1;
pid {hd.state}/nginx.pid;
error_log stderr;
events {{ worker_connections 64; }}
http {{
  access_log off;
  server_tokens on;
  types {{ text/html html; application/xml sds; text/xml xml; }}
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  {chr(10).join(servers)}
}}
""")
    return Proc("nginx", ("nginx", "-c", str(conf), "-p", str(tmp)))


@recipe("tls-listener")
def _tls_listener(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    # Stands in for the Konnektor's LDAPS proxy: a TLS endpoint with the host's certificate.
    crt, key = hd.cert()
    port = int(p["port"])
    return [Proc(f"tls-{port}", (
        "socat", "-u",
        f"OPENSSL-LISTEN:{port},bind={hd.host.ip},reuseaddr,fork,cert={crt},key={key},verify=0",
        "GOPEN:/dev/null",
    ))]


@recipe("tcp-sink")
@recipe("raw-print")
def _tcp_sink(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    port = int(p["port"])
    return [Proc(f"sink-{port}", (
        "socat", "-u", f"TCP-LISTEN:{port},bind={hd.host.ip},reuseaddr,fork", "GOPEN:/dev/null",
    ))]


@recipe("telnetd")
def _telnetd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    return [Proc("telnetd", ("busybox", "telnetd", "-F", "-p", "23", "-b", hd.host.ip,
                             "-l", "/bin/login"))]


@recipe("snmpd")
def _snmpd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    persist = hd.state / "snmp"
    persist.mkdir(parents=True, exist_ok=True)
    # ipv6: the agent listens on both families, as the Windows SNMP service does; the lab
    # host's IPv4 firewall may then hide it over IPv4 only (scanner/lab/ipv6.py: the gap)
    v6 = bool(p.get("ipv6"))
    conf = hd.write("snmpd.conf", "\n".join([
        f"agentAddress udp:{hd.host.ip}:161" + (",udp6:[::]:161" if v6 else ""),
        f"rocommunity public {hd.practice.subnet}",
        *(["rocommunity6 public fe80::/10", "rocommunity6 public fc00::/7",
           "rocommunity6 public 2001:db8:1:1::/64"] if v6 else []),
        f"sysDescr {p['sys_descr']}",
        f"sysName {p.get('sys_name', hd.host.hostname)}",
        f"sysObjectID {p.get('sys_object_id', '.1.3.6.1.4.1.8072.3.2.10')}",
        "sysLocation Praxis, Technikraum",
        "sysContact it@praxis.invalid",
    ]) + "\n")
    return [Proc("snmpd", (
        "snmpd", "-f", "-Lo", "-C", "-c", str(conf), "-p", str(hd.state / "snmpd.pid"),
        "-I", "-smux",
    ), env={"SNMP_PERSISTENT_DIR": str(persist), "MIBS": ""})]


@recipe("samba")
def _samba(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    sd = hd.state / "samba"
    for sub in ("lock", "state", "cache", "pid", "private", "ncalrpc", "log"):
        (sd / sub).mkdir(parents=True, exist_ok=True)
    # Compiled-in paths nmbd needs even with the directories above set.
    (hd.fs("run") / "samba").mkdir(parents=True, exist_ok=True)
    (hd.fs("var/log") / "samba").mkdir(parents=True, exist_ok=True)
    shares = []
    for name in p.get("shares", []):
        path = hd.root / "share" / name
        path.mkdir(parents=True, exist_ok=True)
        shares.append(f"[{name}]\n  path = {path}\n  guest ok = yes\n  read only = yes\n")
    smb1 = "  server min protocol = NT1\n  ntlm auth = ntlmv1-permitted\n" if p.get("smb1") else ""
    conf = hd.write("smb.conf", f"""[global]
  workgroup = {p.get('workgroup', 'WORKGROUP')}
  netbios name = {hd.host.hostname[:15].upper()}
  server string = {hd.host.hostname}
  interfaces = {hd.prefix}
  bind interfaces only = yes
{smb1}  map to guest = Bad User
  load printers = no
  disable spoolss = yes
  printcap name = /dev/null
  usershare path =
  lock directory = {sd}/lock
  state directory = {sd}/state
  cache directory = {sd}/cache
  pid directory = {sd}/pid
  private dir = {sd}/private
  ncalrpc dir = {sd}/ncalrpc
  log file = {sd}/log/log.%m
{chr(10).join(shares)}""")
    common = ("--foreground", "--no-process-group", "--debug-stdout", "-s", str(conf))
    return [Proc("smbd", ("smbd", *common)), Proc("nmbd", ("nmbd", *common))]


@recipe("postgresql")
def _postgresql(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not bins:
        raise LabError("PostgreSQL is not installed (run: bash scripts/dev.sh setup)")
    bindir = Path(bins[-1]).parent
    data = hd.state / "pgdata"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postgres", "postgres")
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bindir / "initdb"), "-D", str(data),
             "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-U", "postgres"],
            check=True, capture_output=True, cwd="/",
        )
        with (data / "pg_hba.conf").open("a") as f:
            f.write(f"host all all {hd.practice.subnet} scram-sha-256\n")
    return [Proc("postgres", (
        "runuser", "-u", "postgres", "--", str(bindir / "postgres"), "-D", str(data),
        "-c", f"listen_addresses={hd.host.ip}", "-c", "unix_socket_directories=",
        "-c", "fsync=off", "-c", "shared_buffers=16MB",
    ))]


@recipe("kim-module")
def _kim(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    return [Proc("kim-module", _emulator("kim", "--bind", hd.host.ip, "--smtp", "25",
                                         "--pop3", "110"))]


@recipe("xrdp")
def _xrdp(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    crt, key = hd.cert()
    (hd.fs("run") / "xrdp" / "sockdir").mkdir(parents=True, exist_ok=True)
    lines = []
    for line in Path("/etc/xrdp/xrdp.ini").read_text().splitlines():
        if line.startswith("port=3389"):
            line = f"port=tcp://{hd.host.ip}:3389"
        elif line.startswith("certificate="):
            line = f"certificate={crt}"
        elif line.startswith("key_file="):
            line = f"key_file={key}"
        elif line.startswith("EnableSyslog="):
            line = "EnableSyslog=false"
        lines.append(line)
    conf = hd.write("xrdp.ini", "\n".join(lines) + "\n")
    return [Proc("xrdp", ("xrdp", "-n", "-c", str(conf)))]


@recipe("sicct")
def _sicct(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    args = ["--ip", hd.host.ip, "--mac", hd.host.mac, "--name", p["terminal_name"]]
    if p.get("tls"):
        crt, key = hd.cert()
        args += ["--tls", p["tls"], "--cert", str(crt), "--key", str(key)]
    return [Proc("sicct", _emulator("sicct", *args))]


@recipe("dicom")
def _dicom(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    out = hd.state / "dicom"
    out.mkdir(parents=True, exist_ok=True)
    return [Proc("storescp", (
        sys.executable, "-m", "pynetdicom", "storescp", "-ba", hd.host.ip,
        "-aet", p.get("ae_title", "STORESCP"), "--ignore", "-od", str(out), str(p["port"]),
    ))]


@recipe("cups")
def _cups(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    cd = hd.state / "cups"
    for sub in ("cache", "spool", "tmp", "ssl", "ppd"):
        (cd / sub).mkdir(parents=True, exist_ok=True)
    (hd.fs("run") / "cups" / "certs").mkdir(parents=True, exist_ok=True)
    conf = hd.write("cupsd.conf", f"""LogLevel warn
Listen {hd.host.ip}:631
Listen 127.0.0.1:631
ServerName {hd.host.hostname}
Browsing No
BrowseLocalProtocols none
WebInterface Yes
DefaultAuthType Basic
<Location />
  Order allow,deny
  Allow all
</Location>
""")
    files = hd.write("cups-files.conf", f"""SystemGroup root
ServerRoot {cd}
CacheDir {cd}/cache
RequestRoot {cd}/spool
TempDir {cd}/tmp
AccessLog stderr
ErrorLog stderr
PageLog stderr
""")
    return [Proc("cupsd", ("cupsd", "-f", "-c", str(conf), "-s", str(files)))]


@recipe("vsftpd")
def _vsftpd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    (hd.fs("run") / "vsftpd" / "empty").mkdir(parents=True, exist_ok=True)
    anon = hd.root / "ftp"
    anon.mkdir(exist_ok=True)
    anonymous = p.get("anonymous", True)
    conf = hd.write("vsftpd.conf", "\n".join([
        "listen=YES", f"listen_address={hd.host.ip}", "listen_ipv6=NO", "background=NO",
        # vsftpd refuses every session (500 OOPS) when both kinds of login are off: without
        # anonymous access, local logins are on but limited to an empty user list, so every
        # USER is refused (the host's accounts never log in to the lab)
        f"anonymous_enable={'YES' if anonymous else 'NO'}",
        f"local_enable={'NO' if anonymous else 'YES'}", "write_enable=NO",
        *([] if anonymous else ["userlist_enable=YES", "userlist_deny=NO",
                                f"userlist_file={hd.write('vsftpd.users', '')}"]),
        # a Windows device PC's IIS FTP greets "220 Microsoft FTP Service"
        *([f"ftpd_banner={p['banner']}"] if p.get("banner") else []),
        f"anon_root={anon}", "secure_chroot_dir=/run/vsftpd/empty", "xferlog_enable=NO",
        "seccomp_sandbox=NO",
    ]) + "\n")
    return [Proc("vsftpd", ("vsftpd", str(conf)))]


@recipe("sshd")
def _sshd(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    key = hd.root / "tls" / "ssh_host_ed25519_key"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                       check=True, capture_output=True)
    (hd.fs("run") / "sshd").mkdir(parents=True, exist_ok=True)
    conf = hd.write("sshd_config", "\n".join([
        f"ListenAddress {hd.host.ip}", "Port 22", f"HostKey {key}",
        f"PidFile {hd.state}/sshd.pid", "UsePAM no", "PermitRootLogin no", "UseDNS no",
    ]) + "\n")
    return [Proc("sshd", ("/usr/sbin/sshd", "-D", "-e", "-f", str(conf)))]


@recipe("mdns")
def _mdns(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    spec = hd.write("mdns.json", json.dumps({
        "ip": hd.host.ip, "hostname": hd.host.hostname, "services": p["services"],
    }))
    return [Proc("mdns", _emulator("mdns", str(spec)))]


@recipe("chatter")
def _chatter(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    args = ["--ip", hd.host.ip, "--every", str(p.get("every", 3))]
    for name in p.get("llmnr", []):
        args += ["--llmnr", name]
    if p.get("sicct_discovery"):
        args += ["--sicct-discovery"]
    return [Proc("chatter", _emulator("chatter", *args))]


@recipe("synology-ssdp")
def _synology_ssdp(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    """A DiskStation's UPnP root device: the description DSM serves on its HTTP port (the
    nginx recipe's document root) and the NOTIFY that announces it. Its modelNumber carries
    the DSM version, as real DiskStations announce it (see files/synology-desc-DSM.xml)."""
    mac = hd.host.mac.replace(":", "").lower()
    www = hd.root / "www" / "ssdp"
    www.mkdir(parents=True, exist_ok=True)
    desc = (FILES / "synology-desc-DSM.xml").read_text()
    for key, value in (("ip", hd.host.ip), ("port", str(p.get("port", 5000))), ("mac", mac),
                       ("model", p["model"]), ("dsm", p["dsm"]), ("name", hd.host.hostname)):
        desc = desc.replace("{" + key + "}", escape(value))
    (www / "desc-DSM-eth0.xml").write_text(desc)
    location = f"http://{hd.host.ip}:{p.get('port', 5000)}/ssdp/desc-DSM-eth0.xml"
    return [Proc("ssdp", _emulator("chatter", "--ip", hd.host.ip, "--every", "3",
                                   "--ssdp-notify", location,
                                   "--ssdp-uuid", f"73796E6F-6473-6D00-0000-{mac}"))]


@recipe("tr064")
def _tr064(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    cfg = dict(hd.host.tr064 or {})
    cfg["myfritz_shares"] = [myfritz_share(hd.practice, s) for s in cfg.get("myfritz_shares", [])]
    conf = hd.write("tr064.json", json.dumps(cfg))
    return [Proc("tr064", _emulator("tr064", "--bind", hd.host.ip, "--port",
                                    str(cfg.get("port", 49000)), "--config", str(conf)))]


def myfritz_share(practice: Practice, share: dict[str, Any]) -> dict[str, Any]:
    """A MyFRITZ! share of practice.toml as GetServiceByIndex tells it: the device's MAC,
    name and addresses, its IPv6 ones by the interface ID the share is bound to."""
    from scanner.lab.ipv6 import GLOBAL_PREFIX, eui64

    h = practice.host(share["host"])
    stable = eui64(GLOBAL_PREFIX, h.mac)
    return {"Name": share.get("name", h.name), "Scheme": share.get("scheme", "https://"),
            "Port": share["port"], "MACAddress": h.mac.upper(), "HostName": h.hostname or h.name,
            "IPv4Addresses": h.ip, "IPv6Addresses": str(stable),
            "IPv6InterfaceIDs": str(ipaddress.IPv6Address(int(stable) & (2**64 - 1)))}


@recipe("iis")
def _iis(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    # IIS exists only on Windows: the emulator answers with IIS 7.5's or 8.5's recorded
    # headers and default page
    return [Proc("iis", _emulator("iis", "--bind", hd.host.ip, "--port", str(p.get("port", 80)),
                                  "--version", str(p.get("version", "7.5"))))]


@recipe("vnc")
def _vnc(hd: HostDir, p: dict[str, Any]) -> list[Proc]:
    """TigerVNC's Xvnc, headless: a real RFB server greeting ``RFB 003.008``. It asks for a
    VNC password that no one has (an empty password file), and keeps its X lock and socket
    in a /tmp of its own (tmpfs in its private mount namespace), not in the host's /tmp."""
    port = int(p.get("port", 5900))
    xvnc = (f"exec Xtigervnc :{port - 5900} -rfbport {port} -interface {hd.host.ip} "
            "-SecurityTypes VncAuth -PasswordFile /dev/null -nolisten tcp "
            f"-geometry 800x600 -depth 16 -desktop {hd.host.hostname}")
    return [Proc("xvnc", ("sh", "-c", "mount -t tmpfs -o size=4m,mode=1777 xvnc-tmp /tmp && "
                          + xvnc))]
