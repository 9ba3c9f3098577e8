#!/usr/bin/env python3
"""Host-side client of the soak scenario (qemu-tests/scenarios/soak-generic-bpo.sh).

Like memcached-client.py, whose connection code it uses: one connection
to memcached in the guest for the whole run, N keys stored, then idle
while the guest updates. After each update the guest stores its cycle
number in ferry-guest-cycle and prints FERRY-CLIENT-GO (the runner makes
the file $FERRY_CLIENT_GO); the client removes the file, reads every key
back on the same connection, rewrites a tenth of them with values of
this cycle (so the next cycle checks state written after this restore,
not only what the first checkpoint held) and reports
"ok N keys cycle K ..." or "bad: ... cycle K" in ferry-client-verified.
It runs until the runner kills it, or until a check fails.

Usage: soak-client.py [PORT [N]]   (PORT defaults to $HOSTFWD_PORT)
"""
import importlib.util
import os
import sys
import time

_spec = importlib.util.spec_from_file_location(
    "memcached_client", os.path.join(os.path.dirname(os.path.abspath(__file__)), "memcached-client.py"))
mc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mc)


def rewritten(i, cycle):
    return mc.value_of(i) + b"-cycle-%d" % cycle


def wait_go(go, seconds):
    deadline = time.time() + seconds
    while not os.path.exists(go):
        if time.time() > deadline:
            raise RuntimeError("no FERRY-CLIENT-GO from the guest in %d s" % seconds)
        time.sleep(0.2)
    os.unlink(go)


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ["HOSTFWD_PORT"])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    go = os.environ["FERRY_CLIENT_GO"]
    c = mc.connect(port, time.time() + 600)
    local = c.s.getsockname()
    expected = {i: mc.value_of(i) for i in range(n)}
    for i, v in expected.items():
        c.set("key%06d" % i, v)
    c.set("ferry-client-loaded", str(n).encode())
    print("client: %d keys stored over %s:%d; waiting for each update" % (n, *local), flush=True)
    c.s.settimeout(300)
    cycle = "?"
    try:
        while True:
            wait_go(go, 900)
            cycle = (c.get("ferry-guest-cycle") or b"?").decode()
            if c.s.getsockname() != local:
                raise RuntimeError("not the same connection")
            bad = [i for i in range(n) if c.get("key%06d" % i) != expected[i]]
            if bad:
                raise RuntimeError("%d of %d keys lost or changed (first key%06d)" % (len(bad), n, bad[0]))
            for i in range(int(cycle) % 10 if cycle.isdigit() else 0, n, 10):
                expected[i] = rewritten(i, int(cycle))
                c.set("key%06d" % i, expected[i])
            verdict = "ok %d keys cycle %s on the same connection %s:%d" % (n, cycle, *local)
            c.set("ferry-client-verified", verdict.encode())
            print("client: " + verdict, flush=True)
    except Exception as e:
        verdict = "bad: %s cycle %s" % (e, cycle)
        print("client: FAIL: " + verdict, flush=True)
        mc.report(port, verdict)
        return 1


if __name__ == "__main__":
    sys.exit(main())
