/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot record: how each boot ended, kept where the initramfs can reach
 * it without mounting anything (a small raw partition, or a file for
 * tests).  Two 512-byte slots, each with a sequence number and a CRC; a
 * write always goes to the older slot, so a torn write loses at most the
 * newest event and never the previous one.
 */
#ifndef EG_RECORD_H
#define EG_RECORD_H

#include "eg.h"

#define EG_REC_SLOT 512
#define EG_REC_AREA (2 * EG_REC_SLOT)

struct eg_record {
	uint32_t seq;
	uint32_t boot;     /* boots counted since the record was created */
	char event[16];    /* boot | rootfs | confirmed | shutdown | shutdown-done | reboot */
	char stage[16];    /* the guard's stage when it was written */
	char reason[EG_REASON_MAX];
};

/* Pure: slot <-> record. */
void eg_record_encode(const struct eg_record *r, unsigned char slot[EG_REC_SLOT]);
bool eg_record_decode(const unsigned char slot[EG_REC_SLOT], struct eg_record *r);
/* Pure: the newest valid record of an area; -1 if none, else its slot. */
int eg_record_pick(const unsigned char area[EG_REC_AREA], struct eg_record *r);
/* Pure: one sentence on how the previous boot ended. */
void eg_record_describe(const struct eg_record *prev, bool watchdog_reset,
			char *buf, size_t size);
uint32_t eg_crc32(uint32_t crc, const void *buf, size_t len);

/* Effects.  spec is a path or PARTLABEL=name; path receives the device. */
int eg_record_resolve(const char *spec, char *path, size_t size);
int eg_record_read(const char *path, struct eg_record *r);  /* 0, -ENOENT (empty), -errno */
int eg_record_write(const char *path, const struct eg_record *prev_or_null,
		    const char *event, const char *stage, const char *reason,
		    bool new_boot);
/* The start of a boot: read how the previous one ended (into previous),
 * then count this boot.  -ENOENT while the device is not there yet. */
int eg_record_begin_boot(const char *spec, const char *stage, bool watchdog_reset,
			 char *previous, size_t size, bool *clean);
/* Resolve spec, read the newest record and write the next one.  reason
 * NULL keeps the newest record's reason.  0, or -errno (logged here). */
int eg_record_append(const char *spec, const char *event, const char *stage,
		     const char *reason);

#endif
