/* SPDX-License-Identifier: MIT */
/* Shared by the files of kernel-glue/restore. */
#ifndef FERRY_GLUE_RESTORE_INTERNAL_H
#define FERRY_GLUE_RESTORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/inject.h"
#include "../common/state.h"
#include "../kinds/kind.h"
#include "ferry-glue/restore.h"
#include "ferry/image.h"

#define PAGE_SIZE_4K 4096ull
#define TRAMPOLINE_PAGES 2 /* code page (syscall; int3), then a data page */

struct glue_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* A thread of a process being rebuilt, other than its leader. */
struct rthread {
	const struct st_thread *t;
	pid_t tid;
	bool created;    /* exists and is traced (reap it on failure) */
	struct inject in;
};

/* One process being rebuilt from a stub. */
struct rproc {
	const struct st_process *p;
	const struct st_mm *mm;
	struct rproc *parent; /* restored parent, or NULL: a child of the restorer */
	struct rthread *threads; /* p->threads[1..], in the same order */
	size_t nthreads;
	pid_t pid;
	bool created;    /* the stub exists (kill it on failure) */
	bool detached;   /* running on its own (killed too on failure) */
	struct inject in;
	int memfd;       /* /proc/PID/mem, read-write */
	uint64_t tramp;  /* trampoline: code page, data page */
	int pidfd;       /* in the target: a pidfd of the restorer, or -1 */
	int fd_base;     /* in the target: first fd above every restored one */
	uint64_t pages;  /* pages written */
	int uffd;        /* the restorer's userfaultfd over its memory, or -1 */
	uint8_t *uffd_areas; /* per area of mm: registered with uffd */
	uint64_t lazy_pages; /* left to the pager of a lazy restore */
	uint64_t verify_ns; /* how long verify.c took over it */
	const void *userns; /* kinds/user_ns.c: the user namespace it joined, or NULL */
};

struct rst {
	const struct ferry_restore_options *opts;
	struct ferry_image image;
	int image_fd;    /* the image file mapped at image.base, or -1: in memory */
	struct st_image img;
	struct rproc *procs;
	size_t nprocs;
	int *files_fd;   /* restorer's fd for each img.files[i], or -1 */
	struct rshm {    /* the shared memory objects of the image (restore_shmem.c) */
		uint32_t id;
		uint64_t size;
		bool noreserve;
		size_t nareas; /* areas of the image that map it, in any process */
		int fd;  /* the restorer's, or -1 */
	} *shm;
	size_t nshm;
	struct st_kind_data kinds; /* what kinds keep during the restore */
	struct lazy *lazy; /* a lazy restore's pages for the pager, or NULL */
};

/* stub.c */
int stub_create(struct rproc *rp);
/* @rp made by @parent's stub, its parent sent @exit_signal when it ends
 * (SIGCHLD; a zombie's may differ) */
int stub_clone(struct rproc *parent, struct rproc *rp, int exit_signal);
/* Kill it, running or not; collect what ferry sees of it as its tracer
 * (its parent reaps it). */
void stub_kill(struct rproc *rp);
/* After a failure: every process the restore made killed, children first,
 * and waited for until its pid is free. */
void restore_remove_all(struct rst *r);

/* restore_tree.c: stubs parents first, sessions, process groups */
int restore_create_tree(struct rst *r);
int restore_groups(struct rst *r);

/* restore_mm.c */
int restore_trampoline(struct rst *r, struct rproc *rp);
int restore_mm(struct rst *r, struct rproc *rp);
int restore_mm_finish(struct rst *r, struct rproc *rp);

/* restore_shmem.c: one object per shared memory object of the image, made
 * before any area is mapped, closed at the end */
int restore_shmem_objects(struct rst *r);
/* The restorer's fd of object @id (an area's), or -errno (logged). */
int restore_shmem_fd(struct rst *r, uint32_t id);
/* How many areas of the image, in any process, map object @id. */
size_t restore_shmem_areas(const struct rst *r, uint32_t id);
void restore_shmem_close(struct rst *r);

/* restore_pages.c */
int restore_verify_image(struct rst *r, struct ferry_diag *diag);
int restore_pages(struct rst *r);

/* restore_uffd.c: the userfaultfd of a lazy restore. attach: a uffd made
 * in the stub, the areas it can serve registered (none when not lazy, or
 * when the kernel refuses: then rp->uffd stays -1); detach: all
 * unregistered, closed. */
int restore_uffd_attach(struct rst *r, struct rproc *rp);
/* The index of the registered area holding [start, end), or -1. */
int restore_uffd_area(const struct rproc *rp, uint64_t start, uint64_t end);
/* Does [start, end) touch a registered area without lying in one? */
bool restore_uffd_spans(const struct rproc *rp, uint64_t start, uint64_t end);
void restore_uffd_detach(struct rproc *rp);
/* Close the restorer's uffd, its areas left registered (the pager's). */
void restore_uffd_release(struct rproc *rp);

/* restore_lazy.c: a lazy restore (opts->lazy) */
int restore_lazy_begin(struct rst *r);
/* The extent @ext of @ch (its first page the @raw_page-th of the chunk) is
 * left to the pager. Thread-safe. */
int restore_lazy_add(struct rst *r, struct rproc *rp, const struct ferry_chunk *ch,
		     const struct ferry_extent *ext, uint32_t raw_page);
/* Start the guard and the pager, which take the uffds. */
int restore_lazy_start(struct rst *r);
/* The restorer is done (the processes run, or were removed). */
void restore_lazy_go(struct rst *r);
pid_t restore_lazy_guard(const struct rst *r);
void restore_lazy_end(struct rst *r);

/* restore_files.c */
int restore_open_files(struct rst *r);
/* The restorer's fd of file record @f (of r->img.files), opened by its kind
 * now if it is not yet: a kind whose file needs others open first (a socket
 * whose queue carries descriptors in flight). Returns it, or -errno. */
int restore_file_fd(struct rst *r, const struct st_file *f);
int restore_fds(struct rst *r, struct rproc *rp);
/* Once every process has its fds: each file's kind settles it in the first
 * process that holds it (where it takes it), then each kind finishes. */
int restore_settle_files(struct rst *r);
void restore_close_files(struct rst *r);

/* restore_process.c */
int restore_process(struct rst *r, struct rproc *rp);
int restore_creds(struct rproc *rp, struct inject *in, const struct st_thread *t);

/* restore_signals.c */
int restore_altstack(struct rproc *rp, struct inject *in, const struct st_thread *t);
int restore_pending(struct rproc *rp);
/* The queued signals no mask holds (SIGSTOP, SIGKILL), sent by the
 * restorer once nothing more is injected. */
int restore_held_signals(struct rproc *rp);

/* restore_threads.c */
int restore_create_threads(struct rst *r, struct rproc *rp);
int restore_thread_state(struct rst *r, struct rproc *rp);
/* The last injected calls (queued signals, the trampoline goes) and the
 * registers: complete, still traced. */
int restore_threads_finish(struct rst *r, struct rproc *rp);
/* Let it run: what was held back of its queued signals, then detach. */
int restore_let_go(struct rst *r, struct rproc *rp);

/* verify.c: every restored process, complete and still traced, against
 * the image; 0 or -EPROTO (each difference named) */
int restore_verify(struct rst *r);
/* A difference of @rp from the image, named; returns -EPROTO. */
int verify_differs(struct rproc *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value of "KEY:" in an fdinfo text, as a number in @base; -1 when absent. */
long long fdinfo_number(const char *fdinfo, const char *key, int base);

/* lend.c: what the kinds use of a process being rebuilt and of the restore */

/* Write @len bytes to the trampoline's data page of @rp (at @off). */
int tramp_data(struct rproc *rp, size_t off, const void *buf, size_t len, uint64_t *ret_addr);
/* Hand the restorer's fd @my_fd into @rp: *ret_fd is its number there. */
int restore_pull_fd(struct rst *r, struct rproc *rp, int my_fd, long *ret_fd);
/* A new open file description, with @flags, of the file @file_id the
 * restorer has open (restore_open_files()). Returns the fd or -errno. */
int restore_reopen(struct rst *r, uint32_t file_id, int flags);
/* A new open file description of the inode of @fd with @flags, through
 * /proc/self/fd. Returns the fd or -errno (not logged). */
int reopen_fd(int fd, int flags);
/* @f opened again by its path with its flags (those that create or
 * truncate left out). Returns the fd or -errno (logged). */
int reopen_path(const struct st_file *f);
/* Give @fd the status flags of @f; on failure close it. Returns @fd or
 * -errno. */
int restore_file_flags(int fd, const struct st_file *f);
/* What kind @k keeps during this restore: @size zeroed bytes on first use,
 * freed after its restore_end; NULL when out of memory. */
void *rst_kind_state(struct rst *r, const struct kind *k, size_t size);

/* kinds/user_ns.c, for a process that joined the image's user namespace
 * (rp->userns): @id (a uid, or a gid) of the image as that namespace sees
 * it; and before its thread @tid is made without set_tid, the PID
 * namespace's last id set to the one before (0 or -errno, logged). */
uint32_t user_ns_id_inside(const struct rproc *rp, bool gid, uint32_t id);
int user_ns_next_tid(const struct rproc *rp, pid_t tid);
/* The signal mask of traced, stopped thread @tid (bit N-1: signal N), read
 * and set through ptrace. 0 or -errno (logged). */
int thread_sigmask(pid_t tid, uint64_t *ret);
int set_thread_sigmask(pid_t tid, uint64_t mask);
/* Every thread of @rp blocks every signal from now on, until
 * restore_threads_finish() gives each its own mask: a kind that arms a
 * timer does so first, since its signal, taken during a call injected
 * after it, would stop the injection. 0 or -errno (logged). */
int block_all_signals(struct rproc *rp);

#endif
