/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "handoff.h"
#include "ctl.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool eg_handoff_serve(int conn, int wdt_fd, const char *state, int step_ms, long *who)
{
	static const char req[] = "HANDOFF 1";
	char buf[64], reply[EG_HANDOFF_STATE_MAX + 4];
	long n, uid = -1, pid = -1;

	*who = -1;
	if (eg_peer_cred(conn, &uid, &pid) != 0 || uid != 0) {
		eg_log(EG_WARN, "guard: refused a handoff request from uid %ld: only root may take "
		       "the watchdog", uid);
		return false;
	}
	*who = pid;
	n = eg_recv_msg(conn, buf, sizeof buf, step_ms, NULL);
	if (n != (long)(sizeof req - 1) || memcmp(buf, req, sizeof req - 1) != 0) {
		eg_log(EG_WARN, "guard: malformed handoff request from pid %ld; ignored", pid);
		return false;
	}
	snprintf(reply, sizeof reply, "OK\n%s", state);
	if (eg_send_msg(conn, reply, strlen(reply), wdt_fd) != 0) {
		eg_log_sys(EG_WARN, "send", "the watchdog to the daemon", errno);
		return false;
	}
	n = eg_recv_msg(conn, buf, sizeof buf, step_ms, NULL);
	if (n != 5 || memcmp(buf, "TAKEN", 5) != 0) {
		eg_log(EG_WARN, "guard: pid %ld did not confirm the handoff; still guarding", pid);
		return false;
	}
	return true;
}

int eg_handoff_take(int *wdt_fd, char *state, size_t size)
{
	static const char req[] = "HANDOFF 1";
	char buf[EG_HANDOFF_STATE_MAX + 4];
	long n;
	int conn = eg_sock_connect(eg_run_path("guard.sock"), EG_HANDOFF_TIMEOUT_MS), err;

	*wdt_fd = -1;
	if (conn < 0)
		return conn;
	err = eg_send_msg(conn, req, sizeof req - 1, -1);
	if (err == 0) {
		n = eg_recv_msg(conn, buf, sizeof buf - 1, EG_HANDOFF_TIMEOUT_MS, wdt_fd);
		if (n < 3 || (size_t)n > sizeof buf - 1 || memcmp(buf, "OK\n", 3) != 0) {
			err = n < 0 ? (int)n : -EPROTO;
		} else {
			buf[n] = '\0';
			eg_copy(state, size, buf + 3);
			/* we hold the watchdog now: tell the guard it may go */
			err = eg_send_msg(conn, "TAKEN", 5, -1);
		}
	}
	close(conn);
	if (err && *wdt_fd >= 0) {
		/* Never close a watchdog we may be the last holder of. */
		eg_log(EG_ERR, "daemon: the handoff failed after the watchdog arrived; keeping it");
		err = 0;
	}
	return err;
}
