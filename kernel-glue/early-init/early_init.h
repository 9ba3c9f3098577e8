/* SPDX-License-Identifier: MIT */
/* ferry-init: restore an update's processes, then exec the real init. */
#ifndef FERRY_EARLY_INIT_H
#define FERRY_EARLY_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry-glue/attempts.h" /* enum ferry_attempt_action */
#include "ferry/magic.h" /* FERRY_PARAM_*: the keys of init_cmdline_arg() */

/* mounts.c: /proc, /sys and /dev (devtmpfs) unless already there. */
void init_mount_basics(void);
/* cgroup2 on /sys/fs/cgroup for the restore, where nothing is mounted;
 * detached again after it (a no-op when it was there already). */
void init_mount_cgroup2(void);
void init_unmount_cgroup2(void);
/* --root DIR: bind /dev, /proc, /sys, /run onto DIR's where nothing is
 * mounted there, chroot into DIR. 0 or -errno (logged; the binds undone).
 * init_leave_root(""): detach those binds again, from inside. */
int init_enter_root(const char *dir);
void init_leave_root(const char *prefix);

/* cmdline_arg.c: the value of the last @key= among the kernel's parameters
 * into @buf; false if absent (or too long, which is said on stderr). */
bool init_cmdline_arg(const char *key, char *buf, size_t len);

/*
 * restore_region.c: restore the image the region holds, if any. Returns 0
 * when there was nothing to do or the processes run, -errno on failure
 * (already logged with the reason; the image is kept).
 */
int init_restore_region(void);

/*
 * restore_fallback.c, after a restore of the image with @rec's update ended
 * with @r (0: restored): note the attempt in the region; after a failure
 * decide (ferry.on_restore_failure=, once per image, only on a kernel the
 * update switched to and with the image whole and sealed again) whether to
 * reset into the default kernel. True: reset, with init_reset_machine()
 * once the record is stored, which returns only when reboot(2) failed.
 */
struct ferry_region;
struct ferry_update_record;
bool init_note_restore(struct ferry_region *region, struct ferry_update_record *rec, int r);
/*
 * Before the restore (the image checked): note the attempt as begun in the
 * region, its outcome FERRY_UPDATE_RESTORING until init_note_restore()
 * ends it; also @rec's counts of the restores tried and the resets.
 */
void init_note_begin(struct ferry_region *region, struct ferry_update_record *rec);
/*
 * The image found SEALED or EXPANDED, @rec as the last boot left it: was
 * its last restore cut short before any process was let go (the note's
 * last attempt begun and never ended, or the record still RESTORING)?
 * FERRY_ATTEMPT_NONE (enum ferry_attempt_action): no; FERRY_ATTEMPT_RETRIED:
 * restore it again (logged), once; FERRY_ATTEMPT_NOT_RETRIED: it was
 * retried once already (or the note cannot tell): do not. The attempt cut
 * short is marked with what this boot does.
 */
enum ferry_attempt_action init_note_interrupted(struct ferry_region *region,
						struct ferry_update_record *rec);
void init_reset_machine(struct ferry_region *region);

/*
 * network_setup.c: the program named by --network-setup PATH or
 * ferry.network-setup=PATH, run while the network lock is held and before
 * the restore, to bring up the interfaces, addresses and routes the
 * restored TCP connections use. Its output goes to the console.
 */
void init_set_network_setup(const char *path);
void init_run_network_setup(void *unused);

#endif
