/* SPDX-License-Identifier: MIT */
/*
 * What the kernel shows of file locks and leases, shared by the lock kinds
 * (locks.c: POSIX, OFD and flock locks; lease.c: leases). Both read the
 * same two sources, printed by one function of the kernel
 * (fs/locks.c, lock_get_status()):
 *
 *   /proc/PID/fdinfo/FD, "lock:" lines: the locks taken through that open
 *	file description that belong to it (OFD, flock, lease) or to the
 *	process (POSIX), the "owner" of each lock;
 *   /proc/locks: every lock of the system, with the requests waiting
 *	behind each ("->" lines), which fdinfo does not show.
 *
 * A kind records the locks fdinfo shows (lock_dump_fds()), then compares
 * them with /proc/locks (lock_dump_check()): any other lock or request
 * there on a file the selection has open or mapped, or held by a process
 * of the selection, is one ferry would not carry, and is refused by name.
 */
#ifndef FERRY_GLUE_LOCKINFO_H
#define FERRY_GLUE_LOCKINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ckpt;
struct kind;
struct st_file;
struct st_process;

/* The two kinds, for ferry inspect: their image_fields hold /locks and
 * /leases. */
extern const struct kind kind_locks, kind_lease;

#define LOCK_EOF UINT64_MAX /* end of a lock that goes to the end of the file */

/* One line: "POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 EOF". */
struct lock_line {
	bool waiter;       /* "->": a request waiting behind the lock above it */
	char class[8];     /* POSIX, OFDLCK, FLOCK, LEASE, DELEG, ACCESS, ... */
	char mode[12];     /* ADVISORY, MANDATORY, MSNFS; a lease: ACTIVE, BREAKING, BREAKER */
	char type[8];      /* READ, WRITE, UNLCK (a lease: the type it is going to) */
	long pid;          /* in the reader's PID namespace; -1 for OFD locks; 0 unknown */
	unsigned dev_major, dev_minor; /* the filesystem of the inode (its s_dev) */
	uint64_t ino;
	uint64_t start, end; /* bytes, both included; end LOCK_EOF: to the end of the file */
	char text[128];    /* the line after its number, for messages */
};

/* One line, "[N: ][-> ]CLASS MODE TYPE PID MAJ:MIN:INO START END", with
 * "lock:" before it in fdinfo; false when it is none. */
bool lock_parse_line(const char *line, struct lock_line *l);
/* Whether @l is a lock of class @class ("POSIX", "LEASE", ...). */
bool lock_is(const struct lock_line *l, const char *class);
/* Whether two lines name the same lock (all but the text). */
bool lock_same(const struct lock_line *a, const struct lock_line *b);
/* "a POSIX write lock on bytes 0-9", "a flock read lock", "a read lease". */
const char *lock_describe(const struct lock_line *l, char *buf, size_t size);

/* The "lock:" lines of /proc/PID/fdinfo/FD into a malloc'd array (NULL,
 * 0 when there are none). Returns 0 or -errno (not logged). */
int lock_fdinfo(pid_t pid, int fd, struct lock_line **ret, size_t *ret_n);
/* The same of /proc/locks. */
int lock_proc_locks(struct lock_line **ret, size_t *ret_n);

/* An open file description of the selection that owns a lock: fd @fd of
 * @pid, file record @f. */
struct lock_holder {
	pid_t pid;
	int fd;
	const struct st_file *f;
	const char *what; /* "its flock lock", "its lease" */
};

/* What a lock kind keeps during a checkpoint. */
struct lock_seen {
	bool (*owns)(const struct lock_line *); /* the lines that are the kind's */
	struct lock_line *lines; /* those it took from fdinfo, each lock once */
	size_t n;
	uint32_t *files;         /* files whose open file description's locks it took */
	size_t nfiles;
	struct lock_holder *holders; /* open file descriptions with a lock */
	size_t nholders;
};

/* What takes one lock line @l of fd @fd (file @f) of @pid into the image,
 * or names why it cannot be; 0 or -errno. */
typedef int lock_take_fn(struct ckpt *c, pid_t pid, int fd, const struct st_file *f,
			 const struct lock_line *l);

/* Hand every line @s->owns claims of the descriptors of @p to @take, each
 * lock once: a POSIX lock once per process and file it was taken through,
 * any other once per file (it belongs to the open file description, which
 * the fdinfo of every descriptor of it shows). Returns 0 or -errno. */
int lock_dump_fds(struct ckpt *c, struct st_process *p, struct lock_seen *s, lock_take_fn *take);

/*
 * Once every process is read: refuse (ckpt_unsupported()) every lock and
 * request of /proc/locks that @s->owns claims and that is not one of
 * @s->lines: one held or awaited by anything outside the selection on a
 * file the selection has open or mapped, or one a process of the
 * selection holds through an open file description none of its
 * descriptors has (kept by a mapping alone). @c's processes are frozen:
 * their own waiting requests are out of the kernel's queues (the system
 * call was interrupted; it is issued again when the thread runs), so
 * every "->" on their files is someone else's. Then refuse every holder of
 * @s whose open file description a process outside the selection has as
 * well (kcmp): that process would keep the lock when the selection goes
 * away. Returns 0 or -errno (logged).
 */
int lock_dump_check(struct ckpt *c, const struct lock_seen *s);
/* Add fd @fd of @pid (file @f), which holds @what, to @s->holders. */
int lock_add_holder(struct ckpt *c, struct lock_seen *s, pid_t pid, uint32_t file_id,
		    const char *what);
void lock_seen_free(struct lock_seen *s);

/* The lowest descriptor of @p on file @file_id, or -1. */
int lock_fd_of(const struct st_process *p, uint32_t file_id);
/* Who takes a lock of an open file description again: the process
 * /proc/locks names (@shown, the one that took it), when it is in the
 * selection and holds @file_id, else @holder. */
pid_t lock_taker(struct ckpt *c, long shown, uint32_t file_id, pid_t holder);

struct rst;
struct rproc;
/* The process of @r rebuilt with the image's pid @pid, or NULL. */
struct rproc *lock_rproc(struct rst *r, pid_t pid);

/* What messages call @f: its path, or its kind when it has none ("pipe"). */
const char *lock_file_name(const struct st_file *f);

/* Whether lock @l, seen on fd @fd (file @f) of @pid, is of a type and on a
 * file ferry carries; if not, name why (ckpt_unsupported()). Locks are
 * carried on the files ferry opens again by path or makes again with their
 * contents (regular files, directories, device nodes, FIFOs, terminals,
 * memfds). On the others a lock would not be the same: anonymous inodes
 * are one inode for all, pipes and sockets are new ones. */
bool lock_carried(struct ckpt *c, pid_t pid, int fd, const struct st_file *f,
		  const struct lock_line *l);

#endif
