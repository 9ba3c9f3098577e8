/* SPDX-License-Identifier: MIT */
/*
 * The in-memory form of a checkpoint: what checkpoint/ captures, what
 * meta_write() turns into the metadata FDT, what meta_read() gives back to
 * restore/. Plain data, owned by struct st_image; st_image_free() frees all.
 */
#ifndef FERRY_GLUE_STATE_H
#define FERRY_GLUE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kind;

/* What kinds (kinds/kind.h) keep with an object, one slot per kind. */
struct st_kind_slot {
	const struct kind *kind;
	void *data;
};

struct st_kind_data {
	struct st_kind_slot *v;
	size_t n;
};

#define ST_NSIG 64
#define ST_NRLIMITS 16

enum st_area_kind {
	ST_AREA_ANON,   /* private anonymous */
	ST_AREA_SHMEM,  /* shared anonymous (or /dev/zero) */
	ST_AREA_FILE,   /* backed by a file */
	ST_AREA_HEAP,   /* [heap] */
	ST_AREA_STACK,  /* [stack] */
	ST_AREA_VDSO,   /* [vdso] */
	ST_AREA_VVAR,   /* [vvar], [vvar_vclock] */
	ST_AREA_VSYSCALL,
	ST_AREA_SYSV,   /* System V shared memory: part of an attachment (kinds/sysv_shm.c) */
};

struct st_area {
	uint64_t start, end;
	uint64_t pgoff;  /* bytes */
	uint32_t prot;   /* PROT_* */
	uint32_t flags;  /* MAP_SHARED or MAP_PRIVATE, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE */
	enum st_area_kind kind;
	char *path;      /* file areas */
	char *name;      /* special areas: "[vdso]", "[vvar_vclock]", ... */
	uint32_t file_id; /* backing file whose contents the image carries, or 0 */
	uint32_t advice;  /* bit N: madvise(N) applies (MADV_DONTFORK, MADV_HUGEPAGE, ...) */
	uint32_t object;  /* shmem: the shared memory object it maps (areas with the same
			   * id, in any process, map one object), or 0 */
	uint32_t shmid;   /* sysv: the segment it maps, at byte pgoff of it */
	bool shm_rdonly;  /* sysv: attached with SHM_RDONLY */
};

/* An entry point of a vDSO: offset from the start of its image. */
struct st_vdso_sym {
	char *name;
	uint64_t offset, size;
};

/* Fields set through prctl(PR_SET_MM_MAP). */
struct st_mm_layout {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
};

struct st_mm {
	uint32_t id;
	char *exe;
	struct st_mm_layout layout;
	uint8_t *auxv;
	size_t auxv_len;
	struct st_area *areas;
	size_t nareas;
	uint8_t *vdso;   /* the vDSO's image at the checkpoint, for comparison */
	size_t vdso_len;
	struct st_vdso_sym *vdso_syms;
	size_t nvdso_syms;
};

struct st_thread {
	pid_t tid;
	uint64_t sigmask;
	uint8_t *regs;   /* struct user_regs_struct (NT_PRSTATUS) */
	size_t regs_len;
	uint8_t *xsave;  /* NT_X86_XSTATE */
	size_t xsave_len;
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t robust_list, robust_len;
	char comm[17];
	uint64_t altstack_sp, altstack_size; /* sigaltstack; size 0: none */
	uint32_t altstack_flags;
	uint64_t clear_child_tid;            /* set_tid_address(), 0: none */
	uint32_t pdeathsig;
	uint32_t securebits;                 /* PR_GET_SECUREBITS */
	uint8_t *sigpending;                 /* ST_SIGINFO_SIZE bytes per signal */
	size_t nsigpending;
};

#define ST_SIGINFO_SIZE 128

/* Capability sets, one bit per capability. */
struct st_caps {
	uint64_t effective, permitted, inheritable, bounding, ambient;
};

/* One open file description (fds that share it refer to the same id). */
struct st_file {
	uint32_t id;
	const struct kind *kind; /* what it is: its type, its dump and restore (kinds/kind.h) */
	char *path;
	uint32_t flags;  /* open(2) flags from fdinfo */
	uint64_t pos;
	void *kind_data; /* the kind's part of the record (kind->file_size bytes) */
};

struct st_fd {
	int num;
	uint32_t file_id;
	bool cloexec;
};

struct st_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct st_process {
	pid_t pid, ppid, pgid, sid;
	char comm[17];
	char *exe;       /* path of the executable (the image's address space has it too) */
	char *cwd, *root;
	uint32_t umask;
	uint32_t personality;
	uint32_t uids[4], gids[4]; /* real, effective, saved, filesystem */
	uint32_t *groups;
	size_t ngroups;
	uint64_t rlimits[ST_NRLIMITS][2];
	struct st_sigaction sigactions[ST_NSIG]; /* [0] is signal 1 */
	uint8_t *sigpending_shared;              /* ST_SIGINFO_SIZE bytes per signal */
	size_t nsigpending_shared;
	bool have_caps;
	struct st_caps caps;
	bool no_new_privs;
	uint32_t mm_id;
	struct st_thread *threads;
	size_t nthreads;
	struct st_fd *fds;
	size_t nfds;
	struct st_kind_data kinds; /* the kinds' process_fields */
};

struct st_image {
	uint64_t clock_monotonic_ns, clock_boottime_ns;
	char *hostname;
	bool network_lock; /* the checkpointing kernel keeps the lock of its TCP connections */
	struct st_process *procs;
	size_t nprocs;
	struct st_mm *mms;
	size_t nmms;
	struct st_file *files;
	size_t nfiles;
	struct st_kind_data kinds; /* the kinds' image_fields */
};

/* Append a zeroed element to a dynamic array; NULL when out of memory. */
void *st_push(void *arr_ptr, size_t *n, size_t elem_size);
#define ST_PUSH(arr, n) ((__typeof__(arr))st_push(&(arr), &(n), sizeof(*(arr))))

struct st_mm *st_find_mm(struct st_image *img, uint32_t id);
struct st_file *st_find_file(struct st_image *img, uint32_t id);
struct st_process *st_find_process(struct st_image *img, pid_t pid);

/* What @f is: its kind's name ("regular", "socket"...). */
const char *st_file_what(const struct st_file *f);

/* The slot of kind @k in @d, its data allocated (zeroed, @size bytes) on
 * first use when @size is not 0; NULL when there is none or no memory. */
void *st_kind_data(struct st_kind_data *d, const struct kind *k, size_t size);
/* Free every slot's data (plain memory: its owner released what is in it). */
void st_kind_data_free(struct st_kind_data *d);

/* Free all of @img, through the field tables of its nodes (meta.c). */
void st_image_free(struct st_image *img);

#endif
