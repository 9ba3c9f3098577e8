#!/bin/sh
# The restorer holds every file of an image at once. A process with 3000
# eventfds, checkpointed with --kill, is restored from a shell whose soft
# descriptor limit is 1024: ferry restore raises its own limit and the
# process comes back with every eventfd and its count. With a hard limit
# of 2000, which only CAP_SYS_RESOURCE could raise, the restore is refused
# before anything is made, naming the limit, and the image restores later.
#
# Usage: restore_nofile.sh BUILD   (as PID 1 of a PID namespace of its own)
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label="restore-raises-nofile"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-nofile.XXXXXX)
files=3000

python3 -c "
import os, signal, sys
os.closerange(3, 65536)  # nothing reaching outside the process
fds = [os.eventfd(i) for i in range($files)]
open(sys.argv[1] + '/ready', 'w').close()
signal.pause()
" "$dir" >"$dir/out" 2>&1 </dev/null &
pid=$!
wait_for 100 "the program did not get ready" exists "$dir/ready"

# eventfd N was made with count N: fdinfo shows it in hex
counts_ok() {
	_n=0
	for _fd in $(ls "/proc/$pid/fd"); do
		_link=$(readlink "/proc/$pid/fd/$_fd")
		[ "$_link" = "anon_inode:[eventfd]" ] || continue
		_n=$((_n + 1))
		echo "$(sed -n 's/^eventfd-count:[[:space:]]*//p' "/proc/$pid/fdinfo/$_fd")"
	done >"$dir/counts"
	[ "$_n" -eq "$files" ]
}
counts_ok || fail "the program holds no $files eventfds"
sort "$dir/counts" >"$dir/counts.before"

"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill --level 0 >>"$dir/log" 2>&1 ||
	fail "the checkpoint failed"
wait_gone 100 "$pid" || fail "the checkpointed process is still there"

(ulimit -Sn 1024 && ulimit -Hn 2000 && exec "$ferry" restore "$dir/image") >>"$dir/log" 2>&1 &&
	fail "the restore with a hard limit of 2000 did not fail"
grep -q "open files, which the restorer holds all at once.*(RLIMIT_NOFILE) is 2000" "$dir/log" ||
	fail "the refusal does not name the descriptor limit"
gone "$pid" || fail "the refused restore left pid $pid behind"

(ulimit -Sn 1024 && exec "$ferry" restore "$dir/image") >>"$dir/log" 2>&1 ||
	fail "the restore with a soft limit of 1024 failed"
counts_ok || fail "the restored process does not hold its $files eventfds"
sort "$dir/counts" | cmp -s - "$dir/counts.before" ||
	fail "the eventfds' counts differ after the restore"
echo "PASS: $label"
kill -9 "$pid"
rm -rf "$dir"
