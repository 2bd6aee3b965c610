/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "eg.h"
#include "sys.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void test_util(void)
{
	uint64_t v;
	char buf[16], dir[] = "/tmp/eg-unit-XXXXXX", path[64], back[64];
	struct stat st;
	bool trunc;

	CHECK(eg_parse_u64("18446744073709551615", &v) && v == UINT64_MAX, "u64 max");
	CHECK(!eg_parse_u64("18446744073709551616", &v), "u64 overflow refused");
	CHECK(!eg_parse_u64("", &v) && !eg_parse_u64("1a", &v) && !eg_parse_u64("-1", &v),
	      "u64 malformed refused");
	CHECK(eg_copy(buf, sizeof buf, "fifteen chars!!") && strcmp(buf, "fifteen chars!!") == 0,
	      "copy that fits");
	CHECK(!eg_copy(buf, sizeof buf, "sixteen chars!!!") && buf[0] == '\0',
	      "copy that does not fit leaves an empty string");
	CHECK(!eg_fmt(buf, 4, "%s", "long"), "fmt reports truncation");
	{
		char qb[16];

		CHECK_STR(eg_quote(qb, sizeof qb, "plain text", 10), "plain text", "quote: printable");
		CHECK_STR(eg_quote(qb, sizeof qb, "a\0b\x1b\\", 5), "a\\x00b\\x1b\\\\",
			  "quote: NUL, ESC and backslash escaped");
		CHECK_STR(eg_quote(qb, sizeof qb, "\xc3\xa9\x7f", 3), "\\xc3\\xa9\\x7f",
			  "quote: high bytes, DEL");
		CHECK_STR(eg_quote(qb, sizeof qb, "\xc3\xa9\x7f\t", 4), "\\xc3\\xa9\\x7f...",
			  "quote: a tab too, cut short");
		CHECK_STR(eg_quote(qb, sizeof qb, "fifteen chars!!", 15), "fifteen chars!!",
			  "quote: exactly fits");
		CHECK_STR(eg_quote(qb, sizeof qb, "sixteen chars!!!", 16), "sixteen char...",
			  "quote: cut short with ...");
		CHECK_STR(eg_quote(qb, sizeof qb, "0123456789ab\x01", 13), "0123456789ab...",
			  "quote: an escape that does not fit is left out whole");
		CHECK_STR(eg_quote(qb, 4, "abcd", 4), "...", "quote: room for ... only");
		CHECK_STR(eg_quote(qb, 3, "abcd", 4), "", "quote: not even that");
		CHECK_STR(eg_quote(qb, sizeof qb, "", 0), "", "quote: nothing");
	}
	eg_fmt_duration(buf, sizeof buf, 0);
	CHECK_STR(buf, "0s", "duration 0");
	eg_fmt_duration(buf, sizeof buf, 7200);
	CHECK_STR(buf, "2h", "duration 2h");
	eg_fmt_duration(buf, sizeof buf, 3660);
	CHECK_STR(buf, "1h1m", "duration 1h1m");
	eg_fmt_duration(buf, sizeof buf, 3601);
	CHECK_STR(buf, "3601s", "duration 3601s");

	CHECK(eg_state_get("a=1\nstage=rootfs\nb=\n", "stage", buf, sizeof buf) &&
		      strcmp(buf, "rootfs") == 0,
	      "state key found");
	CHECK(eg_state_get("a=1\nb=\n", "b", buf, sizeof buf) && buf[0] == '\0', "empty value");
	CHECK(!eg_state_get("stages=x\n", "stage", buf, sizeof buf), "prefix is not the key");
	CHECK(!eg_state_get("", "stage", buf, sizeof buf), "empty state");

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/state", dir);
	CHECK_INT(eg_write_atomic(path, "one\n", 4, 0640), 0, "atomic write");
	CHECK_INT(eg_read_file(path, back, sizeof back, &trunc), 4, "read back");
	CHECK(strcmp(back, "one\n") == 0 && !trunc, "content and no truncation");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "mode kept");
	CHECK_INT(eg_write_atomic(path, "two\n", 4, 0640), 0, "replace atomically");
	snprintf(back, sizeof back, "%s/state.tmp", dir);
	CHECK(access(back, F_OK) != 0, "no temp file left behind");
	CHECK_INT(eg_read_file(path, back, 3, &trunc), 2, "bounded read");
	CHECK(trunc, "bounded read reports truncation");
	unlink(path);
	/* a path under our own directory: nothing else can create it */
	CHECK_INT(eg_read_file(path, back, sizeof back, NULL), -ENOENT, "missing file");
	rmdir(dir);
}
