/* SPDX-License-Identifier: MIT */
/*
 * The inventory's driver (inventory.h): the selection as it is now, every
 * source walked for each of its processes, every item judged in one place
 * (inv_offer): a claim of ferry's capture or of a kind, else its source's
 * rule, else refused by name. Ferry's own values, the reference of the
 * rules that accept what the restorer's processes inherit, come from the
 * same walkers run on ferry itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state.h"
#include "../kinds/kind.h"
#include "inventory.h"

/* A value already refused, so that a process-wide value seen in every
 * thread is named once. */
struct inv_seen {
	pid_t pid;
	enum inv_source source;
	char *key, *value;
};

struct inv_ref {
	enum inv_source source;
	char *key, *value;
};

struct inv {
	pid_t root;
	bool reference;        /* walking ferry itself: keep the values */
	bool verify;           /* walking a restored process (inventory_verify) */
	bool lazy;             /* ... of a lazy restore, its pager's areas registered */
	unsigned problems;
	struct inv_seen *seen;
	size_t nseen;
};

/* ferry's own values, read once */
static struct inv_ref *refs;
static size_t nrefs;
static bool refs_read;

static const struct inv_claim *const core_claims[] = {
	dump_process_claims, dump_threads_claims, dump_signals_claims,
	dump_mm_claims,      dump_files_claims,   dump_time_claims,
};

static const struct {
	const char *name;    /* in --inventory */
	const char *what;    /* in refusals of unknown keys */
	const struct inv_rule *rules;
} sources[INV_NSOURCES] = {
	[INV_STATUS] = { "status", "a field of /proc/PID/status", inv_status_rules },
	[INV_SCHED] = { "sched", "a scheduling attribute", inv_sched_rules },
	[INV_STATE] = { "state", "a state of /proc/PID/stat", inv_state_rules },
	[INV_PROC] = { "proc", "a file of /proc/PID", inv_proc_rules },
	[INV_NS] = { "ns", "a namespace", inv_ns_rules },
	[INV_AREA] = { "area", "a memory area's field or VmFlags", inv_area_rules },
	[INV_FD] = { "fd", "a field of fdinfo", inv_fd_rules },
	[INV_TIMER] = { "timers", "a timer", inv_timer_rules },
	[INV_LOCK] = { "locks", "a lock request", inv_lock_rules },
	[INV_SYSVIPC] = { "sysvipc", "a System V IPC object", inv_sysvipc_rules },
	[INV_INSIDE] = { "inside", "an attribute asked inside the process", inv_inside_rules },
	[INV_LIMIT] = { "limits", "a resource limit", inv_limit_rules },
};

pid_t inv_root(const struct inv *v)
{
	return v->root;
}

/* Does a claim of @c carry @it? If one knows why it does not, *why says. */
static bool claim_takes(const struct inv_claim *c, const struct inv_item *it, const char **why)
{
	for (; c && c->source != INV_END; c++) {
		if (c->source != it->source || (c->key && strcmp(c->key, it->key) != 0))
			continue;
		if (!c->carries || c->carries(it))
			return true;
		if (c->refusal && !*why)
			*why = c->refusal;
	}
	return false;
}

/* Is @it carried by ferry's capture or by a kind? */
static bool claimed(const struct inv_item *it, const char **why)
{
	const struct kind *file_kind = it->fd ? kind_of_fd(it->fd) : NULL;

	for (size_t i = 0; i < sizeof(core_claims) / sizeof(core_claims[0]); i++)
		if (claim_takes(core_claims[i], it, why))
			return true;
	/* an fd's lines are the business of its own kind, and of the kinds
	 * that are no kind of file (a lock is on any file) */
	for (size_t i = 0; i < kind_count; i++) {
		const struct kind *k = kind_registry[i];

		if (it->source == INV_FD && k != file_kind && k->match)
			continue;
		if (claim_takes(k->claims, it, why))
			return true;
	}
	return false;
}

static const struct inv_rule *rule_of(enum inv_source s, const char *key)
{
	for (const struct inv_rule *r = sources[s].rules; r && r->key; r++)
		if (strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

const char *inv_ferry_value(enum inv_source source, const char *key)
{
	if (source == INV_INSIDE)
		return inv_inside_ferry_value(key);
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].source == source && strcmp(refs[i].key, key) == 0)
			return refs[i].value;
	return "";
}

static int keep_reference(const struct inv_item *it)
{
	struct inv_ref *r = ST_PUSH(refs, nrefs);

	if (!r)
		return -ENOMEM;
	r->source = it->source;
	r->key = strdup(it->key);
	r->value = strdup(it->value);
	return r->key && r->value ? 0 : -ENOMEM;
}

/* Named already for this process? Then once is enough. */
static bool seen_before(struct inv *v, const struct inv_item *it)
{
	struct inv_seen *s;

	for (size_t i = 0; i < v->nseen; i++)
		if (v->seen[i].pid == it->pid && v->seen[i].source == it->source &&
		    strcmp(v->seen[i].key, it->key) == 0 &&
		    strcmp(v->seen[i].value, it->value) == 0)
			return true;
	s = ST_PUSH(v->seen, v->nseen);
	if (s) {
		s->pid = it->pid;
		s->source = it->source;
		s->key = strdup(it->key);
		s->value = strdup(it->value);
	}
	return false;
}

static void name_refusal(struct inv *v, const struct inv_item *it, const struct inv_rule *rule,
			 const char *why)
{
	char who[400], val[200];

	if (it->source != INV_FD && it->source != INV_AREA && seen_before(v, it))
		return;
	v->problems++;
	if (it->fd)
		snprintf(who, sizeof(who), "pid %d fd %d: %.300s", it->pid, it->fd->fd,
			 it->fd->link);
	else if (it->tid != it->pid)
		snprintf(who, sizeof(who), "pid %d tid %d", it->pid, it->tid);
	else
		snprintf(who, sizeof(who), "pid %d", it->pid);
	snprintf(val, sizeof(val), "%.190s", it->value);
	if (v->verify) {
		/* what no kind carries must be as a new process has it */
		log_error("restored %s%s%s: %s is %s, where a process ferry makes has %s", who,
			   it->area ? " area " : "", it->area ? it->area : "",
			   rule ? rule->what : it->key, val,
			   !rule ? "none" : rule->dflt ? rule->dflt :
			   rule->same_as_ferry ? inv_ferry_value(it->source, it->key) : "none");
		return;
	}
	if (why) {
		log_error("cannot checkpoint %s%s%s: %s (%s '%s': %s)", who,
			  it->area ? " area " : "", it->area ? it->area : "", why,
			  sources[it->source].name, it->key, val);
		return;
	}
	if (!rule) {
		log_error("cannot checkpoint %s%s%s: %s '%s' (%s) is not known to ferry, so it "
			  "cannot be carried", who, it->area ? " area " : "",
			  it->area ? it->area : "", sources[it->source].what, it->key, val);
		return;
	}
	if (rule->dflt)
		log_error("cannot checkpoint %s%s%s: %s is %s: only %s is carried yet", who,
			  it->area ? " area " : "", it->area ? it->area : "", rule->what, val,
			  rule->dflt);
	else if (rule->same_as_ferry)
		log_error("cannot checkpoint %s%s%s: %s is %s, not ferry's own (%s): only "
			  "ferry's own is carried yet", who, it->area ? " area " : "",
			  it->area ? it->area : "", rule->what, val,
			  inv_ferry_value(it->source, it->key));
	else if (rule->why)
		log_error("cannot checkpoint %s%s%s: %s is %s: %s", who, it->area ? " area " : "",
			  it->area ? it->area : "", rule->what, val, rule->why);
	else
		log_error("cannot checkpoint %s%s%s: %s (%s) is not carried yet", who,
			  it->area ? " area " : "", it->area ? it->area : "", rule->what, val);
}

/*
 * After a restore: what ferry itself changes while it holds the processes
 * (it traces them), and values a new kernel may show that ferry has not
 * met (named, not held against the restore).
 */
static bool verify_skips(const struct inv *v, const struct inv_item *it)
{
	static char warned[64][48];
	static size_t nwarned;

	if (it->source == INV_STATUS && strcmp(it->key, "TracerPid") == 0)
		return true;
	/* a lazy restore registers areas for missing pages with its pager */
	if (v->lazy && it->source == INV_AREA && strcmp(it->key, "um") == 0)
		return true;
	if (rule_of(it->source, it->key))
		return false;
	for (size_t i = 0; i < nwarned; i++)
		if (strcmp(warned[i], it->key) == 0)
			return true;
	if (nwarned < 64)
		snprintf(warned[nwarned++], sizeof(warned[0]), "%s", it->key);
	log_warning("restored pid %d: %s '%s' is not known to ferry and is not verified",
		  it->pid, sources[it->source].what, it->key);
	return true;
}

void inv_offer(struct inv *v, const struct inv_item *it)
{
	const struct inv_rule *rule;
	const char *why = NULL;

	if (v->reference) {
		if (keep_reference(it) < 0)
			v->problems++;
		return;
	}
	if (claimed(it, &why))
		return; /* carried: compared by its claimer after a restore */
	if (v->verify && verify_skips(v, it))
		return;
	if (why) {
		name_refusal(v, it, NULL, why);
		return;
	}
	rule = rule_of(it->source, it->key);
	if (rule && !rule->what)
		return; /* no state */
	if (rule && rule->dflt && strcmp(it->value, rule->dflt) == 0)
		return;
	if (rule && rule->same_as_ferry &&
	    strcmp(it->value, inv_ferry_value(it->source, it->key)) == 0)
		return;
	if (rule && rule->accept && rule->accept(it))
		return;
	name_refusal(v, it, rule, NULL);
}

void inv_refuse(struct inv *v, const char *fmt, ...)
{
	char msg[4608];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("cannot checkpoint %s", msg);
	v->problems++;
}

static int read_references(void);

/* Every source of one process. */
static int walk_process(struct inv *v, pid_t pid)
{
	pid_t *tids;
	size_t ntids;
	int r = proc_list_tasks(pid, &tids, &ntids);

	if (r < 0)
		return r == -ENOENT ? 0
				    : log_error_errno(r, "pid %d: cannot list its threads", pid);
	/* a restored process is stopped by ferry, which traces it */
	if (!v->verify)
		r = inv_walk_state(v, pid, tids, ntids);
	/* a zombie holds nothing else (kinds/zombie.c) */
	if (r == 0 && !v->verify && inv_lone_zombie(pid, ntids)) {
		free(tids);
		return 0;
	}
	if (r == 0)
		r = inv_walk_status(v, pid, tids, ntids);
	if (r == 0)
		r = inv_walk_sched(v, pid, tids, ntids);
	free(tids);
	if (r == 0)
		r = inv_walk_proc(v, pid);
	if (r == 0)
		r = inv_walk_ns(v, pid);
	if (r == 0)
		r = inv_walk_limits(v, pid);
	if (r == 0 && !v->reference)
		r = inv_walk_maps(v, pid);
	if (r == 0 && !v->reference)
		r = inv_walk_fds(v, pid);
	if (r == 0 && !v->reference)
		r = inv_walk_timers(v, pid);
	return r;
}

int inventory_verify(pid_t root, pid_t pid, bool lazy)
{
	struct inv v = { .root = root, .verify = true, .lazy = lazy };
	int r = read_references();

	if (r == 0)
		r = walk_process(&v, pid);
	for (size_t i = 0; i < v.nseen; i++) {
		free(v.seen[i].key);
		free(v.seen[i].value);
	}
	free(v.seen);
	return r < 0 ? r : (int)v.problems;
}

static int read_references(void)
{
	struct inv self = { .root = getpid(), .reference = true };
	int r;

	if (refs_read)
		return 0;
	r = walk_process(&self, getpid());
	if (r == 0 && self.problems)
		r = -ENOMEM;
	refs_read = r == 0;
	return r;
}

/* The selection as it is now: @root, and with @tree its descendants. */
static int list_selection(pid_t root, bool tree, pid_t **ret, size_t *ret_n)
{
	pid_t *pids = NULL;
	size_t n = 0;
	pid_t *slot = ST_PUSH(pids, n);

	if (!slot)
		return -ENOMEM;
	*slot = root;
	for (size_t i = 0; tree && i < n; i++) {
		pid_t *kids;
		size_t nkids;

		if (proc_list_children(pids[i], &kids, &nkids) < 0)
			continue;
		for (size_t k = 0; k < nkids; k++) {
			slot = ST_PUSH(pids, n);
			if (!slot) {
				free(kids);
				free(pids);
				return -ENOMEM;
			}
			*slot = kids[k];
		}
		free(kids);
	}
	*ret = pids;
	*ret_n = n;
	return 0;
}

struct inv *inv_new(pid_t root)
{
	struct inv *v = calloc(1, sizeof(*v));

	if (v)
		v->root = root;
	return v;
}

unsigned inv_problems(const struct inv *v)
{
	return v->problems;
}

void inv_free(struct inv *v)
{
	for (size_t i = 0; v && i < v->nseen; i++) {
		free(v->seen[i].key);
		free(v->seen[i].value);
	}
	if (v)
		free(v->seen);
	free(v);
}

int inventory_check(pid_t root, bool tree)
{
	struct inv v = { .root = root };
	pid_t *pids;
	size_t n;
	int r;

	r = read_references();
	if (r < 0)
		return log_error_errno(r, "cannot read ferry's own attributes");
	r = list_selection(root, tree, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = walk_process(&v, pids[i]);
	if (r == 0)
		r = inv_walk_locks(&v, pids, n);
	if (r == 0)
		r = inv_walk_sysvipc(&v, pids, n);
	free(pids);
	for (size_t i = 0; i < v.nseen; i++) {
		free(v.seen[i].key);
		free(v.seen[i].value);
	}
	free(v.seen);
	if (r == 0 && v.problems)
		log_error("%u object%s cannot be checkpointed; nothing was frozen", v.problems,
			  v.problems == 1 ? "" : "s");
	return r < 0 ? r : (int)v.problems;
}

/* ---- ferry check --inventory ---- */

#define NCORE (sizeof(core_claims) / sizeof(core_claims[0]))

/* The claims of the i-th claimer (ferry's capture files, then each kind). */
static const struct inv_claim *claims_of(size_t i, const char **ret_who)
{
	*ret_who = i < NCORE ? "ferry" : kind_registry[i - NCORE]->name;
	return i < NCORE ? core_claims[i] : kind_registry[i - NCORE]->claims;
}

/* The first claim of @key in @s, and who makes it; NULL if none. */
static const struct inv_claim *first_claim(enum inv_source s, const char *key,
					   const char **ret_who)
{
	for (size_t i = 0; i < NCORE + kind_count; i++)
		for (const struct inv_claim *c = claims_of(i, ret_who); c && c->source != INV_END;
		     c++)
			if (c->source == s && c->key && strcmp(c->key, key) == 0)
				return c;
	return NULL;
}

void inventory_print(FILE *out)
{
	unsigned carried = 0, some = 0, refused = 0, none = 0;
	size_t nfile_kinds = 0;

	for (int s = INV_END + 1; s < INV_NSOURCES; s++) {
		const char *src = sources[s].name, *who;

		/* what is claimed, in the order of the claimers */
		for (size_t i = 0; i < NCORE + kind_count; i++)
			for (const struct inv_claim *c = claims_of(i, &who);
			     c && c->source != INV_END; c++) {
				const char *first_who;

				if ((int)c->source != s || !c->key ||
				    first_claim(c->source, c->key, &first_who) != c)
					continue;
				fprintf(out, "%s %s: carried by %s%s\n", src, c->key, who,
					c->carries ? ", some values" : "");
				if (c->carries)
					some++;
				else
					carried++;
			}
		/* what is not, or only in part */
		for (const struct inv_rule *r = sources[s].rules; r && r->key; r++) {
			const struct inv_claim *c = first_claim(s, r->key, &who);

			if (c && !c->carries)
				continue; /* listed above */
			if (!r->what) {
				fprintf(out, "%s %s: no state\n", src, r->key);
				none++;
				continue;
			}
			fprintf(out, "%s %s: %s: %s%s%s\n", src, r->key, r->what,
				c ? "else " : "", r->dflt ? "refused unless " :
				r->same_as_ferry ? "refused unless ferry's own" :
				r->accept ? "refused unless accepted by its rule" : "refused",
				r->dflt ? (r->dflt[0] ? r->dflt : "empty") : "");
			if (!c)
				refused++;
		}
		fprintf(out, "%s, any other key: refused\n", src);
	}
	for (size_t i = 0; i < kind_count; i++)
		nfile_kinds += kind_registry[i]->match != NULL;
	fprintf(out, "kinds: %zu (%zu of open files), any other open file refused:", kind_count,
		nfile_kinds);
	for (size_t i = 0; i < kind_count; i++)
		fprintf(out, " %s", kind_registry[i]->name);
	fprintf(out, "\nvalues: %u carried, %u carried in part, %u refused unless at their "
		     "default, %u without state\n", carried, some, refused, none);
}
