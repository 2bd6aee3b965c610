/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard init: the first thing the initramfs runs.  Every step is
 * bounded and a failed step is logged and survived: the one thing that must
 * happen is that the machine ends up guarded, by the hardware watchdog if
 * there is one and by the software deadline in any case.
 */
#include "roles.h"
#include "guard_logic.h"
#include "modload.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/watchdog.h>

/* Bounds for the steps of init. */
#define EG_MODLOAD_BOUND_MS 10000 /* loading the watchdog driver */
#define EG_DEVWAIT_BOUND_MS 2000  /* its device node appearing */
#define EG_READY_BOUND_MS 2000    /* the guard reporting it runs */

/*
 * A driver's init can hang in the kernel: load from a child so that only
 * the child hangs, and stop waiting at end_ms.  0 when loaded; -ETIMEDOUT
 * (the child is left stuck in the kernel) or -1 with why filled.
 */
static int load_in_child(const char *name, const char *cmdline, int64_t end_ms,
			 char *why, size_t whylen)
{
	struct pollfd pf;
	size_t got = 0;
	bool done = false;
	int pfd[2], st = 0;
	pid_t pid;

	why[0] = '\0';
	if (pipe(pfd) != 0) {
		snprintf(why, whylen, "unable to create a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int r;
		close(pfd[0]);
		r = eg_modprobe(name, cmdline, why, whylen);
		if (r != 0)
			eg_write_all(pfd[1], why, strlen(why));
		_exit(r == 0 ? 0 : 1);
	}
	close(pfd[1]);
	if (pid < 0) {
		snprintf(why, whylen, "unable to fork: %s", strerror(errno));
		close(pfd[0]);
		return -1;
	}
	/* the child's reason arrives on the pipe; EOF means it finished */
	pf.fd = pfd[0];
	pf.events = POLLIN;
	while (!done) {
		int64_t left = end_ms - eg_now_ms();
		int r;

		if (left <= 0)
			break;
		r = poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			ssize_t k = read(pfd[0], why + got, whylen - 1 - got);
			if (k > 0)
				got += (size_t)k;
			else if (k == 0)
				done = true;
		}
	}
	why[got] = '\0';
	close(pfd[0]);
	if (!done)
		return -ETIMEDOUT;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (why[0] == '\0')
		snprintf(why, whylen, "load failed");
	return -1;
}

int eg_load_modules(const char *list, const char *cmdline, int64_t bound_ms)
{
	int64_t end = eg_now_ms() + bound_ms;
	int failures = 0;

	for (const char *p = list; *p;) {
		char name[EG_MODNAME_MAX], why[EG_MSG_MAX];
		size_t n = strcspn(p, ",");
		int r;

		if (n == 0 || n >= sizeof name) {
			p += n + (p[n] == ',');
			continue;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (p[n] == ',');
		r = load_in_child(name, cmdline, end, why, sizeof why);
		if (r == -ETIMEDOUT) {
			eg_log(EG_ERR, "loading module %s did not finish within %llds; going on without it",
			       name, (long long)bound_ms / 1000);
			failures++;
		} else if (r != 0) {
			eg_log(EG_ERR, "module %s: %s", name, why);
			failures++;
		}
	}
	return failures;
}

/* After the driver registers, devtmpfs creates the node; give it a moment. */
static void wait_for_device(const char *dev, int64_t bound_ms)
{
	int64_t end = eg_now_ms() + bound_ms;
	struct stat st;

	while (stat(dev, &st) != 0 && errno == ENOENT && eg_now_ms() < end)
		eg_sleep_ms(10);
}

static void report_bootstatus(const struct eg_wdt *w)
{
	char text[128];

	if (!w->have_bootstatus)
		return;
	eg_wdt_bootstatus_text(w->bootstatus, text, sizeof text);
	if (w->bootstatus & WDIOF_CARDRESET)
		eg_log(EG_WARN, "the previous boot ended in a watchdog reset (bootstatus: %s)", text);
	else
		eg_log(EG_INFO, "watchdog bootstatus: %s", text);
}

int eg_cmd_init(const struct eg_opts *o, int argc, char **argv)
{
	struct eg_guard_args ga;
	struct eg_mount_err merr[4];
	char cmdline[EG_CMDLINE_MAX];
	int64_t t_conf, t_driver;
	int nmerr, pfd[2];
	const char *step = "";
	pid_t pid;
	int r;

	memset(&ga, 0, sizeof ga);
	ga.started_ms = eg_now_ms();
	ga.wdt.fd = -1;
	ga.argv0 = o->argv0;

	/* /dev first: without it there is no kernel log to report to. */
	nmerr = eg_mount_basics(merr);
	eg_log_init(true);
	for (int i = 0; i < nmerr; i++)
		eg_log_sys(EG_ERR, "mount", merr[i].what, merr[i].err);

	eg_load_conf(&ga.conf, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, true);

	t_conf = eg_now_ms();
	if (ga.conf.driver[0])
		eg_load_modules(ga.conf.driver, cmdline, EG_MODLOAD_BOUND_MS);
	wait_for_device(ga.conf.device, ga.conf.driver[0] ? EG_DEVWAIT_BOUND_MS : 0);
	t_driver = eg_now_ms();

	r = eg_wdt_open(&ga.wdt, ga.conf.device, ga.conf.timeout_s, &step);
	if (r == 0) {
		char note[80] = "";

		if (ga.wdt.timeout_unknown)
			snprintf(note, sizeof note, " (driver neither sets nor reports it: assumed)");
		else if (ga.wdt.timeout_refused)
			snprintf(note, sizeof note, " (asked for %lus: refused by the driver)",
				 (unsigned long)ga.conf.timeout_s);
		else if (ga.wdt.timeout_s != ga.conf.timeout_s)
			snprintf(note, sizeof note, " (asked for %lus)", (unsigned long)ga.conf.timeout_s);
		int64_t t_armed = eg_now_ms();

		eg_log(EG_NOTICE,
		       "armed %s (%s) timeout %lus%s, pet every %lldms, initramfs deadline %lus, "
		       "armed in %lldms (mounts and config %lldms, driver %lldms, device %lldms)",
		       ga.conf.device, ga.wdt.identity, (unsigned long)ga.wdt.timeout_s, note,
		       (long long)eg_pet_interval_ms(ga.wdt.timeout_s),
		       (unsigned long)ga.conf.deadline_s, (long long)(t_armed - ga.started_ms),
		       (long long)(t_conf - ga.started_ms), (long long)(t_driver - t_conf),
		       (long long)(t_armed - t_driver));
		report_bootstatus(&ga.wdt);
		if (ga.wdt.first_pet_err)
			eg_log_sys(EG_ERR, "pet", ga.conf.device, -ga.wdt.first_pet_err);
	} else {
		snprintf(ga.wdt_note, sizeof ga.wdt_note, "unable to %s %s: %s", step,
			 ga.conf.device, strerror(-r));
		eg_log(EG_ERR,
		       "warning: no watchdog: %s; only the software deadline (%lus) guards this boot, "
		       "a kernel or guard hang will NOT reset the machine",
		       ga.wdt_note, (unsigned long)ga.conf.deadline_s);
	}

	eg_panic_policy(&ga.conf, cmdline);

	if (mkdir(eg_run_path(NULL), 0755) != 0 && errno != EEXIST)
		eg_log_sys(EG_ERR, "create", eg_run_path(NULL), errno);

	if (pipe(pfd) != 0) {
		eg_log_sys(EG_ERR, "create", "the guard's readiness pipe", errno);
		pfd[0] = pfd[1] = -1;
	}
	pid = fork();
	if (pid == 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		ga.ready_fd = pfd[1];
		eg_guard_run(&ga);
	}
	if (pid < 0) {
		/* Without a guard the hardware bites within one timeout: that is
		 * the bounded outcome, and better than an unguarded boot. */
		eg_log_sys(EG_ERR, "fork", "the guard (the watchdog will reset the machine)", errno);
	} else if (pfd[0] >= 0) {
		struct pollfd pf = {pfd[0], POLLIN, 0};
		char c;

		close(pfd[1]);
		if (poll(&pf, 1, EG_READY_BOUND_MS) <= 0 || read(pfd[0], &c, 1) != 1)
			eg_log(EG_ERR, "the guard did not report ready within %dms",
			       EG_READY_BOUND_MS);
		close(pfd[0]);
	}
	/* The guard holds the watchdog now; our copy closes (and, being a
	 * second reference, does not stop it). */
	if (ga.wdt.fd >= 0)
		close(ga.wdt.fd);

	if (argc > 1) {
		execv(argv[1], argv + 1);
		eg_log_sys(EG_ERR, "execute", argv[1], errno);
		return EG_EXIT_SYS;
	}
	return EG_EXIT_OK;
}
