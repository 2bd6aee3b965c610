/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SO_PEERCRED
#define SO_PEERCRED 17 /* asm-generic; klibc does not define it */
#endif

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (!eg_copy(sa->sun_path, sizeof sa->sun_path, path))
		return -ENAMETOOLONG;
	return 0;
}

/* A non-blocking SEQPACKET socket and the address of path: fd or -errno. */
static int seqpacket(struct sockaddr_un *sa, const char *path)
{
	int fd, err = fill_addr(sa, path);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return fd < 0 ? -errno : fd;
}

int eg_sock_listen(const char *path, unsigned mode)
{
	struct sockaddr_un sa;
	int fd = seqpacket(&sa, path), err;

	if (fd < 0)
		return fd;
	/* A socket file left by a previous instance would make bind fail. */
	if (unlink(path) != 0 && errno != ENOENT) {
		err = -errno;
		close(fd);
		return err;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, mode) != 0 ||
	    listen(fd, 8) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int eg_peer_cred(int fd, long *uid, long *pid)
{
	struct {
		int pid;
		unsigned uid, gid;
	} cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return -errno;
	*uid = (long)cred.uid;
	*pid = (long)cred.pid;
	return 0;
}

long eg_recv_msg(int sock, void *buf, size_t size, int timeout_ms, int *fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct pollfd pf = {sock, POLLIN, 0};
	struct iovec iov = {buf, size};
	struct msghdr m;
	ssize_t n;
	int r;

	if (fd)
		*fd = -1;
	do
		r = poll(&pf, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd) {
		m.msg_control = &ctl;
		m.msg_controllen = sizeof ctl;
	}
	/* MSG_TRUNC: the real length of a longer message, which we refuse. */
	do
		n = recvmsg(sock, &m, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (fd) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	return (long)n;
}

int eg_send_msg(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)buf, len};
	struct msghdr m;
	ssize_t n;

	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof ctl);
		m.msg_control = &ctl;
		m.msg_controllen = sizeof ctl;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* A stopped peer with a full backlog would block connect() for ever:
 * connect without blocking and retry within the bound. */
int eg_sock_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	int64_t end = eg_now_ms() + timeout_ms;
	int fd = seqpacket(&sa, path), err;

	if (fd < 0)
		return fd;
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		err = errno;
		if (err != EAGAIN && err != EINTR) {
			close(fd);
			return -err;
		}
		if (eg_now_ms() >= end) {
			close(fd);
			return -ETIMEDOUT;
		}
		eg_sleep_ms(50);
	}
	/* blocking again for the (bounded, poll-guarded) exchange */
	if (fcntl(fd, F_SETFL, 0) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int eg_ctl_call(const char *verb, const char *request, const void *raw, size_t rawlen)
{
	static char reply[EG_CTL_REPLY_MAX];
	const char *path = eg_run_path("control");
	long n;
	int fd, err;

	fd = eg_sock_connect(path, EG_CTL_TIMEOUT_MS);
	if (fd == -ETIMEDOUT) {
		fprintf(stderr, "earlyguard: %s: the daemon did not accept the connection within %ds\n",
			verb, EG_CTL_TIMEOUT_MS / 1000);
		return EG_EXIT_TIMEOUT;
	}
	if (fd == -EACCES || fd == -EPERM) {
		fprintf(stderr, "earlyguard: %s: refused: only root may control earlyguard "
			"(permission denied on %s)\n", verb, path);
		return EG_EXIT_REFUSED;
	}
	if (fd < 0) {
		fprintf(stderr, "earlyguard: %s: daemon unreachable: unable to connect to %s: %s "
			"(is `earlyguard daemon` running?)\n", verb, path, strerror(-fd));
		return EG_EXIT_UNREACHABLE;
	}
	err = raw ? eg_send_msg(fd, raw, rawlen, -1) : eg_send_msg(fd, request, strlen(request), -1);
	if (err) {
		fprintf(stderr, "earlyguard: %s: unable to send to %s: %s\n", verb, path, strerror(-err));
		close(fd);
		return err == -EMSGSIZE ? EG_EXIT_REFUSED : EG_EXIT_SYS;
	}
	n = eg_recv_msg(fd, reply, sizeof reply - 1, EG_CTL_TIMEOUT_MS, NULL);
	close(fd);
	if (n == -ETIMEDOUT) {
		fprintf(stderr, "earlyguard: %s: no reply from the daemon within %ds\n", verb,
			EG_CTL_TIMEOUT_MS / 1000);
		return EG_EXIT_TIMEOUT;
	}
	if (n <= 0) {
		fprintf(stderr, "earlyguard: %s: the daemon closed the connection%s%s\n", verb,
			n < 0 ? ": " : "", n < 0 ? strerror((int)-n) : "");
		return EG_EXIT_UNREACHABLE;
	}
	if ((size_t)n > sizeof reply - 1)
		n = sizeof reply - 1;
	reply[n] = '\0';
	if (strncmp(reply, "OK\n", 3) == 0) {
		fputs(reply + 3, stdout);
		return EG_EXIT_OK;
	}
	if (strncmp(reply, "REFUSED ", 8) == 0) {
		fprintf(stderr, "earlyguard: %s: refused: %s", verb, reply + 8);
		return EG_EXIT_REFUSED;
	}
	/* done, but not all of it: the text says what is left */
	if (strncmp(reply, "FAILED ", 7) == 0) {
		fprintf(stderr, "earlyguard: %s: %s", verb, reply + 7);
		return EG_EXIT_FAIL;
	}
	fprintf(stderr, "earlyguard: %s: unexpected reply: %.80s\n", verb, reply);
	return EG_EXIT_SYS;
}
