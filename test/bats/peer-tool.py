#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Datagrams for test/bats/peer.bats: what an attacker on the peer link
can send, run inside one of the test's network namespaces.

  forge ADDR:PORT SRCPORT COUNT
      COUNT well-formed EGP1 datagrams (src/peer.h, THE DATAGRAM) sealed
      with a key that is not the peers', from SRCPORT
  capture IFACE PORT FILE SECONDS
      the payload of the next UDP datagram to PORT that comes in on IFACE
      (a packet socket: the daemon bound to PORT receives it all the
      same), into FILE; exit 1 when none comes within SECONDS
  send ADDR:PORT SRCPORT FILE
      FILE's bytes as one datagram, from SRCPORT
"""
import hashlib
import hmac
import os
import select
import socket
import struct
import sys
import time


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def sender(srcport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", srcport))
    return s


def forge(to, srcport, count):
    key = os.urandom(32)
    s = sender(srcport)
    for i in range(count):
        ident = b"nodeb"
        body = b"EGP1" + bytes([len(ident)]) + ident.ljust(32, b"\0")
        body += struct.pack(">QQBI", 999, i + 1, 2, 60000)
        s.sendto(body + hmac.new(key, body, hashlib.sha256).digest(), to)


def capture(iface, port, path, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((iface, 0))
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return 1
        pkt, src = s.recvfrom(2048)
        ihl = (pkt[0] & 15) * 4
        # only what comes in: the daemon on IFACE sends to PORT too
        if src[2] != socket.PACKET_HOST or pkt[9] != 17 or len(pkt) < ihl + 8:
            continue
        dport, ulen = struct.unpack(">HH", pkt[ihl + 2:ihl + 6])
        if dport != port:
            continue
        with open(path, "wb") as f:
            f.write(pkt[ihl + 8:ihl + ulen])
        return 0


def send(to, srcport, path):
    with open(path, "rb") as f:
        sender(srcport).sendto(f.read(), to)


def main(argv):
    if len(argv) == 4 and argv[0] == "forge":
        forge(addr(argv[1]), int(argv[2]), int(argv[3]))
        return 0
    if len(argv) == 5 and argv[0] == "capture":
        return capture(argv[1], int(argv[2]), argv[3], float(argv[4]))
    if len(argv) == 4 and argv[0] == "send":
        send(addr(argv[1]), int(argv[2]), argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 100


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
