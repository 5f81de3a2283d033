#!/usr/bin/python3
"""Hostile TCP peers for the lab's `hostile-mail` scenario: alive, listening, and hopeless.

   hostile_peer.py --drip ADDR:PORT [--drip ...] [--stall-tls ADDR:PORT ...] [--interval S]

--drip       sends an SMTP banner one byte every INTERVAL seconds (default 1), then holds the line.
--stall-tls  reads the client's first flight (a ClientHello), answers with the first bytes of a
             ServerHello record and stalls there: a TLS handshake stuck half way.
Runs until killed. Every connection is held open; nothing is ever closed by this side.
"""
import argparse
import asyncio
import signal
import sys

BANNER = b"220 mail.debugo.fr ESMTP dripping one byte a second\r\n"
# A handshake record header announcing 122 bytes, followed by only 4 of them.
PARTIAL_SERVER_HELLO = bytes([0x16, 0x03, 0x03, 0x00, 0x7A, 0x02, 0x00, 0x00, 0x76])
held = []


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, interval: float) -> None:
    held.append(writer)
    try:
        for b in BANNER:
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(interval)
        await reader.read()  # hold until the client gives up
    except (ConnectionError, OSError):
        pass


async def stall_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    held.append(writer)
    try:
        await reader.read(4096)
        writer.write(PARTIAL_SERVER_HELLO)
        await writer.drain()
        await reader.read()  # hold until the client gives up
    except (ConnectionError, OSError):
        pass


def endpoint(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text}: expected ADDR:PORT")
    return host, int(port)


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--drip", type=endpoint, action="append", default=[])
    p.add_argument("--stall-tls", type=endpoint, action="append", default=[])
    p.add_argument("--interval", type=float, default=1.0)
    a = p.parse_args()
    servers = []
    for host, port in a.drip:
        servers.append(await asyncio.start_server(lambda r, w: drip(r, w, a.interval), host, port))
    for host, port in a.stall_tls:
        servers.append(await asyncio.start_server(stall_tls, host, port))
    if not servers:
        p.error("nothing to serve: give --drip and/or --stall-tls")
    print("listening:", " ".join(f"{s.sockets[0].getsockname()}" for s in servers), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
