/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: any bytes as a grubenv.  Parsing never crashes; a valid block
 * serializes back byte for byte; whatever parse leaves (the block, or a
 * fresh one for a corrupt block) is valid and parse(serialize) is the
 * identity; every listed variable is found by get; setting a new variable
 * and unsetting it again restores the block exactly.  Boot selection
 * (bootsel.c) reads any block within GRUB's ranges, and its edits leave
 * a valid block that says what they set. */
#include "bootsel.h"

#include <stdlib.h>
#include <string.h>

static struct eg_grubenv e, again;
static char out[EG_GRUBENV_MAX], out2[EG_GRUBENV_MAX], before[EG_GRUBENV_MAX];
static char name[EG_GRUBENV_MAX], val[EG_GRUBENV_MAX], got[EG_GRUBENV_MAX];

static void identity(const struct eg_grubenv *g)
{
	eg_grubenv_serialize(g, out);
	if (eg_grubenv_parse(&again, out, g->size) != NULL)
		abort();
	eg_grubenv_serialize(&again, out2);
	if (again.size != g->size || memcmp(out, out2, g->size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct eg_grubenv_var v;
	struct eg_grubsel s;
	struct eg_boot b = {EG_E_TRIAL, 1};
	const char *why;
	int target;
	size_t pos = 0, vlen;

	if (size > 2 * EG_GRUBENV_MAX)
		return 0;
	why = eg_grubenv_parse(&e, (const char *)data, size);
	eg_grubenv_serialize(&e, out);
	if (why == NULL && (e.size != size || memcmp(out, data, size) != 0))
		abort();
	identity(&e);
	while (eg_grubenv_next(&e, &pos, &v)) {
		memcpy(name, v.name, v.nlen);
		name[v.nlen] = '\0';
		if (!eg_grubenv_unescape(v.raw, v.rlen, val, sizeof val) ||
		    eg_grubenv_get(&e, name, got, sizeof got) != 1 || strcmp(val, got) != 0)
			abort();
	}
	/* a value from the input: its bytes up to the first NUL */
	vlen = strnlen((const char *)data, size < 600 ? size : 600);
	memcpy(val, data, vlen);
	val[vlen] = '\0';
	if (eg_grubenv_get(&e, "fuzz_new", got, sizeof got) != 0)
		return 0;
	eg_grubenv_serialize(&e, before);
	if (eg_grubenv_set(&e, "fuzz_new", val) == NULL) {
		if (eg_grubenv_get(&e, "fuzz_new", got, sizeof got) != 1 || strcmp(got, val) != 0)
			abort();
		identity(&e);
		if (!eg_grubenv_unset(&e, "fuzz_new"))
			abort();
	}
	/* refused or undone: the block is as it was */
	eg_grubenv_serialize(&e, out);
	if (memcmp(out, before, e.size) != 0)
		abort();
	eg_grubsel_read(&e, &s);
	if ((s.def != EG_E_A && s.def != EG_E_B) || s.trial < -1 || s.trial >= EG_E_COUNT ||
	    s.max_tries < 1 || s.max_tries > 9)
		abort();
	for (int i = 0; i < 3; i++)
		if (s.tries[i] < 0 || s.tries[i] > 9)
			abort();
	if (eg_bootsel_promote(&b, &e, &target) == NULL) {
		if (target == s.def)
			abort();
		if (eg_bootsel_promoted(&e, target) == NULL) {
			identity(&e);
			eg_grubsel_read(&e, &s);
			if (s.def != target || s.tries[target] != 0)
				abort();
		}
	}
	b.entry = size ? data[0] % EG_E_COUNT : EG_E_A;
	if (eg_bootsel_disarm(&b, &e, why == NULL) == NULL) {
		identity(&e);
		if (eg_grubenv_get(&e, "eg_ok", got, sizeof got) != 1 || strcmp(got, "1") != 0)
			abort();
		eg_grubsel_read(&e, &s);
		if (b.entry != EG_E_TRIAL && s.tries[b.entry] != 0)
			abort();
	}
	return 0;
}
