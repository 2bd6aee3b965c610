/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Effects shared by the roles: mounts, panic policy, rebooting. */
#ifndef EG_SYS_H
#define EG_SYS_H

#include "eg.h"
#include "conf.h"

/* Mount /proc, /sys, /dev (devtmpfs) and /run (tmpfs) where nothing is
 * mounted yet.  Returns the number of failures; each is described in
 * why[] (kinit style: the caller prints). */
struct eg_mount_err {
	const char *what;
	int err;
};
int eg_mount_basics(struct eg_mount_err errs[4]);
/* Is dir a mount point: on another device than its parent, or the root? */
bool eg_mount_point(const char *dir);

/* Turn "wait forever" kernel panic policy into reboots (panic, oops,
 * soft lockups), unless the command line chose otherwise. */
void eg_panic_policy(const struct eg_conf *c, const char *cmdline);

/* Load configuration: file then command line.  Problems are logged when
 * log is true.  Returns the number of problems. */
int eg_load_conf(struct eg_conf *c, const char *conf_path, const char *cmdline_path,
		 char *cmdline, size_t cmdline_size, bool log);

/* Reboot now: log why, sync and reboot from a child so a hung sync cannot
 * stop us; never returns.  When the guard calls it, petting has stopped, so
 * a hung reboot ends in a hardware reset within one timeout.  When rescue
 * calls it the guard still pets until its own deadline, which then bounds
 * a hung reboot the same way. */
void eg_reboot(const char *reason) __attribute__((noreturn));

/* Guard state shared with rescue and status, in /run/earlyguard/
 * (EARLYGUARD_RUN overrides the directory: a test seam). */
#define EG_RUN_DIR "/run/earlyguard"
const char *eg_run_path(const char *name); /* NULL name: the directory */

/* Find "key=" in a state file image; copies the value. */
bool eg_state_get(const char *state, const char *key, char *out, size_t size);

#endif
