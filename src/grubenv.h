/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GRUB's environment block (grubenv), read and written the way
 * grub-editenv and GRUB's save_env do, without either.
 *
 * The format (GRUB's grub-core/lib/envblk.c): the header
 * "# GRUB Environment Block\n", then lines, then '#' padding to the end of
 * the file.  A line starting with '#' is a comment; any other is
 * NAME=VALUE, where a backslash escapes the byte after it (GRUB writes
 * "\\" and "\<newline>" only), so a line ends at the first unescaped
 * newline.  An edit replaces a line in place, appends a new one after the
 * last, or removes one; the padding absorbs the difference.  The file
 * never changes size: a block that cannot hold the edit refuses it.
 *
 * The block is kept as its lines, verbatim (escapes included), so every
 * line an edit does not touch is written back byte for byte, as
 * grub-editenv would.  Pure functions over caller-supplied memory; the
 * last two functions do the file I/O.
 */
#ifndef EG_GRUBENV_H
#define EG_GRUBENV_H

#include "eg.h"

#define EG_GRUBENV_HEADER "# GRUB Environment Block\n"
#define EG_GRUBENV_HDRLEN (sizeof EG_GRUBENV_HEADER - 1)
#define EG_GRUBENV_SIZE 1024  /* what grub-editenv create writes */
#define EG_GRUBENV_SECTOR 512 /* a valid block is whole disk sectors... */
#define EG_GRUBENV_MAX 4096   /* ...up to this: the largest file we read */
#define EG_GRUBENV_ERR 160    /* one reason or refusal */

struct eg_grubenv {
	size_t size;               /* bytes of the block; serialized to exactly this */
	size_t used;               /* bytes of lines in text */
	char text[EG_GRUBENV_MAX]; /* the lines after the header, as in the file */
	char err[EG_GRUBENV_ERR];  /* why the last step failed */
};

/* One NAME=VALUE line: name and raw (still escaped) value, inside text. */
struct eg_grubenv_var {
	const char *name, *raw;
	size_t nlen, rlen;
};

/* A fresh, empty block of size bytes (a multiple of EG_GRUBENV_SECTOR up
 * to EG_GRUBENV_MAX), byte for byte what `grub-editenv FILE create`
 * writes at 1024. */
void eg_grubenv_init(struct eg_grubenv *e, size_t size);
/* Parse a whole file image.  NULL when valid; otherwise why it is
 * corrupt (in e->err), and e is a fresh block to write instead: of the
 * file's size when that is a valid size, else EG_GRUBENV_SIZE.  Nothing of
 * a corrupt block is kept: GRUB would mis-read some of it, and boot
 * decisions must not rest on the rest. */
const char *eg_grubenv_parse(struct eg_grubenv *e, const char *buf, size_t size);
/* The variable after *pos (start at 0), comments skipped; false at the end. */
bool eg_grubenv_next(const struct eg_grubenv *e, size_t *pos, struct eg_grubenv_var *v);
/* GRUB's unescaping of a raw value into out[size]; false if it does not fit. */
bool eg_grubenv_unescape(const char *raw, size_t rlen, char *out, size_t size);
/* The value of name into out[size]: 1 found, 0 not set, -1 too long for out. */
int eg_grubenv_get(const struct eg_grubenv *e, const char *name, char *out, size_t size);
/* Set name (a GRUB variable name: [A-Za-z_][A-Za-z0-9_]*) to value (any
 * bytes; '\' and newline are escaped): in place if set, else appended.
 * NULL, or why not (in e->err: an invalid name, no room); e is then
 * unchanged. */
const char *eg_grubenv_set(struct eg_grubenv *e, const char *name, const char *value);
/* Remove name; false if it was not set. */
bool eg_grubenv_unset(struct eg_grubenv *e, const char *name);
/* The block, exactly e->size bytes, into out[EG_GRUBENV_MAX]. */
void eg_grubenv_serialize(const struct eg_grubenv *e, char *out);

/* Effects.  Only a regular file, or a symlink to one, is a grubenv: any
 * other is refused with -EINVAL, neither read nor written.  Read path
 * into e: 0 valid, 1 corrupt (reason in e->err, e a fresh block), or
 * -errno: -EFBIG over EG_GRUBENV_MAX bytes (it may not be a grubenv at
 * all), -ENOENT (e a fresh block, so that writing it creates the file, as
 * grub-editenv does). */
int eg_grubenv_load(const char *path, struct eg_grubenv *e);
/* Write e to path, exactly e->size bytes: a temporary file in the same
 * directory, fsync, rename, fsync the directory (keeping the mode).  In
 * place instead (write, truncate to size, fsync) through a symlink, and
 * over an existing file when the file system has no room for the
 * temporary one.  0 or -errno. */
int eg_grubenv_save(const char *path, const struct eg_grubenv *e);

/* Serialise the read-modify-write cycles of earlyguard's commands (trial,
 * promote, grubenv set, the daemon's disarm): an exclusive flock(2) on
 * the directory that holds path (a lock on the file itself would not
 * survive the rename of a new block).  Waits at most wait_ms, polling;
 * 0: one try.  The lock's fd (close it to release), or -errno:
 * -EWOULDBLOCK when another process still holds it.  GRUB takes no lock:
 * it runs when Linux does not. */
#define EG_GRUBENV_LOCK_POLL_MS 50
#define EG_GRUBENV_LOCK_WAIT_MS 10000 /* an operator's command waits this long */
int eg_grubenv_lock(const char *path, int64_t wait_ms);

#endif
