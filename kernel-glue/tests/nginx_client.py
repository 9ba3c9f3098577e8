# A keep-alive HTTP/1.1 client of nginx (nginx.sh) that uses one TCP
# connection throughout: it reads commands from the FIFO DIR/cmd, one a
# line, and answers each in DIR/client before taking the next.
#   get ROUND  GET /index.html and /status on the connection it opened
#              first; the page must be the one served before, the client's
#              port the same, and stub_status must count one connection
#              accepted, so nginx served it on the same connection
#   done       print "PASS: nginx-keeps-client" and end
# A failure prints "FAIL: why" and ends. Usage: PORT DIR
import re, socket, sys

port, d = int(sys.argv[1]), sys.argv[2]


def say(line):
    with open(d + "/client", "a") as f:
        f.write(line + "\n")


def fail(why):
    say("FAIL: " + why)
    sys.exit(1)


def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            fail("nginx closed the connection (read %r)" % buf[-80:])
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(fields.get("content-length", "-1"))
    if length < 0:
        fail("a response without Content-Length: %r" % lines)
    while len(buf) < length:
        chunk = s.recv(65536)
        if not chunk:
            fail("nginx closed the connection in a body")
        buf += chunk
    return lines[0], fields, buf[:length], buf[length:]


def get(s, path, rest):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path.encode())
    status, fields, body, rest = read_response(s, rest)
    if status != "HTTP/1.1 200 OK":
        fail("GET %s: %s" % (path, status))
    if fields.get("connection", "keep-alive").lower() != "keep-alive":
        fail("GET %s: nginx answers Connection: %s" % (path, fields["connection"]))
    return body, rest


s = socket.create_connection(("127.0.0.1", port), timeout=20)
local = s.getsockname()
rest = b""
page = None
with open(d + "/cmd") as cmds:
    for line in cmds:
        words = line.split()
        if words == ["done"]:
            say("PASS: nginx-keeps-client")
            sys.exit(0)
        if len(words) != 2 or words[0] != "get":
            fail("unknown command %r" % line)
        body, rest = get(s, "/index.html", rest)
        if page is None:
            page = body
        elif body != page:
            fail("round %s: the page differs: %r" % (words[1], body[:80]))
        if s.getsockname() != local:
            fail("round %s: the client's address moved from %s to %s" %
                 (words[1], local, s.getsockname()))
        status, rest = get(s, "/status", rest)
        m = re.search(rb"\n *(\d+) +(\d+) +(\d+) *\n", status)
        if not m:
            fail("round %s: no counters in /status: %r" % (words[1], status))
        accepts, handled, requests = (int(x) for x in m.groups())
        if accepts != 1 or handled != 1:
            fail("round %s: nginx accepted %d connections, handled %d (one expected)" %
                 (words[1], accepts, handled))
        say("ok %s port=%d accepts=%d requests=%d" % (words[1], local[1], accepts, requests))
fail("the commands ended without done")
