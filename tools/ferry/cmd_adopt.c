/* SPDX-License-Identifier: MIT */
/*
 * ferry adopt UNIT: on the boot after an update, systemd takes the
 * processes ferry-init restored as unit UNIT's, instead of starting the
 * unit a second time.
 *
 * ferry-init leaves a record of each unit of the image it restored,
 * /run/ferry/adopt/UNIT.adopt (kinds/systemd_unit.c): the main PID and
 * each restored process with its start time. ferry's generator
 * (boot/systemd/ferry-generator) turns each record into a drop-in that
 * makes the unit, for this boot, Type=forking with this command as its
 * only ExecStart= (prefixed "+": the unit's sandboxing does not apply to
 * it) and PIDFile=/run/ferry/adopt/UNIT.pid. So this runs in the unit's
 * own cgroup, as its start: it moves every restored process of the record
 * that is not in that cgroup (or below it) into it, writes the main PID
 * into the PID file and exits 0; systemd then reads the PID file and
 * takes the restored main process as the unit's MainPID. The record is
 * removed first, whatever happens next, so that the next daemon-reload
 * (the generator's ferry-adopted.service runs one) gives the unit its own
 * configuration back and a later restart runs its own ExecStart=.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "ferry-glue/restore.h"
#include "../../kernel-glue/common/cgroupfs.h"
#include "../../kernel-glue/common/log.h"
#include "../../kernel-glue/common/procfs.h"
#include "../../kernel-glue/kinds/systemd_unit.h"

struct adopt_record {
	pid_t main_pid;
	struct adopt_pid {
		pid_t pid;
		unsigned long long start;
	} pids[4096];
	size_t n;
};

/* Read @path (MAINPID=, PID= lines); -EINVAL for anything else, logged. */
static int read_record(const char *path, struct adopt_record *rec)
{
	char *buf, *save;
	int r = proc_read_file(path, &buf, NULL);

	if (r < 0)
		return log_error_errno(r, "cannot read %s: no record of restored processes for "
				       "this unit (ferry-init writes it on the boot after an update)",
				       path);
	rec->main_pid = 0;
	rec->n = 0;
	for (char *l = strtok_r(buf, "\n", &save); l && r == 0; l = strtok_r(NULL, "\n", &save)) {
		int pid;
		unsigned long long start;
		char end;

		if (sscanf(l, "MAINPID=%d%c", &pid, &end) == 1 && pid > 0) {
			rec->main_pid = pid;
		} else if (sscanf(l, "PID=%d %llu%c", &pid, &start, &end) == 2 && pid > 0) {
			if (rec->n == sizeof(rec->pids) / sizeof(rec->pids[0]))
				r = log_error_errno(-E2BIG, "%s: more processes than ferry adopt takes",
						    path);
			else
				rec->pids[rec->n++] = (struct adopt_pid){ pid, start };
		} else {
			r = log_error_errno(-EINVAL, "%s: a line that is not MAINPID= or PID=: %s",
					    path, l);
		}
	}
	free(buf);
	if (r == 0 && !rec->main_pid)
		r = log_error_errno(-EINVAL, "%s: no MAINPID=", path);
	return r;
}

/* The cgroup2 path of process @pid ("self" for 0) into @buf. */
static int cgroup_of(pid_t pid, char *buf, size_t size)
{
	char path[64], *text;
	int r;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	r = proc_read_file(path, &text, NULL);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "0::", 3)) {
			snprintf(buf, size, "%.*s", (int)strcspn(l + 3, "\n"), l + 3);
			r = 0;
			break;
		}
	free(text);
	return r;
}

static bool below(const char *path, const char *top)
{
	size_t n = strlen(top);

	return !strcmp(top, "/") || (!strncmp(path, top, n) && (!path[n] || path[n] == '/'));
}

/* Write @text into @path through a temporary file and a rename, mode 0644. */
static int write_file(const char *path, const char *text)
{
	char tmp[4200];
	int fd, e = 0;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t)len)
		e = errno ? -errno : -EIO;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static int adopt(const char *dir, const char *unit)
{
	static struct adopt_record rec;
	char record[4096], pidfile[4096], own[4096], top[1024], procs[5200], text[32];
	unsigned moved = 0;
	bool main_seen = false;
	int r;

	snprintf(record, sizeof(record), "%s/%s.adopt", dir, unit);
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", dir, unit);
	r = read_record(record, &rec);
	/* once read, the record is gone: a daemon-reload gives the unit its
	 * own configuration back, whatever happens here */
	if (r == 0 && unlink(record) < 0)
		log_warning("cannot remove %s: %s", record, strerror(errno));
	if (r < 0)
		return FERRY_EXIT_FAILURE;
	r = cgroup_of(0, own, sizeof(own));
	if (r < 0) {
		log_error_errno(r, "cannot read ferry's own cgroup2 path (/proc/self/cgroup)");
		return FERRY_EXIT_FAILURE;
	}
	r = cgroupfs_mount("", top, sizeof(top));
	if (r < 0) {
		log_error_errno(r, "the cgroup2 hierarchy is not mounted here");
		return FERRY_EXIT_FAILURE;
	}
	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", top, strcmp(own, "/") ? own : "");
	for (size_t i = 0; i < rec.n; i++) {
		struct adopt_pid *p = &rec.pids[i];
		char theirs[4096];
		uint64_t f[23];
		FILE *out;

		if (proc_stat_fields(p->pid, f, 23) < 0 || f[22] != p->start) {
			log_error("unit %s: restored pid %d is gone (or another process has its "
				  "pid): nothing to adopt", unit, p->pid);
			return FERRY_EXIT_FAILURE;
		}
		main_seen |= p->pid == rec.main_pid;
		if (cgroup_of(p->pid, theirs, sizeof(theirs)) == 0 && below(theirs, own))
			continue;
		out = fopen(procs, "we");
		if (!out || fprintf(out, "%d\n", p->pid) < 0 || fclose(out) != 0) {
			log_error("unit %s: cannot move restored pid %d into the unit's cgroup %s: "
				  "%s", unit, p->pid, own, strerror(errno));
			if (out)
				fclose(out);
			return FERRY_EXIT_FAILURE;
		}
		moved++;
	}
	if (!main_seen) {
		log_error("unit %s: its main PID %d is not one of the restored processes of %s",
			  unit, rec.main_pid, record);
		return FERRY_EXIT_FAILURE;
	}
	snprintf(text, sizeof(text), "%d\n", rec.main_pid);
	r = write_file(pidfile, text);
	if (r < 0) {
		log_error_errno(r, "unit %s: cannot write the PID file %s", unit, pidfile);
		return FERRY_EXIT_FAILURE;
	}
	printf("ferry adopt: unit %s: %zu restored process%s in %s (%u moved there), main PID "
	       "%d\n", unit, rec.n, rec.n == 1 ? "" : "es", own, moved, rec.main_pid);
	return FERRY_EXIT_OK;
}

static int run_adopt(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ 0 },
	};
	const char *dir = FERRY_ADOPT_DIR;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c == '?')
			return FERRY_EXIT_USAGE;
		if (c == 'd')
			dir = optarg;
	}
	r = command_expect_operands(cmd, argc, argv, 1, "UNIT");
	if (r)
		return r;
	if (!systemd_unit_name_valid(argv[optind]))
		return command_usage_error(cmd, "'%s' is not a systemd unit name", argv[optind]);
	return adopt(dir, argv[optind]);
}

const struct command command_adopt = {
	.name = "adopt",
	.summary = "hand a unit's restored processes to systemd (the unit's start, after an update)",
	.usage = "UNIT [--dir DIR]",
	.help = "Run by systemd as the start of unit UNIT on the boot after ferry update --unit:\n"
		"ferry's generator makes it the unit's only ExecStart= (Type=forking) while\n"
		"ferry-init's record of the unit's restored processes, DIR/UNIT.adopt, is there.\n"
		"Moves each restored process into the cgroup it runs in (the unit's), unless it\n"
		"is there or below already, writes the main PID into DIR/UNIT.pid (the unit's\n"
		"PIDFile=) and removes the record, so that systemd takes the restored main\n"
		"process as the unit's and the next daemon-reload gives the unit its own\n"
		"ExecStart= back.\n"
		"\n"
		"  --dir DIR  where the records are (default " FERRY_ADOPT_DIR ")\n"
		"\n"
		"Exit status: 0 adopted; 1 no record, or a restored process is gone or cannot\n"
		"be moved (the unit then fails to start; its record is gone all the same);\n"
		"2 usage.\n",
	.run = run_adopt,
};
