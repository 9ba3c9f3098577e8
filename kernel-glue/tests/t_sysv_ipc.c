/* SPDX-License-Identifier: MIT */
/*
 * System V semaphore sets and message queues in ferry's own IPC namespace,
 * checkpointed with --tree and restored (once, or twice in a row):
 *
 *   P  makes set A (a key of its own, 3 semaphores, mode 0640) and raises
 *   |  semaphores 0 and 2 to 5 and 300 with one semop(); set B (IPC_PRIVATE,
 *   |  2 semaphores, mode 0600, made with the effective ids 4321:4322, its
 *   |  owner then set to 1234:5678), semaphore 0 set to 7 (SETVAL); queue Q
 *   |  (A's key, mode 0620, qbytes lowered to 4000), one message sent and
 *   |  received, then five typed messages (one of them empty, one of 100
 *   |  bytes of every value) sent. P is the last pid of each semaphore it
 *   |  set and Q's last sender and receiver; queue F (A's key + 1, qbytes
 *   |  16) filled by one 16-byte message. Then it forks
 *   +- C  blocked in semop() waiting to take semaphore 1 of A (at 0),
 *   |     issued again after EINTR, as semop() must be
 *   +- D  blocked in msgrcv() waiting for a message of type 42 on Q
 *   +- E  blocked in msgsnd() of a message to the full F
 *
 * After the restore P checks that A, B and Q have the same ids, keys,
 * modes, owners and creators, A's and B's values, P as the last pid of
 * every semaphore it set, Q's qbytes, last pids and its messages in order
 * with their types and bytes (read with MSG_COPY, then taken off at the
 * end); that C waits again on A's semaphore 1 (GETNCNT), D in msgrcv()
 * and E in msgsnd() (/proc/PID/syscall). Then it gives C the semaphore and
 * D its message, takes F's message off, which lets E's in, and finds E's
 * there; C, D and E end with 0. Each restore finds the objects that outlive the
 * processes on this kernel; with T_BETWEEN=sysv_ipc_remove they are
 * removed after each kill (a new kernel has none), and made again from the
 * image: the second checkpoint carries them only if the first restore gave
 * P back as their last pid. P removes them at its end.
 *
 * host-test: by scenario_tree.sh
 */
#include <stdbool.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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
	char text[128];
};

static int a_id = -1, b_id = -1, q_id = -1, f_id = -1;
static key_t key;
static pid_t main_pid;

static const long types[] = { 3, 1, 7, 2, 3 };
static size_t size_of(size_t i)
{
	static const size_t sizes[] = { 5, 3, 100, 0, 5 };

	return sizes[i];
}

static void text_of(size_t i, char *out)
{
	if (i == 0)
		memcpy(out, "three", 5);
	else if (i == 1)
		memcpy(out, "one", 3);
	else if (i == 2)
		for (int k = 0; k < 100; k++)
			out[k] = (char)(k * 37 + 11);
	else if (i == 4)
		memcpy(out, "again", 5);
}

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
	if (f_id >= 0)
		msgctl(f_id, IPC_RMID, NULL);
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* C: semaphore 1 of A, waited for through every checkpoint and restore */
static void take_semaphore(void)
{
	struct sembuf take = { .sem_num = 1, .sem_op = -1 };
	int eintr = 0;

	signal(SIGUSR1, SIG_IGN);
	while (semop(a_id, &take, 1) < 0) {
		if (errno != EINTR) {
			printf("note: C: semop: %s\n", strerror(errno));
			_exit(1);
		}
		eintr++;
	}
	printf("note: C: took semaphore 1 of A after %d EINTR\n", eintr);
	_exit(0);
}

/* D: a message of type 42 on Q, waited for in one msgrcv() */
static void wait_message(void)
{
	struct msg m;
	ssize_t n;

	signal(SIGUSR1, SIG_IGN);
	n = msgrcv(q_id, &m, sizeof(m.text), 42, 0);
	if (n != 5 || memcmp(m.text, "for D", 5) != 0) {
		printf("note: D: msgrcv: %zd, %s\n", n, n < 0 ? strerror(errno) : "not 'for D'");
		_exit(1);
	}
	_exit(0);
}

/* E: a message to F, full, sent in one msgsnd() */
static void send_message(void)
{
	struct msg m = { .type = 6, .text = "from E, 16 bytes" };

	signal(SIGUSR1, SIG_IGN);
	if (msgsnd(f_id, &m, 16, 0) < 0) {
		printf("note: E: msgsnd: %s\n", strerror(errno));
		_exit(1);
	}
	_exit(0);
}

/* Is @pid in system call @nr (/proc/PID/syscall's first number)? */
static bool in_syscall(pid_t pid, long nr)
{
	char path[64];
	long got = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%ld", &got) != 1)
		got = -1;
	if (f)
		fclose(f);
	return got == nr;
}

static bool wait_for(bool (*cond)(pid_t), pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		if (cond(pid))
			return true;
		sleep_ms(2);
	}
	return false;
}

static bool c_waits(pid_t c)
{
	(void)c;
	return semctl(a_id, 1, GETNCNT) == 1;
}

static bool d_waits(pid_t d)
{
	return in_syscall(d, SYS_msgrcv);
}

static bool e_waits(pid_t e)
{
	return in_syscall(e, SYS_msgsnd);
}

static void check_set(int id, key_t k, int nsems, unsigned mode, uid_t uid, gid_t gid,
		      uid_t cuid, gid_t cgid, const unsigned short *want, const bool *mine,
		      const char *what)
{
	struct semid_ds ds;
	union semun arg = { .buf = &ds };
	unsigned short vals[8] = { 0 };

	if (semctl(id, 0, IPC_STAT, arg) < 0)
		t_fail("%s: semid %d: IPC_STAT: %s", what, id, strerror(errno));
	if (ds.sem_perm.__key != k || (int)ds.sem_nsems != nsems ||
	    (ds.sem_perm.mode & 0777) != mode || ds.sem_perm.uid != uid ||
	    ds.sem_perm.gid != gid || ds.sem_perm.cuid != cuid || ds.sem_perm.cgid != cgid)
		t_fail("%s: semid %d: key %#x, %lu semaphores, mode %#o, owner %u:%u, creator "
		       "%u:%u; not key %#x, %d, %#o, %u:%u, %u:%u", what, id,
		       (unsigned)ds.sem_perm.__key, (unsigned long)ds.sem_nsems,
		       ds.sem_perm.mode & 0777, ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.cuid,
		       ds.sem_perm.cgid, (unsigned)k, nsems, mode, uid, gid, cuid, cgid);
	arg.array = vals;
	if (semctl(id, 0, GETALL, arg) < 0)
		t_fail("%s: GETALL: %s", what, strerror(errno));
	for (int i = 0; i < nsems; i++) {
		int pid = semctl(id, i, GETPID);

		if (vals[i] != want[i])
			t_fail("%s: semaphore %d is %u, not %u", what, i, vals[i], want[i]);
		if (mine[i] && pid != main_pid)
			t_fail("%s: semaphore %d's last pid is %d, not P (%d)", what, i, pid,
			       main_pid);
	}
}

static void check_queue(void)
{
	struct msqid_ds ds;
	size_t bytes = 0;
	struct msg m;

	for (size_t i = 0; i < 5; i++)
		bytes += size_of(i);
	if (msgget(key, 0) != q_id)
		t_fail("Q: key %#x is queue %d, not %d", (unsigned)key, msgget(key, 0), q_id);
	if (msgctl(q_id, IPC_STAT, &ds) < 0)
		t_fail("Q: IPC_STAT: %s", strerror(errno));
	if ((ds.msg_perm.mode & 0777) != 0620 || ds.msg_perm.uid != 0 || ds.msg_perm.cuid != 0 ||
	    ds.msg_qbytes != 4000 || ds.msg_qnum != 5 || ds.__msg_cbytes != bytes ||
	    ds.msg_lspid != main_pid || ds.msg_lrpid != main_pid)
		t_fail("Q: mode %#o, owner %u, creator %u, qbytes %lu, %lu messages of %lu bytes, "
		       "last pids %d %d; not 0620, 0, 0, 4000, 5 of %zu, P (%d) twice",
		       ds.msg_perm.mode & 0777, ds.msg_perm.uid, ds.msg_perm.cuid,
		       (unsigned long)ds.msg_qbytes, (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes, ds.msg_lspid, ds.msg_lrpid, bytes, main_pid);
	for (size_t i = 0; i < 5; i++) {
		char want[128];
		ssize_t n = msgrcv(q_id, &m, sizeof(m.text), (long)i, MSG_COPY | IPC_NOWAIT);

		text_of(i, want);
		if (n != (ssize_t)size_of(i) || m.type != types[i] || memcmp(m.text, want, size_of(i)))
			t_fail("Q: message %zu: %zd bytes of type %ld, not %zu of type %ld as sent",
			       i + 1, n, m.type, size_of(i), types[i]);
	}
}

int main(int argc, char **argv)
{
	struct sembuf up[2] = { { .sem_num = 0, .sem_op = 5 }, { .sem_num = 2, .sem_op = 300 } };
	const unsigned short a_want[3] = { 5, 0, 300 }, b_want[2] = { 7, 0 };
	const bool a_mine[3] = { true, false, true }, b_mine[2] = { true, false };
	struct semid_ds sds;
	struct msqid_ds qds;
	union semun arg;
	struct timespec now;
	struct msg m;
	pid_t c, d, e;
	int status;

	t_init("sysv_ipc", argc, argv);
	main_pid = getpid();
	atexit(remove_all);
	/* a key of its own (for A and Q): one an earlier run left is not it */
	clock_gettime(CLOCK_REALTIME, &now);
	for (unsigned i = 0; i < 64 && (a_id < 0 || q_id < 0); i++) {
		key = (key_t)(0x46530000u | ((unsigned)(now.tv_nsec / 1000 + i) & 0xfffe));
		a_id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0640);
		if (a_id < 0)
			continue;
		q_id = msgget(key, IPC_CREAT | IPC_EXCL | 0620);
		f_id = q_id < 0 ? -1 : msgget(key + 1, IPC_CREAT | IPC_EXCL | 0600);
		if (f_id < 0) {
			semctl(a_id, 0, IPC_RMID);
			if (q_id >= 0)
				msgctl(q_id, IPC_RMID, NULL);
			a_id = q_id = -1;
		}
	}
	if (a_id < 0 || q_id < 0 || f_id < 0)
		t_fail("semget/msgget (key %#x): %s", (unsigned)key, strerror(errno));
	if (semop(a_id, up, 2) < 0)
		t_fail("semop A: %s", strerror(errno));
	/* B's creator is another user: made with that effective uid and gid */
	if (setresgid(-1, 4322, -1) < 0 || setresuid(-1, 4321, -1) < 0)
		t_fail("seteuid 4321: %s", strerror(errno));
	b_id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		t_fail("back to euid 0: %s", strerror(errno));
	if (b_id < 0)
		t_fail("semget B: %s", strerror(errno));
	arg.val = 7;
	if (semctl(b_id, 0, SETVAL, arg) < 0)
		t_fail("SETVAL B: %s", strerror(errno));
	arg.buf = &sds;
	if (semctl(b_id, 0, IPC_STAT, arg) < 0)
		t_fail("IPC_STAT B: %s", strerror(errno));
	sds.sem_perm.uid = 1234;
	sds.sem_perm.gid = 5678;
	if (semctl(b_id, 0, IPC_SET, arg) < 0)
		t_fail("IPC_SET B: %s", strerror(errno));
	if (msgctl(q_id, IPC_STAT, &qds) < 0)
		t_fail("IPC_STAT Q: %s", strerror(errno));
	qds.msg_qbytes = 4000;
	if (msgctl(q_id, IPC_SET, &qds) < 0)
		t_fail("IPC_SET Q: %s", strerror(errno));
	/* P its last receiver, then its last sender */
	m.type = 9;
	memcpy(m.text, "zero", 4);
	if (msgsnd(q_id, &m, 4, 0) < 0 || msgrcv(q_id, &m, sizeof(m.text), 9, IPC_NOWAIT) != 4)
		t_fail("msgsnd/msgrcv Q: %s", strerror(errno));
	for (size_t i = 0; i < 5; i++) {
		m.type = types[i];
		text_of(i, m.text);
		if (msgsnd(q_id, &m, size_of(i), IPC_NOWAIT) < 0)
			t_fail("msgsnd Q message %zu: %s", i + 1, strerror(errno));
	}
	if (msgctl(f_id, IPC_STAT, &qds) < 0)
		t_fail("IPC_STAT F: %s", strerror(errno));
	qds.msg_qbytes = 16;
	m.type = 4;
	memcpy(m.text, "F is full now 16", 16);
	if (msgctl(f_id, IPC_SET, &qds) < 0 || msgsnd(f_id, &m, 16, IPC_NOWAIT) < 0)
		t_fail("F: qbytes 16, one message of 16 bytes: %s", strerror(errno));
	c = fork();
	if (c < 0)
		t_fail("fork: %s", strerror(errno));
	if (c == 0)
		take_semaphore();
	d = fork();
	if (d < 0)
		t_fail("fork: %s", strerror(errno));
	if (d == 0)
		wait_message();
	e = fork();
	if (e < 0)
		t_fail("fork: %s", strerror(errno));
	if (e == 0)
		send_message();
	if (!wait_for(c_waits, c) || !wait_for(d_waits, d) || !wait_for(e_waits, e))
		t_fail("C, D and E do not all wait (C in semop, D in msgrcv, E in msgsnd)");
	t_ready();
	t_wait_go();

	if (semget(key, 0, 0) != a_id)
		t_fail("A: key %#x is set %d, not %d", (unsigned)key, semget(key, 0, 0), a_id);
	check_set(a_id, key, 3, 0640, 0, 0, 0, 0, a_want, a_mine, "A");
	check_set(b_id, IPC_PRIVATE, 2, 0600, 1234, 5678, 4321, 4322, b_want, b_mine, "B");
	check_queue();
	if (!wait_for(c_waits, c))
		t_fail("C does not wait on A's semaphore 1 again (GETNCNT %d)",
		       semctl(a_id, 1, GETNCNT));
	if (!wait_for(d_waits, d))
		t_fail("D does not wait in msgrcv again");
	if (!wait_for(e_waits, e))
		t_fail("E does not wait in msgsnd again");
	if (msgctl(f_id, IPC_STAT, &qds) < 0 || qds.msg_qbytes != 16 || qds.msg_qnum != 1 ||
	    qds.msg_lspid != main_pid)
		t_fail("F: qbytes %lu, %lu messages, last sender %d; not 16, 1, P (%d)",
		       (unsigned long)qds.msg_qbytes, (unsigned long)qds.msg_qnum, qds.msg_lspid,
		       main_pid);
	/* C and D go on */
	up[0] = (struct sembuf){ .sem_num = 1, .sem_op = 1 };
	if (semop(a_id, up, 1) < 0)
		t_fail("semop A +1: %s", strerror(errno));
	m.type = 42;
	memcpy(m.text, "for D", 5);
	if (msgsnd(q_id, &m, 5, 0) < 0)
		t_fail("msgsnd for D: %s", strerror(errno));
	if (msgrcv(f_id, &m, sizeof(m.text), 0, IPC_NOWAIT) != 16 || m.type != 4 ||
	    memcmp(m.text, "F is full now 16", 16) != 0)
		t_fail("F: its message is not the one sent before");
	for (int i = 0; i < 3; i++) {
		pid_t who = i == 0 ? c : i == 1 ? d : e;

		while (waitpid(who, &status, 0) < 0)
			if (errno != EINTR)
				t_fail("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			t_fail("%c ended with status %#x", "CDE"[i], status);
	}
	if (msgrcv(f_id, &m, sizeof(m.text), 0, IPC_NOWAIT) != 16 || m.type != 6 ||
	    memcmp(m.text, "from E, 16 bytes", 16) != 0)
		t_fail("F: E's message is not there");
	/* what is left in Q, taken off in order */
	for (size_t i = 0; i < 5; i++) {
		char want[128];
		ssize_t n = msgrcv(q_id, &m, sizeof(m.text), 0, IPC_NOWAIT);

		text_of(i, want);
		if (n != (ssize_t)size_of(i) || m.type != types[i] || memcmp(m.text, want, size_of(i)))
			t_fail("Q: message %zu taken off: %zd bytes of type %ld, not %zu of type %ld",
			       i + 1, n, m.type, size_of(i), types[i]);
	}
	if (msgrcv(q_id, &m, sizeof(m.text), 0, IPC_NOWAIT) >= 0 || errno != ENOMSG)
		t_fail("Q has more messages than it was sent");
	t_pass();
}
