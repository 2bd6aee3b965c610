/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peer.h"

#include <bearssl.h>
#include <stdio.h>
#include <string.h>

/* where the fields are in a datagram (peer.h, THE DATAGRAM) */
#define AT_IDLEN 4
#define AT_ID 5
#define AT_EPOCH 37
#define AT_COUNTER 45
#define AT_STATE 53
#define AT_HOLD 54
#define AT_MAC EG_PEER_BODY_LEN

static void say(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int eg_peer_id_check(const char *id, size_t len, char *why, size_t size)
{
	if (len == 0 || len > EG_PEER_ID_MAX) {
		say(why, size, "node id of %zu bytes, not 1 to %d", len, EG_PEER_ID_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!id_char(id[i])) {
			say(why, size, "node id: byte %zu is not one of A-Z a-z 0-9 . _ -", i + 1);
			return -1;
		}
	return 0;
}

int eg_peer_init(struct eg_peer *p, const char *self, uint64_t my_epoch, char *why,
		 size_t size)
{
	size_t n = strnlen(self, EG_PEER_ID_MAX + 1);

	memset(p, 0, sizeof *p);
	if (eg_peer_id_check(self, n, why, size) != 0)
		return -1;
	memcpy(p->self, self, n);
	p->my_epoch = my_epoch;
	p->my_state = EG_PEER_OK;
	p->my_reboot_ms = -1;
	p->state = EG_PEER_OK;
	p->since_ms = -1;
	p->heard_ms = -1;
	return 0;
}

void eg_peer_restore(struct eg_peer *p, uint64_t epoch, uint64_t counter)
{
	p->have = true;
	p->epoch = epoch;
	p->counter = counter;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int eg_peer_key_parse(const char *buf, size_t len, uint8_t key[EG_PEER_KEY_MAX],
		      size_t *keylen, char *why, size_t size)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len; i++)
		if (hexval(buf[i]) < 0) {
			say(why, size, "peer key: byte %zu is not a hex digit (the file holds the "
				       "key in hex: openssl rand -hex 32)", i + 1);
			return -1;
		}
	if (len % 2 != 0) {
		say(why, size, "peer key: an odd number of hex digits (%zu)", len);
		return -1;
	}
	if (len < 2 * EG_PEER_KEY_MIN) {
		say(why, size, "peer key: %zu bytes, at least %d needed (openssl rand -hex 32)",
		    len / 2, EG_PEER_KEY_MIN);
		return -1;
	}
	if (len > 2 * EG_PEER_KEY_MAX) {
		say(why, size, "peer key: %zu bytes, at most %d", len / 2, EG_PEER_KEY_MAX);
		return -1;
	}
	for (size_t i = 0; i < len / 2; i++)
		key[i] = (uint8_t)(hexval(buf[2 * i]) << 4 | hexval(buf[2 * i + 1]));
	/* 000...0 or fff...f is what an example file holds, not a secret */
	for (size_t i = 1; i < len / 2; i++)
		if (key[i] != key[0]) {
			*keylen = len / 2;
			return 0;
		}
	say(why, size, "peer key: every byte is 0x%02x, a placeholder (openssl rand -hex 32)",
	    key[0]);
	return -1;
}

int eg_peer_say(struct eg_peer *p, int64_t now, enum eg_peer_state state, uint32_t hold_ms,
		struct eg_peer_msg *m, char *why, size_t size)
{
	if ((unsigned)state > EG_PEER_REBOOTING) {
		say(why, size, "unknown state %u", (unsigned)state);
		return -1;
	}
	if (p->my_counter == UINT64_MAX) {
		say(why, size, "counter exhausted in epoch %llu: a new epoch is needed",
		    (unsigned long long)p->my_epoch);
		return -1;
	}
	/* the tie-break compares when each side began, not its latest repeat */
	if (state == EG_PEER_REBOOTING && p->my_state != EG_PEER_REBOOTING)
		p->my_reboot_ms = now;
	else if (state != EG_PEER_REBOOTING)
		p->my_reboot_ms = -1;
	p->my_state = state;
	p->my_counter++;
	memset(m, 0, sizeof *m);
	memcpy(m->id, p->self, sizeof m->id);
	m->epoch = p->my_epoch;
	m->counter = p->my_counter;
	m->state = state;
	m->hold_ms = state == EG_PEER_OK ? 0 : hold_ms;
	return 0;
}

static void put64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void mac(const uint8_t *key, size_t keylen, const uint8_t body[EG_PEER_BODY_LEN],
		uint8_t out[EG_PEER_MAC_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, body, EG_PEER_BODY_LEN);
	br_hmac_out(&hc, out);
}

/* The time taken does not depend on where a and b differ, so a forger
 * cannot find the right MAC a byte at a time. */
static bool same_mac(const uint8_t *a, const uint8_t *b)
{
	unsigned d = 0;

	for (size_t i = 0; i < EG_PEER_MAC_LEN; i++)
		d |= (unsigned)(a[i] ^ b[i]);
	return d == 0;
}

static bool key_ok(size_t keylen)
{
	return keylen >= EG_PEER_KEY_MIN && keylen <= EG_PEER_KEY_MAX;
}

size_t eg_peer_seal(const struct eg_peer_msg *m, const uint8_t *key, size_t keylen,
		    uint8_t buf[EG_PEER_DGRAM_LEN])
{
	size_t n = strnlen(m->id, sizeof m->id);

	if (!key_ok(keylen) || eg_peer_id_check(m->id, n, NULL, 0) != 0 ||
	    (unsigned)m->state > EG_PEER_REBOOTING || (m->state == EG_PEER_OK && m->hold_ms != 0))
		return 0;
	memset(buf, 0, EG_PEER_DGRAM_LEN);
	memcpy(buf, EG_PEER_MAGIC, 4);
	buf[AT_IDLEN] = (uint8_t)n;
	memcpy(buf + AT_ID, m->id, n);
	put64(buf + AT_EPOCH, m->epoch);
	put64(buf + AT_COUNTER, m->counter);
	buf[AT_STATE] = (uint8_t)m->state;
	for (int i = 0; i < 4; i++)
		buf[AT_HOLD + i] = (uint8_t)(m->hold_ms >> (24 - 8 * i));
	mac(key, keylen, buf, buf + AT_MAC);
	return EG_PEER_DGRAM_LEN;
}

int eg_peer_open(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
		 struct eg_peer_msg *out, char *why, size_t size)
{
	uint8_t want[EG_PEER_MAC_LEN];
	size_t n;

	if (!key_ok(keylen)) {
		say(why, size, "a key of %zu bytes, not %d to %d", keylen, EG_PEER_KEY_MIN,
		    EG_PEER_KEY_MAX);
		return -1;
	}
	/* the version before the length: another version may be another size */
	if (len >= 4 && memcmp(buf, EG_PEER_MAGIC, 3) == 0 && buf[3] != EG_PEER_MAGIC[3]) {
		say(why, size, "peer datagram of another version (byte 0x%02x, this one "
			       "speaks '%c')", buf[3], EG_PEER_MAGIC[3]);
		return -1;
	}
	if (len < 4 || memcmp(buf, EG_PEER_MAGIC, 4) != 0) {
		say(why, size, "not a peer datagram (no magic %s)", EG_PEER_MAGIC);
		return -1;
	}
	if (len != EG_PEER_DGRAM_LEN) {
		say(why, size, "datagram of %zu bytes, not %d", len, EG_PEER_DGRAM_LEN);
		return -1;
	}
	mac(key, keylen, buf, want);
	if (!same_mac(want, buf + AT_MAC)) {
		say(why, size, "bad MAC: another key, or the datagram was altered");
		return -1;
	}
	/* authentic from here: what is refused now comes from a sender that
	 * writes the format wrong, and is refused all the same */
	n = buf[AT_IDLEN];
	/* the check reads the id only once it knows n is at most 32 */
	if (eg_peer_id_check((const char *)buf + AT_ID, n, why, size) != 0)
		return -1;
	for (size_t i = n; i < EG_PEER_ID_MAX; i++)
		if (buf[AT_ID + i] != 0) {
			say(why, size, "node id padding is not zero");
			return -1;
		}
	if (buf[AT_STATE] > EG_PEER_REBOOTING) {
		say(why, size, "unknown state %u", (unsigned)buf[AT_STATE]);
		return -1;
	}
	memset(out, 0, sizeof *out);
	memcpy(out->id, buf + AT_ID, n);
	out->epoch = get64(buf + AT_EPOCH);
	out->counter = get64(buf + AT_COUNTER);
	out->state = (enum eg_peer_state)buf[AT_STATE];
	out->hold_ms = (uint32_t)buf[AT_HOLD] << 24 | (uint32_t)buf[AT_HOLD + 1] << 16 |
		       (uint32_t)buf[AT_HOLD + 2] << 8 | buf[AT_HOLD + 3];
	if (out->state == EG_PEER_OK && out->hold_ms != 0) {
		say(why, size, "a hold of %lu ms with state ok", (unsigned long)out->hold_ms);
		return -1;
	}
	return 0;
}

int eg_peer_update(struct eg_peer *p, int64_t now, const struct eg_peer_msg *m, char *why,
		   size_t size)
{
	bool start;

	/* m comes from eg_peer_open, but the function stands on its own */
	if (eg_peer_id_check(m->id, strnlen(m->id, sizeof m->id), why, size) != 0)
		return -1;
	if ((unsigned)m->state > EG_PEER_REBOOTING) {
		say(why, size, "unknown state %u", (unsigned)m->state);
		return -1;
	}
	if (strcmp(m->id, p->self) == 0) {
		say(why, size, "datagram with our own node id %s: reflected back, or the peer "
			       "has our name", p->self);
		return -1;
	}
	if (p->id[0] != '\0' && strcmp(m->id, p->id) != 0) {
		say(why, size, "datagram from node %s, but the peer is %s", m->id, p->id);
		return -1;
	}
	if (p->have && (m->epoch < p->epoch || (m->epoch == p->epoch && m->counter <= p->counter))) {
		say(why, size, "replayed or old datagram from %s: epoch %llu counter %llu, "
			       "already had epoch %llu counter %llu", m->id,
		    (unsigned long long)m->epoch, (unsigned long long)m->counter,
		    (unsigned long long)p->epoch, (unsigned long long)p->counter);
		return -1;
	}
	/* when the hold clock starts: peer.h, THE HOLD */
	start = m->state != EG_PEER_OK &&
		(p->state == EG_PEER_OK ||
		 (m->state == EG_PEER_REBOOTING &&
		  (!p->reboot_seen || m->epoch > p->reboot_epoch)));
	if (start)
		p->since_ms = now;
	if (m->state == EG_PEER_REBOOTING) {
		p->reboot_seen = true;
		p->reboot_epoch = m->epoch;
	}
	memcpy(p->id, m->id, sizeof p->id);
	p->have = true;
	p->epoch = m->epoch;
	p->counter = m->counter;
	p->state = m->state;
	p->hold_ms = m->state == EG_PEER_OK ? 0 : m->hold_ms;
	p->heard_ms = now;
	return 0;
}

int64_t eg_peer_hold_left_ms(const struct eg_peer *p, int64_t now, int64_t hold_max_ms)
{
	int64_t bound = p->hold_ms, gone;

	if (p->state == EG_PEER_OK || hold_max_ms <= 0)
		return 0;
	if (bound > hold_max_ms)
		bound = hold_max_ms;
	/* a clock that went back (it cannot: CLOCK_BOOTTIME) counts as no time */
	if (now <= p->since_ms)
		gone = 0;
	else if ((uint64_t)now - (uint64_t)p->since_ms >= (uint64_t)bound)
		return 0;
	else
		gone = (int64_t)((uint64_t)now - (uint64_t)p->since_ms);
	return bound - gone;
}

static void holder(const struct eg_peer *p, char *why, size_t size)
{
	say(why, size, "peer %s is %s", p->id, eg_peer_state_text(p->state));
}

bool eg_peer_holds(const struct eg_peer *p, int64_t now, int64_t hold_max_ms, char *why,
		   size_t size)
{
	if (eg_peer_hold_left_ms(p, now, hold_max_ms) == 0)
		return false;
	holder(p, why, size);
	return true;
}

bool eg_peer_may_announce(const struct eg_peer *p, int64_t now, int64_t hold_max_ms, char *why,
			  size_t size)
{
	if (eg_peer_hold_left_ms(p, now, hold_max_ms) == 0)
		return true;
	/* it was first, or we have not announced */
	if (p->my_state != EG_PEER_REBOOTING || p->since_ms < p->my_reboot_ms) {
		holder(p, why, size);
		return false;
	}
	/* it announced at or after we began: its ladder is no reboot */
	if (p->state == EG_PEER_RECOVERING)
		return true;
	/* both are rebooting at once: the smaller id goes */
	if (strcmp(p->self, p->id) < 0)
		return true;
	say(why, size, "peer %s is rebooting too, and goes first (%s < %s)", p->id, p->id,
	    p->self);
	return false;
}

/* "KEY N\n" at buf[*at], N a u64 without sign or leading zero; the last
 * newline may be missing when last is set. */
static bool field(const char *buf, size_t len, size_t *at, const char *key, bool last,
		  uint64_t *out)
{
	size_t i = *at, k = strlen(key), start;
	uint64_t v = 0;

	if (len - i < k + 1 || memcmp(buf + i, key, k) != 0 || buf[i + k] != ' ')
		return false;
	i += k + 1;
	start = i;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		unsigned d = (unsigned)(buf[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (i == start || (buf[start] == '0' && i - start > 1))
		return false;
	if (i < len && buf[i] == '\n')
		i++;
	else if (!(last && i == len))
		return false;
	*at = i;
	*out = v;
	return true;
}

int eg_peer_state_parse(const char *buf, size_t len, uint64_t *epoch, uint64_t *counter,
			char *why, size_t size)
{
	size_t at = 0;
	uint64_t e, c;

	if (!field(buf, len, &at, "epoch", false, &e) || !field(buf, len, &at, "counter", true, &c) ||
	    at != len) {
		say(why, size, "not \"epoch N\\ncounter N\\n\"");
		return -1;
	}
	*epoch = e;
	*counter = c;
	return 0;
}

size_t eg_peer_state_format(char *buf, uint64_t epoch, uint64_t counter)
{
	int w = snprintf(buf, EG_PEER_STATE_MAX, "epoch %llu\ncounter %llu\n",
			 (unsigned long long)epoch, (unsigned long long)counter);

	return w > 0 ? (size_t)w : 0;
}

int eg_peer_epoch_parse(const char *buf, size_t len, uint64_t *epoch, char *why, size_t size)
{
	size_t at = 0;
	uint64_t e;

	if (!field(buf, len, &at, "epoch", true, &e) || at != len) {
		say(why, size, "not \"epoch N\\n\"");
		return -1;
	}
	*epoch = e;
	return 0;
}

size_t eg_peer_epoch_format(char buf[EG_PEER_EPOCH_MAX], uint64_t epoch)
{
	int w = snprintf(buf, EG_PEER_EPOCH_MAX, "epoch %llu\n", (unsigned long long)epoch);

	return w > 0 ? (size_t)w : 0;
}

/* the reasons eg_peer_open and eg_peer_update give (test_peer.c pins them) */
enum eg_peer_refusal eg_peer_refusal_kind(bool opened, const char *why)
{
	if (opened)
		return strncmp(why, "replayed", 8) == 0 ? EG_PEER_RF_REPLAY : EG_PEER_RF_NODE;
	if (strncmp(why, "bad MAC", 7) == 0)
		return EG_PEER_RF_MAC;
	if (strncmp(why, "not a peer", 10) == 0 || strncmp(why, "peer datagram of", 16) == 0 ||
	    strncmp(why, "datagram of", 11) == 0)
		return EG_PEER_RF_FORMAT;
	return EG_PEER_RF_FIELDS;
}

bool eg_peer_quiet_pass(struct eg_peer_quiet *q, int64_t now, uint32_t *held)
{
	/* a clock that went back (it cannot) counts as the minute not over */
	if (q->logged && (now < q->last_ms ||
			  (uint64_t)now - (uint64_t)q->last_ms < EG_PEER_QUIET_MS)) {
		if (q->held < UINT32_MAX)
			q->held++;
		return false;
	}
	*held = q->held;
	q->logged = true;
	q->last_ms = now;
	q->held = 0;
	return true;
}

const char *eg_peer_state_text(enum eg_peer_state s)
{
	switch (s) {
	case EG_PEER_OK: return "ok";
	case EG_PEER_RECOVERING: return "recovering";
	case EG_PEER_REBOOTING: return "rebooting";
	}
	return "unknown";
}
