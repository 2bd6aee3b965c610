/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Local sockets: the operator control socket (/run/earlyguard/control) and
 * the guard's handoff socket (/run/earlyguard/guard.sock).  Both are
 * AF_UNIX SOCK_SEQPACKET: one request is one message, so a message that is
 * too long is detected whole (MSG_TRUNC) and refused, never half-read.
 */
#ifndef EG_CTL_H
#define EG_CTL_H

#include "eg.h"

#include <sys/types.h>

#define EG_CTL_MAX 1024       /* one request */
#define EG_CTL_REPLY_MAX 4096 /* one reply */
#define EG_CTL_TIMEOUT_MS 5000 /* a client waits this long for a reply */

/* Exit codes of the operator commands, in earlyguard(8). */
#define EG_EXIT_REFUSED 1
#define EG_EXIT_UNREACHABLE 2

int eg_sock_listen(const char *path, unsigned mode); /* fd or -errno */
/* fd, or -errno (-ETIMEDOUT: not accepted within timeout_ms) */
int eg_sock_connect(const char *path, int timeout_ms);
int eg_peer_cred(int fd, long *uid, long *pid);      /* 0 or -errno */
/* Receive one message within timeout_ms.  Returns its real length (which
 * may exceed size: then it was truncated), 0 at EOF, or -errno (-ETIMEDOUT).
 * With fd non-NULL, an SCM_RIGHTS descriptor is received into *fd (-1 if
 * none). */
long eg_recv_msg(int sock, void *buf, size_t size, int timeout_ms, int *fd);
/* Send one message, with fd passed by SCM_RIGHTS when fd >= 0. */
int eg_send_msg(int sock, const void *buf, size_t len, int fd);

/* Client side of an operator command: send request, print the reply.
 * Returns the exit code: 0, 1 refused, 2 unreachable, 99 timeout, 111. */
int eg_ctl_call(const char *verb, const char *request, const void *raw, size_t rawlen);

#endif
