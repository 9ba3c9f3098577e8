#!/bin/bash
# The OVMF scenarios: guest images (qemu-tests' builder), the initramfs
# overlays, then each scenario through efi-stage/tests/run-efi-scenario,
# two at a time. PASS:/FAIL: lines as mk/run-tests.sh wants them.
#
# Usage: efi-stage/tests/run-efi-tier.sh BUILD_DIR [--prepare-only]
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

scenarios=(
	"efi-boot"
	"efi-expand"
	"efi-corrupt"
	"efi-missing-update --conf update_kernel=\\EFI\\ferry\\vmlinuz-missing"
	"efi-install --install"
	"efi-update"
	"efi-update-rollback --expect-panic"
	"efi-update-memcached --net"
)
tier_out="$build/efi/results"
rm -rf "$tier_out"
mkdir -p "$tier_out"
names=()
for s in "${scenarios[@]}"; do
	name=${s%% *}
	names+=("$name")
	echo "${s#$name}" >"$tier_out/$name.args"
done
tier_start() {
	local opts
	read -r opts <"$tier_out/$1.args"
	# shellcheck disable=SC2086
	"$here/run-efi-scenario" --build "$build" --timeout 400 $opts "$1"
}
tier_run 2 "${names[@]}"
