# shellcheck shell=bash disable=SC2154 # tier_out, tier_label: set by the tier
# Finding and running the scenarios of a QEMU tier, shared by
# qemu-tests/run-tier.sh and efi-stage/tests/run-efi-tier.sh (sourced by
# them; bash).
#
# A scenario is one file, DIR/NAME.sh, sourced by the guest's /init when
# the kernel command line says ferry.test=NAME. Its first lines are its
# header, one "# KEY: VALUE" each, up to the first line of another form:
#
#   # scenario: NAME            first, and the file's name without .sh
#   # flavor: FLAVOR            the kernel QEMU boots first (kernels.txt);
#                               once, where the runner takes one
#   # option: --OPT [ARG]       a runner option (run-scenario, run-efi-scenario),
#                               one a line; ARG is the rest of the line
#   # manual: WHAT RUNS IT      not in the tier (make demo, make bench-update)
#
# A file whose header breaks these rules, or that is not valid sh, is a
# FAIL of its own, named after the file; it is never left out silently.
#
# The tier sets tier_label (its name in a FAIL line of its own), tier_out (a
# directory for what each scenario leaves) and defines tier_start NAME, which runs one scenario and prints its verdict
# (mk/verdict.sh); tier_discover finds the scenarios, tier_run runs them.

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

# tier_scenario_file FILE OPTIONS FLAVORS: the header of FILE. OPTIONS: the
# runner's options, "--opt" for a flag, "--opt=" for one with an argument;
# FLAVORS: what a flavor: line may name, empty when the runner takes none.
# Sets sc_name, sc_manual and sc_args (the runner's arguments: the options,
# then NAME and, with FLAVORS, the flavor); status 1 with sc_error saying
# what is wrong.
tier_scenario_file() {
	local file=$1 options=" $2 " flavors=$3 line key value n=0 opt arg flavor="" syntax
	sc_name=$(basename "$file" .sh) sc_manual="" sc_args=() sc_error=""
	case "$file" in
	*.sh) ;;
	*) sc_error="not a scenario file: a scenario's file name ends in .sh"; return 1 ;;
	esac
	[[ $sc_name =~ ^[a-z0-9][a-z0-9-]*$ ]] ||
		{ sc_error="a scenario's name is lower case letters, digits and '-'"; return 1; }
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[[ $line =~ ^#\ ([a-z-]+):(\ (.*))?$ ]] || break
		key=${BASH_REMATCH[1]} value=${BASH_REMATCH[3]}
		case "$n:$key" in
		1:scenario) ;;
		1:*) break ;;
		*:scenario) sc_error="line $n: a second 'scenario:' line"; return 1 ;;
		esac
		case "$key" in
		scenario)
			[ "$value" = "$sc_name" ] ||
				{ sc_error="line 1: 'scenario: $value' does not match the file's name"; return 1; }
			;;
		flavor)
			[ -n "$flavors" ] || { sc_error="line $n: this runner takes no flavor"; return 1; }
			[ -z "$flavor" ] || { sc_error="line $n: a second 'flavor:' line"; return 1; }
			case " $flavors " in
			*" $value "*) flavor=$value ;;
			*) sc_error="line $n: flavor '$value' is none of: $flavors"; return 1 ;;
			esac
			;;
		option)
			opt=${value%% *} arg=""
			[ "$opt" = "$value" ] || arg=${value#* }
			case "$options" in
			*" $opt= "*)
				[ -n "$arg" ] || { sc_error="line $n: option $opt needs its argument"; return 1; }
				sc_args+=("$opt" "$arg")
				;;
			*" $opt "*)
				[ -z "$arg" ] || { sc_error="line $n: option $opt takes no argument"; return 1; }
				sc_args+=("$opt")
				;;
			*) sc_error="line $n: unknown option '$opt' (the runner's:$options)"; return 1 ;;
			esac
			;;
		manual)
			[ -n "$value" ] || { sc_error="line $n: 'manual:' without what runs the scenario"; return 1; }
			sc_manual=$value
			;;
		*) sc_error="line $n: unknown header line '$key:' (scenario, flavor, option, manual)"; return 1 ;;
		esac
	done <"$file"
	[ "$n" -ge 1 ] && [[ $(head -n 1 "$file") == "# scenario: "* ]] ||
		{ sc_error="line 1 is not '# scenario: $sc_name'"; return 1; }
	if [ -n "$flavors" ] && [ -z "$flavor" ]; then
		sc_error="no 'flavor:' line"
		return 1
	fi
	syntax=$(sh -n "$file" 2>&1) || { sc_error="not valid sh: $(echo "$syntax" | head -n 1)"; return 1; }
	sc_args+=("$sc_name")
	[ -n "$flavor" ] && sc_args+=("$flavor")
	return 0
}

# tier_discover DIR OPTIONS FLAVORS [SELECTION]: the scenario files of DIR
# (tier_scenario_file OPTIONS FLAVORS). tier_names: the scenarios to run,
# every one not marked manual, or those SELECTION names (each NAME, or
# NAME:... as QEMU_SCENARIOS once had it: the rest comes from the file);
# each one's runner arguments in $tier_out/NAME.args, one a line. A FAIL
# line for each malformed file, and for each name SELECTION gives that has
# no file; status 1 after any.
tier_discover() {
	local dir=$1 options=$2 flavors=$3 selection=${4:-} f name status=0 valid=" "
	tier_names=()
	for f in "$dir"/*; do
		if [ ! -e "$f" ]; then
			verdict_fail "$tier_label" "no scenario files in $dir"
			return 1
		fi
		if ! tier_scenario_file "$f" "$options" "$flavors"; then
			verdict_fail "$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)" "$f: $sc_error"
			status=1
			continue
		fi
		printf '%s\n' "${sc_args[@]}" >"$tier_out/$sc_name.args"
		valid="$valid$sc_name "
		[ -z "$selection" ] && [ -z "$sc_manual" ] && tier_names+=("$sc_name")
	done
	for name in $selection; do
		if [ "${name%%:*}" != "$name" ]; then
			echo "INFO: $name: the flavor and options come from $dir/${name%%:*}.sh"
			name=${name%%:*}
		fi
		case "$valid" in
		*" $name "*) tier_names+=("$name") ;;
		*)
			# a malformed file already has its FAIL line
			[ -e "$dir/$name.sh" ] || verdict_fail "$name" "no scenario file $dir/$name.sh"
			status=1
			;;
		esac
	done
	if [ "$status" = 0 ] && [ "${#tier_names[@]}" = 0 ]; then
		verdict_fail "$tier_label" "no scenario to run in $dir"
		status=1
	fi
	return "$status"
}
