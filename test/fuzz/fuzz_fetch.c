/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the fetch's state file is read from the boot partition and
 * never trusted: any bytes parse safely, and what parses formats back to
 * the same bytes.  The same input drives the backoff and progress
 * arithmetic with arbitrary values: no overflow (UBSan), the bounds hold. */
#include "fetch_logic.h"

#include <stdlib.h>
#include <string.h>

static int64_t take(const unsigned char **p, size_t *n)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return (int64_t)(v >> 1);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char buf[EG_FETCH_STATE_MAX], line[EG_MSG_MAX];
	const unsigned char *p = data;
	size_t n = size;
	long v = eg_fetch_state_parse((const char *)data, size);
	struct eg_progress pr;

	if (v >= 0) {
		size_t len = eg_fetch_state_format(buf, (unsigned long)v);
		if (v > EG_FETCH_FAILURES_MAX || eg_fetch_state_parse(buf, len) != v)
			abort();
		/* one spelling: the input is the formatted line, with or without its LF */
		if (!(size == len || size == len - 1) || memcmp(buf, data, size) != 0)
			abort();
	}
	{
		int64_t base = take(&p, &n), cap = take(&p, &n), total = take(&p, &n);
		int64_t done = take(&p, &n), recv = take(&p, &n), now = take(&p, &n);
		unsigned k = (unsigned)take(&p, &n);
		uint32_t rnd = (uint32_t)take(&p, &n);

		for (int j = EG_JITTER_NONE; j <= EG_JITTER_EQUAL; j++) {
			int64_t d = eg_backoff_ms(k, base, cap, (enum eg_jitter)j, rnd);
			if (d < 0 || (cap > 0 && d > cap))
				abort();
		}
		if (eg_fetch_boot_wait_ms(k, cap, rnd) > cap / 2)
			abort();
		eg_progress_init(&pr, total, 0);
		eg_progress_line(&pr, "x", done, recv, now, k & 1, line, sizeof line);
		eg_fmt_eta(line, sizeof line, now);
		eg_fmt_secs(line, sizeof line, now);
		eg_fmt_bytes(line, sizeof line, done);
	}
	return 0;
}
