// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkcpio - write a newc ("070701") cpio archive described by a spec on stdin.
 *
 * Spec lines (fields separated by spaces or tabs; '#' starts a comment line):
 *   dir   PATH MODE
 *   file  PATH SRC MODE
 *   slink PATH TARGET MODE
 *   nod   PATH MODE c|b MAJOR MINOR
 * MODE is octal permission bits (at most 07777); the file type comes from the
 * keyword.  Every entry is owned by 0:0 with mtime 0, so the same spec and
 * sources always give the same bytes.
 *
 * The whole spec is read and checked (syntax, duplicates, order of parent
 * directories, every SRC opened and stat'ed) before the first byte is
 * written, so a bad spec produces no output at all.
 *
 * Exit codes: 0 archive written; 1 the spec is invalid or names a source that
 * cannot be used; 100 usage; 111 reading a source or writing the archive
 * failed while writing (the output is then incomplete and must be discarded).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG "mkcpio"

#define EXIT_SPEC 1
#define EXIT_USAGE 100
#define EXIT_SYS 111

/* Longest spec line, without its newline. */
#define LINE_MAX_LEN 4096
/* Longest archive name or symlink target; the kernel unpacker stops at PATH_MAX. */
#define NAME_MAX_LEN 4095
/* Most fields any keyword takes ("nod" has six). */
#define MAX_FIELDS 6
/* newc stores sizes in 8 hex digits. */
#define NEWC_MAX_SIZE 0xffffffffUL
/* Linux dev_t limits (MAJORBITS 12, MINORBITS 20). */
#define DEV_MAJOR_MAX 4095UL
#define DEV_MINOR_MAX 1048575UL
#define COPY_BUF_SIZE 65536

enum kind { K_DIR, K_FILE, K_SLINK, K_NOD };

struct entry {
	enum kind kind;
	unsigned long line;
	char *name;          /* archive path, no leading '/' */
	char *arg;           /* file: source path; slink: target; else NULL */
	unsigned long mode;  /* type and permission bits, as in st_mode */
	unsigned long rmajor, rminor;
	unsigned long size;  /* file: size checked in pass 1; slink: strlen(arg) */
};

static struct entry *entries;
static size_t n_entries, cap_entries;
static unsigned long errors;

__attribute__((format(printf, 2, 3)))
static void spec_error(unsigned long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: stdin:%lu: ", PROG, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errors++;
}

_Noreturn static void fatal(int code, const char *verb, const char *object)
{
	fprintf(stderr, "%s: fatal: unable to %s %s: %s\n", PROG, verb, object,
		strerror(errno));
	exit(code);
}

__attribute__((format(printf, 2, 3)))
_Noreturn static void fatal_msg(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: fatal: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		fatal(EXIT_SYS, "allocate", "memory");
	return p;
}

enum rl { RL_OK, RL_EOF, RL_TOOLONG, RL_NUL };

/*
 * Read one line into buf (NUL-terminated, newline dropped).  An over-long line
 * or one holding a NUL byte is consumed to its end and reported, so the
 * following lines keep their numbers.
 */
static enum rl read_line(FILE *f, char *buf, size_t size)
{
	size_t len = 0;
	int c, nul = 0, seen = 0;

	while ((c = getc(f)) != EOF) {
		seen = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = 1;
		if (len + 1 < size)
			buf[len] = (char)c;
		len++;
	}
	if (ferror(f))
		fatal(EXIT_SYS, "read", "spec from stdin");
	if (!seen)
		return RL_EOF;
	if (len + 1 > size) {
		buf[size - 1] = '\0';
		return RL_TOOLONG;
	}
	buf[len] = '\0';
	return nul ? RL_NUL : RL_OK;
}

/* Split on blanks; returns the field count, or MAX_FIELDS + 1 if too many. */
static size_t split(char *s, char *field[MAX_FIELDS])
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == MAX_FIELDS)
			return MAX_FIELDS + 1;
		field[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int parse_ulong(const char *s, int base, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	/* strtoul would accept blanks, a sign and "0x"; the spec does not. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Normalise an archive path in place: drop leading '/', refuse empty names,
 * empty, "." and ".." components and a trailing '/'.  Returns the name or NULL.
 */
static char *check_name(unsigned long line, char *path)
{
	const char *c;

	while (*path == '/')
		path++;
	if (!*path) {
		spec_error(line, "path names the archive root");
		return NULL;
	}
	if (strlen(path) > NAME_MAX_LEN) {
		spec_error(line, "path longer than %d bytes", NAME_MAX_LEN);
		return NULL;
	}
	for (c = path; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.')) {
			spec_error(line, "path %s has an empty, '.' or '..' component",
				   path);
			return NULL;
		}
		c += n;
		if (*c == '/' && !*++c) {
			spec_error(line, "path %s ends in '/'", path);
			return NULL;
		}
	}
	return path;
}

static int check_mode(unsigned long line, const char *s, unsigned long *mode)
{
	if (parse_ulong(s, 8, 07777, mode) < 0) {
		spec_error(line, "bad mode '%s' (want octal, at most 07777)", s);
		return -1;
	}
	return 0;
}

/* Pass 1 check of a source file: it must be a regular file we can open. */
static int check_source(unsigned long line, const char *src, unsigned long *size)
{
	struct stat st;
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		spec_error(line, "unable to open %s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		spec_error(line, "unable to stat %s: %s", src, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		spec_error(line, "%s is not a regular file", src);
		return -1;
	}
	if ((uintmax_t)st.st_size > NEWC_MAX_SIZE) {
		spec_error(line, "%s is larger than newc allows (4 GiB - 1)", src);
		return -1;
	}
	*size = (unsigned long)st.st_size;
	return 0;
}

static void add_entry(const struct entry *e)
{
	if (n_entries == cap_entries) {
		size_t cap = cap_entries ? cap_entries * 2 : 256;
		struct entry *p = realloc(entries, cap * sizeof(*p));

		if (!p)
			fatal(EXIT_SYS, "allocate", "memory");
		entries = p;
		cap_entries = cap;
	}
	entries[n_entries] = *e;
	entries[n_entries].name = xstrdup(e->name);
	entries[n_entries].arg = e->arg ? xstrdup(e->arg) : NULL;
	n_entries++;
}

static void parse_line(unsigned long line, char *buf)
{
	char *f[MAX_FIELDS];
	size_t n, want;
	struct entry e = { .line = line };
	const char *c;

	for (c = buf; *c; c++) {
		if ((unsigned char)*c < 0x20 && *c != '\t') {
			spec_error(line, "control character 0x%02x", (unsigned)*c);
			return;
		}
	}
	n = split(buf, f);
	if (n == 0 || f[0][0] == '#')
		return;

	if (!strcmp(f[0], "dir")) {
		e.kind = K_DIR;
		want = 3;
	} else if (!strcmp(f[0], "file")) {
		e.kind = K_FILE;
		want = 4;
	} else if (!strcmp(f[0], "slink")) {
		e.kind = K_SLINK;
		want = 4;
	} else if (!strcmp(f[0], "nod")) {
		e.kind = K_NOD;
		want = 6;
	} else {
		spec_error(line, "unknown type '%s' (want dir, file, slink or nod)",
			   f[0]);
		return;
	}
	if (n != want) {
		spec_error(line, "'%s' takes %zu fields, got %s%zu", f[0], want - 1,
			   n > MAX_FIELDS ? "more than " : "",
			   (n > MAX_FIELDS ? MAX_FIELDS : n) - 1);
		return;
	}

	e.name = check_name(line, f[1]);
	if (!e.name)
		return;

	switch (e.kind) {
	case K_DIR:
		if (check_mode(line, f[2], &e.mode) < 0)
			return;
		e.mode |= S_IFDIR;
		break;
	case K_FILE:
		if (check_mode(line, f[3], &e.mode) < 0)
			return;
		if (check_source(line, f[2], &e.size) < 0)
			return;
		e.mode |= S_IFREG;
		e.arg = f[2];
		break;
	case K_SLINK:
		if (check_mode(line, f[3], &e.mode) < 0)
			return;
		if (strlen(f[2]) > NAME_MAX_LEN) {
			spec_error(line, "symlink target longer than %d bytes",
				   NAME_MAX_LEN);
			return;
		}
		e.mode |= S_IFLNK;
		e.arg = f[2];
		e.size = strlen(f[2]);
		break;
	case K_NOD:
		if (check_mode(line, f[2], &e.mode) < 0)
			return;
		if (!strcmp(f[3], "c")) {
			e.mode |= S_IFCHR;
		} else if (!strcmp(f[3], "b")) {
			e.mode |= S_IFBLK;
		} else {
			spec_error(line, "bad device type '%s' (want c or b)", f[3]);
			return;
		}
		if (parse_ulong(f[4], 10, DEV_MAJOR_MAX, &e.rmajor) < 0) {
			spec_error(line, "bad major '%s' (want 0..%lu)", f[4],
				   DEV_MAJOR_MAX);
			return;
		}
		if (parse_ulong(f[5], 10, DEV_MINOR_MAX, &e.rminor) < 0) {
			spec_error(line, "bad minor '%s' (want 0..%lu)", f[5],
				   DEV_MINOR_MAX);
			return;
		}
		break;
	}
	add_entry(&e);
}

static int cmp_name(const void *a, const void *b)
{
	const struct entry *const *x = a, *const *y = b;
	int r = strcmp((*x)->name, (*y)->name);

	if (r)
		return r;
	return (*x)->line < (*y)->line ? -1 : (*x)->line > (*y)->line;
}

/* First declaration of name in the sorted array, or NULL. */
static const struct entry *first_named(struct entry *const *by_name, size_t n,
				       const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || strcmp(by_name[lo]->name, name))
		return NULL;
	return by_name[lo];
}

/*
 * The kernel unpacks in order and does not create missing parents, so a
 * parent declared in this archive must be a directory and come first.  A
 * parent not declared here is allowed: it may come from an earlier archive
 * (test overlays are appended to the main initramfs).
 */
static void check_tree(void)
{
	struct entry **by_name;
	size_t i, first;

	if (n_entries == 0)
		return;
	by_name = malloc(n_entries * sizeof(*by_name));
	if (!by_name)
		fatal(EXIT_SYS, "allocate", "memory");
	for (i = 0; i < n_entries; i++)
		by_name[i] = &entries[i];
	qsort(by_name, n_entries, sizeof(*by_name), cmp_name);

	for (i = 1, first = 0; i < n_entries; i++) {
		if (strcmp(by_name[i]->name, by_name[first]->name))
			first = i;
		else
			spec_error(by_name[i]->line, "duplicate path %s (first at line %lu)",
				   by_name[i]->name, by_name[first]->line);
	}
	for (i = 0; i < n_entries; i++) {
		const struct entry *e = &entries[i];
		const struct entry *p;
		char parent[NAME_MAX_LEN + 1];
		size_t len;
		char *slash;

		len = strlen(e->name); /* check_name bounded it by NAME_MAX_LEN */
		memcpy(parent, e->name, len + 1);
		slash = strrchr(parent, '/');
		if (!slash)
			continue;
		*slash = '\0';
		p = first_named(by_name, n_entries, parent);
		if (!p)
			continue;
		if (!S_ISDIR(p->mode))
			spec_error(e->line, "parent %s (line %lu) is not a directory",
				   parent, p->line);
		else if (p->line > e->line)
			spec_error(e->line, "parent directory %s comes later (line %lu)",
				   parent, p->line);
	}
	free(by_name);
}

static void out(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		fatal(EXIT_SYS, "write", "archive to stdout");
}

static void pad4(unsigned long long written)
{
	static const char zero[3];

	out(zero, (4 - written % 4) % 4);
}

static unsigned long long offset;

static void header(unsigned long ino, unsigned long mode, unsigned long nlink,
		   unsigned long size, unsigned long rmajor, unsigned long rminor,
		   const char *name)
{
	char h[111];
	size_t namesize = strlen(name) + 1;
	int n;

	n = snprintf(h, sizeof(h),
		     "070701%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX%08lX",
		     ino, mode, 0UL /* uid */, 0UL /* gid */, nlink, 0UL /* mtime */,
		     size, 0UL, 0UL /* dev */, rmajor, rminor,
		     (unsigned long)namesize, 0UL /* check */);
	if (n != 110)
		fatal_msg(EXIT_SYS, "internal error: header of %d bytes", n);
	out(h, 110);
	out(name, namesize);
	offset += 110 + namesize;
	pad4(offset);
	offset += (4 - offset % 4) % 4;
}

static void copy_file(const struct entry *e)
{
	static char buf[COPY_BUF_SIZE];
	unsigned long left = e->size;
	struct stat st;
	int fd = open(e->arg, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fatal(EXIT_SYS, "open", e->arg);
	if (fstat(fd, &st) < 0)
		fatal(EXIT_SYS, "stat", e->arg);
	if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size != e->size)
		fatal_msg(EXIT_SYS, "%s changed while the archive was written", e->arg);
	while (left) {
		size_t want = left < sizeof(buf) ? left : sizeof(buf);
		ssize_t r = read(fd, buf, want);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_SYS, "read", e->arg);
		}
		if (r == 0)
			fatal_msg(EXIT_SYS, "%s shrank while the archive was written",
				  e->arg);
		out(buf, (size_t)r);
		left -= (unsigned long)r;
	}
	/* One more read must hit EOF, or the file grew after we wrote its size. */
	for (;;) {
		ssize_t r = read(fd, buf, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fatal(EXIT_SYS, "read", e->arg);
		if (r > 0)
			fatal_msg(EXIT_SYS, "%s grew while the archive was written",
				  e->arg);
		break;
	}
	close(fd);
}

static void write_archive(void)
{
	size_t i;

	for (i = 0; i < n_entries; i++) {
		const struct entry *e = &entries[i];
		unsigned long ino = (unsigned long)i + 1;

		switch (e->kind) {
		case K_DIR:
			header(ino, e->mode, 2, 0, 0, 0, e->name);
			break;
		case K_NOD:
			header(ino, e->mode, 1, 0, e->rmajor, e->rminor, e->name);
			break;
		case K_SLINK:
			header(ino, e->mode, 1, e->size, 0, 0, e->name);
			out(e->arg, e->size);
			break;
		case K_FILE:
			header(ino, e->mode, 1, e->size, 0, 0, e->name);
			copy_file(e);
			break;
		}
		offset += e->size;
		pad4(offset);
		offset += (4 - offset % 4) % 4;
	}
	header(0, 0, 1, 0, 0, 0, "TRAILER!!!");
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_SYS, "write", "archive to stdout");
	if (fclose(stdout) != 0)
		fatal(EXIT_SYS, "close", "stdout");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s < SPEC > ARCHIVE\n"
		   "spec lines:\n"
		   "  dir   PATH MODE\n"
		   "  file  PATH SRC MODE\n"
		   "  slink PATH TARGET MODE\n"
		   "  nod   PATH MODE c|b MAJOR MINOR\n", PROG);
}

int main(int argc, char **argv)
{
	static char buf[LINE_MAX_LEN + 1];
	unsigned long line = 0;
	enum rl r;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (isatty(STDOUT_FILENO))
		fatal_msg(EXIT_USAGE, "refusing to write an archive to a terminal");

	while ((r = read_line(stdin, buf, sizeof(buf))) != RL_EOF) {
		line++;
		if (r == RL_TOOLONG)
			spec_error(line, "line longer than %d bytes", LINE_MAX_LEN);
		else if (r == RL_NUL)
			spec_error(line, "NUL byte in line");
		else
			parse_line(line, buf);
	}
	check_tree();
	if (errors) {
		fprintf(stderr, "%s: fatal: %lu error%s in spec, no archive written\n",
			PROG, errors, errors == 1 ? "" : "s");
		return EXIT_SPEC;
	}
	write_archive();
	return 0;
}
