/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "eg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

bool eg_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return false;
	if (n >= size) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

bool eg_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

int eg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long eg_read_file(const char *path, char *buf, size_t size, bool *truncated)
{
	size_t got = 0;
	int fd;

	if (truncated)
		*truncated = false;
	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == size - 1 && truncated) {
		char c;
		*truncated = read(fd, &c, 1) == 1;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

#ifndef FIFREEZE /* <linux/fs.h> */
#define FIFREEZE _IOWR('X', 119, int)
#define FITHAW _IOWR('X', 120, int)
#endif

/* GRUB reads a file system without replaying its journal: a renamed or new
 * file is invisible to it until the journal is written to its home
 * blocks.  Freezing the file system does exactly that; it is thawed at
 * once.  A file system that cannot freeze (FAT) has no journal to flush. */
int eg_fs_checkpoint(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
#ifdef EG_NO_REBOOT
	/* the test build never freezes the file system of the host it runs on */
	close(fd);
	return 0;
#endif
	/* A signal that ended this process between the two would leave the
	 * file system frozen, every writer to it stuck: they wait until the
	 * thaw.  SIGKILL cannot be held back; `fsfreeze -u` thaws by hand. */
	sigset_t all, old;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &old) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (ioctl(fd, FIFREEZE, 0) != 0)
		err = errno == EOPNOTSUPP || errno == ENOTTY ? 0 : -errno;
	else if (ioctl(fd, FITHAW, 0) != 0)
		err = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	return err;
}

int eg_sync_dir(const char *path)
{
	char dir[EG_PATH_MAX + 32];
	char *slash;
	int dfd, err = 0;

	if (!eg_copy(dir, sizeof dir, path))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		eg_copy(dir, sizeof dir, ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* tmpfs and some filesystems refuse fsync on a directory: harmless. */
	if (fsync(dfd) != 0 && errno != EINVAL && errno != EROFS)
		err = -errno;
	close(dfd);
	return err;
}

int eg_write_atomic(const char *path, const char *buf, size_t len, unsigned mode)
{
	char tmp[EG_PATH_MAX + 8];
	int fd, err;

	if (!eg_fmt(tmp, sizeof tmp, "%s.tmp", path))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	err = eg_write_all(fd, buf, len);
	if (err == 0 && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err != 0) {
		unlink(tmp);
		return err;
	}
	/* The rename is durable only once the directory is. */
	return eg_sync_dir(path);
}

bool eg_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

void eg_fmt_duration(char *buf, size_t size, uint64_t s)
{
	if (s != 0 && s % 3600 == 0)
		snprintf(buf, size, "%lluh", (unsigned long long)(s / 3600));
	else if (s >= 3600 && s % 60 == 0)
		snprintf(buf, size, "%lluh%llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s != 0 && s % 60 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(buf, size, "%llus", (unsigned long long)s);
}

/* One byte of eg_quote's output: its length, written to e. */
static size_t quote_byte(unsigned char c, char e[5])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\') {
		memcpy(e, "\\\\", 2);
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 15];
	return 4;
}

const char *eg_quote(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0, need = 0, n;
	char e[5];

	if (size == 0)
		return dst;
	for (size_t i = 0; i < len; i++)
		need += quote_byte((unsigned char)src[i], e);
	/* all of it, or as much as leaves room for the "..." */
	for (size_t i = 0; i < len; i++) {
		n = quote_byte((unsigned char)src[i], e);
		if (o + n + (need < size ? 0 : 3) > size - 1)
			break;
		memcpy(dst + o, e, n);
		o += n;
	}
	if (need >= size && o + 3 <= size - 1) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
