/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the configuration file parser never crashes and keeps every
 * value within its key's rules. */
#include "conf.h"

#include <stdlib.h>
#include <string.h>

static void ignore(void *ctx, const char *where, const char *msg)
{
	(void)ctx;
	(void)where;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct eg_conf c;
	struct eg_server sv;

	if (size > EG_CONF_MAX)
		return 0;
	eg_conf_defaults(&c);
	eg_conf_parse_file(&c, "fuzz.conf", (const char *)data, size, ignore, NULL);
	if (c.timeout_s < eg_keys[EG_K_TIMEOUT].min || c.timeout_s > eg_keys[EG_K_TIMEOUT].max ||
	    c.deadline_s < eg_keys[EG_K_DEADLINE].min || c.device[0] != '/')
		abort();
	/* the peer watch's values are what its daemon can use as they are */
	if ((c.peer[0] && eg_peer_addr_parse(c.peer, false, &sv) != NULL) ||
	    (c.peer_listen[0] && eg_peer_addr_parse(c.peer_listen, true, &sv) != NULL) ||
	    (c.peer_id[0] && eg_peer_id_check(c.peer_id, strlen(c.peer_id), NULL, 0) != 0) ||
	    c.peer_interval_s < 1 || c.peer_interval_s > 60 || c.peer_hold_max_s > 24 * 3600)
		abort();
	return 0;
}
