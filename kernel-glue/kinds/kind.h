/* SPDX-License-Identifier: MIT */
/*
 * A kind of kernel object that ferry carries: one struct of operations per
 * kind, in one file per kind (kinds/eventfd.c, kinds/tty.c, ...), every
 * kind listed once in kind_registry[] (kinds/registry.c). A kind fills in
 * only what it needs: a kind of open file has match, dump, its file
 * fields and open; a kind that is not a descriptor (a lock, a timer, a
 * namespace) has process or image fields and the per-process hooks.
 *
 * The life of an object, and the hook that sees each step:
 *
 *   inventory (kernel-glue/inventory, before the freeze)
 *	claims       the values the kernel shows that the kind carries: every
 *	             other value of a source is refused unless at its default
 *   checkpoint (kernel-glue/checkpoint, process frozen)
 *	dump_begin   the selection is frozen and its clocks read, nothing else
 *	             yet: what goes on changing with time (timers) is read here
 *	match        is this open file of mine? (first kind of the registry
 *	             to say yes; a file no kind claims is refused by name)
 *	dump         fill its file record: f->path, f->kind_data (file_size bytes)
 *	dump_process after every fd of a process: what needs them all
 *	dump_check   after every process: what needs them all
 *	dump_end     the checkpoint is over (kept: the processes go away)
 *   metadata (kernel-glue/common/meta.c)
 *	file_fields     f->kind_data in the file node, after the common properties
 *	process_fields  per-process data in the process node
 *	image_fields    per-image data: the kind's own nodes under /
 *	image_check     after reading: what spans nodes
 *   restore (kernel-glue/restore, in this order)
 *	restore_begin   before the restorer opens the first file
 *	open            the restorer's own open of a file record: its fd
 *	restore_opened  every file is open
 *	process_created a process of the image exists (a stub, no children)
 *	settle          once every process has its fds: in a process that
 *	                holds the file (as fd @fd), what only it can do;
 *	                1 done, 0 not in this process, or -errno
 *	restore_finish  after every settle: what needs every process complete
 *	                (a per-process kind walks r->procs and its data here)
 *	threads_made    every thread of a process exists, none has its own
 *	                credentials yet (they still have the restorer's user)
 *	process_ready   a process is complete, its threads made: the last
 *	                calls injected into it through the trampoline
 *	process_sealed  the trampoline is gone: the very last calls, each
 *	                thread's syscall instruction in its vDSO, no data page
 *	                (what would block any later call: a seccomp filter)
 *   verify (restore/verify.c), every process complete, none running yet
 *	verify          the restored fd @fd of a file of the kind, its fdinfo
 *	                in @fdinfo: what the kind carries, compared with @f
 *	verify_process  a per-process kind's data, compared with the process
 *	                (both: 0, or verify_differs(): named, the restore fails)
 *	before_let_go   every process is complete and verified, none runs yet:
 *	                what must wait until the last moment, as it cannot be
 *	                taken back (a connection leaves repair mode: one closed
 *	                in it sends its peer nothing, a failed or killed
 *	                restore's neither FIN nor RST)
 *	restore_failed  the restore failed, its processes are removed: undo
 *	                what would outlive it (a named object the kind made,
 *	                not one that was there), so that the next attempt finds
 *	                what this one found
 *	restore_end     the restore is over, whatever happened: release
 *
 * Where the data lives: a file's part in f->kind_data; a process's in
 * kind_process_data(), the image's in kind_image_data(); what a kind keeps
 * during a checkpoint or a restore in ckpt_kind_state() / rst_kind_state().
 * Every hook returns 0 or -errno (logged) unless it says otherwise.
 */
#ifndef FERRY_GLUE_KIND_H
#define FERRY_GLUE_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../common/meta_fields.h"
#include "../common/state.h"
#include "../inventory/inventory.h"

struct ckpt;
struct rst;
struct rproc;

/* What the checkpoint knows of an open file before a kind takes it. */
struct fd_probe {
	pid_t pid;
	int fd;
	const char *path;   /* /proc/PID/fd/FD: opens the very file */
	const char *link;   /* what that link says: "/etc/x", "pipe:[12]", "anon_inode:[eventfd]" */
	struct stat st;     /* of the file */
	uint32_t flags;     /* open(2) flags of fdinfo, O_CLOEXEC left out */
	const char *fdinfo; /* all of /proc/PID/fdinfo/FD */
	/* a socket: what getsockopt() says of it, and ferry's copy of it */
	int sock_family, sock_type, sock_protocol;
	int sfd;            /* -1 for other files */
};

struct kind {
	const char *name; /* in messages; a kind of file: the type of its records */

	/* inventory (inventory/inventory.h): what the kind carries of what the
	 * kernel shows (its fdinfo keys; for a kind that is no kind of file,
	 * process attributes, locks, timers): claimed here, no longer refused */
	const struct inv_claim *claims;

	/* checkpoint */
	int (*dump_begin)(struct ckpt *c);
	bool (*match)(const struct fd_probe *fd);
	int (*dump)(struct ckpt *c, const struct fd_probe *fd, struct st_file *f);
	int (*dump_process)(struct ckpt *c, pid_t pid, struct st_process *p);
	int (*dump_check)(struct ckpt *c);
	void (*dump_end)(struct ckpt *c, bool kept);

	/* metadata */
	size_t file_size;
	const struct meta_field *file_fields;
	size_t process_size;
	const struct meta_field *process_fields;
	size_t image_size;
	const struct meta_field *image_fields;
	int (*image_check)(struct meta_in *in, struct st_image *img);
	/* kinds that share a type (the families of "socket"): is @f mine? */
	bool (*owns_record)(const struct st_image *img, const struct st_file *f);

	/* restore */
	int (*restore_begin)(struct rst *r);
	int (*open)(struct rst *r, const struct st_file *f);
	int (*restore_opened)(struct rst *r);
	int (*process_created)(struct rst *r, struct rproc *rp);
	int (*settle)(struct rst *r, struct rproc *rp, int fd, const struct st_file *f);
	int (*restore_finish)(struct rst *r);
	int (*threads_made)(struct rst *r, struct rproc *rp);
	int (*process_ready)(struct rst *r, struct rproc *rp);
	int (*process_sealed)(struct rst *r, struct rproc *rp);
	int (*verify)(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
		      const char *fdinfo);
	int (*verify_process)(struct rst *r, struct rproc *rp);
	int (*before_let_go)(struct rst *r);
	void (*restore_failed)(struct rst *r);
	void (*restore_end)(struct rst *r);
};

/* kinds/registry.c: every kind, in the order their matches are tried and
 * their image nodes written. */
extern const struct kind *const kind_registry[];
extern const size_t kind_count;

/* The kind that claims @fd, or NULL. */
const struct kind *kind_of_fd(const struct fd_probe *fd);
/* The first kind whose records have type @type, or NULL. */
const struct kind *kind_by_type(const char *type);
/* Of the kinds that share the type of @f, the one that owns it (its
 * owns_record says so), or NULL. */
const struct kind *kind_of_record(const struct st_image *img, const struct st_file *f);

/* Per-kind data (common/state.c), allocated zeroed on first use; NULL when
 * out of memory. */
void *kind_image_data(struct st_image *img, const struct kind *k);
void *kind_process_data(struct st_process *p, const struct kind *k);
/* Only if there is some: NULL otherwise. */
void *kind_image_data_if(const struct st_image *img, const struct kind *k);
void *kind_process_data_if(const struct st_process *p, const struct kind *k);

#endif
