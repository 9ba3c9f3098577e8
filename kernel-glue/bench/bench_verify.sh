#!/bin/sh
# The cost of the verify step of ferry restore on a process holding
# BENCH_VERIFY_MIB (default 1024) MiB: the restore's own measure of it
# (restore --json: verify_ms), and the whole restore with it and with
# --no-verify, medians of 3 rounds. Part of make bench-checkpoint.
#
# Usage: bench_verify.sh FERRY_BINARY
set -u
ferry="$1"
mib="${BENCH_VERIFY_MIB:-1024}"
dir=$(mktemp -d "${BENCH_DIR:-/dev/shm}/ferry-bench-verify.XXXXXX")
trap 'kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "bench-verify: needs root (restore with the original pid)" >&2
	exit 1
fi
command -v python3 >/dev/null || { echo "bench-verify: needs python3" >&2; exit 1; }

# a process holding MIB of pages that are not all the same, left alone,
# holding no descriptor of its caller
start() {
	python3 -c "
import os, signal, time
os.closerange(3, os.sysconf('SC_OPEN_MAX'))  # nothing of its caller (a lock, a pipe)
data = [bytes([i % 251]) * (1 << 20) for i in range($mib)]
open('$dir/ready', 'w').close()
while True:
    signal.pause()
" </dev/null >/dev/null 2>&1 &
	pid=$!
	while [ ! -e "$dir/ready" ]; do sleep 0.1; done
	rm -f "$dir/ready"
}

now() {
	date +%s.%N
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

start
for round in 1 2 3; do
	for mode in verify no-verify; do
		"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill >/dev/null ||
			{ echo "bench-verify: checkpoint failed" >&2; exit 1; }
		wait "$pid" 2>/dev/null
		# a restored one is init's child, reaped when init gets to it
		while [ -e "/proc/$pid" ]; do sleep 0.01; done
		t0=$(now)
		if [ "$mode" = verify ]; then
			"$ferry" restore --json "$dir/image" >"$dir/json" ||
				{ echo "bench-verify: restore failed" >&2; exit 1; }
		else
			"$ferry" restore --json --no-verify "$dir/image" >"$dir/json" ||
				{ echo "bench-verify: restore failed" >&2; exit 1; }
		fi
		t1=$(now)
		echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$dir/$mode.s"
		[ "$mode" = verify ] &&
			sed -n 's/.*"verify_ms": *\([0-9.]*\).*/\1/p' "$dir/json" >>"$dir/verify.ms"
		areas=$(sed -n 's/.*"areas": *\([0-9]*\).*/\1/p' "$dir/json")
		fds=$(sed -n 's/.*"fds": *\([0-9]*\).*/\1/p' "$dir/json")
	done
done
printf 'verify after restore of a %s MiB process (%s areas, %s fds), medians of 3:\n' \
	"$mib" "$areas" "$fds"
printf '  verify step               %8.1f ms\n' "$(median <"$dir/verify.ms")"
printf '  restore with verify       %8.3f s\n' "$(median <"$dir/verify.s")"
printf '  restore with --no-verify  %8.3f s\n' "$(median <"$dir/no-verify.s")"
