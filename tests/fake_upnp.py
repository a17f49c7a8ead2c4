"""A hostile UPnP Internet gateway for tests: SSDP announcer, device description, SCPD and
SOAP port mappings, each answer as configured (malformed values verbatim, XML-escaped).

In-process on loopback: ``with FakeGateway(config) as gw: ...`` (``gw.hits`` lists the paths
asked). In a test namespace: ``ip netns exec NS python -m tests.fake_upnp CONFIG.json``
prints "ready" once it serves and announces. Config keys: ``ip``, ``port``, ``announce``
(SSDP LOCATION URLs, sent as NOTIFY every second and as answers to M-SEARCH),
``services`` ([serviceType, controlURL, SCPDURL] triples), ``mappings`` (dicts of
``New...`` fields, a missing key is a missing element), ``url_base``, ``redirect`` (the
description answers 302 to this URL instead), ``log`` (a file: one line per request).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

WAN_IP = "urn:schemas-upnp-org:service:WANIPConnection:1"
FAULT_713 = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
             "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
             '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>713</errorCode>'
             "<errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError>"
             "</detail></s:Fault></s:Body></s:Envelope>")


def description(cfg: dict) -> str:
    services = "".join(
        f"<service><serviceType>{escape(st)}</serviceType><serviceId>urn:x:{i}</serviceId>"
        f"<controlURL>{escape(ctl)}</controlURL><SCPDURL>{escape(scpd)}</SCPDURL></service>"
        for i, (st, ctl, scpd) in enumerate(cfg.get("services", [[WAN_IP, "/ctl", "/scpd.xml"]])))
    base = f"<URLBase>{escape(cfg['url_base'])}</URLBase>" if cfg.get("url_base") else ""
    return ('<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">' + base +
            "<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
            "<friendlyName>Fake IGD</friendlyName><manufacturer>pxtest</manufacturer>"
            "<modelName>Hostile Gateway</modelName><deviceList><device><deviceType>"
            "urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>"
            f"<serviceList>{services}</serviceList></device></deviceList></device></root>")


SCPD = ('<?xml version="1.0"?><scpd xmlns="urn:schemas-upnp-org:service-1-0"><actionList>'
        "<action><name>GetGenericPortMappingEntry</name></action>"
        "<action><name>AddPortMapping</name></action></actionList></scpd>")


def soap(action: str, service: str, fields: dict[str, str]) -> str:
    args = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields.items())
    return ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<s:Body><u:{action}Response xmlns:u="{escape(service)}">{args}'
            f"</u:{action}Response></s:Body></s:Envelope>")


def make_handler(cfg: dict, hits: list[str]):  # noqa: ANN201
    class Handler(BaseHTTPRequestHandler):
        server_version = "Linux UPnP/1.1 FakeIGD/1.0"

        def log_message(self, *args: object) -> None:
            pass

        def log_request(self, code: object = "-", size: object = "-") -> None:
            if cfg.get("log"):  # run as a process: the test reads what was asked
                with open(cfg["log"], "a") as f:
                    f.write(f"{self.command} {self.path}\n")

        def _send(self, code: int, body: str, extra: dict[str, str] | None = None) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", 'text/xml; charset="utf-8"')
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            hits.append(f"GET {self.path}")
            if self.path == "/desc.xml" and cfg.get("redirect"):
                return self._send(302, "", {"Location": cfg["redirect"]})
            if self.path == "/desc.xml":
                return self._send(200, description(cfg))
            if self.path == "/scpd.xml":
                return self._send(200, SCPD)
            self._send(404, "<html>404</html>")

        def do_POST(self) -> None:  # noqa: N802
            hits.append(f"POST {self.path}")
            body = self.rfile.read(min(int(self.headers.get("Content-Length", "0")), 65536))
            service, _, action = self.headers.get("SOAPAction", "").strip('"').rpartition("#")
            if action == "GetExternalIPAddress":
                return self._send(200, soap(action, service, {
                    "NewExternalIPAddress": cfg.get("external_ip", "11.22.33.44")}))
            m = re.search(rb"<NewPortMappingIndex>(\d+)</NewPortMappingIndex>", body)
            mappings = cfg.get("mappings", [])
            if action == "GetGenericPortMappingEntry" and m and int(m.group(1)) < len(mappings):
                return self._send(200, soap(action, service, mappings[int(m.group(1))]))
            self._send(500, FAULT_713)

    return Handler


def notify(location: str) -> bytes:
    return ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
            f"LOCATION: {location}\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
            "SERVER: Linux UPnP/1.1 FakeIGD/1.0\r\nUSN: uuid:fake::upnp:rootdevice\r\n\r\n"
            ).encode()


def response(location: str) -> bytes:
    return ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
            f"LOCATION: {location}\r\nSERVER: Linux UPnP/1.1 FakeIGD/1.0\r\nST: upnp:rootdevice\r\n"
            "USN: uuid:fake::upnp:rootdevice\r\n\r\n").encode()


class FakeGateway:
    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.hits: list[str] = []
        self.http = ThreadingHTTPServer((cfg["ip"], cfg.get("port", 0)),
                                        make_handler(cfg, self.hits))
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        return self.http.server_address[1]

    def __enter__(self) -> FakeGateway:
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        if self.cfg.get("announce"):
            threading.Thread(target=self._announce, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.http.shutdown()
        self.http.server_close()

    def _announce(self) -> None:
        """NOTIFY every second from ip:1900; a unicast answer to every M-SEARCH."""
        ip = self.cfg["ip"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", 1900))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(ip)))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
        s.settimeout(0.2)
        last = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last >= 1.0:
                for loc in self.cfg["announce"]:
                    s.sendto(notify(loc), ("239.255.255.250", 1900))
                last = time.monotonic()
            try:
                data, peer = s.recvfrom(2048)
            except OSError:
                continue
            if data.startswith(b"M-SEARCH") and peer[0] != ip:
                for loc in self.cfg["announce"]:
                    s.sendto(response(loc), peer)


if __name__ == "__main__":
    config = json.loads(open(sys.argv[1]).read())
    with FakeGateway(config):
        print("ready", flush=True)
        while True:
            time.sleep(3600)
