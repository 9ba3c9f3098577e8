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

sh efi-stage/deps.sh >/dev/null || { echo "FAIL: efi-deps: efi-stage/deps.sh failed"; exit 1; }
if ! make --no-print-directory -s BUILD="$build" qemu-images "$build/efi/ferry.efi" \
	"$build/efi/guest-efi-stage" "$build/bin/ferry" "$build/bench/bench-stage" >"$build/efi-images.log" 2>&1 ||
	! sh efi-stage/tests/build-overlay.sh "$build" >>"$build/efi-images.log" 2>&1; then
	echo "FAIL: efi-images: building the guest images failed; last lines of $build/efi-images.log:"
	tail -n 15 "$build/efi-images.log" | sed 's/^/   /'
	exit 1
fi
[ "${2:-}" = --prepare-only ] && exit 0

# one QEMU tier at a time per build directory (shared with qemu-tests)
exec 9>"$build/qemu/.tier.lock"
flock -w 900 9 || { echo "FAIL: efi-lock: the QEMU tier lock stayed busy"; exit 1; }

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
out="$build/efi/results"
rm -rf "$out"
mkdir -p "$out"
status=0 running=0
for s in "${scenarios[@]}"; do
	name=${s%% *}
	# shellcheck disable=SC2086
	"$here/run-efi-scenario" --build "$build" --timeout 400 ${s#$name} "$name" >"$out/$name" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for s in "${scenarios[@]}"; do
	name=${s%% *}
	cat "$out/$name"
	grep -q "^PASS: $name\$" "$out/$name" || status=1
done
exit "$status"
