"""nmap's service database: the installed nmap-service-probes against real responses.

Real parts: the installed /usr/share/nmap/nmap-service-probes, greetings and HTTP answers
from the shared captures (public ones and our lab's daemons), and the real nmap binary as
the judge (it scans replaying servers on loopback). The file-format parser is a seam: tiny
synthetic files test the template helpers exactly.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from pathlib import Path

import pytest

from scanner import nmapdb
from scanner.model import Role
from scanner.nmapdb import Unavailable, load
from scanner.nmapdb.fileformat import parse, unescape
from scanner.nmapdb.pcre import Untranslatable, translate
from scanner.nmapdb.roles import DeviceTypeTableError, device_types, role_for_device_type
from scanner.nmapdb.templates import fill, transform_cpe
from tests.conftest import REPO, captures_dir, unavailable


@pytest.fixture(scope="module")
def db() -> nmapdb.ServiceDatabase:
    got = load()
    if isinstance(got, Unavailable):
        unavailable(f"nmap's service database: {got.reason}")
    assert isinstance(got, nmapdb.ServiceDatabase)
    return got


def tcp_streams(pcap: Path) -> list[tuple[int, bytes, bytes, bytes]]:
    """Per TCP connection with a SYN: (server port, what the server said before the client
    spoke, the client's first bytes, everything the server sent)."""
    from scapy.all import IP, TCP, IPv6, rdpcap

    conns: OrderedDict[frozenset, dict] = OrderedDict()
    for pkt in rdpcap(str(pcap)):
        if TCP not in pkt:
            continue
        ip = pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None
        if ip is None:
            continue
        t = pkt[TCP]
        c = conns.setdefault(frozenset([(ip.src, t.sport), (ip.dst, t.dport)]),
                             {"syn": None, "segs": []})
        if t.flags.S and not t.flags.A:
            c["syn"] = ((ip.src, t.sport), t.dport)
        if bytes(t.payload):
            c["segs"].append(((ip.src, t.sport), t.seq, bytes(t.payload)))
    out = []
    for c in conns.values():
        if not c["syn"]:
            continue
        client, port = c["syn"]
        first, request, server, spoke = b"", b"", b"", False
        for who, _, payload in c["segs"]:
            if who == client:
                spoke = True
                request = request or payload
            elif not spoke:
                first += payload
        # The server's bytes in sequence order, each byte once (captures reorder and resend).
        segs = [(seq, p) for who, seq, p in c["segs"] if who != client]
        if segs:
            base = min(seq for seq, _ in segs)
            got: dict[int, int] = {}
            for seq, payload in segs:
                for k, b in enumerate(payload):
                    got.setdefault((seq - base) % 2**32 + k, b)
            end = 0
            while end in got:
                end += 1
            server = bytes(got[k] for k in range(end))
        if first and not server.startswith(first):
            first = server[:len(first)]
        out.append((port, first, request, server))
    return out


def greetings(pcap: str) -> list[bytes]:
    """What a server said first. SSH servers go on with their key exchange once the client
    has sent its own banner; our SSH probe reads only the first line, so that is kept."""
    out = []
    for _, first, _, server in tcp_streams(captures_dir() / pcap):
        said = first or server
        if said.startswith(b"SSH-"):
            said = said[:said.index(b"\n") + 1] if b"\n" in said else said
            out.append(said)
        elif first:
            out.append(first)
    return out


def _greeting(name: str) -> bytes:
    """``file.pcap`` is its first greeting, ``file.pcap#1`` the second."""
    pcap, _, n = name.partition("#")
    return greetings(pcap)[int(n or 0)]


# --- the installed file -----------------------------------------------------------------

def test_the_installed_file_loads_and_every_null_and_get_line_compiles(db) -> None:
    assert db.match_lines > 11000
    assert db.parse_notes == ()
    assert "NULL" in db.probe_names() and "GetRequest" in db.probe_names()
    null, get = db.compiled("NULL"), db.compiled("GetRequest")
    assert null > 3500 and get > 4500
    assert db.compile_notes == [], db.compile_notes[:5]


def test_import_and_load_compile_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import scanner.nmapdb, scanner.nmapdb.database as d\n"
         "db = d.load()\nprint(getattr(db, '_compiled', None) == {})"],
        capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "True"


# --- real greetings and answers, as nmap itself named the same daemons --------------------

def _nmap_verdicts() -> dict[int, dict[str, object]]:
    """What real nmap 7.93 said about the lab daemons whose sessions lab_services.pcap holds."""
    root = ET.parse(captures_dir() / "lab" / "lab_nmap_tcp.xml").getroot()
    out: dict[int, dict[str, object]] = {}
    for port in root.iter("port"):
        svc = port.find("service")
        if svc is not None and svc.get("method") == "probed":
            out[int(port.get("portid"))] = {**svc.attrib,
                                           "cpes": {c.text for c in svc.findall("cpe")}}
    return out


@pytest.mark.parametrize("port,probe", [(21, "NULL"), (22, "NULL"), (80, "GetRequest")])
def test_lab_daemons_get_the_product_version_and_cpe_nmap_gave_them(db, port, probe) -> None:
    streams = [s for s in tcp_streams(captures_dir() / "lab" / "lab_services.pcap") if s[0] == port]
    response = next(first if probe == "NULL" else server for _, first, request, server in streams
                    if (first if probe == "NULL" else request.startswith(b"GET / ")))
    nmap = _nmap_verdicts()[port]
    got = db.match_response(probe, response)
    assert got is not None and not got.soft
    assert (got.service, got.product, got.version) == (nmap["name"], nmap["product"],
                                                       nmap["version"])
    assert got.info == nmap.get("extrainfo", "") and got.os == nmap.get("ostype", "")
    # nmap's XML keeps one CPE per part (application, OS); we keep every one the line names.
    assert nmap["cpes"] <= set(got.cpes)


# What praxisscan's HTTP probe sends (scanner/probes/web.py fetch), as bytes.
GET_REQUEST = (b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: praxisscan\r\nAccept: */*\r\n"
               b"Connection: close\r\n\r\n")
_CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", 631), 2)
s.sendall(bytes.fromhex(sys.argv[1]))
data = b""
while len(data) < 256 * 1024:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.hex())
"""


@pytest.fixture
def cups_answer(tmp_path) -> bytes:
    """The raw answer of a real cupsd (the lab's configuration) to our GET, in a namespace of
    our own: the lab capture holds curl's HTTP/1.1 exchange, but we send HTTP/1.0, and CUPS
    answers in the version it was asked (nmap's CUPS lines expect HTTP/1.0)."""
    if os.geteuid() != 0:
        unavailable("needs root to create a network namespace")
    if not shutil.which("cupsd"):
        unavailable("cupsd is not installed (bash scripts/dev.sh setup)")
    for sub in ("cache", "spool", "tmp", "ssl", "ppd"):
        (tmp_path / sub).mkdir()
    (tmp_path / "cupsd.conf").write_text(
        "LogLevel warn\nListen 127.0.0.1:631\nServerName labprinter\nBrowsing No\n"
        "BrowseLocalProtocols none\nWebInterface Yes\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n")
    (tmp_path / "cups-files.conf").write_text(
        f"SystemGroup root\nServerRoot {tmp_path}\nCacheDir {tmp_path}/cache\n"
        f"RequestRoot {tmp_path}/spool\nTempDir {tmp_path}/tmp\nStateDir {tmp_path}\n"
        "AccessLog stderr\nErrorLog stderr\nPageLog stderr\n")
    ns = f"pxtest-nmapdb-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
    daemon = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, capture_output=True)
        daemon = subprocess.Popen(["ip", "netns", "exec", ns, "cupsd", "-f", "-c",
                                   str(tmp_path / "cupsd.conf"), "-s",
                                   str(tmp_path / "cups-files.conf")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", _CLIENT,
                                  GET_REQUEST.hex()], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout:
                return bytes.fromhex(out.stdout)
            time.sleep(0.1)
        pytest.fail(f"cupsd did not answer: {out.stderr[-300:]}")
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_real_cups_gets_the_product_version_and_cpe_nmap_gave_it(db, cups_answer) -> None:
    nmap = _nmap_verdicts()[631]
    got = db.match_response("GetRequest", cups_answer)
    assert got is not None and not got.soft
    assert (got.service, got.product, got.version) == (nmap["name"], nmap["product"],
                                                       nmap["version"])
    assert nmap["cpes"] <= set(got.cpes)


@pytest.mark.parametrize("pcap,expect", [
    ("services/ndpi_ssh.pcap", ("ssh", "OpenSSH", "5.3", "protocol 2.0")),
    ("services/tcpdump_ssh.pcap", ("ssh", "OpenSSH", "7.4p1 Debian 10+deb9u3", "protocol 2.0")),
    ("services/zeek_ssh1-ssh2-fingerprints.pcap",
     ("ssh", "OpenSSH", "8.2p1 Ubuntu 4ubuntu0.1", "Ubuntu Linux; protocol 2.0")),
    ("services/zeek_ssh1-ssh2-fingerprints.pcap#1", ("ssh", "OpenSSH", "6.6", "protocol 1.5")),
    ("services/ndpi_ftp.pcap", ("ftp", "vsftpd", "3.0.3", "")),
    ("services/zeek_ftp_ipv4.pcap", ("ftp", "NetBSD lukemftpd", "", "")),
])
def test_public_greetings_are_named(db, pcap, expect) -> None:
    first = _greeting(pcap)
    got = db.match_response("NULL", first)
    assert got is not None, first[:80]
    assert (got.service, got.product, got.version, got.info) == expect
    assert got.reason == f"nmap-service-probes:{got.line}"
    assert got.probe == "NULL"


def test_the_netbsd_greeting_gives_hostname_and_os(db) -> None:
    got = db.match_response("NULL", greetings("services/zeek_ftp_ipv4.pcap")[0])
    assert got and (got.hostname, got.os, got.cpes) == ("ftp.NetBSD.org", "NetBSD",
                                                        ("cpe:/o:netbsd:netbsd",))


def test_a_greeting_on_an_http_port_falls_back_to_the_null_lines(db) -> None:
    ssh = greetings("services/ndpi_ssh.pcap")[0]
    got = db.match_response("GetRequest", ssh)
    assert got and got.product == "OpenSSH" and got.probe == "NULL"


def test_nothing_is_named_from_nothing_or_from_an_unknown_probe(db) -> None:
    assert db.match_response("NULL", b"") is None
    assert db.match_response("NoSuchProbe", b"SSH-2.0-OpenSSH_9.2p1\r\n") is None
    assert db.match_response("NULL", b"hello, I am nobody in particular\r\n") is None


def test_device_types_reach_roles(db) -> None:
    # The greeting of an HP JetDirect print server's FTP, as nmap's own line spells it.
    hits = [m for m in db._probes[("TCP", "NULL")].matches
            if m.pattern.startswith(b"^220 JD FTP Server Ready")]
    assert hits, "the installed file has no JetDirect FTP line any more"
    got = db.match_response("NULL", b"220 JD FTP Server Ready\r\n")
    assert got and (got.product, got.device_type) == ("HP JetDirect ftpd", "print server")
    assert role_for_device_type(got.device_type) is Role.PRINTER


# --- real nmap as the judge -----------------------------------------------------------

class _Replay:
    """A loopback server that says ``greeting`` on connect, or answers ``GET /`` with
    ``answer`` (anything else: no answer), like the device it was recorded from."""

    def __init__(self, greeting: bytes = b"", answer: bytes = b"") -> None:
        self.greeting, self.answer = greeting, answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(10)
                if self.greeting:
                    conn.sendall(self.greeting)
                    conn.recv(1024)
                    return
                if conn.recv(4096).startswith(b"GET / "):
                    conn.sendall(self.answer)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def test_we_agree_with_real_nmap_on_every_captured_response(db) -> None:
    if not shutil.which("nmap"):
        unavailable("nmap is not installed")
    cases: list[tuple[str, bytes]] = []
    for pcap in ("services/ndpi_ssh.pcap", "services/tcpdump_ssh.pcap",
                 "services/zeek_ssh1-ssh2-fingerprints.pcap",
                 "services/zeek_ssh1-ssh2-fingerprints.pcap#1",
                 "services/ndpi_ftp.pcap", "services/zeek_ftp_ipv4.pcap"):
        cases.append(("NULL", _greeting(pcap)))
    lab = tcp_streams(captures_dir() / "lab" / "lab_services.pcap")
    for port in (21, 22):
        cases.append(("NULL", next(first for p, first, _, _ in lab if p == port and first)))
    for port in (80,):
        cases.append(("GetRequest", next(s for p, _, r, s in lab
                                         if p == port and r.startswith(b"GET / "))))
    servers = [_Replay(greeting=r) if probe == "NULL" else _Replay(answer=r) for probe, r in cases]
    try:
        out = subprocess.run(
            ["nmap", "-n", "-Pn", "-sT", "-sV", "--version-intensity", "2", "-oX", "-",
             "-p", ",".join(str(s.port) for s in servers), "127.0.0.1"],
            capture_output=True, text=True, timeout=300)
    finally:
        for s in servers:
            s.close()
    assert out.returncode == 0, out.stderr
    verdicts = {int(p.get("portid")): p.find("service") for p in ET.fromstring(out.stdout).iter("port")}
    for (probe, response), server in zip(cases, servers, strict=True):
        nmap = verdicts[server.port]
        ours = db.match_response(probe, response)
        assert nmap is not None and nmap.get("method") == "probed", response[:60]
        assert ours is not None, response[:60]
        assert (ours.service, ours.product, ours.version, ours.info, ours.os, ours.hostname) == (
            nmap.get("name"), nmap.get("product", ""), nmap.get("version", ""),
            nmap.get("extrainfo", ""), nmap.get("ostype", ""), nmap.get("hostname", "")), \
            response[:60]
        assert {c.text for c in nmap.findall("cpe")} <= set(ours.cpes)


# --- hostile responses --------------------------------------------------------------

def test_hostile_responses_never_raise_and_stay_bounded(db) -> None:
    rnd = random.Random(14)
    hostile = [
        bytes(rnd.getrandbits(8) for _ in range(1 << 20)),
        b"A" * (1 << 20),
        b"\x00\xff" * (1 << 19),
        bytes(range(32)) * 4096,
        b"HTTP/1.1 200 OK\r\n" + b"Server: " + b"x" * 100000 + b"\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n" + b"Set-Cookie: a=b\r\n" * 5000 + b"\r\n<title>" + b"<" * 50000,
        b"220 " + b"(vsFTPd " * 5000,
        b"SSH-2.0-" + b"OpenSSH_" * 10000 + b"\r\n",
        b"\r\n" * 100000,
        b"\xff\xfb\x01" * 30000,
    ]
    start = time.monotonic()
    for data in hostile:
        for probe in ("NULL", "GetRequest"):
            got = db.match_response(probe, data)
            assert got is None or len(got.product) < 80 and len(got.info) < 256
    # Generous: a bound against runaway backtracking, not a performance target.
    assert time.monotonic() - start < 60


# --- missing and garbled files ---------------------------------------------------------

def test_a_missing_file_is_not_available_never_a_crash(tmp_path) -> None:
    got = load(tmp_path / "nmap-service-probes")
    assert isinstance(got, Unavailable) and "cannot read" in got.reason
    note = got.not_tested("192.168.1.5")
    assert (note.check, note.host) == ("nmap-service-probes", "192.168.1.5")


def test_a_datadir_without_the_file_is_not_available(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NMAPDIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    paths = nmapdb.candidate_paths(tmp_path / "datadir")
    assert paths[0] == tmp_path / "datadir" / "nmap-service-probes"
    assert paths[1] == tmp_path / "nmap-service-probes"


def test_nmapdir_is_honoured(tmp_path, monkeypatch) -> None:
    (tmp_path / "nmap-service-probes").write_text(
        "Probe TCP NULL q||\nmatch ftp m|^220 mine| p/Mine/\n")
    monkeypatch.setenv("NMAPDIR", str(tmp_path))
    got = load()
    assert isinstance(got, nmapdb.ServiceDatabase) and got.path == tmp_path / "nmap-service-probes"
    assert got.match_response("NULL", b"220 mine\r\n").product == "Mine"


@pytest.mark.parametrize("content", [
    b"", b"\x00\x01\x02garbage\xff" * 100, b"<html>not it</html>\n",
    b"Probe TCP NULL q||\n", b"match ftp m|^220| p/x/\n",
])
def test_a_garbled_file_is_not_available(tmp_path, content) -> None:
    path = tmp_path / "nmap-service-probes"
    path.write_bytes(content)
    got = load(path)
    assert isinstance(got, Unavailable) and "not an nmap-service-probes file" in got.reason


def test_an_unreadable_file_is_not_available(tmp_path) -> None:
    path = tmp_path / "nmap-service-probes"
    path.mkdir()  # a directory where the file should be: open() fails even for root
    got = load(path)
    assert isinstance(got, Unavailable) and str(path) in got.reason


def test_bad_lines_are_skipped_with_a_note_and_the_rest_is_used(tmp_path) -> None:
    path = tmp_path / "nmap-service-probes"
    path.write_text("Probe TCP NULL q||\n"
                    "match ftp m|^220 (| p/broken regex/\n"
                    "match ftp m|^220 ok|x p/bad flag/\n"
                    "frobnicate 1\n"
                    "match ftp m|^220 good| p/Good/\n")
    got = load(path)
    assert isinstance(got, nmapdb.ServiceDatabase)
    assert [n.split(": ")[0] for n in got.parse_notes] == ["nmap-service-probes:3",
                                                          "nmap-service-probes:4"]
    assert got.match_response("NULL", b"220 good") is not None
    assert [n.split(": ")[0] for n in got.compile_notes] == ["nmap-service-probes:2"]


# --- the file format: a seam we test with tiny synthetic files ------------------------

def _db(tmp_path: Path, lines: str) -> nmapdb.ServiceDatabase:
    path = tmp_path / "nmap-service-probes"
    path.write_bytes(("Probe TCP NULL q||\n" + lines).encode("latin-1"))
    got = load(path)
    assert isinstance(got, nmapdb.ServiceDatabase), got
    return got


def test_any_delimiter_flags_and_every_field(tmp_path) -> None:
    db = _db(tmp_path, "match x m=^HELLO (\\w+ \\w+) on ([\\w.]+)=i p|Prod $1| v/1.0/ i%extra%"
                       " h/$2/ o/Linux/ d/WAP/ cpe:/a:Vendor:$1:1.0/a cpe:|h:vendor:box|\n")
    got = db.match_response("NULL", b"hello Big Box on ap.local\r\n")
    assert got == nmapdb.NmapMatch("x", "Prod Big Box", "1.0", "extra", "ap.local", "Linux",
                                   "WAP", ("cpe:/a:Vendor:big_box:1.0", "cpe:/h:vendor:box"),
                                   2, False, "NULL")


def test_the_s_flag_lets_dot_cross_lines(tmp_path) -> None:
    db = _db(tmp_path, "match a m|^A.B| p/no s/\nmatch b m|^A.B|s p/with s/\n")
    assert db.match_response("NULL", b"A\nB").product == "with s"
    assert db.match_response("NULL", b"AxB").product == "no s"


def test_softmatch_names_the_service_and_a_later_hard_match_of_it_wins(tmp_path) -> None:
    db = _db(tmp_path, "softmatch ftp m|^220 |\n"
                       "match ssh m|^220 Foo| p/Not FTP/\n"
                       "match ftp m|^220 Foo (\\d+)| p/FooFTP/ v/$1/\n")
    hard = db.match_response("NULL", b"220 Foo 7\r\n")
    assert (hard.service, hard.product, hard.version, hard.soft, hard.line) == (
        "ftp", "FooFTP", "7", False, 4)
    soft = db.match_response("NULL", b"220 Bar\r\n")
    assert (soft.service, soft.product, soft.soft, soft.line) == ("ftp", "", True, 2)


def test_a_hard_match_before_any_softmatch_wins(tmp_path) -> None:
    db = _db(tmp_path, "match smtp m|^220 mail| p/Mail/\nsoftmatch ftp m|^220 |\n")
    assert db.match_response("NULL", b"220 mail\r\n").service == "smtp"


def test_fallback_order_get_lines_then_named_fallbacks_then_null(tmp_path) -> None:
    db = _db(tmp_path, "match ssh m|^SSH-| p/From NULL/\n"
                       "Probe TCP Other q|x|\nmatch http m|^HTTP/1.0 200| p/From Other/\n"
                       "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\nfallback Other\n"
                       "match http m|^HTTP/1.1 200| p/From Get/\n")
    assert db.match_response("GetRequest", b"HTTP/1.1 200 OK").product == "From Get"
    assert db.match_response("GetRequest", b"HTTP/1.0 200 OK").product == "From Other"
    assert db.match_response("GetRequest", b"SSH-2.0-x").product == "From NULL"
    assert db.match_response("NULL", b"HTTP/1.1 200 OK") is None


def test_p_helper_keeps_printable_ascii_only(tmp_path) -> None:
    db = _db(tmp_path, "match smb m|^WG:(.*)$|s p/$P(1)/\n")
    got = db.match_response("NULL", "WG:W\0O\0R\0K\0G\0R\0O\0U\0P\0\x7f\xe4\t!".encode("latin-1"))
    assert got.product == "WORKGROUP!"


def test_subst_helper_replaces_every_occurrence(tmp_path) -> None:
    db = _db(tmp_path, 'match x m|^V(\\S+)| v/$SUBST(1,"_",".")/ i/$SUBST(1,"_","\\x20and ")/\n')
    got = db.match_response("NULL", b"V1_2_33 ")
    assert (got.version, got.info) == ("1.2.33", "1 and 2 and 33")


def test_i_helper_unpacks_big_and_little_endian(tmp_path) -> None:
    db = _db(tmp_path, 'match x m|^I(..)(....)|s v/$I(1,">")/ i/$I(2,"<")/\n')
    got = db.match_response("NULL", b"I\x01\x02\x01\x00\x00\x80")
    assert (got.version, got.info) == ("258", str(0x80000001))


def test_i_helper_refuses_more_than_eight_bytes(tmp_path) -> None:
    db = _db(tmp_path, 'match x m|^I(.*)|s p/P/ v/$I(1,">")/\n')
    assert db.match_response("NULL", b"I" + b"\x01" * 8).version == str(0x0101010101010101)
    assert db.match_response("NULL", b"I" + b"\x01" * 9).version == ""


def test_unfillable_templates_leave_the_field_empty_as_nmap_does(tmp_path) -> None:
    db = _db(tmp_path, "match x m|^(a)| p/$2/ v/$Q(1)/ i/ok, / h/$P(1/ o/$1$1/\n")
    got = db.match_response("NULL", b"a")
    assert (got.product, got.version, got.info, got.hostname, got.os) == ("", "", "ok", "", "aa")


def test_only_one_digit_is_a_group_number() -> None:
    assert fill("$10", [b"x", b"one"], 80) == "one0"


def test_trailing_spaces_and_commas_are_cut() -> None:
    assert fill("v $1, ,", [b"", b"1 "], 80) == "v 1"


def test_a_result_longer_than_nmaps_field_is_dropped() -> None:
    assert fill("$1", [b"", b"x" * 79], 80) == "x" * 79
    assert fill("$1", [b"", b"x" * 80], 80) == ""


def test_cpe_values_are_made_url_safe_literal_text_is_not() -> None:
    assert transform_cpe("Big Box: v1/2") == "big_box%3A_v1%2F2"
    db_line = parse("Probe TCP NULL q||\nmatch x m|^(.+)$| cpe:/a:Vendor:$1/\n").probes[0].matches[0]
    assert db_line.cpes == ("a:Vendor:$1",)


def test_probe_strings_are_unescaped() -> None:
    probe = parse("Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n").probes[0]
    assert probe.payload == b"GET / HTTP/1.0\r\n\r\n"
    assert unescape("\\0\\x41\\\\\\t") == b"\x00A\\\t"


def test_pcre_only_constructs_are_translated_or_refused() -> None:
    import re

    assert re.search(translate(rb"^ok\Z"), b"ok\n")  # PCRE \Z allows a final newline
    assert not re.search(translate(rb"^ok\z"), b"ok\n")
    assert re.fullmatch(translate(rb"[[:alpha:]]+\h\e"), b"abc \x1b")
    assert re.fullmatch(translate(rb"x{,2}"), b"x{,2}")  # a literal in PCRE 8
    assert re.fullmatch(translate(rb"[^]]+"), b"abc")
    assert re.fullmatch(translate(rb"(?<v>\d+)"), b"42").group("v") == b"42"
    with pytest.raises(Untranslatable):
        translate(rb"\Qa.b\E")


# --- device types ---------------------------------------------------------------------

def test_every_device_type_in_the_installed_file_is_in_the_table(db) -> None:
    used = {dict(m.templates)["d"] for p in db._probes.values() for m in p.matches
            if "d" in dict(m.templates) and "$" not in dict(m.templates)["d"]}
    unknown = used - set(device_types())
    assert not unknown, f"device types of nmap-service-probes missing in the table: {unknown}"


@pytest.mark.parametrize("nmap_type,role", [
    ("printer", Role.PRINTER), ("print server", Role.PRINTER), ("WAP", Role.ACCESS_POINT),
    ("switch", Role.SWITCH), ("router", Role.ROUTER), ("broadband router", Role.ROUTER),
    ("storage-misc", Role.NAS), ("webcam", Role.CAMERA), ("VoIP phone", Role.VOIP_PHONE),
    ("PBX", Role.PBX), ("power-device", Role.UPS), ("media device", Role.MEDIA),
    ("remote management", Role.MANAGEMENT_CONTROLLER), ("specialized", None), ("no such type", None),
])
def test_device_types_map_to_roles(nmap_type, role) -> None:
    assert role_for_device_type(nmap_type) is role


def test_the_table_refuses_a_role_the_model_does_not_know(tmp_path) -> None:
    bad = tmp_path / "device_types.toml"
    bad.write_text('[type."webcam"]\nrole = "toaster"\n')
    with pytest.raises(DeviceTypeTableError, match="toaster"):
        device_types(bad)
