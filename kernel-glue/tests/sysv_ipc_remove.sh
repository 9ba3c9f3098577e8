#!/bin/sh
# Between the kill and the restore of t_sysv_ipc (T_BETWEEN=sysv_ipc_remove):
# its semaphore sets A and B and its queues Q and F, which outlive the processes,
# are removed, as a new kernel would not have them, so that the restore
# makes them again from the image. A's, Q's and F's key is 0x4653xxxx, B's
# creator uid 4321 (t_sysv_ipc.c).
# host-test: helper, run by scenario_tree.sh for t_sysv_ipc
set -eu
sets=0 queues=0
# /proc/sysvipc/sem: key semid perms nsems uid gid cuid cgid ..., the key in decimal
for id in $(awk 'NR > 1 && (int($1 / 65536) == 18003 || $7 == 4321) { print $2 }' /proc/sysvipc/sem); do
	ipcrm -s "$id"
	sets=$((sets + 1))
done
# /proc/sysvipc/msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid ...
for id in $(awk 'NR > 1 && int($1 / 65536) == 18003 { print $2 }' /proc/sysvipc/msg); do
	ipcrm -q "$id"
	queues=$((queues + 1))
done
# (an earlier run that failed may have left some of its own: gone too)
[ "$sets" -ge 2 ] && [ "$queues" -ge 2 ] ||
	{ echo "fewer than the 2 sets and 2 queues of t_sysv_ipc to remove: $sets sets, $queues queues"; exit 1; }
