# shellcheck shell=bash disable=SC2154 # tier_out: set by the tier
# Running the scenarios of a QEMU tier, shared by qemu-tests/run-tier.sh and
# efi-stage/tests/run-efi-tier.sh (sourced by them; bash).
#
# The tier sets tier_out (a directory for what each scenario leaves) and
# defines tier_start NAME, which runs one scenario and prints its verdict
# (mk/verdict.sh); tier_run runs them.

# shellcheck source=mk/verdict.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../mk/verdict.sh"

# tier_run JOBS NAME...: tier_start for each NAME, JOBS at a time, its
# output in $tier_out/NAME; then each output in the order given, with a
# FAIL line for a scenario whose runner gave no verdict. Status 1 unless
# every scenario passed or was skipped with its reason.
tier_run() {
	local jobs=$1 running=0 name status=0
	shift
	for name; do
		(
			tier_start "$name" >"$tier_out/$name" 2>&1
			echo "$?" >"$tier_out/$name.status"
		) &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	for name; do
		cat "$tier_out/$name"
		verdict_in "$tier_out/$name" "$name"
		case $? in
		0) ;;
		1) status=1 ;;
		*)
			verdict_fail "$name" "its runner gave no verdict (exit status $(cat "$tier_out/$name.status" 2>/dev/null))"
			status=1
			;;
		esac
	done
	return "$status"
}
