"""The scale segment's listeners: one process serving every host's TCP ports.

Run inside ``pxlab-scale`` by scale.build with a JSON list of [namespace, [ports]]. Each
listening socket is created inside its host's namespace (setns), so the host's kernel
answers SYNs, sends RSTs and applies its firewall as a real host would; one selector loop
then serves them all: SSH/FTP/VNC greetings, a small HTTP page, silence elsewhere.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import selectors
import socket
from typing import cast
import sys
import time

CLONE_NEWNET = 0x40000000
IDLE_SECONDS = 10.0
GREETINGS = {22: b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 21: b"220 (vsFTPd 3.0.3)\r\n",
             5900: b"RFB 003.008\n"}
HTTP_PORTS = {80, 8080}
_BODY = b"<html><head><title>Intranet</title></head><body>ok</body></html>\n"
PAGE = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(_BODY)) + _BODY

_libc = ctypes.CDLL(None, use_errno=True)


def _enter(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def _listeners(spec: list[list]) -> list[tuple[socket.socket, int]]:
    home = "/proc/self/ns/net"
    home_fd = os.open(home, os.O_RDONLY)
    out = []
    try:
        for ns, ports in spec:
            _enter(f"/run/netns/{ns}")
            for port in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", port))
                s.listen(64)
                s.setblocking(False)
                out.append((s, port))
    finally:
        _libc.setns(home_fd, CLONE_NEWNET)
        os.close(home_fd)
    return out


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    sel = selectors.DefaultSelector()
    for s, port in _listeners(spec):
        sel.register(s, selectors.EVENT_READ, ("listen", port))
    print(f"listening: {len(spec)} hosts", flush=True)
    opened: dict[socket.socket, float] = {}
    while True:
        for key, _ in sel.select(timeout=1.0):
            what, port = key.data
            sock = cast(socket.socket, key.fileobj)
            if what == "listen":
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                conn.setblocking(False)
                try:
                    conn.send(GREETINGS.get(port, b""))
                except OSError:
                    pass
                sel.register(conn, selectors.EVENT_READ, ("conn", port))
                opened[conn] = time.monotonic()
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data and port in HTTP_PORTS and b"\r\n\r\n" in data:
                try:
                    sock.send(PAGE)
                except OSError:
                    pass
                data = b""
            elif data and port == 21:
                try:
                    sock.send(b"530 Login incorrect.\r\n")
                except OSError:
                    pass
            if not data:
                sel.unregister(sock)
                opened.pop(sock, None)
                sock.close()
        now = time.monotonic()
        for conn, since in list(opened.items()):
            if now - since > IDLE_SECONDS:
                sel.unregister(conn)
                del opened[conn]
                conn.close()


if __name__ == "__main__":
    main()
