/* SPDX-License-Identifier: MIT */
/* Checkpoint of live processes into a ferry image (kernel-glue/checkpoint). */
#ifndef FERRY_GLUE_CHECKPOINT_H
#define FERRY_GLUE_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ferry_sink;

/* Rounds of copies a pre-copy makes at most before the freeze. */
#define FERRY_PRECOPY_MAX_ROUNDS 8

/* Why a pre-copy made no more rounds. */
enum ferry_precopy_end {
	FERRY_PRECOPY_END_ROUNDS = 0,        /* FERRY_PRECOPY_MAX_ROUNDS made */
	FERRY_PRECOPY_END_SMALL = 1,         /* what is left is small (2 MiB or less) */
	FERRY_PRECOPY_END_NOT_SHRINKING = 2, /* another round would copy more than half the last */
	FERRY_PRECOPY_END_STOP_FAILED = 3,   /* the selection could not be stopped to read it */
};

/* "small", "not-shrinking", ... */
const char *ferry_precopy_end_name(enum ferry_precopy_end e);

/* What a checkpoint wrote, for its report. */
struct ferry_checkpoint_stats {
	bool pre_copied;          /* --pre-copy took place (the kernel tracks soft-dirty pages) */
	uint64_t pages_precopied; /* copied while the processes ran, all rounds */
	uint64_t pages_before;    /* of those, in the image: unchanged at the freeze */
	uint64_t pages_frozen;    /* written while the processes were frozen */
	unsigned rounds;          /* rounds of copies before the freeze */
	uint64_t round_pages[FERRY_PRECOPY_MAX_ROUNDS]; /* pages each round copied */
	enum ferry_precopy_end round_end; /* why there were no more */
	/* rounds after the first stop the selection to read and clear the
	 * soft-dirty bits: the longest such stop and their sum */
	uint64_t stop_ns_max, stop_ns_total;
	uint64_t freeze_ns;       /* the freeze until the image was sealed */
};

struct ferry_checkpoint_options {
	pid_t pid;
	bool tree;          /* the process and all its descendants */
	/* the selection is this cgroup's (cgroup2 path), the tree of pid:
	 * once frozen, the tree must still be exactly its processes */
	const char *cgroup;
	/* --unit: the systemd unit whose cgroup that is, and its main PID
	 * (systemctl show -p MainPID), recorded for its adoption on the new
	 * boot (kinds/systemd_unit.c); NULL and 0 otherwise */
	const char *unit;
	pid_t unit_main_pid;
	const char *output; /* image path; NULL: preflight only, write nothing */
	bool kill;          /* kill the processes once the image is sealed */
	/* the image is restored after a kernel switch (ferry update): a file
	 * kept in memory that the next boot does not have is refused */
	bool kernel_switch;
	int level;          /* zlib level, 0 stores pages uncompressed */
	/* copy private anonymous pages before the freeze, then only what
	 * changed since (kernel-glue/checkpoint/precopy.c) */
	bool pre_copy;
	/* where the pages copied before the freeze are kept, in files without
	 * a name: NULL for IMAGE's directory (or /var/tmp when the image goes
	 * to a sink), "" in memory; in memory too where the directory takes
	 * no such file */
	const char *pre_copy_dir;
	struct ferry_checkpoint_stats *stats; /* filled when not NULL */
	/* walk the inventory (kernel-glue/inventory) only: nothing is frozen */
	bool inventory_only;
	/*
	 * Write the image to this sink instead of a file (such as the marked
	 * region's staging area); output, if set, then only names it in
	 * messages. The sink's barrier runs when the image is sealed.
	 */
	const struct ferry_sink *sink;
	/*
	 * Run once the image is sealed, while every process is still frozen
	 * (a kexec happens in here). A negative return fails the checkpoint:
	 * the processes are thawed as they were.
	 */
	int (*commit)(void *arg);
	void *commit_arg;
	/* when not NULL: run with commit_arg just before the freeze begins
	 * (after a pre-copy) */
	void (*freezing)(void *arg);
	/*
	 * Run by the guardian, in its own process, should ferry die before it
	 * lets the processes go (also after commit() sealed the image), first,
	 * before the guardian undoes anything and the processes run on: what
	 * the caller must take back then (ferry update: a sealed image of
	 * processes that go on running is dropped, not restored later).
	 * It sees memory as it was at the fork before the freeze, and what is
	 * shared since (a MAP_SHARED region).
	 */
	void (*abandoned)(void *arg);
	void *abandoned_arg;
};

/*
 * Freeze the selection, capture it, write and seal the image, then let the
 * processes run on (or kill them). On any failure every frozen thread is
 * thawed as it was and no image is left behind; each object that cannot be
 * checkpointed is named on stderr. Returns 0 or -errno.
 */
int ferry_checkpoint(const struct ferry_checkpoint_options *opts);

/*
 * The selection cgroup @path names (of the cgroup2 hierarchy, as
 * /proc/PID/cgroup shows it): the processes of it and of every cgroup
 * below, which must be one process and all its descendants; that process
 * in *root. Otherwise refused, named on stderr: -EOPNOTSUPP (another tree,
 * a descendant outside), -ESRCH (no process), or another -errno.
 */
int ferry_cgroup_root(const char *path, pid_t *root);

#endif
