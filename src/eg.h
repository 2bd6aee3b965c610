/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard: shared declarations.
 *
 * Everything here is usable from both builds: the shipped static klibc
 * binary and the host glibc build the tests run under sanitizers.
 */
#ifndef EG_H
#define EG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EG_VERSION "0.1.0"

/* Exit codes, documented in earlyguard(8). s6 conventions. */
#define EG_EXIT_OK 0
#define EG_EXIT_FAIL 1     /* the operation was refused or failed */
#define EG_EXIT_TIMEOUT 99 /* a bounded wait ran out */
#define EG_EXIT_USAGE 100  /* bad command line */
#define EG_EXIT_SYS 111    /* a system call failed */

/* Named buffer sizes: no malloc anywhere in earlyguard. */
#define EG_PATH_MAX 256    /* device and file paths we accept */
#define EG_LIST_MAX 256    /* comma-separated module lists */
#define EG_MODNAME_MAX 56  /* the kernel's MODULE_NAME_LEN */
#define EG_LINE_MAX 512    /* one configuration line */
#define EG_CONF_MAX 16384  /* the whole configuration file */
#define EG_CMDLINE_MAX 4096 /* /proc/cmdline (COMMAND_LINE_SIZE is 2048 on x86) */
#define EG_MSG_MAX 512     /* one log message */
#define EG_REASON_MAX 200  /* a reboot reason kept in the boot record */

/* ---- time (clock.c) ---- */
/* Milliseconds of CLOCK_BOOTTIME (counts suspend; never the wall clock). */
int64_t eg_now_ms(void);
/* Sleep for ms milliseconds; returns early only on a handled signal. */
void eg_sleep_ms(int64_t ms);

/* ---- logging (log.c) ---- */
enum eg_level { EG_ERR = 3, EG_WARN = 4, EG_NOTICE = 5, EG_INFO = 6 };
/* Where messages go: the kernel log (with its timestamps, shown on the
 * console by the kernel) and/or stderr. */
void eg_log_init(bool use_kmsg);
void eg_log(enum eg_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "earlyguard: unable to VERB OBJECT: strerror" */
void eg_log_sys(enum eg_level lvl, const char *verb, const char *obj, int err);
/* Print to the console unconditionally (rescue banner for a human). */
void eg_console(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- small helpers (util.c) ---- */
/* Copy src into dst[size]; false (dst emptied) if it does not fit. */
bool eg_copy(char *dst, size_t size, const char *src);
/* snprintf that reports truncation as false. */
bool eg_fmt(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read at most size-1 bytes of path into buf, NUL-terminated.
 * Returns bytes read, or -errno.  *truncated set if the file was larger. */
long eg_read_file(const char *path, char *buf, size_t size, bool *truncated);
/* Write buf to path atomically: path.tmp, fsync, rename, fsync dir.
 * Returns 0 or -errno. */
int eg_write_atomic(const char *path, const char *buf, size_t len, unsigned mode);
/* fsync the directory that holds path (a rename in it is durable after). */
int eg_sync_dir(const char *path);
int eg_fs_checkpoint(const char *path);
/* Parse a decimal unsigned number, whole string, no sign, no overflow. */
bool eg_parse_u64(const char *s, uint64_t *out);
/* Format a duration in seconds as "90s", "5m", "1h30m". */
void eg_fmt_duration(char *buf, size_t size, uint64_t seconds);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int eg_write_all(int fd, const void *buf, size_t len);
/* len bytes of src, which may come from anywhere, made safe to print in a
 * message: printable ASCII as it is, a backslash as \\ and any other byte
 * as \xHH, into dst[size]; what does not fit ends in "...".  Returns dst. */
const char *eg_quote(char *dst, size_t size, const char *src, size_t len);

#endif
