/* SPDX-License-Identifier: MIT */
/*
 * Ferry stepping into a namespace of one type (UTS, IPC, network, mount)
 * and back: into a new one that restore fills for the processes (unshare),
 * or into a process's own to read what it sees (setns), the namespace it
 * left kept open to go back to. The calling thread moves; ferry is single-threaded
 * where it does this.
 */
#ifndef FERRY_GLUE_NS_STEP_H
#define FERRY_GLUE_NS_STEP_H

#include <stdbool.h>
#include <sys/types.h>

struct ns_step {
	int type;      /* CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET or CLONE_NEWNS */
	bool away;     /* in another namespace than the one left */
	bool made;     /* that namespace was made by ns_step_new */
	int left;      /* the namespace left, open while away */
	ino_t own_ino; /* its inode: still known once back */
};

/* Into a new namespace of @type, leaving the current one. 0 or -errno
 * (unshare's: CAP_SYS_ADMIN is needed), nothing changed on failure. */
int ns_step_new(struct ns_step *s, int type);
/* Into the namespace of @type of process @pid; nothing to do (and not
 * away) when ferry is in it already. 0 or -errno, nothing changed on
 * failure. */
int ns_step_into(struct ns_step *s, int type, pid_t pid);
/* Back into the namespace left, if away; logs when the kernel refuses. */
void ns_step_back(struct ns_step *s);
/* The name of @type in /proc/PID/ns/ ("uts", "ipc", "net", "mnt"). */
const char *ns_step_proc_name(int type);

#endif
