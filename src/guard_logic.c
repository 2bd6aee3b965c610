/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guard_logic.h"

int64_t eg_pet_interval_ms(uint32_t timeout_s)
{
	int64_t ms = (int64_t)timeout_s * 1000 / 4;

	return ms < 100 ? 100 : ms;
}

void eg_guard_init(struct eg_guard *g, int64_t now, uint32_t timeout_s,
		   uint32_t deadline_s, uint32_t handoff_s, bool has_wdt)
{
	g->handoff_ms = (int64_t)handoff_s * 1000;
	g->stage = EG_STAGE_INITRAMFS;
	g->has_wdt = has_wdt;
	g->started_ms = now;
	g->deadline_ms = now + (int64_t)deadline_s * 1000;
	g->pet_every_ms = eg_pet_interval_ms(timeout_s);
	g->last_pet_ms = now; /* arming pets once */
	g->switched_ms = 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

struct eg_action eg_guard_step(struct eg_guard *g, int64_t now, enum eg_event ev)
{
	struct eg_action a = {0};

	if (g->stage == EG_STAGE_REBOOTING) {
		/* Never pet again: if the reboot hangs, the hardware resets. */
		a.wake_ms = now + 1000;
		return a;
	}
	/* A switch seen at the deadline still counts: it happened before we
	 * woke to look. */
	if (ev == EG_EV_SWITCHED && g->stage == EG_STAGE_INITRAMFS) {
		g->stage = EG_STAGE_ROOTFS;
		g->switched_ms = now;
		a.entered_rootfs = true;
	}
	if (g->stage == EG_STAGE_INITRAMFS && now >= g->deadline_ms)
		a.why = EG_G_DEADLINE;
	else if (g->stage == EG_STAGE_ROOTFS && g->handoff_ms &&
		 now >= g->switched_ms + g->handoff_ms)
		a.why = EG_G_HANDOFF;
	if (a.why != EG_G_NONE) {
		g->stage = EG_STAGE_REBOOTING;
		a.reboot = true;
		a.wake_ms = now + 1000;
		return a;
	}
	if (g->has_wdt && now - g->last_pet_ms >= g->pet_every_ms) {
		a.pet = true;
		g->last_pet_ms = now;
	}
	a.wake_ms = g->has_wdt ? g->last_pet_ms + g->pet_every_ms : now + 60000;
	if (g->stage == EG_STAGE_INITRAMFS) {
		a.wake_ms = min64(a.wake_ms, g->deadline_ms);
		a.wake_ms = min64(a.wake_ms, now + EG_SWITCH_POLL_MS);
	} else if (g->handoff_ms) {
		a.wake_ms = min64(a.wake_ms, g->switched_ms + g->handoff_ms);
	}
	return a;
}

const char *eg_stage_name(enum eg_stage s)
{
	switch (s) {
	case EG_STAGE_INITRAMFS: return "initramfs";
	case EG_STAGE_ROOTFS: return "rootfs";
	case EG_STAGE_REBOOTING: return "rebooting";
	}
	return "unknown";
}
