#!/bin/sh
# Debian's sqlite3 in the middle of a write transaction (BEGIN EXCLUSIVE,
# rows inserted, not committed) is checkpointed with --kill and restored
# ROUNDS times in a row. After each restore its POSIX locks on the database
# are back as /proc/locks showed them, and a second sqlite3 is refused
# ("database is locked") instead of writing a row that would vanish; then
# the first one commits and every row is there. Run as PID 1 of a private
# PID namespace by run.sh.
#
# Usage: sqlite_lock.sh BUILD ROUNDS
# host-test: run pidns 1
# host-test: run pidns 2
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="$2"
rounds_label sqlite-write-transaction "$rounds"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-sqlite.XXXXXX)
db="$dir/test.db"

# fail shows ferry's log, sqlite3's output and the second one's
fail_report() {
	for f in log out intruder; do
		show_tails 10 "    $f: " "$dir/$f"
	done
}

command -v sqlite3 >/dev/null || fail "sqlite3 is not installed (make deps installs it)"

# The database's locks in /proc/locks, without the kernel's ordinals.
db_locks() {
	grep ":$(stat -c %i "$db") " /proc/locks | sed 's/^[0-9]*: *//' | sort
}

# A second sqlite3 tries to write: it must be told the database is locked.
intruder_refused() {
	sqlite3 "$db" "INSERT INTO t VALUES('intruder-$1');" >"$dir/intruder" 2>&1 &&
		fail "$2: a second sqlite3 wrote into the database"
	grep -q "database is locked" "$dir/intruder" ||
		fail "$2: the second sqlite3 failed otherwise than with 'database is locked'"
}

sqlite3 "$db" "CREATE TABLE t(v TEXT); INSERT INTO t VALUES('before-1'), ('before-2');" ||
	fail "cannot create the database"
mkfifo "$dir/in"
# sqlite3 reads its commands from a FIFO this shell keeps open; it owns no
# descriptor but those and leads a session of its own
python3 -c 'import os, sys; os.closerange(3, 65536); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
	sqlite3 -batch "$db" <"$dir/in" >"$dir/out" 2>&1 &
pid=$!
exec 3>"$dir/in"
printf "BEGIN EXCLUSIVE;\nINSERT INTO t VALUES('during-1');\nINSERT INTO t VALUES('during-2');\n.print in-transaction\n" >&3
wait_for 100 "sqlite3 did not begin its transaction" grep -q in-transaction "$dir/out"
sleep 0.2 # back in read() on the FIFO
before=$(db_locks)
[ -n "$before" ] || fail "sqlite3 holds no lock on the database"
intruder_refused 0 "before the checkpoint"

round=1
while [ "$round" -le "$rounds" ]; do
	checkpoint_kill "$round"
	restore_back "$round"
	after=$(db_locks)
	[ "$after" = "$before" ] ||
		fail "after restore $round /proc/locks shows: $after; before: $before"
	intruder_refused "$round" "after restore $round"
	round=$((round + 1))
done

printf "COMMIT;\nSELECT group_concat(v) FROM t;\n.print committed\n" >&3
wait_for 100 "sqlite3 did not commit" grep -q committed "$dir/out"
grep -q "^before-1,before-2,during-1,during-2$" "$dir/out" ||
	fail "sqlite3 itself does not see every row after its commit"
rows=$(sqlite3 "$db" "PRAGMA integrity_check; SELECT group_concat(v) FROM t;" 2>&1)
[ "$rows" = "ok
before-1,before-2,during-1,during-2" ] || fail "another sqlite3 reads: $rows"
sqlite3 "$db" "INSERT INTO t VALUES('after');" >"$dir/intruder" 2>&1 ||
	fail "a second sqlite3 cannot write once the first one committed"
exec 3>&-
wait_gone 100 "$pid" || fail "sqlite3 did not end at the end of its input"
echo "PASS: $label"
rm -rf "$dir"
