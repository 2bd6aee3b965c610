#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small HTTP/1.1 server for test/bats/fetch.bats, run inside the test's
network namespace: it serves one directory, answers Range requests with
206, and has switches for the faults the fetch must survive.

  --cut-after N    once: close the connection after N bytes of a body
                   that is longer than N
  --rate B         send bodies at B bytes a second (in tenths of a second)
  --chunked        Transfer-Encoding: chunked instead of Content-Length
  --fail K         answer 500 to the first K requests
  --tamper NAME    serve NAME with its middle byte changed
  --ignore-range   answer a Range request with 200 and the whole file
  --log FILE       one line per request: the request line, then its Range
  --ready FILE     written once the server listens: "PID PORT" (--port 0:
                   the port the kernel picked)

Each connection carries one request (the client says Connection: close).
"""
import argparse
import os
import socket
import sys
import threading
import time

args = None
lock = threading.Lock()
state = {"requests": 0, "cut": False}


def log(line):
    if args.log:
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def send_body(conn, body):
    """The body, rate-limited when asked, cut once when asked: False when cut."""
    limit = len(body)
    cut = False
    with lock:
        if args.cut_after is not None and not state["cut"] and len(body) > args.cut_after:
            state["cut"] = True
            limit = args.cut_after
            cut = True
    step = max(1, args.rate // 10) if args.rate else 65536
    pos = 0
    while pos < limit:
        n = min(step, limit - pos)
        piece = body[pos:pos + n]
        if args.chunked:
            piece = b"%x\r\n" % len(piece) + piece + b"\r\n"
        conn.sendall(piece)
        pos += n
        if args.rate:
            time.sleep(0.1)
    if cut:
        return False
    if args.chunked:
        conn.sendall(b"0\r\n\r\n")
    return True


def handle(conn):
    try:
        head = read_head(conn)
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        rng = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "range":
                rng = value.strip()
        log(lines[0] + (" Range: " + rng if rng else ""))
        with lock:
            state["requests"] += 1
            n = state["requests"]
        if n <= args.fail:
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            return
        name = target.lstrip("/")
        path = os.path.join(args.dir, name)
        if method != "GET" or "/" in name or not os.path.isfile(path):
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            return
        with open(path, "rb") as f:
            body = bytearray(f.read())
        if args.tamper == name and body:
            body[len(body) // 2] ^= 0x01
        body = bytes(body)
        status = "200 OK"
        extra = ""
        if rng and not args.ignore_range:
            first = int(rng.split("=", 1)[1].split("-", 1)[0])
            if first >= len(body):
                conn.sendall(b"HTTP/1.1 416 Range Not Satisfiable\r\n"
                             b"Content-Range: bytes */%d\r\nContent-Length: 0\r\n\r\n"
                             % len(body))
                return
            extra = "Content-Range: bytes %d-%d/%d\r\n" % (first, len(body) - 1, len(body))
            body = body[first:]
            status = "206 Partial Content"
        framing = ("Transfer-Encoding: chunked\r\n" if args.chunked
                   else "Content-Length: %d\r\n" % len(body))
        conn.sendall(("HTTP/1.1 %s\r\n%s%sConnection: close\r\n\r\n"
                      % (status, extra, framing)).encode())
        send_body(conn, body)
    except (OSError, ValueError, IndexError) as e:
        print("fetch-server: %s" % e, file=sys.stderr)
    finally:
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.close()


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--cut-after", type=int)
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--tamper")
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--log")
    p.add_argument("--ready")
    args = p.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.addr, args.port))
    srv.listen(16)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d %d\n" % (os.getpid(), srv.getsockname()[1]))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
