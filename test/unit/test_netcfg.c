/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The recovery network's parsers (netcfg.c), its configuration keys, and
 * the reading of the kernel's netlink answers (netlink.c's eg_nl_scan). */
#include "unit.h"
#include "conf.h"
#include "netcfg.h"
#include "netlink.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

static void ip4(void)
{
	static const struct {
		const char *in;
		int ok;
		uint32_t want;
	} t[] = {
		{"0.0.0.0", 1, 0},
		{"255.255.255.255", 1, 0xffffffffu},
		{"10.0.2.15", 1, 0x0a00020fu},
		{"1.2.3.4", 1, 0x01020304u},
		{"192.168.100.200", 1, 0xc0a864c8u},
		{"100.0.0.9", 1, 0x64000009u},
		{"", 0, 0},
		{"1", 0, 0},
		{"10.1", 0, 0},
		{"1.2.3", 0, 0},
		{"1.2.3.4.5", 0, 0},
		{"01.2.3.4", 0, 0},
		{"1.2.3.04", 0, 0},
		{"00.0.0.0", 0, 0},
		{"017.0.0.1", 0, 0},
		{"0x1.2.3.4", 0, 0},
		{"256.0.0.0", 0, 0},
		{"1.2.3.256", 0, 0},
		{"1.2.3.999", 0, 0},
		{"1.2.3.1234", 0, 0},
		{"1.2.3.4 ", 0, 0},
		{" 1.2.3.4", 0, 0},
		{"1.2.3.4\n", 0, 0},
		{"1..3.4", 0, 0},
		{".1.2.3", 0, 0},
		{"1.2.3.", 0, 0},
		{"1.2.3.4/24", 0, 0},
		{"+1.2.3.4", 0, 0},
		{"-1.2.3.4", 0, 0},
		{"1,2,3,4", 0, 0},
		{"1.2.3.a", 0, 0},
		{"4294967295", 0, 0},
		{"1.2.3.4:80", 0, 0},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t got = 0xdeadbeef;
		bool ok = eg_ip4_parse(t[i].in, strlen(t[i].in), &got);

		CHECK(ok == (t[i].ok != 0), "ip4 \"%s\" %s", t[i].in, t[i].ok ? "accepted" : "refused");
		if (ok && t[i].ok) {
			char back[EG_IP4_STR];

			CHECK_INT(got, t[i].want, "ip4 \"%s\" value", t[i].in);
			eg_ip4_format(got, back);
			CHECK_STR(back, t[i].in, "ip4 \"%s\" formats back", t[i].in);
		}
		if (!ok)
			CHECK_INT(got, 0xdeadbeef, "ip4 \"%s\" leaves the output alone", t[i].in);
	}
	{
		uint32_t a;
		CHECK(eg_ip4_parse("1.2.3.4xyz", 7, &a) && a == 0x01020304u,
		      "ip4 reads only the length it is given");
		CHECK(!eg_ip4_parse("1.2.3.4", 5, &a), "ip4 cut to three numbers is refused");
	}
}

static void ifnames(void)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen */
		int ok;
	} t[] = {
		{"eth0", 0, 1},
		{"a", 0, 1},
		{"enp0s31f6", 0, 1},
		{"abcdefghijklmno", 0, 1}, /* 15 */
		{"eth0.100", 0, 1},
		{"br-lan", 0, 1},
		{"wlan0_1", 0, 1},
		{"...", 0, 1}, /* the kernel takes it */
		{".a", 0, 1},
		{"@x", 0, 1},
		{"", 0, 0},
		{"abcdefghijklmnop", 0, 0}, /* 16 */
		{".", 0, 0},
		{"..", 0, 0},
		{"a/b", 0, 0},
		{"a:b", 0, 0},
		{"a b", 0, 0},
		{"a\tb", 0, 0},
		{"a\nb", 0, 0},
		{"a\vb", 0, 0},
		{"a\fb", 0, 0},
		{"a\rb", 0, 0},
		{"a\x01" "b", 0, 0},
		{"a\x7f" "b", 0, 0},
		{"a\xa0" "b", 0, 0},
		{"a\0b", 3, 0},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].in);
		const char *why = eg_ifname_check(t[i].in, len);

		CHECK((why == NULL) == (t[i].ok != 0), "interface name #%zu \"%s\" %s", i, t[i].in,
		      t[i].ok ? "accepted" : "refused");
	}
	CHECK_STR(eg_ifname_check("abcdefghijklmnop", 16), "an interface name is 1 to 15 characters",
		  "interface name length reason");
	CHECK_STR(eg_ifname_check("..", 2), "an interface name cannot be . or ..", ". and .. reason");
}

static void masks(void)
{
	static const struct {
		uint32_t mask;
		int prefix;
	} t[] = {
		{0, 0},           {0x80000000u, 1}, {0xffff0000u, 16}, {0xffffff00u, 24},
		{0xfffffffcu, 30}, {0xfffffffeu, 31}, {0xffffffffu, 32}, {0xff00ff00u, -1},
		{0x00ffffffu, -1}, {0xfffffff7u, -1}, {0x7fffffffu, -1}, {1, -1},
		{0xfffffeffu, -1},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CHECK_INT(eg_mask_prefix(t[i].mask), t[i].prefix, "mask 0x%08x", t[i].mask);
}

/* want: the normalized net= text; or, for a refusal, a part of the reason */
struct net_case {
	const char *in;
	int ok;
	const char *want;
};

static void net_table(const char *what, const struct net_case *t, size_t n,
		      const char *(*parse)(const char *, struct eg_net *))
{
	for (size_t i = 0; i < n; i++) {
		struct eg_net net, sentinel;
		const char *why;
		char text[EG_NET_STR];

		memset(&sentinel, 0x5a, sizeof sentinel);
		net = sentinel;
		why = parse(t[i].in, &net);
		CHECK((why == NULL) == (t[i].ok != 0), "%s \"%s\" %s%s%s", what, t[i].in,
		      t[i].ok ? "accepted" : "refused", why ? ": " : "", why ? why : "");
		if (why == NULL && t[i].ok) {
			struct eg_net again;

			eg_net_format(&net, text, sizeof text);
			CHECK_STR(text, t[i].want, "%s \"%s\" reads as", what, t[i].in);
			CHECK(eg_net_parse(text, &again) == NULL &&
				      memcmp(&again, &net, sizeof net) == 0,
			      "%s \"%s\": its net= form reads back the same", what, t[i].in);
		} else if (why != NULL && !t[i].ok) {
			CHECK(strstr(why, t[i].want) != NULL, "%s \"%s\": reason \"%s\" has \"%s\"",
			      what, t[i].in, why, t[i].want);
			CHECK(memcmp(&net, &sentinel, sizeof net) == 0, "%s \"%s\" leaves n alone", what,
			      t[i].in);
		}
	}
}

static void net(void)
{
	static const struct net_case t[] = {
		{"eth0:10.0.2.15/24:10.0.2.2", 1, "eth0:10.0.2.15/24:10.0.2.2"},
		{"eth0:10.0.2.15/24", 1, "eth0:10.0.2.15/24"},
		{"eth0:192.168.1.1/32", 1, "eth0:192.168.1.1/32"},
		{"eth0:10.0.0.0/31:10.0.0.1", 1, "eth0:10.0.0.0/31:10.0.0.1"},
		{"eth0:10.0.0.1/31:10.0.0.0", 1, "eth0:10.0.0.1/31:10.0.0.0"},
		{"eth0:10.0.2.1/30:10.0.2.2", 1, "eth0:10.0.2.1/30:10.0.2.2"},
		{"abcdefghijklmno:1.2.3.4/8:1.0.0.1", 1, "abcdefghijklmno:1.2.3.4/8:1.0.0.1"},
		{"eth0:100.64.0.1/1:1.2.3.4", 1, "eth0:100.64.0.1/1:1.2.3.4"},
		{"br-lan.10:172.16.5.4/12:172.31.255.254", 1,
		 "br-lan.10:172.16.5.4/12:172.31.255.254"},
		{"", 0, "expected IFACE:ADDR/PREFIX[:GATEWAY]"},
		{"eth0", 0, "expected IFACE"},
		{"10.0.2.15/24", 0, "expected IFACE"},
		{":10.0.2.15/24", 0, "1 to 15 characters"},
		{"eth0:", 0, "the /PREFIX is missing"},
		{"eth0:10.0.2.15", 0, "the /PREFIX is missing"},
		{"eth0:10.0.2.15:10.0.2.2", 0, "the /PREFIX is missing"},
		{"eth0:10.0.2.15/", 0, "prefix is not a number from 1 to 32"},
		{"eth0:10.0.2.15/0", 0, "prefix is not a number from 1 to 32"},
		{"eth0:10.0.2.15/33", 0, "prefix is not a number from 1 to 32"},
		{"eth0:10.0.2.15/024", 0, "prefix is not"},
		{"eth0:10.0.2.15/2a", 0, "prefix is not"},
		{"eth0:10.0.2.15/+24", 0, "prefix is not"},
		{"eth0:10.0.2.15/255.255.255.0", 0, "prefix is not"},
		{"eth0:10.0.2.15 /24", 0, "the address is not a dotted-quad"},
		{"eth0:010.0.2.15/24", 0, "the address is not a dotted-quad"},
		{"eth0:10.0.2/24", 0, "the address is not a dotted-quad"},
		{"eth0:10.0.2.15/24:", 0, "the gateway is not a dotted-quad"},
		{"eth0:10.0.2.15/24:10.0.2.2:x", 0, "only IPv4"},
		{"eth0:10.0.2.15/24:10.0.2.2/24", 0, "the gateway is not a dotted-quad"},
		{"eth0:10.0.2.15/24:10.0.3.1", 0, "not in the address's network"},
		{"eth0:10.0.2.15/32:10.0.2.1", 0, "not in the address's network"},
		{"eth0:10.0.2.15/24:10.0.2.15", 0, "the gateway is the address itself"},
		{"eth0:10.0.2.15/24:10.0.2.0", 0, "network or the broadcast"},
		{"eth0:10.0.2.15/24:10.0.2.255", 0, "network or the broadcast"},
		{"eth0:10.0.2.15/24:0.0.0.0", 0, "the gateway is not a unicast"},
		{"eth0:10.0.2.15/8:127.0.0.1", 0, "the gateway is not a unicast"},
		{"eth0:10.0.2.0/24", 0, "the network address"},
		{"eth0:10.0.2.255/24", 0, "the broadcast address"},
		{"eth0:127.0.0.2/8", 0, "not a unicast host address"},
		{"eth0:0.1.2.3/8", 0, "not a unicast host address"},
		{"eth0:0.0.0.0/32", 0, "not a unicast host address"},
		{"eth0:224.0.0.1/4", 0, "not a unicast host address"},
		{"eth0:239.1.1.1/24", 0, "not a unicast host address"},
		{"eth0:240.0.0.1/8", 0, "not a unicast host address"},
		{"eth0:255.255.255.255/32", 0, "not a unicast host address"},
		{"eth0:fe80::1/64", 0, "only IPv4"},
		{"eth0:[fe80::1]/64", 0, "only IPv4"},
		{"eth0:10.0.2.15/24:fe80::1", 0, "only IPv4"},
		{"eth 0:10.0.2.15/24", 0, "cannot contain"},
		{"eth0/1:10.0.2.15/24", 0, "cannot contain"},
		{"..:10.0.2.15/24", 0, "cannot be . or .."},
		{"abcdefghijklmnop:1.2.3.4/8", 0, "1 to 15 characters"},
	};

	net_table("net", t, sizeof t / sizeof t[0], eg_net_parse);
}

static void kernel_ip(void)
{
	static const struct net_case t[] = {
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:off", 1, "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:none", 1, "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:", 1, "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0", 1, "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0:box:eth0:off:8.8.8.8:8.8.4.4:1.2.3.4", 1,
		 "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15:whatever:10.0.2.2:255.255.255.0:any name:eth0:off", 1,
		 "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:off:junk:more:and:more:fields", 1,
		 "eth0:10.0.2.15/24:10.0.2.2"},
		{"10.0.2.15:::255.255.255.0::eth0:off", 1, "eth0:10.0.2.15/24"},
		{"10.0.2.15:::255.255.255.255::eth0:off", 1, "eth0:10.0.2.15/32"},
		{"172.16.0.9::172.16.0.1:255.240.0.0::ens3:off", 1, "ens3:172.16.0.9/12:172.16.0.1"},
		{"dhcp", 0, "only the static form"},
		{"on", 0, "only the static form"},
		{"any", 0, "only the static form"},
		{"bootp", 0, "only the static form"},
		{"rarp", 0, "only the static form"},
		{"both", 0, "only the static form"},
		{"", 0, "only the static form"},
		{"off", 0, "configure no network"},
		{"none", 0, "configure no network"},
		{":::::eth0:dhcp", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:dhcp", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:on", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:any", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:both", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:OFF", 0, "only the static form"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth0:offf", 0, "only the static form"},
		{"::10.0.2.2:255.255.255.0::eth0:off", 0, "the client address is required"},
		{"10.0.2.15::10.0.2.2:::eth0:off", 0, "the netmask is required"},
		{"10.0.2.15::10.0.2.2", 0, "the netmask is required"},
		{"10.0.2.15::10.0.2.2:255.255.255.0:::off", 0, "the device is required"},
		{"10.0.2.15::10.0.2.2:255.255.255.0", 0, "the device is required"},
		{"10.0.2.15::10.0.2.2:255.255.255.0:", 0, "the device is required"},
		{"10.0.2.15::10.0.2.2:255.0.255.0::eth0:off", 0, "contiguous"},
		{"10.0.2.15::10.0.2.2:0.0.0.0::eth0:off", 0, "contiguous"},
		{"10.0.2.15::10.0.2.2:24::eth0:off", 0, "the netmask is not a dotted-quad"},
		{"10.0.2.15::10.0.3.2:255.255.255.0::eth0:off", 0, "not in the address's network"},
		{"10.0.2.15::0.0.0.0:255.255.255.0::eth0:off", 0, "the gateway is not a unicast"},
		{"10.0.2.15::10.0.2.300:255.255.255.0::eth0:off", 0, "the gateway is not a dotted-quad"},
		{"10.0.2.0::10.0.2.1:255.255.255.0::eth0:off", 0, "the network address"},
		{"10.0.2.015::10.0.2.2:255.255.255.0::eth0:off", 0, "the client address is not"},
		{"[fe80::1]::[fe80::2]:64::eth0:off", 0, "only the static form"},
		{"[10.0.2.15]::10.0.2.2:255.255.255.0::eth0:off", 0, "only IPv4"},
		{"eth0:dhcp", 0, "the client address is not"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::eth/0:off", 0, "cannot contain"},
		{"10.0.2.15::10.0.2.2:255.255.255.0::abcdefghijklmnop:off", 0, "1 to 15"},
	};

	net_table("ip=", t, sizeof t / sizeof t[0], eg_net_parse_ip);
}

static void servers(void)
{
	static const struct {
		const char *in;
		int ok;
		uint32_t addr;
		unsigned port;
		const char *why;
	} t[] = {
		{"10.0.2.2", 1, 0x0a000202u, 80, NULL},
		{"10.0.2.2:8080", 1, 0x0a000202u, 8080, NULL},
		{"127.0.0.1:1", 1, 0x7f000001u, 1, NULL},
		{"1.2.3.4:65535", 1, 0x01020304u, 65535, NULL},
		{"192.168.1.10:80", 1, 0xc0a8010au, 80, NULL},
		{"", 0, 0, 0, "not a dotted-quad"},
		{":80", 0, 0, 0, "not a dotted-quad"},
		{"10.0.2.2:", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:0", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:65536", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:99999", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:123456", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:080", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:-1", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:+80", 0, 0, 0, "port is not a number"},
		{"10.0.2.2:http", 0, 0, 0, "port is not a number"},
		{"10.0.2.2: 80", 0, 0, 0, "port is not a number"},
		{"10.0.2.2 :80", 0, 0, 0, "not a dotted-quad"},
		{"example.com", 0, 0, 0, "there is no DNS"},
		{"example.com:80", 0, 0, 0, "there is no DNS"},
		{"[::1]:80", 0, 0, 0, "only IPv4"},
		{"::1", 0, 0, 0, "only IPv4"},
		{"10.0.2.2:80:90", 0, 0, 0, "only IPv4"},
		{"0.0.0.0", 0, 0, 0, "not a unicast address"},
		{"0.1.2.3:80", 0, 0, 0, "not a unicast address"},
		{"224.0.0.1", 0, 0, 0, "not a unicast address"},
		{"255.255.255.255", 0, 0, 0, "not a unicast address"},
		{"10.0.2.2/24", 0, 0, 0, "not a dotted-quad"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_server sv = {0xdeadbeef, 4242};
		const char *why = eg_server_parse(t[i].in, &sv);

		CHECK((why == NULL) == (t[i].ok != 0), "server \"%s\" %s%s%s", t[i].in,
		      t[i].ok ? "accepted" : "refused", why ? ": " : "", why ? why : "");
		if (why == NULL && t[i].ok) {
			CHECK_INT(sv.addr, t[i].addr, "server \"%s\" address", t[i].in);
			CHECK_INT(sv.port, t[i].port, "server \"%s\" port", t[i].in);
		} else if (why != NULL && !t[i].ok) {
			CHECK(strstr(why, t[i].why) != NULL, "server \"%s\": reason \"%s\" has \"%s\"",
			      t[i].in, why, t[i].why);
			CHECK(sv.addr == 0xdeadbeef && sv.port == 4242, "server \"%s\" leaves sv alone",
			      t[i].in);
		}
	}
}

static void peer_addrs(void)
{
	static const struct {
		const char *in;
		int listen, ok;
		uint32_t addr;
		unsigned port;
		const char *why;
	} t[] = {
		{"10.0.4.2:7000", 0, 1, 0x0a000402u, 7000, NULL},
		{"127.0.0.1:1", 0, 1, 0x7f000001u, 1, NULL},
		{"10.0.4.2", 0, 0, 0, 0, "the port is required"},
		{"7000", 0, 0, 0, 0, "the port is required"},
		{"0.0.0.0:7000", 0, 0, 0, 0, "not a unicast address"},
		{"224.0.0.1:7000", 0, 0, 0, 0, "not a unicast address"},
		{"10.0.4.2:0", 0, 0, 0, 0, "port is not a number"},
		{"10.0.4.2:07000", 0, 0, 0, 0, "port is not a number"},
		{"peer.example:7000", 0, 0, 0, 0, "there is no DNS"},
		{"[::1]:7000", 0, 0, 0, 0, "only IPv4"},
		{"10.0.4.2:70:00", 0, 0, 0, 0, "only IPv4"},
		{"7000", 1, 1, 0, 7000, NULL},
		{"65535", 1, 1, 0, 65535, NULL},
		{"0.0.0.0:7000", 1, 1, 0, 7000, NULL},
		{"10.0.4.1:7001", 1, 1, 0x0a000401u, 7001, NULL},
		{"127.0.0.1:7000", 1, 1, 0x7f000001u, 7000, NULL},
		{"", 1, 0, 0, 0, "port is not a number"},
		{"0", 1, 0, 0, 0, "port is not a number"},
		{"65536", 1, 0, 0, 0, "port is not a number"},
		{"10.0.4.1", 1, 0, 0, 0, "port is not a number"},
		{"10.0.4.1:", 1, 0, 0, 0, "port is not a number"},
		{"255.255.255.255:7000", 1, 0, 0, 0, "not a unicast address"},
		{"10.0.4:7000", 1, 0, 0, 0, "not a dotted-quad"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_server sv = {0xdeadbeef, 4242};
		const char *why = eg_peer_addr_parse(t[i].in, t[i].listen, &sv);

		CHECK((why == NULL) == (t[i].ok != 0), "%s \"%s\" %s%s%s",
		      t[i].listen ? "peer_listen" : "peer", t[i].in, t[i].ok ? "accepted" : "refused",
		      why ? ": " : "", why ? why : "");
		if (why == NULL && t[i].ok)
			CHECK(sv.addr == t[i].addr && sv.port == t[i].port, "\"%s\" is %08lx port %u",
			      t[i].in, (unsigned long)sv.addr, (unsigned)sv.port);
		else if (why != NULL && !t[i].ok)
			CHECK(strstr(why, t[i].why) != NULL && sv.addr == 0xdeadbeef && sv.port == 4242,
			      "\"%s\": reason \"%s\" has \"%s\", sv left alone", t[i].in, why, t[i].why);
	}
}

static void resolve(void)
{
	static const char ip16[] = "ip=10.0.2.16::10.0.2.1:255.255.255.0::eth1:off";
	char longword[400];
	static const struct {
		const char *conf, *cmdline;
		int rc;
		enum eg_net_from from;
		const char *want; /* the net= form, or a part of why */
	} t[] = {
		{"", "", -1, EG_NET_NONE, "no network configured"},
		{"", "root=/dev/vda quiet", -1, EG_NET_NONE, "no network configured"},
		{"", "ip", -1, EG_NET_NONE, "no network configured"},
		{"", "nfsip=1 myip=10.0.2.16::10.0.2.1:255.255.255.0::eth1:off", -1, EG_NET_NONE,
		 "no network configured"},
		{"eth0:10.0.2.15/24", "", 0, EG_NET_CONF, "eth0:10.0.2.15/24"},
		{"eth0:10.0.2.15/24", ip16, 0, EG_NET_CONF, "eth0:10.0.2.15/24"},
		{"eth0:10.0.2.15/24", "ip=dhcp", 0, EG_NET_CONF, "eth0:10.0.2.15/24"},
		{"", ip16, 0, EG_NET_KERNEL_IP, "eth1:10.0.2.16/24:10.0.2.1"},
		{"", "quiet ip=10.0.2.16::10.0.2.1:255.255.255.0::eth1:off root=/dev/vda", 0,
		 EG_NET_KERNEL_IP, "eth1:10.0.2.16/24:10.0.2.1"},
		{"", "\"ip=10.0.2.16::10.0.2.1:255.255.255.0::eth1:off\"", 0, EG_NET_KERNEL_IP,
		 "eth1:10.0.2.16/24:10.0.2.1"},
		{"", "ip=dhcp", -1, EG_NET_KERNEL_IP, "ip=dhcp: only the static form"},
		{"", "ip=:::::eth0:dhcp", -1, EG_NET_KERNEL_IP, "ip=:::::eth0:dhcp: only the static"},
		{"", "ip=off", -1, EG_NET_NONE, "no network configured"},
		{"", "ip=none", -1, EG_NET_NONE, "no network configured"},
		{"", "ip=", -1, EG_NET_KERNEL_IP, "ip=: only the static form"},
		{"", "ip=10.0.2.16:::255.255.255.0::eth1:off ip=dhcp", -1, EG_NET_KERNEL_IP, "ip=dhcp"},
		{"", "ip=dhcp ip=10.0.2.16:::255.255.255.0::eth1:off", 0, EG_NET_KERNEL_IP,
		 "eth1:10.0.2.16/24"},
		{"", "ip=10.0.2.16:::255.255.255.0::eth1:off ip=off", -1, EG_NET_NONE,
		 "no network configured"},
		{"", "ip=10.0.2.16:::255.255.255.0::eth1:off -- ip=dhcp", 0, EG_NET_KERNEL_IP,
		 "eth1:10.0.2.16/24"},
		{"", "-- ip=10.0.2.16:::255.255.255.0::eth1:off", -1, EG_NET_NONE,
		 "no network configured"},
		{"", "IP=10.0.2.16:::255.255.255.0::eth1:off", -1, EG_NET_NONE, "no network"},
		{"", NULL /* longword */, -1, EG_NET_KERNEL_IP, "too long"},
	};

	memcpy(longword, "ip=", 3);
	memset(longword + 3, '1', sizeof longword - 4);
	longword[sizeof longword - 1] = '\0';
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_net n;
		enum eg_net_from from = (enum eg_net_from)42;
		char why[EG_MSG_MAX] = "", text[EG_NET_STR] = "";
		const char *cl = t[i].cmdline ? t[i].cmdline : longword;
		int rc = eg_net_resolve(t[i].conf, cl, &n, &from, why, sizeof why);

		CHECK_INT(rc, t[i].rc, "resolve #%zu (net=\"%s\", cmdline \"%.60s\")", i, t[i].conf, cl);
		CHECK_INT(from, t[i].from, "resolve #%zu: where from", i);
		if (rc == 0) {
			eg_net_format(&n, text, sizeof text);
			CHECK_STR(text, t[i].want, "resolve #%zu: network", i);
		} else {
			CHECK(strstr(why, t[i].want) != NULL, "resolve #%zu: \"%s\" has \"%s\"", i, why,
			      t[i].want);
		}
	}
}

struct sink {
	int n;
	char where[256], msg[EG_MSG_MAX];
};

static void sink(void *ctx, const char *where, const char *msg)
{
	struct sink *s = ctx;

	s->n++;
	snprintf(s->where, sizeof s->where, "%s", where);
	snprintf(s->msg, sizeof s->msg, "%s", msg);
}

static void keys(void)
{
	struct eg_conf c;
	struct sink s;
	char err[EG_MSG_MAX], buf[EG_LIST_MAX];
	static const char file[] = "net=eth0:10.0.2.15/24:10.0.2.2\n"
				   "net=eth0/1:10.0.2.15/24\n"
				   "server=10.0.2.2:8080\n"
				   "server=example.com\n"
				   "net_carrier_timeout=30s\n"
				   "net_carrier_timeout=0\n";

	eg_conf_defaults(&c);
	CHECK_STR(c.net, "", "net: none by default");
	CHECK_STR(c.server, "", "server: none by default");
	CHECK_INT(c.net_carrier_s, 10, "net_carrier_timeout: 10s by default");
	CHECK_INT(eg_conf_lookup("NET_CARRIER_TIMEOUT", 19), EG_K_NET_CARRIER_TIMEOUT,
		  "net_carrier_timeout is a key");

	memset(&s, 0, sizeof s);
	CHECK_INT(eg_conf_parse_file(&c, "t.conf", file, strlen(file), sink, &s), 3,
		  "file: three bad lines");
	CHECK_STR(c.net, "eth0:10.0.2.15/24:10.0.2.2", "file: the good net= stays");
	CHECK_STR(c.server, "10.0.2.2:8080", "file: the good server= stays");
	CHECK_INT(c.net_carrier_s, 30, "file: the good net_carrier_timeout= stays");
	CHECK_STR(s.where, "t.conf:6", "file: the problem's line");
	CHECK(c.source[EG_K_NET] == EG_SRC_FILE, "net from the file");

	memset(&s, 0, sizeof s);
	eg_conf_defaults(&c);
	eg_conf_parse_file(&c, "t.conf", "net=eth0/1:10.0.2.15/24\n", 24, sink, &s);
	CHECK_STR(s.where, "t.conf:1", "bad net=: file:line");
	CHECK(strstr(s.msg, "net: invalid value \"eth0/1:10.0.2.15/24\" (an interface name cannot "
			    "contain") != NULL,
	      "bad net=: the value and the reason: %s", s.msg);
	CHECK(strstr(s.msg, "expected IFACE:ADDR/PREFIX[:GATEWAY]") != NULL &&
		      strstr(s.msg, "keeping none (the default)") != NULL,
	      "bad net=: what is allowed, what is kept");

	memset(&s, 0, sizeof s);
	eg_conf_defaults(&c);
	CHECK_INT(eg_conf_parse_cmdline(&c,
					"quiet earlyguard.net=eth1:192.168.7.2/24:192.168.7.1 "
					"earlyguard.server=192.168.7.1:8000 "
					"earlyguard.net_carrier_timeout=1m earlyguard.server=10.0.2.2:x",
					sink, &s),
		  1, "cmdline: one bad word");
	CHECK_STR(c.net, "eth1:192.168.7.2/24:192.168.7.1", "cmdline: earlyguard.net=");
	CHECK(c.source[EG_K_NET] == EG_SRC_CMDLINE, "cmdline: net's source");
	CHECK_STR(c.server, "192.168.7.1:8000", "cmdline: the last good server= stays");
	CHECK_INT(c.net_carrier_s, 60, "cmdline: net_carrier_timeout=1m");
	CHECK(strstr(s.msg, "earlyguard.server=10.0.2.2:x: server: invalid value") != NULL &&
		      strstr(s.msg, "port is not a number") != NULL && strstr(s.msg, "keeping "
										   "192.168.7.1:8000"),
	      "cmdline: bad server= named: %s", s.msg);

	CHECK_INT(eg_conf_set(&c, EG_K_NET, "none", EG_SRC_FILE, err, sizeof err), 0, "net=none");
	CHECK_STR(c.net, "", "net=none is empty");
	CHECK_INT(eg_conf_set(&c, EG_K_SERVER, "", EG_SRC_FILE, err, sizeof err), 0, "server=");
	CHECK_STR(c.server, "", "server= is empty");
	CHECK_INT(eg_conf_set(&c, EG_K_NET_CARRIER_TIMEOUT, "0", EG_SRC_FILE, err, sizeof err), -1,
		  "net_carrier_timeout=0 refused");
	CHECK_INT(eg_conf_set(&c, EG_K_NET_CARRIER_TIMEOUT, "5m", EG_SRC_FILE, err, sizeof err), 0,
		  "net_carrier_timeout=5m");
	CHECK_INT(eg_conf_set(&c, EG_K_NET_CARRIER_TIMEOUT, "301", EG_SRC_FILE, err, sizeof err),
		  -1, "net_carrier_timeout=301 refused");
	CHECK(strstr(err, "from 1s to 5m") != NULL, "net_carrier_timeout range said: %s", err);
	/* the longest value that can be valid fits the field */
	CHECK_INT(eg_conf_set(&c, EG_K_NET, "abcdefghijklmno:100.100.100.100/24:100.100.100.101",
			      EG_SRC_FILE, err, sizeof err),
		  0, "the longest net= fits");
	eg_conf_format(&c, EG_K_NET, buf, sizeof buf);
	CHECK_STR(buf, "abcdefghijklmno:100.100.100.100/24:100.100.100.101", "net= formats back");
	CHECK_INT(eg_conf_set(&c, EG_K_SERVER, "223.255.255.254:65535", EG_SRC_FILE, err,
			      sizeof err),
		  0, "the longest server= fits");
}

/* ---- netlink answers ---- */

static size_t put_msg(char *buf, size_t off, uint16_t type, uint16_t flags, uint32_t seq,
		      const void *data, size_t len)
{
	struct nlmsghdr h = {(uint32_t)NLMSG_LENGTH(len), type, flags, seq, 0};

	memcpy(buf + off, &h, sizeof h);
	memcpy(buf + off + NLMSG_HDRLEN, data, len);
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

static void scan(void)
{
	char buf[512], payload[256];
	struct eg_nl_answer a;
	struct nlmsgerr e;
	struct ifinfomsg i;
	struct nlattr at;
	static const char msg[] = "Nexthop has invalid gateway";
	size_t n;

	memset(buf, 0, sizeof buf);
	memset(&e, 0, sizeof e);
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 7, &e, sizeof e);
	CHECK_INT(eg_nl_scan(buf, n, 7, &a), 1, "scan: an ACK");
	CHECK(a.err == 0 && !a.link && a.ext[0] == '\0', "scan: the ACK says 0");
	CHECK_INT(eg_nl_scan(buf, n, 8, &a), 0, "scan: another request's ACK is not ours");

	/* an error with the kernel's words, capped (NETLINK_CAP_ACK) */
	e.error = -EEXIST;
	e.msg.nlmsg_len = 100; /* the request's length; its body is not echoed */
	memcpy(payload, &e, sizeof e);
	at.nla_len = (uint16_t)(sizeof at + sizeof msg);
	at.nla_type = NLMSGERR_ATTR_MSG;
	memcpy(payload + sizeof e, &at, sizeof at);
	memcpy(payload + sizeof e + sizeof at, msg, sizeof msg);
	n = put_msg(buf, 0, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, payload,
		    sizeof e + NLA_ALIGN(at.nla_len));
	CHECK_INT(eg_nl_scan(buf, n, 9, &a), 1, "scan: an error");
	CHECK_INT(a.err, -EEXIST, "scan: the error's errno");
	CHECK_STR(a.ext, msg, "scan: the extended ACK's message");

	/* uncapped: the request's body comes before the attributes */
	e.msg.nlmsg_len = NLMSG_LENGTH(12);
	memcpy(payload, &e, sizeof e);
	memset(payload + sizeof e, 'x', 12);
	memcpy(payload + sizeof e + 12, &at, sizeof at);
	memcpy(payload + sizeof e + 12 + sizeof at, msg, sizeof msg);
	n = put_msg(buf, 0, NLMSG_ERROR, NLM_F_ACK_TLVS, 9, payload,
		    sizeof e + 12 + NLA_ALIGN(at.nla_len));
	CHECK(eg_nl_scan(buf, n, 9, &a) == 1 && strcmp(a.ext, msg) == 0,
	      "scan: the message after an echoed request");
	/* without NLM_F_ACK_TLVS the same bytes are no message */
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 9, payload, sizeof e + 12 + NLA_ALIGN(at.nla_len));
	CHECK(eg_nl_scan(buf, n, 9, &a) == 1 && a.ext[0] == '\0', "scan: no TLV flag, no message");
	/* an attribute running past the end is not read */
	e.msg.nlmsg_len = 100;
	memcpy(payload, &e, sizeof e);
	at.nla_len = 200;
	memcpy(payload + sizeof e, &at, sizeof at);
	n = put_msg(buf, 0, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, payload,
		    sizeof e + sizeof at + 8);
	CHECK(eg_nl_scan(buf, n, 9, &a) == 1 && a.err == -EEXIST && a.ext[0] == '\0',
	      "scan: an overlong attribute is ignored");
	/* control characters in the message are not printed */
	at.nla_len = sizeof at + 4;
	at.nla_type = NLMSGERR_ATTR_MSG;
	memcpy(payload + sizeof e, &at, sizeof at);
	memcpy(payload + sizeof e + sizeof at, "a\033b", 4);
	n = put_msg(buf, 0, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, payload,
		    sizeof e + sizeof at + 4);
	CHECK(eg_nl_scan(buf, n, 9, &a) == 1 && strcmp(a.ext, "a?b") == 0,
	      "scan: control characters replaced");

	/* a link, after a notification of another sequence */
	memset(&i, 0, sizeof i);
	i.ifi_index = 3;
	i.ifi_flags = 0x10043;
	n = put_msg(buf, 0, RTM_NEWLINK, 0, 0, &i, sizeof i);
	i.ifi_index = 4;
	n = put_msg(buf, n, RTM_NEWLINK, 0, 12, &i, sizeof i);
	CHECK_INT(eg_nl_scan(buf, n, 12, &a), 1, "scan: the link asked for");
	CHECK(a.link && a.index == 4 && a.flags == 0x10043, "scan: its index and flags");

	/* malformed */
	n = put_msg(buf, 0, RTM_NEWLINK, 0, 12, &i, 4);
	CHECK_INT(eg_nl_scan(buf, n, 12, &a), -1, "scan: a link message too short");
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 7, &e, 2);
	CHECK_INT(eg_nl_scan(buf, n, 7, &a), -1, "scan: an error message too short");
	e.error = 5;
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 7, &e, sizeof e);
	CHECK_INT(eg_nl_scan(buf, n, 7, &a), -1, "scan: a positive error");
	e.error = -5000;
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 7, &e, sizeof e);
	CHECK_INT(eg_nl_scan(buf, n, 7, &a), -1, "scan: an error beyond errno");
	e.error = 0;
	n = put_msg(buf, 0, NLMSG_ERROR, 0, 7, &e, sizeof e);
	CHECK_INT(eg_nl_scan(buf, n - 1, 7, &a), -1, "scan: a datagram cut short");
	CHECK_INT(eg_nl_scan(buf, 10, 7, &a), 0, "scan: less than a header is nothing");
	{
		struct nlmsghdr h = {8, NLMSG_ERROR, 0, 7, 0};
		memcpy(buf, &h, sizeof h);
		CHECK_INT(eg_nl_scan(buf, 64, 7, &a), -1, "scan: a length below the header");
	}
	/* unaligned input is read byte-wise (the fuzzer feeds any offset) */
	memset(&e, 0, sizeof e);
	n = put_msg(buf, 1, NLMSG_ERROR, 0, 7, &e, sizeof e);
	CHECK_INT(eg_nl_scan(buf + 1, n - 1, 7, &a), 1, "scan: unaligned");
}

/* eg_nl_next: the message walker eg_nl_scan and uplink.c share */
static void next(void)
{
	char buf[256];
	struct eg_nl_msg m;
	size_t n, off = 0;

	memset(buf, 0, sizeof buf);
	n = put_msg(buf, 0, RTM_NEWLINK, NLM_F_MULTI, 3, "abcde", 5);
	n = put_msg(buf, n, NLMSG_DONE, 0, 4, "", 0);
	CHECK(eg_nl_next(buf, n, &off, &m) == 1 && m.type == RTM_NEWLINK && m.seq == 3 &&
		      m.flags == NLM_F_MULTI && m.len == 5 && memcmp(m.data, "abcde", 5) == 0,
	      "next: the first message and its payload");
	CHECK_INT(off, NLMSG_ALIGN(NLMSG_LENGTH(5)), "next: moved past its padding");
	CHECK(eg_nl_next(buf, n, &off, &m) == 1 && m.type == NLMSG_DONE && m.len == 0,
	      "next: the second message");
	CHECK_INT(eg_nl_next(buf, n, &off, &m), 0, "next: then the end");
	CHECK_INT(eg_nl_next(buf, n, &off, &m), 0, "next: and the end again");
	/* the last message's padding cut off: still a message, then the end */
	off = 0;
	n = put_msg(buf, 0, RTM_NEWLINK, 0, 3, "abcde", 5);
	CHECK(eg_nl_next(buf, NLMSG_LENGTH(5), &off, &m) == 1 && m.len == 5 &&
		      off == NLMSG_LENGTH(5),
	      "next: a last message without its padding");
	CHECK_INT(eg_nl_next(buf, NLMSG_LENGTH(5), &off, &m), 0, "next: then the end");
	off = 0;
	CHECK_INT(eg_nl_next(buf, NLMSG_LENGTH(5) - 1, &off, &m), -1, "next: a message cut short");
	off = 1000;
	CHECK_INT(eg_nl_next(buf, n, &off, &m), 0, "next: an offset beyond the datagram");
}

void test_netcfg(void)
{
	ip4();
	ifnames();
	masks();
	net();
	kernel_ip();
	servers();
	peer_addrs();
	resolve();
	keys();
	scan();
	next();
}
