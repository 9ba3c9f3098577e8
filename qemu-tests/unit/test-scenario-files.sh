#!/bin/bash
# How a QEMU tier finds its scenarios (qemu-tests/lib/tier.sh): a good
# header gives the runner exactly its options, name and flavor; every kind
# of malformed header is refused with the reason and reported as a FAIL
# named after the file, never left out; a name QEMU_SCENARIOS gives without
# a file, an empty folder and a runner without a verdict are FAILs too.
# Usage: qemu-tests/unit/test-scenario-files.sh      (prints PASS:/FAIL: lines)
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# shellcheck source=qemu-tests/lib/tier.sh
. "$here/../lib/tier.sh"

pass() { verdict_pass "scenario-files-$1"; }
fail() { verdict_fail "scenario-files-$1" "$2"; status=1; }

options="--region= --append= --expect-panic --no-memmap"
flavors="generic bpo"

# scenario NAME LINE...: a scenario file NAME.sh in $tmp/s made of LINEs
scenario() {
	local name=$1
	shift
	mkdir -p "$tmp/s"
	printf '%s\n' "$@" >"$tmp/s/$name"
}

# refused CASE WANT FILE: tier_scenario_file refuses FILE, its reason holding WANT
refused() {
	if tier_scenario_file "$3" "$options" "${flavors_for-$flavors}"; then
		fail "$1" "accepted: ${sc_args[*]}"
	elif [[ $sc_error != *"$2"* ]]; then
		fail "$1" "the reason does not say '$2': $sc_error"
	else
		pass "$1"
	fi
	rm -f "$3"
}

scenario good-generic.sh "# scenario: good-generic" "# flavor: generic" \
	"# option: --region 4M@0x30000000" "# option: --append ferry.kexec=tools a=b" \
	"# option: --expect-panic" "#" "# what it proves" "pass"
if ! tier_scenario_file "$tmp/s/good-generic.sh" "$options" "$flavors"; then
	fail good-header "refused: $sc_error"
elif [ "$(printf '%s|' "${sc_args[@]}")" != \
	"--region|4M@0x30000000|--append|ferry.kexec=tools a=b|--expect-panic|good-generic|generic|" ]; then
	fail good-header "runner arguments: $(printf '[%s] ' "${sc_args[@]}")"
elif [ -n "$sc_manual" ]; then
	fail good-header "taken for a manual scenario"
else
	pass good-header
fi

scenario x.sh "# scenario: y" "# flavor: generic" "pass"
refused name-mismatch "does not match the file's name" "$tmp/s/x.sh"
scenario x.sh "# flavor: generic" "# scenario: x" "pass"
refused scenario-not-first "line 1 is not '# scenario: x'" "$tmp/s/x.sh"
scenario x.sh "pass"
refused no-header "line 1 is not" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavour: generic" "pass"
refused unknown-key "unknown header line 'flavour:'" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# option: --regoin 4M@0x0" "pass"
refused unknown-option "unknown option '--regoin'" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# option: --region" "pass"
refused option-without-argument "option --region needs its argument" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# option: --no-memmap yes" "pass"
refused flag-with-argument "option --no-memmap takes no argument" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "#" "# flavor: generic" "pass"
refused no-flavor "no 'flavor:' line" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# flavor: bpo" "pass"
refused two-flavors "a second 'flavor:' line" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: cloud" "pass"
refused unknown-flavor "flavor 'cloud' is none of" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# scenario: x" "pass"
refused two-names "a second 'scenario:' line" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "# manual:" "pass"
refused manual-without-reason "'manual:' without what runs the scenario" "$tmp/s/x.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "if true; then" "pass"
refused not-sh "not valid sh" "$tmp/s/x.sh"
scenario x "# scenario: x" "# flavor: generic" "pass"
refused not-dot-sh "a scenario's file name ends in .sh" "$tmp/s/x"
scenario X_1.sh "# scenario: X_1" "# flavor: generic" "pass"
refused bad-name "lower case letters, digits and '-'" "$tmp/s/X_1.sh"
scenario x.sh "# scenario: x" "# flavor: generic" "pass"
flavors_for="" refused flavor-for-a-runner-without "this runner takes no flavor" "$tmp/s/x.sh"

# a folder: a good file, a manual one, a malformed one
rm -rf "$tmp/s" "$tmp/out"
mkdir -p "$tmp/out"
tier_label=unit tier_out="$tmp/out"
scenario good-generic.sh "# scenario: good-generic" "# flavor: generic" "pass"
scenario demo-generic.sh "# scenario: demo-generic" "# flavor: generic" "# manual: make demo" "pass"
scenario broken.sh "# scenario: broken" "# flavor: nonesuch" "pass"
out=$(tier_discover "$tmp/s" "$options" "$flavors")
rc=$?
if [ "$rc" = 0 ]; then
	fail discover-malformed "a folder with a malformed file was taken as good"
elif ! grep -q "^FAIL: broken.sh: $tmp/s/broken.sh: line 2: flavor 'nonesuch'" <<<"$out"; then
	fail discover-malformed "no FAIL line naming broken.sh: $out"
else
	pass discover-malformed
fi
tier_discover "$tmp/s" "$options" "$flavors" >/dev/null
if [ "${tier_names[*]}" != good-generic ]; then
	fail discover-default "the tier would run: ${tier_names[*]}"
elif [ "$(tr '\n' '|' <"$tmp/out/good-generic.args")" != "good-generic|generic|" ]; then
	fail discover-default "good-generic's runner arguments: $(cat "$tmp/out/good-generic.args")"
else
	pass discover-default
fi
rm "$tmp/s/broken.sh"
out=$(tier_discover "$tmp/s" "$options" "$flavors" "demo-generic nonesuch good-generic:generic")
rc=$?
if [ "$rc" = 0 ] || ! grep -q "^FAIL: nonesuch: no scenario file $tmp/s/nonesuch.sh" <<<"$out"; then
	fail discover-selection-unknown "a selected name without a file is no FAIL ($rc): $out"
else
	pass discover-selection-unknown
fi
tier_discover "$tmp/s" "$options" "$flavors" "demo-generic good-generic:generic" >/dev/null
if [ "${tier_names[*]}" != "demo-generic good-generic" ]; then
	fail discover-selection "QEMU_SCENARIOS=\"demo-generic good-generic:generic\" runs: ${tier_names[*]}"
else
	pass discover-selection
fi
mkdir -p "$tmp/empty"
out=$(tier_discover "$tmp/empty" "$options" "$flavors")
if [ $? = 0 ] || ! grep -q "^FAIL: unit: no scenario files in $tmp/empty" <<<"$out"; then
	fail discover-empty "an empty folder is no FAIL: $out"
else
	pass discover-empty
fi

# tier_run: a runner that says nothing, one that passes, one that fails
tier_start() {
	case "$1" in
	quiet) echo "booting"; return 3 ;;
	ok) verdict_pass ok ;;
	bad) verdict_fail bad "it broke"; return 1 ;;
	esac
}
out=$(tier_run 2 quiet ok bad)
rc=$?
if [ "$rc" = 0 ]; then
	fail run-verdicts "status 0 with a failure and a missing verdict"
elif ! grep -q '^FAIL: quiet: its runner gave no verdict (exit status 3)' <<<"$out"; then
	fail run-verdicts "no FAIL line for the runner without a verdict: $out"
elif [ "$(grep -c -E '^(PASS: ok|FAIL: bad: it broke)$' <<<"$out")" != 2 ]; then
	fail run-verdicts "the runners' own verdicts are not passed on: $out"
else
	pass run-verdicts
fi
exit "$status"
