/* SPDX-License-Identifier: MIT */
/*
 * The inventory: everything a selected process holds, walked from what
 * the kernel exposes, before anything is frozen. Each source is walked in
 * one file of this folder (status.c: /proc/PID/task/TID/status, sched.c:
 * scheduling and I/O priority, proc.c: the settable files of /proc/PID,
 * ns.c: /proc/PID/ns, maps.c: smaps and its VmFlags, fds.c: every fd with
 * its fdinfo and owner, timers.c: /proc/PID/timers and the waiting lock
 * requests of /proc/locks, limits.c: /proc/PID/limits; sysvipc.c: the
 * System V semaphores and message queues a process used last, and its
 * SEM_UNDO list; inside.c: what
 * only the process can be asked, prctl getters and interval timers, at
 * the freeze), and each value found is offered as an item:
 *
 *   - carried, when a claim takes it: a kind's (`claims` of its struct
 *     kind, in kinds/NAME.c) or one of ferry's own (the dump_*.c file that
 *     carries it lists what it carries: dump_process_claims[], ...);
 *   - else accepted when its source's rule says it holds no state (a
 *     counter, a size) or it has the value a process made by the restorer
 *     has anyway (nice 0, no seccomp filter, ferry's own namespaces);
 *   - else refused, named with its process, its object and the reason, and
 *     so is every key no rule knows: what ferry has never seen, it cannot
 *     carry.
 *
 * A kind that comes to carry something claims it in its own file; that
 * removes the refusal, and no table here changes.
 */
#ifndef FERRY_GLUE_INVENTORY_H
#define FERRY_GLUE_INVENTORY_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct fd_probe;

enum inv_source {
	INV_END = 0, /* ends a table of claims */
	INV_STATUS,  /* a field of /proc/PID/task/TID/status; key: its name */
	INV_SCHED,   /* a thread's scheduling (sched_getattr) and I/O priority (ioprio_get);
		      * key: "policy", "nice", "rt_priority", "flags", "util_min",
		      * "util_max", "runtime", "deadline", "period", "ioprio" */
	INV_STATE,   /* a thread's state letter (/proc/PID/task/TID/stat); key "state" */
	INV_PROC,    /* a settable file of /proc/PID; key: its name ("oom_score_adj") */
	INV_NS,      /* an entry of /proc/PID/ns; key: its name, value: its link */
	INV_AREA,    /* a memory area of /proc/PID/smaps; key: a VmFlags mnemonic
		      * ("lo") or the name of another field ("ProtectionKey") */
	INV_FD,      /* an open file: a line of /proc/PID/fdinfo/FD (key: what is
		      * before its ':'), or "owner" and "signal" (F_GETOWN_EX, F_GETSIG) */
	INV_TIMER,   /* a POSIX timer of /proc/PID/timers; key "timer", value its ID */
	INV_LOCK,    /* a lock request of the process waiting in /proc/locks; key "waiting" */
	INV_SYSVIPC, /* a System V semaphore set or message queue it used last, key "sem",
		      * "msg"; a thread's list of SEM_UNDO adjustments, key "sem_undo" */
	INV_INSIDE,  /* asked inside a frozen thread; key: the getter ("child_subreaper",
		      * "itimer_real", ...) */
	INV_LIMIT,   /* a line of /proc/PID/limits; key: its name ("Max open files"),
		      * value: soft and hard ("1024 4096", "unlimited unlimited") */
	INV_NSOURCES
};

/* One value the kernel shows of a process. */
struct inv_item {
	enum inv_source source;
	pid_t root;          /* the first process of the selection */
	pid_t pid, tid;      /* tid: the thread of a per-thread value, else pid */
	const char *key;
	const char *value;   /* as the kernel shows it, trimmed */
	/* a thread's value of a per-thread key: the leader's, else NULL */
	const char *leader_value;
	/* INV_FD: the open file; INV_AREA: the area's line of smaps */
	const struct fd_probe *fd;
	const char *area;
};

/*
 * "This is carried": a key of a source, NULL for every key of it, and
 * which values (NULL: any). A table of claims ends with { INV_END }.
 */
struct inv_claim {
	enum inv_source source;
	const char *key;
	bool (*carries)(const struct inv_item *it);
	/* when carries() says no and nothing else takes the value: why it is
	 * refused ("it watches a descriptor closed since"); NULL: the source's
	 * rule decides */
	const char *refusal;
};

/* A claim of every value of @key, or of those @carries says (else @why). */
#define INV_CLAIM(src, k) { .source = (src), .key = (k) }
#define INV_CLAIM_IF(src, k, fn, why) \
	{ .source = (src), .key = (k), .carries = (fn), .refusal = (why) }
#define INV_CLAIMS_END { .source = INV_END }

/* What ferry's own capture carries (checkpoint/dump_*.c). */
extern const struct inv_claim dump_process_claims[];
extern const struct inv_claim dump_threads_claims[];
extern const struct inv_claim dump_signals_claims[];
extern const struct inv_claim dump_mm_claims[];
extern const struct inv_claim dump_files_claims[];
extern const struct inv_claim dump_time_claims[];

/* A value no claim takes: how the source's rule judges it. */
struct inv_rule {
	const char *key;
	/* what it is, in a refusal ("its nice value"); NULL: it holds no
	 * state of the process (a counter, a size, a duplicate of another
	 * source) and is never refused */
	const char *what;
	/* the only value accepted without a claim, as the kernel writes it;
	 * NULL with .same_as_ferry false and .accept NULL: none */
	const char *dflt;
	/* accepted when it is ferry's own value (the restorer's processes
	 * get it), such as its namespaces */
	bool same_as_ferry;
	/* or accepted when this says so */
	bool (*accept)(const struct inv_item *it);
	/* why it is refused, when "not carried yet" does not say it */
	const char *why;
};

/*
 * Walk every source of the process @root (and, with @tree, its
 * descendants as they are now) and offer each value. Refusals are named
 * on stderr. Returns the number of objects refused, or -errno.
 */
int inventory_check(pid_t root, bool tree);

/*
 * After a restore, before the process @pid runs: walk it as before a
 * checkpoint; a value that no kind carries must be as a new process has it
 * (the rules' defaults), what is carried its claimer compares with the
 * image (restore/verify.c, the kinds' verify hooks). Differences are named.
 * Returns their number, or -errno. @lazy: a lazy restore's, whose pager
 * has the anonymous areas registered with userfaultfd.
 */
int inventory_verify(pid_t root, pid_t pid, bool lazy);

/*
 * The source only a frozen thread can be asked about (inside.c): the
 * prctl and arch_prctl getters and the interval timers, run in the thread
 * lent as @b (checkpoint/dump_threads.c calls it for every thread; the
 * process-wide getters only in its leader). Returns the number refused
 * (named), or -errno.
 */
struct borrow;
int inventory_inside(struct borrow *b, pid_t root, pid_t pid, pid_t tid);

/* Rules: a key with no state; accepted at one value; accepted when it is
 * ferry's own; accepted when @fn says so; refused whatever its value. */
#define INV_NO_STATE(k) { .key = (k) }
#define INV_DEFAULT(k, w, d) { .key = (k), .what = (w), .dflt = (d) }
#define INV_FERRYS(k, w) { .key = (k), .what = (w), .same_as_ferry = true }
#define INV_ACCEPT(k, w, fn) { .key = (k), .what = (w), .accept = (fn) }
#define INV_ACCEPT_WHY(k, w, fn, y) { .key = (k), .what = (w), .accept = (fn), .why = (y) }
#define INV_REFUSED(k, w) { .key = (k), .what = (w) }
#define INV_RULES_END { .key = NULL }

/*
 * `ferry check --inventory`: every source, every key ferry knows of it and
 * what it does with it ("carried by KIND", "refused unless VALUE",
 * "informational"), one line each; then the counts.
 */
void inventory_print(FILE *out);

/* ---- for the sources (inventory.c) ---- */

struct inv;

/* An inventory of its own (inside.c, per thread), its refusals, freed. */
struct inv *inv_new(pid_t root);
unsigned inv_problems(const struct inv *v);
void inv_free(struct inv *v);
const char *inv_inside_ferry_value(const char *key);

/* Offer @it: taken by a claim, accepted by its rule, or refused (named). */
void inv_offer(struct inv *v, const struct inv_item *it);
/* Refuse what no single item names: "cannot checkpoint " and the text. */
void inv_refuse(struct inv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
pid_t inv_root(const struct inv *v);

/* Each source's walker and its rules (the files of this folder). */
int inv_walk_status(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids);
int inv_walk_sched(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids);
int inv_walk_state(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids);
/* A zombie with no thread left (of @ntids): nothing of it but its state. */
bool inv_lone_zombie(pid_t pid, size_t ntids);
int inv_walk_proc(struct inv *v, pid_t pid);
int inv_walk_ns(struct inv *v, pid_t pid);
int inv_walk_maps(struct inv *v, pid_t pid);
int inv_walk_fds(struct inv *v, pid_t pid);
int inv_walk_timers(struct inv *v, pid_t pid);
int inv_walk_locks(struct inv *v, const pid_t *pids, size_t npids);
int inv_walk_sysvipc(struct inv *v, const pid_t *pids, size_t npids);
int inv_walk_limits(struct inv *v, pid_t pid);

extern const struct inv_rule inv_status_rules[], inv_sched_rules[], inv_state_rules[],
	inv_proc_rules[], inv_ns_rules[], inv_area_rules[], inv_fd_rules[], inv_timer_rules[],
	inv_lock_rules[], inv_inside_rules[], inv_limit_rules[],
	inv_sysvipc_rules[];

/* Ferry's own value of @key in @source ("" when it has none): the
 * reference of rules with .same_as_ferry. */
const char *inv_ferry_value(enum inv_source source, const char *key);

#endif
