/* SPDX-License-Identifier: MIT */
/*
 * System V semaphore sets and a message queue of one process, restored
 * after restores made to fail: the program makes set A (a key of its own,
 * 4 semaphores, values 1 2 0 4 by one semop()), set B (IPC_PRIVATE, made
 * with the effective ids 4331:4332, semaphore 0 at 9) and queue Q (A's key,
 * three messages of types 8, 1 and 8). After the restore it finds them with
 * their ids, keys, creators, values and messages in order, itself their
 * last pid and last sender.
 *
 * With T_FAIL_ONCE=sysv_ipc_same each restore first fails once the
 * process runs: the sets and queues it found (on this kernel they outlive
 * the process) are left as they were, those it made (after
 * T_BETWEEN=sysv_ipc_one_remove removed them, as a new kernel has none)
 * are removed again.
 *
 * host-test: run usr1 1
 * host-test: run T_FAIL_ONCE=sysv_ipc_same usr1 1
 * host-test: run T_BETWEEN=sysv_ipc_one_remove T_FAIL_ONCE=sysv_ipc_same usr1 2
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

#include "tlib.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct msg {
	long type;
	char text[16];
};

static const struct msg sent[] = { { 8, "eight" }, { 1, "one" }, { 8, "eight again" } };
static int a_id = -1, b_id = -1, q_id = -1;
static pid_t main_pid;

static void remove_all(void)
{
	if (getpid() != main_pid)
		return;
	if (a_id >= 0)
		semctl(a_id, 0, IPC_RMID);
	if (b_id >= 0)
		semctl(b_id, 0, IPC_RMID);
	if (q_id >= 0)
		msgctl(q_id, IPC_RMID, NULL);
}

static void check_values(int id, int n, const unsigned short *want, uid_t cuid,
			 const char *what)
{
	unsigned short vals[4] = { 0 };
	struct semid_ds ds;
	union semun arg = { .buf = &ds };

	if (semctl(id, 0, IPC_STAT, arg) < 0 || (int)ds.sem_nsems != n || ds.sem_perm.cuid != cuid)
		t_fail("%s: set %d: IPC_STAT: %s, %lu semaphores, creator %u", what, id,
		       strerror(errno), (unsigned long)ds.sem_nsems, ds.sem_perm.cuid);
	arg.array = vals;
	if (semctl(id, 0, GETALL, arg) < 0)
		t_fail("%s: GETALL: %s", what, strerror(errno));
	for (int i = 0; i < n; i++)
		if (vals[i] != want[i] || (want[i] && semctl(id, i, GETPID) != main_pid))
			t_fail("%s: semaphore %d is %u, last pid %d; not %u, %d", what, i, vals[i],
			       semctl(id, i, GETPID), want[i], main_pid);
}

int main(int argc, char **argv)
{
	struct sembuf up[3] = { { 0, 1, 0 }, { 1, 2, 0 }, { 3, 4, 0 } };
	const unsigned short a_want[4] = { 1, 2, 0, 4 }, b_want[1] = { 9 };
	struct timespec now;
	struct msqid_ds ds;
	union semun arg;
	struct msg m;
	key_t key = 0;

	t_init("sysv_ipc_one", argc, argv);
	main_pid = getpid();
	atexit(remove_all);
	clock_gettime(CLOCK_REALTIME, &now);
	for (unsigned i = 0; i < 64 && (a_id < 0 || q_id < 0); i++) {
		key = (key_t)(0x46540000u | ((unsigned)(now.tv_nsec / 1000 + i) & 0xffff));
		a_id = semget(key, 4, IPC_CREAT | IPC_EXCL | 0600);
		q_id = a_id < 0 ? -1 : msgget(key, IPC_CREAT | IPC_EXCL | 0600);
		if (a_id >= 0 && q_id < 0) {
			semctl(a_id, 0, IPC_RMID);
			a_id = -1;
		}
	}
	if (a_id < 0 || q_id < 0 || semop(a_id, up, 3) < 0)
		t_fail("set A and queue Q (key %#x): %s", (unsigned)key, strerror(errno));
	if (setresgid(-1, 4332, -1) < 0 || setresuid(-1, 4331, -1) < 0)
		t_fail("seteuid 4331: %s", strerror(errno));
	b_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		t_fail("back to euid 0: %s", strerror(errno));
	arg.val = 9;
	if (b_id < 0 || semctl(b_id, 0, SETVAL, arg) < 0)
		t_fail("set B: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		if (msgsnd(q_id, &sent[i], strlen(sent[i].text) + 1, IPC_NOWAIT) < 0)
			t_fail("msgsnd: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (semget(key, 0, 0) != a_id || msgget(key, 0) != q_id)
		t_fail("key %#x: set %d and queue %d, not %d and %d", (unsigned)key,
		       semget(key, 0, 0), msgget(key, 0), a_id, q_id);
	check_values(a_id, 4, a_want, 0, "A");
	check_values(b_id, 1, b_want, 4331, "B");
	if (msgctl(q_id, IPC_STAT, &ds) < 0 || ds.msg_qnum != 3 || ds.msg_lspid != main_pid)
		t_fail("Q: %lu messages, last sender %d; not 3, %d", (unsigned long)ds.msg_qnum,
		       ds.msg_lspid, main_pid);
	for (long i = 0; i < 3; i++) {
		ssize_t n = msgrcv(q_id, &m, sizeof(m.text), i, MSG_COPY | IPC_NOWAIT);

		if (n != (ssize_t)strlen(sent[i].text) + 1 || m.type != sent[i].type ||
		    strcmp(m.text, sent[i].text) != 0)
			t_fail("Q: message %ld: %zd bytes of type %ld, not '%s' of type %ld", i + 1,
			       n, m.type, sent[i].text, sent[i].type);
	}
	t_pass();
}
