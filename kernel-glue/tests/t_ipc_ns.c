/* SPDX-License-Identifier: MIT */
/* An IPC namespace of its own (what systemd's PrivateIPC= gives a
 * service): the program leaves ferry's (unshare CLONE_NEWIPC), changes two
 * of its sysctls (kernel.msgmnb, kernel.shm_rmid_forced), makes a System V
 * shared memory segment there with a key of its own, attaches it and
 * writes into it. After the restore it finds, in a namespace that is not
 * ferry's, the sysctls as it set them, the segment under its key and id
 * with its size, mode and bytes through its attachment and through a new
 * one, and no segment of that key in ferry's namespace (that of PID 1, the
 * scenario, checked to be ferry's), where the restore would have made it
 * had it not carried the namespace.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

#define KEY 0x1fe5ca9e
#define SIZE (3 * 4096 + 100)
#define MSGMNB "12345"

static ino_t ipc_ino(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		t_fail("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

static void write_sysctl(const char *name, const char *value)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		t_fail("write %s: %s", path, strerror(errno));
	close(fd);
}

static void check_sysctl(const char *name, const char *value)
{
	char path[96], buf[64] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		t_fail("read %s: %s", path, strerror(errno));
	close(fd);
	buf[strcspn(buf, "\n")] = 0;
	if (strcmp(buf, value) != 0)
		t_fail("%s is %s, not %s", path, buf, value);
}

static void fill(unsigned char *p)
{
	for (size_t i = 0; i < SIZE; i++)
		p[i] = (unsigned char)(i * 7 + 3);
}

static void check_bytes(const unsigned char *p, const char *what)
{
	for (size_t i = 0; i < SIZE; i++)
		if (p[i] != (unsigned char)(i * 7 + 3))
			t_fail("%s: byte %zu is %u, not %u", what, i, p[i],
			       (unsigned char)(i * 7 + 3));
}

/* In a child joined to ferry's namespace: no segment of KEY there. */
static void check_not_in_ferrys(ino_t ferrys)
{
	int status, fd;
	pid_t child;

	if (ipc_ino("/proc/1/ns/ipc") != ferrys)
		t_fail("PID 1 is not in ferry's IPC namespace ipc:[%lu]", (unsigned long)ferrys);
	fd = open("/proc/1/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open /proc/1/ns/ipc: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		if (setns(fd, CLONE_NEWIPC) < 0)
			_exit(2);
		_exit(shmget(KEY, 0, 0) >= 0 ? 3 : errno == ENOENT ? 0 : 4);
	}
	close(fd);
	if (child < 0 || waitpid(child, &status, 0) != child)
		t_fail("fork: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		t_fail("in ferry's IPC namespace: %s", WIFEXITED(status) && WEXITSTATUS(status) == 3
			       ? "a segment of key 0x1fe5ca9e is there"
			       : "cannot look for the segment");
}

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	unsigned char *p, *q;
	ino_t ferrys, mine;
	int id;

	t_init("ipc_ns", argc, argv);
	ferrys = ipc_ino("/proc/self/ns/ipc");
	if (unshare(CLONE_NEWIPC) < 0)
		t_fail("unshare CLONE_NEWIPC: %s", strerror(errno));
	mine = ipc_ino("/proc/self/ns/ipc");
	if (mine == ferrys)
		t_fail("unshare left it in the namespace it had");
	write_sysctl("msgmnb", MSGMNB);
	write_sysctl("shm_rmid_forced", "1");
	id = shmget(KEY, SIZE, IPC_CREAT | IPC_EXCL | 0640);
	if (id < 0)
		t_fail("shmget: %s", strerror(errno));
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		t_fail("shmat: %s", strerror(errno));
	fill(p);
	t_ready();
	t_wait_go();
	if (ipc_ino("/proc/self/ns/ipc") == ferrys)
		t_fail("it is in ferry's (the restorer's) IPC namespace ipc:[%lu]",
		       (unsigned long)ferrys);
	check_sysctl("msgmnb", MSGMNB);
	check_sysctl("shm_rmid_forced", "1");
	if (shmget(KEY, 0, 0) != id)
		t_fail("key %#x: segment %d, not %d", KEY, shmget(KEY, 0, 0), id);
	if (shmctl(id, IPC_STAT, &ds) < 0)
		t_fail("IPC_STAT %d: %s", id, strerror(errno));
	if (ds.shm_segsz != SIZE || (ds.shm_perm.mode & 0777) != 0640 || ds.shm_nattch != 1)
		t_fail("segment %d: %zu bytes, mode %#o, attached %lu times, not %d, 0640, 1", id,
		       (size_t)ds.shm_segsz, ds.shm_perm.mode & 0777,
		       (unsigned long)ds.shm_nattch, SIZE);
	check_bytes(p, "its attachment");
	q = shmat(id, NULL, SHM_RDONLY);
	if (q == (void *)-1)
		t_fail("shmat again: %s", strerror(errno));
	check_bytes(q, "a new attachment");
	shmdt(q);
	check_not_in_ferrys(ferrys);
	printf("segment %d of key %#x, %d bytes, in ipc:[%lu]\n", id, KEY, SIZE,
	       (unsigned long)ipc_ino("/proc/self/ns/ipc"));
	t_pass();
}
