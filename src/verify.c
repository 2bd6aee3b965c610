/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "verify.h"

#include <string.h>

void eg_sha256_init(struct eg_sha256 *h)
{
	br_sha256_init(&h->br);
}

void eg_sha256_update(struct eg_sha256 *h, const void *data, size_t len)
{
	br_sha256_update(&h->br, data, len);
}

void eg_sha256_final(const struct eg_sha256 *h, uint8_t out[EG_SHA256_LEN])
{
	br_sha256_out(&h->br, out);
}

void eg_sha256(const void *data, size_t len, uint8_t out[EG_SHA256_LEN])
{
	struct eg_sha256 h;

	eg_sha256_init(&h);
	eg_sha256_update(&h, data, len);
	eg_sha256_final(&h, out);
}

static const char hexdigits[] = "0123456789abcdef";

void eg_sha256_hex(const uint8_t d[EG_SHA256_LEN], char out[EG_SHA256_HEXLEN + 1])
{
	for (size_t i = 0; i < EG_SHA256_LEN; i++) {
		out[2 * i] = hexdigits[d[i] >> 4];
		out[2 * i + 1] = hexdigits[d[i] & 15];
	}
	out[EG_SHA256_HEXLEN] = '\0';
}

/* The DER SubjectPublicKeyInfo of every P-256 key in uncompressed form,
 * up to the point: only the 64 bytes of X and Y that follow it differ. */
static const uint8_t p256_spki[] = {
	0x30, 0x59,                                           /* SEQUENCE, 89 bytes */
	0x30, 0x13,                                           /*  SEQUENCE, 19 bytes */
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /*   id-ecPublicKey */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, /* prime256v1 */
	0x03, 0x42, 0x00,                                     /*  BIT STRING, 66 bytes */
	0x04,                                                 /*   uncompressed: X, Y */
};
#define OID_EC_AT 4   /* where id-ecPublicKey is in p256_spki, */
#define OID_EC_LEN 9  /* its length, */
#define OID_P256_AT 13 /* and the same for prime256v1 */
#define OID_P256_LEN 10

/* Why der is not p256_spki and a point: only to say so, the check is the
 * comparison in spki_point.  Reads the outer header (short or long form
 * up to 2 bytes) and the algorithm's two OIDs, nothing else. */
static const char *spki_why(const uint8_t *d, size_t len)
{
	size_t h;

	if (len < 2 || d[0] != 0x30)
		return "public key: not a DER SubjectPublicKeyInfo";
	h = d[1] < 0x80 ? 2 : d[1] == 0x81 ? 3 : d[1] == 0x82 ? 4 : 0;
	if (h == 0 || len < h + 2 + OID_EC_LEN || d[h] != 0x30)
		return "public key: not a DER SubjectPublicKeyInfo";
	if (memcmp(d + h + 2, p256_spki + OID_EC_AT, OID_EC_LEN) != 0)
		return "public key: not an EC key";
	if (len < h + 2 + OID_EC_LEN + OID_P256_LEN ||
	    memcmp(d + h + 2 + OID_EC_LEN, p256_spki + OID_P256_AT, OID_P256_LEN) != 0)
		return "public key: EC key not on curve P-256";
	return "public key: P-256 but not one uncompressed point (openssl ec -pubout)";
}

static const char *spki_point(const uint8_t *d, size_t len, uint8_t point[EG_POINT_LEN])
{
	if (len != EG_PUBKEY_DER_LEN || memcmp(d, p256_spki, sizeof p256_spki) != 0)
		return spki_why(d, len);
	memcpy(point, d + sizeof p256_spki - 1, EG_POINT_LEN);
	return NULL;
}

/* Where the PEM decoder puts an object's bytes. */
struct pem_sink {
	uint8_t der[EG_PUBKEY_MAX];
	size_t len;
	bool overflow;
};

static void pem_append(void *ctx, const void *src, size_t len)
{
	struct pem_sink *s = ctx;

	if (len > sizeof s->der - s->len) {
		s->overflow = true;
		return;
	}
	memcpy(s->der + s->len, src, len);
	s->len += len;
}

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END PUBLIC KEY-----"

static bool contains(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, s, n) == 0)
			return true;
	return false;
}

/* Decode the one PEM object in key into s: NULL or why not.  BearSSL's
 * decoder skips text outside objects; a second object is refused, so
 * that no one can wonder which of two keys counts. */
static const char *pem_decode(const uint8_t *key, size_t keylen, struct pem_sink *s)
{
	br_pem_decoder_context pc;
	int objects = 0, ended = 0;
	/* the decoder sees an END line only once its newline is in */
	const uint8_t *in[2] = {key, (const uint8_t *)"\n"};
	size_t inlen[2] = {keylen, 1};

	br_pem_decoder_init(&pc);
	for (int i = 0; i < 2; i++) {
		const uint8_t *p = in[i];
		size_t len = inlen[i];

		while (len > 0) {
			size_t n = br_pem_decoder_push(&pc, p, len);
			p += n;
			len -= n;
			switch (br_pem_decoder_event(&pc)) {
			case BR_PEM_BEGIN_OBJ:
				if (++objects > 1)
					return "public key: more than one PEM object";
				if (strcmp(br_pem_decoder_name(&pc), "PUBLIC KEY") != 0)
					return strstr(br_pem_decoder_name(&pc), "PRIVATE")
						       ? "public key: PEM holds a private key, not the public key"
						       : "public key: PEM object is not a PUBLIC KEY";
				br_pem_decoder_setdest(&pc, pem_append, s);
				break;
			case BR_PEM_END_OBJ:
				ended = 1;
				br_pem_decoder_setdest(&pc, NULL, NULL);
				break;
			case BR_PEM_ERROR:
				return "public key: bad PEM (base64 or line structure)";
			default:
				if (n == 0) /* cannot happen: no event, nothing taken */
					return "public key: PEM decoder stuck";
			}
		}
	}
	if (objects == 0)
		return "public key: no PEM object";
	if (!ended)
		return "public key: PEM object has no END line";
	/* BearSSL ends the object at any line that starts "-----END " */
	if (!contains(key, keylen, PEM_END))
		return "public key: PEM END line is not " PEM_END;
	if (s->overflow)
		return "public key: PEM object too long for a P-256 key";
	return NULL;
}

const char *eg_pubkey_point(const void *key, size_t keylen, uint8_t point[EG_POINT_LEN])
{
	static const uint8_t one = 1;
	struct pem_sink s = {.len = 0, .overflow = false};
	const char *why;
	uint8_t q[EG_POINT_LEN], t[EG_POINT_LEN];

	if (keylen == 0)
		return "public key: empty";
	if (keylen > EG_PUBKEY_MAX)
		return "public key: longer than any P-256 key file";
	if (keylen >= sizeof PEM_BEGIN - 1 && memcmp(key, PEM_BEGIN, sizeof PEM_BEGIN - 1) == 0) {
		why = pem_decode(key, keylen, &s);
		if (!why)
			why = spki_point(s.der, s.len, q);
	} else {
		why = spki_point(key, keylen, q);
	}
	if (why)
		return why;
	/* BearSSL decodes the point and checks it is on the curve before it
	 * multiplies: times one, only that check (verification does it too,
	 * but cannot tell a bad key from a bad signature). */
	memcpy(t, q, sizeof q);
	if (!br_ec_p256_m31.mul(t, sizeof t, &one, 1, BR_EC_secp256r1))
		return "public key: point is not on curve P-256";
	memcpy(point, q, sizeof q);
	return NULL;
}

const char *eg_verify_digest(const uint8_t digest[EG_SHA256_LEN], const void *sig,
			     size_t siglen, const void *key, size_t keylen)
{
	/* br_ecdsa_asn1_to_raw pads r and s to the longer of the two, in
	 * place: from 72 bytes of DER, up to 2 x 66 */
	uint8_t point[EG_POINT_LEN], raw[2 * EG_SIG_MAX];
	br_ec_public_key pk = {.curve = BR_EC_secp256r1, .q = point, .qlen = sizeof point};
	const char *why = eg_pubkey_point(key, keylen, point);
	size_t rawlen;

	if (why)
		return why;
	if (siglen == 0)
		return "signature: empty";
	if (siglen > EG_SIG_MAX)
		return "signature: longer than a DER P-256 signature";
	memcpy(raw, sig, siglen);
	rawlen = br_ecdsa_asn1_to_raw(raw, siglen);
	if (rawlen == 0)
		return "signature: not DER (SEQUENCE of two INTEGERs)";
	if (rawlen > 2 * 32)
		return "signature: r or s longer than P-256's order";
	if (!br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, digest, EG_SHA256_LEN, &pk, raw, rawlen))
		return "signature: does not match the message and key";
	return NULL;
}

const char *eg_verify_sig(const void *msg, size_t msglen, const void *sig, size_t siglen,
			  const void *key, size_t keylen)
{
	uint8_t digest[EG_SHA256_LEN];

	eg_sha256(msg, msglen, digest);
	return eg_verify_digest(digest, sig, siglen, key, keylen);
}
