/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "daemon_logic.h"

static void confirm(void)
{
	struct eg_daemon d;
	struct eg_daction a;

	eg_daemon_init(&d, 0, 4, true, 20, 0, 300, false);
	a = eg_daemon_step(&d, 0, EG_D_TICK);
	CHECK(a.pet, "the daemon pets at its first step");
	CHECK_INT(a.wake_ms, 1000, "then at the pet interval");
	a = eg_daemon_step(&d, 19999, EG_D_TICK);
	CHECK(!a.shutdown, "no reboot 1 ms before the confirm deadline");
	CHECK_INT(a.wake_ms, 20000, "wakes at the confirm deadline");
	a = eg_daemon_step(&d, 20000, EG_D_TICK);
	CHECK(a.shutdown && a.reason == EG_R_CONFIRM && !a.pet, "unconfirmed: orderly reboot, no pet");
	a = eg_daemon_step(&d, 25000, EG_D_TICK);
	CHECK(!a.pet && !a.shutdown, "shutting down: never pets, never begins again");
	a = eg_daemon_step(&d, 25000, EG_D_DISARM);
	CHECK_INT(a.result, -1, "too late to disarm");

	eg_daemon_init(&d, 0, 4, true, 20, 0, 300, false);
	a = eg_daemon_step(&d, 5000, EG_D_DISARM);
	CHECK(a.result == 0 && d.confirmed && d.confirmed_ms == 5000, "disarm confirms");
	a = eg_daemon_step(&d, 6000, EG_D_DISARM);
	CHECK_INT(a.result, 1, "a second disarm has nothing to clear");
	a = eg_daemon_step(&d, 3600 * 1000, EG_D_TICK);
	CHECK(!a.shutdown && a.pet, "confirmed: no deadline, petting goes on");

	eg_daemon_init(&d, 0, 4, true, 0, 0, 300, false);
	a = eg_daemon_step(&d, 99 * 3600 * 1000LL, EG_D_TICK);
	CHECK(!a.shutdown, "confirm_timeout=0: no confirm deadline");
	a = eg_daemon_step(&d, 99 * 3600 * 1000LL, EG_D_DISARM);
	CHECK_INT(a.result, 1, "disarm with confirm off has nothing to clear");
}

static void checkin(void)
{
	struct eg_daemon d;
	struct eg_daction a;

	eg_daemon_init(&d, 0, 4, true, 0, 0, 300, false);
	a = eg_daemon_step(&d, 1000, EG_D_CHECKIN);
	CHECK_INT(a.result, -1, "check-in refused when checkin_interval=0");

	eg_daemon_init(&d, 0, 4, true, 0, 20, 15, false);
	CHECK(d.checkin == EG_CI_DISARMED, "configured but not armed");
	a = eg_daemon_step(&d, 600000, EG_D_TICK);
	CHECK(!a.restart_network && !a.shutdown, "not armed: nothing is missed");
	a = eg_daemon_step(&d, 600000, EG_D_CHECKIN);
	CHECK(a.result == 0 && d.checkin == EG_CI_ARMED, "the first check-in arms");
	CHECK_INT(d.checkin_due_ms, 620000, "due one interval later");
	a = eg_daemon_step(&d, 610000, EG_D_CHECKIN);
	CHECK_INT(d.checkin_due_ms, 630000, "each check-in moves the deadline");
	a = eg_daemon_step(&d, 629999, EG_D_TICK);
	CHECK(!a.restart_network, "not missed 1 ms early");
	a = eg_daemon_step(&d, 630000, EG_D_TICK);
	CHECK(a.restart_network && !a.shutdown && d.checkin == EG_CI_RESTARTED,
	      "missed: restart the network first");
	CHECK_INT(a.wake_ms, 630999, "keeps petting meanwhile (last pet at 629999)");
	a = eg_daemon_step(&d, 640000, EG_D_TICK);
	CHECK(!a.restart_network && !a.shutdown, "the network is restarted once");
	a = eg_daemon_step(&d, 645000, EG_D_TICK);
	CHECK(a.shutdown && a.reason == EG_R_CHECKIN, "still missed after the grace: reboot");

	eg_daemon_init(&d, 0, 4, true, 0, 20, 15, false);
	eg_daemon_step(&d, 0, EG_D_CHECKIN);
	eg_daemon_step(&d, 20000, EG_D_TICK);
	a = eg_daemon_step(&d, 30000, EG_D_CHECKIN);
	CHECK(d.checkin == EG_CI_ARMED && d.checkin_due_ms == 50000,
	      "a check-in during the grace heals");
	a = eg_daemon_step(&d, 35000, EG_D_TICK);
	CHECK(!a.shutdown, "no reboot after healing");

	eg_daemon_init(&d, 0, 4, true, 0, 20, 15, true);
	CHECK(d.checkin == EG_CI_ARMED && d.checkin_due_ms == 20000,
	      "armed before this boot: due one interval after start");
	a = eg_daemon_step(&d, 1000, EG_D_CHECKIN_DISABLE);
	CHECK(a.result == 0 && d.checkin == EG_CI_DISARMED, "disable disarms");
	a = eg_daemon_step(&d, 99000, EG_D_TICK);
	CHECK(!a.restart_network, "disarmed: nothing missed");
	a = eg_daemon_step(&d, 99000, EG_D_CHECKIN_DISABLE);
	CHECK_INT(a.result, 1, "disabling twice has nothing to do");
}

static void shutdown_events(void)
{
	struct eg_daemon d;
	struct eg_daction a;

	eg_daemon_init(&d, 0, 4, true, 20, 0, 300, false);
	a = eg_daemon_step(&d, 1000, EG_D_REBOOT);
	CHECK(a.shutdown && a.reason == EG_R_OPERATOR && !a.pet, "operator reboot begins a shutdown");
	a = eg_daemon_step(&d, 1500, EG_D_SHUTDOWN);
	CHECK(!a.shutdown && a.result == -1 && d.reason == EG_R_OPERATOR,
	      "the init system's shutdown hook keeps the first reason");
	eg_daemon_init(&d, 0, 4, true, 20, 0, 300, false);
	a = eg_daemon_step(&d, 1000, EG_D_SHUTDOWN);
	CHECK(a.shutdown && a.reason == EG_R_SHUTDOWN, "a shutdown by the init system");

	eg_daemon_init(&d, 0, 4, false, 20, 0, 300, false);
	a = eg_daemon_step(&d, 0, EG_D_TICK);
	CHECK(!a.pet && a.wake_ms == 20000, "no watchdog: no pets, wakes for the deadline");
}

/* Every operator event in every check-in state, and after a shutdown. */
static void events_everywhere(void)
{
	static const enum eg_devent evs[] = {EG_D_TICK, EG_D_DISARM, EG_D_CHECKIN,
					     EG_D_CHECKIN_DISABLE, EG_D_REBOOT, EG_D_SHUTDOWN};
	int bad = 0;

	for (int state = 0; state < 5; state++)
		for (size_t e = 0; e < sizeof evs / sizeof evs[0]; e++) {
			struct eg_daemon d;
			struct eg_daction a;

			eg_daemon_init(&d, 0, 4, true, 20, state == 0 ? 0 : 20, 15, state >= 2);
			if (state == 3)
				eg_daemon_step(&d, 20000 - 1, EG_D_DISARM), eg_daemon_step(&d, 20000, EG_D_TICK);
			if (state == 4)
				eg_daemon_step(&d, 100, EG_D_REBOOT);
			a = eg_daemon_step(&d, 20000, evs[e]);
			/* invariants: a shutdown never pets; time always moves on */
			if ((a.shutdown && a.pet) || a.wake_ms <= 20000 - 1 ||
			    (d.shutting_down && a.pet))
				bad++;
		}
	CHECK_INT(bad, 0, "no event in any state pets while shutting down or stalls the clock");
}

void test_daemon(void)
{
	confirm();
	checkin();
	shutdown_events();
	events_everywhere();
}
