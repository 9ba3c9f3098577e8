# scenario: bench-precopy-generic
# flavor: generic
# manual: make bench-precopy runs it, through qemu-tests/bench-precopy.sh (its options there)
#
# The downtime of ferry checkpoint (freeze -> running again) with and
# without --pre-copy, on 6.1 (soft-dirty pages), of guest-app holding
# ferry.bench_sizes= MiB (256 1024) of which it rewrites the first
# ferry.bench_dirty= (4) MiB every 10 ms. The downtime is what the process
# sees: the longest gap between two of its counts, less the 10 ms period.

bench_gap() {
	awk '$1 ~ /^[0-9]+$/ { if (last && $2 - last > gap) gap = $2 - last; last = $2 }
		END { printf "%d", gap - 10 }' "$1"
}

scenario_bench_precopy() {
	sizes=$(arg ferry.bench_sizes | tr , ' ')
	dirty=$(arg ferry.bench_dirty)
	mount -o remount,size=90% /tmp
	for mib in ${sizes:-256 1024}; do
		for mode in plain pre-copy; do
			rm -f /tmp/bench.log /tmp/image
			setsid guest-app --mem "$mib" --dirty "${dirty:-4}" --period 10 \
				--log /tmp/bench.log </dev/null >/dev/null 2>&1 &
			pid=$!
			while [ "$(tail -n 1 /tmp/bench.log 2>/dev/null | cut -d' ' -f1)" -lt 50 ] 2>/dev/null ||
				! tail -n 1 /tmp/bench.log 2>/dev/null | grep -q '^[0-9]'; do
				sleep 0.1
			done
			opt=""
			[ "$mode" = pre-copy ] && opt=--pre-copy
			t0=$(cut -d' ' -f1 /proc/uptime)
			# shellcheck disable=SC2086 # opt: one word or none
			ferry checkpoint --pid "$pid" -o /tmp/image --level 0 $opt >/tmp/summary 2>/tmp/log ||
				{ fail "checkpoint of $mib MiB ($mode): $(tail -n 3 /tmp/log | tr '\n' ' ')"; return; }
			t1=$(cut -d' ' -f1 /proc/uptime)
			sleep 0.5
			kill "$pid"
			wait "$pid" 2>/dev/null
			grep -q 'data bad' /tmp/bench.log && { fail "guest-app's data changed ($mib MiB, $mode)"; return; }
			grep -q 'tracks no soft-dirty' /tmp/log && { fail "this kernel tracks no soft-dirty pages"; return; }
			echo "BENCH: $mib MiB $mode: downtime $(bench_gap /tmp/bench.log) ms (the longest gap in its counts, less 10 ms), checkpoint $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms in all"
			sed "s/^/BENCH: $mib MiB $mode: /" /tmp/summary
		done
	done
	pass
}

scenario_bench_precopy
