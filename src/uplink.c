/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network self-heal's effects.  The uplink's health comes from the
 * kernel's link and address notifications rather than a polling tick, so
 * a lost carrier is seen when it happens; requests go through netlink.c's
 * machinery, one at a time, each answer awaited at most EG_NL_REPLY_MS.
 * Probes only start and finish here: the daemon's poll loop waits for
 * them, under its own deadline.
 */
#include "uplink.h"
#include "netcfg.h"
#include "netlink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* linux/if.h's values; its struct ifreq collides with libc's net/if.h */
#define EG_IFF_UP 0x1u
#define EG_IFF_LOWER_UP 0x10000u
#define EG_IF_OPER_NOTPRESENT 1
#ifndef NLM_F_DUMP_INTR
#define NLM_F_DUMP_INTR 0x10
#endif

#define EG_UPLINK_DUMP_TRIES 3 /* address dumps asked again when changes interrupt them */

/* ---- the health, from the kernel's messages (pure) ---- */

static bool same(const struct eg_link_health *a, const struct eg_link_health *b)
{
	return a->index == b->index && a->exists == b->exists && a->up == b->up &&
	       a->lower_up == b->lower_up && a->carrier == b->carrier &&
	       a->operstate == b->operstate && a->ipv4 == b->ipv4;
}

static void gone(struct eg_link_health *h)
{
	memset(h, 0, sizeof *h);
	h->operstate = EG_IF_OPER_NOTPRESENT;
}

/* A link message's fixed part, and its operstate (-1 without one).
 * false when it is too short or an attribute runs past its end. */
static bool link_read(const struct eg_nl_msg *m, struct ifinfomsg *i, int *oper)
{
	*oper = -1;
	if (m->len < sizeof *i)
		return false;
	memcpy(i, m->data, sizeof *i);
	for (size_t off = NLMSG_ALIGN(sizeof *i); off < m->len;) {
		struct rtattr a;

		if (m->len - off < sizeof a)
			return false;
		memcpy(&a, m->data + off, sizeof a);
		if (a.rta_len < sizeof a || a.rta_len > m->len - off)
			return false;
		if (a.rta_type == IFLA_OPERSTATE && a.rta_len >= RTA_LENGTH(1))
			*oper = (unsigned char)m->data[off + RTA_LENGTH(0)];
		off += RTA_ALIGN((size_t)a.rta_len);
	}
	return true;
}

static void link_apply(struct eg_link_health *h, const struct ifinfomsg *i, int oper)
{
	h->index = i->ifi_index;
	h->exists = true;
	h->up = (i->ifi_flags & EG_IFF_UP) != 0;
	h->lower_up = (i->ifi_flags & EG_IFF_LOWER_UP) != 0;
	h->carrier = h->up && h->lower_up;
	if (oper >= 0)
		h->operstate = (unsigned char)oper;
}

int eg_uplink_scan(const void *buf, size_t len, int ifindex, struct eg_link_health *h)
{
	struct eg_link_health old = *h;
	struct eg_nl_msg m;
	size_t off = 0;
	int r, mask = 0;

	while ((r = eg_nl_next(buf, len, &off, &m)) > 0) {
		struct ifinfomsg i;
		struct ifaddrmsg a;
		int oper;

		switch (m.type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			if (!link_read(&m, &i, &oper))
				return -EBADMSG;
			/* the link itself is AF_UNSPEC; a bridge speaks of
			 * its ports as AF_BRIDGE, and deletes the port's
			 * bridge entry, not the port */
			if (i.ifi_family != AF_UNSPEC)
				break;
			if (m.type == RTM_NEWLINK && !h->exists && i.ifi_index != ifindex)
				mask |= EG_UPLINK_REQUERY;
			if (i.ifi_index != ifindex || ifindex == 0)
				break;
			if (m.type == RTM_NEWLINK)
				link_apply(h, &i, oper);
			else
				gone(h);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			if (m.len < sizeof a)
				return -EBADMSG;
			memcpy(&a, m.data, sizeof a);
			if (a.ifa_family != AF_INET || ifindex <= 0 ||
			    a.ifa_index != (unsigned)ifindex)
				break;
			/* an address of a link h does not know yet: ask */
			if (m.type == RTM_NEWADDR && h->exists)
				h->ipv4 = true;
			else
				mask |= EG_UPLINK_REQUERY;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return -EBADMSG;
	return mask | (same(&old, h) ? 0 : EG_UPLINK_CHANGED);
}

const char *eg_link_trouble(const struct eg_link_health *h, bool check_v4)
{
	if (!h->exists)
		return "no such interface";
	if (!h->up)
		return "no carrier (the link is set down)";
	if (!h->lower_up)
		return "no carrier";
	if (check_v4 && !h->ipv4)
		return "no IPv4 address";
	return NULL;
}

/* ---- the monitor and the query ---- */

int eg_uplink_monitor_open(void)
{
	int fd = eg_nl_open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR), fl, err;

	if (fd < 0)
		return fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int eg_uplink_monitor_read(int fd, int ifindex, struct eg_link_health *h)
{
	int mask = 0;

	for (int i = 0; i < EG_UPLINK_DRAIN; i++) {
		const void *data;
		long n = eg_nl_recv(fd, 0, MSG_DONTWAIT, &data);
		int r;

		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		/* notifications were lost or cut: only a query knows now */
		if (n == -ENOBUFS || n == -EMSGSIZE) {
			mask |= EG_UPLINK_REQUERY;
			continue;
		}
		if (n < 0)
			return (int)n;
		r = eg_uplink_scan(data, (size_t)n, ifindex, h);
		mask |= r < 0 ? EG_UPLINK_REQUERY : r;
	}
	return mask;
}

/* The kernel's answer to request seq, until deadline: each of its
 * messages to fn (which returns 0 to go on, 1 when done, -errno), an
 * NLMSG_ERROR as its errno, NLMSG_DONE as done.  *intr is set when the
 * kernel says a dump was interrupted by a change. */
static int answer(int fd, uint32_t seq, int64_t deadline, bool *intr,
		  int (*fn)(const struct eg_nl_msg *m, void *ctx), void *ctx)
{
	for (;;) {
		const void *data;
		long n = eg_nl_recv(fd, deadline, 0, &data);
		struct eg_nl_msg m;
		size_t off = 0;
		int r;

		if (n < 0)
			return (int)n;
		while ((r = eg_nl_next(data, (size_t)n, &off, &m)) > 0) {
			if (m.seq != seq)
				continue;
			if (m.flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (m.type == NLMSG_DONE)
				return 0;
			if (m.type == NLMSG_ERROR) {
				int32_t e;

				if (m.len < sizeof e)
					return -EBADMSG;
				memcpy(&e, m.data, sizeof e);
				/* an ACK where an answer was due, or no errno */
				return e < 0 && e >= -4095 ? e : -EPROTO;
			}
			r = fn(&m, ctx);
			if (r != 0)
				return r < 0 ? r : 0;
		}
		if (r < 0)
			return -EBADMSG;
	}
}

static int on_link(const struct eg_nl_msg *m, void *ctx)
{
	struct ifinfomsg i;
	int oper;

	if (m->type != RTM_NEWLINK)
		return 0;
	if (!link_read(m, &i, &oper))
		return -EBADMSG;
	link_apply(ctx, &i, oper);
	return 1;
}

struct addrs {
	int index;
	bool ipv4;
};

static int on_addr(const struct eg_nl_msg *m, void *ctx)
{
	struct addrs *x = ctx;
	struct ifaddrmsg a;

	if (m->type != RTM_NEWADDR)
		return 0;
	if (m->len < sizeof a)
		return -EBADMSG;
	memcpy(&a, m->data, sizeof a);
	/* kernels before 4.20 dump every interface's: the filter is ours */
	if (a.ifa_family == AF_INET && a.ifa_index == (unsigned)x->index)
		x->ipv4 = true;
	return 0;
}

static int query(int fd, const char *ifname, int64_t deadline, struct eg_link_health *n)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		struct rtattr a;
		char name[EG_IFNAME_MAX];
	} lq;
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} aq;
	size_t len = strlen(ifname) + 1;
	struct addrs x;
	uint32_t seq;
	bool intr = false;
	int err;

	memset(&lq, 0, sizeof lq);
	lq.h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof lq.i) + RTA_SPACE(len));
	lq.h.nlmsg_type = RTM_GETLINK;
	lq.h.nlmsg_flags = NLM_F_REQUEST;
	lq.i.ifi_family = AF_UNSPEC;
	lq.a.rta_len = (unsigned short)RTA_LENGTH(len);
	lq.a.rta_type = IFLA_IFNAME;
	memcpy(lq.name, ifname, len);
	err = eg_nl_send(fd, &lq, &seq);
	if (err == 0)
		err = answer(fd, seq, deadline, &intr, on_link, n);
	if (err == 0 && !n->exists)
		err = -EPROTO; /* DONE where the link was due */
	if (err == -ENODEV)
		gone(n);
	if (err)
		return err == -ENODEV ? 0 : err;

	for (int tries = 0;; tries++) {
		memset(&aq, 0, sizeof aq);
		aq.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof aq.a);
		aq.h.nlmsg_type = RTM_GETADDR;
		aq.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		aq.a.ifa_family = AF_INET;
		aq.a.ifa_index = (unsigned)n->index;
		x.index = n->index;
		x.ipv4 = false;
		intr = false;
		err = eg_nl_send(fd, &aq, &seq);
		if (err == 0)
			err = answer(fd, seq, deadline, &intr, on_addr, &x);
		if (err)
			return err;
		if (!intr)
			break;
		if (tries + 1 == EG_UPLINK_DUMP_TRIES)
			return -EAGAIN;
	}
	n->ipv4 = x.ipv4;
	return 0;
}

/* A request socket for a question about ifname, or -errno with why
 * ("unable to VERB ifname: ..."). */
static int req_open(const char *ifname, const char *verb, char *why, size_t whylen)
{
	size_t len = strlen(ifname);
	int fd = -EINVAL;

	if (len > 0 && len < EG_IFNAME_MAX)
		fd = eg_nl_open(0);
	if (fd < 0)
		eg_fmt(why, whylen, "unable to %s \"%.*s\": %s", verb, EG_IFNAME_MAX, ifname,
		       fd == -EINVAL ? "not an interface name" : strerror(-fd));
	return fd;
}

int eg_uplink_query(const char *ifname, struct eg_link_health *h, char *why, size_t whylen)
{
	struct eg_link_health n;
	int fd = req_open(ifname, "ask the kernel about", why, whylen), err;

	if (fd < 0)
		return fd;
	memset(&n, 0, sizeof n);
	err = query(fd, ifname, eg_now_ms() + EG_NL_REPLY_MS, &n);
	close(fd);
	if (err) {
		eg_fmt(why, whylen, "unable to ask the kernel about %s: %s", ifname,
		       err == -EAGAIN ? "its addresses kept changing" : strerror(-err));
		return err;
	}
	err = same(h, &n) ? 0 : EG_UPLINK_CHANGED;
	*h = n;
	return err;
}

int eg_uplink_set_up(const char *ifname, bool up, char *why, size_t whylen)
{
	struct eg_nl_answer a;
	int fd = req_open(ifname, up ? "set up" : "set down", why, whylen), err;

	if (fd < 0)
		return fd;
	err = eg_nl_set_up(fd, ifname, 0, up, &a);
	close(fd);
	if (err)
		eg_fmt(why, whylen, "unable to set %s %s: %s%s%s%s", ifname, up ? "up" : "down",
		       strerror(-err), a.ext[0] ? " (" : "", a.ext, a.ext[0] ? ")" : "");
	return err;
}

/* ---- the routes a bounce drops ---- */

struct keep {
	struct eg_routes *rs;
	bool bad;
};

static int on_route(const struct eg_nl_msg *m, void *ctx)
{
	struct keep *k = ctx;
	struct eg_route r;
	int got;

	if (m->type != RTM_NEWROUTE)
		return 0;
	got = eg_nl_route_read(m->data, m->len, k->rs->index, &r);
	if (got < 0)
		k->bad = true;
	else if (got > 0 && k->rs->n < EG_ROUTES_MAX)
		k->rs->r[k->rs->n++] = r;
	else if (got > 0)
		k->rs->more = true;
	return 0;
}

int eg_uplink_routes_save(int index, struct eg_routes *rs, char *why, size_t whylen)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg m;
	} q;
	int64_t deadline = eg_now_ms() + EG_NL_REPLY_MS;
	struct keep k = {rs, false};
	int fd = eg_nl_open(0), err = 0;

	memset(rs, 0, sizeof *rs);
	rs->index = index;
	if (fd < 0) {
		eg_fmt(why, whylen, "unable to ask the kernel for the routes: %s", strerror(-fd));
		return fd;
	}
	for (int tries = 0; tries < EG_UPLINK_DUMP_TRIES; tries++) {
		bool intr = false;
		uint32_t seq;

		rs->n = 0;
		rs->more = false;
		k.bad = false;
		memset(&q, 0, sizeof q);
		q.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof q.m);
		q.h.nlmsg_type = RTM_GETROUTE;
		q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		q.m.rtm_family = AF_INET;
		err = eg_nl_send(fd, &q, &seq);
		if (err == 0)
			err = answer(fd, seq, deadline, &intr, on_route, &k);
		if (err == 0 && k.bad)
			err = -EBADMSG;
		if (err || !intr)
			break;
		err = -EAGAIN;
	}
	close(fd);
	if (err) {
		rs->n = 0;
		eg_fmt(why, whylen, "unable to ask the kernel for the routes: %s",
		       err == -EAGAIN ? "they kept changing" : strerror(-err));
	}
	return err;
}

int eg_uplink_routes_restore(const struct eg_routes *rs, int *back, char *why, size_t whylen)
{
	struct eg_nl_answer a;
	int fd, first = 0;

	*back = 0;
	if (rs->n == 0)
		return 0;
	fd = eg_nl_open(0);
	if (fd < 0) {
		eg_fmt(why, whylen, "unable to put the routes back: %s", strerror(-fd));
		return fd;
	}
	/* the routes without a gateway first: a gateway may be reached by one */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < rs->n; i++) {
			char shown[96];
			int err;

			if (rs->r[i].has_gateway != (pass == 1))
				continue;
			err = eg_nl_route_add(fd, rs->index, &rs->r[i], &a);
			if (err == 0 || err == -EEXIST) {
				(*back)++;
				continue;
			}
			if (first)
				continue;
			first = err;
			eg_route_format(rs, i, shown, sizeof shown);
			eg_fmt(why, whylen, "unable to put back the route %s: %s%s%s%s", shown,
			       strerror(-err), a.ext[0] ? " (" : "", a.ext, a.ext[0] ? ")" : "");
		}
	close(fd);
	return first;
}

void eg_route_format(const struct eg_routes *rs, int i, char *buf, size_t size)
{
	const struct eg_route *r = &rs->r[i];
	char dst[EG_IP4_STR + 4], gw[EG_IP4_STR] = "", metric[24] = "";

	if (r->dst_len == 0)
		snprintf(dst, sizeof dst, "default");
	else {
		eg_ip4_format(r->dst, dst);
		snprintf(dst + strlen(dst), sizeof dst - strlen(dst), "/%u", r->dst_len);
	}
	if (r->has_gateway)
		eg_ip4_format(r->gateway, gw);
	if (r->has_priority)
		snprintf(metric, sizeof metric, " metric %lu", (unsigned long)r->priority);
	snprintf(buf, size, "%s%s%s%s%s", dst, gw[0] ? " via " : "", gw, metric,
		 !gw[0] && r->scope == RT_SCOPE_LINK ? " scope link" : "");
}

/* ---- probes ---- */

/* netinet/ip_icmp.h is glibc's, not klibc's: the echo's layout (RFC 792) */
#define EG_ICMP_ECHOREPLY 0
#define EG_ICMP_ECHO 8
#define EG_ICMP_HDR 8   /* type, code, checksum, identifier, sequence */
#define EG_IP_HDR_MIN 20
#define EG_PROBE_PAYLOAD "earlyguard probe"
#define EG_PROBE_RX 128 /* an IP header (60 at most) and the echo's header: the rest is cut */
#define EG_PROBE_READS 16 /* datagrams read per eg_probe_finish */

const char *eg_probe_parse(const char *s, struct eg_probe_target *t)
{
	const char *colon = strchr(s, ':');
	size_t alen = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t port = 0;
	uint32_t a;

	if (s[0] == '[' || (colon && strchr(colon + 1, ':')))
		return "only IPv4 targets are supported";
	if (!eg_ip4_parse(s, alen, &a))
		return "the target is not a dotted-quad IPv4 address (there is no DNS)";
	/* 0/8, multicast 224/4, reserved 240/4 and the broadcast */
	if (a >> 24 == 0 || a >> 28 >= 14)
		return "the target is not a unicast address";
	if (colon && (colon[1] == '0' || !eg_parse_u64(colon + 1, &port) || port > 65535))
		return "the port is not a number from 1 to 65535";
	t->addr = a;
	t->port = (uint16_t)port;
	return NULL;
}

static void target_format(const struct eg_probe_target *t, char buf[EG_PROBE_STR])
{
	char a[EG_IP4_STR];

	eg_ip4_format(t->addr, a);
	if (t->port)
		snprintf(buf, EG_PROBE_STR, "%s:%u", a, (unsigned)t->port);
	else
		snprintf(buf, EG_PROBE_STR, "%s", a);
}

/* RFC 1071, over big-endian words */
static uint16_t inet_csum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int eg_probe_echo_reply(const void *pkt, size_t len, bool ip, uint16_t id, uint16_t seq)
{
	const unsigned char *p = pkt;

	if (ip) {
		size_t ihl;

		if (len < EG_IP_HDR_MIN || p[0] >> 4 != 4 || p[9] != IPPROTO_ICMP)
			return 0;
		ihl = (size_t)(p[0] & 15) * 4;
		if (ihl < EG_IP_HDR_MIN || ihl > len)
			return 0;
		p += ihl;
		len -= ihl;
	}
	return len >= EG_ICMP_HDR && p[0] == EG_ICMP_ECHOREPLY && p[1] == 0 &&
	       (p[4] << 8 | p[5]) == id && (p[6] << 8 | p[7]) == seq;
}

/* An echo request on a socket connected to the target; *verb names what
 * failed. */
/* Out through dev only (SO_BINDTODEVICE, root's): the health probe asks
 * whether the watched uplink carries traffic, not whether any route does.
 * With no route through dev, the kernel takes the target as on-link. */
static int bind_dev(int fd, const char *dev, const char **verb)
{
	if (!dev || !dev[0])
		return 0;
	*verb = "bind to the interface the probe must use, for";
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) != 0)
		return -errno;
	return 0;
}

static int icmp_start(struct eg_probe *p, const struct sockaddr_in *sa, const char *dev,
		      const char **verb)
{
	static uint16_t seq;
	unsigned char pkt[EG_ICMP_HDR + sizeof EG_PROBE_PAYLOAD - 1];
	struct sockaddr_in me;
	socklen_t mlen = sizeof me;
	uint16_t sum;
	long n;

	*verb = "open an ICMP socket";
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (p->fd < 0 && (errno == EACCES || errno == EPROTONOSUPPORT)) {
		p->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
		p->raw = true;
	}
	if (p->fd < 0)
		return -errno;
	if (bind_dev(p->fd, dev, verb) != 0)
		return -errno;
	/* connected: the kernel hands us only the target's packets */
	*verb = "reach";
	if (connect(p->fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
		return -errno;
	p->seq = ++seq;
	/* a ping socket puts its own identifier in (its "port"); a raw one
	 * sends ours, as ping(8) does */
	p->id = (uint16_t)getpid();
	memset(pkt, 0, sizeof pkt);
	pkt[0] = EG_ICMP_ECHO;
	pkt[4] = (unsigned char)(p->id >> 8);
	pkt[5] = (unsigned char)p->id;
	pkt[6] = (unsigned char)(p->seq >> 8);
	pkt[7] = (unsigned char)p->seq;
	memcpy(pkt + EG_ICMP_HDR, EG_PROBE_PAYLOAD, sizeof EG_PROBE_PAYLOAD - 1);
	sum = inet_csum(pkt, sizeof pkt);
	pkt[2] = (unsigned char)(sum >> 8);
	pkt[3] = (unsigned char)sum;
	*verb = "send an echo request to";
	do
		n = send(p->fd, pkt, sizeof pkt, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!p->raw) {
		*verb = "read the identifier of the echo to";
		if (getsockname(p->fd, (struct sockaddr *)&me, &mlen) != 0)
			return -errno;
		p->id = ntohs(me.sin_port);
	}
	p->events = POLLIN;
	return 0;
}

static int tcp_start(struct eg_probe *p, const struct sockaddr_in *sa, const char *dev,
		     const char **verb)
{
	*verb = "open a TCP socket";
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	if (bind_dev(p->fd, dev, verb) != 0)
		return -errno;
	*verb = "connect to";
	/* on loopback the answer may come before connect returns */
	if (connect(p->fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno == ECONNREFUSED)
		p->answered = true;
	else if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	p->events = POLLOUT;
	return 0;
}

int eg_probe_start(const char *target, const char *dev, struct eg_probe *p, char *why,
		   size_t whylen)
{
	struct sockaddr_in sa;
	const char *bad, *verb;
	char t[EG_PROBE_STR];
	int err;

	memset(p, 0, sizeof *p);
	p->fd = -1;
	bad = eg_probe_parse(target, &p->t);
	if (bad) {
		char q[EG_PROBE_STR * 4];

		eg_fmt(why, whylen, "unable to probe \"%s\": %s",
		       eg_quote(q, sizeof q, target, strlen(target)), bad);
		return -EINVAL;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(p->t.addr);
	sa.sin_port = htons(p->t.port);
	err = p->t.port ? tcp_start(p, &sa, dev, &verb) : icmp_start(p, &sa, dev, &verb);
	if (err) {
		target_format(&p->t, t);
		eg_fmt(why, whylen, "unable to %s %s: %s", verb, t, strerror(-err));
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		return err;
	}
	return p->fd;
}

static int icmp_finish(struct eg_probe *p, int *reachable, const char *t, char *why, size_t whylen)
{
	unsigned char buf[EG_PROBE_RX];

	for (int i = 0; i < EG_PROBE_READS; i++) {
		long n = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		/* an ICMP error from the way: host or network unreachable */
		if (n < 0) {
			eg_fmt(why, whylen, "%s: %s", t, strerror(errno));
			return 1;
		}
		if (eg_probe_echo_reply(buf, (size_t)n, p->raw, p->id, p->seq)) {
			*reachable = 1;
			eg_fmt(why, whylen, "%s: echo reply", t);
			return 1;
		}
	}
	return 0;
}

static int tcp_finish(struct eg_probe *p, int *reachable, const char *t, char *why, size_t whylen)
{
	struct pollfd pf = {p->fd, POLLOUT, 0};
	socklen_t len = sizeof(int);
	int err = 0, r;

	if (p->answered) {
		*reachable = 1;
		eg_fmt(why, whylen, "%s: answered", t);
		return 1;
	}
	/* only a connect that ended says something */
	r = poll(&pf, 1, 0);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -errno;
	/* a reset is the host's own answer: it is there */
	*reachable = err == 0 || err == ECONNREFUSED;
	eg_fmt(why, whylen, "%s: %s", t,
	       err == 0 ? "connected" : err == ECONNREFUSED ? "connection refused: it answered"
							    : strerror(err));
	return 1;
}

int eg_probe_finish(struct eg_probe *p, int *reachable, char *why, size_t whylen)
{
	char t[EG_PROBE_STR];
	int r;

	*reachable = 0;
	target_format(&p->t, t);
	r = p->t.port ? tcp_finish(p, reachable, t, why, whylen)
		      : icmp_finish(p, reachable, t, why, whylen);
	if (r < 0)
		eg_fmt(why, whylen, "unable to read the probe of %s: %s", t, strerror(-r));
	return r;
}

/* ---- the USB mass-storage guard ---- */

/* The next name in d other than . and .., while *budget lasts. */
static const char *next_name(DIR *d, int *budget)
{
	struct dirent *e;

	while (*budget > 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		--*budget;
		return e->d_name;
	}
	return NULL;
}

/* path's content without its line end into buf: whether it is set, that
 * is neither "" nor "none" (what the kernel shows for an unbound UDC and
 * an ejected LUN).  An unreadable file is not set. */
static bool set_value(const char *path, char *buf, size_t size)
{
	long n = eg_read_file(path, buf, size, NULL);

	if (n < 0)
		return false;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf[0] != '\0' && strcmp(buf, "none") != 0;
}

struct usb_scan {
	const char *dir, *gadget;
	char *what;
	size_t whatlen;
};

/* Whether one mass-storage function fn of the gadget has a LUN with a
 * backing file. */
static bool function_active(const struct usb_scan *s, const char *fn)
{
	char path[EG_PATH_MAX * 2], value[EG_PATH_MAX], qg[EG_PATH_MAX], qv[EG_PATH_MAX];
	int budget = EG_USB_LUNS;
	bool found = false;
	const char *lun;
	DIR *d;

	if (!eg_fmt(path, sizeof path, "%s/%s/functions/%s", s->dir, s->gadget, fn))
		return false;
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (lun = next_name(d, &budget)) != NULL) {
		if (strncmp(lun, "lun.", 4) != 0 ||
		    !eg_fmt(path, sizeof path, "%s/%s/functions/%s/%s/file", s->dir, s->gadget, fn,
			    lun) ||
		    !set_value(path, value, sizeof value))
			continue;
		found = true;
		eg_fmt(s->what, s->whatlen, "gadget %s %s %s presents %s",
		       eg_quote(qg, sizeof qg, s->gadget, strlen(s->gadget)), fn, lun,
		       eg_quote(qv, sizeof qv, value, strlen(value)));
	}
	closedir(d);
	return found;
}

static bool gadget_active(struct usb_scan *s, bool require_udc)
{
	char path[EG_PATH_MAX * 2], udc[EG_PATH_MAX];
	int budget = EG_USB_FUNCS;
	bool found = false;
	const char *fn;
	DIR *d;

	/* unbound, the gadget presents nothing to a host */
	if (require_udc && (!eg_fmt(path, sizeof path, "%s/%s/UDC", s->dir, s->gadget) ||
			    !set_value(path, udc, sizeof udc)))
		return false;
	if (!eg_fmt(path, sizeof path, "%s/%s/functions", s->dir, s->gadget))
		return false;
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (fn = next_name(d, &budget)) != NULL)
		if (strncmp(fn, "mass_storage.", 13) == 0)
			found = function_active(s, fn);
	closedir(d);
	return found;
}

int eg_usb_storage_active(const char *gadget_dir, bool require_udc, char *what, size_t whatlen)
{
	struct usb_scan s = {gadget_dir, NULL, what, whatlen};
	int budget = EG_USB_GADGETS, err;
	bool found = false;
	DIR *d;

	if (whatlen > 0)
		what[0] = '\0';
	d = opendir(gadget_dir);
	if (d == NULL) {
		/* no configfs mounted, or no gadget support: nothing presented */
		if (errno == ENOENT)
			return 0;
		err = -errno;
		eg_fmt(what, whatlen, "unable to read %s: %s", gadget_dir, strerror(-err));
		return err;
	}
	while (!found && (s.gadget = next_name(d, &budget)) != NULL)
		found = gadget_active(&s, require_udc);
	closedir(d);
	return found;
}
