/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fetch_logic.h"

#include <stdio.h>
#include <string.h>

int64_t eg_backoff_ms(unsigned n, int64_t base_ms, int64_t cap_ms, enum eg_jitter jitter,
		      uint32_t rnd)
{
	int64_t d = base_ms, half;

	if (n == 0 || base_ms <= 0 || cap_ms <= 0)
		return 0;
	/* doubling stops at the cap, so no n overflows */
	for (unsigned i = 1; i < n && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	switch (jitter) {
	case EG_JITTER_FULL:
		return (int64_t)((uint64_t)rnd % ((uint64_t)d + 1));
	case EG_JITTER_EQUAL:
		half = d / 2;
		return d - half + (int64_t)((uint64_t)rnd % ((uint64_t)half + 1));
	case EG_JITTER_NONE:
		break;
	}
	return d;
}

bool eg_fetch_may_retry(int64_t now, int64_t deadline, int64_t delay_ms)
{
	return delay_ms >= 0 && delay_ms < deadline - now;
}

int64_t eg_fetch_wait_ms(int64_t now, int64_t deadline, int64_t bound_ms)
{
	int64_t left = deadline - now;

	if (left > bound_ms)
		left = bound_ms;
	return left > 0 ? left : 0;
}

int64_t eg_fetch_deadline(int64_t started, int64_t deadline_ms, int64_t guard_at,
			  int64_t margin_ms)
{
	int64_t d = started + deadline_ms;

	if (guard_at > 0 && guard_at - margin_ms < d)
		d = guard_at - margin_ms;
	return d > started ? d : started;
}

int64_t eg_fetch_boot_wait_ms(unsigned failures, int64_t deadline_ms, uint32_t rnd)
{
	return eg_backoff_ms(failures, EG_FETCH_BOOT_WAIT_BASE_MS, deadline_ms / 2,
			     EG_JITTER_EQUAL, rnd);
}

long eg_fetch_state_parse(const char *buf, size_t len)
{
	static const char key[] = "failures=";
	const size_t klen = sizeof key - 1;
	long n = 0;
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len <= klen || memcmp(buf, key, klen) != 0)
		return -1;
	/* one spelling: no sign, no leading zero */
	if (buf[klen] == '0' && len > klen + 1)
		return -1;
	for (i = klen; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		n = n * 10 + (buf[i] - '0');
		if (n > EG_FETCH_FAILURES_MAX)
			return -1;
	}
	return n;
}

size_t eg_fetch_state_format(char *buf, unsigned long n)
{
	int w = snprintf(buf, EG_FETCH_STATE_MAX, "failures=%lu\n",
			 n > EG_FETCH_FAILURES_MAX ? (unsigned long)EG_FETCH_FAILURES_MAX : n);

	return w > 0 ? (size_t)w : 0;
}

void eg_fmt_bytes(char *buf, size_t size, int64_t n)
{
	static const char units[][4] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	uint64_t v = n < 0 ? 0 : (uint64_t)n, u = 1024;
	int k = 0;

	if (v < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)v);
		return;
	}
	while (k < 5 && v / u >= 1024) {
		u *= 1024;
		k++;
	}
	snprintf(buf, size, "%llu.%llu %s", (unsigned long long)(v / u),
		 (unsigned long long)(v % u * 10 / u), units[k]);
}

void eg_fmt_secs(char *buf, size_t size, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, size, "%lld.%llds", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
}

void eg_fmt_eta(char *buf, size_t size, int64_t ms)
{
	long long s = ms <= 0 ? 0 : (long long)(ms / 1000 + (ms % 1000 != 0));

	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
}

void eg_progress_init(struct eg_progress *p, int64_t total, int64_t now)
{
	p->total = total;
	p->start_ms = now;
	p->last_ms = -1;
	p->last_done = -1;
}

/* a * 1000 / b without overflow, for a >= 0 and b > 0 */
static uint64_t per_second(uint64_t a, uint64_t b)
{
	return a / b * 1000 + a % b * 1000 / b;
}

bool eg_progress_line(struct eg_progress *p, const char *name, int64_t done, int64_t received,
		      int64_t now, bool final, char *buf, size_t size)
{
	char have[EG_FMT_BYTES], all[EG_FMT_BYTES], rate[EG_FMT_BYTES], eta[24];
	int64_t since = p->last_ms < 0 ? p->start_ms : p->last_ms, elapsed = now - p->start_ms;
	int64_t shown = done < 0 ? 0 : done > p->total ? p->total : done;
	int64_t pct;

	if (final ? p->last_ms >= 0 && p->last_done == done : now - since < EG_FETCH_PROGRESS_MS)
		return false;
	if (p->total <= 0)
		pct = 100;
	else if (shown > INT64_MAX / 100)
		pct = shown / (p->total / 100);
	else
		pct = shown * 100 / p->total;
	eg_fmt_bytes(have, sizeof have, shown);
	eg_fmt_bytes(all, sizeof all, p->total);
	if (elapsed >= EG_FETCH_RATE_MIN_MS && received > 0) {
		uint64_t r = per_second((uint64_t)received, (uint64_t)elapsed);

		eg_fmt_bytes(rate, sizeof rate, (int64_t)(r > INT64_MAX ? INT64_MAX : r));
		if (r == 0)
			snprintf(eta, sizeof eta, "--");
		else
			eg_fmt_eta(eta, sizeof eta,
				   (int64_t)per_second((uint64_t)(p->total - shown), r));
	} else {
		snprintf(rate, sizeof rate, "-- B");
		snprintf(eta, sizeof eta, "--");
	}
	snprintf(buf, size, "fetch: %s %s/%s %lld%% %s/s ETA %s", name, have, all, (long long)pct,
		 rate, eta);
	p->last_ms = now;
	p->last_done = done;
	return true;
}

uint32_t eg_xorshift32(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

const char *eg_fetch_skip(enum eg_fetch_when when, const char *recover, bool recovery_entry,
			  bool server, bool *quiet)
{
	bool fetch = strcmp(recover, "fetch") == 0 || strcmp(recover, "kexec") == 0;

	*quiet = false;
	switch (when) {
	case EG_FETCH_ALWAYS:
		return NULL;
	case EG_FETCH_ENTRY:
		if (!recovery_entry) {
			*quiet = true;
			return "not GRUB's recovery entry: no fetch";
		}
		if (!fetch)
			return "GRUB's recovery entry with recover=retry: booting the local root";
		if (!server)
			return "GRUB's recovery entry asks for a fetch, but no server= is "
			       "configured: booting the local root";
		return NULL;
	case EG_FETCH_NOROOT:
		if (!fetch)
			return "recover=retry: no fetch; the rescue reboots to try the local "
			       "boot again";
		if (!server)
			return "recover= asks for a fetch, but no server= is configured: the "
			       "rescue reboots to try the local boot again";
		return NULL;
	}
	return NULL;
}
