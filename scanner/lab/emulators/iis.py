"""Lab stand-in for IIS 7.5 (a Windows 7 device PC) or IIS 8.5 (a Windows Server 2012 R2
practice server): its default page and its headers.

IIS runs on Windows only, so the lab cannot run the real thing. What this answers is what a
real IIS 7.5 answers to ``GET /`` as recorded in public write-ups (e.g. of the retired Hack
The Box machine "Devel", a Windows 7 host): ``Server: Microsoft-IIS/7.5``,
``X-Powered-By: ASP.NET`` and the default document iisstart.htm (689 bytes, title "IIS7").
Any other path gets IIS's 404. Nothing is logged about the requests: the capture test
records them.

IIS 8.5 (``--version 8.5``): ``Server: Microsoft-IIS/8.5`` and Server 2012 R2's iisstart.htm,
title "IIS Windows Server" and the image iis-85.png, as read from the disk of the retired
Hack The Box machine "Silo" (a Server 2012 R2 host; public write-ups). With CRLF line ends and
no final line end it is 701 bytes, the size another public nmap log lists for iisstart.htm
beside iis-85.png on an IIS 8.5 host.
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IISSTART = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\r\n'
    "<title>IIS7</title>\r\n<style type=\"text/css\">\r\n<!--\r\nbody {\r\n\tcolor:#000000;\r\n"
    "\tbackground-color:#B3B3B3;\r\n\tmargin:0;\r\n}\r\n\r\n#container {\r\n\tmargin-left:auto;\r\n"
    "\tmargin-right:auto;\r\n\ttext-align:center;\r\n\t}\r\n\r\na img {\r\n\tborder:none;\r\n}\r\n"
    "\r\n-->\r\n</style>\r\n</head>\r\n<body>\r\n<div id=\"container\">\r\n"
    '<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409">'
    '<img src="welcome.png" alt="IIS7" width="571" height="411" /></a>\r\n'
    "</div>\r\n</body>\r\n</html>"
).encode("iso-8859-1")
IISSTART_85 = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\r\n'
    "<title>IIS Windows Server</title>\r\n<style type=\"text/css\">\r\n<!--\r\nbody {\r\n"
    "\tcolor:#000000;\r\n\tbackground-color:#0072C6;\r\n\tmargin:0;\r\n}\r\n\r\n#container {\r\n"
    "\tmargin-left:auto;\r\n\tmargin-right:auto;\r\n\ttext-align:center;\r\n\t}\r\n\r\n"
    "a img {\r\n\tborder:none;\r\n}\r\n\r\n-->\r\n</style>\r\n</head>\r\n<body>\r\n"
    '<div id="container">\r\n'
    '<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409">'
    '<img src="iis-85.png" alt="IIS" width="960" height="600" /></a>\r\n'
    "</div>\r\n</body>\r\n</html>"
).encode("iso-8859-1")
PAGES = {"7.5": IISSTART, "8.5": IISSTART_85}
NOT_FOUND = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\r\n<html><head>'
             b"<title>404 - File or directory not found.</title></head><body>"
             b"<h2>404 - File or directory not found.</h2></body></html>")


class Handler(BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/7.5"
    protocol_version = "HTTP/1.1"
    start_page = IISSTART

    def version_string(self) -> str:
        return self.server_version

    def _answer(self, body: bool) -> None:
        found = self.path in ("/", "/iisstart.htm")
        page = self.start_page if found else NOT_FOUND
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html")
        if found:
            self.send_header("Last-Modified", "Fri, 17 Mar 2017 14:37:30 GMT")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", '"37b5ed12c9fd21:0"')
        self.send_header("X-Powered-By", "ASP.NET")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(page)
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--version", choices=sorted(PAGES), default="7.5")
    a = ap.parse_args()
    handler = type("IIS", (Handler,), {"server_version": f"Microsoft-IIS/{a.version}",
                                       "start_page": PAGES[a.version]})
    ThreadingHTTPServer((a.bind, a.port), handler).serve_forever()


if __name__ == "__main__":
    main()
