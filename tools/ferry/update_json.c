/* SPDX-License-Identifier: MIT */
#include "update_json.h"

static const char *outcome_key(int32_t outcome)
{
	switch (outcome) {
	case FERRY_UPDATE_NONE: return "none";
	case FERRY_UPDATE_WRITING: return "writing";
	case FERRY_UPDATE_SEALED: return "sealed";
	case FERRY_UPDATE_RESTORING: return "restoring";
	case FERRY_UPDATE_RESTORED: return "restored";
	case FERRY_UPDATE_FAILED: return "failed";
	case FERRY_UPDATE_REFUSED: return "refused";
	}
	return "unknown";
}

static void stamp(struct json_writer *j, const char *key, const struct ferry_stamp *s)
{
	if (s->realtime_ns)
		json_u64(j, key, s->realtime_ns / 1000);
	else
		json_null(j, key);
}

static void ms(struct json_writer *j, const char *key, double v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_double(j, key, v);
}

static void string_or_null(struct json_writer *j, const char *key, const char *s)
{
	json_string(j, key, s[0] ? s : NULL);
}

void update_record_json(struct json_writer *j, const char *key,
			const struct ferry_update_record *rec)
{
	struct ferry_update_phases ph;

	ferry_update_phases(rec, &ph);
	json_object_begin(j, key);
	json_string(j, "outcome", outcome_key(rec->outcome));
	json_bool(j, "past_point_of_no_return", ferry_update_past_no_return(rec));
	json_u64(j, "pid", rec->pid);
	json_u64(j, "processes_restored", rec->nprocs);
	json_object_begin(j, "kernels");
	string_or_null(j, "old", rec->old_kernel);
	string_or_null(j, "new", rec->new_kernel);
	json_object_end(j);
	json_u64(j, "image_bytes", rec->image_bytes);
	json_u64(j, "resident_bytes", rec->resident_bytes);
	json_u64(j, "generation", rec->generation);
	json_u64(j, "error", rec->error > 0 ? (uint64_t)rec->error : 0);
	string_or_null(j, "reason", rec->reason);
	if (rec->precopy_rounds) {
		json_object_begin(j, "pre_copy");
		json_u64(j, "rounds", rec->precopy_rounds);
		json_u64(j, "pages_before_freeze", rec->precopy_pages_before);
		json_u64(j, "pages_during_freeze", rec->precopy_pages_frozen);
		json_object_end(j);
	} else {
		json_null(j, "pre_copy");
	}
	json_u64(j, "restores_tried", rec->restore_attempts);
	json_u64(j, "restore_resets", rec->restore_resets);
	json_object_begin(j, "watchdog");
	json_bool(j, "armed", rec->watchdog & FERRY_WATCHDOG_ARMED);
	json_u64(j, "timeout_s", rec->watchdog_s);
	json_bool(j, "fired", rec->watchdog & FERRY_WATCHDOG_FIRED);
	json_bool(j, "rearmed_by_init", rec->watchdog & FERRY_WATCHDOG_TAKEN);
	json_bool(j, "stopped", rec->watchdog & FERRY_WATCHDOG_STOPPED);
	json_bool(j, "device_absent", rec->watchdog & FERRY_WATCHDOG_ABSENT);
	json_bool(j, "failed", rec->watchdog & FERRY_WATCHDOG_FAILED);
	json_object_end(j);
	json_object_begin(j, "stamps_us");
	stamp(j, "start", &rec->start);
	stamp(j, "freeze", &rec->freeze);
	stamp(j, "write", &rec->write);
	stamp(j, "sealed", &rec->sealed);
	stamp(j, "kexec", &rec->kexec);
	stamp(j, "init", &rec->init);
	stamp(j, "resumed", &rec->resumed);
	json_object_end(j);
	json_object_begin(j, "phases_ms");
	ms(j, "freeze", ph.freeze_ms);
	ms(j, "write", ph.write_ms);
	ms(j, "sync_kexec", ph.kexec_ms);
	ms(j, "kernel_switch", ph.switch_ms);
	ms(j, "restore", ph.restore_ms);
	ms(j, "downtime", ph.total_ms);
	json_bool(j, "switch_by_tsc", ph.switch_by_tsc);
	json_object_end(j);
	json_object_end(j);
}
