/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "failover.h"
#include "heal.h"
#include "netlink.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Why the failover is off, for the status line. */
static char off_why[EG_MSG_MAX];

const char *eg_failover_conf_of(const struct eg_conf *c, struct eg_failover_conf *fc)
{
	uint8_t set = c->uplink_set ? 1 : 0;

	memset(fc, 0, sizeof *fc);
	if (c->iface[0] == '\0' || c->uplink2[0] == '\0')
		return "";
	fc->n = 2;
	fc->u[0] = (struct eg_fo_uplink){c->uplink1_up[0] != '\0', c->uplink1_down[0] != '\0', set};
	fc->u[1] = (struct eg_fo_uplink){c->uplink2_up[0] != '\0', c->uplink2_down[0] != '\0', set};
	fc->failover_stage = (int)c->failover_stage;
	fc->failback_ms = (int64_t)c->failback_after_s * 1000;
	fc->cmd_ms = (int64_t)c->uplink_cmd_timeout_s * 1000;
	/* The backstop (failover_logic.h rule 3) comes one recheck_sleep
	 * after the ladder's stage 3 would have reported: it catches a
	 * backup that dies (the ladder watches the primary only) and a
	 * report that never came. */
	fc->failover_ms = (int64_t)c->heal_grace_s * 1000 + EG_HEAL_BOUNCE_MS +
			  (int64_t)(EG_HEAL_STAGES + 1) * c->recheck_sleep_s * 1000;
	if (strcmp(c->iface, c->uplink2) == 0)
		return "uplink2 is iface itself";
	return eg_failover_check(fc);
}

static const struct eg_link_health *link_of(const struct eg_failer *fo, int i)
{
	return i == 0 ? fo->plink : &fo->blink;
}

static void secs(char *buf, size_t size, int64_t ms)
{
	snprintf(buf, size, "%llds", (long long)((ms + 999) / 1000));
}

/* ---- the route ---- */

static void route_install(struct eg_failer *fo, int i, int index)
{
	struct eg_nl_answer a;
	char gw[EG_IP4_STR] = "";
	int fd = eg_nl_open(0), err;

	if (fo->gw[i])
		eg_ip4_format(fo->gw[i], gw);
	err = fd < 0 ? fd : eg_nl_route_default(fd, index, fo->gw[i], &a);
	if (fd >= 0)
		close(fd);
	if (err) {
		eg_log(EG_ERR, "failover: unable to set the default route %s%s dev %s: %s%s%s%s "
		       "(tried again when %s changes)", gw[0] ? "via " : "", gw, fo->name[i],
		       strerror(-err), fd >= 0 && a.ext[0] ? " (" : "", fd >= 0 ? a.ext : "",
		       fd >= 0 && a.ext[0] ? ")" : "", fo->name[i]);
		return;
	}
	eg_log(EG_NOTICE, "failover: default route %s%s%sdev %s", gw[0] ? "via " : "", gw,
	       gw[0] ? " " : "", fo->name[i]);
}

/* The route is a level: installed whenever the interface it belongs to
 * exists and is up in a state it was not installed for (a new index
 * after the interface came back, up again after a bounce, which flushed
 * its routes, an address that lets the gateway be reached). */
static void route_check(struct eg_failer *fo)
{
	const struct eg_link_health *h;
	int key;

	if (fo->route < 0 || fo->route_key < 0)
		return;
	h = link_of(fo, fo->route);
	if (!h->exists || !h->up || h->index <= 0) {
		fo->route_key = 0;
		return;
	}
	key = (h->index & 0xfffffff) * 2 + 2 + (h->ipv4 ? 1 : 0);
	if (key == fo->route_key)
		return;
	fo->route_key = key;
	route_install(fo, fo->route, h->index);
}

static void active_save(const struct eg_failer *fo, int i)
{
	char path[EG_PATH_MAX + 32], text[EG_IFNAME_MAX + 2];
	int err;

	eg_fmt(path, sizeof path, "%s/failover-active", fo->c->state_dir);
	snprintf(text, sizeof text, "%s\n", fo->name[i]);
	if (mkdir(fo->c->state_dir, 0700) != 0 && errno != EEXIST)
		eg_log_sys(EG_WARN, "create", fo->c->state_dir, errno);
	err = eg_write_atomic(path, text, strlen(text), 0600);
	if (err)
		eg_log_sys(EG_WARN, "write", path, -err);
}

/* The uplink the last daemon left active: 0 without a readable name. */
static int active_load(const struct eg_failer *fo)
{
	char path[EG_PATH_MAX + 32], text[EG_IFNAME_MAX + 2];
	long n;

	eg_fmt(path, sizeof path, "%s/failover-active", fo->c->state_dir);
	n = eg_read_file(path, text, sizeof text, NULL);
	if (n <= 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	return strcmp(text, fo->name[1]) == 0 ? 1 : 0;
}

/* ---- commands ---- */

static const char *cmd_of(const struct eg_failer *fo, int i, bool up)
{
	const struct eg_conf *c = fo->c;

	if (i == 0)
		return up ? c->uplink1_up : c->uplink1_down;
	return up ? c->uplink2_up : c->uplink2_down;
}

/* Run uplink i's command; false when it could not start (its DONE is
 * then due at once). */
static bool cmd_run(struct eg_failer *fo, int i, bool up)
{
	const char *cmd = cmd_of(fo, i, up);
	char what[EG_IFNAME_MAX + 32];

	/* rule 6: at most one command per uplink; a stale one is not left
	 * running beside the next */
	if (fo->pid[i] > 0 && waitpid(fo->pid[i], NULL, WNOHANG) == 0)
		kill(-fo->pid[i], SIGKILL);
	snprintf(what, sizeof what, "%s %s command", fo->name[i], up ? "up" : "down");
	eg_log(EG_NOTICE, "failover: %s %s: %s", fo->name[i], up ? "up" : "down", cmd);
	fo->pid[i] = eg_spawn(what, cmd);
	fo->cmd_up[i] = up;
	if (fo->pid[i] <= 0) {
		fo->pid[i] = 0;
		return false;
	}
	return true;
}

/* ---- the logic's actions ---- */

/* Perform a; returns the uplink whose DONE is due at once, or -1. */
static int act(struct eg_failer *fo, const struct eg_faction *a)
{
	int i = a->uplink;
	char d[24], e[24];

	switch (a->act) {
	case EG_FA_DOWN:
	case EG_FA_UP:
		return cmd_run(fo, i, a->act == EG_FA_UP) ? -1 : i;
	case EG_FA_ROUTE:
		/* how long it held, to the nearest second (it is a little over
		 * the hold: the step comes at the deadline or just after) */
		secs(d, sizeof d, fo->ms - 499);
		secs(e, sizeof e, fo->f.c.failover_ms);
		if (fo->route < 0 && i == 0) {
			/* the start on the primary: the system's route stands */
			fo->route = 0;
			fo->route_key = -1;
			break;
		}
		if (fo->route < 0)
			eg_log(EG_WARN, "failover: %s carries the default route (it did when the "
			       "daemon stopped)", fo->name[i]);
		else if (fo->back)
			eg_log(EG_NOTICE, "failover: back on %s (healthy for %s)", fo->name[i], d);
		else if (fo->stage)
			eg_log(EG_ERR, "failover: %s failed after stage %d: %s carries the default route",
			       fo->name[fo->from], fo->stage, fo->name[i]);
		else
			eg_log(EG_ERR, "failover: %s failed (unhealthy for %s): %s carries the default "
			       "route", fo->name[fo->from], e, fo->name[i]);
		fo->route = i;
		fo->route_key = 0;
		active_save(fo, i);
		route_check(fo);
		break;
	case EG_FA_FAILED_OVER:
	case EG_FA_FAILED_BACK:
		fo->back = a->act == EG_FA_FAILED_BACK;
		fo->from = a->from;
		fo->stage = a->stage;
		fo->ms = a->ms;
		break;
	case EG_FA_WAITING_FAILBACK:
		secs(d, sizeof d, a->ms);
		eg_log(EG_NOTICE, "failover: %s healthy; failing back in %s unless it breaks",
		       fo->name[i], d);
		break;
	case EG_FA_NO_BACKUP_HEALTHY:
		eg_log(EG_ERR, "failover: %s failed and no other uplink is healthy: it keeps the "
		       "default route", fo->name[i]);
		break;
	case EG_FA_CMD_TIMEOUT:
		eg_fmt_duration(d, sizeof d, fo->c->uplink_cmd_timeout_s);
		eg_log(EG_ERR, "failover: %s %s command (pid %ld) still runs after %s "
		       "(uplink_cmd_timeout): killed", fo->name[i], fo->cmd_up[i] ? "up" : "down",
		       (long)fo->pid[i], d);
		if (fo->pid[i] > 0 && waitpid(fo->pid[i], NULL, WNOHANG) == 0)
			kill(-fo->pid[i], SIGKILL);
		fo->pid[i] = 0;
		break;
	}
	return -1;
}

/* Step the logic with ev, perform, and feed back the DONEs due at once
 * and the deadlines already due. */
static void step(struct eg_failer *fo, int64_t now, enum eg_fevent ev, int i, int stage)
{
	int done[EG_FO_ACTS_MAX * 2], nd = 0;

	for (int round = 0; round < 16; round++) {
		struct eg_fstep s = eg_failover_step(&fo->f, now, ev, i, stage);

		for (int k = 0; k < s.n; k++) {
			int d = act(fo, &s.a[k]);

			if (d >= 0 && nd < (int)(sizeof done / sizeof done[0]))
				done[nd++] = d;
		}
		fo->wake_ms = s.wake_ms;
		if (nd) {
			ev = EG_FE_DONE;
			i = done[--nd];
		} else if (s.wake_ms <= now) {
			ev = EG_FE_TICK;
		} else {
			break;
		}
	}
}

/* ---- health ---- */

static void backup_health(struct eg_failer *fo, int64_t now)
{
	bool h = eg_link_trouble(&fo->blink, fo->c->check_v4) == NULL;
	enum eg_frun run = fo->f.u[1].run;

	/* rule 2: a session's interface (ppp0) that is gone because we
	 * stopped it, or never started it, is not unhealthy for that */
	if (!fo->blink.exists && fo->f.c.u[1].has_up &&
	    (run == EG_FR_DOWN || run == EG_FR_STOPPING || run == EG_FR_UNKNOWN))
		return;
	eg_failover_health(fo, 1, h, now);
}

void eg_failover_health(struct eg_failer *fo, int i, bool healthy, int64_t now)
{
	if (!fo->on || (fo->healthy[i] == healthy && fo->f.u[i].health != EG_FH_UNKNOWN))
		return;
	fo->healthy[i] = healthy;
	step(fo, now, healthy ? EG_FE_HEALTHY : EG_FE_UNHEALTHY, i, 0);
}

void eg_failover_stage(struct eg_failer *fo, int stage, int64_t now)
{
	if (fo->on)
		step(fo, now, EG_FE_STAGE, 0, stage);
}

void eg_failover_start(struct eg_failer *fo, const struct eg_conf *c,
		       const struct eg_link_health *primary, bool primary_healthy, int64_t now)
{
	struct eg_failover_conf fc;
	enum eg_fhealth h[EG_UPLINKS_MAX] = {EG_FH_UNKNOWN};
	const char *why = eg_failover_conf_of(c, &fc);
	char err[EG_MSG_MAX], fb[24];
	int start;

	memset(fo, 0, sizeof *fo);
	fo->c = c;
	fo->mon_fd = -1;
	fo->route = -1;
	fo->plink = primary;
	if (why) {
		if (why[0]) {
			eg_log(EG_ERR, "failover: off: %s", why);
			snprintf(off_why, sizeof off_why, "off: %.200s", why);
		} else {
			snprintf(off_why, sizeof off_why, "off (no %s= in the configuration)",
				 c->iface[0] ? "uplink2" : "iface");
		}
		return;
	}
	fo->on = true;
	fo->name[0] = c->iface;
	fo->name[1] = c->uplink2;
	/* the keys were checked when they were read */
	if (c->uplink1_gateway[0])
		eg_ip4_parse(c->uplink1_gateway, strlen(c->uplink1_gateway), &fo->gw[0]);
	if (c->uplink2_gateway[0])
		eg_ip4_parse(c->uplink2_gateway, strlen(c->uplink2_gateway), &fo->gw[1]);
	fo->mon_fd = eg_uplink_monitor_open();
	if (fo->mon_fd < 0)
		eg_log_sys(EG_ERR, "listen to rtnetlink for", c->uplink2, -fo->mon_fd);
	if (eg_uplink_query(c->uplink2, &fo->blink, err, sizeof err) < 0)
		eg_log(EG_WARN, "failover: %s: %s", c->uplink2, err);
	fo->healthy[0] = primary_healthy;
	fo->healthy[1] = eg_link_trouble(&fo->blink, c->check_v4) == NULL;
	h[0] = primary_healthy ? EG_FH_HEALTHY : EG_FH_UNHEALTHY;
	if (fo->blink.exists || !fc.u[1].has_up)
		h[1] = fo->healthy[1] ? EG_FH_HEALTHY : EG_FH_UNHEALTHY;
	start = active_load(fo);
	eg_fmt_duration(fb, sizeof fb, c->failback_after_s);
	eg_log(EG_NOTICE, "failover: %s, then %s (%s); after ladder stage %lu, fail-back after %s "
	       "healthy%s", c->iface, c->uplink2, h[1] == EG_FH_HEALTHY ? "healthy" :
	       h[1] == EG_FH_UNKNOWN ? "not started" : "unhealthy",
	       (unsigned long)c->failover_stage, fb, c->uplink_set ? "; one exclusive set" : "");
	eg_failover_init(&fo->f, &fc, h, start, now);
	step(fo, now, EG_FE_TICK, 0, 0);
}

int eg_failover_fds(struct eg_failer *fo, struct pollfd *pf, int64_t now, int64_t *wake)
{
	int n = 0;
	int64_t at = fo->wake_ms;

	if (!fo->on)
		return 0;
	if (fo->mon_fd >= 0)
		pf[n++] = (struct pollfd){fo->mon_fd, POLLIN, 0};
	if (at < now)
		at = now;
	if (at < *wake)
		*wake = at;
	return n;
}

void eg_failover_run(struct eg_failer *fo, const struct pollfd *pf, int n, int64_t now)
{
	if (!fo->on)
		return;
	for (int k = 0; k < n; k++) {
		char why[EG_MSG_MAX];
		int r;

		if (pf[k].fd != fo->mon_fd || fo->mon_fd < 0 || !pf[k].revents)
			continue;
		r = eg_uplink_monitor_read(fo->mon_fd, fo->blink.index, &fo->blink);
		if (r < 0 && r != -EAGAIN)
			eg_log_sys(EG_WARN, "read rtnetlink for", fo->c->uplink2, -r);
		if (r > 0 && (r & EG_UPLINK_REQUERY) &&
		    eg_uplink_query(fo->c->uplink2, &fo->blink, why, sizeof why) < 0)
			eg_log(EG_WARN, "failover: %s: %s", fo->c->uplink2, why);
	}
	backup_health(fo, now);
	if (now >= fo->wake_ms)
		step(fo, now, EG_FE_TICK, 0, 0);
	route_check(fo);
}

bool eg_failover_reaped(struct eg_failer *fo, pid_t pid, int st, int64_t now)
{
	for (int i = 0; fo->on && i < 2; i++) {
		if (fo->pid[i] != pid || pid <= 0)
			continue;
		fo->pid[i] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			eg_log(EG_WARN, "failover: %s %s command (pid %ld) ended with status %d", fo->name[i],
			       fo->cmd_up[i] ? "up" : "down", (long)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		step(fo, now, EG_FE_DONE, i, 0);
		return true;
	}
	return false;
}

bool eg_failer_carrying(const struct eg_failer *fo)
{
	return fo->on && eg_failover_carrying(&fo->f);
}

static const char *health_text(enum eg_fhealth h)
{
	return h == EG_FH_HEALTHY ? "healthy" : h == EG_FH_UNHEALTHY ? "unhealthy" : "unknown";
}

void eg_failover_status(const struct eg_failer *fo, int64_t now, bool json, char *out, size_t size)
{
	const struct eg_failover *f = &fo->f;
	const char *active = fo->on && f->active >= 0 ? fo->name[f->active] : "";
	const char *target = fo->on && (f->state == EG_FS_STOPPING || f->state == EG_FS_STARTING) ?
			     fo->name[f->target] : NULL;

	(void)now;
	if (json) {
		snprintf(out, size, ",\"failover_state\":\"%s\",\"failover_active\":\"%s\","
			 "\"failover_carrying\":%s,\"failover_uplink2\":\"%s\","
			 "\"failover_uplink2_health\":\"%s\"", fo->on ? eg_fstate_text(f->state) : "off",
			 active, eg_failer_carrying(fo) ? "true" : "false", fo->on ? fo->name[1] : "",
			 fo->on ? health_text(f->u[1].health) : "");
		return;
	}
	if (!fo->on) {
		snprintf(out, size, "failover: %s\n", off_why);
		return;
	}
	snprintf(out, size, "failover: %s carries the default route%s%s%s; %s %s, %s %s\n",
		 active[0] ? active : "nothing yet", target ? " (switching to " : "",
		 target ? target : "", target ? ")" : "", fo->name[0], health_text(f->u[0].health),
		 fo->name[1], health_text(f->u[1].health));
}
