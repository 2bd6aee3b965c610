/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal TAP producer for the C unit tests. */
#ifndef EG_UNIT_H
#define EG_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_run, unit_failed;

void unit_ok(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* s with newlines and tabs shown as \n and \t, into buf[size]: TAP
 * descriptions are one line.  Returns buf. */
const char *unit_shown(const char *s, char *buf, size_t size);

#define CHECK(cond, ...) unit_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STR(got, want, ...)                                                     \
	do {                                                                          \
		const char *g_ = (got), *w_ = (want);                                 \
		int ok_ = strcmp(g_, w_) == 0;                                        \
		unit_ok(ok_, __FILE__, __LINE__, __VA_ARGS__);                        \
		if (!ok_)                                                             \
			printf("#   got:  \"%s\"\n#   want: \"%s\"\n", g_, w_);       \
	} while (0)
#define CHECK_INT(got, want, ...)                                                     \
	do {                                                                          \
		long long g_ = (long long)(got), w_ = (long long)(want);              \
		unit_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__);                   \
		if (g_ != w_)                                                         \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);           \
	} while (0)

void test_conf(void);
void test_cmdline(void);
void test_guard(void);
void test_record(void);
void test_modload(void);
void test_util(void);
void test_daemon(void);
void test_grubenv(void);
void test_bootsel(void);
void test_manifest(void);
void test_http(void);
void test_netcfg(void);
void test_verify(void);
void test_fetch(void);
void test_kexec(void);
void test_peer(void);
void test_uplink(void);
void test_heal(void);
void test_failover(void);

#endif
