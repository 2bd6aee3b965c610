/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One message format everywhere: "earlyguard: what happened: why".
 *
 * In the initramfs the kernel log is the only log there is: it carries the
 * kernel's timestamps, survives to the rootfs' journal and is what the
 * console shows.  A message also goes to stderr when the console would not
 * show it (console_loglevel filters it) or there is no kernel log, so an
 * operator at the console never misses a warning and never sees one twice.
 */
#include "eg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int kmsg_fd = -1;
static int console_level = 7; /* the kernel's default console_loglevel */

void eg_log_init(bool use_kmsg)
{
	const char *path = "/dev/kmsg";
	const char *override = getenv("EARLYGUARD_KMSG");
	char buf[64];

	if (kmsg_fd >= 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}
	/* Test seam: a file to receive kernel-log lines, or "-" for none. */
	if (override != NULL && override[0] != '\0')
		path = strcmp(override, "-") == 0 ? NULL : override;
	if (!use_kmsg || path == NULL)
		return;
	kmsg_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY |
				     (override != NULL ? O_CREAT : 0), 0600);
	if (eg_read_file("/proc/sys/kernel/printk", buf, sizeof buf, NULL) > 0) {
		/* The first field is console_loglevel. */
		uint64_t v;
		buf[strcspn(buf, " \t\n")] = '\0';
		if (eg_parse_u64(buf, &v) && v <= 15)
			console_level = (int)v;
	}
	if (override != NULL)
		console_level = 0; /* tests want stderr too, deterministically */
}

static void emit(enum eg_level lvl, const char *msg)
{
	char line[EG_MSG_MAX + 32];
	int n;
	bool shown = false;

	if (kmsg_fd >= 0) {
		n = snprintf(line, sizeof line, "<%d>earlyguard: %s\n", (int)lvl, msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
			/* /dev/kmsg takes one record per write. */
			if (write(kmsg_fd, line, len) == (ssize_t)len)
				shown = (int)lvl < console_level;
		}
	}
	if (!shown) {
		n = snprintf(line, sizeof line, "earlyguard: %s\n", msg);
		if (n > 0)
			eg_write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	}
}

void eg_log(enum eg_level lvl, const char *fmt, ...)
{
	char msg[EG_MSG_MAX];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit(lvl, msg);
	errno = saved;
}

void eg_log_sys(enum eg_level lvl, const char *verb, const char *obj, int err)
{
	eg_log(lvl, "unable to %s %s: %s", verb, obj, strerror(err));
}

void eg_console(const char *fmt, ...)
{
	char msg[EG_MSG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	eg_write_all(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}
