/* SPDX-License-Identifier: MIT */
/*
 * Every number and name by which ferry recognises an object of its own, in
 * one registry: what a reader compares first to know it holds one of ours.
 * All are ABI (format/SPEC.md): add, never change. A new magic is an ASCII
 * tag of ferry's own, read as a little-endian integer where it is one.
 */
#ifndef FERRY_MAGIC_H
#define FERRY_MAGIC_H

/* the checkpoint image (SPEC.md §2): its first 8 bytes, no terminator */
#define FERRY_IMAGE_MAGIC "FERRYIMG"

/* a chunk descriptor (SPEC.md §4.1): "FCHK" read as a little-endian u32 */
#define FERRY_CHUNK_MAGIC 0x4b484346u

/* the metadata FDT's root `compatible` (SPEC.md §3.1) */
#define FERRY_META_COMPATIBLE "ferry,image-1"

/* the handoff FDT's root `compatible` (SPEC.md §8) */
#define FERRY_HANDOFF_COMPATIBLE "ferry,handoff-1"

/* the marked region's header page (SPEC.md §9.3): "FERRYRGN" as a
 * little-endian u64 */
#define FERRY_REGION_MAGIC 0x4e47525952524546ull

/* the update record in the region's header page (kernel-glue/update):
 * "FERRYUPD" as a little-endian u64 */
#define FERRY_UPDATE_RECORD_MAGIC 0x4450555952524546ull

/* the restores of an update's image noted beside that record
 * (kernel-glue/update/attempts.c): "FERRYTRY" as a little-endian u64 */
#define FERRY_RESTORE_ATTEMPTS_MAGIC 0x5952545952524546ull

/* rtm_protocol / FRA_PROTOCOL of the network lock's policy routing rules
 * (SPEC.md §3.7): how ferry, and a ferry started after one that died,
 * knows its own rules among the others of a network namespace */
#define FERRY_NETLOCK_RTPROT 70

/* ferry's parameters on the kernel command line (read with ferry/cmdline.h;
 * '-' and '_' are one character in them, as for every kernel parameter) */
#define FERRY_PARAM_REGION "ferry.region"   /* SIZE@ADDR of the marked range (SPEC.md §9.1) */
#define FERRY_PARAM_HANDOFF "ferry.handoff" /* physical address of the handoff FDT (SPEC.md §8) */
#define FERRY_PARAM_INIT "ferry.init"       /* the init ferry-init execs (default /sbin/init) */
#define FERRY_PARAM_LOG "ferry.log"         /* where ferry-init logs */
#define FERRY_PARAM_NETWORK_SETUP "ferry.network-setup" /* program run under the network lock */
#define FERRY_PARAM_LAZY "ferry.lazy"       /* 1: a lazy restore (ferry restore --lazy) */
#define FERRY_PARAM_TEST_INIT "ferry.test_init" /* tests: what ferry-init does after restoring */
/* reset|continue: what ferry-init does when a restore fails after a kernel switch */
#define FERRY_PARAM_ON_RESTORE_FAILURE "ferry.on_restore_failure"

#endif
