/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bootsel.h"
#include "conf.h"

#include <stdio.h>
#include <string.h>

const char eg_entry_name[EG_E_COUNT][9] = {"A", "B", "recovery", "trial"};

int eg_entry_lookup(const char *name)
{
	for (int i = 0; i < EG_E_COUNT; i++)
		if (strcmp(name, eg_entry_name[i]) == 0)
			return i;
	return -1;
}

const char *eg_boot_parse(const char *cmdline, struct eg_boot *b)
{
	const char *bad_entry = NULL, *bad_attempt = NULL;
	struct eg_word w;
	uint64_t n;
	int r;

	b->entry = b->attempt = -1;
	while ((r = eg_cmdline_next(&cmdline, &w)) != 0) {
		if (r < 0)
			continue;
		if (strcmp(w.key, "earlyguard.entry") == 0) {
			b->entry = eg_entry_lookup(w.val);
			bad_entry = b->entry < 0 ? "earlyguard.entry= is not A, B, recovery or trial" :
						   NULL;
		} else if (strcmp(w.key, "earlyguard.attempt") == 0) {
			/* GRUB counts up to 9 */
			bool ok = eg_parse_u64(w.val, &n) && n <= 9;

			b->attempt = ok ? (int)n : -1;
			bad_attempt = ok ? NULL : "earlyguard.attempt= is not 0 to 9";
		}
	}
	return bad_entry ? bad_entry : bad_attempt;
}

/* A one-digit value from lo to 9 (GRUB's regexp '^[lo-9]$'), or def. */
static int digit(const struct eg_grubenv *e, const char *name, char lo, int def)
{
	char v[2];

	return eg_grubenv_get(e, name, v, sizeof v) == 1 && v[0] >= lo && v[0] <= '9' ?
		       v[0] - '0' : def;
}

/* The entry a variable names, or -1 (not set, or not an entry). */
static int entry_var(const struct eg_grubenv *e, const char *name)
{
	char v[sizeof eg_entry_name[0]];

	return eg_grubenv_get(e, name, v, sizeof v) == 1 ? eg_entry_lookup(v) : -1;
}

static const char *tries_var(int entry, char *buf, size_t size)
{
	snprintf(buf, size, "eg_%s_tries", eg_entry_name[entry]);
	return buf;
}

void eg_grubsel_read(const struct eg_grubenv *e, struct eg_grubsel *s)
{
	char name[48];

	s->def = entry_var(e, "eg_default") == EG_E_B ? EG_E_B : EG_E_A;
	s->trial = entry_var(e, "eg_trial");
	s->max_tries = digit(e, "eg_max_tries", '1', 3);
	for (int i = EG_E_A; i < EG_E_TRIAL; i++)
		s->tries[i] = digit(e, tries_var(i, name, sizeof name), '0', 0);
}

const char *eg_bootsel_disarm(const struct eg_boot *b, struct eg_grubenv *e, bool valid)
{
	char name[48];
	const char *why;

	/* GRUB cannot count with a block it cannot read; nothing of a corrupt
	 * one is kept (eg_grubenv_parse), and the contract's size is 1024. */
	if (!valid)
		eg_grubenv_init(e, EG_GRUBENV_SIZE);
	why = eg_grubenv_set(e, "eg_ok", "1");
	if (!why && b->entry != EG_E_TRIAL)
		why = eg_grubenv_set(e, tries_var(b->entry, name, sizeof name), "0");
	return why;
}

const char *eg_bootsel_trial(const char *name, int *entry)
{
	*entry = eg_entry_lookup(name);
	return *entry < 0 ? "ENTRY must be trial, A, B or recovery" : NULL;
}

const char *eg_bootsel_promote(const struct eg_boot *b, const struct eg_grubenv *e,
			       int *target)
{
	struct eg_grubsel s;

	if (b->entry != EG_E_TRIAL)
		return "this boot is not the trial (no earlyguard.entry=trial on the kernel "
		       "command line)";
	if (entry_var(e, "eg_entry") != EG_E_TRIAL)
		return "the grubenv does not say the trial was the latest boot (eg_entry=trial)";
	if (digit(e, "eg_ok", '0', 0) != 1)
		return "the trial is not confirmed yet (eg_ok=1): run earlyguard disarm first";
	eg_grubsel_read(e, &s);
	*target = s.def == EG_E_A ? EG_E_B : EG_E_A;
	return NULL;
}

const char *eg_bootsel_promoted(struct eg_grubenv *e, int target)
{
	char name[48];
	const char *why = eg_grubenv_set(e, "eg_default", eg_entry_name[target]);

	return why ? why : eg_grubenv_set(e, tries_var(target, name, sizeof name), "0");
}
