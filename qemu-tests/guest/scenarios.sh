# Guest side of the QEMU scenarios, sourced by /init.
#
# A scenario runs in steps, one per boot: step 1 on the kernel QEMU started,
# step 2 on the kernel step 1 kexec'd into, and so on. Each step prints
#   FERRY-TEST: PASS name           or
#   FERRY-TEST: FAIL name why
# once the outcome is known; the host runner turns that into PASS:/FAIL:.
# Parameters come from the kernel command line: ferry.test=, ferry.step=,
# ferry.seed= (the pattern seed, chosen by the host), ferry.kexec=tools
# (load through kexec-tools) or tools-unsafe (kexec-tools without keeping
# its segments below the region: the control-kexec-* negative control,
# which passes only if the damage is detected).

pass() { echo "FERRY-TEST: PASS $test"; }
fail() { echo "FERRY-TEST: FAIL $test $*"; }
skip() { echo "FERRY-TEST: SKIP $test $*"; }

# kexec into /boot/vmlinuz-FLAVOR with step+1; only returns on failure.
kexec_to() {
	to="$1"
	shift
	if [ ! -f "/boot/vmlinuz-$to" ]; then
		fail "no /boot/vmlinuz-$to on the boot disk"
		return
	fi
	case "$(arg ferry.kexec)" in
	tools) export FERRY_KEXEC_FORCE_TOOLS=1 ;;
	tools-unsafe) export FERRY_KEXEC_FORCE_TOOLS=1 FERRY_KEXEC_UNSAFE_NO_MEMMAX=1 ;;
	esac
	region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
		"ferry.test=$test" "ferry.step=$((step + 1))" "$@" 2>&1
	fail "kexec to $to did not happen"
}

# region-kexec-FROM-TO: write the pattern on FROM, kexec to TO, check it there.
scenario_region_kexec() {
	from="$1" to="$2"
	seed=$(arg ferry.seed)
	seed=${seed:-1}
	case "$step" in
	1)
		[ "$flavor" = "$from" ] || { fail "step 1 runs on $flavor, expected $from"; return; }
		region-probe info 2>&1 || { fail "region unusable on $kver: $(region-probe info 2>&1 | tail -n 1)"; return; }
		grep -i -E 'reserved|persistent' /proc/iomem | sed 's/^/iomem: /'
		out=$(region-probe write-pattern "$seed" 2>&1)
		echo "$out"
		echo "$out" | grep -q '^write-pattern:' || { fail "write-pattern: $(echo "$out" | tail -n 1)"; return; }
		region-probe check-pattern "$seed" 2>&1 || { fail "pattern unreadable on the kernel that wrote it"; return; }
		echo "$seed $kver" >/data/region-seed && sync
		kexec_to "$to" "ferry.seed=$seed"
		;;
	2)
		[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
		grep -i -E 'reserved|persistent' /proc/iomem | sed 's/^/iomem: /'
		if ! grep -q "^$seed " /data/region-seed 2>/dev/null; then
			fail "data disk lost /data/region-seed across kexec"
			return
		fi
		out=$(region-probe check-pattern "$seed" 2>&1)
		rc=$?
		echo "$out"
		if [ "${test%%-*}" = control ]; then
			# negative control: this load path is expected to hit the region
			# how much is hit depends on the size of what kexec-tools loads
			if [ $rc -ne 0 ] && echo "$out" | grep -q -E 'words differ|did not survive'; then
				echo "control: damage detected as expected: $(echo "$out" | grep -E 'words differ|did not survive')"
				pass
			else
				fail "negative control: expected the pattern to be damaged, check said: $(echo "$out" | tail -n 1)"
			fi
		elif [ $rc -eq 0 ]; then
			pass
		else
			fail "pattern damaged after kexec from $from to $to ($kver): $(echo "$out" | grep -v FERRY-TIME | tail -n 1)"
		fi
		;;
	*) fail "no step $step" ;;
	esac
}

# ---- the kexec update path (ferry update, ferry-init) ----------------------

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

update_to() {
	to="$1" sel="$2"
	shift 2
	ferry update --kernel "/boot/vmlinuz-$to" --initrd "/boot/initramfs-$to.cpio.gz" \
		--append "ferry.test=$test ferry.step=$((step + 1))" --via kexec "$sel" "$app_pid" "$@" 2>&1
}

# update-[tree-|corrupt-]FROM-TO
scenario_update() {
	kind="$1" from="$2" to="$3"
	log=/data/counter.log
	[ "$kind" = tree ] && log=/data/tree.log
	case "$step" in
	1)
		[ "$flavor" = "$from" ] || { fail "step 1 runs on $flavor, expected $from"; return; }
		if [ "$kind" = tree ]; then
			tree_start
		else
			app_start --log "$log" --console /dev/ttyS0
		fi
		sleep 2
		[ "$(last_count "$log")" -gt 3 ] 2>/dev/null || { fail "the app does not count: $(tail -n 2 "$log")"; return; }
		echo "$app_pid" >/data/app.pid
		if [ "$kind" = tree ]; then
			cat /proc/$app_pid/task/*/children >/data/app.children
			echo "tree: shell $app_pid, children $(cat /data/app.children)"
		fi
		sync
		sel=--pid
		[ "$kind" = tree ] && sel=--tree
		if [ "$kind" = corrupt ]; then
			FERRY_UPDATE_TEST=corrupt update_to "$to" "$sel"
		else
			update_to "$to" "$sel"
		fi
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
		ferry status 2>&1
		pid=$(cat /data/app.pid)
		if [ "$kind" = corrupt ]; then
			if [ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ]; then
				fail "a damaged image was restored (pid $pid runs)"
			elif ! grep -q -E 'NOT RESTORED: .*(damaged|digest|CRC|crc|chunk)' /run/ferry/init.log 2>/dev/null; then
				fail "ferry-init did not give the reason: $(tail -n 3 /run/ferry/init.log 2>&1)"
			elif ! ferry status 2>&1 | grep -q 'state sealed'; then
				fail "the damaged image was not kept (region not SEALED)"
			elif ! ferry status 2>&1 | grep -q -E 'reason .*(damaged|digest|CRC|crc|chunk)'; then
				fail "ferry status does not say why"
			else
				pass
			fi
			return
		fi
		why=$(ferry status 2>&1 | sed -n 's/^  reason *//p')
		case "$why" in
		*"not supported yet"*) skip "$why"; return ;;
		esac
		for p in $pid $(cat /data/app.children 2>/dev/null); do
			[ -d "/proc/$p" ] || { fail "pid $p was not restored"; return; }
		done
		ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
		c1=$(last_count "$log")
		sleep 2
		c2=$(last_count "$log")
		[ "$c2" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1 after the restore"; return; }
		if [ "$kind" = tree ]; then
			out=$(check_counter /data/tree-src.log 500 && check_counter "$log" 500 nostart)
		else
			out=$(check_counter "$log" 500)
		fi
		if [ $? -eq 0 ]; then
			echo "$out"
			pass
		else
			fail "$(echo "$out" | tr '\n' ';')"
		fi
		;;
	*) fail "no step $step" ;;
	esac
}

# update-refuse-FLAVOR (a 4 MiB region): a selection too big for the region
# is refused before anything is frozen; a kexec that fails after the image
# was sealed thaws the process and leaves the region EMPTY.
scenario_update_refuse() {
	app_start --log /data/big.log --mem 16
	big=$app_pid
	sleep 2
	out=$(update_to "$flavor" --pid)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] || { fail "ferry update of a 16 MiB process into a 4 MiB region succeeded"; return; }
	echo "$out" | grep -q 'region is too small' || { fail "refused without naming the size: $(echo "$out" | tail -n 1)"; return; }
	echo "$out" | grep -q 'freezing' && { fail "it froze before refusing"; return; }
	traced $big && { fail "pid $big still traced after the refusal"; return; }
	c1=$(last_count /data/big.log)
	sleep 1
	[ "$(last_count /data/big.log)" -gt "$c1" ] || { fail "pid $big stopped counting after the refusal"; return; }

	app_start --log /data/small.log
	sleep 2
	out=$(FERRY_UPDATE_TEST=fail-kexec update_to "$flavor" --pid)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] || { fail "ferry update with a failing kexec reported success"; return; }
	echo "$out" | grep -q 'image sealed' || { fail "the failing kexec came before the seal: $(echo "$out" | tail -n 1)"; return; }
	traced $app_pid && { fail "pid $app_pid still traced after the failed kexec"; return; }
	c1=$(last_count /data/small.log)
	sleep 1
	[ "$(last_count /data/small.log)" -gt "$c1" ] || { fail "pid $app_pid stopped after the failed kexec"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -q 'state empty' || { fail "region not EMPTY after the failed kexec"; return; }
	pass
}

# update-once-FROM-TO: ferry-init "dies" right after marking the image
# consumed (ferry.test_init=die-after-consumed); a kexec into TO again must
# not restore it: exactly once, and ferry status says it was interrupted.
scenario_update_once() {
	from="$1" to="$2"
	case "$step" in
	1)
		app_start --log /data/counter.log
		sleep 2
		echo "$app_pid" >/data/app.pid
		sync
		update_to "$to" --pid --append "ferry.test=$test ferry.step=2 ferry.test_init=die-after-consumed"
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		grep -q 'as if the machine died' /run/ferry/init.log 2>/dev/null || { fail "the test hook did not fire"; return; }
		ferry status 2>&1 | grep -q 'state consumed' || { fail "not marked consumed before the restore"; return; }
		sync
		region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
			"ferry.test=$test" "ferry.step=3" "ferry.test_init=" >/dev/null 2>&1
		fail "kexec to $to again did not happen"
		;;
	3)
		pid=$(cat /data/app.pid)
		st=$(ferry status 2>&1)
		echo "$st"
		if [ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ]; then
			fail "the consumed image was restored a second time"
		elif ! grep -q 'state consumed: nothing to restore' /run/ferry/init.log; then
			fail "ferry-init did not refuse the consumed image: $(tail -n 2 /run/ferry/init.log)"
		elif ! echo "$st" | grep -q 'interrupted during restore'; then
			fail "ferry status does not say the restore was interrupted"
		else
			pass
		fi
		;;
	esac
}

# update-rollback-FROM-TO (run-scenario --expect-panic): the update kernel
# TO cannot start its init (rdinit= names nothing, no root=) and panics
# before any restore; panic=-1 reboots, and QEMU starts FROM again with its
# own command line (ferry.step=1 again: the boots are counted on the data
# disk). The image is still SEALED in the range, which the reset kept:
# ferry-init restores it on FROM, the kernel it was taken on.
scenario_update_rollback() {
	from="$1" to="$2"
	boot=$(($(cat /data/rollback-boots 2>/dev/null || echo 0) + 1))
	echo "$boot" >/data/rollback-boots
	sync
	[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
	case "$boot" in
	1)
		app_start --log /data/counter.log --console /dev/ttyS0
		sleep 2
		[ "$(last_count /data/counter.log)" -gt 3 ] 2>/dev/null || { fail "the app does not count"; return; }
		echo "$app_pid" >/data/app.pid
		sync
		update_to "$to" --pid --append "ferry.test=$test ferry.step=2 rdinit=/nonexistent"
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		st=$(ferry status 2>&1)
		echo "$st"
		echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
		# the gap spans a panic and a reboot through the BIOS; its length is in the downtime
		counter_restored 3000
		;;
	*) fail "boot $boot: the update kernel came up again, or the test looped" ;;
	esac
}

# ---- memcached with a client on the host -----------------------------------

mc() { printf '%b' "$1\r\nquit\r\n" | nc 127.0.0.1 11211 2>/dev/null; }
mc_get() { mc "get $1" | sed -n '2p' | tr -d '\r'; }
mc_set() { mc "set $1 0 0 ${#2}\r\n$2" >/dev/null; }

# Start memcached (app_pid) and wait until the host client stored its keys.
memcached_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid /usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m "${MC_MEM:-64}" -t 2 </dev/null >/dev/null 2>&1 &
	app_pid=$!
	i=0
	until mc version | grep -q VERSION; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
	echo "FERRY-MEMCACHED: up as pid $app_pid, waiting for the host client"
	memcached_wait_client
}

memcached_wait_client() {
	i=0
	until [ -n "$(mc_get ferry-client-loaded)" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && return 1
		sleep 0.5
	done
	echo "FERRY-MEMCACHED: the host client stored $(mc_get ferry-client-loaded) keys; $(mc stats | grep -a 'curr_connections' | tr -d '\r')"
}

# After the restore: tell the client, wait for its verdict over its connection.
memcached_check() {
	pid=$(cat "${1:-/data/app.pid}")
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = memcached ] || {
		fail "memcached (pid $pid) was not restored: $(ferry status 2>&1 | sed -n 's/^  reason *//p')"
		return 1
	}
	echo "FERRY-MEMCACHED: restored as pid $pid; $(mc stats | grep -a 'curr_items' | tr -d '\r')"
	grep ':2BCB' /proc/net/tcp | sed 's/^/tcp: /' 
	mc_set ferry-guest-restored 1
	echo "FERRY-CLIENT-GO"
	i=0
	until v=$(mc_get ferry-client-verified) && [ -n "$v" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && { fail "the host client never reported"; return 1; }
		sleep 0.5
	done
	echo "FERRY-MEMCACHED: client: $v"
	case "$v" in
	ok*) return 0 ;;
	*) fail "host client: $v"; return 1 ;;
	esac
}

# update-memcached-FROM-TO (run with --net and --client memcached-client.py)
scenario_update_memcached() {
	from="$1" to="$2"
	[ -x /usr/bin/memcached ] || { skip "no memcached in the guest: the host has none to copy (make deps)"; return; }
	case "$step" in
	1)
		memcached_start || { fail "memcached or its host client did not come up"; return; }
		echo "$app_pid" >/data/app.pid
		sync
		update_to "$to" --pid
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		memcached_check && pass
		;;
	esac
}

# ---- make demo / make bench-update ------------------------------------------

say() { echo "DEMO: $*"; }

# demo-FROM-TO: the appliance runs a counter holding 64 MiB of data on FROM;
# ferry update carries it to TO by kexec; show it went on, and the downtime.
scenario_demo() {
	from="$1" to="$2"
	case "$step" in
	1)
		say "phase 2: the appliance is up on Linux $kver ($flavor)"
		sel=--pid
		if [ -x /usr/bin/memcached ] && [ -e /sys/class/net/eth0 ]; then
			i=0
			while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
			setsid sh -c "/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m 64 -t 2 & guest-app --log /data/counter.log --console /dev/ttyS0 --mem 64 & wait" </dev/null >/dev/null 2>&1 &
			app_pid=$!
			sleep 1
			for c in $(cat /proc/$app_pid/task/*/children); do
				[ "$(cat /proc/$c/comm)" = memcached ] && echo "$c" >/data/mc.pid
				[ "$(cat /proc/$c/comm)" = guest-app ] && echo "$c" >/data/app.pid
			done
			say "a shell (pid $app_pid) runs memcached (pid $(cat /data/mc.pid)) and guest-app (pid $(cat /data/app.pid))"
			say "waiting for the memcached client on the host (through QEMU user networking) to store its keys"
			memcached_wait_client || { fail "the host client did not store its keys"; return; }
			say "$(mc stats | grep -a -E 'curr_items|curr_connections' | tr -d '\r' | tr '\n' ' ')"
			sel=--tree
		else
			app_start --log /data/counter.log --console /dev/ttyS0 --mem 64
			echo "$app_pid" >/data/app.pid
			sleep 2
		fi
		sleep 1
		say "guest-app counts every 100 ms and holds 64 MiB of data; its count now: $(last_count /data/counter.log)"
		sync
		say "phase 3: ferry update --kernel /boot/vmlinuz-$to --via kexec $sel $app_pid"
		update_to "$to" "$sel"
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		pid=$(cat /data/app.pid)
		say "phase 4: now running Linux $kver ($flavor)"
		if [ "$(cat /proc/$pid/comm 2>/dev/null)" != guest-app ]; then
			fail "guest-app (pid $pid) was not restored: $(ferry status 2>&1 | sed -n 's/^  reason *//p')"
			return
		fi
		c1=$(last_count /data/counter.log)
		sleep 3
		c2=$(last_count /data/counter.log)
		say "guest-app is still pid $pid, never restarted; its count went from $c1 to $c2 in 3 s"
		grep -q 'data bad' /data/counter.log && { fail "its data changed"; return; }
		say "its 64 MiB of data checked out unchanged"
		out=$(check_counter /data/counter.log 500) || { fail "$out"; return; }
		say "$out"
		if [ -e /data/mc.pid ]; then
			memcached_check /data/mc.pid || return
			say "memcached: every key read back by the host client on its same TCP connection"
		fi
		say "phase 5: ferry status"
		ferry status 2>&1 | sed 's/^/DEMO:   /'
		pass
		;;
	esac
}

# busybox date has no %N: /proc/uptime has 10 ms steps
bench_now() { read -r up _ </proc/uptime; echo "$up"; }
bench_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# Start guest-app --mem MIB, return when its first count is logged.
bench_cold_start() {
	rm -f /data/bench.log
	echo "BENCH: cold-start-begin"
	t0=$(bench_now)
	app_start --log /data/bench.log --mem "$1"
	while ! grep -q '^1 ' /data/bench.log 2>/dev/null; do sleep 0.05; done
	cold_ms=$(bench_ms "$t0" "$(bench_now)")
}

# bench-update-FROM-TO: the update of a process holding BENCH_MIB (256) MiB,
# then a plain reboot of the same guest (kexec, no ferry) and a cold start.
scenario_bench() {
	from="$1" to="$2" mib=$(arg ferry.bench_mib)
	mib=${mib:-256}
	app=$(arg ferry.bench_app)
	[ "$app" = memcached ] && { scenario_bench_memcached "$from" "$to" "$mib"; return; }
	case "$step" in
	1)
		bench_cold_start "$mib"
		echo "BENCH: cold-start-1 ${cold_ms} ms ($mib MiB)"
		echo "$app_pid" >/data/app.pid
		sleep 2
		sync
		echo "BENCH: update-begin"
		level=$(arg ferry.bench_level)
		update_to "$to" --pid --level "${level:-0}"
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		pid=$(cat /data/app.pid)
		echo "BENCH: restored-init"
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ] || { fail "not restored"; return; }
		ferry status 2>&1 | sed 's/^/BENCH: status /'
		sleep 2
		grep -q 'data bad' /data/bench.log && { fail "data changed"; return; }
		out=$(check_counter /data/bench.log 500) || { fail "$out"; return; }
		kill "$pid"
		sync
		echo "BENCH: plain-reboot-begin"
		region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
			"ferry.test=$test" "ferry.step=3" >/dev/null 2>&1
		fail "plain kexec reboot did not happen"
		;;
	3)
		echo "BENCH: plain-reboot-init"
		bench_cold_start "$mib"
		echo "BENCH: cold-start-2 ${cold_ms} ms ($mib MiB)"
		echo "BENCH: app-ready-again"
		pass
		;;
	esac
}

# The same with memcached holding what the host client stored (MIB of
# values): the update, then a plain reboot and a cold start (empty cache).
scenario_bench_memcached() {
	from="$1" to="$2" mib="$3"
	case "$step" in
	1)
		echo "BENCH: app memcached"
		MC_MEM=$((mib + mib / 2)) memcached_start || { fail "memcached or its client did not come up"; return; }
		echo "BENCH: memcached $(mc stats | grep -a -E 'curr_items|bytes ' | tr -d '\r' | tr '\n' ' ')"
		echo "$app_pid" >/data/app.pid
		sync
		echo "BENCH: update-begin"
		update_to "$to" --pid
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		echo "BENCH: restored-init"
		ferry status 2>&1 | sed 's/^/BENCH: status /'
		memcached_check || return
		kill "$(cat /data/app.pid)"
		sync
		echo "BENCH: plain-reboot-begin"
		region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
			"ferry.test=$test" "ferry.step=3" >/dev/null 2>&1
		fail "plain kexec reboot did not happen"
		;;
	3)
		echo "BENCH: plain-reboot-init"
		t0=$(bench_now)
		setsid /usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m $((mib + mib / 2)) -t 2 </dev/null >/dev/null 2>&1 &
		until mc version | grep -q VERSION; do sleep 0.05; done
		echo "BENCH: cold-start-2 $(bench_ms "$t0" "$(bench_now)") ms (memcached, $(mc stats | grep -a curr_items | tr -d '\r'): every key lost)"
		echo "BENCH: app-ready-again"
		pass
		;;
	esac
}

scenario_run() {
	case "$1" in
	boot-*)
		want=${1#boot-}
		if [ "$flavor" = "$want" ]; then
			region-probe info 2>&1
			pass
		else
			fail "booted $flavor, expected $want"
		fi
		;;
	region-kexec-*-* | pmem-kexec-*-* | tools-kexec-*-* | control-kexec-*-*)
		pair=${1#*-kexec-}
		scenario_region_kexec "${pair%%-*}" "${pair#*-}"
		;;
	demo-*-*)
		pair=${1#demo-}
		scenario_demo "${pair%%-*}" "${pair#*-}"
		;;
	bench-update-*-*)
		pair=${1#bench-update-}
		scenario_bench "${pair%%-*}" "${pair#*-}"
		;;
	update-refuse-*)
		scenario_update_refuse
		;;
	update-memcached-*-*)
		pair=${1#update-memcached-}
		scenario_update_memcached "${pair%%-*}" "${pair#*-}"
		;;
	update-rollback-*-*)
		pair=${1#update-rollback-}
		scenario_update_rollback "${pair%%-*}" "${pair#*-}"
		;;
	update-once-*-*)
		pair=${1#update-once-}
		scenario_update_once "${pair%%-*}" "${pair#*-}"
		;;
	update-tree-*-* | update-corrupt-*-*)
		rest=${1#update-}
		kind=${rest%%-*}
		pair=${rest#*-}
		scenario_update "$kind" "${pair%%-*}" "${pair#*-}"
		;;
	update-*-*)
		pair=${1#update-}
		scenario_update counter "${pair%%-*}" "${pair#*-}"
		;;
	region-unreserved-*)
		# booted without memmap=: the region must be refused, with the fix named
		out=$(region-probe write-pattern 1 2>&1)
		rc=$?
		echo "$out"
		if [ $rc -eq 0 ]; then
			fail "an unreserved range was accepted as the region"
		elif echo "$out" | grep -q 'memmap=.*missing'; then
			pass
		else
			fail "refused without naming memmap=: $(echo "$out" | tail -n 1)"
		fi
		;;
	*)
		fail "unknown scenario $1"
		;;
	esac
}
