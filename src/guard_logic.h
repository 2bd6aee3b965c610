/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guard's decisions, as a pure state machine with the clock injected:
 * when to pet, when the initramfs deadline has passed, when to wake next.
 * guard.c performs what these functions decide.
 */
#ifndef EG_GUARD_LOGIC_H
#define EG_GUARD_LOGIC_H

#include "eg.h"

enum eg_stage {
	EG_STAGE_INITRAMFS, /* armed, waiting for switch_root */
	EG_STAGE_ROOTFS,    /* switch_root seen; petting in the new root */
	EG_STAGE_REBOOTING, /* decided to reboot; petting has stopped */
};

enum eg_event {
	EG_EV_TICK,     /* woke up: time passed */
	EG_EV_SWITCHED, /* PID 1's root changed: switch_root happened */
};

/* While in the initramfs, look for switch_root at least this often. */
#define EG_SWITCH_POLL_MS 500

enum eg_greason {
	EG_G_NONE,
	EG_G_DEADLINE, /* no switch_root by the initramfs deadline */
	EG_G_HANDOFF,  /* no daemon took over after switch_root */
};

struct eg_guard {
	enum eg_stage stage;
	bool has_wdt;
	int64_t started_ms;
	int64_t deadline_ms; /* absolute CLOCK_BOOTTIME ms */
	int64_t handoff_ms;  /* after switch_root; 0: no handoff deadline */
	int64_t pet_every_ms;
	int64_t last_pet_ms;
	int64_t switched_ms;
};

struct eg_action {
	bool pet;
	bool reboot;      /* a deadline passed: reboot now, for .why */
	enum eg_greason why;
	bool entered_rootfs;
	int64_t wake_ms;  /* absolute time of the next decision */
};

/* Pet at a quarter of the timeout: three missed wakeups still leave
 * margin, and TCG or a loaded box may wake us late. */
int64_t eg_pet_interval_ms(uint32_t timeout_s);

void eg_guard_init(struct eg_guard *g, int64_t now, uint32_t timeout_s,
		   uint32_t deadline_s, uint32_t handoff_s, bool has_wdt);
struct eg_action eg_guard_step(struct eg_guard *g, int64_t now, enum eg_event ev);
const char *eg_stage_name(enum eg_stage s);

#endif
