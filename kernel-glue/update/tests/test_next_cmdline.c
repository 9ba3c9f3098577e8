// SPDX-License-Identifier: MIT
/*
 * Host unit test of the command line `ferry update` gives the new kernel
 * (update_next_cmdline(), both update paths): what --append adds, and the
 * memmap= and ferry.region= carried over, go among the kernel's parameters,
 * before a -- of the running line, never after it where the kernel hands
 * them to init. The running line comes from $FERRY_CMDLINE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"

static int failed;

static void expect(const char *name, const char *running, const char *append, const char *want)
{
	char buf[1024];
	int r;

	setenv("FERRY_CMDLINE", running, 1);
	r = update_next_cmdline(append, buf, sizeof(buf));
	if (r == 0 && !strcmp(buf, want)) {
		printf("PASS: %s\n", name);
		return;
	}
	printf("FAIL: %s: got %d \"%s\", expected \"%s\"\n", name, r, r == 0 ? buf : "", want);
	failed = 1;
}

int main(void)
{
	expect("next-cmdline-append", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 panic=5 "
	       "memmap=64M$0x30000000 ferry.region=64M@0x30000000", "panic=10",
	       "root=/dev/vda1 memmap=64M$0x30000000 ferry.region=64M@0x30000000 panic=10");
	expect("next-cmdline-append-before-dashes",
	       "root=/dev/vda1 memmap=64M$0x30000000 ferry.region=64M@0x30000000 -- single",
	       "panic=10",
	       "root=/dev/vda1 memmap=64M$0x30000000 ferry.region=64M@0x30000000 panic=10 -- single");
	expect("next-cmdline-init-memmap-not-carried",
	       "root=/dev/vda1 ferry.region=64M@0x30000000 -- memmap=64M$0x30000000", "",
	       "root=/dev/vda1 ferry.region=64M@0x30000000 -- memmap=64M$0x30000000");
	expect("next-cmdline-handoff-dropped", "ferry.handoff=0x30001000 quiet", "",
	       "quiet");
	expect("next-cmdline-quotes-kept", "a=\"b c\" \"x=y z\" -- \"i j\"", "d=\"e f\" -- k",
	       "a=\"b c\" \"x=y z\" d=\"e f\" -- \"i j\" k");
	expect("next-cmdline-same-name-dash-underscore", "ferry.network_setup=/a quiet",
	       "ferry.network-setup=/b", "quiet ferry.network-setup=/b");
	return failed;
}
