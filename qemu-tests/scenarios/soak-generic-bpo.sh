# scenario: soak-generic-bpo
# flavor: generic
# option: --net tcp:127.0.0.1:39241-:11211
# option: --client qemu-tests/soak-client.py
# option: --timeout 1200
#
# Endurance: ferry.soak= (default 10; make soak: 100) updates in a row by
# kexec in one guest, alternating 6.1 and 6.12, of one tree: a shell
# running memcached, whose 2000 keys a host client (soak-client.py) keeps
# on one TCP connection throughout, and guest-app counting. After each
# cycle: the client reads every key back on its connection (a tenth
# rewritten each cycle), the counter went on with no gap above that
# update's downtime, and nothing grows: the tree's processes and open
# descriptors are the same, their resident memory no more than 4 MiB above
# the first cycle's, no network-lock rule is left, and the region holds no
# sealed image. The last cycle prints the downtimes: min, median, p95, max.
[ -x /usr/bin/memcached ] || { fail "no memcached in the guest: the host has none to copy (make deps)"; return; }
cycles=$(arg ferry.soak)
cycles=${cycles:-10}
soak_dir=/data/soak

# the tree's processes: the shell and its children, "PID COMM" a line
soak_procs() {
	for p in $(cat "$soak_dir/pids"); do
		echo "$p $(cat /proc/$p/comm 2>/dev/null)"
	done
}

# "FDS RSS_KIB" of the tree: open descriptors and VmRSS, summed
soak_usage() {
	fds=0 rss=0
	for p in $(cat "$soak_dir/pids"); do
		fds=$((fds + $(ls /proc/$p/fd | wc -l)))
		rss=$((rss + $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$p/status)))
	done
	echo "$fds $rss"
}

soak_start() {
	mkdir -p "$soak_dir"
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid sh -c "/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m 64 -t 2 & guest-app $APP_CLOCK --log /data/counter.log; wait" \
		</dev/null >/dev/null 2>&1 &
	app_pid=$!
	i=0
	until mc version | grep -q VERSION; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
	memcached_wait_client || return 1
	sleep 1
	echo "$app_pid" >/data/app.pid
	echo "$app_pid $(cat /proc/$app_pid/task/*/children)" >"$soak_dir/pids"
	[ "$(wc -w <"$soak_dir/pids")" = 3 ] || { echo "the tree is not a shell and two children: $(cat "$soak_dir/pids")"; return 1; }
	soak_procs >"$soak_dir/procs"
	wc -l </data/counter.log >"$soak_dir/lines"
	echo "soak: tree $(tr '\n' ' ' <"$soak_dir/procs"), $cycles cycles"
}

# The client's verdict on cycle $1, over its connection
soak_client_check() {
	mc_set ferry-guest-cycle "$1"
	echo "FERRY-CLIENT-GO"
	i=0
	while :; do
		v=$(mc_get ferry-client-verified)
		case "$v" in
		"ok "*" cycle $1 "*) echo "FERRY-MEMCACHED: client: $v"; return 0 ;;
		bad*) fail "cycle $1: host client: $v"; return 1 ;;
		esac
		i=$((i + 1))
		[ $i -gt 600 ] && { fail "cycle $1: the host client never reported (last: $v)"; return 1; }
		sleep 0.5
	done
}

# Everything after the update of cycle $1 is as it was
soak_check() {
	k=$1
	soak_procs >/tmp/procs
	cmp -s /tmp/procs "$soak_dir/procs" ||
		{ fail "cycle $k: the tree is $(tr '\n' ' ' </tmp/procs), was $(tr '\n' ' ' <"$soak_dir/procs"): $(ferry status 2>&1 | sed -n 's/^  reason *//p')"; return 1; }
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "cycle $k: ferry status: not restored"; return 1; }
	down=$(ferry status 2>/dev/null | sed -n 's/^  downtime *\([0-9]*\) ms.*/\1/p')
	[ -n "$down" ] || { fail "cycle $k: no downtime in ferry status"; return 1; }
	echo "$down" >>"$soak_dir/downtimes"
	# the counter: the lines since the last check (with the last one of
	# it, so that the counts join up), no restart, no gap above the downtime
	sleep 1
	from=$(cat "$soak_dir/lines")
	tail -n +"$from" /data/counter.log >/tmp/slice
	out=$(check_counter /tmp/slice 500 nostart) || { fail "cycle $k: $(echo "$out" | tr '\n' ';')"; return 1; }
	wc -l </data/counter.log >"$soak_dir/lines"
	soak_client_check "$k" || return 1
	rules=$(ferry netlock 2>&1)
	[ "$rules" = "no network lock held" ] || { fail "cycle $k: network-lock rules left: $rules"; return 1; }
	state=$(ferry status --json 2>/dev/null | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -n 1)
	[ "$state" != sealed ] || { fail "cycle $k: the region still holds a sealed image"; return 1; }
	set -- $(soak_usage)
	[ -s "$soak_dir/usage" ] || echo "$1 $2" >"$soak_dir/usage"
	read -r fds0 rss0 <"$soak_dir/usage"
	[ "$1" = "$fds0" ] || { fail "cycle $k: the tree holds $1 descriptors, $fds0 after the first cycle"; return 1; }
	[ "$2" -le $((rss0 + 4096)) ] || { fail "cycle $k: the tree's resident memory grew from $rss0 to $2 KiB"; return 1; }
	echo "soak: cycle $k of $cycles on $kver: downtime $down ms, $out; $1 descriptors, $2 KiB resident, region $state"
}

# min, median, p95 and max of the downtimes
soak_summary() {
	sort -n "$soak_dir/downtimes" | awk '{ v[NR] = $1 } END {
		p95 = int((NR * 95 + 99) / 100)
		printf "soak: %d updates, downtime min %d ms, median %d ms, p95 %d ms, max %d ms\n",
			NR, v[1], v[int((NR + 1) / 2)], v[p95], v[NR] }'
}

# step 1 starts the tree on 6.1; step S (S = 2 .. cycles + 1) checks the
# update of cycle S - 1 and makes the next, 6.1 on odd steps, 6.12 on even
case $((step % 2)) in 1) here=generic next=bpo ;; *) here=bpo next=generic ;; esac
[ "$flavor" = "$here" ] || { fail "step $step runs on $flavor, expected $here"; return; }
if [ "$step" = 1 ]; then
	soak_start || { fail "memcached, guest-app or the host client did not come up"; return; }
else
	soak_check $((step - 1)) || return
fi
if [ "$step" -gt "$cycles" ]; then
	soak_summary
	pass
	return
fi
app_pid=$(cat /data/app.pid)
sync
update_to "$next" --tree
fail "cycle $step: ferry update returned instead of kexec'ing"
