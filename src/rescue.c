/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard rescue REASON: what an init runs instead of an emergency shell.
 * It says why on the console, opens a shell there for a bounded window (a
 * person at the console can use it; nobody has to), and then reboots.  The
 * guard's initramfs deadline keeps running: it ends the window early if it
 * comes first.
 */
#include "roles.h"
#include "record.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define EG_SHELL "/bin/sh"
/* Remind the console of the time left this often, and in the last 10 s. */
#define EG_REMIND_MS 15000

static pid_t start_shell(void)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setsid();
#ifndef EG_NO_REBOOT
	{
		int fd = open("/dev/console", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			/* steal the console as controlling tty (arg 1) */
			ioctl(fd, TIOCSCTTY, (void *)1);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
#endif
	/* The host test build keeps the caller's stdio: tests drive the shell
	 * and the machine's real console is left alone. */
	{
		static char ps1[] = "PS1=(earlyguard rescue) # ";
		static char *const env[] = {ps1, (char *)"PATH=/sbin:/bin:/usr/sbin:/usr/bin",
					    (char *)"HOME=/", NULL};
		static char *const argv[] = {(char *)"sh", (char *)"-i", NULL};
		execve(EG_SHELL, argv, env);
	}
	_exit(127);
}

/* Seconds to the guard's deadline, if a guard is running. */
static bool guard_deadline_left(int64_t now, int64_t *left_ms)
{
	char state[2048], v[32];
	uint64_t at;

	if (eg_read_file(eg_run_path("state"), state, sizeof state, NULL) <= 0 ||
	    !eg_state_get(state, "deadline_at_ms", v, sizeof v) || !eg_parse_u64(v, &at) || at == 0)
		return false;
	*left_ms = (int64_t)at - now;
	return true;
}

int eg_cmd_rescue(const struct eg_opts *o, const char *why, bool shell_allowed)
{
	struct eg_conf conf;
	char cmdline[EG_CMDLINE_MAX], reason[EG_REASON_MAX], win[24];
	int64_t now, end, left, next_remind;
	pid_t shell = -1;
	bool exited = false, last_call = false;

	eg_log_init(true);
	/* init already reported configuration problems; do not repeat them */
	eg_load_conf(&conf, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
	snprintf(reason, sizeof reason, "rescue: %s", why);
	now = eg_now_ms();
	end = now + (int64_t)conf.rescue_s * 1000;
	eg_log(EG_ERR, "rescue: %s", why);
	if (guard_deadline_left(now, &left) && left < end - now) {
		end = now + (left > 0 ? left : 0);
		eg_log(EG_ERR, "rescue: the initramfs deadline comes first, in %llds",
		       (long long)(left > 0 ? left / 1000 : 0));
	}
	if (!shell_allowed && end > now) {
		eg_log(EG_ERR, "rescue: no shell was asked for (--no-shell); rebooting now");
		end = now;
	}
	eg_fmt_duration(win, sizeof win, (uint64_t)((end - now + 999) / 1000));
	if (end > now) {
		eg_log(EG_ERR,
		       "rescue: a shell is open on the console for %s; the machine reboots when it "
		       "ends or when the shell exits",
		       win);
		shell = start_shell();
		if (shell < 0)
			eg_log_sys(EG_ERR, "start", EG_SHELL, errno);
	}
	next_remind = now + EG_REMIND_MS;
	while ((now = eg_now_ms()) < end) {
		int st;

		if (shell > 0 && waitpid(shell, &st, WNOHANG) == shell) {
			exited = true;
			break;
		}
		if (now >= next_remind || (!last_call && end - now <= 10000)) {
			last_call = end - now <= 10000;
			eg_log(EG_ERR, "rescue: rebooting in %llds (%s)",
			       (long long)((end - now + 999) / 1000), why);
			next_remind = now + EG_REMIND_MS;
		}
		eg_sleep_ms(end - now < 200 ? end - now : 200);
	}
	if (shell > 0 && !exited) {
		/* the shell is a session leader: end its whole group */
		kill(-shell, SIGKILL);
		kill(shell, SIGKILL);
		waitpid(shell, NULL, 0);
	}
	if (exited)
		eg_log(EG_ERR, "rescue: the shell exited");
	eg_record_append(conf.record, "reboot", "initramfs", reason);
	eg_reboot(reason);
}
