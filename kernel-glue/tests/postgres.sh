#!/bin/sh
# Debian's PostgreSQL 15 keeps a client's open transaction across two
# checkpoints (--kill) and restores in a row. A cluster is made by initdb
# (as the postgres user, trust authentication) in a temporary directory and
# started by pg_ctl as Debian's pg_ctlcluster starts it; its configuration
# is initdb's own but for where it listens: TCP on 127.0.0.1:5432 and its
# Unix socket in the temporary directory. So the postmaster holds its
# System V segment and the shared anonymous mapping of its main shared
# memory (with the unnamed POSIX semaphores in it), a POSIX shared memory
# segment in /dev/shm (dynamic_shared_memory_type=posix, the default), its
# signal handlers, the death-watch pipe its children share, and the
# listening sockets; its children (the checkpointer, background writer,
# walwriter, autovacuum launcher, logical replication launcher and the
# client's backend) wait in epoll on a signalfd (their latches), the
# backend on its TCP connection too. It runs in a private network, PID and
# mount namespace, with a tmpfs of its own on /dev/shm, so the test neither
# disturbs the machine nor collides with another run.
#
# One psql session, connected over TCP before the first checkpoint, opens a
# transaction and inserts rows into a table that holds committed rows. After
# each restore the same session inserts again and shows its backend's pid
# (the same), a new connection sees only the committed rows, and the
# postmaster and each of its children have their pids. After the second
# restore the session commits; a new connection counts every row, and
# PostgreSQL stops cleanly (pg_ctl stop -m fast): the postmaster exits 0
# after its shutdown checkpoint, and the log names no crash.
# The selection is --tree of the postmaster.
#
# Usage: postgres.sh BUILD
# host-test: run
set -u
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
ferry="$build/bin/ferry"
rounds_label postgres-keeps-transaction 2
pgbin=/usr/lib/postgresql/15/bin

if [ "${2:-}" = --inner ]; then
	dir="$3"
	ip link set lo up || fail "cannot bring lo up"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || fail "cannot mount a tmpfs on /dev/shm"
	fail_report() {
		for f in log out initdb.log pg.log psql.out; do
			show_tails 8 "    $f: " "$dir/$f"
		done
	}
	cleanup() {
		[ -n "${mpid:-}" ] && kill -9 "$mpid" 2>/dev/null
		[ -n "${qpid:-}" ] && kill -9 "$qpid" 2>/dev/null
		return 0
	}
	as_postgres() {
		setpriv --reuid=postgres --regid=postgres --init-groups "$@"
	}
	mkdir "$dir/data" "$dir/sock" && chown postgres:postgres "$dir/data" "$dir/sock" ||
		fail "cannot make the cluster's directories"
	as_postgres "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || fail "initdb failed"
	grep -q "^dynamic_shared_memory_type = posix" "$dir/data/postgresql.conf" ||
		fail "initdb did not choose POSIX dynamic shared memory"
	# pg_ctl's postmaster owns no descriptor but stdio (the log); pg_ctl
	# exits once it is up, and PID 1 of the namespace adopts it
	: >"$dir/pg.log" && chown postgres:postgres "$dir/pg.log" || fail "cannot make the log"
	python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
		setpriv --reuid=postgres --regid=postgres --init-groups \
		"$pgbin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=$dir/sock" \
		start </dev/null >"$dir/out" 2>&1 || fail "pg_ctl did not start PostgreSQL"
	mpid=$(head -n 1 "$dir/data/postmaster.pid") || fail "PostgreSQL wrote no postmaster.pid"
	[ "$(stat -c %U "/proc/$mpid")" = postgres ] || fail "the postmaster does not run as postgres"
	sql() {
		"$pgbin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "$1"
	}
	sql "create table t (n int, round int); insert into t select g, 0 from generate_series(1, 100) g" ||
		fail "cannot make the table"

	# the session: psql reading its commands from a FIFO, over TCP
	mkfifo "$dir/sql"
	"$pgbin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres \
		<"$dir/sql" >"$dir/psql.out" 2>&1 &
	qpid=$!
	exec 3>"$dir/sql"
	# say ROUND SQL: the session runs SQL, then prints "done ROUND"
	say() {
		printf '%s\n\\echo done %s\n' "$2" "$1" >&3
		wait_for 100 "the session did not answer in round $1" grep -q -e "^done $1\$" -e ERROR "$dir/psql.out"
		grep -q ERROR "$dir/psql.out" && fail "round $1: the session says: $(grep -m1 ERROR "$dir/psql.out")"
		return 0
	}
	say 0 "begin; insert into t select g, 0 from generate_series(1, 1000) g; select 'backend ' || pg_backend_pid();"
	backend=$(sed -n 's/^backend //p' "$dir/psql.out")
	[ -n "$backend" ] || fail "the session did not name its backend"
	# committed only: what a new connection sees
	[ "$(sql "select count(*) from t")" = 100 ] || fail "a new connection sees the open transaction's rows"
	children() {
		pgrep -P "$mpid" | sort | tr '\n' ' '
	}
	poll 50 pgrep -P "$mpid" -f 'autovacuum launcher' >/dev/null || fail "no autovacuum launcher"
	sleep 0.5 # every child back in its wait
	children_before=$(children)
	for want in checkpointer "background writer" walwriter "autovacuum launcher"; do
		pgrep -P "$mpid" -f "postgres: $want" >/dev/null || fail "the postmaster has no $want"
	done
	echo " $children_before" | grep -q " $backend " || fail "the session's backend $backend is no child of the postmaster"
	"$ferry" check --tree "$mpid" >"$dir/check" 2>&1 ||
		fail "ferry check refuses PostgreSQL: $(grep -m1 'cannot' "$dir/check")"
	for round in 1 2; do
		"$ferry" checkpoint --tree "$mpid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
			fail "checkpoint $round failed"
		# shellcheck disable=SC2086 # one word per pid
		wait_gone 50 "$mpid" $children_before ||
			fail "PostgreSQL still runs after checkpoint $round with --kill"
		"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore $round failed"
		[ -e "/proc/$mpid" ] || fail "the postmaster is not there after restore $round"
		[ "$(children)" = "$children_before" ] ||
			fail "after restore $round the postmaster's children are $(children), not $children_before"
		say "$round" "insert into t select g, $round from generate_series(1, 1000) g; select 'backend ' || pg_backend_pid();"
		[ "$(sed -n 's/^backend //p' "$dir/psql.out" | sort -u)" = "$backend" ] ||
			fail "round $round: the session's backend is not $backend any more"
		[ "$(sql "select count(*) from t")" = 100 ] ||
			fail "round $round: a new connection does not see the 100 committed rows alone"
	done
	say 3 "commit;"
	echo '\q' >&3
	exec 3>&-
	wait "$qpid" || fail "psql ended with an error"
	qpid=
	[ "$(sql "select round || ':' || count(*) from t group by round order by round" | tr '\n' ' ')" = \
		"0:1100 1:1000 2:1000 " ] ||
		fail "after the commit a new connection counts $(sql "select round || ':' || count(*) from t group by round order by round" | tr '\n' ' ')"
	ends() {
		grep -c "^$mpid " "$dir/reaped" 2>/dev/null
	}
	ended=$(ends)
	as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >>"$dir/out" 2>&1 ||
		fail "pg_ctl stop failed"
	# shellcheck disable=SC2317 # called through wait_for
	postmaster_ended() {
		[ "$(ends)" -gt "$ended" ]
	}
	wait_for 100 "the postmaster did not exit on pg_ctl stop" postmaster_ended
	status=$(sed -n "s/^$mpid //p" "$dir/reaped" | tail -n 1)
	[ "$status" = "exit 0" ] || fail "the postmaster ended with $status on pg_ctl stop (exit 0 expected)"
	mpid=
	grep -q "database system is shut down" "$dir/pg.log" || fail "PostgreSQL did not shut down cleanly"
	! grep -E -q "PANIC|terminated by signal|was terminated|crash" "$dir/pg.log" ||
		fail "the log names a crash: $(grep -E -m1 "PANIC|terminated by signal|was terminated|crash" "$dir/pg.log")"
	echo "PASS: $label"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $label: needs root (namespaces, ptrace, the postgres user)"
	exit 0
fi
[ -x "$pgbin/postgres" ] && [ -x "$pgbin/initdb" ] && [ -x "$pgbin/psql" ] ||
	fail "PostgreSQL 15 is not installed (make deps installs postgresql-15)"
id postgres >/dev/null 2>&1 || fail "there is no postgres user (postgresql-15 makes it)"
dir=$(mktemp -d /tmp/ferry-postgres.XXXXXX)
chmod 755 "$dir" # the postgres user reaches its cluster
# PID 1 of the namespace runs this script and reaps every process adopted
# (the postmaster, after pg_ctl exits; after a restore it is adopted again),
# writing a line "PID exit N" or "PID signal N" into DIR/reaped for each
unshare --net --pid --fork --mount --mount-proc python3 -c '
import os, subprocess, sys
script = subprocess.Popen(sys.argv[1:])
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
