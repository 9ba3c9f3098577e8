# scenario: precopy-generic
# flavor: generic
#
# ferry checkpoint --pre-copy on a kernel that tracks soft-dirty pages
# (Debian's 6.1): guest-precopy (kernel-glue/tests/t_precopy.c) keeps
# rewriting part of its 56 MiB while it is copied; checkpoint --pre-copy
# --kill, restore, the same again, then it checks every page against the
# counters it keeps in the same memory. Each summary must name pages
# written before the freeze (its 32 MiB that never change at least) and
# during it, and two rounds of copies at least; each image must verify.

# the verdict of guest-precopy, when it gave one (it ends on a bad page)
verdict() { grep -a -E '^(PASS|FAIL): ' /tmp/pc/out | head -n 1; }

precopy_round() {
	sleep 1
	if [ ! -e "/proc/$pid" ] || [ -n "$(verdict)" ]; then
		fail "before checkpoint $1, guest-precopy ended: $(verdict)"
		return 1
	fi
	if ! ferry checkpoint --pid "$pid" -o /data/image --kill --pre-copy \
		>/tmp/summary 2>/tmp/log; then
		fail "checkpoint $1 failed: $(tail -n 5 /tmp/log | tr '\n' ' ')"
		return 1
	fi
	cat /tmp/summary /tmp/log
	if grep -q "tracks no soft-dirty" /tmp/log; then
		fail "this kernel tracks no soft-dirty pages"
		return 1
	fi
	before=$(sed -n 's/.*: \([0-9]*\) pages written before the freeze.*/\1/p' /tmp/summary)
	during=$(sed -n 's/.*), \([0-9]*\) during it$/\1/p' /tmp/summary)
	rounds=$(sed -n 's/.* copied in \([0-9]*\) rounds*), .*/\1/p' /tmp/summary)
	if [ -z "$before" ] || [ -z "$during" ] || [ "$before" -lt 8000 ] || [ "$during" -lt 1 ] ||
		[ "${rounds:-0}" -lt 2 ]; then
		fail "checkpoint $1: before the freeze '$before', during '$during', rounds '$rounds'"
		return 1
	fi
	if ! ferry verify /data/image; then
		fail "checkpoint $1: the image does not verify"
		return 1
	fi
	i=0
	while [ -e "/proc/$pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if ! ferry restore /data/image 2>&1; then
		fail "restore $1 failed; guest-precopy: $(verdict)"
		return 1
	fi
	[ -e "/proc/$pid" ] || { fail "pid $pid is not there after restore $1"; return 1; }
}

scenario_precopy() {
	mkdir -p /tmp/pc
	setsid guest-precopy /tmp/pc >/tmp/pc/out 2>&1 </dev/null &
	pid=$!
	i=0
	while [ ! -e /tmp/pc/ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /tmp/pc/ready ] || { fail "guest-precopy did not get ready"; return; }
	precopy_round 1 || return
	precopy_round 2 || return
	kill -USR1 "$pid"
	i=0
	while [ -e "/proc/$pid" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	cat /tmp/pc/out
	if verdict | grep -q "^PASS: "; then
		pass
	else
		fail "guest-precopy: $(verdict)"
	fi
}

scenario_precopy
