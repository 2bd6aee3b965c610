/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer watch: two machines exchange authenticated heartbeats over UDP, so
 * that they never reboot each other in a loop or go down together.  A
 * peer that announces it is recovering (running its network ladder) or
 * rebooting makes the other hold its own reboot until the peer is back or
 * a bound expires.  This is the pure half: the datagram, the replay
 * check, the hold and the tie-break.  No I/O, no clock: `now` is
 * milliseconds of CLOCK_BOOTTIME, passed in.  The daemon owns the socket,
 * the timer, the files and the log.
 *
 * THE DATAGRAM (EG_PEER_DGRAM_LEN = 90 bytes, integers big-endian)
 *   off len
 *     0   4  magic "EGP1"; the "1" is the format's version
 *     4   1  length of the node id, 1..EG_PEER_ID_MAX
 *     5  32  node id, then zero bytes up to 32
 *    37   8  epoch: the sender's start counter (see below)
 *    45   8  counter: 1, 2, 3... within the epoch
 *    53   1  state: 0 OK, 1 RECOVERING, 2 REBOOTING
 *    54   4  hold: ms the sender asks the receiver to hold (0 when OK)
 *    58  32  HMAC-SHA256 of bytes 0..57, keyed with the shared key
 * One length, one spelling: a datagram that is not exactly this (another
 * length, a non-zero pad, an unknown state, a hold with OK) is refused.
 * The MAC is checked (in constant time) before any field is believed.
 *
 * NODE IDS are 1..32 bytes of A-Z a-z 0-9 . _ - (a hostname, or the
 * config's choice: printable in a log line without quoting).  They
 * compare bytewise (strcmp): "B" < "a".  A datagram carrying our own id is
 * refused: with one key on both sides, a datagram of ours reflected back
 * would otherwise pass as the peer's.
 *
 * THE KEY FILE holds the shared key as hex: 64 to 128 hex digits (32 to
 * 64 bytes), either case, optionally one newline after them, nothing else
 * (`openssl rand -hex 32 > KEYFILE`).  Hex, not raw bytes: a raw key that
 * ends in 0x0a cannot be told from a text key with its newline, and text
 * survives copying between machines.  Shorter keys are refused: HMAC-SHA256
 * wants at least its output size of secret; so is a key whose bytes are
 * all the same (000...0 is what an example file holds).
 *
 * REPLAY.  The sender's epoch goes up by at least one every time it starts
 * (the caller keeps it in a file and writes the new value before the first
 * datagram of a start; a daemon restart is a new epoch too); its counter
 * starts at 1 in each epoch.  The receiver accepts a datagram only when
 * (epoch, counter) is greater, epoch first, than the last it accepted:
 * a replayed, duplicated or reordered-older datagram is refused.  The
 * receiver keeps the last accepted pair in a file ("epoch N\ncounter N\n",
 * eg_peer_state_*) so that its own restart cannot be fooled: written after
 * every accepted datagram, nothing recorded can be replayed after a
 * restart.  A receiver that writes it less often (say only when the epoch
 * changes) lets a restart accept again the datagrams of the peer's current
 * epoch sent after the last write; the worst these do is hold or release a
 * reboot within the bounds below.  A peer that lost its epoch file starts
 * below what we accepted and is refused (the log says both pairs) until
 * the operator removes our state file.
 *
 * THE HOLD (eg_peer_holds).  The peer holds our reboot while its last
 * state is RECOVERING or REBOOTING and neither
 *   (a) an OK datagram has come since, nor
 *   (b) min(hold it asked, peer_hold_max) ms have passed since the
 *       announcement, the datagram that started the hold clock.
 * The clock starts on the datagram that
 *   - is RECOVERING or REBOOTING while the last state was OK (or none was
 *     heard yet): the peer leaves OK;
 *   - is REBOOTING in an epoch the peer had not yet announced REBOOTING
 *     in: it escalates from RECOVERING, or reboots again after a reboot.
 * It does not restart on repeats of a state, on RECOVERING in a new epoch
 * (a peer whose daemon restarts in a loop, always recovering, holds us for
 * one bound only), nor on a step back from REBOOTING to RECOVERING; the
 * bound is the one the latest datagram asks, counted from that start.
 * Silence never holds by itself: a peer never heard, or last heard OK,
 * does not hold however long it is silent, and an announcement holds for
 * its bound and no longer even if nothing follows it.  So a peer holds us
 * at most once each time it leaves OK and once for each start in which it
 * announces REBOOTING; its own reboot cooldown bounds the latter.
 *
 * THE TIE-BREAK (eg_peer_may_announce) decides whether we may announce
 * REBOOTING and, after EG_PEER_SETTLE_MS, go on with the reboot.  The
 * reboot veto is !eg_peer_may_announce():
 *   - the peer does not hold: we may;
 *   - it holds, and its announcement came before we began announcing
 *     REBOOTING (or we have not): we may not, it was first;
 *   - it holds with an announcement that came at or after ours:
 *       RECOVERING: we may (we were first; its ladder is no reboot);
 *       REBOOTING: both announced at once; the smaller node id goes, the
 *       other holds.
 * The daemon's sequence: ask, and if it may, send REBOOTING (eg_peer_say
 * records when we began) at least three times over EG_PEER_SETTLE_MS,
 * receiving all the while, then ask again and reboot only if it still
 * may; if not, say RECOVERING (or OK) again and veto.  Two announcements
 * that cross in flight each arrive after the other side began, so both
 * sides see "at once" and agree on the smaller id, provided the round
 * trip (one way plus the other) is at most EG_PEER_SETTLE_MS.  If it is
 * longer, or datagrams are lost, both may go: the watch is a courtesy
 * between two machines, never a reason to stay down.
 */
#ifndef EG_PEER_H
#define EG_PEER_H

#include "eg.h"

#define EG_PEER_MAGIC "EGP1"
#define EG_PEER_ID_MAX 32     /* bytes of a node id */
#define EG_PEER_MAC_LEN 32    /* HMAC-SHA256 */
#define EG_PEER_BODY_LEN 58   /* what the MAC covers */
#define EG_PEER_DGRAM_LEN (EG_PEER_BODY_LEN + EG_PEER_MAC_LEN)
#define EG_PEER_KEY_MIN 32    /* bytes of shared key, at least */
#define EG_PEER_KEY_MAX 64    /* ...and at most */
#define EG_PEER_KEY_TEXT_MAX (2 * EG_PEER_KEY_MAX + 1) /* the key file: hex and LF */
#define EG_PEER_STATE_MAX 64  /* "epoch N\ncounter N\n" with two 20-digit numbers, NUL */
#define EG_PEER_WHY 160       /* a reason, for the callers' buffers */
#define EG_PEER_SETTLE_MS 3000 /* announce REBOOTING this long before going */

enum eg_peer_state {
	EG_PEER_OK = 0,
	EG_PEER_RECOVERING = 1, /* running its network ladder */
	EG_PEER_REBOOTING = 2,  /* about to reboot */
};

/* One datagram's content. */
struct eg_peer_msg {
	char id[EG_PEER_ID_MAX + 1];
	uint64_t epoch, counter;
	enum eg_peer_state state;
	uint32_t hold_ms; /* 0 when state is OK */
};

/* Both ends of one link: what we say and what we heard.  Fields are for
 * reading (logs, status); change them only through the functions. */
struct eg_peer {
	/* us */
	char self[EG_PEER_ID_MAX + 1];
	uint64_t my_epoch, my_counter;   /* my_counter: the last one said */
	enum eg_peer_state my_state;
	int64_t my_reboot_ms;            /* while my_state is REBOOTING: when it began */
	/* the peer */
	char id[EG_PEER_ID_MAX + 1];     /* its id, "" until one datagram is accepted */
	bool have;                       /* epoch and counter hold an accepted pair */
	uint64_t epoch, counter;         /* the last accepted (or restored) */
	enum eg_peer_state state;        /* its last state; OK until heard */
	uint32_t hold_ms;                /* the hold its last datagram asked */
	int64_t since_ms;                /* unless OK: the hold clock's start (THE HOLD) */
	int64_t heard_ms;                /* the last accepted datagram; -1 none */
	bool reboot_seen;                /* reboot_epoch is the last epoch it */
	uint64_t reboot_epoch;           /* announced REBOOTING in */
};

/* Start a link: our id (checked as above) and our epoch for this start.
 * 0, or -1 with why. */
int eg_peer_init(struct eg_peer *p, const char *self, uint64_t my_epoch, char *why,
		 size_t size);
/* The receiver's state read back from its file: only datagrams after
 * (epoch, counter) are accepted from now on. */
void eg_peer_restore(struct eg_peer *p, uint64_t epoch, uint64_t counter);

/* A node id of len bytes: 0, or -1 with why. */
int eg_peer_id_check(const char *id, size_t len, char *why, size_t size);

/* The key file's body (len bytes, see THE KEY FILE) into key: 0 and
 * *keylen, or -1 with why. */
int eg_peer_key_parse(const char *buf, size_t len, uint8_t key[EG_PEER_KEY_MAX],
		      size_t *keylen, char *why, size_t size);

/* The next datagram we send: our id, epoch and the next counter, state
 * and hold (forced to 0 for OK), into m; records when we began announcing
 * REBOOTING.  0, or -1 (with why) for an unknown state or when the
 * counter is exhausted (start a new epoch). */
int eg_peer_say(struct eg_peer *p, int64_t now, enum eg_peer_state state, uint32_t hold_ms,
		struct eg_peer_msg *m, char *why, size_t size);

/* m as a datagram into buf, MAC keyed with key[keylen]: EG_PEER_DGRAM_LEN,
 * or 0 when m or the key is not one the format allows. */
size_t eg_peer_seal(const struct eg_peer_msg *m, const uint8_t *key, size_t keylen,
		    uint8_t buf[EG_PEER_DGRAM_LEN]);
/* Check and read a received datagram (len bytes): 0 and *out, or -1 with
 * why ("datagram of 12 bytes, not 90", "bad MAC: ...", ...).  Nothing is
 * believed before the MAC; this says nothing about replay (eg_peer_update
 * does). */
int eg_peer_open(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
		 struct eg_peer_msg *out, char *why, size_t size);

/* Take an opened datagram received at now: 0 accepted (the hold and the
 * replay state follow it), or -1 with why, nothing changed: our own id, a
 * node other than the peer first heard on this link, or a pair not after
 * the last accepted. */
int eg_peer_update(struct eg_peer *p, int64_t now, const struct eg_peer_msg *m, char *why,
		   size_t size);

/* What is left of the peer's hold at now with peer_hold_max (<= 0: never
 * hold), in ms; 0 when it does not hold. */
int64_t eg_peer_hold_left_ms(const struct eg_peer *p, int64_t now, int64_t hold_max_ms);
/* Whether the peer holds our reboot at now (see THE HOLD); when it does,
 * why says so: "peer P is recovering" or "peer P is rebooting". */
bool eg_peer_holds(const struct eg_peer *p, int64_t now, int64_t hold_max_ms, char *why,
		   size_t size);
/* Whether we may announce REBOOTING now, or go on with one already
 * announced (see THE TIE-BREAK); when not, why says which peer holds us. */
bool eg_peer_may_announce(const struct eg_peer *p, int64_t now, int64_t hold_max_ms, char *why,
			  size_t size);

/* The receiver's state file: exactly "epoch N\ncounter N\n", decimal, no
 * sign, no leading zero (the last newline may be missing).  Parse len
 * bytes: 0 and the pair, or -1 with why. */
int eg_peer_state_parse(const char *buf, size_t len, uint64_t *epoch, uint64_t *counter,
			char *why, size_t size);
/* The file's body for the pair into buf[EG_PEER_STATE_MAX]: its length. */
size_t eg_peer_state_format(char *buf, uint64_t epoch, uint64_t counter);

const char *eg_peer_state_text(enum eg_peer_state s); /* "ok", "recovering", "rebooting" */

/* ---- for the daemon (peerd.c): pure too ---- */

/* Our own epoch's file: exactly "epoch N\n" (the newline may be missing),
 * N as in the receiver's file.  0 and *epoch, or -1 with why. */
#define EG_PEER_EPOCH_MAX 32 /* "epoch N\n" with a 20-digit number, NUL */
int eg_peer_epoch_parse(const char *buf, size_t len, uint64_t *epoch, char *why, size_t size);
size_t eg_peer_epoch_format(char buf[EG_PEER_EPOCH_MAX], uint64_t epoch);

/* Why a datagram was refused, in kinds the log rate-limits apart: one
 * kind flooding (forged datagrams) never hides the first of another. */
enum eg_peer_refusal {
	EG_PEER_RF_FORMAT, /* not our format: magic, version, length */
	EG_PEER_RF_MAC,    /* bad MAC: another key, or forged */
	EG_PEER_RF_FIELDS, /* authentic, but a field the format does not allow */
	EG_PEER_RF_REPLAY, /* replayed, duplicated or older than the last accepted */
	EG_PEER_RF_NODE,   /* our own id, or a node other than the peer */
	EG_PEER_RF_KINDS
};
/* The kind of a refusal from its why: opened false for eg_peer_open's,
 * true for eg_peer_update's. */
enum eg_peer_refusal eg_peer_refusal_kind(bool opened, const char *why);

/* At most one log line of a kind per EG_PEER_QUIET_MS: pass says whether
 * to log one at now, and *held how many of the kind were kept quiet since
 * the last one logged.  Zeroed: nothing logged yet. */
#define EG_PEER_QUIET_MS 60000
struct eg_peer_quiet {
	bool logged;
	int64_t last_ms;
	uint32_t held;
};
bool eg_peer_quiet_pass(struct eg_peer_quiet *q, int64_t now, uint32_t *held);

#endif
