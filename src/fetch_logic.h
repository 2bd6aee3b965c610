/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `earlyguard fetch`, the decisions without the effects: when to try
 * again and how long to wait, when to give up, how long to wait at the
 * start of a boot after earlier boots failed, and the progress lines.
 * The clock and the randomness are the caller's: every function takes
 * `now` (milliseconds of CLOCK_BOOTTIME) and random values as arguments,
 * so every schedule can be enumerated in a test.  Pure: no I/O, no
 * malloc, no floating point (klibc's printf has none).
 */
#ifndef EG_FETCH_LOGIC_H
#define EG_FETCH_LOGIC_H

#include "eg.h"

/* The first retry waits about this long; each one after it twice as long,
 * up to fetch_retry_max. */
#define EG_FETCH_BACKOFF_BASE_MS 1000
/* A boot that follows failed fetches waits this long before its first try,
 * doubled for each earlier failure, up to half of the fetch deadline. */
#define EG_FETCH_BOOT_WAIT_BASE_MS 30000
/* A verification failure (bad signature, manifest or digest) is tried
 * again from the manifest this many times in all, then refused. */
#define EG_FETCH_VERIFY_TRIES 3
/* Progress lines come at most this often (the last one always). */
#define EG_FETCH_PROGRESS_MS 1000
/* The smallest elapsed time a rate is computed over. */
#define EG_FETCH_RATE_MIN_MS 200

/* How a delay is spread (the AWS architecture blog's names): none, the
 * exponential delay itself; full, uniform in [0, exp]; equal, uniform in
 * [exp/2, exp], so it still grows (up to the cap) but two devices that failed together
 * do not retry together. */
enum eg_jitter { EG_JITTER_NONE, EG_JITTER_FULL, EG_JITTER_EQUAL };

/* The delay before retry n (1 for the first), in ms: min(cap, base *
 * 2^(n-1)) spread by jitter with the random value rnd.  n 0, base <= 0 or
 * cap <= 0 give 0.  Never overflows, whatever n. */
int64_t eg_backoff_ms(unsigned n, int64_t base_ms, int64_t cap_ms, enum eg_jitter jitter,
		      uint32_t rnd);

/* May a retry that waits delay_ms start before the deadline?  Only when
 * it starts with time left: now + delay < deadline. */
bool eg_fetch_may_retry(int64_t now, int64_t deadline, int64_t delay_ms);

/* The time left before the deadline, clipped to at most bound_ms and at
 * least 0: the timeout of one wait (connect, read) that must end by the
 * deadline. */
int64_t eg_fetch_wait_ms(int64_t now, int64_t deadline, int64_t bound_ms);

/* The fetch's own deadline: started + deadline_ms, but never after the
 * initramfs guard's deadline (guard_at, 0 for none) less margin_ms, so
 * the fetch ends first and reboots in order.  At least started. */
int64_t eg_fetch_deadline(int64_t started, int64_t deadline_ms, int64_t guard_at,
			  int64_t margin_ms);

/* The wait before the first try of this boot, after `failures` earlier
 * boots whose fetch did not finish: 0 for none, else
 * EG_FETCH_BOOT_WAIT_BASE_MS * 2^(failures-1), at most half of
 * deadline_ms, with equal jitter from rnd. */
int64_t eg_fetch_boot_wait_ms(unsigned failures, int64_t deadline_ms, uint32_t rnd);

/* The state file that carries the failure count from boot to boot (see
 * earlyguard(8), FILES): one line "failures=N\n", N 0 to
 * EG_FETCH_FAILURES_MAX.  Parse the whole of buf: N, or -1 when it is
 * not exactly that. */
#define EG_FETCH_FAILURES_MAX 1000
#define EG_FETCH_STATE_MAX 32
long eg_fetch_state_parse(const char *buf, size_t len);
/* The line for n (clipped to EG_FETCH_FAILURES_MAX) into
 * buf[EG_FETCH_STATE_MAX]; its length. */
size_t eg_fetch_state_format(char *buf, unsigned long n);

/* Text for people.  Bytes in binary units, with one decimal, truncated:
 * "512 B", "4.0 KiB", "12.3 MiB", "1.5 GiB". */
#define EG_FMT_BYTES 24
void eg_fmt_bytes(char *buf, size_t size, int64_t n);
/* A delay with one decimal: "0.5s", "4.1s", "61.0s". */
void eg_fmt_secs(char *buf, size_t size, int64_t ms);
/* A remaining time, rounded up to the second: "7s", "1m05s", "2h03m". */
void eg_fmt_eta(char *buf, size_t size, int64_t ms);

/* Progress of a download of total bytes (all the artifacts together). */
struct eg_progress {
	int64_t total;     /* bytes to have in the end */
	int64_t start_ms;  /* when the download started */
	int64_t last_ms;   /* when the last line was printed, -1 for none */
	int64_t last_done; /* what it said */
};
void eg_progress_init(struct eg_progress *p, int64_t total, int64_t now);
/* The line to print now, into buf[size], or false when none is due: one
 * a second at most (EG_FETCH_PROGRESS_MS), and always when final (unless
 * the line printed last already said the same bytes).  done: the bytes
 * held now, of total (it may go down: a server that ignored a Range sent
 * an artifact from its start again); received: the bytes that came over
 * the network since eg_progress_init, for the rate.
 * "fetch: NAME 4.1 MiB/12.3 MiB 33% 1.2 MiB/s ETA 7s"; without a rate
 * yet (less than EG_FETCH_RATE_MIN_MS, or nothing received) "-- B/s ETA --". */
bool eg_progress_line(struct eg_progress *p, const char *name, int64_t done, int64_t received,
		      int64_t now, bool final, char *buf, size_t size);

/* When an automatic fetch runs (`earlyguard fetch --auto=...`):
 *   EG_FETCH_ALWAYS  always (no --auto: the operator asked);
 *   EG_FETCH_ENTRY   at the start of the initramfs, on GRUB's recovery
 *                    entry: recover= is fetch or kexec (the entry passes
 *                    earlyguard.recover=fetch) and a server= is set;
 *   EG_FETCH_NOROOT  the local root is missing or unusable: recover= is
 *                    fetch or kexec and a server= is set, whatever the entry.
 * NULL: run it; else why not, one line for the console, and *quiet true
 * when that line is not worth printing (not the recovery entry: the
 * normal boot). */
enum eg_fetch_when { EG_FETCH_ALWAYS, EG_FETCH_ENTRY, EG_FETCH_NOROOT };
const char *eg_fetch_skip(enum eg_fetch_when when, const char *recover, bool recovery_entry,
			  bool server, bool *quiet);

/* Random values for the jitter: xorshift32 from a seed (any; 0 is
 * replaced), never 0.  Not for anything that needs secrecy. */
uint32_t eg_xorshift32(uint32_t *state);

#endif
