/* SPDX-License-Identifier: MIT */
/* A System V object made again at the id it had (sysv_create.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "../common/child_step.h"
#include "sysv_create.h"

const char *sysv_next_id_path(enum sysv_type type)
{
	switch (type) {
	case SYSV_SHM:
		return "/proc/sys/kernel/shm_next_id";
	case SYSV_SEM:
		return "/proc/sys/kernel/sem_next_id";
	default:
		return "/proc/sys/kernel/msg_next_id";
	}
}

int sysv_next_id(enum sysv_type type, long id)
{
	char text[24];
	int fd = open(sysv_next_id_path(type), O_WRONLY | O_CLOEXEC), n, e = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%ld", id);
	if (write(fd, text, (size_t)n) != n)
		e = -errno;
	close(fd);
	return e;
}

static int create(enum sysv_type type, uint32_t key, uint64_t size)
{
	int flags = IPC_CREAT | IPC_EXCL | 0600, id;

	switch (type) {
	case SYSV_SHM:
		id = shmget((key_t)key, (size_t)size, flags);
		break;
	case SYSV_SEM:
		id = semget((key_t)key, (int)size, flags);
		break;
	default:
		id = msgget((key_t)key, flags);
		break;
	}
	return id < 0 ? -errno : id;
}

struct create_as {
	enum sysv_type type;
	uint32_t key, cuid, cgid;
	uint64_t size;
};

/* In the child: the object made with the creator's effective ids. */
static int create_as(const void *arg, void *out, size_t size)
{
	const struct create_as *a = arg;
	int id;

	(void)size;
	if (setresgid((gid_t)-1, a->cgid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, a->cuid, (uid_t)-1) < 0)
		return -errno;
	id = create(a->type, a->key, a->size);
	if (id < 0)
		return id;
	*(int *)out = id;
	return sizeof(id);
}

int sysv_create_as(enum sysv_type type, uint32_t key, uint64_t size, uint32_t cuid,
		   uint32_t cgid)
{
	struct create_as a = { .type = type, .key = key, .cuid = cuid, .cgid = cgid,
			       .size = size };
	int id = -1, r;

	if (cuid == geteuid() && cgid == getegid())
		return create(type, key, size);
	r = child_step(create_as, &a, &id, sizeof(id));
	return r < 0 ? r : r == sizeof(id) ? id : -EIO;
}
