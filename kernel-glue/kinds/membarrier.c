/* SPDX-License-Identifier: MIT */
/*
 * The membarrier() registrations of a process's memory
 * (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, _PRIVATE_EXPEDITED,
 * _PRIVATE_EXPEDITED_SYNC_CORE, _PRIVATE_EXPEDITED_RSEQ). No file of /proc
 * shows them: the frozen leader is asked with
 * MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3 and later). An older kernel
 * has no such question: there each private registration is found by
 * issuing its barrier, which only a registered process may (a barrier
 * among threads that are all stopped changes nothing), and a registration
 * for global expedited barriers cannot be seen at all; the checkpoint
 * says so. A registration ferry does not know is refused. Registered
 * again from inside the stub, as soon as it exists; no privilege is
 * needed, only a kernel that has the command.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define MB_GLOBAL_EXPEDITED (1u << 1)
#define MB_REGISTER_GLOBAL_EXPEDITED (1u << 2)
#define MB_PRIVATE_EXPEDITED (1u << 3)
#define MB_REGISTER_PRIVATE_EXPEDITED (1u << 4)
#define MB_PRIVATE_EXPEDITED_SYNC_CORE (1u << 5)
#define MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1u << 6)
#define MB_PRIVATE_EXPEDITED_RSEQ (1u << 7)
#define MB_REGISTER_PRIVATE_EXPEDITED_RSEQ (1u << 8)
#define MB_GET_REGISTRATIONS (1u << 9)

#define MB_KNOWN                                                                       \
	(MB_REGISTER_GLOBAL_EXPEDITED | MB_REGISTER_PRIVATE_EXPEDITED |                \
	 MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MB_REGISTER_PRIVATE_EXPEDITED_RSEQ)

struct membarrier_process {
	uint32_t registrations; /* MEMBARRIER_CMD_REGISTER_* bits */
};

static const struct meta_field membarrier_process_fields[] = {
	META_U32(FM_P_MEMBARRIER, struct membarrier_process, registrations, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_membarrier;

static const char *registration_name(uint32_t bit)
{
	switch (bit) {
	case MB_REGISTER_GLOBAL_EXPEDITED:
		return "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED";
	case MB_REGISTER_PRIVATE_EXPEDITED:
		return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED";
	case MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE";
	case MB_REGISTER_PRIVATE_EXPEDITED_RSEQ:
		return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ";
	default:
		return "an unknown registration";
	}
}

/* ---- checkpoint ---- */

struct membarrier_ckpt {
	bool said_global_unseen;
};

/* A kernel without GET_REGISTRATIONS: each private barrier the process
 * may issue is a registration it made. */
static int ask_by_barriers(struct borrow *b, uint32_t *ret)
{
	static const uint32_t barriers[] = { MB_PRIVATE_EXPEDITED, MB_PRIVATE_EXPEDITED_SYNC_CORE,
					     MB_PRIVATE_EXPEDITED_RSEQ };

	*ret = 0;
	for (size_t i = 0; i < sizeof(barriers) / sizeof(barriers[0]); i++) {
		long res = BORROW(b, SYS_membarrier, barriers[i], 0, 0);

		if (res == 0)
			*ret |= barriers[i] << 1; /* its REGISTER command */
		else if (res != -EPERM && res != -EINVAL && res != -ENOSYS)
			return (int)res;
	}
	return 0;
}

static int membarrier_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct membarrier_ckpt *s = ckpt_kind_state(c, &kind_membarrier, sizeof(*s));
	struct membarrier_process *mp = kind_process_data(p, &kind_membarrier);
	uint32_t mask = 0;
	bool by_barriers = false;
	struct borrow b;
	long res;
	int r;

	if (!s || !mp)
		return -ENOMEM;
	r = borrow_leader(c, pid, &b);
	if (r < 0)
		return r;
	res = BORROW(&b, SYS_membarrier, MB_GET_REGISTRATIONS, 0, 0);
	if (res >= 0) {
		mask = res;
	} else if (res == -EINVAL || res == -ENOSYS) {
		by_barriers = true;
		r = ask_by_barriers(&b, &mask);
	} else {
		r = (int)res;
	}
	if (borrow_end(&b) < 0 && r == 0)
		r = -EIO;
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot ask for its membarrier registrations", pid);
	if (by_barriers && !s->said_global_unseen) {
		log_warning("this kernel cannot show a registration for global expedited "
			  "membarriers (MEMBARRIER_CMD_GET_REGISTRATIONS came with Linux 6.3): a "
			  "process of the checkpoint that made one would not have it again");
		s->said_global_unseen = true;
	}
	for (uint32_t bit = 1; bit; bit <<= 1)
		if ((mask & bit) && !(bit & MB_KNOWN))
			ckpt_unsupported(c, "pid %d: its membarrier registration %#x (%s) is not "
					 "supported", pid, bit, registration_name(bit));
	mp->registrations = mask & MB_KNOWN;
	return 0;
}

/* ---- restore ---- */

static int membarrier_process_created(struct rst *r, struct rproc *rp)
{
	const struct membarrier_process *mp = kind_process_data_if(rp->p, &kind_membarrier);
	long res;

	(void)r;
	if (!mp || !mp->registrations)
		return 0;
	for (uint32_t bit = 1; bit; bit <<= 1) {
		if (!(mp->registrations & bit))
			continue;
		res = INJECT(&rp->in, SYS_membarrier, bit, 0, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot register for membarriers again (%s)",
					rp->pid, registration_name(bit));
	}
	res = INJECT(&rp->in, SYS_membarrier, MB_GET_REGISTRATIONS, 0, 0);
	if (res >= 0 && ((uint32_t)res & MB_KNOWN) != mp->registrations)
		return log_error_errno(-EINVAL, "pid %d: its membarrier registrations are %#lx, not %#x",
				rp->pid, res, mp->registrations);
	return 0;
}

const struct kind kind_membarrier = {
	.name = "membarrier",
	.dump_process = membarrier_dump_process,
	.process_size = sizeof(struct membarrier_process),
	.process_fields = membarrier_process_fields,
	.process_created = membarrier_process_created,
};
