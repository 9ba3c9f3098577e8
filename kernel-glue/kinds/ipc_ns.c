/* SPDX-License-Identifier: MIT */
/*
 * The IPC namespace of the selection, when it is not ferry's (systemd's
 * PrivateIPC= gives a service its own): its System V shared memory
 * segments and its IPC sysctls. Every process of the selection must be in
 * the same one, the first process's (inventory/ns.c's "ipc", claimed
 * here); a process in another one, ferry's included, is refused by name
 * before the freeze.
 *
 * Checkpoint: the namespace is read from inside, by a child of ferry that
 * joined it (setns CLONE_NEWIPC): /proc/sysvipc/shm, the
 * sysctls of ipc_sysctls[] (/proc/sys/kernel/NAME) and the names of its
 * POSIX message queues (its mqueue filesystem, mounted in a mount
 * namespace of the child's own). The segments the selection has attached
 * are carried by kinds/sysv_shm.c, which reads them inside the namespace,
 * and every semaphore set and message queue of it by kinds/sysv_ipc.c;
 * refused by name, since the restore would lose them: a segment no process
 * of the selection has attached and a POSIX message queue of the
 * namespace (a queue the selection holds open and has unlinked is not seen
 * there, and is carried by kinds/mqueue.c).
 * A selection in ferry's own namespace records nothing, and is restored
 * in the restorer's, as before.
 *
 * Restore: before anything is made (restore_begin, first of the kinds
 * that make IPC objects), the restorer keeps its own namespace
 * (/proc/self/ns/ipc), makes a new one (unshare CLONE_NEWIPC) and writes
 * the sysctls there (shm_rmid_forced once the processes have attached
 * their segments: restore_finish), so that the segments, queues and processes it makes
 * are made inside. It goes back to its own when the restore ends
 * (restore_end), after the segments were marked removed and the processes
 * verified, and after a failed restore removed what it made (inside).
 * Verified before they run: each process is in one namespace that is not
 * the restorer's, whose sysctls are the image's.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/child_step.h"
#include "../common/log.h"
#include "../common/ns_step.h"
#include "../common/ns_sysctls.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define LISTING_MAX (1u << 20)

/* The IPC sysctls of a namespace, in this order in the image. */
static const char *const ipc_sysctls[] = {
	"shmmax", "shmall", "shmmni", "shm_rmid_forced", "msgmax",
	"msgmnb", "msgmni", "auto_msgmni", "sem",
};
#define NSYSCTLS (sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]))
static const struct ns_sysctls ipc_ns_sysctls = {
	.dir = "kernel",
	.ns = "IPC",
	.bad_line = "a line is not NAME=VALUE of an IPC sysctl",
	.names = ipc_sysctls,
	.n = NSYSCTLS,
};

struct ipc_ns_rec {
	char *sysctls; /* "NAME=VALUE\n" each, NAME of ipc_sysctls[] */
};

struct ipc_image {
	struct ipc_ns_rec *ns; /* none: ferry's own; else one */
	size_t n;
};

static const struct meta_field ipc_fields[] = {
	META_STR(FM_IPC_SYSCTLS, struct ipc_ns_rec, sysctls, META_REQUIRED),
	{ 0 },
};

static const struct meta_node ipc_node = {
	.name = FM_IPC_NS, .size = sizeof(struct ipc_ns_rec), .fields = ipc_fields,
};

static const struct meta_field ipc_image_fields[] = {
	META_NODES(NULL, struct ipc_image, ns, n, &ipc_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_ipc_ns;

/* ---- inventory ---- */

static bool roots_ipc(const struct inv_item *it)
{
	char path[64], *ns;
	bool same;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", it->root);
	if (proc_read_link(path, &ns) < 0)
		return false;
	same = strcmp(ns, it->value) == 0;
	free(ns);
	return same;
}

static const struct inv_claim ipc_claims[] = {
	INV_CLAIM_IF(INV_NS, "ipc", roots_ipc,
		     "an IPC namespace other than the first process's is not carried (one IPC "
		     "namespace per checkpoint: every process of it must share the first one's)"),
	INV_CLAIMS_END,
};

/* ---- reading a namespace from inside ---- */

static int ns_ino(pid_t pid, ino_t *ret)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/ipc");
	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

static void put(FILE *out, const char *kind, const char *path)
{
	char *text = NULL;

	if (proc_read_file(path, &text, NULL) < 0)
		return;
	fprintf(out, "%s ", kind);
	for (char *p = text; *p; p++)
		fputc(*p == '\n' ? ' ' : *p, out);
	fputc('\n', out);
	free(text);
}

/* The table /proc/sysvipc/@name, each line after the header as
 * "@kind ID KEY". */
static void put_table(FILE *out, const char *kind, const char *name)
{
	char path[64], *text = NULL, *line;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", name);
	if (proc_read_file(path, &text, NULL) < 0)
		return;
	line = strchr(text, '\n');
	while (line && *++line) {
		long key, id;
		char *next = strchr(line, '\n');

		if (sscanf(line, "%ld %ld", &key, &id) == 2)
			fprintf(out, "%s %ld %#lx\n", kind, id, (unsigned long)key);
		line = next;
	}
	free(text);
}

/* In the child, inside the namespace: every line of the listing. */
static void list_inside(FILE *out)
{
	char path[96], dir[] = "/tmp";
	DIR *d;

	for (size_t i = 0; i < NSYSCTLS; i++) {
		char kind[64];

		snprintf(path, sizeof(path), "/proc/sys/kernel/%s", ipc_sysctls[i]);
		snprintf(kind, sizeof(kind), "sysctl %s", ipc_sysctls[i]);
		put(out, kind, path);
	}
	put_table(out, "shm", "shm");
	/* the namespace's mqueue filesystem, in a mount namespace of our own */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fprintf(out, "error mqueue %s\n", strerror(errno));
		return;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(out, "error mqueue %s\n", strerror(errno));
		return;
	}
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			fprintf(out, "mq /%s\n", de->d_name);
	closedir(d);
}

/* In a child inside the namespace: the listing, without its NUL. */
static int listing_step(const void *arg, void *out, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)arg;
	if (!f)
		return -ENOMEM;
	list_inside(f);
	if (fclose(f) != 0)
		return -EIO;
	if (len >= size)
		return -EIO;
	memcpy(out, text, len);
	return (int)len;
}

/* The listing of the IPC namespace of @pid, read inside it; NUL-ended. */
static int listing_of(pid_t pid, char **ret)
{
	char *buf = malloc(LISTING_MAX + 1);
	int r;

	if (!buf)
		return -ENOMEM;
	r = child_step_in_ns(CLONE_NEWIPC, pid, listing_step, NULL, buf, LISTING_MAX);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[r] = 0;
	*ret = buf;
	return 0;
}

/* The sysctls of a listing, as the image has them ("NAME=VALUE\n" each). */
static char *sysctls_of(const char *listing)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (const char *l = listing; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[32], value[256];

		if (sscanf(l, "sysctl %31s %255[^\n]", name, value) != 2)
			continue;
		for (size_t n = strlen(value); n && value[n - 1] == ' '; n--)
			value[n - 1] = 0;
		fprintf(f, "%s=%s\n", name, value);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static bool attached(const struct st_image *img, long id)
{
	for (size_t m = 0; m < img->nmms; m++)
		for (size_t i = 0; i < img->mms[m].nareas; i++)
			if (img->mms[m].areas[i].kind == ST_AREA_SYSV &&
			    img->mms[m].areas[i].shmid == (uint32_t)id)
				return true;
	return false;
}

/* What the restore would lose, refused by name. */
static void refuse_objects(struct ckpt *c, pid_t pid, const char *listing)
{
	for (const char *l = listing; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char kind[8], what[256];
		long id;
		unsigned long key;

		if (sscanf(l, "%7s %ld %lx", kind, &id, &key) == 3) {
			if (strcmp(kind, "shm") == 0 && !attached(&c->img, id))
				ckpt_unsupported(c, "pid %d: System V shared memory segment %ld (key "
						 "%#lx) of its IPC namespace is attached by no "
						 "process of the checkpoint: it is not carried", pid,
						 id, key);
		} else if (sscanf(l, "mq %255[^\n]", what) == 1) {
			ckpt_unsupported(c, "pid %d: POSIX message queue %s of its IPC namespace is "
					 "not carried", pid, what);
		} else if (sscanf(l, "error %255[^\n]", what) == 1) {
			ckpt_unsupported(c, "pid %d: cannot list the objects of its IPC namespace "
					 "(%s)", pid, what);
		}
	}
}

/* ---- checkpoint ---- */

static int ipc_dump_check(struct ckpt *c)
{
	struct ipc_image *ii;
	ino_t mine = 0, first = 0;
	char *listing = NULL;
	pid_t pid;
	int e;

	if (!c->img.nprocs)
		return 0;
	e = ns_ino(0, &mine);
	if (e < 0)
		return log_error_errno(e, "cannot read ferry's own IPC namespace");
	for (size_t i = 0; i < c->img.nprocs; i++) {
		ino_t ino;

		e = ns_ino(c->img.procs[i].pid, &ino);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read its IPC namespace",
					       c->img.procs[i].pid);
		if (i == 0)
			first = ino;
		else if (ino != first)
			ckpt_unsupported(c, "pid %d: its IPC namespace (ipc:[%lu]) is not that of "
					 "pid %d (ipc:[%lu]): one IPC namespace per checkpoint is "
					 "carried", c->img.procs[i].pid, (unsigned long)ino,
					 c->img.procs[0].pid, (unsigned long)first);
	}
	if (first == mine)
		return 0;
	pid = c->img.procs[0].pid;
	e = listing_of(pid, &listing);
	if (e < 0) {
		ckpt_unsupported(c, "pid %d: cannot read its IPC namespace from inside (setns "
				 "CLONE_NEWIPC): %s", pid, strerror(-e));
		return 0;
	}
	refuse_objects(c, pid, listing);
	ii = kind_image_data(&c->img, &kind_ipc_ns);
	if (!ii || !(ii->ns = calloc(1, sizeof(*ii->ns)))) {
		free(listing);
		return -ENOMEM;
	}
	ii->n = 1;
	ii->ns->sysctls = sysctls_of(listing);
	free(listing);
	if (!ii->ns->sysctls)
		return -ENOMEM;
	log_debug("pid %d: its own IPC namespace, sysctls:\n%s", pid, ii->ns->sysctls);
	return 0;
}

/* ---- metadata ---- */

static int ipc_image_check(struct meta_in *in, struct st_image *img)
{
	const struct ipc_image *ii = kind_image_data_if(img, &kind_ipc_ns);

	if (ii && ii->n > 1)
		in->err = log_error_errno(-EINVAL, "image metadata: %zu IPC namespaces, not one",
					  ii->n);
	for (size_t i = 0; ii && i < ii->n && !in->err; i++) {
		const char *bad = ii->ns[i].sysctls ? ns_sysctls_bad(&ipc_ns_sysctls, ii->ns[i].sysctls)
						    : "no sysctls";

		if (bad)
			in->err = log_error_errno(-EINVAL, "image metadata: the IPC namespace's "
						  "sysctls: %s", bad);
	}
	return in->err;
}

/* ---- restore ---- */

struct ipc_restore {
	struct ns_step ns; /* the processes' namespace, made by the restorer */
};

static const struct ipc_ns_rec *image_ns(const struct rst *r)
{
	const struct ipc_image *ii = kind_image_data_if(&r->img, &kind_ipc_ns);

	return ii && ii->n ? ii->ns : NULL;
}

static void leave(struct rst *r)
{
	struct ipc_restore *s = rst_kind_state(r, &kind_ipc_ns, 0);

	if (s)
		ns_step_back(&s->ns);
}

/* shm_rmid_forced: given once the processes have attached their segments */
static bool late_sysctl(const char *name, size_t len)
{
	return len == strlen("shm_rmid_forced") && memcmp(name, "shm_rmid_forced", len) == 0;
}

static bool early_sysctl(const char *name, size_t len)
{
	return !late_sysctl(name, len);
}

static int ipc_restore_begin(struct rst *r)
{
	const struct ipc_ns_rec *n = image_ns(r);
	struct ipc_restore *s;
	int e;

	if (!n)
		return 0;
	s = rst_kind_state(r, &kind_ipc_ns, sizeof(*s));
	if (!s)
		return -ENOMEM;
	e = ns_step_new(&s->ns, CLONE_NEWIPC);
	if (e < 0)
		return log_error_errno(e, "cannot make an IPC namespace for the processes (unshare "
				       "CLONE_NEWIPC: CAP_SYS_ADMIN is needed)");
	e = ns_sysctls_write(&ipc_ns_sysctls, n->sysctls, early_sysctl);
	if (e < 0)
		return e; /* left in restore_end */
	log_debug("the processes' IPC namespace, sysctls:\n%s", n->sysctls);
	return 0;
}

/*
 * Every process has attached its segments: shm_rmid_forced now, since
 * made before, it would have removed each segment the restorer made and
 * detached from (before a process attached it).
 */
static int ipc_restore_finish(struct rst *r)
{
	const struct ipc_ns_rec *n = image_ns(r);

	return n ? ns_sysctls_write(&ipc_ns_sysctls, n->sysctls, late_sysctl) : 0;
}

static int ipc_verify_process(struct rst *r, struct rproc *rp)
{
	const struct ipc_ns_rec *n = image_ns(r);
	struct ipc_restore *s = rst_kind_state(r, &kind_ipc_ns, 0);
	char *listing = NULL, *got;
	ino_t ino;
	int e;

	if (!n)
		return 0;
	if (!s || !s->ns.made)
		return verify_differs(rp, "no IPC namespace was made for it");
	e = ns_ino(rp->pid, &ino);
	if (e < 0)
		return verify_differs(rp, "cannot read its IPC namespace: %s", strerror(-e));
	if (ino == s->ns.own_ino)
		return verify_differs(rp, "it is in the restorer's IPC namespace, not one of its "
				      "own");
	e = listing_of(rp->pid, &listing);
	if (e < 0)
		return verify_differs(rp, "cannot read its IPC namespace: %s", strerror(-e));
	got = sysctls_of(listing);
	free(listing);
	if (!got)
		return -ENOMEM;
	e = strcmp(got, n->sysctls) == 0
		    ? 0
		    : verify_differs(rp, "its IPC namespace has sysctls\n%snot\n%s", got,
				     n->sysctls);
	free(got);
	return e;
}

/* Left only at the end: a failed restore removes the segments it made
 * (kinds/sysv_shm.c's restore_failed) inside the namespace. */
static void ipc_restore_end(struct rst *r)
{
	leave(r);
}

const struct kind kind_ipc_ns = {
	.name = "ipc-namespace",
	.claims = ipc_claims,
	.dump_check = ipc_dump_check,
	.image_size = sizeof(struct ipc_image),
	.image_fields = ipc_image_fields,
	.image_check = ipc_image_check,
	.restore_begin = ipc_restore_begin,
	.restore_finish = ipc_restore_finish,
	.verify_process = ipc_verify_process,
	.restore_end = ipc_restore_end,
};
