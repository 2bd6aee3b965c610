/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Uplink failover inside `earlyguard daemon`: it performs what
 * failover_logic.c decides, for two uplinks, the primary (iface=, watched
 * by the self-heal's ladder) and the backup (uplink2=).
 *
 *  - Health.  The primary's comes from the self-heal (heal.c calls
 *    eg_failover_health when it changes); the backup's from a monitor
 *    socket of its own, read as heal.c reads its own: eg_uplink_monitor_read
 *    scans for one interface, and a second socket leaves heal.c's read
 *    alone for the price of a second copy of the same datagrams.
 *  - The ladder.  heal.c reports its stages (eg_failover_stage) and asks
 *    eg_failer_carrying before a reboot (the guard EG_HV_FAILOVER).
 *  - Commands: uplinkN_up and uplinkN_down run with eg_spawn, in a session
 *    of their own; the daemon's reaper hands their exit to
 *    eg_failover_reaped (EG_FE_DONE).  One that outlives
 *    uplink_cmd_timeout has its process group killed.
 *  - The route: ROUTE(i) replaces the main table's default route (metric
 *    0) with one through i's interface, via uplinkN_gateway or on-link,
 *    and installs it again whenever that interface appears, is set up or
 *    gets an address (a bounce or a new PPP interface loses it).  The very
 *    first switch, to the primary at the start, leaves the route alone:
 *    the system's own configuration set it, and nothing has moved it.
 *  - The active uplink is kept in state_dir/failover-active (written
 *    atomically at every switch): a daemon restarted while the backup
 *    carries begins on it, and fails back when the primary has held.
 */
#ifndef EG_FAILOVER_H
#define EG_FAILOVER_H

#include "conf.h"
#include "failover_logic.h"
#include "uplink.h"

#include <poll.h>
#include <sys/types.h>

#define EG_FAILOVER_FDS 1 /* the backup's monitor */

struct eg_failer {
	const struct eg_conf *c;
	bool on;
	struct eg_failover f;
	const char *name[2];              /* the interfaces: iface, uplink2 */
	uint32_t gw[2];                   /* the default route's next hop, 0: on-link */
	const struct eg_link_health *plink; /* the primary's, as heal.c keeps it */
	struct eg_link_health blink;      /* the backup's */
	int mon_fd;
	bool healthy[2];                  /* as last reported to the logic */
	pid_t pid[2];                     /* each uplink's command, while it runs */
	bool cmd_up[2];                   /* that command is the up one */
	int route;                        /* the uplink the default route belongs to, -1 none yet */
	int route_key;                    /* the interface's state it was installed for, 0 none */
	int from, stage;                  /* the last FAILED_OVER or FAILED_BACK, for the log */
	bool back;
	int64_t ms;
	int64_t wake_ms;
};

/* Read the failover keys of c into fc (pure).  NULL with fc set, or why
 * failover cannot run (eg_failover_check's reason); "" when it is off (no
 * uplink2= or no iface=). */
const char *eg_failover_conf_of(const struct eg_conf *c, struct eg_failover_conf *fc);

/* Start (or leave off) the failover: primary is the self-heal's view of
 * iface (kept up to date there), primary_healthy what it says now. */
void eg_failover_start(struct eg_failer *fo, const struct eg_conf *c,
		       const struct eg_link_health *primary, bool primary_healthy, int64_t now);
/* Add the fds to poll (room for EG_FAILOVER_FDS), lower *wake; how many. */
int eg_failover_fds(struct eg_failer *fo, struct pollfd *pf, int64_t now, int64_t *wake);
/* What poll found, deadlines due, the route to reinstall. */
void eg_failover_run(struct eg_failer *fo, const struct pollfd *pf, int n, int64_t now);
/* Uplink i's health changed (heal.c: the primary). */
void eg_failover_health(struct eg_failer *fo, int i, bool healthy, int64_t now);
/* The ladder's stage ended without healing the primary (heal.c). */
void eg_failover_stage(struct eg_failer *fo, int stage, int64_t now);
/* The reaper found pid ended with wait status st: true when it was an up
 * or down command (then logged here). */
bool eg_failover_reaped(struct eg_failer *fo, pid_t pid, int st, int64_t now);
/* Rule 7: the backup carries the traffic. */
bool eg_failer_carrying(const struct eg_failer *fo);
/* One line for `earlyguard status`, or JSON members. */
void eg_failover_status(const struct eg_failer *fo, int64_t now, bool json, char *out, size_t size);

#endif
