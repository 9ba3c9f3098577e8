/* SPDX-License-Identifier: MIT */
/*
 * Every kind ferry carries, once. A new kind is a new file in this folder
 * (kind.h says what it may fill in; eventfd.c is the smallest example) and
 * one line here. The order matters twice: the first kind whose match()
 * takes an open file dumps it, and the kinds' image nodes are written in
 * this order. In a process node the kinds whose process_fields make child
 * nodes (posix_timers) come after those that only add properties: an FDT
 * node's properties come before its children (one written after a child
 * is not found again; make glue-unit-test says so).
 */
#include <string.h>

#include "kind.h"

/* one line per kind: X(NAME) is its struct kind kind_NAME, in kinds/NAME.c
 * (kind_sockets, the socket records every family uses, is in socket.c).
 * Their fields are written in this order into one process node, where
 * properties must come before subnodes: a kind with a node there
 * (posix_timers) goes after every kind with properties only. */
#define KINDS(X)        \
	X(pipe)         \
	X(fifo)         \
	X(sockets)      \
	X(unix)         \
	X(tcp)          \
	X(udp)          \
	X(tty)          \
	X(epoll)        \
	X(timerfd)      \
	X(signalfd)     \
	X(inotify)      \
	X(eventfd)      \
	X(pidfd)        \
	X(memfd)        \
	X(mqueue)       \
	X(regular)      \
	X(directory)    \
	X(chardev)      \
	X(locks)        \
	X(lease)        \
	X(sched)        \
	X(timerslack)   \
	X(ioprio)       \
	X(affinity)     \
	X(oom)          \
	X(prctl)        \
	X(loginuid)     \
	X(cgroup)       \
	X(mount_ns)     \
	X(membarrier)   \
	X(sigio)        \
	X(itimers)      \
	X(jobctl)       \
	X(seccomp)      \
	X(posix_timers) \
	X(zombie)       \
	X(uts_ns)       \
	X(ipc_ns)       \
	X(net_ns)       \
	X(sysv_shm)     \
	X(sysv_ipc)     \
	X(user_ns)      \
	X(systemd_unit)

#define DECLARE(name) extern const struct kind kind_##name;
#define ENTRY(name) &kind_##name,

KINDS(DECLARE)

const struct kind *const kind_registry[] = { KINDS(ENTRY) };

const size_t kind_count = sizeof(kind_registry) / sizeof(kind_registry[0]);

const struct kind *kind_of_fd(const struct fd_probe *fd)
{
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->match && kind_registry[i]->match(fd))
			return kind_registry[i];
	return NULL;
}

const struct kind *kind_of_record(const struct st_image *img, const struct st_file *f)
{
	for (size_t i = 0; i < kind_count; i++) {
		const struct kind *k = kind_registry[i];

		if (k->owns_record && strcmp(k->name, f->kind->name) == 0 && k->owns_record(img, f))
			return k;
	}
	return NULL;
}

const struct kind *kind_by_type(const char *type)
{
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->open && strcmp(kind_registry[i]->name, type) == 0)
			return kind_registry[i];
	return NULL;
}
