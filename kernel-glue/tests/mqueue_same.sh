#!/bin/sh
# Around a restore of t_mqueue made to fail (T_FAIL_ONCE=mqueue_same):
# "before" notes every POSIX message queue there is, with its mode, owner
# and what its file says (QSIZE, the bytes it holds), "after" fails unless
# they are the same: the failed restore removed each queue it made and left
# the others as they were.
#
# Usage: mqueue_same.sh before|after DIR
# host-test: helper, run by scenario.sh for t_mqueue
set -eu
step=$1 dir=$2
mnt=$(mktemp -d /tmp/ferry-mqueue.XXXXXX)
mount -t mqueue mqueue "$mnt"
for q in "$mnt"/*; do
	[ -e "$q" ] || continue
	echo "$(basename "$q") $(stat -c '%a %u %g' "$q") $(cat "$q")"
done >"$dir/mqueues.$step"
umount "$mnt"
rmdir "$mnt"
if [ "$step" = after ]; then
	diff "$dir/mqueues.before" "$dir/mqueues.after" >"$dir/mqueues.diff" || {
		echo "the message queues differ from before the failed restore:" \
			"$(tr '\n' ' ' <"$dir/mqueues.diff")"
		exit 1
	}
fi
