/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the recovery network's parsers (earlyguard.net=, the kernel's
 * ip=, earlyguard.server=, the net= key, ip= found on a command line, the
 * peer watch's peer= and peer_listen=) and the reading of the kernel's
 * netlink answers never crash; what they accept keeps their rules and
 * reads back the same from its text. */
#include "conf.h"
#include "netcfg.h"
#include "netlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct eg_net *n)
{
	char text[EG_NET_STR];
	struct eg_net back;

	if (n->prefix < 1 || n->prefix > 32 || eg_ifname_check(n->ifname, strlen(n->ifname)))
		abort();
	eg_net_format(n, text, sizeof text);
	if (strlen(text) > 50 || eg_net_parse(text, &back) != NULL ||
	    memcmp(&back, n, sizeof back) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char s[EG_CMDLINE_MAX], why[EG_MSG_MAX], ip[EG_IP4_STR];
	struct eg_net n;
	struct eg_server sv;
	struct eg_nl_answer a;
	struct eg_conf c;
	enum eg_net_from from;
	uint32_t addr;

	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (eg_ip4_parse(s, size, &addr)) {
		eg_ip4_format(addr, ip);
		if (strcmp(ip, s) != 0)
			abort(); /* one spelling per address */
	}
	if (eg_net_parse(s, &n) == NULL)
		check(&n);
	if (eg_net_parse_ip(s, &n) == NULL)
		check(&n);
	if (eg_server_parse(s, &sv) == NULL && (sv.port == 0 || sv.addr >> 24 == 0))
		abort();
	/* the peer watch's: what is accepted reads back the same */
	for (int listen = 0; listen < 2; listen++)
		if (eg_peer_addr_parse(s, listen, &sv) == NULL) {
			char back[EG_SERVER_STR];

			eg_ip4_format(sv.addr, ip);
			if (sv.port == 0 || (!listen && sv.addr == 0))
				abort();
			snprintf(back, sizeof back, "%s:%u", ip, (unsigned)sv.port);
			if (strcmp(back, s) != 0 && !(listen && sv.addr == 0 &&
						       strcmp(strchr(back, ':') + 1, s) == 0))
				abort();
		}
	if (eg_net_resolve("", s, &n, &from, why, sizeof why) == 0)
		check(&n);
	else if (strlen(why) >= sizeof why)
		abort();
	eg_conf_defaults(&c);
	if (eg_conf_set(&c, EG_K_NET, s, EG_SRC_FILE, why, sizeof why) == 0 && c.net[0] != '\0' &&
	    eg_net_parse(c.net, &n) != NULL)
		abort();
	if (eg_conf_set(&c, EG_K_SERVER, s, EG_SRC_FILE, why, sizeof why) == 0 &&
	    c.server[0] != '\0' && eg_server_parse(c.server, &sv) != NULL)
		abort();
	/* the same bytes as a datagram from the kernel */
	for (uint32_t seq = 0; seq < 3; seq++)
		if (eg_nl_scan(data, size, seq, &a) == 1 && !a.link &&
		    (a.err > 0 || a.err < -4095 || strlen(a.ext) >= sizeof a.ext))
			abort();
	return 0;
}
