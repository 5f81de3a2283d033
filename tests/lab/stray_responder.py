#!/usr/bin/python3
"""A DNS proxy on one lab address that makes a second address send stray datagrams.

   stray_responder.py LISTEN_ADDR PORT STRAY_ADDR UPSTREAM MODE
Receives queries on LISTEN_ADDR#PORT over UDP and passes each to UPSTREAM#53 (one try, 1 s).
MODE nul:   first sends seven NUL bytes from STRAY_ADDR to the query's source address and port,
            then the upstream's reply from LISTEN_ADDR#PORT (a stray datagram before the real reply).
MODE reply: sends the upstream's reply (our ID, our question) from STRAY_ADDR only, as a server
            behind a NAT without loopback SNAT does.
Runs until it is killed. Datagrams are bounded to 4096 bytes; nothing is logged but one line a query.
"""
import socket
import sys


def main() -> int:
    listen, port, stray_addr, upstream, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    if mode not in ("nul", "reply"):
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((listen, port))
    stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stray.bind((stray_addr, 0))
    print(f"listening on {listen}#{port}, strays from {stray_addr}, mode {mode}", flush=True)
    while True:
        query, client = server.recvfrom(4096)
        if mode == "nul":
            stray.sendto(b"\0" * 7, client)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(1.0)
        try:
            up.sendto(query, (upstream, 53))
            reply, _ = up.recvfrom(4096)
        except OSError:
            continue
        finally:
            up.close()
        (server if mode == "nul" else stray).sendto(reply, client)
        print(f"query from {client[0]}#{client[1]}: {len(reply)}-byte reply", flush=True)


if __name__ == "__main__":
    sys.exit(main())
