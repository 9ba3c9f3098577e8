/* SPDX-License-Identifier: MIT */
/* Small readers for /proc files. All return 0 or -errno and do not log. */
#ifndef FERRY_GLUE_PROCFS_H
#define FERRY_GLUE_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int proc_read_file(const char *path, char **ret_buf, size_t *ret_len);

/* readlink() into a malloc'd string. */
int proc_read_link(const char *path, char **ret);

/* The value of "Key:\t..." in /proc/PID/status as a string (first token
 * after the key), copied into @buf. */
int proc_status_field(const char *status, const char *key, char *buf, size_t size);

/* Fields of /proc/PID/stat, numbered as in proc(5) (1 = pid). */
int proc_stat_fields(pid_t pid, uint64_t *fields, int max);

/* The TIDs of a process, sorted ascending, malloc'd. */
int proc_list_tasks(pid_t pid, pid_t **ret, size_t *ret_n);

/* The children of every thread of @pid, malloc'd. */
int proc_list_children(pid_t pid, pid_t **ret, size_t *ret_n);

/* One line of /proc/PID/maps. */
struct proc_map {
	uint64_t start, end, pgoff;
	char perms[5];
	unsigned dev_major, dev_minor;
	uint64_t ino;
	char *name; /* path or [special], "" for anonymous; malloc'd */
	char vmflags[128]; /* VmFlags line of smaps, when read from smaps */
};

/* Parse /proc/PID/smaps (with VmFlags) into a malloc'd array. */
int proc_read_maps(pid_t pid, struct proc_map **ret, size_t *ret_n);
void proc_maps_free(struct proc_map *maps, size_t n);

/* true if the two-letter VmFlags code @flag is in @vmflags. */
int proc_vmflag(const char *vmflags, const char *flag);

#endif
