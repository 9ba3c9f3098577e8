# shellcheck shell=sh
# The PASS/FAIL/SKIP lines every test tier prints for mk/run-tests.sh,
# sourced by the tiers and the QEMU runners (POSIX sh, bash too):
#
#   PASS: name [what was measured]
#   FAIL: name: why
#   SKIP: name: why          (the reason is required)
#
# A name holds no ':' (mk/run-tests.sh reads up to the first one).

# verdict_pass NAME [NOTE]
verdict_pass() {
	echo "PASS: $1${2:+ $2}"
}

# verdict_fail NAME WHY
verdict_fail() {
	echo "FAIL: $1: $2"
}

# verdict_skip NAME WHY
verdict_skip() {
	echo "SKIP: $1: ${2:-no reason given}"
}

# verdict_fail_log NAME WHY LOG [LINES]: FAIL naming LOG, then its last
# LINES (15) lines, indented.
verdict_fail_log() {
	echo "FAIL: $1: $2; last lines of $3:"
	tail -n "${4:-15}" "$3" 2>/dev/null | sed 's/^/   /'
}

# verdict_in FILE NAME: the verdict FILE (a test's output) gives NAME:
# status 0 for PASS and for a SKIP with its reason, 1 for a FAIL, 2 for no
# verdict at all (the caller says so with a FAIL line of its own).
verdict_in() {
	grep -q -E "^FAIL: $2: " "$1" 2>/dev/null && return 1
	grep -q -E "^(PASS: $2( |\$)|SKIP: $2: .)" "$1" 2>/dev/null && return 0
	return 2
}

# verdict_of LABEL STATUS FILE: the verdict of a test that exited with
# STATUS after printing FILE: status 0 when it passed or skipped, 1 when it
# failed, with a FAIL line for LABEL when it did not say so itself (it
# exited non-zero without a FAIL line, or printed no verdict at all).
verdict_of() {
	grep -q '^FAIL: ' "$3" && return 1
	if [ "$2" != 0 ]; then
		verdict_fail "$1" "exited with status $2 without a FAIL line"
		return 1
	fi
	grep -q -E '^(PASS|SKIP): ' "$3" && return 0
	verdict_fail "$1" "ended without a verdict"
	return 1
}
