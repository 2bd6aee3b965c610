/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard daemon: the rootfs service.  It takes the open watchdog from
 * the initramfs guard (or opens it when there was none), pets it, and holds
 * the boot to its deadlines: the confirm deadline only `earlyguard disarm`
 * clears, the optional check-in deadline, and every shutdown under an
 * extended watchdog timeout.  One poll loop; it wakes to pet, when a
 * deadline is due, or for a request on the control socket.
 *
 * It never writes the magic close.  Killed, stopped or hung, it stops
 * petting and the hardware resets the machine.
 */
#include "roles.h"
#include "ctl.h"
#include "daemon_logic.h"
#include "guard_logic.h"
#include "handoff.h"
#include "failover.h"
#include "heal.h"
#include "record.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/watchdog.h>

#define EG_CTL_CLIENTS 8           /* control connections served at once */
#define EG_CTL_CLIENT_MS 2000      /* a client has this long to send its request */
#define EG_DRIVER_BOUND_MS 10000

struct client {
	int fd;
	int64_t deadline_ms;
	long uid, pid;
};

struct dctx {
	struct eg_conf conf;
	struct eg_daemon d;
	int64_t start_ms;
	int wdt_fd;
	struct eg_wdt wdt;          /* when the daemon opened it itself */
	char device[EG_PATH_MAX], identity[40];
	uint32_t timeout_s;
	bool from_guard;            /* the fd came from the initramfs guard */
	bool record_counted;        /* the guard counted this boot in the record */
	int64_t stopped_ms;         /* the operator stopped the watchdog (0: not) */
	bool bootstatus_reset;      /* the device we opened says: watchdog reset */
	long guard_pid;
	int64_t guard_started_ms;
	char previous[EG_MSG_MAX];
	char boot_id[40];
	char shutdown_reason[EG_REASON_MAX];
	int ctl_fd;
	struct client clients[EG_CTL_CLIENTS];
	char cmdline[EG_CMDLINE_MAX];
	struct eg_peerd peer;
	struct eg_healer heal;
	struct eg_failer fo;
};

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* self-pipe: signals become poll events */
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* full pipe: a signal of that kind is already pending */
	}
	errno = saved;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int64_t now_ms(void)
{
	return eg_now_ms();
}

static void fmt_secs(char *buf, size_t size, int64_t ms)
{
	snprintf(buf, size, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* ---- persistent check-in state ---- */

static void checkin_path(const struct dctx *x, char *buf, size_t size)
{
	eg_fmt(buf, size, "%s/checkin-armed", x->conf.state_dir);
}

static bool checkin_armed_persisted(const struct dctx *x)
{
	char path[EG_PATH_MAX + 16];

	checkin_path(x, path, sizeof path);
	return access(path, F_OK) == 0;
}

static void checkin_persist(const struct dctx *x, bool armed)
{
	char path[EG_PATH_MAX + 16];
	int err;

	checkin_path(x, path, sizeof path);
	if (!armed) {
		if (unlink(path) != 0 && errno != ENOENT)
			eg_log_sys(EG_WARN, "remove", path, errno);
		return;
	}
	if (mkdir(x->conf.state_dir, 0700) != 0 && errno != EEXIST)
		eg_log_sys(EG_WARN, "create", x->conf.state_dir, errno);
	err = eg_write_atomic(path, "armed\n", 6, 0600);
	if (err)
		eg_log_sys(EG_WARN, "write", path, -err);
}

/* ---- commands run for the daemon ---- */

static void reap(struct dctx *x)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		/* the failover waits for its commands' ends (EG_FE_DONE) */
		if (!eg_failover_reaped(&x->fo, pid, st, now_ms()) &&
		    (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			eg_log(EG_WARN, "daemon: command (pid %ld) ended with status %d",
			       (long)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- shutdown ---- */

static void reason_text(const struct dctx *x, enum eg_dreason r, const char *detail,
			char *buf, size_t size)
{
	char a[24], b[24];

	switch (r) {
	case EG_R_CONFIRM:
		eg_fmt_duration(a, sizeof a, x->conf.confirm_s);
		snprintf(buf, size, "not confirmed within %s (confirm_timeout)", a);
		break;
	case EG_R_CHECKIN:
		eg_fmt_duration(a, sizeof a, x->conf.checkin_s);
		eg_fmt_duration(b, sizeof b, x->conf.checkin_grace_s);
		snprintf(buf, size, "check-in missed: none within %s, nor %s after restarting the "
			 "network", a, b);
		break;
	case EG_R_OPERATOR:
		snprintf(buf, size, "operator: %s", detail && detail[0] ? detail : "no reason given");
		break;
	case EG_R_SHUTDOWN:
		snprintf(buf, size, "shutdown by the init system%s%s", detail ? ": " : "",
			 detail ? detail : "");
		break;
	case EG_R_HEAL:
		snprintf(buf, size, "%s", detail && detail[0] ? detail : "network self-heal");
		break;
	case EG_R_NONE:
		snprintf(buf, size, "unknown");
		break;
	}
}

/*
 * Every shutdown runs under the watchdog at shutdown_timeout: set it, pet
 * once, record that the shutdown began, and never pet again.  A shutdown
 * that hangs ends in a hardware reset; the next boot reports it.
 */
static void begin_shutdown(struct dctx *x, enum eg_dreason r, const char *detail)
{
	uint32_t t = x->conf.shutdown_s;
	int err;

	/* whatever takes this machine down, the peer holds its own reboot
	 * until we are back (or its bound ends) */
	eg_peerd_say(&x->peer, EG_PEER_REBOOTING, now_ms());
	reason_text(x, r, detail, x->shutdown_reason, sizeof x->shutdown_reason);
	if (r != EG_R_SHUTDOWN)
		eg_log(EG_ERR, "orderly reboot: %s", x->shutdown_reason);
	if (x->wdt_fd >= 0) {
		err = eg_wdt_set_timeout(x->wdt_fd, &t);
		if (err)
			eg_log_sys(EG_ERR, "set the shutdown timeout of", x->device, -err);
		else
			x->timeout_s = t;
		err = eg_wdt_pet(x->wdt_fd);
		if (err)
			eg_log_sys(EG_ERR, "pet", x->device, -err);
	}
	eg_record_append(x->conf.record, "shutdown", "rootfs", x->shutdown_reason);
	if (x->wdt_fd >= 0)
		eg_log(EG_ERR, "shutdown begun: watchdog timeout %lus (%s)", (unsigned long)x->timeout_s,
		       x->shutdown_reason);
	else
		eg_log(EG_ERR, "shutdown begun: no watchdog to bound it (%s)", x->shutdown_reason);
	if (r != EG_R_SHUTDOWN) {
#ifdef EG_NO_REBOOT
		/* The host test build never reboots the machine running the tests. */
		eg_log(EG_NOTICE, "test build: reboot command suppressed: %s", x->conf.reboot_command);
#else
		eg_spawn("reboot command", x->conf.reboot_command);
#endif
	}
}

/* ---- status ---- */

static void json_str(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

static void status_values(const struct dctx *x, int64_t now, const char **confirm_state,
			  int64_t *confirm_left, const char **checkin_state, int64_t *checkin_left)
{
	const struct eg_daemon *d = &x->d;

	*confirm_left = 0;
	*checkin_left = 0;
	*checkin_state = "off";
	if (d->confirm_deadline_ms == 0)
		*confirm_state = "off";
	else if (d->confirmed)
		*confirm_state = "confirmed";
	else {
		*confirm_state = d->shutting_down ? "expired" : "pending";
		*confirm_left = d->confirm_deadline_ms > now ? (d->confirm_deadline_ms - now) / 1000 : 0;
	}
	switch (d->checkin) {
	case EG_CI_OFF: *checkin_state = "off"; break;
	case EG_CI_DISARMED: *checkin_state = "not armed"; break;
	case EG_CI_ARMED:
		*checkin_state = "armed";
		*checkin_left = d->checkin_due_ms > now ? (d->checkin_due_ms - now) / 1000 : 0;
		break;
	case EG_CI_RESTARTED:
		*checkin_state = "missed";
		*checkin_left = d->checkin_reboot_ms > now ? (d->checkin_reboot_ms - now) / 1000 : 0;
		break;
	}
}

static void status_text(const struct dctx *x, char *out, size_t size, bool json)
{
	int64_t now = now_ms(), cl, kl;
	const char *cs, *ks;
	char pet[24], at[24], conf_at[24];
	char e1[EG_MSG_MAX * 2], e2[EG_REASON_MAX * 2], e3[80], e4[EG_PATH_MAX * 2];
	char e5[EG_MSG_MAX * 2], boot[80], grub[EG_MSG_MAX], heal[700], peer[400], fo[400];
	struct eg_grubstat g;
	const char *trial, *entry;

	eg_heal_status(&x->heal, now, json, heal, sizeof heal);
	eg_peerd_status(&x->peer, now, json, peer, sizeof peer);
	eg_failover_status(&x->fo, now, json, fo, sizeof fo);
	eg_grub_state(&x->conf, x->cmdline, &g);
	trial = g.s.trial < 0 ? "" : eg_entry_name[g.s.trial];
	entry = g.b.entry < 0 ? "" : eg_entry_name[g.b.entry];
	status_values(x, now, &cs, &cl, &ks, &kl);
	fmt_secs(pet, sizeof pet, now - x->d.last_pet_ms);
	fmt_secs(at, sizeof at, x->start_ms);
	fmt_secs(conf_at, sizeof conf_at, x->d.confirmed_ms);
	if (json) {
		json_str(e1, sizeof e1, x->previous);
		json_str(e2, sizeof e2, x->shutdown_reason);
		json_str(e3, sizeof e3, x->identity);
		json_str(e4, sizeof e4, x->device);
		json_str(e5, sizeof e5, g.err);
		snprintf(out, size,
			 "{\"watchdog_device\":\"%s\",\"watchdog_identity\":\"%s\","
			 "\"watchdog_timeout_s\":%lu,\"watchdog\":\"%s\",\"last_pet_ms_ago\":%lld,"
			 "\"handoff\":\"%s\",\"handoff_guard_pid\":%ld,\"open_since_initramfs\":%s,"
			 "\"daemon_started_at_s\":%s,\"boot_id\":\"%s\",\"previous_boot\":\"%s\","
			 "\"boot_entry\":\"%s\",\"boot_attempt\":%d,\"grubenv_error\":\"%s\","
			 "\"grub_default\":\"%s\",\"grub_one_shot\":\"%s\",\"grub_max_tries\":%d,"
			 "\"grub_A_tries\":%d,\"grub_B_tries\":%d,\"grub_recovery_tries\":%d,"
			 "\"confirm_state\":\"%s\",\"confirm_left_s\":%lld,\"checkin_state\":\"%s\","
			 "\"checkin_left_s\":%lld,\"shutdown\":\"%s\"%.320s",
			 e4, e3, (unsigned long)x->timeout_s,
			 x->wdt_fd >= 0 ? "armed" : x->stopped_ms ? "stopped" : "none",
			 (long long)(x->wdt_fd >= 0 ? now - x->d.last_pet_ms : -1),
			 x->from_guard ? "guard" : "self", x->guard_pid,
			 x->from_guard && x->wdt_fd >= 0 ? "true" : "false", at, x->boot_id, e1,
			 entry, g.b.attempt, e5, eg_entry_name[g.s.def], trial, g.s.max_tries,
			 g.s.tries[0], g.s.tries[1], g.s.tries[2], cs,
			 (long long)cl, ks, (long long)kl, x->d.shutting_down ? e2 : "", heal);
		snprintf(out + strlen(out), size - strlen(out), "%.320s%.320s}\n", peer, fo);
		return;
	}
	if (g.b.entry < 0)
		snprintf(boot, sizeof boot, "none%s%s", g.bad ? ": " : "", g.bad ? g.bad : "");
	else
		snprintf(boot, sizeof boot, "%s, attempt %c of %d", entry,
			 g.b.attempt < 0 ? '?' : '0' + g.b.attempt,
			 g.b.entry == EG_E_TRIAL ? 1 : g.s.max_tries);
	if (g.err[0])
		eg_copy(grub, sizeof grub, g.err);
	else
		snprintf(grub, sizeof grub, "default %s, one-shot %s, tries A %d, B %d, recovery %d "
			 "of %d", eg_entry_name[g.s.def], trial[0] ? trial : "none", g.s.tries[0],
			 g.s.tries[1], g.s.tries[2], g.s.max_tries);
	{
		char handoff[200], confirm[80], checkin[80];

		if (x->from_guard)
			snprintf(handoff, sizeof handoff,
				 "received from the initramfs guard (pid %ld) at %ss; %s", x->guard_pid,
				 at, x->wdt_fd >= 0 ? "open since the initramfs, no gap" :
						      "the guard had no watchdog");
		else if (x->wdt_fd >= 0)
			snprintf(handoff, sizeof handoff, "no initramfs guard; opened by the daemon at %ss",
				 at);
		else
			snprintf(handoff, sizeof handoff, "no initramfs guard, and no watchdog could be "
				 "opened");
		if (strcmp(cs, "pending") == 0)
			snprintf(confirm, sizeof confirm, "pending, %llds left (earlyguard disarm)",
				 (long long)cl);
		else if (strcmp(cs, "confirmed") == 0)
			snprintf(confirm, sizeof confirm, "confirmed at %ss", conf_at);
		else
			snprintf(confirm, sizeof confirm, "off");
		if (strcmp(ks, "armed") == 0)
			snprintf(checkin, sizeof checkin, "due in %llds", (long long)kl);
		else if (strcmp(ks, "missed") == 0)
			snprintf(checkin, sizeof checkin, "missed, network restarted, reboot in %llds",
				 (long long)kl);
		else
			snprintf(checkin, sizeof checkin, "%s", ks);
		char wd[EG_PATH_MAX + 160];

		if (x->wdt_fd >= 0)
			snprintf(wd, sizeof wd, "%s (%s), timeout %lus, last pet %ss ago", x->device,
				 x->identity, (unsigned long)x->timeout_s, pet);
		else if (x->stopped_ms)
			snprintf(wd, sizeof wd, "STOPPED by the operator at %lld.%03llds (%s): hangs are "
				 "not caught; earlyguard watchdog start re-arms it",
				 (long long)(x->stopped_ms / 1000), (long long)(x->stopped_ms % 1000),
				 x->device);
		else
			snprintf(wd, sizeof wd, "NONE (%s): only software deadlines guard this machine",
				 x->device);
		snprintf(out, size,
			 "watchdog: %s\n"
			 "handoff: %s\n"
			 "boot_id: %s\n"
			 "previous_boot: %s\n"
			 "boot_entry: %s\n"
			 "grubenv: %s\n"
			 "confirm: %s\n"
			 "checkin: %s\n"
			 "%s%s%s"
			 "shutdown: %s%s%s\n",
			 wd, handoff, x->boot_id, x->previous, boot, grub, confirm, checkin, heal, fo, peer,
			 x->d.shutting_down ? "begun (" : "none", x->d.shutting_down ? x->shutdown_reason : "",
			 x->d.shutting_down ? ")" : "");
	}
}

/* ---- control requests ---- */

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
			return false;
	return true;
}

static void reply(int fd, const char *text)
{
	int err = eg_send_msg(fd, text, strlen(text), -1);

	if (err && err != -EPIPE)
		eg_log_sys(EG_WARN, "answer", "a control request", -err);
}

static void handle_request(struct dctx *x, struct client *cl)
{
	static char out[EG_CTL_REPLY_MAX];
	char req[EG_CTL_MAX];
	long n = eg_recv_msg(cl->fd, req, sizeof req, 0, NULL);
	int64_t now = now_ms();
	struct eg_daction a;

	if (n == -EAGAIN || n == -ETIMEDOUT)
		return; /* not yet */
	if (n < 0)
		goto done;
	if (n == 0) {
		/* an empty message, or the client closed: either way, say so */
		eg_log(EG_WARN, "control: refused an empty message from pid %ld", cl->pid);
		reply(cl->fd, "REFUSED empty request\n");
		goto done;
	}
	if ((size_t)n >= sizeof req) {
		eg_log(EG_WARN, "control: refused a message of %ld bytes from pid %ld (at most %d)", n,
		       cl->pid, EG_CTL_MAX - 1);
		snprintf(out, sizeof out, "REFUSED message too long (%ld bytes; at most %d)\n", n,
			 EG_CTL_MAX - 1);
		reply(cl->fd, out);
		goto done;
	}
	if (n > 0 && req[n - 1] == '\n')
		n--;
	req[n] = '\0';
	if (!printable(req, (size_t)n)) {
		eg_log(EG_WARN, "control: refused a malformed message (%ld bytes) from pid %ld", n,
		       cl->pid);
		reply(cl->fd, "REFUSED malformed request (not printable text)\n");
		goto done;
	}
	if (strcmp(req, "DISARM") == 0) {
		int64_t left = (x->d.confirm_deadline_ms - now) / 1000;
		char grub[EG_MSG_MAX];
		int g;

		a = eg_daemon_step(&x->d, now, EG_D_DISARM);
		if (a.result == 0) {
			eg_log(EG_NOTICE, "disarm: boot confirmed %llds before the confirm deadline",
			       (long long)left);
			eg_record_append(x->conf.record, "confirmed", "rootfs", "");
			snprintf(out, sizeof out,
				 "OK\nboot confirmed: the confirm deadline is cleared (%llds were left)\n",
				 (long long)left);
		} else if (x->d.shutting_down) {
			snprintf(out, sizeof out, "REFUSED too late: shutting down (%s)\n",
				 x->shutdown_reason);
		} else if (x->d.confirm_deadline_ms == 0) {
			snprintf(out, sizeof out, "OK\nnothing to clear: confirm is off (confirm_timeout=0)\n");
		} else {
			snprintf(out, sizeof out, "OK\nalready confirmed\n");
		}
		/* GRUB's count, also when already confirmed (a retry after a
		 * failed grubenv write) or with the deadline off.  A failure
		 * does not undo the confirmation. */
		g = x->d.shutting_down ? 0 : eg_grub_confirm(&x->conf, x->cmdline, grub, sizeof grub);
		if (g > 0)
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s\n", grub);
		else if (g < 0)
			snprintf(out, sizeof out, "FAILED %s (the boot is confirmed all the same: "
				 "run earlyguard disarm again once it is fixed)\n", grub);
		reply(cl->fd, out);
	} else if (strcmp(req, "CHECKIN") == 0 || strcmp(req, "CHECKIN-DISABLE") == 0) {
		bool disable = req[7] == '-';
		enum eg_checkin before = x->d.checkin;
		a = eg_daemon_step(&x->d, now, disable ? EG_D_CHECKIN_DISABLE : EG_D_CHECKIN);
		if (a.result < 0) {
			reply(cl->fd, x->d.shutting_down ?
					      "REFUSED too late: shutting down\n" :
					      "REFUSED check-in is off (checkin_interval=0 in the configuration)\n");
		} else if (disable) {
			checkin_persist(x, false);
			if (a.result == 0)
				eg_log(EG_NOTICE, "checkin: disarmed by the operator");
			reply(cl->fd, a.result ? "OK\ncheck-in was not armed\n" : "OK\ncheck-in disarmed\n");
		} else {
			char every[24];
			eg_fmt_duration(every, sizeof every, x->conf.checkin_s);
			if (before == EG_CI_DISARMED)
				checkin_persist(x, true);
			eg_log(EG_NOTICE, "checkin: %s; next due in %s",
			       before == EG_CI_DISARMED ? "armed by the first check-in" : "received", every);
			snprintf(out, sizeof out, "OK\ncheck-in %s; next due in %s\n",
				 before == EG_CI_DISARMED ? "armed" : "received", every);
			reply(cl->fd, out);
		}
	} else if (strncmp(req, "INHIBIT ", 8) == 0) {
		uint64_t ms;
		char msg[EG_MSG_MAX];

		if (!eg_parse_u64(req + 8, &ms) || ms > (uint64_t)7 * 24 * 3600 * 1000) {
			reply(cl->fd, "REFUSED inhibit takes a duration of at most 7 days\n");
		} else if (x->d.shutting_down) {
			reply(cl->fd, "REFUSED too late: shutting down\n");
		} else if (eg_heal_inhibit(&x->heal, now, (int64_t)ms, msg, sizeof msg) != 0) {
			snprintf(out, sizeof out, "REFUSED %s\n", msg);
			reply(cl->fd, out);
		} else {
			snprintf(out, sizeof out, "OK\n%s\n", msg);
			reply(cl->fd, out);
		}
	} else if (strcmp(req, "STATUS") == 0 || strcmp(req, "STATUS-JSON") == 0) {
		memcpy(out, "OK\n", 3);
		status_text(x, out + 3, sizeof out - 3, req[6] == '-');
		reply(cl->fd, out);
	} else if (strcmp(req, "WATCHDOG-STOP") == 0) {
		if (x->wdt_fd < 0) {
			reply(cl->fd, "REFUSED there is no open watchdog to stop\n");
		} else if (x->d.shutting_down) {
			reply(cl->fd, "REFUSED shutting down: the watchdog stays armed\n");
		} else {
			/* The magic close: the one place earlyguard stops the
			 * hardware, and only because an operator asked. */
			ssize_t w = write(x->wdt_fd, "V", 1);
			close(x->wdt_fd);
			x->wdt_fd = -1;
			x->d.has_wdt = false;
			x->stopped_ms = now;
			eg_log(EG_ERR, "WATCHDOG STOPPED by the operator (pid %ld)%s: hangs of this machine "
			       "are no longer caught; the confirm and check-in deadlines still apply; "
			       "`earlyguard watchdog start` re-arms it", cl->pid,
			       w == 1 ? "" : " (the magic close could not be written: it may still bite)");
			reply(cl->fd, "OK\nthe hardware watchdog is STOPPED: hangs are no longer caught; "
			      "`earlyguard watchdog start` re-arms it\n");
		}
	} else if (strcmp(req, "WATCHDOG-START") == 0) {
		const char *step = "";
		int r;

		if (x->wdt_fd >= 0) {
			reply(cl->fd, "OK\nthe watchdog is already armed\n");
		} else if ((r = eg_wdt_open(&x->wdt, x->device, x->conf.timeout_s, &step)) != 0) {
			snprintf(out, sizeof out, "REFUSED unable to %s %s: %s\n", step, x->device,
				 strerror(-r));
			reply(cl->fd, out);
		} else {
			x->wdt_fd = x->wdt.fd;
			x->timeout_s = x->wdt.timeout_s;
			x->d.has_wdt = true;
			x->d.pet_every_ms = eg_pet_interval_ms(x->timeout_s);
			x->d.last_pet_ms = now;
			x->stopped_ms = 0;
			eg_log(EG_NOTICE, "watchdog re-armed by the operator: %s, timeout %lus", x->device,
			       (unsigned long)x->timeout_s);
			snprintf(out, sizeof out, "OK\nwatchdog re-armed: %s, timeout %lus\n", x->device,
				 (unsigned long)x->timeout_s);
			reply(cl->fd, out);
		}
	} else if (strncmp(req, "REBOOT ", 7) == 0 || strcmp(req, "SHUTDOWN-BEGIN") == 0) {
		bool op = req[0] == 'R';
		a = eg_daemon_step(&x->d, now, op ? EG_D_REBOOT : EG_D_SHUTDOWN);
		if (!a.shutdown) {
			snprintf(out, sizeof out, "OK\nalready shutting down (%s)\n", x->shutdown_reason);
			reply(cl->fd, out);
		} else {
			reason_text(x, a.reason, op ? req + 7 : NULL, out + 3, sizeof out - 3);
			memcpy(out, "OK\n", 3);
			strncat(out, op ? "; orderly reboot begun\n" : "; shutdown begun\n",
				sizeof out - strlen(out) - 1);
			reply(cl->fd, out);
			begin_shutdown(x, a.reason, op ? req + 7 : NULL);
		}
	} else {
		eg_log(EG_WARN, "control: refused an unknown request from pid %ld: \"%.40s\"", cl->pid,
		       req);
		reply(cl->fd, "REFUSED unknown request\n");
	}
done:
	close(cl->fd);
	cl->fd = -1;
}

static void accept_clients(struct dctx *x)
{
	for (;;) {
		int fd = accept4(x->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct client *slot = NULL;
		long uid = -1, pid = -1;

		if (fd < 0)
			return;
		for (int i = 0; i < EG_CTL_CLIENTS; i++)
			if (x->clients[i].fd < 0) {
				slot = &x->clients[i];
				break;
			}
		if (eg_peer_cred(fd, &uid, &pid) != 0 || uid != 0) {
			/* the socket is 0600 already; this is the second lock */
			eg_log(EG_WARN, "control: refused uid %ld (pid %ld): only root may control "
			       "earlyguard", uid, pid);
			reply(fd, "REFUSED only root may control earlyguard\n");
			close(fd);
			continue;
		}
		if (!slot) {
			reply(fd, "REFUSED busy: too many control connections\n");
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->uid = uid;
		slot->pid = pid;
		slot->deadline_ms = now_ms() + EG_CTL_CLIENT_MS;
	}
}

/* ---- start ---- */

static void notify_ready(int notify_fd)
{
	const char *ns = getenv("NOTIFY_SOCKET");

	if (ns && (ns[0] == '/' || ns[0] == '@')) {
		struct sockaddr_un sa;
		size_t len = strlen(ns);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		if (fd >= 0 && len < sizeof sa.sun_path) {
			memcpy(sa.sun_path, ns, len);
			if (ns[0] == '@')
				sa.sun_path[0] = '\0'; /* abstract namespace */
			if (sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa,
				   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
				eg_log_sys(EG_WARN, "notify", ns, errno);
		}
		if (fd >= 0)
			close(fd);
	}
	if (notify_fd >= 0) {
		/* s6: a newline on the notification fd, then close it */
		if (eg_write_all(notify_fd, "\n", 1) != 0)
			eg_log_sys(EG_WARN, "write readiness to", "the notification fd", errno);
		close(notify_fd);
	}
}

static void take_watchdog(struct dctx *x)
{
	char state[EG_HANDOFF_STATE_MAX], v[EG_MSG_MAX];
	uint64_t u;
	const char *step = "";
	int fd = -1, r = eg_handoff_take(&fd, state, sizeof state);

	eg_copy(x->device, sizeof x->device, x->conf.device);
	if (r == 0) {
		x->from_guard = true;
		x->wdt_fd = fd;
		if (eg_state_get(state, "pid", v, sizeof v) && eg_parse_u64(v, &u))
			x->guard_pid = (long)u;
		if (eg_state_get(state, "device", v, sizeof v))
			eg_copy(x->device, sizeof x->device, v);
		if (eg_state_get(state, "identity", v, sizeof v))
			eg_copy(x->identity, sizeof x->identity, v);
		if (eg_state_get(state, "timeout", v, sizeof v) && eg_parse_u64(v, &u))
			x->timeout_s = (uint32_t)u;
		if (eg_state_get(state, "previous_boot", v, sizeof v) && v[0])
			eg_copy(x->previous, sizeof x->previous, v);
		if (eg_state_get(state, "record_counted", v, sizeof v) && strcmp(v, "1") == 0)
			x->record_counted = true;
		if (fd >= 0)
			eg_log(EG_NOTICE, "daemon: took over the watchdog from the initramfs guard (pid %ld): "
			       "%s open since the initramfs, no gap", x->guard_pid, x->device);
		else
			eg_log(EG_ERR, "daemon: the initramfs guard had no watchdog (%s); only software "
			       "deadlines guard this machine",
			       eg_state_get(state, "watchdog_note", v, sizeof v) ? v : "no reason given");
		return;
	}
	if (r != -ENOENT && r != -ECONNREFUSED)
		eg_log_sys(EG_WARN, "take the watchdog from", "the initramfs guard", -r);
	x->record_counted = false;
	/* No guard: a machine not booted through earlyguard's initramfs. */
	if (x->conf.driver[0] && access(x->conf.device, F_OK) != 0)
		eg_load_modules(x->conf.driver, x->cmdline, EG_DRIVER_BOUND_MS);
	r = eg_wdt_open(&x->wdt, x->conf.device, x->conf.timeout_s, &step);
	if (r == 0) {
		bool wd = x->wdt.have_bootstatus && (x->wdt.bootstatus & WDIOF_CARDRESET);

		x->wdt_fd = x->wdt.fd;
		x->timeout_s = x->wdt.timeout_s;
		eg_copy(x->identity, sizeof x->identity, x->wdt.identity);
		eg_log(EG_NOTICE, "daemon: no initramfs guard; opened %s (%s) itself, timeout %lus",
		       x->device, x->identity, (unsigned long)x->timeout_s);
		x->bootstatus_reset = wd;
		if (wd)
			eg_copy(x->previous, sizeof x->previous, "ended in a watchdog reset");
	} else {
		x->wdt_fd = -1;
		eg_log(EG_ERR, "daemon: warning: no watchdog: unable to %s %s: %s; only software "
		       "deadlines guard this machine", step, x->conf.device, strerror(-r));
	}
}

int eg_cmd_daemon(const struct eg_opts *o, int notify_fd)
{
	static struct dctx x; /* static: keeps the big buffers off the stack */
	char pid[24];
	int err;

	memset(&x, 0, sizeof x);
	x.wdt_fd = -1;
	x.ctl_fd = -1;
	for (int i = 0; i < EG_CTL_CLIENTS; i++)
		x.clients[i].fd = -1;
	eg_log_init(true);
	x.start_ms = now_ms();
	eg_load_conf(&x.conf, o->conf_path, o->cmdline_path, x.cmdline, sizeof x.cmdline, true);
	eg_copy(x.previous, sizeof x.previous, "unknown (no boot record)");
	if (eg_read_file("/proc/sys/kernel/random/boot_id", x.boot_id, sizeof x.boot_id, NULL) > 0)
		x.boot_id[strcspn(x.boot_id, "\n")] = '\0';
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		eg_log_sys(EG_ERR, "create", "the signal pipe", errno);
		return EG_EXIT_SYS;
	}
	setup_signals();
	if (mkdir(eg_run_path(NULL), 0755) != 0 && errno != EEXIST)
		eg_log_sys(EG_ERR, "create", eg_run_path(NULL), errno);

	take_watchdog(&x);
	/* Count this boot in the record when the initramfs did not (no guard,
	 * or the guard never saw the record device). */
	if (!x.record_counted && x.conf.record[0]) {
		bool clean = true;
		if (eg_record_begin_boot(x.conf.record, "rootfs", x.bootstatus_reset, x.previous,
					 sizeof x.previous, &clean) == 0)
			eg_log(clean ? EG_NOTICE : EG_WARN, "previous boot: %s", x.previous);
	}
	eg_daemon_init(&x.d, now_ms(), x.wdt_fd >= 0 ? x.timeout_s : x.conf.timeout_s,
		       x.wdt_fd >= 0, x.conf.confirm_s, x.conf.checkin_s, x.conf.checkin_grace_s,
		       x.conf.checkin_s && checkin_armed_persisted(&x));
	eg_peerd_start(&x.peer, &x.conf, now_ms());
	eg_heal_start(&x.heal, &x.conf, &x.peer, &x.fo, now_ms());
	eg_failover_start(&x.fo, &x.conf, &x.heal.link, x.heal.healthy, now_ms());

	x.ctl_fd = eg_sock_listen(eg_run_path("control"), 0600);
	if (x.ctl_fd < 0)
		eg_log_sys(EG_ERR, "listen on", eg_run_path("control"), -x.ctl_fd);
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	err = eg_write_atomic(eg_run_path("daemon.pid"), pid, strlen(pid), 0644);
	if (err)
		eg_log_sys(EG_WARN, "write", eg_run_path("daemon.pid"), -err);
	{
		char c[24], k[24];
		eg_fmt_duration(c, sizeof c, x.conf.confirm_s);
		eg_fmt_duration(k, sizeof k, x.conf.checkin_s);
		eg_log(EG_NOTICE, "daemon: ready; confirm %s%s, check-in %s%s", x.conf.confirm_s ? "within " : "off",
		       x.conf.confirm_s ? c : "", x.conf.checkin_s ? "every " : "off",
		       x.conf.checkin_s ? k : "");
	}
	notify_ready(notify_fd);

	for (;;) {
		struct pollfd pf[2 + EG_CTL_CLIENTS + EG_PEERD_FDS + EG_HEAL_FDS + EG_FAILOVER_FDS];
		int64_t now = now_ms(), wait, wake;
		struct eg_daction a = eg_daemon_step(&x.d, now, EG_D_TICK);
		int n = 0, hn, h0, pn, p0, fn, f0, pr;

		if (a.pet) {
			err = eg_wdt_pet(x.wdt_fd);
			if (err)
				eg_log_sys(EG_ERR, "pet", x.device, -err);
		}
		if (a.restart_network) {
			char g[24];
			eg_fmt_duration(g, sizeof g, x.conf.checkin_grace_s);
			eg_log(EG_ERR, "checkin missed: restarting the network: %s (reboot in %s unless a "
			       "check-in arrives)", x.conf.network_restart[0] ? x.conf.network_restart :
										"no network_restart configured", g);
			eg_spawn("network restart", x.conf.network_restart);
		}
		if (a.shutdown)
			begin_shutdown(&x, a.reason, NULL);
		wait = a.wake_ms - now;
		pf[n++] = (struct pollfd){sig_pipe[0], POLLIN, 0};
		pf[n++] = (struct pollfd){x.ctl_fd, POLLIN, 0};
		for (int i = 0; i < EG_CTL_CLIENTS; i++) {
			struct client *cl = &x.clients[i];
			if (cl->fd < 0)
				continue;
			if (now >= cl->deadline_ms) {
				eg_log(EG_WARN, "control: pid %ld sent no request within %dms; closed",
				       cl->pid, EG_CTL_CLIENT_MS);
				close(cl->fd);
				cl->fd = -1;
				continue;
			}
			if (cl->deadline_ms - now < wait)
				wait = cl->deadline_ms - now;
			pf[n++] = (struct pollfd){cl->fd, POLLIN, 0};
		}
		wake = now + wait;
		/* the peer watch outlives a shutdown begun: it keeps saying
		 * rebooting until the daemon is gone */
		p0 = n;
		pn = eg_peerd_fds(&x.peer, pf + n, now, &wake);
		n += pn;
		h0 = n;
		hn = x.d.shutting_down ? 0 : eg_heal_fds(&x.heal, pf + n, now, &wake);
		n += hn;
		f0 = n;
		fn = x.d.shutting_down ? 0 : eg_failover_fds(&x.fo, pf + n, now, &wake);
		n += fn;
		wait = wake - now;
		if (wait < 0)
			wait = 0;
		pr = poll(pf, (nfds_t)n, (int)(wait > 60000 ? 60000 : wait));
		if (pr < 0)
			for (int i = 0; i < n; i++)
				pf[i].revents = 0;
		/* the peer's news first: the self-heal's guards read it */
		eg_peerd_run(&x.peer, pf + p0, pn, now_ms());
		if (!x.d.shutting_down && eg_heal_run(&x.heal, pf + h0, hn, now_ms())) {
			struct eg_daction s = eg_daemon_step(&x.d, now_ms(), EG_D_HEAL);
			if (s.shutdown)
				begin_shutdown(&x, s.reason, x.heal.reason);
		}
		if (!x.d.shutting_down)
			eg_failover_run(&x.fo, pf + f0, fn, now_ms());
		if (pr <= 0)
			continue;
		if (pf[0].revents) {
			unsigned char sig;
			while (read(sig_pipe[0], &sig, 1) == 1) {
				if (sig == SIGCHLD) {
					reap(&x);
				} else if (sig == SIGTERM || sig == SIGINT) {
					struct eg_daction s = eg_daemon_step(&x.d, now_ms(), EG_D_SHUTDOWN);
					if (s.shutdown)
						begin_shutdown(&x, s.reason, sig == SIGTERM ? "SIGTERM" : "SIGINT");
					/* Exit without the magic close: the watchdog stays
					 * armed at the shutdown timeout. */
					eg_log(EG_NOTICE, "daemon: exiting on %s; the watchdog stays armed",
					       sig == SIGTERM ? "SIGTERM" : "SIGINT");
					_exit(EG_EXIT_OK);
				}
			}
		}
		if (pf[1].revents)
			accept_clients(&x);
		for (int i = 0; i < EG_CTL_CLIENTS; i++)
			if (x.clients[i].fd >= 0)
				handle_request(&x, &x.clients[i]);
	}
}
