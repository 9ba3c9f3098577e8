#!/bin/sh
# The efi-stage tier of `make test`: the stage core's unit tests (plain and
# under ASan + UBSan), its fuzz corpus replayed, the ferry.efi link check,
# then the QEMU + OVMF scenarios (efi-stage/tests/run-efi-tier.sh).
#
# Usage: efi-stage/tests/run-tier.sh BUILD_DIR
set -u
build="${1:-build}"
# shellcheck source=mk/verdict.sh
. "$(dirname "$0")/../../mk/verdict.sh"
status=0

make --no-print-directory -s BUILD="$build" "$build/tests/test-stage" "$build/tests/test-stage-san" \
	"$build/fuzz/fuzz-stage-replay" >"$build/efi-stage-build.log" 2>&1 || {
	verdict_fail_log efi-stage-build "building the stage's host tests failed" "$build/efi-stage-build.log"
	exit 1
}
"$build/tests/test-stage" || status=1
"$build/tests/test-stage-san" | sed 's/^\(PASS\|FAIL\): \([^:]*\)/\1: \2-asan-ubsan/' || status=1
"$build/fuzz/fuzz-stage-replay" efi-stage/fuzz/corpus format/fuzz/corpus |
	sed 's/fuzz-corpus-replay/stage-fuzz-corpus-replay/' || status=1

# gnu-efi and OVMF are test dependencies (make deps, efi-stage/deps.sh):
# without them the tier cannot run, which is a failure, not a skip
if [ ! -f /usr/lib/libgnuefi.a ]; then
	verdict_fail efi-link "gnu-efi is not installed: no /usr/lib/libgnuefi.a (efi-stage/deps.sh installs it)"
	exit 1
fi
if make --no-print-directory -s BUILD="$build" "$build/efi/ferry.efi" >"$build/efi-build.log" 2>&1; then
	if nm -u "$build/efi/ferry.so" | grep -q .; then
		verdict_fail efi-link "undefined symbols in $build/efi/ferry.so: $(nm -u "$build/efi/ferry.so" | tr '\n' ' ')"
		status=1
	elif ! objdump -f "$build/efi/ferry.efi" 2>/dev/null | grep -q 'pei-x86-64'; then
		verdict_fail efi-link "$build/efi/ferry.efi is not a PE/COFF x86_64 image"
		status=1
	else
		verdict_pass efi-link
	fi
else
	verdict_fail_log efi-link "building ferry.efi failed" "$build/efi-build.log"
	exit 1
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	verdict_fail efi-qemu "qemu-system-x86_64 not installed (mk/qemu-deps.sh)"
	exit 1
fi
bash efi-stage/tests/run-efi-tier.sh "$build" || status=1
exit "$status"
