/* SPDX-License-Identifier: MIT */
/* Areas with madvise() advice (MADV_DONTFORK, MADV_WIPEONFORK,
 * MADV_DONTDUMP, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_MERGEABLE,
 * MADV_RANDOM, MADV_SEQUENTIAL) and one mapped with MAP_NORESERVE keep
 * them: smaps shows each area's flags as before, a wiped-on-fork area
 * reads as zeros in a child, and their contents are intact.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "tlib.h"

#define LEN (4 * 4096)

static const struct {
	int advice;
	const char *flag; /* in VmFlags */
} advices[] = {
	{ MADV_DONTFORK, "dc" },  { MADV_WIPEONFORK, "wf" }, { MADV_DONTDUMP, "dd" },
	{ MADV_HUGEPAGE, "hg" },  { MADV_NOHUGEPAGE, "nh" }, { MADV_MERGEABLE, "mg" },
	{ MADV_RANDOM, "rr" },    { MADV_SEQUENTIAL, "sr" }, { -1, "nr" }, /* MAP_NORESERVE */
};

#define N (sizeof(advices) / sizeof(advices[0]))

static char *areas[N];
static int given[N];

/* The VmFlags line of the area at @addr. */
static int vmflags_of(const void *addr, char *out, size_t size)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, want, strlen(want)) == 0)
			found = 1;
		else if (found && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(out, size, "%s", line + 8);
			break;
		}
	fclose(f);
	return found ? 0 : -1;
}

static int has_flag(const char *flags, const char *flag)
{
	char want[8];

	snprintf(want, sizeof(want), " %s ", flag);
	return strstr(flags, want) != NULL || (strncmp(flags, want + 1, 3) == 0);
}

int main(int argc, char **argv)
{
	char flags[512], *base;
	pid_t child;
	int status;

	t_init("advice", argc, argv);
	/* the areas inside one reservation, a page apart so that none merges
	 * with another */
	base = mmap(NULL, N * (LEN + 4096), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		t_fail("cannot reserve the areas: %s", strerror(errno));
	for (size_t i = 0; i < N; i++) {
		int extra = advices[i].advice < 0 ? MAP_NORESERVE : 0;

		areas[i] = mmap(base + i * (LEN + 4096), LEN, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra, -1, 0);
		if (areas[i] == MAP_FAILED)
			t_fail("cannot map area %zu: %s", i, strerror(errno));
		memset(areas[i], 'a' + (int)i, LEN);
		/* an advice this kernel lacks (no KSM, no THP) is not tested */
		given[i] = advices[i].advice < 0 ||
			   madvise(areas[i], LEN, advices[i].advice) == 0;
	}
	t_ready();
	t_wait_go();
	for (size_t i = 0; i < N; i++) {
		if (!given[i])
			continue;
		if (vmflags_of(areas[i], flags, sizeof(flags)) < 0)
			t_fail("area %zu at %p is gone", i, (void *)areas[i]);
		if (!has_flag(flags, advices[i].flag))
			t_fail("area %zu lost its %s (VmFlags:%s)", i, advices[i].flag, flags);
		for (size_t k = 0; k < LEN; k++)
			if (areas[i][k] != 'a' + (int)i)
				t_fail("area %zu changed at byte %zu", i, k);
	}
	child = fork();
	if (child == 0)
		_exit(areas[1][0] == 0 ? 0 : 1); /* areas[1]: MADV_WIPEONFORK */
	if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		t_fail("a child does not see the wiped-on-fork area as zeros");
	t_pass();
}
