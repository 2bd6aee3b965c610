// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp - a tiny QMP client for the QEMU boot-failure matrix (host tool).
 *
 *   qmp SOCKET LOGFILE      connect, negotiate capabilities, then append
 *                           every line QEMU sends to LOGFILE until EOF
 *   qmp SOCKET --cmd JSON   connect, negotiate capabilities, send JSON,
 *                           print the reply line (events are skipped)
 *
 * Connecting is retried for up to 10 s (QEMU may not have created the
 * socket yet). The greeting, the capabilities reply and a --cmd reply are
 * each awaited for at most 10 s. The log mode has no time limit of its
 * own: it ends when QEMU closes the socket, and QEMU's life is bounded by
 * the harness's outer timeout.
 *
 * Exit codes: 0 ok, 1 QEMU answered with an error, 99 timed out,
 * 100 usage, 111 system call failed or protocol broken.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	EXIT_QMP_ERROR = 1,
	EXIT_TIMEOUT = 99,
	EXIT_USAGE = 100,
	EXIT_SYS = 111,
};

#define CONNECT_MS 10000
#define REPLY_MS 10000
#define RETRY_MS 50
#define LINE_MAX_LEN 65536

static const char *prog = "qmp";

struct reader {
	int fd;
	size_t len;
	char buf[LINE_MAX_LEN + 1];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(int code, const char *verb, const char *obj)
{
	if (errno)
		fprintf(stderr, "%s: fatal: unable to %s %s: %s\n", prog, verb,
			obj, strerror(errno));
	else
		fprintf(stderr, "%s: fatal: unable to %s %s\n", prog, verb, obj);
	exit(code);
}

static int connect_retry(const char *path)
{
	struct sockaddr_un sa;
	long long end = now_ms() + CONNECT_MS;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		die(EXIT_USAGE, "use socket path", path);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die(EXIT_SYS, "create", "socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int err = errno;

		close(fd);
		if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN) {
			errno = err;
			die(EXIT_SYS, "connect to", path);
		}
		if (now_ms() >= end) {
			errno = err;
			die(EXIT_TIMEOUT, "connect within 10 s to", path);
		}
		struct timespec ts = { 0, RETRY_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
}

/*
 * Read one line (without the trailing CR LF) into *line. deadline < 0 means
 * no limit. Returns 1 for a line, 0 for EOF (a partial last line is
 * returned first), -1 for a timeout. A line longer than LINE_MAX_LEN is
 * returned in pieces.
 */
static int read_line(struct reader *r, char **line, size_t *consumed,
		     long long deadline)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);

		if (nl || r->len == LINE_MAX_LEN) {
			size_t n = nl ? (size_t)(nl - r->buf) : r->len;

			*consumed = nl ? n + 1 : n;
			if (n > 0 && r->buf[n - 1] == '\r')
				n--;
			r->buf[n] = '\0';
			*line = r->buf;
			return 1;
		}

		int wait = -1;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0)
				return -1;
			wait = left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int rc = poll(&p, 1, wait);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_SYS, "poll", "QMP socket");
		}
		if (rc == 0)
			continue;

		ssize_t got = read(r->fd, r->buf + r->len, LINE_MAX_LEN - r->len);

		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET)
				got = 0;
			else
				die(EXIT_SYS, "read from", "QMP socket");
		}
		if (got == 0) {
			if (r->len == 0)
				return 0;
			*consumed = r->len;
			r->buf[r->len] = '\0';
			*line = r->buf;
			return 1;
		}
		r->len += (size_t)got;
	}
}

static void drop_line(struct reader *r, size_t consumed)
{
	memmove(r->buf, r->buf + consumed, r->len - consumed);
	r->len -= consumed;
}

/*
 * Does the JSON object on this line have the given top-level key? QEMU
 * prints one object per line, but key order follows its hash table, so
 * scan the top level instead of looking at a prefix.
 */
static int has_key(const char *line, const char *key)
{
	size_t klen = strlen(key);
	int depth = 0;

	for (const char *p = line; *p; p++) {
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			const char *s = ++p;

			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			if (!*p)
				return 0;
			const char *q = p + 1;

			while (*q == ' ' || *q == '\t')
				q++;
			if (depth == 1 && *q == ':' && (size_t)(p - s) == klen &&
			    memcmp(s, key, klen) == 0)
				return 1;
		}
	}
	return 0;
}

static void write_all(int fd, const char *buf, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_SYS, "write to", what);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Append one line to the log; one write() per line, so it is never torn. */
static void log_line(int fd, const char *line, const char *path)
{
	static char out[LINE_MAX_LEN + 2];
	size_t n = strlen(line);

	memcpy(out, line, n);
	out[n++] = '\n';
	write_all(fd, out, n, path);
}

/* Await a reply (return or error), logging every line seen meanwhile. */
static char *await_reply(struct reader *r, int logfd, const char *logpath,
			 const char *what, size_t *consumed)
{
	long long deadline = now_ms() + REPLY_MS;

	for (;;) {
		char *line;
		int rc = read_line(r, &line, consumed, deadline);

		if (rc < 0) {
			errno = 0;
			die(EXIT_TIMEOUT, "get within 10 s the reply to", what);
		}
		if (rc == 0) {
			errno = 0;
			die(EXIT_SYS, "get before EOF the reply to", what);
		}
		if (logfd >= 0)
			log_line(logfd, line, logpath);
		if (has_key(line, "return") || has_key(line, "error"))
			return line;
		drop_line(r, *consumed);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: %s SOCKET LOGFILE\n"
			"       %s SOCKET --cmd JSON\n", prog, prog);
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static struct reader r;
	const char *sock, *logpath = NULL, *cmd = NULL;
	int logfd = -1;
	size_t consumed;
	char *line;
	int rc;

	if (argc == 3 && strcmp(argv[2], "--cmd") != 0) {
		logpath = argv[2];
	} else if (argc == 4 && strcmp(argv[2], "--cmd") == 0) {
		cmd = argv[3];
		if (strchr(cmd, '\n')) {
			fprintf(stderr, "%s: fatal: JSON must be one line\n", prog);
			return EXIT_USAGE;
		}
	} else {
		usage();
	}
	sock = argv[1];
	/* QEMU may go away at any moment: a write error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	if (logpath) {
		logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0644);
		if (logfd < 0)
			die(EXIT_SYS, "open", logpath);
	}

	r.fd = connect_retry(sock);

	rc = read_line(&r, &line, &consumed, now_ms() + REPLY_MS);
	if (rc < 0) {
		errno = 0;
		die(EXIT_TIMEOUT, "get within 10 s the QMP greeting from", sock);
	}
	if (rc == 0 || !has_key(line, "QMP")) {
		errno = 0;
		die(EXIT_SYS, "get the QMP greeting from", sock);
	}
	if (logfd >= 0)
		log_line(logfd, line, logpath);
	drop_line(&r, consumed);

	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";

	write_all(r.fd, caps, sizeof(caps) - 1, sock);
	line = await_reply(&r, logfd, logpath, "qmp_capabilities", &consumed);
	if (has_key(line, "error")) {
		fprintf(stderr, "%s: fatal: qmp_capabilities refused: %s\n",
			prog, line);
		return EXIT_QMP_ERROR;
	}
	drop_line(&r, consumed);

	if (cmd) {
		write_all(r.fd, cmd, strlen(cmd), sock);
		write_all(r.fd, "\n", 1, sock);
		line = await_reply(&r, -1, NULL, cmd, &consumed);
		printf("%s\n", line);
		if (fflush(stdout) != 0)
			die(EXIT_SYS, "write to", "stdout");
		return has_key(line, "error") ? EXIT_QMP_ERROR : 0;
	}

	for (;;) {
		rc = read_line(&r, &line, &consumed, -1);
		if (rc == 0)
			break;
		log_line(logfd, line, logpath);
		drop_line(&r, consumed);
	}
	if (close(logfd) != 0)
		die(EXIT_SYS, "close", logpath);
	return 0;
}
