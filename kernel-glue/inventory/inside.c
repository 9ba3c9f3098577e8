/* SPDX-License-Identifier: MIT */
/*
 * Source: what a process can only be asked from inside, run in a frozen
 * thread lent by the checkpoint (checkpoint/borrow.c): the getters of
 * prctl() and arch_prctl() that have a setter ferry does not call, and the
 * three interval timers. They are asked once the selection is frozen, but
 * before anything of it changes: a refusal here thaws everyone as they
 * were. Each getter's value is offered under its name; ferry's own value,
 * asked the same way of ferry itself, is the reference of the getters
 * whose default depends on the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "inventory.h"

#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE 62
#endif
#ifndef PR_GET_MDWE
#define PR_GET_MDWE 66
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif
#define ARCH_GET_CPUID 0x1011
#define ARCH_GET_XCOMP_PERM 0x1022
#define ARCH_SHSTK_STATUS 0x5005

enum how {
	RETURNS,   /* prctl(option) returns the value */
	INT_OUT,   /* prctl(option, &int) */
	ARCH_RET,  /* arch_prctl(option, 0) returns it */
	ARCH_U64,  /* arch_prctl(option, &u64) */
	SCHED_CORE,/* prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, tid, PIDTYPE_PID, &u64) */
	ITIMER,    /* getitimer(option, &itimerval): "0" when disarmed */
};

static const struct getter {
	const char *key;
	enum how how;
	int option;
	bool per_thread;
} getters[] = {
	{ "child_subreaper", INT_OUT, PR_GET_CHILD_SUBREAPER, false },
	{ "dumpable", RETURNS, PR_GET_DUMPABLE, false },
	{ "keepcaps", RETURNS, PR_GET_KEEPCAPS, true },
	{ "securebits", RETURNS, PR_GET_SECUREBITS, true },
	{ "timerslack", RETURNS, PR_GET_TIMERSLACK, true },
	{ "mce_kill", RETURNS, PR_MCE_KILL_GET, true },
	{ "tsc", INT_OUT, PR_GET_TSC, true },
	{ "mdwe", RETURNS, PR_GET_MDWE, false },
	{ "memory_merge", RETURNS, PR_GET_MEMORY_MERGE, false },
	{ "sched_core", SCHED_CORE, PR_SCHED_CORE, true },
	{ "cpuid", ARCH_RET, ARCH_GET_CPUID, true },
	{ "xcomp_perm", ARCH_U64, ARCH_GET_XCOMP_PERM, false },
	{ "shadow_stack", ARCH_U64, ARCH_SHSTK_STATUS, true },
	{ "itimer_real", ITIMER, ITIMER_REAL, false },
	{ "itimer_virtual", ITIMER, ITIMER_VIRTUAL, false },
	{ "itimer_prof", ITIMER, ITIMER_PROF, false },
};

#define NGETTERS (sizeof(getters) / sizeof(getters[0]))

const struct inv_rule inv_inside_rules[] = {
	INV_DEFAULT("child_subreaper", "being a child subreaper (PR_SET_CHILD_SUBREAPER)", "0"),
	INV_DEFAULT("dumpable", "being not dumpable (PR_SET_DUMPABLE)", "1"),
	INV_DEFAULT("keepcaps", "keeping capabilities across a change of uid (PR_SET_KEEPCAPS)",
		    "0"),
	INV_DEFAULT("securebits", "its securebits (PR_SET_SECUREBITS)", "0"),
	INV_FERRYS("timerslack", "its timer slack (PR_SET_TIMERSLACK)"),
	INV_DEFAULT("mce_kill", "its machine-check kill policy (PR_MCE_KILL)", "2"),
	INV_DEFAULT("tsc", "its time stamp counter access (PR_SET_TSC)", "1"),
	INV_DEFAULT("mdwe", "its memory-deny-write-execute policy (PR_SET_MDWE)", "0"),
	INV_DEFAULT("memory_merge", "merging its memory with KSM (PR_SET_MEMORY_MERGE)", "0"),
	INV_DEFAULT("sched_core", "its core scheduling cookie (PR_SCHED_CORE)", "0"),
	INV_FERRYS("cpuid", "its CPUID faulting (ARCH_SET_CPUID)"),
	INV_FERRYS("xcomp_perm", "its permission for extended CPU state (ARCH_REQ_XCOMP_PERM)"),
	INV_DEFAULT("shadow_stack", "its shadow stack (ARCH_SHSTK_ENABLE)", "0"),
	INV_DEFAULT("itimer_real", "an armed interval timer ITIMER_REAL (alarm, setitimer)", "0"),
	INV_DEFAULT("itimer_virtual", "an armed interval timer ITIMER_VIRTUAL", "0"),
	INV_DEFAULT("itimer_prof", "an armed interval timer ITIMER_PROF", "0"),
	INV_RULES_END,
};

/* ferry's own values, asked of ferry itself */
static char own[NGETTERS][48];
static bool own_read;

static int format_itimer(const struct itimerval *t, char *buf, size_t size)
{
	if (!t->it_value.tv_sec && !t->it_value.tv_usec)
		return snprintf(buf, size, "0");
	return snprintf(buf, size, "in %ld.%06lds, every %ld.%06lds", (long)t->it_value.tv_sec,
			(long)t->it_value.tv_usec, (long)t->it_interval.tv_sec,
			(long)t->it_interval.tv_usec);
}

/* The value of @g in ferry itself, or -errno. */
static int ask_self(const struct getter *g, char *buf, size_t size)
{
	unsigned long long u = 0;
	struct itimerval t;
	int i = 0;
	long r = -1;

	switch (g->how) {
	case RETURNS:
		r = prctl(g->option, 0, 0, 0, 0);
		break;
	case INT_OUT:
		r = prctl(g->option, &i, 0, 0, 0);
		if (r == 0)
			r = i;
		break;
	case ARCH_RET:
		r = syscall(SYS_arch_prctl, g->option, 0);
		break;
	case ARCH_U64:
		r = syscall(SYS_arch_prctl, g->option, &u);
		if (r == 0)
			r = u;
		break;
	case SCHED_CORE:
		r = prctl(g->option, 0, 0, 0, &u);
		if (r == 0)
			r = u;
		break;
	case ITIMER:
		if (getitimer(g->option, &t) < 0)
			return -errno;
		format_itimer(&t, buf, size);
		return 0;
	}
	if (r < 0)
		return -errno;
	snprintf(buf, size, "%ld", r);
	return 0;
}

/* The value of @g in the lent thread: 0, 1 when the thread's kernel or
 * CPU has no such getter, or -errno when the thread could not be asked. */
static int ask(struct borrow *b, const struct getter *g, char *buf, size_t size)
{
	unsigned long long u = 0;
	struct itimerval t;
	int i = 0, e;
	long r = -EINVAL;

	switch (g->how) {
	case RETURNS:
		r = BORROW(b, SYS_prctl, g->option, 0, 0, 0, 0);
		break;
	case INT_OUT:
		r = BORROW(b, SYS_prctl, g->option, b->scratch, 0, 0, 0);
		if (r == 0 && (e = borrow_read(b, 0, &i, sizeof(i))) < 0)
			return e;
		if (r == 0)
			r = i;
		break;
	case ARCH_RET:
		r = BORROW(b, SYS_arch_prctl, g->option, 0);
		break;
	case ARCH_U64:
		r = BORROW(b, SYS_arch_prctl, g->option, b->scratch);
		if (r == 0 && (e = borrow_read(b, 0, &u, sizeof(u))) < 0)
			return e;
		if (r == 0)
			r = u;
		break;
	case SCHED_CORE:
		r = BORROW(b, SYS_prctl, g->option, 0, 0, 0, b->scratch);
		if (r == 0 && (e = borrow_read(b, 0, &u, sizeof(u))) < 0)
			return e;
		if (r == 0)
			r = u;
		break;
	case ITIMER:
		r = BORROW(b, SYS_getitimer, g->option, b->scratch);
		if (r < 0)
			return 1;
		e = borrow_read(b, 0, &t, sizeof(t));
		if (e < 0)
			return e;
		format_itimer(&t, buf, size);
		return 0;
	}
	if (r < 0)
		return 1;
	snprintf(buf, size, "%ld", r);
	return 0;
}

const char *inv_inside_ferry_value(const char *key)
{
	if (!own_read) {
		for (size_t i = 0; i < NGETTERS; i++)
			if (ask_self(&getters[i], own[i], sizeof(own[i])) < 0)
				own[i][0] = 0;
		own_read = true;
	}
	for (size_t i = 0; i < NGETTERS; i++)
		if (strcmp(getters[i].key, key) == 0)
			return own[i];
	return "";
}

int inventory_inside(struct borrow *b, pid_t root, pid_t pid, pid_t tid)
{
	struct inv *v = inv_new(root);
	int r = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < NGETTERS; i++) {
		const struct getter *g = &getters[i];
		char value[96];
		struct inv_item it = { .source = INV_INSIDE, .root = root, .pid = pid, .tid = tid,
				       .key = g->key, .value = value };

		if (tid != pid && !g->per_thread)
			continue;
		/* a getter this kernel or this CPU lacks has nothing to carry */
		r = ask(b, g, value, sizeof(value));
		if (r < 0)
			break;
		if (r == 0)
			inv_offer(v, &it);
	}
	if (r < 0) {
		inv_free(v);
		return log_error_errno(r, "pid %d tid %d: cannot ask it about itself", pid, tid);
	}
	r = (int)inv_problems(v);
	inv_free(v);
	return r;
}
