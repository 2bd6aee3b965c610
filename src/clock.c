/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time for every decision comes from CLOCK_BOOTTIME: it never jumps with
 * the wall clock (boxes without an RTC boot in 1970) and it keeps counting
 * across suspend, so a deadline cannot be "paused" by sleeping.
 */
#include "eg.h"

#include <errno.h>
#include <time.h>

#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif

#ifdef __KLIBC__
/* klibc has no clock_gettime(); call the system call directly. */
#include <asm/unistd.h>

static long raw_clock_gettime(long clk, struct timespec *ts)
{
	long ret;
#if defined(__x86_64__)
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)__NR_clock_gettime), "D"(clk), "S"(ts)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = __NR_clock_gettime;
	register long x0 __asm__("x0") = clk;
	register long x1 __asm__("x1") = (long)ts;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
	ret = x0;
#else
#error "earlyguard: add the clock_gettime system call for this architecture"
#endif
	return ret;
}
#endif

int64_t eg_now_ms(void)
{
	struct timespec ts;
#ifdef __KLIBC__
	if (raw_clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		raw_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
#else
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void eg_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}
