"""Lab card terminal: answers SICCT discovery on UDP 4742 and accepts TCP 4742.

No eHealth terminal firmware runs on Linux, so this emulator speaks the discovery format of
SICCT 1.3.0 (see scanner.protocols.sicct) and, with --tls, offers TLS on the command port as
a paired terminal does. It only answers; it never initiates.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl

from scanner.protocols import sicct


class Discovery(asyncio.DatagramProtocol):
    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if sicct.parse_request(data) is not None and self.transport:
            # TIP1-A_3151: unicast requests are answered to the sender.
            self.transport.sendto(self.reply, addr)


async def command_port(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.wait_for(reader.read(4096), timeout=10)
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
        pass
    writer.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--tls", default="")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    reply = sicct.encode_reply(a.ip, a.mac, a.name, sicct.PORT, a.tls or None)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Discovery(reply), local_addr=("0.0.0.0", sicct.PORT))
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = await asyncio.start_server(command_port, a.ip, sicct.PORT, ssl=ctx)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
