#!/bin/sh
# The libFuzzer targets `make fuzz` runs build and link: they link libfdt
# from its source (third_party/libfdt), which lacks some calls Debian's
# libfdt has, and nothing else in make test links them.
# Usage: mk/check-fuzz-build.sh BUILD     (prints PASS:/FAIL: lines)
set -u
build="$1"
rc=0
for t in reader handoff abi plan; do
	log="$build/test-logs/fuzz-build-$t.log"
	if make -s --no-print-directory "$build/fuzz/fuzz-$t" >"$log" 2>&1; then
		echo "PASS: fuzz-build-$t"
	else
		echo "FAIL: fuzz-build-$t: $build/fuzz/fuzz-$t does not build: $(grep -m1 -E 'error|undefined' "$log")"
		rc=1
	fi
done
exit $rc
