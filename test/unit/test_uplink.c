/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The self-heal's effects (uplink.c): the uplink's health read from the
 * kernel's link and address notifications, crafted here; probe targets and
 * echo replies; probes on 127.0.0.1 only; the USB mass-storage guard over
 * configfs-like trees in a temporary directory. */
#include "unit.h"
#include "uplink.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define UP 0x1u
#define RUNNING 0x40u
#define LOWER_UP 0x10000u
#define OPER_DOWN 2
#define OPER_UP 6

/* ---- crafted datagrams ---- */

static size_t put_msg(char *buf, size_t off, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr h = {(uint32_t)NLMSG_LENGTH(len), type, 0, 0, 0};

	memcpy(buf + off, &h, sizeof h);
	memcpy(buf + off + NLMSG_HDRLEN, data, len);
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

/* RTM_NEWLINK/DELLINK with an IFLA_IFNAME and, when oper >= 0, IFLA_OPERSTATE */
static size_t put_link(char *buf, size_t off, uint16_t type, unsigned char family, int index,
		       unsigned flags, int oper)
{
	char p[64];
	struct ifinfomsg i;
	struct rtattr a;
	size_t n = NLMSG_ALIGN(sizeof i);

	memset(p, 0, sizeof p);
	memset(&i, 0, sizeof i);
	i.ifi_family = family;
	i.ifi_index = index;
	i.ifi_flags = flags;
	memcpy(p, &i, sizeof i);
	a.rta_len = RTA_LENGTH(5);
	a.rta_type = IFLA_IFNAME;
	memcpy(p + n, &a, sizeof a);
	memcpy(p + n + RTA_LENGTH(0), "eth0", 5);
	n += RTA_SPACE(5);
	if (oper >= 0) {
		a.rta_len = RTA_LENGTH(1);
		a.rta_type = IFLA_OPERSTATE;
		memcpy(p + n, &a, sizeof a);
		p[n + RTA_LENGTH(0)] = (char)oper;
		n += RTA_SPACE(1);
	}
	return put_msg(buf, off, type, p, n);
}

static size_t put_addr(char *buf, size_t off, uint16_t type, unsigned char family, int index)
{
	char p[32];
	struct ifaddrmsg a;
	struct rtattr at;

	memset(&a, 0, sizeof a);
	a.ifa_family = family;
	a.ifa_prefixlen = 24;
	a.ifa_index = (unsigned)index;
	memcpy(p, &a, sizeof a);
	at.rta_len = RTA_LENGTH(4);
	at.rta_type = IFA_LOCAL;
	memcpy(p + sizeof a, &at, sizeof at);
	memcpy(p + sizeof a + sizeof at, "\x0a\x00\x02\x0f", 4);
	return put_msg(buf, off, type, p, sizeof a + RTA_SPACE(4));
}

static void scan(void)
{
	char buf[1024];
	struct eg_link_health h, before;
	size_t n;

	memset(&h, 0, sizeof h);
	memset(buf, 0, sizeof buf);

	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP | RUNNING | LOWER_UP, OPER_UP);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED, "scan: the link, up");
	CHECK(h.exists && h.index == 3 && h.up && h.lower_up && h.carrier &&
		      h.operstate == OPER_UP && !h.ipv4,
	      "scan: up, with carrier, operstate up, no address yet");
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), 0, "scan: the same again changes nothing");

	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP, OPER_DOWN);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED, "scan: lower_up lost");
	CHECK(h.exists && h.up && !h.lower_up && !h.carrier && h.operstate == OPER_DOWN,
	      "scan: up, no carrier, operstate down");
	CHECK_STR(eg_link_trouble(&h, false), "no carrier", "scan: trouble: no carrier");

	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, LOWER_UP, -1);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED, "scan: set down");
	CHECK(!h.up && h.lower_up && !h.carrier,
	      "scan: down: no carrier though the driver has one");
	CHECK_INT(h.operstate, OPER_DOWN, "scan: no operstate attribute keeps the last one");

	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP | LOWER_UP, OPER_UP);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED, "scan: up again");
	CHECK(h.carrier, "scan: carrier again");

	/* other interfaces and families */
	before = h;
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 4, 0, OPER_DOWN);
	n = put_link(buf, n, RTM_DELLINK, AF_UNSPEC, 4, 0, OPER_DOWN);
	n = put_addr(buf, n, RTM_NEWADDR, AF_INET, 4);
	n = put_addr(buf, n, RTM_DELADDR, AF_INET, 4);
	n = put_addr(buf, n, RTM_NEWADDR, AF_INET6, 3);
	n = put_addr(buf, n, RTM_DELADDR, AF_INET6, 3);
	n = put_link(buf, n, RTM_DELLINK, AF_BRIDGE, 3, 0, -1);
	n = put_link(buf, n, RTM_NEWLINK, AF_BRIDGE, 3, 0, OPER_DOWN);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), 0,
		  "scan: other links, IPv6, a bridge's port entry");
	CHECK(memcmp(&h, &before, sizeof h) == 0, "scan: ... leave the health alone");

	/* addresses */
	n = put_addr(buf, 0, RTM_NEWADDR, AF_INET, 3);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED, "scan: an IPv4 address");
	CHECK(h.ipv4, "scan: ipv4 set");
	CHECK(eg_link_trouble(&h, true) == NULL, "scan: healthy with check_v4");
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), 0, "scan: a second address changes nothing");
	n = put_addr(buf, 0, RTM_DELADDR, AF_INET, 3);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_REQUERY,
		  "scan: an address removed asks for a query");
	CHECK(h.ipv4, "scan: ... another may remain: ipv4 stays until the query says");

	/* several messages in one datagram: all applied, in order */
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 7, UP, -1);
	n = put_link(buf, n, RTM_NEWLINK, AF_UNSPEC, 3, UP, OPER_DOWN);
	n = put_addr(buf, n, RTM_DELADDR, AF_INET, 3);
	{
		char done[4] = {0};
		n = put_msg(buf, n, NLMSG_DONE, done, sizeof done);
	}
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED | EG_UPLINK_REQUERY,
		  "scan: carrier lost and an address removed in one datagram");
	CHECK(!h.carrier && h.operstate == OPER_DOWN, "scan: ... the carrier is gone");
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP, OPER_DOWN);
	n = put_link(buf, n, RTM_NEWLINK, AF_UNSPEC, 3, UP | LOWER_UP, OPER_UP);
	n = put_link(buf, n, RTM_NEWLINK, AF_UNSPEC, 3, UP, OPER_DOWN);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), 0,
		  "scan: a flap inside one datagram ends as it began");

	/* the interface goes away, and comes back with another index */
	n = put_addr(buf, 0, RTM_DELADDR, AF_INET, 3);
	n = put_link(buf, n, RTM_DELLINK, AF_UNSPEC, 3, 0, -1);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_CHANGED | EG_UPLINK_REQUERY,
		  "scan: the interface deleted");
	CHECK(!h.exists && h.index == 0 && !h.up && !h.carrier && !h.ipv4,
	      "scan: ... nothing of it is left");
	CHECK_STR(eg_link_trouble(&h, true), "no such interface", "scan: trouble: gone");
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 9, UP | LOWER_UP, OPER_UP);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_REQUERY,
		  "scan: while gone, a new link may be it: query by name");
	CHECK_INT(eg_uplink_scan(buf, n, 0, &h), EG_UPLINK_REQUERY, "scan: ... also with index 0");
	CHECK(!h.exists, "scan: ... which the scan does not guess");
	n = put_link(buf, 0, RTM_DELLINK, AF_UNSPEC, 9, 0, -1);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), 0, "scan: while gone, a link deleted is not news");
	n = put_addr(buf, 0, RTM_NEWADDR, AF_INET, 3);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), EG_UPLINK_REQUERY,
		  "scan: an address of a link not known to exist: query");
	CHECK(!h.ipv4 && !h.exists, "scan: ... the health stays consistent");
}

static void scan_malformed(void)
{
	char buf[512], *u;
	struct eg_link_health h, before;
	size_t n, m;

	memset(buf, 0, sizeof buf);
	memset(&h, 0, sizeof h);

	CHECK_INT(eg_uplink_scan(buf, 0, 3, &h), 0, "malformed: nothing");
	CHECK_INT(eg_uplink_scan(buf, 15, 3, &h), 0, "malformed: less than a header");

	/* the first message whole, the second cut: the first counts */
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP | LOWER_UP, OPER_UP);
	m = put_addr(buf, n, RTM_NEWADDR, AF_INET, 3);
	CHECK_INT(eg_uplink_scan(buf, m - 4, 3, &h), -EBADMSG, "malformed: a datagram cut short");
	CHECK(h.carrier && !h.ipv4, "malformed: what came before the cut is applied");

	/* payloads shorter than their fixed part */
	memset(&h, 0, sizeof h);
	before = h;
	n = put_msg(buf, 0, RTM_NEWLINK, "\0\0\0\0\3\0\0\0", 8);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), -EBADMSG, "malformed: a link message too short");
	n = put_msg(buf, 0, RTM_DELADDR, "\2\30\0\0", 4);
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), -EBADMSG,
		  "malformed: an address message too short");
	CHECK(memcmp(&h, &before, sizeof h) == 0, "malformed: short messages change nothing");

	/* an attribute running past its message */
	n = put_link(buf, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP | LOWER_UP, OPER_UP);
	{
		struct rtattr a = {200, IFLA_OPERSTATE};
		memcpy(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)), &a, sizeof a);
	}
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), -EBADMSG, "malformed: an overlong attribute");
	{
		struct rtattr a = {2, IFLA_OPERSTATE};
		memcpy(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)), &a, sizeof a);
	}
	CHECK_INT(eg_uplink_scan(buf, n, 3, &h), -EBADMSG,
		  "malformed: an attribute below its header");
	/* an empty operstate attribute is no operstate */
	{
		char p[64] = {0};
		struct ifinfomsg i = {0};
		struct rtattr a = {RTA_LENGTH(0), IFLA_OPERSTATE};

		i.ifi_index = 3;
		i.ifi_flags = UP | LOWER_UP;
		memcpy(p, &i, sizeof i);
		memcpy(p + sizeof i, &a, sizeof a);
		memset(&h, 0, sizeof h);
		h.operstate = 42;
		n = put_msg(buf, 0, RTM_NEWLINK, p, sizeof i + sizeof a);
		CHECK(eg_uplink_scan(buf, n, 3, &h) == EG_UPLINK_CHANGED && h.operstate == 42 &&
			      h.carrier,
		      "malformed: an empty operstate is ignored");
	}

	/* headers whose lengths are impossible */
	{
		struct nlmsghdr hd = {8, RTM_NEWLINK, 0, 0, 0};
		memcpy(buf, &hd, sizeof hd);
		CHECK_INT(eg_uplink_scan(buf, 64, 3, &h), -EBADMSG,
			  "malformed: a length below the header");
		hd.nlmsg_len = 65;
		memcpy(buf, &hd, sizeof hd);
		CHECK_INT(eg_uplink_scan(buf, 64, 3, &h), -EBADMSG,
			  "malformed: a length beyond the datagram");
	}

	/* unaligned input is read byte-wise */
	u = buf + 1;
	memset(&h, 0, sizeof h);
	n = put_link(u, 0, RTM_NEWLINK, AF_UNSPEC, 3, UP | LOWER_UP, OPER_UP);
	n = put_addr(u, n, RTM_NEWADDR, AF_INET, 3);
	CHECK_INT(eg_uplink_scan(u, n, 3, &h), EG_UPLINK_CHANGED, "malformed: unaligned is fine");
	CHECK(h.carrier && h.ipv4, "malformed: ... and read right");
}

static void trouble(void)
{
	struct eg_link_health h;

	memset(&h, 0, sizeof h);
	CHECK_STR(eg_link_trouble(&h, false), "no such interface", "trouble: none");
	h.exists = true;
	h.lower_up = true;
	CHECK_STR(eg_link_trouble(&h, false), "no carrier (the link is set down)", "trouble: down");
	h.up = true;
	h.carrier = true;
	CHECK(eg_link_trouble(&h, false) == NULL, "trouble: carrier, no check_v4: healthy");
	CHECK_STR(eg_link_trouble(&h, true), "no IPv4 address",
		  "trouble: check_v4 without an address");
	h.ipv4 = true;
	CHECK(eg_link_trouble(&h, true) == NULL, "trouble: carrier and address: healthy");
}

/* Read-only questions to the kernel; nothing is changed (a link that
 * does not exist cannot be set up). */
static void kernel(void)
{
	struct eg_link_health h;
	char why[EG_MSG_MAX];
	int fd, r;

	memset(&h, 0, sizeof h);
	CHECK_INT(eg_uplink_query("", &h, why, sizeof why), -EINVAL, "kernel: an empty name");
	CHECK_STR(why, "unable to ask the kernel about \"\": not an interface name",
		  "kernel: ... said");
	CHECK_INT(eg_uplink_query("abcdefghijklmnop", &h, why, sizeof why), -EINVAL,
		  "kernel: a name too long");
	CHECK_INT(eg_uplink_set_up("abcdefghijklmnop", true, why, sizeof why), -EINVAL,
		  "kernel: set up, a name too long");
	CHECK_STR(why, "unable to set up \"abcdefghijklmnop\": not an interface name",
		  "kernel: ... said");
	r = eg_uplink_set_up("eg-no-such0", false, why, sizeof why);
	CHECK(r == -ENODEV || r == -EPERM, "kernel: set down a link that does not exist: %s", why);

	/* lo is index 1 in every network namespace */
	r = eg_uplink_query("lo", &h, why, sizeof why);
	CHECK(r == EG_UPLINK_CHANGED && h.exists && h.index == 1, "kernel: lo is there (%s)",
	      r < 0 ? why : "");
	CHECK_INT(eg_uplink_query("lo", &h, why, sizeof why), 0, "kernel: asked again, unchanged");
	r = eg_uplink_query("eg-no-such0", &h, why, sizeof why);
	CHECK(r == EG_UPLINK_CHANGED && !h.exists && h.index == 0 && !h.ipv4,
	      "kernel: no such link is an answer, not a failure");

	fd = eg_uplink_monitor_open();
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "kernel: the monitor, nonblocking");
	if (fd >= 0) {
		CHECK(eg_uplink_monitor_read(fd, 1, &h) >= 0, "kernel: read without waiting");
		close(fd);
	}
}

/* ---- probes ---- */

static void targets(void)
{
	static const struct {
		const char *in;
		uint32_t addr;
		unsigned port;
		const char *why; /* NULL: accepted */
	} t[] = {
		{"10.0.2.2", 0x0a000202u, 0, NULL},
		{"10.0.2.2:22", 0x0a000202u, 22, NULL},
		{"127.0.0.1:1", 0x7f000001u, 1, NULL},
		{"1.2.3.4:65535", 0x01020304u, 65535, NULL},
		{"223.255.255.254", 0xdffffffeu, 0, NULL},
		{"", 0, 0, "not a dotted-quad"},
		{"gateway", 0, 0, "there is no DNS"},
		{"example.com:80", 0, 0, "there is no DNS"},
		{"localhost", 0, 0, "there is no DNS"},
		{":80", 0, 0, "not a dotted-quad"},
		{"1.2.3", 0, 0, "not a dotted-quad"},
		{"01.2.3.4", 0, 0, "not a dotted-quad"},
		{"1.2.3.4 ", 0, 0, "not a dotted-quad"},
		{" 1.2.3.4", 0, 0, "not a dotted-quad"},
		{"1.2.3.4\n", 0, 0, "not a dotted-quad"},
		{"1.2.3.4/24", 0, 0, "not a dotted-quad"},
		{"1.2.3.4 :80", 0, 0, "not a dotted-quad"},
		{"1.2.3.4:", 0, 0, "the port is not"},
		{"1.2.3.4:0", 0, 0, "the port is not"},
		{"1.2.3.4:00", 0, 0, "the port is not"},
		{"1.2.3.4:080", 0, 0, "the port is not"},
		{"1.2.3.4:65536", 0, 0, "the port is not"},
		{"1.2.3.4:99999", 0, 0, "the port is not"},
		{"1.2.3.4:4294967376", 0, 0, "the port is not"}, /* 2^32 + 80 */
		{"1.2.3.4:18446744073709551696", 0, 0, "the port is not"},
		{"1.2.3.4:+80", 0, 0, "the port is not"},
		{"1.2.3.4:-1", 0, 0, "the port is not"},
		{"1.2.3.4: 80", 0, 0, "the port is not"},
		{"1.2.3.4:80 ", 0, 0, "the port is not"},
		{"1.2.3.4:http", 0, 0, "the port is not"},
		{"1.2.3.4:80:90", 0, 0, "only IPv4"},
		{"::1", 0, 0, "only IPv4"},
		{"fe80::1", 0, 0, "only IPv4"},
		{"[::1]:80", 0, 0, "only IPv4"},
		{"[10.0.0.1]:80", 0, 0, "only IPv4"},
		{"0.0.0.0", 0, 0, "not a unicast"},
		{"0.1.2.3:80", 0, 0, "not a unicast"},
		{"224.0.0.1", 0, 0, "not a unicast"},
		{"239.255.255.250:1900", 0, 0, "not a unicast"},
		{"240.0.0.1", 0, 0, "not a unicast"},
		{"255.255.255.255", 0, 0, "not a unicast"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_probe_target pt = {0xdeadbeef, 4242};
		const char *why = eg_probe_parse(t[i].in, &pt);
		char shown[64];

		unit_shown(t[i].in, shown, sizeof shown);
		CHECK((why == NULL) == (t[i].why == NULL), "target \"%s\" %s%s%s", shown,
		      t[i].why ? "refused" : "accepted", why ? ": " : "", why ? why : "");
		if (why == NULL && t[i].why == NULL)
			CHECK(pt.addr == t[i].addr && pt.port == t[i].port,
			      "target \"%s\": %08x port %u", shown, pt.addr, pt.port);
		else if (why && t[i].why)
			CHECK(strstr(why, t[i].why) != NULL && pt.addr == 0xdeadbeef &&
				      pt.port == 4242,
			      "target \"%s\": reason has \"%s\", target left alone", shown,
			      t[i].why);
	}
}

/* an echo reply as the wire has it, with (ip) or without its IPv4 header */
static size_t reply(unsigned char *p, bool ip, unsigned ihl, unsigned char type, uint16_t id,
		    uint16_t seq)
{
	size_t o = 0;

	if (ip) {
		memset(p, 0, ihl * 4);
		p[0] = (unsigned char)(0x40 | ihl);
		p[9] = IPPROTO_ICMP;
		o = ihl * 4;
	}
	memset(p + o, 0, 24);
	p[o] = type;
	p[o + 4] = (unsigned char)(id >> 8);
	p[o + 5] = (unsigned char)id;
	p[o + 6] = (unsigned char)(seq >> 8);
	p[o + 7] = (unsigned char)seq;
	return o + 24;
}

static void echo(void)
{
	unsigned char p[128];
	size_t n;

	n = reply(p, false, 0, 0, 0x1234, 7);
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1234, 7), 1, "echo: a reply, ping socket");
	CHECK_INT(eg_probe_echo_reply(p, 8, false, 0x1234, 7), 1,
		  "echo: the header alone is enough");
	CHECK_INT(eg_probe_echo_reply(p, 7, false, 0x1234, 7), 0, "echo: less than a header");
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1235, 7), 0, "echo: another identifier");
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1234, 8), 0, "echo: another sequence");
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0x1234, 7), 0,
		  "echo: no IP header where one is due");
	n = reply(p, false, 0, 8, 0x1234, 7);
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1234, 7), 0,
		  "echo: our own request (loopback)");
	n = reply(p, false, 0, 3, 0x1234, 7);
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1234, 7), 0, "echo: destination unreachable");
	n = reply(p, false, 0, 0, 0x1234, 7);
	p[1] = 1;
	CHECK_INT(eg_probe_echo_reply(p, n, false, 0x1234, 7), 0, "echo: a code other than 0");

	n = reply(p, true, 5, 0, 0xbeef, 0x0102);
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0xbeef, 0x0102), 1, "echo: a reply, raw socket");
	CHECK_INT(eg_probe_echo_reply(p, 28, true, 0xbeef, 0x0102), 1,
		  "echo: IP and ICMP headers suffice");
	CHECK_INT(eg_probe_echo_reply(p, 27, true, 0xbeef, 0x0102), 0,
		  "echo: cut in the ICMP header");
	CHECK_INT(eg_probe_echo_reply(p, 19, true, 0xbeef, 0x0102), 0,
		  "echo: cut in the IP header");
	n = reply(p, true, 6, 0, 0xbeef, 0x0102);
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0xbeef, 0x0102), 1,
		  "echo: an IP header with options");
	CHECK_INT(eg_probe_echo_reply(p, 31, true, 0xbeef, 0x0102), 0,
		  "echo: ... read past the options");
	n = reply(p, true, 4, 0, 0xbeef, 0x0102);
	p[0] = 0x44;
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0xbeef, 0x0102), 0, "echo: an IHL below 5");
	n = reply(p, true, 5, 0, 0xbeef, 0x0102);
	p[0] = 0x4f;
	CHECK_INT(eg_probe_echo_reply(p, 40, true, 0xbeef, 0x0102), 0,
		  "echo: an IHL beyond the packet");
	n = reply(p, true, 5, 0, 0xbeef, 0x0102);
	p[0] = 0x65;
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0xbeef, 0x0102), 0, "echo: not IPv4");
	n = reply(p, true, 5, 0, 0xbeef, 0x0102);
	p[9] = IPPROTO_UDP;
	CHECK_INT(eg_probe_echo_reply(p, n, true, 0xbeef, 0x0102), 0, "echo: not ICMP");
}

/* Poll p until it settles, at most 2 s (loopback answers at once). */
static int settle(struct eg_probe *p, int *reachable, char *why, size_t whylen)
{
	int64_t deadline = eg_now_ms() + 2000;

	for (;;) {
		struct pollfd pf = {p->fd, p->events, 0};
		int64_t left = deadline - eg_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		r = eg_probe_finish(p, reachable, why, whylen);
		if (r != 0)
			return r;
	}
}

/* A TCP socket on 127.0.0.1, listening or not; its port in *port. */
static int local_tcp(bool listening, unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    (listening && listen(fd, 1) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void probes(void)
{
	struct eg_probe p;
	char why[EG_MSG_MAX], target[EG_PROBE_STR];
	unsigned port;
	int reachable, fd, r;

	/* a listening port: connected */
	fd = local_tcp(true, &port);
	CHECK(fd >= 0, "probe: a listening socket on 127.0.0.1");
	snprintf(target, sizeof target, "127.0.0.1:%u", port);
	r = eg_probe_start(target, NULL, &p, why, sizeof why);
	if (r == -ENETUNREACH) {
		/* a fresh network namespace: lo is down, nothing can be probed */
		CHECK(1, "probe: on 127.0.0.1 # SKIP lo is down here: %s", why);
		close(fd);
		return;
	}
	CHECK(r >= 0 && r == p.fd && p.events == POLLOUT, "probe: TCP started (%s)",
	      r < 0 ? why : "");
	if (r >= 0) {
		reachable = -1;
		r = settle(&p, &reachable, why, sizeof why);
		CHECK(r == 1 && reachable == 1, "probe: a listening port answers: %s", why);
		close(p.fd);
	}
	if (fd >= 0)
		close(fd);

	/* a bound port nobody listens on: refused, which is an answer */
	fd = local_tcp(false, &port);
	CHECK(fd >= 0, "probe: a bound, not listening socket on 127.0.0.1");
	snprintf(target, sizeof target, "127.0.0.1:%u", port);
	r = eg_probe_start(target, NULL, &p, why, sizeof why);
	CHECK(r >= 0, "probe: TCP to a closed port started (%s)", r < 0 ? why : "");
	if (r >= 0) {
		reachable = -1;
		r = settle(&p, &reachable, why, sizeof why);
		CHECK(r == 1 && reachable == 1, "probe: a closed port's reset is an answer: %s",
		      why);
		close(p.fd);
	}
	if (fd >= 0)
		close(fd);

	/* ICMP echo to 127.0.0.1: a ping socket, or a raw one as root */
	r = eg_probe_start("127.0.0.1", NULL, &p, why, sizeof why);
	if (r == -EPERM || r == -EACCES) {
		CHECK(strstr(why, "unable to open an ICMP socket") != NULL,
		      "probe: no ICMP socket here (no CAP_NET_RAW), said: %s", why);
	} else {
		CHECK(r >= 0 && p.events == POLLIN, "probe: ICMP started (%s)", r < 0 ? why : "");
		if (r >= 0) {
			reachable = -1;
			r = settle(&p, &reachable, why, sizeof why);
			CHECK(r == 1 && reachable == 1, "probe: 127.0.0.1 echoes (%s socket): %s",
			      p.raw ? "raw" : "ping", why);
			close(p.fd);
		}
	}

	/* the health probe's: out through one interface */
	fd = local_tcp(true, &port);
	snprintf(target, sizeof target, "127.0.0.1:%u", port);
	r = eg_probe_start(target, "lo", &p, why, sizeof why);
	if (r == -EPERM) {
		CHECK(strstr(why, "bind to the interface") != NULL,
		      "probe: no SO_BINDTODEVICE here (no CAP_NET_RAW), said: %s", why);
	} else {
		CHECK(r >= 0, "probe: TCP through lo started (%s)", r < 0 ? why : "");
		if (r >= 0) {
			reachable = -1;
			r = settle(&p, &reachable, why, sizeof why);
			CHECK(r == 1 && reachable == 1, "probe: through lo, answered: %s", why);
			close(p.fd);
		}
		r = eg_probe_start(target, "eg-nosuch0", &p, why, sizeof why);
		CHECK(r == -ENODEV && p.fd == -1, "probe: through an interface that does not exist: "
		      "-ENODEV (%d)", r);
		CHECK(strstr(why, "bind to the interface the probe must use, for 127.0.0.1:") != NULL,
		      "probe: ... and why: %s", why);
		r = eg_probe_start("127.0.0.1", "eg-nosuch0", &p, why, sizeof why);
		CHECK(r < 0 && p.fd == -1, "probe: ICMP through it neither (%s)", why);
	}
	if (fd >= 0)
		close(fd);

	/* nothing is sent for a target refused */
	r = eg_probe_start("gateway.lan", NULL, &p, why, sizeof why);
	CHECK(r == -EINVAL && p.fd == -1, "probe: a host name is refused");
	CHECK(strstr(why, "unable to probe \"gateway.lan\": ") != NULL && strstr(why, "no DNS"),
	      "probe: ... and why: %s", why);
	r = eg_probe_start("1.2.3.4:0", NULL, &p, why, sizeof why);
	CHECK(r == -EINVAL && strstr(why, "port"), "probe: port 0 is refused: %s", why);
}

/* ---- the USB guard over configfs-like trees ---- */

static char root[64];

/* root/rel as a directory (content NULL) or a file holding content,
 * with the directories above it */
static void put(const char *rel, const char *content)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (content == NULL) {
		mkdir(path, 0755);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
			CHECK(0, "usb: fixture %s written", rel);
		if (fd >= 0)
			close(fd);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void rm_tree(const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* eg_usb_storage_active on root/dir */
static int usb(const char *dir, bool udc, char *what, size_t size)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", root, dir);
	return eg_usb_storage_active(path, udc, what, size);
}

static void usb_guard(void)
{
	static const struct {
		const char *file;
		int want;
	} files[] = {
		{"/srv/iso/debian.iso\n", 1},
		{"/srv/iso/debian.iso", 1},
		{"/srv/iso/debian.iso\r\n", 1},
		{"", 0},
		{"\n", 0},
		{"\r\n", 0},
		{"none", 0},
		{"none\n", 0},
		{"None\n", 1}, /* only the kernel's own word means ejected */
		{" \n", 1},
	};
	static const struct {
		const char *udc; /* NULL: no UDC file */
		int want;
	} udcs[] = {
		{NULL, 0},
		{"", 0},
		{"\n", 0},
		{"none\n", 0},
		{"none", 0},
		{"dummy_udc.0\n", 1},
		{"fe980000.usb\n", 1},
	};
	char what[EG_MSG_MAX], shown[64];
	const char *lun0 = "g/g1/functions/mass_storage.usb0/lun.0/file";

	strcpy(root, "/tmp/eg-uplink-XXXXXX");
	if (!mkdtemp(root)) {
		CHECK(0, "usb: mkdtemp");
		return;
	}

	strcpy(what, "x");
	CHECK_INT(usb("missing", false, what, sizeof what), 0, "usb: no gadget directory: 0");
	CHECK_STR(what, "", "usb: ... and nothing said");
	put("file", "x");
	CHECK_INT(usb("file", false, what, sizeof what), -ENOTDIR, "usb: a file for the directory");
	CHECK(strstr(what, "unable to read ") != NULL && strstr(what, "/file: "),
	      "usb: ... said: %s", what);
	put("g", NULL);
	CHECK_INT(usb("g", false, what, sizeof what), 0, "usb: no gadget");
	put("g/g1", NULL);
	CHECK_INT(usb("g", false, what, sizeof what), 0, "usb: a gadget without functions");
	put("g/g1/functions/mass_storage.usb0", NULL);
	CHECK_INT(usb("g", false, what, sizeof what), 0,
		  "usb: a mass-storage function without LUN");
	put("g/g1/functions/mass_storage.usb0/lun.0", NULL);
	put("g/g1/functions/mass_storage.usb0/stall", "1\n");
	CHECK_INT(usb("g", false, what, sizeof what), 0, "usb: a LUN without its file");

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		put(lun0, files[i].file);
		unit_shown(files[i].file, shown, sizeof shown);
		CHECK_INT(usb("g", false, what, sizeof what), files[i].want,
			  "usb: lun.0/file \"%s\"", shown);
	}
	put(lun0, "/srv/iso/debian.iso\n");
	CHECK_INT(usb("g", false, what, sizeof what), 1, "usb: a backing file");
	CHECK_STR(what, "gadget g1 mass_storage.usb0 lun.0 presents /srv/iso/debian.iso",
		  "usb: what names it");
	put(lun0, "/srv/a\033[2Jb\n");
	CHECK_INT(usb("g", false, what, sizeof what), 1, "usb: a file name with an escape");
	CHECK_STR(what, "gadget g1 mass_storage.usb0 lun.0 presents /srv/a\\x1b[2Jb",
		  "usb: ... shown quoted");

	/* require_udc: the same gadget must be bound */
	put(lun0, "/srv/iso/debian.iso\n");
	for (size_t i = 0; i < sizeof udcs / sizeof udcs[0]; i++) {
		rm_tree("g/g1/UDC");
		if (udcs[i].udc)
			put("g/g1/UDC", udcs[i].udc);
		unit_shown(udcs[i].udc ? udcs[i].udc : "(none)", shown, sizeof shown);
		CHECK_INT(usb("g", true, what, sizeof what), udcs[i].want,
			  "usb: require_udc, UDC \"%s\"", shown);
		CHECK_INT(usb("g", false, what, sizeof what), 1,
			  "usb: without require_udc, UDC \"%s\"", shown);
	}

	/* several gadgets, of any name: the bound one's file counts */
	put(lun0, "none\n");
	put("g/g1/UDC", "dummy_udc.0\n");
	put("g/kvmd/UDC", "\n");
	put("g/kvmd/functions/hid.usb0/lun.0/file", "/not/mass/storage\n");
	put("g/kvmd/functions/mass_storage.usb1/lun.0/file", "\n");
	put("g/kvmd/functions/mass_storage.usb1/lun.1/file", "/var/lib/kvmd/msd/images/win.iso\n");
	CHECK_INT(usb("g", false, what, sizeof what), 1, "usb: another gadget's second LUN");
	CHECK_STR(what,
		  "gadget kvmd mass_storage.usb1 lun.1 presents /var/lib/kvmd/msd/images/win.iso",
		  "usb: ... named");
	CHECK_INT(usb("g", true, what, sizeof what), 0,
		  "usb: require_udc: the bound gadget presents nothing, the one presenting is "
		  "unbound");
	put("g/kvmd/UDC", "dummy_udc.1\n");
	CHECK_INT(usb("g", true, what, sizeof what), 1, "usb: require_udc: once it is bound");
	put("g/kvmd/functions/mass_storage.usb1/lun.1/file", "\n");
	CHECK_INT(usb("g", false, what, sizeof what), 0,
		  "usb: a function that is not mass storage");
	put("g/kvmd/functions/mass_storage.usb1/lun0/file", "/x\n");
	put("g/kvmd/functions/mass_storage.usb1/lun.2", "/x\n");
	put("g/kvmd/functions/massstorage.usb2/lun.0/file", "/x\n");
	CHECK_INT(usb("g", false, what, sizeof what), 0,
		  "usb: only functions/mass_storage.*/lun.*/file are read");

	/* many gadgets: the scan ends */
	for (int i = 0; i < 2 * EG_USB_GADGETS; i++) {
		char rel[64];

		snprintf(rel, sizeof rel, "many/g%d/functions/mass_storage.0/lun.0/file", i);
		put(rel, "\n");
	}
	CHECK_INT(usb("many", false, what, sizeof what), 0,
		  "usb: more gadgets than read, none active");

	rm_tree("");
	CHECK(access(root, F_OK) != 0, "usb: fixtures removed");
}

/* ---- the routes a bounce drops (eg_nl_route_read, pure) ---- */

/* An rtmsg and attributes: type, then 4 bytes (an address, network byte
 * order, for DST/GATEWAY/PREFSRC; a host-order u32 otherwise), 0 ends. */
static size_t route_msg(char *buf, unsigned char family, unsigned char dst_len, unsigned char table,
			unsigned char protocol, unsigned char scope, unsigned char type, ...)
{
	struct rtmsg m = {.rtm_family = family, .rtm_dst_len = dst_len, .rtm_table = table,
			  .rtm_protocol = protocol, .rtm_scope = scope, .rtm_type = type};
	size_t off = NLMSG_ALIGN(sizeof m);
	va_list ap;
	int at;

	memcpy(buf, &m, sizeof m);
	va_start(ap, type);
	while ((at = va_arg(ap, int)) != 0) {
		uint32_t v = va_arg(ap, uint32_t);
		struct rtattr a = {(unsigned short)RTA_LENGTH(4), (unsigned short)at};

		if (at == RTA_DST || at == RTA_GATEWAY || at == RTA_PREFSRC)
			v = htonl(v);
		memcpy(buf + off, &a, sizeof a);
		memcpy(buf + off + RTA_LENGTH(0), &v, 4);
		off += RTA_SPACE(4);
	}
	va_end(ap);
	return off;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void routes(void)
{
	char buf[256], shown[96];
	struct eg_routes rs = {.index = 4, .n = 1};
	struct eg_route *r = &rs.r[0];
	size_t n;

	n = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_GATEWAY, IP(10, 0, 2, 2), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 1, "route: the default route through 4 is kept");
	eg_route_format(&rs, 0, shown, sizeof shown);
	CHECK_STR(shown, "default via 10.0.2.2", "route: ... shown as ip(8) does");
	CHECK_INT(eg_nl_route_read(buf, n, 5, r), 0, "route: not through 5");
	CHECK_INT(eg_nl_route_read(buf, n, 0, r), 0, "route: not without an interface");
	n = route_msg(buf, AF_INET, 16, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_DST, IP(10, 10, 0, 0), RTA_GATEWAY, IP(10, 9, 0, 3), RTA_PRIORITY, 7,
		      RTA_PREFSRC, IP(10, 9, 0, 1), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 1, "route: a static route with metric and source");
	CHECK(r->dst == IP(10, 10, 0, 0) && r->dst_len == 16 && r->has_gateway &&
	      r->gateway == IP(10, 9, 0, 3) && r->has_priority && r->priority == 7 &&
	      r->has_prefsrc && r->prefsrc == IP(10, 9, 0, 1) && r->protocol == RTPROT_STATIC,
	      "route: ... every field read");
	eg_route_format(&rs, 0, shown, sizeof shown);
	CHECK_STR(shown, "10.10.0.0/16 via 10.9.0.3 metric 7", "route: ... shown");
	n = route_msg(buf, AF_INET, 24, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_LINK, RTN_UNICAST,
		      RTA_DST, IP(10, 11, 0, 0), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 1, "route: an on-link route kept");
	eg_route_format(&rs, 0, shown, sizeof shown);
	CHECK_STR(shown, "10.11.0.0/24 scope link", "route: ... shown");
	n = route_msg(buf, AF_INET, 24, RT_TABLE_MAIN, RTPROT_KERNEL, RT_SCOPE_LINK, RTN_UNICAST,
		      RTA_DST, IP(10, 9, 0, 0), RTA_PREFSRC, IP(10, 9, 0, 1), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: the kernel's prefix route is its own");
	n = route_msg(buf, AF_INET, 32, RT_TABLE_LOCAL, RTPROT_KERNEL, RT_SCOPE_HOST, RTN_LOCAL,
		      RTA_DST, IP(10, 9, 0, 1), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: the local table's is not kept");
	n = route_msg(buf, AF_INET, 0, RT_TABLE_UNSPEC, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_TABLE, 100, RTA_GATEWAY, IP(10, 0, 2, 2), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: table 100 (RTA_TABLE) is not kept");
	n = route_msg(buf, AF_INET, 0, RT_TABLE_UNSPEC, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_TABLE, RT_TABLE_MAIN, RTA_GATEWAY, IP(10, 0, 2, 2), RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 1, "route: the main table by RTA_TABLE is kept");
	n = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNREACHABLE,
		      0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: unreachable is not kept");
	n = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_GATEWAY, IP(10, 0, 2, 2), 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: without RTA_OIF (multipath) not kept");
	n = route_msg(buf, AF_INET6, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: IPv6 is not kept");
	n = route_msg(buf, AF_INET, 33, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n, 4, r), 0, "route: a prefix of 33 is not kept");
	/* malformed */
	CHECK_INT(eg_nl_route_read(buf, sizeof(struct rtmsg) - 1, 4, r), -1, "route: cut header");
	n = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n - 1, 4, r), -1, "route: an attribute past the end");
	{
		struct rtattr a = {2, RTA_OIF};
		memcpy(buf + NLMSG_ALIGN(sizeof(struct rtmsg)), &a, sizeof a);
		CHECK_INT(eg_nl_route_read(buf, n, 4, r), -1, "route: an attribute shorter than its header");
	}
	n = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		      RTA_OIF, 4, 0);
	CHECK_INT(eg_nl_route_read(buf, n + 2, 4, r), 1, "route: a tail shorter than a header is ignored");
}

void test_uplink(void)
{
	routes();
	scan();
	scan_malformed();
	trouble();
	kernel();
	targets();
	echo();
	probes();
	usb_guard();
}
