#!/bin/bash
# The OVMF scenarios: guest images (qemu-tests' builder), the initramfs
# overlays, then each scenario through efi-stage/tests/run-efi-scenario,
# two at a time. PASS:/FAIL: lines as mk/run-tests.sh wants them.
#
# Usage: efi-stage/tests/run-efi-tier.sh BUILD_DIR [--prepare-only]
# Env:   EFI_SCENARIOS "name ..." to run a subset
#
# A scenario is one file, efi-stage/tests/scenarios/NAME.sh; its header
# says how run-efi-scenario boots it (qemu-tests/lib/tier.sh; no flavor:
# ferry.conf names the kernels).
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
# shellcheck source=qemu-tests/lib/tier.sh
. qemu-tests/lib/tier.sh

sh efi-stage/deps.sh >/dev/null || { verdict_fail efi-deps "efi-stage/deps.sh failed"; exit 1; }
if ! make --no-print-directory -s BUILD="$build" qemu-images "$build/efi/ferry.efi" \
	"$build/efi/guest-efi-stage" "$build/bin/ferry" "$build/bench/bench-stage" >"$build/efi-images.log" 2>&1 ||
	! sh efi-stage/tests/build-overlay.sh "$build" >>"$build/efi-images.log" 2>&1; then
	verdict_fail_log efi-images "building the guest images failed" "$build/efi-images.log"
	exit 1
fi
[ "${2:-}" = --prepare-only ] && exit 0

# one QEMU tier at a time per build directory (shared with qemu-tests)
exec 9>"$build/qemu/.tier.lock"
flock -w 900 9 || { verdict_fail efi-lock "the QEMU tier lock stayed busy"; exit 1; }

# every scenario file of efi-stage/tests/scenarios (qemu-tests/lib/tier.sh
# reads their headers), or those EFI_SCENARIOS names
tier_label=efi-qemu tier_out="$build/efi/results"
rm -rf "$tier_out"
mkdir -p "$tier_out"
status=0
tier_discover "$here/scenarios" "--conf= --install --expect-panic --net --timeout=" "" \
	"${EFI_SCENARIOS:-}" || status=1
tier_start() {
	local args
	mapfile -t args <"$tier_out/$1.args"
	"$here/run-efi-scenario" --build "$build" --timeout 400 "${args[@]}"
}
tier_run 2 "${tier_names[@]}" || status=1
exit "$status"
