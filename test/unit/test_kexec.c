/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "conf.h"
#include "kexec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* What the next kernel makes of the result: the earlyguard.recover= values
 * among its words (before "--"), joined with '|'. */
static void recover_values(const char *cmdline, char *out, size_t size)
{
	struct eg_word w;
	size_t o = 0;

	out[0] = '\0';
	while (eg_cmdline_next(&cmdline, &w) != 0) {
		if (strcmp(w.key, "earlyguard.recover") != 0)
			continue;
		int n = snprintf(out + o, size - o, "%s%s", o ? "|" : "", w.val);
		if (n < 0 || (size_t)n >= size - o)
			return;
		o += (size_t)n;
	}
}

static void cmdline_table(void)
{
#define R "earlyguard.recover=retry"
	static const struct {
		const char *in, *want;
	} t[] = {
		/* empty and blank */
		{"", R},
		{"\n", R},
		{"   \t ", R},
		/* words kept in order, the newline gone, blanks collapsed */
		{"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n",
		 "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet " R},
		{"  a\t\tb   c  \n", "a b c " R},
		{"a\nb", "a b " R},
		/* the three keys dropped, wherever they are */
		{"root=/dev/sda1 earlyguard.recover=fetch earlyguard.entry=trial "
		 "earlyguard.attempt=2 quiet",
		 "root=/dev/sda1 quiet " R},
		{"earlyguard.entry=A", R},
		{"earlyguard.entry=A earlyguard.attempt=1\n", R},
		{"earlyguard.recover= x", "x " R},
		{"earlyguard.entry= earlyguard.attempt= x", "x " R},
		/* other earlyguard keys stay */
		{"earlyguard.timeout=90 earlyguard.recover=kexec earlyguard.fetch_path=/x",
		 "earlyguard.timeout=90 earlyguard.fetch_path=/x " R},
		/* repeated keys: all of them go, one retry at the end */
		{"earlyguard.recover=fetch a earlyguard.recover=kexec b earlyguard.recover=retry",
		 "a b " R},
		{"earlyguard.entry=A earlyguard.entry=B earlyguard.attempt=1 earlyguard.attempt=2 c",
		 "c " R},
		/* only the key followed by '=' is dropped */
		{"earlyguard.recovery=1", "earlyguard.recovery=1 " R},
		{"earlyguard.recovery", "earlyguard.recovery " R},
		{"earlyguard.recover", "earlyguard.recover " R},
		{"earlyguard.entry earlyguard.attempt", "earlyguard.entry earlyguard.attempt " R},
		{"earlyguard.entryx=A earlyguard.attempts=3",
		 "earlyguard.entryx=A earlyguard.attempts=3 " R},
		{"xearlyguard.recover=fetch", "xearlyguard.recover=fetch " R},
		{"Earlyguard.recover=fetch", "Earlyguard.recover=fetch " R},
		{"earlyguard.recover-x=1", "earlyguard.recover-x=1 " R},
		/* quoted words are one word, kept as they are */
		{"foo=\"a b\" bar", "foo=\"a b\" bar " R},
		{"foo=\"a  b\"   bar\n", "foo=\"a  b\" bar " R},
		{"\"foo=a  b\" bar", "\"foo=a  b\" bar " R},
		{"\"flag\"", "\"flag\" " R},
		{"a=x\"y z\" b", "a=x\"y z\" b " R},
		{"foo=\"a\tb\"", "foo=\"a\tb\" " R},
		{"foo=\"\"", "foo=\"\" " R},
		{"foo=\"a\nb\" c\n", "foo=\"a\nb\" c " R},
		/* quoted keys: the kernel drops a leading quote before the key */
		{"\"earlyguard.recover=fetch now\" x", "x " R},
		{"earlyguard.recover=\"fetch now\" x", "x " R},
		{"\"earlyguard.entry=A\"", R},
		{"earlyguard.\"recover\"=fetch", "earlyguard.\"recover\"=fetch " R},
		/* a quote never closed runs to the end: retry goes before it */
		{"a foo=\"x y", "a " R " foo=\"x y"},
		{"a foo=\"x y\n", "a " R " foo=\"x y"},
		{"foo=\"x -- y", R " foo=\"x -- y"},
		{"\"a b", R " \"a b"},
		{"a earlyguard.recover=\"fetch now", "a " R},
		/* "--": the words after it are init's, kept as they are */
		{"root=x earlyguard.recover=fetch -- single earlyguard.recover=fetch",
		 "root=x " R " -- single earlyguard.recover=fetch"},
		{"-- a", R " -- a"},
		{"--", R " --"},
		{"a --", "a " R " --"},
		{"a --\n", "a " R " --"},
		{"a   --   b  -- c", "a " R " -- b -- c"},
		{"a -- b=\"x", "a " R " -- b=\"x"},
		{"a -- b=\"x\n", "a " R " -- b=\"x"},
		{"--a=2 b", "--a=2 b " R},
		{"a --b", "a --b " R},
		{"earlyguard.entry=A -- earlyguard.entry=B", R " -- earlyguard.entry=B"},
	};
#undef R
	char out[EG_KEXEC_CMDLINE_MAX], rec[256], s1[160], s2[160];
	int bad_recover = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *why = eg_kexec_cmdline(t[i].in, out, sizeof out);
		CHECK(why == NULL, "kexec cmdline of \"%s\" fits",
		      unit_shown(t[i].in, s1, sizeof s1));
		CHECK_STR(out, t[i].want, "kexec cmdline of \"%s\" is \"%s\"",
			  unit_shown(t[i].in, s1, sizeof s1),
			  unit_shown(t[i].want, s2, sizeof s2));
		/* whatever the input, the next kernel sees exactly one recover=,
		 * and it is retry */
		recover_values(out, rec, sizeof rec);
		if (strcmp(rec, "retry") != 0) {
			bad_recover++;
			printf("#   \"%s\": recover values \"%s\"\n",
			       unit_shown(out, s1, sizeof s1), rec);
		}
	}
	CHECK_INT(bad_recover, 0, "the next kernel's only earlyguard.recover= is retry, in every case");
}

static void cmdline_sizes(void)
{
	/* "abc earlyguard.recover=retry" is 28 bytes */
	static const char want[] = "abc earlyguard.recover=retry";
	char out[EG_KEXEC_CMDLINE_MAX * 2], in[EG_KEXEC_CMDLINE_MAX * 2];
	const char *why;
	size_t n;

	why = eg_kexec_cmdline("abc\n", out, sizeof want);
	CHECK(why == NULL, "exact fit: 28 bytes and the NUL in 29");
	CHECK_STR(out, want, "exact fit: the whole line");

	memset(out, 'x', sizeof out);
	why = eg_kexec_cmdline("abc\n", out, sizeof want - 1);
	CHECK(why != NULL, "one byte short: refused");
	CHECK_STR(why ? why : "", "the command line is over 27 bytes", "one byte short: the reason");
	CHECK(out[0] == '\0', "one byte short: out is empty, not a cut line");

	memset(out, 'x', sizeof out);
	why = eg_kexec_cmdline("abc", out, 1);
	CHECK(why != NULL && out[0] == '\0', "size 1: refused, out empty");
	why = eg_kexec_cmdline("", out, sizeof "earlyguard.recover=retry" - 1);
	CHECK(why != NULL && out[0] == '\0', "empty input, out too small for the retry word");
	why = eg_kexec_cmdline("", out, sizeof "earlyguard.recover=retry");
	CHECK(why == NULL, "empty input, out just fits the retry word");

	out[0] = 'x';
	why = eg_kexec_cmdline("abc", out, 0);
	CHECK(why != NULL, "size 0: refused");
	CHECK(out[0] == 'x', "size 0: nothing written");

	/* dropped words take no room: the fit is of the result */
	why = eg_kexec_cmdline("earlyguard.entry=A earlyguard.attempt=1 abc", out, sizeof want);
	CHECK(why == NULL, "dropped words do not count against the size");
	CHECK_STR(out, want, "dropped words: the line");

	/* the kernel's limit: text of EG_KEXEC_CMDLINE_MAX - 2 bytes at most,
	 * whatever the caller's buffer.  "k=vvv...v" plus " " R. */
	n = EG_KEXEC_CMDLINE_MAX - 2 - (sizeof " earlyguard.recover=retry" - 1);
	memset(in, 'v', n);
	memcpy(in, "k=", 2);
	in[n] = '\0';
	why = eg_kexec_cmdline(in, out, sizeof out);
	CHECK(why == NULL, "a result of exactly %d bytes fits the kernel", EG_KEXEC_CMDLINE_MAX - 2);
	CHECK_INT(strlen(out), EG_KEXEC_CMDLINE_MAX - 2, "and is all there");
	CHECK(strncmp(out, in, n) == 0 && strcmp(out + n, " earlyguard.recover=retry") == 0,
	      "and is the long word, then retry");
	in[n] = 'v';
	in[n + 1] = '\0';
	why = eg_kexec_cmdline(in, out, sizeof out);
	CHECK(why != NULL && out[0] == '\0', "one byte more is over the kernel's limit");
	CHECK_STR(why ? why : "", "the command line is over 2046 bytes", "the kernel's limit reason");

	/* too long an input, and a long word (over eg_word's buffers) kept */
	memset(in, 'w', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	why = eg_kexec_cmdline(in, out, sizeof out);
	CHECK(why != NULL && out[0] == '\0', "a %zu-byte input is refused", sizeof in - 1);
	n = 600;
	memset(in, 'v', n);
	memcpy(in, "k=", 2);
	in[n] = '\0';
	why = eg_kexec_cmdline(in, out, sizeof out);
	CHECK(why == NULL && strncmp(out, in, n) == 0 && out[n] == ' ',
	      "a 600-byte word (longer than a value buffer) is kept whole");
	memcpy(in, "earlyguard.entry=", 17);
	why = eg_kexec_cmdline(in, out, sizeof out);
	CHECK(why == NULL, "a 600-byte earlyguard.entry= fits");
	CHECK_STR(out, "earlyguard.recover=retry", "a 600-byte earlyguard.entry= is dropped");
}

/* The lowest free descriptor: the same before and after means nothing
 * leaked. */
static int lowest_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void load(void)
{
	char dir[] = "/tmp/eg-unit-XXXXXX", kernel[64], initrd[64], why[EG_MSG_MAX], num[16];
	int fd0, fd;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(kernel, sizeof kernel, "%s/vmlinuz", dir);
	snprintf(initrd, sizeof initrd, "%s/initrd.img", dir);
	unsetenv("EARLYGUARD_TEST_KEXEC_ERRNO");
	fd0 = lowest_fd();

	/* paths under our own directory: nothing else can create them */
	CHECK_INT(eg_kexec_load(kernel, initrd, "quiet", why, sizeof why), -ENOENT,
		  "kexec load: a missing kernel is ENOENT");
	CHECK(strstr(why, "unable to open") && strstr(why, kernel), "the reason names the kernel: %s",
	      why);

	fd = open(kernel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && close(fd) == 0, "a kernel file");
	CHECK_INT(eg_kexec_load(kernel, initrd, "quiet", why, sizeof why), -ENOENT,
		  "kexec load: a missing initrd is ENOENT");
	CHECK(strstr(why, "unable to open") && strstr(why, initrd), "the reason names the initrd: %s",
	      why);
	CHECK_INT(lowest_fd(), fd0, "the kernel's descriptor is closed when the initrd is missing");

	/* The test build has no kexec_file_load in it at all (EG_NO_REBOOT):
	 * these never load a kernel into the host.  The seam gives the
	 * kernel's answer. */
	fd = open(initrd, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && close(fd) == 0, "an initrd file");
	CHECK_INT(eg_kexec_load(kernel, initrd, "quiet", why, sizeof why), 0,
		  "test build: the load is suppressed and succeeds");
	CHECK_STR(why, "", "no reason on success");
	{
		static const struct {
			int err;
			const char *hint;
		} t[] = {
			{EPERM, "kexec is not permitted (lockdown or kexec_load_disabled?)"},
			{ENOSYS, "CONFIG_KEXEC_FILE"},
			{EOPNOTSUPP, "CONFIG_KEXEC_FILE"},
			{EKEYREJECTED, "KEXEC_SIG_FORCE"},
			{EBADMSG, "KEXEC_SIG_FORCE"},
			{ENODATA, "KEXEC_SIG_FORCE"},
			{ENOEXEC, "bzImage"},
			{EINVAL, "cmdline_size"},
			{ENOMEM, "memory"},
		};
		for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
			snprintf(num, sizeof num, "%d", t[i].err);
			setenv("EARLYGUARD_TEST_KEXEC_ERRNO", num, 1);
			CHECK_INT(eg_kexec_load(kernel, initrd, "quiet", why, sizeof why), -t[i].err,
				  "kexec load refused with errno %d", t[i].err);
			CHECK(strstr(why, kernel) && strstr(why, strerror(t[i].err)) &&
				      strstr(why, t[i].hint),
			      "errno %d: the reason names the kernel, the error and \"%s\": %s",
			      t[i].err, t[i].hint, why);
		}
		setenv("EARLYGUARD_TEST_KEXEC_ERRNO", "999", 1);
		CHECK_INT(eg_kexec_load(kernel, initrd, "quiet", why, sizeof why), -999,
			  "an errno without a hint");
		CHECK(strstr(why, kernel) && strstr(why, "; ") == NULL,
		      "no hint: the reason ends with the error: %s", why);
		unsetenv("EARLYGUARD_TEST_KEXEC_ERRNO");
	}
	CHECK_INT(lowest_fd(), fd0, "no descriptor leaked");

	/* a small why is cut, never overrun */
	CHECK_INT(eg_kexec_load(initrd, kernel, "", why, 8), 0, "load with an 8-byte why");
	unlink(kernel);
	CHECK_INT(eg_kexec_load(kernel, initrd, "", why, 8), -ENOENT, "missing kernel, 8-byte why");
	CHECK_INT(strlen(why), 7, "the reason is cut to the buffer");
	unlink(initrd);
	rmdir(dir);
}

/* A boot slot's arguments: also without BOOT_IMAGE= and root=, with the
 * given root last. */
static void slot_args(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{"BOOT_IMAGE=/boot/earlyguard/recovery/vmlinuz root=/dev/vda2 ro quiet "
		 "earlyguard.recover=fetch earlyguard.entry=recovery earlyguard.attempt=1\n",
		 "ro quiet earlyguard.recover=retry root=/dev/vda3"},
		{"root=/dev/sda1 root=/dev/sda2 x", "x earlyguard.recover=retry root=/dev/vda3"},
		{"rootfstype=ext4 rootwait rootdelay=5 root=LABEL=a",
		 "rootfstype=ext4 rootwait rootdelay=5 earlyguard.recover=retry root=/dev/vda3"},
		{"\"root=/dev/sda1\" a", "a earlyguard.recover=retry root=/dev/vda3"},
		{"a -- root=/dev/sda1", "a earlyguard.recover=retry root=/dev/vda3 -- root=/dev/sda1"},
		{"", "earlyguard.recover=retry root=/dev/vda3"},
	};
	char out[EG_KEXEC_CMDLINE_MAX];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *why = eg_next_cmdline(t[i].in, "/dev/vda3", out, sizeof out);

		CHECK(why == NULL, "slot args %zu: %s", i, why ? why : "ok");
		CHECK_STR(out, t[i].want, "slot args %zu", i);
	}
	/* without a root: what eg_kexec_cmdline gives, BOOT_IMAGE= and root= kept */
	eg_next_cmdline("BOOT_IMAGE=/k root=/dev/a earlyguard.entry=A", NULL, out, sizeof out);
	CHECK_STR(out, "BOOT_IMAGE=/k root=/dev/a earlyguard.recover=retry", "no root: kexec's");
}

void test_kexec(void)
{
	slot_args();
	cmdline_table();
	cmdline_sizes();
	load();
}
