"""SSDP (UDP 1900): NOTIFY, M-SEARCH and M-SEARCH responses. HTTP-style header blocks."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PACKET = 8192
MAX_HEADERS = 40
GROUP = ("239.255.255.250", 1900)


@dataclass(frozen=True)
class SsdpMessage:
    kind: str  # "notify", "search", "response"
    headers: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str:
        for k, v in self.headers:
            if k == name:
                return v
        return ""


def parse(data: bytes) -> SsdpMessage | None:
    text = bytes(data[:MAX_PACKET]).decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].strip().upper()
    if start.startswith("NOTIFY * HTTP/"):
        kind = "notify"
    elif start.startswith("M-SEARCH * HTTP/"):
        kind = "search"
    elif start.startswith("HTTP/1.") and " 200" in start:
        kind = "response"
    else:
        return None
    headers = []
    for line in lines[1 : MAX_HEADERS + 1]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers.append((name.strip().lower()[:64], value.strip()[:512]))
    return SsdpMessage(kind, tuple(headers))


def m_search(target: str = "ssdp:all", mx: int = 1) -> bytes:
    return ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
            f'MAN: "ssdp:discover"\r\nMX: {mx}\r\nST: {target}\r\n'
            "USER-AGENT: praxisscan UPnP/1.1\r\n\r\n").encode()
