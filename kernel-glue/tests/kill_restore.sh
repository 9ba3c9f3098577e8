#!/bin/sh
# A restore killed at any instant leaves nothing behind, sends nothing to
# the peers, and the image restores on the next try.
# A threaded python3 echo server and a client holding one TCP connection
# to it (kill_lib.sh, in a network namespace of the test's own); the server
# is checkpointed with --kill, its connection kept in repair mode and
# locked. KILL_TRIALS times (default 20; make kill-restore runs 100)
# `ferry restore IMAGE` is started and SIGKILLed after a random delay of 0
# to 1.5 times a whole restore's (KILL_SEED, default 1, chooses them).
# Each trial checks, and names the first check that failed:
#   - the restore was killed before it was done: no process of it is left
#     (the server's pid is free), and the next `ferry restore` of the same
#     image brings the server back;
#   - or it was done: the server is there;
# then, either way, none of the server's threads is traced or stopped and
# the client's connection still echoes on the same connection (a killed
# restore sent the peer no FIN nor RST), and a `checkpoint --kill` makes
# the image of the next trial.
#
# The host tier runs 12 trials; make kill-restore runs KILL_TRIALS=100.
#
# Run as PID 1 of a private PID namespace (by run.sh), which reaps what
# the killed ferry leaves.
# Usage: kill_restore.sh BUILD
# host-test: run pidns KILL_TRIALS=12
set -u
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=kill_lib.sh
. "$here/kill_lib.sh"
label=kill-restore
ferry="$build/bin/ferry"
trials=${KILL_TRIALS:-20}
seed=${KILL_SEED:-1}

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, ptrace)"
for tool in ip python3; do
	command -v "$tool" >/dev/null || skip "no $tool"
done

ns="ferry-kr-$$"
dir=$(mktemp -d /tmp/ferry-kill-restore.XXXXXX)
srv="" cli="" port=7700

cleanup() {
	for p in $srv $cli; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns exec "$ns" "$ferry" netlock --release >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/srv.log" "$dir/py.log"
}

ip netns add "$ns" && ip -n "$ns" link set lo up || fail "cannot create a network namespace"

# checkpoint_server: the server checkpointed with --kill into IMAGE, gone
checkpoint_server() {
	ip netns exec "$ns" "$ferry" checkpoint --tree "$srv" -o "$dir/image" --kill \
		>>"$dir/log" 2>&1 || return 1
	wait "$srv" 2>/dev/null
	wait_gone 50 "$srv"
}

# restore_server: a whole restore of IMAGE
restore_server() {
	ip netns exec "$ns" "$ferry" restore "$dir/image" >>"$dir/log" 2>&1
}

# list_processes: $procs, the pids /proc shows, listed by the shell itself
# (a pipeline would count its own members)
list_processes() {
	procs=
	for _p in /proc/[0-9]*; do procs="$procs ${_p#/proc/}"; done
	# shellcheck disable=SC2086 # a list of pids
	procs=$(sorted $procs)
}

# sorted PID...: the pids in numeric order, on one line
sorted() {
	printf '%s\n' "$@" | sort -n | tr '\n' ' '
}

# the server's pid is alive (not a zombie)
server_alive() {
	[ -e "/proc/$srv" ] && [ "$(awk '{ print $3 }' "/proc/$srv/stat" 2>/dev/null)" != Z ]
}

# settled: what a killed restore left is settled: the processes are
# those of $base, or those and the server, let go (none of its threads
# traced or stopped)
settled() {
	list_processes
	[ "$procs" = "$base" ] && return 0
	server_alive && [ -z "$(threads_bad)" ] && [ "$procs" = "$base_srv" ]
}

# trial N DELAY_MS: restore, SIGKILL after DELAY_MS; sets why to the first
# check that failed, empty when none did
trial() {
	echo "== trial $1, kill after $2 ms" >>"$dir/log"
	list_processes
	base=$procs
	# shellcheck disable=SC2086 # a list of pids
	base_srv=$(sorted $base "$srv")
	ip netns exec "$ns" "$ferry" restore "$dir/image" >>"$dir/log" 2>&1 &
	fp=$!
	sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 "$fp" 2>/dev/null
	wait "$fp"
	rc=$?
	why="" state=done
	if [ "$rc" != 0 ]; then
		# what it made dies with it (PTRACE_O_EXITKILL, the death signal),
		# unless it had let the server go already
		state=killed
		if ! poll 100 settled; then
			why="left-behind: pids before:$base, now:$procs"
			return
		fi
		if server_alive; then
			state="killed after the server was let go"
		elif ! restore_server; then
			why="not-again: the next restore failed: $(grep -v "network lock of the" "$dir/log" | tail -n 2 | tr "\n" " ")"
			return
		fi
	fi
	echo "   $state" >>"$dir/log"
	if ! server_alive; then
		why="server-missing: pid $srv is not there ($state)"
	elif bad=$(threads_bad) && [ -n "$bad" ]; then
		why="thread-traced-or-stopped: $bad ($state)"
	elif ! echoes; then
		why="no-echo: the connection answers '$(cat "$dir/ans.$asked" 2>/dev/null)' ($state)"
	elif ! checkpoint_server; then
		why="checkpoint-failed: $(tail -n 1 "$dir/log")"
	fi
}

start_pair
checkpoint_server || fail "the first checkpoint --kill of the server failed"
# a whole restore's time, for the delays
t0=$(date +%s%N)
restore_server || fail "a restore of the server not killed failed"
t1=$(date +%s%N)
whole=$(((t1 - t0) / 1000000))
echoes || fail "the connection does not echo after a whole restore"
checkpoint_server || fail "the second checkpoint --kill of the server failed"
echo "restore of the server: $whole ms; $trials trials, seed $seed" >>"$dir/log"

failed=0 counts=""
awk -v seed="$seed" -v n="$trials" -v max="$((whole * 3 / 2 + 1))" \
	'BEGIN { srand(seed); for (i = 1; i <= n; i++) print i, int(rand() * max) }' >"$dir/delays"
while read -r i ms; do
	trial "$i" "$ms"
	[ -z "$why" ] && continue
	failed=$((failed + 1))
	echo "    trial $i (kill after $ms ms of $whole): $why"
	counts="$counts ${why%%:*}"
	# start again from a server of its own
	kill -9 "$srv" "$cli" 2>/dev/null
	wait "$srv" "$cli" 2>/dev/null
	ip netns exec "$ns" "$ferry" netlock --release >/dev/null 2>&1
	start_pair
	checkpoint_server || fail "a checkpoint --kill of a new server failed"
done <"$dir/delays"

if [ "$failed" -gt 0 ]; then
	summary=$(echo "$counts" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -c |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	fail "$failed of $trials killed restores left something behind or broke the connection ($summary; seed $seed)"
fi
echo "PASS: $label-$trials-trials"
cleanup
exit 0
