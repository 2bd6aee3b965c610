/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 and ECDSA P-256 signature checks for known-good bundles: thin
 * wrappers over BearSSL (no cryptography of our own, no malloc), pure
 * functions over caller-supplied memory.
 *
 * The formats are what openssl writes, so a server signs with stock
 * tools (images/make-bundle.sh):
 *
 *   public key  the SubjectPublicKeyInfo of an EC P-256 key, as
 *               `openssl ec -pubout` writes it: PEM ("-----BEGIN PUBLIC
 *               KEY-----", one object) or its DER (exactly 91 bytes: the
 *               fixed P-256 prefix, then the 65-byte uncompressed point
 *               04 X Y).  Compressed points, other curves and other key
 *               types are refused, each with its own reason.
 *   signature   ECDSA over the SHA-256 of the message, DER
 *               (SEQUENCE { INTEGER r, INTEGER s }), as `openssl dgst
 *               -sha256 -sign KEY` writes it: 8 to 72 bytes.
 *   digest      32 bytes; as text, 64 lowercase hex digits (sha256sum's).
 */
#ifndef EG_VERIFY_H
#define EG_VERIFY_H

#include "eg.h"

#include <bearssl.h>

#define EG_SHA256_LEN 32     /* bytes of a digest */
#define EG_SHA256_HEXLEN 64  /* its hex digits, without the NUL */
#define EG_SIG_MAX 72        /* the longest DER ECDSA P-256 signature */
#define EG_PUBKEY_DER_LEN 91 /* a P-256 SubjectPublicKeyInfo, uncompressed */
#define EG_PUBKEY_MAX 1024   /* the longest key (PEM: about 180 bytes) we accept */
#define EG_POINT_LEN 65      /* an uncompressed P-256 point: 04, X, Y */

/* A SHA-256 in progress; feed it in pieces of any size. */
struct eg_sha256 {
	br_sha256_context br;
};

void eg_sha256_init(struct eg_sha256 *h);
void eg_sha256_update(struct eg_sha256 *h, const void *data, size_t len);
/* The digest of everything fed so far; h is unchanged and can go on. */
void eg_sha256_final(const struct eg_sha256 *h, uint8_t out[EG_SHA256_LEN]);
/* The digest of one buffer. */
void eg_sha256(const void *data, size_t len, uint8_t out[EG_SHA256_LEN]);

/* d as 64 lowercase hex digits and a NUL. */
void eg_sha256_hex(const uint8_t d[EG_SHA256_LEN], char out[EG_SHA256_HEXLEN + 1]);
/* The other way, 64 lowercase hex digits to a digest: eg_sha256_parse
 * (manifest.h, free of BearSSL so the fuzzers build without it). */

/* Check sig (DER) over msg with key (PEM or DER, see above).  NULL when
 * the signature is good; otherwise a short reason naming what failed
 * ("public key: not an EC key", "signature: does not match the message
 * and key", ...), a string constant. */
const char *eg_verify_sig(const void *msg, size_t msglen, const void *sig, size_t siglen,
			  const void *key, size_t keylen);
/* The same over a digest the caller computed (a message fed in pieces). */
const char *eg_verify_digest(const uint8_t digest[EG_SHA256_LEN], const void *sig,
			     size_t siglen, const void *key, size_t keylen);
/* Extract the uncompressed point (04 X Y) from key, PEM or DER: NULL, or
 * why the key is refused.  eg_verify_* do this first. */
const char *eg_pubkey_point(const void *key, size_t keylen, uint8_t point[EG_POINT_LEN]);

#endif
