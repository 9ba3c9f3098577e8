/* SPDX-License-Identifier: MIT */
/*
 * System V shared memory (shmget, shmat): a segment attached by a process
 * of the selection, carried with its id, the key it was made with, its
 * size, permission bits, owner, creator, SHM_LOCK and IPC_RMID marks and
 * its bytes; each attachment is an area of kind sysv of the process's mm
 * (checkpoint/dump_mm.c), with its address and SHM_RDONLY.
 *
 * The bytes are read at the freeze through the attachment's file
 * (/proc/PID/map_files/START-END, the segment's own shmem file), not with
 * a shmat() of ferry's or of a borrowed thread: a read of the file does
 * not attach, so the segment's attach count, last pid and times stay as
 * the selection left them, and it reads the whole segment whatever part
 * of it an attachment shows. Its trailing zero bytes are left out.
 *
 * Which segments: those a process of the selection has attached. A
 * segment no process of the selection has attached is not carried (in
 * ferry's IPC namespace the selection shares it with every other process
 * of the machine, whose segments are not its own; one the selection made
 * and detached from is not told apart from them; in an IPC namespace of
 * the selection's own, kinds/ipc_ns.c refuses it). A selection in another
 * IPC namespace than ferry's has its segments read inside it: ferry joins
 * it (setns CLONE_NEWIPC) for their IPC_STAT, and the restore makes them
 * in the namespace kinds/ipc_ns.c made. Refused,
 * before anything changes: a segment also attached by a process outside
 * the selection (its attach count is above the selection's attachments),
 * a segment on hugetlbfs (SHM_HUGETLB), one larger than SYSV_SHM_MAX, and
 * an attachment that no longer maps the whole segment (part of it
 * unmapped).
 *
 * At restore every segment is made again before the first process exists:
 * its id written to /proc/sys/kernel/shm_next_id, then shmget(key, size,
 * IPC_CREAT | IPC_EXCL) as its creator (a child of the restorer with the
 * creator's effective uid and gid), the id it got checked, its bytes
 * written through an attachment of the restorer's, then its owner, mode
 * and SHM_LOCK set. A segment the restore finds with its id, key, size and
 * creator, attached by no process, is the segment itself (on the same
 * kernel it outlives the processes when not removed): its bytes and
 * attributes are set again from the image. An id or key taken by another
 * segment refuses the restore, naming it: the restore never gives a
 * segment another id. Each process attaches its segments with shmat() at
 * their addresses (restore_mm.c), so a segment shared by processes is one
 * segment again; one marked with IPC_RMID is marked again once every
 * process has attached it. A segment the restore made is removed again if
 * the restore fails. Not carried: the creator's and the last attaching
 * pid (shm_cpid, shm_lpid) and the times (shm_atime, shm_dtime,
 * shm_ctime), which are those of the restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/ns_step.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "sysv_create.h"
#include "sysv_shm.h"

#define PAGE 4096ull

static const struct meta_cell owner_cells[] = {
	META_CELL(struct shm_segment, uid, 4),
	META_CELL(struct shm_segment, gid, 4),
};

static const struct meta_cell creator_cells[] = {
	META_CELL(struct shm_segment, cuid, 4),
	META_CELL(struct shm_segment, cgid, 4),
};

static const struct meta_field segment_fields[] = {
	META_U32(FM_SHM_ID, struct shm_segment, id, META_REQUIRED | META_UNIT),
	META_U32(FM_SHM_KEY, struct shm_segment, key, META_REQUIRED | META_HEX),
	META_U64(FM_SHM_SIZE, struct shm_segment, size, META_REQUIRED),
	META_U32(FM_SHM_MODE, struct shm_segment, mode, META_REQUIRED),
	META_CELLS(FM_SHM_OWNER, owner_cells, META_REQUIRED),
	META_CELLS(FM_SHM_CREATOR, creator_cells, META_REQUIRED),
	META_FLAG(FM_SHM_REMOVED, struct shm_segment, removed, 0),
	META_FLAG(FM_SHM_LOCKED, struct shm_segment, locked, 0),
	META_BYTES(FM_SHM_DATA, struct shm_segment, data, len, 0),
	{ 0 },
};

static const struct meta_node segment_node = {
	.name = FM_SYSV_SHM, .size = sizeof(struct shm_segment), .fields = segment_fields,
};

static const struct meta_field sysv_shm_image_fields[] = {
	META_NODES(FM_SYSV_SHMS, struct sysv_shm_image, segs, n, &segment_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_sysv_shm;

static uint64_t page_up(uint64_t n)
{
	return (n + PAGE - 1) & ~(PAGE - 1);
}

static struct shm_segment *find_segment(const struct sysv_shm_image *si, uint32_t id)
{
	for (size_t i = 0; si && i < si->n; i++)
		if (si->segs[i].id == id)
			return &si->segs[i];
	return NULL;
}

/* How many areas of the image map segment @id (each is one attachment
 * in the kernel's count: shm_nattch counts mappings). */
static size_t areas_of(const struct st_image *img, uint32_t id)
{
	size_t n = 0;

	for (size_t m = 0; m < img->nmms; m++)
		for (size_t i = 0; i < img->mms[m].nareas; i++)
			n += img->mms[m].areas[i].kind == ST_AREA_SYSV &&
			     img->mms[m].areas[i].shmid == id;
	return n;
}

/*
 * Does area @i of @mm continue an attachment (the one before it maps the
 * bytes of the same segment right before its own), and does it end one
 * (none after it continues it)?
 */
static bool continues(const struct st_area *prev, const struct st_area *a)
{
	return prev->kind == ST_AREA_SYSV && prev->shmid == a->shmid && prev->end == a->start &&
	       prev->shm_rdonly == a->shm_rdonly &&
	       prev->pgoff + (prev->end - prev->start) == a->pgoff;
}

/* Every attachment of @mm maps its whole segment, from its first byte to
 * the end of its last page; NULL, or the first area that breaks that. */
static const struct st_area *partial_attachment(const struct st_mm *mm,
						const struct sysv_shm_image *si)
{
	for (size_t i = 0; i < mm->nareas; i++) {
		const struct st_area *a = &mm->areas[i];
		const struct shm_segment *s;

		if (a->kind != ST_AREA_SYSV)
			continue;
		s = find_segment(si, a->shmid);
		if (!s)
			return a;
		if (a->pgoff && (i == 0 || !continues(&mm->areas[i - 1], a)))
			return a;
		if ((i + 1 == mm->nareas || !continues(a, &mm->areas[i + 1])) &&
		    a->pgoff + (a->end - a->start) != page_up(s->size))
			return a;
	}
	return NULL;
}

/* ---- checkpoint ---- */

static int shm_dump_all(struct ckpt *c, struct sysv_shm_image **sip);

/* The key a segment was made with: its file's name, "/SYSV%08x". */
static uint32_t key_of_name(const char *path)
{
	unsigned key = 0;

	return path && sscanf(path, "/SYSV%8x", &key) == 1 ? key : 0;
}

static int read_segment(struct ckpt *c, const struct st_mm *mm, const struct st_area *a,
			struct shm_segment *s)
{
	char path[96];
	struct statfs sfs;
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", mm->id,
		 (unsigned long long)a->start, (unsigned long long)a->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "pid %u: System V shared memory segment %u: cannot "
				       "open %s", mm->id, s->id, path);
	if (fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == HUGETLBFS_MAGIC) {
		ckpt_unsupported(c, "pid %u: System V shared memory segment %u (key %#x): a "
				 "segment of huge pages (SHM_HUGETLB) is not carried", mm->id,
				 s->id, s->key);
		close(fd);
		return 0;
	}
	s->data = s->size ? malloc(s->size) : NULL;
	if (s->size && !s->data) {
		close(fd);
		return -ENOMEM;
	}
	while (got < s->size) {
		ssize_t n = pread(fd, s->data + got, s->size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			close(fd);
			return log_error_errno(e, "pid %u: System V shared memory segment %u: cannot "
					       "read its %llu bytes", mm->id, s->id,
					       (unsigned long long)s->size);
		}
		got += (size_t)n;
	}
	close(fd);
	while (got && !s->data[got - 1])
		got--;
	s->len = got;
	if (!got) {
		free(s->data);
		s->data = NULL;
	}
	return 0;
}

/* Segment @a maps, recorded once: its attributes and bytes. */
static int dump_segment(struct ckpt *c, struct sysv_shm_image *si, const struct st_mm *mm,
			const struct st_area *a)
{
	struct shm_segment *s;
	struct shmid_ds ds;
	size_t mine;

	if (find_segment(si, a->shmid))
		return 0;
	s = ST_PUSH(si->segs, si->n);
	if (!s)
		return -ENOMEM;
	s->id = a->shmid;
	s->key = key_of_name(a->path);
	if (shmctl((int)s->id, IPC_STAT, &ds) < 0) {
		ckpt_unsupported(c, "pid %u area %#llx: System V shared memory segment %u: cannot "
				 "read its attributes (shmctl IPC_STAT): %s", mm->id,
				 (unsigned long long)a->start, s->id, strerror(errno));
		return 0;
	}
	s->size = ds.shm_segsz;
	s->mode = ds.shm_perm.mode & 0777;
	s->removed = ds.shm_perm.mode & SHM_DEST;
	s->locked = ds.shm_perm.mode & SHM_LOCKED;
	s->uid = ds.shm_perm.uid;
	s->gid = ds.shm_perm.gid;
	s->cuid = ds.shm_perm.cuid;
	s->cgid = ds.shm_perm.cgid;
	mine = areas_of(&c->img, s->id);
	if (ds.shm_nattch > mine) {
		ckpt_unsupported(c, "pid %u: System V shared memory segment %u (key %#x): "
				 "attached %lu times, %zu of them by the processes of the "
				 "checkpoint: a process outside it uses the segment too", mm->id,
				 s->id, s->key, (unsigned long)ds.shm_nattch, mine);
		return 0;
	}
	if (s->size > SYSV_SHM_MAX) {
		ckpt_unsupported(c, "pid %u: System V shared memory segment %u (key %#x): %llu "
				 "bytes are more than the %u MiB a segment carried may have",
				 mm->id, s->id, s->key, (unsigned long long)s->size,
				 SYSV_SHM_MAX >> 20);
		return 0;
	}
	return read_segment(c, mm, a, s);
}

static int sysv_shm_dump_check(struct ckpt *c)
{
	struct sysv_shm_image *si = NULL;
	struct ns_step ns = { .away = false };
	bool joined = false;
	int e = 0;

	/* the segments' ids are those of the selection's namespace (one: ipc_ns.c) */
	for (size_t m = 0; m < c->img.nmms && !joined; m++)
		for (size_t i = 0; i < c->img.mms[m].nareas && !joined; i++) {
			if (c->img.mms[m].areas[i].kind != ST_AREA_SYSV)
				continue;
			e = ns_step_into(&ns, CLONE_NEWIPC, (pid_t)c->img.mms[m].id);
			if (e < 0)
				return log_error_errno(e, "pid %u: cannot join its IPC namespace "
						       "to read its System V shared memory "
						       "segments", c->img.mms[m].id);
			joined = true;
		}
	e = shm_dump_all(c, &si);
	ns_step_back(&ns);
	return e;
}

static int shm_dump_all(struct ckpt *c, struct sysv_shm_image **sip)
{
	struct sysv_shm_image *si = NULL;
	int e = 0;

	for (size_t m = 0; m < c->img.nmms && e == 0; m++) {
		const struct st_mm *mm = &c->img.mms[m];

		for (size_t i = 0; i < mm->nareas && e == 0; i++) {
			if (mm->areas[i].kind != ST_AREA_SYSV)
				continue;
			si = si ? si : kind_image_data(&c->img, &kind_sysv_shm);
			if (!si)
				return -ENOMEM;
			e = dump_segment(c, si, mm, &mm->areas[i]);
		}
	}
	for (size_t m = 0; si && m < c->img.nmms && e == 0; m++) {
		const struct st_area *a = partial_attachment(&c->img.mms[m], si);

		if (a && find_segment(si, a->shmid))
			ckpt_unsupported(c, "pid %u area %#llx-%#llx: an attachment of System V "
					 "shared memory segment %u that no longer maps all of it "
					 "(part of it unmapped) is not carried", c->img.mms[m].id,
					 (unsigned long long)a->start, (unsigned long long)a->end,
					 a->shmid);
	}
	*sip = si;
	return e;
}

/* ---- metadata ---- */

static int sysv_shm_image_check(struct meta_in *in, struct st_image *img)
{
	const struct sysv_shm_image *si = kind_image_data_if(img, &kind_sysv_shm);

	for (size_t i = 0; si && i < si->n && !in->err; i++) {
		const struct shm_segment *s = &si->segs[i];

		if (s->len > s->size || s->size > SYSV_SHM_MAX || find_segment(si, s->id) != s ||
		    (s->id & 0x80000000u) || !areas_of(img, s->id))
			in->err = log_error_errno(-EINVAL, "image metadata: System V shared memory "
						  "segment %u: its id (once, attached), size %llu or "
						  "%zu bytes", s->id, (unsigned long long)s->size,
						  s->len);
	}
	for (size_t m = 0; m < img->nmms && !in->err; m++) {
		const struct st_area *a = partial_attachment(&img->mms[m], si);

		if (a)
			in->err = log_error_errno(-EINVAL, "image metadata: mm %u area %#llx: an "
						  "attachment of System V shared memory segment %u "
						  "that the image does not have, or not all of it",
						  img->mms[m].id, (unsigned long long)a->start,
						  a->shmid);
	}
	return in->err;
}

/* ---- restore ---- */

/* The segments this restore made (not those it found), removed if it fails. */
struct made_segments {
	uint32_t *ids;
	size_t n;
};

/* Segment @s as the image has it, once there: its bytes, owner, mode, lock. */
static int fill_segment(const struct shm_segment *s, bool found)
{
	struct shmid_ds ds;
	void *p = shmat((int)s->id, NULL, 0);

	if (p == (void *)-1)
		return log_error_errno(-errno, "System V shared memory segment %u: cannot attach "
				       "it to write its bytes", s->id);
	if (s->len)
		memcpy(p, s->data, s->len);
	if (found)
		memset((uint8_t *)p + s->len, 0, s->size - s->len);
	shmdt(p);
	if (shmctl((int)s->id, IPC_STAT, &ds) < 0)
		return log_error_errno(-errno, "System V shared memory segment %u: IPC_STAT", s->id);
	ds.shm_perm.uid = s->uid;
	ds.shm_perm.gid = s->gid;
	ds.shm_perm.mode = s->mode;
	if (shmctl((int)s->id, IPC_SET, &ds) < 0)
		return log_error_errno(-errno, "System V shared memory segment %u: cannot give it "
				       "owner %u:%u and mode %#o", s->id, s->uid, s->gid, s->mode);
	if (shmctl((int)s->id, s->locked ? SHM_LOCK : SHM_UNLOCK, NULL) < 0)
		return log_error_errno(-errno, "System V shared memory segment %u: cannot %s it",
				       s->id, s->locked ? "lock (SHM_LOCK)" : "unlock");
	return 0;
}

/* The segment the restore finds at @s's id: 1 when it is @s's own (it
 * outlived the processes), else refused with what holds the id. */
static int found_segment(const struct shm_segment *s, const struct shmid_ds *ds)
{
	if ((uint32_t)ds->shm_perm.__key == s->key && !s->removed &&
	    !(ds->shm_perm.mode & SHM_DEST) && ds->shm_segsz == s->size &&
	    ds->shm_perm.cuid == s->cuid && ds->shm_perm.cgid == s->cgid && ds->shm_nattch == 0)
		return 1;
	return log_error_errno(-EEXIST, "System V shared memory segment %u (key %#x, %llu bytes): "
			       "its id is taken on this system by a segment of key %#x, %llu "
			       "bytes, creator %u:%u, attached %lu times: remove that one (ipcrm "
			       "-m %u) to restore", s->id, s->key, (unsigned long long)s->size,
			       (unsigned)ds->shm_perm.__key, (unsigned long long)ds->shm_segsz,
			       ds->shm_perm.cuid, ds->shm_perm.cgid,
			       (unsigned long)ds->shm_nattch, s->id);
}

static int make_segment(struct rst *r, const struct shm_segment *s)
{
	struct made_segments *m = rst_kind_state(r, &kind_sysv_shm, sizeof(*m));
	struct shmid_ds ds;
	int id, e;

	if (!m)
		return -ENOMEM;
	if (shmctl((int)s->id, IPC_STAT, &ds) == 0) {
		e = found_segment(s, &ds);
		return e < 0 ? e : fill_segment(s, true);
	}
	if (s->key != IPC_PRIVATE && (id = shmget((key_t)s->key, 0, 0)) >= 0)
		return log_error_errno(-EEXIST, "System V shared memory segment %u: its key %#x "
				       "is taken on this system by segment %d: remove that one "
				       "(ipcrm -m %d) to restore", s->id, s->key, id, id);
	e = sysv_next_id(SYSV_SHM, s->id);
	if (e < 0)
		return log_error_errno(e, "System V shared memory segment %u: cannot choose its id "
				       "(%s: a kernel with CONFIG_CHECKPOINT_RESTORE, and "
				       "CAP_CHECKPOINT_RESTORE, are needed)", s->id,
				       sysv_next_id_path(SYSV_SHM));
	id = sysv_create_as(SYSV_SHM, s->key, s->size, s->cuid, s->cgid);
	if (id < 0) {
		sysv_next_id(SYSV_SHM, -1);
		return log_error_errno(id, "System V shared memory segment %u (key %#x, %llu "
				       "bytes): cannot make it again as its creator %u:%u", s->id,
				       s->key, (unsigned long long)s->size, s->cuid, s->cgid);
	}
	if ((uint32_t)id != s->id) {
		shmctl(id, IPC_RMID, NULL);
		return log_error_errno(-EEXIST, "System V shared memory segment %u: the kernel "
				       "gave it id %d (its place is taken on this system): not "
				       "restored under another id", s->id, id);
	}
	if (!ST_PUSH(m->ids, m->n)) {
		shmctl(id, IPC_RMID, NULL);
		return -ENOMEM;
	}
	m->ids[m->n - 1] = s->id;
	return fill_segment(s, false);
}

static int sysv_shm_restore_begin(struct rst *r)
{
	const struct sysv_shm_image *si = kind_image_data_if(&r->img, &kind_sysv_shm);
	int e = 0;

	for (size_t i = 0; si && i < si->n && e == 0; i++)
		e = make_segment(r, &si->segs[i]);
	return e;
}

/* Every process has attached its segments (restore_mm.c): IPC_RMID again. */
static int sysv_shm_restore_finish(struct rst *r)
{
	const struct sysv_shm_image *si = kind_image_data_if(&r->img, &kind_sysv_shm);

	for (size_t i = 0; si && i < si->n; i++)
		if (si->segs[i].removed && shmctl((int)si->segs[i].id, IPC_RMID, NULL) < 0)
			return log_error_errno(-errno, "System V shared memory segment %u: cannot "
					       "mark it removed (IPC_RMID)", si->segs[i].id);
	return 0;
}

static int verify_segment(struct rst *r, struct rproc *rp, const struct shm_segment *s)
{
	struct shmid_ds ds;
	size_t want = areas_of(&r->img, s->id);
	uint32_t mode;

	if (shmctl((int)s->id, IPC_STAT, &ds) < 0)
		return verify_differs(rp, "System V shared memory segment %u: %s", s->id,
				      strerror(errno));
	mode = ds.shm_perm.mode;
	if ((mode & 0777) != s->mode || !(mode & SHM_DEST) != !s->removed ||
	    !(mode & SHM_LOCKED) != !s->locked || ds.shm_segsz != s->size ||
	    ds.shm_perm.uid != s->uid || ds.shm_perm.gid != s->gid ||
	    ds.shm_perm.cuid != s->cuid || ds.shm_perm.cgid != s->cgid ||
	    (!s->removed && (uint32_t)ds.shm_perm.__key != s->key) || ds.shm_nattch != want)
		return verify_differs(rp, "System V shared memory segment %u: key %#x, mode %#o, "
				      "%llu bytes, owner %u:%u, creator %u:%u, attached %lu times, "
				      "not key %#x, mode %#o%s%s, %llu bytes, owner %u:%u, creator "
				      "%u:%u, attached %zu times", s->id,
				      (unsigned)ds.shm_perm.__key, mode, (unsigned long long)ds.shm_segsz,
				      ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid,
				      ds.shm_perm.cgid, (unsigned long)ds.shm_nattch, s->key,
				      s->mode, s->removed ? " removed" : "",
				      s->locked ? " locked" : "", (unsigned long long)s->size,
				      s->uid, s->gid, s->cuid, s->cgid, want);
	return 0;
}

/* Each attachment maps its segment (the inode maps shows is the shmid),
 * and each segment it maps is as the image has it. */
static int sysv_shm_verify_process(struct rst *r, struct rproc *rp)
{
	const struct sysv_shm_image *si = kind_image_data_if(&r->img, &kind_sysv_shm);
	struct proc_map *maps = NULL;
	size_t n = 0;
	int e = 0;

	if (!si || !rp->mm)
		return 0;
	for (size_t i = 0; i < rp->mm->nareas && e == 0; i++) {
		const struct st_area *a = &rp->mm->areas[i];
		const struct shm_segment *s = find_segment(si, a->shmid);
		bool mapped = false;

		if (a->kind != ST_AREA_SYSV || !s)
			continue;
		if (!maps && (e = proc_read_maps(rp->pid, &maps, &n)) < 0)
			return log_error_errno(e, "pid %d: cannot read its memory map", rp->pid);
		for (size_t k = 0; k < n && !mapped; k++)
			mapped = maps[k].start == a->start && maps[k].ino == a->shmid;
		e = mapped ? verify_segment(r, rp, s)
			   : verify_differs(rp, "area %#llx: not an attachment of System V shared "
					    "memory segment %u", (unsigned long long)a->start,
					    a->shmid);
	}
	proc_maps_free(maps, n);
	return e;
}

static void sysv_shm_restore_failed(struct rst *r)
{
	struct made_segments *m = rst_kind_state(r, &kind_sysv_shm, 0);

	for (size_t i = 0; m && i < m->n; i++)
		if (shmctl((int)m->ids[i], IPC_RMID, NULL) < 0 && errno != EINVAL &&
		    errno != EIDRM)
			log_warning("cannot remove the System V shared memory segment %u this "
				    "restore made: %s", m->ids[i], strerror(errno));
}

static void sysv_shm_restore_end(struct rst *r)
{
	struct made_segments *m = rst_kind_state(r, &kind_sysv_shm, 0);

	if (!m)
		return;
	free(m->ids);
	m->ids = NULL;
	m->n = 0;
}

const struct kind kind_sysv_shm = {
	.name = "sysv-shm",
	.dump_check = sysv_shm_dump_check,
	.image_size = sizeof(struct sysv_shm_image),
	.image_fields = sysv_shm_image_fields,
	.image_check = sysv_shm_image_check,
	.restore_begin = sysv_shm_restore_begin,
	.restore_finish = sysv_shm_restore_finish,
	.verify_process = sysv_shm_verify_process,
	.restore_failed = sysv_shm_restore_failed,
	.restore_end = sysv_shm_restore_end,
};
