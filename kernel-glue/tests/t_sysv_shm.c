/* SPDX-License-Identifier: MIT */
/*
 * System V shared memory, checkpointed with --tree and restored (once, or
 * twice in a row):
 *
 *   P  makes A (a key of its own, 3 pages and 100 bytes, mode 0640, owner
 *   |  set to 1234:5678 with IPC_SET) and B (IPC_PRIVATE, 2 pages, mode
 *   |  0600, made with the effective ids 4321:4322: its creator and
 *   |  owner), attaches both, marks B removed (IPC_RMID), writes both,
 *   |  then forks
 *   +- C  keeps both attachments and attaches A once more, SHM_RDONLY
 *   +- D  keeps both attachments
 *
 * After the restore P checks that A and B have the same shmid, key, size,
 * mode, owner, creator and removed mark as before, their attach counts
 * (A 4, B 3), that maps shows each attachment as /SYSV<key> (deleted)
 * with the shmid as its inode, read-only where it was, and the bytes
 * written before (A's last byte too). Then P writes "go" into A; C reads
 * it through both of its attachments of A and answers in A and in B, then
 * D in B, which P reads: one segment each, shared again. Each restore
 * finds A (it outlives the processes on this kernel) and makes B again
 * (gone with its last attachment); with T_BETWEEN=sysv_shm_remove A is
 * removed after each kill (a new kernel has none), and made again too.
 * P removes A at its end.
 *
 * host-test: by scenario_tree.sh
 */
#include <stdbool.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "tlib.h"

#define PG 4096
#define A_SIZE (3 * PG + 100)
#define B_SIZE (2 * PG)

static int a_id = -1, b_id = -1;
static key_t a_key;
static char *A, *B, *A_ro;
static pid_t main_pid;

static void remove_a(void)
{
	if (getpid() == main_pid && a_id >= 0)
		shmctl(a_id, IPC_RMID, NULL);
}

static void note_exit(const char *fmt, const char *what)
{
	printf("note: C: ");
	printf(fmt, what);
	printf("\n");
	_exit(1);
}

/* Wait up to 10 s for @at to read @want. */
static bool wait_text(const char *at, const char *want)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };

	for (int i = 0; i < 5000; i++) {
		if (strncmp(at, want, 63) == 0)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/* The maps line of @addr: its inode, permissions and name. */
static bool map_of(const void *addr, unsigned long *ino, char perms[5], char name[256])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		int off = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", &start, &end, perms, ino, &off) >= 4 &&
		    (unsigned long)addr >= start && (unsigned long)addr < end) {
			snprintf(name, 256, "%s", off ? line + off : "");
			name[strcspn(name, "\n")] = 0;
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void check_map(const void *addr, int id, key_t key, bool rdonly, const char *what)
{
	char perms[5] = "", name[256] = "", want[64];
	unsigned long ino = 0;

	snprintf(want, sizeof(want), "/SYSV%08x (deleted)", (unsigned)key);
	if (!map_of(addr, &ino, perms, name))
		t_fail("%s at %p: not mapped", what, addr);
	if (ino != (unsigned long)id || strcmp(name, want) != 0 || perms[3] != 's' ||
	    (perms[1] == 'w') == rdonly)
		t_fail("%s at %p: maps says %s inode %lu %s, not inode %d %s %s", what, addr, perms,
		       ino, name, id, want, rdonly ? "read-only" : "writable");
}

static void check_segment(int id, key_t key, size_t size, unsigned mode, uid_t uid, gid_t gid,
			  uid_t cuid, gid_t cgid, bool removed, unsigned long nattch,
			  const char *what)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds) < 0)
		t_fail("%s: shmid %d: IPC_STAT: %s", what, id, strerror(errno));
	if ((removed ? 0 : ds.shm_perm.__key != key) || ds.shm_segsz != size ||
	    (ds.shm_perm.mode & 0777) != mode || !(ds.shm_perm.mode & SHM_DEST) != !removed ||
	    ds.shm_perm.uid != uid || ds.shm_perm.gid != gid || ds.shm_perm.cuid != cuid ||
	    ds.shm_perm.cgid != cgid || ds.shm_nattch != nattch)
		t_fail("%s: shmid %d: key %#x, %zu bytes, mode %#o, owner %u:%u, creator %u:%u, "
		       "attached %lu times; not key %#x, %zu bytes, mode %#o%s, owner %u:%u, "
		       "creator %u:%u, attached %lu times", what, id, (unsigned)ds.shm_perm.__key,
		       (size_t)ds.shm_segsz, ds.shm_perm.mode, ds.shm_perm.uid, ds.shm_perm.gid,
		       ds.shm_perm.cuid, ds.shm_perm.cgid, (unsigned long)ds.shm_nattch,
		       (unsigned)key, size, mode, removed ? " removed" : "", uid, gid, cuid, cgid,
		       nattch);
}

static void child(void)
{
	signal(SIGUSR1, SIG_IGN);
	A_ro = shmat(a_id, NULL, SHM_RDONLY);
	if (A_ro == (void *)-1)
		note_exit("shmat SHM_RDONLY: %s", strerror(errno));
	strcpy(A + 2 * PG, "C attached");
	/* waiting here through every checkpoint and restore */
	while (!wait_text(A + PG, "go"))
		;
	if (strcmp(A_ro + PG, "go") != 0)
		note_exit("its read-only attachment of A reads '%s', not go", A_ro + PG);
	{
		char perms[5] = "", name[256];
		unsigned long ino = 0;

		if (!map_of(A_ro, &ino, perms, name) || perms[1] != '-' || ino != (unsigned long)a_id)
			note_exit("its read-only attachment of A is '%s' in maps", perms);
	}
	strcpy(B + PG, "C answers in B");
	strcpy(A + PG + 64, "C answers in A");
	_exit(0);
}

/* D keeps what it inherited, and answers in B once C has answered in A */
static void other_child(void)
{
	signal(SIGUSR1, SIG_IGN);
	while (!wait_text(A + PG + 64, "C answers in A"))
		;
	strcpy(B + PG + 64, "D answers in B");
	_exit(0);
}

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	struct timespec now;
	int status;
	pid_t c, d;

	t_init("sysv_shm", argc, argv);
	main_pid = getpid();
	/* a key of its own: one an earlier run left behind is not it */
	clock_gettime(CLOCK_REALTIME, &now);
	for (unsigned i = 0; i < 64 && a_id < 0; i++) {
		a_key = (key_t)(0x46520000u | ((unsigned)(now.tv_nsec / 1000 + i) & 0xffff));
		a_id = shmget(a_key, A_SIZE, IPC_CREAT | IPC_EXCL | 0640);
		if (a_id < 0 && errno != EEXIST)
			break;
	}
	if (a_id < 0)
		t_fail("shmget A (key %#x): %s", (unsigned)a_key, strerror(errno));
	atexit(remove_a);
	if (shmctl(a_id, IPC_STAT, &ds) < 0)
		t_fail("IPC_STAT A: %s", strerror(errno));
	ds.shm_perm.uid = 1234;
	ds.shm_perm.gid = 5678;
	if (shmctl(a_id, IPC_SET, &ds) < 0)
		t_fail("IPC_SET A: %s", strerror(errno));
	/* B's creator is another user: made with that effective uid and gid */
	if (setresgid(-1, 4322, -1) < 0 || setresuid(-1, 4321, -1) < 0)
		t_fail("seteuid 4321: %s", strerror(errno));
	b_id = shmget(IPC_PRIVATE, B_SIZE, IPC_CREAT | 0600);
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		t_fail("back to euid 0: %s", strerror(errno));
	if (b_id < 0)
		t_fail("shmget B: %s", strerror(errno));
	A = shmat(a_id, NULL, 0);
	B = shmat(b_id, NULL, 0);
	if (A == (void *)-1 || B == (void *)-1) {
		shmctl(b_id, IPC_RMID, NULL);
		t_fail("shmat: %s", strerror(errno));
	}
	if (shmctl(b_id, IPC_RMID, NULL) < 0)
		t_fail("IPC_RMID B: %s", strerror(errno));
	strcpy(A, "A before");
	A[A_SIZE - 1] = 0x5a;
	strcpy(B, "B before");
	c = fork();
	if (c < 0)
		t_fail("fork: %s", strerror(errno));
	if (c == 0)
		child();
	if (!wait_text(A + 2 * PG, "C attached"))
		t_fail("C did not attach A a second time");
	d = fork();
	if (d < 0)
		t_fail("fork: %s", strerror(errno));
	if (d == 0)
		other_child();
	t_ready();
	t_wait_go();

	check_segment(a_id, a_key, A_SIZE, 0640, 1234, 5678, 0, 0, false, 4, "A");
	check_segment(b_id, IPC_PRIVATE, B_SIZE, 0600, 4321, 4322, 4321, 4322, true, 3, "B");
	check_map(A, a_id, a_key, false, "P's A");
	check_map(A + 3 * PG, a_id, a_key, false, "P's A, last page");
	check_map(B, b_id, IPC_PRIVATE, false, "P's B");
	if (strcmp(A, "A before") != 0 || A[A_SIZE - 1] != 0x5a || strcmp(B, "B before") != 0)
		t_fail("A reads '%.63s' (last byte %#x), B '%.63s': not what was written before",
		       A, (unsigned char)A[A_SIZE - 1], B);
	strcpy(A + PG, "go");
	if (!wait_text(A + PG + 64, "C answers in A") || !wait_text(B + PG, "C answers in B") ||
	    !wait_text(B + PG + 64, "D answers in B"))
		t_fail("the answers: C's in A '%.63s', in B '%.63s', D's in B '%.63s'", A + PG + 64,
		       B + PG, B + PG + 64);
	for (int i = 0; i < 2; i++) {
		while (waitpid(i ? d : c, &status, 0) < 0)
			if (errno != EINTR)
				t_fail("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			t_fail("%s ended with status %#x", i ? "D" : "C", status);
	}
	t_pass();
}
