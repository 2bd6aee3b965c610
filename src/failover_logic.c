/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "failover_logic.h"

#include "heal_logic.h"

/* A step moves on at most this many times (a switch's end, a decision
 * and a switch that needs no command, another): each move says at most 4
 * actions (3 timeouts or 3 DOWNs, and what follows them), then come at
 * most 3 WAITING_FAILBACK: 15 < EG_FO_ACTS_MAX.  A move cut short is
 * never lost: wake_ms is then now. */
#define CASCADE 3

const char *eg_failover_check(const struct eg_failover_conf *c)
{
	if (c->n < 0 || c->n > EG_UPLINKS_MAX)
		return "too many uplinks (4 at most)";
	for (int i = 0; i < c->n; i++) {
		const struct eg_fo_uplink *u = &c->u[i];

		if (u->has_down && !u->has_up)
			return "an uplink has a down command but no up command";
		if (u->set && !(u->has_up && u->has_down))
			return "an uplink in an exclusive set needs both an up and a down command";
	}
	if (c->failover_stage < 1 || c->failover_stage > EG_HEAL_STAGES)
		return "failover_stage must be 1, 2 or 3";
	if (c->failback_ms <= 0 || c->failback_ms > EG_FO_MS_MAX)
		return "the fail-back hold must be more than 0 and at most 366 days";
	if (c->failover_ms <= 0 || c->failover_ms > EG_FO_MS_MAX)
		return "the failover deadline must be more than 0 and at most 366 days";
	if (c->cmd_ms <= 0 || c->cmd_ms > EG_FO_MS_MAX)
		return "the command deadline must be more than 0 and at most 366 days";
	return NULL;
}

static bool has_cmds(const struct eg_failover *f, int i)
{
	return f->c.u[i].has_up || f->c.u[i].has_down;
}

void eg_failover_init(struct eg_failover *f, const struct eg_failover_conf *c,
		      const enum eg_fhealth *health, int start, int64_t now)
{
	*f = (struct eg_failover){0};
	f->c = *c;
	f->active = -1;
	f->target = -1;
	if (eg_failover_check(c) || c->n < 2) {
		f->state = EG_FS_OFF;
		return;
	}
	f->state = EG_FS_START;
	f->start = start >= 0 && start < c->n ? start : 0;
	for (int i = 0; i < c->n; i++) {
		struct eg_fuplink *u = &f->u[i];

		u->health = EG_FH_UNKNOWN;
		if (health && (health[i] == EG_FH_HEALTHY || health[i] == EG_FH_UNHEALTHY))
			u->health = health[i];
		u->since_ms = now;
		u->run = has_cmds(f, i) ? EG_FR_UNKNOWN : EG_FR_UP;
	}
}

static void push(struct eg_fstep *s, enum eg_fact act, int uplink, int from, int stage, int64_t ms)
{
	/* CASCADE bounds the count; never write past the end regardless */
	if (s->n < EG_FO_ACTS_MAX)
		s->a[s->n++] = (struct eg_faction){act, uplink, from, stage, ms};
}

static int64_t hold(const struct eg_failover *f, int j)
{
	return f->c.failback_ms << f->u[j].shift;
}

static int64_t later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The active uplink has carried the route, healthy, for failback_ms. */
static bool held(const struct eg_failover *f, int64_t now)
{
	const struct eg_fuplink *u = &f->u[f->active];

	return u->health == EG_FH_HEALTHY && now - later(u->since_ms, f->active_ms) >= f->c.failback_ms;
}

static void set_health(struct eg_failover *f, int64_t now, int i, enum eg_fhealth h)
{
	struct eg_fuplink *u = &f->u[i];

	if (u->health == h)
		return;
	if (f->state == EG_FS_ACTIVE && i == f->active && u->probation && held(f, now)) {
		u->probation = false;
		u->shift = 0;
	}
	/* since_ms counts healthy, or not: unknown to unhealthy is no news */
	if ((u->health == EG_FH_HEALTHY) != (h == EG_FH_HEALTHY))
		u->since_ms = now;
	u->health = h;
	u->told = false;
	if (i == f->active && h == EG_FH_HEALTHY) {
		f->failed = false;
		f->told_none = false;
	}
}

static void event(struct eg_failover *f, int64_t now, enum eg_fevent ev, int i, int stage)
{
	struct eg_fuplink *u = &f->u[i];

	switch (ev) {
	case EG_FE_TICK:
		break;
	case EG_FE_HEALTHY:
	case EG_FE_UNHEALTHY:
		set_health(f, now, i, ev == EG_FE_HEALTHY ? EG_FH_HEALTHY : EG_FH_UNHEALTHY);
		break;
	case EG_FE_STAGE:
		if (f->state == EG_FS_ACTIVE && i == f->active && u->health != EG_FH_HEALTHY &&
		    stage >= f->c.failover_stage && !f->failed) {
			f->failed = true;
			f->fail_stage = stage;
			f->told_none = false;
		}
		break;
	case EG_FE_DONE:
		/* a late answer to a command already given up on is no news */
		if (f->state == EG_FS_STOPPING && u->run == EG_FR_STOPPING)
			u->run = EG_FR_DOWN;
		else if (f->state == EG_FS_STARTING && i == f->target && u->run == EG_FR_STARTING)
			u->run = EG_FR_UP;
		break;
	}
}

/* Rule 6c. */
static void finish(struct eg_failover *f, int64_t now, struct eg_fstep *s)
{
	int j = f->target;

	push(s, EG_FA_ROUTE, j, -1, 0, 0);
	f->state = EG_FS_ACTIVE;
	f->active = j;
	f->active_ms = now;
	f->target = -1;
	f->failed = false;
	f->fail_stage = 0;
	f->told_none = false;
	for (int i = 0; i < f->c.n; i++)
		f->u[i].told = false;
}

/* Rule 6b. */
static void up_phase(struct eg_failover *f, int64_t now, struct eg_fstep *s)
{
	int j = f->target;

	if (f->c.u[j].has_up) {
		push(s, EG_FA_UP, j, -1, 0, 0);
		f->u[j].run = EG_FR_STARTING;
		f->state = EG_FS_STARTING;
		f->deadline_ms = now + f->c.cmd_ms;
		return;
	}
	finish(f, now, s);
}

/* Rule 6a: stop what must not run beside j, then 6b. */
static void switch_to(struct eg_failover *f, int64_t now, int j, struct eg_fstep *s)
{
	bool any = false;

	f->target = j;
	for (int i = 0; i < f->c.n; i++) {
		enum eg_frun r = f->u[i].run;
		bool may_run = r == EG_FR_UNKNOWN || r == EG_FR_UP || r == EG_FR_STARTING;
		bool same_set = f->c.u[j].set && f->c.u[i].set == f->c.u[j].set;

		if (i == j || !f->c.u[i].has_down || !may_run || !(i > j || same_set))
			continue;
		push(s, EG_FA_DOWN, i, -1, 0, 0);
		f->u[i].run = EG_FR_STOPPING;
		any = true;
	}
	if (any) {
		f->state = EG_FS_STOPPING;
		f->deadline_ms = now + f->c.cmd_ms;
		return;
	}
	up_phase(f, now, s);
}

/* Leaving a for j: a move up puts j on probation; a failure of an
 * uplink on probation doubles its next hold (rule 5). */
static void leave(struct eg_failover *f, int a, int j, bool failed)
{
	struct eg_fuplink *u = &f->u[a];

	if (failed && u->probation && u->shift < EG_FO_BACKOFF_MAX)
		u->shift++;
	u->probation = false;
	if (j < a)
		f->u[j].probation = true;
}

/* Rule 4's choice for the failed active uplink a, or -1. */
static int choose(const struct eg_failover *f, int a)
{
	for (int j = a + 1; j < f->c.n; j++)
		if (f->u[j].health != EG_FH_UNHEALTHY)
			return j;
	for (int j = 0; j < a; j++)
		if (f->u[j].health == EG_FH_HEALTHY)
			return j;
	return -1;
}

/* Rules 5, 3 and 4 for the active uplink; true when a switch began. */
static bool decide(struct eg_failover *f, int64_t now, struct eg_fstep *s)
{
	int a = f->active, j;
	struct eg_fuplink *ua = &f->u[a];

	if (ua->probation && held(f, now)) {
		ua->probation = false;
		ua->shift = 0;
	}
	for (j = 0; j < a; j++) {
		const struct eg_fuplink *u = &f->u[j];

		if (u->health == EG_FH_HEALTHY && now - u->since_ms >= hold(f, j)) {
			push(s, EG_FA_FAILED_BACK, j, a, 0, now - u->since_ms);
			leave(f, a, j, false);
			switch_to(f, now, j, s);
			return true;
		}
	}
	if (!f->failed && ua->health != EG_FH_HEALTHY &&
	    now - later(ua->since_ms, f->active_ms) >= f->c.failover_ms) {
		f->failed = true;
		f->fail_stage = 0;
		f->told_none = false;
	}
	if (!f->failed)
		return false;
	j = choose(f, a);
	if (j < 0) {
		if (!f->told_none)
			push(s, EG_FA_NO_BACKUP_HEALTHY, a, -1, 0, 0);
		f->told_none = true;
		return false;
	}
	push(s, EG_FA_FAILED_OVER, j, a, f->fail_stage, 0);
	leave(f, a, j, true);
	switch_to(f, now, j, s);
	return true;
}

/* One move of the machine; true when it may move again at once. */
static bool advance(struct eg_failover *f, int64_t now, struct eg_fstep *s)
{
	bool pending = false;

	switch (f->state) {
	case EG_FS_OFF:
		return false;
	case EG_FS_START:
		switch_to(f, now, f->start, s);
		return f->state == EG_FS_ACTIVE;
	case EG_FS_STOPPING:
		for (int i = 0; i < f->c.n; i++)
			pending |= f->u[i].run == EG_FR_STOPPING;
		if (pending && now < f->deadline_ms)
			return false;
		for (int i = 0; i < f->c.n; i++) {
			if (f->u[i].run != EG_FR_STOPPING)
				continue;
			push(s, EG_FA_CMD_TIMEOUT, i, -1, 0, 0);
			f->u[i].run = EG_FR_DOWN;
		}
		up_phase(f, now, s);
		return f->state == EG_FS_ACTIVE;
	case EG_FS_STARTING:
		if (f->u[f->target].run == EG_FR_STARTING) {
			if (now < f->deadline_ms)
				return false;
			push(s, EG_FA_CMD_TIMEOUT, f->target, -1, 0, 0);
			f->u[f->target].run = EG_FR_UP;
		}
		finish(f, now, s);
		return true;
	case EG_FS_ACTIVE:
		return decide(f, now, s) && f->state == EG_FS_ACTIVE;
	}
	return false;
}

static int64_t wake(const struct eg_failover *f, int64_t now)
{
	int64_t w = INT64_MAX;
	const struct eg_fuplink *ua;

	switch (f->state) {
	case EG_FS_OFF:
		return INT64_MAX;
	case EG_FS_START:
		return now;
	case EG_FS_STOPPING:
	case EG_FS_STARTING:
		return f->deadline_ms;
	case EG_FS_ACTIVE:
		break;
	}
	for (int j = 0; j < f->active; j++)
		if (f->u[j].health == EG_FH_HEALTHY && f->u[j].since_ms + hold(f, j) < w)
			w = f->u[j].since_ms + hold(f, j);
	ua = &f->u[f->active];
	if (!f->failed && ua->health != EG_FH_HEALTHY &&
	    later(ua->since_ms, f->active_ms) + f->c.failover_ms < w)
		w = later(ua->since_ms, f->active_ms) + f->c.failover_ms;
	return w;
}

struct eg_fstep eg_failover_step(struct eg_failover *f, int64_t now, enum eg_fevent ev,
				 int uplink, int stage)
{
	struct eg_fstep s = {0};

	if (f->state == EG_FS_OFF) {
		s.wake_ms = INT64_MAX;
		return s;
	}
	if (uplink >= 0 && uplink < f->c.n)
		event(f, now, ev, uplink, stage);
	for (int k = 0; k < CASCADE && advance(f, now, &s); k++)
		;
	if (f->state == EG_FS_ACTIVE) {
		for (int j = 0; j < f->active; j++) {
			struct eg_fuplink *u = &f->u[j];
			int64_t left = u->since_ms + hold(f, j) - now;

			if (u->health != EG_FH_HEALTHY || u->told)
				continue;
			push(&s, EG_FA_WAITING_FAILBACK, j, -1, 0, left > 0 ? left : 0);
			u->told = true;
		}
	}
	s.wake_ms = wake(f, now);
	return s;
}

bool eg_failover_carrying(const struct eg_failover *f)
{
	return f->state == EG_FS_ACTIVE && f->active > 0 &&
	       f->u[f->active].health == EG_FH_HEALTHY;
}

const char *eg_fstate_text(enum eg_fstate s)
{
	switch (s) {
	case EG_FS_OFF: return "off";
	case EG_FS_START: return "starting up";
	case EG_FS_STOPPING: return "switching: stopping";
	case EG_FS_STARTING: return "switching: starting";
	case EG_FS_ACTIVE: return "active";
	}
	return "unknown";
}

const char *eg_fact_text(enum eg_fact a)
{
	switch (a) {
	case EG_FA_DOWN: return "down";
	case EG_FA_UP: return "up";
	case EG_FA_ROUTE: return "route";
	case EG_FA_FAILED_OVER: return "failed over";
	case EG_FA_FAILED_BACK: return "failed back";
	case EG_FA_WAITING_FAILBACK: return "waiting to fail back";
	case EG_FA_NO_BACKUP_HEALTHY: return "no backup healthy";
	case EG_FA_CMD_TIMEOUT: return "command timed out";
	}
	return "unknown";
}
