/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handing the open watchdog from the initramfs guard to the rootfs daemon,
 * with no gap: the guard passes its open file (SCM_RIGHTS) with its state,
 * the daemon answers TAKEN, and only then does the guard stop petting and
 * exit.  The file is never closed in between, so the hardware never sees a
 * release ("watchdog did not stop!") and never stops being petted for
 * longer than the two sides' pet intervals.
 *
 *   daemon -> guard   "HANDOFF 1"
 *   guard  -> daemon  "OK\n" + state (key=value lines), watchdog fd attached
 *   daemon -> guard   "TAKEN"
 */
#ifndef EG_HANDOFF_H
#define EG_HANDOFF_H

#include "eg.h"

#define EG_HANDOFF_STATE_MAX 2048
#define EG_HANDOFF_TIMEOUT_MS 2000 /* each step, on the daemon's side */

/* Guard: serve a handoff on an accepted connection, waiting at most step_ms
 * for each message (the guard does not pet meanwhile).  True when the
 * daemon has taken the watchdog (the caller then exits); *who gets its pid. */
bool eg_handoff_serve(int conn, int wdt_fd, const char *state, int step_ms, long *who);
/* Daemon: take the watchdog from the guard.  0: *wdt_fd (-1 when the guard
 * had no watchdog) and state filled; -ENOENT or -ECONNREFUSED: no guard. */
int eg_handoff_take(int *wdt_fd, char *state, size_t size);

#endif
