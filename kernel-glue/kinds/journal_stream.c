/* SPDX-License-Identifier: MIT */
/*
 * A stdout or stderr stream to journald: what systemd gives a service with
 * StandardOutput=journal (the default), a Unix stream connected to
 * /run/systemd/journal/stdout, shut for reading, that begins with a header
 * (identifier, unit, priority, level prefix, where else to forward). What
 * journald logs of each line names the process by the credentials it took
 * at the connect (SO_PEERCRED: pid, uid, gid): _PID, _UID, _SYSTEMD_UNIT.
 *
 * At checkpoint both come from journald itself. Its end of the stream,
 * taken with pidfd_getfd(), gives the credentials and what journald has not
 * read yet (ferry waits until it has). The header is journald's own record
 * of the stream, /run/systemd/journal/streams/DEV:INO of its end, which it
 * keeps to take the stream back after a restart of its own; a key in it
 * that ferry does not know, or an escaped value, is refused rather than
 * guessed. The process that connected must be in the checkpoint and hold
 * the stream.
 *
 * At restore the restorer makes the socket; the process that connected
 * connects it again from inside (injected, so journald sees its pid), with
 * the recorded effective user and group, before its own credentials are
 * set; the restorer writes the header. Lines written after the restore are
 * logged as before. What is not the same: the stream's _STREAM_ID is new,
 * and a line journald held unfinished (no newline yet) is logged by it when
 * the old stream ends, so that line comes out as two entries.
 *
 * Only on the same kernel: on a new boot, ferry-init restores before
 * journald runs, so a kernel switch refuses the stream by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "journal_stream.h"

#define JOURNAL_STREAMS_DIR "/run/systemd/journal/streams"
/* journald's longest header line (a unit name) */
#define JOURNAL_HEADER_LINE_MAX 255
/* how long journald is given to read what the stream holds */
#define JOURNAL_DRAIN_TRIES 200
#define JOURNAL_DRAIN_STEP_US 10000

bool journal_stream_peer(const struct sockaddr_un *peer, socklen_t len)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
		   len - offsetof(struct sockaddr_un, sun_path) : 0;

	return n && peer->sun_path[0] &&
	       strnlen(peer->sun_path, n) == sizeof(JOURNAL_STDOUT_PATH) - 1 &&
	       memcmp(peer->sun_path, JOURNAL_STDOUT_PATH, sizeof(JOURNAL_STDOUT_PATH) - 1) == 0;
}

/* ---- checkpoint ---- */

/* A copy of journald's end of the stream (its peer, outside the selection),
 * or -errno. */
static int journald_end(struct sock_ctx *x)
{
	pid_t pid;
	int num, pidfd, e;

	pid = sock_holder(x->s->peer_ino, &x->c->fz, &num);
	if (!pid)
		return -ENOENT;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	e = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
	e = e < 0 ? -errno : e;
	close(pidfd);
	return e;
}

static int parse_int(const char *v, long max, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(v, &end, 10);
	return *v && !*end && !errno && *ret >= 0 && *ret <= max ? 0 : -EINVAL;
}

/* A header value as journald recorded it: not escaped, one line. */
static int header_value(const char *v, char **ret)
{
	if (strchr(v, '\\') || strlen(v) > JOURNAL_HEADER_LINE_MAX)
		return -EINVAL;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

enum {
	SEEN_PRIORITY = 1,
	SEEN_LEVEL_PREFIX = 2,
	SEEN_SYSLOG = 4,
	SEEN_KMSG = 8,
	SEEN_CONSOLE = 16,
	SEEN_ALL = 31,
};

/* One KEY=VALUE line of journald's record into @j; the key's SEEN_ bit,
 * or -errno. */
static int state_line(char *line, struct journal_stream *j)
{
	static const struct { const char *key; uint32_t forward; int seen; } flags[] = {
		{ "LEVEL_PREFIX", 0, SEEN_LEVEL_PREFIX },
		{ "FORWARD_TO_SYSLOG", JOURNAL_FORWARD_SYSLOG, SEEN_SYSLOG },
		{ "FORWARD_TO_KMSG", JOURNAL_FORWARD_KMSG, SEEN_KMSG },
		{ "FORWARD_TO_CONSOLE", JOURNAL_FORWARD_CONSOLE, SEEN_CONSOLE },
	};
	char *v = strchr(line, '=');
	long n;

	if (!v)
		return -EINVAL;
	*v++ = 0;
	if (strcmp(line, "PRIORITY") == 0) {
		if (parse_int(v, 999, &n) < 0)
			return -EINVAL;
		j->priority = (uint32_t)n;
		return SEEN_PRIORITY;
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(line, flags[i].key) != 0)
			continue;
		if (parse_int(v, 1, &n) < 0)
			return -EINVAL;
		if (!flags[i].forward)
			j->level_prefix = n;
		else if (n)
			j->forward |= flags[i].forward;
		return flags[i].seen;
	}
	if (strcmp(line, "STREAM_ID") == 0)
		return 0; /* journald gives the new stream its own */
	if (strcmp(line, "IDENTIFIER") == 0 && !j->identifier)
		return header_value(v, &j->identifier);
	if (strcmp(line, "UNIT") == 0 && !j->unit)
		return header_value(v, &j->unit);
	return -EINVAL;
}

/* journald's record of the stream whose end it holds is @st, into @j. */
static int read_state(struct sock_ctx *x, const struct stat *st, struct journal_stream *j)
{
	char path[128], line[512];
	int seen = 0, k = 0;
	FILE *f;

	snprintf(path, sizeof(path), JOURNAL_STREAMS_DIR "/%lu:%lu", (unsigned long)st->st_dev,
		 (unsigned long)st->st_ino);
	f = fopen(path, "re");
	if (!f)
		return sock_unsupported(x, "journald keeps no record of this stream to it (%s: %s), "
					"so its header cannot be written again", path,
					strerror(errno));
	while (k >= 0 && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		if (line[n] != '\n') {
			k = -EINVAL;
			break;
		}
		line[n] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		k = state_line(line, j);
		if (k == -ENOMEM)
			break;
		seen |= k > 0 ? k : 0;
	}
	fclose(f);
	if (k == -ENOMEM)
		return -ENOMEM;
	if (k < 0)
		return sock_unsupported(x, "journald's record of this stream to it (%s) holds "
					"'%.64s', which ferry does not know", path, line);
	if (seen != SEEN_ALL)
		return sock_unsupported(x, "journald's record of this stream to it (%s) lacks a "
					"part of its header", path);
	return 0;
}

int journal_stream_dump(struct sock_ctx *x)
{
	struct journal_stream *j = &x->s->journal;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct stat st;
	int jfd, queued = 0, e = 0;

	if (x->c->opts->kernel_switch)
		return sock_unsupported(x, "its stream to journald (StandardOutput=journal) is "
					"carried on the same kernel only: on the new boot, "
					"ferry-init restores before journald runs");
	jfd = journald_end(x);
	if (jfd < 0)
		return sock_unsupported(x, "its stream to journald: journald's end of it cannot be "
					"read (%s)", strerror(-jfd));
	if (fstat(jfd, &st) < 0 || getsockopt(jfd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		e = log_error_errno(-errno, "pid %d fd %d: %s: cannot read journald's end of it",
				    x->pid, x->fd, x->link);
		goto out;
	}
	/* what was written before the freeze is journald's to log, from this stream */
	for (int i = 0; ioctl(jfd, SIOCINQ, &queued) == 0 && queued > 0; i++) {
		if (i == JOURNAL_DRAIN_TRIES) {
			e = sock_unsupported(x, "journald has not read %d bytes written to it on this "
					     "stream", queued);
			goto out;
		}
		usleep(JOURNAL_DRAIN_STEP_US);
	}
	if (!freeze_has_pid(&x->c->fz, uc.pid) || sock_fd_of(uc.pid, x->ino) < 0) {
		e = sock_unsupported(x, "journald knows this stream as connected by pid %d, which "
				     "is not a process of the checkpoint holding it: its lines "
				     "would name another process", (int)uc.pid);
		goto out;
	}
	j->connector[0] = (uint32_t)uc.pid;
	j->connector[1] = uc.uid;
	j->connector[2] = uc.gid;
	e = read_state(x, &st, j);
	if (e == 0)
		x->s->have_journal = true;
out:
	close(jfd);
	return e;
}

/* ---- the image ---- */

static const struct meta_field journal_fields[] = {
	META_STR(FM_J_IDENTIFIER, struct journal_stream, identifier, 0),
	META_STR(FM_J_UNIT, struct journal_stream, unit, 0),
	META_U32(FM_J_PRIORITY, struct journal_stream, priority, META_REQUIRED),
	META_FLAG(FM_J_LEVEL_PREFIX, struct journal_stream, level_prefix, 0),
	META_U32(FM_J_FORWARD, struct journal_stream, forward, META_OMIT_ZERO),
	META_WORDS(FM_J_CONNECTOR, struct journal_stream, connector, 4, META_REQUIRED),
	{ 0 },
};

const struct meta_node journal_stream_node = {
	.name = FM_S_JOURNAL, .size = sizeof(struct journal_stream), .fields = journal_fields,
};

static bool header_line(const char *v)
{
	if (!v)
		return true;
	if (strlen(v) > JOURNAL_HEADER_LINE_MAX)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == '\\')
			return false;
	return true;
}

/* Does a process of @img with pid @pid hold socket @s? */
static bool held_by(struct st_image *img, uint32_t pid, const struct socket_record *s)
{
	for (size_t i = 0; i < img->nprocs; i++) {
		const struct st_process *p = &img->procs[i];

		if ((uint32_t)p->pid != pid)
			continue;
		for (size_t k = 0; k < p->nfds; k++) {
			const struct st_file *f = st_find_file(img, p->fds[k].file_id);

			if (f && socket_of_file(img, f) == s)
				return true;
		}
	}
	return false;
}

const char *journal_stream_invalid(struct st_image *img, const struct socket_record *s)
{
	const struct journal_stream *j = &s->journal;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = s->unix_peer_name_len;

	if (s->family != AF_UNIX || s->type != SOCK_STREAM || s->state != SOCKET_CONNECTED ||
	    s->peer_id)
		return "it is no Unix stream connected outside the image";
	if (n > sizeof(sun.sun_path))
		return "its peer's name is too long";
	memcpy(sun.sun_path, s->unix_peer_name, n);
	if (!journal_stream_peer(&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)))
		return "its peer is not " JOURNAL_STDOUT_PATH;
	if (!header_line(j->identifier) || !header_line(j->unit))
		return "its identifier or unit is not one line of a header";
	if (j->priority > 999 || j->forward & ~7u)
		return "its priority or forwarding is out of range";
	if (!j->connector[0] || !held_by(img, j->connector[0], s))
		return "the process that connected it is not in the image holding it";
	return NULL;
}

/* ---- restore ---- */

/* Connect @fd of @rp again as the user and group that connected it. */
static int connect_as(struct rproc *rp, int fd, const struct journal_stream *j)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT_PATH };
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	uint64_t addr;
	long res = 0, back = 0;
	int e = tramp_data(rp, 0, &sun, sizeof(sun), &addr);

	if (e < 0)
		return e;
	/* the process still has the restorer's credentials */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (j->connector[2] != eg)
		res = INJECT(&rp->in, SYS_setresgid, -1, j->connector[2], -1);
	if (res == 0 && j->connector[1] != eu)
		res = INJECT(&rp->in, SYS_setresuid, -1, j->connector[1], -1);
	if (res == 0)
		res = INJECT(&rp->in, SYS_connect, fd, addr,
			     offsetof(struct sockaddr_un, sun_path) + sizeof(JOURNAL_STDOUT_PATH));
	/* the user first: it gives back the right to set the group */
	if (j->connector[1] != eu)
		back = INJECT(&rp->in, SYS_setresuid, -1, eu, -1);
	if (back == 0 && j->connector[2] != eg)
		back = INJECT(&rp->in, SYS_setresgid, -1, eg, -1);
	if (res < 0)
		return log_error_errno(res, "pid %d fd %d: cannot connect it again to %s as uid %u "
				       "gid %u", rp->pid, fd, JOURNAL_STDOUT_PATH, j->connector[1],
				       j->connector[2]);
	if (back < 0)
		return log_error_errno(back, "pid %d: cannot take back the restorer's user after "
				       "connecting fd %d to journald", rp->pid, fd);
	return 0;
}

int journal_stream_settle(struct rst *r, struct rproc *rp, int fd, int own,
			  const struct socket_record *s)
{
	const struct journal_stream *j = &s->journal;
	char header[2 * JOURNAL_HEADER_LINE_MAX + 64];
	int n, e;
	ssize_t w;

	(void)r;
	if ((uint32_t)rp->pid != j->connector[0])
		return 0;
	e = connect_as(rp, fd, j);
	if (e < 0)
		return e;
	n = snprintf(header, sizeof(header), "%s\n%s\n%u\n%d\n%d\n%d\n%d\n",
		     j->identifier ? j->identifier : "", j->unit ? j->unit : "", j->priority,
		     j->level_prefix, !!(j->forward & JOURNAL_FORWARD_SYSLOG),
		     !!(j->forward & JOURNAL_FORWARD_KMSG), !!(j->forward & JOURNAL_FORWARD_CONSOLE));
	w = send(own, header, (size_t)n, MSG_NOSIGNAL);
	if (w != n)
		return log_error_errno(w < 0 ? -errno : -EIO, "socket %u: cannot write its header "
				       "to journald again", s->id);
	return 1;
}
