/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rootfs daemon's decisions as a pure state machine, clock injected:
 * petting, the confirm deadline, the check-in deadline with its network
 * restart and grace, operator reboots and shutdown.  daemon.c performs
 * what these functions decide.
 */
#ifndef EG_DAEMON_LOGIC_H
#define EG_DAEMON_LOGIC_H

#include "eg.h"

enum eg_dreason {
	EG_R_NONE,
	EG_R_CONFIRM,   /* not confirmed in time */
	EG_R_CHECKIN,   /* check-in missed, network restart did not help */
	EG_R_OPERATOR,  /* earlyguard reboot --reason */
	EG_R_SHUTDOWN,  /* the init system began a shutdown */
	EG_R_HEAL,      /* the network self-heal: the ladder failed, no guard held */
};

enum eg_devent {
	EG_D_TICK,
	EG_D_DISARM,
	EG_D_CHECKIN,
	EG_D_CHECKIN_DISABLE,
	EG_D_REBOOT,   /* operator */
	EG_D_SHUTDOWN, /* init system or SIGTERM */
	EG_D_HEAL,     /* the self-heal decided a reboot */
};

enum eg_checkin {
	EG_CI_OFF,       /* checkin_interval = 0 */
	EG_CI_DISARMED,  /* configured, waiting for the first check-in */
	EG_CI_ARMED,     /* due at checkin_due_ms */
	EG_CI_RESTARTED, /* missed: network restarted, reboot at checkin_reboot_ms */
};

struct eg_daemon {
	bool has_wdt;
	int64_t pet_every_ms, last_pet_ms;
	int64_t confirm_deadline_ms; /* 0: confirm is off */
	bool confirmed;
	int64_t confirmed_ms;
	enum eg_checkin checkin;
	int64_t checkin_every_ms, checkin_grace_ms;
	int64_t checkin_due_ms, checkin_reboot_ms;
	bool shutting_down;
	enum eg_dreason reason;
};

struct eg_daction {
	bool pet;
	bool restart_network;
	bool shutdown;      /* begin the orderly shutdown now, for .reason */
	enum eg_dreason reason;
	int result;         /* for operator events: 0 done, 1 nothing to do, -1 refused */
	int64_t wake_ms;
};

void eg_daemon_init(struct eg_daemon *d, int64_t now, uint32_t timeout_s, bool has_wdt,
		    uint32_t confirm_s, uint32_t checkin_s, uint32_t grace_s, bool checkin_armed);
struct eg_daction eg_daemon_step(struct eg_daemon *d, int64_t now, enum eg_devent ev);
const char *eg_dreason_text(enum eg_dreason r);

#endif
