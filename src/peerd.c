/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peerd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef IP_FREEBIND
#define IP_FREEBIND 15 /* <linux/in.h> */
#endif

static void addr_text(uint32_t addr, unsigned port, char buf[EG_SERVER_STR])
{
	char a[EG_IP4_STR];

	eg_ip4_format(addr, a);
	snprintf(buf, EG_SERVER_STR, "%s:%u", a, port);
}

static void file_path(const struct eg_peerd *d, const char *name, char *buf, size_t size)
{
	eg_fmt(buf, size, "%s/%s", d->c->state_dir, name);
}

/* Log one line of kind k unless one went out less than a minute ago. */
static void quiet_log(struct eg_peerd *d, int k, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void quiet_log(struct eg_peerd *d, int k, int64_t now, const char *fmt, ...)
{
	char msg[EG_MSG_MAX - 64];
	uint32_t held;
	va_list ap;

	if (!eg_peer_quiet_pass(&d->q[k], now, &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (held)
		eg_log(EG_WARN, "%s (and %lu more like it since the last one logged)", msg,
		       (unsigned long)held);
	else
		eg_log(EG_WARN, "%s", msg);
}

static void off(struct eg_peerd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void off(struct eg_peerd *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->off, sizeof d->off, fmt, ap);
	va_end(ap);
	d->on = false;
	eg_log(EG_ERR, "peer: %s: the peer watch is off", d->off);
}

/* ---- files ---- */

/* Our epoch for this start: one more than the file's.  Nothing there is
 * a first start.  A file that cannot be read as one starts again at 1:
 * the peer then refuses us as a replay, and says so in its log, until its
 * peer-seen is removed; better than a guess that could be lower. */
static uint64_t epoch_next(const struct eg_peerd *d)
{
	char path[EG_PATH_MAX + 16], text[EG_PEER_EPOCH_MAX], why[EG_PEER_WHY], shown[80];
	uint64_t e;
	long n;

	file_path(d, "peer-epoch", path, sizeof path);
	n = eg_read_file(path, text, sizeof text, NULL);
	if (n == -ENOENT)
		return 1;
	if (n < 0) {
		eg_log_sys(EG_ERR, "read", path, (int)-n);
		return 1;
	}
	if (eg_peer_epoch_parse(text, (size_t)n, &e, why, sizeof why) != 0 || e == UINT64_MAX) {
		eg_log(EG_ERR, "peer: %s holds \"%s\", %s: starting at epoch 1 (the peer refuses "
		       "it until its peer-seen is removed)", path,
		       eg_quote(shown, sizeof shown, text, (size_t)n), why);
		return 1;
	}
	return e + 1;
}

static bool epoch_save(struct eg_peerd *d, int64_t now)
{
	char path[EG_PATH_MAX + 16], text[EG_PEER_EPOCH_MAX];
	size_t n = eg_peer_epoch_format(text, d->p.my_epoch);
	int err = 0;

	file_path(d, "peer-epoch", path, sizeof path);
	if (mkdir(d->c->state_dir, 0700) != 0 && errno != EEXIST)
		err = -errno;
	if (!err)
		err = eg_write_atomic(path, text, n, 0600);
	if (err) {
		quiet_log(d, EG_PEERD_Q_FILE, now, "peer: unable to write %s: %s; nothing is sent "
			  "until it is written", path, strerror(-err));
		return false;
	}
	d->epoch_saved = true;
	return true;
}

static void seen_load(struct eg_peerd *d)
{
	char path[EG_PATH_MAX + 16], text[EG_PEER_STATE_MAX], why[EG_PEER_WHY], shown[80];
	uint64_t e, c;
	long n;

	file_path(d, "peer-seen", path, sizeof path);
	n = eg_read_file(path, text, sizeof text, NULL);
	if (n == -ENOENT)
		return;
	if (n < 0) {
		eg_log_sys(EG_WARN, "read", path, (int)-n);
		return;
	}
	if (eg_peer_state_parse(text, (size_t)n, &e, &c, why, sizeof why) != 0) {
		eg_log(EG_WARN, "peer: %s holds \"%s\", %s: ignored", path,
		       eg_quote(shown, sizeof shown, text, (size_t)n), why);
		return;
	}
	eg_peer_restore(&d->p, e, c);
}

static void seen_save(struct eg_peerd *d, int64_t now)
{
	char path[EG_PATH_MAX + 16], text[EG_PEER_STATE_MAX];
	size_t n = eg_peer_state_format(text, d->p.epoch, d->p.counter);
	int err;

	file_path(d, "peer-seen", path, sizeof path);
	err = eg_write_atomic(path, text, n, 0600);
	if (err)
		quiet_log(d, EG_PEERD_Q_FILE, now, "peer: unable to write %s: %s", path, strerror(-err));
}

static bool key_load(struct eg_peerd *d)
{
	char text[EG_PEER_KEY_TEXT_MAX + 2], why[EG_PEER_WHY];
	const char *path = d->c->peer_key;
	struct stat st;
	bool big;
	long n = eg_read_file(path, text, sizeof text, &big);

	if (n < 0) {
		off(d, "unable to read the key %s: %s", path, strerror((int)-n));
		return false;
	}
	if (big || eg_peer_key_parse(text, (size_t)n, d->key, &d->keylen, why, sizeof why) != 0) {
		off(d, "%s: %s", path, big ? "peer key: longer than 129 bytes" : why);
		return false;
	}
	/* a key others can read is a key others can forge heartbeats with */
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		eg_log(EG_WARN, "peer: the key %s is readable by other users (chmod 600 it)", path);
	return true;
}

/* ---- the socket ---- */

static struct sockaddr_in sin_of(const struct eg_server *s)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(s->addr);
	sa.sin_port = htons(s->port);
	return sa;
}

static bool sock_open(struct eg_peerd *d)
{
	struct sockaddr_in sa = sin_of(&d->at);
	char at[EG_SERVER_STR];
	int one = 1;

	addr_text(d->at.addr, d->at.port, at);
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		off(d, "unable to open a UDP socket: %s", strerror(errno));
		return false;
	}
	/* peer_listen may name an address the network has not set up yet at
	 * boot: bind it all the same, it works once the address is there */
	if (setsockopt(d->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) != 0)
		eg_log_sys(EG_WARN, "set IP_FREEBIND on", "the peer socket", errno);
	if (bind(d->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		off(d, "unable to listen on UDP %s: %s", at, strerror(errno));
		close(d->fd);
		d->fd = -1;
		return false;
	}
	return true;
}

/* ---- heartbeats ---- */

static int64_t period_ms(const struct eg_peerd *d)
{
	int64_t every = (int64_t)d->c->peer_interval_s * 1000;

	/* the settle's three datagrams (peer.h, THE TIE-BREAK) */
	if (d->say == EG_PEER_REBOOTING && every > EG_PEER_SETTLE_MS / 3)
		every = EG_PEER_SETTLE_MS / 3;
	return every;
}

static void send_now(struct eg_peerd *d, int64_t now)
{
	struct sockaddr_in sa = sin_of(&d->to);
	uint8_t buf[EG_PEER_DGRAM_LEN];
	char why[EG_PEER_WHY], to[EG_SERVER_STR];
	struct eg_peer_msg m;
	uint32_t hold = d->hold_max_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)d->hold_max_ms;

	d->next_ms = now + period_ms(d);
	/* the epoch is on disk before its first datagram: a restart never
	 * sends a pair again (REPLAY in peer.h) */
	if (!d->epoch_saved && !epoch_save(d, now))
		return;
	/* say and seal cannot fail (a 64-bit counter; the key and our id
	 * were checked at the start), sendto can */
	if (eg_peer_say(&d->p, now, d->say, hold, &m, why, sizeof why) != 0 ||
	    eg_peer_seal(&m, d->key, d->keylen, buf) != EG_PEER_DGRAM_LEN)
		errno = EINVAL;
	else if (sendto(d->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa,
			sizeof sa) == (ssize_t)sizeof buf)
		return;
	addr_text(d->to.addr, d->to.port, to);
	quiet_log(d, EG_PEERD_Q_SEND, now, "peer: unable to send a heartbeat to %s: %s", to,
		  strerror(errno));
}

void eg_peerd_say(struct eg_peerd *d, enum eg_peer_state s, int64_t now)
{
	if (!d->on || s == d->say)
		return;
	d->say = s;
	send_now(d, now);
}

/* ---- what comes in ---- */

static void take(struct eg_peerd *d, const uint8_t *buf, ssize_t len, const char *from,
		 int64_t now)
{
	char why[EG_PEER_WHY];
	struct eg_peer_msg m;
	enum eg_peer_state was = d->p.state;
	bool had = d->p.heard_ms >= 0;
	uint64_t epoch = d->p.epoch;
	int64_t left;

	if (len > EG_PEER_DGRAM_LEN) {
		/* cut by the buffer: its length is all there is to say */
		snprintf(why, sizeof why, "datagram of %ld bytes, not %d", (long)len,
			 EG_PEER_DGRAM_LEN);
		quiet_log(d, EG_PEER_RF_FORMAT, now, "peer: refused a datagram from %s: %s", from, why);
		return;
	}
	if (eg_peer_open(buf, (size_t)len, d->key, d->keylen, &m, why, sizeof why) != 0) {
		quiet_log(d, eg_peer_refusal_kind(false, why), now, "peer: refused a datagram from "
			  "%s: %s", from, why);
		return;
	}
	if (eg_peer_update(&d->p, now, &m, why, sizeof why) != 0) {
		quiet_log(d, eg_peer_refusal_kind(true, why), now, "peer: refused a datagram from "
			  "%s: %s", from, why);
		return;
	}
	if (had && m.state == was && m.epoch == epoch)
		return;
	/* news: a first datagram, a restart or a new state */
	seen_save(d, now);
	left = eg_peer_hold_left_ms(&d->p, now, d->hold_max_ms);
	if (left > 0)
		eg_log(EG_WARN, "peer: %s at %s is %s (epoch %llu): it holds our reboot, %llds at most",
		       m.id, from, eg_peer_state_text(m.state), (unsigned long long)m.epoch,
		       (long long)((left + 999) / 1000));
	else
		eg_log(EG_NOTICE, "peer: %s at %s is %s (epoch %llu)", m.id, from,
		       eg_peer_state_text(m.state), (unsigned long long)m.epoch);
}

static void receive(struct eg_peerd *d, int64_t now)
{
	for (int i = 0; i < EG_PEERD_RECV_MAX; i++) {
		/* one byte more than a datagram: a longer one shows as longer */
		uint8_t buf[EG_PEER_DGRAM_LEN + 1];
		struct sockaddr_in sa;
		socklen_t salen = sizeof sa;
		char from[EG_SERVER_STR];
		ssize_t n = recvfrom(d->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&sa, &salen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				quiet_log(d, EG_PEERD_Q_RECV, now, "peer: unable to receive: %s",
					  strerror(errno));
			return;
		}
		addr_text(ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port), from);
		take(d, buf, n, from, now);
	}
}

/* ---- the daemon's calls ---- */

void eg_peerd_start(struct eg_peerd *d, const struct eg_conf *c, int64_t now)
{
	char why[EG_PEER_WHY], self[EG_PEER_ID_MAX + 1], to[EG_SERVER_STR], at[EG_SERVER_STR];
	struct utsname u;

	memset(d, 0, sizeof *d);
	d->c = c;
	d->fd = -1;
	if (c->peer[0] == '\0') {
		eg_copy(d->off, sizeof d->off, "no peer= in the configuration");
		return;
	}
	d->on = true;
	/* conf.c checked both: they parse */
	eg_peer_addr_parse(c->peer, false, &d->to);
	d->at.port = d->to.port;
	if (c->peer_listen[0])
		eg_peer_addr_parse(c->peer_listen, true, &d->at);
	d->hold_max_ms = (int64_t)c->peer_hold_max_s * 1000;
	if (c->peer_id[0]) {
		eg_copy(self, sizeof self, c->peer_id);
	} else if (uname(&u) != 0) {
		off(d, "unable to read the host name: %s (set peer_id=)", strerror(errno));
		return;
	} else if (eg_peer_id_check(u.nodename, strlen(u.nodename), why, sizeof why) != 0) {
		char shown[80];

		off(d, "the host name \"%s\": %s (set peer_id=)",
		    eg_quote(shown, sizeof shown, u.nodename, strlen(u.nodename)), why);
		return;
	} else {
		eg_copy(self, sizeof self, u.nodename);
	}
	if (!key_load(d))
		return;
	if (eg_peer_init(&d->p, self, epoch_next(d), why, sizeof why) != 0) {
		off(d, "%s", why);
		return;
	}
	seen_load(d);
	if (!sock_open(d))
		return;
	addr_text(d->to.addr, d->to.port, to);
	addr_text(d->at.addr, d->at.port, at);
	eg_log(EG_NOTICE, "peer: watching %s as %s, epoch %llu, listening on %s; heartbeat every "
	       "%lus, a hold of %lus at most", to, self, (unsigned long long)d->p.my_epoch, at,
	       (unsigned long)c->peer_interval_s, (unsigned long)c->peer_hold_max_s);
	d->say = EG_PEER_OK;
	send_now(d, now);
}

int eg_peerd_fds(struct eg_peerd *d, struct pollfd *pf, int64_t now, int64_t *wake)
{
	if (!d->on)
		return 0;
	pf[0] = (struct pollfd){d->fd, POLLIN, 0};
	if (d->next_ms < *wake)
		*wake = d->next_ms > now ? d->next_ms : now;
	return 1;
}

void eg_peerd_run(struct eg_peerd *d, const struct pollfd *pf, int n, int64_t now)
{
	if (!d->on)
		return;
	for (int k = 0; k < n; k++)
		if (pf[k].fd == d->fd && pf[k].revents)
			receive(d, now);
	if (now >= d->next_ms)
		send_now(d, now);
}

bool eg_peerd_holds(const struct eg_peerd *d, int64_t now, char *why, size_t size)
{
	char w[EG_PEER_WHY];
	int64_t left;

	if (!d->on || eg_peer_may_announce(&d->p, now, d->hold_max_ms, w, sizeof w))
		return false;
	left = eg_peer_hold_left_ms(&d->p, now, d->hold_max_ms);
	snprintf(why, size, "%s: %llds of peer_hold_max left", w, (long long)((left + 999) / 1000));
	return true;
}

void eg_peerd_status(const struct eg_peerd *d, int64_t now, bool json, char *out, size_t size)
{
	const struct eg_peer *p = &d->p;
	long long ago = p->heard_ms >= 0 ? (now - p->heard_ms) / 1000 : -1;
	long long left = d->on ? (eg_peer_hold_left_ms(p, now, d->hold_max_ms) + 999) / 1000 : 0;
	char to[EG_SERVER_STR] = "", hold[64], heard[64];
	const char *state = !d->on ? "off" : ago < 0 ? "unheard" : eg_peer_state_text(p->state);

	if (d->on)
		addr_text(d->to.addr, d->to.port, to);
	if (json) {
		snprintf(out, size, ",\"peer_addr\":\"%s\",\"peer_id\":\"%s\",\"peer_state\":\"%s\","
			 "\"peer_heard_s_ago\":%lld,\"peer_holds\":%s,\"peer_hold_left_s\":%lld,"
			 "\"peer_self\":\"%s\",\"peer_saying\":\"%s\"", to, p->id, state, ago,
			 left > 0 ? "true" : "false", left, d->on ? p->self : "",
			 d->on ? eg_peer_state_text(d->say) : "");
		return;
	}
	if (!d->on) {
		snprintf(out, size, "peer: off (%s)\n", d->off);
		return;
	}
	if (left > 0)
		snprintf(hold, sizeof hold, "holds our reboot: %llds of peer_hold_max left", left);
	else
		snprintf(hold, sizeof hold, "does not hold our reboot");
	if (ago >= 0)
		snprintf(heard, sizeof heard, "%s, heard %llds ago", state, ago);
	else
		snprintf(heard, sizeof heard, "not heard yet");
	snprintf(out, size, "peer: %s at %s: %s, %s; we are %s, saying %s\n", p->id[0] ? p->id : "?",
		 to, heard, hold, p->self, eg_peer_state_text(d->say));
}
