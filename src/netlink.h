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

/* One message of a datagram, as eg_nl_next reads it: the header's fields
 * and the payload, data[0..len), which may be unaligned (read it with
 * memcpy). */
struct eg_nl_msg {
	uint16_t type, flags;
	uint32_t seq;
	const char *data;
	size_t len;
};
/* The message at *off of buf[0..len), *off moved past it (pure): 1, or 0
 * when less than a header is left, or -1 when its length is impossible
 * (below a header, or beyond the datagram). */
int eg_nl_next(const void *buf, size_t len, size_t *off, struct eg_nl_msg *m);

/* ---- the machinery, shared with uplink.c ---- */
/* A NETLINK_ROUTE socket bound to the multicast groups (RTMGRP_*); with
 * none, a request socket that gets the kernel's extended ACKs.  Blocking,
 * close-on-exec.  The fd, or -errno. */
int eg_nl_open(uint32_t groups);
/* Send the request req (a struct nlmsghdr and what follows, nlmsg_len
 * bytes) with the next sequence number, in *seq.  0 or -errno. */
int eg_nl_send(int fd, void *req, uint32_t *seq);
/* One datagram from the kernel, awaited until deadline (with MSG_DONTWAIT
 * in flags: not at all).  Its length, *data pointing at it until the next
 * call; or -ETIMEDOUT, or -errno: -EAGAIN with nothing queued, -ENOBUFS
 * when notifications were lost (overrun), -EMSGSIZE for a cut datagram.
 * Datagrams from other processes than the kernel are dropped. */
long eg_nl_recv(int fd, int64_t deadline, int flags, const void **data);
/* `ip link set IFACE up|down`, by name (index 0) or index, on a request
 * socket; the kernel's answer awaited at most EG_NL_REPLY_MS.  0, or
 * -errno with the kernel's words in a->ext. */
int eg_nl_set_up(int fd, const char *name, int index, bool up, struct eg_nl_answer *a);
/* `ip route replace default via GATEWAY dev IFACE` (gateway 0: `default
 * dev IFACE`, on-link) in the main table, metric 0, by index, on a
 * request socket.  0, or -errno with the kernel's words in a->ext. */
int eg_nl_route_default(int fd, int index, uint32_t gateway, struct eg_nl_answer *a);

/* An IPv4 route of the main table through one interface, as the kernel
 * dumps it: what `ip route add` needs to put it back.  Host byte order. */
struct eg_route {
	uint32_t dst, gateway, prefsrc, priority;
	unsigned char dst_len, tos, protocol, scope;
	bool has_gateway, has_prefsrc, has_priority;
};
/* One RTM_NEWROUTE message's payload, data[0..len) (pure; may be
 * unaligned): 1 with *r when it is a unicast IPv4 route of the main table
 * whose one way out is interface index (RTA_OIF; multipath routes are
 * not kept) and which the kernel would not put back by itself (its own
 * prefix routes, protocol kernel, come back with the link); 0 for any
 * other route; -1 when malformed.  Never reads outside data[0..len). */
int eg_nl_route_read(const void *data, size_t len, int index, struct eg_route *r);
/* `ip route add` r through interface index (NLM_F_EXCL: a route that is
 * there already is left alone and answers -EEXIST), on a request socket.
 * 0, or -errno with the kernel's words in a->ext. */
int eg_nl_route_add(int fd, int index, const struct eg_route *r, struct eg_nl_answer *a);

#endif
