/* SPDX-License-Identifier: MIT */
/* The update record in the region's header page: stamps, phases, outcome. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ferry-glue/update.h"
#include "region.h"

_Static_assert(FERRY_UPDATE_RECORD_OFFSET >= sizeof(struct ferry_region_header),
	       "the record follows the region header");
_Static_assert(FERRY_UPDATE_RECORD_OFFSET + FERRY_UPDATE_RECORD_MAX <= FERRY_REGION_HEADER_AREA,
	       "the record fits in the header page");
_Static_assert(sizeof(struct ferry_update_record) <= FERRY_UPDATE_RECORD_MAX,
	       "the record has room");
_Static_assert(offsetof(struct ferry_update_record, crc) + 4 == FERRY_UPDATE_RECORD_V1_SIZE,
	       "version 1 ends with its CRC");

static uint64_t read_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

void ferry_stamp_now(struct ferry_stamp *ret)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ret->tsc = read_tsc();
	ret->realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The CRC of the @size bytes of a record at @raw, its own 4 left out. */
static uint32_t record_crc(const void *raw, size_t size)
{
	const size_t at = offsetof(struct ferry_update_record, crc);
	uLong c = crc32(0, (const Bytef *)raw, at);

	return (uint32_t)crc32(c, (const Bytef *)raw + at + 4, (uInt)(size - at - 4));
}

int ferry_update_record_load(const struct ferry_region *r, struct ferry_update_record *ret)
{
	if (!r->base || r->size < FERRY_REGION_HEADER_AREA)
		return -EBADF;
	return ferry_update_record_read(r->base + FERRY_UPDATE_RECORD_OFFSET,
					FERRY_UPDATE_RECORD_MAX, ret, NULL);
}

bool ferry_update_past_no_return(const struct ferry_update_record *rec)
{
	return rec->kexec.realtime_ns != 0;
}

int ferry_update_record_read(const void *raw, size_t avail, struct ferry_update_record *ret,
			     size_t *ret_size)
{
	struct ferry_update_record head;
	uint32_t crc;

	memset(ret, 0, sizeof(*ret));
	if (ret_size)
		*ret_size = 0;
	if (avail < FERRY_UPDATE_RECORD_V1_SIZE)
		return -ENODATA;
	memcpy(&head, raw, offsetof(struct ferry_update_record, generation));
	if (head.magic != FERRY_UPDATE_RECORD_MAGIC)
		return -ENODATA;
	if (head.version < 1 || head.size < FERRY_UPDATE_RECORD_V1_SIZE ||
	    head.size > FERRY_UPDATE_RECORD_MAX || head.size > avail || head.size % 8 != 0)
		return -EBADMSG;
	if (ret_size)
		*ret_size = head.size; /* its header is whole: known even if its CRC is not */
	memcpy(&crc, (const uint8_t *)raw + offsetof(struct ferry_update_record, crc), sizeof(crc));
	if (crc != record_crc(raw, head.size))
		return -EBADMSG;
	memcpy(ret, raw, head.size < sizeof(*ret) ? head.size : sizeof(*ret));
	ret->reason[sizeof(ret->reason) - 1] = 0;
	ret->old_kernel[sizeof(ret->old_kernel) - 1] = 0;
	ret->new_kernel[sizeof(ret->new_kernel) - 1] = 0;
	return 0;
}

void ferry_update_record_seal(struct ferry_update_record *rec)
{
	rec->magic = FERRY_UPDATE_RECORD_MAGIC;
	rec->version = FERRY_UPDATE_RECORD_VERSION;
	rec->size = sizeof(*rec);
	rec->precopy_reserved = 0;
	rec->crc = record_crc(rec, sizeof(*rec));
}

void ferry_update_record_store(struct ferry_region *r, struct ferry_update_record *rec)
{
	ferry_update_record_seal(rec);
	memcpy(r->base + FERRY_UPDATE_RECORD_OFFSET, rec, sizeof(*rec));
	ferry_region_flush(r, FERRY_UPDATE_RECORD_OFFSET, sizeof(*rec));
}

static double diff_ms(const struct ferry_stamp *a, const struct ferry_stamp *b)
{
	if (!a->realtime_ns || !b->realtime_ns)
		return -1;
	return ((double)b->realtime_ns - (double)a->realtime_ns) / 1e6;
}

/*
 * Across the kexec the realtime clock of the new kernel comes from the RTC
 * (whole seconds), but the TSC keeps counting: no CPU reset happens. Its
 * rate comes from the old kernel, over `start` to `kexec`. The TSC result
 * is used when it is plausible (within 1.5 s of the realtime one).
 */
static double switch_ms(const struct ferry_update_record *rec, bool *ret_tsc)
{
	double rt = diff_ms(&rec->kexec, &rec->init), ns, ticks, ms;

	*ret_tsc = false;
	if (!rec->start.tsc || !rec->kexec.tsc || !rec->init.tsc || rec->init.tsc <= rec->kexec.tsc)
		return rt;
	ns = (double)rec->kexec.realtime_ns - (double)rec->start.realtime_ns;
	ticks = (double)rec->kexec.tsc - (double)rec->start.tsc;
	if (ns < 1e6 || ticks <= 0)
		return rt;
	ms = ((double)rec->init.tsc - (double)rec->kexec.tsc) * ns / ticks / 1e6;
	if (rt >= 0 && (ms - rt > 1500 || rt - ms > 1500))
		return rt;
	*ret_tsc = true;
	return ms;
}

uint64_t ferry_update_realtime_at(const struct ferry_update_record *rec,
				  const struct ferry_stamp *now)
{
	struct ferry_update_record r = *rec;
	bool tsc;
	double ms;

	r.init = *now;
	ms = switch_ms(&r, &tsc);
	if (!tsc || ms < 0)
		return 0;
	return rec->kexec.realtime_ns + (uint64_t)(ms * 1e6);
}

void ferry_update_phases(const struct ferry_update_record *rec, struct ferry_update_phases *ret)
{
	ret->freeze_ms = diff_ms(&rec->freeze, &rec->write);
	ret->write_ms = diff_ms(&rec->write, &rec->sealed);
	ret->kexec_ms = diff_ms(&rec->sealed, &rec->kexec);
	ret->switch_ms = switch_ms(rec, &ret->switch_by_tsc);
	ret->restore_ms = diff_ms(&rec->init, &rec->resumed);
	ret->total_ms = -1;
	if (ret->switch_ms >= 0 && ret->restore_ms >= 0 && rec->freeze.realtime_ns &&
	    rec->kexec.realtime_ns)
		ret->total_ms = diff_ms(&rec->freeze, &rec->kexec) + ret->switch_ms +
				ret->restore_ms;
}

const char *ferry_update_outcome_name(int32_t outcome)
{
	switch (outcome) {
	case FERRY_UPDATE_NONE: return "none";
	case FERRY_UPDATE_WRITING: return "writing";
	case FERRY_UPDATE_SEALED: return "sealed, kexec issued";
	case FERRY_UPDATE_RESTORING: return "interrupted during restore";
	case FERRY_UPDATE_RESTORED: return "restored";
	case FERRY_UPDATE_FAILED: return "failed";
	case FERRY_UPDATE_REFUSED: return "refused";
	}
	return "unknown";
}
