/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery manifest: what `earlyguard fetch` may download, how big each
 * artifact is, its SHA-256, and which part of the recovery slot it becomes.
 * earlyguard-manifest(5) is the format's reference; in short:
 *
 *	earlyguard-manifest 1
 *	# a comment
 *	artifact NAME SIZE SHA256HEX DEST
 *
 * The manifest is authenticated before it is parsed (a detached signature
 * over its exact bytes, or its SHA-256 pinned in the configuration), but
 * the parser never trusts it: it is fuzzed, and refuses anything outside
 * the format rather than guessing.  One spelling per manifest, so a
 * signature covers exactly one meaning: LF line ends only (a CR is
 * refused), fields separated by exactly one space, no tab, no leading or
 * trailing space, no other control byte.
 *
 * DEST is a word, never a path: where each DEST is written is the
 * device's own configuration, never the server's.
 *
 * Pure: no I/O, no malloc.  A step returns NULL or why it failed (in the
 * caller's struct); the caller prints and decides.
 */
#ifndef EG_MANIFEST_H
#define EG_MANIFEST_H

#include "eg.h"

#define EG_MANIFEST_MAGIC "earlyguard-manifest"
#define EG_MANIFEST_VERSION 1   /* the only version this earlyguard reads */
#define EG_MANIFEST_MAX 4096    /* the whole manifest, in bytes */
#define EG_MANIFEST_NAME_MAX 64 /* NAME, in bytes */
#define EG_MANIFEST_ERR 200     /* one reason */
#define EG_SHA256_LEN 32        /* a digest, in bytes */
#define EG_SHA256_HEX 64        /* ...and in hex */
/* the largest SIZE: an off_t */
#define EG_MANIFEST_SIZE_MAX INT64_MAX

/* Where an artifact goes.  Each at most once, so a manifest lists at most
 * EG_MANIFEST_ARTIFACTS artifacts. */
enum eg_dest { EG_DEST_KERNEL, EG_DEST_INITRD, EG_DEST_ROOTFS, EG_DEST_COUNT };
#define EG_MANIFEST_ARTIFACTS EG_DEST_COUNT
extern const char eg_dest_name[EG_DEST_COUNT][7];
/* The DEST spelled name (len bytes), or -1. */
int eg_dest_lookup(const char *name, size_t len);

struct eg_artifact {
	char name[EG_MANIFEST_NAME_MAX + 1]; /* [A-Za-z0-9._-]{1,64}, not . or .. */
	int64_t size;                        /* 1 to EG_MANIFEST_SIZE_MAX */
	uint8_t sha256[EG_SHA256_LEN];
	enum eg_dest dest;
	unsigned line; /* where it is listed, for messages */
};

struct eg_manifest {
	int version;
	size_t count; /* artifacts, in the order listed */
	struct eg_artifact art[EG_MANIFEST_ARTIFACTS];
	char err[EG_MANIFEST_ERR]; /* why the parse failed */
};

/* Parse len bytes (at most EG_MANIFEST_MAX; a NUL is refused like any
 * other control byte).  NULL, or why not in m->err ("manifest line 3:
 * SIZE is not a number: 12a"); then m->count is 0: nothing of a refused
 * manifest is kept. */
const char *eg_manifest_parse(struct eg_manifest *m, const char *buf, size_t len);
/* The artifact for dest, or NULL if the manifest has none. */
const struct eg_artifact *eg_manifest_find(const struct eg_manifest *m, enum eg_dest dest);
/* Exactly EG_SHA256_HEX lowercase hex digits (a digest in the manifest, or
 * one pinned in the configuration) into out; false if s is anything else. */
bool eg_sha256_parse(const char *s, size_t len, uint8_t out[EG_SHA256_LEN]);

#endif
