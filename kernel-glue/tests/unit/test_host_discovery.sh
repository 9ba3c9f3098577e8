#!/bin/sh
# How the host tier finds its tests (kernel-glue/tests/run.sh --plan, on a
# folder of made-up tests): each host-test line becomes one run with its
# environment, PID namespace and arguments; a test without such a line,
# with a malformed one, naming a script that is not there, or a program
# that does not build is a FAIL named after it, never left out, and a
# program that does not build leaves no older binary to run. A run that
# ends without a verdict is a FAIL too (mk/verdict.sh verdict_of).
# Usage: sh kernel-glue/tests/unit/test_host_discovery.sh BUILD   (prints PASS:/FAIL: lines)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cd "$top" || exit 1
# shellcheck source=mk/verdict.sh
. "$top/mk/verdict.sh"
status=0
pass() { verdict_pass "host-discovery-$1"; }
fail() {
	verdict_fail "host-discovery-$1" "$2"
	status=1
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
d="$tmp/tests" b="$tmp/build"
mkdir -p "$d" "$b/tests/glue"
cp kernel-glue/tests/tlib.h "$d/"

# program NAME COMMENT-LINE... : t_NAME.c, a program that builds
program() {
	_n=$1
	shift
	{
		echo "/*"
		for _l; do echo " * $_l"; done
		echo " */"
		echo "int main(void) { return 0; }"
	} >"$d/t_$_n.c"
}
program good "a good one" "host-test: run usr1 1" "host-test: run FERRY_X=1 usr1 2"
program noline "says nothing about how it runs"
program badtrigger "host-test: run usr2 1"
program badrounds "host-test: run usr1 twice"
program byscript "host-test: by script.sh"
program bynothing "host-test: by nosuch.sh"
program broken "host-test: run usr1 1"
echo "this is not C" >>"$d/t_broken.c"
echo "an older binary" >"$b/tests/glue/t_broken"
touch -d 2000-01-01 "$b/tests/glue/t_broken"
printf '#!/bin/sh\n# a script\n# host-test: run pidns A=1 x 1\n# host-test: run\n' >"$d/script.sh"
printf '# host-test: helper, sourced by the others\n' >"$d/helper.sh"
printf '#!/bin/sh\n# no line at all\n' >"$d/nohdr.sh"
printf '# host-test: helper, sourced\n# host-test: run 1\n' >"$d/mixed.sh"
printf '# host-test: walk 1\n' >"$d/unknown.sh"

# the fixture's whole plan, whatever HOST_TESTS the caller of make test gave
out=$(HOST_TESTS= sh kernel-glue/tests/run.sh "$b" --plan "$d" 2>&1)
rc=$?
if [ "$rc" != 0 ]; then
	pass plan-fails
else
	fail plan-fails "status 0 with malformed tests"
fi

want_runs="RUN: script (pidns A=1 x 1): A=1 unshare --pid --fork --mount-proc sh $d/script.sh $b x 1
RUN: script: sh $d/script.sh $b
RUN: t_good (FERRY_X=1 usr1 2): FERRY_X=1 unshare --pid --fork --mount-proc sh $top/kernel-glue/tests/scenario.sh $b good usr1 2
RUN: t_good (usr1 1): unshare --pid --fork --mount-proc sh $top/kernel-glue/tests/scenario.sh $b good usr1 1"
runs=$(echo "$out" | grep '^RUN: ' | LC_ALL=C sort)
if [ "$runs" = "$want_runs" ]; then
	pass runs
else
	fail runs "the runs are: $(echo "$runs" | tr '\n' '|')"
fi

# expect CASE PATTERN: a FAIL line matching PATTERN (grep -E) in the plan
expect() {
	if echo "$out" | grep -q -E "^FAIL: $2"; then
		pass "$1"
	else
		fail "$1" "no FAIL line '$2' in: $(echo "$out" | grep -v '^RUN' | tr '\n' '|')"
	fi
}
expect no-line "t_noline\\.c: no 'host-test:' line"
expect bad-trigger "t_badtrigger\\.c: 'host-test: run usr2 1': TRIGGER 'usr2' is neither usr1 nor none"
expect bad-rounds "t_badrounds\\.c: 'host-test: run usr1 twice': ROUNDS 'twice' is not a number"
expect by-missing-script "t_bynothing\\.c: 'host-test: by nosuch.sh': nosuch.sh is no test script"
expect does-not-build "t_broken: $d/t_broken\\.c does not build"
expect script-no-line "nohdr\\.sh: no 'host-test:' line"
expect helper-and-run "mixed\\.sh: a helper has no other 'host-test:' line"
expect unknown-verb "unknown\\.sh: 'host-test: walk 1': not a run, by or helper line"
if [ "$(echo "$out" | grep -c '^FAIL: ')" = 8 ]; then
	pass nothing-else-fails
else
	fail nothing-else-fails "$(echo "$out" | grep '^FAIL: ' | tr '\n' '|')"
fi
# HOST_TESTS: the runs of the files named (with or without extension)
# alone; a name of no test is a FAIL
sel=$(HOST_TESTS="script t_good.c nosuch" sh kernel-glue/tests/run.sh "$b" --plan "$d" 2>&1)
if [ "$(echo "$sel" | grep '^RUN: ' | LC_ALL=C sort)" = "$want_runs" ] &&
	echo "$sel" | grep -q "^FAIL: nosuch: HOST_TESTS names no test of $d"; then
	pass host-tests-selects
else
	fail host-tests-selects "$(echo "$sel" | grep -E '^(RUN|FAIL|HOST_TESTS)' | tr '\n' '|')"
fi
sel=$(HOST_TESTS="t_good" sh kernel-glue/tests/run.sh "$b" --plan "$d" 2>&1)
if [ "$(echo "$sel" | grep -c '^RUN: ')" = 2 ] && ! echo "$sel" | grep -q '^RUN: script' &&
	echo "$sel" | grep -q -E '^HOST_TESTS left out: (.* )?script '; then
	pass host-tests-leaves-out
else
	fail host-tests-leaves-out "$(echo "$sel" | grep -E '^(RUN|HOST_TESTS)' | tr '\n' '|')"
fi
if [ -e "$b/tests/glue/t_broken" ]; then
	fail no-stale-binary "the older binary of a program that does not build is still there"
elif [ ! -x "$b/tests/glue/t_good" ] || [ ! -x "$b/tests/glue/t_byscript" ]; then
	fail no-stale-binary "the programs that build were not built"
else
	pass no-stale-binary
fi

# verdict CASE STATUS OUTPUT WANT: verdict_of a run that exited with STATUS
# after printing OUTPUT is a failure (or, WANT pass, a pass) that prints WANT
verdict() {
	echo "$3" >"$tmp/o"
	if v=$(verdict_of run "$2" "$tmp/o"); then
		[ "$4" = pass ] && [ -z "$v" ] && pass "$1" || fail "$1" "taken as a pass: $v"
	elif [ "$4" = pass ] || [ "$v" != "$4" ]; then
		fail "$1" "failed, saying: $v"
	else
		pass "$1"
	fi
}
verdict verdict-missing 0 "some output" "FAIL: run: ended without a verdict"
verdict verdict-unnamed-failure 139 "some output" "FAIL: run: exited with status 139 without a FAIL line"
verdict verdict-own-failure 1 "FAIL: x: broke" ""
verdict verdict-pass 0 "PASS: x" pass
exit "$status"
