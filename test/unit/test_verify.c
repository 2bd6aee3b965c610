/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "verify.h"
#include "manifest.h"

#include "vectors/verify.h"

static const char *hex(const uint8_t d[EG_SHA256_LEN])
{
	static char h[EG_SHA256_HEXLEN + 1];

	eg_sha256_hex(d, h);
	return h;
}

/* FIPS 180-2's examples and the empty string (sha256sum's digests) */
static void sha256_vectors(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	static const char abc56[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const size_t splits[] = {1, 3, 7, 63, 64, 65, 1000};
	struct eg_sha256 h;
	uint8_t d[EG_SHA256_LEN];
	char a[1000];
	int bad = 0;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		eg_sha256(t[i].in, strlen(t[i].in), d);
		CHECK_STR(hex(d), t[i].want, "sha256 of \"%.10s\" (%zu bytes)", t[i].in,
			  strlen(t[i].in));
	}

	/* the 56-byte one cut in two at every offset */
	for (size_t cut = 0; cut <= sizeof abc56 - 1; cut++) {
		eg_sha256_init(&h);
		eg_sha256_update(&h, abc56, cut);
		eg_sha256_update(&h, abc56 + cut, sizeof abc56 - 1 - cut);
		eg_sha256_final(&h, d);
		bad += strcmp(hex(d), t[2].want) != 0;
	}
	CHECK(!bad, "sha256 of 56 bytes fed in two pieces, cut at each of 0..56");

	/* a million 'a', in pieces of 1, 3, 7, 63, 64, 65 and 1000 bytes */
	memset(a, 'a', sizeof a);
	for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
		size_t left = 1000000;

		eg_sha256_init(&h);
		while (left > 0) {
			size_t n = left < splits[s] ? left : splits[s];
			eg_sha256_update(&h, a, n);
			left -= n;
		}
		eg_sha256_final(&h, d);
		CHECK_STR(hex(d), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			  "sha256 of a million 'a' in pieces of %zu", splits[s]);
	}

	/* final does not end the hash: "ab" then "c" is "abc" */
	eg_sha256_init(&h);
	eg_sha256_update(&h, "ab", 2);
	eg_sha256_final(&h, d);
	eg_sha256_update(&h, "c", 1);
	eg_sha256_final(&h, d);
	CHECK_STR(hex(d), t[1].want, "sha256 goes on after final");
}

static void sha256_hex(void)
{
	static const char good[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *bad[] = {
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag",
		"ba7816bf8f01cfea414140de5dae2223 00361a396177a9cb410ff61f20015ad",
		"0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015",
		"",
	};
	uint8_t d[EG_SHA256_LEN], want[EG_SHA256_LEN], keep[EG_SHA256_LEN];

	eg_sha256("abc", 3, want);
	CHECK(eg_sha256_parse(good, strlen(good), d) && memcmp(d, want, sizeof d) == 0,
	      "hex: 64 lowercase digits parse to the digest");
	CHECK_STR(hex(d), good, "hex: formatting gives the same 64 digits back");
	CHECK(eg_sha256_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad trailing",
				  EG_SHA256_HEXLEN, d),
	      "hex: parses exactly len bytes (a word inside a line)");
	memset(keep, 0x5a, sizeof keep);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(d, keep, sizeof d);
		CHECK(!eg_sha256_parse(bad[i], strlen(bad[i]), d) &&
			      memcmp(d, keep, sizeof d) == 0,
		      "hex: refused, out untouched: \"%s\"", bad[i]);
	}
	for (int c = 0; c < 256; c++) {
		char s[EG_SHA256_HEXLEN + 1];
		bool hexdigit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

		memcpy(s, good, sizeof s);
		s[17] = (char)c;
		if (eg_sha256_parse(s, EG_SHA256_HEXLEN, d) != hexdigit) {
			CHECK(0, "hex: byte 0x%02x at offset 17", c);
			return;
		}
	}
	CHECK(1, "hex: of all 256 bytes only 0-9 and a-f are digits");
}

#define MISMATCH "signature: does not match the message and key"

static void sig_valid(void)
{
	uint8_t d[EG_SHA256_LEN], point[EG_POINT_LEN];
	struct eg_sha256 h;

	CHECK(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, p256_pem, sizeof p256_pem) ==
		      NULL,
	      "sig: openssl's signature verifies with the PEM public key");
	CHECK(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, p256_der, sizeof p256_der) ==
		      NULL,
	      "sig: ... and with the DER public key");
	CHECK(eg_verify_sig("", 0, empty_sig, sizeof empty_sig, p256_pem, sizeof p256_pem) == NULL,
	      "sig: the signature of an empty message");
	eg_sha256_init(&h);
	for (size_t i = 0; i < sizeof msg; i++)
		eg_sha256_update(&h, msg + i, 1);
	eg_sha256_final(&h, d);
	CHECK(eg_verify_digest(d, msg_sig, sizeof msg_sig, p256_pem, sizeof p256_pem) == NULL,
	      "sig: over a digest fed byte by byte");
	CHECK(eg_pubkey_point(p256_pem, sizeof p256_pem, point) == NULL &&
		      memcmp(point, p256_der + EG_PUBKEY_DER_LEN - EG_POINT_LEN, EG_POINT_LEN) == 0,
	      "key: the PEM's point is the DER's last 65 bytes");
	CHECK(eg_pubkey_point(p256_pem, sizeof p256_pem - 1, point) == NULL,
	      "key: PEM without its last newline");
}

static void sig_flipped(void)
{
	uint8_t m[sizeof msg], s[sizeof msg_sig], k[sizeof p256_der];
	const char *why;
	int bad = 0;

	for (size_t i = 0; i < sizeof m * 8; i++) {
		memcpy(m, msg, sizeof m);
		m[i / 8] ^= (uint8_t)(1 << i % 8);
		why = eg_verify_sig(m, sizeof m, msg_sig, sizeof msg_sig, p256_der, sizeof p256_der);
		if (!why || strcmp(why, MISMATCH) != 0) {
			CHECK_STR(why ? why : "(verified)", MISMATCH, "sig: message bit %zu flipped", i);
			bad++;
		}
	}
	CHECK(!bad, "sig: each of the message's %zu bits flipped: refused", sizeof m * 8);

	bad = 0;
	for (size_t i = 0; i < sizeof s * 8; i++) {
		memcpy(s, msg_sig, sizeof s);
		s[i / 8] ^= (uint8_t)(1 << i % 8);
		why = eg_verify_sig(msg, sizeof msg, s, sizeof s, p256_der, sizeof p256_der);
		if (!why || strncmp(why, "signature: ", 11) != 0) {
			CHECK(0, "sig: signature bit %zu flipped: %s", i, why ? why : "verified");
			bad++;
		}
	}
	CHECK(!bad, "sig: each of the signature's %zu bits flipped: refused", sizeof s * 8);

	/* one bit per byte of the key: the prefix is refused as a format,
	 * X and Y as a point off the curve */
	bad = 0;
	for (size_t i = 0; i < sizeof k; i++) {
		memcpy(k, p256_der, sizeof k);
		k[i] ^= (uint8_t)(1 << i % 8);
		why = eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, k, sizeof k);
		if (!why || strncmp(why, "public key: ", 12) != 0) {
			CHECK(0, "sig: key byte %zu flipped: %s", i, why ? why : "verified");
			bad++;
		}
		if (i == 30)
			CHECK_STR(why ? why : "(verified)", "public key: point is not on curve P-256",
				  "key: a bit of X flipped");
	}
	CHECK(!bad, "sig: a bit of each of the key's %zu bytes flipped: refused", sizeof k);
}

static void sig_refused(void)
{
	static const struct {
		const unsigned char *key;
		size_t len;
		const char *want, *what;
	} keys[] = {
		{p384_pem, sizeof p384_pem, "public key: EC key not on curve P-256", "P-384 key"},
		{ed25519_pem, sizeof ed25519_pem, "public key: not an EC key", "Ed25519 key"},
		{p256c_der, sizeof p256c_der,
		 "public key: P-256 but not one uncompressed point (openssl ec -pubout)",
		 "compressed P-256 point"},
		{(const unsigned char *)"", 0, "public key: empty", "empty key"},
		{(const unsigned char *)"-----BEGIN ", 11, "public key: no PEM object",
		 "PEM without an object"},
		{(const unsigned char *)"\x02\x01\x00", 3, "public key: not a DER SubjectPublicKeyInfo",
		 "DER that is not a SEQUENCE"},
	};
	static const char two[] = "-----BEGIN PUBLIC KEY-----\n"
				  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				  "-----END PUBLIC KEY-----\n"
				  "-----BEGIN PUBLIC KEY-----\n";
	static const char priv[] = "-----BEGIN EC PRIVATE KEY-----\n"
				   "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				   "-----END EC PRIVATE KEY-----\n";
	static const char cert[] = "-----BEGIN CERTIFICATE-----\n"
				   "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				   "-----END CERTIFICATE-----\n";
	static const char badb64[] = "-----BEGIN PUBLIC KEY-----\n"
				     "MFkw*wYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				     "-----END PUBLIC KEY-----\n";
	static const char noend[] = "-----BEGIN PUBLIC KEY-----\n"
				    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n";
	static const char otherend[] = "-----BEGIN PUBLIC KEY-----\n"
				       "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				       "-----END PRIVATE KEY-----\n";
	uint8_t k[sizeof p256_der + 1], s[sizeof msg_sig + 1], big[EG_SIG_MAX + 1];
	const char *why;
	int bad = 0;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, keys[i].key,
					keys[i].len),
			  keys[i].want, "key refused: %s", keys[i].what);
	why = eg_verify_sig(msg, sizeof msg, msg384_sig, sizeof msg384_sig, p384_pem,
			    sizeof p384_pem);
	CHECK_STR(why ? why : "(verified)", "public key: EC key not on curve P-256",
		  "key refused: P-384 with its own good signature");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, two, strlen(two)),
		  "public key: more than one PEM object", "key refused: two PEM objects");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, priv, strlen(priv)),
		  "public key: PEM holds a private key, not the public key",
		  "key refused: an EC PRIVATE KEY");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, cert, strlen(cert)),
		  "public key: PEM object is not a PUBLIC KEY", "key refused: a CERTIFICATE");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, badb64, strlen(badb64)),
		  "public key: bad PEM (base64 or line structure)", "key refused: bad base64");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, noend, strlen(noend)),
		  "public key: PEM object has no END line", "key refused: no END line");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, otherend,
				strlen(otherend)),
		  "public key: PEM END line is not -----END PUBLIC KEY-----",
		  "key refused: END line of another name");

	/* every truncation of the DER key and of the PEM key */
	for (size_t n = 0; n < sizeof p256_der; n++)
		if (!eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, p256_der, n))
			bad++;
	for (size_t n = 0; n < sizeof p256_pem - 1; n++)
		if (!eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, p256_pem, n))
			bad++;
	CHECK(!bad, "key refused: every truncation of the DER and of the PEM");
	memcpy(k, p256_der, sizeof p256_der);
	k[sizeof p256_der] = 0;
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig, k, sizeof k),
		  "public key: P-256 but not one uncompressed point (openssl ec -pubout)",
		  "key refused: DER with a trailing byte");

	/* every truncation of the DER signature, and more bytes than DER says */
	bad = 0;
	for (size_t n = 0; n < sizeof msg_sig; n++) {
		why = eg_verify_sig(msg, sizeof msg, msg_sig, n, p256_pem, sizeof p256_pem);
		if (!why || strncmp(why, "signature: ", 11) != 0)
			bad++;
	}
	CHECK(!bad, "sig refused: every truncation of the DER signature");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, 0, p256_pem, sizeof p256_pem),
		  "signature: empty", "sig refused: empty");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg_sig, sizeof msg_sig - 1, p256_pem,
				sizeof p256_pem),
		  "signature: not DER (SEQUENCE of two INTEGERs)", "sig refused: one byte short");
	memcpy(s, msg_sig, sizeof msg_sig);
	s[sizeof msg_sig] = 0;
	CHECK_STR(eg_verify_sig(msg, sizeof msg, s, sizeof s, p256_pem, sizeof p256_pem),
		  sizeof s > EG_SIG_MAX ? "signature: longer than a DER P-256 signature"
					: "signature: not DER (SEQUENCE of two INTEGERs)",
		  "sig refused: a trailing byte (%zu bytes)", sizeof s);
	memset(big, 0, sizeof big);
	CHECK_STR(eg_verify_sig(msg, sizeof msg, big, sizeof big, p256_pem, sizeof p256_pem),
		  "signature: longer than a DER P-256 signature", "sig refused: 73 bytes");
	/* r of 60 bytes, s of 1: BearSSL pads both to 60, 120 bytes raw */
	memset(big, 0x11, sizeof big);
	big[0] = 0x30, big[1] = 65, big[2] = 0x02, big[3] = 60;
	big[64] = 0x02, big[65] = 1, big[66] = 1;
	CHECK_STR(eg_verify_sig(msg, sizeof msg, big, 67, p256_pem, sizeof p256_pem),
		  "signature: r or s longer than P-256's order", "sig refused: r of 60 bytes");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, msg384_sig, sizeof msg384_sig, p256_pem,
				sizeof p256_pem),
		  "signature: longer than a DER P-256 signature",
		  "sig refused: a P-384 signature with the P-256 key");
	CHECK_STR(eg_verify_sig(msg, sizeof msg, empty_sig, sizeof empty_sig, p256_pem,
				sizeof p256_pem),
		  MISMATCH, "sig refused: another message's signature");
}

void test_verify(void)
{
	sha256_vectors();
	sha256_hex();
	sig_valid();
	sig_flipped();
	sig_refused();
}
