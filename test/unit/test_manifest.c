/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "manifest.h"

static struct eg_manifest m;

#define HDR "earlyguard-manifest 1\n"
#define SHA_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KERNEL "artifact vmlinuz-6.1.0 8123456 " SHA_A " kernel\n"
#define INITRD "artifact initrd.img 31337 " SHA_B " initrd\n"
#define ROOTFS "artifact root.ext4 9223372036854775807 " SHA_A " rootfs\n"

static const char *parse(const char *s)
{
	const char *why = eg_manifest_parse(&m, s, strlen(s));

	return why ? why : "(ok)";
}

static void valid(void)
{
	static const uint8_t sha_a[EG_SHA256_LEN] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	const struct eg_artifact *a;

	CHECK_STR(parse(HDR KERNEL), "(ok)", "one kernel");
	CHECK_INT(m.version, 1, "version 1");
	CHECK_INT(m.count, 1, "one artifact");
	CHECK_STR(m.art[0].name, "vmlinuz-6.1.0", "its NAME");
	CHECK_INT(m.art[0].size, 8123456, "its SIZE");
	CHECK(memcmp(m.art[0].sha256, sha_a, EG_SHA256_LEN) == 0, "its SHA256HEX, as bytes");
	CHECK_INT(m.art[0].dest, EG_DEST_KERNEL, "its DEST");
	CHECK_INT(m.art[0].line, 2, "its line");
	CHECK(eg_manifest_find(&m, EG_DEST_KERNEL) == &m.art[0], "find kernel");
	CHECK(eg_manifest_find(&m, EG_DEST_INITRD) == NULL, "no initrd");
	CHECK(eg_manifest_find(&m, EG_DEST_ROOTFS) == NULL, "no rootfs");

	CHECK_STR(parse(HDR "# built by sign-recovery 2026-11-30\n\n" INITRD "#\n" KERNEL
			    "\n\n" ROOTFS "# end\n"),
		  "(ok)", "all three, comments and blank lines between");
	CHECK_INT(m.count, 3, "three artifacts");
	a = eg_manifest_find(&m, EG_DEST_INITRD);
	CHECK(a == &m.art[0] && a->line == 4 && a->size == 31337 && a->sha256[0] == 0x01 &&
		      a->sha256[31] == 0xef,
	      "initrd: listed first, line 4, its size and digest");
	a = eg_manifest_find(&m, EG_DEST_KERNEL);
	CHECK(a == &m.art[1] && a->line == 6, "kernel second, line 6");
	a = eg_manifest_find(&m, EG_DEST_ROOTFS);
	CHECK(a == &m.art[2] && a->line == 9 && a->size == INT64_MAX,
	      "rootfs third, line 9, SIZE 2^63-1");

	CHECK_STR(parse(HDR "artifact k 1 " SHA_A " kernel"), "(ok)", "no final newline");
	CHECK_INT(m.art[0].size, 1, "SIZE 1");
	CHECK_STR(parse(HDR "artifact k 1 " SHA_A " kernel\n#"), "(ok)",
		  "a comment without a final newline");
	CHECK_STR(parse(HDR "# caf\xc3\xa9, \xff bytes of any kind in a comment\n" KERNEL), "(ok)",
		  "UTF-8 and other high bytes in a comment");
	CHECK_STR(parse(HDR "#no space after the hash\n" KERNEL), "(ok)", "# alone starts a comment");

	static const char *const names[] = {
		"a", "A", "0", "-", "_", "...", ".hidden", "a..b", "x.tar.gz", "Z-9_z.",
		"0123456789012345678901234567890123456789012345678901234567890123"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char buf[256];

		snprintf(buf, sizeof buf, HDR "artifact %s 1 " SHA_A " rootfs\n", names[i]);
		CHECK_STR(parse(buf), "(ok)", "NAME %s", names[i]);
		CHECK_STR(m.art[0].name, names[i], "NAME %s kept", names[i]);
	}
}

static void errors(void)
{
	static const struct {
		const char *in, *why;
	} t[] = {
		{"", "manifest: empty"},
		{"\n", "manifest line 1: not an earlyguard manifest: the first line must be "
		       "\"earlyguard-manifest 1\""},
		{KERNEL, "manifest line 1: not an earlyguard manifest: the first line must be "
			 "\"earlyguard-manifest 1\""},
		{"# comment first\n" HDR KERNEL,
		 "manifest line 1: not an earlyguard manifest: the first line must be "
		 "\"earlyguard-manifest 1\""},
		{"\n" HDR KERNEL, "manifest line 1: not an earlyguard manifest: the first line must "
				  "be \"earlyguard-manifest 1\""},
		{"EARLYGUARD-MANIFEST 1\n" KERNEL,
		 "manifest line 1: not an earlyguard manifest: the first line must be "
		 "\"earlyguard-manifest 1\""},
		{"earlyguard-manifest\n" KERNEL,
		 "manifest line 1: not an earlyguard manifest: the first line must be "
		 "\"earlyguard-manifest 1\""},
		{"earlyguard-manifest \n" KERNEL, "manifest line 1: no version after "
						  "earlyguard-manifest"},
		{"earlyguard-manifest 2\n" KERNEL,
		 "manifest line 1: version 2 is not supported: this earlyguard reads version 1"},
		{"earlyguard-manifest 9999\n",
		 "manifest line 1: version 9999 is not supported: this earlyguard reads version 1"},
		{"earlyguard-manifest 10000\n",
		 "manifest line 1: the version is not a number from 1 to 9999: 10000"},
		{"earlyguard-manifest 0\n",
		 "manifest line 1: the version is not a number from 1 to 9999: 0"},
		{"earlyguard-manifest 01\n",
		 "manifest line 1: the version is not a number from 1 to 9999: 01"},
		{"earlyguard-manifest 1 \n",
		 "manifest line 1: the version is not a number from 1 to 9999: 1 "},
		{"earlyguard-manifest  1\n",
		 "manifest line 1: the version is not a number from 1 to 9999:  1"},
		{"earlyguard-manifest 1.0\n",
		 "manifest line 1: the version is not a number from 1 to 9999: 1.0"},
		{"earlyguard-manifest +1\n",
		 "manifest line 1: the version is not a number from 1 to 9999: +1"},
		{"earlyguard-manifest 1 # v1\n",
		 "manifest line 1: the version is not a number from 1 to 9999: 1 # v1"},
		{"earlyguard-manifest 1\r\n" KERNEL,
		 "manifest line 1: carriage return: lines end in LF only, not CRLF"},
		{HDR "artifact k 1 " SHA_A " kernel\r\n",
		 "manifest line 2: carriage return: lines end in LF only, not CRLF"},
		{HDR "artifact k 1 " SHA_A " kernel\r",
		 "manifest line 2: carriage return: lines end in LF only, not CRLF"},
		{HDR "# a comment\r\n" KERNEL,
		 "manifest line 2: carriage return: lines end in LF only, not CRLF"},
		{HDR "\r\n" KERNEL, "manifest line 2: carriage return: lines end in LF only, not CRLF"},
		{HDR "artifact\tk 1 " SHA_A " kernel\n",
		 "manifest line 2: tab: fields are separated by one space"},
		{HDR "#\tindented comment\n", "manifest line 2: tab: fields are separated by one space"},
		{HDR "artifact k\0331 " SHA_A " kernel\n", "manifest line 2: control byte 0x1b"},
		{HDR "artifact k 1 " SHA_A " kernel\x7f\n", "manifest line 2: control byte 0x7f"},
		{HDR "# \x01\n", "manifest line 2: control byte 0x01"},
		{HDR, "manifest: no artifact listed"},
		{"earlyguard-manifest 1", "manifest: no artifact listed"},
		{HDR "# nothing\n\n", "manifest: no artifact listed"},
		{HDR KERNEL HDR, "manifest line 3: the version line must be line 1 and only line 1"},
		{HDR "artefact k 1 " SHA_A " kernel\n",
		 "manifest line 2: unknown keyword artefact: version 1 has only artifact lines"},
		{HDR "Artifact k 1 " SHA_A " kernel\n",
		 "manifest line 2: unknown keyword Artifact: version 1 has only artifact lines"},
		{HDR KERNEL "signature abc\n",
		 "manifest line 3: unknown keyword signature: version 1 has only artifact lines"},
		{HDR KERNEL "\xff\xfe x\n",
		 "manifest line 3: unknown keyword \\xff\\xfe: version 1 has only artifact lines"},
		{HDR "artifact\n",
		 "manifest line 2: artifact takes 4 fields, NAME SIZE SHA256HEX DEST; this line has 0"},
		{HDR "artifact k 1 " SHA_A "\n",
		 "manifest line 2: artifact takes 4 fields, NAME SIZE SHA256HEX DEST; this line has 3"},
		{HDR "artifact k 1 " SHA_A " kernel extra\n",
		 "manifest line 2: artifact takes 4 fields, NAME SIZE SHA256HEX DEST; this line has 5"},
		{HDR "artifact my kernel 1 " SHA_A " kernel\n",
		 "manifest line 2: artifact takes 4 fields, NAME SIZE SHA256HEX DEST; this line has 5"},
		{HDR " artifact k 1 " SHA_A " kernel\n", "manifest line 2: the line starts with a space"},
		{HDR " # an indented comment\n", "manifest line 2: the line starts with a space"},
		{HDR "   \n", "manifest line 2: the line starts with a space"},
		{HDR "artifact k 1 " SHA_A " kernel \n", "manifest line 2: the line ends with a space"},
		{HDR "artifact k  1 " SHA_A " kernel\n",
		 "manifest line 2: two spaces in a row: fields are separated by one space"},
		{HDR "artifact k/x 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: k/x"},
		{HDR "artifact ../vmlinuz 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: ../vmlinuz"},
		{HDR "artifact /boot/vmlinuz 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: /boot/vmlinuz"},
		{HDR "artifact k%2f 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: k%2f"},
		{HDR "artifact k\\ 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: k\\\\"},
		{HDR "artifact caf\xc3\xa9 1 " SHA_A " kernel\n",
		 "manifest line 2: NAME may hold only A-Z a-z 0-9 . _ -: caf\\xc3\\xa9"},
		{HDR "artifact . 1 " SHA_A " kernel\n", "manifest line 2: NAME cannot be . or ..: ."},
		{HDR "artifact .. 1 " SHA_A " kernel\n", "manifest line 2: NAME cannot be . or ..: .."},
		{HDR "artifact 01234567890123456789012345678901234567890123456789012345678901234 1 " SHA_A
		     " kernel\n",
		 "manifest line 2: NAME is longer than 64 bytes: "
		 "01234567890123456789012345678901234567890123456789012345678901234"},
		{HDR "artifact k 12a " SHA_A " kernel\n", "manifest line 2: SIZE is not a number: 12a"},
		{HDR "artifact k +12 " SHA_A " kernel\n", "manifest line 2: SIZE is not a number: +12"},
		{HDR "artifact k -1 " SHA_A " kernel\n", "manifest line 2: SIZE is not a number: -1"},
		{HDR "artifact k 1e3 " SHA_A " kernel\n", "manifest line 2: SIZE is not a number: 1e3"},
		{HDR "artifact k 0x10 " SHA_A " kernel\n", "manifest line 2: SIZE is not a number: 0x10"},
		{HDR "artifact k 1,000 " SHA_A " kernel\n",
		 "manifest line 2: SIZE is not a number: 1,000"},
		{HDR "artifact k 012 " SHA_A " kernel\n", "manifest line 2: SIZE has a leading zero: 012"},
		{HDR "artifact k 00 " SHA_A " kernel\n", "manifest line 2: SIZE has a leading zero: 00"},
		{HDR "artifact k 0 " SHA_A " kernel\n",
		 "manifest line 2: SIZE is 0: an artifact is never empty: 0"},
		{HDR "artifact k 9223372036854775808 " SHA_A " kernel\n",
		 "manifest line 2: SIZE is more than 9223372036854775807: 9223372036854775808"},
		{HDR "artifact k 18446744073709551617 " SHA_A " kernel\n",
		 "manifest line 2: SIZE is more than 9223372036854775807: 18446744073709551617"},
		{HDR "artifact k 99999999999999999999999999 " SHA_A " kernel\n",
		 "manifest line 2: SIZE is more than 9223372036854775807: 99999999999999999999999999"},
		{HDR "artifact k 1 " SHA_B "0 kernel\n",
		 "manifest line 2: SHA256HEX is 65 characters, not 64: " SHA_B "0"},
		{HDR "artifact k 1 e3b0 kernel\n",
		 "manifest line 2: SHA256HEX is 4 characters, not 64: e3b0"},
		{HDR "artifact k 1 "
		     "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 kernel\n",
		 "manifest line 2: SHA256HEX is not lowercase hexadecimal: "
		 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
		{HDR "artifact k 1 "
		     "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 kernel\n",
		 "manifest line 2: SHA256HEX is not lowercase hexadecimal: "
		 "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{HDR "artifact k 1 " SHA_A " Kernel\n",
		 "manifest line 2: DEST is not kernel, initrd or rootfs: Kernel"},
		{HDR "artifact k 1 " SHA_A " vmlinuz\n",
		 "manifest line 2: DEST is not kernel, initrd or rootfs: vmlinuz"},
		{HDR "artifact k 1 " SHA_A " /boot/earlyguard/recovery/vmlinuz\n",
		 "manifest line 2: DEST is not kernel, initrd or rootfs: "
		 "/boot/earlyguard/recovery/vmlinuz"},
		{HDR "artifact k 1 " SHA_A " kernels\n",
		 "manifest line 2: DEST is not kernel, initrd or rootfs: kernels"},
		{HDR "artifact k 1 " SHA_A " kerne\n",
		 "manifest line 2: DEST is not kernel, initrd or rootfs: kerne"},
		{HDR KERNEL "\n# again\nartifact other 1 " SHA_B " kernel\n",
		 "manifest line 5: DEST kernel is listed already on line 2"},
		{HDR KERNEL "artifact vmlinuz-6.1.0 1 " SHA_B " initrd\n",
		 "manifest line 3: NAME vmlinuz-6.1.0 is listed already on line 2"},
		{HDR KERNEL INITRD ROOTFS "artifact more 1 " SHA_B " rootfs\n",
		 "manifest line 5: DEST rootfs is listed already on line 4"},
		{HDR KERNEL INITRD "artifact k 0 " SHA_A " bogus",
		 "manifest line 4: SIZE is 0: an artifact is never empty: 0"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* a NUL byte is tested below: strlen is the length here */
		CHECK_STR(parse(t[i].in), t[i].why, "refused: %s", t[i].why);
		CHECK_INT(m.count, 0, "nothing kept of a refused manifest (%zu)", i);
	}

	/* a NUL is a control byte like any other, not the end */
	static const char nul[] = HDR "# a\0b\n" KERNEL;
	CHECK_STR(eg_manifest_parse(&m, nul, sizeof nul - 1), "manifest line 2: control byte 0x00",
		  "NUL refused");
	static const char nul_end[] = HDR KERNEL "\0";
	CHECK_STR(eg_manifest_parse(&m, nul_end, sizeof nul_end - 1),
		  "manifest line 3: control byte 0x00", "a trailing NUL refused");
}

/* The size bound: exactly EG_MANIFEST_MAX bytes parse, one more do not. */
static void sizes(void)
{
	static char buf[EG_MANIFEST_MAX + 2];
	size_t n = strlen(HDR KERNEL);

	memcpy(buf, HDR KERNEL, n);
	memset(buf + n, '#', sizeof buf - n);
	buf[EG_MANIFEST_MAX - 1] = '\n';
	CHECK(eg_manifest_parse(&m, buf, EG_MANIFEST_MAX) == NULL && m.count == 1,
	      "%d bytes are a manifest", EG_MANIFEST_MAX);
	CHECK_STR(eg_manifest_parse(&m, buf, EG_MANIFEST_MAX + 1),
		  "manifest: 4097 bytes, more than the 4096 a manifest may have",
		  "%d bytes are not", EG_MANIFEST_MAX + 1);
	CHECK_INT(m.count, 0, "and nothing is kept");
}

/* Every prefix of a manifest: a whole line or nothing, never a crash,
 * never a half-read artifact. */
static void prefixes(void)
{
	static const char full[] = HDR "# c\n" KERNEL INITRD ROOTFS;
	const size_t l3 = strlen(HDR "# c\n" KERNEL), l4 = l3 + strlen(INITRD),
		     l5 = l4 + strlen(ROOTFS);
	int bad = 0;

	for (size_t n = 0; n <= l5; n++) {
		const char *why = eg_manifest_parse(&m, full, n);
		/* an artifact line is whole with or without its newline */
		size_t want = n + 1 == l3 || n == l3 ? 1 : n + 1 == l4 || n == l4 ? 2 :
			      n + 1 == l5 || n == l5 ? 3 : 0;

		if (want ? why != NULL || m.count != want : why == NULL || m.count != 0) {
			printf("# prefix of %zu bytes: %s, %zu artifacts\n", n, why ? why : "ok",
			       m.count);
			bad++;
		}
	}
	CHECK(bad == 0, "every prefix of a manifest: its whole artifact lines, or a refusal");
}

static void helpers(void)
{
	uint8_t d[EG_SHA256_LEN] = {0};

	CHECK(eg_sha256_parse(SHA_B, 64, d) && d[0] == 0x01 && d[1] == 0x23 && d[15] == 0xef &&
		      d[31] == 0xef,
	      "sha256 parse");
	CHECK(!eg_sha256_parse(SHA_B, 63, d), "63 digits refused");
	CHECK(!eg_sha256_parse(SHA_B "0", 65, d), "65 digits refused");
	CHECK(!eg_sha256_parse("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			       64, d),
	      "uppercase refused");
	CHECK(!eg_sha256_parse("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde ",
			       64, d),
	      "a space refused");
	CHECK_INT(eg_dest_lookup("kernel", 6), EG_DEST_KERNEL, "dest kernel");
	CHECK_INT(eg_dest_lookup("initrd", 6), EG_DEST_INITRD, "dest initrd");
	CHECK_INT(eg_dest_lookup("rootfs", 6), EG_DEST_ROOTFS, "dest rootfs");
	CHECK_INT(eg_dest_lookup("kernel", 5), -1, "dest kerne");
	CHECK_INT(eg_dest_lookup("", 0), -1, "empty dest");
	for (int i = 0; i < EG_DEST_COUNT; i++)
		CHECK_INT(eg_dest_lookup(eg_dest_name[i], strlen(eg_dest_name[i])), i,
			  "dest name %d is its dest", i);
}

void test_manifest(void)
{
	valid();
	errors();
	sizes();
	prefixes();
	helpers();
}
