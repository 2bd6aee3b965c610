/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "record.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static struct eg_record rec(uint32_t seq, uint32_t boot, const char *ev, const char *st,
			    const char *why)
{
	struct eg_record r;

	memset(&r, 0, sizeof r);
	r.seq = seq;
	r.boot = boot;
	snprintf(r.event, sizeof r.event, "%s", ev);
	snprintf(r.stage, sizeof r.stage, "%s", st);
	snprintf(r.reason, sizeof r.reason, "%s", why);
	return r;
}

static void codec(void)
{
	unsigned char slot[EG_REC_SLOT], area[EG_REC_AREA];
	struct eg_record r = rec(7, 3, "reboot", "initramfs", "deadline: 60s"), out;

	CHECK_INT(eg_crc32(0, "123456789", 9), 0xCBF43926u, "crc32 check value");
	eg_record_encode(&r, slot);
	CHECK(eg_record_decode(slot, &out), "decode what was encoded");
	CHECK_INT(out.seq, 7, "seq round-trips");
	CHECK_INT(out.boot, 3, "boot round-trips");
	CHECK_STR(out.event, "reboot", "event round-trips");
	CHECK_STR(out.stage, "initramfs", "stage round-trips");
	CHECK_STR(out.reason, "deadline: 60s", "reason round-trips");

	r = rec(1, 1, "reboot", "rootfs", "line one\nline two");
	eg_record_encode(&r, slot);
	eg_record_decode(slot, &out);
	CHECK_STR(out.reason, "line one line two", "newlines in a reason become spaces");

	for (size_t i = 0; i < EG_REC_SLOT; i += 37) {
		eg_record_encode(&r, slot);
		slot[i] ^= 0x40;
		if (i >= 20 + 60) /* past the body: not covered, and harmless */
			continue;
		CHECK(!eg_record_decode(slot, &out), "a flipped byte at %zu is detected", i);
	}
	memset(slot, 0, sizeof slot);
	CHECK(!eg_record_decode(slot, &out), "zeroes are no record");
	memset(slot, 0xff, sizeof slot);
	CHECK(!eg_record_decode(slot, &out), "erased flash is no record");

	memset(area, 0, sizeof area);
	CHECK_INT(eg_record_pick(area, &out), -1, "empty area: no record");
	r = rec(4, 2, "boot", "initramfs", "");
	eg_record_encode(&r, area + EG_REC_SLOT * (r.seq % 2));
	CHECK_INT(eg_record_pick(area, &out), 0, "one valid slot picked");
	r = rec(5, 2, "rootfs", "rootfs", "");
	eg_record_encode(&r, area + EG_REC_SLOT * (r.seq % 2));
	CHECK_INT(eg_record_pick(area, &out), 1, "newer slot picked");
	CHECK_STR(out.event, "rootfs", "newest event");
	area[EG_REC_SLOT + 30] ^= 1; /* torn write of the newer slot */
	CHECK_INT(eg_record_pick(area, &out), 0, "torn newer slot: the older one stands");
	CHECK_INT(out.seq, 4, "older record intact");
	r = rec(0xffffffffu, 9, "boot", "initramfs", "");
	eg_record_encode(&r, area + EG_REC_SLOT);
	r = rec(0, 9, "rootfs", "rootfs", "");
	eg_record_encode(&r, area);
	CHECK_INT(eg_record_pick(area, &out), 0, "sequence wrap: 0 is newer than 0xffffffff");
	{
		char longr[EG_REASON_MAX + 100];
		memset(longr, 'r', sizeof longr);
		longr[sizeof longr - 1] = '\0';
		r = rec(1, 1, "reboot", "initramfs", "");
		memcpy(r.reason, longr, sizeof r.reason - 1); /* the longest reason */
		r.reason[sizeof r.reason - 1] = '\0';
		eg_record_encode(&r, slot);
		CHECK(eg_record_decode(slot, &out) && strlen(out.reason) == EG_REASON_MAX - 1,
		      "the longest reason fits a slot");
	}
}

static void describe(void)
{
	struct eg_record r;
	char buf[EG_MSG_MAX];

	eg_record_describe(NULL, false, buf, sizeof buf);
	CHECK(strstr(buf, "no record") != NULL, "no record: %s", buf);
	eg_record_describe(NULL, true, buf, sizeof buf);
	CHECK(strstr(buf, "watchdog reset") != NULL, "no record, watchdog: %s", buf);
	r = rec(1, 4, "reboot", "initramfs", "initramfs deadline: root not reached within 20s");
	eg_record_describe(&r, false, buf, sizeof buf);
	CHECK(strstr(buf, "earlyguard rebooted it: initramfs deadline") != NULL &&
		      strstr(buf, "boot 4") != NULL,
	      "deadline reboot: %s", buf);
	eg_record_describe(&r, true, buf, sizeof buf);
	CHECK(strstr(buf, "did not finish and the watchdog reset") != NULL,
	      "reboot then watchdog: %s", buf);
	r = rec(2, 4, "rootfs", "rootfs", "");
	eg_record_describe(&r, true, buf, sizeof buf);
	CHECK(strstr(buf, "watchdog reset in the rootfs") != NULL, "watchdog in rootfs: %s", buf);
	eg_record_describe(&r, false, buf, sizeof buf);
	CHECK(strstr(buf, "without a reboot by earlyguard") != NULL, "unexplained: %s", buf);
}

static void file_io(void)
{
	char dir[] = "/tmp/eg-unit-XXXXXX", path[64];
	struct eg_record r;
	int fd;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/rec", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK_INT(eg_record_read(path, &r), -ENOENT, "empty device: no record");
	CHECK_INT(eg_record_write(path, NULL, "boot", "initramfs", "", true), 0, "first write");
	CHECK_INT(eg_record_read(path, &r), 0, "read back");
	CHECK_INT(r.boot, 1, "first boot is 1");
	CHECK_INT(eg_record_write(path, &r, "reboot", "initramfs", "why", false), 0, "second");
	CHECK_INT(eg_record_read(path, &r), 0, "read back 2");
	CHECK(r.seq == 2 && r.boot == 1 && strcmp(r.reason, "why") == 0, "event of the same boot");
	CHECK_INT(eg_record_write(path, &r, "boot", "initramfs", "", true), 0, "next boot");
	CHECK_INT(eg_record_read(path, &r), 0, "read back 3");
	CHECK(r.seq == 3 && r.boot == 2, "next boot counted");
	{
		char p2[64];
		CHECK_INT(eg_record_resolve(path, p2, sizeof p2), 0, "resolve a path");
		CHECK_STR(p2, path, "resolved path");
		CHECK(eg_record_resolve("/nonexistent/rec", p2, sizeof p2) < 0, "missing path");
	}
	unlink(path);
	rmdir(dir);
}

void test_record(void)
{
	codec();
	describe();
	file_io();
}
