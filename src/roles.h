/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The roles of the one binary; main.c maps their results to exit codes. */
#ifndef EG_ROLES_H
#define EG_ROLES_H

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

#endif
