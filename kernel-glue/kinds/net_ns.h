/* SPDX-License-Identifier: MIT */
/*
 * The network namespace of a selection that is not ferry's (kinds/net_ns.c),
 * as the socket kinds see it: while the checkpoint runs ferry's own thread
 * is inside it (sock_diag, a socket's namespace compared with ferry's, the
 * network lock's rules), and so is the restorer's while it makes the
 * sockets; the lock of its connections is net_ns.c's, not the restorer's.
 */
#ifndef FERRY_GLUE_NET_NS_H
#define FERRY_GLUE_NET_NS_H

#include <stdbool.h>

struct ckpt;
struct st_image;

/* The checkpoint's selection is in a network namespace of its own. */
bool net_ns_dump_private(struct ckpt *c);
/* The image's processes are (an image with a /network-namespace node). */
bool net_ns_image_private(const struct st_image *img);

#endif
