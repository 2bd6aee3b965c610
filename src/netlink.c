/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink, as thin as it goes: one request at a time on a NETLINK_ROUTE
 * socket, each answer awaited with a bound, every ACK checked.  A second
 * socket listens to link notifications so that the carrier wait wakes when
 * the carrier comes rather than on a polling tick.
 */
#include "netlink.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* linux/if.h's values; its struct ifreq collides with libc's net/if.h */
#define EG_IFF_UP 0x1u
#define EG_IFF_LOWER_UP 0x10000u
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EG_NL_RX 32768  /* one datagram: a link's attributes fit many times over */
#define EG_NL_DRAIN 64  /* notifications read per wakeup, at most */
#define EG_NL_RECHECK_MS 1000 /* ask for the link this often anyway */

/* One request: a header, the message, a few attributes. */
struct nlreq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
		struct rtmsg route;
	} m;
	char attrs[64];
};

static union {
	struct nlmsghdr h; /* aligns the buffer */
	char b[EG_NL_RX];
} rx;

static void req_init(struct nlreq *q, uint16_t type, uint16_t flags, size_t msglen)
{
	memset(q, 0, sizeof *q);
	q->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(msglen);
	q->h.nlmsg_type = type;
	q->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
}

static bool put_attr(struct nlreq *q, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(q->h.nlmsg_len);
	struct rtattr a = {(unsigned short)RTA_LENGTH(len), type};

	if (off + RTA_SPACE(len) > sizeof *q)
		return false;
	memcpy((char *)q + off, &a, sizeof a);
	memcpy((char *)q + off + RTA_LENGTH(0), data, len);
	q->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return true;
}

static bool put_u32(struct nlreq *q, uint16_t type, uint32_t v)
{
	return put_attr(q, type, &v, sizeof v);
}

/* An IPv4 address attribute: network byte order. */
static bool put_ip4(struct nlreq *q, uint16_t type, uint32_t a)
{
	unsigned char b[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16),
			      (unsigned char)(a >> 8), (unsigned char)a};

	return put_attr(q, type, b, sizeof b);
}

/* ---- reading the kernel's answers (pure) ---- */

/* The extended ACK's message in the NLMSG_ERROR payload p[0..len). */
static void ext_ack(const char *p, size_t len, uint16_t flags, char *out, size_t size)
{
	struct nlmsgerr e;
	size_t off = sizeof e;

	out[0] = '\0';
	if (!(flags & NLM_F_ACK_TLVS) || len < sizeof e)
		return;
	memcpy(&e, p, sizeof e);
	/* without NETLINK_CAP_ACK the request's payload comes first */
	if (!(flags & NLM_F_CAPPED) && e.msg.nlmsg_len >= NLMSG_HDRLEN)
		off += NLMSG_ALIGN((size_t)e.msg.nlmsg_len - NLMSG_HDRLEN);
	while (off + sizeof(struct nlattr) <= len) {
		struct nlattr at;
		size_t n = 0;

		memcpy(&at, p + off, sizeof at);
		if (at.nla_len < sizeof at || at.nla_len > len - off)
			return;
		if ((at.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			const char *s = p + off + sizeof at;
			size_t slen = at.nla_len - sizeof at;

			for (; n < slen && n + 1 < size && s[n] != '\0'; n++)
				out[n] = s[n] >= ' ' && s[n] <= '~' ? s[n] : '?';
			out[n] = '\0';
			return;
		}
		off += NLA_ALIGN((size_t)at.nla_len);
	}
}

int eg_nl_next(const void *buf, size_t len, size_t *off, struct eg_nl_msg *m)
{
	const char *p = buf;
	struct nlmsghdr h;
	size_t step;

	if (*off > len || len - *off < NLMSG_HDRLEN)
		return 0;
	memcpy(&h, p + *off, sizeof h);
	if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - *off)
		return -1;
	m->type = h.nlmsg_type;
	m->flags = h.nlmsg_flags;
	m->seq = h.nlmsg_seq;
	m->data = p + *off + NLMSG_HDRLEN;
	m->len = h.nlmsg_len - NLMSG_HDRLEN;
	/* the last message's padding may be cut off */
	step = NLMSG_ALIGN((size_t)h.nlmsg_len);
	*off += step < len - *off ? step : len - *off;
	return 1;
}

int eg_nl_scan(const void *buf, size_t len, uint32_t seq, struct eg_nl_answer *a)
{
	struct eg_nl_msg m;
	size_t off = 0;
	int r;

	while ((r = eg_nl_next(buf, len, &off, &m)) > 0) {
		if (m.seq != seq)
			continue;
		memset(a, 0, sizeof *a);
		if (m.type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (m.len < sizeof e.error)
				return -1;
			memcpy(&e.error, m.data, sizeof e.error);
			/* an errno is 1..4095 */
			if (e.error > 0 || e.error < -4095)
				return -1;
			a->err = e.error;
			ext_ack(m.data, m.len, m.flags, a->ext, sizeof a->ext);
			return 1;
		}
		if (m.type == RTM_NEWLINK) {
			struct ifinfomsg i;

			if (m.len < sizeof i)
				return -1;
			memcpy(&i, m.data, sizeof i);
			a->link = true;
			a->index = i.ifi_index;
			a->flags = i.ifi_flags;
			return 1;
		}
	}
	return r;
}

/* ---- the socket ---- */

int eg_nl_open(uint32_t groups)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), one = 1, err;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = groups;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* The kernel's own words on an error ("Nexthop has invalid gateway"),
	 * without an echo of the request.  Kernels before 4.12 refuse both:
	 * the errno alone is still an answer. */
	if (groups == 0 && (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) != 0 ||
			    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one) != 0) &&
	    errno != ENOPROTOOPT) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

long eg_nl_recv(int fd, int64_t deadline, int flags, const void **data)
{
	*data = rx.b;
	for (;;) {
		struct pollfd pf = {fd, POLLIN, 0};
		struct sockaddr_nl from;
		socklen_t flen = sizeof from;
		int64_t left = deadline - eg_now_ms();
		long n;
		int r;

		if (!(flags & MSG_DONTWAIT)) {
			if (left <= 0)
				return -ETIMEDOUT;
			r = poll(&pf, 1, (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		/* MSG_TRUNC: the datagram's real length, to tell a cut one */
		n = recvfrom(fd, rx.b, sizeof rx.b, flags | MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof rx.b)
			return -EMSGSIZE;
		/* any process may send to our port: only the kernel is heard */
		if (flen >= (socklen_t)sizeof from && from.nl_pid == 0)
			return n;
	}
}

int eg_nl_send(int fd, void *req, uint32_t *seq)
{
	static uint32_t last;
	struct nlmsghdr *h = req;
	struct sockaddr_nl to;
	long n;

	memset(&to, 0, sizeof to);
	to.nl_family = AF_NETLINK;
	h->nlmsg_seq = *seq = ++last;
	do
		n = sendto(fd, req, h->nlmsg_len, 0, (struct sockaddr *)&to, sizeof to);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == h->nlmsg_len ? 0 : -EIO;
}

/* Send q and wait for its answer: 0 (an ACK, or the link asked for, in
 * a), or -errno with the kernel's words in a->ext. */
static int nl_call(int fd, struct nlreq *q, struct eg_nl_answer *a)
{
	const void *data;
	int64_t deadline;
	uint32_t seq;
	int err;

	memset(a, 0, sizeof *a);
	err = eg_nl_send(fd, q, &seq);
	if (err)
		return err;
	deadline = eg_now_ms() + EG_NL_REPLY_MS;
	for (;;) {
		long n = eg_nl_recv(fd, deadline, 0, &data);
		int r;

		if (n < 0)
			return (int)n;
		r = eg_nl_scan(data, (size_t)n, seq, a);
		if (r < 0)
			return -EBADMSG;
		if (r > 0)
			return a->link ? 0 : a->err;
	}
}

/* ---- the steps ---- */

/* RTM_GETLINK by name (index 0) or index: the index and flags. */
static int get_link(int fd, const char *name, int index, struct eg_nl_answer *a)
{
	struct nlreq q;

	req_init(&q, RTM_GETLINK, 0, sizeof q.m.link);
	q.m.link.ifi_family = AF_UNSPEC;
	q.m.link.ifi_index = index;
	if (index == 0 && !put_attr(&q, IFLA_IFNAME, name, strlen(name) + 1))
		return -ENAMETOOLONG;
	return nl_call(fd, &q, a);
}

int eg_nl_set_up(int fd, const char *name, int index, bool up, struct eg_nl_answer *a)
{
	struct nlreq q;

	req_init(&q, RTM_NEWLINK, NLM_F_ACK, sizeof q.m.link);
	q.m.link.ifi_family = AF_UNSPEC;
	q.m.link.ifi_index = index;
	q.m.link.ifi_flags = up ? EG_IFF_UP : 0;
	q.m.link.ifi_change = EG_IFF_UP;
	/* the kernel finds the link by name when the index is 0 */
	if (index == 0 && !put_attr(&q, IFLA_IFNAME, name, strlen(name) + 1))
		return -ENAMETOOLONG;
	return nl_call(fd, &q, a);
}

/* ip addr replace ADDR/PREFIX [brd +] dev IFACE */
static int add_addr(int fd, int index, const struct eg_net *n, struct eg_nl_answer *a)
{
	struct nlreq q;
	bool ok;

	req_init(&q, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof q.m.addr);
	q.m.addr.ifa_family = AF_INET;
	q.m.addr.ifa_prefixlen = (unsigned char)n->prefix;
	q.m.addr.ifa_scope = RT_SCOPE_UNIVERSE;
	q.m.addr.ifa_index = (unsigned)index;
	ok = put_ip4(&q, IFA_LOCAL, n->addr) && put_ip4(&q, IFA_ADDRESS, n->addr);
	/* a /31 or /32 has no broadcast address (RFC 3021) */
	if (ok && n->prefix <= 30)
		ok = put_ip4(&q, IFA_BROADCAST, n->addr | ~(0xffffffffu << (32 - n->prefix)));
	return ok ? nl_call(fd, &q, a) : -EMSGSIZE;
}

/* ip route replace default via GATEWAY dev IFACE src ADDR (proto boot,
 * as the kernel's own ip= sets it).  src: other addresses on the link are
 * left alone (an SSH session may use one), and one of them may be the
 * primary that would otherwise be the source. */
static int add_route(int fd, int index, const struct eg_net *n, struct eg_nl_answer *a)
{
	struct nlreq q;

	req_init(&q, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof q.m.route);
	q.m.route.rtm_family = AF_INET;
	q.m.route.rtm_table = RT_TABLE_MAIN;
	q.m.route.rtm_protocol = RTPROT_BOOT;
	q.m.route.rtm_scope = RT_SCOPE_UNIVERSE;
	q.m.route.rtm_type = RTN_UNICAST;
	if (!put_ip4(&q, RTA_GATEWAY, n->gateway) || !put_ip4(&q, RTA_PREFSRC, n->addr) ||
	    !put_u32(&q, RTA_OIF, (uint32_t)index))
		return -EMSGSIZE;
	return nl_call(fd, &q, a);
}

int eg_nl_route_default(int fd, int index, uint32_t gateway, struct eg_nl_answer *a)
{
	struct nlreq q;

	req_init(&q, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof q.m.route);
	q.m.route.rtm_family = AF_INET;
	q.m.route.rtm_table = RT_TABLE_MAIN;
	q.m.route.rtm_protocol = RTPROT_BOOT;
	q.m.route.rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	q.m.route.rtm_type = RTN_UNICAST;
	if ((gateway && !put_ip4(&q, RTA_GATEWAY, gateway)) || !put_u32(&q, RTA_OIF, (uint32_t)index))
		return -EMSGSIZE;
	return nl_call(fd, &q, a);
}

int eg_nl_route_read(const void *data, size_t len, int index, struct eg_route *r)
{
	const char *p = data;
	struct rtmsg m;
	uint32_t table, oif = 0;
	size_t off;

	if (len < sizeof m)
		return -1;
	memcpy(&m, p, sizeof m);
	memset(r, 0, sizeof *r);
	table = m.rtm_table;
	for (off = NLMSG_ALIGN(sizeof m); off + sizeof(struct rtattr) <= len;) {
		struct rtattr a;
		size_t alen;
		uint32_t v;

		memcpy(&a, p + off, sizeof a);
		if (a.rta_len < sizeof a || a.rta_len > len - off)
			return -1;
		alen = a.rta_len - RTA_LENGTH(0);
		if (alen >= 4 && (a.rta_type == RTA_DST || a.rta_type == RTA_GATEWAY ||
				  a.rta_type == RTA_PREFSRC)) {
			const unsigned char *b = (const unsigned char *)p + off + RTA_LENGTH(0);

			v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
			if (a.rta_type == RTA_DST)
				r->dst = v;
			else if (a.rta_type == RTA_GATEWAY)
				r->gateway = v, r->has_gateway = true;
			else
				r->prefsrc = v, r->has_prefsrc = true;
		} else if (alen >= 4 && (a.rta_type == RTA_OIF || a.rta_type == RTA_PRIORITY ||
					 a.rta_type == RTA_TABLE)) {
			memcpy(&v, p + off + RTA_LENGTH(0), sizeof v);
			if (a.rta_type == RTA_OIF)
				oif = v;
			else if (a.rta_type == RTA_PRIORITY)
				r->priority = v, r->has_priority = true;
			else
				table = v;
		}
		off += RTA_ALIGN(a.rta_len);
	}
	if (m.rtm_family != AF_INET || m.rtm_dst_len > 32 || table != RT_TABLE_MAIN ||
	    m.rtm_type != RTN_UNICAST || m.rtm_protocol == RTPROT_KERNEL || index <= 0 ||
	    oif != (uint32_t)index)
		return 0;
	r->dst_len = m.rtm_dst_len;
	r->tos = m.rtm_tos;
	r->protocol = m.rtm_protocol;
	r->scope = m.rtm_scope;
	return 1;
}

int eg_nl_route_add(int fd, int index, const struct eg_route *r, struct eg_nl_answer *a)
{
	struct nlreq q;

	req_init(&q, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof q.m.route);
	q.m.route.rtm_family = AF_INET;
	q.m.route.rtm_table = RT_TABLE_MAIN;
	q.m.route.rtm_dst_len = r->dst_len;
	q.m.route.rtm_tos = r->tos;
	q.m.route.rtm_protocol = r->protocol;
	q.m.route.rtm_scope = r->scope;
	q.m.route.rtm_type = RTN_UNICAST;
	if ((r->dst_len && !put_ip4(&q, RTA_DST, r->dst)) ||
	    (r->has_gateway && !put_ip4(&q, RTA_GATEWAY, r->gateway)) ||
	    (r->has_prefsrc && !put_ip4(&q, RTA_PREFSRC, r->prefsrc)) ||
	    (r->has_priority && !put_u32(&q, RTA_PRIORITY, r->priority)) ||
	    !put_u32(&q, RTA_OIF, (uint32_t)index))
		return -EMSGSIZE;
	return nl_call(fd, &q, a);
}

/* Throw away queued notifications: they only say "look again". */
static int drain(int fd)
{
	for (int i = 0; i < EG_NL_DRAIN; i++) {
		const void *data;
		long n = eg_nl_recv(fd, 0, MSG_DONTWAIT, &data);

		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		/* an overrun (ENOBUFS) lost some: the next question covers them */
		if (n < 0 && n != -ENOBUFS)
			return (int)n;
	}
	return 0;
}

/* Until deadline, for IFF_LOWER_UP: a notification on ev, or every
 * EG_NL_RECHECK_MS, asks rq for the link again.  0 with carrier, 1 at the
 * deadline without, or -errno. */
static int wait_carrier(int rq, int ev, int index, int64_t deadline, struct eg_nl_answer *a)
{
	for (;;) {
		struct pollfd pf = {ev, POLLIN, 0};
		int64_t left = deadline - eg_now_ms();
		int r;

		if (a->flags & EG_IFF_LOWER_UP)
			return 0;
		if (left <= 0)
			return 1;
		r = poll(&pf, 1, (int)(left < EG_NL_RECHECK_MS ? left : EG_NL_RECHECK_MS));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (r = drain(ev)) != 0)
			return r;
		r = get_link(rq, NULL, index, a);
		if (r)
			return r;
	}
}

static int fail(struct eg_net_result *r, int err, const struct eg_nl_answer *a, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int fail(struct eg_net_result *r, int err, const struct eg_nl_answer *a, const char *fmt,
		...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(r->why, sizeof r->why, "%s: %s%s%s%s", what, strerror(-err),
		 a && a->ext[0] ? " (" : "", a ? a->ext : "", a && a->ext[0] ? ")" : "");
	return err;
}

static int net_up(int rq, int ev, const struct eg_net *n, int64_t carrier_timeout_ms,
		  struct eg_net_result *r)
{
	struct eg_nl_answer a;
	char addr[EG_IP4_STR];
	int64_t t0, bound;
	int err;

	err = get_link(rq, n->ifname, 0, &a);
	if (err)
		return fail(r, err, &a, "unable to find interface %s", n->ifname);
	r->index = a.index;
	r->was_up = (a.flags & EG_IFF_UP) != 0;
	t0 = eg_now_ms();
	if (!r->was_up) {
		err = eg_nl_set_up(rq, NULL, r->index, true, &a);
		if (err)
			return fail(r, err, &a, "unable to bring %s up", n->ifname);
		/* the carrier may be there at once (a veth whose peer is up) */
		err = get_link(rq, NULL, r->index, &a);
		if (err)
			return fail(r, err, &a, "unable to read the state of %s", n->ifname);
	}
	bound = carrier_timeout_ms > 0 ? carrier_timeout_ms : 0;
	err = wait_carrier(rq, ev, r->index, t0 + bound, &a);
	if (err == 1) {
		eg_fmt_duration(addr, sizeof addr, (uint64_t)(bound + 999) / 1000);
		snprintf(r->why, sizeof r->why,
			 "no carrier on %s within %s (net_carrier_timeout): the link is up, "
			 "but nothing is plugged in or the other end is down", n->ifname, addr);
		return -ETIMEDOUT;
	}
	if (err)
		return fail(r, err, &a, "unable to wait for the carrier of %s", n->ifname);
	r->carrier_ms = eg_now_ms() - t0;
	eg_ip4_format(n->addr, addr);
	err = add_addr(rq, r->index, n, &a);
	if (err)
		return fail(r, err, &a, "unable to add address %s/%u to %s", addr, n->prefix,
			    n->ifname);
	if (n->gateway == 0)
		return 0;
	eg_ip4_format(n->gateway, addr);
	err = add_route(rq, r->index, n, &a);
	if (err)
		return fail(r, err, &a, "unable to add the default route via %s on %s", addr,
			    n->ifname);
	return 0;
}

int eg_net_up(const struct eg_net *n, int64_t carrier_timeout_ms, struct eg_net_result *r)
{
	int rq, ev, err;

	memset(r, 0, sizeof *r);
	r->carrier_ms = -1;
	rq = eg_nl_open(0);
	if (rq < 0)
		return fail(r, rq, NULL, "unable to open a netlink socket");
	/* listening before the link goes up: no carrier change is missed */
	ev = eg_nl_open(RTMGRP_LINK);
	if (ev < 0) {
		close(rq);
		return fail(r, ev, NULL, "unable to listen to link notifications");
	}
	err = net_up(rq, ev, n, carrier_timeout_ms, r);
	close(ev);
	close(rq);
	return err;
}
