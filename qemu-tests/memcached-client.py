#!/usr/bin/env python3
"""Host-side memcached client of the update-memcached scenario and the demo.

Connects through QEMU's user networking (hostfwd) to memcached in the
guest, stores N keys, marks them loaded (key ferry-client-loaded), then
keeps the connection idle until the guest says memcached was restored on
the new kernel (the file $FERRY_CLIENT_GO appears: run-scenario creates it
when the guest prints FERRY-CLIENT-GO), reads every key back on the same
connection and stores the verdict in ferry-client-verified ("ok N" or
"bad: why") for the guest to check. Exit 0 only when every key came back
on the same connection.

Idle, because a request that reaches the old kernel after the checkpoint
captured the socket and before the kexec is acknowledged there and lost:
the update does not lock the network yet.

Usage: memcached-client.py [PORT [N [SIZE]]]   (PORT defaults to $HOSTFWD_PORT)
"""
import os
import socket
import sys
import time


SIZE = 0  # bytes per value; 0: 100 to 600 bytes of text


def value_of(i):
    if SIZE:
        head = b"value-%06d-" % i
        body = bytes((i * 7 + j * 13) % 251 for j in range(256))
        return (head + body * (SIZE // 256 + 1))[:SIZE]
    return ("value-%06d-" % i + "abcdefghij" * (10 + i % 50)).encode()


class Conn:
    def __init__(self, port, timeout):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("connection closed by the peer")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("connection closed by the peer")
            self.buf += d
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def set(self, key, value):
        self.s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key.encode(), len(value), value))
        r = self.line()
        if r != b"STORED":
            raise RuntimeError("set %s: %r" % (key, r))

    def get(self, key):
        self.s.sendall(b"get %s\r\n" % key.encode())
        l = self.line()
        if l == b"END":
            return None
        parts = l.split()
        if parts[0] != b"VALUE":
            raise RuntimeError("get %s: %r" % (key, l))
        v = self.exact(int(parts[3]) + 2)[:-2]
        if self.line() != b"END":
            raise RuntimeError("get %s: no END" % key)
        return v


def connect(port, deadline):
    while time.time() < deadline:
        try:
            c = Conn(port, 3)
            c.s.sendall(b"version\r\n")
            if c.line().startswith(b"VERSION"):
                return c
        except (OSError, ConnectionError):
            pass
        time.sleep(0.5)
    raise RuntimeError("memcached in the guest never answered on port %d" % port)


def report(port, verdict):
    try:
        c = Conn(port, 30)
        c.set("ferry-client-verified", verdict.encode())
    except Exception as e:  # the guest then times out and says so
        print("client: cannot report %r: %s" % (verdict, e), flush=True)


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ["HOSTFWD_PORT"])
    global SIZE
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    SIZE = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    t0 = time.time()
    deadline = time.time() + 600
    c = connect(port, deadline)
    local = c.s.getsockname()
    for i in range(n):
        c.set("key%06d" % i, value_of(i))
    c.set("ferry-client-loaded", str(n).encode())
    print("client: %d keys stored over %s:%d in %.1f s; waiting for the update" %
          (n, *local, time.time() - t0), flush=True)
    c.s.settimeout(300)
    go = os.environ.get("FERRY_CLIENT_GO")
    try:
        while go and not os.path.exists(go):
            time.sleep(0.2)
        while not go and c.get("ferry-guest-restored") is None:
            time.sleep(0.5)
        print("client: the guest says memcached was restored; reading back", flush=True)
        bad = [i for i in range(n) if c.get("key%06d" % i) != value_of(i)]
        if c.s.getsockname() != local:
            raise RuntimeError("not the same connection")
    except Exception as e:
        print("client: FAIL: %s" % e, flush=True)
        report(port, "bad: %s" % e)
        return 1
    if bad:
        verdict = "bad: %d of %d keys lost or changed (first key%06d)" % (len(bad), n, bad[0])
        print("client: FAIL: " + verdict, flush=True)
        c.set("ferry-client-verified", verdict.encode())
        return 1
    verdict = "ok %d keys on the same connection %s:%d" % (n, *local)
    c.set("ferry-client-verified", verdict.encode())
    print("client: " + verdict, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
