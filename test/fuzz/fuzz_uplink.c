/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the uplink's health read from any datagram (eg_uplink_scan)
 * stays consistent and never reads outside it; the probe target parser
 * accepts only the one spelling of an address and port it would print;
 * the echo reply check never reads past the packet; a route dump's
 * message is kept only when it is an IPv4 unicast route of the main table
 * through the interface, and never read past. */
#include "netcfg.h"
#include "uplink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same(const struct eg_link_health *a, const struct eg_link_health *b)
{
	return a->index == b->index && a->exists == b->exists && a->up == b->up &&
	       a->lower_up == b->lower_up && a->carrier == b->carrier &&
	       a->operstate == b->operstate && a->ipv4 == b->ipv4;
}

static void scan(const unsigned char *data, size_t size, int ifindex, struct eg_link_health *h)
{
	struct eg_link_health before = *h;
	int r = eg_uplink_scan(data, size, ifindex, h);

	if (r != -EBADMSG && (r < 0 || (r & ~(EG_UPLINK_CHANGED | EG_UPLINK_REQUERY)) != 0))
		abort();
	if (r >= 0 && !(r & EG_UPLINK_CHANGED) != same(&before, h))
		abort();
	/* what a consistent health stays */
	if (h->carrier != (h->up && h->lower_up) || h->exists != (h->index != 0) ||
	    (h->index != 0 && h->index != ifindex) ||
	    (!h->exists && (h->up || h->lower_up || h->ipv4)))
		abort();
	eg_link_trouble(h, true);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct eg_link_health h;
	struct eg_probe_target t;
	char s[64], back[EG_PROBE_STR + 8], ip[EG_IP4_STR];

	/* the bytes as a datagram: on a link not known, and on one known healthy */
	memset(&h, 0, sizeof h);
	scan(data, size, 3, &h);
	memset(&h, 0, sizeof h);
	h.index = 3;
	h.exists = h.up = h.lower_up = h.carrier = h.ipv4 = true;
	h.operstate = 6;
	scan(data, size, 3, &h);
	memset(&h, 0, sizeof h);
	scan(data, size, 0, &h);

	/* as a route of a dump: kept only as the rules say */
	{
		struct eg_route r;
		struct eg_routes rs = {.index = 3, .n = 1};
		char shown[96];
		int got = eg_nl_route_read(data, size, 3, &r);

		if (got < -1 || got > 1 || (got == 1 && (r.dst_len > 32 || r.protocol == 2)))
			abort();
		if (got == 1) {
			rs.r[0] = r;
			eg_route_format(&rs, 0, shown, sizeof shown);
		}
		if (eg_nl_route_read(data, size, 0, &r) == 1)
			abort();
	}

	/* as a packet a probe socket read */
	for (int ip_hdr = 0; ip_hdr < 2; ip_hdr++)
		if (eg_probe_echo_reply(data, size, ip_hdr, 0x0102, 0x0304) &&
		    size < (ip_hdr ? 28u : 8u))
			abort();

	/* as a target */
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (eg_probe_parse(s, &t) == NULL) {
		eg_ip4_format(t.addr, ip);
		if (t.port)
			snprintf(back, sizeof back, "%s:%u", ip, (unsigned)t.port);
		else
			snprintf(back, sizeof back, "%s", ip);
		if (strcmp(back, s) != 0 || t.addr >> 24 == 0 || t.addr >> 28 >= 14)
			abort();
	}
	return 0;
}
