# A helper of kill_lib.sh (kill_checkpoint.sh, kill_restore.sh).
# serve PORT DIR: a threaded echo server, DIR/listening once it listens.
# client PORT DIR: one connection; for each DIR/ask.N (N = 1, 2, ...) it
# sends a line and writes DIR/ans.N: "ok" when the line came back.
import os, signal, socket, sys, threading, time

# descriptors inherited from whoever runs the test: a pipe to a process
# outside the checkpoint would make it refuse the server
os.closerange(3, 65536)
mode, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def serve(c):
    while True:
        data = c.recv(4096)
        if not data:
            return
        c.sendall(data)

if mode == "serve":
    # a SIGCONT it is sent leaves DIR/sigcont: a whole checkpoint sends
    # none that it sees (the guardian of a killed one does)
    signal.signal(signal.SIGCONT,
                  lambda *_: open(os.path.join(d, "sigcont"), "w").close())
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    open(os.path.join(d, "listening"), "w").close()
    # the handler runs in this thread: it waits in accept() for 0.2 s at most
    ls.settimeout(0.2)
    while True:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(None)
        threading.Thread(target=serve, args=(c,), daemon=True).start()
else:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    n = 0
    while True:
        n += 1
        while not os.path.exists(os.path.join(d, "ask.%d" % n)):
            time.sleep(0.02)
        line = b"ping %d\n" % n
        try:
            s.settimeout(5)
            s.sendall(line)
            got = b""
            while len(got) < len(line):
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            ans = "ok" if got == line else "got %r" % got
        except OSError as e:
            ans = "error: %s" % e
        with open(os.path.join(d, "ans.tmp"), "w") as f:
            f.write(ans + "\n")
        os.rename(os.path.join(d, "ans.tmp"), os.path.join(d, "ans.%d" % n))
