/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the kernel command-line tokenizer, the earlyguard.* parser and
 * the module-parameter collector never crash or loop. */
#include "conf.h"
#include "modload.h"

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
	char cl[EG_CMDLINE_MAX], params[EG_MODPARAMS_MAX];
	struct eg_conf c;
	struct eg_word w;
	const char *p = cl;
	int words = 0;

	if (size >= sizeof cl)
		return 0;
	memcpy(cl, data, size);
	cl[size] = '\0';
	while (eg_cmdline_next(&p, &w) != 0)
		if (++words > (int)size + 1)
			abort(); /* every word consumes input */
	eg_conf_defaults(&c);
	eg_conf_parse_cmdline(&c, cl, ignore, NULL);
	eg_modparams(cl, "i6300esb", params, sizeof params);
	if (strlen(params) >= sizeof params)
		abort();
	return 0;
}
