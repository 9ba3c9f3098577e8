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

/* @path as process @pid sees it, to be looked up from here: @path itself
 * when @pid is in ferry's mount namespace, else /proc/PID/root@path (the
 * process's own namespace, which kinds/mount_ns.c carries) when its root is that namespace's. Into @buf. */
const char *proc_path_of(pid_t pid, const char *path, char *buf, size_t size);

/* The value of "Key:\t..." in /proc/PID/status as a string (first token
 * after the key), copied into @buf. */
int proc_status_field(const char *status, const char *key, char *buf, size_t size);

/* One line of /proc/PID/limits below its header. */
struct proc_limit {
	int resource;        /* RLIMIT_*; -1: a resource this table does not know */
	char name[48];       /* as the kernel names it: "Max open files" */
	uint64_t soft, hard; /* UINT64_MAX: "unlimited" */
	char words[48];      /* soft and hard as the kernel writes them: "1024 4096" */
};

/*
 * Parse the text of /proc/PID/limits into @ret (at most @max lines; the
 * number in *@ret_n). Each line must be as the kernel writes it: a name,
 * two numbers or "unlimited", and the unit of that resource ("bytes",
 * none for the nice and realtime priorities), else -EPROTO; a name this
 * table does not know is kept with resource -1, for the caller to refuse.
 */
int proc_parse_limits(const char *text, struct proc_limit *ret, size_t max, size_t *ret_n);
int proc_read_limits(pid_t pid, struct proc_limit *ret, size_t max, size_t *ret_n);
/* The RLIMIT_* of the name /proc/PID/limits gives it, or -1. */
int proc_limit_resource(const char *name);
/* The name of RLIMIT_* @resource in /proc/PID/limits, or NULL. */
const char *proc_limit_name(int resource);

/* Fields of /proc/PID/stat, numbered as in proc(5) (1 = pid). */
int proc_stat_fields(pid_t pid, uint64_t *fields, int max);

/* The state letter of process @pid (field 3 of /proc/PID/stat: R, S, D,
 * T, t, Z, X...), or -errno (-ENOENT: it is gone). */
int proc_state(pid_t pid);
/* The same of its thread @tid (/proc/PID/task/TID/stat; 0: the process). */
int proc_task_state(pid_t pid, pid_t tid);

/* The TIDs of a process, sorted ascending, malloc'd. */
int proc_list_tasks(pid_t pid, pid_t **ret, size_t *ret_n);

/* The PIDs of every process /proc shows, sorted ascending, malloc'd. */
int proc_list_pids(pid_t **ret, size_t *ret_n);

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
