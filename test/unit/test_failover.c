/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "failover_logic.h"

#include <stdarg.h>

#define FB 60000  /* failback_ms */
#define FO 90000  /* failover_ms, the backstop */
#define CMD 10000 /* cmd_ms */

#define CMDS(set) {true, true, set}
#define BARE {false, false, 0}

/* The seed: PPPoE primary, L2TP over LTE backup, one session at a time. */
static const struct eg_failover_conf seed = {
	.n = 2, .u = {CMDS(1), CMDS(1)},
	.failover_stage = 2, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
};

static const enum eg_fhealth all_healthy[EG_UPLINKS_MAX] = {
	EG_FH_HEALTHY, EG_FH_HEALTHY, EG_FH_HEALTHY, EG_FH_HEALTHY,
};

/* A step's actions, one word each: down:I up:I route:I over:FROM>TO@STAGE
 * back:FROM>TO/MS wait:I/MS none:I timeout:I. */
static const char *show(const struct eg_fstep *s)
{
	static char buf[512];
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n && o < sizeof buf - 64; i++) {
		const struct eg_faction *a = &s->a[i];
		const char *sp = i ? " " : "";

		switch (a->act) {
		case EG_FA_DOWN: o += snprintf(buf + o, 64, "%sdown:%d", sp, a->uplink); break;
		case EG_FA_UP: o += snprintf(buf + o, 64, "%sup:%d", sp, a->uplink); break;
		case EG_FA_ROUTE: o += snprintf(buf + o, 64, "%sroute:%d", sp, a->uplink); break;
		case EG_FA_FAILED_OVER:
			o += snprintf(buf + o, 64, "%sover:%d>%d@%d", sp, a->from, a->uplink, a->stage);
			break;
		case EG_FA_FAILED_BACK:
			o += snprintf(buf + o, 64, "%sback:%d>%d/%lld", sp, a->from, a->uplink,
				      (long long)a->ms);
			break;
		case EG_FA_WAITING_FAILBACK:
			o += snprintf(buf + o, 64, "%swait:%d/%lld", sp, a->uplink, (long long)a->ms);
			break;
		case EG_FA_NO_BACKUP_HEALTHY: o += snprintf(buf + o, 64, "%snone:%d", sp, a->uplink); break;
		case EG_FA_CMD_TIMEOUT: o += snprintf(buf + o, 64, "%stimeout:%d", sp, a->uplink); break;
		}
	}
	return buf;
}

static struct eg_fstep tick(struct eg_failover *f, int64_t t)
{
	return eg_failover_step(f, t, EG_FE_TICK, -1, 0);
}
static struct eg_fstep healthy(struct eg_failover *f, int64_t t, int i)
{
	return eg_failover_step(f, t, EG_FE_HEALTHY, i, 0);
}
static struct eg_fstep unhealthy(struct eg_failover *f, int64_t t, int i)
{
	return eg_failover_step(f, t, EG_FE_UNHEALTHY, i, 0);
}
static struct eg_fstep stage(struct eg_failover *f, int64_t t, int i, int n)
{
	return eg_failover_step(f, t, EG_FE_STAGE, i, n);
}
static struct eg_fstep done(struct eg_failover *f, int64_t t, int i)
{
	return eg_failover_step(f, t, EG_FE_DONE, i, 0);
}

#define STEP(call, want, ...) CHECK_STR((s = (call), show(&s)), want, __VA_ARGS__)

/* The seed's machine started on the primary at 0..20, both healthy. */
static void seed_started(struct eg_failover *f)
{
	eg_failover_init(f, &seed, all_healthy, 0, 0);
	tick(f, 0);
	done(f, 10, 1);
	done(f, 20, 0);
}

/* Fail the seed's primary over to the backup at t (stage 2): the backup
 * carries the route from t + 3. */
static int64_t seed_failed_over(struct eg_failover *f, int64_t t)
{
	unhealthy(f, t, 0);
	stage(f, t + 1, 0, 2);
	done(f, t + 2, 0);
	done(f, t + 3, 1);
	return t + 3;
}

static void check_conf(void)
{
	static const struct {
		int what;
		bool ok;
		const char *name;
	} cases[] = {
		{0, true, "the seed's configuration"},
		{1, false, "5 uplinks"},
		{2, true, "no uplink (off)"},
		{3, false, "a down command without an up command"},
		{4, false, "a set member without a down command"},
		{5, true, "an up command alone, no set"},
		{6, false, "failover_stage 0"},
		{7, false, "failover_stage 4"},
		{8, true, "failover_stage 1"},
		{9, true, "failover_stage 3"},
		{10, false, "failback 0"},
		{11, false, "failback negative"},
		{12, false, "failback over 366 days"},
		{13, true, "failback 366 days"},
		{14, false, "failover deadline 0"},
		{15, false, "command deadline 0"},
		{16, false, "command deadline over 366 days"},
		{17, false, "a set member with no commands at all"},
		{18, false, "negative uplink count"},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct eg_failover_conf c = seed;
		const char *why;

		switch (cases[k].what) {
		case 1: c.n = 5; break;
		case 2: c.n = 0; break;
		case 3: c.u[1].has_up = false; c.u[1].set = 0; break;
		case 4: c.u[1].has_down = false; break;
		case 5: c.u[1].has_down = false; c.u[1].set = 0; break;
		case 6: c.failover_stage = 0; break;
		case 7: c.failover_stage = 4; break;
		case 8: c.failover_stage = 1; break;
		case 9: c.failover_stage = 3; break;
		case 10: c.failback_ms = 0; break;
		case 11: c.failback_ms = -1; break;
		case 12: c.failback_ms = EG_FO_MS_MAX + 1; break;
		case 13: c.failback_ms = EG_FO_MS_MAX; break;
		case 14: c.failover_ms = 0; break;
		case 15: c.cmd_ms = 0; break;
		case 16: c.cmd_ms = EG_FO_MS_MAX + 1; break;
		case 17: c.u[0] = (struct eg_fo_uplink){false, false, 2}; break;
		case 18: c.n = -1; break;
		}
		why = eg_failover_check(&c);
		CHECK((why == NULL) == cases[k].ok, "check: %s is %s (%s)", cases[k].name,
		      cases[k].ok ? "accepted" : "refused", why ? why : "ok");
	}
}

static void off(void)
{
	struct eg_failover f;
	struct eg_failover_conf c = seed;
	struct eg_fstep s;

	c.n = 1;
	eg_failover_init(&f, &c, all_healthy, 0, 0);
	CHECK(f.state == EG_FS_OFF, "one uplink: off");
	STEP(unhealthy(&f, 5, 0), "", "off: nothing on unhealthy");
	STEP(stage(&f, 6, 0, 3), "", "off: nothing on a stage report");
	CHECK(s.wake_ms == INT64_MAX && !eg_failover_carrying(&f), "off: no wake, carries nothing");

	c = seed;
	c.failover_stage = 0;
	eg_failover_init(&f, &c, all_healthy, 0, 0);
	CHECK(f.state == EG_FS_OFF, "a configuration the check refuses: off");
	STEP(tick(&f, 0), "", "refused configuration: no command ever");
}

static void start(void)
{
	struct eg_failover f;
	struct eg_fstep s;
	static const struct eg_failover_conf bare = {
		.n = 2, .u = {BARE, BARE},
		.failover_stage = 1, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};
	static const struct eg_failover_conf mixed = {
		.n = 4, .u = {BARE, CMDS(1), CMDS(1), {true, false, 0}},
		.failover_stage = 2, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};

	eg_failover_init(&f, &seed, NULL, 0, 1000);
	CHECK(f.state == EG_FS_START && !eg_failover_carrying(&f), "init: the start waits for a step");
	STEP(tick(&f, 1000), "down:1", "start: stop the backup first (it may run)");
	CHECK_INT(s.wake_ms, 1000 + CMD, "start: its down is awaited cmd_ms");
	STEP(healthy(&f, 1005, 0), "", "start: health is kept meanwhile");
	STEP(done(&f, 1010, 0), "", "start: an answer from an uplink with no command running: nothing");
	STEP(done(&f, 1020, 1), "up:0", "start: the backup stopped, then the primary's up");
	CHECK_INT(s.wake_ms, 1020 + CMD, "start: the up is awaited cmd_ms");
	STEP(done(&f, 1030, 0), "route:0", "start: up done, the route to the primary");
	CHECK(f.state == EG_FS_ACTIVE && f.active == 0, "start: the primary is active");
	CHECK_INT(s.wake_ms, INT64_MAX, "start: the primary healthy, nothing to wake for");
	CHECK(!eg_failover_carrying(&f), "start: the primary is no other uplink");

	eg_failover_init(&f, &seed, NULL, 1, 0);
	STEP(tick(&f, 0), "down:0", "start on the kept backup: the primary stops first");
	STEP(done(&f, 1, 0), "up:1", "then the backup's up");
	STEP(done(&f, 2, 1), "route:1", "then its route");
	eg_failover_init(&f, &seed, NULL, 7, 0);
	STEP(tick(&f, 0), "down:1", "start out of range: the primary");

	eg_failover_init(&f, &bare, NULL, 0, 0);
	STEP(tick(&f, 0), "route:0", "no commands: the route at once");
	CHECK_INT(s.wake_ms, FO, "unknown health: the backstop counts from the start");

	eg_failover_init(&f, &mixed, NULL, 0, 0);
	STEP(tick(&f, 0), "down:1 down:2", "mixed: every lower uplink with a down stops, together");
	STEP(done(&f, 5, 2), "", "mixed: one of two answers: wait for the other");
	STEP(done(&f, 6, 1), "route:0", "mixed: both stopped; the primary has no up: route");
	eg_failover_init(&f, &mixed, NULL, 2, 0);
	STEP(tick(&f, 0), "down:1", "mixed on 2: its set-mate above stops, the up-only 3 is left");
	STEP(done(&f, 1, 1), "up:2", "mixed on 2: then up");
	STEP(done(&f, 2, 2), "route:2", "mixed on 2: then the route");
}

static void failover_stage(void)
{
	for (int n = 1; n <= 3; n++) {
		struct eg_failover_conf c = seed;
		struct eg_failover f;
		struct eg_fstep s;
		char want[32];

		c.failover_stage = n;
		eg_failover_init(&f, &c, all_healthy, 0, 0);
		tick(&f, 0);
		done(&f, 1, 1);
		done(&f, 2, 0);
		STEP(unhealthy(&f, 100, 0), "", "stage %d: unhealthy alone fails nothing", n);
		CHECK_INT(s.wake_ms, 100 + FO, "stage %d: the backstop is armed", n);
		for (int k = 1; k < n; k++)
			STEP(stage(&f, 100 + k, 0, k), "",
			     "failover_stage %d: stage %d keeps the primary", n, k);
		snprintf(want, sizeof want, "over:0>1@%d down:0", n);
		STEP(stage(&f, 200, 0, n), want,
		     "failover_stage %d: stage %d fails over, the primary stops", n, n);
		CHECK(!eg_failover_carrying(&f), "stage %d: switching carries nothing yet", n);
		STEP(done(&f, 210, 0), "up:1", "stage %d: DOWN done, then UP", n);
		STEP(done(&f, 220, 1), "route:1", "stage %d: UP done, then the route", n);
		CHECK(eg_failover_carrying(&f), "stage %d: the healthy backup carries", n);
		STEP(unhealthy(&f, 230, 1), "", "stage %d: the backup breaks: the backstop from now", n);
		CHECK(!eg_failover_carrying(&f), "stage %d: an unhealthy backup carries nothing", n);
		CHECK_INT(s.wake_ms, 230 + FO, "stage %d: the backup's backstop", n);
	}
}

static void ignored_stage(void)
{
	struct eg_failover f;
	struct eg_fstep s;

	seed_started(&f);
	STEP(stage(&f, 100, 0, 3), "", "a stage report while the primary is healthy: ignored");
	unhealthy(&f, 110, 0);
	STEP(stage(&f, 120, 1, 3), "", "a stage report for the idle backup: ignored");
	STEP(stage(&f, 121, 7, 3), "", "a stage report for no uplink: ignored");
	STEP(stage(&f, 122, -1, 3), "", "a negative uplink: ignored");
	STEP(stage(&f, 130, 0, 3), "over:0>1@3 down:0",
	     "a skipped stage counts: stage 3 with failover_stage 2");
	STEP(stage(&f, 131, 0, 3), "", "a stage report during the switch: ignored");
	STEP(stage(&f, 132, 1, 3), "", "a stage report for the target during the switch: ignored");
	STEP(healthy(&f, 133, 0), "", "healthy primary during the switch: the switch goes on");
	STEP(done(&f, 140, 0), "up:1", "the switch goes on to UP");
	STEP(done(&f, 150, 1), "route:1 wait:0/59983",
	     "the route, and the primary's fail-back told with time left");
}

static void commands(void)
{
	struct eg_failover f;
	struct eg_fstep s;
	int64_t t = 1000;

	seed_started(&f);
	unhealthy(&f, t, 0);
	STEP(stage(&f, t, 0, 2), "over:0>1@2 down:0", "failover: DOWN(0) first");
	STEP(done(&f, t + 1, 1), "", "an answer from the backup, whose up is not run yet: ignored");
	STEP(tick(&f, t + CMD - 1), "", "DOWN not answered: nothing 1 ms before its deadline");
	CHECK_INT(s.wake_ms, t + CMD, "wake at the DOWN's deadline");
	STEP(tick(&f, t + CMD), "timeout:0 up:1", "DOWN deadline: killed, counted stopped, then UP");
	CHECK_INT(s.wake_ms, t + 2 * CMD, "wake at the UP's deadline");
	STEP(done(&f, t + CMD + 1, 0), "", "the late answer of the timed-out DOWN: no news");
	STEP(tick(&f, t + 2 * CMD - 1), "", "UP not answered: nothing 1 ms early");
	STEP(tick(&f, t + 2 * CMD), "timeout:1 route:1", "UP deadline: killed, the route anyway");
	STEP(done(&f, t + 2 * CMD + 1, 1), "", "the late answer of the timed-out UP: no news");
	CHECK(f.u[0].run == EG_FR_DOWN && f.u[1].run == EG_FR_UP, "the machine's view after the timeouts");
}

/* An answer from an uplink whose command is not running is no news,
 * even during a switch: the machine must not forget that it runs. */
static void stray_answers(void)
{
	static const struct eg_failover_conf c = {
		.n = 3, .u = {CMDS(1), CMDS(0), CMDS(1)},
		.failover_stage = 1, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};
	struct eg_failover f;
	struct eg_fstep s;

	eg_failover_init(&f, &c, all_healthy, 0, 0);
	tick(&f, 0);
	done(&f, 1, 1);
	done(&f, 1, 2);
	done(&f, 2, 0);
	unhealthy(&f, 10, 0);
	STEP(stage(&f, 11, 0, 1), "over:0>1@1 up:1", "stray: on to 1, the primary (other set) keeps running");
	done(&f, 12, 1);
	unhealthy(&f, 20, 1);
	STEP(stage(&f, 21, 1, 1), "over:1>2@1 down:0", "stray: on to 2, its set-mate 0 stops; 1 keeps running");
	STEP(done(&f, 22, 1), "", "stray: an answer from 1 (nothing of it runs) during the switch");
	STEP(done(&f, 23, 0), "up:2", "stray: 0 stopped, 2 starts");
	STEP(done(&f, 24, 2), "route:2", "stray: on 2");
	healthy(&f, 30, 0);
	STEP(tick(&f, 30 + FB), "back:2>0/60000 down:1 down:2",
	     "stray: fail-back stops 1 too: it was not forgotten");
}

static void kept_primary(void)
{
	static const struct eg_failover_conf c = {
		.n = 2, .u = {CMDS(0), CMDS(0)},
		.failover_stage = 1, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};
	struct eg_failover f;
	struct eg_fstep s;

	eg_failover_init(&f, &c, all_healthy, 0, 0);
	STEP(tick(&f, 0), "down:1", "no sets: the idle backup is stopped at the start");
	done(&f, 1, 1);
	STEP(done(&f, 2, 0), "route:0", "on the primary");
	unhealthy(&f, 10, 0);
	STEP(stage(&f, 11, 0, 1), "over:0>1@1 up:1",
	     "no shared set: the primary keeps running (probed, healed)");
	STEP(done(&f, 12, 1), "route:1", "backup routed");
	STEP(healthy(&f, 100, 0), "wait:0/60000", "the primary is back: fail-back in failback_after");
	STEP(tick(&f, 100 + FB), "back:1>0/60000 down:1", "fail-back stops the backup first");
	STEP(done(&f, 100 + FB + 1, 1), "up:0", "then the primary's up (idempotent)");
	STEP(done(&f, 100 + FB + 2, 0), "route:0", "then its route");
}

static void failback_boundary(void)
{
	struct eg_failover f, g;
	struct eg_fstep s;
	int64_t t, on1;

	seed_started(&f);
	on1 = seed_failed_over(&f, 1000);
	t = on1 + 100;
	STEP(healthy(&f, t, 0), "wait:0/60000", "the primary healthy: waiting, 60 s left");
	CHECK_INT(s.wake_ms, t + FB, "wake when the hold ends");
	STEP(healthy(&f, t + FB / 2, 0), "", "a repeated healthy report restarts nothing, tells nothing");
	g = f;
	STEP(tick(&f, t + FB - 1), "", "fail-back: not 1 ms early");
	STEP(tick(&f, t + FB), "back:1>0/60000 down:1", "fail-back exactly at failback_after");
	STEP(done(&f, t + FB + 5, 1), "up:0", "the backup stopped before the primary starts (same set)");
	STEP(done(&f, t + FB + 6, 0), "route:0", "the primary routed");
	STEP(tick(&g, t + FB + 1), "back:1>0/60001 down:1",
	     "fail-back 1 ms late: still once, healthy for 60.001 s");

	/* an unhealthy report restarts the hold */
	seed_started(&f);
	on1 = seed_failed_over(&f, 1000);
	t = on1 + 100;
	healthy(&f, t, 0);
	STEP(unhealthy(&f, t + FB - 1, 0), "", "a break 1 ms before the hold ends");
	STEP(healthy(&f, t + FB - 1, 0), "wait:0/60000", "healthy again: the full hold again");
	STEP(tick(&f, t + FB), "", "no fail-back at the old deadline");
	STEP(tick(&f, t + 2 * FB - 2), "", "nor 1 ms before the new one");
	STEP(tick(&f, t + 2 * FB - 1), "back:1>0/60000 down:1", "at the new one");

	/* the hold counts from the health report, not from the switch */
	seed_started(&f);
	unhealthy(&f, 1000, 0);
	stage(&f, 1001, 0, 2);
	healthy(&f, 1002, 0);
	done(&f, 1003, 0);
	STEP(done(&f, 1004, 1), "route:1 wait:0/59998", "healthy since before the route: the hold began then");
	STEP(tick(&f, 1002 + FB), "back:1>0/60000 down:1", "and ends failback_after after the report");
}

static void flapping(void)
{
	struct eg_failover f;
	struct eg_fstep s;
	int64_t t;
	int backs = 0, waits = 0;
	uint32_t x = 12345;

	seed_started(&f);
	t = seed_failed_over(&f, 1000) + 10;
	for (int k = 0; k < 1000; k++) {
		int64_t up = k < 500 ? FB - 1 : 1 + (x = x * 1103515245 + 12345) % (FB - 1);
		int64_t down = 1 + (x = x * 1103515245 + 12345) % 5000;

		s = healthy(&f, t, 0);
		waits += s.n == 1 && s.a[0].act == EG_FA_WAITING_FAILBACK;
		for (int i = 0; i < s.n; i++)
			backs += s.a[i].act == EG_FA_FAILED_BACK;
		/* the daemon steps at wake_ms, and at the break */
		if (s.wake_ms < t + up) {
			s = tick(&f, s.wake_ms);
			for (int i = 0; i < s.n; i++)
				backs += s.a[i].act == EG_FA_FAILED_BACK;
		}
		s = unhealthy(&f, t + up, 0);
		for (int i = 0; i < s.n; i++)
			backs += s.a[i].act == EG_FA_FAILED_BACK;
		t += up + down;
	}
	CHECK_INT(backs, 0, "a primary flapping 1000 times (healthy < failback_after) never fails back");
	CHECK_INT(waits, 1000, "each healthy spell says WAITING_FAILBACK once");
	CHECK(f.state == EG_FS_ACTIVE && f.active == 1, "still on the backup");
	healthy(&f, t, 0);
	STEP(tick(&f, t + FB), "back:1>0/60000 down:1", "one spell of failback_after: fail-back");
}

static void backups(void)
{
	static const struct eg_failover_conf three = {
		.n = 3, .u = {CMDS(1), CMDS(1), CMDS(0)},
		.failover_stage = 2, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};
	static const struct eg_failover_conf four = {
		.n = 4, .u = {CMDS(0), CMDS(0), CMDS(0), CMDS(0)},
		.failover_stage = 1, .failback_ms = FB, .failover_ms = FO, .cmd_ms = CMD,
	};
	static const enum eg_fhealth h4[EG_UPLINKS_MAX] = {
		EG_FH_HEALTHY, EG_FH_HEALTHY, EG_FH_HEALTHY, EG_FH_UNKNOWN,
	};
	struct eg_failover f;
	struct eg_fstep s;

	eg_failover_init(&f, &three, all_healthy, 0, 0);
	STEP(tick(&f, 0), "down:1 down:2", "three: both backups stop at the start");
	done(&f, 1, 1);
	done(&f, 1, 2);
	done(&f, 2, 0);
	unhealthy(&f, 10, 0);
	STEP(stage(&f, 11, 0, 2), "over:0>1@2 down:0", "three: the next in order, its set-mate stops");
	done(&f, 12, 0);
	STEP(done(&f, 13, 1), "route:1", "three: on 1");
	unhealthy(&f, 20, 1);
	STEP(stage(&f, 21, 1, 2), "over:1>2@2 up:2",
	     "the backup fails: further down; 1 (other set) keeps running");
	STEP(done(&f, 22, 2), "route:2", "three: on 2");
	STEP(healthy(&f, 30, 0), "wait:0/60000", "the primary healthy: fail-back waits");
	unhealthy(&f, 40, 2);
	STEP(stage(&f, 41, 2, 3), "over:2>0@3 down:1 down:2",
	     "the last backup fails: back up to the healthy primary at once; 1 (its set) and 2 (below) stop");
	STEP(done(&f, 42, 2), "", "one DOWN of two answered");
	STEP(done(&f, 43, 1), "up:0", "both: the primary's up");
	STEP(done(&f, 44, 0), "route:0", "three: on the primary again");

	/* no backup, then one appears */
	seed_started(&f);
	seed_failed_over(&f, 1000);
	unhealthy(&f, 2000, 1);
	STEP(stage(&f, 2001, 1, 2), "none:1", "the backup fails, the primary is unhealthy: nothing to go to");
	CHECK_INT(s.wake_ms, INT64_MAX, "no backup: wait for health reports");
	STEP(stage(&f, 2002, 1, 3), "", "said once per failure");
	STEP(tick(&f, 2003 + FO), "", "the backstop does not say it again");
	STEP(healthy(&f, 3000, 1), "", "the backup heals itself: nothing to do");
	unhealthy(&f, 3001, 1);
	STEP(stage(&f, 3002, 1, 2), "none:1", "a new failure is said again");
	STEP(healthy(&f, 4000, 0), "over:1>0@2 down:1",
	     "a candidate appears: the failed backup is left at once");

	/* the choice: the first below not known unhealthy */
	eg_failover_init(&f, &four, h4, 0, 0);
	STEP(tick(&f, 0), "down:1 down:2 down:3", "four: three backups stop");
	done(&f, 1, 1);
	done(&f, 1, 2);
	done(&f, 1, 3);
	done(&f, 2, 0);
	unhealthy(&f, 10, 1);
	unhealthy(&f, 10, 2);
	unhealthy(&f, 10, 0);
	STEP(stage(&f, 11, 0, 1), "over:0>3@1 up:3", "1 and 2 known unhealthy, 3 unknown: 3");
	done(&f, 12, 3);
	unhealthy(&f, 20, 3);
	healthy(&f, 21, 2);
	STEP(healthy(&f, 21, 1), "wait:1/60000", "each uplink above turning healthy is told once");
	STEP(stage(&f, 22, 3, 1), "over:3>1@1 down:3",
	     "the last fails: the most preferred healthy above; 3 below stops, 2 never ran, 0 keeps running");
}

static void backstop(void)
{
	struct eg_failover f;
	struct eg_fstep s;
	static const enum eg_fhealth h[EG_UPLINKS_MAX] = {EG_FH_HEALTHY, EG_FH_UNKNOWN};
	int64_t t;

	eg_failover_init(&f, &seed, h, 0, 0);
	tick(&f, 0);
	done(&f, 1, 1);
	done(&f, 2, 0);
	unhealthy(&f, 1000, 0);
	STEP(healthy(&f, 1000 + FO - 1, 0), "", "healthy again 1 ms before the backstop");
	STEP(unhealthy(&f, 1000 + FO, 0), "", "unhealthy again: the backstop restarts");
	CHECK_INT(s.wake_ms, 1000 + 2 * FO, "its new deadline");
	STEP(tick(&f, 1000 + 2 * FO - 1), "", "backstop: not 1 ms early");
	STEP(tick(&f, 1000 + 2 * FO), "over:0>1@0 down:0",
	     "no ladder report: the backstop fails over (stage 0)");
	t = 1000 + 2 * FO;
	done(&f, t + 1, 0);
	STEP(done(&f, t + 2, 1), "route:1", "on the backup, health unknown");
	CHECK_INT(s.wake_ms, t + 2 + FO, "a new active uplink has failover_ms to come up");
	CHECK(!eg_failover_carrying(&f), "unknown health carries nothing");
}

static void backoff(void)
{
	struct eg_failover f;
	struct eg_fstep s;
	int64_t t, hold = FB;
	char want[48];

	seed_started(&f);
	t = seed_failed_over(&f, 1000);
	for (int k = 0; k < 5; k++) {
		t += 100;
		snprintf(want, sizeof want, "wait:0/%lld", (long long)hold);
		STEP(healthy(&f, t, 0), want, "back-off %d: the hold is %lld s", k, (long long)hold / 1000);
		STEP(tick(&f, t + hold - 1), "", "back-off %d: not 1 ms early", k);
		t += hold;
		s = tick(&f, t);
		CHECK(s.n == 2 && s.a[0].act == EG_FA_FAILED_BACK, "back-off %d: fail-back at the hold", k);
		done(&f, t + 1, 1);
		done(&f, t + 2, 0);
		/* the session fails 1 ms before it has held */
		unhealthy(&f, t + 2 + FB - 1, 0);
		STEP(stage(&f, t + 2 + FB, 0, 2), "over:0>1@2 down:0",
		     "back-off %d: the fail-back did not hold", k);
		done(&f, t + 2 + FB + 1, 0);
		done(&f, t + 2 + FB + 2, 1);
		t += 2 + FB + 2;
		if (hold < FB << EG_FO_BACKOFF_MAX)
			hold *= 2;
	}
	CHECK_INT(f.u[0].shift, EG_FO_BACKOFF_MAX, "the hold stops growing at 8x");
	/* one that holds exactly failback_after resets it */
	t += 100;
	healthy(&f, t, 0);
	t += FB << EG_FO_BACKOFF_MAX;
	tick(&f, t);
	done(&f, t + 1, 1);
	done(&f, t + 2, 0);
	unhealthy(&f, t + 2 + FB, 0);
	stage(&f, t + 2 + FB + 1, 0, 2);
	CHECK_INT(f.u[0].shift, 0, "a fail-back that held for failback_after resets the hold");
	done(&f, t + 2 + FB + 2, 0);
	done(&f, t + 2 + FB + 3, 1);
	STEP(healthy(&f, t + 2 + FB + 10, 0), "wait:0/60000", "the next hold is failback_after again");
}

static void carrying(void)
{
	struct eg_failover f;

	eg_failover_init(&f, &seed, all_healthy, 0, 0);
	CHECK(!eg_failover_carrying(&f), "carrying: not before the start");
	tick(&f, 0);
	done(&f, 1, 1);
	done(&f, 2, 0);
	CHECK(!eg_failover_carrying(&f), "carrying: not on the primary");
	unhealthy(&f, 10, 0);
	stage(&f, 11, 0, 2);
	CHECK(!eg_failover_carrying(&f), "carrying: not while stopping");
	done(&f, 12, 0);
	CHECK(!eg_failover_carrying(&f), "carrying: not while starting");
	done(&f, 13, 1);
	CHECK(eg_failover_carrying(&f), "carrying: a healthy backup, switched");
	healthy(&f, 20, 0);
	tick(&f, 20 + FB);
	CHECK(!eg_failover_carrying(&f), "carrying: not while failing back");
}

static void texts(void)
{
	for (int a = EG_FA_DOWN; a <= EG_FA_CMD_TIMEOUT; a++)
		CHECK(strcmp(eg_fact_text((enum eg_fact)a), "unknown") != 0, "action %d has a text", a);
	for (int st = EG_FS_OFF; st <= EG_FS_ACTIVE; st++)
		CHECK(strcmp(eg_fstate_text((enum eg_fstate)st), "unknown") != 0, "state %d has a text", st);
	CHECK_STR(eg_fact_text(EG_FA_NO_BACKUP_HEALTHY), "no backup healthy", "a text");
	CHECK_STR(eg_fact_text((enum eg_fact)99), "unknown", "no such action");
	CHECK_STR(eg_fstate_text((enum eg_fstate)99), "unknown", "no such state");
}

/* ---- the invariants, after every step of many event sequences ----
 *
 * The world is the daemon and the uplinks as the tests see them: what
 * runs (from the actions and the answers the world gives), health as it
 * was reported.  Each step is checked against it, independently of the
 * machine's own bookkeeping. */

enum wst { W_MAYBE, W_DOWN, W_STARTING, W_UP, W_STOPPING };

struct world {
	struct eg_failover f;
	int64_t now, wake;
	bool tidy;               /* the daemon steps at wake_ms, never later */
	enum wst st[EG_UPLINKS_MAX];
	int64_t issued[EG_UPLINKS_MAX];
	enum eg_fhealth h[EG_UPLINKS_MAX];
	int64_t hsince[EG_UPLINKS_MAX];
	int route;
	bool switching;
	int64_t switch_ms, route_ms;
	bool stage_seen;         /* a stage >= failover_stage on the unhealthy active */
};

static long long w_steps, w_bad, w_backs, w_overs, w_timeouts;
static int w_maxn;
static char w_first[400];

static void w_fail(const struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void w_fail(const struct world *w, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (w_bad++)
		return;
	o = snprintf(w_first, sizeof w_first, "at %lld: ", (long long)w->now);
	va_start(ap, fmt);
	vsnprintf(w_first + o, sizeof w_first - (size_t)o, fmt, ap);
	va_end(ap);
}

static void w_init(struct world *w, const struct eg_failover_conf *c, const enum eg_fhealth *h,
		   bool tidy)
{
	*w = (struct world){0};
	w->now = 1000000;
	w->tidy = tidy;
	eg_failover_init(&w->f, c, h, 0, w->now);
	for (int i = 0; i < c->n; i++) {
		w->st[i] = c->u[i].has_up || c->u[i].has_down ? W_MAYBE : W_UP;
		w->h[i] = h ? h[i] : EG_FH_UNKNOWN;
		w->hsince[i] = w->now;
	}
	w->route = -1;
	w->switching = true;
	w->switch_ms = w->now;
	w->wake = w->now;
}

static bool w_runs(enum wst s)
{
	return s != W_DOWN;
}

static void w_check(struct world *w, const struct eg_fstep *s)
{
	const struct eg_failover_conf *c = &w->f.c;

	w_steps++;
	if (s->n > w_maxn)
		w_maxn = s->n;
	if (s->n >= EG_FO_ACTS_MAX)
		w_fail(w, "a full action list (%d): one may have been lost", s->n);
	for (int k = 0; k < s->n; k++) {
		const struct eg_faction *a = &s->a[k];
		int i = a->uplink, from = a->from;

		if (i < 0 || i >= c->n) {
			w_fail(w, "action %d names uplink %d", a->act, i);
			continue;
		}
		switch (a->act) {
		case EG_FA_DOWN:
			if (!c->u[i].has_down || !(w->st[i] == W_MAYBE || w->st[i] == W_UP))
				w_fail(w, "DOWN(%d) of an uplink that cannot run it now (%d)", i, w->st[i]);
			if (!w->switching)
				w_fail(w, "DOWN(%d) outside a switch", i);
			w->st[i] = W_STOPPING;
			w->issued[i] = w->now;
			break;
		case EG_FA_UP:
			if (!c->u[i].has_up || w->st[i] == W_STARTING || w->st[i] == W_STOPPING)
				w_fail(w, "UP(%d) now (%d)", i, w->st[i]);
			for (int j = 0; j < c->n; j++)
				if (j != i && c->u[i].set && c->u[j].set == c->u[i].set && w->st[j] != W_DOWN)
					w_fail(w, "UP(%d) while its set-mate %d may run (%d): "
					       "DOWN must come first", i, j, w->st[j]);
			w->st[i] = W_STARTING;
			w->issued[i] = w->now;
			break;
		case EG_FA_CMD_TIMEOUT:
			if (w->st[i] != W_STOPPING && w->st[i] != W_STARTING)
				w_fail(w, "TIMEOUT(%d) with no command of it running", i);
			if (w->now - w->issued[i] < c->cmd_ms)
				w_fail(w, "TIMEOUT(%d) after %lld ms only",
				       i, (long long)(w->now - w->issued[i]));
			w->st[i] = w->st[i] == W_STARTING ? W_UP : W_DOWN; /* the daemon killed it */
			w_timeouts++;
			break;
		case EG_FA_ROUTE:
			if (!w->switching)
				w_fail(w, "ROUTE(%d) outside a switch", i);
			if (w->st[i] != W_UP && !(w->st[i] == W_MAYBE && !c->u[i].has_up))
				w_fail(w, "ROUTE(%d) before its UP ended (%d)", i, w->st[i]);
			for (int j = i + 1; j < c->n; j++)
				if (c->u[j].has_down && w->st[j] != W_DOWN)
					w_fail(w, "ROUTE(%d) while %d below it may run", i, j);
			if (w->tidy && w->now - w->switch_ms > 2 * c->cmd_ms)
				w_fail(w, "a switch took %lld ms", (long long)(w->now - w->switch_ms));
			w->route = i;
			w->route_ms = w->now;
			w->switching = false;
			w->stage_seen = false;
			break;
		case EG_FA_FAILED_BACK:
			w_backs++;
			if (w->switching || from != w->route || i >= from)
				w_fail(w, "FAILED_BACK %d>%d on route %d", from, i, w->route);
			if (w->h[i] != EG_FH_HEALTHY || w->now - w->hsince[i] < c->failback_ms)
				w_fail(w, "FAILED_BACK to %d healthy for %lld ms only (%d)", i,
				       (long long)(w->now - w->hsince[i]), w->h[i]);
			if (a->ms != w->now - w->hsince[i])
				w_fail(w, "FAILED_BACK says healthy for %lld ms", (long long)a->ms);
			w->switching = true;
			w->switch_ms = w->now;
			break;
		case EG_FA_FAILED_OVER: {
			int want = -1;

			w_overs++;
			if (w->switching || from != w->route || i == from)
				w_fail(w, "FAILED_OVER %d>%d on route %d", from, i, w->route);
			if (from < 0 || from >= c->n)
				break;
			if (w->h[from] == EG_FH_HEALTHY)
				w_fail(w, "FAILED_OVER from a healthy %d", from);
			if (!w->stage_seen &&
			    w->now - (w->hsince[from] > w->route_ms ? w->hsince[from] : w->route_ms) <
				    c->failover_ms)
				w_fail(w, "FAILED_OVER from %d with neither a stage report nor the backstop",
				       from);
			for (int j = from + 1; j < c->n && want < 0; j++)
				if (w->h[j] != EG_FH_UNHEALTHY)
					want = j;
			for (int j = 0; j < from && want < 0; j++)
				if (w->h[j] == EG_FH_HEALTHY)
					want = j;
			if (i != want)
				w_fail(w, "FAILED_OVER from %d to %d, not %d", from, i, want);
			w->switching = true;
			w->switch_ms = w->now;
			break;
		}
		case EG_FA_WAITING_FAILBACK:
			if (w->switching || i >= w->route || w->h[i] != EG_FH_HEALTHY ||
			    a->ms > (c->failback_ms << EG_FO_BACKOFF_MAX) - (w->now - w->hsince[i]))
				w_fail(w, "WAITING_FAILBACK for %d (%lld ms) on route %d", i, (long long)a->ms,
				       w->route);
			break;
		case EG_FA_NO_BACKUP_HEALTHY:
			if (w->switching || i != w->route)
				w_fail(w, "NO_BACKUP_HEALTHY for %d on route %d", i, w->route);
			for (int j = 0; j < c->n; j++)
				if ((j > i && w->h[j] != EG_FH_UNHEALTHY) ||
				    (j < i && w->h[j] == EG_FH_HEALTHY))
					w_fail(w, "NO_BACKUP_HEALTHY while %d could take over", j);
			break;
		}
	}
	/* after every step: of a set, what the machine started runs alone */
	for (int i = 0; i < c->n; i++) {
		if (!c->u[i].set || !(w->st[i] == W_STARTING || w->st[i] == W_UP))
			continue;
		for (int j = 0; j < c->n; j++)
			if (j != i && c->u[j].set == c->u[i].set && w_runs(w->st[j]))
				w_fail(w, "set %d: %d runs and %d may run too (%d)",
				       c->u[i].set, i, j, w->st[j]);
	}
	if (eg_failover_carrying(&w->f) != (!w->switching && w->route > 0 && w->h[w->route] == EG_FH_HEALTHY))
		w_fail(w, "carrying says %d on route %d", eg_failover_carrying(&w->f), w->route);
	if (s->wake_ms <= w->now)
		w_fail(w, "wake %lld is not later than now", (long long)s->wake_ms);
	if (w->switching && s->wake_ms > w->now + c->cmd_ms)
		w_fail(w, "a switch waits beyond cmd_ms (wake %lld)", (long long)s->wake_ms);
	w->wake = s->wake_ms;
}

static void w_send(struct world *w, enum eg_fevent ev, int i, int n)
{
	const struct eg_failover_conf *c = &w->f.c;
	struct eg_fstep s;

	if (ev == EG_FE_HEALTHY || ev == EG_FE_UNHEALTHY) {
		enum eg_fhealth h = ev == EG_FE_HEALTHY ? EG_FH_HEALTHY : EG_FH_UNHEALTHY;

		if (i < 0 || i >= c->n)
			;
		else if (w->h[i] != h) {
			if ((w->h[i] == EG_FH_HEALTHY) != (h == EG_FH_HEALTHY))
				w->hsince[i] = w->now;
			w->h[i] = h;
			if (i == w->route && h == EG_FH_HEALTHY)
				w->stage_seen = false;
		}
	} else if (ev == EG_FE_STAGE) {
		if (!w->switching && i == w->route && w->h[i] != EG_FH_HEALTHY && n >= c->failover_stage)
			w->stage_seen = true;
	} else if (ev == EG_FE_DONE && i >= 0 && i < c->n) {
		if (w->st[i] == W_STOPPING)
			w->st[i] = W_DOWN;
		else if (w->st[i] == W_STARTING)
			w->st[i] = W_UP;
	}
	s = eg_failover_step(&w->f, w->now, ev, i, n);
	w_check(w, &s);
}

/* The first uplink with no command running (a stray answer), or 0. */
static int w_idle(const struct world *w)
{
	for (int i = 0; i < w->f.c.n; i++)
		if (w->st[i] != W_STOPPING && w->st[i] != W_STARTING)
			return i;
	return 0;
}

/* Sleep d ms (to wake_ms at the latest when tidy), then TICK. */
static void w_sleep(struct world *w, int64_t d)
{
	int64_t t = w->now + d;

	if (w->tidy && w->wake < t)
		t = w->wake;
	w->now = t;
	w_send(w, EG_FE_TICK, -1, 0);
}

/* The alphabet of the enumeration: 0-5 health of uplink 0-2, 6 a stage
 * report at failover_stage for the route, 7 the oldest running command
 * answers, 8 sleep until wake_ms (10 holds when there is none), 9 sleep
 * until 1 ms before it (1 s when there is none: the boundaries), 10 a
 * stray answer from the first uplink with no command running. */
#define NSYM 11

static void w_play(struct world *w, int sym)
{
	if (sym < 6) {
		w_send(w, sym & 1 ? EG_FE_UNHEALTHY : EG_FE_HEALTHY, sym / 2, 0);
	} else if (sym == 6) {
		w_send(w, EG_FE_STAGE, w->route < 0 ? 0 : w->route, w->f.c.failover_stage);
	} else if (sym == 7) {
		int i = 0;

		while (i < w->f.c.n && w->st[i] != W_STOPPING && w->st[i] != W_STARTING)
			i++;
		w_send(w, EG_FE_DONE, i < w->f.c.n ? i : 0, 0);
	} else if (sym == 8) {
		w_sleep(w, w->wake == INT64_MAX ? 10 * w->f.c.failback_ms : w->wake - w->now);
	} else if (sym == 9) {
		w_sleep(w, w->wake == INT64_MAX ? 1000 : w->wake - 1 - w->now);
	} else {
		w_send(w, EG_FE_DONE, w_idle(w), 0);
	}
}

static char w_path[64];

static void enumerate(const struct world *w, int depth, int len)
{
	for (int sym = 0; sym < NSYM; sym++) {
		struct world c = *w;
		long long bad = w_bad;

		w_play(&c, sym);
		w_path[len] = (char)('0' + sym);
		if (w_bad && !bad) {
			w_path[len + 1] = '\0';
			return;
		}
		if (depth > 1)
			enumerate(&c, depth - 1, len + 1);
		if (w_bad)
			return;
	}
}

static void exhaustive(void)
{
	static const struct eg_failover_conf confs[] = {
		{.n = 3, .u = {CMDS(1), CMDS(1), CMDS(0)},
		 .failover_stage = 2, .failback_ms = 3000, .failover_ms = 5000, .cmd_ms = 2000},
		{.n = 3, .u = {CMDS(1), CMDS(1), CMDS(1)},
		 .failover_stage = 2, .failback_ms = 3000, .failover_ms = 5000, .cmd_ms = 2000},
		{.n = 3, .u = {BARE, CMDS(1), CMDS(1)},
		 .failover_stage = 1, .failback_ms = 3000, .failover_ms = 5000, .cmd_ms = 2000},
	};
	/* where the enumeration begins (symbols as w_play's), and how deep:
	 * at the start and on the backup with the primary waiting, 6 events;
	 * on the primary, on the backup, in a switch, 5 */
	static const struct {
		const char *prefix;
		int depth;
	} from[] = {{"", 6}, {"7777167709", 6}, {"7777", 5}, {"77771677", 5}, {"777716", 5}};
	long long steps0 = w_steps;

	for (size_t c = 0; c < sizeof confs / sizeof confs[0]; c++) {
		for (size_t p = 0; p < sizeof from / sizeof from[0]; p++) {
			struct world w;

			w_init(&w, &confs[c], NULL, true);
			for (const char *q = from[p].prefix; *q; q++)
				w_play(&w, *q - '0');
			w_path[0] = '\0';
			if (!w_bad)
				enumerate(&w, from[p].depth, 0);
			CHECK(w_bad == 0, "every sequence of %d events from \"%s\", configuration %zu: %s%s%s",
			      from[p].depth, from[p].prefix, c, w_bad ? w_first : "invariants hold",
			      w_bad ? " after " : "", w_bad ? w_path : "");
			w_bad = 0;
		}
	}
	printf("# exhaustive: %lld steps: 3 configurations, all %d^6 sequences from 2 starting points"
	       " and all %d^5 from 3 more\n", w_steps - steps0, NSYM, NSYM);
	printf("#   failovers %lld, fail-backs %lld, command timeouts %lld, most actions in one step %d\n",
	       w_overs, w_backs, w_timeouts, w_maxn);
	CHECK(w_overs > 0 && w_backs > 0 && w_timeouts > 0,
	      "the enumeration reached failover, fail-back and timeouts");
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void randomized(void)
{
	long long steps0 = w_steps, overs0 = w_overs, backs0 = w_backs;
	int seeds = 60, per = 10000;

	for (int seedn = 1; seedn <= seeds; seedn++) {
		uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)seedn;
		struct eg_failover_conf c = {0};
		enum eg_fhealth h[EG_UPLINKS_MAX];
		struct world w;

		c.n = 2 + (int)(rng(&x) % 3);
		for (int i = 0; i < c.n; i++) {
			int kind = (int)(rng(&x) % 5);

			/* no commands, up only, both without a set, set 1, set 2 */
			c.u[i] = kind == 0 ? (struct eg_fo_uplink)BARE :
				 kind == 1 ? (struct eg_fo_uplink){true, false, 0} :
				 kind == 2 ? (struct eg_fo_uplink)CMDS(0) :
				 (struct eg_fo_uplink)CMDS(kind == 3 ? 1 : 2);
			h[i] = (enum eg_fhealth)(rng(&x) % 3);
		}
		c.failover_stage = 1 + (int)(rng(&x) % 3);
		c.failback_ms = 1000 + (int64_t)(rng(&x) % 60000);
		c.failover_ms = 1000 + (int64_t)(rng(&x) % 60000);
		c.cmd_ms = 100 + (int64_t)(rng(&x) % 10000);
		w_init(&w, &c, h, seedn % 4 != 0);
		w_send(&w, EG_FE_TICK, -1, 0);
		for (int k = 0; k < per && !w_bad; k++) {
			uint64_t r = rng(&x) % 100;
			/* now and then out of range, either side */
			int i = (int)(rng(&x) % (uint64_t)(c.n + 1)) - (r % 17 == 0);

			if (r < 30) {
				w_send(&w, r & 1 ? EG_FE_UNHEALTHY : EG_FE_HEALTHY, i, 0);
			} else if (r < 45) {
				w_send(&w, EG_FE_STAGE, r < 40 && w.route >= 0 ? w.route : i,
				       1 + (int)(rng(&x) % 3));
			} else if (r < 65) {
				int j = 0;

				while (j < c.n && w.st[j] != W_STOPPING && w.st[j] != W_STARTING)
					j++;
				w_send(&w, EG_FE_DONE, j < c.n && r < 60 ? j : r < 63 ? w_idle(&w) : i, 0);
			} else if (r < 72 && w.wake != INT64_MAX) {
				w_sleep(&w, w.wake - 1 - w.now);
			} else if (r < 85) {
				w_sleep(&w, (int64_t)(rng(&x) % (uint64_t)(c.failback_ms / 4)));
			} else {
				w_sleep(&w, (int64_t)(rng(&x) % (uint64_t)(3 * c.failback_ms)));
			}
		}
		CHECK(w_bad == 0, "random seed %d (%d uplinks, %s): %s", seedn, c.n,
		      seedn % 4 ? "steps at wake_ms" : "steps late too", w_bad ? w_first : "invariants hold");
		w_bad = 0;
	}
	printf("# randomized: %lld steps (%d seeds x %d events), failovers %lld, fail-backs %lld\n",
	       w_steps - steps0, seeds, per, w_overs - overs0, w_backs - backs0);
}

void test_failover(void)
{
	check_conf();
	off();
	start();
	failover_stage();
	ignored_stage();
	commands();
	stray_answers();
	kept_primary();
	failback_boundary();
	flapping();
	backups();
	backstop();
	backoff();
	carrying();
	texts();
	exhaustive();
	randomized();
}
