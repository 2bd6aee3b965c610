/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "heal.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * THE PEER'S SETTLE.  When the other guards allow the reboot and a peer is
 * watched, we say REBOOTING for EG_PEER_SETTLE_MS (peerd.c sends three
 * datagrams in it), receiving all the while, and reboot only if the peer
 * still lets us go (peer.h, THE TIE-BREAK); if not, we say RECOVERING
 * again and the peer vetoes.  The guards have EG_HEAL_GUARDS_MS (10 s) to
 * answer, the ping probe takes up to ping_timeout (8 s at most) and the
 * settle 3 s: more than 10 one after the other.  So the settle begins
 * once the probe has settled without an answer, or SETTLE_LATEST_MS (6 s)
 * after the guards began, beside a probe still running, whichever is
 * first: the answer comes at most 6 + 3 = 9 s after the guards began, 1 s
 * within the bound, and the probe (8 s at most) has settled by then.  With
 * ping_timeout at most 6 s (the default is 2 s) they run one after the
 * other, and a target that answers keeps us from announcing a reboot we
 * would not make; beside a longer probe that answers late, we take the
 * announcement back (RECOVERING), which holds the peer at most one
 * peer_hold_max more.
 */
enum { SETTLE_NONE, SETTLE_WAIT, SETTLE_RUN };
#define SETTLE_LATEST_MS (EG_HEAL_GUARDS_MS - EG_PEER_SETTLE_MS - 1000)
_Static_assert(SETTLE_LATEST_MS >= 0 && 8000 < SETTLE_LATEST_MS + EG_PEER_SETTLE_MS &&
		       SETTLE_LATEST_MS + EG_PEER_SETTLE_MS < EG_HEAL_GUARDS_MS,
	       "the settle and the longest ping_timeout answer within EG_HEAL_GUARDS_MS");

/* ---- windows that outlive a reboot ---- */

static void window_path(const struct eg_healer *w, const char *name, char *buf, size_t size)
{
	eg_fmt(buf, size, "%s/%s", w->c->state_dir, name);
}

/* The time left of a kept window, at most whole_ms (a shorter
 * reboot_cooldown, or 0, applies at once); 0 when there is none.  A file
 * that cannot be read as one holds the whole of whole_ms when damaged_holds:
 * a damaged cooldown must never shorten it; a damaged inhibit is dropped
 * (its length is unknown). */
static int64_t window_load(const struct eg_healer *w, const char *name, int64_t whole_ms,
			   bool damaged_holds)
{
	char path[EG_PATH_MAX + 32], text[64];
	int64_t left;
	long n;

	window_path(w, name, path, sizeof path);
	n = eg_read_file(path, text, sizeof text, NULL);
	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		eg_log_sys(EG_WARN, "read", path, (int)-n);
		return damaged_holds ? whole_ms : 0;
	}
	if (eg_window_parse(text, &left) != 0) {
		char shown[80];
		eg_quote(shown, sizeof shown, text, (size_t)n);
		if (damaged_holds)
			eg_log(EG_WARN, "heal: %s holds \"%s\", not \"left_ms N\": keeping the whole "
			       "window (%llds)", path, shown, (long long)(whole_ms / 1000));
		else
			eg_log(EG_WARN, "heal: %s holds \"%s\", not \"left_ms N\": ignored", path, shown);
		return damaged_holds ? whole_ms : 0;
	}
	return left < whole_ms ? left : whole_ms;
}

static void window_save(const struct eg_healer *w, const char *name, int64_t left_ms)
{
	char path[EG_PATH_MAX + 32], text[40];
	int err;

	window_path(w, name, path, sizeof path);
	if (left_ms <= 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			eg_log_sys(EG_WARN, "remove", path, errno);
		return;
	}
	if (mkdir(w->c->state_dir, 0700) != 0 && errno != EEXIST)
		eg_log_sys(EG_WARN, "create", w->c->state_dir, errno);
	eg_window_format(text, sizeof text, left_ms);
	err = eg_write_atomic(path, text, strlen(text), 0600);
	if (err)
		eg_log_sys(EG_WARN, "write", path, -err);
}

static int64_t left_of(int64_t until, int64_t now)
{
	return until > now ? until - now : 0;
}

/* What is left of a window, to the second, as 1h59m49s. */
static void fmt_left(char *buf, size_t size, int64_t ms)
{
	unsigned long long s = (unsigned long long)((ms + 999) / 1000);

	if (s >= 3600)
		snprintf(buf, size, "%lluh%02llum%02llus", s / 3600, s % 3600 / 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, size, "%llus", s);
}

/* Rewrite what is left of each window every EG_HEAL_SAVE_MS, and remove
 * it once it is over: a reboot then loses at most that much counting,
 * which only makes the window longer. */
static void windows_tick(struct eg_healer *w, int64_t now)
{
	if (w->cooldown_until_ms && now - w->cooldown_saved_ms >= EG_HEAL_SAVE_MS) {
		window_save(w, "heal-cooldown", left_of(w->cooldown_until_ms, now));
		w->cooldown_saved_ms = now;
		if (now >= w->cooldown_until_ms)
			w->cooldown_until_ms = 0;
	}
	if (w->inhibit_until_ms && now - w->inhibit_saved_ms >= EG_HEAL_SAVE_MS) {
		window_save(w, "heal-inhibit", left_of(w->inhibit_until_ms, now));
		w->inhibit_saved_ms = now;
		if (now >= w->inhibit_until_ms)
			w->inhibit_until_ms = 0;
	}
}

/* ---- the failure count, volatile as the seed script's /tmp file ---- */

static uint32_t fails_load(void)
{
	char text[24];
	uint64_t v;
	long n = eg_read_file(eg_run_path("heal-fails"), text, sizeof text, NULL);

	if (n <= 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	return eg_parse_u64(text, &v) && v < 1000000 ? (uint32_t)v : 0;
}

static void fails_save(uint32_t fails)
{
	char text[24];
	int err;

	snprintf(text, sizeof text, "%lu\n", (unsigned long)fails);
	err = eg_write_atomic(eg_run_path("heal-fails"), text, strlen(text), 0644);
	if (err)
		eg_log_sys(EG_WARN, "write", eg_run_path("heal-fails"), -err);
}

/* ---- commands ---- */

pid_t eg_spawn(const char *what, const char *cmd)
{
	pid_t pid;

	if (cmd[0] == '\0')
		return 0;
	pid = fork();
	if (pid == 0) {
		static char *const env[] = {(char *)"PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL};
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
		_exit(127);
	}
	if (pid < 0) {
		eg_log_sys(EG_ERR, "run the", what, errno);
		return -1;
	}
	return pid;
}

/* A stage's command still running when the stage ends is stopped: the
 * next stage must not run beside it. */
static void stop_command(struct eg_healer *w)
{
	/* Only our own child answers waitpid: a pid reaped already, and
	 * maybe reused since, is never signalled.  0: it still runs. */
	if (w->cmd_pid > 0 && waitpid(w->cmd_pid, NULL, WNOHANG) == 0) {
		eg_log(EG_WARN, "heal: %s: the stage's command (pid %ld) still runs after %lus "
		       "(recheck_sleep); stopped", w->c->iface, (long)w->cmd_pid,
		       (unsigned long)w->c->recheck_sleep_s);
		kill(-w->cmd_pid, SIGTERM);
	}
	w->cmd_pid = 0;
}

/* ---- rounds of probes ---- */

static void round_close(struct eg_round *r)
{
	for (int i = 0; i < 2; i++)
		if (r->n > i && r->p[i].fd >= 0) {
			close(r->p[i].fd);
			r->p[i].fd = -1;
		}
	r->n = 0;
}

/* Probe t1 and t2 (either may be "") at once, through dev unless NULL,
 * to be answered by deadline.  A target that cannot even be tried is
 * logged under label (NULL: not logged; r->why keeps it); r->n is 0 when
 * none could. */
static void round_start(struct eg_round *r, const char *t1, const char *t2, const char *dev,
			int64_t now, int64_t timeout_ms, const char *label)
{
	const char *t[2] = {t1, t2};

	r->n = 0;
	r->timeout_ms = timeout_ms;
	r->deadline_ms = now + timeout_ms;
	for (int i = 0; i < 2; i++) {
		if (!t[i][0])
			continue;
		if (eg_probe_start(t[i], dev, &r->p[r->n], r->why, sizeof r->why) < 0) {
			if (label)
				eg_log(EG_NOTICE, "heal: %s: %s: %s", label, t[i], r->why);
			r->p[r->n].fd = -1;
			continue;
		}
		r->n++;
	}
}

static int round_fds(const struct eg_round *r, struct pollfd *pf)
{
	int n = 0;

	for (int i = 0; i < r->n; i++)
		if (r->p[i].fd >= 0)
			pf[n++] = (struct pollfd){r->p[i].fd, r->p[i].events, 0};
	return n;
}

/* The round's news: 1 a target answered (r->why says which), 0 all
 * settled without or the deadline passed, -1 not yet.  A round over is
 * closed.  Failures are logged under label (NULL: not logged). */
static int round_run(struct eg_round *r, const struct pollfd *pf, int n, int64_t now,
		     const char *label)
{
	int open = 0;

	for (int i = 0; i < r->n; i++) {
		struct eg_probe *p = &r->p[i];
		char why[EG_MSG_MAX];
		int reachable = 0, res;

		if (p->fd < 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (pf[k].fd != p->fd || !pf[k].revents)
				continue;
			res = eg_probe_finish(p, &reachable, why, sizeof why);
			if (res != 0) {
				close(p->fd);
				p->fd = -1;
				eg_copy(r->why, sizeof r->why, why);
				if (res > 0 && reachable) {
					round_close(r);
					return 1;
				}
				if (label)
					eg_log(EG_NOTICE, "heal: %s: %s", label, why);
			}
			break;
		}
		if (p->fd >= 0)
			open++;
	}
	if (open && now < r->deadline_ms)
		return -1;
	if (open) {
		eg_fmt(r->why, sizeof r->why, "no answer within %llds",
		       (long long)(r->timeout_ms / 1000));
		if (label)
			eg_log(EG_NOTICE, "heal: %s: %s", label, r->why);
	}
	round_close(r);
	return 0;
}

/* ---- health ---- */

static void query(struct eg_healer *w)
{
	char why[EG_MSG_MAX];
	int r = eg_uplink_query(w->c->iface, &w->link, why, sizeof why);

	if (r < 0)
		eg_log(EG_WARN, "heal: %s: unable to ask the kernel for its state: %s", w->c->iface, why);
}

/* What keeps the uplink from being healthy: the link's own trouble
 * first, then the health probe's; NULL when nothing does. */
static const char *trouble(const struct eg_healer *w)
{
	const char *t = eg_link_trouble(&w->link, w->c->check_v4);

	if (t || !w->hprobe_on || w->hp.ok)
		return t;
	return w->hprobe_trouble;
}

static bool is_healthy(const struct eg_healer *w)
{
	return trouble(w) == NULL;
}

/* The link's own health, without the probe's. */
static bool link_ok(const struct eg_healer *w)
{
	return eg_link_trouble(&w->link, w->c->check_v4) == NULL;
}

/* The health probe: send, read and time out its rounds as the logic
 * (eg_hprobe_step) says, and word a verdict of "not answering". */
static void hprobe_run(struct eg_healer *w, const struct pollfd *pf, int n, int64_t now)
{
	int result = w->health.n ? round_run(&w->health, pf, n, now, NULL) : -1;

	if (!w->hprobe_on)
		return;
	for (int i = 0; i < 2; i++) {
		enum eg_hpact a = eg_hprobe_step(&w->hp, now, link_ok(w), result);

		if (a == EG_HP_CANCEL)
			round_close(&w->health);
		if (a != EG_HP_START)
			break;
		round_start(&w->health, w->c->health_probe1, w->c->health_probe2, w->c->iface, now,
			    (int64_t)w->c->health_probe_timeout_s * 1000, NULL);
		if (w->health.n)
			break;
		result = 0; /* nothing could be sent: unanswered now */
	}
	/* trouble() reads the words only while the verdict is "not
	 * answering": no need to write them on every pass of a healthy loop */
	if (w->hp.ok)
		return;
	if (w->hp.missed >= w->hp.c.misses)
		eg_fmt(w->hprobe_trouble, sizeof w->hprobe_trouble, "health probe %s: no answer to "
		       "%lu rounds in a row (last: %.300s)", w->hprobe_targets,
		       (unsigned long)w->hp.c.misses, w->health.why);
	else if (w->hp.missed)
		eg_fmt(w->hprobe_trouble, sizeof w->hprobe_trouble, "health probe %s: not answered "
		       "since the link came back (last: %.300s)", w->hprobe_targets, w->health.why);
	else
		eg_fmt(w->hprobe_trouble, sizeof w->hprobe_trouble, "health probe %s: not answered "
		       "since the link came back", w->hprobe_targets);
}

static void peer_say(struct eg_healer *w, int64_t now);

void eg_heal_start(struct eg_healer *w, const struct eg_conf *c, struct eg_peerd *peer,
		   struct eg_failer *fo, int64_t now)
{
	struct eg_heal_conf hc = {
		.grace_ms = (int64_t)c->heal_grace_s * 1000,
		.recheck_ms = (int64_t)c->recheck_sleep_s * 1000,
		.interval_ms = (int64_t)c->heal_interval_s * 1000,
		.max_fails = c->max_fails,
		.has_reapply = c->network_reapply[0] != '\0',
		.has_restart = c->network_restart[0] != '\0',
	};
	int64_t left;

	memset(w, 0, sizeof *w);
	w->c = c;
	w->peer = peer;
	w->fo = fo;
	w->mon_fd = -1;
	if (c->iface[0] == '\0') {
		eg_heal_init(&w->h, &hc, true, true, 0, now);
		return;
	}
	w->mon_fd = eg_uplink_monitor_open();
	if (w->mon_fd < 0)
		eg_log_sys(EG_ERR, "listen to rtnetlink for", c->iface, -w->mon_fd);
	query(w);
	w->hprobe_on = c->health_probe1[0] || c->health_probe2[0];
	eg_fmt(w->hprobe_targets, sizeof w->hprobe_targets, "%s%s%s", c->health_probe1,
	       c->health_probe1[0] && c->health_probe2[0] ? " or " : "", c->health_probe2);
	eg_hprobe_init(&w->hp, &(struct eg_hprobe_conf){
			       .interval_ms = (int64_t)c->health_probe_interval_s * 1000,
			       .timeout_ms = (int64_t)c->health_probe_timeout_s * 1000,
			       .misses = c->health_probe_misses,
		       }, link_ok(w), now);
	hprobe_run(w, NULL, 0, now);
	w->healthy = is_healthy(w);
	w->seen = w->link.exists;
	if (!w->seen)
		eg_log(EG_ERR, "heal: %s: no such interface: the ladder will run when it appears, and "
		       "no reboot is asked for it until then (is iface= right?)", c->iface);
	left = window_load(w, "heal-cooldown", (int64_t)c->reboot_cooldown_s * 1000, true);
	if (left > 0) {
		w->cooldown_until_ms = now + left;
		w->cooldown_saved_ms = now;
	}
	left = window_load(w, "heal-inhibit", (int64_t)7 * 24 * 3600 * 1000, false);
	if (left > 0) {
		w->inhibit_until_ms = now + left;
		w->inhibit_saved_ms = now;
	}
	eg_heal_init(&w->h, &hc, false, w->healthy, fails_load(), now);
	peer_say(w, now);
	{
		char cd[24], iv[24], probe[EG_MSG_MAX] = "";
		const char *t = trouble(w);

		fmt_left(cd, sizeof cd, left_of(w->cooldown_until_ms, now));
		if (w->hprobe_on) {
			char pi[24], pt[24];

			eg_fmt_duration(pi, sizeof pi, c->health_probe_interval_s);
			eg_fmt_duration(pt, sizeof pt, c->health_probe_timeout_s);
			eg_fmt(probe, sizeof probe, "; health probe %s through %s every %s (timeout %s, "
			       "unhealthy after %lu unanswered)", w->hprobe_targets, c->iface, pi, pt,
			       (unsigned long)c->health_probe_misses);
		}
		eg_fmt_duration(iv, sizeof iv, c->heal_interval_s);
		eg_log(t ? EG_WARN : EG_NOTICE, "heal: watching %s: %s%s; max_fails %lu, heal_interval "
		       "%s, reboot cooldown %s%s", c->iface, t ? "unhealthy: " : "healthy", t ? t : "",
		       (unsigned long)c->max_fails, iv, w->cooldown_until_ms ? cd : "none left", probe);
	}
}

int eg_heal_fds(struct eg_healer *w, struct pollfd *pf, int64_t now, int64_t *wake)
{
	int n = 0;
	int64_t at;

	if (w->h.state == EG_HS_OFF)
		return 0;
	if (w->mon_fd >= 0)
		pf[n++] = (struct pollfd){w->mon_fd, POLLIN, 0};
	n += round_fds(&w->veto, pf + n);
	n += round_fds(&w->health, pf + n);
	at = w->h.state == EG_HS_HEALTHY ? INT64_MAX : w->h.deadline_ms;
	if (w->veto.n && w->veto.deadline_ms < at)
		at = w->veto.deadline_ms;
	if (w->hprobe_on) {
		int64_t p = eg_hprobe_wake(&w->hp, link_ok(w));

		if (p < at)
			at = p;
	}
	if (w->settle == SETTLE_WAIT && w->guards_ms + SETTLE_LATEST_MS < at)
		at = w->guards_ms + SETTLE_LATEST_MS;
	if (w->settle == SETTLE_RUN && w->settle_end_ms < at)
		at = w->settle_end_ms;
	if (w->cooldown_until_ms && w->cooldown_saved_ms + EG_HEAL_SAVE_MS < at)
		at = w->cooldown_saved_ms + EG_HEAL_SAVE_MS;
	if (w->inhibit_until_ms && w->inhibit_saved_ms + EG_HEAL_SAVE_MS < at)
		at = w->inhibit_saved_ms + EG_HEAL_SAVE_MS;
	if (at < now)
		at = now;
	if (at < *wake)
		*wake = at;
	return n;
}

/* ---- the guards ---- */

/* Everything but the ping: read at once. */
static void guards_now(struct eg_healer *w, int64_t now)
{
	struct eg_hguards *g = &w->guards;
	char what[EG_MSG_MAX] = "";

	*g = (struct eg_hguards){.ping = -1, .never_seen = !w->seen};
	w->guard_what[0] = '\0';
	g->inhibit_left_ms = left_of(w->inhibit_until_ms, now);
	g->cooldown_left_ms = left_of(w->cooldown_until_ms, now);
	if (w->c->usb_guard) {
		int r = eg_usb_storage_active(w->c->usb_gadget_dir, w->c->usb_guard_require_udc, what,
					      sizeof what);
		if (r < 0) {
			/* unreadable: a session may be in use; hold */
			g->usb_active = true;
			snprintf(w->guard_what, sizeof w->guard_what, "%.400s (unreadable: holding)", what);
		} else if (r > 0) {
			g->usb_active = true;
			eg_copy(w->guard_what, sizeof w->guard_what, what);
		}
	}
	g->peer_holds = eg_peerd_holds(w->peer, now, w->peer_what, sizeof w->peer_what);
	g->failover_active = eg_failer_carrying(w->fo);
}

static bool ping_configured(const struct eg_healer *w)
{
	return w->c->ping_veto && (w->c->ping_veto_ip1[0] || w->c->ping_veto_ip2[0]);
}

static void start_veto(struct eg_healer *w, int64_t now)
{
	round_start(&w->veto, w->c->ping_veto_ip1, w->c->ping_veto_ip2, NULL, now,
		    (int64_t)w->c->ping_timeout_s * 1000, "ping veto");
}

/* What we say to the peer follows the ladder: recovering from the moment
 * the uplink is found unhealthy, rebooting in the settle and once the
 * reboot is decided, ok while healthy. */
static void peer_say(struct eg_healer *w, int64_t now)
{
	enum eg_peer_state s = EG_PEER_RECOVERING;

	if (w->h.state == EG_HS_OFF || w->h.state == EG_HS_HEALTHY)
		s = EG_PEER_OK;
	else if (w->h.state == EG_HS_REBOOT || w->settle == SETTLE_RUN)
		s = EG_PEER_REBOOTING;
	eg_peerd_say(w->peer, s, now);
}

static void settle_begin(struct eg_healer *w, int64_t now)
{
	w->settle = SETTLE_NONE;
	/* the peer may have begun to hold us while the probe ran */
	if (eg_peerd_holds(w->peer, now, w->peer_what, sizeof w->peer_what)) {
		w->guards.peer_holds = true;
		return;
	}
	eg_log(EG_WARN, "heal: %s reboot: the guards allow it; announcing it to the peer for %ds "
	       "first", w->c->iface, EG_PEER_SETTLE_MS / 1000);
	w->settle = SETTLE_RUN;
	w->settle_end_ms = now + EG_PEER_SETTLE_MS;
	peer_say(w, now);
}

/* The guards' answer once nothing is pending (the probes, the peer's
 * settle): the veto, or -1 while something is. */
static int guards_answer(struct eg_healer *w, const struct pollfd *pf, int n, int64_t now)
{
	struct eg_hguards *g = &w->guards;

	if (w->veto.n) {
		int p = round_run(&w->veto, pf, n, now, "ping veto");

		if (p == 1)
			eg_copy(w->guard_what, sizeof w->guard_what, w->veto.why);
		if (p >= 0)
			g->ping = p;
	}
	/* a target answered: no settle, or take the announcement back */
	if (w->settle != SETTLE_NONE && !eg_heal_need_settle(g, true))
		w->settle = SETTLE_NONE;
	if (w->settle == SETTLE_WAIT && (w->veto.n == 0 || now >= w->guards_ms + SETTLE_LATEST_MS))
		settle_begin(w, now);
	if (w->settle == SETTLE_RUN && now >= w->settle_end_ms) {
		w->settle = SETTLE_NONE;
		g->peer_holds = eg_peerd_holds(w->peer, now, w->peer_what, sizeof w->peer_what);
	}
	if (w->veto.n || w->settle != SETTLE_NONE)
		return -1;
	return (int)eg_heal_veto(g);
}

/* ---- the ladder's effects ---- */

static void veto_text(const struct eg_healer *w, enum eg_hveto v, int64_t now, char *buf,
		      size_t size)
{
	char d[24];

	switch (v) {
	case EG_HV_INHIBIT:
		fmt_left(d, sizeof d, left_of(w->inhibit_until_ms, now));
		snprintf(buf, size, "inhibited by the operator: %s left", d);
		break;
	case EG_HV_COOLDOWN:
		fmt_left(d, sizeof d, left_of(w->cooldown_until_ms, now));
		snprintf(buf, size, "cooldown: %s left of reboot_cooldown", d);
		break;
	case EG_HV_USB:
		snprintf(buf, size, "usb mass storage in use: %.400s", w->guard_what);
		break;
	case EG_HV_PING:
		snprintf(buf, size, "ping veto: %.400s", w->guard_what);
		break;
	case EG_HV_PEER:
		snprintf(buf, size, "%s", w->peer_what);
		break;
	case EG_HV_FAILOVER:
		snprintf(buf, size, "%s (%s)", eg_hveto_text(v), w->c->uplink2);
		break;
	case EG_HV_NO_IFACE:
		snprintf(buf, size, "%s has not existed since the daemon started (is iface= right?)",
			 w->c->iface);
		break;
	default:
		snprintf(buf, size, "%s", eg_hveto_text(v));
		break;
	}
}

static void link_set(struct eg_healer *w, bool up)
{
	char why[EG_MSG_MAX];

	if (eg_uplink_set_up(w->c->iface, up, why, sizeof why) != 0)
		eg_log(EG_ERR, "heal: %s: unable to set the link %s: %s", w->c->iface,
		       up ? "up" : "down", why);
}

/* The bounce: the routes through the link that the kernel drops with it
 * and would not put back (the default route above all) are kept before
 * the link goes down and put back once it is up, as they were; a route
 * there already (a network manager was quicker) is left alone. */
static void routes_keep(struct eg_healer *w)
{
	char why[EG_MSG_MAX];

	w->routes.n = 0;
	if (w->link.index <= 0)
		return;
	if (eg_uplink_routes_save(w->link.index, &w->routes, why, sizeof why) != 0)
		eg_log(EG_WARN, "heal: %s: %s; none are put back after the bounce", w->c->iface,
		       why);
	else if (w->routes.more)
		eg_log(EG_WARN, "heal: %s: more than %d routes through it: only %d are put back "
		       "after the bounce", w->c->iface, EG_ROUTES_MAX, EG_ROUTES_MAX);
}

static void routes_put_back(struct eg_healer *w)
{
	char why[EG_MSG_MAX], list[EG_MSG_MAX] = "", one[96];
	int back, err;
	size_t used = 0;

	if (w->routes.n == 0)
		return;
	err = eg_uplink_routes_restore(&w->routes, &back, why, sizeof why);
	if (err) {
		eg_log(EG_WARN, "heal: %s: %s (%d of %d routes back)", w->c->iface, why, back,
		       w->routes.n);
	} else {
		for (int i = 0; i < w->routes.n && used + 1 < sizeof list; i++) {
			eg_route_format(&w->routes, i, one, sizeof one);
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
						 one);
		}
		eg_log(EG_NOTICE, "heal: %s: %d route%s back after the bounce: %s", w->c->iface, back,
		       back == 1 ? "" : "s", list);
	}
	w->routes.n = 0;
}

static bool perform(struct eg_healer *w, const struct eg_haction *a, int64_t now)
{
	const char *ifn = w->c->iface;
	char buf[EG_MSG_MAX], iv[24];

	switch (a->act) {
	case EG_HA_NONE:
		break;
	case EG_HA_LINK_DOWN:
		stop_command(w);
		eg_log(EG_WARN, "heal: %s stage 1/3: bounce (down %ds, up), run %lu (max_fails %lu)", ifn,
		       EG_HEAL_BOUNCE_MS / 1000, (unsigned long)a->run, (unsigned long)w->c->max_fails);
		routes_keep(w);
		link_set(w, false);
		break;
	case EG_HA_LINK_UP:
		link_set(w, true);
		routes_put_back(w);
		break;
	case EG_HA_REAPPLY:
	case EG_HA_RESTART: {
		const char *cmd = a->act == EG_HA_REAPPLY ? w->c->network_reapply : w->c->network_restart;
		stop_command(w);
		/* the stage before ended without healing (a skipped one too) */
		eg_failover_stage(w->fo, a->stage - 1, now);
		/* While the backup carries the traffic, the primary's bounce
		 * still runs (it touches the primary only), but not these
		 * commands: re-applying the configuration or restarting the
		 * network daemon may take the backup down with it, and the
		 * backup is then the one way in.  The reboot is vetoed as long;
		 * the primary's own recovery (its carrier back) is still seen. */
		if (eg_failer_carrying(w->fo)) {
			eg_log(EG_WARN, "heal: %s stage %d/3: %s skipped: %s carries the traffic and the "
			       "command could take it down", ifn, a->stage,
			       a->act == EG_HA_REAPPLY ? "re-apply" : "restart", w->c->uplink2);
			break;
		}
		eg_log(EG_WARN, "heal: %s stage %d/3: %s: %s", ifn, a->stage,
		       a->act == EG_HA_REAPPLY ? "re-apply" : "restart", cmd);
		w->cmd_pid = eg_spawn(a->act == EG_HA_REAPPLY ? "network_reapply" : "network_restart", cmd);
		break;
	}
	case EG_HA_HEALED:
		w->cmd_pid = 0; /* a command that healed may finish on its own */
		if (a->stage)
			snprintf(buf, sizeof buf, "after stage %d (%s)", a->stage, eg_hstage_text(a->stage));
		else
			snprintf(buf, sizeof buf, "on its own");
		eg_log(EG_NOTICE, "heal: %s healthy again %s in %lld.%03llds", ifn, buf,
		       (long long)(a->elapsed_ms / 1000), (long long)(a->elapsed_ms % 1000));
		fails_save(0);
		break;
	case EG_HA_RUN_FAILED:
		stop_command(w);
		eg_failover_stage(w->fo, EG_HEAL_STAGES, now);
		fails_save(w->h.fails);
		eg_fmt_duration(iv, sizeof iv, w->c->heal_interval_s);
		eg_log(EG_ERR, "heal: %s ladder run %lu/%lu failed; next run in %s", ifn,
		       (unsigned long)a->run, (unsigned long)w->c->max_fails, iv);
		break;
	case EG_HA_GUARDS:
		stop_command(w);
		/* before the guards: a switch it starts may carry already */
		eg_failover_stage(w->fo, EG_HEAL_STAGES, now);
		fails_save(w->h.fails);
		guards_now(w, now);
		if (eg_heal_need_ping(&w->guards, ping_configured(w)))
			start_veto(w, now);
		w->guards_ms = now;
		w->settle = eg_heal_need_settle(&w->guards, w->peer->on) ? SETTLE_WAIT : SETTLE_NONE;
		break;
	case EG_HA_VETOED:
		veto_text(w, a->veto, now, buf, sizeof buf);
		eg_fmt_duration(iv, sizeof iv, w->c->heal_interval_s);
		eg_log(EG_ERR, "heal: %s reboot vetoed: %s; the ladder runs again in %s", ifn, buf, iv);
		break;
	case EG_HA_REBOOT:
		snprintf(w->reason, sizeof w->reason, "network self-heal: %s %s after %lu ladder runs",
			 ifn, trouble(w) ? trouble(w) : "unhealthy",
			 (unsigned long)a->run);
		eg_log(EG_ERR, "heal: %s unhealthy after %lu ladder runs: orderly reboot", ifn,
		       (unsigned long)a->run);
		/* The cooldown is on disk before the reboot begins. */
		if (w->c->reboot_cooldown_s) {
			window_save(w, "heal-cooldown", (int64_t)w->c->reboot_cooldown_s * 1000);
			w->cooldown_until_ms = now + (int64_t)w->c->reboot_cooldown_s * 1000;
			w->cooldown_saved_ms = now;
		}
		fails_save(0);
		return true;
	}
	return false;
}

/* Step the logic with ev (and veto), perform, and keep stepping while a
 * step leads straight to another (a deadline already due). */
static bool step(struct eg_healer *w, int64_t now, enum eg_hevent ev, enum eg_hveto veto)
{
	for (int i = 0; i < 8; i++) {
		struct eg_haction a = eg_heal_step(&w->h, now, ev, veto);

		if (perform(w, &a, now))
			return true;
		if (a.act == EG_HA_GUARDS) {
			int v = guards_answer(w, NULL, 0, now);

			/* nothing to wait for: answer at once */
			if (v >= 0) {
				ev = EG_HE_GUARDS;
				veto = (enum eg_hveto)v;
				continue;
			}
		}
		if (a.act == EG_HA_NONE)
			break;
		/* healthy is a level: a link that came back while a stage ran
		 * (or never went down in the bounce) heals the run now */
		ev = w->healthy ? EG_HE_HEALTHY : EG_HE_TICK;
		veto = EG_HV_NONE;
	}
	return false;
}

bool eg_heal_run(struct eg_healer *w, const struct pollfd *pf, int n, int64_t now)
{
	enum eg_hstate before = w->h.state;
	bool reboot;

	if (before == EG_HS_OFF || before == EG_HS_REBOOT)
		return false;
	windows_tick(w, now);
	for (int k = 0; k < n; k++) {
		int r;

		if (pf[k].fd != w->mon_fd || w->mon_fd < 0 || !pf[k].revents)
			continue;
		r = eg_uplink_monitor_read(w->mon_fd, w->link.index, &w->link);
		if (r < 0 && r != -EAGAIN)
			eg_log_sys(EG_WARN, "read rtnetlink for", w->c->iface, -r);
		if (r > 0 && (r & EG_UPLINK_REQUERY))
			query(w);
	}
	if (w->link.exists && !w->seen) {
		w->seen = true;
		eg_log(EG_NOTICE, "heal: %s appeared", w->c->iface);
	}
	hprobe_run(w, pf, n, now);
	if (is_healthy(w) != w->healthy) {
		const char *t = trouble(w);

		w->healthy = t == NULL;
		if (t && w->h.state != EG_HS_BOUNCE)
			eg_log(EG_WARN, "heal: %s unhealthy: %s", w->c->iface, t);
		eg_failover_health(w->fo, 0, w->healthy, now);
		if (step(w, now, w->healthy ? EG_HE_HEALTHY : EG_HE_UNHEALTHY, EG_HV_NONE))
			return true;
	}
	if (w->h.state == EG_HS_GUARDS && (w->veto.n || w->settle != SETTLE_NONE)) {
		int v = guards_answer(w, pf, n, now);

		/* a tick still ends the guards at their deadline, should the
		 * answer (bounded above) ever be late */
		reboot = v >= 0 ? step(w, now, EG_HE_GUARDS, (enum eg_hveto)v) :
				  step(w, now, EG_HE_TICK, EG_HV_NONE);
	} else {
		reboot = step(w, now, w->healthy ? EG_HE_HEALTHY : EG_HE_TICK, EG_HV_NONE);
	}
	if (w->h.state != EG_HS_GUARDS) {
		/* healed, vetoed or rebooting: the guards' probes and settle are over */
		round_close(&w->veto);
		w->settle = SETTLE_NONE;
	}
	peer_say(w, now);
	return reboot;
}

int eg_heal_inhibit(struct eg_healer *w, int64_t now, int64_t ms, char *msg, size_t size)
{
	char d[24];

	if (w->h.state == EG_HS_OFF) {
		snprintf(msg, size, "the self-heal is off (no iface= in the configuration)");
		return -1;
	}
	w->inhibit_until_ms = ms > 0 ? now + ms : 0;
	w->inhibit_saved_ms = now;
	window_save(w, "heal-inhibit", ms);
	eg_fmt_duration(d, sizeof d, (uint64_t)ms / 1000);
	if (ms > 0)
		snprintf(msg, size, "recovery reboots of the self-heal held for %s (the ladder still "
			 "runs; `earlyguard inhibit --clear` ends it)", d);
	else
		snprintf(msg, size, "inhibit cleared");
	eg_log(EG_NOTICE, "heal: %s", msg);
	return 0;
}

static const char *state_name(const struct eg_healer *w)
{
	switch (w->h.state) {
	case EG_HS_OFF: return "off";
	case EG_HS_HEALTHY: return "healthy";
	case EG_HS_GRACE: return "unhealthy";
	case EG_HS_BOUNCE:
	case EG_HS_STAGE: return "recovering";
	case EG_HS_WAIT_RUN: return "waiting";
	case EG_HS_GUARDS: return "guards";
	case EG_HS_REBOOT: return "rebooting";
	}
	return "unknown";
}

void eg_heal_status(const struct eg_healer *w, int64_t now, bool json, char *out, size_t size)
{
	const char *t = w->h.state == EG_HS_OFF ? NULL : trouble(w);
	long long cl = (long long)(left_of(w->cooldown_until_ms, now) / 1000);
	long long il = (long long)(left_of(w->inhibit_until_ms, now) / 1000);
	char what[EG_MSG_MAX] = "";
	int usb = w->h.state == EG_HS_OFF || !w->c->usb_guard ? 0 :
		  eg_usb_storage_active(w->c->usb_gadget_dir, w->c->usb_guard_require_udc, what,
					sizeof what);
	const char *probe = w->h.state == EG_HS_OFF || !w->hprobe_on ? "off" :
			    w->hp.ok ? "answering" : "not answering";

	if (json) {
		snprintf(out, size, ",\"heal_iface\":\"%s\",\"heal_state\":\"%s\",\"heal_trouble\":\"%s\","
			 "\"heal_stage\":%d,\"heal_fails\":%lu,\"heal_max_fails\":%lu,"
			 "\"heal_cooldown_left_s\":%lld,\"heal_inhibit_left_s\":%lld,\"heal_usb_active\":%s,"
			 "\"heal_probe\":\"%s\"",
			 w->c->iface, state_name(w), t ? t : "", w->h.stage, (unsigned long)w->h.fails,
			 (unsigned long)w->c->max_fails, cl, il, usb != 0 ? "true" : "false", probe);
		return;
	}
	if (w->h.state == EG_HS_OFF) {
		snprintf(out, size, "heal: off (no iface= in the configuration)\n");
		return;
	}
	snprintf(out, size,
		 "heal: %s %s%s%s, stage %d, failed runs %lu (max_fails %lu), health probe %s\n"
		 "reboot_guards: cooldown %llds left, inhibit %llds left, usb %.300s, ping veto %s\n",
		 w->c->iface, state_name(w), t ? ": " : "", t ? t : "", w->h.stage,
		 (unsigned long)w->h.fails, (unsigned long)w->c->max_fails, probe, cl, il,
		 !w->c->usb_guard ? "guard off" : usb > 0 ? what : usb < 0 ? "unreadable" : "not in use",
		 ping_configured(w) ? "on" : "off");
}
