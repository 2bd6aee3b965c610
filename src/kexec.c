/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Booting the fetched kernel with kexec_file_load(2).  The kernel reads
 * the files itself (and checks their signature when it must), so no
 * segment list is built here and no kernel image parser is needed.
 */
#include "kexec.h"
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/reboot.h>

/* ---- the command line (pure) ---- */

struct cl_out {
	char *buf;
	size_t cap; /* bytes for the text and its NUL */
	size_t len;
	bool over;
};

/* Append one word, with a blank before it unless it is the first. */
static void cl_word(struct cl_out *o, const char *w, size_t n)
{
	size_t sep = o->len > 0;

	if (o->over || o->len + sep + n >= o->cap) {
		o->over = true;
		return;
	}
	if (sep)
		o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, w, n);
	o->len += n;
}

/* Is the raw word one that a kexec'd kernel must not inherit?  Only the
 * key followed by '=' (after the kernel's optional leading quote), as
 * earlyguard's own parser reads them: "earlyguard.recovery=x" and a bare
 * "earlyguard.entry" stay. */
static bool cl_dropped(const char *w, size_t n, bool slot)
{
	static const char *const keys[] = {
		"earlyguard.recover=",
		"earlyguard.entry=",
		"earlyguard.attempt=",
		/* for a boot slot's arguments: GRUB adds its own BOOT_IMAGE=,
		 * and the slot's root= is the one given */
		"BOOT_IMAGE=",
		"root=",
	};
	size_t count = slot ? 5 : 3;

	if (n > 0 && *w == '"') {
		w++;
		n--;
	}
	for (size_t i = 0; i < count; i++) {
		size_t k = strlen(keys[i]);
		if (n >= k && memcmp(w, keys[i], k) == 0)
			return true;
	}
	return false;
}

/* An odd number of quotes: the word leaves a quote open, so it ran to the
 * end of the line (a word ends at a blank only outside quotes). */
static bool cl_open_quote(const char *w, size_t n)
{
	size_t q = 0;

	for (size_t i = 0; i < n; i++)
		q += w[i] == '"';
	return q % 2 == 1;
}

const char *eg_kexec_cmdline(const char *current, char *out, size_t size)
{
	return eg_next_cmdline(current, NULL, out, size);
}

const char *eg_next_cmdline(const char *current, const char *root, char *out, size_t size)
{
	static char retry[EG_KEXEC_CMDLINE_MAX];
	static char reason[64];
	struct cl_out o = {out, size, 0, false};
	const char *cur = current;
	bool retried = false, init = false;
	struct eg_word w;
	int r;

	if (root)
		snprintf(retry, sizeof retry, "earlyguard.recover=retry root=%s", root);
	else
		snprintf(retry, sizeof retry, "earlyguard.recover=retry");
	/* the kernel's limit, whatever the caller's buffer */
	if (o.cap > EG_KEXEC_CMDLINE_MAX - 1)
		o.cap = EG_KEXEC_CMDLINE_MAX - 1;
	/* eg_cmdline_next gives each word's raw text even when it is too
	 * long for its key and value buffers (-1): the raw text is all that
	 * is copied here. */
	while (!o.over) {
		r = eg_cmdline_next(&cur, &w);
		if (r == 0 && *cur == '\0')
			break;
		if (r == 0) {
			/* a bare "--": the words after it are init's */
			if (!retried)
				cl_word(&o, retry, strlen(retry));
			retried = init = true;
			cl_word(&o, "--", 2);
			cur += 2;
			continue;
		}
		/* A word that leaves a quote open runs to the end of the text,
		 * over the newline /proc/cmdline ends with: not the kernel's. */
		if (w.rawlen > 0 && w.raw[w.rawlen - 1] == '\n' && w.raw[w.rawlen] == '\0')
			w.rawlen--;
		if (!init) {
			if (cl_dropped(w.raw, w.rawlen, root != NULL))
				continue;
			if (!retried && cl_open_quote(w.raw, w.rawlen)) {
				cl_word(&o, retry, strlen(retry));
				retried = true;
			}
		}
		cl_word(&o, w.raw, w.rawlen);
	}
	if (!retried)
		cl_word(&o, retry, strlen(retry));
	if (o.over) {
		if (size > 0)
			out[0] = '\0';
		snprintf(reason, sizeof reason, "the command line is over %zu bytes",
			 o.cap > 0 ? o.cap - 1 : 0);
		return reason;
	}
	out[o.len] = '\0';
	return NULL;
}

/* ---- the effects ---- */

#ifndef LINUX_REBOOT_CMD_KEXEC
#define LINUX_REBOOT_CMD_KEXEC 0x45584543
#endif

#if !defined(EG_NO_REBOOT) && defined(__KLIBC__) && defined(__x86_64__)
/* klibc has no syscall(2) and no kexec_file_load() (only kexec_load):
 * the system call directly, as clock.c does for clock_gettime.  The
 * fourth argument goes in r10, not rcx (which syscall clobbers). */
#include <asm/unistd.h>
#ifndef __NR_kexec_file_load
#define __NR_kexec_file_load 320
#endif
static long sys_kexec_file_load(int kfd, int ifd, const char *cmdline, size_t len)
{
	register long r10 __asm__("r10") = (long)cmdline;
	register long r8 __asm__("r8") = 0; /* flags */
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)__NR_kexec_file_load), "D"((long)kfd), "S"((long)ifd),
			   "d"((long)len), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
#define EG_HAVE_KEXEC 1
#elif !defined(EG_NO_REBOOT) && !defined(__KLIBC__) && defined(__x86_64__)
#include <sys/syscall.h>
static long sys_kexec_file_load(int kfd, int ifd, const char *cmdline, size_t len)
{
	long r = syscall(SYS_kexec_file_load, kfd, ifd, (unsigned long)len, cmdline, 0UL);
	return r < 0 ? -errno : r;
}
#define EG_HAVE_KEXEC 1
#endif

/* What to do about a refused load, NULL when there is nothing to add. */
static const char *load_hint(int err)
{
	switch (err) {
	case EPERM:
		return "kexec is not permitted (lockdown or kexec_load_disabled?); "
		       "use earlyguard.recover=fetch";
	case ENOSYS:
	case EOPNOTSUPP:
		return "this kernel has no kexec_file_load (CONFIG_KEXEC_FILE); "
		       "use earlyguard.recover=fetch";
	case EKEYREJECTED:
	case EKEYEXPIRED:
	case EKEYREVOKED:
	case EBADMSG:
	case ENOKEY:
	case ENODATA:
	case ENOPKG:
		return "this kernel boots only signed kernels (KEXEC_SIG_FORCE or lockdown); "
		       "publish one signed with a key it trusts";
	case EACCES:
		return "a security policy (IMA appraisal, an LSM) refused the file";
	case ENOEXEC:
		return "not a kernel this kernel can kexec (x86_64: a 64-bit bzImage)";
	case EINVAL:
		return "the kernel refused the image or the command line "
		       "(longer than the new kernel's cmdline_size?)";
	case ENOMEM:
		return "not enough memory for the kernel and the initrd";
	case EBUSY:
		return "another kexec load is under way; try again";
	case EFBIG:
		return "the file is too large to load";
	default:
		return NULL;
	}
}

int eg_kexec_load(const char *kernel_path, const char *initrd_path, const char *cmdline,
		  char *why, size_t wsize)
{
	const char *hint = NULL;
	int kfd, ifd, err;
	long r;

	why[0] = '\0';
	kfd = open(kernel_path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		err = errno;
		snprintf(why, wsize, "unable to open %s: %s", kernel_path, strerror(err));
		return -err;
	}
	ifd = open(initrd_path, O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		err = errno;
		close(kfd);
		snprintf(why, wsize, "unable to open %s: %s", initrd_path, strerror(err));
		return -err;
	}
#if defined(EG_NO_REBOOT)
	/* The test build never loads a kernel into the machine running the
	 * tests; the seam picks the result. */
	{
		const char *e = getenv("EARLYGUARD_TEST_KEXEC_ERRNO");
		uint64_t n = 0;
		(void)cmdline;
		r = e && eg_parse_u64(e, &n) && n > 0 && n < 4096 ? -(long)n : 0;
	}
#elif defined(EG_HAVE_KEXEC)
	r = sys_kexec_file_load(kfd, ifd, cmdline, strlen(cmdline) + 1);
#else
	(void)cmdline;
	r = -ENOSYS;
	hint = "earlyguard calls kexec_file_load only on x86_64; use earlyguard.recover=fetch";
#endif
	close(ifd);
	close(kfd);
	if (r < 0) {
		err = (int)-r;
		if (!hint)
			hint = load_hint(err);
		snprintf(why, wsize, "unable to load %s with kexec_file_load: %s%s%s", kernel_path,
			 strerror(err), hint ? "; " : "", hint ? hint : "");
		return -err;
	}
	return 0;
}

#ifdef EG_NO_REBOOT
int eg_kexec_exec(char *why, size_t wsize)
{
	/* The host test build never reboots the machine running the tests. */
	(void)why;
	(void)wsize;
	eg_log(EG_NOTICE, "test build: kexec suppressed");
	_exit(EG_EXIT_OK);
}
#else
/* How long sync may take before we boot the new kernel without it. */
#define EG_KEXEC_SYNC_BOUND_MS 20000

static int kexec_reboot(void)
{
#ifdef __KLIBC__
	return reboot(LINUX_REBOOT_CMD_KEXEC, NULL);
#else
	return reboot(LINUX_REBOOT_CMD_KEXEC);
#endif
}

static int exec_failed(int err, char *why, size_t wsize)
{
	const char *hint = err == EINVAL ? "no kernel is loaded for kexec" :
			   err == EPERM  ? "not permitted (no CAP_SYS_BOOT?)" :
					   NULL;

	snprintf(why, wsize, "unable to boot the loaded kernel with kexec: %s%s%s", strerror(err),
		 hint ? "; " : "", hint ? hint : "");
	return -err;
}

int eg_kexec_exec(char *why, size_t wsize)
{
	int64_t start = eg_now_ms();
	bool sync_hung = true;
	pid_t pid;
	int st = 0;

	why[0] = '\0';
	/* Sync and kexec from a child: a file system that hangs in sync
	 * cannot keep us from booting (busybox, eg_reboot). */
	pid = fork();
	if (pid == 0) {
		sync();
		kexec_reboot();
		_exit(errno > 0 && errno < 255 ? errno : 255);
	}
	if (pid < 0) {
		sync();
		kexec_reboot();
		return exec_failed(errno, why, wsize);
	}
	while (eg_now_ms() - start < EG_KEXEC_SYNC_BOUND_MS) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			/* reboot returned: the child's exit status is its errno */
			if (WIFEXITED(st))
				return exec_failed(WEXITSTATUS(st) ? WEXITSTATUS(st) : EIO, why,
						   wsize);
			snprintf(why, wsize, "the kexec helper was killed by signal %d",
				 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			return -EINTR;
		}
		if (r < 0 && errno != EINTR) {
			/* the child cannot be waited for (SIGCHLD ignored?):
			 * its result is lost, try here */
			sync_hung = false;
			break;
		}
		eg_sleep_ms(50);
	}
	if (sync_hung)
		eg_log(EG_ERR, "sync did not finish within %ds; booting the new kernel without it",
		       EG_KEXEC_SYNC_BOUND_MS / 1000);
	kexec_reboot();
	return exec_failed(errno, why, wsize);
}
#endif
