#!/bin/sh
# Updates in a row onto a redirected vDSO leave the address space as the
# first one left it: t_vdso_updates is checkpointed with --kill and
# restored ROUNDS times (default 6) under FERRY_FORCE_VDSO_REDIRECT=1, so
# each restore redirects the vDSO of the image to this kernel's. From
# outside, after each restore: the number of areas of /proc/PID/maps and
# their total size are those after the first (the first adds the copy of
# the original vDSO; none after it adds a copy of a copy). From inside
# (SIGUSR2): clock_gettime, gettimeofday, time and getcpu, through the
# pointers looked up in the original vDSO before the first checkpoint,
# through those looked up again at AT_SYSINFO_EHDR and through glibc,
# agree with the system calls. Run as PID 1 of a private PID namespace by
# run.sh.
#
# Usage: vdso_updates.sh BUILD [ROUNDS]
# host-test: run pidns FERRY_FORCE_VDSO_REDIRECT=1
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="${2:-6}"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-vdso.XXXXXX)
label="vdso-updates-${rounds}x"
[ "${FERRY_FORCE_VDSO_REDIRECT:-0}" = 1 ] || fail "run without FERRY_FORCE_VDSO_REDIRECT=1"

# areas: "COUNT areas, KIB KiB" of the areas of $pid now (addresses in
# pages, which awk's doubles hold exactly up to [vsyscall])
areas() {
	awk 'function page(s,  v, i) {
		v = 0
		for (i = 1; i <= length(s) - 3; i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	     }
	     { split($1, r, "-"); n++; p += page(r[2]) - page(r[1]) }
	     END { printf "%d areas, %d KiB\n", n, p * 4 }' "/proc/$pid/maps"
}
# checked N: the program has said "checked N" (its check after restore N)
checked() {
	grep -q "^checked $1:" "$dir/out"
}

start_program vdso_updates
before=$(areas)
first=
round=1
while [ "$round" -le "$rounds" ]; do
	checkpoint_kill "$round"
	restore_back "$round"
	now=$(areas)
	echo "after restore $round: $now" >>"$dir/log"
	if [ -z "$first" ]; then
		first=$now
	elif [ "$now" != "$first" ]; then
		cat "/proc/$pid/maps" >>"$dir/log"
		fail "after restore $round: $now; after the first: $first (before it: $before)"
	fi
	kill -USR2 "$pid"
	wait_for 100 "the program did not check itself after restore $round" checked "$round"
	round=$((round + 1))
done
original=$(sed -n 's/^vDSO at //p' "$dir/out")
grep -q "^checked $rounds: AT_SYSINFO_EHDR $original," "$dir/out" ||
	fail "AT_SYSINFO_EHDR is not the original vDSO's address any more"
grep -q "^checked $rounds: .*, \[vdso\] at $original\$" "$dir/out" &&
	fail "the kernel's vDSO is still at $original: it was not redirected"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label ($before before, $first after each restore)"
rm -rf "$dir"
