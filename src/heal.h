/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network self-heal inside `earlyguard daemon`: it performs what
 * heal_logic.c decides.  Health comes from rtnetlink notifications (no
 * polling), the ladder's stages are a netlink bounce and two commands,
 * the reboot guards are read when a reboot is considered (the ping probe
 * last, without blocking the daemon's loop), and the windows that must
 * outlive a reboot (reboot_cooldown, the operator's inhibit) are kept as
 * the time left, counted down with CLOCK_BOOTTIME: a machine without a
 * real-time clock, whose wall clock may say 1970 after a reboot, keeps
 * them all the same.  With a peer watched (peerd.h), it tells the peer
 * what it is doing (recovering while unhealthy, rebooting in the settle
 * before a reboot and after), and the peer is one of the guards.
 */
#ifndef EG_HEAL_H
#define EG_HEAL_H

#include "conf.h"
#include "failover.h"
#include "heal_logic.h"
#include "peerd.h"
#include "uplink.h"

#include <poll.h>
#include <sys/types.h>

#define EG_HEAL_FDS 5               /* the monitor, two ping-veto and two health probes */
#define EG_HEAL_SAVE_MS (5 * 60000) /* a window's time left is rewritten this often */

/* One round of probes, to at most two targets at once: the ping veto's
 * or the health probe's.  Answered when one of them answers. */
struct eg_round {
	struct eg_probe p[2];
	int n;                           /* probes started; 0: no round out */
	int64_t deadline_ms, timeout_ms;
	char why[EG_MSG_MAX];            /* what answered, or what the last failure was */
};

struct eg_healer {
	const struct eg_conf *c;
	struct eg_heal h;
	struct eg_link_health link;
	bool healthy;
	bool seen;                       /* the uplink existed at some time since the start */
	int mon_fd;
	pid_t cmd_pid;                   /* the stage's command, while it runs */
	struct eg_routes routes;         /* kept through the bounce, put back after it */
	int64_t cooldown_until_ms, cooldown_saved_ms;
	int64_t inhibit_until_ms, inhibit_saved_ms;
	struct eg_round veto;            /* the ping veto's round, while the guards run */
	bool hprobe_on;                  /* health_probe1/2 set */
	struct eg_hprobe hp;             /* the health probe's verdict (heal_logic.h) */
	struct eg_round health;          /* its round out */
	char hprobe_targets[2 * EG_SERVER_STR + 4]; /* "T1", "T2" or "T1 or T2", for the log */
	char hprobe_trouble[EG_MSG_MAX]; /* what the verdict "not answering" says */
	struct eg_hguards guards;        /* the last evaluation */
	char guard_what[EG_MSG_MAX];     /* what the winning veto names */
	struct eg_peerd *peer;           /* the peer watch: told our state, asked the guard */
	struct eg_failer *fo;            /* the uplink failover: told the ladder's stages */
	char peer_what[EG_PEER_WHY + 48];
	int settle;                      /* the peer's settle before a reboot (heal.c) */
	int64_t guards_ms, settle_end_ms;
	char reason[EG_REASON_MAX];      /* the reboot's, once decided */
};

/* Start watching c->iface (nothing when it is ""): open the monitor,
 * query the link, read the kept failure count and windows.  peer is the
 * daemon's peer watch (started, on or off): the self-heal tells it what
 * to announce and asks it before a reboot.  fo is the uplink failover
 * (started after this, on or off): told the primary's health and the
 * ladder's stages, and asked before a reboot. */
void eg_heal_start(struct eg_healer *w, const struct eg_conf *c, struct eg_peerd *peer,
		   struct eg_failer *fo, int64_t now);
/* Add the fds to poll to pf (room for EG_HEAL_FDS); returns how many.
 * *wake is lowered to when the self-heal must step next. */
int eg_heal_fds(struct eg_healer *w, struct pollfd *pf, int64_t now, int64_t *wake);
/* Handle what poll found on those fds (pf as filled by eg_heal_fds, n of
 * them), and any deadline due.  Returns true once a reboot is decided:
 * w->reason says why, and the cooldown is already on disk. */
bool eg_heal_run(struct eg_healer *w, const struct pollfd *pf, int n, int64_t now);
/* The operator's inhibit: hold any recovery reboot for ms (0 clears). */
int eg_heal_inhibit(struct eg_healer *w, int64_t now, int64_t ms, char *msg, size_t size);
/* Two lines for `earlyguard status`, and the same as JSON members. */
void eg_heal_status(const struct eg_healer *w, int64_t now, bool json, char *out, size_t size);
/* A command (sh -c) run for the daemon in its own session; 0 for "",
 * the pid, or -1 (logged). */
pid_t eg_spawn(const char *what, const char *cmd);

#endif
