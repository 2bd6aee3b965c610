/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery network, set up over rtnetlink: what `ip link set up`,
 * `ip addr replace` and `ip route replace default` do, without the ip tool
 * or a DHCP client in the initramfs.  Every answer of the kernel is
 * awaited at most EG_NL_REPLY_MS, the carrier at most the caller's bound.
 */
#ifndef EG_NETLINK_H
#define EG_NETLINK_H

#include "conf.h"
#include "netcfg.h"

#define EG_NL_REPLY_MS 2000 /* the kernel answers at once; this bounds a wedged one */
#define EG_NL_EXT_MAX 128   /* the kernel's own words on an error (extended ACK) */

struct eg_net_result {
	int index;          /* the interface's index, 0 when not found */
	bool was_up;        /* the link was up already: nothing to bring up */
	int64_t carrier_ms; /* from the link up to its carrier; -1 without carrier */
	char why[EG_MSG_MAX]; /* what failed, as one sentence */
};

/* Bring n->ifname up, wait at most carrier_timeout_ms for its carrier
 * (IFF_LOWER_UP), then set the address (replacing the same address and
 * prefix, so running it again changes nothing; other addresses stay) and,
 * with a gateway, the main table's default route through it, from the
 * address (replacing the default route of the same metric).  Steps stop at the first failure: without carrier, neither
 * address nor route is set.  Returns 0, or -errno with r->why:
 * -ENODEV for no such interface, -ETIMEDOUT for no carrier in time (or no
 * answer from the kernel), anything else for a refused step. */
int eg_net_up(const struct eg_net *n, int64_t carrier_timeout_ms, struct eg_net_result *r);

/* The network of the configuration (eg_net_resolve), set up with
 * net_carrier_timeout.  What was done goes to standard output when print
 * (the `net up` command), else to the log; failures always to the log.
 * Returns an exit code of earlyguard(8): 0, 1 (nothing usable configured,
 * no such interface), 99 (no carrier in time), 111 (a step failed). */
int eg_net_configure(const struct eg_conf *c, const char *cmdline, bool print);

/* What one datagram from the kernel says (pure, for the tests): with seq,
 * the answer to request seq (an ACK or error, or the link it asked for);
 * the first one wins.  Returns 1 when a holds it, 0 when the datagram has
 * none, -1 when it is malformed. */
struct eg_nl_answer {
	int err;            /* NLMSG_ERROR: 0 (an ACK) or -errno */
	bool link;          /* an RTM_NEWLINK: index and flags */
	int index;
	unsigned flags;
	char ext[EG_NL_EXT_MAX]; /* the extended ACK's message, "" without one */
};
int eg_nl_scan(const void *buf, size_t len, uint32_t seq, struct eg_nl_answer *a);

#endif
