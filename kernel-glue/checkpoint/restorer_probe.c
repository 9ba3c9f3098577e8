/* SPDX-License-Identifier: MIT */
/*
 * Could the restorer give a restored process this value? Asked of a child
 * of ferry, which starts as every process the restorer makes starts: the
 * stubs are copies of ferry, with its scheduling, OOM score adjustment and
 * its floor, audit login uid, user, capabilities and cgroup. The child
 * tries to set the value on itself and exits; nothing of the checkpointed
 * processes is touched. The restoring side is taken to be a ferry with
 * this one's privileges: `ferry restore` here; ferry-init, which has every
 * capability, can set at least as much.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

int ckpt_restorer_can(int (*try_set)(const void *arg), const void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int r = try_set(arg);

		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}
