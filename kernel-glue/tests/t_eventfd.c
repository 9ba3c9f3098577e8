/* SPDX-License-Identifier: MIT */
/* Two eventfds: a non-blocking semaphore with a count of 3, and a plain
 * counter at 1000000007. After restore both count and behave as before.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stdint.h>
#include <sys/eventfd.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	uint64_t v;
	int sem, cnt;

	t_init("eventfd", argc, argv);
	sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	cnt = eventfd(0, 0);
	if (sem < 0 || cnt < 0)
		t_fail("eventfd: %s", strerror(errno));
	v = 1000000007ull;
	if (write(cnt, &v, 8) != 8)
		t_fail("write: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (!(fcntl(sem, F_GETFL) & O_NONBLOCK) || (fcntl(cnt, F_GETFL) & O_NONBLOCK))
		t_fail("the O_NONBLOCK flags changed");
	for (int i = 0; i < 3; i++)
		if (read(sem, &v, 8) != 8 || v != 1)
			t_fail("semaphore read %d gave %llu", i, (unsigned long long)v);
	if (read(sem, &v, 8) != -1 || errno != EAGAIN)
		t_fail("the semaphore counted more than 3");
	if (read(cnt, &v, 8) != 8 || v != 1000000007ull)
		t_fail("the counter is %llu", (unsigned long long)v);
	t_pass();
}
