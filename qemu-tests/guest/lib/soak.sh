# shellcheck shell=sh disable=SC2154 # kver, cycles: from /init and the scenario
# The endurance scenarios (soak-generic-bpo, efi-soak): a selection updated
# again and again in one guest, checked after each update. $soak_dir holds
# the selection's pids ("pids"), each "PID COMM" as it was ("procs"), the
# counter log's line count at the last check ("lines"), the descriptors,
# resident memory and memory areas after the first cycle ("usage") and
# every downtime ("downtimes").
soak_dir=/data/soak

# the selection's processes, "PID COMM" a line
soak_procs() {
	for p in $(cat "$soak_dir/pids"); do
		echo "$p $(cat /proc/$p/comm 2>/dev/null)"
	done
}

# "FDS RSS_KIB AREAS" of the selection: open descriptors, VmRSS and
# memory areas (lines of maps), summed
soak_usage() {
	fds=0 rss=0 areas=0
	for p in $(cat "$soak_dir/pids"); do
		fds=$((fds + $(ls /proc/$p/fd | wc -l)))
		rss=$((rss + $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$p/status)))
		areas=$((areas + $(wc -l </proc/$p/maps)))
	done
	echo "$fds $rss $areas"
}

# soak_begin PID...: the selection is these processes, guest-app among
# them counting into /data/counter.log
soak_begin() {
	mkdir -p "$soak_dir"
	echo "$*" >"$soak_dir/pids"
	soak_procs >"$soak_dir/procs"
	wc -l </data/counter.log >"$soak_dir/lines"
}

# soak_check_common CYCLE [SLACK_MS]: after the update of CYCLE the same
# processes run, restored; the counter went on with no gap above that
# update's downtime + SLACK_MS (500); no network-lock rule is left; the
# region holds no sealed image; the descriptors are those of the first
# cycle, the resident memory at most 4 MiB above and the memory areas at
# most 2 more (an area left behind by each update, a few KiB that the
# memory bound cannot see, exceeds that by the fourth). soak_line says so.
soak_check_common() {
	k=$1
	soak_procs >/tmp/procs
	cmp -s /tmp/procs "$soak_dir/procs" ||
		{ fail "cycle $k: the selection is $(tr '\n' ' ' </tmp/procs), was $(tr '\n' ' ' <"$soak_dir/procs"): $(ferry status 2>&1 | sed -n 's/^  reason *//p')"; return 1; }
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "cycle $k: ferry status: not restored"; return 1; }
	down=$(ferry status 2>/dev/null | sed -n 's/^  downtime *\([0-9]*\) ms.*/\1/p')
	[ -n "$down" ] || { fail "cycle $k: no downtime in ferry status"; return 1; }
	echo "$down" >>"$soak_dir/downtimes"
	# the lines since the last check, with its last one, so that the
	# counts join up
	sleep 1
	tail -n +"$(cat "$soak_dir/lines")" /data/counter.log >/tmp/slice
	out=$(check_counter /tmp/slice "${2:-500}" nostart) || { fail "cycle $k: $(echo "$out" | tr '\n' ';')"; return 1; }
	wc -l </data/counter.log >"$soak_dir/lines"
	rules=$(ferry netlock 2>&1)
	[ "$rules" = "no network lock held" ] || { fail "cycle $k: network-lock rules left: $rules"; return 1; }
	state=$(ferry status --json 2>/dev/null | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -n 1)
	[ "$state" != sealed ] || { fail "cycle $k: the region still holds a sealed image"; return 1; }
	set -- $(soak_usage)
	[ -s "$soak_dir/usage" ] || echo "$1 $2 $3" >"$soak_dir/usage"
	read -r fds0 rss0 areas0 <"$soak_dir/usage"
	[ "$1" = "$fds0" ] || { fail "cycle $k: the selection holds $1 descriptors, $fds0 after the first cycle"; return 1; }
	[ "$2" -le $((rss0 + 4096)) ] || { fail "cycle $k: the selection's resident memory grew from $rss0 to $2 KiB"; return 1; }
	[ "$3" -le $((areas0 + 2)) ] || { fail "cycle $k: the selection has $3 memory areas, $areas0 after the first cycle"; return 1; }
	soak_line="downtime $down ms, $out; $1 descriptors, $2 KiB resident, $3 areas, region $state"
}

# min, median, p95 and max of the downtimes
soak_summary() {
	sort -n "$soak_dir/downtimes" | awk '{ v[NR] = $1 } END {
		p95 = int((NR * 95 + 99) / 100)
		printf "soak: %d updates, downtime min %d ms, median %d ms, p95 %d ms, max %d ms\n",
			NR, v[1], v[int((NR + 1) / 2)], v[p95], v[NR] }'
}
