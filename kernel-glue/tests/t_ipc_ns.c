/* SPDX-License-Identifier: MIT */
/* An IPC namespace of its own (what systemd's PrivateIPC= gives a
 * service): the program leaves ferry's (unshare CLONE_NEWIPC), changes two
 * of its sysctls (kernel.msgmnb, kernel.shm_rmid_forced), makes a System V
 * shared memory segment there with a key of its own, attaches it and
 * writes into it; makes a semaphore set (3 semaphores, two raised by one
 * semop(), mode 0604) and a message queue (mode 0660, three typed
 * messages) with that key. After the restore it finds, in a namespace that
 * is not ferry's, the sysctls as it set them, the segment under its key and
 * id with its size, mode and bytes through its attachment and through a
 * new one, the set under its key and id with its mode, values and itself
 * as the last pid of the semaphores it raised, the queue with its mode,
 * itself as its last sender and its messages in order with their types
 * and bytes; and no segment, set or queue of that key in ferry's namespace
 * (that of PID 1, the scenario, checked to be ferry's), where the restore
 * would have made them had it not carried the namespace.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

#define KEY 0x1fe5ca9e
#define SIZE (3 * 4096 + 100)
#define MSGMNB "12345"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg {
	long type;
	char text[16];
};

static const struct msg sent[] = { { 5, "five" }, { 2, "two" }, { 5, "five again" } };

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
		if (shmget(KEY, 0, 0) >= 0 || semget(KEY, 0, 0) >= 0 || msgget(KEY, 0) >= 0)
			_exit(3);
		_exit(errno == ENOENT ? 0 : 4);
	}
	close(fd);
	if (child < 0 || waitpid(child, &status, 0) != child)
		t_fail("fork: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		t_fail("in ferry's IPC namespace: %s", WIFEXITED(status) && WEXITSTATUS(status) == 3
			       ? "a segment, set or queue of key 0x1fe5ca9e is there"
			       : "cannot look for the segment");
}

static void check_set(int id)
{
	unsigned short vals[3] = { 0 };
	struct semid_ds ds;
	union { int val; struct semid_ds *buf; unsigned short *array; } arg = { .buf = &ds };
	const unsigned short want[3] = { 3, 0, 9 };

	if (semget(KEY, 0, 0) != id)
		t_fail("key %#x: semaphore set %d, not %d", KEY, semget(KEY, 0, 0), id);
	if (semctl(id, 0, IPC_STAT, arg) < 0)
		t_fail("semaphore set %d: IPC_STAT: %s", id, strerror(errno));
	if (ds.sem_nsems != 3 || (ds.sem_perm.mode & 0777) != 0604)
		t_fail("semaphore set %d: %lu semaphores, mode %#o, not 3, 0604", id,
		       (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
	arg.array = vals;
	if (semctl(id, 0, GETALL, arg) < 0)
		t_fail("semaphore set %d: GETALL: %s", id, strerror(errno));
	for (int i = 0; i < 3; i++)
		if (vals[i] != want[i] || (want[i] && semctl(id, i, GETPID) != getpid()))
			t_fail("semaphore set %d: semaphore %d is %u, last pid %d; not %u, %d", id,
			       i, vals[i], semctl(id, i, GETPID), want[i], getpid());
}

static void check_queue(int id)
{
	struct msqid_ds ds;
	struct msg m;

	if (msgget(KEY, 0) != id)
		t_fail("key %#x: message queue %d, not %d", KEY, msgget(KEY, 0), id);
	if (msgctl(id, IPC_STAT, &ds) < 0)
		t_fail("message queue %d: IPC_STAT: %s", id, strerror(errno));
	if (ds.msg_qnum != 3 || (ds.msg_perm.mode & 0777) != 0660 || ds.msg_lspid != getpid())
		t_fail("message queue %d: %lu messages, mode %#o, last sender %d; not 3, 0660, %d",
		       id, (unsigned long)ds.msg_qnum, ds.msg_perm.mode & 0777, ds.msg_lspid,
		       getpid());
	for (long i = 0; i < 3; i++) {
		ssize_t n = msgrcv(id, &m, sizeof(m.text), i, MSG_COPY | IPC_NOWAIT);

		if (n != (ssize_t)strlen(sent[i].text) + 1 || m.type != sent[i].type ||
		    strcmp(m.text, sent[i].text) != 0)
			t_fail("message queue %d: message %ld: %zd bytes of type %ld, not '%s' of "
			       "type %ld", id, i + 1, n, m.type, sent[i].text, sent[i].type);
	}
}

int main(int argc, char **argv)
{
	struct sembuf up[2] = { { .sem_num = 0, .sem_op = 3 }, { .sem_num = 2, .sem_op = 9 } };
	int sid, qid;
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
	sid = semget(KEY, 3, IPC_CREAT | IPC_EXCL | 0604);
	qid = msgget(KEY, IPC_CREAT | IPC_EXCL | 0660);
	if (sid < 0 || qid < 0 || semop(sid, up, 2) < 0)
		t_fail("semget, msgget, semop: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		if (msgsnd(qid, &sent[i], strlen(sent[i].text) + 1, IPC_NOWAIT) < 0)
			t_fail("msgsnd: %s", strerror(errno));
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
	check_set(sid);
	check_queue(qid);
	check_not_in_ferrys(ferrys);
	printf("segment %d of key %#x, %d bytes, in ipc:[%lu]\n", id, KEY, SIZE,
	       (unsigned long)ipc_ino("/proc/self/ns/ipc"));
	t_pass();
}
