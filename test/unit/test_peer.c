/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "peer.h"

#include <bearssl.h>
#include <stdint.h>

#define MIN15 (15 * 60 * 1000)

static const uint8_t key_a[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
				  22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static size_t unhex(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < size; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static struct eg_peer_msg msg(const char *id, uint64_t epoch, uint64_t counter,
			      enum eg_peer_state st, uint32_t hold)
{
	struct eg_peer_msg m;

	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	m.epoch = epoch;
	m.counter = counter;
	m.state = st;
	m.hold_ms = hold;
	return m;
}

/* A datagram whose MAC is right for whatever body it now has: what a
 * sender with the key but a wrong idea of the format would send. */
static void remac(uint8_t d[EG_PEER_DGRAM_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key_a, sizeof key_a);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, d, EG_PEER_BODY_LEN);
	br_hmac_out(&hc, d + EG_PEER_BODY_LEN);
}

static bool has(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

static void ids(void)
{
	char why[EG_PEER_WHY] = "";
	struct eg_peer p;

	CHECK_INT(eg_peer_id_check("kvm-a", 5, why, sizeof why), 0, "id kvm-a");
	CHECK_INT(eg_peer_id_check("A.b_c-9", 7, why, sizeof why), 0, "id with . _ - and digits");
	CHECK_INT(eg_peer_id_check("01234567890123456789012345678901", 32, why, sizeof why), 0,
		  "an id of 32 bytes");
	CHECK_INT(eg_peer_id_check("012345678901234567890123456789012", 33, why, sizeof why), -1,
		  "an id of 33 bytes is refused");
	CHECK_STR(why, "node id of 33 bytes, not 1 to 32", "...and says so");
	CHECK_INT(eg_peer_id_check("", 0, why, sizeof why), -1, "an empty id is refused");
	CHECK_INT(eg_peer_id_check("a b", 3, why, sizeof why), -1, "a space is refused");
	CHECK_STR(why, "node id: byte 2 is not one of A-Z a-z 0-9 . _ -", "...and says where");
	CHECK_INT(eg_peer_id_check("a/b", 3, why, sizeof why), -1, "a slash is refused");
	CHECK_INT(eg_peer_id_check("a\0b", 3, why, sizeof why), -1, "a NUL is refused");
	CHECK_INT(eg_peer_id_check("\xc3\xa9", 2, why, sizeof why), -1, "UTF-8 is refused");
	CHECK_INT(eg_peer_id_check("a:b", 3, NULL, 0), -1, "no reason buffer: still refused");
	CHECK_INT(eg_peer_init(&p, "x y", 1, why, sizeof why), -1, "init refuses a bad own id");
	CHECK_INT(eg_peer_init(&p, "012345678901234567890123456789012", 1, why, sizeof why), -1,
		  "init refuses a 33-byte own id");
	CHECK_INT(eg_peer_init(&p, "kvm-a", 1, why, sizeof why), 0, "init with kvm-a");
	CHECK(p.id[0] == '\0' && !p.have && p.heard_ms == -1 && p.state == EG_PEER_OK,
	      "init: nothing heard");
}

static void keys(void)
{
	static const char hex64[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	char buf[300], why[EG_PEER_WHY] = "";
	uint8_t key[EG_PEER_KEY_MAX];
	size_t len = 0;

	CHECK_INT(eg_peer_key_parse(hex64, 64, key, &len, why, sizeof why), 0, "64 hex digits");
	CHECK(len == 32 && memcmp(key, key_a, 32) == 0, "...are the 32 bytes they spell");
	snprintf(buf, sizeof buf, "%s\n", hex64);
	CHECK_INT(eg_peer_key_parse(buf, 65, key, &len, why, sizeof why), 0, "...with a newline");
	CHECK_INT(len, 32, "...still 32 bytes");
	snprintf(buf, sizeof buf, "%s%s", hex64, hex64);
	CHECK_INT(eg_peer_key_parse(buf, 128, key, &len, why, sizeof why), 0, "128 digits");
	CHECK_INT(len, 64, "...64 bytes");
	snprintf(buf, sizeof buf, "%s%s00", hex64, hex64);
	CHECK_INT(eg_peer_key_parse(buf, 130, key, &len, why, sizeof why), -1, "130 digits");
	CHECK_STR(why, "peer key: 65 bytes, at most 64", "...too long");
	CHECK_INT(eg_peer_key_parse(hex64, 62, key, &len, why, sizeof why), -1, "62 digits");
	CHECK_STR(why, "peer key: 31 bytes, at least 32 needed (openssl rand -hex 32)",
		  "...too short, says how to make one");
	CHECK_INT(eg_peer_key_parse(hex64, 63, key, &len, why, sizeof why), -1, "63 digits");
	CHECK_STR(why, "peer key: an odd number of hex digits (63)", "...odd");
	CHECK_INT(eg_peer_key_parse("", 0, key, &len, why, sizeof why), -1, "an empty file");
	CHECK_INT(eg_peer_key_parse("\n", 1, key, &len, why, sizeof why), -1, "a newline only");
	snprintf(buf, sizeof buf, "%s\r\n", hex64);
	CHECK_INT(eg_peer_key_parse(buf, 66, key, &len, why, sizeof why), -1, "CRLF is refused");
	CHECK(has(why, "byte 65 is not a hex digit"), "...at the CR: %s", why);
	snprintf(buf, sizeof buf, "%s\n\n", hex64);
	CHECK_INT(eg_peer_key_parse(buf, 66, key, &len, why, sizeof why), -1, "two newlines");
	snprintf(buf, sizeof buf, " %s", hex64);
	CHECK_INT(eg_peer_key_parse(buf, 65, key, &len, why, sizeof why), -1, "a leading space");
	memcpy(buf, hex64, 64);
	buf[10] = 'g';
	CHECK_INT(eg_peer_key_parse(buf, 64, key, &len, why, sizeof why), -1, "a g");
	CHECK(has(why, "byte 11 is not a hex digit"), "...says where: %s", why);
	memcpy(buf, hex64, 64);
	buf[10] = '\0';
	CHECK_INT(eg_peer_key_parse(buf, 64, key, &len, why, sizeof why), -1, "a NUL inside");
	for (int i = 0; i < 64; i++)
		buf[i] = "0123456789ABCDEF"[i % 16];
	CHECK_INT(eg_peer_key_parse(buf, 64, key, &len, why, sizeof why), 0, "upper case");
	CHECK(key[0] == 0x01 && key[7] == 0xef, "...read as hex");
	memset(buf, '0', 64);
	CHECK_INT(eg_peer_key_parse(buf, 64, key, &len, why, sizeof why), -1, "an all-zero key");
	CHECK_STR(why, "peer key: every byte is 0x00, a placeholder (openssl rand -hex 32)",
		  "...is a placeholder");
	memset(buf, 'f', 128);
	CHECK_INT(eg_peer_key_parse(buf, 128, key, &len, why, sizeof why), -1, "64 bytes of 0xff");
	memset(buf, '0', 64);
	buf[63] = '1';
	CHECK_INT(eg_peer_key_parse(buf, 64, key, &len, why, sizeof why), 0,
		  "one byte differs: a key (a weak one, but not a placeholder)");
}

static void seal_open(void)
{
	/* computed with Python's hmac module over the layout in peer.h */
	static const char want_hex[] =
		"45475031056b766d2d6100000000000000000000000000000000000000000000"
		"00000000000000000000000007000000000000002a02000493e0"
		"c2cb5880e42a788f89b522f6e51495f99488d3016b0944b57352b389378dd67a";
	uint8_t d[EG_PEER_DGRAM_LEN], want[EG_PEER_DGRAM_LEN + 4];
	struct eg_peer_msg m = msg("kvm-a", 7, 42, EG_PEER_REBOOTING, 300000), out;
	char why[EG_PEER_WHY] = "";

	CHECK_INT(EG_PEER_DGRAM_LEN, 90, "a datagram is 90 bytes");
	CHECK_INT(unhex(want_hex, want, sizeof want), EG_PEER_DGRAM_LEN, "known answer: 90 bytes");
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), EG_PEER_DGRAM_LEN, "seal: 90 bytes");
	CHECK(memcmp(d, want, EG_PEER_DGRAM_LEN - EG_PEER_MAC_LEN) == 0,
	      "seal: the body is the documented layout");
	CHECK(memcmp(d + EG_PEER_BODY_LEN, want + EG_PEER_BODY_LEN, EG_PEER_MAC_LEN) == 0,
	      "seal: the MAC is HMAC-SHA256 of the body (known answer)");
	CHECK_INT(eg_peer_open(d, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), 0,
		  "open the sealed datagram");
	CHECK(strcmp(out.id, "kvm-a") == 0 && out.epoch == 7 && out.counter == 42 &&
		      out.state == EG_PEER_REBOOTING && out.hold_ms == 300000,
	      "open gives back every field");

	for (int st = EG_PEER_OK; st <= EG_PEER_REBOOTING; st++) {
		static const uint64_t big[] = {0, 1, UINT64_MAX};
		int bad = 0;

		for (size_t i = 0; i < 3; i++)
			for (size_t j = 0; j < 3; j++) {
				uint32_t hold = st == EG_PEER_OK ? 0 : i == 2 ? UINT32_MAX : (uint32_t)j;
				m = msg(i == 2 ? "01234567890123456789012345678901" : "b", big[i],
					big[j], (enum eg_peer_state)st, hold);
				if (eg_peer_seal(&m, key_a, sizeof key_a, d) != EG_PEER_DGRAM_LEN ||
				    eg_peer_open(d, sizeof d, key_a, sizeof key_a, &out, why,
						 sizeof why) != 0 ||
				    memcmp(&out, &m, sizeof m) != 0)
					bad++;
			}
		CHECK_INT(bad, 0, "round trip of state %s at 0, 1 and the largest values",
			  eg_peer_state_text((enum eg_peer_state)st));
	}

	m = msg("kvm-a", 1, 1, EG_PEER_OK, 5);
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), 0, "seal refuses a hold with OK");
	m = msg("kvm a", 1, 1, EG_PEER_OK, 0);
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), 0, "seal refuses a bad id");
	m = msg("", 1, 1, EG_PEER_OK, 0);
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), 0, "seal refuses an empty id");
	m = msg("kvm-a", 1, 1, (enum eg_peer_state)3, 0);
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), 0, "seal refuses state 3");
	m = msg("kvm-a", 1, 1, EG_PEER_OK, 0);
	memset(m.id, 'a', sizeof m.id);
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), 0, "seal refuses an unterminated id");
	m = msg("kvm-a", 1, 1, EG_PEER_OK, 0);
	CHECK_INT(eg_peer_seal(&m, key_a, 31, d), 0, "seal refuses a 31-byte key");
	{
		uint8_t k65[65] = {0};
		CHECK_INT(eg_peer_seal(&m, k65, 65, d), 0, "seal refuses a 65-byte key");
		CHECK_INT(eg_peer_seal(&m, k65, 64, d), EG_PEER_DGRAM_LEN, "seal takes a 64-byte key");
		CHECK_INT(eg_peer_open(d, sizeof d, k65, 64, &out, why, sizeof why), 0,
			  "...and open with it");
	}
	CHECK_INT(eg_peer_seal(&m, key_a, sizeof key_a, d), EG_PEER_DGRAM_LEN, "seal");
	CHECK_INT(eg_peer_open(d, sizeof d, key_a, 31, &out, why, sizeof why), -1,
		  "open refuses a 31-byte key");
	CHECK_STR(why, "a key of 31 bytes, not 32 to 64", "...and says so");
}

static void tampering(void)
{
	struct eg_peer_msg m = msg("kvm-b", 3, 99, EG_PEER_RECOVERING, 60000), out;
	uint8_t d[EG_PEER_DGRAM_LEN], t[EG_PEER_DGRAM_LEN + 40], k2[32];
	char why[EG_PEER_WHY] = "";
	int accepted = 0, wrong_reason = 0;

	eg_peer_seal(&m, key_a, sizeof key_a, d);
	/* every single-bit flip */
	for (size_t i = 0; i < EG_PEER_DGRAM_LEN; i++)
		for (int b = 0; b < 8; b++) {
			memcpy(t, d, sizeof d);
			t[i] ^= (uint8_t)(1u << b);
			if (eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why) == 0)
				accepted++;
			else if (i < 3 ? !has(why, "no magic")
				       : i == 3 ? !has(why, "another version")
						: !has(why, "bad MAC"))
				wrong_reason++;
		}
	CHECK_INT(accepted, 0, "all 720 single-bit flips of a datagram are refused");
	CHECK_INT(wrong_reason, 0, "...as no magic (bytes 0-2), another version (3), bad MAC (rest)");

	/* the wrong key: another one, one bit off, longer with the same start */
	memcpy(k2, key_a, 32);
	k2[31] ^= 1;
	CHECK_INT(eg_peer_open(d, sizeof d, k2, sizeof k2, &out, why, sizeof why), -1,
		  "a key one bit off");
	CHECK_STR(why, "bad MAC: another key, or the datagram was altered", "...bad MAC");
	{
		uint8_t k33[33];
		memcpy(k33, key_a, 32);
		k33[32] = 1;
		CHECK_INT(eg_peer_open(d, sizeof d, k33, sizeof k33, &out, why, sizeof why), -1,
			  "the key with a byte more");
		/* HMAC pads a key with zero bytes to its block: K and K 00 are
		 * one key.  Both ends read the same file, so this never bites. */
		k33[32] = 0;
		CHECK_INT(eg_peer_open(d, sizeof d, k33, sizeof k33, &out, why, sizeof why), 0,
			  "the key with a zero byte more is the same key (HMAC's padding)");
		memset(k33, 0, sizeof k33);
		CHECK_INT(eg_peer_open(d, sizeof d, k33, 32, &out, why, sizeof why), -1,
			  "an all-zero key");
	}

	/* every truncation, and extensions up to 40 bytes */
	{
		int ok = 0, reason = 0;

		for (size_t len = 0; len < EG_PEER_DGRAM_LEN; len++) {
			memcpy(t, d, len);
			if (eg_peer_open(t, len, key_a, sizeof key_a, &out, why, sizeof why) == 0)
				ok++;
			else if (len >= 4 && !has(why, "bytes, not 90"))
				reason++;
		}
		CHECK_INT(ok, 0, "every truncation (0 to 89 bytes) is refused");
		CHECK_INT(reason, 0, "...from 4 bytes on, by its length");
		memcpy(t, d, sizeof d);
		memset(t + sizeof d, 0, 40);
		for (size_t len = EG_PEER_DGRAM_LEN + 1; len <= sizeof t; len++)
			if (eg_peer_open(t, len, key_a, sizeof key_a, &out, why, sizeof why) == 0)
				ok++;
		CHECK_INT(ok, 0, "every extension by 1 to 40 bytes is refused");
		CHECK_INT(eg_peer_open(t, 91, key_a, sizeof key_a, &out, why, sizeof why), -1,
			  "91 bytes");
		CHECK_STR(why, "datagram of 91 bytes, not 90", "...says its length");
		CHECK_INT(eg_peer_open(t, 3, key_a, sizeof key_a, &out, why, sizeof why), -1,
			  "3 bytes");
		CHECK_STR(why, "not a peer datagram (no magic EGP1)", "...no magic");
	}
	memcpy(t, d, sizeof d);
	t[3] = '2';
	CHECK_INT(eg_peer_open(t, 60, key_a, sizeof key_a, &out, why, sizeof why), -1, "EGP2");
	CHECK_STR(why, "peer datagram of another version (byte 0x32, this one speaks '1')",
		  "...another version, whatever its length");

	/* right MAC, wrong format: refused all the same */
	memcpy(t, d, sizeof d);
	t[4] = 0;
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "an authentic id length 0");
	CHECK_STR(why, "node id of 0 bytes, not 1 to 32", "...says so");
	memcpy(t, d, sizeof d);
	t[4] = 33;
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "an authentic id length 33");
	CHECK_STR(why, "node id of 33 bytes, not 1 to 32", "...says so");
	memcpy(t, d, sizeof d);
	t[4] = 255;
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "an authentic id length 255");
	memcpy(t, d, sizeof d);
	t[6] = ' ';
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "an authentic id with a space");
	memcpy(t, d, sizeof d);
	t[5 + 31] = 'x';
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "authentic, a byte in the id's padding");
	CHECK_STR(why, "node id padding is not zero", "...says so");
	memcpy(t, d, sizeof d);
	t[4] = 6; /* the id's NUL now counts */
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "authentic, an id length that takes in a NUL");
	memcpy(t, d, sizeof d);
	t[53] = 3;
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "authentic, state 3");
	CHECK_STR(why, "unknown state 3", "...says so");
	memcpy(t, d, sizeof d);
	t[53] = 0;
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), -1,
		  "authentic, state OK with a hold");
	CHECK_STR(why, "a hold of 60000 ms with state ok", "...says so");
	memcpy(t, d, sizeof d);
	t[53] = 0;
	memset(t + 54, 0, 4);
	remac(t);
	CHECK_INT(eg_peer_open(t, sizeof d, key_a, sizeof key_a, &out, why, sizeof why), 0,
		  "the control: authentic, state OK, hold 0 is fine");
}

static int upd(struct eg_peer *p, int64_t now, uint64_t e, uint64_t c, enum eg_peer_state st,
	       uint32_t hold, char *why)
{
	struct eg_peer_msg m = msg("b", e, c, st, hold);

	return eg_peer_update(p, now, &m, why, EG_PEER_WHY);
}

static void replay(void)
{
	char why[EG_PEER_WHY] = "";
	struct eg_peer p;
	struct eg_peer_msg m;

	eg_peer_init(&p, "a", 1, why, sizeof why);
	CHECK_INT(upd(&p, 10, 5, 1, EG_PEER_OK, 0, why), 0, "the first datagram is accepted");
	CHECK(p.have && p.epoch == 5 && p.counter == 1 && p.heard_ms == 10 &&
		      strcmp(p.id, "b") == 0,
	      "...and recorded");
	CHECK_INT(upd(&p, 20, 5, 1, EG_PEER_OK, 0, why), -1, "the same datagram again");
	CHECK_STR(why, "replayed or old datagram from b: epoch 5 counter 1, already had epoch 5 "
		       "counter 1", "...is a replay");
	CHECK(p.heard_ms == 10, "...and changes nothing");
	CHECK_INT(upd(&p, 20, 5, 2, EG_PEER_OK, 0, why), 0, "the next counter");
	CHECK_INT(upd(&p, 20, 5, 10, EG_PEER_OK, 0, why), 0, "a gap in counters (losses) is fine");
	CHECK_INT(upd(&p, 20, 5, 9, EG_PEER_RECOVERING, 1000, why), -1, "an older counter");
	CHECK(p.state == EG_PEER_OK && p.counter == 10, "...changes nothing");
	CHECK_INT(upd(&p, 20, 4, 1000, EG_PEER_OK, 0, why), -1, "an older epoch, higher counter");
	CHECK_INT(upd(&p, 20, 0, UINT64_MAX, EG_PEER_OK, 0, why), -1, "epoch 0, the last counter");
	CHECK_INT(upd(&p, 30, 6, 1, EG_PEER_OK, 0, why), 0, "a new epoch from counter 1");
	CHECK_INT(upd(&p, 30, 5, 11, EG_PEER_OK, 0, why), -1, "the old epoch is over");
	CHECK_INT(upd(&p, 30, 7, 0, EG_PEER_OK, 0, why), 0, "a new epoch from counter 0");
	CHECK_INT(upd(&p, 30, 7, UINT64_MAX, EG_PEER_OK, 0, why), 0, "the last counter");
	CHECK_INT(upd(&p, 30, 7, UINT64_MAX, EG_PEER_OK, 0, why), -1, "...once");
	CHECK_INT(upd(&p, 30, UINT64_MAX, 0, EG_PEER_OK, 0, why), 0, "the last epoch");

	m = msg("a", 100, 1, EG_PEER_REBOOTING, 1000);
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1, "our own id");
	CHECK_STR(why, "datagram with our own node id a: reflected back, or the peer has our name",
		  "...is a reflection");
	m = msg("b", UINT64_MAX, 1, (enum eg_peer_state)3, 0);
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1, "update refuses state 3");
	m.state = (enum eg_peer_state)-1;
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1, "update refuses state -1");
	m = msg("b", UINT64_MAX, 1, EG_PEER_OK, 0);
	memset(m.id, 'b', sizeof m.id);
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1,
		  "update refuses an id without its NUL");
	m = msg("b c", UINT64_MAX, 1, EG_PEER_OK, 0);
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1, "update refuses a bad id");
	m = msg("c", UINT64_MAX, 1, EG_PEER_REBOOTING, 1000);
	CHECK_INT(eg_peer_update(&p, 40, &m, why, sizeof why), -1, "a third node's id");
	CHECK_STR(why, "datagram from node c, but the peer is b", "...is refused");
	CHECK(p.state == EG_PEER_OK && p.heard_ms == 30, "...neither changed anything");

	/* a restarted receiver with its file */
	eg_peer_init(&p, "a", 2, why, sizeof why);
	eg_peer_restore(&p, 5, 10);
	CHECK_INT(upd(&p, 0, 5, 10, EG_PEER_REBOOTING, 9000, why), -1, "restored: the last pair");
	CHECK_INT(upd(&p, 0, 5, 3, EG_PEER_REBOOTING, 9000, why), -1, "restored: older");
	CHECK_INT(upd(&p, 0, 4, 99, EG_PEER_REBOOTING, 9000, why), -1, "restored: older epoch");
	CHECK(!eg_peer_holds(&p, 0, MIN15, why, sizeof why), "...and none of them holds");
	CHECK_INT(upd(&p, 0, 5, 11, EG_PEER_OK, 0, why), 0, "restored: the next counter");
	eg_peer_init(&p, "a", 2, why, sizeof why);
	eg_peer_restore(&p, 5, 10);
	CHECK_INT(upd(&p, 0, 6, 0, EG_PEER_OK, 0, why), 0, "restored: a new epoch");
	eg_peer_init(&p, "a", 2, why, sizeof why);
	CHECK_INT(upd(&p, 0, 0, 0, EG_PEER_OK, 0, why), 0, "nothing restored: (0, 0) is taken");
	CHECK_INT(upd(&p, 0, 0, 0, EG_PEER_OK, 0, why), -1, "...once");
}

static void saying(void)
{
	char why[EG_PEER_WHY] = "";
	struct eg_peer p;
	struct eg_peer_msg m;

	eg_peer_init(&p, "kvm-a", 12, why, sizeof why);
	CHECK_INT(eg_peer_say(&p, 100, EG_PEER_OK, 777, &m, why, sizeof why), 0, "say OK");
	CHECK(strcmp(m.id, "kvm-a") == 0 && m.epoch == 12 && m.counter == 1 &&
		      m.state == EG_PEER_OK && m.hold_ms == 0,
	      "the first datagram: our id and epoch, counter 1, OK holds 0");
	eg_peer_say(&p, 200, EG_PEER_RECOVERING, 5000, &m, why, sizeof why);
	CHECK(m.counter == 2 && m.state == EG_PEER_RECOVERING && m.hold_ms == 5000,
	      "counter 2, recovering with its hold");
	CHECK(p.my_state == EG_PEER_RECOVERING, "recovering is no reboot announcement");
	eg_peer_say(&p, 300, EG_PEER_REBOOTING, 5000, &m, why, sizeof why);
	CHECK_INT(p.my_reboot_ms, 300, "rebooting: the announcement began at 300");
	eg_peer_say(&p, 400, EG_PEER_REBOOTING, 5000, &m, why, sizeof why);
	CHECK_INT(p.my_reboot_ms, 300, "...a repeat does not move it");
	CHECK_INT(m.counter, 4, "...counter 4");
	eg_peer_say(&p, 500, EG_PEER_RECOVERING, 5000, &m, why, sizeof why);
	CHECK(p.my_state != EG_PEER_REBOOTING, "stepping back to recovering ends it");
	eg_peer_say(&p, 600, EG_PEER_REBOOTING, 5000, &m, why, sizeof why);
	CHECK_INT(p.my_reboot_ms, 600, "a new announcement begins anew");
	eg_peer_say(&p, 700, EG_PEER_OK, 0, &m, why, sizeof why);
	CHECK(p.my_state == EG_PEER_OK, "OK ends it");
	CHECK_INT(eg_peer_say(&p, 750, (enum eg_peer_state)3, 0, &m, why, sizeof why), -1,
		  "say refuses state 3");
	CHECK_STR(why, "unknown state 3", "...says so");
	CHECK(p.my_state == EG_PEER_OK && p.my_counter == 7, "...and changes nothing");
	p.my_counter = UINT64_MAX - 1;
	CHECK_INT(eg_peer_say(&p, 800, EG_PEER_OK, 0, &m, why, sizeof why), 0, "the last counter");
	CHECK(m.counter == UINT64_MAX, "...is UINT64_MAX");
	CHECK_INT(eg_peer_say(&p, 800, EG_PEER_OK, 0, &m, why, sizeof why), -1, "then none");
	CHECK_STR(why, "counter exhausted in epoch 12: a new epoch is needed", "...says so");
}

/* holds() at t, and the hold left */
#define HOLDS(p, t, max) eg_peer_holds(p, t, max, why, sizeof why)

static void hold(void)
{
	char why[EG_PEER_WHY] = "";
	struct eg_peer p;

	/* silence never holds */
	eg_peer_init(&p, "a", 1, why, sizeof why);
	CHECK(!HOLDS(&p, 0, MIN15) && !HOLDS(&p, INT64_MAX, MIN15) && !HOLDS(&p, INT64_MIN, MIN15),
	      "a peer never heard does not hold, at any time");
	upd(&p, 1000, 1, 1, EG_PEER_OK, 0, why);
	CHECK(!HOLDS(&p, 1000, MIN15) && !HOLDS(&p, 1000 + 86400000LL * 365, MIN15),
	      "a peer last heard OK does not hold, silent for a year");

	/* an announcement holds for min(asked, max) from when it came */
	eg_peer_init(&p, "a", 1, why, sizeof why);
	upd(&p, 10000, 1, 1, EG_PEER_RECOVERING, 60000, why);
	CHECK(HOLDS(&p, 10000, MIN15), "recovering: holds at once");
	CHECK_STR(why, "peer b is recovering", "...why");
	CHECK(HOLDS(&p, 69999, MIN15), "asked 60 s: holds at bound-1 ms");
	CHECK(!HOLDS(&p, 70000, MIN15), "...not at the bound");
	CHECK(!HOLDS(&p, 70001, MIN15), "...not at bound+1 ms");
	CHECK_INT(eg_peer_hold_left_ms(&p, 10000, MIN15), 60000, "left at the start: 60 s");
	CHECK_INT(eg_peer_hold_left_ms(&p, 69999, MIN15), 1, "left at bound-1: 1 ms");
	CHECK_INT(eg_peer_hold_left_ms(&p, 70000, MIN15), 0, "left at the bound: 0");
	CHECK(!HOLDS(&p, 70000, 0), "peer_hold_max 0: never holds");
	CHECK(!HOLDS(&p, 10000, -5), "a negative peer_hold_max: never holds");
	CHECK(HOLDS(&p, 10999, 1000) && !HOLDS(&p, 11000, 1000) && !HOLDS(&p, 11001, 1000),
	      "peer_hold_max 1 s below the 60 s asked: bound-1 holds, bound and bound+1 do not");
	CHECK(HOLDS(&p, 9000, MIN15), "a clock that went back counts no time (holds)");
	CHECK_INT(eg_peer_hold_left_ms(&p, INT64_MIN, MIN15), 60000, "...even to INT64_MIN");
	CHECK(!HOLDS(&p, INT64_MAX, MIN15), "INT64_MAX: long over");

	eg_peer_init(&p, "a", 1, why, sizeof why);
	upd(&p, 5000, 1, 1, EG_PEER_REBOOTING, 3600000, why);
	CHECK_STR((HOLDS(&p, 5000, MIN15), why), "peer b is rebooting", "rebooting: why");
	CHECK(HOLDS(&p, 5000 + MIN15 - 1, MIN15), "asked 1 h, max 15 min: holds at bound-1");
	CHECK(!HOLDS(&p, 5000 + MIN15, MIN15), "...not at the bound");
	CHECK(!HOLDS(&p, 5000 + MIN15 + 1, MIN15), "...not at bound+1");
	eg_peer_init(&p, "a", 1, why, sizeof why);
	upd(&p, 5000, 1, 1, EG_PEER_REBOOTING, 0, why);
	CHECK(!HOLDS(&p, 5000, MIN15), "a peer that asks a hold of 0 does not hold");
	eg_peer_init(&p, "a", 1, why, sizeof why);
	upd(&p, 0, 1, 1, EG_PEER_REBOOTING, UINT32_MAX, why);
	CHECK(HOLDS(&p, (int64_t)UINT32_MAX - 1, INT64_MAX) &&
		      !HOLDS(&p, (int64_t)UINT32_MAX, INT64_MAX),
	      "the largest hold asked, with no max: 49.7 days, not more");

	/* an OK since clears it */
	eg_peer_init(&p, "a", 1, why, sizeof why);
	upd(&p, 1000, 1, 1, EG_PEER_REBOOTING, 60000, why);
	upd(&p, 1001, 2, 1, EG_PEER_OK, 0, why);
	CHECK(!HOLDS(&p, 1001, MIN15), "an OK 1 ms after the announcement ends the hold");
	CHECK_INT(p.hold_ms, 0, "...and its bound");

	/* repeats do not extend it */
	eg_peer_init(&p, "a", 1, why, sizeof why);
	for (int64_t t = 0; t <= 120000; t += 1000)
		upd(&p, t, 1, (uint64_t)t / 1000 + 1, EG_PEER_RECOVERING, 60000, why);
	CHECK(HOLDS(&p, 59999, MIN15) && !HOLDS(&p, 60000, MIN15),
	      "recovering every second for 2 min: the hold ends 60 s after the first");
	upd(&p, 121000, 1, 200, EG_PEER_RECOVERING, 200000, why);
	CHECK(HOLDS(&p, 199999, MIN15) && !HOLDS(&p, 200000, MIN15),
	      "a repeat that asks more: the new bound, from the first datagram");
	/* a daemon that restarts in a loop, always recovering */
	for (uint64_t e = 2; e < 50; e++)
		upd(&p, 121000 + (int64_t)e * 10000, e, 1, EG_PEER_RECOVERING, 200000, why);
	CHECK(!HOLDS(&p, 700000, MIN15), "recovering in 48 new epochs does not restart the clock");
	/* escalation restarts it */
	upd(&p, 800000, 49, 2, EG_PEER_REBOOTING, 300000, why);
	CHECK(HOLDS(&p, 1099999, MIN15) && !HOLDS(&p, 1100000, MIN15),
	      "recovering to rebooting: held 300 s from the escalation");
	upd(&p, 900000, 49, 3, EG_PEER_REBOOTING, 300000, why);
	CHECK(!HOLDS(&p, 1100000, MIN15), "a repeated rebooting does not restart it");
	upd(&p, 950000, 49, 4, EG_PEER_RECOVERING, 300000, why);
	CHECK(HOLDS(&p, 1099999, MIN15) && !HOLDS(&p, 1100000, MIN15),
	      "rebooting back to recovering in the same epoch: the clock goes on");
	CHECK_STR((HOLDS(&p, 1000000, MIN15), why), "peer b is recovering", "...why says so");
	upd(&p, 960000, 49, 5, EG_PEER_REBOOTING, 300000, why);
	CHECK(!HOLDS(&p, 1100000, MIN15), "rebooting again in the same epoch: no restart");
	upd(&p, 2000000, 50, 1, EG_PEER_REBOOTING, 300000, why);
	CHECK(HOLDS(&p, 2299999, MIN15) && !HOLDS(&p, 2300000, MIN15),
	      "rebooting in a new epoch (it rebooted, and goes again): restarts");
	upd(&p, 2400000, 51, 1, EG_PEER_RECOVERING, 300000, why);
	CHECK(!HOLDS(&p, 2400000, MIN15), "recovering after a reboot: no restart");
	upd(&p, 2400001, 51, 2, EG_PEER_OK, 0, why);
	upd(&p, 2500000, 51, 3, EG_PEER_RECOVERING, 300000, why);
	CHECK(HOLDS(&p, 2500000, MIN15) && HOLDS(&p, 2799999, MIN15) && !HOLDS(&p, 2800000, MIN15),
	      "OK, then recovering again: a new hold");
	CHECK(p.heard_ms == 2500000, "heard_ms is the last accepted datagram");
}

/* may_announce at t */
#define MAY(p, t) eg_peer_may_announce(p, t, MIN15, why, sizeof why)

static void tie_break(void)
{
	char why[EG_PEER_WHY] = "";
	struct eg_peer a, b;
	struct eg_peer_msg m;

	eg_peer_init(&a, "a", 1, why, sizeof why);
	CHECK(MAY(&a, 0), "a peer never heard: we may announce");
	upd(&a, 1000, 1, 1, EG_PEER_RECOVERING, 60000, why);
	CHECK(!MAY(&a, 1000), "the peer recovering: we may not");
	CHECK_STR(why, "peer b is recovering", "...why (the reboot veto's text)");
	CHECK(!MAY(&a, 60999), "...at bound-1");
	CHECK(MAY(&a, 61000), "...we may at the bound");
	upd(&a, 62000, 1, 2, EG_PEER_REBOOTING, 60000, why);
	CHECK(!MAY(&a, 62000), "the peer rebooting: we may not");
	CHECK_STR(why, "peer b is rebooting", "...why");

	/* we announced first; the peer's announcement came after ours */
	eg_peer_init(&a, "a", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	upd(&a, 1500, 1, 1, EG_PEER_RECOVERING, 60000, why);
	snprintf(why, sizeof why, "untouched");
	CHECK(MAY(&a, 1000 + EG_PEER_SETTLE_MS), "it recovers after we announced: we go");
	CHECK_STR(why, "untouched", "...why is only written for a no");
	CHECK(eg_peer_holds(&a, 1000 + EG_PEER_SETTLE_MS, MIN15, why, sizeof why),
	      "...though it holds by itself");
	eg_peer_init(&a, "a", 1, why, sizeof why);
	upd(&a, 999, 1, 1, EG_PEER_RECOVERING, 60000, why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	CHECK(!MAY(&a, 1000 + EG_PEER_SETTLE_MS), "it recovered 1 ms before we announced: we hold");
	eg_peer_init(&a, "a", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	upd(&a, 1000, 1, 1, EG_PEER_RECOVERING, 60000, why);
	CHECK(MAY(&a, 1000), "it recovered the same ms we announced: we go");

	/* both rebooting at once, both orders */
	eg_peer_init(&a, "a", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	upd(&a, 1000, 1, 1, EG_PEER_REBOOTING, 60000, why);
	CHECK(MAY(&a, 1000 + EG_PEER_SETTLE_MS), "both rebooting, same ms: a < b, a goes");
	eg_peer_init(&b, "b", 1, why, sizeof why);
	eg_peer_say(&b, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	m = msg("a", 1, 1, EG_PEER_REBOOTING, 60000);
	eg_peer_update(&b, 1000, &m, why, sizeof why);
	CHECK(!MAY(&b, 1000 + EG_PEER_SETTLE_MS), "...and b holds");
	CHECK_STR(why, "peer a is rebooting too, and goes first (a < b)", "...why");
	eg_peer_init(&b, "b", 1, why, sizeof why);
	eg_peer_say(&b, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	m = msg("a", 1, 1, EG_PEER_REBOOTING, 60000);
	eg_peer_update(&b, 999, &m, why, sizeof why);
	CHECK(!MAY(&b, 1000 + EG_PEER_SETTLE_MS), "a's came first: b holds");
	eg_peer_init(&a, "a", 1, why, sizeof why);
	m = msg("b", 1, 1, EG_PEER_REBOOTING, 60000);
	eg_peer_update(&a, 999, &m, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	CHECK(!MAY(&a, 1000 + EG_PEER_SETTLE_MS), "b's came first: a holds, smaller id or not");
	/* the loser steps back; the winner keeps its turn */
	eg_peer_say(&a, 4000, EG_PEER_RECOVERING, 60000, &m, why, sizeof why);
	CHECK(!MAY(&a, 4000), "the loser, recovering again, still may not");
	CHECK(MAY(&a, 999 + 60000), "...until the winner's bound");
	eg_peer_init(&a, "a", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	upd(&a, 1001, 1, 1, EG_PEER_REBOOTING, 60000, why);
	upd(&a, 1002, 1, 2, EG_PEER_RECOVERING, 60000, why);
	CHECK(MAY(&a, 1000 + EG_PEER_SETTLE_MS), "the winner, after the loser stepped back: goes");

	/* uppercase sorts first: bytewise */
	eg_peer_init(&a, "a", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	m = msg("B", 1, 1, EG_PEER_REBOOTING, 60000);
	eg_peer_update(&a, 1001, &m, why, sizeof why);
	CHECK(!MAY(&a, 1000 + EG_PEER_SETTLE_MS), "B < a bytewise: a holds");
	eg_peer_init(&a, "kvm-10", 1, why, sizeof why);
	eg_peer_say(&a, 1000, EG_PEER_REBOOTING, 60000, &m, why, sizeof why);
	m = msg("kvm-9", 1, 1, EG_PEER_REBOOTING, 60000);
	eg_peer_update(&a, 1001, &m, why, sizeof why);
	CHECK(MAY(&a, 1000 + EG_PEER_SETTLE_MS), "kvm-10 < kvm-9 bytewise: kvm-10 goes");
}

/* Two daemons that both want to reboot, as the header tells them to: ask,
 * announce, settle, ask again.  A asks at 0, B at `off`; datagrams take
 * dab and dba ms.  How many go. */
static int race(const char *ida, const char *idb, int64_t off, int64_t dab, int64_t dba)
{
	const int64_t ta = 0, tb = off, S = EG_PEER_SETTLE_MS;
	/* the only times anything happens, in order; what arrives at t is
	 * seen by what is asked at t */
	int64_t when[] = {ta, tb, ta + dab, tb + dba, ta + S, tb + S};
	char why[EG_PEER_WHY];
	struct eg_peer pa, pb;
	struct eg_peer_msg ma, mb, out;
	uint8_t d[EG_PEER_DGRAM_LEN];
	bool a_ann = false, b_ann = false;
	int went = 0;

	eg_peer_init(&pa, ida, 1, why, sizeof why);
	eg_peer_init(&pb, idb, 1, why, sizeof why);
	for (size_t i = 1; i < 6; i++)
		for (size_t j = i; j > 0 && when[j - 1] > when[j]; j--) {
			int64_t x = when[j];
			when[j] = when[j - 1];
			when[j - 1] = x;
		}
	for (size_t i = 0; i < 6; i++) {
		int64_t t = when[i];

		if (i > 0 && t == when[i - 1])
			continue;
		if (a_ann && t == ta + dab) {
			eg_peer_seal(&ma, key_a, sizeof key_a, d);
			if (eg_peer_open(d, sizeof d, key_a, sizeof key_a, &out, why, sizeof why) == 0)
				eg_peer_update(&pb, t, &out, why, sizeof why);
		}
		if (b_ann && t == tb + dba) {
			eg_peer_seal(&mb, key_a, sizeof key_a, d);
			if (eg_peer_open(d, sizeof d, key_a, sizeof key_a, &out, why, sizeof why) == 0)
				eg_peer_update(&pa, t, &out, why, sizeof why);
		}
		if (t == ta && eg_peer_may_announce(&pa, t, MIN15, why, sizeof why)) {
			eg_peer_say(&pa, t, EG_PEER_REBOOTING, 60000, &ma, why, sizeof why);
			a_ann = true;
		}
		if (t == tb && eg_peer_may_announce(&pb, t, MIN15, why, sizeof why)) {
			eg_peer_say(&pb, t, EG_PEER_REBOOTING, 60000, &mb, why, sizeof why);
			b_ann = true;
		}
		if (a_ann && t == ta + S)
			went += eg_peer_may_announce(&pa, t, MIN15, why, sizeof why);
		if (b_ann && t == tb + S)
			went += eg_peer_may_announce(&pb, t, MIN15, why, sizeof why);
	}
	return went;
}

static void races(void)
{
	/* one-way delays (at least 1 ms) whose round trip is within the
	 * settle time */
	static const int64_t delays[] = {1, 7, 100, 1499, EG_PEER_SETTLE_MS / 2};
	int both = 0, none = 0, runs = 0, crossing = 0, crossing_bad = 0;

	for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++)
		for (size_t j = 0; j < sizeof delays / sizeof delays[0]; j++) {
			int64_t dab = delays[i], dba = delays[j];
			/* the edges (B asks just before, at, after A's arrives;
			 * and the mirror), then a sweep */
			int64_t edge[] = {0, dab - 1, dab, dab + 1, -dba - 1, -dba, -dba + 1};

			for (int k = 0; k < 7 + 2 * EG_PEER_SETTLE_MS / 97; k++) {
				int64_t off = k < 7 ? edge[k] : -EG_PEER_SETTLE_MS + 1 + (k - 7) * 97;
				int w1 = race("a", "b", off, dab, dba);
				int w2 = race("b", "a", off, dab, dba);

				both += (w1 > 1) + (w2 > 1);
				none += (w1 == 0) + (w2 == 0);
				runs += 2;
				/* neither had the other's announcement when it asked */
				if (off < dab && -off < dba) {
					crossing += 2;
					crossing_bad += (w1 != 1) + (w2 != 1);
				}
			}
		}
	CHECK_INT(both, 0, "%d races of two reboots (offsets, delays whose round trip is "
			   "within the settle time, both id orders): never both go", runs);
	CHECK_INT(none, 0, "...and never neither");
	CHECK(crossing >= 500 && crossing_bad == 0,
	      "...%d of them crossing (both announced): exactly one goes", crossing);
	CHECK_INT(race("a", "b", 0, 1, 1), 1, "asked the same ms: one goes");
	/* the documented limit: B's announcement, crossing A's, arrives after
	 * A's second look */
	CHECK_INT(race("b", "a", EG_PEER_SETTLE_MS - 10, EG_PEER_SETTLE_MS, 20), 2,
		  "a round trip longer than the settle time: both may go (peer.h says so)");
}

static void state_text(void)
{
	static const struct {
		const char *s;
		const char *what;
	} bad[] = {
		{"", "an empty file"},
		{"epoch 1\n", "no counter line"},
		{"counter 2\nepoch 1\n", "the lines swapped"},
		{"epoch 01\ncounter 2\n", "a leading zero"},
		{"epoch 1\ncounter 00\n", "two zeros"},
		{"epoch -1\ncounter 2\n", "a sign"},
		{"epoch +1\ncounter 2\n", "a plus sign"},
		{"epoch  1\ncounter 2\n", "two spaces"},
		{"epoch 1 \ncounter 2\n", "a trailing space"},
		{"epoch\t1\ncounter 2\n", "a tab"},
		{"epoch 1\r\ncounter 2\r\n", "CRLF"},
		{"epoch 1counter 2\n", "the first newline missing"},
		{"epoch 1\ncounter 2\n\n", "an empty line after"},
		{"epoch 1\ncounter 2\nx", "more after"},
		{"epoch 1\n\ncounter 2\n", "an empty line between"},
		{"Epoch 1\ncounter 2\n", "the key's case"},
		{"epoch 18446744073709551616\ncounter 2\n", "2^64: overflow"},
		{"epoch 1\ncounter 99999999999999999999\n", "a 20-digit overflow"},
		{"epoch \ncounter 2\n", "no number"},
		{"epoch 0x10\ncounter 2\n", "hex"},
		{"epoch=1\ncounter=2\n", "equals signs"},
	};
	char buf[EG_PEER_STATE_MAX], why[EG_PEER_WHY] = "";
	uint64_t e = 77, c = 77;
	size_t n;
	int wrong = 0;

	CHECK_INT(eg_peer_state_parse("epoch 3\ncounter 17\n", 19, &e, &c, why, sizeof why), 0,
		  "parse epoch 3 counter 17");
	CHECK(e == 3 && c == 17, "...the values");
	CHECK_INT(eg_peer_state_parse("epoch 3\ncounter 17", 18, &e, &c, why, sizeof why), 0,
		  "...without the last newline");
	CHECK_INT(eg_peer_state_parse("epoch 0\ncounter 0\n", 18, &e, &c, why, sizeof why), 0,
		  "zeros");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = c = 77;
		if (eg_peer_state_parse(bad[i].s, strlen(bad[i].s), &e, &c, why, sizeof why) != -1 ||
		    e != 77 || c != 77) {
			CHECK(0, "malformed state accepted: %s", bad[i].what);
			wrong++;
		}
	}
	CHECK_INT(wrong, 0, "%zu malformed state files refused, the output untouched",
		  sizeof bad / sizeof bad[0]);
	CHECK_STR(why, "not \"epoch N\\ncounter N\\n\"", "...with a reason");
	CHECK_INT(eg_peer_state_parse("epoch 1\ncounter 2\0", 18, &e, &c, why, sizeof why), -1,
		  "a NUL after");
	CHECK_INT(eg_peer_state_parse("epoch 1\ncounter 2\n", 10, &e, &c, why, sizeof why), -1,
		  "cut inside the second line");

	n = eg_peer_state_format(buf, 3, 17);
	CHECK_STR(buf, "epoch 3\ncounter 17\n", "format");
	CHECK_INT(n, 19, "...its length");
	n = eg_peer_state_format(buf, UINT64_MAX, UINT64_MAX);
	CHECK_STR(buf, "epoch 18446744073709551615\ncounter 18446744073709551615\n",
		  "format the largest values: fits");
	CHECK_INT(eg_peer_state_parse(buf, n, &e, &c, why, sizeof why), 0, "...parses back");
	CHECK(e == UINT64_MAX && c == UINT64_MAX, "...the same");
	{
		static const uint64_t v[] = {0, 1, 9, 10, 99, 1000000, UINT32_MAX,
					     (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1};
		int bad_rt = 0;

		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
			for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
				n = eg_peer_state_format(buf, v[i], v[j]);
				if (eg_peer_state_parse(buf, n, &e, &c, why, sizeof why) != 0 ||
				    e != v[i] || c != v[j])
					bad_rt++;
			}
		CHECK_INT(bad_rt, 0, "81 pairs format and parse back");
	}
	/* the receiver's file, end to end */
	{
		struct eg_peer p;

		eg_peer_init(&p, "a", 1, why, sizeof why);
		upd(&p, 0, 8, 41, EG_PEER_OK, 0, why);
		n = eg_peer_state_format(buf, p.epoch, p.counter);
		eg_peer_init(&p, "a", 2, why, sizeof why);
		eg_peer_state_parse(buf, n, &e, &c, why, sizeof why);
		eg_peer_restore(&p, e, c);
		CHECK_INT(upd(&p, 0, 8, 41, EG_PEER_REBOOTING, 1000, why), -1,
			  "after a restart through the file, the last datagram is a replay");
		CHECK_INT(upd(&p, 0, 8, 42, EG_PEER_REBOOTING, 1000, why), 0, "...the next is not");
	}
}

/* What the daemon adds: its epoch file, the kinds of refusal its log
 * tells apart, and the limit of one line a kind a minute. */
static void daemon_side(void)
{
	static const char *const bad[] = {"", "epoch\n", "epoch 01\n", "epoch 1\n\n", "epoch 1 \n",
					  "epoch -1\n", "counter 1\n", "epoch 1\ncounter 2\n",
					  "epoch 18446744073709551616\n", "Epoch 1\n"};
	static const uint8_t key_b[32] = "another key, 32 bytes, not ours";
	char buf[EG_PEER_EPOCH_MAX], why[EG_PEER_WHY] = "";
	uint8_t d[EG_PEER_DGRAM_LEN], ok[EG_PEER_DGRAM_LEN];
	struct eg_peer_msg m = msg("b", 5, 9, EG_PEER_OK, 0), out;
	struct eg_peer p;
	struct eg_peer_quiet q = {0};
	uint64_t e = 77;
	uint32_t held = 99;
	int wrong = 0;
	size_t n;

	n = eg_peer_epoch_format(buf, 42);
	CHECK(n == 9 && strcmp(buf, "epoch 42\n") == 0, "epoch file: \"epoch 42\\n\"");
	CHECK(eg_peer_epoch_parse(buf, n, &e, why, sizeof why) == 0 && e == 42, "...parses back");
	CHECK(eg_peer_epoch_parse("epoch 7", 7, &e, why, sizeof why) == 0 && e == 7,
	      "...the newline may be missing");
	n = eg_peer_epoch_format(buf, UINT64_MAX);
	CHECK(eg_peer_epoch_parse(buf, n, &e, why, sizeof why) == 0 && e == UINT64_MAX,
	      "...the largest fits");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = 77;
		if (eg_peer_epoch_parse(bad[i], strlen(bad[i]), &e, why, sizeof why) != -1 || e != 77)
			wrong++;
	}
	CHECK_INT(wrong, 0, "%zu malformed epoch files refused, the output untouched",
		  sizeof bad / sizeof bad[0]);
	CHECK_STR(why, "not \"epoch N\\n\"", "...with a reason");

	/* the kinds, from the reasons the functions give */
	eg_peer_seal(&m, key_a, sizeof key_a, ok);
#define KIND_OPEN(buf_, len_, key_, want_, what_)                                             \
	do {                                                                                  \
		int r_ = eg_peer_open(buf_, len_, key_, 32, &out, why, sizeof why);           \
		CHECK(r_ == -1 && eg_peer_refusal_kind(false, why) == (want_), "kind: %s (%s)", \
		      what_, why);                                                            \
	} while (0)
	KIND_OPEN(ok, 10, key_a, EG_PEER_RF_FORMAT, "10 bytes");
	KIND_OPEN((const uint8_t *)"GET / HTTP/1.0", 14, key_a, EG_PEER_RF_FORMAT, "not ours");
	memcpy(d, ok, sizeof d);
	d[3] = '2';
	KIND_OPEN(d, sizeof d, key_a, EG_PEER_RF_FORMAT, "another version");
	KIND_OPEN(ok, sizeof ok, key_b, EG_PEER_RF_MAC, "another key");
	memcpy(d, ok, sizeof d);
	d[50] ^= 1;
	KIND_OPEN(d, sizeof d, key_a, EG_PEER_RF_MAC, "altered");
	memcpy(d, ok, sizeof d);
	d[53] = 7;
	remac(d);
	KIND_OPEN(d, sizeof d, key_a, EG_PEER_RF_FIELDS, "an unknown state, authentic");
	memcpy(d, ok, sizeof d);
	d[36] = 'x';
	remac(d);
	KIND_OPEN(d, sizeof d, key_a, EG_PEER_RF_FIELDS, "padding, authentic");
	memcpy(d, ok, sizeof d);
	d[57] = 1;
	remac(d);
	KIND_OPEN(d, sizeof d, key_a, EG_PEER_RF_FIELDS, "a hold with ok, authentic");
#undef KIND_OPEN
	eg_peer_init(&p, "a", 1, why, sizeof why);
	CHECK(eg_peer_update(&p, 0, &m, why, sizeof why) == 0, "accepted once");
	CHECK(eg_peer_update(&p, 1, &m, why, sizeof why) == -1 &&
	      eg_peer_refusal_kind(true, why) == EG_PEER_RF_REPLAY, "kind: a replay (%s)", why);
	m = msg("c", 6, 1, EG_PEER_OK, 0);
	CHECK(eg_peer_update(&p, 1, &m, why, sizeof why) == -1 &&
	      eg_peer_refusal_kind(true, why) == EG_PEER_RF_NODE, "kind: another node (%s)", why);
	m = msg("a", 6, 1, EG_PEER_OK, 0);
	CHECK(eg_peer_update(&p, 1, &m, why, sizeof why) == -1 &&
	      eg_peer_refusal_kind(true, why) == EG_PEER_RF_NODE, "kind: our own id (%s)", why);

	/* one line a minute, and the count of those kept quiet */
	CHECK(eg_peer_quiet_pass(&q, 5000, &held) && held == 0, "quiet: the first is logged");
	CHECK(!eg_peer_quiet_pass(&q, 5001, &held), "quiet: the next, 1 ms later, is not");
	for (int i = 0; i < 1000; i++)
		eg_peer_quiet_pass(&q, 6000 + i, &held);
	CHECK(!eg_peer_quiet_pass(&q, 5000 + EG_PEER_QUIET_MS - 1, &held), "...nor at 59.999 s");
	CHECK(eg_peer_quiet_pass(&q, 5000 + EG_PEER_QUIET_MS, &held) && held == 1002,
	      "...at 60 s one is, saying 1002 were kept quiet");
	CHECK(!eg_peer_quiet_pass(&q, 4000, &held), "a clock that went back keeps quiet");
	CHECK(eg_peer_quiet_pass(&q, 5000 + 2 * EG_PEER_QUIET_MS, &held) && held == 1,
	      "...and counts it");
}

void test_peer(void)
{
	ids();
	keys();
	seal_open();
	tampering();
	replay();
	saying();
	hold();
	tie_break();
	races();
	state_text();
	daemon_side();
	CHECK_STR(eg_peer_state_text(EG_PEER_OK), "ok", "state text ok");
	CHECK_STR(eg_peer_state_text((enum eg_peer_state)9), "unknown", "state text 9");
}
