/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Uplink failover's decisions as a pure state machine, clock injected:
 * which of an ordered list of uplinks carries the default route, which
 * of them run, and in what order their up and down commands are run.
 * daemon.c performs what these functions decide (commands, the route,
 * the log) and tells them what it sees (health, the ladder, commands
 * that finished).
 *
 * Uplinks, 1 to EG_UPLINKS_MAX, in order of preference: 0 is the
 * primary, a higher index is a lower preference.  Each may have an up
 * and a down command (start, stop a PPPoE or an L2TP session) and may
 * belong to an exclusive set (set 1..255; 0 none): of a set, at most one
 * member runs at a time.  The seed's ISP routes to one session only:
 * PPPoE and the L2TP over LTE are one set.
 *
 * The rules:
 *
 *  1. One uplink is ACTIVE: it carries the default route.  The machine
 *     begins on `start` (0, or the one a restarted daemon kept).  The
 *     first step runs the switch of rule 6 to it, with no log event.
 *
 *  2. Health.  The daemon reports each uplink's health (EG_FE_HEALTHY,
 *     EG_FE_UNHEALTHY) whenever it changes, running or not: from its
 *     interface and probes while it runs; while it is stopped, from what
 *     runs without it (the DSL modem's Ethernet carrier and a PPPoE
 *     discovery, the LTE modem's wwan).  A stopped uplink is not
 *     unhealthy merely because it is stopped.  Health is a level: a
 *     repeated report changes nothing.  Before the first report it is
 *     unknown.
 *
 *  3. The active uplink FAILS when, while it is not healthy:
 *     - the ladder reports stage N done without healing on it
 *       (EG_FE_STAGE, N >= failover_stage: a skipped stage counts, and
 *       the daemon reports a whole run that healed nothing as stage 3);
 *       a report for another uplink, or while the machine switches, or
 *       while the active uplink is healthy (the health report is the
 *       newer), is ignored; or
 *     - it has not been healthy for failover_ms, counted from when it
 *       stopped being healthy or became active, whichever is later (the
 *       backstop: an uplink the ladder does not watch, a report lost).
 *       A new active uplink thus has failover_ms to come up.
 *     A healthy report of the active uplink ends the failure.
 *
 *  4. A failed active uplink a is left for the first of:
 *     - the first uplink below it (a+1, a+2, ...) not known unhealthy;
 *     - the most preferred uplink above it that is healthy now, even for
 *       less than failback_after: a dead active uplink is worse than a
 *       young one (rule 5 guards leaving one that works);
 *     EG_FA_FAILED_OVER(from a, to j, stage: the report, 0 the backstop).
 *     No such uplink: EG_FA_NO_BACKUP_HEALTHY(a), once per failure; the
 *     machine stays on a and chooses again at every step until a heals.
 *
 *  5. Fail-back (anti-flap).  While uplink a is active, whether or not
 *     it works, the most preferred uplink j above it (j < a) that has
 *     been healthy without a break for its hold becomes active:
 *     EG_FA_FAILED_BACK(from a, to j, ms: healthy for).  The hold is
 *     failback_ms << shift: any unhealthy report restarts it, so a
 *     flapping primary never fails back.  A move up that does not hold
 *     (the uplink fails before it carried the route, healthy, for
 *     failback_ms) doubles that uplink's next hold, up to
 *     2^EG_FO_BACKOFF_MAX times: a PPPoE that its discovery calls
 *     healthy but whose session fails would otherwise cycle every
 *     failback_after.  One that holds resets it.  When an uplink above
 *     the active one turns healthy: EG_FA_WAITING_FAILBACK(j, ms: time
 *     left), once per healthy spell (and again after a switch).
 *     Rule 5 is tried before rule 4 at every step.
 *
 *  6. A switch to j, from rule 1, 4 or 5, in this order:
 *     a. DOWN(i) for every i != j that has a down command, may be running
 *        (its up was run, or it is unknown since the start) and is below
 *        j or in j's set.  So the uplinks below the active one are
 *        stopped (a backup is stopped on fail-back); those above it keep
 *        running, and are probed, unless they share its set.  The DOWNs
 *        run together; the machine waits for each one's EG_FE_DONE, at
 *        most cmd_ms: then EG_FA_CMD_TIMEOUT(i), the daemon kills the
 *        command, and i counts as stopped (a machine that waited longer
 *        would never recover).
 *     b. UP(j), when it has an up command (run even if it may be running:
 *        commands must be idempotent, as s6-rc -u or systemctl start
 *        are); EG_FE_DONE(j) awaited, at most cmd_ms (then
 *        EG_FA_CMD_TIMEOUT(j)).
 *     c. ROUTE(j): the default route belongs to j from now on (a level:
 *        the daemon installs it when j's interface appears).
 *     So, of a set, an UP is always preceded by the completed DOWNs of
 *     every other member that may run: never two members at once, in
 *     any order of events.  At most one command per uplink runs at a
 *     time.  During a switch, health reports are kept and EG_FE_STAGE
 *     is ignored; the decisions wait until it ends, at most 2 * cmd_ms.
 *
 *  7. eg_failover_carrying: a backup (not the primary) is active, the
 *     switch to it done, and it is healthy: the ladder's reboot guard
 *     EG_HV_FAILOVER.
 *
 * With fewer than two uplinks, or a configuration eg_failover_check
 * refuses, the machine is OFF: it does nothing and carries nothing.
 *
 * Every step answers an ordered list of actions, performed in order, and
 * when to step again at the latest (wake_ms; now: at once, INT64_MAX:
 * only on an event).  Every wait has a deadline but the one for a
 * failed active uplink's replacement, which waits on health reports.
 */
#ifndef EG_FAILOVER_LOGIC_H
#define EG_FAILOVER_LOGIC_H

#include "eg.h"

#define EG_UPLINKS_MAX 4
#define EG_FO_ACTS_MAX 16      /* actions of one step, at most */
#define EG_FO_BACKOFF_MAX 3    /* a hold grows to failback_ms << 3 at most */
#define EG_FO_MS_MAX ((int64_t)366 * 24 * 3600 * 1000) /* any duration, at most */

struct eg_fo_uplink {
	bool has_up, has_down;
	uint8_t set;            /* exclusive set, 0: none */
};

struct eg_failover_conf {
	int n;                  /* uplinks, index 0 the primary */
	struct eg_fo_uplink u[EG_UPLINKS_MAX];
	int failover_stage;     /* 1..3 (rule 3) */
	int64_t failback_ms;    /* the fail-back hold (rule 5), > 0 */
	int64_t failover_ms;    /* the backstop (rule 3), > 0 */
	int64_t cmd_ms;         /* a command's acknowledgement, at most (rule 6), > 0 */
};

enum eg_fhealth { EG_FH_UNKNOWN, EG_FH_HEALTHY, EG_FH_UNHEALTHY };

/* What the machine knows of an uplink with commands (one without any is
 * never started or stopped: EG_FR_UP). */
enum eg_frun {
	EG_FR_UNKNOWN,   /* since the start: it may run */
	EG_FR_DOWN,      /* its down finished (or timed out) */
	EG_FR_STARTING,  /* up run, not finished */
	EG_FR_UP,        /* up finished (or timed out): it runs */
	EG_FR_STOPPING,  /* down run, not finished */
};

enum eg_fstate {
	EG_FS_OFF,
	EG_FS_START,     /* the first step runs the switch to `start` */
	EG_FS_STOPPING,  /* switch to target: DOWNs awaited by deadline_ms */
	EG_FS_STARTING,  /* switch to target: its UP awaited by deadline_ms */
	EG_FS_ACTIVE,    /* active carries the route */
};

enum eg_fevent {
	EG_FE_TICK,
	EG_FE_HEALTHY,   /* uplink is usable (rule 2) */
	EG_FE_UNHEALTHY,
	EG_FE_STAGE,     /* the ladder's stage `stage` ended on uplink without healing */
	EG_FE_DONE,      /* uplink's command (its last UP or DOWN) finished, however */
};

enum eg_fact {
	EG_FA_DOWN,             /* run uplink's down command */
	EG_FA_UP,               /* run uplink's up command */
	EG_FA_ROUTE,            /* the default route goes to uplink */
	EG_FA_FAILED_OVER,      /* from `from` (failed: stage, 0 the backstop) to uplink */
	EG_FA_FAILED_BACK,      /* from `from` to uplink, healthy for ms */
	EG_FA_WAITING_FAILBACK, /* uplink is healthy; fail-back in ms unless it breaks */
	EG_FA_NO_BACKUP_HEALTHY, /* uplink (active) failed and nothing can replace it */
	EG_FA_CMD_TIMEOUT,      /* uplink's command did not finish in cmd_ms: kill it */
};

struct eg_faction {
	enum eg_fact act;
	int uplink;
	int from;               /* FAILED_OVER, FAILED_BACK */
	int stage;              /* FAILED_OVER */
	int64_t ms;             /* FAILED_BACK, WAITING_FAILBACK */
};

struct eg_fstep {
	int n;
	struct eg_faction a[EG_FO_ACTS_MAX];
	int64_t wake_ms;        /* step again at the latest then */
};

struct eg_fuplink {
	enum eg_fhealth health;
	int64_t since_ms;       /* healthy, or not, since (the start before a change) */
	enum eg_frun run;
	uint8_t shift;          /* the hold is failback_ms << shift */
	bool probation;         /* reached by a move up, has not held yet */
	bool told;              /* WAITING_FAILBACK said for this healthy spell */
};

struct eg_failover {
	struct eg_failover_conf c;
	enum eg_fstate state;
	int start;
	int active;             /* carries the route; -1 before the first switch ends */
	int target;             /* STOPPING, STARTING: the switch's */
	int64_t active_ms;      /* when active got the route */
	int64_t deadline_ms;    /* STOPPING, STARTING */
	bool failed;            /* active failed (rule 3) */
	int fail_stage;         /* the stage that failed it, 0 the backstop */
	bool told_none;         /* NO_BACKUP_HEALTHY said for this failure */
	struct eg_fuplink u[EG_UPLINKS_MAX];
};

/* Why c cannot run (an uplink in a set without both commands: the
 * machine could not keep the set exclusive; a down without an up; a
 * stage or a duration out of range), or NULL. */
const char *eg_failover_check(const struct eg_failover_conf *c);

/* Begin with health[0..c->n) as the daemon sees it now (NULL: all
 * unknown) on uplink start (out of range: 0).  Step at once after. */
void eg_failover_init(struct eg_failover *f, const struct eg_failover_conf *c,
		      const enum eg_fhealth *health, int start, int64_t now);

/* ev about uplink (HEALTHY, UNHEALTHY, STAGE, DONE; out of range:
 * ignored) and stage (STAGE).  TICK at wake_ms at the latest. */
struct eg_fstep eg_failover_step(struct eg_failover *f, int64_t now, enum eg_fevent ev,
				 int uplink, int stage);

/* Rule 7. */
bool eg_failover_carrying(const struct eg_failover *f);

const char *eg_fstate_text(enum eg_fstate s);
const char *eg_fact_text(enum eg_fact a);

#endif
