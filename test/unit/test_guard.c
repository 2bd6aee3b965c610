/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "guard_logic.h"

void test_guard_handoff(void);

static void intervals(void)
{
	CHECK_INT(eg_pet_interval_ms(4), 1000, "pet every quarter timeout (4s)");
	CHECK_INT(eg_pet_interval_ms(30), 7500, "pet every quarter timeout (30s)");
	CHECK_INT(eg_pet_interval_ms(1), 250, "pet every quarter timeout (1s)");
	CHECK_INT(eg_pet_interval_ms(3600), 900000, "pet every quarter timeout (1h)");
	CHECK_INT(eg_pet_interval_ms(0), 100, "pet interval floor");
}

static void basic(void)
{
	struct eg_guard g;
	struct eg_action a;

	eg_guard_init(&g, 1000, 4, 60, 0, true);
	a = eg_guard_step(&g, 1000, EG_EV_TICK);
	CHECK(!a.pet && !a.reboot, "no pet right after arming (arming pets)");
	CHECK_INT(a.wake_ms, 1000 + EG_SWITCH_POLL_MS, "initramfs wakes to look for switch_root");
	a = eg_guard_step(&g, 1999, EG_EV_TICK);
	CHECK(!a.pet, "no pet before the interval");
	a = eg_guard_step(&g, 2000, EG_EV_TICK);
	CHECK(a.pet, "pet at the interval");
	CHECK_INT(g.last_pet_ms, 2000, "pet time kept");
	a = eg_guard_step(&g, 60999, EG_EV_TICK);
	CHECK(!a.reboot && g.stage == EG_STAGE_INITRAMFS, "no reboot 1 ms before the deadline");
	CHECK_INT(a.wake_ms, 61000, "wakes exactly at the deadline");
	a = eg_guard_step(&g, 61000, EG_EV_TICK);
	CHECK(a.reboot && !a.pet, "reboot at the deadline, without a pet");
	CHECK(g.stage == EG_STAGE_REBOOTING, "stage rebooting");
	for (int64_t t = 61000; t < 200000; t += 333) {
		a = eg_guard_step(&g, t, EG_EV_TICK);
		if (a.pet || a.reboot)
			break;
	}
	CHECK(!a.pet && !a.reboot, "after deciding to reboot: never pets, never decides again");
}

static void switch_root(void)
{
	struct eg_guard g;
	struct eg_action a;

	eg_guard_init(&g, 0, 4, 60, 0, true);
	a = eg_guard_step(&g, 5000, EG_EV_SWITCHED);
	CHECK(a.entered_rootfs && g.stage == EG_STAGE_ROOTFS, "switch enters rootfs");
	CHECK_INT(g.switched_ms, 5000, "switch time kept");
	CHECK(a.pet, "pet still due after the switch");
	a = eg_guard_step(&g, 5000, EG_EV_SWITCHED);
	CHECK(!a.entered_rootfs, "a second switch event is not a new entry");
	CHECK_INT(a.wake_ms, 6000, "rootfs wakes only to pet");
	a = eg_guard_step(&g, 600000, EG_EV_TICK);
	CHECK(!a.reboot && a.pet, "no deadline in the rootfs");

	eg_guard_init(&g, 0, 4, 60, 0, true);
	a = eg_guard_step(&g, 60000, EG_EV_SWITCHED);
	CHECK(a.entered_rootfs && !a.reboot, "switch seen at the deadline counts");
	eg_guard_init(&g, 0, 4, 60, 0, true);
	eg_guard_step(&g, 60000, EG_EV_TICK);
	a = eg_guard_step(&g, 60001, EG_EV_SWITCHED);
	CHECK(!a.entered_rootfs && g.stage == EG_STAGE_REBOOTING,
	      "switch after the reboot decision changes nothing");
}

static void no_watchdog(void)
{
	struct eg_guard g;
	struct eg_action a;
	bool petted = false, early = false;

	eg_guard_init(&g, 0, 4, 20, 0, false);
	for (int64_t t = 0; t < 20000; t += 100) {
		a = eg_guard_step(&g, t, EG_EV_TICK);
		petted |= a.pet;
		early |= a.reboot;
	}
	CHECK(!early, "no reboot before the deadline without a watchdog");
	CHECK(!petted, "nothing to pet without a watchdog");
	a = eg_guard_step(&g, 20000, EG_EV_TICK);
	CHECK(a.reboot, "software deadline still reboots without a watchdog");
	eg_guard_init(&g, 0, 4, 20, 0, false);
	eg_guard_step(&g, 1, EG_EV_SWITCHED);
	a = eg_guard_step(&g, 2, EG_EV_TICK);
	CHECK(a.wake_ms > 2 && !a.pet, "rootfs without a watchdog sleeps long");
}

/* Every stage x event, from a state just after arming. */
static void transitions(void)
{
	static const struct {
		enum eg_stage from;
		enum eg_event ev;
		int64_t at;
		enum eg_stage to;
		bool reboot;
	} t[] = {
		{EG_STAGE_INITRAMFS, EG_EV_TICK, 1000, EG_STAGE_INITRAMFS, false},
		{EG_STAGE_INITRAMFS, EG_EV_TICK, 10000, EG_STAGE_REBOOTING, true},
		{EG_STAGE_INITRAMFS, EG_EV_SWITCHED, 1000, EG_STAGE_ROOTFS, false},
		{EG_STAGE_INITRAMFS, EG_EV_SWITCHED, 10000, EG_STAGE_ROOTFS, false},
		{EG_STAGE_ROOTFS, EG_EV_TICK, 1000, EG_STAGE_ROOTFS, false},
		{EG_STAGE_ROOTFS, EG_EV_TICK, 99000, EG_STAGE_ROOTFS, false},
		{EG_STAGE_ROOTFS, EG_EV_SWITCHED, 1000, EG_STAGE_ROOTFS, false},
		{EG_STAGE_REBOOTING, EG_EV_TICK, 1000, EG_STAGE_REBOOTING, false},
		{EG_STAGE_REBOOTING, EG_EV_SWITCHED, 1000, EG_STAGE_REBOOTING, false},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_guard g;
		struct eg_action a;

		eg_guard_init(&g, 0, 4, 10, 0, true);
		g.stage = t[i].from;
		a = eg_guard_step(&g, t[i].at, t[i].ev);
		CHECK(g.stage == t[i].to && a.reboot == t[i].reboot, "%s + %s at %lldms -> %s%s",
		      eg_stage_name(t[i].from), t[i].ev == EG_EV_TICK ? "tick" : "switched",
		      (long long)t[i].at, eg_stage_name(t[i].to), t[i].reboot ? " + reboot" : "");
		if (t[i].from == EG_STAGE_REBOOTING)
			CHECK(!a.pet, "rebooting never pets");
	}
}

/* However late the wakeups (up to a bound), pets stay within the timeout. */
static void late_wakeups(void)
{
	for (uint32_t timeout = 1; timeout <= 60; timeout += 7) {
		struct eg_guard g;
		int64_t now = 0, last = 0, worst = 0;
		int64_t late_max = (int64_t)timeout * 1000 / 2; /* half a timeout late */
		uint32_t seed = timeout * 2654435761u;
		bool stuck = false;

		eg_guard_init(&g, 0, timeout, 30, 0, true);
		eg_guard_step(&g, 0, EG_EV_SWITCHED);
		while (now < 3600 * 1000) {
			struct eg_action a = eg_guard_step(&g, now, EG_EV_TICK);
			if (a.pet) {
				if (now - last > worst)
					worst = now - last;
				last = now;
			}
			if (a.wake_ms <= now) {
				stuck = true;
				break;
			}
			seed = seed * 1103515245u + 12345u;
			now = a.wake_ms + (int64_t)(seed >> 8) % (late_max + 1);
		}
		CHECK(!stuck, "timeout %us: every wakeup is in the future", timeout);
		CHECK(worst < (int64_t)timeout * 1000,
		      "timeout %us: longest gap between pets %lldms stays under the timeout", timeout,
		      (long long)worst);
	}
}

void test_guard(void)
{
	intervals();
	basic();
	switch_root();
	no_watchdog();
	transitions();
	late_wakeups();
	test_guard_handoff();
}

/* After switch_root, the daemon must take over within the handoff time. */
void test_guard_handoff(void)
{
	struct eg_guard g;
	struct eg_action a;

	eg_guard_init(&g, 0, 4, 60, 15, true);
	a = eg_guard_step(&g, 3000, EG_EV_SWITCHED);
	CHECK(a.entered_rootfs && !a.reboot, "switch with a handoff deadline");
	CHECK_INT(a.wake_ms, 4000, "wakes to pet before the handoff deadline");
	a = eg_guard_step(&g, 17999, EG_EV_TICK);
	CHECK(!a.reboot, "no reboot 1 ms before the handoff deadline");
	CHECK_INT(a.wake_ms, 18000, "wakes at the handoff deadline");
	a = eg_guard_step(&g, 18000, EG_EV_TICK);
	CHECK(a.reboot && a.why == EG_G_HANDOFF && !a.pet, "reboot at switch + handoff, no pet");
	eg_guard_init(&g, 0, 4, 20, 15, true);
	a = eg_guard_step(&g, 20000, EG_EV_TICK);
	CHECK(a.reboot && a.why == EG_G_DEADLINE, "the initramfs deadline says so");
	eg_guard_init(&g, 0, 4, 20, 0, true);
	eg_guard_step(&g, 1000, EG_EV_SWITCHED);
	a = eg_guard_step(&g, 99 * 3600 * 1000LL, EG_EV_TICK);
	CHECK(!a.reboot && a.pet, "handoff_timeout=0: the guard pets on in the rootfs");
}
