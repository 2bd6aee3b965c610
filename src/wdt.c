/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wdt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/watchdog.h>

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int eg_wdt_pet(int fd)
{
	int dummy = 0, err = xioctl(fd, WDIOC_KEEPALIVE, &dummy);

	/* Some drivers only take the write form of a ping; any byte but the
	 * magic 'V' pings without arming the magic close. */
	if (err == -ENOTTY || err == -EOPNOTSUPP || err == -EINVAL) {
		ssize_t n;
		do
			n = write(fd, "", 1);
		while (n < 0 && errno == EINTR);
		err = n == 1 ? 0 : n < 0 ? -errno : -EIO;
	}
	return err;
}

int eg_wdt_set_timeout(int fd, uint32_t *timeout_s)
{
	int t = (int)*timeout_s, err;

	/* The driver writes back the timeout it really programmed. */
	err = xioctl(fd, WDIOC_SETTIMEOUT, &t);
	if (err == 0 && t > 0)
		*timeout_s = (uint32_t)t;
	return err;
}

int eg_wdt_open(struct eg_wdt *w, const char *dev, uint32_t timeout_s, const char **step)
{
	struct watchdog_info info;
	int bs = 0, t = 0, err;

	memset(w, 0, sizeof *w);
	/* Opening starts the hardware: from here on it must be petted. */
	w->fd = open(dev, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (w->fd < 0) {
		*step = "open";
		return -errno;
	}
	memset(&info, 0, sizeof info);
	if (xioctl(w->fd, WDIOC_GETSUPPORT, &info) == 0) {
		size_t n = 0;
		while (n < sizeof info.identity && n < sizeof w->identity - 1 && info.identity[n]) {
			char ch = (char)info.identity[n];
			w->identity[n++] = (ch >= ' ' && ch < 0x7f) ? ch : '?';
		}
		w->identity[n] = '\0';
		w->options = info.options;
	}
	if (w->identity[0] == '\0')
		eg_copy(w->identity, sizeof w->identity, "unknown");
	w->timeout_s = timeout_s;
	err = eg_wdt_set_timeout(w->fd, &w->timeout_s);
	if (err != 0) {
		w->timeout_refused = true;
		if (xioctl(w->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0) {
			w->timeout_s = (uint32_t)t;
		} else {
			/* It is running and we cannot learn when it bites: closing
			 * it would reset the machine on every boot.  Keep it and
			 * pet often enough for any timeout of 2 s or more. */
			w->timeout_unknown = true;
			w->timeout_s = EG_WDT_UNKNOWN_TIMEOUT_S;
		}
	}
	if (xioctl(w->fd, WDIOC_GETBOOTSTATUS, &bs) == 0) {
		w->bootstatus = (uint32_t)bs;
		w->have_bootstatus = true;
	}
	/* A failed first ping is reported; the guard keeps trying, and if
	 * pings never work the hardware resets the machine, as it would if
	 * we closed it now. */
	w->first_pet_err = eg_wdt_pet(w->fd);
	return 0;
}

void eg_wdt_bootstatus_text(uint32_t bits, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *text;
	} names[] = {
		{WDIOF_CARDRESET, "watchdog reset"},
		{WDIOF_OVERHEAT, "overheat"},
		{WDIOF_FANFAULT, "fan fault"},
		{WDIOF_POWERUNDER, "power under"},
		{WDIOF_POWEROVER, "power over"},
		{WDIOF_EXTERN1, "external 1"},
		{WDIOF_EXTERN2, "external 2"},
	};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		int n;
		if (!(bits & names[i].bit))
			continue;
		n = snprintf(buf + o, size - o, "%s%s", o ? ", " : "", names[i].text);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	if (o == 0)
		snprintf(buf, size, "normal");
}
