#!/bin/sh
# Between the kill and the restore of t_mqueue (T_BETWEEN=mqueue_unlink):
# its named queue, which outlives the process, is removed, as a new kernel
# would not have it, so that the restore makes it again from the image.
# host-test: helper, run by scenario.sh for t_mqueue
set -eu
mnt=$(mktemp -d /tmp/ferry-mqueue.XXXXXX)
mount -t mqueue mqueue "$mnt"
rm "$mnt/ferry-t-mqueue"
umount "$mnt"
rmdir "$mnt"
