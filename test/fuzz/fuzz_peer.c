/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the peer watch reads datagrams from the network and its key,
 * its state and its own epoch from files, and trusts none of them.  Any
 * bytes open, parse and drive the hold safely; what is accepted has one
 * spelling (it seals or formats back to the same bytes), and the hold
 * keeps its bounds.  The MAC would stop nearly every input at the door,
 * so the input's first 58 bytes are also given a right MAC, and the
 * fields behind it fuzzed. */
#include "peer.h"

#include <bearssl.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t key[32] = "earlyguard fuzz key, 32 bytes..";

static uint64_t take(const unsigned char **p, size_t *n, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

static void open_one(const uint8_t *d, size_t len)
{
	char why[EG_PEER_WHY];
	struct eg_peer_msg m;
	uint8_t again[EG_PEER_DGRAM_LEN];

	if (eg_peer_open(d, len, key, sizeof key, &m, why, sizeof why) != 0) {
		if (strnlen(why, sizeof why) >= sizeof why - 1 || why[0] == '\0')
			abort(); /* a reason, and one that fits */
		return;
	}
	if (len != EG_PEER_DGRAM_LEN || eg_peer_seal(&m, key, sizeof key, again) != len ||
	    memcmp(again, d, len) != 0)
		abort();
}

/* The rest of the input as a conversation: datagrams from the peer at
 * times that go forward (or back), each followed by the questions the
 * daemon asks, checked against the rules in peer.h. */
static void converse(const unsigned char *p, size_t n)
{
	char why[EG_PEER_WHY];
	struct eg_peer s;
	struct eg_peer_msg m, said;
	static const char *const ids[] = {"other", "self", "peer", "peer"};
	/* any start, even next to INT64_MAX: the time wraps (in unsigned) */
	uint64_t now = take(&p, &n, 8);
	int64_t max = (int64_t)take(&p, &n, 4) - 1000;

	if (eg_peer_init(&s, "self", 1, why, sizeof why) != 0)
		abort();
	if (take(&p, &n, 1) & 1)
		eg_peer_restore(&s, take(&p, &n, 1), take(&p, &n, 1));
	while (n >= 6) {
		unsigned op = (unsigned)take(&p, &n, 1);
		bool had = s.have;
		uint64_t e0 = s.epoch, c0 = s.counter;
		int64_t left;

		now += (uint64_t)((int64_t)(int16_t)take(&p, &n, 2) * (op & 0x80 ? 1000 : 1));
		memset(&m, 0, sizeof m);
		memcpy(m.id, ids[op >> 5 & 3], strlen(ids[op >> 5 & 3]));
		m.epoch = take(&p, &n, 1);
		m.counter = take(&p, &n, 1);
		m.state = (enum eg_peer_state)(op % 3);
		m.hold_ms = m.state == EG_PEER_OK ? 0 : (uint32_t)take(&p, &n, 1) * 1000;
		if (op & 0x10) {
			if (eg_peer_say(&s, (int64_t)now, (enum eg_peer_state)((op >> 2) % 3), 60000, &said, why,
					sizeof why) != 0)
				abort();
		} else if (eg_peer_update(&s, (int64_t)now, &m, why, sizeof why) == 0) {
			/* accepted: strictly after the last pair, never our own id */
			if ((had && (m.epoch < e0 || (m.epoch == e0 && m.counter <= c0))) ||
			    strcmp(m.id, "self") == 0)
				abort();
		} else if (s.epoch != e0 || s.counter != c0) {
			abort(); /* refused changes nothing */
		}
		left = eg_peer_hold_left_ms(&s, (int64_t)now, max);
		if (left < 0 || (max > 0 ? left > max : left != 0) || left > (int64_t)s.hold_ms ||
		    (s.state == EG_PEER_OK && left != 0))
			abort();
		if (eg_peer_holds(&s, (int64_t)now, max, why, sizeof why) != (left > 0))
			abort();
		if (left == 0 && !eg_peer_may_announce(&s, (int64_t)now, max, why, sizeof why))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	uint8_t d[EG_PEER_DGRAM_LEN], k[EG_PEER_KEY_MAX];
	char buf[EG_PEER_STATE_MAX], why[EG_PEER_WHY];
	uint64_t e, c;
	size_t keylen, n;

	open_one(data, size);
	if (size >= EG_PEER_BODY_LEN) {
		br_hmac_key_context kc;
		br_hmac_context hc;

		memcpy(d, data, EG_PEER_BODY_LEN);
		br_hmac_key_init(&kc, &br_sha256_vtable, key, sizeof key);
		br_hmac_init(&hc, &kc, 0);
		br_hmac_update(&hc, d, EG_PEER_BODY_LEN);
		br_hmac_out(&hc, d + EG_PEER_BODY_LEN);
		open_one(d, sizeof d);
	}

	if (eg_peer_state_parse((const char *)data, size, &e, &c, why, sizeof why) == 0) {
		n = eg_peer_state_format(buf, e, c);
		/* one spelling: the input is the formatted text, with or without its last LF */
		if (n == 0 || n >= sizeof buf || !(size == n || size == n - 1) ||
		    memcmp(buf, data, size) != 0)
			abort();
	}

	if (eg_peer_epoch_parse((const char *)data, size, &e, why, sizeof why) == 0) {
		char eb[EG_PEER_EPOCH_MAX];

		n = eg_peer_epoch_format(eb, e);
		if (n == 0 || n >= sizeof eb || !(size == n || size == n - 1) ||
		    memcmp(eb, data, size) != 0)
			abort();
	}

	if (eg_peer_key_parse((const char *)data, size, k, &keylen, why, sizeof why) == 0) {
		if (keylen < EG_PEER_KEY_MIN || keylen > EG_PEER_KEY_MAX ||
		    !(size == 2 * keylen || (size == 2 * keylen + 1 && data[size - 1] == '\n')))
			abort();
		for (size_t i = 0; i < keylen; i++) {
			static const char hex[] = "0123456789abcdef";
			char hi = (char)(data[2 * i] | 0x20), lo = (char)(data[2 * i + 1] | 0x20);

			if (hi != hex[k[i] >> 4] || lo != hex[k[i] & 15])
				abort();
		}
	}

	converse(data, size);
	return 0;
}
