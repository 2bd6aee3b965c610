/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot selection with GRUB, the C side of grub/README.md's "grubenv
 * contract": which entry and attempt this boot is (earlyguard.entry=,
 * earlyguard.attempt= on the kernel command line), what GRUB makes of the
 * grubenv, and what disarm, trial and promote change in it.
 *
 * Pure: no I/O, no malloc.  A step returns NULL, or why it cannot be done
 * (kinit style); the caller prints and decides.
 */
#ifndef EG_BOOTSEL_H
#define EG_BOOTSEL_H

#include "grubenv.h"

/* The entries; A, B and recovery in the order of their tries counts.  An
 * entry's slot is the directory of the same name. */
enum eg_entry { EG_E_A, EG_E_B, EG_E_RECOVERY, EG_E_TRIAL, EG_E_COUNT };
extern const char eg_entry_name[EG_E_COUNT][9];
/* The entry called name, or -1. */
int eg_entry_lookup(const char *name);

/* This boot: entry -1 without a usable earlyguard.entry= (a machine not
 * booted by earlyguard's GRUB logic), attempt -1 without a usable
 * earlyguard.attempt= (0: GRUB could not count this boot). */
struct eg_boot {
	int entry, attempt;
};
/* Read both words from a kernel command line, the last of each winning.
 * NULL, or why a value is not usable (it then counts as absent). */
const char *eg_boot_parse(const char *cmdline, struct eg_boot *b);

/* The grubenv as GRUB reads it: a value GRUB would never write counts as
 * absent, and absent values take GRUB's defaults. */
struct eg_grubsel {
	int def;        /* the primary known-good: EG_E_A (default) or EG_E_B */
	int trial;      /* the scheduled one-shot entry, or -1 */
	int max_tries;  /* 1-9, default 3 */
	int tries[3];   /* unconfirmed attempts of A, B, recovery: 0-9 */
};
void eg_grubsel_read(const struct eg_grubenv *e, struct eg_grubsel *s);

/* disarm: mark this boot good in e, which is the grubenv as loaded
 * (valid is false when it was missing or corrupt: it is then recreated as
 * a fresh block).  eg_ok=1 and, for A, B and recovery, its tries 0.
 * b->entry must be an entry.  NULL, or why not (e->err). */
const char *eg_bootsel_disarm(const struct eg_boot *b, struct eg_grubenv *e, bool valid);
/* trial ENTRY: *entry for name, or why it is not one. */
const char *eg_bootsel_trial(const char *name, int *entry);
/* promote, before anything is copied: *target is the secondary slot (the
 * one of A and B that is not eg_default), or why promote must not run:
 * only on a confirmed trial boot. */
const char *eg_bootsel_promote(const struct eg_boot *b, const struct eg_grubenv *e,
			       int *target);
/* promote, after the copy: eg_default=target and its tries 0, in e.
 * NULL, or why not (e->err). */
const char *eg_bootsel_promoted(struct eg_grubenv *e, int target);

#endif
