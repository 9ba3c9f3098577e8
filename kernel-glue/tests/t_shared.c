/* SPDX-License-Identifier: MIT */
/*
 * Memory shared between processes stays shared, checkpointed with --tree
 * and restored (once, or twice in a row):
 *
 *   P  maps S (anonymous MAP_SHARED, 4 pages), T (anonymous MAP_SHARED,
 *   |  3 pages) and a memfd M (2 pages, its descriptor closed: the mapping
 *   |  alone keeps it), then forks
 *   +- C  unmaps the first page of T (its T starts one page into the object)
 *   +- D  unmaps M and keeps a descriptor of the memfd instead
 *
 * Before the checkpoint C writes page 2 of S, which P never touches. After
 * the restore P writes "go" into S page 0; C answers in S page 1 and in
 * T's last page, D in S page 3 and through its descriptor into M's second
 * page; P checks every answer through its own mappings, then writes M's
 * first page, which D reads back through its descriptor. A process that
 * does not see what it waits for within ten seconds fails. S and T are
 * "/dev/zero (deleted)" with one inode in all three processes.
 *
 * host-test: by scenario_tree.sh
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

#define PG 4096

static char *S, *T, *M;
static int memfd = -1;

static void note_exit(const char *who, const char *fmt, const char *what)
{
	printf("note: %s: ", who);
	printf(fmt, what);
	printf("\n");
	_exit(1);
}

/* Wait up to 10 s for @page to read @want. */
static bool wait_text(const char *page, const char *want)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };

	for (int i = 0; i < 5000; i++) {
		if (strncmp(page, want, 63) == 0)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/* /proc/PID/maps' inode of the mapping of @pid at @addr, if it is
 * "/dev/zero (deleted)"; else 0. */
static unsigned long shmem_inode(pid_t pid, const void *addr)
{
	char line[512], path[64];
	FILE *f;
	unsigned long ino = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long start, end, i;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &start, &end, &i) == 3 &&
		    (unsigned long)addr >= start && (unsigned long)addr < end) {
			ino = strstr(line, "/dev/zero (deleted)") ? i : 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return ino;
}

/* After the restore: answer P, the child's way, and exit 0. */
static void child(const char *who)
{
	char answer[64], got[64] = "";

	signal(SIGUSR1, SIG_IGN);
	/* waiting here through every checkpoint and restore */
	while (!wait_text(S, "go"))
		;
	snprintf(answer, sizeof(answer), "%s answers", who);
	if (strcmp(who, "C") == 0) {
		/* C's T starts one page into the object: its second page is
		 * the object's third, P's T + 2 * PG */
		strcpy(S + PG, answer);
		strcpy(T + PG, answer);
	} else {
		if (pwrite(memfd, answer, strlen(answer) + 1, PG) < 0)
			note_exit(who, "pwrite to the memfd: %s", strerror(errno));
		strcpy(S + 3 * PG, answer);
		if (!wait_text(S + 3 * PG + 512, "P wrote M"))
			note_exit(who, "%s", "P did not say it wrote M");
		if (pread(memfd, got, sizeof(got) - 1, 0) < 0 || strcmp(got, "P's memfd page") != 0)
			note_exit(who, "M's first page read through the descriptor is '%s'", got);
	}
	_exit(0);
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect(const char *page, const char *want, const char *where)
{
	if (!wait_text(page, want))
		t_fail("%s reads '%.63s', not '%s'", where, page, want);
}

int main(int argc, char **argv)
{
	unsigned long ino_s, ino_t;
	int sc, sd;
	pid_t c, d;

	t_init("shared", argc, argv);
	S = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memfd = memfd_create("t_shared", 0);
	if (S == MAP_FAILED || T == MAP_FAILED || memfd < 0 || ftruncate(memfd, 2 * PG) < 0)
		t_fail("setup: %s", strerror(errno));
	M = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (M == MAP_FAILED)
		t_fail("mmap of the memfd: %s", strerror(errno));
	c = fork();
	if (c == 0) {
		close(memfd);
		if (munmap(T, PG) < 0)
			note_exit("C", "munmap: %s", strerror(errno));
		T += PG;
		strcpy(S + 2 * PG, "C before");
		child("C");
	}
	d = fork();
	if (d == 0) {
		munmap(M, 2 * PG);
		child("D");
	}
	close(memfd);
	if (!wait_text(S + 2 * PG, "C before"))
		t_fail("C did not write its page of S before the checkpoint");
	t_ready();
	t_wait_go();
	if (strcmp(S + 2 * PG, "C before") != 0)
		t_fail("S page 2 reads '%.63s', not what C wrote before the checkpoint", S + 2 * PG);
	ino_s = shmem_inode(getpid(), S);
	ino_t = shmem_inode(getpid(), T);
	if (!ino_s || !ino_t || shmem_inode(c, S) != ino_s || shmem_inode(d, S) != ino_s ||
	    shmem_inode(c, T + PG) != ino_t)
		t_fail("S and T are not one /dev/zero (deleted) each in P, C and D (%lu: %lu %lu, "
		       "%lu: %lu)", ino_s, shmem_inode(c, S), shmem_inode(d, S), ino_t,
		       shmem_inode(c, T + PG));
	strcpy(S, "go");
	expect(S + PG, "C answers", "S page 1 (C's answer)");
	expect(T + 2 * PG, "C answers", "T's third page (C's answer through its partial T)");
	expect(S + 3 * PG, "D answers", "S page 3 (D's answer)");
	expect(M + PG, "D answers", "M's second page (D's write through its descriptor)");
	strcpy(M, "P's memfd page");
	strcpy(S + 3 * PG + 512, "P wrote M");
	sc = wait_status(c);
	sd = wait_status(d);
	if (sc != 0 || sd != 0)
		t_fail("exit statuses: C %d, D %d", sc, sd);
	t_pass();
}
