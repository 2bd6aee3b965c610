/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "manifest.h"

#include <stdio.h>
#include <string.h>

const char eg_dest_name[EG_DEST_COUNT][7] = {"kernel", "initrd", "rootfs"};

/* the fields of an artifact line, keyword included */
enum { F_KEY, F_NAME, F_SIZE, F_SHA, F_DEST, F_COUNT };

int eg_dest_lookup(const char *name, size_t len)
{
	for (int i = 0; i < EG_DEST_COUNT; i++)
		if (len == strlen(eg_dest_name[i]) && memcmp(name, eg_dest_name[i], len) == 0)
			return i;
	return -1;
}

static const char *fail(struct eg_manifest *m, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const char *fail(struct eg_manifest *m, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = line ? snprintf(m->err, sizeof m->err, "manifest line %u: ", line) :
		       snprintf(m->err, sizeof m->err, "manifest: ");

	va_start(ap, fmt);
	vsnprintf(m->err + n, sizeof m->err - (size_t)n, fmt, ap);
	va_end(ap);
	m->count = 0;
	return m->err;
}

/* A field, quoted for a message. */
struct q {
	char s[80];
};
static const char *q(struct q *b, const char *s, size_t len)
{
	return eg_quote(b->s, sizeof b->s, s, len);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hex_val(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool eg_sha256_parse(const char *s, size_t len, uint8_t out[EG_SHA256_LEN])
{
	if (len != EG_SHA256_HEX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	for (size_t i = 0; i < EG_SHA256_LEN; i++)
		out[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
	return true;
}

/* Decimal, no sign, no leading zero, at most EG_MANIFEST_SIZE_MAX. */
static const char *size_field(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return "SIZE is not a number";
	if (len > 1 && s[0] == '0')
		return "SIZE has a leading zero";
	for (size_t i = 0; i < len; i++) {
		int d = s[i] - '0';

		if (v > (EG_MANIFEST_SIZE_MAX - d) / 10)
			return "SIZE is more than 9223372036854775807";
		v = v * 10 + d;
	}
	if (v == 0)
		return "SIZE is 0: an artifact is never empty";
	*out = v;
	return NULL;
}

static const char *name_field(const char *s, size_t len)
{
	if (len > EG_MANIFEST_NAME_MAX)
		return "NAME is longer than 64 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return "NAME may hold only A-Z a-z 0-9 . _ -";
	}
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return "NAME cannot be . or ..";
	return NULL;
}

/* line 1: exactly "earlyguard-manifest 1" */
static const char *version_line(struct eg_manifest *m, const char *l, size_t n)
{
	static const char magic[] = EG_MANIFEST_MAGIC " ";
	const size_t mlen = sizeof magic - 1;
	const char *v;
	size_t vlen;
	struct q b;
	int ver = 0;

	if (n < mlen || memcmp(l, magic, mlen) != 0)
		return fail(m, 1, "not an earlyguard manifest: the first line must be \"%s %d\"",
			    EG_MANIFEST_MAGIC, EG_MANIFEST_VERSION);
	v = l + mlen;
	vlen = n - mlen;
	for (size_t i = 0; i < vlen; i++)
		if (v[i] < '0' || v[i] > '9' || i >= 4 || (i == 0 && v[i] == '0'))
			return fail(m, 1, "the version is not a number from 1 to 9999: %s",
				    q(&b, v, vlen));
	for (size_t i = 0; i < vlen; i++)
		ver = ver * 10 + v[i] - '0';
	if (ver == 0)
		return fail(m, 1, "no version after %s", EG_MANIFEST_MAGIC);
	if (ver != EG_MANIFEST_VERSION)
		return fail(m, 1, "version %d is not supported: this earlyguard reads version %d",
			    ver, EG_MANIFEST_VERSION);
	m->version = ver;
	return NULL;
}

static const char *artifact_line(struct eg_manifest *m, unsigned line, const char *f[F_COUNT],
				 const size_t len[F_COUNT])
{
	struct eg_artifact a;
	const char *why;
	struct q b;
	int dest;

	if ((why = name_field(f[F_NAME], len[F_NAME])))
		return fail(m, line, "%s: %s", why, q(&b, f[F_NAME], len[F_NAME]));
	if ((why = size_field(f[F_SIZE], len[F_SIZE], &a.size)))
		return fail(m, line, "%s: %s", why, q(&b, f[F_SIZE], len[F_SIZE]));
	if (len[F_SHA] != EG_SHA256_HEX)
		return fail(m, line, "SHA256HEX is %zu characters, not %d: %s", len[F_SHA],
			    EG_SHA256_HEX, q(&b, f[F_SHA], len[F_SHA]));
	if (!eg_sha256_parse(f[F_SHA], len[F_SHA], a.sha256))
		return fail(m, line, "SHA256HEX is not lowercase hexadecimal: %s",
			    q(&b, f[F_SHA], len[F_SHA]));
	dest = eg_dest_lookup(f[F_DEST], len[F_DEST]);
	if (dest < 0)
		return fail(m, line, "DEST is not kernel, initrd or rootfs: %s",
			    q(&b, f[F_DEST], len[F_DEST]));
	for (size_t i = 0; i < m->count; i++) {
		if (m->art[i].dest == (enum eg_dest)dest)
			return fail(m, line, "DEST %s is listed already on line %u",
				    eg_dest_name[dest], m->art[i].line);
		if (strlen(m->art[i].name) == len[F_NAME] &&
		    memcmp(m->art[i].name, f[F_NAME], len[F_NAME]) == 0)
			return fail(m, line, "NAME %s is listed already on line %u", m->art[i].name,
				    m->art[i].line);
	}
	/* unreachable while each DEST is listed once; the array's bound all the same */
	if (m->count == EG_MANIFEST_ARTIFACTS)
		return fail(m, line, "more than %d artifacts", EG_MANIFEST_ARTIFACTS);
	memcpy(a.name, f[F_NAME], len[F_NAME]);
	a.name[len[F_NAME]] = '\0';
	a.dest = (enum eg_dest)dest;
	a.line = line;
	m->art[m->count++] = a;
	return NULL;
}

/* One line, n bytes without its newline. */
static const char *parse_line(struct eg_manifest *m, unsigned line, const char *l, size_t n)
{
	const char *f[F_COUNT];
	size_t len[F_COUNT], nf = 0;
	struct q b;

	/* one spelling per manifest: what a signature covers has one meaning */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c == '\r')
			return fail(m, line, "carriage return: lines end in LF only, not CRLF");
		if (c == '\t')
			return fail(m, line, "tab: fields are separated by one space");
		if (c < 0x20 || c == 0x7f)
			return fail(m, line, "control byte 0x%02x", c);
	}
	if (line == 1)
		return version_line(m, l, n);
	if (n == 0 || l[0] == '#')
		return NULL;
	if (l[0] == ' ')
		return fail(m, line, "the line starts with a space");
	if (l[n - 1] == ' ')
		return fail(m, line, "the line ends with a space");
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i < n && l[i] != ' ')
			continue;
		if (i == start)
			return fail(m, line, "two spaces in a row: fields are separated by one space");
		if (nf < F_COUNT) {
			f[nf] = l + start;
			len[nf] = i - start;
		}
		nf++;
		start = i + 1;
	}
	if (len[F_KEY] == strlen(EG_MANIFEST_MAGIC) &&
	    memcmp(f[F_KEY], EG_MANIFEST_MAGIC, len[F_KEY]) == 0)
		return fail(m, line, "the version line must be line 1 and only line 1");
	if (len[F_KEY] != 8 || memcmp(f[F_KEY], "artifact", 8) != 0)
		return fail(m, line, "unknown keyword %s: version %d has only artifact lines",
			    q(&b, f[F_KEY], len[F_KEY]), EG_MANIFEST_VERSION);
	if (nf != F_COUNT)
		return fail(m, line, "artifact takes 4 fields, NAME SIZE SHA256HEX DEST; this line "
			    "has %zu", nf - 1);
	return artifact_line(m, line, f, len);
}

const char *eg_manifest_parse(struct eg_manifest *m, const char *buf, size_t len)
{
	const char *why;
	unsigned line = 0;

	memset(m, 0, sizeof *m);
	if (len > EG_MANIFEST_MAX)
		return fail(m, 0, "%zu bytes, more than the %d a manifest may have", len,
			    EG_MANIFEST_MAX);
	if (len == 0)
		return fail(m, 0, "empty");
	/* the last line may lack its newline */
	for (size_t pos = 0; pos < len;) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + 1;
		if ((why = parse_line(m, ++line, l, n)))
			return why;
	}
	if (m->count == 0)
		return fail(m, 0, "no artifact listed");
	return NULL;
}

const struct eg_artifact *eg_manifest_find(const struct eg_manifest *m, enum eg_dest dest)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->art[i].dest == dest)
			return &m->art[i];
	return NULL;
}
