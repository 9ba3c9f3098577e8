#!/bin/sh
# Run every test tier and end with one line "N passed, N failed, N skipped".
#
# Protocol: every tier is a command that prints one line per test case:
#   PASS: name
#   FAIL: name: why
#   SKIP: name: why   (a reason is required; skipping never makes a test green)
# (mk/verdict.sh prints them)
# and exits non-zero if anything failed. A tier that exits non-zero without
# printing a FAIL line counts as one failure of its own.
#
# Usage: mk/run-tests.sh BUILD_DIR
# TIERS="name ..." runs only the tiers named (make test TIERS="cli checkpoint-restore"
# while working on one area); the summary then names the tiers left out.
set -u
# shellcheck source=mk/verdict.sh
. "$(dirname "$0")/verdict.sh"

build="${1:-build}"
log_dir="$build/test-logs"
mkdir -p "$log_dir"
passed=0 failed=0 skipped=0

not_run=""
run_tier() {
	name="$1"
	shift
	if [ -n "${TIERS:-}" ] && ! printf ' %s ' "$TIERS" | grep -q " $name "; then
		not_run="$not_run $name"
		return
	fi
	log="$log_dir/$name.log"
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$log" | sed 's/^/   /'
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$s" -gt 0 ] && grep '^SKIP: ' "$log" | grep -qvE '^SKIP: [^:]+: .+'; then
		echo "   $(verdict_fail "$name" "a SKIP line without a reason")"
		f=$((f + 1))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		verdict_fail_log "$name" "exited with status $rc without naming a failed test" "$log" |
			sed 's/^/   /'
		f=1
	fi
	if [ "$f" -gt 0 ]; then
		echo "   (full output: $log)"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# Tier 1: unit tests (format library), plain and under ASan + UBSan, and the
# fuzz corpus replayed under the sanitizers.
run_tier format-unit "$build/tests/test-format"
run_tier format-unit-asan-ubsan "$build/tests/test-format-san"
run_tier format-fdt-check "$build/tests/test-fdt-check"
run_tier format-fdt-check-asan-ubsan "$build/tests/test-fdt-check-san"
run_tier format-fuzz-corpus "$build/fuzz/fuzz-reader-replay" format/fuzz/corpus
run_tier format-handoff-fuzz-corpus "$build/fuzz/fuzz-handoff-replay" format/fuzz/corpus
run_tier format-abi "$build/tests/test-abi"
run_tier format-abi-asan-ubsan "$build/tests/test-abi-san"
run_tier format-abi-fuzz-corpus "$build/fuzz/fuzz-abi-replay" format/fuzz/abi-corpus
run_tier format-freestanding sh mk/check-freestanding.sh "$build"
run_tier fuzz-build sh mk/check-fuzz-build.sh "$build"  # the libFuzzer targets of make fuzz link
run_tier update-cmdline-unit "$build/tests/test-next-cmdline"
run_tier format-sample sh format/tests/sample-test.sh "$build"
run_tier glue-plan-fuzz-corpus "$build/fuzz/fuzz-plan-replay" kernel-glue/fuzz/plan-corpus
run_tier glue-unit sh kernel-glue/tests/run-unit.sh "$build"  # kernel-glue without root (kernel-glue/tests/unit): the metadata schema, the kinds' fields

# Tier 1b: the CLI on images
run_tier cli sh tools/tests/cli-test.sh "$build"

# Tier 2: host integration: live processes checkpointed and restored on this
# kernel, each in a private PID namespace (kernel-glue/tests/)
run_tier checkpoint-restore sh kernel-glue/tests/run.sh "$build"

run_tier qemu bash qemu-tests/run-tier.sh "$build"  # Tier 3: QEMU end to end (qemu-tests/)
run_tier efi-stage sh efi-stage/tests/run-tier.sh "$build"  # stage core unit/fuzz-replay, ferry.efi link, OVMF scenarios (efi-stage/)
run_tier package sh mk/test-package.sh "$build"  # the .deb from a clean copy, lintian, make install, a build without network
run_tier debian bash qemu-tests/debian/run-tier.sh "$build"  # the Debian 12 guest with systemd and its units (qemu-tests/debian/)

echo
[ -z "$not_run" ] || echo "tiers not run (TIERS=\"$TIERS\"):$not_run"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
