/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: a boot record area from disk is never trusted: decoding any
 * bytes is safe, and what decodes re-encodes to the same record. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned char area[EG_REC_AREA], slot[EG_REC_SLOT];
	struct eg_record r, again;
	char text[EG_MSG_MAX];

	memset(area, 0, sizeof area);
	memcpy(area, data, size < sizeof area ? size : sizeof area);
	if (eg_record_pick(area, &r) >= 0) {
		eg_record_describe(&r, size & 1, text, sizeof text);
		eg_record_encode(&r, slot);
		if (!eg_record_decode(slot, &again) || again.seq != r.seq ||
		    strcmp(again.reason, r.reason) != 0 || strcmp(again.event, r.event) != 0)
			abort();
	}
	return 0;
}
