/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "modload.h"

static void names(void)
{
	static const struct {
		const char *path, *want;
	} t[] = {
		{"kernel/drivers/watchdog/i6300esb.ko", "i6300esb"},
		{"kernel/drivers/watchdog/iTCO_wdt.ko.xz", "iTCO_wdt"},
		{"kernel/fs/ext4/ext4.ko.zst", "ext4"},
		{"crc32c-intel.ko.gz", "crc32c_intel"},
		{"/abs/path/virtio_blk.ko", "virtio_blk"},
		{"noext", "noext"},
	};
	char out[EG_MODNAME_MAX];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		eg_modname(t[i].path, strlen(t[i].path), out, sizeof out);
		CHECK_STR(out, t[i].want, "module name of %s", t[i].path);
	}
}

static void dep_lines(void)
{
	struct eg_modpaths mp;
	const char *l1 = "kernel/drivers/watchdog/i6300esb.ko: kernel/drivers/watchdog/watchdog.ko";
	const char *l2 = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
			 "kernel/fs/jbd2/jbd2.ko";
	const char *l3 = "kernel/arch/x86/crypto/crc32c-intel.ko:";

	CHECK_INT(eg_moddep_line(l1, strlen(l1), "i6300esb", &mp), 1, "match a line");
	CHECK_INT(mp.n, 2, "module and one dependency");
	CHECK_STR(mp.path[0], "kernel/drivers/watchdog/i6300esb.ko", "module path");
	CHECK_STR(mp.path[1], "kernel/drivers/watchdog/watchdog.ko", "dependency path");
	CHECK_INT(eg_moddep_line(l1, strlen(l1), "i6300", &mp), 0, "a prefix does not match");
	CHECK_INT(eg_moddep_line(l1, strlen(l1), "watchdog", &mp), 0, "a dependency is not the module");
	CHECK_INT(eg_moddep_line(l2, strlen(l2), "ext4", &mp), 1, "ext4");
	CHECK_INT(mp.n, 4, "ext4 with three dependencies");
	CHECK_STR(mp.path[3], "kernel/fs/jbd2/jbd2.ko", "last dependency");
	CHECK_INT(eg_moddep_line(l3, strlen(l3), "crc32c_intel", &mp), 1, "'-' matches '_'");
	CHECK_INT(mp.n, 1, "no dependencies");
	CHECK_INT(eg_moddep_line("garbage", 7, "garbage", &mp), 0, "a line without ':'");
	CHECK_INT(eg_moddep_line("", 0, "x", &mp), 0, "an empty line");
	{
		char big[EG_MODDEP_MAX * 12 + 64];
		size_t o = (size_t)snprintf(big, sizeof big, "m.ko:");
		for (int i = 0; i <= EG_MODDEP_MAX; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, " d%d.ko", i);
		CHECK_INT(eg_moddep_line(big, o, "m", &mp), -1, "too many dependencies refused");
	}
}

void test_modload(void)
{
	names();
	dep_lines();
}
