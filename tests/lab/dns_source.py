#!/usr/bin/python3
"""Sends one DNS query over UDP from an unconnected socket and reports who answered.

   dns_source.py SERVER NAME [WAIT_SECONDS]
Prints one line per datagram received within the wait: "reply from ADDR#PORT rcode N answers K".
Exit status: 0 a reply came from SERVER, 2 replies came only from other addresses, 1 no reply.
A connected socket (as dig uses) would hide a reply from an unexpected source; this one shows it.
"""
import random
import socket
import struct
import sys
import time


def query(name: str) -> tuple[int, bytes]:
    qid = random.randrange(0x10000)
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".") if p)
    return qid, header + labels + b"\0" + struct.pack("!HH", 1, 1)


def main() -> int:
    server, name = sys.argv[1], sys.argv[2]
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 1.5
    qid, packet = query(name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(packet, (server, 53))
    deadline = time.monotonic() + wait
    from_server = from_other = False
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, (addr, port) = sock.recvfrom(65535)
        except socket.timeout:
            break
        if len(data) < 12 or struct.unpack("!H", data[:2])[0] != qid:
            continue
        flags, _, ancount = struct.unpack("!HHH", data[2:8])
        print(f"reply from {addr}#{port} rcode {flags & 0xF} answers {ancount}")
        if addr == server and port == 53:
            from_server = True
            break
        from_other = True
    return 0 if from_server else 2 if from_other else 1


if __name__ == "__main__":
    sys.exit(main())
