#!/bin/sh
# `ferry inspect` shows what the kinds keep in a process node, in text and
# in JSON: the t_posix_timers program is checkpointed (and left running),
# its image must show its POSIX timers with their ids, clocks, sigevents
# and periods. Run as PID 1 of a private PID namespace by run.sh.
#
# Usage: inspect_kinds.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-inspect.XXXXXX)
label=inspect-shows-kinds-of-a-process

start_program posix_timers
"$ferry" checkpoint --pid "$pid" -o "$dir/image" >>"$dir/log" 2>&1 || fail "checkpoint failed"
"$ferry" inspect "$dir/image" >"$dir/text" 2>>"$dir/log" || fail "inspect failed"
cat "$dir/text" >>"$dir/log"
grep -Eq "^ *posix-timer@0: id 0, clock 1, notify 0, signal [0-9]+, sigval 0x5eed0000abc00000, value [0-9]+, interval 50000000(, overrun [0-9]+)?$" "$dir/text" ||
	fail "the text does not show timer 0 as it is"
grep -Eq "^ *posix-timer@2: id 2, clock 1, notify 4, .*notify-tid [0-9]+, .*interval 40000000(, overrun [0-9]+)?$" "$dir/text" ||
	fail "the text does not show timer 2 with its thread"
grep -q "^ *posix-timer@5: id 5, clock 1, notify 0, signal [0-9]*, sigval 0x5eed0000abc00005, value 0$" "$dir/text" ||
	fail "the text does not show timer 5 disarmed"
grep -q "posix-timer@[13]:" "$dir/text" && fail "the text shows a timer in a gap"
"$ferry" inspect --json "$dir/image" >"$dir/json" 2>>"$dir/log" || fail "inspect --json failed"
ids=$(jq -r '[.processes[0].kinds["posix-timers"][].id] | map(tostring) | join(" ")' "$dir/json")
[ "$ids" = "0 2 4 5 6 7" ] || fail "the JSON has timers '$ids', not '0 2 4 5 6 7'"
[ "$(jq -r '.processes[0].kinds["posix-timers"][] | select(.id == 4) | .overrun' "$dir/json")" -ge 1 ] ||
	fail "the JSON does not show timer 4's overrun"
[ "$(jq -r '.processes[0].kinds["posix-timers"][] | select(.id == 7) | .clock' "$dir/json")" = 0 ] ||
	fail "the JSON does not show timer 7 on CLOCK_REALTIME"
echo "PASS: $label"
cleanup
