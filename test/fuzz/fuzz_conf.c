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

	if (size > EG_CONF_MAX)
		return 0;
	eg_conf_defaults(&c);
	eg_conf_parse_file(&c, "fuzz.conf", (const char *)data, size, ignore, NULL);
	if (c.timeout_s < eg_keys[EG_K_TIMEOUT].min || c.timeout_s > eg_keys[EG_K_TIMEOUT].max ||
	    c.deadline_s < eg_keys[EG_K_DEADLINE].min || c.device[0] != '/')
		abort();
	return 0;
}
