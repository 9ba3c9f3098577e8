#!/bin/sh
# Real servers from Debian keep their clients and data across checkpoint
# (--kill) and restore: memcached, redis-server, python3's http.server with
# HTTP/1.1 keep-alive. Each runs in a private network and PID namespace; a
# python3 client (server_client.py) keeps one connection open across two
# checkpoints and restores in a row (the second of the restored server) and
# uses it again, then opens a new one.
#
# memcached-debian is memcached as Debian 12's memcached.service runs it:
# the command line its wrapper makes of the packaged /etc/memcached.conf
# (less -d, the log file and the pid file, which are the wrapper's and
# systemd's), started as root and dropping to the memcache user itself,
# under the unit's NoNewPrivileges= and CapabilityBoundingSet= (setpriv)
# and the seccomp filters its sandboxing options install (t_sandbox.c);
# each thread's credentials and filters read the same after each restore.
#
# Usage: servers.sh BUILD [KIND...]   (KIND: memcached memcached-debian redis http)
# host-test: run memcached memcached-debian redis http
set -u
build="$1"
shift
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
ferry="$build/bin/ferry"

if [ "${1:-}" = --inner ]; then
	kind="$2" dir="$3"
	rounds_label "$kind-keeps-client" 2
	ip link set lo up
	# the server owns no descriptor but stdio: run it through this
	clean() {
		exec python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
	}
	# fail shows the tails of ferry's log, the server's and the client's
	# output and leaves the rest to the outer run
	fail_report() {
		for f in log server client; do
			show_tails 8 "    $f: " "$dir/$f"
		done
	}
	cleanup() {
		:
	}
	# Whether the client is ready; fail if it stopped.
	# shellcheck disable=SC2317 # called through wait_for
	client_ready() {
		[ -e "$dir/client-ready" ] && return 0
		kill -0 "$cpid" 2>/dev/null || fail "the client stopped: $(grep FAIL "$dir/client")"
		return 1
	}
	case "$kind" in
	memcached)
		port=11211
		clean memcached -u root -l 127.0.0.1 -p $port -U 0 -t 2 -m 64 >"$dir/server" 2>&1 </dev/null &
		;;
	memcached-debian)
		port=11211
		clean setpriv --no-new-privs --bounding-set=-all,+setgid,+setuid,+sys_resource \
			"$build/tests/glue/t_sandbox" /usr/bin/memcached -m 64 -p $port -u memcache \
			-l 127.0.0.1 >"$dir/server" 2>&1 </dev/null &
		;;
	redis)
		port=6379
		clean redis-server --port $port --bind 127.0.0.1 --save '' --appendonly no \
			--daemonize no --dir "$dir" >"$dir/server" 2>&1 </dev/null &
		;;
	http)
		port=8000
		mkdir -p "$dir/www"
		python3 - "$dir/www" <<'PY'
import sys
value = b"x" * 1000 + b"-ferry"
for i in range(20):
    open("%s/key%d" % (sys.argv[1], i), "wb").write(value + b"%d" % i)
open("%s/after" % sys.argv[1], "wb").write(b"restored")
PY
		clean python3 -c '
import http.server as h, os, sys
os.chdir(sys.argv[1])
h.SimpleHTTPRequestHandler.protocol_version = "HTTP/1.1"
h.ThreadingHTTPServer(("127.0.0.1", 8000), h.SimpleHTTPRequestHandler).serve_forever()
' "$dir/www" >"$dir/server" 2>&1 </dev/null &
		;;
	esac
	pid=$!
	python3 "$here/server_client.py" "${kind%-debian}" "$port" "$dir" >"$dir/client" 2>&1 &
	cpid=$!
	wait_for 150 "the client did not get ready" client_ready
	sleep 0.3
	# what each thread's status says of its credentials and seccomp
	privileges() {
		for t in /proc/"$pid"/task/*; do
			grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp|Seccomp_filters):' \
				"$t/status" | tr -s '\t ' ' '
		done
	}
	if [ "$kind" = memcached-debian ]; then
		privileges >"$dir/privileges"
		grep -q '^Seccomp_filters: 6$' "$dir/privileges" && grep -q '^NoNewPrivs: 1' \
			"$dir/privileges" && grep -q "^Uid: $(id -u memcache) " "$dir/privileges" ||
			fail "memcached is not sandboxed as expected: $(tr '\n' ' ' <"$dir/privileges")"
		"$ferry" check --pid "$pid" >"$dir/check" 2>&1 ||
			fail "ferry check refuses it: $(grep -m1 'cannot checkpoint' "$dir/check")"
	elif ! "$ferry" check --pid "$pid" >"$dir/check" 2>&1 &&
		! grep -q 'socket:' "$dir/check"; then
		# refused for something other than its sockets
		kill -9 "$pid" "$cpid" 2>/dev/null
		skip "ferry cannot checkpoint $kind yet: $(grep -m1 'cannot checkpoint' "$dir/check")"
	fi
	for round in 1 2; do
		checkpoint_kill "$round"
		restore_back "$round"
		if [ "$kind" = memcached-debian ]; then
			privileges >"$dir/privileges-$round"
			cmp -s "$dir/privileges" "$dir/privileges-$round" ||
				fail "after restore $round its threads' privileges differ: $(diff \
					"$dir/privileges" "$dir/privileges-$round" | tr '\n' ' ')"
		fi
	done
	touch "$dir/go"
	wait_for 300 "the client did not finish" gone "$cpid"
	if [ "$kind" = redis ] && command -v redis-cli >/dev/null; then
		[ "$(redis-cli -p $port get after)" = restored ] ||
			fail "redis-cli on a new connection does not see the key set after restore"
	fi
	kill -9 "$pid" 2>/dev/null
	grep -q '^PASS: ' "$dir/client" || fail "the client says: $(grep '^FAIL: ' "$dir/client")"
	echo "PASS: $label"
	exit 0
fi

[ $# -gt 0 ] || set -- memcached memcached-debian redis http
status=0
for kind in "$@"; do
	rounds_label "$kind-keeps-client" 2
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $label: needs root (namespaces, ptrace)"
		continue
	fi
	case "$kind" in
	memcached*) bin=memcached ;;
	redis) bin=redis-server ;;
	*) bin=python3 ;;
	esac
	if ! command -v "$bin" >/dev/null; then
		echo "SKIP: $label: $bin is not installed (make deps)"
		continue
	fi
	dir=$(mktemp -d /tmp/ferry-srv.XXXXXX)
	unshare --net --pid --fork --mount-proc sh "$here/servers.sh" "$build" --inner "$kind" \
		"$dir" || status=1
	rm -rf "$dir"
done
exit $status
