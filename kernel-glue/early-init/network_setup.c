/* SPDX-License-Identifier: MIT */
/*
 * The network setup program: TCP connections restored in repair mode need
 * a route to their peer when they are connected, so the interfaces they
 * use must be up before the restore. Bringing them up before ferry-init
 * would leave a window in which a peer's segment meets no socket and is
 * answered with an RST; run from the restore while the network lock is
 * held, the program closes that window.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "early_init.h"

static char network_setup[256];
static bool network_setup_ran;

void init_set_network_setup(const char *path)
{
	snprintf(network_setup, sizeof(network_setup), "%s", path);
}

void init_run_network_setup(void *unused)
{
	char *argv[2] = { network_setup, NULL };
	int status;
	pid_t pid;

	(void)unused;
	if (network_setup_ran)
		return;
	network_setup_ran = true;
	if (!network_setup[0] &&
	    !init_cmdline_arg(FERRY_PARAM_NETWORK_SETUP, network_setup, sizeof(network_setup)))
		return;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_warning("cannot run the network setup %s: %s", network_setup, strerror(errno));
		return;
	}
	if (pid == 0) {
		execv(network_setup, argv);
		log_warning("cannot exec the network setup %s: %s", network_setup, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warning("the network setup %s failed (status %#x): restoring anyway", network_setup,
			 status);
	else
		log_info("network set up by %s under the network lock", network_setup);
}
