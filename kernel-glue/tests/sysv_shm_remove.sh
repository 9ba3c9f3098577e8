#!/bin/sh
# Between the kill and the restore of t_sysv_shm (T_BETWEEN=sysv_shm_remove):
# its segment A, which outlives the processes, is removed, as a new kernel
# would not have it, so that the restore makes it again from the image.
# Its key is 0x4652xxxx (t_sysv_shm.c), attached by no process now.
# host-test: helper, run by scenario_tree.sh for t_sysv_shm
set -eu
found=0
# /proc/sysvipc/shm: key shmid perms size cpid lpid nattch ..., the key in decimal
for id in $(awk 'NR > 1 && int($1 / 65536) == 18002 && $7 == 0 { print $2 }' /proc/sysvipc/shm); do
	ipcrm -m "$id"
	found=1
done
[ "$found" = 1 ] || { echo "no segment of t_sysv_shm to remove"; exit 1; }
