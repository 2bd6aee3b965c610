/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sys.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MS_NOSUID
#define MS_NOSUID 2
#endif

bool eg_mount_point(const char *dir)
{
	char parent[EG_PATH_MAX + 4];
	struct stat a, b;

	if (!eg_fmt(parent, sizeof parent, "%s/..", dir) || stat(dir, &a) != 0 ||
	    stat(parent, &b) != 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

int eg_mount_basics(struct eg_mount_err errs[4])
{
	static const struct {
		const char *dir, *type, *opts;
		unsigned long flags;
	} m[] = {
		{"/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
		{"/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
		{"/dev", "devtmpfs", "mode=0755", MS_NOSUID},
		{"/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV},
	};
	int n = 0;

	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		if (eg_mount_point(m[i].dir))
			continue;
		if (mkdir(m[i].dir, 0755) != 0 && errno != EEXIST) {
			errs[n].what = m[i].dir;
			errs[n++].err = errno;
			continue;
		}
		if (mount(m[i].type, m[i].dir, m[i].type, m[i].flags, m[i].opts) != 0 &&
		    errno != EBUSY) {
			errs[n].what = m[i].dir;
			errs[n++].err = errno;
		}
	}
	return n;
}

static bool cmdline_has(const char *cmdline, const char *key)
{
	struct eg_word w;
	int r;

	while ((r = eg_cmdline_next(&cmdline, &w)) != 0)
		if (r > 0 && strcmp(w.key, key) == 0)
			return true;
	return false;
}

static void sysctl_if_zero(const char *name, const char *path, const char *value,
			   const char *why_text)
{
	char buf[32];
	long n = eg_read_file(path, buf, sizeof buf, NULL);
	int err;

	if (n < 0) {
		if (n != -ENOENT)
			eg_log_sys(EG_WARN, "read", path, (int)-n);
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "0") != 0)
		return;
	/* /proc/sys files take a plain write, not a rename */
	{
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			eg_log_sys(EG_WARN, "open", path, errno);
			return;
		}
		err = eg_write_all(fd, value, strlen(value));
		close(fd);
	}
	if (err)
		eg_log_sys(EG_WARN, "write", path, -err);
	else
		eg_log(EG_NOTICE, "%s was 0 (%s); set to %s", name, why_text, value);
}

void eg_panic_policy(const struct eg_conf *c, const char *cmdline)
{
	char v[16];

	snprintf(v, sizeof v, "%lu", (unsigned long)c->panic_s);
	/* panic=0 means wait forever, whoever chose it: never on this box. */
	sysctl_if_zero("kernel.panic", "/proc/sys/kernel/panic", v, "wait forever after a panic");
	if (!cmdline_has(cmdline, "oops") && !cmdline_has(cmdline, "panic_on_oops"))
		sysctl_if_zero("kernel.panic_on_oops", "/proc/sys/kernel/panic_on_oops", "1",
			       "carry on after an oops");
	if (!cmdline_has(cmdline, "softlockup_panic"))
		sysctl_if_zero("kernel.softlockup_panic", "/proc/sys/kernel/softlockup_panic", "1",
			       "carry on after a soft lockup");
}

struct logctx {
	bool log;
	int problems;
};

static void report(void *ctx, const char *where, const char *msg)
{
	struct logctx *l = ctx;

	l->problems++;
	if (l->log)
		eg_log(EG_ERR, "%s: %s", where, msg);
}

int eg_load_conf(struct eg_conf *c, const char *conf_path, const char *cmdline_path,
		 char *cmdline, size_t cmdline_size, bool log)
{
	char buf[EG_CONF_MAX];
	struct logctx l = {log, 0};
	bool trunc = false;
	long n;

	eg_conf_defaults(c);
	n = eg_read_file(conf_path, buf, sizeof buf, &trunc);
	if (n >= 0) {
		if (trunc) {
			/* never apply a line cut in two: stop at the last whole one */
			char *nl = memrchr(buf, '\n', (size_t)n);
			n = nl ? nl - buf + 1 : 0;
			report(&l, conf_path, "file larger than 16 KiB; lines past the limit are ignored");
		}
		eg_conf_parse_file(c, conf_path, buf, (size_t)n, report, &l);
	} else if (n != -ENOENT) {
		char msg[EG_MSG_MAX];
		snprintf(msg, sizeof msg, "unable to read: %s; using defaults", strerror((int)-n));
		report(&l, conf_path, msg);
	}
	n = eg_read_file(cmdline_path, cmdline, cmdline_size, NULL);
	if (n < 0) {
		char msg[EG_MSG_MAX];
		cmdline[0] = '\0';
		snprintf(msg, sizeof msg, "unable to read %s: %s", cmdline_path, strerror((int)-n));
		report(&l, "kernel command line", msg);
	} else {
		eg_conf_parse_cmdline(c, cmdline, report, &l);
	}
	return l.problems;
}

const char *eg_run_path(const char *name)
{
	static char buf[EG_PATH_MAX];
	const char *dir = getenv("EARLYGUARD_RUN");

	if (dir == NULL || dir[0] != '/')
		dir = EG_RUN_DIR;
	if (name == NULL)
		return dir;
	if (!eg_fmt(buf, sizeof buf, "%s/%s", dir, name))
		return EG_RUN_DIR "/overlong"; /* a path that fails cleanly */
	return buf;
}

bool eg_state_get(const char *state, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = state; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t v = n - klen - 1;
			if (v >= size)
				return false;
			memcpy(out, p + klen + 1, v);
			out[v] = '\0';
			return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static void sys_reboot(void)
{
#ifdef EG_NO_REBOOT
	/* The host test build never reboots the machine running the tests. */
	eg_log(EG_NOTICE, "test build: reboot suppressed");
	_exit(EG_EXIT_OK);
#elif defined(__KLIBC__)
	reboot(LINUX_REBOOT_CMD_RESTART, NULL);
#else
	reboot(RB_AUTOBOOT);
#endif
}

/* How long sync may take before we reboot without it. */
#define EG_SYNC_BOUND_MS 20000

void eg_reboot(const char *reason)
{
	int64_t start = eg_now_ms();
	pid_t pid;

	eg_log(EG_ERR, "rebooting: %s", reason);
	pid = fork();
	if (pid == 0) {
		sync();
		sys_reboot();
		_exit(EG_EXIT_SYS);
	}
	if (pid < 0) {
		eg_log_sys(EG_ERR, "fork", "the reboot helper", errno);
	} else {
		bool ended = false;
		int st = 0;
		/* A hung filesystem can block sync for ever: wait a bounded time. */
		while (eg_now_ms() - start < EG_SYNC_BOUND_MS) {
			pid_t r = waitpid(pid, &st, WNOHANG);
			if (r == pid || (r < 0 && errno != EINTR)) {
				ended = r == pid;
				break;
			}
			eg_sleep_ms(50);
		}
#ifdef EG_NO_REBOOT
		if (ended)
			_exit(EG_EXIT_OK);
#endif
		if (ended)
			eg_log(EG_ERR, "the reboot helper exited (status %d): reboot refused; trying again",
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		else
			eg_log(EG_ERR, "sync and reboot did not finish within %ds; rebooting without sync",
			       EG_SYNC_BOUND_MS / 1000);
	}
	for (;;) {
		sys_reboot();
		/* Still here: the hardware watchdog (no longer petted) resets us. */
		eg_log(EG_ERR, "reboot refused: %s; waiting for the hardware watchdog",
		       strerror(errno));
		eg_sleep_ms(10000);
	}
}
