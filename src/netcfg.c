/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "netcfg.h"
#include "conf.h"

#include <stdio.h>
#include <string.h>

static const char expect_net[] = "expected IFACE:ADDR/PREFIX[:GATEWAY]";
static const char ipv4_only[] = "only IPv4 is supported";
static const char static_only[] = "only the static form is read (AUTOCONF off, none or empty): "
				  "no DHCP, BOOTP or RARP";

bool eg_ip4_parse(const char *s, size_t len, uint32_t *out)
{
	uint32_t a = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start;
		unsigned v = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		start = i;
		while (i < len && i - start < 3 && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (unsigned)(s[i++] - '0');
		/* "010" would be octal to inet_aton: refuse rather than guess */
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return false;
		a = a << 8 | v;
	}
	if (i != len)
		return false;
	*out = a;
	return true;
}

void eg_ip4_format(uint32_t a, char buf[EG_IP4_STR])
{
	snprintf(buf, EG_IP4_STR, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
		 (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
}

const char *eg_ifname_check(const char *s, size_t len)
{
	if (len == 0 || len >= EG_IFNAME_MAX)
		return "an interface name is 1 to 15 characters";
	if (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
		return "an interface name cannot be . or ..";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* the kernel's isspace() counts 0xa0 (Latin-1 NBSP) as a blank */
		if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f || ch == 0xa0)
			return "an interface name cannot contain '/', ':', blanks or control "
			       "characters";
	}
	return NULL;
}

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int eg_mask_prefix(uint32_t mask)
{
	int p = 0;

	while (p < 32 && (mask & (0x80000000u >> p)))
		p++;
	return mask == prefix_mask((unsigned)p) ? p : -1;
}

/* 0.0.0.0/8 ("this network"), 224.0.0.0/4 (multicast) and 240.0.0.0/4
 * (reserved, and the broadcast 255.255.255.255) are nobody's address;
 * 127.0.0.0/8 is nobody's on a network interface. */
static bool unicast(uint32_t a, bool loopback_ok)
{
	return a >> 24 != 0 && a >> 28 < 14 && (loopback_ok || a >> 24 != 127);
}

/* The rules both forms share, on an assembled eg_net. */
static const char *check_net(const struct eg_net *n)
{
	uint32_t mask = prefix_mask(n->prefix), host = ~mask, gw = n->gateway;
	/* a /31 has no network or broadcast address (RFC 3021), a /32 only itself */
	bool ends = n->prefix <= 30;

	if (!unicast(n->addr, false))
		return "the address is not a unicast host address";
	if (ends && (n->addr & host) == 0)
		return "the address is the network address of its prefix";
	if (ends && (n->addr & host) == host)
		return "the address is the broadcast address of its prefix";
	if (gw == 0)
		return NULL;
	if (!unicast(gw, false))
		return "the gateway is not a unicast host address";
	if (gw == n->addr)
		return "the gateway is the address itself";
	/* as the kernel's ip= does: a gateway must be on the link */
	if ((gw ^ n->addr) & mask)
		return "the gateway is not in the address's network (ADDR/PREFIX)";
	if (ends && ((gw & host) == 0 || (gw & host) == host))
		return "the gateway is the network or the broadcast address of the prefix";
	return NULL;
}

/* An IPv4 address of s[0..len), or why not: bad names the field.  Where
 * these fields are, ':' and '[' only come with IPv6. */
static const char *addr_field(const char *s, size_t len, uint32_t *out, const char *bad)
{
	if (memchr(s, ':', len) || memchr(s, '[', len))
		return ipv4_only;
	return eg_ip4_parse(s, len, out) ? NULL : bad;
}

/* A decimal number lo..hi of s[0..len), no sign, no leading zero. */
static bool number(const char *s, size_t len, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

const char *eg_net_parse(const char *s, struct eg_net *n)
{
	const char *colon = strchr(s, ':'), *addr, *slash, *pfx, *gw, *why;
	struct eg_net t;

	memset(&t, 0, sizeof t);
	if (colon == NULL)
		return expect_net;
	why = eg_ifname_check(s, (size_t)(colon - s));
	if (why)
		return why;
	memcpy(t.ifname, s, (size_t)(colon - s));
	addr = colon + 1;
	slash = strchr(addr, '/');
	if (slash == NULL)
		return "the /PREFIX is missing";
	why = addr_field(addr, (size_t)(slash - addr), &t.addr,
			 "the address is not a dotted-quad IPv4 address");
	if (why)
		return why;
	pfx = slash + 1;
	gw = strchr(pfx, ':');
	if (!number(pfx, gw ? (size_t)(gw - pfx) : strlen(pfx), 1, 32, &t.prefix))
		return "the prefix is not a number from 1 to 32";
	if (gw) {
		gw++;
		why = addr_field(gw, strlen(gw), &t.gateway,
				 "the gateway is not a dotted-quad IPv4 address");
		if (why)
			return why;
		if (t.gateway == 0)
			return "the gateway is not a unicast host address";
	}
	why = check_net(&t);
	if (why)
		return why;
	*n = t;
	return NULL;
}

const char *eg_net_parse_ip(const char *s, struct eg_net *n)
{
	enum { CLIENT, SERVER, GATEWAY, NETMASK, HOSTNAME, DEVICE, AUTOCONF, FIELDS };
	const char *f[FIELDS] = {0}, *why;
	size_t len[FIELDS] = {0};
	struct eg_net t;
	uint32_t mask;
	int nf = 0, p;

	memset(&t, 0, sizeof t);
	for (const char *p0 = s; nf < FIELDS; nf++) {
		const char *c = strchr(p0, ':');

		f[nf] = p0;
		len[nf] = c ? (size_t)(c - p0) : strlen(p0);
		if (c == NULL) {
			nf++;
			break;
		}
		p0 = c + 1;
	}
	if (nf == 1)
		return strcmp(s, "off") == 0 || strcmp(s, "none") == 0 ?
			       "ip=off and ip=none configure no network" :
			       static_only;
	if (nf > AUTOCONF && len[AUTOCONF] != 0 &&
	    !(len[AUTOCONF] == 3 && memcmp(f[AUTOCONF], "off", 3) == 0) &&
	    !(len[AUTOCONF] == 4 && memcmp(f[AUTOCONF], "none", 4) == 0))
		return static_only;
	if (len[CLIENT] == 0)
		return "the client address is required";
	why = addr_field(f[CLIENT], len[CLIENT], &t.addr,
			 "the client address is not a dotted-quad IPv4 address");
	if (why)
		return why;
	if (nf > GATEWAY && len[GATEWAY] != 0) {
		why = addr_field(f[GATEWAY], len[GATEWAY], &t.gateway,
				 "the gateway is not a dotted-quad IPv4 address");
		if (why)
			return why;
		if (t.gateway == 0)
			return "the gateway is not a unicast host address";
	}
	if (nf <= NETMASK || len[NETMASK] == 0)
		return "the netmask is required (it is not guessed from the address class)";
	if (!eg_ip4_parse(f[NETMASK], len[NETMASK], &mask))
		return "the netmask is not a dotted-quad IPv4 address";
	p = eg_mask_prefix(mask);
	if (p < 1)
		return "the netmask is not 128.0.0.0 to 255.255.255.255 with contiguous one bits";
	t.prefix = (unsigned)p;
	if (nf <= DEVICE || len[DEVICE] == 0)
		return "the device is required (no interface is picked for you)";
	why = eg_ifname_check(f[DEVICE], len[DEVICE]);
	if (why)
		return why;
	memcpy(t.ifname, f[DEVICE], len[DEVICE]);
	why = check_net(&t);
	if (why)
		return why;
	*n = t;
	return NULL;
}

const char *eg_server_parse(const char *s, struct eg_server *sv)
{
	const char *colon = strchr(s, ':');
	size_t alen = colon ? (size_t)(colon - s) : strlen(s);
	unsigned port = EG_SERVER_PORT;
	uint32_t a;

	if (s[0] == '[' || (colon && strchr(colon + 1, ':')))
		return ipv4_only;
	if (!eg_ip4_parse(s, alen, &a))
		return "the server is not a dotted-quad IPv4 address (there is no DNS)";
	/* loopback is allowed: a test's server on 127.0.0.1 */
	if (!unicast(a, true))
		return "the server is not a unicast address";
	if (colon && !number(colon + 1, strlen(colon + 1), 1, 65535, &port))
		return "the port is not a number from 1 to 65535";
	sv->addr = a;
	sv->port = (uint16_t)port;
	return NULL;
}

const char *eg_peer_addr_parse(const char *s, bool listen, struct eg_server *sv)
{
	const char *colon = strchr(s, ':'), *port = colon ? colon + 1 : s;
	unsigned p;
	uint32_t a = 0;

	if (s[0] == '[' || (colon && strchr(port, ':')))
		return ipv4_only;
	if (!colon && !listen)
		return "the port is required";
	if (colon && !eg_ip4_parse(s, (size_t)(colon - s), &a))
		return "the address is not a dotted-quad IPv4 address (there is no DNS)";
	/* 0.0.0.0 binds every address; it is no address to send to */
	if (colon && !unicast(a, true) && !(listen && a == 0))
		return "the address is not a unicast address";
	if (!number(port, strlen(port), 1, 65535, &p))
		return "the port is not a number from 1 to 65535";
	sv->addr = a;
	sv->port = (uint16_t)p;
	return NULL;
}

void eg_net_format(const struct eg_net *n, char *buf, size_t size)
{
	char a[EG_IP4_STR], g[EG_IP4_STR];

	eg_ip4_format(n->addr, a);
	eg_ip4_format(n->gateway, g);
	snprintf(buf, size, "%s:%s/%u%s%s", n->ifname, a, n->prefix, n->gateway ? ":" : "",
		 n->gateway ? g : "");
}

int eg_net_resolve(const char *conf_net, const char *cmdline, struct eg_net *n,
		   enum eg_net_from *from, char *why, size_t whylen)
{
	static const char none[] = "no network configured: set net=IFACE:ADDR/PREFIX[:GATEWAY] "
				   "(or earlyguard.net=, or the kernel's static ip=)";
	char ip[EG_PATH_MAX];
	struct eg_word w;
	const char *r;
	bool found = false, toolong = false;
	int k;

	*from = EG_NET_NONE;
	if (conf_net[0] != '\0') {
		*from = EG_NET_CONF;
		r = eg_net_parse(conf_net, n);
		if (r)
			snprintf(why, whylen, "net=%s: %s", conf_net, r);
		return r ? -1 : 0;
	}
	/* the kernel reads every ip= word and the last one wins */
	while ((k = eg_cmdline_next(&cmdline, &w)) != 0) {
		bool is_ip = k > 0 ? strcmp(w.key, "ip") == 0 && w.has_val :
				     w.rawlen > 3 && memcmp(w.raw, "ip=", 3) == 0;
		if (!is_ip)
			continue;
		found = true;
		toolong = k < 0;
		if (k > 0)
			eg_copy(ip, sizeof ip, w.val);
	}
	if (!found || (!toolong && (strcmp(ip, "off") == 0 || strcmp(ip, "none") == 0))) {
		snprintf(why, whylen, "%s", none);
		return -1;
	}
	*from = EG_NET_KERNEL_IP;
	r = toolong ? "the word is too long" : eg_net_parse_ip(ip, n);
	if (r)
		snprintf(why, whylen, "ip=%.80s: %s", toolong ? "..." : ip, r);
	return r ? -1 : 0;
}
