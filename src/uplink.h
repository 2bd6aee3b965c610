/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The effects the network self-heal needs, each a thin wrapper over one
 * kernel interface with a pure parser beside it: the uplink's health from
 * rtnetlink notifications, the interface bounce, reachability probes and
 * the USB mass-storage guard.  Nothing here blocks longer than
 * EG_NL_REPLY_MS: it all runs inside the daemon's one poll loop, which
 * also pets the hardware watchdog.  Reasons come back as one sentence in
 * why/what (kinit style): the caller logs.
 */
#ifndef EG_UPLINK_H
#define EG_UPLINK_H

#include "eg.h"
#include "netlink.h"

/* ---- the uplink's health ---- */

/* What makes an uplink usable, as the kernel last said it. */
struct eg_link_health {
	int index;               /* the interface's index; 0 while it does not exist */
	bool exists;
	bool up;                 /* IFF_UP: set up administratively */
	bool lower_up;           /* IFF_LOWER_UP: the driver sees a carrier */
	bool carrier;            /* up && lower_up: what "no carrier" means here */
	unsigned char operstate; /* IF_OPER_* of RFC 2863 (6 up, 2 down, 0 unknown) */
	bool ipv4;               /* at least one IPv4 address */
};

/* Answers of eg_uplink_scan, eg_uplink_monitor_read and eg_uplink_query:
 * a mask. */
#define EG_UPLINK_CHANGED 1 /* h is not what it was */
#define EG_UPLINK_REQUERY 2 /* h may be stale: call eg_uplink_query */

#define EG_UPLINK_DRAIN 64  /* datagrams read per eg_uplink_monitor_read, at most */

/* A nonblocking NETLINK_ROUTE socket bound to RTMGRP_LINK and
 * RTMGRP_IPV4_IFADDR: poll it for POLLIN, then eg_uplink_monitor_read.
 * Open it before the first eg_uplink_query, so that no change falls
 * between the two.  The fd (close-on-exec), or -errno. */
int eg_uplink_monitor_open(void);

/* Apply one datagram of the monitor socket, buf[0..len), to h, the health
 * of interface ifindex (pure).  It may hold several messages; links and
 * addresses of other interfaces, and other families' link messages (a
 * bridge's AF_BRIDGE RTM_DELLINK when a port leaves it: the port stays),
 * are ignored.  RTM_NEWLINK sets the flags and operstate; RTM_DELLINK
 * says the interface is gone (index 0, nothing up, no address);
 * RTM_NEWADDR of an IPv4 address sets ipv4 (or, while h says the link
 * does not exist, answers EG_UPLINK_REQUERY).
 *
 * RTM_DELADDR is not counted: the kernel also repeats RTM_NEWADDR for an
 * address it changes (`ip addr replace`, lifetimes), so a count would
 * drift.  A removed IPv4 address answers EG_UPLINK_REQUERY instead, and
 * eg_uplink_query then says whether another one remains.  While the
 * interface is gone, a new link of any index answers EG_UPLINK_REQUERY
 * too: it may be the same name back (a USB adapter plugged in again) with
 * a new index.
 *
 * Returns a mask of EG_UPLINK_CHANGED and EG_UPLINK_REQUERY, or -EBADMSG
 * for a malformed datagram: h holds what the messages before the bad one
 * said, and the caller re-queries.  Never reads outside buf[0..len). */
int eg_uplink_scan(const void *buf, size_t len, int ifindex, struct eg_link_health *h);

/* Read what the monitor socket fd has queued, without waiting (at most
 * EG_UPLINK_DRAIN datagrams; the rest keeps fd readable), and apply it to
 * h with eg_uplink_scan.  An overrun (ENOBUFS: the kernel dropped
 * notifications because the socket's buffer was full), a cut or
 * malformed datagram each answer EG_UPLINK_REQUERY: only a fresh query
 * tells the state then.  Returns the mask, or -errno when reading fails. */
int eg_uplink_monitor_read(int fd, int ifindex, struct eg_link_health *h);

/* The health of interface ifname now, asked of the kernel (RTM_GETLINK by
 * name, then a dump of the IPv4 addresses, interrupted dumps asked
 * again), all of it within EG_NL_REPLY_MS.  No such interface is an
 * answer, not a failure: h->exists false.  Returns the mask
 * (EG_UPLINK_CHANGED or 0) with h updated, or -errno with why (h
 * unchanged). */
int eg_uplink_query(const char *ifname, struct eg_link_health *h, char *why, size_t whylen);

/* What keeps h from being a usable uplink, as the log says it ("no such
 * interface", "no carrier (the link is set down)", "no carrier", "no IPv4
 * address" when check_v4), or NULL when nothing does. */
const char *eg_link_trouble(const struct eg_link_health *h, bool check_v4);

/* ---- the bounce ---- */

/* `ip link set ifname up|down` over rtnetlink, the kernel's answer
 * awaited at most EG_NL_REPLY_MS.  0, or -errno with why (-ENODEV: no
 * such interface). */
int eg_uplink_set_up(const char *ifname, bool up, char *why, size_t whylen);

/* ---- the routes a bounce drops ---- */

/* Setting a link down makes the kernel drop every route through it; up
 * again, it puts back only its own prefix routes.  The bounce keeps the
 * others (the default route above all) and puts them back. */
#define EG_ROUTES_MAX 16 /* routes kept through one interface, at most */

struct eg_routes {
	int index; /* the interface they go through; 0: none kept */
	int n;
	struct eg_route r[EG_ROUTES_MAX];
	bool more; /* there were more than EG_ROUTES_MAX: those are not kept */
};

/* Keep the main table's IPv4 routes through interface index that the
 * kernel would not put back (a dump, within EG_NL_REPLY_MS; an
 * interrupted dump is asked again).  0, or -errno with why (rs->n 0). */
int eg_uplink_routes_save(int index, struct eg_routes *rs, char *why, size_t whylen);
/* Put them back through rs->index: gateway routes after the others, so a
 * gateway reached by a kept route is there first.  *back says how many are
 * there afterwards (put back, or there already: left alone).  0, or the
 * first failure's -errno with why (the others are still tried). */
int eg_uplink_routes_restore(const struct eg_routes *rs, int *back, char *why, size_t whylen);
/* "default via 10.0.2.2", "10.1.0.0/16 via 10.0.2.1 metric 5",
 * "192.168.7.0/24 scope link": route i of rs, as ip(8) shows it. */
void eg_route_format(const struct eg_routes *rs, int i, char *buf, size_t size);

/* ---- reachability probes ---- */

#define EG_PROBE_STR 22 /* "255.255.255.255:65535" and the NUL */

/* Addresses in host byte order. */
struct eg_probe_target {
	uint32_t addr;
	uint16_t port; /* 0: an ICMP echo; else a TCP connect to it */
};

/* "A.B.C.D" (ICMP echo) or "A.B.C.D:PORT" (TCP, port 1-65535, decimal,
 * no leading zero), strictly (eg_ip4_parse), a unicast address (loopback
 * allowed: the tests'); no host names (there is no DNS in the daemon), no
 * IPv6.  NULL and *t set, or why not (t unchanged). */
const char *eg_probe_parse(const char *s, struct eg_probe_target *t);

struct eg_probe {
	int fd;           /* poll it for events; the caller closes it */
	short events;     /* POLLIN (an ICMP reply) or POLLOUT (the connect's end) */
	struct eg_probe_target t;
	bool raw;         /* ICMP on a raw socket: replies come with their IP header */
	bool answered;    /* the connect was answered at once */
	uint16_t id, seq; /* the echo request's */
};

/* Start probing target without waiting: an ICMP echo request sent, or a
 * TCP connect begun.  ICMP goes on an unprivileged datagram socket
 * (IPPROTO_ICMP, "ping socket"); where the kernel refuses it (EACCES: the
 * group is outside net.ipv4.ping_group_range, which by default holds
 * none, root's included; EPROTONOSUPPORT: a kernel without ping sockets)
 * on a raw one, which the daemon, as root, may open.  Both are connected
 * to the target, so only its packets are read.  Returns p->fd, or -errno
 * with why: a target that cannot even be tried (no route) is not
 * answering.  dev, unless NULL or "", is the interface the probe must
 * go out through (SO_BINDTODEVICE): the health probe's. */
int eg_probe_start(const char *target, const char *dev, struct eg_probe *p, char *why,
		   size_t whylen);

/* What the probe found, once poll reports any event on p->fd: 1 with
 * *reachable set when it is settled, 0 while it is not (nothing of ours
 * yet: poll again), -errno on failure.  ICMP: an echo reply with our id
 * and sequence is reachable, an error (host or network unreachable) is
 * not.  TCP: connected, or refused (a reset is an answer from the host),
 * is reachable; any other error is not.  why says what it found.  The
 * caller owns the deadline: a probe still unsettled then did not answer. */
int eg_probe_finish(struct eg_probe *p, int *reachable, char *why, size_t whylen);

/* Whether pkt[0..len) is the echo reply to id and seq (pure): with ip, it
 * begins with the IPv4 header (what a raw socket reads).  1 or 0. */
int eg_probe_echo_reply(const void *pkt, size_t len, bool ip, uint16_t id, uint16_t seq);

/* ---- the USB mass-storage guard ---- */

#define EG_USB_GADGETS 16 /* gadgets read in the gadget directory, at most */
#define EG_USB_FUNCS 32   /* entries read in one gadget's functions/, at most */
#define EG_USB_LUNS 32    /* entries read in one mass_storage function: FSG_MAX_LUNS is 16 */

/* 1 when a gadget under gadget_dir (configfs' usb_gadget, any gadget's
 * name) presents a file: a functions/mass_storage.NAME/lun.N/file whose
 * content, without its line end, is neither "" nor "none"; with
 * require_udc, only when that gadget is bound too (its UDC neither "" nor
 * "none").  what then names it: "gadget g1 mass_storage.usb0 lun.0
 * presents /srv/iso/debian.iso".  0 when none does, and when gadget_dir
 * does not exist (no configfs, no gadget).  -errno with what when
 * gadget_dir cannot be read.  Reads the fixed layout only, each directory
 * at most to its bound above. */
int eg_usb_storage_active(const char *gadget_dir, bool require_udc, char *what, size_t whatlen);

#endif
