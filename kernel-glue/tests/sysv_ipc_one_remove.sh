#!/bin/sh
# Between the kill and the restore of t_sysv_ipc_one
# (T_BETWEEN=sysv_ipc_one_remove): its sets A and B and its queue Q, which
# outlive the process, are removed, as a new kernel would not have them,
# so that the restore makes them again from the image. A's and Q's key is
# 0x4654xxxx, B's creator uid 4331 (t_sysv_ipc_one.c); an earlier run that
# failed may have left some of its own: gone too.
# host-test: helper, run by scenario.sh for t_sysv_ipc_one
set -eu
sets=0 queues=0
# /proc/sysvipc/sem: key semid perms nsems uid gid cuid cgid ..., the key in decimal
for id in $(awk 'NR > 1 && (int($1 / 65536) == 18004 || $7 == 4331) { print $2 }' /proc/sysvipc/sem); do
	ipcrm -s "$id"
	sets=$((sets + 1))
done
for id in $(awk 'NR > 1 && int($1 / 65536) == 18004 { print $2 }' /proc/sysvipc/msg); do
	ipcrm -q "$id"
	queues=$((queues + 1))
done
[ "$sets" -ge 2 ] && [ "$queues" -ge 1 ] ||
	{ echo "fewer than the 2 sets and 1 queue of t_sysv_ipc_one to remove: $sets sets, $queues queues"; exit 1; }
