/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guard: forked by init, it owns the watchdog fd, pets it and enforces
 * the initramfs deadline.  It survives switch_root (it notices PID 1's root
 * change and moves into the new root, so it never touches an initramfs path
 * after the initramfs is deleted), then waits for the rootfs daemon to take
 * the watchdog over its handoff socket, and reboots if none does within
 * handoff_timeout.
 *
 * It never writes the magic close: whatever kills it leaves the hardware
 * running, and the machine resets within one timeout.
 */
#include "roles.h"
#include "ctl.h"
#include "guard_logic.h"
#include "handoff.h"
#include "record.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/watchdog.h>

/* Stop looking for a record device this long after reaching the rootfs. */
#define EG_RECORD_GIVEUP_MS 60000

struct guard_ctx {
	struct eg_guard_args *a;
	struct eg_guard g;
	int procfd;
	int listen_fd; /* the handoff socket, or -1 */
	dev_t root_dev;
	ino_t root_ino;
	bool rec_done; /* the record was found and this boot counted in it */
	bool rec_warned;
	char previous[EG_MSG_MAX];
};

/* The guard's state as key=value lines: the state file, and what the
 * daemon receives with the watchdog. */
static void format_state(const struct guard_ctx *c, char *buf, size_t size)
{
	const struct eg_wdt *w = &c->a->wdt;
	char bs[96] = "unknown";

	if (w->have_bootstatus)
		eg_wdt_bootstatus_text(w->bootstatus, bs, sizeof bs);
	snprintf(buf, size,
		 "pid=%ld\nstage=%s\nwatchdog=%s\ndevice=%s\nidentity=%s\ntimeout=%lu\n"
		 "pet_interval_ms=%lld\nstarted_at_ms=%lld\ndeadline_at_ms=%lld\n"
		 "switched_at_ms=%lld\nhandoff_deadline_at_ms=%lld\nbootstatus=%s\n"
		 "previous_boot=%s\nwatchdog_note=%s\nrecord_counted=%d\n",
		 (long)getpid(), eg_stage_name(c->g.stage), w->fd >= 0 ? "armed" : "none",
		 c->a->conf.device, w->fd >= 0 ? w->identity : "", (unsigned long)w->timeout_s,
		 (long long)c->g.pet_every_ms, (long long)c->g.started_ms,
		 (long long)(c->g.stage == EG_STAGE_INITRAMFS ? c->g.deadline_ms : 0),
		 (long long)c->g.switched_ms,
		 (long long)(c->g.stage == EG_STAGE_ROOTFS && c->g.handoff_ms ?
				     c->g.switched_ms + c->g.handoff_ms : 0),
		 bs, c->previous, c->a->wdt_note, c->rec_done ? 1 : 0);
}

static void write_state(const struct guard_ctx *c)
{
	char buf[EG_HANDOFF_STATE_MAX];
	int err;

	format_state(c, buf, sizeof buf);
	err = eg_write_atomic(eg_run_path("state"), buf, strlen(buf), 0644);
	if (err)
		eg_log_sys(EG_WARN, "write", eg_run_path("state"), -err);
}

static void record_event(const struct guard_ctx *c, const char *event, const char *reason)
{
	if (c->rec_done)
		eg_record_append(c->a->conf.record, event, eg_stage_name(c->g.stage), reason);
}

/* The record device may appear only after the init loads storage drivers:
 * look on every wakeup until it does, then report the previous boot and
 * count this one. */
static void record_poll(struct guard_ctx *c, int64_t now)
{
	const char *spec = c->a->conf.record;
	bool wd = c->a->wdt.have_bootstatus && (c->a->wdt.bootstatus & WDIOF_CARDRESET);
	bool clean;
	int err;

	if (c->rec_done || spec[0] == '\0')
		return;
	err = eg_record_begin_boot(spec, eg_stage_name(c->g.stage), wd, c->previous,
				   sizeof c->previous, &clean);
	if (err == -ENOENT) {
		if (c->g.stage == EG_STAGE_ROOTFS && now - c->g.switched_ms > EG_RECORD_GIVEUP_MS &&
		    !c->rec_warned) {
			eg_log(EG_WARN, "record device %s not found; how boots end is not recorded",
			       spec);
			c->rec_warned = true;
		}
		return;
	}
	eg_log(clean ? EG_NOTICE : EG_WARN, "previous boot: %s", c->previous);
	/* a record that cannot be written is not retried on every wakeup */
	c->rec_done = true;
	write_state(c);
}

/* Has PID 1 moved to another root (switch_root)? */
static bool switched(const struct guard_ctx *c)
{
	struct stat st;

	if (c->procfd < 0 || fstatat(c->procfd, "1/root", &st, 0) != 0)
		return false;
	return st.st_dev != c->root_dev || st.st_ino != c->root_ino;
}

/* Follow PID 1 into the new root: from here on, paths resolve there and
 * the deleted initramfs is never touched again. */
static void enter_new_root(const struct guard_ctx *c)
{
	int fd = openat(c->procfd, "1/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fchdir(fd) != 0 || chroot(".") != 0 || chdir("/") != 0)
		eg_log_sys(EG_ERR, "enter", "the new root (status files stay behind)", errno);
	if (fd >= 0)
		close(fd);
}

static void ignore_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				   SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
	struct sigaction sa;

	/* Only SIGKILL may stop the guard, and that leaves the hardware
	 * armed.  A broadcast SIGTERM at shutdown must not end the petting
	 * before the kernel's final reboot. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

/* PID 1 switched root: follow it, and say so. */
static void enter_rootfs(struct guard_ctx *c, int64_t now)
{
	enter_new_root(c);
	eg_log(EG_NOTICE,
	       "switch_root seen %lld.%03llds after earlyguard init started; guarding the new root",
	       (long long)((now - c->g.started_ms) / 1000), (long long)((now - c->g.started_ms) % 1000));
	write_state(c);
	record_event(c, "rootfs", "");
}

/* A connection on the handoff socket: the daemon asks for the watchdog.
 * Returns only if the handoff did not happen. */
static void serve_handoff(struct guard_ctx *c, int64_t now)
{
	char state[EG_HANDOFF_STATE_MAX];
	long who;
	int conn = accept(c->listen_fd, NULL, NULL);

	if (conn < 0)
		return;
	/* The daemon may start before our next look at PID 1's root. */
	if (c->g.stage == EG_STAGE_INITRAMFS && switched(c)) {
		struct eg_action act = eg_guard_step(&c->g, now, EG_EV_SWITCHED);
		if (act.entered_rootfs)
			enter_rootfs(c, now);
	}
	if (c->g.stage != EG_STAGE_ROOTFS) {
		eg_log(EG_WARN, "guard: a handoff was asked for before switch_root; refused");
		close(conn);
		return;
	}
	format_state(c, state, sizeof state);
	/* A stalled exchange must not starve the watchdog: pet first, and
	 * give each of the two steps at most half a pet interval. */
	if (c->g.has_wdt && eg_wdt_pet(c->a->wdt.fd) == 0)
		c->g.last_pet_ms = now;
	if (!eg_handoff_serve(conn, c->a->wdt.fd, state, (int)(c->g.pet_every_ms / 2), &who)) {
		close(conn);
		return;
	}
	close(conn);
	eg_log(EG_NOTICE, "guard: handed the watchdog to the daemon (pid %ld); exiting", who);
	unlink(eg_run_path("guard.sock"));
	unlink(eg_run_path("guard.pid"));
	_exit(EG_EXIT_OK);
}

void eg_guard_run(struct eg_guard_args *a)
{
	struct guard_ctx c;
	struct stat st;
	char pid[24], reason[EG_REASON_MAX];
	int nul, err;

	memset(&c, 0, sizeof c);
	c.a = a;
	setsid();
	ignore_signals();
	/* systemd spares initrd processes whose argv[0] starts with '@'. */
	if (a->argv0 && a->argv0[0])
		a->argv0[0] = '@';
	if (chdir("/") != 0)
		eg_log_sys(EG_WARN, "change directory to", "/", errno);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (nul > 2)
			close(nul);
	}
	/* Keep /proc open: the mount moves into the new root at switch_root. */
	c.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0 || fstatat(c.procfd, "1/root", &st, 0) != 0) {
		eg_log_sys(EG_ERR, "watch", "/proc/1/root (switch_root will not be noticed)", errno);
	} else {
		c.root_dev = st.st_dev;
		c.root_ino = st.st_ino;
	}
	eg_guard_init(&c.g, a->started_ms, a->wdt.fd >= 0 ? a->wdt.timeout_s : a->conf.timeout_s,
		      a->conf.deadline_s, a->conf.handoff_s, a->wdt.fd >= 0);
	/* The socket lives on /run, which moves into the new root: the daemon
	 * finds it at the same path after switch_root. */
	c.listen_fd = eg_sock_listen(eg_run_path("guard.sock"), 0600);
	if (c.listen_fd < 0) {
		eg_log_sys(EG_ERR, "listen on", eg_run_path("guard.sock"), -c.listen_fd);
		c.listen_fd = -1;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	err = eg_write_atomic(eg_run_path("guard.pid"), pid, strlen(pid), 0644);
	if (err != 0)
		eg_log_sys(EG_WARN, "write", eg_run_path("guard.pid"), -err);
	write_state(&c);
	if (a->ready_fd >= 0) {
		eg_write_all(a->ready_fd, "r", 1);
		close(a->ready_fd);
	}

	for (;;) {
		int64_t now = eg_now_ms();
		enum eg_event ev = EG_EV_TICK;
		struct eg_action act;
		struct pollfd pf = {c.listen_fd, POLLIN, 0};
		int64_t wait;

		if (c.g.stage == EG_STAGE_INITRAMFS && switched(&c))
			ev = EG_EV_SWITCHED;
		act = eg_guard_step(&c.g, now, ev);
		if (act.pet) {
			err = eg_wdt_pet(a->wdt.fd);
			if (err)
				eg_log_sys(EG_ERR, "pet", a->conf.device, -err);
		}
		if (act.entered_rootfs)
			enter_rootfs(&c, now);
		record_poll(&c, now);
		if (act.reboot) {
			if (act.why == EG_G_HANDOFF)
				snprintf(reason, sizeof reason,
					 "no daemon took over within %lus of switch_root",
					 (unsigned long)a->conf.handoff_s);
			else
				snprintf(reason, sizeof reason,
					 "initramfs deadline: no switch_root within %lus of earlyguard "
					 "init starting",
					 (unsigned long)a->conf.deadline_s);
			write_state(&c);
			record_event(&c, "reboot", reason);
			eg_reboot(reason);
		}
		wait = act.wake_ms - eg_now_ms();
		if (wait < 0)
			wait = 0;
		if (poll(&pf, c.listen_fd >= 0 ? 1 : 0, (int)wait) > 0)
			serve_handoff(&c, eg_now_ms());
	}
}
