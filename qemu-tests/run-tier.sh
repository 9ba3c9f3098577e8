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
# shellcheck source=qemu-tests/lib/tier.sh
. "$here/lib/tier.sh"

# One tier at a time per build directory: scenarios share images and logs.
mkdir -p "$build/qemu"
exec 9>"$build/qemu/.tier.lock"
if ! flock -w 900 9; then
	verdict_fail qemu-lock "another QEMU tier held $build/qemu/.tier.lock for 15 minutes"
	exit 1
fi

if ! make --no-print-directory -s BUILD="$build" qemu-images >"$build/qemu-images.log" 2>&1; then
	verdict_fail_log qemu-images "building the guest images failed" "$build/qemu-images.log"
	exit 1
fi

status=0
# the host unit tests of the region, update record and guest builder code
for t in "$build/tests/test-region" "$build/tests/test-update-record"; do
	if [ ! -x "$t" ]; then
		verdict_fail "$(basename "$t")" "$t was not built (make qemu-images builds it)"
		status=1
		continue
	fi
	"$t" || status=1
done
sh "$here/unit/test-copy-prog.sh" || status=1

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	verdict_fail qemu "qemu-system-x86_64 not installed (mk/qemu-deps.sh)"
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

tier_out="$build/qemu/results"
rm -rf "$tier_out"
mkdir -p "$tier_out"
names=()
for s in $scenarios; do
	name=${s%%:*}
	names+=("$name")
	rest=${s#*:}
	flavor=${rest%%:*}
	opts=""
	[ "$rest" != "$flavor" ] && opts=$(echo "${rest#*:}" | tr ',' ' ')
	echo "$flavor $opts" >"$tier_out/$name.args"
done
tier_start() {
	local flavor opts
	read -r flavor opts <"$tier_out/$1.args"
	# shellcheck disable=SC2086
	"$here/run-scenario" --build "$build" --timeout 180 $opts "$1" "$flavor"
}
t0=$(date +%s)
tier_run "$jobs" "${names[@]}" || status=1
echo "TIME: qemu tier scenarios $(( $(date +%s) - t0 ))s with $jobs at a time"
exit "$status"
