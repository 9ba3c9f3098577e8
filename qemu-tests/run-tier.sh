#!/bin/bash
# The QEMU tier of `make test`: host unit tests of the region/kexec glue,
# then every scenario under qemu-system-x86_64 (TCG), QEMU_JOBS at a time.
#
# Usage: qemu-tests/run-tier.sh BUILD_DIR
# Env:   QEMU_JOBS (default: number of CPUs, at most 2)
#        QEMU_SCENARIOS "name ..." to run a subset
#
# A scenario is one file, qemu-tests/scenarios/NAME.sh; its header says how
# run-scenario boots it (qemu-tests/lib/tier.sh, qemu-tests/README.md).
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
# the host unit tests of the region, update record and guest builder code,
# and of how this tier finds its scenarios
for t in "$build/tests/test-region" "$build/tests/test-update-record"; do
	if [ ! -x "$t" ]; then
		verdict_fail "$(basename "$t")" "$t was not built (make qemu-images builds it)"
		status=1
		continue
	fi
	"$t" || status=1
done
sh "$here/unit/test-copy-prog.sh" || status=1
bash "$here/unit/test-scenario-files.sh" || status=1

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	verdict_fail qemu "qemu-system-x86_64 not installed (mk/qemu-deps.sh)"
	exit 1
fi

jobs="${QEMU_JOBS:-$(nproc)}"
[ "$jobs" -gt 2 ] && jobs=2
[ "$jobs" -lt 1 ] && jobs=1

# every scenario file of qemu-tests/scenarios (qemu-tests/lib/tier.sh reads
# their headers), or those QEMU_SCENARIOS names
tier_label=qemu tier_out="$build/qemu/results"
rm -rf "$tier_out"
mkdir -p "$tier_out"
flavors=$(cut -d' ' -f1 "$build/qemu/kernels.txt" | tr '\n' ' ')
options="--region= --append= --net= --client= --mem= --timeout= --expect-panic --no-memmap --pmem --watchdog --guest-reset --cold-restart="
tier_discover "$here/scenarios" "$options" "$flavors" "${QEMU_SCENARIOS:-}" || status=1
tier_start() {
	local args
	mapfile -t args <"$tier_out/$1.args"
	"$here/run-scenario" --build "$build" --timeout 180 "${args[@]}"
}
t0=$(date +%s)
tier_run "$jobs" "${tier_names[@]}" || status=1
echo "TIME: qemu tier scenarios $(( $(date +%s) - t0 ))s with $jobs at a time"
exit "$status"
