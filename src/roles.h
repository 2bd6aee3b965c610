/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The roles of the one binary; main.c maps their results to exit codes. */
#ifndef EG_ROLES_H
#define EG_ROLES_H

#include "fetch_logic.h"
#include "bootsel.h"
#include "conf.h"
#include "wdt.h"

struct eg_opts {
	const char *conf_path;    /* -c, default /etc/earlyguard.conf */
	const char *cmdline_path; /* --cmdline, default /proc/cmdline */
	char *argv0;              /* the program's argv[0], for the guard */
};

int eg_cmd_init(const struct eg_opts *o, int argc, char **argv);
int eg_cmd_rescue(const struct eg_opts *o, const char *reason, bool shell);
int eg_cmd_daemon(const struct eg_opts *o, int notify_fd);
int eg_cmd_net_up(const struct eg_opts *o); /* netcmd.c */
/* fetch.c: the known-good bundle into the trial slot, selected; then a
 * reboot unless reboot is false (the exit code is returned then).  when:
 * always, or only if eg_fetch_skip (fetch_logic.h) finds no reason not
 * to (exit 0 without a fetch then). */
int eg_cmd_fetch(const struct eg_opts *o, bool reboot, enum eg_fetch_when when);

/* What the guard is handed by init. */
struct eg_guard_args {
	struct eg_conf conf;
	struct eg_wdt wdt; /* fd < 0 without a watchdog */
	int64_t started_ms;
	char *argv0;       /* rewritten to start with '@' */
	int ready_fd;      /* one byte written once the guard runs */
	char wdt_note[EG_MSG_MAX]; /* why there is no watchdog, for status */
};
void eg_guard_run(struct eg_guard_args *a) __attribute__((noreturn));

/* Bounded module loading: load each module of a comma-separated list in a
 * child, waiting at most bound_ms in all.  Returns the number of failures. */
int eg_load_modules(const char *list, const char *cmdline, int64_t bound_ms);

/* GRUB boot selection (grubcmd.c).  The operator's commands, root only,
 * not through the daemon: */
int eg_cmd_trial(const struct eg_opts *o, int entry);
int eg_cmd_promote(const struct eg_opts *o);
/* Take the grubenv lock for verb (eg_grubenv_lock, waiting up to
 * EG_GRUBENV_LOCK_WAIT_MS): its fd, or -1 with the reason logged. */
int eg_grub_lock(const char *verb, const char *path);
/* The grubenv side of disarm: 0 nothing to do (no earlyguard.entry=), 1
 * marked good, -1 failed (logged); msg says which. */
int eg_grub_confirm(const struct eg_conf *c, const char *cmdline, char *msg, size_t size);
/* For status: this boot, and the grubenv as GRUB reads it. */
struct eg_grubstat {
	struct eg_boot b;
	const char *bad;        /* why earlyguard.entry= or .attempt= was ignored */
	struct eg_grubsel s;    /* GRUB's defaults when the grubenv is unreadable */
	char err[EG_MSG_MAX];   /* why it is unreadable; "" when it was read */
};
void eg_grub_state(const struct eg_conf *c, const char *cmdline, struct eg_grubstat *g);

#endif
