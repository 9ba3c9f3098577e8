#!/bin/sh
# Debian's nginx with its packaged configuration keeps a keep-alive client
# across two checkpoints (--kill) and restores in a row: the master runs as
# root, its workers as www-data (user www-data; worker_processes auto of
# /etc/nginx/nginx.conf), started as Debian's nginx.service starts it
# (daemon on; master_process on). The configuration is the packaged one
# with only its pid file, logs and sites pointed into a temporary
# directory, where one server serves a static page and stub_status on
# 127.0.0.1:8080, in a private network, PID and mount namespace, so the
# test neither disturbs the machine nor collides with another run.
#
# A python3 client (nginx_client.py) opens one connection before the first
# checkpoint and asks again after each restore: the same page, the same
# local port, stub_status still counting one connection accepted, and the
# access log ($connection) naming one connection serial for every request.
# The selection is --tree of the master. At the end nginx is stopped
# cleanly (SIGQUIT): the master must exit 0 and its workers with it.
#
# Usage: nginx.sh BUILD
# host-test: run
set -u
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
ferry="$build/bin/ferry"
rounds_label nginx-keeps-client 2

if [ "${2:-}" = --inner ]; then
	dir="$3"
	ip link set lo up || fail "cannot bring lo up"
	fail_report() {
		for f in log out error.log client reaped; do
			show_tails 8 "    $f: " "$dir/$f"
		done
	}
	cleanup() {
		[ -n "${mpid:-}" ] && kill -9 "$mpid" 2>/dev/null
		[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
		return 0
	}
	mkdir -p "$dir/www" && printf 'served by nginx before the checkpoint\n' >"$dir/www/index.html"
	sed -e "s|^pid .*|pid $dir/nginx.pid;|" -e "s|^error_log .*|error_log $dir/error.log;|" \
		-e "s|access_log .*|access_log $dir/access.log;|" \
		-e "s|include /etc/nginx/sites-enabled/\*;|include $dir/site.conf;|" \
		/etc/nginx/nginx.conf >"$dir/nginx.conf"
	grep -q '^user www-data;' "$dir/nginx.conf" && grep -q "include $dir/site.conf;" "$dir/nginx.conf" ||
		fail "/etc/nginx/nginx.conf is not Debian's (no 'user www-data;' or sites-enabled include)"
	cat >"$dir/site.conf" <<-CONF
		log_format ferry_conn '\$connection \$connection_requests "\$request" \$status';
		server {
			listen 127.0.0.1:8080;
			root $dir/www;
			access_log $dir/conn.log ferry_conn;
			location = /status { stub_status; }
		}
	CONF
	# nginx owns no descriptor but stdio; it daemonizes, its master is
	# adopted by PID 1 of the namespace (the reaper that runs this script)
	python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
		nginx -c "$dir/nginx.conf" -g 'daemon on; master_process on;' \
		</dev/null >"$dir/out" 2>&1 || fail "nginx did not start: $(cat "$dir/out")"
	mpid=$(cat "$dir/nginx.pid") || fail "nginx wrote no pid file"
	workers() {
		pgrep -P "$mpid" | sort
	}
	workers_before=$(workers)
	# shellcheck disable=SC2086 # one word per pid
	set -- $workers_before
	[ -n "$workers_before" ] || fail "the master has no workers"
	for w; do
		[ "$(stat -c %U "/proc/$w")" = www-data ] || fail "worker $w does not run as www-data"
	done
	[ "$(stat -c %U "/proc/$mpid")" = root ] || fail "the master does not run as root"

	mkfifo "$dir/cmd"
	python3 "$here/nginx_client.py" 8080 "$dir" >>"$dir/client" 2>&1 &
	cpid=$!
	exec 3>"$dir/cmd"
	# ask ROUND: the client asks again and says ok (or fails)
	ask() {
		echo "get $1" >&3
		wait_for 100 "the client did not answer in round $1" grep -q -e "^ok $1 " -e '^FAIL' "$dir/client"
		grep -q '^FAIL' "$dir/client" && fail "round $1: the client says: $(grep '^FAIL' "$dir/client")"
		return 0
	}
	ask 0
	port=$(sed -n 's/^ok 0 port=\([0-9]*\) .*/\1/p' "$dir/client")
	sleep 0.3 # the worker back in epoll_wait
	"$ferry" check --tree "$mpid" >"$dir/check" 2>&1 ||
		fail "ferry check refuses nginx: $(grep -m1 'cannot' "$dir/check")"
	for round in 1 2; do
		"$ferry" checkpoint --tree "$mpid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
			fail "checkpoint $round failed"
		wait_gone 50 "$mpid" "$@" ||
			fail "nginx still runs after checkpoint $round with --kill"
		"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore $round failed"
		[ -e "/proc/$mpid" ] || fail "the master is not there after restore $round"
		[ "$(workers)" = "$workers_before" ] ||
			fail "after restore $round the master's workers are $(workers | tr '\n' ' '), not $(echo "$workers_before" | tr '\n' ' ')"
		ask "$round"
		grep -q "^ok $round port=$port " "$dir/client" || fail "round $round: the client's port changed"
	done
	echo "done" >&3
	exec 3>&-
	wait "$cpid" || fail "the client says: $(grep '^FAIL' "$dir/client")"
	cpid=
	grep -q '^PASS' "$dir/client" || fail "the client gave no verdict"
	# every request on one connection: one serial, requests counted 1..6
	serials=$(cut -d' ' -f1 "$dir/conn.log" | sort -u | tr '\n' ' ')
	[ "$serials" = "1 " ] || fail "the access log names connections $serials(one expected)"
	[ "$(cut -d' ' -f2 "$dir/conn.log" | tr '\n' ' ')" = "1 2 3 4 5 6 " ] ||
		fail "the access log counts the connection's requests $(cut -d' ' -f2 "$dir/conn.log" | tr '\n' ' ')"
	ends() {
		grep -c "^$mpid " "$dir/reaped" 2>/dev/null
	}
	ended=$(ends)
	kill -QUIT "$mpid" || fail "cannot send SIGQUIT to the master"
	# shellcheck disable=SC2317 # called through wait_for
	master_ended() {
		[ "$(ends)" -gt "$ended" ]
	}
	wait_for 100 "the master did not exit on SIGQUIT" master_ended
	status=$(sed -n "s/^$mpid //p" "$dir/reaped" | tail -n 1)
	[ "$status" = "exit 0" ] || fail "the master ended with $status on SIGQUIT (exit 0 expected)"
	wait_gone 50 "$@" || fail "workers are left after the master exited"
	echo "PASS: $label"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $label: needs root (namespaces, ptrace, the www-data workers)"
	exit 0
fi
command -v nginx >/dev/null && [ -f /etc/nginx/nginx.conf ] ||
	fail "nginx is not installed (make deps installs nginx-light)"
id www-data >/dev/null 2>&1 || fail "there is no www-data user"
dir=$(mktemp -d /tmp/ferry-nginx.XXXXXX)
chmod 755 "$dir" # the workers (www-data) read the page
# PID 1 of the namespace runs this script and reaps every process adopted
# (nginx's master daemonizes; after a restore it is adopted again),
# writing a line "PID exit N" or "PID signal N" into DIR/reaped for each
# (the master killed by checkpoint --kill, then the restored one's end)
unshare --net --pid --fork --mount-proc python3 -c '
import os, subprocess, sys
script = subprocess.Popen(sys.argv[1:])
ends = {}
while True:
    try:
        pid, st = os.wait()
    except ChildProcessError:
        break
    if pid == script.pid:
        sys.exit(os.waitstatus_to_exitcode(st))
    what = "exit %d" % os.WEXITSTATUS(st) if os.WIFEXITED(st) else "signal %d" % os.WTERMSIG(st)
    with open(sys.argv[5] + "/reaped", "a") as f:
        f.write("%d %s\n" % (pid, what))
' sh "$0" "$build" --inner "$dir"
status=$?
rm -rf "$dir"
exit $status
