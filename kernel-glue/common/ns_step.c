/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ns_step.h"

const char *ns_step_proc_name(int type)
{
	return type == CLONE_NEWUTS ? "uts" : type == CLONE_NEWIPC ? "ipc" :
	       type == CLONE_NEWNET ? "net" : "mnt";
}

/* The name of @type in words */
static const char *words(int type)
{
	return type == CLONE_NEWUTS ? "UTS" : type == CLONE_NEWIPC ? "IPC" :
	       type == CLONE_NEWNET ? "network" : "mount";
}

/* Open the current namespace of @type into @s, not yet away. */
static int keep_current(struct ns_step *s, int type)
{
	char path[32];
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->left = -1;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_step_proc_name(type));
	s->left = open(path, O_RDONLY | O_CLOEXEC);
	if (s->left < 0 || fstat(s->left, &st) < 0) {
		int e = -errno;

		if (s->left >= 0)
			close(s->left);
		s->left = -1;
		return e;
	}
	s->own_ino = st.st_ino;
	return 0;
}

int ns_step_new(struct ns_step *s, int type)
{
	int e = keep_current(s, type);

	if (e < 0)
		return e;
	if (unshare(type) < 0) {
		e = -errno;
		close(s->left);
		s->left = -1;
		return e;
	}
	s->away = s->made = true;
	return 0;
}

int ns_step_into(struct ns_step *s, int type, pid_t pid)
{
	char path[64];
	struct stat theirs;
	int fd, e = keep_current(s, type);

	if (e < 0)
		return e;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_step_proc_name(type));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &theirs) < 0) {
		e = -errno;
	} else if (theirs.st_ino == s->own_ino) {
		e = 1; /* there already */
	} else if (setns(fd, type) < 0) {
		e = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (e != 0) {
		close(s->left);
		s->left = -1;
		return e < 0 ? e : 0;
	}
	s->away = true;
	return 0;
}

void ns_step_back(struct ns_step *s)
{
	if (!s->away)
		return;
	if (setns(s->left, s->type) < 0)
		log_error("cannot go back to ferry's own %s namespace: %s", words(s->type),
			  strerror(errno));
	close(s->left);
	s->left = -1;
	s->away = false;
}
