#!/bin/sh
# A checkpoint killed at any instant leaves the processes as they were.
# A threaded python3 echo server and a client holding one TCP connection
# to it (loopback of a network namespace of the test's own); KILL_TRIALS
# times (default 20; make kill-checkpoint runs 200) `ferry checkpoint
# --tree SERVER -o IMAGE` is started and SIGKILLed after a random delay of
# 0 to 1.5 times a whole checkpoint's (KILL_SEED, default 1, chooses them).
# Once ferry's guardian has finished, each trial checks, and names the
# first check that failed: the server is alive, none of its threads is
# traced or stopped, the client's connection still echoes, `ferry netlock`
# lists no rule, no IMAGE.partial is left, and IMAGE, if there is one,
# passes `ferry verify`. A failed trial starts the server and the client
# anew; the counts of each failure are printed at the end.
#
# KILL_MODE=kill kills `ferry checkpoint --kill` instead (label
# kill-checkpoint-kill): killed before it was to kill the server, it must
# leave it as above; else the server is gone, IMAGE must be whole, and a
# `ferry restore` of it brings the server back, its connection (kept in
# repair mode and locked meanwhile) echoing again, no lock rule left.
#
# What makes them pass: the guardian (checkpoint/guardian.c) takes the
# connection out of repair mode and puts back the registers of a thread
# ferry had lent itself, while the server is still stopped: ferry holds
# each running process whose parent is outside the checkpoint (here the
# server) in a group stop of its own before it changes
# anything (checkpoint/freeze.c, freeze_hold), and a group stop outlives
# the tracing that goes with ferry; the guardian continues it last.
#
# The host tier runs 12 trials (8 of KILL_MODE=kill); make kill-checkpoint
# runs KILL_TRIALS=200 (KILL_MODE as given), as PID 1 of a private PID
# namespace: with KILL_MODE=kill it must reap the restored server when it
# is killed (its parent, the restore, is gone).
#
# Usage: kill_checkpoint.sh BUILD
# host-test: run KILL_TRIALS=12
# host-test: run pidns KILL_TRIALS=8 KILL_MODE=kill
set -u
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=kill_lib.sh
. "$here/kill_lib.sh"
label=kill-checkpoint
kill_opt=
if [ "${KILL_MODE:-}" = kill ]; then
	kill_opt=--kill label=kill-checkpoint-kill
fi
ferry="$build/bin/ferry"
trials=${KILL_TRIALS:-20}
seed=${KILL_SEED:-1}

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, ptrace)"
for tool in ip python3; do
	command -v "$tool" >/dev/null || skip "no $tool"
done

ns="ferry-kc-$$"
dir=$(mktemp -d /tmp/ferry-kill-ckpt.XXXXXX)
srv="" cli="" port=7500

cleanup() {
	for p in $srv $cli; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/srv.log" "$dir/py.log"
}


ip netns add "$ns" && ip -n "$ns" link set lo up || fail "cannot create a network namespace"

# settled: the guardian of the killed ferry is gone, and the server is
# dead or has no thread traced or stopped
settled() {
	[ -z "$guard" ] || [ ! -e "/proc/$guard" ] ||
		[ "$(awk '{ print $3 }' "/proc/$guard/stat" 2>/dev/null)" = Z ] || return 1
	[ ! -e "/proc/$srv" ] || [ -z "$(threads_bad)" ]
}

# trial N DELAY_MS: checkpoint, SIGKILL after DELAY_MS; sets why to the
# first check that failed, empty when none did
trial() {
	rm -f "$dir/image" "$dir/image.partial"
	echo "== trial $1, kill after $2 ms" >>"$dir/log"
	# shellcheck disable=SC2086 # no option, or one
	ip netns exec "$ns" "$ferry" checkpoint --tree "$srv" -o "$dir/image" $kill_opt \
		>>"$dir/log" 2>&1 &
	fp=$!
	sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
	# the guardian, if ferry has started it: a child of ferry
	guard=$(cat "/proc/$fp/task/$fp/children" 2>/dev/null | awk '{ print $1 }')
	kill -9 "$fp" 2>/dev/null
	wait "$fp" 2>/dev/null
	rc=$?
	poll 100 settled
	why=""
	# not killed in time: it must have done its work
	if [ "$rc" != 0 ] && [ "$rc" != 137 ]; then
		why="checkpoint-failed: exit status $rc: $(tail -n 1 "$dir/log")"
		return
	fi
	if [ -n "$kill_opt" ] && { [ ! -e "/proc/$srv" ] ||
		[ "$(awk '{ print $3 }' "/proc/$srv/stat")" = Z ]; }; then
		# killed as asked: what the image holds comes back
		wait "$srv" 2>/dev/null
		wait_gone 50 "$srv"
		if [ ! -e "$dir/image" ] || ! "$ferry" verify "$dir/image" >>"$dir/log" 2>&1; then
			why="lost: the server is gone, and no whole image holds it"
			return
		fi
		if ! ip netns exec "$ns" "$ferry" restore "$dir/image" >>"$dir/log" 2>&1; then
			why="not-restored: $(tail -n 1 "$dir/log")"
			return
		fi
		restored=$((restored + 1))
	fi
	if [ ! -e "/proc/$srv" ] || [ "$(awk '{ print $3 }' "/proc/$srv/stat")" = Z ]; then
		wait "$srv"
		why="server-dead: exit status $?"
	elif bad=$(threads_bad) && [ -n "$bad" ]; then
		why="thread-traced-or-stopped: $bad"
	elif ! echoes; then
		why="no-echo: the connection answers '$(cat "$dir/ans.$asked" 2>/dev/null)'"
		# the error that ended the server's thread of the connection, if any
		err=$(grep -E '^[A-Za-z]+Error' "$dir/srv.log" | tail -n 1)
		[ -z "$err" ] || why="$why; the server's thread: $err"
	elif nl=$(ip netns exec "$ns" "$ferry" netlock 2>&1) && [ "$nl" != "no network lock held" ]; then
		why="netlock-left: $nl"
	elif [ -e "$dir/image.partial" ]; then
		why="partial-left: image.partial"
	elif [ -e "$dir/image" ] && ! "$ferry" verify "$dir/image" >>"$dir/log" 2>&1; then
		why="image-bad: ferry verify refuses the image"
	elif [ -n "$guard" ] && [ -e "/proc/$guard" ] &&
		[ "$(awk '{ print $3 }' "/proc/$guard/stat" 2>/dev/null)" != Z ]; then
		why="guardian-left: pid $guard still runs"
	fi
}

start_pair
# a whole checkpoint's time, for the delays
t0=$(date +%s%N)
ip netns exec "$ns" "$ferry" checkpoint --tree "$srv" -o "$dir/image" >>"$dir/log" 2>&1 ||
	fail "a checkpoint of the server not killed failed"
t1=$(date +%s%N)
whole=$(((t1 - t0) / 1000000))
"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 || fail "the image of a whole checkpoint does not verify"
echoes || fail "the connection does not echo after a whole checkpoint"
bad=$(threads_bad)
[ -z "$bad" ] || fail "after a whole checkpoint, not killed: $bad"
sleep 0.5 # for a SIGCONT's handler to run
[ ! -e "$dir/sigcont" ] || fail "after a whole checkpoint, not killed: the server saw a SIGCONT"
if [ -n "$kill_opt" ]; then
	# the delays span a checkpoint that kills, restored after
	t0=$(date +%s%N)
	ip netns exec "$ns" "$ferry" checkpoint --tree "$srv" -o "$dir/image" --kill \
		>>"$dir/log" 2>&1 || fail "a checkpoint --kill of the server not killed failed"
	t1=$(date +%s%N)
	whole=$(((t1 - t0) / 1000000))
	wait "$srv" 2>/dev/null
	wait_gone 50 "$srv" || fail "the server is still there after checkpoint --kill"
	ip netns exec "$ns" "$ferry" restore "$dir/image" >>"$dir/log" 2>&1 ||
		fail "the restore of a whole checkpoint --kill failed"
	echoes || fail "the connection does not echo after a whole checkpoint --kill and restore"
fi
echo "checkpoint of the server: $whole ms; $trials trials, seed $seed" >>"$dir/log"

failed=0 counts="" restored=0
awk -v seed="$seed" -v n="$trials" -v max="$((whole * 3 / 2 + 1))" \
	'BEGIN { srand(seed); for (i = 1; i <= n; i++) print i, int(rand() * max) }' >"$dir/delays"
while read -r i ms; do
	trial "$i" "$ms"
	[ -z "$why" ] && continue
	failed=$((failed + 1))
	echo "    trial $i (kill after $ms ms of $whole): $why"
	counts="$counts ${why%%:*}"
	kill -9 "$srv" "$cli" 2>/dev/null
	wait "$srv" "$cli" 2>/dev/null
	start_pair
done <"$dir/delays"

if [ "$failed" -gt 0 ]; then
	summary=$(echo "$counts" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -c |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	fail "$failed of $trials killed checkpoints left the processes changed ($summary; seed $seed)"
fi
if [ -n "$kill_opt" ]; then
	echo "PASS: $label-$trials-trials ($restored of them killed the server and it was restored)"
else
	echo "PASS: $label-$trials-trials"
fi
cleanup
exit 0
