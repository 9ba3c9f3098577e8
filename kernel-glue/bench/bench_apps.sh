#!/bin/sh
# Checkpoint and restore of real Debian programs: for each, the time of
# `ferry checkpoint --kill` and of `ferry restore` (wall clock, medians of
# BENCH_RUNS rounds, default 3) and the image's size. Part of make bench.
#
#   nginx  Debian's nginx with its packaged /etc/nginx/nginx.conf (master
#          as root, worker_processes auto as www-data; pid file, logs and
#          sites pointed into a temporary directory, one static page on
#          127.0.0.1:8080), selected by --tree of its master, one keep-alive
#          client connected throughout and answered after the last restore
#   postgres Debian's PostgreSQL 15: a cluster made by initdb (as postgres)
#          in a temporary directory and started by pg_ctl, listening on
#          127.0.0.1:5432, selected by --tree of its postmaster, one psql
#          session with an open transaction throughout, which commits after
#          the last restore
#
# Each program runs in a private network, PID and mount namespace.
# Usage: bench_apps.sh FERRY_BINARY
set -u
ferry=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs="${BENCH_RUNS:-3}"

now() {
	date +%s.%N
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# gone PID...: true once none of them is there
gone() {
	for _p; do
		[ -e "/proc/$_p" ] && return 1
	done
	return 0
}

# timed_rounds APP ROOT PID...: $runs rounds of checkpoint --tree ROOT
# --kill into $dir/image, a wait until ROOT and every PID are gone (reaped
# by PID 1 of the namespace), and a restore; their times, in seconds, go to
# $dir/checkpoint.s and $dir/restore.s
# shellcheck disable=SC2317 # called by bench_$app
timed_rounds() {
	app="$1" root="$2"
	shift 2
	round=1
	while [ "$round" -le "$runs" ]; do
		t0=$(now)
		"$ferry" checkpoint --tree "$root" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
			{ echo "bench-apps: $app: checkpoint failed: $(tail -n 3 "$dir/log")" >&2; return 1; }
		t1=$(now)
		while ! gone "$root" "$@"; do sleep 0.01; done
		t2=$(now)
		"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 ||
			{ echo "bench-apps: $app: restore failed: $(tail -n 3 "$dir/log")" >&2; return 1; }
		t3=$(now)
		echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$dir/checkpoint.s"
		echo "$t2 $t3" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$dir/restore.s"
		round=$((round + 1))
	done
}

# shellcheck disable=SC2317 # called as bench_$app
bench_nginx() {
	dir="$1"
	ip link set lo up || return 1
	mkdir -p "$dir/www" && printf 'served by nginx\n' >"$dir/www/index.html"
	sed -e "s|^pid .*|pid $dir/nginx.pid;|" -e "s|^error_log .*|error_log $dir/error.log;|" \
		-e "s|access_log .*|access_log $dir/access.log;|" \
		-e "s|include /etc/nginx/sites-enabled/\*;|include $dir/site.conf;|" \
		/etc/nginx/nginx.conf >"$dir/nginx.conf"
	printf 'server { listen 127.0.0.1:8080; root %s/www; }\n' "$dir" >"$dir/site.conf"
	python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
		nginx -c "$dir/nginx.conf" -g 'daemon on; master_process on;' </dev/null >"$dir/out" 2>&1 ||
		{ echo "bench-apps: nginx did not start: $(cat "$dir/out")" >&2; return 1; }
	mpid=$(cat "$dir/nginx.pid")
	workers=$(pgrep -P "$mpid" | tr '\n' ' ')
	# the client: one request on one connection, then another once told to
	mkfifo "$dir/go"
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 8080))
req = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
for n in range(2):
    if n:
        open(sys.argv[1] + "/go").read()
    s.sendall(req)
    buf = b""
    while not buf.endswith(b"served by nginx\n"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("nginx closed the connection")
        buf += chunk
    open(sys.argv[1] + "/asked", "a").write("ok\n")
' "$dir" &
	cpid=$!
	while [ ! -s "$dir/asked" ]; do sleep 0.05; done
	sleep 0.3
	# shellcheck disable=SC2086 # one word per pid
	timed_rounds nginx "$mpid" $workers || return 1
	size=$(stat -c %s "$dir/image")
	echo go >"$dir/go"
	wait "$cpid" || { echo "bench-apps: nginx: the client lost its connection" >&2; return 1; }
	kill -QUIT "$mpid"
	nworkers=$(echo "$workers" | wc -w)
	printf 'nginx (master + %s workers, 1 keep-alive client kept), medians of %s:\n' "$nworkers" "$runs"
	printf '  checkpoint --kill  %8.3f s\n' "$(median <"$dir/checkpoint.s")"
	printf '  restore            %8.3f s\n' "$(median <"$dir/restore.s")"
	printf '  image              %8d KiB\n' "$((size / 1024))"
}

# shellcheck disable=SC2317 # called as bench_$app
bench_postgres() {
	dir="$1"
	pgbin=/usr/lib/postgresql/15/bin
	ip link set lo up || return 1
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || return 1
	mkdir "$dir/data" "$dir/sock" && : >"$dir/pg.log" &&
		chown postgres:postgres "$dir/data" "$dir/sock" "$dir/pg.log" || return 1
	setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/initdb" -D "$dir/data" \
		-U postgres -A trust >"$dir/out" 2>&1 ||
		{ echo "bench-apps: postgres: initdb failed: $(tail -n 3 "$dir/out")" >&2; return 1; }
	python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
		setpriv --reuid=postgres --regid=postgres --init-groups \
		"$pgbin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=$dir/sock" \
		start </dev/null >>"$dir/out" 2>&1 ||
		{ echo "bench-apps: postgres did not start: $(tail -n 3 "$dir/pg.log")" >&2; return 1; }
	mpid=$(head -n 1 "$dir/data/postmaster.pid")
	psql="$pgbin/psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres"
	$psql -c "create table t (n int)" || return 1
	# the session: an open transaction, committed after the last restore
	mkfifo "$dir/sql"
	$psql <"$dir/sql" >"$dir/psql.out" 2>&1 &
	qpid=$!
	exec 3>"$dir/sql"
	printf 'begin;\ninsert into t select generate_series(1, 1000);\n\\echo ready\n' >&3
	while ! grep -q '^ready' "$dir/psql.out"; do
		kill -0 "$qpid" 2>/dev/null || { echo "bench-apps: postgres: psql ended" >&2; return 1; }
		sleep 0.05
	done
	sleep 0.5
	children=$(pgrep -P "$mpid" | tr '\n' ' ')
	# shellcheck disable=SC2086 # one word per pid
	timed_rounds postgres "$mpid" $children || return 1
	size=$(stat -c %s "$dir/image")
	printf 'commit;\n\\q\n' >&3
	exec 3>&-
	wait "$qpid" || { echo "bench-apps: postgres: the session failed: $(tail -n 3 "$dir/psql.out")" >&2; return 1; }
	[ "$($psql -c "select count(*) from t")" = 1000 ] ||
		{ echo "bench-apps: postgres: the committed rows are not all there" >&2; return 1; }
	setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/pg_ctl" -D "$dir/data" \
		-m fast -w stop >>"$dir/out" 2>&1
	nchildren=$(echo "$children" | wc -w)
	printf 'postgres (postmaster + %s children, 1 session with an open transaction kept), medians of %s:\n' \
		"$nchildren" "$runs"
	printf '  checkpoint --kill  %8.3f s\n' "$(median <"$dir/checkpoint.s")"
	printf '  restore            %8.3f s\n' "$(median <"$dir/restore.s")"
	printf '  image              %8d KiB\n' "$((size / 1024))"
}

if [ "${2:-}" = --inner ]; then
	"bench_$3" "$4"
	exit
fi

if [ "$(id -u)" != 0 ]; then
	echo "bench-apps: needs root (namespaces, ptrace, restore with the original pids)" >&2
	exit 1
fi
status=0
for app in nginx postgres; do
	case $app in
	nginx) installed=$(command -v nginx) ;;
	postgres) installed=$(ls /usr/lib/postgresql/15/bin/postgres 2>/dev/null) ;;
	esac
	[ -n "$installed" ] ||
		{ echo "bench-apps: $app is not installed (make deps)" >&2; status=1; continue; }
	dir=$(mktemp -d /tmp/ferry-bench-apps.XXXXXX)
	chmod 755 "$dir"
	# PID 1 of the namespace reaps what it adopts (a daemon's master)
	unshare --net --pid --fork --mount --mount-proc python3 -c '
import os, subprocess, sys
script = subprocess.Popen(sys.argv[1:])
while True:
    pid, st = os.wait()
    if pid == script.pid:
        sys.exit(os.waitstatus_to_exitcode(st))
' sh "$0" "$ferry" --inner "$app" "$dir" || status=1
	rm -rf "$dir"
done
exit $status
