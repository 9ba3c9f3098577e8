#!/bin/sh
# The ferry CLI as a user drives it: help and usage errors, inspect (text,
# --json, --chunks) and verify on the sample image, and verify/inspect on
# damaged copies of it; --json and the exit statuses (machine.sh); ferry
# region on fixtures (region.sh). Prints PASS/FAIL/SKIP lines (mk/run-tests.sh) and
# exits 1 if any test failed.
#
# Usage: tools/tests/cli-test.sh BUILD_DIR   (run from the repository root)
set -u

build="${1:-build}"
ferry="$build/bin/ferry"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
failures=0

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ferry-cli-test.XXXXXX")" || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	failures=$((failures + 1))
}
skip() { echo "SKIP: $1: $2"; }

# run ARGS...: ferry's stdout in $tmp/out, stderr in $tmp/err, status in $rc
run() {
	"$ferry" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# what the last run printed, for failure messages
printed() {
	printf '%s' "$(cat "$tmp/out" "$tmp/err" 2>/dev/null | head -c 300 | tr '\n' ' ')"
}

# expect NAME STATUS PATTERN [ARGS...]: ferry ARGS exits STATUS and its
# stdout+stderr match the extended regex PATTERN
expect() {
	name="$1" want="$2" pattern="$3"
	shift 3
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit status $rc, expected $want; printed: $(printed)"
	elif ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$pattern"; then
		fail "$name" "output does not match /$pattern/; printed: $(printed)"
	else
		pass "$name"
	fi
}

# u32/u64 little-endian at byte OFFSET of FILE
le_u32() { od -An --endian=little -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
le_u64() { od -An --endian=little -tu8 -j "$2" -N8 "$1" | tr -d ' '; }

# write byte value VALUE at OFFSET of FILE, in place
put_byte() {
	# shellcheck disable=SC2059 # the format is the octal escape we build
	printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

byte_at() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }

flip_byte() { put_byte "$1" "$2" $(($(byte_at "$1" "$2") ^ 0xff)); }

# ---- help and usage ------------------------------------------------------

test_help() {
	version="$(cat "$repo/VERSION")"
	expect help-main 0 'inspect .*' --help
	expect help-main-lists-verify 0 '^  verify ' --help
	expect help-inspect 0 '^Usage: ferry inspect IMAGE' help inspect
	expect help-inspect-option 0 '^Usage: ferry inspect IMAGE' inspect --help
	expect help-inspect-after-image 0 '^Usage: ferry inspect' inspect some.img -h
	expect help-verify 0 '^Usage: ferry verify IMAGE' help verify
	expect help-verify-option 0 '^Usage: ferry verify IMAGE' verify --help
	expect help-netlock 0 '^Usage: ferry netlock \[--release\]' netlock --help
	expect help-main-lists-netlock 0 '^  netlock ' --help
	expect version 0 "^ferry $version\$" --version
}

# usage NAME ARGS...: exit status 2 and exactly one line on stderr with a hint
usage() {
	name="$1"
	shift
	run "$@"
	if [ "$rc" -ne 2 ]; then
		fail "$name" "exit status $rc, expected 2; printed: $(printed)"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "--help" "$tmp/err"; then
		fail "$name" "expected one stderr line with a --help hint; printed: $(printed)"
	else
		pass "$name"
	fi
}

test_usage() {
	usage usage-no-command
	usage usage-unknown-command frobnicate
	usage usage-unknown-main-option --frobnicate
	usage usage-help-unknown-command help frobnicate
	usage usage-verify-no-image verify
	usage usage-verify-extra-argument verify a.img b.img
	usage usage-verify-unknown-option verify --frobnicate a.img
	usage usage-inspect-no-image inspect --json
	usage usage-inspect-extra-argument inspect a.img b.img
	usage usage-inspect-unknown-option inspect a.img -z
	usage usage-netlock-unknown-option netlock --frobnicate
	usage usage-netlock-extra-argument netlock eth0
	expect usage-netlock-release-argument 2 "option '--release' takes no argument" \
		netlock --release=all
	expect usage-checkpoint-flag-argument 2 "option '--kill' takes no argument" \
		checkpoint --pid 1 -o x.img --kill=yes
	expect usage-checkpoint-missing-argument 2 "option '--output' needs an argument" \
		checkpoint --pid 1 --output
}

# ---- the sample image ----------------------------------------------------

find_sample() {
	# FERRY_SAMPLE: run the same tests on another image
	sample="${FERRY_SAMPLE:-$repo/format/tests/data/sample.ferry}"
	[ -f "$sample" ] && return 0
	# not committed (yet): make one with the generator, if it is built
	if [ -x "$build/tests/mksample" ] && "$build/tests/mksample" "$tmp/sample.ferry" >/dev/null; then
		sample="$tmp/sample.ferry"
		return 0
	fi
	return 1
}

json() { jq -r "$1" "$tmp/sample.json"; }

test_verify_ok() {
	chunks="$(le_u32 "$sample" 36)"
	expect verify-sample-ok 0 "^$sample: OK \\(sealed, $chunks chunks?, .* raw, .* stored\\)\$" \
		verify "$sample"
}

test_inspect_text() {
	run inspect "$sample"
	if [ "$rc" -ne 0 ]; then
		fail inspect-text "exit status $rc; printed: $(printed)"
		return
	fi
	for field in "Format       1\\." "Flags        sealed" "Producer     kernel " \
		"Created      [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" "Page size    [0-9]+" \
		"Processes    $(json '.processes | length')" "Memory       " "Files        " \
		"Pipes        " "  Raw pages  " "  Chunks     $(json .totals.chunk_count)"; do
		if ! grep -Eq "^$field" "$tmp/out"; then
			fail inspect-text "no line matching /^$field/"
			return
		fi
	done
	if grep -q "NOT SEALED" "$tmp/out"; then
		fail inspect-text "a sealed image is reported as not sealed"
		return
	fi
	pass inspect-text
}

test_inspect_chunks() {
	run inspect --chunks "$sample"
	want="$(json .totals.chunk_count)"
	rows="$(sed -n '/^Chunks$/,$p' "$tmp/out" | grep -cE '^  [0-9]+ +[0-9]+ +(deflate|stored) ')"
	if [ "$rc" -ne 0 ] || [ "$rows" -ne "$want" ]; then
		fail inspect-chunks "status $rc, $rows chunk rows, expected $want"
	else
		pass inspect-chunks
	fi
}

# check NAME JQ-EXPRESSION EXPECTED: the JSON report's value
check_json() {
	got="$(json "$2")"
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$2 is '$got', expected '$3'"
	fi
}

# the processes in the metadata, counted by dtc from the raw FDT
dtc_process_count() {
	dd if="$sample" of="$tmp/meta.dtb" bs=1 skip="$(le_u64 "$sample" 40)" \
		count="$(le_u64 "$sample" 48)" status=none &&
		dtc -q -I dtb -O dts "$tmp/meta.dtb" 2>/dev/null | grep -cE '^\s*process@[0-9]+ \{'
}

test_inspect_json() {
	if ! "$ferry" inspect --json --chunks "$sample" >"$tmp/sample.json" 2>"$tmp/err" ||
		! jq -e 'type == "object"' "$tmp/sample.json" >/dev/null 2>&1; then
		fail inspect-json-valid "not one valid JSON object: $(head -c 300 "$tmp/err")"
		return 1
	fi
	pass inspect-json-valid
	check_json json-sealed .sealed true
	check_json json-format-major .format.major 1
	check_json json-chunk-count .totals.chunk_count "$(le_u32 "$sample" 36)"
	check_json json-chunk-rows '.chunks | length' "$(le_u32 "$sample" 36)"
	check_json json-raw-bytes .totals.page_bytes_raw "$(le_u64 "$sample" 80)"
	check_json json-stored-bytes .totals.page_bytes_stored "$(le_u64 "$sample" 88)"
	check_json json-chunk-pages-times-page-size \
		'([.chunks[].pages] | add // 0) * .page_size' "$(le_u64 "$sample" 80)"
	check_json json-stored-from-chunks '[.chunks[].stored_size] | add // 0' \
		"$(le_u64 "$sample" 88)"
	check_json json-mm-pages-add-up '[.mms[].pages_stored] | add // 0' \
		"$(json .totals.pages_stored)"
	check_json json-tids-match-thread-count \
		'[.processes[] | select(.thread_count != (.tids | length))] | length' 0
	check_json json-has-processes '.processes | length > 0' true
	check_json json-no-errors '.errors | length' 0
	if command -v dtc >/dev/null 2>&1; then
		check_json json-process-count-matches-dtc '.processes | length' "$(dtc_process_count)"
	else
		skip json-process-count-matches-dtc "dtc is not installed"
	fi
	check_json json-text-agree "$(printf '.processes | length')" \
		"$(grep -E '^Processes' "$tmp/inspect.txt" | awk '{print $2}')"
}

# ---- damaged copies --------------------------------------------------------

# bad NAME FILE PART: verify exits 1 naming PART as what is bad
bad() {
	expect "$1" 1 "^$2: BAD: $3 at offset 0x[0-9a-f]+( chunk [0-9]+)?: .+ \\(.+\\)\$" verify "$2"
}

test_damaged() {
	meta="$(json .layout.metadata_offset)"
	chunk0="$(json '.chunks[0].offset // empty')"
	payload0="$(json '.chunks[0] | .offset + 32 + .extents * 16')"

	cp "$sample" "$tmp/header.ferry"
	flip_byte "$tmp/header.ferry" 96 # kernel release, under the header CRC
	bad verify-flipped-header-byte "$tmp/header.ferry" header
	expect inspect-refuses-corrupt-header 1 "BAD: header at offset 0x[0-9a-f]+: header CRC mismatch" \
		inspect "$tmp/header.ferry"

	cp "$sample" "$tmp/metadata.ferry"
	flip_byte "$tmp/metadata.ferry" "$meta" # the FDT magic
	bad verify-flipped-metadata-byte "$tmp/metadata.ferry" metadata
	expect inspect-reports-bad-metadata 1 "BAD: metadata" inspect "$tmp/metadata.ferry"

	# two bytes: the metadata's device tree says version 2, last compatible
	# 2, which libfdt 1.6.1's own check takes and then crashes on (§3.0)
	cp "$sample" "$tmp/fdt-version.ferry"
	put_byte "$tmp/fdt-version.ferry" $((meta + 23)) 2
	put_byte "$tmp/fdt-version.ferry" $((meta + 27)) 2
	bad verify-fdt-version-2 "$tmp/fdt-version.ferry" metadata
	expect verify-fdt-version-2-says-why 1 "metadata at offset 0x[0-9a-f]+: device tree version is not 17" \
		verify "$tmp/fdt-version.ferry"
	expect inspect-fdt-version-2-says-why 1 "BAD: metadata at offset 0x[0-9a-f]+: device tree version is not 17" \
		inspect "$tmp/fdt-version.ferry"
	expect inspect-json-fdt-version-2-refused 1 "device tree version is not 17" \
		inspect --json "$tmp/fdt-version.ferry"
	expect restore-fdt-version-2-refused 1 "metadata: .*device tree version is not 17" \
		restore "$tmp/fdt-version.ferry"

	if [ -z "$chunk0" ]; then
		skip verify-flipped-chunk-descriptor "the sample has no chunks"
		skip verify-flipped-chunk-payload "the sample has no chunks"
	else
		cp "$sample" "$tmp/descriptor.ferry"
		flip_byte "$tmp/descriptor.ferry" "$chunk0" # the chunk magic
		bad verify-flipped-chunk-descriptor "$tmp/descriptor.ferry" "chunk"
		expect verify-flipped-chunk-descriptor-names-chunk 1 "chunk 0: " \
			verify "$tmp/descriptor.ferry"

		cp "$sample" "$tmp/payload.ferry"
		flip_byte "$tmp/payload.ferry" "$payload0"
		bad verify-flipped-chunk-payload "$tmp/payload.ferry" "chunk payload"
	fi

	size="$(wc -c <"$sample")"
	head -c $((size - 100)) "$sample" >"$tmp/truncated.ferry"
	bad verify-truncated "$tmp/truncated.ferry" image
	expect verify-truncated-says-truncated 1 "image is truncated" verify "$tmp/truncated.ferry"

	cp "$sample" "$tmp/unsealed.ferry"
	put_byte "$tmp/unsealed.ferry" 16 $(($(byte_at "$sample" 16) & 0xfe))
	bad verify-unsealed "$tmp/unsealed.ferry" header
	expect verify-unsealed-says-sealed 1 "sealed flag is not set" verify "$tmp/unsealed.ferry"
	expect inspect-unsealed 0 "NOT SEALED" inspect "$tmp/unsealed.ferry"
	run inspect --json "$tmp/unsealed.ferry"
	if [ "$rc" -eq 0 ] && [ "$(jq -r .sealed "$tmp/out" 2>/dev/null)" = false ]; then
		pass inspect-unsealed-json
	else
		fail inspect-unsealed-json "status $rc; .sealed is not false"
	fi

	printf 'just some text, not an image\n' >"$tmp/text.txt"
	bad verify-not-an-image "$tmp/text.txt" header
	: >"$tmp/empty.ferry"
	bad verify-empty-file "$tmp/empty.ferry" header
	expect verify-missing-file 1 "$tmp/missing.ferry.*No such file or directory" \
		verify "$tmp/missing.ferry"
	expect verify-directory 1 "$tmp.*(directory|not an image)" verify "$tmp"
	expect inspect-missing-file 1 "$tmp/missing.ferry.*No such file or directory" \
		inspect "$tmp/missing.ferry"
}

# Bytes from the image end up in the report: a process name full of
# terminal escapes, quotes, control characters and invalid UTF-8 must come
# out as valid JSON and as inert text. The name is replaced in place, so the
# FDT stays well-formed (only the digest, which inspect does not check, breaks).
test_hostile_strings() {
	comm="$(json '.processes[0].comm // empty')"
	if [ -z "$comm" ]; then
		skip inspect-hostile-strings "the sample's first process has no comm"
		return
	fi
	offset="$(grep -obUaF -- "$comm" "$sample" | head -n 1 | cut -d: -f1)"
	cp "$sample" "$tmp/hostile.ferry"
	# OSC title escape, BEL, quote, backslash, ^A, invalid and overlong
	# UTF-8, an encoded surrogate, a tab
	printf '\033]0;x\007"\\\001\377\300\200\355\240\200\t' >"$tmp/hostile.bytes"
	n="$(wc -c <"$tmp/hostile.bytes")"
	i=0
	len=${#comm}
	while [ "$i" -lt "$len" ]; do
		byte="$(byte_at "$tmp/hostile.bytes" $((i % n)))"
		put_byte "$tmp/hostile.ferry" $((offset + i)) "$byte"
		i=$((i + 1))
	done
	if ! "$ferry" inspect --json "$tmp/hostile.ferry" >"$tmp/hostile.json" 2>"$tmp/err" ||
		! jq -e '.processes[0].comm | type == "string"' "$tmp/hostile.json" >/dev/null 2>&1; then
		fail inspect-hostile-strings-json "not valid JSON: $(head -c 200 "$tmp/err")"
	else
		pass inspect-hostile-strings-json
	fi
	"$ferry" inspect "$tmp/hostile.ferry" >"$tmp/hostile.txt" 2>&1
	if grep -q "$(printf '\033')" "$tmp/hostile.txt" || grep -q "$(printf '\007')" "$tmp/hostile.txt"; then
		fail inspect-hostile-strings-text "raw control characters reach the terminal"
	else
		pass inspect-hostile-strings-text
	fi
}

# ferry efi install refuses a ferry.conf that ferry.efi would not read
# whole, before it touches the ESP or the firmware (format/'s ferry/conf.h)
test_efi_install_conf() {
	mkdir -p "$tmp/esp"
	printf 'kernel=\\EFI\\ferry\\vmlinuz\nregion=64M@0x30000100\n' >"$tmp/bad.conf"
	expect efi-install-refuses-bad-region 3 "bad.conf, byte 26: region= is not SIZE@ADDR" \
		efi install --esp "$tmp/esp" --efi "$tmp/bad.conf" --conf "$tmp/bad.conf"
	printf 'kernel=\\k\nno equals sign here\n' >"$tmp/bad.conf"
	expect efi-install-refuses-line-without-equals 3 "byte 10: a line without '='" \
		efi install --esp "$tmp/esp" --efi "$tmp/bad.conf" --conf "$tmp/bad.conf"
	if [ -e "$tmp/esp/EFI" ]; then
		fail efi-install-refused-touches-nothing "$tmp/esp/EFI was created"
	else
		pass efi-install-refused-touches-nothing
	fi
}

# ---- main ------------------------------------------------------------------

if [ ! -x "$ferry" ]; then
	fail cli "no $ferry: run 'make all' first"
	exit 1
fi
if ! command -v jq >/dev/null 2>&1; then
	fail cli "jq is not installed (make deps)"
	exit 1
fi

test_help
test_usage
test_efi_install_conf
if find_sample; then
	"$ferry" inspect "$sample" >"$tmp/inspect.txt" 2>&1
	if test_inspect_json; then
		test_verify_ok
		test_inspect_text
		test_inspect_chunks
		test_damaged
		test_hostile_strings
	fi
else
	skip cli-sample "no format/tests/data/sample.ferry and no $build/tests/mksample to make one"
fi
# --json and the exit statuses (a sandbox of namespaces for what freezes)
# shellcheck source=tools/tests/machine.sh
. "$repo/tools/tests/machine.sh"
test_machine
# ferry region on fixture roots
# shellcheck source=tools/tests/region.sh
. "$repo/tools/tests/region.sh"
test_region

[ "$failures" -eq 0 ]
