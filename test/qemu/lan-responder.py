#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""lan-responder.py - one host on the emulated LAN of the issue-7 scenarios.

QEMU carries the guest NIC's raw Ethernet frames, one per datagram, over a
unix datagram socket (-netdev dgram,local.type=unix,...,remote.type=unix,
remote.path=SOCK; test/qemu/heal.sh sets it up).  This program binds SOCK
and plays the machines at --ip (one or more, comma-separated; all with
one MAC): it answers ARP requests for them, ICMP echo requests to them,
and TCP SYNs to them (SYN-ACK on a --tcp port, RST on any other port),
each to the address the frame came from.  It is the target of
the daemon's ping veto (ping_veto_ip1=IP or IP:PORT): while it runs, the
target answers; once it is stopped, nothing does.

Nothing here touches an IP socket: the only socket is the unix one, so no
frame can leave the machine.  It keeps no TCP state: after its SYN-ACK a
pure ACK is taken as the handshake's end and ignored, anything else (data,
FIN) is answered with an RST, which is all a connect() probe needs.

  lan-responder.py --sock PATH [--ip 10.0.3.2[,IP...]] [--mac 52:54:00:0e:03:02]
                   [--tcp PORT]... [--ready FILE] [--log FILE]

--ready FILE gets "PID SOCK" once the socket is bound (written to FILE.tmp,
then renamed); --log FILE one line per frame answered (arp, icmp, tcp).
Exit codes: 0 on SIGTERM or SIGINT, 100 usage, 111 a system call failed.
"""

import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
# TCP flags
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# The largest frame QEMU sends on a dgram netdev (its own buffer is 68 KiB).
FRAME_MAX = 69632
# Frames shorter than this are padded, as a real NIC pads them.
ETH_MIN = 60
# The initial sequence number of every SYN-ACK: no state is kept, and a
# probe only needs the handshake to complete.
ISN = 0x45470001


def checksum(data):
    """The internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("not a MAC address: " + text)
    return bytes(int(p, 16) for p in parts)


def mac_text(b):
    return ":".join("%02x" % x for x in b)


class Responder:
    def __init__(self, sock, ips, mac, tcp_ports, log):
        self.sock = sock
        self.ips = ips
        self.mac = mac
        self.tcp_ports = tcp_ports
        self.log = log

    def note(self, text):
        if self.log:
            self.log.write(text + "\n")
            self.log.flush()

    def send(self, frame, peer):
        if len(frame) < ETH_MIN:
            frame += b"\0" * (ETH_MIN - len(frame))
        try:
            self.sock.sendto(frame, peer)
        except OSError as e:
            # QEMU gone or its socket full: the guest retries, as on a
            # real LAN that dropped a frame.
            self.note("send failed: %s" % e)

    def frame(self, peer, data):
        if len(data) < 14:
            return
        dst, src, etype = data[0:6], data[6:12], struct.unpack("!H", data[12:14])[0]
        if etype == ETH_P_ARP:
            self.arp(peer, src, data[14:])
        elif etype == ETH_P_IP and (dst == self.mac or dst == b"\xff" * 6):
            self.ipv4(peer, src, data[14:])

    def arp(self, peer, src, p):
        if len(p) < 28:
            return
        htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", p[0:8])
        if (htype, ptype, hlen, plen, op) != (1, ETH_P_IP, 6, 4, 1):
            return
        sha, spa, tpa = p[8:14], p[14:18], p[24:28]
        if tpa not in self.ips:
            return
        reply = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + self.mac + tpa + sha + spa
        self.send(sha + self.mac + struct.pack("!H", ETH_P_ARP) + reply, peer)
        self.note("arp: %s is-at %s, to %s (%s)" % (socket.inet_ntoa(tpa), mac_text(self.mac),
                                                    socket.inet_ntoa(spa), mac_text(sha)))

    def ipv4(self, peer, src, p):
        if len(p) < 20 or p[0] >> 4 != 4:
            return
        ihl = (p[0] & 0x0F) * 4
        total = struct.unpack("!H", p[2:4])[0]
        if ihl < 20 or total < ihl or total > len(p):
            return
        if struct.unpack("!H", p[6:8])[0] & 0x3FFF:
            return  # a fragment: no probe sends one
        proto, saddr, daddr = p[9], p[12:16], p[16:20]
        if daddr not in self.ips:
            return
        body = p[ihl:total]
        if proto == IPPROTO_ICMP:
            self.icmp(peer, src, daddr, saddr, body)
        elif proto == IPPROTO_TCP:
            self.tcp(peer, src, daddr, saddr, body)

    def ip_frame(self, dmac, me, daddr, proto, body):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0x4000, 64, proto, 0,
                          me, daddr)
        hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
        return dmac + self.mac + struct.pack("!H", ETH_P_IP) + hdr + body

    def icmp(self, peer, src, me, saddr, body):
        if len(body) < 8 or body[0] != 8 or body[1] != 0 or checksum(body) != 0:
            return
        reply = b"\0\0\0\0" + body[4:]
        reply = reply[:2] + struct.pack("!H", checksum(reply)) + reply[4:]
        self.send(self.ip_frame(src, me, saddr, IPPROTO_ICMP, reply), peer)
        ident, seq = struct.unpack("!HH", body[4:8])
        self.note("icmp: %s: echo reply to %s id %d seq %d" % (socket.inet_ntoa(me), socket.inet_ntoa(saddr),
                                                              ident, seq))

    def tcp(self, peer, src, me, saddr, seg):
        if len(seg) < 20:
            return
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", seg[0:14])
        doff = (off >> 4) * 4
        if doff < 20 or doff > len(seg):
            return
        plen = len(seg) - doff
        if flags & RST:
            return
        if flags & SYN and not flags & ACK:
            if dport in self.tcp_ports:
                out_flags, out_seq, out_ack, what = SYN | ACK, ISN, (seq + 1) & 0xFFFFFFFF, "syn-ack"
            else:
                out_flags, out_seq, out_ack, what = RST | ACK, 0, (seq + 1) & 0xFFFFFFFF, "rst"
        elif flags & FIN or plen:
            # Data or a close: no connection is kept, so reset it.
            out_flags, out_seq, out_ack, what = RST | ACK, ack, (seq + plen + (1 if flags & FIN else 0)) & 0xFFFFFFFF, "rst"
        else:
            return  # the handshake's ACK
        hdr = struct.pack("!HHIIBBHHH", dport, sport, out_seq, out_ack, 5 << 4, out_flags,
                          65535 if out_flags & SYN else 0, 0, 0)
        pseudo = me + saddr + struct.pack("!BBH", 0, IPPROTO_TCP, len(hdr))
        hdr = hdr[:16] + struct.pack("!H", checksum(pseudo + hdr)) + hdr[18:]
        self.send(self.ip_frame(src, me, saddr, IPPROTO_TCP, hdr), peer)
        self.note("tcp: %s to %s:%d from port %d" % (what, socket.inet_ntoa(me), dport, sport))


def stop(_signum, _frame):
    raise SystemExit(0)


def main():
    ap = argparse.ArgumentParser(description="answer ARP, ping and TCP SYNs for one address on a QEMU dgram LAN")
    ap.add_argument("--sock", required=True, help="unix datagram socket to bind (QEMU's remote.path)")
    ap.add_argument("--ip", default="10.0.3.2", help="the address(es) to answer for, comma-separated")
    ap.add_argument("--mac", default="52:54:00:0e:03:02")
    ap.add_argument("--tcp", type=int, action="append", default=[], metavar="PORT",
                    help="answer SYNs to PORT with SYN-ACK (others get RST)")
    ap.add_argument("--ready")
    ap.add_argument("--log")
    try:
        a = ap.parse_args()
        ips = {ipaddress.IPv4Address(x).packed for x in a.ip.split(",")}
        mac = mac_bytes(a.mac)
        if any(p < 1 or p > 65535 for p in a.tcp):
            raise ValueError("a --tcp port is outside 1..65535")
    except SystemExit as e:
        sys.exit(100 if e.code else 0)
    except ValueError as e:
        print("lan-responder: fatal: %s" % e, file=sys.stderr)
        sys.exit(100)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        log = open(a.log, "a", encoding="utf-8") if a.log else None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # A socket file left by an earlier run (killed, or this scenario's
        # previous responder) would make bind fail.
        try:
            os.unlink(a.sock)
        except FileNotFoundError:
            pass
        sock.bind(a.sock)
        if a.ready:
            with open(a.ready + ".tmp", "w", encoding="utf-8") as f:
                f.write("%d %s\n" % (os.getpid(), a.sock))
            os.replace(a.ready + ".tmp", a.ready)
    except OSError as e:
        print("lan-responder: fatal: unable to set up %s: %s" % (a.sock, e), file=sys.stderr)
        sys.exit(111)

    r = Responder(sock, ips, mac, set(a.tcp), log)
    r.note("listening on %s as %s (%s), tcp ports %s" % (a.sock, a.ip, a.mac,
                                                         ",".join(map(str, sorted(a.tcp))) or "none"))
    try:
        while True:
            try:
                data, peer = sock.recvfrom(FRAME_MAX)
            except InterruptedError:
                continue
            if peer:
                r.frame(peer, data)
    except OSError as e:
        print("lan-responder: fatal: unable to receive on %s: %s" % (a.sock, e), file=sys.stderr)
        sys.exit(111)
    finally:
        try:
            os.unlink(a.sock)
        except OSError:
            pass


if __name__ == "__main__":
    main()
