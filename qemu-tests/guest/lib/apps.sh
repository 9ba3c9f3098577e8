# shellcheck shell=sh disable=SC2154 # test, kver: from /init
# The programs the update scenarios carry across (guest-app, a pipeline of
# them) and the checks that they went on.

# The apps read the clock through the vDSO (the restore redirects the old
# kernel's vDSO to the new one); --syscall-clock here would avoid it.
APP_CLOCK=

# Start guest-app ARGS in its own session; app_pid is its PID. The forks
# first push the PID counter past what the next kernel's boot may use, so
# the original PID is free there.
app_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid guest-app $APP_CLOCK "$@" </dev/null >/dev/null 2>&1 &
	app_pid=$!
}

# A tree: a shell running a two-stage pipeline; app_pid is the shell.
tree_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid sh -c "guest-app $APP_CLOCK --stdout --log /data/tree-src.log | guest-app --copy-to /data/tree.log" \
		</dev/null >/dev/null 2>&1 &
	app_pid=$!
}

last_count() { tail -n 1 "$1" | cut -d' ' -f1; }
traced() { grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$1/status" 2>/dev/null; }

# The counter log $1 went on without a restart: one "start" line (none
# with $3 = nostart: a copy made by a pipeline), counts consecutive, and no
# gap between two counts above the downtime + $2 ms.
check_counter() {
	local clog="$1" slack="$2" want_starts=1 down
	[ "${3:-}" = nostart ] && want_starts=0
	down=$(ferry status 2>/dev/null | sed -n 's/^  downtime *\([0-9]*\) ms.*/\1/p')
	[ -n "$down" ] || { echo "no downtime in ferry status"; return 1; }
	awk -v down="$down" -v slack="$slack" -v want="$want_starts" '
		$1 == "start" { starts++; next }
		$1 ~ /^[0-9]+$/ {
			if (prev != "" && $1 != prev + 1) { printf "count %d follows %d\n", $1, prev; bad = 1 }
			if (t != "" && $2 - t > gap) gap = $2 - t
			prev = $1; t = $2; n++
		}
		END {
			if (starts != want) { printf "%d start lines, expected %d: restarted\n", starts, want; bad = 1 }
			if (gap > down + slack) { printf "gap %d ms > downtime %d ms + %d\n", gap, down, slack; bad = 1 }
			printf "counter: %d counts, largest gap %d ms, downtime %d ms\n", n, gap, down
			exit bad
		}' "$clog"
}

# The guest-app of /data/app.pid was restored here (ferry status says so)
# and counts on into /data/counter.log without a restart, with no gap above
# the downtime + $1 ms: pass, or fail naming what is wrong.
counter_restored() {
	local pid c1 c2 out
	pid=$(cat /data/app.pid)
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ] ||
		{ fail "pid $pid was not restored on $kver: $(grep -E 'NOT RESTORED|reason' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	c1=$(last_count /data/counter.log)
	sleep 2
	c2=$(last_count /data/counter.log)
	[ "$c2" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1 after the restore"; return; }
	if out=$(check_counter /data/counter.log "$1"); then
		echo "$out"
		pass
	else
		fail "$(echo "$out" | tr '\n' ';')"
	fi
}

# counter_start: guest-app counting every 100 ms into /data/counter.log
# (and on ttyS0), its PID in /data/app.pid; false after a FAIL when it does
# not count.
counter_start() {
	app_start --log /data/counter.log --console /dev/ttyS0
	sleep 2
	[ "$(last_count /data/counter.log)" -gt 3 ] 2>/dev/null || { fail "the app does not count"; return 1; }
	echo "$app_pid" >/data/app.pid
	sync
}

# consumed_not_restored STATUS [nopass]: after a fault in the restore once
# the image was marked consumed, ferry-init did not restore it again: the
# guest-app of /data/app.pid does not run (nor any other), its log has one
# start line and does not grow, ferry-init said why, and STATUS (ferry
# status) says the update was interrupted during restore. pass (unless
# nopass) or fail naming what is wrong (false).
consumed_not_restored() {
	local a c1 c2 starts
	a=$(cat /data/app.pid)
	[ "$(cat /proc/$a/comm 2>/dev/null)" = guest-app ] && { fail "pid $a runs: the consumed image was restored again"; return 1; }
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs: the consumed image was restored again"; return 1; }
	grep -q 'state consumed: nothing to restore' /run/ferry/init.log ||
		{ fail "ferry-init did not refuse the consumed image: $(tail -n 2 /run/ferry/init.log)"; return 1; }
	echo "$1" | grep -q 'interrupted during restore' || { fail "ferry status does not say the restore was interrupted"; return 1; }
	starts=$(grep -c '^start' /data/counter.log)
	[ "$starts" = 1 ] || { fail "$starts start lines in the counter log: started twice"; return 1; }
	c1=$(last_count /data/counter.log)
	sleep 2
	c2=$(last_count /data/counter.log)
	[ "$c1" = "$c2" ] || { fail "the counter log grows ($c1, then $c2): something runs it"; return 1; }
	echo "not restored again: counter log ends at $c1, one start line"
	[ "${2:-}" = nopass ] || pass
}
