#!/bin/bash
# The QEMU tier of `make test`: host unit tests of the region/kexec glue,
# then every scenario under qemu-system-x86_64 (TCG), QEMU_JOBS at a time.
#
# Usage: qemu-tests/run-tier.sh BUILD_DIR
# Env:   QEMU_JOBS (default: number of CPUs, at most 2)
#        QEMU_SCENARIOS "name:flavor[:options] ..." to run a subset
set -u

build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"

# One tier at a time per build directory: scenarios share images and logs.
mkdir -p "$build/qemu"
exec 9>"$build/qemu/.tier.lock"
if ! flock -w 900 9; then
	echo "FAIL: qemu-lock: another QEMU tier held $build/qemu/.tier.lock for 15 minutes"
	exit 1
fi

if ! make --no-print-directory -s BUILD="$build" qemu-images >"$build/qemu-images.log" 2>&1; then
	echo "FAIL: qemu-images: building the guest images failed; last lines of $build/qemu-images.log:"
	tail -n 15 "$build/qemu-images.log" | sed 's/^/   /'
	exit 1
fi

"$build/tests/test-region" || status=1
"$build/tests/test-update-record" || status=1
sh "$here/unit/test-copy-prog.sh" || status=1

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "FAIL: qemu: qemu-system-x86_64 not installed (mk/qemu-deps.sh)"
	exit 1
fi

# name:flavor[:run-scenario options with , for spaces]
default="boot-generic:generic boot-cloud:cloud boot-bpo:bpo
	region-unreserved-generic:generic:--no-memmap
	region-kexec-generic-bpo:generic region-kexec-bpo-generic:bpo
	region-kexec-generic-cloud:generic pmem-kexec-generic-bpo:generic:--pmem
	tools-kexec-generic-bpo:generic:--region,32M@0x3c000000,--append,ferry.kexec=tools
	control-kexec-generic-bpo:generic:--region,32M@0x3c000000,--append,ferry.kexec=tools-unsafe
	update-generic-bpo:generic update-bpo-generic:bpo update-generic-cloud:generic
	update-tree-generic-bpo:generic update-corrupt-generic-bpo:generic update-once-generic-bpo:generic
	update-rollback-generic-bpo:generic:--expect-panic
	update-refuse-generic:generic:--region,4M@0x30000000
	update-memcached-generic-bpo:generic:--net,tcp:127.0.0.1:39211-:11211,--client,qemu-tests/memcached-client.py"
scenarios="${QEMU_SCENARIOS:-$default}"
jobs="${QEMU_JOBS:-$(nproc)}"
[ "$jobs" -gt 2 ] && jobs=2
[ "$jobs" -lt 1 ] && jobs=1

out="$build/qemu/results"
rm -rf "$out"
mkdir -p "$out"
status=${status:-0}
running=0
t0=$(date +%s)
for s in $scenarios; do
	name=${s%%:*}
	rest=${s#*:}
	flavor=${rest%%:*}
	opts=""
	[ "$rest" != "$flavor" ] && opts=$(echo "${rest#*:}" | tr ',' ' ')
	# shellcheck disable=SC2086
	"$here/run-scenario" --build "$build" --timeout 180 $opts "$name" "$flavor" >"$out/$name" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for s in $scenarios; do
	name=${s%%:*}
	cat "$out/$name"
	grep -q -E "^(PASS: $name\$|SKIP: $name: .)" "$out/$name" || status=1
done
echo "TIME: qemu tier scenarios $(( $(date +%s) - t0 ))s with $jobs at a time"
exit "$status"
