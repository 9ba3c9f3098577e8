#!/bin/sh
# The committed sample image (format/tests/data/sample.ferry): regenerating
# it gives the same bytes, and it verifies.
#
# Usage: format/tests/sample-test.sh BUILD_DIR   (from the repository root)
set -u
build="${1:-build}"
mksample="$build/tests/mksample"
sample=format/tests/data/sample.ferry
failed=0

if [ ! -x "$mksample" ]; then
	echo "FAIL: sample-regenerates-identical: $mksample was not built (make $mksample)"
	echo "FAIL: sample-verifies: $mksample was not built"
	exit 1
fi

tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT INT TERM

if ! "$mksample" "$tmp" >/dev/null; then
	echo "FAIL: sample-regenerates-identical: $mksample could not write an image"
	failed=1
elif cmp -s "$tmp" "$sample"; then
	echo "PASS: sample-regenerates-identical"
else
	echo "FAIL: sample-regenerates-identical: $sample differs from what the writer produces now;" \
		"if the change is intended, run 'make sample-image' and commit the new sample"
	failed=1
fi

if out=$("$mksample" --verify "$sample" 2>&1); then
	echo "PASS: sample-verifies"
else
	echo "FAIL: sample-verifies: $out"
	failed=1
fi
exit $failed
