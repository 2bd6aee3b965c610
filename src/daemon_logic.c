/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon_logic.h"
#include "guard_logic.h"

void eg_daemon_init(struct eg_daemon *d, int64_t now, uint32_t timeout_s, bool has_wdt,
		    uint32_t confirm_s, uint32_t checkin_s, uint32_t grace_s, bool checkin_armed)
{
	*d = (struct eg_daemon){0};
	d->has_wdt = has_wdt;
	d->pet_every_ms = eg_pet_interval_ms(timeout_s);
	d->last_pet_ms = now - d->pet_every_ms; /* pet at the first step */
	d->confirm_deadline_ms = confirm_s ? now + (int64_t)confirm_s * 1000 : 0;
	d->checkin_every_ms = (int64_t)checkin_s * 1000;
	d->checkin_grace_ms = (int64_t)grace_s * 1000;
	if (checkin_s == 0)
		d->checkin = EG_CI_OFF;
	else if (checkin_armed) {
		/* armed before this boot: the interval runs from the start */
		d->checkin = EG_CI_ARMED;
		d->checkin_due_ms = now + d->checkin_every_ms;
	} else
		d->checkin = EG_CI_DISARMED;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void begin_shutdown(struct eg_daemon *d, struct eg_daction *a, enum eg_dreason r)
{
	d->shutting_down = true;
	d->reason = r;
	a->shutdown = true;
	a->reason = r;
}

static void operator_event(struct eg_daemon *d, int64_t now, enum eg_devent ev,
			   struct eg_daction *a)
{
	switch (ev) {
	case EG_D_DISARM:
		if (d->confirmed || d->confirm_deadline_ms == 0) {
			a->result = 1;
		} else {
			d->confirmed = true;
			d->confirmed_ms = now;
		}
		break;
	case EG_D_CHECKIN:
		if (d->checkin == EG_CI_OFF) {
			a->result = -1;
			break;
		}
		d->checkin = EG_CI_ARMED;
		d->checkin_due_ms = now + d->checkin_every_ms;
		break;
	case EG_D_CHECKIN_DISABLE:
		if (d->checkin == EG_CI_OFF || d->checkin == EG_CI_DISARMED)
			a->result = 1;
		else
			d->checkin = EG_CI_DISARMED;
		break;
	case EG_D_REBOOT:
		begin_shutdown(d, a, EG_R_OPERATOR);
		break;
	case EG_D_SHUTDOWN:
		begin_shutdown(d, a, EG_R_SHUTDOWN);
		break;
	case EG_D_HEAL:
		begin_shutdown(d, a, EG_R_HEAL);
		break;
	case EG_D_TICK:
		break;
	}
}

struct eg_daction eg_daemon_step(struct eg_daemon *d, int64_t now, enum eg_devent ev)
{
	struct eg_daction a = {0};

	if (d->shutting_down) {
		/* A shutdown is under the extended timeout and is never petted
		 * again; asking for another changes nothing. */
		a.result = ev == EG_D_TICK ? 0 : -1;
		a.wake_ms = now + 60000;
		return a;
	}
	operator_event(d, now, ev, &a);
	if (a.shutdown) {
		a.wake_ms = now + 60000;
		return a;
	}
	if (d->confirm_deadline_ms && !d->confirmed && now >= d->confirm_deadline_ms) {
		begin_shutdown(d, &a, EG_R_CONFIRM);
		a.wake_ms = now + 60000;
		return a;
	}
	if (d->checkin == EG_CI_ARMED && now >= d->checkin_due_ms) {
		d->checkin = EG_CI_RESTARTED;
		d->checkin_reboot_ms = now + d->checkin_grace_ms;
		a.restart_network = true;
	} else if (d->checkin == EG_CI_RESTARTED && now >= d->checkin_reboot_ms) {
		begin_shutdown(d, &a, EG_R_CHECKIN);
		a.wake_ms = now + 60000;
		return a;
	}
	if (d->has_wdt && now - d->last_pet_ms >= d->pet_every_ms) {
		a.pet = true;
		d->last_pet_ms = now;
	}
	a.wake_ms = d->has_wdt ? d->last_pet_ms + d->pet_every_ms : now + 3600 * 1000;
	if (d->confirm_deadline_ms && !d->confirmed)
		a.wake_ms = min64(a.wake_ms, d->confirm_deadline_ms);
	if (d->checkin == EG_CI_ARMED)
		a.wake_ms = min64(a.wake_ms, d->checkin_due_ms);
	else if (d->checkin == EG_CI_RESTARTED)
		a.wake_ms = min64(a.wake_ms, d->checkin_reboot_ms);
	return a;
}

const char *eg_dreason_text(enum eg_dreason r)
{
	switch (r) {
	case EG_R_NONE: return "none";
	case EG_R_CONFIRM: return "not confirmed";
	case EG_R_CHECKIN: return "check-in missed";
	case EG_R_OPERATOR: return "operator";
	case EG_R_SHUTDOWN: return "shutdown by the init system";
	case EG_R_HEAL: return "network self-heal";
	}
	return "unknown";
}
