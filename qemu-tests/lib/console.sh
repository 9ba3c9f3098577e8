# shellcheck shell=bash disable=SC2154 # the runner sets qpid and expect_panic
# A scenario's verdict from its guest's serial console, shared by
# qemu-tests/run-scenario and efi-stage/tests/run-efi-scenario (sourced by
# them; bash).
#
# The guest prints (qemu-tests/guest/lib/ferry-test.sh)
#   FERRY-TEST: PASS name | FERRY-TEST: FAIL name why | FERRY-TEST: SKIP name why
#   FERRY-TIME: what took how long
# and its kernel may print "Kernel panic". console_watch follows the log
# while QEMU runs, until the scenario has a verdict, QEMU exits or the time
# is up; console_times and console_result print it as mk/run-tests.sh reads
# it (mk/verdict.sh): TIME: lines, then PASS:, FAIL: or SKIP:.
#
# The runner sets
#   console_name      the scenario
#   console_log       the serial console log
#   console_qemu_out  QEMU's own output (quoted when it exits without a verdict)
#   console_start     when the run started (console_now)
#   qpid              QEMU's pid
#   expect_panic      1 when a kernel panic is part of the scenario
# and may define
#   console_hook LINE   its own console lines: status 0 when it took LINE
#   console_on_exit     QEMU exited without a verdict: status 0 once it has
#                       started QEMU again (a new qpid)
# console_watch leaves result (PASS, FAIL or SKIP), why, panics, times (the
# TIME: lines) and console_total (seconds).

# shellcheck source=mk/verdict.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../mk/verdict.sh"

console_seen=0 result="" why="" panics=0 times=() console_total=0

console_now() { date +%s.%N; }
console_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# console_verdict RESULT WHY: the first verdict is the one that counts.
console_verdict() {
	[ -n "$result" ] && return 0
	result=$1 why=${2# }
}

# console_line LINE: what every guest prints.
console_line() {
	case "$1" in
	*FERRY-TIME:*)
		times+=("TIME: $console_name ${1#*FERRY-TIME: }") ;;
	*"FERRY-TEST: PASS $console_name"*)
		console_verdict PASS "" ;;
	*"FERRY-TEST: SKIP $console_name"*)
		console_verdict SKIP "${1#*FERRY-TEST: SKIP "$console_name"}" ;;
	*"FERRY-TEST: FAIL $console_name"*)
		console_verdict FAIL "${1#*FERRY-TEST: FAIL "$console_name"}" ;;
	*"Kernel panic"*)
		panics=$((panics + 1))
		[ "$expect_panic" = 1 ] || console_verdict FAIL "kernel panic: ${1#*Kernel panic - }" ;;
	esac
}

# console_scan: each line the log gained since the last scan, to the
# runner's console_hook first, then to console_line.
console_scan() {
	local n line
	n=$(wc -l <"$console_log")
	[ "$n" -gt "$console_seen" ] || return 0
	while IFS= read -r line; do
		line=${line%$'\r'}
		declare -F console_hook >/dev/null && console_hook "$line" && continue
		console_line "$line"
	done < <(sed -n "$((console_seen + 1)),${n}p" "$console_log")
	console_seen=$n
}

# console_watch TIMEOUT INTERVAL: scan every INTERVAL seconds until there
# is a verdict, QEMU has exited without one, or TIMEOUT seconds have passed
# since console_start.
console_watch() {
	local timeout=$1 interval=$2 exited=0
	while :; do
		kill -0 "$qpid" 2>/dev/null || exited=1
		console_scan
		[ -n "$result" ] && break
		if [ "$exited" = 1 ]; then
			sleep 0.2
			console_scan
			[ -n "$result" ] && break
			if declare -F console_on_exit >/dev/null && console_on_exit; then
				exited=0
				continue
			fi
			console_verdict FAIL "QEMU exited without a verdict ($(tr '\n' ' ' <"$console_qemu_out" | cut -c1-200))"
			break
		fi
		if [ "$(console_elapsed "$console_start" "$(console_now)" | cut -d. -f1)" -ge "$timeout" ]; then
			console_verdict FAIL "timed out after ${timeout}s"
			break
		fi
		sleep "$interval"
	done
	console_total=$(console_elapsed "$console_start" "$(console_now)")
}

# console_check_panic: with expect_panic, a PASS needs the panic to have
# happened.
console_check_panic() {
	if [ "$expect_panic" = 1 ] && [ "$result" = PASS ] && [ "$panics" = 0 ]; then
		result=FAIL why="the kernel panic the scenario depends on did not happen"
	fi
	return 0
}

# console_times: the TIME: lines gathered from the console.
console_times() {
	local t
	for t in "${times[@]}"; do echo "$t"; done
}

# console_result: the total time and the verdict line (a FAIL with the
# console's last lines); status 0 for PASS and SKIP.
console_result() {
	echo "TIME: $console_name total ${console_total}s"
	case "$result" in
	PASS) verdict_pass "$console_name"; return 0 ;;
	SKIP) verdict_skip "$console_name" "$why"; return 0 ;;
	esac
	verdict_fail "$console_name" "${why:-no reason given} (serial log: $console_log)"
	tail -n 25 "$console_log" | sed 's/^/   | /'
	return 1
}
