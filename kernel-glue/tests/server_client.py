# A client of a real server that keeps one connection across the server's
# checkpoint and restore: it talks to the server, creates DIR/client-ready,
# waits for DIR/go, talks again on the same connection, then on a new one.
# Prints "PASS: NAME" or "FAIL: NAME: why". Usage: KIND PORT DIR
import os, socket, sys, time

kind, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
name = kind + "-keeps-client"


def fail(why):
    print("FAIL: %s: %s" % (name, why), flush=True)
    sys.exit(1)


def connect():
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            time.sleep(0.1)
    fail("cannot connect to port %d" % port)


def read_until(s, end):
    buf = b""
    while end not in buf:
        chunk = s.recv(65536)
        if not chunk:
            fail("the server closed the connection (read %r)" % buf[-80:])
        buf += chunk
    return buf


def memcached(s, key, value, store):
    if store:
        s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value))
        if read_until(s, b"\r\n") != b"STORED\r\n":
            fail("set %s was not stored" % key)
    s.sendall(b"get %s\r\n" % key)
    want = b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value)
    got = read_until(s, b"END\r\n")
    if got != want:
        fail("get %s: %r" % (key, got[:80]))


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def redis(s, key, value, store):
    if store:
        s.sendall(resp(b"SET", key, value))
        if read_until(s, b"\r\n") != b"+OK\r\n":
            fail("SET %s failed" % key)
    s.sendall(resp(b"GET", key))
    want = b"$%d\r\n%s\r\n" % (len(value), value)
    got = read_until(s, b"\r\n")
    if got.startswith(b"$") and len(got) < len(want):
        got += read_until(s, b"\r\n") if not got.endswith(value + b"\r\n") else b""
    if got != want:
        fail("GET %s: %r" % (key, got[:80]))


def http(s, key, value, store):
    s.sendall(b"GET /%s HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n" % key)
    head = read_until(s, b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0]:
        fail("GET /%s: %r" % (key, head[:80]))
    length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
              if l.lower().startswith(b"content-length:")]
    body = head.split(b"\r\n\r\n", 1)[1]
    while len(body) < length[0]:
        body += s.recv(65536)
    if body != value:
        fail("GET /%s: body %r" % (key, body[:80]))


talk = {"memcached": memcached, "redis": redis, "http": http}[kind]
value = b"x" * 1000 + b"-ferry"
s = connect()
for i in range(20):
    talk(s, b"key%d" % i, value + b"%d" % i, True)
open(os.path.join(d, "client-ready"), "w").close()
while not os.path.exists(os.path.join(d, "go")):
    time.sleep(0.05)
for i in range(20):
    talk(s, b"key%d" % i, value + b"%d" % i, False)  # the same connection
talk(s, b"after", b"restored", True)
s2 = connect()
talk(s2, b"key7", value + b"7", False)  # a new connection
talk(s, b"after", b"restored", False)
print("PASS: %s" % name, flush=True)
