/* SPDX-License-Identifier: MIT */
/*
 * The UTS namespace of the selection, when it is not ferry's (systemd's
 * ProtectHostname= gives a service its own): its host name and NIS domain
 * name. Every process of the selection must be in the same one, the first
 * process's (inventory/ns.c's "uts", claimed here); a process in another
 * one, ferry's included, is refused by name before the freeze.
 *
 * Checkpoint: the names are read inside the namespace itself, by uname()
 * in a child of ferry that joined it (setns CLONE_NEWUTS), as the
 * processes see them. A selection in ferry's own namespace records
 * nothing, and is restored in the restorer's, as before.
 *
 * Restore: before the restorer makes anything (restore_begin), it keeps
 * its own namespace (/proc/self/ns/uts), makes a new one (unshare
 * CLONE_NEWUTS) and gives it the names, so that every process it creates
 * is created inside. Once the processes exist (restore_finish), and in any
 * case when the restore fails or ends, it goes back to its own (setns), so
 * that what runs after it (ferry-init's real init) is not left in the
 * namespace of the restored processes. Verified before they run: each is
 * in one namespace that is not the restorer's, whose names are the image's.
 */
#include <errno.h>
#include <libfdt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/child_step.h"
#include "../common/log.h"
#include "../common/ns_step.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define UTS_NAME_MAX 64 /* the kernel's __NEW_UTS_LEN */

struct uts_names {
	char *hostname, *domainname;
};

struct uts_image {
	struct uts_names *ns; /* none: ferry's own; else one */
	size_t n;
};

static int uts_node_check(struct meta_in *in, int node, void *obj);

static const struct meta_field uts_fields[] = {
	META_STR(FM_UTS_HOSTNAME, struct uts_names, hostname, META_REQUIRED),
	META_STR(FM_UTS_DOMAINNAME, struct uts_names, domainname, META_REQUIRED),
	{ 0 },
};

static const struct meta_node uts_node = {
	.name = FM_UTS_NS, .size = sizeof(struct uts_names), .fields = uts_fields,
	.check = uts_node_check,
};

static const struct meta_field uts_image_fields[] = {
	META_NODES(NULL, struct uts_image, ns, n, &uts_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_uts_ns;

/* ---- inventory ---- */

static bool ns_link_of(pid_t pid, const char *link)
{
	char path[64], *ns;
	bool same;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", pid);
	if (proc_read_link(path, &ns) < 0)
		return false;
	same = strcmp(ns, link) == 0;
	free(ns);
	return same;
}

/* One UTS namespace per image: the first process's. */
static bool roots_uts(const struct inv_item *it)
{
	return ns_link_of(it->root, it->value);
}

static const struct inv_claim uts_claims[] = {
	INV_CLAIM_IF(INV_NS, "uts", roots_uts,
		     "a UTS namespace other than the first process's is not carried (one UTS "
		     "namespace per checkpoint: every process of it must share the first one's)"),
	INV_CLAIMS_END,
};

/* ---- reading the names inside a namespace ---- */

/* In a child inside the namespace: its names. */
static int uname_step(const void *arg, void *out, size_t size)
{
	(void)arg;
	(void)size;
	return uname(out) < 0 ? -errno : (int)sizeof(struct utsname);
}

/* The host name and domain name of the UTS namespace of @pid, read by
 * uname() in a child that joined it. 0 or -errno (not logged). */
static int names_of(pid_t pid, struct utsname *ret)
{
	struct utsname u;
	int r = child_step_in_ns(CLONE_NEWUTS, pid, uname_step, NULL, &u, sizeof(u));

	if (r < 0)
		return r;
	if (r != sizeof(u))
		return -EIO;
	*ret = u;
	return 0;
}

/* The namespace of @pid ("/proc/PID/ns/uts"; 0: ferry's), as its inode. */
static int ns_ino(pid_t pid, ino_t *ret)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/uts", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/uts");
	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

/* ---- checkpoint ---- */

static int uts_dump_check(struct ckpt *c)
{
	struct uts_image *ui;
	struct utsname u;
	ino_t mine = 0, first = 0;
	int e;

	if (!c->img.nprocs)
		return 0;
	e = ns_ino(0, &mine);
	if (e < 0)
		return log_error_errno(e, "cannot read ferry's own UTS namespace");
	for (size_t i = 0; i < c->img.nprocs; i++) {
		ino_t ino;

		e = ns_ino(c->img.procs[i].pid, &ino);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read its UTS namespace",
					       c->img.procs[i].pid);
		if (i == 0)
			first = ino;
		else if (ino != first)
			ckpt_unsupported(c, "pid %d: its UTS namespace (uts:[%lu]) is not that of "
					 "pid %d (uts:[%lu]): one UTS namespace per checkpoint is "
					 "carried", c->img.procs[i].pid, (unsigned long)ino,
					 c->img.procs[0].pid, (unsigned long)first);
	}
	if (first == mine)
		return 0;
	e = names_of(c->img.procs[0].pid, &u);
	if (e < 0) {
		ckpt_unsupported(c, "pid %d: cannot read the host name of its UTS namespace "
				 "(setns CLONE_NEWUTS, uname): %s", c->img.procs[0].pid,
				 strerror(-e));
		return 0;
	}
	ui = kind_image_data(&c->img, &kind_uts_ns);
	if (!ui || !(ui->ns = calloc(1, sizeof(*ui->ns))))
		return -ENOMEM;
	ui->n = 1;
	ui->ns->hostname = strndup(u.nodename, UTS_NAME_MAX);
	ui->ns->domainname = strndup(u.domainname, UTS_NAME_MAX);
	if (!ui->ns->hostname || !ui->ns->domainname)
		return -ENOMEM;
	log_debug("pid %d: its own UTS namespace, host name '%s', domain name '%s'",
		  c->img.procs[0].pid, u.nodename, u.domainname);
	return 0;
}

/* ---- metadata ---- */

/* Each name a string of at most 64 bytes with no NUL before its end. */
static int uts_node_check(struct meta_in *in, int node, void *obj)
{
	static const char *const props[] = { FM_UTS_HOSTNAME, FM_UTS_DOMAINNAME };
	(void)obj;

	for (size_t i = 0; i < 2; i++) {
		int len = 0;
		const char *p = fdt_getprop(in->fdt, node, props[i], &len);

		if (p && (len < 1 || len > UTS_NAME_MAX + 1 || strnlen(p, len) != (size_t)len - 1))
			return meta_fail(in, node, "%s: a name of up to %d bytes without NUL",
					 props[i], UTS_NAME_MAX);
	}
	return 0;
}

static int uts_image_check(struct meta_in *in, struct st_image *img)
{
	const struct uts_image *ui = kind_image_data_if(img, &kind_uts_ns);

	if (ui && ui->n > 1)
		in->err = log_error_errno(-EINVAL, "image metadata: %zu UTS namespaces, not one",
					  ui->n);
	for (size_t i = 0; ui && i < ui->n && !in->err; i++)
		if (!ui->ns[i].hostname || !ui->ns[i].domainname ||
		    strlen(ui->ns[i].hostname) > UTS_NAME_MAX ||
		    strlen(ui->ns[i].domainname) > UTS_NAME_MAX)
			in->err = log_error_errno(-EINVAL, "image metadata: a UTS namespace's "
						  "names are more than %d bytes", UTS_NAME_MAX);
	return in->err;
}

/* ---- restore ---- */

struct uts_restore {
	struct ns_step ns; /* the processes' namespace, made by the restorer */
};

static const struct uts_names *image_names(const struct rst *r)
{
	const struct uts_image *ui = kind_image_data_if(&r->img, &kind_uts_ns);

	return ui && ui->n ? ui->ns : NULL;
}

/* Back in the restorer's own namespace, if it left it. */
static void leave(struct rst *r)
{
	struct uts_restore *s = rst_kind_state(r, &kind_uts_ns, 0);

	if (s)
		ns_step_back(&s->ns);
}

static int uts_restore_begin(struct rst *r)
{
	const struct uts_names *u = image_names(r);
	struct uts_restore *s;
	int e;

	if (!u)
		return 0;
	s = rst_kind_state(r, &kind_uts_ns, sizeof(*s));
	if (!s)
		return -ENOMEM;
	e = ns_step_new(&s->ns, CLONE_NEWUTS);
	if (e < 0)
		return log_error_errno(e, "cannot make a UTS namespace for the processes (unshare "
				       "CLONE_NEWUTS: CAP_SYS_ADMIN is needed)");
	if (sethostname(u->hostname, strlen(u->hostname)) < 0 ||
	    setdomainname(u->domainname, strlen(u->domainname)) < 0) {
		e = -errno;
		leave(r);
		return log_error_errno(e, "cannot give the processes' UTS namespace the host name "
				       "'%s' and domain name '%s'", u->hostname, u->domainname);
	}
	log_debug("the processes' UTS namespace: host name '%s', domain name '%s'", u->hostname,
		  u->domainname);
	return 0;
}

/* Every process exists, made inside: the restorer goes back. */
static int uts_restore_finish(struct rst *r)
{
	leave(r);
	return 0;
}

static int uts_verify_process(struct rst *r, struct rproc *rp)
{
	const struct uts_names *u = image_names(r);
	struct uts_restore *s = rst_kind_state(r, &kind_uts_ns, 0);
	struct utsname got;
	ino_t ino;
	int e;

	if (!u)
		return 0;
	if (!s || !s->ns.made)
		return verify_differs(rp, "no UTS namespace was made for it");
	e = ns_ino(rp->pid, &ino);
	if (e < 0)
		return verify_differs(rp, "cannot read its UTS namespace: %s", strerror(-e));
	if (ino == s->ns.own_ino)
		return verify_differs(rp, "it is in the restorer's UTS namespace, not one of its "
				      "own");
	e = names_of(rp->pid, &got);
	if (e < 0)
		return verify_differs(rp, "cannot read the names of its UTS namespace: %s",
				      strerror(-e));
	if (strcmp(got.nodename, u->hostname) != 0 || strcmp(got.domainname, u->domainname) != 0)
		return verify_differs(rp, "its UTS namespace has host name '%s' and domain name "
				      "'%s', not '%s' and '%s'", got.nodename, got.domainname,
				      u->hostname, u->domainname);
	return 0;
}

static void uts_restore_failed(struct rst *r)
{
	leave(r);
}

static void uts_restore_end(struct rst *r)
{
	leave(r);
}

const struct kind kind_uts_ns = {
	.name = "uts-namespace",
	.claims = uts_claims,
	.dump_check = uts_dump_check,
	.image_size = sizeof(struct uts_image),
	.image_fields = uts_image_fields,
	.image_check = uts_image_check,
	.restore_begin = uts_restore_begin,
	.restore_finish = uts_restore_finish,
	.verify_process = uts_verify_process,
	.restore_failed = uts_restore_failed,
	.restore_end = uts_restore_end,
};
