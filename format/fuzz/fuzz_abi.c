/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the texts and the header the boot stage and the kernel
 * side share: the input is read as a kernel command line, as SIZE@ADDR, as
 * ferry.conf and as a region's header page. Beyond "no crash", it checks
 * what the code promises and traps when a promise breaks:
 *   - every parameter and value lies inside the line; a line rebuilt from
 *     its own words (and with a parameter added) reads as the original;
 *   - SIZE@ADDR that parses is aligned and does not wrap, and its written
 *     form parses to the same values;
 *   - ferry.conf's lines add up to the text; every value fits its key;
 *   - a region header that decodes passes its checks and encodes to the
 *     same bytes.
 * Seeds in format/fuzz/abi-corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/cmdline.h"
#include "ferry/conf.h"
#include "ferry/region_header.h"
#include "ferry/size_addr.h"
#include "fuzz_expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define LINE_MAX_FUZZ 4096

static int inside(const char *p, size_t n, const char *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

/* the readings of a line, for comparing two lines: names, values, init words */
static size_t reading(const char *line, size_t len, char *out, size_t cap)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;
	const char *init;
	size_t n = 0, ilen;

#define PUT(s, l)                                       \
	do {                                            \
		size_t l_ = (l);                        \
		if (n + l_ + 1 > cap)                   \
			return (size_t)-1;              \
		memcpy(out + n, (s), l_);               \
		n += l_;                                \
		out[n++] = '\1';                        \
	} while (0)

	ferry_cmdline_cursor_init(&c, line, len);
	while (ferry_cmdline_next(&c, &p) > 0) {
		expect(inside(p.word, p.word_len, line, len));
		expect(inside(p.name, p.name_len, p.word, p.word_len));
		if (p.value)
			expect(inside(p.value, p.value_len, p.word, p.word_len));
		PUT(p.name, p.name_len);
		if (p.value)
			PUT(p.value, p.value_len);
		else
			PUT("\2", 1);
	}
	ilen = ferry_cmdline_init_args(&c, &init);
	expect(ilen == 0 || inside(init, ilen, line, len));
	PUT("\3", 1);
	ferry_cmdline_cursor_init(&c, init, ilen);
	while (ferry_cmdline_next(&c, &p) > 0)
		PUT(p.word, p.word_len);
	return n;
#undef PUT
}

static void fuzz_cmdline(const char *line, size_t len)
{
	static char built[2 * LINE_MAX_FUZZ + 64], want[4 * LINE_MAX_FUZZ], got[4 * LINE_MAX_FUZZ];
	struct ferry_cmdline_builder b;
	struct ferry_cmdline_param p;
	const char *init;
	size_t ilen, nw, ng;
	char value[64];
	int r;

	if (len > LINE_MAX_FUZZ)
		len = LINE_MAX_FUZZ;
	len = strnlen(line, len);
	(void)ferry_cmdline_find(line, len, "ferry.region", &p);
	r = ferry_cmdline_value(line, len, "ferry.handoff", value, sizeof(value));
	expect(r < 1 || strlen(value) < sizeof(value));

	ferry_cmdline_builder_init(&b, built, sizeof(built));
	ferry_cmdline_add_line(&b, line, len, NULL, NULL);
	ilen = ferry_cmdline_init_part(line, len, &init);
	ferry_cmdline_add_init(&b, init, ilen);
	expect(ferry_cmdline_builder_end(&b) == 0);
	expect(strlen(built) == b.len && b.len < sizeof(built));
	nw = reading(line, len, want, sizeof(want));
	ng = reading(built, b.len, got, sizeof(got));
	expect(nw == ng && (nw == (size_t)-1 || !memcmp(want, got, nw)));

	/* a parameter added lands before init's part, or is refused */
	ferry_cmdline_builder_init(&b, built, sizeof(built));
	ferry_cmdline_add_line(&b, line, len, NULL, NULL);
	ferry_cmdline_add_param(&b, "ferry.added", "a b", 3);
	ferry_cmdline_add_init(&b, init, ilen);
	r = ferry_cmdline_builder_end(&b);
	expect(r == 0 || r == -FERRY_ERR_INVAL);
	if (r == 0) {
		expect(ferry_cmdline_value(built, b.len, "ferry.added", value, sizeof(value)) == 1);
		expect(!strcmp(value, "a b"));
	}
}

static void fuzz_size_addr(const char *s, size_t len)
{
	static const char seps[] = "@$!";
	char text[FERRY_SIZE_ADDR_LEN];
	uint64_t size, addr, size2, addr2;

	for (const char *sep = seps; *sep; sep++) {
		if (ferry_parse_size_addr(s, len, *sep, &size, &addr, NULL) < 0)
			continue;
		expect(size && !(size % 4096) && !(addr % 4096) && addr <= UINT64_MAX - size);
		expect(ferry_format_size_addr(text, sizeof(text), size, *sep, addr) > 0);
		expect(ferry_parse_size_addr(text, strlen(text), *sep, &size2, &addr2, NULL) == 0);
		expect(size2 == size && addr2 == addr);
	}
}

static void fuzz_conf(const char *text, size_t len)
{
	struct ferry_conf c;
	struct ferry_conf_cursor cur;
	struct ferry_conf_line l;
	size_t total = 0;
	int r;

	ferry_conf_init(&c);
	r = ferry_conf_parse(&c, text, len, NULL);
	expect(r == 0 || r == -FERRY_ERR_CONF);
	expect(strlen(c.kernel) < sizeof(c.kernel) && strlen(c.cmdline) < sizeof(c.cmdline) &&
	       strlen(c.update_cmdline) < sizeof(c.update_cmdline));
	if (c.region_size)
		expect(!(c.region_size % 4096) && !(c.region_addr % 4096));
	ferry_conf_cursor_init(&cur, text, len);
	while (ferry_conf_next(&cur, &l) > 0) {
		expect(l.text == text + total);
		total += l.text_len;
		if (l.value)
			expect(inside(l.value, l.value_len, l.text, l.text_len));
	}
	expect(total == strnlen(text, len));
}

static void fuzz_region(const uint8_t *data, size_t size)
{
	static uint8_t page[FERRY_REGION_HEADER_AREA], again[FERRY_REGION_HEADER_AREA];
	struct ferry_region_header h;
	struct ferry_diag diag;
	uint64_t named;

	if (size < 8)
		return;
	/* the named size from the input's last 8 bytes, the page from the rest */
	memcpy(&named, data + size - 8, 8);
	memset(page, 0, sizeof(page));
	memcpy(page, data, size - 8 < sizeof(page) ? size - 8 : sizeof(page));
	memset(&diag, 0, sizeof(diag));
	if (ferry_region_header_decode(page, named, &h, &diag) < 0) {
		expect(diag.what && (diag.code == -FERRY_ERR_REGION ||
				     diag.code == -FERRY_ERR_UNFORMATTED));
		return;
	}
	expect(ferry_region_header_check(&h, named, NULL) == 0);
	memcpy(again, page, sizeof(page));
	ferry_region_header_encode(&h, again);
	expect(!memcmp(again, page, sizeof(page)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly the input, so a read past it is caught */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	fuzz_cmdline(text, size);
	fuzz_size_addr(text, size);
	fuzz_conf(text, size);
	fuzz_region(data, size);
	free(text);
	return 0;
}
