#!/bin/sh
# One scenario, run as PID 1 of a private PID namespace by run.sh:
# start build/tests/glue/t_NAME, wait until it is ready, ROUNDS times
# checkpoint it with --kill and restore it, then let it check itself.
#
# ROUNDS 0: the checkpoint must be refused, leave no image and the program
# running untouched. With RESTORE_LAZY=1 (ROUNDS 1) it restores with
# --lazy, label NAME-lazy: the program runs before its pager has every page
# home. With LIVE_FIRST=1 (label NAME-live-first) a checkpoint without
# --kill comes first, which the program runs on through, as it was: what
# it checks at the end covers that checkpoint too.
#
# Usage: [RESTORE_LAZY=1] [LIVE_FIRST=1] scenario.sh BUILD NAME TRIGGER ROUNDS
# (T_BETWEEN=NAME in the environment: sh NAME.sh of this folder after each
# kill, before the restore; T_FAIL_ONCE=NAME: each restore is first made to
# fail once its process runs (FERRY_TEST_RESTORE_FAIL_AFTER=1), and
# `sh NAME.sh before|after DIR` of this folder, run around that failed
# restore, checks it left what it found; FAMILY=N: the program's sockets
# are of IP version N, label NAME-ipvN)
# host-test: helper, runs a t_*.c program as its host-test: lines say (run.sh)
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" name="$2" trigger="$3" rounds="$4"
rounds_label "$name" "$rounds"
[ -n "${T_BETWEEN:-}" ] && label="$label-$T_BETWEEN"
[ -n "${T_FAIL_ONCE:-}" ] && label="$label-failed-once-$T_FAIL_ONCE"
[ -n "${FAMILY:-}" ] && label="$label-ipv$FAMILY"
[ "$rounds" -eq 0 ] && label="$name-checkpoint-refused"
restore_opts=
if [ "${RESTORE_LAZY:-0}" = 1 ]; then
	restore_opts=--lazy
	label="$label-lazy"
fi
[ "${LIVE_FIRST:-0}" = 1 ] && label="$label-live-first"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-cr.XXXXXX)

start_program "$name"
sleep 0.2 # into its blocking call

if [ "$rounds" -eq 0 ]; then
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" >>"$dir/log" 2>&1 &&
		fail "the checkpoint was not refused"
	grep -q "fd [0-9]*: socket:.*not supported" "$dir/log" ||
		fail "the refusal does not name the socket"
	[ -e "$dir/image" ] || [ -e "$dir/image.partial" ] && fail "an image was left behind"
	"$ferry" check --pid "$pid" >>"$dir/log" 2>&1 && fail "check says it can be checkpointed"
fi

if [ "${LIVE_FIRST:-0}" = 1 ]; then
	"$ferry" checkpoint --pid "$pid" -o "$dir/live-image" >>"$dir/log" 2>&1 ||
		fail "the checkpoint without --kill failed"
	sleep 0.2
	[ -e "/proc/$pid" ] || fail "pid $pid ended after a checkpoint without --kill"
fi

round=1
while [ "$round" -le "$rounds" ]; do
	checkpoint_kill "$round"
	"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 || fail "image $round does not verify"
	# what the program's run line asks between the kill and the restore:
	# T_BETWEEN=NAME runs the helper NAME.sh of this folder
	if [ -n "${T_BETWEEN:-}" ]; then
		sh "$(dirname "$0")/$T_BETWEEN.sh" >>"$dir/log" 2>&1 || fail "$T_BETWEEN.sh failed"
	fi
	# a restore that fails late must leave things as it found them
	if [ -n "${T_FAIL_ONCE:-}" ]; then
		check="$(dirname "$0")/$T_FAIL_ONCE.sh"
		sh "$check" before "$dir" >>"$dir/log" 2>&1 || fail "$T_FAIL_ONCE.sh before failed"
		FERRY_TEST_RESTORE_FAIL_AFTER=1 "$ferry" restore "$dir/image" >>"$dir/log" 2>&1 &&
			fail "restore $round did not fail as asked"
		grep -q "the restore fails here" "$dir/log" ||
			fail "restore $round failed, but not as asked: $(tail -n 1 "$dir/log")"
		[ -e "/proc/$pid" ] && fail "pid $pid is still there after the failed restore $round"
		sh "$check" after "$dir" >>"$dir/log" 2>&1 ||
			fail "the failed restore $round did not leave what it found: $(tail -n 1 "$dir/log")"
	fi
	# shellcheck disable=SC2086 # no option, or one
	restore_back "$round" $restore_opts
	if [ -n "$restore_opts" ]; then
		grep -q "left to the pager" "$dir/log" || fail "restore $round left no pages to a pager"
	fi
	sleep 0.2
	round=$((round + 1))
done

[ "$trigger" = usr1 ] && kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"

program_passed
echo "PASS: $label"
rm -rf "$dir"
