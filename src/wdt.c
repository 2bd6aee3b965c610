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
	int dummy = 0;

	return xioctl(fd, WDIOC_KEEPALIVE, &dummy);
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
			/* We cannot know when it bites; refuse to guess. */
			*step = "read the timeout of";
			err = -EOPNOTSUPP;
			goto fail;
		}
	}
	if (xioctl(w->fd, WDIOC_GETBOOTSTATUS, &bs) == 0) {
		w->bootstatus = (uint32_t)bs;
		w->have_bootstatus = true;
	}
	err = eg_wdt_pet(w->fd);
	if (err != 0) {
		*step = "pet";
		goto fail;
	}
	return 0;
fail:
	/* Closing without the magic 'V' leaves it running: the safe side. */
	close(w->fd);
	w->fd = -1;
	return err;
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
