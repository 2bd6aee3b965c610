/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guard: forked by init, it owns the watchdog fd, pets it and enforces
 * the initramfs deadline.  It survives switch_root (it notices PID 1's root
 * change and moves into the new root, so it never touches an initramfs path
 * after the initramfs is deleted) and keeps petting in the rootfs.
 *
 * It never writes the magic close: whatever kills it leaves the hardware
 * running, and the machine resets within one timeout.
 */
#include "roles.h"
#include "guard_logic.h"
#include "record.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/watchdog.h>

/* Stop looking for a record device this long after reaching the rootfs. */
#define EG_RECORD_GIVEUP_MS 60000

struct guard_ctx {
	struct eg_guard_args *a;
	struct eg_guard g;
	int procfd;
	dev_t root_dev;
	ino_t root_ino;
	/* the boot record */
	bool rec_done;   /* found and this boot's entry written */
	bool rec_warned;
	bool rec_have_prev;
	struct eg_record rec_prev;
	char rec_path[EG_PATH_MAX];
	char previous[EG_MSG_MAX];
};

static void write_state(struct guard_ctx *c)
{
	char buf[2048], bs[96] = "unknown";
	const struct eg_wdt *w = &c->a->wdt;
	int err;

	if (w->have_bootstatus)
		eg_wdt_bootstatus_text(w->bootstatus, bs, sizeof bs);
	snprintf(buf, sizeof buf,
		 "pid=%ld\nstage=%s\nwatchdog=%s\ndevice=%s\nidentity=%s\ntimeout=%lu\n"
		 "pet_interval_ms=%lld\nstarted_at_ms=%lld\ndeadline_at_ms=%lld\n"
		 "switched_at_ms=%lld\nbootstatus=%s\nprevious_boot=%s\nwatchdog_note=%s\n",
		 (long)getpid(), eg_stage_name(c->g.stage), w->fd >= 0 ? "armed" : "none",
		 c->a->conf.device, w->fd >= 0 ? w->identity : "", (unsigned long)w->timeout_s,
		 (long long)c->g.pet_every_ms, (long long)c->g.started_ms,
		 (long long)(c->g.stage == EG_STAGE_INITRAMFS ? c->g.deadline_ms : 0),
		 (long long)c->g.switched_ms, bs, c->previous, c->a->wdt_note);
	err = eg_write_atomic(eg_run_path("state"), buf, strlen(buf), 0644);
	if (err)
		eg_log_sys(EG_WARN, "write", eg_run_path("state"), -err);
}

static void record_event(struct guard_ctx *c, const char *event, const char *reason)
{
	int err;

	if (!c->rec_done)
		return;
	err = eg_record_write(c->rec_path, c->rec_have_prev ? &c->rec_prev : NULL, event,
			      eg_stage_name(c->g.stage), reason, false);
	if (err) {
		eg_log_sys(EG_WARN, "write the boot record to", c->rec_path, -err);
		return;
	}
	/* keep the chain: the next write goes to the other slot */
	if (eg_record_read(c->rec_path, &c->rec_prev) == 0)
		c->rec_have_prev = true;
}

/* The record device may appear only after the init loads storage drivers:
 * look on every wakeup until it does. */
static void record_poll(struct guard_ctx *c, int64_t now)
{
	const char *spec = c->a->conf.record;
	bool wd = c->a->wdt.have_bootstatus && (c->a->wdt.bootstatus & WDIOF_CARDRESET);
	int err;

	if (c->rec_done || spec[0] == '\0')
		return;
	if (eg_record_resolve(spec, c->rec_path, sizeof c->rec_path) != 0) {
		if (c->g.stage == EG_STAGE_ROOTFS && now - c->g.switched_ms > EG_RECORD_GIVEUP_MS &&
		    !c->rec_warned) {
			eg_log(EG_WARN, "record device %s not found; how boots end is not recorded",
			       spec);
			c->rec_warned = true;
		}
		return;
	}
	err = eg_record_read(c->rec_path, &c->rec_prev);
	c->rec_have_prev = err == 0;
	if (err != 0 && err != -ENOENT)
		eg_log_sys(EG_WARN, "read the boot record from", c->rec_path, -err);
	eg_record_describe(c->rec_have_prev ? &c->rec_prev : NULL, wd, c->previous,
			   sizeof c->previous);
	eg_log(c->rec_have_prev && strcmp(c->rec_prev.event, "reboot") != 0 ? EG_WARN : EG_NOTICE,
	       "previous boot: %s", c->previous);
	err = eg_record_write(c->rec_path, c->rec_have_prev ? &c->rec_prev : NULL, "boot",
			      eg_stage_name(c->g.stage), "", true);
	if (err) {
		eg_log_sys(EG_WARN, "write the boot record to", c->rec_path, -err);
		return;
	}
	c->rec_done = true;
	c->rec_have_prev = eg_record_read(c->rec_path, &c->rec_prev) == 0;
	write_state(c);
}

/* Has PID 1 moved to another root (switch_root)? */
static bool switched(struct guard_ctx *c)
{
	struct stat st;

	if (c->procfd < 0 || fstatat(c->procfd, "1/root", &st, 0) != 0)
		return false;
	return st.st_dev != c->root_dev || st.st_ino != c->root_ino;
}

/* Follow PID 1 into the new root: from here on, paths resolve there and
 * the deleted initramfs is never touched again. */
static void enter_new_root(struct guard_ctx *c)
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

void eg_guard_run(struct eg_guard_args *a)
{
	struct guard_ctx c;
	struct stat st;
	char pid[24], reason[EG_REASON_MAX];
	int nul;

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
		      a->conf.deadline_s, a->wdt.fd >= 0);
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	nul = eg_write_atomic(eg_run_path("guard.pid"), pid, strlen(pid), 0644);
	if (nul != 0)
		eg_log_sys(EG_WARN, "write", eg_run_path("guard.pid"), -nul);
	write_state(&c);
	if (a->ready_fd >= 0) {
		eg_write_all(a->ready_fd, "r", 1);
		close(a->ready_fd);
	}

	for (;;) {
		int64_t now = eg_now_ms();
		enum eg_event ev = EG_EV_TICK;
		struct eg_action act;

		if (c.g.stage == EG_STAGE_INITRAMFS && switched(&c))
			ev = EG_EV_SWITCHED;
		act = eg_guard_step(&c.g, now, ev);
		if (act.pet) {
			int err = eg_wdt_pet(a->wdt.fd);
			if (err)
				eg_log_sys(EG_ERR, "pet", a->conf.device, -err);
		}
		if (act.entered_rootfs) {
			enter_new_root(&c);
			eg_log(EG_NOTICE, "switch_root seen %lld.%03llds after earlyguard init started; guarding the new root",
			       (long long)((now - c.g.started_ms) / 1000),
			       (long long)((now - c.g.started_ms) % 1000));
			write_state(&c);
			record_event(&c, "rootfs", "");
		}
		record_poll(&c, now);
		if (act.reboot) {
			snprintf(reason, sizeof reason,
				 "initramfs deadline: no switch_root within %lus of earlyguard init starting",
				 (unsigned long)a->conf.deadline_s);
			write_state(&c);
			record_event(&c, "reboot", reason);
			eg_reboot(reason);
		}
		eg_sleep_ms(act.wake_ms - eg_now_ms());
	}
}
