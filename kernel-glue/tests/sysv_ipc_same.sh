#!/bin/sh
# Around a restore of t_sysv_ipc_one made to fail (T_FAIL_ONCE=sysv_ipc_same):
# "before" notes every System V semaphore set and message queue there is,
# with its key, id, mode, size, owner and creator (a queue: its bytes and
# messages), and each set's values; "after" fails unless they are the same:
# the failed restore removed each one it made and left the others as they
# were. (Last pids and times are not compared: a restore that refills a
# queue it found is its last sender and receiver.)
#
# Usage: sysv_ipc_same.sh before|after DIR
# host-test: helper, run by scenario.sh for t_sysv_ipc_one
set -eu
step=$1 dir=$2
{
	# key semid perms nsems uid gid cuid cgid otime ctime
	awk 'NR > 1 { print "sem", $1, $2, $3, $4, $5, $6, $7, $8 }' /proc/sysvipc/sem
	# key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid ...
	awk 'NR > 1 { print "msg", $1, $2, $3, $4, $5, $8, $9, $10, $11 }' /proc/sysvipc/msg
	for id in $(awk 'NR > 1 { print $2 }' /proc/sysvipc/sem); do
		echo "values $id $(ipcs -s -i "$id" | awk '$1 ~ /^[0-9]+$/ && NF >= 5 { printf "%s ", $2 }')"
	done
} >"$dir/sysvipc.$step"
if [ "$step" = after ]; then
	diff "$dir/sysvipc.before" "$dir/sysvipc.after" >"$dir/sysvipc.diff" || {
		echo "the System V sets and queues differ from before the failed restore:" \
			"$(tr '\n' ' ' <"$dir/sysvipc.diff")"
		exit 1
	}
fi
