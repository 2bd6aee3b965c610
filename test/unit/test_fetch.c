/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "fetch_logic.h"

#include <stdint.h>

static void backoff_exact(void)
{
	static const int64_t want[] = {0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};

	for (unsigned n = 0; n < sizeof want / sizeof want[0]; n++)
		CHECK_INT(eg_backoff_ms(n, 1000, 60000, EG_JITTER_NONE, 12345), want[n],
			  "backoff without jitter, retry %u", n);
	CHECK_INT(eg_backoff_ms(1, 1000, 500, EG_JITTER_NONE, 0), 500, "a cap below the base wins");
	CHECK_INT(eg_backoff_ms(3, 0, 60000, EG_JITTER_NONE, 0), 0, "base 0: no wait");
	CHECK_INT(eg_backoff_ms(3, 1000, 0, EG_JITTER_NONE, 0), 0, "cap 0: no wait");
	CHECK_INT(eg_backoff_ms(3, -5, 60000, EG_JITTER_FULL, 7), 0, "negative base: no wait");
	/* no n overflows: the doubling stops at the cap */
	CHECK_INT(eg_backoff_ms(UINT32_MAX, 1000, 60000, EG_JITTER_NONE, 0), 60000,
		  "retry 2^32-1 waits the cap");
	CHECK_INT(eg_backoff_ms(200, 3, INT64_MAX, EG_JITTER_NONE, 0), INT64_MAX,
		  "an INT64_MAX cap is reached without overflow");
	CHECK_INT(eg_backoff_ms(64, INT64_MAX / 2 + 1, INT64_MAX, EG_JITTER_NONE, 0), INT64_MAX,
		  "a huge base doubles to the cap, not past it");
	CHECK_INT(eg_backoff_ms(3, 1000, 3000, EG_JITTER_NONE, 0), 3000,
		  "doubling past a cap that is not a power of two stops at it");
}

static void backoff_jitter(void)
{
	static const uint32_t rnds[] = {0, 1, 2, 499, 500, 501, 999, 1000, 1001, 4000, 65535,
					0x7fffffffu, 0x80000000u, UINT32_MAX};
	int bad_full = 0, bad_equal = 0, monotone_bad = 0;

	for (unsigned n = 1; n <= 12; n++) {
		int64_t exp = eg_backoff_ms(n, 1000, 60000, EG_JITTER_NONE, 0);

		for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
			int64_t f = eg_backoff_ms(n, 1000, 60000, EG_JITTER_FULL, rnds[i]);
			int64_t e = eg_backoff_ms(n, 1000, 60000, EG_JITTER_EQUAL, rnds[i]);

			bad_full += f < 0 || f > exp;
			bad_equal += e < exp - exp / 2 || e > exp;
			/* until the cap, equal jitter never waits less than the
			 * retry before it did */
			if (n > 1 && exp >= 2 * eg_backoff_ms(n - 1, 1000, 60000, EG_JITTER_NONE, 0))
				for (size_t j = 0; j < sizeof rnds / sizeof rnds[0]; j++)
					monotone_bad += e < eg_backoff_ms(n - 1, 1000, 60000,
									  EG_JITTER_EQUAL, rnds[j]);
		}
	}
	CHECK_INT(bad_full, 0, "full jitter stays in [0, exp] for 12 retries x 14 random values");
	CHECK_INT(bad_equal, 0, "equal jitter stays in [exp/2, exp]");
	CHECK_INT(monotone_bad, 0, "equal jitter below the cap: retry n+1 never waits less than any retry n");
	CHECK_INT(eg_backoff_ms(1, 1000, 60000, EG_JITTER_FULL, 0), 0, "full, rnd 0: no wait");
	CHECK_INT(eg_backoff_ms(1, 1000, 60000, EG_JITTER_FULL, 1000), 1000, "full, rnd 1000: all");
	CHECK_INT(eg_backoff_ms(1, 1000, 60000, EG_JITTER_FULL, 1001), 0, "full wraps at exp+1");
	CHECK_INT(eg_backoff_ms(1, 1000, 60000, EG_JITTER_EQUAL, 0), 500, "equal, rnd 0: half");
	CHECK_INT(eg_backoff_ms(1, 1000, 60000, EG_JITTER_EQUAL, 500), 1000, "equal, rnd 500: all");
	CHECK_INT(eg_backoff_ms(2, 1000, 60000, EG_JITTER_EQUAL, 250), 1250, "equal, retry 2");
	CHECK_INT(eg_backoff_ms(1, 1, 60000, EG_JITTER_EQUAL, UINT32_MAX), 1 - 0 + 0,
		  "equal of 1 ms is 1 ms (half rounds down, the rest stays)");
	CHECK_INT(eg_backoff_ms(1, 1, 60000, EG_JITTER_FULL, UINT32_MAX), 1, "full of 1 ms, odd rnd");
	CHECK_INT(eg_backoff_ms(40, 1000, INT64_MAX, EG_JITTER_EQUAL, UINT32_MAX),
		  (INT64_C(1000) << 39) - (INT64_C(1000) << 38) +
			  (int64_t)((uint64_t)UINT32_MAX % ((uint64_t)(INT64_C(1000) << 38) + 1)),
		  "equal jitter over a huge delay");
}

static void deadline(void)
{
	CHECK(eg_fetch_may_retry(0, 10000, 9999), "a retry that starts 1 ms before the deadline");
	CHECK(!eg_fetch_may_retry(0, 10000, 10000), "no retry that would start at the deadline");
	CHECK(!eg_fetch_may_retry(0, 10000, 20000), "no retry that would start after it");
	CHECK(!eg_fetch_may_retry(11000, 10000, 0), "no retry after the deadline");
	CHECK(!eg_fetch_may_retry(10000, 10000, 0), "no retry at the deadline");
	CHECK(eg_fetch_may_retry(9999, 10000, 0), "an immediate retry just before it");
	CHECK(!eg_fetch_may_retry(0, 10000, -1), "a negative delay is no retry");

	CHECK_INT(eg_fetch_wait_ms(0, 60000, 10000), 10000, "a wait: the timeout when time is left");
	CHECK_INT(eg_fetch_wait_ms(55000, 60000, 10000), 5000, "a wait: clipped to the deadline");
	CHECK_INT(eg_fetch_wait_ms(60000, 60000, 10000), 0, "a wait at the deadline: 0");
	CHECK_INT(eg_fetch_wait_ms(70000, 60000, 10000), 0, "a wait after the deadline: 0");

	CHECK_INT(eg_fetch_deadline(1000, 600000, 0, 15000), 601000, "no guard: start + deadline");
	CHECK_INT(eg_fetch_deadline(1000, 600000, 900000, 15000), 601000,
		  "a later guard deadline changes nothing");
	CHECK_INT(eg_fetch_deadline(1000, 600000, 500000, 15000), 485000,
		  "an earlier guard deadline, less the margin, wins");
	CHECK_INT(eg_fetch_deadline(1000, 600000, 616000, 15000), 601000,
		  "the guard's deadline less the margin exactly at ours");
	CHECK_INT(eg_fetch_deadline(1000, 600000, 10000, 15000), 1000,
		  "a guard about to fire: the deadline is now");
}

static void boot_wait(void)
{
	/* rnd 0: the low end of equal jitter, half the exponential delay */
	CHECK_INT(eg_fetch_boot_wait_ms(0, 600000, 0), 0, "no earlier failure: no wait");
	CHECK_INT(eg_fetch_boot_wait_ms(0, 600000, UINT32_MAX), 0, "no failure: no wait, any rnd");
	CHECK_INT(eg_fetch_boot_wait_ms(1, 600000, 0), 15000, "1 failure: 15 to 30 s (low)");
	CHECK_INT(eg_fetch_boot_wait_ms(1, 600000, 15000), 30000, "1 failure: 15 to 30 s (high)");
	CHECK_INT(eg_fetch_boot_wait_ms(2, 600000, 0), 30000, "2 failures: 30 to 60 s");
	CHECK_INT(eg_fetch_boot_wait_ms(4, 600000, 120000), 240000, "4 failures: up to 4 min");
	CHECK_INT(eg_fetch_boot_wait_ms(5, 600000, 150000), 300000, "5 failures: the cap, half of 10m");
	CHECK_INT(eg_fetch_boot_wait_ms(1000, 600000, 150000), 300000, "1000 failures: the cap");
	CHECK_INT(eg_fetch_boot_wait_ms(3, 10000, 2500), 5000, "a 10 s deadline caps at 5 s");
	CHECK_INT(eg_fetch_boot_wait_ms(3, 10000, 0), 2500, "...from 2.5 s");
	for (unsigned f = 1; f < 50; f++) {
		int64_t w = eg_fetch_boot_wait_ms(f, 600000, 0xdeadbeefu);
		if (w > 300000 || w < 15000) {
			CHECK(0, "boot wait after %u failures is %lld", f, (long long)w);
			return;
		}
	}
	CHECK(1, "boot waits stay within 15 s and half the deadline for 1-49 failures");
}

static void state(void)
{
	char buf[EG_FETCH_STATE_MAX];
	size_t n;

	CHECK_INT(eg_fetch_state_parse("failures=0\n", 11), 0, "state 0");
	CHECK_INT(eg_fetch_state_parse("failures=7\n", 11), 7, "state 7");
	CHECK_INT(eg_fetch_state_parse("failures=12", 11), 12, "state without its newline");
	CHECK_INT(eg_fetch_state_parse("failures=1000\n", 14), 1000, "state at the maximum");
	CHECK_INT(eg_fetch_state_parse("failures=1001\n", 14), -1, "state over the maximum");
	CHECK_INT(eg_fetch_state_parse("failures=99999999999999999999\n", 30), -1,
		  "a huge number is refused, no overflow");
	CHECK_INT(eg_fetch_state_parse("failures=07\n", 12), -1, "a leading zero is refused");
	CHECK_INT(eg_fetch_state_parse("failures=\n", 10), -1, "no number");
	CHECK_INT(eg_fetch_state_parse("failures=-1\n", 12), -1, "a sign");
	CHECK_INT(eg_fetch_state_parse("failures=1\n\n", 12), -1, "a second line");
	CHECK_INT(eg_fetch_state_parse("failures=1 \n", 12), -1, "a trailing space");
	CHECK_INT(eg_fetch_state_parse("Failures=1\n", 11), -1, "the key's case");
	CHECK_INT(eg_fetch_state_parse("", 0), -1, "an empty file");
	CHECK_INT(eg_fetch_state_parse("failures=1\0\n", 12), -1, "a NUL");
	n = eg_fetch_state_format(buf, 3);
	CHECK_STR(buf, "failures=3\n", "format 3");
	CHECK_INT(n, 11, "format's length");
	CHECK_INT(eg_fetch_state_parse(buf, n), 3, "format then parse");
	eg_fetch_state_format(buf, 123456789);
	CHECK_STR(buf, "failures=1000\n", "format clips to the maximum");
	eg_fetch_state_format(buf, (unsigned long)-1);
	CHECK_STR(buf, "failures=1000\n", "format clips ULONG_MAX");
	for (unsigned long i = 0; i <= EG_FETCH_FAILURES_MAX; i++) {
		n = eg_fetch_state_format(buf, i);
		if (eg_fetch_state_parse(buf, n) != (long)i) {
			CHECK(0, "round trip of %lu", i);
			return;
		}
	}
	CHECK(1, "every count 0-1000 round-trips");
}

static void formats(void)
{
	static const struct {
		int64_t n;
		const char *want;
	} bytes[] = {
		{-5, "0 B"},
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1535, "1.4 KiB"},
		{1536, "1.5 KiB"},
		{1048575, "1023.9 KiB"},
		{1048576, "1.0 MiB"},
		{12897484, "12.2 MiB"},
		{INT64_C(1) << 30, "1.0 GiB"},
		{(INT64_C(3) << 30) / 2, "1.5 GiB"},
		{INT64_C(1) << 40, "1.0 TiB"},
		{INT64_C(1) << 50, "1.0 PiB"},
		{INT64_C(1) << 60, "1.0 EiB"},
		{INT64_MAX, "7.9 EiB"},
	};
	static const struct {
		int64_t ms;
		const char *secs, *eta;
	} times[] = {
		{-1, "0.0s", "0s"},
		{0, "0.0s", "0s"},
		{1, "0.0s", "1s"},
		{99, "0.0s", "1s"},
		{100, "0.1s", "1s"},
		{999, "0.9s", "1s"},
		{1000, "1.0s", "1s"},
		{1001, "1.0s", "2s"},
		{4100, "4.1s", "5s"},
		{59000, "59.0s", "59s"},
		{59001, "59.0s", "1m00s"},
		{65000, "65.0s", "1m05s"},
		{3599000, "3599.0s", "59m59s"},
		{3600000, "3600.0s", "1h00m"},
		{7380000, "7380.0s", "2h03m"},
		{INT64_MAX, "9223372036854775.8s", "2562047788015h12m"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
		eg_fmt_bytes(buf, sizeof buf, bytes[i].n);
		CHECK_STR(buf, bytes[i].want, "bytes %lld", (long long)bytes[i].n);
	}
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		eg_fmt_secs(buf, sizeof buf, times[i].ms);
		CHECK_STR(buf, times[i].secs, "secs %lld", (long long)times[i].ms);
		eg_fmt_eta(buf, sizeof buf, times[i].ms);
		CHECK_STR(buf, times[i].eta, "eta %lld", (long long)times[i].ms);
	}
	eg_fmt_bytes(buf, 4, 1048576);
	CHECK_STR(buf, "1.0", "bytes cut to a small buffer, NUL-terminated");
}

static void progress(void)
{
	struct eg_progress p;
	char line[160];
	int lines = 0;
	int64_t t;

	eg_progress_init(&p, 12897484, 5000);
	CHECK(!eg_progress_line(&p, "vmlinuz", 0, 0, 5000, false, line, sizeof line),
	      "no line at the start");
	CHECK(!eg_progress_line(&p, "vmlinuz", 100, 100, 5999, false, line, sizeof line),
	      "no line before a second has passed");
	CHECK(eg_progress_line(&p, "vmlinuz", 4299161, 4299161, 8500, false, line, sizeof line),
	      "a line once a second has passed");
	CHECK_STR(line, "fetch: vmlinuz 4.0 MiB/12.2 MiB 33% 1.1 MiB/s ETA 7s",
		  "bytes, percent, rate and ETA");
	CHECK(!eg_progress_line(&p, "vmlinuz", 5000000, 5000000, 9499, false, line, sizeof line),
	      "the next one not within a second of the last");
	CHECK(eg_progress_line(&p, "initrd.img", 5000000, 5000000, 9500, false, line, sizeof line),
	      "the next one a second after the last");
	CHECK(eg_progress_line(&p, "initrd.img", 12897484, 12897484, 9600, true, line, sizeof line),
	      "the last line is always printed");
	CHECK_STR(line, "fetch: initrd.img 12.2 MiB/12.2 MiB 100% 2.6 MiB/s ETA 0s", "the last line");
	CHECK(!eg_progress_line(&p, "initrd.img", 12897484, 12897484, 9700, true, line, sizeof line),
	      "...but not twice for the same bytes");

	/* a second of lines at most, whatever the call rate */
	eg_progress_init(&p, 1000000, 0);
	for (t = 0; t <= 10000; t += 7)
		lines += eg_progress_line(&p, "x", t * 100, t * 100, t, false, line, sizeof line);
	CHECK_INT(lines, 9, "calls every 7 ms for 10 s: a line at 1001, 2002, ... 9009 ms");

	/* no rate yet */
	eg_progress_init(&p, 2048, 0);
	CHECK(eg_progress_line(&p, "initrd.img", 0, 0, 100, true, line, sizeof line),
	      "a final line before any byte");
	CHECK_STR(line, "fetch: initrd.img 0 B/2.0 KiB 0% -- B/s ETA --", "no rate: dashes");
	eg_progress_init(&p, 2048, 0);
	CHECK(eg_progress_line(&p, "a", 1024, 1024, 150, true, line, sizeof line), "final at 150 ms");
	CHECK_STR(line, "fetch: a 1.0 KiB/2.0 KiB 50% -- B/s ETA --",
		  "under EG_FETCH_RATE_MIN_MS: no rate");
	/* a resumed download: done includes what was there, received does not */
	eg_progress_init(&p, 10 * 1048576, 0);
	CHECK(eg_progress_line(&p, "a", 6 * 1048576, 1048576, 1000, false, line, sizeof line),
	      "resumed at 5 MiB");
	CHECK_STR(line, "fetch: a 6.0 MiB/10.0 MiB 60% 1.0 MiB/s ETA 4s",
		  "rate from what came, ETA from what is left");
	/* done going down: a server that ignored Range */
	CHECK(eg_progress_line(&p, "a", 1048576, 2 * 1048576, 2000, false, line, sizeof line),
	      "done went down");
	CHECK_STR(line, "fetch: a 1.0 MiB/10.0 MiB 10% 1.0 MiB/s ETA 9s", "...and it is shown");
	/* a slow server: a byte a second */
	eg_progress_init(&p, 100, 0);
	CHECK(eg_progress_line(&p, "a", 3, 3, 3000, false, line, sizeof line), "slow");
	CHECK_STR(line, "fetch: a 3 B/100 B 3% 1 B/s ETA 1m37s", "1 B/s");
	eg_progress_init(&p, 100, 0);
	CHECK(eg_progress_line(&p, "a", 1, 1, 2000, false, line, sizeof line), "slower");
	CHECK_STR(line, "fetch: a 1 B/100 B 1% 0 B/s ETA --", "under 1 B/s: no ETA");
	/* huge sizes: no overflow in percent, rate or ETA */
	eg_progress_init(&p, INT64_MAX, 0);
	CHECK(eg_progress_line(&p, "a", INT64_MAX / 2, INT64_MAX / 2, 1000, false, line, sizeof line),
	      "huge");
	CHECK_STR(line, "fetch: a 3.9 EiB/7.9 EiB 50% 3.9 EiB/s ETA 1s", "huge values");
	eg_progress_init(&p, 0, 0);
	CHECK(eg_progress_line(&p, "a", 0, 0, 0, true, line, sizeof line), "total 0");
	CHECK_STR(line, "fetch: a 0 B/0 B 100% -- B/s ETA --", "total 0 is done");
	eg_progress_init(&p, 100, 0);
	CHECK(eg_progress_line(&p, "a", 200, 200, 1000, false, line, sizeof line), "over total");
	CHECK_STR(line, "fetch: a 100 B/100 B 100% 200 B/s ETA 0s", "more than total: clipped");
}

static void rng(void)
{
	uint32_t s = 0, first = eg_xorshift32(&s), seen_zero = 0;

	CHECK(first != 0 && s == first, "seed 0 is replaced");
	s = 1;
	for (int i = 0; i < 100000; i++)
		seen_zero += eg_xorshift32(&s) == 0;
	CHECK_INT(seen_zero, 0, "xorshift32 never returns 0");
}

/* Every combination of when, recover, entry and server. */
static void skip(void)
{
	static const char *const recover[] = {"retry", "fetch", "kexec"};
	bool quiet;

	for (int w = EG_FETCH_ALWAYS; w <= EG_FETCH_NOROOT; w++)
		for (size_t r = 0; r < 3; r++)
			for (int entry = 0; entry < 2; entry++)
				for (int server = 0; server < 2; server++) {
					const char *why = eg_fetch_skip((enum eg_fetch_when)w,
									recover[r], entry,
									server, &quiet);
					bool want = w == EG_FETCH_ALWAYS ||
						    (r > 0 && server &&
						     (w == EG_FETCH_NOROOT || entry));

					CHECK(want == (why == NULL),
					      "when %d recover=%s entry %d server %d: %s", w,
					      recover[r], entry, server, why ? why : "fetch");
					CHECK(quiet == (w == EG_FETCH_ENTRY && !entry),
					      "when %d recover=%s entry %d server %d: quiet %d", w,
					      recover[r], entry, server, quiet);
				}
	eg_fetch_skip(EG_FETCH_ENTRY, "fetch", true, false, &quiet);
	CHECK_STR(eg_fetch_skip(EG_FETCH_ENTRY, "fetch", true, false, &quiet),
		  "GRUB's recovery entry asks for a fetch, but no server= is configured: "
		  "booting the local root", "no server on the recovery entry");
	CHECK(strstr(eg_fetch_skip(EG_FETCH_NOROOT, "retry", true, true, &quiet), "rescue") != NULL,
	      "noroot with recover=retry: the rescue");
}

void test_fetch(void)
{
	skip();
	backoff_exact();
	backoff_jitter();
	deadline();
	boot_wait();
	state();
	formats();
	progress();
	rng();
}
