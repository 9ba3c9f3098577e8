#!/bin/bash
# make bench-precopy: in one QEMU run (TCG, 1 vCPU, 5 GiB) on 6.1, which
# tracks soft-dirty pages: the downtime of `ferry checkpoint` (freeze ->
# the process runs again, seen by the process itself) with and without
# --pre-copy, of guest-app holding BENCH_SIZES MiB (default "256 1024") of
# which it rewrites the first BENCH_DIRTY MiB (default 4) every 10 ms;
# images stored (--level 0) in the guest's tmpfs.
#
# Usage: qemu-tests/bench-precopy.sh BUILD_DIR
set -u

build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
sizes="${BENCH_SIZES:-256 1024}"
dirty="${BENCH_DIRTY:-4}"
name=bench-precopy-generic

"$here/run-scenario" --build "$build" --timeout 1800 --mem 5G \
	--append "ferry.bench_sizes=${sizes// /,} ferry.bench_dirty=$dirty" \
	"$name" generic >"$build/qemu/bench-precopy.out" 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP)' "$build/qemu/bench-precopy.out"
[ "$rc" -eq 0 ] || { tail -n 30 "$build/qemu/bench-precopy.out"; exit 1; }
echo "== ferry checkpoint --level 0 of guest-app rewriting $dirty MiB every 10 ms (QEMU TCG, 6.1)"
tr -d '\r' <"$build/qemu/logs/$name.log" | sed -n 's/^BENCH: /  /p'
