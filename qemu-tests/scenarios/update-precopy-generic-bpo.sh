# scenario: update-precopy-generic-bpo
# flavor: generic
# option: --mem 2G
# option: --region 256M@0x30000000
#
# ferry update --pre-copy --via kexec --pid of guest-precopy
# (kernel-glue/tests/t_precopy.c), which keeps rewriting part of its 56 MiB
# while it is copied and prints its count of sweeps every second, from 6.1
# (soft-dirty pages) to 6.12. The step line of the update must give the
# pages written before the freeze (its 32 MiB that never change, but for
# the chunks at their ends) and during it, in two rounds at least. On 6.12
# it runs with the same PID, its count goes on from where it was, and on
# SIGUSR1 it checks every page against the counters it keeps in the same
# memory and passes. ferry status on 6.12 gives the update's pre-copy
# figures, kept in the update record across the switch.

# the verdict of guest-precopy, when it gave one (it ends on a bad page)
pc_verdict() { grep -a -E '^(PASS|FAIL): ' /data/pc/out | head -n 1; }
pc_sweeps() { sed -n 's/^sweeps \([0-9]*\)$/\1/p' /data/pc/out | tail -n 1; }

case "$step" in
1)
	[ "$flavor" = generic ] || { fail "step 1 runs on $flavor, expected generic"; return; }
	rm -rf /data/pc && mkdir -p /data/pc
	setsid guest-precopy /data/pc >/data/pc/out 2>&1 </dev/null &
	app_pid=$!
	i=0
	while [ ! -e /data/pc/ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /data/pc/ready ] || { fail "guest-precopy did not get ready: $(cat /data/pc/out)"; return; }
	sleep 3
	[ -n "$(pc_sweeps)" ] || { fail "guest-precopy does not count: $(cat /data/pc/out)"; return; }
	echo "$app_pid" >/data/app.pid
	sync
	update_to bpo --pid --pre-copy >/data/update.out 2>&1
	cat /data/update.out
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	[ "$flavor" = bpo ] || { fail "step 2 runs on $flavor, expected bpo"; return; }
	ferry status 2>&1
	cat /data/update.out
	pid=$(cat /data/app.pid)
	line=$(grep 'pre-copy: [0-9]* pages written before the freeze' /data/update.out)
	before=$(echo "$line" | sed -n 's/.*pre-copy: \([0-9]*\) pages written before the freeze.*/\1/p')
	rounds=$(echo "$line" | sed -n 's/.* copied in \([0-9]*\) rounds*: .*/\1/p')
	during=$(echo "$line" | sed -n 's/.*), \([0-9]*\) during it$/\1/p')
	if [ -z "$before" ] || [ "$before" -lt 8000 ] || [ -z "$during" ] || [ "$during" -lt 1 ] ||
		[ "${rounds:-0}" -lt 2 ]; then
		fail "the update's pre-copy line: '$line'"
		return
	fi
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = guest-precopy ] ||
		{ fail "pid $pid is not guest-precopy after the update: $(tail -n 3 /run/ferry/init.log 2>&1)"; return; }
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	# the record carried the same figures across the switch
	want="  pre-copy       $before pages copied before the freeze ($rounds rounds), $during during it"
	ferry status 2>&1 | grep -qxF "$want" ||
		{ fail "ferry status on $kver has no line '$want': $(ferry status 2>&1 | grep pre-copy)"; return; }
	ferry status --json 2>&1 | grep -q "\"pages_before_freeze\": *$before" ||
		{ fail "ferry status --json: no pre_copy.pages_before_freeze $before"; return; }
	check_update_logged "$pid" || return
	s1=$(pc_sweeps)
	sleep 3
	s2=$(pc_sweeps)
	if [ -z "$s1" ] || ! [ "$s2" -gt "$s1" ] 2>/dev/null; then
		fail "the sweeps stopped at $s1 after the restore ($s2)"
		return
	fi
	[ "$(grep -c '^started ' /data/pc/out)" = 1 ] ||
		{ fail "guest-precopy started again: $(grep '^started ' /data/pc/out | tr '\n' ' ')"; return; }
	kill -USR1 "$pid"
	i=0
	while [ -e "/proc/$pid" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	tail -n 3 /data/pc/out
	if pc_verdict | grep -q "^PASS: "; then
		pass
	else
		fail "guest-precopy: $(pc_verdict)"
	fi
	;;
*) fail "no step $step" ;;
esac
