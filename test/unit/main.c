/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <stdarg.h>

int unit_run, unit_failed;

void unit_ok(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	unit_run++;
	if (!ok)
		unit_failed++;
	printf("%sok %d - ", ok ? "" : "not ", unit_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		printf("#   at %s:%d\n", file, line);
}

const char *unit_shown(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 3 < size; s++) {
		if (*s == '\n' || *s == '\t') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : 't';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

int main(void)
{
	test_util();
	test_conf();
	test_cmdline();
	test_guard();
	test_record();
	test_modload();
	test_daemon();
	test_grubenv();
	test_bootsel();
	test_manifest();
	test_http();
	test_netcfg();
	test_verify();
	test_fetch();
	test_kexec();
	test_peer();
	test_uplink();
	test_heal();
	test_failover();
	printf("1..%d\n", unit_run);
	return unit_failed ? 1 : 0;
}
