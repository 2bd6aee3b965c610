/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the kernel command-line tokenizer, the earlyguard.* parser,
 * the module-parameter collector and the boot entry parser never crash or
 * loop; the boot entry and attempt are always in range. */
#include "bootsel.h"
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
	struct eg_boot b;
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
	eg_boot_parse(cl, &b);
	if (b.entry < -1 || b.entry >= EG_E_COUNT || b.attempt < -1 || b.attempt > 9)
		abort();
	return 0;
}
