/* SPDX-License-Identifier: MIT */
/*
 * ferry netlock [--release]: the rules of the network lock in this network
 * namespace, and their removal when a ferry died holding them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../kernel-glue/common/log.h"
#include "../../kernel-glue/common/netlock.h"

#include "commands.h"

static int list_rules(void)
{
	struct netlock_conn *conns;
	char name[NETLOCK_CONN_NAME_SIZE];
	size_t n, others;

	if (netlock_list(&conns, &n, &others) < 0)
		return FERRY_EXIT_FAILURE;
	if (!n && !others)
		printf("no network lock held\n");
	for (size_t i = 0; i < n; i++)
		printf("%s\n", netlock_conn_name(&conns[i], name, sizeof(name)));
	if (others)
		printf("%zu other rule%s of protocol %d, not of one connection\n", others,
		       others == 1 ? "" : "s", FERRY_NETLOCK_RTPROT);
	free(conns);
	return FERRY_EXIT_OK;
}

static int release_rules(void)
{
	size_t removed;
	int r = netlock_release_all(&removed);

	if (r == 0 && !removed)
		printf("no network lock held\n");
	else
		printf("%zu rule%s of the network lock removed\n", removed,
		       removed == 1 ? "" : "s");
	return r < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

static int run_netlock(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "release", no_argument, NULL, 'r' },
		{ 0 },
	};
	bool release = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c != 'r')
			return FERRY_EXIT_USAGE;
		release = true;
	}
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	return release ? release_rules() : list_rules();
}

const struct command command_netlock = {
	.name = "netlock",
	.summary = "list or remove the network lock's rules in this network namespace",
	.usage = "[--release]",
	.help = "While TCP connections are checkpointed, away or restored, ferry drops\n"
		"what their peers send with one policy routing rule per connection\n"
		"(blackhole, priority 0, rule protocol 70), the network lock. A ferry\n"
		"that dies holding it (killed, out of memory) leaves the rules behind,\n"
		"and those connections hang. Without options, lists the rules of this\n"
		"network namespace, IPv4 and IPv6, one line per connection:\n"
		"PEER:PORT -> LOCAL:PORT, or \"no network lock held\".\n"
		"\n"
		"  --release  remove every rule of rule protocol 70 in this network\n"
		"             namespace, and no other rule; says how many. The peers'\n"
		"             retransmissions get through again. Needs CAP_NET_ADMIN.\n"
		"\n"
		"'ferry checkpoint --kill' and a failed restore keep the lock on purpose,\n"
		"until the image is restored: released before that, the peers of the\n"
		"image's connections are reset. Another network namespace:\n"
		"'ip netns exec NAME ferry netlock'.\n"
		"\n"
		"Exit status: 0 listed or removed, 1 the rules could not be read or\n"
		"removed, 2 wrong usage.\n",
	.run = run_netlock,
};
