/* SPDX-License-Identifier: MIT */
/*
 * ferry netlock [--release]: the rules of the network lock in this network
 * namespace, and their removal when a ferry died holding them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../kernel-glue/common/log.h"
#include "../../kernel-glue/common/netlock.h"

#include "commands.h"
#include "json.h"

/* "peer:port -> local:port" into its two sides */
static void conn_json(struct json_writer *j, const struct netlock_conn *c)
{
	char name[NETLOCK_CONN_NAME_SIZE], *arrow;

	netlock_conn_name(c, name, sizeof(name));
	arrow = strstr(name, " -> ");
	if (arrow)
		*arrow = 0;
	json_object_begin(j, NULL);
	json_string(j, "family", c->family == AF_INET6 ? "ipv6" : "ipv4");
	json_string(j, "peer", name);
	json_string(j, "local", arrow ? arrow + 4 : "");
	json_object_end(j);
}

static int report_json(const struct netlock_conn *conns, size_t n, size_t others,
		       const size_t *removed, int status)
{
	struct json_writer j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "rule_protocol", FERRY_NETLOCK_RTPROT);
	if (removed) {
		json_u64(&j, "removed", *removed);
	} else {
		json_array_begin(&j, "connections");
		for (size_t i = 0; i < n; i++)
			conn_json(&j, &conns[i]);
		json_array_end(&j);
		json_u64(&j, "other_rules", others);
	}
	json_object_end(&j);
	if (json_finish(&j) < 0) {
		log_error("cannot write the report");
		return FERRY_EXIT_FAILURE;
	}
	return status;
}

static int list_rules(bool json)
{
	struct netlock_conn *conns;
	char name[NETLOCK_CONN_NAME_SIZE];
	size_t n, others;
	int r;

	if (netlock_list(&conns, &n, &others) < 0)
		return FERRY_EXIT_FAILURE;
	if (json) {
		r = report_json(conns, n, others, NULL, FERRY_EXIT_OK);
		free(conns);
		return r;
	}
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

static int release_rules(bool json)
{
	size_t removed = 0;
	int r = netlock_release_all(&removed);

	if (json)
		return report_json(NULL, 0, 0, &removed,
				   r < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK);
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
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool release = false, json = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c == 'r')
			release = true;
		else if (c == 'j')
			json = true;
		else
			return FERRY_EXIT_USAGE;
	}
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	return release ? release_rules(json) : list_rules(json);
}

const struct command command_netlock = {
	.name = "netlock",
	.summary = "list or remove the network lock's rules in this network namespace",
	.usage = "[--release] [--json]",
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
		"  --json     one JSON object: rule_protocol, and connections (family,\n"
		"             peer, local) and other_rules, or with --release removed\n"
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
