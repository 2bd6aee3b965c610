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

/* The health probe's verdict, by the scenarios of heal_logic.h. */
static void probe_scenarios(void)
{
	const struct eg_hprobe_conf c = {.interval_ms = 10000, .timeout_ms = 2000, .misses = 3};
	struct eg_hprobe p;
	int64_t t = 0;

	eg_hprobe_init(&p, &c, true, t);
	CHECK(p.ok, "a healthy link at the start: trusted before the first round");
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "the first round goes at once");
	CHECK_INT(p.due_ms, 2000, "its deadline is the timeout");
	CHECK_INT(eg_hprobe_step(&p, 1999, true, -1), EG_HP_NONE, "not over 1 ms early");
	CHECK_INT(eg_hprobe_step(&p, 40, true, 1), EG_HP_NONE, "answered after 40 ms");
	CHECK(p.ok && !p.inflight && p.due_ms == 10040, "answering; the next round 10 s later");
	CHECK_INT(eg_hprobe_wake(&p, true), 10040, "the wake is the next round");
	CHECK(eg_hprobe_wake(&p, false) == INT64_MAX, "no wake while the link is down");
	CHECK_INT(eg_hprobe_step(&p, 10039, true, -1), EG_HP_NONE, "not 1 ms early");
	/* three rounds unanswered: two time out, one settles unanswered */
	t = 10040;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "round 2 at 10.04 s");
	CHECK_INT(eg_hprobe_step(&p, t + 2000, true, -1), EG_HP_CANCEL, "its deadline: closed");
	CHECK(p.ok && p.missed == 1 && p.due_ms == t + 2000, "one miss: still answering; retry at once");
	t += 2000;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "the retry");
	CHECK_INT(eg_hprobe_step(&p, t + 5, true, 0), EG_HP_NONE, "settled unanswered (no route)");
	CHECK(p.ok && p.missed == 2 && p.due_ms == t + 1000,
	      "two misses: still answering; the next 1 s after the last began");
	CHECK_INT(eg_hprobe_step(&p, t + 999, true, -1), EG_HP_NONE, "not 1 ms early");
	t += 1000;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "the third");
	CHECK_INT(eg_hprobe_step(&p, t + 2000, true, -1), EG_HP_CANCEL, "times out");
	CHECK(!p.ok && p.missed == 3, "three in a row: not answering");
	t += 2000;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "still asked, back to back");
	CHECK_INT(eg_hprobe_step(&p, t + 2000, true, -1), EG_HP_CANCEL, "unanswered");
	CHECK(!p.ok && p.missed == 3, "the count stops at misses");
	t += 2000;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "again");
	CHECK_INT(eg_hprobe_step(&p, t + 7, true, 1), EG_HP_NONE, "answered");
	CHECK(p.ok && p.missed == 0 && p.due_ms == t + 7 + 10000, "answering again at once");
	/* the link goes down with a round out */
	t += 9000;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_NONE, "between rounds");
	p.due_ms = t;
	CHECK_INT(eg_hprobe_step(&p, t, true, -1), EG_HP_START, "a round out");
	CHECK_INT(eg_hprobe_step(&p, t + 1, false, -1), EG_HP_CANCEL, "the link down closes it");
	CHECK(!p.ok && !p.inflight && p.missed == 0, "not answering until the link is back");
	CHECK_INT(eg_hprobe_step(&p, t + 2, false, 1), EG_HP_NONE, "no round on a down link");
	CHECK(!p.ok, "a stale answer does not count");
	CHECK_INT(eg_hprobe_step(&p, t + 3000, true, -1), EG_HP_START, "link back: a round at once");
	CHECK_INT(eg_hprobe_step(&p, t + 5000, true, -1), EG_HP_CANCEL, "unanswered (no route yet)");
	CHECK(!p.ok && p.missed == 1, "still not answering after one miss");
	CHECK_INT(eg_hprobe_step(&p, t + 5000, true, -1), EG_HP_START, "retried at once");
	CHECK_INT(eg_hprobe_step(&p, t + 5010, true, 1), EG_HP_NONE, "answered");
	CHECK(p.ok, "healthy once a round is answered after the link came back");
	/* the start on an unhealthy link */
	eg_hprobe_init(&p, &c, false, 0);
	CHECK(!p.ok, "an unhealthy link at the start: not answering");
	CHECK_INT(eg_hprobe_step(&p, 0, true, -1), EG_HP_START, "a round once it is healthy");
	/* misses 0 means 1; an interval shorter than the retry bounds it */
	eg_hprobe_init(&p, &(struct eg_hprobe_conf){.interval_ms = 500, .timeout_ms = 100, .misses = 0},
		       true, 0);
	CHECK_INT(eg_hprobe_step(&p, 0, true, -1), EG_HP_START, "short interval: round 1");
	CHECK_INT(eg_hprobe_step(&p, 100, true, -1), EG_HP_CANCEL, "unanswered");
	CHECK(!p.ok && p.due_ms == 500, "misses=0 counts as 1; the retry is the interval (500 ms)");
}

/* Random walks against the rules: a round only on a healthy link and
 * never two at once; a cancel only for a round out; the verdict turns to
 * answering only by an answer to a round out, and to not answering at
 * the link's loss or at `misses` unanswered rounds in a row; a round out
 * never outlives its timeout by a step; the next round comes the interval
 * after an answer, and after a miss at once but not sooner than the
 * retry after the last began. */
static void probe_walks(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned long steps = 0;

	for (int walk = 0; walk < 3000; walk++) {
		struct eg_hprobe_conf c = {
			.interval_ms = 1 + (int64_t)(walk % 7) * 700,
			.timeout_ms = 1 + (int64_t)(walk % 5) * 600,
			.misses = (uint32_t)(walk % 4),
		};
		uint32_t misses = c.misses ? c.misses : 1;
		struct eg_hprobe p;
		int64_t t = 0, started = -1, answered_at = -1;
		bool link = walk % 3 != 0, ok_ref = link;
		uint32_t missed_ref = 0;
		int bad = 0;

		eg_hprobe_init(&p, &c, link, t);
		for (int i = 0; i < 400 && !bad; i++, steps++) {
			struct eg_hprobe before = p;
			int result;
			enum eg_hpact a;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			t += (int64_t)((seed >> 33) % 1500);
			if ((seed >> 20) % 13 == 0)
				link = !link;
			result = (int)((seed >> 40) % 4) - 1; /* -1, 0, 1, and -1 again */
			if (result == 2)
				result = -1;
			a = eg_hprobe_step(&p, t, link, result);
			if (!link) {
				ok_ref = false;
				missed_ref = 0;
				started = -1;
			} else if (before.inflight && (result >= 0 || t >= before.due_ms)) {
				if (result == 1) {
					ok_ref = true;
					missed_ref = 0;
					answered_at = t;
				} else {
					int64_t retry = c.interval_ms < EG_HPROBE_RETRY_MS ?
							c.interval_ms : EG_HPROBE_RETRY_MS;

					missed_ref += missed_ref < misses;
					if (missed_ref >= misses)
						ok_ref = false;
					bad |= p.due_ms != (started + retry > t ? started + retry : t);
				}
				started = -1;
			}
			bad |= a == EG_HP_START && (!link || before.inflight);
			bad |= a == EG_HP_CANCEL && !before.inflight;
			bad |= p.ok != ok_ref || p.missed != missed_ref;
			bad |= p.inflight != (a == EG_HP_START || (before.inflight && link && result < 0 &&
								  t < before.due_ms));
			if (a == EG_HP_START) {
				started = t;
				bad |= p.due_ms != t + c.timeout_ms;
			}
			bad |= started >= 0 && p.inflight && p.due_ms != started + c.timeout_ms;
			bad |= link && !p.inflight && answered_at == t && p.due_ms != t + c.interval_ms;
			bad |= link && eg_hprobe_wake(&p, link) != p.due_ms;
			bad |= !link && eg_hprobe_wake(&p, link) != INT64_MAX;
		}
		CHECK(!bad, "probe walk %d (interval %lld, timeout %lld, misses %u) keeps the rules", walk,
		      (long long)c.interval_ms, (long long)c.timeout_ms, c.misses);
	}
	CHECK(steps > 1000000, "%lu probe steps walked", steps);
}

void test_heal(void)
{
	probe_scenarios();
	probe_walks();
	ladder();
	skipped_stages();
	runs_and_reboot();
	off_and_init();
	veto_order();
	window();
}
