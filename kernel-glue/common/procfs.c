/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

int proc_read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int proc_read_link(const char *path, char **ret)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlink(path, buf, PATH_MAX);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

const char *proc_path_of(pid_t pid, const char *path, char *buf, size_t size)
{
	char theirs[64], mine[64], link[2][64], root[64], top[2];
	ssize_t n[2];

	snprintf(theirs, sizeof(theirs), "/proc/%d/ns/mnt", pid);
	snprintf(mine, sizeof(mine), "/proc/%d/ns/mnt", getpid());
	n[0] = readlink(theirs, link[0], sizeof(link[0]));
	n[1] = readlink(mine, link[1], sizeof(link[1]));
	/* from its own root only: a process chrooted there is another matter */
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (n[0] > 0 && n[1] > 0 && (n[0] != n[1] || memcmp(link[0], link[1], n[0]) != 0) &&
	    readlink(root, top, sizeof(top)) == 1 && top[0] == '/') {
		snprintf(buf, size, "/proc/%d/root%s", pid, path);
		return buf;
	}
	snprintf(buf, size, "%s", path);
	return buf;
}

int proc_status_field(const char *status, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t n = 0;

			while (*v == ' ' || *v == '\t')
				v++;
			while (v[n] && v[n] != '\n')
				n++;
			if (n >= size)
				return -ENOSPC;
			memcpy(buf, v, n);
			buf[n] = 0;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* The fields of the stat file at @path of process @pid, as proc_stat_fields(). */
static int stat_fields_at(const char *path, pid_t pid, uint64_t *fields, int max)
{
	char *buf, *p;
	int r, i;

	r = proc_read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	/* comm may hold spaces and parentheses: fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ') {
		free(buf);
		return -EINVAL;
	}
	memset(fields, 0, sizeof(*fields) * max);
	fields[1] = pid;
	p += 2;
	for (i = 3; i < max && *p; i++) {
		if (i == 3) {
			fields[i] = (unsigned char)*p; /* state letter */
			p++;
		} else {
			fields[i] = strtoull(p, &p, 10);
		}
		while (*p == ' ')
			p++;
	}
	free(buf);
	return 0;
}

int proc_stat_fields(pid_t pid, uint64_t *fields, int max)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return stat_fields_at(path, pid, fields, max);
}

int proc_task_state(pid_t pid, pid_t tid)
{
	uint64_t f[4];
	char path[64];
	int r;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	r = stat_fields_at(path, tid ? tid : pid, f, 4);
	if (r < 0)
		return r;
	return f[3] ? (int)f[3] : -EINVAL;
}

int proc_state(pid_t pid)
{
	return proc_task_state(pid, 0);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int pid_push(pid_t **arr, size_t *n, pid_t v)
{
	pid_t *na = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!na)
		return -ENOMEM;
	na[(*n)++] = v;
	*arr = na;
	return 0;
}

/* The numeric entries of directory @path, sorted ascending, malloc'd. */
static int list_numbered(const char *path, pid_t **ret, size_t *ret_n)
{
	struct dirent *de;
	pid_t *arr = NULL;
	size_t n = 0;
	DIR *d;
	int r = 0;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		r = pid_push(&arr, &n, atoi(de->d_name));
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0) {
		free(arr);
		return r;
	}
	qsort(arr, n, sizeof(*arr), cmp_pid);
	*ret = arr;
	*ret_n = n;
	return 0;
}

int proc_list_tasks(pid_t pid, pid_t **ret, size_t *ret_n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	return list_numbered(path, ret, ret_n);
}

int proc_list_pids(pid_t **ret, size_t *ret_n)
{
	return list_numbered("/proc", ret, ret_n);
}

int proc_list_children(pid_t pid, pid_t **ret, size_t *ret_n)
{
	pid_t *tasks, *arr = NULL;
	size_t ntasks, n = 0;
	int r;

	r = proc_list_tasks(pid, &tasks, &ntasks);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ntasks && r >= 0; i++) {
		char path[96], *buf, *p;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tasks[i]);
		if (proc_read_file(path, &buf, NULL) < 0)
			continue;
		for (p = buf; *p && r >= 0;) {
			long v = strtol(p, &p, 10);

			if (v <= 0)
				break;
			r = pid_push(&arr, &n, v);
		}
		free(buf);
	}
	free(tasks);
	if (r < 0) {
		free(arr);
		return r;
	}
	qsort(arr, n, sizeof(*arr), cmp_pid);
	*ret = arr;
	*ret_n = n;
	return 0;
}

void proc_maps_free(struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].name);
	free(maps);
}

static int parse_map_line(const char *line, struct proc_map *m)
{
	int name_off = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &m->start,
		   &m->end, m->perms, &m->pgoff, &m->dev_major, &m->dev_minor, &m->ino,
		   &name_off) < 7)
		return -EINVAL;
	m->name = strdup(name_off ? line + name_off : "");
	return m->name ? 0 : -ENOMEM;
}

int proc_read_maps(pid_t pid, struct proc_map **ret, size_t *ret_n)
{
	char path[64], *buf, *line, *next;
	struct proc_map *maps = NULL;
	size_t n = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	r = proc_read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, "VmFlags:", 8) == 0 && n > 0) {
			snprintf(maps[n - 1].vmflags, sizeof(maps[n - 1].vmflags), "%s", line + 8);
			continue;
		}
		/* a mapping line starts with a hex address followed by '-' */
		if (!isxdigit((unsigned char)line[0]) || !strchr(line, '-') ||
		    strchr(line, ':') < strchr(line, '-'))
			continue;
		{
			struct proc_map *nm = realloc(maps, (n + 1) * sizeof(*maps));

			if (!nm) {
				r = -ENOMEM;
				break;
			}
			maps = nm;
		}
		r = parse_map_line(line, &maps[n]);
		if (r < 0)
			break;
		n++;
	}
	free(buf);
	if (r < 0) {
		proc_maps_free(maps, n);
		return r;
	}
	*ret = maps;
	*ret_n = n;
	return 0;
}

int proc_vmflag(const char *vmflags, const char *flag)
{
	for (const char *p = vmflags; *p;) {
		while (*p == ' ')
			p++;
		if (p[0] && p[1] && p[0] == flag[0] && p[1] == flag[1] && (p[2] == ' ' || !p[2]))
			return 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

/* /proc/PID/limits, in the order and with the units of the kernel's
 * fs/proc/base.c (each value is the raw rlimit, the unit only a label). */
static const struct {
	const char *name, *unit;
} limit_names[] = {
	{ "Max cpu time", "seconds" },        { "Max file size", "bytes" },
	{ "Max data size", "bytes" },         { "Max stack size", "bytes" },
	{ "Max core file size", "bytes" },    { "Max resident set", "bytes" },
	{ "Max processes", "processes" },     { "Max open files", "files" },
	{ "Max locked memory", "bytes" },     { "Max address space", "bytes" },
	{ "Max file locks", "locks" },        { "Max pending signals", "signals" },
	{ "Max msgqueue size", "bytes" },     { "Max nice priority", NULL },
	{ "Max realtime priority", NULL },    { "Max realtime timeout", "us" },
};

#define NLIMIT_NAMES (int)(sizeof(limit_names) / sizeof(limit_names[0]))

int proc_limit_resource(const char *name)
{
	for (int i = 0; i < NLIMIT_NAMES; i++)
		if (strcmp(limit_names[i].name, name) == 0)
			return i;
	return -1;
}

const char *proc_limit_name(int resource)
{
	return resource >= 0 && resource < NLIMIT_NAMES ? limit_names[resource].name : NULL;
}

/* A soft or hard limit: decimal digits that fit, or "unlimited". */
static bool parse_limit_word(const char *w, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 9 && strncmp(w, "unlimited", 9) == 0) {
		*ret = UINT64_MAX;
		return true;
	}
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)w[i]) || v > (UINT64_MAX - (w[i] - '0')) / 10)
			return false;
		v = v * 10 + (w[i] - '0');
	}
	*ret = v;
	return true;
}

/* "NAME   SOFT   HARD   [UNIT]": the name is every word before the first
 * number or "unlimited" (a name has no digits). */
static int parse_limit_line(const char *line, size_t len, struct proc_limit *l)
{
	const char *w[8], *end = line + len, *p = line;
	size_t wn[8], nw = 0, name_end = 0, first;
	uint64_t dummy;

	while (p < end && nw < 8) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		w[nw] = p;
		while (p < end && *p != ' ')
			p++;
		wn[nw] = p - w[nw];
		nw++;
	}
	if (p < end)
		return -EPROTO;
	for (first = 0; first < nw && !parse_limit_word(w[first], wn[first], &dummy); first++)
		;
	if (first == 0 || first + 2 > nw || first + 3 < nw)
		return -EPROTO;
	name_end = w[first - 1] + wn[first - 1] - line;
	if (name_end >= sizeof(l->name))
		return -EPROTO;
	memcpy(l->name, line, name_end);
	l->name[name_end] = 0;
	if (!parse_limit_word(w[first], wn[first], &l->soft) ||
	    !parse_limit_word(w[first + 1], wn[first + 1], &l->hard))
		return -EPROTO;
	snprintf(l->words, sizeof(l->words), "%.*s %.*s", (int)wn[first], w[first],
		 (int)wn[first + 1], w[first + 1]);
	l->resource = proc_limit_resource(l->name);
	if (l->resource >= 0) {
		const char *unit = limit_names[l->resource].unit;
		bool has_unit = first + 3 == nw;

		if (has_unit != (unit != NULL))
			return -EPROTO;
		if (unit && (strlen(unit) != wn[first + 2] ||
			     strncmp(unit, w[first + 2], wn[first + 2]) != 0))
			return -EPROTO;
	}
	return 0;
}

int proc_parse_limits(const char *text, struct proc_limit *ret, size_t max, size_t *ret_n)
{
	const char *line = text, *nl;
	size_t n = 0;

	if (strncmp(text, "Limit ", 6) != 0)
		return -EPROTO;
	for (nl = strchr(line, '\n'); nl; nl = strchr(line, '\n')) {
		int r;

		if (line != text) {
			if (n == max)
				return -E2BIG;
			memset(&ret[n], 0, sizeof(ret[n]));
			r = parse_limit_line(line, nl - line, &ret[n]);
			if (r < 0)
				return r;
			n++;
		}
		line = nl + 1;
	}
	if (*line)
		return -EPROTO; /* a last line without its newline: cut short */
	*ret_n = n;
	return 0;
}

int proc_read_limits(pid_t pid, struct proc_limit *ret, size_t max, size_t *ret_n)
{
	char path[64], *text;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	r = proc_read_file(path, &text, NULL);
	if (r < 0)
		return r;
	r = proc_parse_limits(text, ret, max, ret_n);
	free(text);
	return r;
}
