/* SPDX-License-Identifier: MIT */
/*
 * The kexec update path (kernel-glue/update) and the record both kernels
 * keep of it in the marked region (kernel-glue/early-init reads and
 * completes it; `ferry status` shows it).
 */
#ifndef FERRY_GLUE_UPDATE_H
#define FERRY_GLUE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ferry/magic.h" /* FERRY_UPDATE_RECORD_MAGIC */

struct ferry_checkpoint_stats;
struct ferry_region;
struct ferry_update_options;
struct ferry_update_record;

/*
 * How the new kernel is reached when it is not kexec: the reboot path
 * (kernel-glue/update/via_reboot.c, through ferry.efi) fills these in.
 *   prepare  preflight, instead of loading the kernel for kexec (region
 *            mapped); 0 or -errno, the reason named on stderr
 *   execute  the point of no return, image sealed, filesystems synced,
 *            every process still frozen; returns only on failure (-errno)
 *   cancel   undo prepare after any failure
 */
struct ferry_update_via {
	const char *name; /* "reboot" */
	int (*prepare)(const struct ferry_update_options *o, const struct ferry_region *region);
	int (*execute)(const struct ferry_update_options *o);
	void (*cancel)(const struct ferry_update_options *o);
};

/* --via reboot: warm reboot through ferry.efi's boot entry (BootNext) */
extern const struct ferry_update_via ferry_update_via_reboot;

struct ferry_update_options {
	const char *kernel; /* bzImage to kexec into */
	const char *initrd; /* or NULL */
	const char *append; /* extra parameters for the new kernel, or NULL */
	pid_t pid;
	bool tree;          /* the process and all its descendants */
	const char *cgroup; /* the selection is this cgroup's (ferry_checkpoint_options) */
	const char *unit;   /* ... of this systemd unit, with this main PID (likewise) */
	pid_t unit_main_pid;
	int level;          /* zlib level of the page chunks (0: stored) */
	/* copy pages while the processes run, in rounds, then at the freeze
	 * only what changed (ferry_checkpoint_options.pre_copy) */
	bool pre_copy;
	bool force;         /* overwrite a sealed image nobody restored */
	unsigned watchdog;  /* seconds: arm /dev/watchdog before the switch (0: no) */
	const struct ferry_update_via *via; /* NULL: kexec */
	FILE *progress;     /* where the step-by-step lines go (stdout when NULL) */
	/*
	 * Out, when not NULL: the record as the update left it once
	 * ferry_update() returns (outcome, reason, stamps). Its kexec stamp is
	 * set when the point of no return was passed
	 * (ferry_update_past_no_return()).
	 */
	struct ferry_update_record *ret_record;
	/* Out, when not NULL: what the checkpoint wrote (pre-copy rounds,
	 * pages before and during the freeze), once its image was sealed. */
	struct ferry_checkpoint_stats *ret_stats;
};

/*
 * Preflight (region present, formatted or formattable, big enough for the
 * selection's resident memory; kernel loaded with kexec_file_load; every
 * process checkpointable), then freeze, stream the image into the region's
 * staging area (WRITING, then SEALED), sync and kexec. Returns only on
 * failure, with every process thawed as it was, the loaded kernel dropped
 * and the region not SEALED. Returns -errno; each failure is named on
 * stderr with what the user can do.
 */
int ferry_update(const struct ferry_update_options *opts);

/* ---- the update record -------------------------------------------------
 *
 * Lives in the region's header page at FERRY_UPDATE_RECORD_OFFSET, after
 * struct ferry_region_header (whose readers ignore the rest of the page).
 * The old kernel writes the timestamps up to `kexec`; ferry-init writes
 * `init`, `resumed`, the outcome and the reason. Little-endian, ABI:
 * fields are only appended, after `crc`, which covers every byte of the
 * record's `size` but its own four; a reader takes the fields it knows of
 * a longer record, and those it knows beyond a shorter one are zero.
 */
#define FERRY_UPDATE_RECORD_OFFSET 0x800u
#define FERRY_UPDATE_RECORD_VERSION 2u
/* version 1: the fields up to `crc` */
#define FERRY_UPDATE_RECORD_V1_SIZE 816u
/* the room it has in the header page, before the restore attempts */
#define FERRY_UPDATE_RECORD_MAX 1024u

enum ferry_update_outcome {
	FERRY_UPDATE_NONE = 0,
	FERRY_UPDATE_WRITING = 1,   /* the old kernel is writing the image */
	FERRY_UPDATE_SEALED = 2,    /* sealed, kexec issued; not seen by ferry-init yet */
	FERRY_UPDATE_RESTORING = 3, /* ferry-init is restoring it; read by a later boot:
				     * the restore was cut short (the image still
				     * SEALED when before the CONSUMED mark) */
	FERRY_UPDATE_RESTORED = 4,  /* the processes run on the new kernel */
	FERRY_UPDATE_FAILED = 5,    /* see reason; the image is kept when it could be */
	FERRY_UPDATE_REFUSED = 6,   /* the preflight said no; nothing frozen (history only) */
};

/* A point in time: CLOCK_REALTIME and the CPU's time stamp counter. */
struct ferry_stamp {
	uint64_t realtime_ns;
	uint64_t tsc; /* 0 where there is none */
};

struct ferry_update_record {
	uint64_t magic;
	uint32_t version;
	uint32_t size;               /* sizeof(struct ferry_update_record) */
	uint64_t generation;         /* region generation of the sealed image */
	struct ferry_stamp start;    /* `ferry update` began (reference for the TSC rate) */
	struct ferry_stamp freeze;   /* freezing began */
	struct ferry_stamp write;    /* first byte of the image written */
	struct ferry_stamp sealed;   /* image sealed */
	struct ferry_stamp kexec;    /* filesystems synced, kexec issued */
	struct ferry_stamp init;     /* ferry-init started on the new kernel */
	struct ferry_stamp resumed;  /* restored processes running */
	uint64_t image_bytes;
	uint64_t resident_bytes;     /* the selection's resident memory at preflight */
	int32_t outcome;             /* enum ferry_update_outcome */
	int32_t error;               /* errno of a failure, positive, or 0 */
	uint32_t pid;                /* root of the selection */
	uint32_t nprocs;             /* processes restored */
	char old_kernel[64];         /* uname -r */
	char new_kernel[64];
	char reason[512];            /* why it failed, or "" */
	uint16_t watchdog_s;         /* the watchdog's timeout armed before the switch, or 0 */
	uint16_t watchdog;           /* FERRY_WATCHDOG_*: what became of it */
	uint32_t crc;                /* CRC-32 (zlib) of the record but these 4 bytes */
	/* version 2: ferry update --pre-copy */
	uint32_t precopy_rounds;        /* rounds of copies before the freeze; 0: none */
	uint32_t precopy_reserved;      /* 0 */
	uint64_t precopy_pages_before;  /* pages of the image copied before the freeze */
	uint64_t precopy_pages_frozen;  /* pages written while the processes were frozen */
	/* the restores ferry-init tried of the image and the resets it did
	 * for it (ferry-glue/attempts.h's note, whose details stay in the
	 * region only): kept in the history with the record */
	uint32_t restore_attempts;
	uint32_t restore_resets;
};

/*
 * ferry update --watchdog (watchdog.c): the hardware watchdog, /dev/watchdog,
 * armed before the kexec or reboot and left running across it (no magic
 * close), so that a new kernel that hangs before ferry-init is reset into
 * the default one, whose ferry-init restores the image still sealed.
 */
enum {
	FERRY_WATCHDOG_ARMED = 1 << 0,   /* ferry update armed it before the switch */
	FERRY_WATCHDOG_FIRED = 1 << 1,   /* the next kernel's driver: it reset the machine */
	FERRY_WATCHDOG_TAKEN = 1 << 2,   /* ferry-init re-armed it for the restore */
	FERRY_WATCHDOG_STOPPED = 1 << 3, /* stopped again (ferry-init, or ferry update when
					  * the switch came back) */
	FERRY_WATCHDOG_ABSENT = 1 << 4,  /* ferry-init found no /dev/watchdog */
	FERRY_WATCHDOG_FAILED = 1 << 5,  /* it could not be opened or stopped (logged) */
};

/* The watchdog device: /dev/watchdog (watchdog0), on both kernels. */
const char *ferry_watchdog_device(void);
/* Preflight, nothing opened: the device is there, a hardware watchdog (not
 * softdog), free, and takes @seconds. 0 or -errno, the reason logged. */
int ferry_watchdog_check(unsigned seconds);
/* Open it (which starts it), set @seconds, ping: the fd, or -errno (logged). */
int ferry_watchdog_arm(unsigned seconds);
/* Magic close: 'V', then close. 0, or -errno when it keeps running. */
int ferry_watchdog_stop(int fd);
/* The driver says the last reset was its doing (sysfs bootstatus). */
bool ferry_watchdog_fired(void);
/* "30 s, armed before the kexec; ..." for ferry status, into @buf. */
const char *ferry_watchdog_describe(const struct ferry_update_record *rec, char *buf, size_t len);

/* Downtime and its phases in milliseconds, -1 where unknown. */
struct ferry_update_phases {
	double freeze_ms;    /* freeze + capture, until the first byte was written */
	double write_ms;     /* writing and sealing the image */
	double kexec_ms;     /* sync and issuing the kexec */
	double switch_ms;    /* kexec issued to ferry-init running on the new kernel */
	double restore_ms;   /* ferry-init start to the processes running */
	double total_ms;     /* freeze began to processes running */
	bool switch_by_tsc;  /* kernel switch measured with the TSC (else the realtime clock) */
};

void ferry_stamp_now(struct ferry_stamp *ret);

/*
 * The realtime clock the TSC says it is at @now (on the new kernel), from
 * the record's kexec stamp and the TSC rate of the old kernel; 0 when the
 * TSC cannot tell (no TSC, reset, implausible).
 */
uint64_t ferry_update_realtime_at(const struct ferry_update_record *rec,
				  const struct ferry_stamp *now);

/* Read the record of a mapped region: 0, -ENODATA (none) or -EBADMSG. */
int ferry_update_record_load(const struct ferry_region *r, struct ferry_update_record *ret);
/* Set magic, version, size and CRC. */
void ferry_update_record_seal(struct ferry_update_record *rec);
/* Write it (sealed, caches flushed). */
void ferry_update_record_store(struct ferry_region *r, struct ferry_update_record *rec);
void ferry_update_phases(const struct ferry_update_record *rec, struct ferry_update_phases *ret);
const char *ferry_update_outcome_name(int32_t outcome);

/* The record at @raw, @avail bytes readable there, of any version (magic,
 * size, CRC checked), into @ret with its strings ended, the fields it does
 * not have zero; its size in *@ret_size, also when only its CRC is wrong
 * (0 when its header is not whole). 0, -ENODATA (no record) or -EBADMSG. */
int ferry_update_record_read(const void *raw, size_t avail, struct ferry_update_record *ret,
			     size_t *ret_size);

/* The kernel switch was issued: the update went past its point of no return. */
bool ferry_update_past_no_return(const struct ferry_update_record *rec);

/* Print the record: outcome, kernels, image, the phases of the downtime. */
void ferry_update_report(FILE *out, const struct ferry_update_record *rec);

/*
 * `ferry status`: map the region named on the command line, print its
 * state and the report of the last update. Returns 0 or -errno.
 */
int ferry_update_status(FILE *out);

/* ---- the history of updates (history.c) ----------------------------------
 *
 * The records of the last FERRY_HISTORY_MAX updates, oldest first, in a
 * file on the root file system: $FERRY_STATE_DIR/history, by default
 * /var/lib/ferry/history. The region keeps only the last record and is
 * gone after a cold boot; ferry-init runs before the root file system is
 * writable. So `ferry update` files the previous update's record, which
 * ferry-init completed in the region, when it begins, its own at the point
 * of no return (made durable by the sync there) and again when it
 * returns; `ferry status --history` adds the region's record in memory.
 * The file is the records one after another, each with its CRC, replaced
 * as a whole (temporary file, fsync, rename).
 */
#define FERRY_HISTORY_MAX 16

/* The file's path into @buf. */
const char *ferry_history_path(char *buf, size_t len);

/*
 * Read the history into @recs (room for FERRY_HISTORY_MAX), oldest first.
 * No file: 0 records. A record that fails its check is skipped and
 * counted in *ret_damaged. Returns 0 or -errno (logged).
 */
int ferry_history_load(struct ferry_update_record *recs, size_t *ret_n, size_t *ret_damaged);

/* @rec into @recs: it replaces the entry of the same update (the same
 * start stamp), else it is appended and the oldest dropped beyond the
 * maximum. */
void ferry_history_merge(struct ferry_update_record *recs, size_t *n,
			 const struct ferry_update_record *rec);

/* Load, merge @rec and write the file again. Returns 0 or -errno (logged). */
int ferry_history_add(const struct ferry_update_record *rec, bool durable);

#endif
