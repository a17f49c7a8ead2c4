"""Lab KIM client module: the SMTP and POP3 greetings of a KOM-LE Clientmodul, without TLS.

The real Clientmodul is proprietary; gemSpec_CM_KOMLE gives its greetings
(``220 KOM-LE-Clientmodul ESMTP``, ``+OK KOM-LE Clientmodul POP3``). Offering neither
STARTTLS nor STLS on the LAN address is the exposure (KOM-LE-A_2066/2067) this host plants.
"""

from __future__ import annotations

import argparse
import asyncio

MAX_LINE = 1024


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   greeting: bytes, answer) -> None:
    writer.write(greeting)
    try:
        for _ in range(50):
            line = await asyncio.wait_for(reader.readline(), timeout=30)
            if not line:
                break
            reply, done = answer(line[:MAX_LINE].strip().upper())
            writer.write(reply)
            await writer.drain()
            if done:
                break
    except (asyncio.TimeoutError, ConnectionError, ValueError):
        pass
    writer.close()


def smtp_answer(cmd: bytes) -> tuple[bytes, bool]:
    if cmd.startswith((b"EHLO", b"HELO")):
        return b"250-kim.praxis.lab\r\n250-8BITMIME\r\n250-SIZE 26214400\r\n250 AUTH PLAIN LOGIN\r\n", False
    if cmd.startswith(b"QUIT"):
        return b"221 2.0.0 Bye\r\n", True
    return b"530 5.7.0 Authentication required\r\n", False


def pop3_answer(cmd: bytes) -> tuple[bytes, bool]:
    if cmd.startswith(b"CAPA"):
        return b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n", False
    if cmd.startswith(b"QUIT"):
        return b"+OK Bye\r\n", True
    return b"-ERR authentication required\r\n", False


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--smtp", type=int, default=25)
    ap.add_argument("--pop3", type=int, default=110)
    a = ap.parse_args()
    smtp = await asyncio.start_server(
        lambda r, w: _session(r, w, b"220 KOM-LE-Clientmodul ESMTP\r\n", smtp_answer), a.bind, a.smtp)
    pop3 = await asyncio.start_server(
        lambda r, w: _session(r, w, b"+OK KOM-LE Clientmodul POP3\r\n", pop3_answer), a.bind, a.pop3)
    async with smtp, pop3:
        await asyncio.gather(smtp.serve_forever(), pop3.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
