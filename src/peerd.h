/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer watch inside `earlyguard daemon`: the effects around peer.c.
 * One UDP socket, nonblocking, bound to peer_listen; a heartbeat to peer=
 * every peer_interval (every second while we say REBOOTING, so the
 * tie-break's EG_PEER_SETTLE_MS carries three), and one at once when what
 * we say changes.  What comes in is opened and applied by peer.c; a
 * refusal is logged at most once a minute for each kind, so a flood of
 * forged datagrams cannot flood the log.
 *
 * Files in state_dir:
 *   peer-epoch  our epoch, "epoch N\n": one more at each start, written
 *               (atomically) before the first datagram of that start; a
 *               start that cannot write it sends nothing until it can;
 *   peer-seen   the peer's last accepted pair (eg_peer_state_format),
 *               written when its epoch or its state changes, not on
 *               every heartbeat (a flash write every peer_interval would
 *               wear the card of a small machine out).  What a restart of
 *               ours then lets through again are the datagrams of the
 *               peer's current epoch sent since that write, all in the
 *               state the file last recorded: a replay of them says what
 *               the peer was already saying, and holds us at most once
 *               (peer.h, REPLAY and THE HOLD).
 */
#ifndef EG_PEERD_H
#define EG_PEERD_H

#include "conf.h"
#include "peer.h"

#include <poll.h>

#define EG_PEERD_FDS 1
#define EG_PEERD_RECV_MAX 16 /* datagrams read at each wake: a flood cannot hold the loop */

/* the log's kinds: peer.h's refusals, and our own send and receive errors */
enum { EG_PEERD_Q_SEND = EG_PEER_RF_KINDS, EG_PEERD_Q_RECV, EG_PEERD_Q_FILE, EG_PEERD_QUIETS };

struct eg_peerd {
	const struct eg_conf *c;
	bool on;                     /* peer= is set and the watch runs */
	char off[160];               /* why it does not, for status */
	int fd;
	struct eg_server to, at;     /* peer= and where we listen */
	uint8_t key[EG_PEER_KEY_MAX];
	size_t keylen;
	struct eg_peer p;
	int64_t hold_max_ms;
	bool epoch_saved;            /* our epoch is on disk: we may send */
	enum eg_peer_state say;      /* what we announce */
	int64_t next_ms;             /* the next heartbeat */
	struct eg_peer_quiet q[EG_PEERD_QUIETS];
};

/* Start the watch of c->peer (nothing when it is ""): our id, the key,
 * our new epoch (saved), the peer's last pair (restored), the socket.
 * Every failure is logged and leaves the watch off, saying why. */
void eg_peerd_start(struct eg_peerd *d, const struct eg_conf *c, int64_t now);
/* Add the socket to pf (room for EG_PEERD_FDS): how many.  *wake is
 * lowered to the next heartbeat. */
int eg_peerd_fds(struct eg_peerd *d, struct pollfd *pf, int64_t now, int64_t *wake);
/* Read what poll found (pf, n as filled by eg_peerd_fds), and send the
 * heartbeat when it is due. */
void eg_peerd_run(struct eg_peerd *d, const struct pollfd *pf, int n, int64_t now);
/* Say s from now on; a change is sent at once. */
void eg_peerd_say(struct eg_peerd *d, enum eg_peer_state s, int64_t now);
/* Whether the peer keeps us from rebooting now: it holds us, or, once we
 * say REBOOTING, it wins the tie-break (eg_peer_may_announce).  why then
 * says so: "peer P is rebooting: 17s of peer_hold_max left".  Never while
 * the watch is off. */
bool eg_peerd_holds(const struct eg_peerd *d, int64_t now, char *why, size_t size);
/* One line for `earlyguard status`, or the same as JSON members. */
void eg_peerd_status(const struct eg_peerd *d, int64_t now, bool json, char *out, size_t size);

#endif
