/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network self-heal's decisions as a pure state machine, clock and
 * health injected: the recovery ladder on one watched uplink, the count of
 * failed ladder runs, and the order of the reboot guards.  daemon.c
 * performs what these functions decide (netlink, commands, probes, reboot).
 *
 * The ladder, started when the uplink turns unhealthy and stays so for
 * heal_grace (a flap shorter than that is only logged):
 *   stage 1  bounce: link down, EG_HEAL_BOUNCE_MS, link up;
 *   stage 2  re-apply the network configuration (network_reapply);
 *   stage 3  restart the network daemon (network_restart).
 * Each stage is followed by a wait of at most recheck_sleep for the
 * healthy event; the first stage that heals ends the run.  A stage with no
 * command configured is skipped.  A run that heals nothing counts one
 * failure; before max_fails failures the next run starts heal_interval
 * later (the seed script's cron period).  At max_fails, a reboot is
 * considered: the daemon evaluates the guards and answers with the first
 * veto (eg_heal_veto), and the run either reboots or waits heal_interval
 * and runs again.  Any healthy event ends it all and clears the count.
 */
#ifndef EG_HEAL_LOGIC_H
#define EG_HEAL_LOGIC_H

#include "eg.h"

#define EG_HEAL_BOUNCE_MS 3000  /* link down this long, as the seed's `sleep 3` */
#define EG_HEAL_GUARDS_MS 10000 /* the guards (ping probes) must answer within this */
#define EG_HEAL_STAGES 3

enum eg_hstate {
	EG_HS_OFF,      /* no uplink watched */
	EG_HS_HEALTHY,
	EG_HS_GRACE,    /* unhealthy; the ladder starts at deadline_ms */
	EG_HS_BOUNCE,   /* stage 1: the link is down, up at deadline_ms */
	EG_HS_STAGE,    /* stage `stage` ran; healthy expected by deadline_ms */
	EG_HS_WAIT_RUN, /* a run failed or a reboot was vetoed; next run at deadline_ms */
	EG_HS_GUARDS,   /* a reboot is considered; the guards answer by deadline_ms */
	EG_HS_REBOOT,   /* the reboot was decided: nothing more to do */
};

enum eg_hevent {
	EG_HE_TICK,
	EG_HE_HEALTHY,   /* the uplink is usable again (or still) */
	EG_HE_UNHEALTHY, /* carrier or address lost */
	EG_HE_GUARDS,    /* the guards' answer, in veto */
};

enum eg_hveto {
	EG_HV_NONE,     /* nothing holds the reboot */
	EG_HV_NO_IFACE, /* the uplink has not existed since the daemon started */
	EG_HV_INHIBIT,  /* earlyguard inhibit --for */
	EG_HV_COOLDOWN, /* a recovery reboot within reboot_cooldown */
	EG_HV_USB,      /* a mass-storage LUN presents a file */
	EG_HV_PEER,     /* the peer is recovering or rebooting */
	EG_HV_FAILOVER, /* another uplink carries the traffic */
	EG_HV_PING,     /* a ping-veto target answers */
	EG_HV_UNKNOWN,  /* the guards did not answer in time: hold */
};

enum eg_hact {
	EG_HA_NONE,
	EG_HA_LINK_DOWN,  /* stage 1 begins (run `run`) */
	EG_HA_LINK_UP,    /* the bounce's second half */
	EG_HA_REAPPLY,    /* stage 2: run network_reapply */
	EG_HA_RESTART,    /* stage 3: run network_restart */
	EG_HA_HEALED,     /* healthy again: after `stage` (0: on its own), `elapsed_ms` after detection */
	EG_HA_RUN_FAILED, /* run `run` of max_fails healed nothing; next at wake */
	EG_HA_GUARDS,     /* evaluate the guards, answer with EG_HE_GUARDS */
	EG_HA_VETOED,     /* a guard held the reboot (veto); next run at wake */
	EG_HA_REBOOT,     /* reboot now, orderly */
};

struct eg_heal_conf {
	int64_t grace_ms, recheck_ms, interval_ms;
	uint32_t max_fails;
	bool has_reapply, has_restart;
};

struct eg_heal {
	struct eg_heal_conf c;
	enum eg_hstate state;
	int stage;             /* the stage that ran last in this run, 1..3 */
	uint32_t fails;        /* failed runs since the uplink was last healthy */
	int64_t unhealthy_ms;  /* when the uplink was found unhealthy */
	int64_t deadline_ms;
};

struct eg_haction {
	enum eg_hact act;
	int stage;              /* LINK_DOWN/REAPPLY/RESTART/HEALED: which stage */
	uint32_t run;           /* the run (1..) this belongs to */
	int64_t elapsed_ms;     /* HEALED: from detection */
	enum eg_hveto veto;     /* VETOED */
	int64_t wake_ms;        /* step again at the latest then */
};

/* Start watching (healthy says how the uplink is now; fails is the count
 * kept from before, e.g. by a restarted daemon).  off: nothing watched. */
void eg_heal_init(struct eg_heal *h, const struct eg_heal_conf *c, bool off, bool healthy,
		  uint32_t fails, int64_t now);
struct eg_haction eg_heal_step(struct eg_heal *h, int64_t now, enum eg_hevent ev,
			       enum eg_hveto veto);

/* The guards, as the daemon found them, and the veto that wins: the
 * cheapest and surest first (an uplink that never existed: a misspelt
 * iface= is no reason to reboot; the operator, the cooldown, the USB
 * gadget, the peer, another uplink), the ping probe last, so it is only
 * sent when nothing else holds the reboot. */
struct eg_hguards {
	bool never_seen;
	int64_t inhibit_left_ms, cooldown_left_ms;
	bool usb_active, peer_holds, failover_active;
	int ping;               /* 1 a target answered, 0 none did, -1 not probed */
};
enum eg_hveto eg_heal_veto(const struct eg_hguards *g);
/* Whether the ping probe is needed: nothing else vetoes and it is configured. */
bool eg_heal_need_ping(const struct eg_hguards *g, bool ping_configured);
/* Whether the peer's settle is (still) needed before the reboot: a peer
 * is watched and nothing vetoes, the ping's answer included once it has
 * one (peer.h, THE TIE-BREAK; heal.c runs it). */
bool eg_heal_need_settle(const struct eg_hguards *g, bool peer_watched);

const char *eg_hveto_text(enum eg_hveto v);
const char *eg_hstage_text(int stage); /* "on its own", "bounce", "re-apply", "restart" */

/* A window that survives reboots on a machine without a real-time clock:
 * the file holds what is LEFT of it, in milliseconds; the daemon counts it
 * down with CLOCK_BOOTTIME and rewrites it.  Time powered off does not
 * count, so the window is never shorter than asked.  "left_ms N\n".
 * Parse: 0 and *left_ms, or -1 for anything malformed (the caller then
 * holds the whole window: never shorter). */
int eg_window_parse(const char *text, int64_t *left_ms);
void eg_window_format(char *buf, size_t size, int64_t left_ms);

/* THE HEALTH PROBE (health_probe1/2, optional): healthy then needs, on
 * top of the link's carrier and address, an endpoint that answers through
 * the watched uplink.  A round probes the targets at once and is answered
 * when one of them answers within timeout_ms.  The verdict:
 *  - on a healthy link at the start, the probe is trusted until `misses`
 *    rounds in a row go unanswered (a daemon started on a working uplink
 *    does not call it unhealthy before it has asked);
 *  - once the link itself is unhealthy (carrier or address lost, our own
 *    bounce included), no round runs and the verdict is "not answering"
 *    until a round is answered after the link is back: a bounce that
 *    brings the carrier back but not the route (it drops it) does not
 *    heal the run;
 *  - an answered round makes it answering, and the next round comes
 *    interval_ms later; after an unanswered one the next goes at once,
 *    but not sooner than EG_HPROBE_RETRY_MS (at most interval_ms) after
 *    the last one began: a lost probe is asked again soon, and an
 *    endpoint that answers again is seen within about timeout_ms. */
#define EG_HPROBE_RETRY_MS 1000

struct eg_hprobe_conf {
	int64_t interval_ms, timeout_ms;
	uint32_t misses;         /* unanswered rounds in a row: not answering */
};

struct eg_hprobe {
	struct eg_hprobe_conf c;
	bool ok;                 /* the verdict: answering */
	bool inflight;           /* a round is out; due_ms is its deadline */
	uint32_t missed;         /* unanswered rounds in a row (at most c.misses) */
	int64_t due_ms;          /* the next round, or the deadline of the one out */
};

enum eg_hpact {
	EG_HP_NONE,
	EG_HP_START,  /* send a round now (its deadline is due_ms) */
	EG_HP_CANCEL, /* close the round out: it is over unanswered, or the link is down */
};

void eg_hprobe_init(struct eg_hprobe *p, const struct eg_hprobe_conf *c, bool link_ok,
		    int64_t now);
/* link_ok: the link's own health now; result: 1 the round out was
 * answered, 0 it settled unanswered (every target failed), -1 no news (a
 * tick: the deadline is checked).  What to do; p->ok is the verdict. */
enum eg_hpact eg_hprobe_step(struct eg_hprobe *p, int64_t now, bool link_ok, int result);
/* When to step again without news: INT64_MAX while the link is down. */
int64_t eg_hprobe_wake(const struct eg_hprobe *p, bool link_ok);

#endif
