/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "heal_logic.h"

#include <stdio.h>
#include <string.h>

void eg_heal_init(struct eg_heal *h, const struct eg_heal_conf *c, bool off, bool healthy,
		  uint32_t fails, int64_t now)
{
	*h = (struct eg_heal){0};
	h->c = *c;
	if (h->c.max_fails == 0)
		h->c.max_fails = 1;
	h->fails = fails;
	if (off) {
		h->state = EG_HS_OFF;
	} else if (healthy) {
		h->state = EG_HS_HEALTHY;
		h->fails = 0;
	} else {
		h->state = EG_HS_GRACE;
		h->unhealthy_ms = now;
		h->deadline_ms = now + h->c.grace_ms;
	}
}

/* The next stage after `done` that has something to run: 1 always, 2 and
 * 3 only with their command; 0 when the run is over. */
static int next_stage(const struct eg_heal *h, int done)
{
	if (done < 1)
		return 1;
	if (done < 2 && h->c.has_reapply)
		return 2;
	if (done < 3 && h->c.has_restart)
		return 3;
	return 0;
}

static void run_stage(struct eg_heal *h, int64_t now, int stage, struct eg_haction *a)
{
	h->stage = stage;
	a->stage = stage;
	a->run = h->fails + 1;
	if (stage == 1) {
		h->state = EG_HS_BOUNCE;
		h->deadline_ms = now + EG_HEAL_BOUNCE_MS;
		a->act = EG_HA_LINK_DOWN;
		return;
	}
	h->state = EG_HS_STAGE;
	h->deadline_ms = now + h->c.recheck_ms;
	a->act = stage == 2 ? EG_HA_REAPPLY : EG_HA_RESTART;
}

static void run_failed(struct eg_heal *h, int64_t now, struct eg_haction *a)
{
	h->fails++;
	a->run = h->fails;
	if (h->fails < h->c.max_fails) {
		h->state = EG_HS_WAIT_RUN;
		h->deadline_ms = now + h->c.interval_ms;
		a->act = EG_HA_RUN_FAILED;
		return;
	}
	h->state = EG_HS_GUARDS;
	h->deadline_ms = now + EG_HEAL_GUARDS_MS;
	a->act = EG_HA_GUARDS;
}

static void healed(struct eg_heal *h, int64_t now, int stage, struct eg_haction *a)
{
	a->act = EG_HA_HEALED;
	a->stage = stage;
	a->run = h->fails + 1;
	a->elapsed_ms = now - h->unhealthy_ms;
	h->state = EG_HS_HEALTHY;
	h->fails = 0;
	h->stage = 0;
}

static void vetoed(struct eg_heal *h, int64_t now, enum eg_hveto veto, struct eg_haction *a)
{
	a->act = EG_HA_VETOED;
	a->veto = veto;
	a->run = h->fails;
	h->state = EG_HS_WAIT_RUN;
	h->deadline_ms = now + h->c.interval_ms;
}

struct eg_haction eg_heal_step(struct eg_heal *h, int64_t now, enum eg_hevent ev,
			       enum eg_hveto veto)
{
	struct eg_haction a = {0};

	switch (h->state) {
	case EG_HS_OFF:
	case EG_HS_REBOOT:
		a.wake_ms = INT64_MAX;
		return a;
	case EG_HS_HEALTHY:
		if (ev == EG_HE_UNHEALTHY) {
			h->state = EG_HS_GRACE;
			h->unhealthy_ms = now;
			h->deadline_ms = now + h->c.grace_ms;
		}
		break;
	case EG_HS_GRACE:
		if (ev == EG_HE_HEALTHY)
			healed(h, now, 0, &a);
		break;
	case EG_HS_BOUNCE:
		/* Healthy while we hold the link down cannot be: the
		 * answer that counts comes after the link is up again. */
		if (now >= h->deadline_ms) {
			h->state = EG_HS_STAGE;
			h->deadline_ms = now + h->c.recheck_ms;
			a.act = EG_HA_LINK_UP;
			a.stage = 1;
			a.run = h->fails + 1;
		}
		break;
	case EG_HS_STAGE:
		if (ev == EG_HE_HEALTHY)
			healed(h, now, h->stage, &a);
		break;
	case EG_HS_WAIT_RUN:
		if (ev == EG_HE_HEALTHY)
			healed(h, now, 0, &a);
		break;
	case EG_HS_GUARDS:
		if (ev == EG_HE_HEALTHY) {
			healed(h, now, 0, &a);
		} else if (ev == EG_HE_GUARDS) {
			if (veto == EG_HV_NONE) {
				h->state = EG_HS_REBOOT;
				a.act = EG_HA_REBOOT;
				a.run = h->fails;
				a.wake_ms = INT64_MAX;
				return a;
			}
			vetoed(h, now, veto, &a);
		} else if (now >= h->deadline_ms) {
			vetoed(h, now, EG_HV_UNKNOWN, &a);
		}
		break;
	}
	/* Deadlines that start the next step of the ladder. */
	if (a.act == EG_HA_NONE && now >= h->deadline_ms) {
		if (h->state == EG_HS_GRACE || h->state == EG_HS_WAIT_RUN) {
			run_stage(h, now, 1, &a);
		} else if (h->state == EG_HS_STAGE) {
			int s = next_stage(h, h->stage);
			if (s)
				run_stage(h, now, s, &a);
			else
				run_failed(h, now, &a);
		}
	}
	a.wake_ms = h->state == EG_HS_HEALTHY ? INT64_MAX : h->deadline_ms;
	return a;
}

enum eg_hveto eg_heal_veto(const struct eg_hguards *g)
{
	if (g->never_seen)
		return EG_HV_NO_IFACE;
	if (g->inhibit_left_ms > 0)
		return EG_HV_INHIBIT;
	if (g->cooldown_left_ms > 0)
		return EG_HV_COOLDOWN;
	if (g->usb_active)
		return EG_HV_USB;
	if (g->peer_holds)
		return EG_HV_PEER;
	if (g->failover_active)
		return EG_HV_FAILOVER;
	if (g->ping == 1)
		return EG_HV_PING;
	return EG_HV_NONE;
}

bool eg_heal_need_ping(const struct eg_hguards *g, bool ping_configured)
{
	struct eg_hguards rest = *g;

	rest.ping = -1;
	return ping_configured && eg_heal_veto(&rest) == EG_HV_NONE;
}

bool eg_heal_need_settle(const struct eg_hguards *g, bool peer_watched)
{
	return peer_watched && eg_heal_veto(g) == EG_HV_NONE;
}

const char *eg_hveto_text(enum eg_hveto v)
{
	switch (v) {
	case EG_HV_NONE: return "none";
	case EG_HV_NO_IFACE: return "the interface has not existed since the daemon started (is iface= right?)";
	case EG_HV_INHIBIT: return "inhibited by the operator";
	case EG_HV_COOLDOWN: return "cooldown";
	case EG_HV_USB: return "usb mass storage in use";
	case EG_HV_PEER: return "the peer is recovering or rebooting";
	case EG_HV_FAILOVER: return "another uplink carries the traffic";
	case EG_HV_PING: return "a ping-veto target answers";
	case EG_HV_UNKNOWN: return "the guards did not answer in time";
	}
	return "unknown";
}

const char *eg_hstage_text(int stage)
{
	static const char *const names[] = {"on its own", "bounce", "re-apply", "restart"};

	return stage >= 0 && stage <= EG_HEAL_STAGES ? names[stage] : "unknown";
}

int eg_window_parse(const char *text, int64_t *left_ms)
{
	uint64_t v;
	char num[24];
	size_t n;

	if (strncmp(text, "left_ms ", 8) != 0)
		return -1;
	text += 8;
	n = strcspn(text, "\n");
	if (n == 0 || n >= sizeof num || (text[n] == '\n' && text[n + 1] != '\0'))
		return -1;
	memcpy(num, text, n);
	num[n] = '\0';
	if (!eg_parse_u64(num, &v) || v > (uint64_t)366 * 24 * 3600 * 1000)
		return -1;
	*left_ms = (int64_t)v;
	return 0;
}

void eg_window_format(char *buf, size_t size, int64_t left_ms)
{
	snprintf(buf, size, "left_ms %lld\n", (long long)(left_ms > 0 ? left_ms : 0));
}

void eg_hprobe_init(struct eg_hprobe *p, const struct eg_hprobe_conf *c, bool link_ok,
		    int64_t now)
{
	*p = (struct eg_hprobe){.c = *c, .ok = link_ok, .due_ms = now};
	if (p->c.misses == 0)
		p->c.misses = 1;
}

static void round_over(struct eg_hprobe *p, int64_t now, bool answered)
{
	int64_t retry = p->c.interval_ms < EG_HPROBE_RETRY_MS ? p->c.interval_ms : EG_HPROBE_RETRY_MS;
	int64_t started = p->due_ms - p->c.timeout_ms;

	p->inflight = false;
	if (answered) {
		p->ok = true;
		p->missed = 0;
		p->due_ms = now + p->c.interval_ms;
		return;
	}
	if (p->missed < p->c.misses)
		p->missed++;
	if (p->missed >= p->c.misses)
		p->ok = false;
	/* at once, but not two rounds within the retry */
	p->due_ms = started + retry > now ? started + retry : now;
}

enum eg_hpact eg_hprobe_step(struct eg_hprobe *p, int64_t now, bool link_ok, int result)
{
	if (!link_ok) {
		bool was = p->inflight;

		/* the answer that counts comes once the link is back */
		p->ok = false;
		p->missed = 0;
		p->inflight = false;
		p->due_ms = now;
		return was ? EG_HP_CANCEL : EG_HP_NONE;
	}
	if (p->inflight) {
		if (result == 1) {
			round_over(p, now, true);
		} else if (result == 0) {
			round_over(p, now, false);
		} else if (now >= p->due_ms) {
			round_over(p, now, false);
			return EG_HP_CANCEL;
		}
		return EG_HP_NONE;
	}
	if (now >= p->due_ms) {
		p->inflight = true;
		p->due_ms = now + p->c.timeout_ms;
		return EG_HP_START;
	}
	return EG_HP_NONE;
}

int64_t eg_hprobe_wake(const struct eg_hprobe *p, bool link_ok)
{
	return link_ok ? p->due_ms : INT64_MAX;
}
