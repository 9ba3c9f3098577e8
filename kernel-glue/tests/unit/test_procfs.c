/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/limits as the kernel writes it (fs/proc/base.c), read by
 * proc_parse_limits(): numbers and "unlimited", each resource's unit;
 * and lines that are not as the kernel writes them refused (-EPROTO).
 * proc_state() and proc_task_state() of processes made here: this one
 * running, a child stopped and then a zombie, its name holding ") " as
 * the state letter follows it, and gone once reaped (-ENOENT).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/procfs.h"

/* Print FAIL and return 1 when @cond does not hold. */
#define UNIT_CHECK(test, cond, ...)                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			printf("FAIL: %s: ", test);                                           \
			printf(__VA_ARGS__);                                                  \
			printf("\n");                                                         \
			return 1;                                                             \
		}                                                                             \
	} while (0)

static const char limits_text[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              unlimited            unlimited            seconds   \n"
	"Max file size             unlimited            unlimited            bytes     \n"
	"Max data size             unlimited            unlimited            bytes     \n"
	"Max stack size            8388608              unlimited            bytes     \n"
	"Max core file size        0                    unlimited            bytes     \n"
	"Max resident set          unlimited            unlimited            bytes     \n"
	"Max processes             96363                96363                processes \n"
	"Max open files            20000                20000                files     \n"
	"Max locked memory         8388608              8388608              bytes     \n"
	"Max address space         unlimited            unlimited            bytes     \n"
	"Max file locks            unlimited            unlimited            locks     \n"
	"Max pending signals       96363                96363                signals   \n"
	"Max msgqueue size         819200               819200               bytes     \n"
	"Max nice priority         0                    0                    \n"
	"Max realtime priority     0                    0                    \n"
	"Max realtime timeout      18446744073709551614 unlimited            us        \n";

/* @text with the first @from replaced by @to, parsed: its result */
static int parse_changed(const char *from, const char *to, struct proc_limit *lim, size_t *n)
{
	char buf[sizeof(limits_text) + 64];
	const char *at = strstr(limits_text, from);

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - limits_text), limits_text, to,
		 at + strlen(from));
	return proc_parse_limits(buf, lim, 32, n);
}

static int test_limits(void)
{
	const char *t = "procfs-limits";
	struct proc_limit lim[32];
	size_t n = 0;
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{ "20000                files", "2000x                files", "a word for a number" },
		{ "20000                files", "20000                bytes", "the wrong unit" },
		{ "0                    0                    \n",
		  "0                    0                    us\n", "a unit where none is" },
		{ "8388608              8388608              bytes",
		  "8388608              bytes", "one number" },
		{ "18446744073709551614", "18446744073709551616", "a number past 64 bits" },
		{ "96363                signals   \n", "96363                signals", "cut short" },
		{ "Limit ", "Limits", "no header" },
	};

	UNIT_CHECK(t, proc_parse_limits(limits_text, lim, 32, &n) == 0 && n == 16,
		   "the kernel's text is not read (%zu lines)", n);
	for (size_t i = 0; i < n; i++)
		UNIT_CHECK(t, lim[i].resource == (int)i, "line %zu '%s' is resource %d", i,
			   lim[i].name, lim[i].resource);
	UNIT_CHECK(t, lim[0].soft == UINT64_MAX && lim[0].hard == UINT64_MAX,
		   "unlimited is not all ones");
	UNIT_CHECK(t, lim[3].soft == 8388608 && lim[3].hard == UINT64_MAX, "stack %llu %llu",
		   (unsigned long long)lim[3].soft, (unsigned long long)lim[3].hard);
	UNIT_CHECK(t, lim[15].soft == UINT64_MAX - 1, "the largest number is read wrong");
	UNIT_CHECK(t, strcmp(lim[7].words, "20000 20000") == 0 &&
		       strcmp(lim[7].name, "Max open files") == 0,
		   "open files: '%s' '%s'", lim[7].name, lim[7].words);
	UNIT_CHECK(t, proc_limit_resource("Max open files") == 7 &&
		       strcmp(proc_limit_name(15), "Max realtime timeout") == 0 &&
		       proc_limit_name(16) == NULL,
		   "names and resources do not match");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UNIT_CHECK(t, parse_changed(bad[i].from, bad[i].to, lim, &n) == -EPROTO,
			   "%s is not refused", bad[i].why);
	/* a resource of a newer kernel: kept, unknown, for the inventory to refuse */
	UNIT_CHECK(t, parse_changed("Max realtime timeout", "Max new thing       ", lim, &n) == 0 &&
		       n == 16 && lim[15].resource == -1 &&
		       strcmp(lim[15].name, "Max new thing") == 0,
		   "an unknown resource is not kept as unknown");
	UNIT_CHECK(t, proc_parse_limits(limits_text, lim, 4, &n) == -E2BIG,
		   "more lines than room is not refused");
	printf("PASS: %s\n", t);
	return 0;
}

/* Wait up to 5 s for @pid to be in state @want; its last state. */
static int state_within(pid_t pid, int want)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int st = proc_state(pid);

	for (int i = 0; i < 5000 && st != want; i++) {
		nanosleep(&ts, NULL);
		st = proc_state(pid);
	}
	return st;
}

static int test_state(void)
{
	const char *t = "procfs-state";
	int go[2], st, status;
	pid_t child;
	char c = 0;

	UNIT_CHECK(t, proc_state(getpid()) == 'R', "this process is in state %d, not R",
		   proc_state(getpid()));
	UNIT_CHECK(t, proc_task_state(getpid(), gettid()) == 'R',
		   "this thread is in state %d, not R", proc_task_state(getpid(), gettid()));
	UNIT_CHECK(t, pipe(go) == 0, "pipe: %s", strerror(errno));
	child = fork();
	UNIT_CHECK(t, child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		prctl(PR_SET_NAME, "a) Z (b) R 1", 0, 0, 0);
		close(go[1]);
		raise(SIGSTOP);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(3);
	}
	close(go[0]);
	st = state_within(child, 'T');
	UNIT_CHECK(t, st == 'T', "the stopped child is in state %d, not T", st);
	st = proc_task_state(child, child);
	UNIT_CHECK(t, st == 'T', "the stopped child's thread is in state %d, not T", st);
	kill(child, SIGCONT);
	close(go[1]);
	st = state_within(child, 'Z');
	UNIT_CHECK(t, st == 'Z', "the exited child is in state %d, not Z", st);
	UNIT_CHECK(t, waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		       WEXITSTATUS(status) == 3, "the child did not exit 3 (%#x)", status);
	st = proc_state(child);
	UNIT_CHECK(t, st == -ENOENT, "the reaped child's state is %d, not -ENOENT", st);
	printf("PASS: %s\n", t);
	return 0;
}

int main(void)
{
	int failed = test_limits();

	return test_state() | failed;
}
