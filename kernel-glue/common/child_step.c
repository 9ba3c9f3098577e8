/* SPDX-License-Identifier: MIT */
/* A step in a short-lived child, its answer sent back (child_step.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_step.h"
#include "ns_step.h"

/* All @len bytes of @buf written to @fd (@writing), or read from it. */
static bool whole(int fd, void *buf, size_t len, bool writing)
{
	for (size_t done = 0; done < len;) {
		char *at = (char *)buf + done;
		ssize_t n = writing ? write(fd, at, len - done) : read(fd, at, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/*
 * The child: into the namespace open as @nsfd (of @type) if any, @step,
 * then its answer: its result, and as many bytes of @out as it says.
 */
static void __attribute__((noreturn)) answer(int fd, int nsfd, int type, child_step_fn *step,
					     const void *arg, void *out, size_t size)
{
	int r = nsfd >= 0 && setns(nsfd, type) < 0 ? -errno : step(arg, out, size);
	bool sent;

	if (r > 0 && (size_t)r > size)
		r = -EIO;
	sent = whole(fd, &r, sizeof(r), true) && (r <= 0 || whole(fd, out, (size_t)r, true));
	_exit(sent ? 0 : 1);
}

static int run(int nsfd, int type, child_step_fn *step, const void *arg, void *out, size_t size)
{
	int p[2], r = -EIO, status;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (child == 0) {
		close(p[0]);
		answer(p[1], nsfd, type, step, arg, out, size);
	}
	close(p[1]);
	if (!whole(p[0], &r, sizeof(r), false) || (r > 0 && (size_t)r > size) ||
	    (r > 0 && !whole(p[0], out, (size_t)r, false)))
		r = -EIO;
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}

int child_step(child_step_fn *step, const void *arg, void *out, size_t size)
{
	return run(-1, 0, step, arg, out, size);
}

int child_step_in_ns(int type, pid_t pid, child_step_fn *step, const void *arg, void *out,
		     size_t size)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_step_proc_name(type));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = run(fd, type, step, arg, out, size);
	close(fd);
	return r;
}
