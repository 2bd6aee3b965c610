/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modload.h"
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef __KLIBC__
extern int finit_module(int fd, const char *params, int flags);
#else
#include <sys/syscall.h>
static int finit_module(int fd, const char *params, int flags)
{
	return (int)syscall(SYS_finit_module, fd, params, flags);
}
#endif

#define MODULE_INIT_COMPRESSED_FILE 4

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

void eg_modname(const char *path, size_t len, char *out, size_t size)
{
	const char *base = path;
	size_t n, i;

	for (i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	n = len - (size_t)(base - path);
	for (const char *const *s = (const char *const[]){".xz", ".zst", ".gz", NULL}; *s; s++)
		if (ends_with(base, n, *s)) {
			n -= strlen(*s);
			break;
		}
	if (ends_with(base, n, ".ko"))
		n -= 3;
	if (n >= size)
		n = size - 1;
	/* The kernel treats '-' and '_' in module names as the same. */
	for (i = 0; i < n; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[n] = '\0';
}

static void norm(const char *in, char *out, size_t size)
{
	eg_modname(in, strlen(in), out, size);
}

int eg_moddep_line(const char *line, size_t len, const char *name, struct eg_modpaths *out)
{
	const char *colon = memchr(line, ':', len), *p, *end = line + len;
	char have[EG_MODNAME_MAX], want[EG_MODNAME_MAX];

	if (!colon)
		return 0;
	eg_modname(line, (size_t)(colon - line), have, sizeof have);
	norm(name, want, sizeof want);
	if (strcmp(have, want) != 0)
		return 0;
	out->n = 0;
	if ((size_t)(colon - line) >= EG_PATH_MAX)
		return -1;
	memcpy(out->path[0], line, (size_t)(colon - line));
	out->path[0][colon - line] = '\0';
	out->n = 1;
	for (p = colon + 1; p < end;) {
		size_t n = 0;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p + n < end && p[n] != ' ' && p[n] != '\t')
			n++;
		if (n == 0)
			break;
		if (out->n >= EG_MODDEP_MAX || n >= EG_PATH_MAX)
			return -1;
		memcpy(out->path[out->n], p, n);
		out->path[out->n][n] = '\0';
		out->n++;
		p += n;
	}
	return 1;
}

bool eg_modparams(const char *cmdline, const char *name, char *out, size_t size)
{
	char want[EG_MODNAME_MAX];
	struct eg_word w;
	size_t o = 0;
	int r;

	norm(name, want, sizeof want);
	out[0] = '\0';
	while ((r = eg_cmdline_next(&cmdline, &w)) != 0) {
		char *dot, mod[EG_MODNAME_MAX];
		bool quote;
		int n;

		if (r < 0 || (dot = strchr(w.key, '.')) == NULL || dot == w.key || dot[1] == '\0')
			continue;
		*dot = '\0';
		norm(w.key, mod, sizeof mod);
		if (strcmp(mod, want) != 0)
			continue;
		quote = strpbrk(w.val, " \t") != NULL;
		if (w.has_val)
			n = snprintf(out + o, size - o, "%s%s=%s%s%s", o ? " " : "", dot + 1,
				     quote ? "\"" : "", w.val, quote ? "\"" : "");
		else
			n = snprintf(out + o, size - o, "%s%s", o ? " " : "", dot + 1);
		if (n < 0 || (size_t)n >= size - o) {
			out[o] = '\0';
			return false;
		}
		o += (size_t)n;
	}
	return true;
}

/* Stream modules.dep with a fixed buffer: its size does not matter. */
static int find_in_moddep(const char *depfile, const char *name, struct eg_modpaths *mp)
{
	char buf[8192];
	size_t have = 0;
	bool skipping = false;
	int fd = open(depfile, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		size_t start = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			found = -errno;
			break;
		}
		have += (size_t)n;
		for (size_t i = 0; i < have && !found; i++) {
			if (buf[i] != '\n')
				continue;
			if (!skipping)
				found = eg_moddep_line(buf + start, i - start, name, mp);
			skipping = false;
			start = i + 1;
		}
		if (found)
			break;
		if (n == 0) {
			if (!skipping && start < have)
				found = eg_moddep_line(buf + start, have - start, name, mp);
			break;
		}
		if (start == 0 && have == sizeof buf) {
			/* a line longer than the buffer: not one we can use */
			skipping = true;
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	close(fd);
	if (found < 0 && found != -1)
		return found;
	return found == 1 ? 0 : found == -1 ? -E2BIG : -ENOENT;
}

static bool present(const char *name)
{
	char path[EG_PATH_MAX], mod[EG_MODNAME_MAX];
	struct stat st;

	norm(name, mod, sizeof mod);
	return eg_fmt(path, sizeof path, "/sys/module/%s", mod) && stat(path, &st) == 0;
}

static int load_one(const char *dir, const char *rel, const char *cmdline, char *why, size_t whylen)
{
	char path[EG_PATH_MAX * 2], name[EG_MODNAME_MAX], params[EG_MODPARAMS_MAX];
	int fd, flags = 0, r;

	eg_modname(rel, strlen(rel), name, sizeof name);
	if (present(name))
		return 0;
	if (!eg_modparams(cmdline, name, params, sizeof params)) {
		snprintf(why, whylen, "parameters for %s on the kernel command line are longer than %d bytes",
			 name, EG_MODPARAMS_MAX - 1);
		return -E2BIG;
	}
	if (rel[0] == '/')
		r = eg_fmt(path, sizeof path, "%s", rel);
	else
		r = eg_fmt(path, sizeof path, "%s/%s", dir, rel);
	if (!r) {
		snprintf(why, whylen, "module path too long");
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "unable to open %s: %s", path, strerror(-r));
		return r;
	}
	if (ends_with(path, strlen(path), ".xz") || ends_with(path, strlen(path), ".zst") ||
	    ends_with(path, strlen(path), ".gz"))
		flags |= MODULE_INIT_COMPRESSED_FILE;
	r = finit_module(fd, params, flags) == 0 ? 0 : -errno;
	close(fd);
	if (r == -EEXIST)
		r = 0;
	if (r != 0)
		snprintf(why, whylen, "unable to load %s%s%s: %s", path, params[0] ? " with " : "",
			 params, strerror(-r));
	return r;
}

int eg_modprobe(const char *name, const char *cmdline, char *why, size_t whylen)
{
	struct eg_modpaths mp;
	struct utsname u;
	char dir[EG_PATH_MAX], file[EG_PATH_MAX + 16];
	int r;

	why[0] = '\0';
	if (present(name))
		return 0;
	if (uname(&u) != 0 || !eg_fmt(dir, sizeof dir, "/lib/modules/%s", u.release)) {
		snprintf(why, whylen, "unable to find the kernel release");
		return -ENOENT;
	}
	eg_fmt(file, sizeof file, "%s/modules.dep", dir);
	r = find_in_moddep(file, name, &mp);
	if (r == -ENOENT) {
		/* A built-in driver has no entry; the caller finds its device. */
		snprintf(why, whylen, "%s is not in %s (built in, or missing from the image?)", name, file);
		return r;
	}
	if (r != 0) {
		snprintf(why, whylen, "unable to read %s: %s", file,
			 r == -E2BIG ? "the entry lists too many dependencies" : strerror(-r));
		return r;
	}
	/* modules.dep lists dependencies so that the last loads first. */
	for (int i = mp.n - 1; i >= 1; i--) {
		r = load_one(dir, mp.path[i], cmdline, why, whylen);
		if (r != 0)
			return r;
	}
	return load_one(dir, mp.path[0], cmdline, why, whylen);
}
