/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char magic[8] = {'E', 'G', 'R', 'E', 'C', '0', '0', '1'};
#define HDR 20 /* magic, seq, len, crc */

uint32_t eg_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Values are single-line text: newlines become spaces. */
static size_t put_field(char *dst, size_t room, const char *key, const char *val)
{
	size_t klen = strlen(key), o = 0;

	if (room < klen + 3)
		return 0;
	memcpy(dst, key, klen);
	o = klen;
	dst[o++] = '=';
	for (; *val && o + 2 < room; val++)
		dst[o++] = (*val == '\n' || *val == '\r') ? ' ' : *val;
	dst[o++] = '\n';
	return o;
}

void eg_record_encode(const struct eg_record *r, unsigned char slot[EG_REC_SLOT])
{
	char *body = (char *)slot + HDR, num[16];
	size_t room = EG_REC_SLOT - HDR, len = 0;
	uint32_t crc;

	memset(slot, 0, EG_REC_SLOT);
	snprintf(num, sizeof num, "%lu", (unsigned long)r->boot);
	len += put_field(body + len, room - len, "boot", num);
	len += put_field(body + len, room - len, "event", r->event);
	len += put_field(body + len, room - len, "stage", r->stage);
	len += put_field(body + len, room - len, "reason", r->reason);
	memcpy(slot, magic, sizeof magic);
	put32(slot + 8, r->seq);
	put32(slot + 12, (uint32_t)len);
	crc = eg_crc32(0, slot + 8, 8);
	crc = eg_crc32(crc, body, len);
	put32(slot + 16, crc);
}

/* Copy a field value, NUL-terminated and cut to fit. */
static void take(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool key_is(const char *line, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

bool eg_record_decode(const unsigned char slot[EG_REC_SLOT], struct eg_record *r)
{
	const char *body = (const char *)slot + HDR;
	uint32_t len, crc;
	size_t pos = 0;

	if (memcmp(slot, magic, sizeof magic) != 0)
		return false;
	len = get32(slot + 12);
	if (len > EG_REC_SLOT - HDR)
		return false;
	crc = eg_crc32(0, slot + 8, 8);
	crc = eg_crc32(crc, body, len);
	if (crc != get32(slot + 16))
		return false;
	memset(r, 0, sizeof *r);
	r->seq = get32(slot + 8);
	while (pos < len) {
		const char *line = body + pos, *eq;
		size_t n = 0, klen, vlen;

		while (pos + n < len && body[pos + n] != '\n')
			n++;
		pos += n + 1;
		eq = memchr(line, '=', n);
		if (!eq)
			continue;
		klen = (size_t)(eq - line);
		vlen = n - klen - 1;
		if (key_is(line, klen, "event")) {
			take(r->event, sizeof r->event, eq + 1, vlen);
		} else if (key_is(line, klen, "stage")) {
			take(r->stage, sizeof r->stage, eq + 1, vlen);
		} else if (key_is(line, klen, "reason")) {
			take(r->reason, sizeof r->reason, eq + 1, vlen);
		} else if (key_is(line, klen, "boot")) {
			char num[16];
			uint64_t v;

			take(num, sizeof num, eq + 1, vlen);
			if (eg_parse_u64(num, &v) && v <= UINT32_MAX)
				r->boot = (uint32_t)v;
		}
	}
	return true;
}

int eg_record_pick(const unsigned char area[EG_REC_AREA], struct eg_record *r)
{
	struct eg_record a, b;
	bool va = eg_record_decode(area, &a);
	bool vb = eg_record_decode(area + EG_REC_SLOT, &b);

	if (va && vb) {
		/* serial-number comparison: survives the 32-bit wrap */
		if ((int32_t)(b.seq - a.seq) > 0) {
			*r = b;
			return 1;
		}
		*r = a;
		return 0;
	}
	if (va) {
		*r = a;
		return 0;
	}
	if (vb) {
		*r = b;
		return 1;
	}
	return -1;
}

void eg_record_describe(const struct eg_record *prev, bool watchdog_reset,
			char *buf, size_t size)
{
	if (prev == NULL) {
		snprintf(buf, size, "%s", watchdog_reset ?
			 "ended in a watchdog reset (no earlier record)" :
			 "no record (first boot with this record device)");
	} else if (strcmp(prev->event, "shutdown") == 0) {
		snprintf(buf, size, "boot %lu: shutdown began (%s) but did not finish%s",
			 (unsigned long)prev->boot, prev->reason[0] ? prev->reason : "no reason recorded",
			 watchdog_reset ? "; the watchdog reset the machine" : "");
	} else if (strcmp(prev->event, "shutdown-done") == 0) {
		snprintf(buf, size, "boot %lu: shut down cleanly (%s)", (unsigned long)prev->boot,
			 prev->reason[0] ? prev->reason : "no reason recorded");
	} else if (strcmp(prev->event, "reboot") == 0) {
		snprintf(buf, size, "boot %lu: earlyguard rebooted it: %s%s",
			 (unsigned long)prev->boot, prev->reason,
			 watchdog_reset ? "; the reboot did not finish and the watchdog reset the machine" : "");
	} else if (watchdog_reset) {
		snprintf(buf, size, "boot %lu: ended in a watchdog reset in the %s%s",
			 (unsigned long)prev->boot, prev->stage,
			 strcmp(prev->event, "confirmed") == 0 ? " after it was confirmed" : "");
	} else {
		snprintf(buf, size,
			 "boot %lu: ended in the %s without a reboot by earlyguard "
			 "(power loss, a kernel panic, a reset outside earlyguard, or a shutdown)",
			 (unsigned long)prev->boot, prev->stage);
	}
}

/* ---- effects ---- */

/* PARTLABEL=name: find the partition by its GPT name without udev. */
static int find_partlabel(const char *label, char *path, size_t size)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char ue[EG_PATH_MAX], buf[1024], want[EG_PATH_MAX];
		const char *devname;

		if (de->d_name[0] == '.')
			continue;
		if (!eg_fmt(ue, sizeof ue, "/sys/class/block/%s/uevent", de->d_name) ||
		    eg_read_file(ue, buf, sizeof buf, NULL) <= 0)
			continue;
		if (!eg_fmt(want, sizeof want, "\nPARTNAME=%s\n", label))
			break;
		if (strstr(buf, want) == NULL)
			continue;
		devname = strstr(buf, "DEVNAME=");
		if (!devname)
			continue;
		devname += 8;
		if (eg_fmt(path, size, "/dev/%.*s", (int)strcspn(devname, "\n"), devname))
			ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

int eg_record_resolve(const char *spec, char *path, size_t size)
{
	if (strncmp(spec, "PARTLABEL=", 10) == 0)
		return find_partlabel(spec + 10, path, size);
	if (!eg_copy(path, size, spec))
		return -ENAMETOOLONG;
	return access(path, R_OK | W_OK) == 0 ? 0 : -errno;
}

static int read_area(int fd, unsigned char area[EG_REC_AREA])
{
	size_t got = 0;

	while (got < EG_REC_AREA) {
		ssize_t n = pread(fd, area + got, EG_REC_AREA - got, (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(area + got, 0, EG_REC_AREA - got);
	return 0;
}

int eg_record_read(const char *path, struct eg_record *r)
{
	unsigned char area[EG_REC_AREA];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_area(fd, area);
	close(fd);
	if (err)
		return err;
	return eg_record_pick(area, r) < 0 ? -ENOENT : 0;
}

int eg_record_write(const char *path, const struct eg_record *prev,
		    const char *event, const char *stage, const char *reason,
		    bool new_boot)
{
	unsigned char slot[EG_REC_SLOT];
	struct eg_record r;
	int fd, err = 0;
	ssize_t n;

	memset(&r, 0, sizeof r);
	r.seq = prev ? prev->seq + 1 : 1;
	r.boot = prev ? prev->boot + (new_boot ? 1u : 0u) : 1;
	eg_copy(r.event, sizeof r.event, event);
	eg_copy(r.stage, sizeof r.stage, stage);
	snprintf(r.reason, sizeof r.reason, "%s", reason ? reason : "");
	eg_record_encode(&r, slot);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = pwrite(fd, slot, sizeof slot, (off_t)(r.seq % 2) * EG_REC_SLOT);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof slot)
		err = n < 0 ? -errno : -EIO;
	if (err == 0 && fdatasync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && err == 0)
		err = -errno;
	return err;
}

int eg_record_append(const char *spec, const char *event, const char *stage,
		     const char *reason)
{
	struct eg_record prev;
	char path[EG_PATH_MAX];
	bool have;
	int err;

	if (spec[0] == '\0')
		return 0;
	err = eg_record_resolve(spec, path, sizeof path);
	if (err) {
		eg_log_sys(EG_WARN, "find the boot record", spec, -err);
		return err;
	}
	have = eg_record_read(path, &prev) == 0;
	err = eg_record_write(path, have ? &prev : NULL, event, stage,
			      reason ? reason : have ? prev.reason : "", false);
	if (err)
		eg_log_sys(EG_WARN, "write the boot record to", path, -err);
	return err;
}

int eg_record_begin_boot(const char *spec, const char *stage, bool watchdog_reset,
			 char *previous, size_t size, bool *clean)
{
	struct eg_record prev;
	char path[EG_PATH_MAX];
	bool have;
	int err = eg_record_resolve(spec, path, sizeof path);

	if (err)
		return err;
	err = eg_record_read(path, &prev);
	have = err == 0;
	if (err != 0 && err != -ENOENT)
		eg_log_sys(EG_WARN, "read the boot record from", path, -err);
	eg_record_describe(have ? &prev : NULL, watchdog_reset, previous, size);
	*clean = !watchdog_reset && (!have || strcmp(prev.event, "reboot") == 0 ||
				     strcmp(prev.event, "shutdown-done") == 0);
	err = eg_record_write(path, have ? &prev : NULL, "boot", stage, "", true);
	if (err)
		eg_log_sys(EG_WARN, "write the boot record to", path, -err);
	return err == -ENOENT ? -EIO : err;
}
