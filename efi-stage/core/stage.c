// SPDX-License-Identifier: MIT
/*
 * The stage core: region header -> verify -> expand -> handoff -> state.
 * See stage.h. No EFI, no libc beyond the freestanding few.
 */
#include <string.h>

#include "ferry/region_header.h"
#include "stage.h"

const char *ferry_stage_status_name(int status)
{
	switch (status) {
	case FERRY_STAGE_UNFORMATTED: return "unformatted";
	case FERRY_STAGE_NOTHING: return "nothing";
	case FERRY_STAGE_EXPANDED: return "expanded";
	case FERRY_STAGE_COMPRESSED: return "compressed";
	case FERRY_STAGE_RETRY: return "retry";
	case FERRY_STAGE_BAD: return "bad";
	default: return "unknown";
	}
}

static void say(const struct ferry_stage_env *env, const char *msg)
{
	if (env && env->log)
		env->log(env->ctx, msg);
}

static uint64_t now(const struct ferry_stage_env *env)
{
	return env && env->now_ns ? env->now_ns(env->ctx) : 0;
}

static void flush(const struct ferry_stage_env *env, void *addr, size_t len)
{
	if (env && env->flush)
		env->flush(env->ctx, addr, len);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	while (src && n + 1 < cap && src[n]) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

/* "what: code text" into the handoff reason, bounded. */
static void set_reason(struct ferry_stage *st, const char *what, const struct ferry_diag *diag)
{
	char *r = st->handoff.reason;
	size_t cap = sizeof(st->handoff.reason), n;

	copy_str(r, cap, what);
	if (!diag || !diag->code)
		return;
	n = strlen(r);
	copy_str(r + n, cap - n, ": ");
	n = strlen(r);
	copy_str(r + n, cap - n, ferry_strerror(diag->code));
	if (diag->what) {
		n = strlen(r);
		copy_str(r + n, cap - n, " (");
		n = strlen(r);
		copy_str(r + n, cap - n, diag->what);
		n = strlen(r);
		copy_str(r + n, cap - n, ")");
	}
}

static void write_handoff(struct ferry_stage *st, uint8_t *region, uint64_t off, uint64_t cap,
			  const struct ferry_stage_env *env)
{
	int r;

	if (cap > FERRY_REGION_HANDOFF_SIZE)
		cap = FERRY_REGION_HANDOFF_SIZE;
	r = ferry_handoff_write(region + off, (size_t)cap, &st->handoff);
	if (r > 0) {
		st->handoff_written = 1;
		st->handoff_offset = off;
		flush(env, region + off, (size_t)r);
	} else {
		say(env, "handoff: does not fit its area; not written");
	}
}

/* @h: the header as read; the new state goes in with the generation bumped */
static void set_state(uint8_t *region, struct ferry_region_header *h, uint32_t state,
		      const struct ferry_stage_env *env)
{
	h->state = state;
	h->generation++;
	ferry_region_header_encode(h, region);
	flush(env, region, FERRY_REGION_HEADER_SIZE);
}

/* Verify the image at @img_off (at most @img_len bytes) of the region. */
static int open_verified(struct ferry_stage *st, struct ferry_image *img, const uint8_t *base,
			 uint64_t len)
{
	int r;

	memset(&st->diag, 0, sizeof(st->diag));
	r = ferry_image_open(img, base, (size_t)len, 0, &st->diag);
	if (r == 0)
		r = ferry_image_verify(img, &st->diag);
	if (r < 0 && !st->diag.code)
		st->diag.code = r;
	return r;
}

/* Did an earlier boot hand this staged image over compressed already? */
static int handed_over_before(const uint8_t *region, const struct ferry_region_header *h,
			      uint64_t region_phys, uint64_t image_size)
{
	struct ferry_handoff old;

	if (ferry_handoff_read(region + h->handoff_offset, (size_t)h->handoff_size, &old) < 0)
		return 0;
	return old.image_state == FERRY_HANDOFF_IMAGE_COMPRESSED && old.verified &&
	       old.image_address == region_phys + h->staging_offset &&
	       old.image_size == image_size;
}

/*
 * Did an earlier boot expand this very image? The handoff it left names the
 * expanded area, and the image there carries the staged image's metadata
 * (which holds the moment of the freeze, so a stale expanded image of an
 * older update does not match). Then the update boot's restore failed and
 * ferry-init sealed the image again: it goes to the default entry now.
 */
static int expanded_before(const uint8_t *region, const struct ferry_region_header *h,
			   uint64_t region_phys, const struct ferry_image *staged)
{
	struct ferry_handoff old;
	struct ferry_image exp;

	if (ferry_handoff_read(region + h->handoff_offset, (size_t)h->handoff_size, &old) < 0)
		return 0;
	if (old.image_state != FERRY_HANDOFF_IMAGE_EXPANDED || !old.verified ||
	    old.image_address != region_phys + h->expanded_offset ||
	    old.image_size > h->expanded_size)
		return 0;
	if (ferry_image_open(&exp, region + h->expanded_offset, (size_t)old.image_size, 0, NULL) < 0)
		return 0;
	return exp.hdr.metadata_size == staged->hdr.metadata_size &&
	       !memcmp(exp.base + exp.hdr.metadata_offset, staged->base + staged->hdr.metadata_offset,
		       (size_t)staged->hdr.metadata_size);
}

int ferry_stage_run(struct ferry_stage *st, uint8_t *region, uint64_t region_size,
		    uint64_t region_phys, const struct ferry_stage_env *env)
{
	struct ferry_region_header h;
	struct ferry_diag rdiag = { .what = "unknown problem" };
	struct ferry_image img;
	uint64_t t0, t1, t2, exp_size;
	int r, status;

	memset(&st->handoff, 0, sizeof(st->handoff));
	memset(&st->diag, 0, sizeof(st->diag));
	memset(&st->stats, 0, sizeof(st->stats));
	st->handoff_written = 0;
	st->handoff_offset = 0;
	st->region_state_before = st->region_state_after = 0;

	st->handoff.region_base = region_phys;
	st->handoff.region_size = region_size;
	st->handoff.image_state = FERRY_HANDOFF_IMAGE_NONE;
	copy_str(st->handoff.stage, sizeof(st->handoff.stage), env && env->stage ? env->stage : "efi");
	copy_str(st->handoff.stage_version, sizeof(st->handoff.stage_version),
		 env ? env->stage_version : NULL);

	if (!region || region_size < FERRY_REGION_HEADER_AREA) {
		copy_str(st->handoff.reason, sizeof(st->handoff.reason), "no region");
		return FERRY_STAGE_UNFORMATTED;
	}
	r = ferry_region_header_decode(region, region_size, &h, &rdiag);
	if (r < 0) {
		set_reason(st, "region header", &rdiag);
		if (r == -FERRY_ERR_UNFORMATTED)
			return FERRY_STAGE_UNFORMATTED;
		/* a damaged control block: the handoff area is where it always is */
		if (region_size >= FERRY_REGION_CONTROL_SIZE)
			write_handoff(st, region, FERRY_REGION_HANDOFF_OFFSET,
				      FERRY_REGION_HANDOFF_SIZE, env);
		return FERRY_STAGE_BAD;
	}
	st->region_state_before = st->region_state_after = h.state;

	switch (h.state) {
	case FERRY_REGION_SEALED:
	case FERRY_REGION_EXPANDED:
		break;
	case FERRY_REGION_WRITING:
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "region state WRITING: the image was never committed");
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_BAD;
	case FERRY_REGION_EMPTY:
	case FERRY_REGION_CONSUMED:
	case FERRY_REGION_TEST:
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 h.state == FERRY_REGION_EMPTY ? "region empty: nothing to restore" :
			 h.state == FERRY_REGION_CONSUMED ? "region consumed: already restored once" :
			 "region holds a test pattern");
		return FERRY_STAGE_NOTHING;
	default:
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "region header: unknown state");
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_BAD;
	}

	t0 = now(env);
	if (h.state == FERRY_REGION_EXPANDED) {
		/* an earlier boot expanded it and the restore never marked it
		 * consumed: hand the expanded image over again */
		say(env, "region EXPANDED by an earlier boot: verifying the expanded image");
		r = open_verified(st, &img, region + h.expanded_offset, h.expanded_size);
		t1 = now(env);
		st->stats.verify_ns = t1 - t0;
		st->handoff.stage_time_ns = t1 - t0;
		if (r < 0) {
			set_reason(st, "expanded image", &st->diag);
			write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
			return FERRY_STAGE_BAD;
		}
		st->stats.expanded_bytes = img.hdr.image_size;
		st->stats.raw_bytes = img.hdr.page_bytes_raw;
		st->stats.chunks = img.hdr.chunk_count;
		st->handoff.image_state = FERRY_HANDOFF_IMAGE_EXPANDED;
		st->handoff.verified = 1;
		st->handoff.image_address = region_phys + h.expanded_offset;
		st->handoff.image_size = img.hdr.image_size;
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "expanded by an earlier boot whose restore did not complete");
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_RETRY;
	}

	say(env, "region SEALED: verifying the staged image");
	r = open_verified(st, &img, region + h.staging_offset,
			  h.image_size ? h.image_size : h.staging_size);
	t1 = now(env);
	st->stats.verify_ns = t1 - t0;
	if (r < 0) {
		st->handoff.stage_time_ns = t1 - t0;
		set_reason(st, "staged image", &st->diag);
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_BAD;
	}
	st->stats.staged_bytes = img.hdr.image_size;
	st->stats.raw_bytes = img.hdr.page_bytes_raw;
	st->stats.chunks = img.hdr.chunk_count;
	st->handoff.verified = 1;
	st->handoff.image_state = FERRY_HANDOFF_IMAGE_COMPRESSED;
	st->handoff.image_address = region_phys + h.staging_offset;
	st->handoff.image_size = img.hdr.image_size;

	status = FERRY_STAGE_COMPRESSED;
	if (handed_over_before(region, &h, region_phys, img.hdr.image_size)) {
		/* the region stays SEALED when the compressed image is handed
		 * over; the handoff an earlier boot left says it was */
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "handed over compressed by an earlier boot whose restore did not complete");
		st->handoff.stage_time_ns = t1 - t0;
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_RETRY;
	}
	if (expanded_before(region, &h, region_phys, &img)) {
		/* hand over the staged image (verified above); the region stays
		 * SEALED, so ferry-init reads staging */
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "expanded by an earlier boot whose restore failed");
		st->handoff.stage_time_ns = t1 - t0;
		write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
		return FERRY_STAGE_RETRY;
	}
	r = ferry_expand_size(&img, &exp_size, &st->diag);
	if (env && env->no_expand) {
		copy_str(st->handoff.reason, sizeof(st->handoff.reason), "");
	} else if (r < 0 || exp_size > h.expanded_size) {
		/* ferry-init inflates it; the reason says why the stage did not */
		copy_str(st->handoff.reason, sizeof(st->handoff.reason),
			 "expanded image does not fit the expanded area; handing over the compressed image");
		say(env, st->handoff.reason);
	} else {
		say(env, "image verified: inflating into the expanded area");
		r = ferry_inflater_init(&st->inflater);
		if (r == 0) {
			r = ferry_expand_image(&img, &st->inflater, region + h.expanded_offset,
					       h.expanded_size, &exp_size, &st->diag);
			ferry_inflater_fini(&st->inflater);
		}
		if (r < 0) {
			/* the compressed image is verified; ferry-init can still
			 * inflate it (and will report the same chunk if it is bad) */
			set_reason(st, "inflating failed; handing over the compressed image",
				   &st->diag);
			say(env, st->handoff.reason);
		} else {
			flush(env, region + h.expanded_offset, (size_t)exp_size);
			st->stats.expanded_bytes = exp_size;
			st->handoff.image_state = FERRY_HANDOFF_IMAGE_EXPANDED;
			st->handoff.image_address = region_phys + h.expanded_offset;
			st->handoff.image_size = exp_size;
			status = FERRY_STAGE_EXPANDED;
		}
	}
	t2 = now(env);
	st->stats.inflate_ns = t2 - t1;
	st->handoff.stage_time_ns = t2 - t0;
	write_handoff(st, region, h.handoff_offset, h.handoff_size, env);
	if (status == FERRY_STAGE_EXPANDED) {
		set_state(region, &h, FERRY_REGION_EXPANDED, env);
		st->region_state_after = FERRY_REGION_EXPANDED;
	}
	return status;
}
