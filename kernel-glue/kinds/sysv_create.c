/* SPDX-License-Identifier: MIT */
/* A System V object made again at the id it had (sysv_create.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

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

int sysv_create_as(enum sysv_type type, uint32_t key, uint64_t size, uint32_t cuid,
		   uint32_t cgid)
{
	int p[2], res = -EIO, status;
	pid_t child;

	if (cuid == geteuid() && cgid == getegid())
		return create(type, key, size);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (child == 0) {
		int id = setresgid((gid_t)-1, cgid, (gid_t)-1) < 0 ||
				 setresuid((uid_t)-1, cuid, (uid_t)-1) < 0
			       ? -errno
			       : create(type, key, size);

		if (write(p[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &res, sizeof(res)) != sizeof(res))
		res = -EIO;
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return res;
}
