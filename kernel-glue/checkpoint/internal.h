/* SPDX-License-Identifier: MIT */
/* Shared by the files of kernel-glue/checkpoint. */
#ifndef FERRY_GLUE_CHECKPOINT_INTERNAL_H
#define FERRY_GLUE_CHECKPOINT_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../arch/x86_64/arch.h"
#include "../common/inject.h"
#include "../common/state.h"
#include "../kinds/kind.h"
#include "ferry-glue/checkpoint.h"
#include "guardian.h"

struct ferry_writer;

struct frozen_task {
	pid_t tid, tgid;
	bool stopped;
	bool regs_changed;   /* injected into: registers to put back at thaw */
	arch_regs_t regs;    /* at the freeze */
	/* signals ferry took off its queue while it drove the thread (the
	 * hold, a step out of the vDSO), to queue again (borrow_requeue) */
	struct held_signals held;
	int group_stop;      /* the signal of the stop it was in (job control), or 0 */
	bool holds;          /* its process is held in ferry's stop through it (freeze_hold) */
	/* its queued signals (siginfos), read right after the freeze
	 * (dump_pending_all), taken by dump_threads and dump_signals: the
	 * thread's own, and the leader's the process-wide ones */
	uint8_t *sigpending, *sigpending_shared;
	size_t nsigpending, nsigpending_shared;
};

struct freeze {
	pid_t *pids; /* thread group leaders, parents before children */
	size_t npids;
	pid_t *zombies; /* children that exited, not reaped (not seized) */
	size_t nzombies;
	struct frozen_task *tasks;
	size_t ntasks;
};

/* Where an open file description was first seen, to find fds sharing it. */
struct file_origin {
	pid_t pid;
	int fd;
	uint32_t file_id;
};

/* A shared memory object (an anonymous MAP_SHARED mapping's, which fork
 * shares): the areas that map it, in every process, get its id. */
struct shm_object {
	unsigned dev_major, dev_minor;
	uint64_t ino;
	uint32_t id;
	struct shm_range {
		uint64_t start, end; /* bytes of the object whose pages are in the image */
	} *dumped;
	size_t ndumped;
};

struct ckpt {
	const struct ferry_checkpoint_options *opts;
	struct st_image img;
	struct freeze fz;
	struct file_origin *origins;
	size_t norigins;
	void *origin_tree; /* dump_files.c: the origins ordered by kcmp */
	struct shm_object *shm;
	size_t nshm;
	uint64_t cow_pages; /* private pages children share with their parents (dump_cow.c) */
	unsigned problems; /* objects that cannot be checkpointed, already named */
	struct st_kind_data kinds; /* what kinds keep during the checkpoint */
	pid_t syscall_insn_pid;	   /* the process borrow_begin() last found ... */
	uint64_t syscall_insn;	   /* ... its vDSO's system call instruction in */
	struct guardian guardian;  /* undoes what ferry changed should it die */
	struct precopy *precopy;   /* checkpoint --pre-copy (precopy.c), or NULL */
};

/*
 * borrow.c: what the kinds borrow from the frozen processes: a thread lent
 * for system calls about itself, a copy of a descriptor, fields of fdinfo.
 */

/* What fd_probe_read() keeps for the probe it fills. */
struct fd_probe_store {
	char path[64];
	char *link, *fdinfo;
	uint64_t pos;
	uint32_t flags; /* with O_CLOEXEC */
};
/*
 * Probe fd @fd of @pid: its /proc link, stat, fdinfo, flags (a socket's
 * family, type and protocol only through fd_probe_socket()). Returns 0,
 * -ENOENT when it is gone, or -errno (not logged); release it in any case.
 */
int fd_probe_read(struct fd_probe *p, struct fd_probe_store *s, pid_t pid, int fd);
void fd_probe_release(struct fd_probe *p, struct fd_probe_store *s);
/* A duplicate of fd @fd of @pid (pidfd_getfd), or -errno. */
int dump_borrow_fd(pid_t pid, int fd);
/* The value of "KEY:" in @fd's fdinfo; -ENOENT when it has none. */
int fd_probe_field(const struct fd_probe *fd, const char *key, char *buf, size_t size);
/* That value as a number in @base; 0 when absent. */
uint64_t fd_probe_u64(const struct fd_probe *fd, const char *key, int base);
/* A socket's family, type and protocol into @fd, and ferry's copy of it
 * (fd->sfd, closed by the caller). Returns 0 or -errno (logged). */
int fd_probe_socket(struct fd_probe *fd);
/* Whether signal @sig, queued to @p (to its thread @tid when not 0), is
 * taken as soon as the process runs: a thread that may take it does not
 * block it, or was frozen waiting for it in rt_sigtimedwait() (sigwait(),
 * sigwaitinfo(), sigtimedwait()). Needs the threads' masks (dump_threads). */
bool ckpt_signal_taken(struct ckpt *c, const struct st_process *p, int sig, pid_t tid);
/* What kind @k keeps during this checkpoint: @size zeroed bytes on first
 * use, freed after its dump_end; NULL when out of memory. */
void *ckpt_kind_state(struct ckpt *c, const struct kind *k, size_t size);

/* A frozen thread lent for system calls about itself. */
#define BORROW_SCRATCH 256
struct borrow {
	struct frozen_task *ft;
	struct inject in;
	int memfd;
	uint64_t insn;    /* a `syscall` in its vDSO */
	uint64_t scratch; /* BORROW_SCRATCH bytes below its stack's red zone */
	uint8_t saved[BORROW_SCRATCH];
	struct guardian *guardian; /* told of the registers to put back */
	bool active;
};

int ckpt_vdso_syscall(pid_t pid, int memfd, uint64_t *ret);
int borrow_begin(struct ckpt *c, struct frozen_task *ft, struct borrow *b);
/* borrow_begin() on the frozen main thread of process @pid. */
int borrow_leader(struct ckpt *c, pid_t pid, struct borrow *b);
#define BORROW(b, nr, ...) INJECT(&(b)->in, (nr), __VA_ARGS__)
int borrow_read(struct borrow *b, size_t off, void *buf, size_t len);
int borrow_end(struct borrow *b);
/*
 * What waitid(P_PID, @pid, @options | WNOHANG | WNOWAIT | __WALL) tells
 * @ft, a frozen thread of @pid's parent, of its child, leaving it
 * waitable: *ret (si_pid 0 when nothing is to be reported). Returns 0 or
 * -errno (logged; @what says what was asked: "pid P: cannot ask its parent
 * Q WHAT").
 */
int borrow_waitid(struct ckpt *c, struct frozen_task *ft, pid_t pid, int options,
		  const char *what, siginfo_t *ret);
/*
 * The signals @ft holds (ft->held) queued again, in the order taken, each
 * with its siginfo, by the thread itself (borrow_end()); ft->held is then
 * empty. Returns 0 or -errno (logged); on failure before the borrow those
 * not queued stay in ft->held.
 */
int borrow_requeue(struct ckpt *c, struct frozen_task *ft);

/* refuse.c: name an object that cannot be checkpointed, and why. */
void ckpt_unsupported(struct ckpt *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An open file no kind claims: named with what it is. */
void refuse_fd(struct ckpt *c, const struct fd_probe *fd);
/* That refusal's text: "pid P fd N: LINK: why" (the inventory names it too). */
void fd_refusal(const struct fd_probe *fd, char *buf, size_t size);

/*
 * restorer_probe.c: 0 when a child of ferry, which starts as a restored
 * process starts, could give itself what @try_set sets (it returns 0 or
 * -errno, in that child); else that -errno.
 */
int ckpt_restorer_can(int (*try_set)(const void *arg), const void *arg);

/* freeze.c */
int freeze_selection(struct freeze *fz, pid_t root, bool tree);
/* cgroup_selection.c: are the @nfrozen processes of @frozen exactly those
 * of cgroup @path and the cgroups below it? 0, or refused by name. */
int cgroup_selection_check(const char *path, const pid_t *frozen, size_t nfrozen);
struct frozen_task *freeze_find(struct freeze *fz, pid_t tid);
/* Is @pid a process of the selection? */
bool freeze_has_pid(const struct freeze *fz, pid_t pid);
/*
 * Hold every process that was running at the freeze, and whose parent is
 * not of the selection, in a group stop of ferry's, told to the guardian
 * first: should ferry die, its tracing goes and the threads stay stopped
 * (a group stop outlives it) until the guardian has undone what ferry
 * changed. Call before the first change. Signals a thread takes on the
 * way are queued again as they were (borrow_requeue()). freeze_let_go()
 * lets go of the stop (SIGCONT, taken back before any handler sees it).
 * Returns 0 or -errno (logged).
 */
int freeze_hold(struct ckpt *c);
/* Let go of the holds, queue again what the threads took while ferry
 * drove them, then freeze_thaw(). */
void freeze_let_go(struct ckpt *c);
/* Put back the registers changed, detach every thread. */
void freeze_thaw(struct freeze *fz);
/* Kill every process and thread of the selection; returns once each of
 * their ids is free again (a zombie reaped), or after a bound, naming what
 * is left. */
void freeze_kill(struct freeze *fz);
void freeze_free(struct freeze *fz);

/* dump_*.c: fill c->img from the frozen processes */
int dump_process(struct ckpt *c, pid_t pid, struct st_process *p);
int dump_threads(struct ckpt *c, pid_t pid, struct st_process *p);
int dump_signals(struct ckpt *c, pid_t pid, struct st_process *p);
int dump_pending(pid_t tid, bool shared, uint8_t **ret, size_t *ret_n);
/* Every frozen task's queued signals into its frozen_task, before anything
 * runs in a frozen thread: a thread lent for a system call takes a queued
 * signal on its way back to user space (SIGSTOP whatever its mask), and
 * that signal would be missing from the image. */
int dump_pending_all(struct ckpt *c);
int dump_mm(struct ckpt *c, pid_t pid, struct st_mm *mm);
int dump_files(struct ckpt *c, pid_t pid, struct st_process *p);
/* A descriptor in flight that ferry holds as its own fd @fd (peeked from a
 * socket's queue): the file record of its open file description, shared
 * with a process's fd of the same one, else new and dumped by its kind;
 * keep @fd open until the checkpoint ends (its origin). Its id in
 * @ret_file_id. */
int dump_file_held(struct ckpt *c, int fd, uint32_t *ret_file_id);
/* Frees what dump_files() kept to find shared descriptions. */
void dump_files_end(struct ckpt *c);
int dump_check_tree(struct ckpt *c);
/* restorable.c: with --kill, what a restore here needs once they are gone */
int dump_check_restorable(struct ckpt *c);
int dump_pages(struct ckpt *c, pid_t pid, const struct st_mm *mm, struct ferry_writer *w);
int dump_pages_running(struct ckpt *c, pid_t pid, uint32_t mm_id, const struct st_area *areas,
		       size_t nareas, struct ferry_writer *w, uint64_t *ret_pages);

/* dump_cow.c: count (and name) the private pages each child still shares
 * copy-on-write with its parent, which a restore copies */
int dump_count_cow(struct ckpt *c);

/* dump_shmem.c: the shared memory objects of anonymous MAP_SHARED areas */
/* The id of the object at @dev_major:@dev_minor inode @ino (maps' fields of
 * the area), a new one the first time; 0 when out of memory. */
uint32_t shm_object_id(struct ckpt *c, unsigned dev_major, unsigned dev_minor, uint64_t ino);
/* Call @fn for each part of bytes [@start, @end) of object @id whose pages
 * no area seen before took, then count [@start, @end) as taken: each page
 * of an object goes into the image once, whoever maps it. */
int shm_object_fresh(struct ckpt *c, uint32_t id, uint64_t start, uint64_t end,
		     int (*fn)(void *arg, uint64_t start, uint64_t end), void *arg);
void shm_objects_free(struct ckpt *c);

#endif
