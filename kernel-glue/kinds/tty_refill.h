/* SPDX-License-Identifier: MIT */
/*
 * Putting bytes back into the queues of a pseudo-terminal pair, shared by
 * the checkpoint (which reads them out and puts them back at once) and the
 * restore. Uses struct termios2 of <asm/termbits.h>: do not mix with
 * <termios.h>.
 */
#ifndef FERRY_GLUE_TTY_REFILL_H
#define FERRY_GLUE_TTY_REFILL_H

#include <asm/termbits.h>
#include <stddef.h>
#include <stdint.h>

#define TTY_NCCS 19 /* c_cc of struct termios2 on x86_64 */

/* The settings of a terminal as the image keeps them (SPEC.md §3.6). */
struct tty_termios {
	uint32_t iflag, oflag, cflag, lflag, line, ispeed, ospeed;
	uint8_t cc[TTY_NCCS];
};

void tty_termios_to_st(const struct termios2 *t, struct tty_termios *ret);
void tty_termios_from_st(const struct tty_termios *s, struct termios2 *ret);

/*
 * With the slave's settings @t (restored on return): @out into the
 * master's read queue (as if the slave had written it, no output
 * processing), then @in into the slave's read queue (as if typed, with
 * neither echo, signals nor input translation). @master and @slave are
 * open on the pair; @slave is non-blocking. Returns 0 or -errno.
 */
int tty_refill(int master, int slave, const struct termios2 *t, const uint8_t *in,
	       size_t in_len, const uint8_t *out, size_t out_len);

#endif
