# scenario: bench-update-generic-bpo
# flavor: generic
# manual: make bench-update runs it, through qemu-tests/bench-update.sh (its options there)
#
# The update of a process holding ferry.bench_mib= (256) MiB, 6.1 to 6.12,
# then a plain reboot of the same guest (kexec, no ferry) and a cold start;
# with ferry.bench_precopy=1 the update takes --pre-copy.

# busybox date has no %N: /proc/uptime has 10 ms steps
bench_now() { read -r up _ </proc/uptime; echo "$up"; }
bench_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# ferry.bench_precopy=1 (BENCH_PRECOPY=1): the update with --pre-copy
bench_precopy_opt() { [ "$(arg ferry.bench_precopy)" = 1 ] && echo --pre-copy; }

# Start guest-app --mem MIB, return when its first count is logged.
bench_cold_start() {
	rm -f /data/bench.log
	echo "BENCH: cold-start-begin"
	t0=$(bench_now)
	app_start --log /data/bench.log --mem "$1"
	while ! grep -q '^1 ' /data/bench.log 2>/dev/null; do sleep 0.05; done
	cold_ms=$(bench_ms "$t0" "$(bench_now)")
}

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
		# shellcheck disable=SC2046 # --pre-copy or nothing
		update_to "$to" --pid --level "${level:-0}" $(bench_precopy_opt)
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
		# shellcheck disable=SC2046 # --pre-copy or nothing
		update_to "$to" --pid $(bench_precopy_opt)
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

scenario_bench generic bpo
