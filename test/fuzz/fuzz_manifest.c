/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: any bytes as a recovery manifest.  Parsing never crashes; a
 * refusal keeps nothing and says why in printable ASCII; an accepted
 * manifest keeps every rule of earlyguard-manifest(5), and it has one
 * spelling: its artifact lines are exactly what printing the parsed
 * artifacts back gives, and that parses to the same artifacts. */
#include "manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct eg_manifest m, again;
static char canon[EG_MANIFEST_MAX * 2];

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > EG_MANIFEST_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* "artifact NAME SIZE SHA256HEX DEST\n" for a into p; its length */
static size_t line(char *p, const struct eg_artifact *a)
{
	int n = sprintf(p, "artifact %s %" PRId64 " ", a->name, a->size);

	for (int i = 0; i < EG_SHA256_LEN; i++)
		n += sprintf(p + n, "%02x", a->sha256[i]);
	return (size_t)n + (size_t)sprintf(p + n, " %s\n", eg_dest_name[a->dest]);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *in = (const char *)data, *why;
	size_t n = 0, pos, k = 0;
	unsigned seen = 0;

	if (size > EG_MANIFEST_MAX + 64)
		return 0;
	why = eg_manifest_parse(&m, in, size);
	if (why) {
		if (m.count != 0 || why != m.err || strncmp(why, "manifest", 8) != 0 ||
		    !printable(why))
			abort();
		return 0;
	}
	if (m.version != EG_MANIFEST_VERSION || m.count < 1 || m.count > EG_MANIFEST_ARTIFACTS)
		abort();
	n = (size_t)sprintf(canon, "%s %d\n", EG_MANIFEST_MAGIC, EG_MANIFEST_VERSION);
	for (size_t i = 0; i < m.count; i++) {
		const struct eg_artifact *a = &m.art[i];

		if (!name_ok(a->name) || a->size < 1 || (unsigned)a->dest >= EG_DEST_COUNT ||
		    (seen & 1u << a->dest) || eg_manifest_find(&m, a->dest) != a ||
		    (i && a->line <= m.art[i - 1].line))
			abort();
		seen |= 1u << a->dest;
		for (size_t j = 0; j < i; j++)
			if (strcmp(m.art[j].name, a->name) == 0)
				abort();
		n += line(canon + n, a);
	}
	/* the input's lines after the first, comments and blank lines left out,
	 * are the canonical lines (the last one's newline may be missing) */
	pos = (size_t)((const char *)memchr(in, '\n', size) - in) + 1;
	k = (size_t)(strchr(canon, '\n') - canon) + 1;
	while (pos < size) {
		const char *nl = memchr(in + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - in - pos) : size - pos;

		if (len && in[pos] != '#') {
			if (memcmp(in + pos, canon + k, len) != 0 || canon[k + len] != '\n')
				abort();
			k += len + 1;
		}
		pos += len + 1;
	}
	if (k != n)
		abort();
	if (eg_manifest_parse(&again, canon, n) != NULL || again.count != m.count)
		abort();
	for (size_t i = 0; i < m.count; i++)
		if (strcmp(again.art[i].name, m.art[i].name) != 0 ||
		    again.art[i].size != m.art[i].size || again.art[i].dest != m.art[i].dest ||
		    memcmp(again.art[i].sha256, m.art[i].sha256, EG_SHA256_LEN) != 0)
			abort();
	return 0;
}
