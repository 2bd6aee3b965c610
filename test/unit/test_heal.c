/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "heal_logic.h"

static const struct eg_heal_conf full = {
	.grace_ms = 1000, .recheck_ms = 15000, .interval_ms = 600000,
	.max_fails = 2, .has_reapply = true, .has_restart = true,
};

static struct eg_haction tick(struct eg_heal *h, int64_t now)
{
	return eg_heal_step(h, now, EG_HE_TICK, EG_HV_NONE);
}

/* Drive one whole failing run from `start` (the ladder's first stage) and
 * return when it ends, checking each stage on the way. */
static int64_t failing_run(struct eg_heal *h, int64_t start, uint32_t run, const char *what)
{
	struct eg_haction a;
	int64_t t = start;

	a = tick(h, t);
	CHECK(a.act == EG_HA_LINK_DOWN && a.stage == 1 && a.run == run,
	      "%s: run %u begins with the bounce", what, run);
	CHECK_INT(a.wake_ms, t + EG_HEAL_BOUNCE_MS, "%s: the link stays down 3 s", what);
	a = tick(h, t + EG_HEAL_BOUNCE_MS - 1);
	CHECK(a.act == EG_HA_NONE, "%s: not up 1 ms early", what);
	t += EG_HEAL_BOUNCE_MS;
	a = tick(h, t);
	CHECK(a.act == EG_HA_LINK_UP && a.wake_ms == t + 15000, "%s: link up, recheck 15 s", what);
	a = tick(h, t + 14999);
	CHECK(a.act == EG_HA_NONE, "%s: stage 2 not 1 ms early", what);
	t += 15000;
	a = tick(h, t);
	CHECK(a.act == EG_HA_REAPPLY && a.stage == 2, "%s: stage 2 re-applies", what);
	t += 15000;
	a = tick(h, t);
	CHECK(a.act == EG_HA_RESTART && a.stage == 3, "%s: stage 3 restarts", what);
	t += 15000;
	return t;
}

static void ladder(void)
{
	struct eg_heal h;
	struct eg_haction a;
	int64_t t;

	eg_heal_init(&h, &full, false, true, 0, 0);
	CHECK(h.state == EG_HS_HEALTHY, "starts healthy");
	a = tick(&h, 100000);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == INT64_MAX, "healthy: nothing to wake for");
	a = eg_heal_step(&h, 5000, EG_HE_UNHEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == 6000, "unhealthy: waits the grace");
	a = eg_heal_step(&h, 5500, EG_HE_HEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_HEALED && a.stage == 0 && a.elapsed_ms == 500,
	      "a flap shorter than the grace heals on its own, 0.5 s");

	/* healed by each stage in turn */
	for (int stage = 1; stage <= 3; stage++) {
		eg_heal_init(&h, &full, false, true, 0, 0);
		eg_heal_step(&h, 0, EG_HE_UNHEALTHY, EG_HV_NONE);
		a = tick(&h, 1000);
		CHECK(a.act == EG_HA_LINK_DOWN, "stage %d case: bounce first", stage);
		a = eg_heal_step(&h, 2000, EG_HE_HEALTHY, EG_HV_NONE);
		CHECK(a.act == EG_HA_NONE, "stage %d case: healthy while held down does not count", stage);
		a = tick(&h, 4000);
		CHECK(a.act == EG_HA_LINK_UP, "stage %d case: up again", stage);
		t = 4000;
		if (stage >= 2) {
			t += 15000;
			a = tick(&h, t);
			CHECK(a.act == EG_HA_REAPPLY, "stage %d case: re-apply", stage);
		}
		if (stage == 3) {
			t += 15000;
			a = tick(&h, t);
			CHECK(a.act == EG_HA_RESTART, "stage %d case: restart", stage);
		}
		a = eg_heal_step(&h, t + 700, EG_HE_HEALTHY, EG_HV_NONE);
		CHECK(a.act == EG_HA_HEALED && a.stage == stage && a.run == 1,
		      "healed by stage %d in run 1", stage);
		CHECK_INT(a.elapsed_ms, t + 700, "stage %d: elapsed from detection", stage);
		CHECK(h.state == EG_HS_HEALTHY && h.fails == 0, "stage %d: healthy, no failure", stage);
		a = eg_heal_step(&h, t + 800, EG_HE_HEALTHY, EG_HV_NONE);
		CHECK(a.act == EG_HA_NONE, "stage %d: a second healthy event is nothing", stage);
	}

	/* unhealthy events while the ladder runs change nothing */
	eg_heal_init(&h, &full, false, true, 0, 0);
	eg_heal_step(&h, 0, EG_HE_UNHEALTHY, EG_HV_NONE);
	a = eg_heal_step(&h, 500, EG_HE_UNHEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == 1000, "a second unhealthy event keeps the grace");
}

static void skipped_stages(void)
{
	struct eg_heal_conf c = full;
	struct eg_heal h;
	struct eg_haction a;

	c.has_reapply = false;
	eg_heal_init(&h, &c, false, false, 0, 0);
	tick(&h, 1000);
	tick(&h, 4000);
	a = tick(&h, 19000);
	CHECK(a.act == EG_HA_RESTART && a.stage == 3, "no re-apply command: stage 2 is skipped");

	c.has_reapply = true;
	c.has_restart = false;
	eg_heal_init(&h, &c, false, false, 0, 0);
	tick(&h, 1000);
	tick(&h, 4000);
	a = tick(&h, 19000);
	CHECK(a.act == EG_HA_REAPPLY, "no restart command: stage 2 runs");
	a = tick(&h, 34000);
	CHECK(a.act == EG_HA_RUN_FAILED && a.run == 1, "then the run ends without stage 3");

	c.has_reapply = false;
	eg_heal_init(&h, &c, false, false, 0, 0);
	tick(&h, 1000);
	tick(&h, 4000);
	a = tick(&h, 19000);
	CHECK(a.act == EG_HA_RUN_FAILED, "only the bounce: the run ends after it");
}

static void runs_and_reboot(void)
{
	struct eg_heal h;
	struct eg_haction a;
	int64_t t;

	eg_heal_init(&h, &full, false, true, 0, 0);
	eg_heal_step(&h, 0, EG_HE_UNHEALTHY, EG_HV_NONE);
	t = failing_run(&h, 1000, 1, "max_fails=2");
	a = tick(&h, t - 1);
	CHECK(a.act == EG_HA_NONE, "run 1 does not end 1 ms early");
	a = tick(&h, t);
	CHECK(a.act == EG_HA_RUN_FAILED && a.run == 1 && h.fails == 1, "run 1 of 2 failed");
	CHECK_INT(a.wake_ms, t + 600000, "the next run heal_interval later");
	a = tick(&h, t + 599999);
	CHECK(a.act == EG_HA_NONE, "not 1 ms early");
	t = failing_run(&h, t + 600000, 2, "max_fails=2");
	a = tick(&h, t);
	CHECK(a.act == EG_HA_GUARDS && a.run == 2, "run 2 of 2 failed: ask the guards");
	CHECK_INT(a.wake_ms, t + EG_HEAL_GUARDS_MS, "the guards have 10 s");
	a = eg_heal_step(&h, t + 50, EG_HE_GUARDS, EG_HV_USB);
	CHECK(a.act == EG_HA_VETOED && a.veto == EG_HV_USB, "a veto holds the reboot");
	CHECK_INT(a.wake_ms, t + 50 + 600000, "and the ladder runs again heal_interval later");
	t = failing_run(&h, t + 50 + 600000, 3, "after a veto");
	a = tick(&h, t);
	CHECK(a.act == EG_HA_GUARDS && a.run == 3, "run 3: the guards again");
	a = eg_heal_step(&h, t + 10, EG_HE_GUARDS, EG_HV_NONE);
	CHECK(a.act == EG_HA_REBOOT && a.run == 3, "no veto: reboot");
	CHECK(h.state == EG_HS_REBOOT, "reboot is final");
	a = eg_heal_step(&h, t + 20, EG_HE_HEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == INT64_MAX, "nothing after the reboot decision");

	/* the guards never answer */
	eg_heal_init(&h, &full, false, false, 1, 0);
	t = failing_run(&h, 1000, 2, "fails kept");
	a = tick(&h, t);
	CHECK(a.act == EG_HA_GUARDS, "a kept count of 1 reaches the guards after one run");
	a = tick(&h, t + EG_HEAL_GUARDS_MS - 1);
	CHECK(a.act == EG_HA_NONE, "guards: not given up 1 ms early");
	a = tick(&h, t + EG_HEAL_GUARDS_MS);
	CHECK(a.act == EG_HA_VETOED && a.veto == EG_HV_UNKNOWN, "no answer from the guards: hold");

	/* healthy during the guards, or between runs */
	eg_heal_init(&h, &full, false, false, 1, 0);
	t = failing_run(&h, 1000, 2, "healthy at the guards");
	tick(&h, t);
	a = eg_heal_step(&h, t + 5, EG_HE_HEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_HEALED && a.stage == 0 && h.fails == 0, "healthy while the guards run");
	a = eg_heal_step(&h, t + 6, EG_HE_GUARDS, EG_HV_NONE);
	CHECK(a.act == EG_HA_NONE, "a late guard answer after healing reboots nothing");

	eg_heal_init(&h, &full, false, false, 0, 0);
	t = failing_run(&h, 1000, 1, "healthy between runs");
	tick(&h, t);
	a = eg_heal_step(&h, t + 1000, EG_HE_HEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_HEALED && a.stage == 0 && h.fails == 0, "healthy between runs clears the count");

	/* max_fails=1 and 0 */
	{
		struct eg_heal_conf c = full;
		c.max_fails = 0;
		eg_heal_init(&h, &c, false, false, 0, 0);
		t = failing_run(&h, 1000, 1, "max_fails=0");
		a = tick(&h, t);
		CHECK(a.act == EG_HA_GUARDS, "max_fails=0 acts as 1: guards after the first run");
	}
}

static void off_and_init(void)
{
	struct eg_heal h;
	struct eg_haction a;

	eg_heal_init(&h, &full, true, false, 3, 0);
	a = eg_heal_step(&h, 0, EG_HE_UNHEALTHY, EG_HV_NONE);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == INT64_MAX, "off: nothing ever");
	eg_heal_init(&h, &full, false, true, 3, 0);
	CHECK_INT(h.fails, 0, "healthy at the start clears a kept count");
	eg_heal_init(&h, &full, false, false, 0, 7000);
	a = tick(&h, 7999);
	CHECK(a.act == EG_HA_NONE && a.wake_ms == 8000, "unhealthy at the start: the grace first");
	a = tick(&h, 8000);
	CHECK(a.act == EG_HA_LINK_DOWN, "then the bounce");
	{
		struct eg_heal_conf c = full;
		c.grace_ms = 0;
		eg_heal_init(&h, &c, false, true, 0, 0);
		a = eg_heal_step(&h, 42, EG_HE_UNHEALTHY, EG_HV_NONE);
		CHECK(a.act == EG_HA_LINK_DOWN, "heal_grace=0: the bounce at once");
	}
}

static void veto_order(void)
{
	/* every combination of the guards: the first veto in the fixed order */
	int n = 0, good = 0;

	for (int m = 0; m < 64; m++) {
		struct eg_hguards g = {
			.inhibit_left_ms = m & 1 ? 5 : 0, .cooldown_left_ms = m & 2 ? 5 : 0,
			.usb_active = m & 4, .peer_holds = m & 8, .failover_active = m & 16,
			.ping = m & 32 ? 1 : 0,
		};
		enum eg_hveto want = m & 1 ? EG_HV_INHIBIT : m & 2 ? EG_HV_COOLDOWN :
				     m & 4 ? EG_HV_USB : m & 8 ? EG_HV_PEER :
				     m & 16 ? EG_HV_FAILOVER : m & 32 ? EG_HV_PING : EG_HV_NONE;
		n++;
		good += eg_heal_veto(&g) == want;
		CHECK(eg_heal_need_ping(&g, true) == ((m & 31) == 0),
		      "guards %d: the ping is sent only when nothing else holds", m);
		CHECK(!eg_heal_need_ping(&g, false), "guards %d: no ping without targets", m);
		CHECK(eg_heal_need_settle(&g, true) == (m == 0),
		      "guards %d: the peer's settle only when nothing holds, the ping included", m);
		CHECK(!eg_heal_need_settle(&g, false), "guards %d: no settle without a peer", m);
		g.ping = -1;
		CHECK(eg_heal_need_settle(&g, true) == ((m & 31) == 0),
		      "guards %d: a ping not answered yet does not stop the settle", m);
	}
	CHECK_INT(good, n, "all 64 guard combinations give the first veto in order");
	{
		struct eg_hguards g = {.never_seen = true, .inhibit_left_ms = 1, .ping = 1};
		CHECK(eg_heal_veto(&g) == EG_HV_NO_IFACE, "an uplink never seen holds before all else");
		CHECK(!eg_heal_need_ping(&g, true), "and no ping is sent for it");
	}
	{
		struct eg_hguards g = {.ping = -1};
		CHECK(eg_heal_veto(&g) == EG_HV_NONE, "not probed is no veto");
		g.cooldown_left_ms = -3;
		CHECK(eg_heal_veto(&g) == EG_HV_NONE, "a cooldown already over is no veto");
	}
	for (int v = EG_HV_NONE; v <= EG_HV_UNKNOWN; v++)
		CHECK(strcmp(eg_hveto_text((enum eg_hveto)v), "unknown") != 0 || v == EG_HV_UNKNOWN,
		      "veto %d has a text", v);
	CHECK_STR(eg_hstage_text(2), "re-apply", "stage 2 is re-apply");
	CHECK_STR(eg_hstage_text(9), "unknown", "stage 9 is unknown");
}

static void window(void)
{
	char buf[40];
	int64_t left = -1;
	static const char *const bad[] = {
		"", "left_ms", "left_ms ", "left_ms -1\n", "left_ms 12x\n", "left_ms 1\n2",
		"left_ms 99999999999999999999\n", "left_ms 31622400001\n", "LEFT_MS 5\n",
		" left_ms 5\n", "left_ms 5\n\n",
	};

	eg_window_format(buf, sizeof buf, 3600000);
	CHECK_STR(buf, "left_ms 3600000\n", "format");
	CHECK(eg_window_parse(buf, &left) == 0 && left == 3600000, "round trip");
	eg_window_format(buf, sizeof buf, -5);
	CHECK_STR(buf, "left_ms 0\n", "a window already over is 0");
	CHECK(eg_window_parse("left_ms 7", &left) == 0 && left == 7, "no newline is fine");
	CHECK(eg_window_parse("left_ms 31622400000\n", &left) == 0, "366 days is the most");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char shown[64];
		CHECK_INT(eg_window_parse(bad[i], &left), -1, "refused: \"%s\"",
			  unit_shown(bad[i], shown, sizeof shown));
	}
}

void test_heal(void)
{
	ladder();
	skipped_stages();
	runs_and_reboot();
	off_and_init();
	veto_order();
	window();
}
