#!/bin/bash
# make soak: SOAK_CYCLES (100) updates in a row by kexec in one guest
# (qemu-tests/scenarios/soak-generic-bpo.sh: memcached and guest-app with a
# host client on one TCP connection), then SOAK_EFI_CYCLES (20, 0: none)
# through the reboot path under OVMF (efi-stage/tests/scenarios/efi-soak.sh).
# Prints a line per cycle and the downtimes of each run; exits 0 only when
# both pass. The qemu and efi-stage tiers run the same scenarios with 10
# and 3 cycles.
#
# Usage: qemu-tests/soak.sh BUILD_DIR
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
cycles="${SOAK_CYCLES:-100}"
efi_cycles="${SOAK_EFI_CYCLES:-20}"
status=0

echo "== $cycles updates by kexec (soak-generic-bpo)"
bash "$here/run-scenario" --build "$build" --timeout $((cycles * 60 + 300)) \
	--net tcp:127.0.0.1:39241-:11211 --client "$here/soak-client.py" \
	--append "ferry.soak=$cycles" soak-generic-bpo generic >"$build/qemu/soak.out" 2>&1 || status=1
grep -a 'soak: ' "$build/qemu/logs/soak-generic-bpo.log" | tr -d '\r'
grep -E '^(PASS|FAIL|SKIP)' "$build/qemu/soak.out"

if [ "$efi_cycles" -gt 0 ]; then
	echo "== $efi_cycles updates through the reboot path (efi-soak)"
	if ! make --no-print-directory -s BUILD="$build" "$build/efi/ferry.efi" "$build/efi/guest-efi-stage" \
		>"$build/efi-images.log" 2>&1 || ! sh efi-stage/tests/build-overlay.sh "$build" >>"$build/efi-images.log" 2>&1; then
		echo "FAIL: efi-soak: building the guest images failed (see $build/efi-images.log)"
		exit 1
	fi
	bash efi-stage/tests/run-efi-scenario --build "$build" --timeout $((efi_cycles * 90 + 300)) \
		--append "ferry.soak=$efi_cycles" efi-soak >"$build/efi/soak.out" 2>&1 || status=1
	grep -a 'soak: ' "$build/efi/logs/efi-soak.log" | tr -d '\r'
	grep -E '^(PASS|FAIL|SKIP)' "$build/efi/soak.out"
fi
exit "$status"
