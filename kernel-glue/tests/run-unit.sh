#!/bin/sh
# host-test: helper, the kernel-glue unit tier's runner (make test runs it)
#
# The kernel-glue unit tier: tests that need neither root nor a live
# process to checkpoint (one may make children of its own to read in
# /proc). Every test_* file of kernel-glue/tests/unit/ is one:
#
#   test_NAME.c   a program, linked with the other unit/*.c (helpers without
#                 a main) and the kernel-glue libraries (tests.mk)
#   test_NAME.sh  a script, run as sh test_NAME.sh BUILD
#
# each printing PASS:/FAIL: lines (mk/verdict.sh) and exiting non-zero
# after a failure. Each program is built on its own, and one that does not
# build is a FAIL; run as root, the tests run as nobody, so one that needs
# root fails here instead of passing by accident.
#
# Usage: kernel-glue/tests/run-unit.sh BUILD_DIR   (from the top of the tree)
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/verdict.sh
. "$here/../../mk/verdict.sh"
status=0

# as nobody when root: setpriv keeps the environment, drops every privilege
as_user=""
if [ "$(id -u)" = 0 ]; then
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --"
fi

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
mkdir -p "$build/tests/glue-unit"
found=0
for f in "$here"/unit/test_*.c "$here"/unit/test_*.sh; do
	[ -e "$f" ] || continue
	found=1
	name=$(basename "$f")
	case "$name" in
	*.c)
		bin="$build/tests/glue-unit/${name%.c}"
		if ! make --no-print-directory -s BUILD="$build" "$bin" >"$bin.build.log" 2>&1; then
			verdict_fail_log "${name%.c}" "kernel-glue/tests/unit/$name does not build" "$bin.build.log"
			rm -f "$bin"
			status=1
			continue
		fi
		set -- "$bin"
		;;
	*) set -- sh "$f" "$build" ;;
	esac
	# shellcheck disable=SC2086 # the command and its options
	$as_user "$@" >"$out" 2>&1 </dev/null
	rc=$?
	cat "$out"
	verdict_of "${name%.*}" "$rc" "$out" || status=1
done
[ "$found" = 1 ] || { verdict_fail glue-unit "no test_* file in $here/unit"; status=1; }
exit "$status"
