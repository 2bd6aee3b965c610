/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "http.h"

#include <stdio.h>
#include <string.h>

/* ---- bytes and words ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_val(char c)
{
	if (is_digit(c))
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 9110's tchar: a byte of a field name or a token */
static bool is_tchar(char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* a byte of a field value, a reason phrase or a chunk extension: HTAB,
 * SP, VCHAR and obs-text; never a control byte */
static bool is_text(char c)
{
	unsigned char u = (unsigned char)c;

	return u == '\t' || (u >= 0x20 && u != 0x7f);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s (n bytes) is the lowercase word w, in any case */
static bool ieq(const char *s, size_t n, const char *w)
{
	if (n != strlen(w))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]) != w[i])
			return false;
	return true;
}

/* The next element of a comma-separated list at *s (*n bytes left),
 * without its OWS: false at the end.  An element may be empty. */
static bool element(const char **s, size_t *n, const char **e, size_t *elen)
{
	const char *p = *s, *end, *comma;

	if (!p)
		return false;
	end = p + *n;
	comma = memchr(p, ',', *n);
	*s = comma ? comma + 1 : NULL;
	*n = comma ? (size_t)(end - comma - 1) : 0;
	end = comma ? comma : end;
	while (p < end && is_ows(*p))
		p++;
	while (end > p && is_ows(end[-1]))
		end--;
	*e = p;
	*elen = (size_t)(end - p);
	return true;
}

/* 1*DIGIT up to INT64_MAX, the whole of s */
static bool decimal(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]) || v > (INT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* A piece of the response, quoted for a message. */
struct q {
	char s[72];
};
static const char *q(struct q *b, const char *s, size_t len)
{
	return eg_quote(b->s, sizeof b->s, s, len);
}

/* ---- the response head ---- */

static const char *head_fail(struct eg_http_resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *head_fail(struct eg_http_resp *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, sizeof r->err, "HTTP response line %u: ", r->line);

	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
	r->state = EG_HTTP_ERROR;
	return r->err;
}

/* what one head says; an interim 1xx head's is forgotten */
static void head_reset(struct eg_http_resp *r)
{
	r->minor = r->status = 0;
	r->reason[0] = r->location[0] = '\0';
	r->framing = EG_HTTP_TO_CLOSE;
	r->length = r->range_first = r->range_last = r->range_total = -1;
	r->chunked = r->close = r->has_range = false;
	r->line = 0;
	r->len = 0;
}

void eg_http_head_init(struct eg_http_resp *r)
{
	memset(r, 0, sizeof *r);
	head_reset(r);
	r->state = EG_HTTP_MORE;
}

/* HTTP/1.x SP DDD [SP reason] */
static void status_line(struct eg_http_resp *r, const char *l, size_t n)
{
	struct q b;

	if (n < 5 || memcmp(l, "HTTP/", 5) != 0) {
		head_fail(r, "not an HTTP response: %s", q(&b, l, n));
		return;
	}
	if (n < 9 || memcmp(l, "HTTP/1.", 7) != 0 || !is_digit(l[7]) || l[8] != ' ') {
		head_fail(r, "the status line does not start with HTTP/1.x and a space: %s",
			  q(&b, l, n));
		return;
	}
	if (n < 12 || !is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) ||
	    (n > 12 && l[12] != ' ')) {
		head_fail(r, "the status code is not 3 digits: %s", q(&b, l + 9, n - 9));
		return;
	}
	r->minor = l[7] - '0';
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (r->status < 100 || r->status > 599) {
		head_fail(r, "status code %d is not 100 to 599", r->status);
		return;
	}
	for (size_t i = 13; i < n; i++)
		if (!is_text(l[i])) {
			head_fail(r, "control byte 0x%02x in the reason phrase", (unsigned char)l[i]);
			return;
		}
	if (n > 13)
		eg_quote(r->reason, sizeof r->reason, l + 13, n - 13);
}

static void content_length(struct eg_http_resp *r, const char *v, size_t n)
{
	const char *e;
	size_t elen;
	int64_t len;
	struct q b;

	/* "42, 42" is one length; RFC 9112 lets a recipient take it as such */
	while (element(&v, &n, &e, &elen)) {
		if (!decimal(e, elen, &len)) {
			head_fail(r, "Content-Length is not a number up to 2^63-1: %s", q(&b, e, elen));
			return;
		}
		if (r->length >= 0 && len != r->length) {
			head_fail(r, "Content-Length %lld, and %lld before", (long long)len,
				  (long long)r->length);
			return;
		}
		r->length = len;
	}
}

static void transfer_encoding(struct eg_http_resp *r, const char *v, size_t n)
{
	const char *e;
	size_t elen;
	struct q b;

	while (element(&v, &n, &e, &elen)) {
		if (!ieq(e, elen, "chunked")) {
			head_fail(r, "Transfer-Encoding %s is refused: chunked is the only one read",
				  q(&b, e, elen));
			return;
		}
		if (r->chunked) {
			head_fail(r, "Transfer-Encoding chunked twice");
			return;
		}
		r->chunked = true;
	}
}

static void content_encoding(struct eg_http_resp *r, const char *v, size_t n)
{
	const char *e;
	size_t elen;
	struct q b;

	while (element(&v, &n, &e, &elen))
		if (elen && !ieq(e, elen, "identity")) {
			/* the manifest's size and SHA-256 are the plain bytes' */
			head_fail(r, "Content-Encoding %s is refused: earlyguard asks for identity",
				  q(&b, e, elen));
			return;
		}
}

/* What follows "bytes ": FIRST-LAST/TOTAL, FIRST-LAST/'*' (the total
 * unknown), or '*'/TOTAL (a range the server cannot satisfy). */
static bool range_resp(const char *s, size_t n, int64_t *first, int64_t *last, int64_t *total)
{
	const char *slash = memchr(s, '/', n), *dash;
	size_t rlen;

	if (!slash)
		return false;
	rlen = (size_t)(slash - s);
	*first = *last = *total = -1;
	if (!(n - rlen == 2 && slash[1] == '*') && !decimal(slash + 1, n - rlen - 1, total))
		return false;
	if (rlen == 1 && s[0] == '*')
		return *total >= 0;
	dash = memchr(s, '-', rlen);
	return dash && decimal(s, (size_t)(dash - s), first) &&
	       decimal(dash + 1, (size_t)(slash - dash - 1), last);
}

static void content_range(struct eg_http_resp *r, const char *v, size_t n)
{
	const char *sp = memchr(v, ' ', n);
	int64_t first, last, total;
	struct q b;

	if (r->has_range) {
		head_fail(r, "a second Content-Range");
		return;
	}
	if (!sp || !ieq(v, (size_t)(sp - v), "bytes")) {
		head_fail(r, "Content-Range is not in bytes: %s", q(&b, v, n));
		return;
	}
	sp++;
	if (!range_resp(sp, (size_t)(v + n - sp), &first, &last, &total)) {
		head_fail(r, "Content-Range is not bytes FIRST-LAST/TOTAL: %s", q(&b, v, n));
		return;
	}
	if (first > last || (total >= 0 && last >= total)) {
		head_fail(r, "Content-Range is not a range inside its total: %s", q(&b, v, n));
		return;
	}
	r->has_range = true;
	r->range_first = first;
	r->range_last = last;
	r->range_total = total;
}

static void connection(struct eg_http_resp *r, const char *v, size_t n)
{
	const char *e;
	size_t elen;

	while (element(&v, &n, &e, &elen))
		if (ieq(e, elen, "close"))
			r->close = true;
}

/* field-name ":" OWS field-value OWS */
static void field_line(struct eg_http_resp *r, const char *l, size_t n)
{
	const char *v;
	size_t i, vlen;
	struct q b;

	if (is_ows(l[0])) {
		head_fail(r, "a line that starts with whitespace (obs-fold) is refused");
		return;
	}
	for (i = 0; i < n && l[i] != ':'; i++)
		if (!is_tchar(l[i])) {
			head_fail(r, "%s: %s",
				  is_ows(l[i]) ? "whitespace in a field name, or before its colon" :
						 "a field name holds more than token bytes",
				  q(&b, l, n));
			return;
		}
	if (i == n || i == 0) {
		head_fail(r, i ? "a field line without a colon: %s" : "a field without a name: %s",
			  q(&b, l, n));
		return;
	}
	v = l + i + 1;
	vlen = n - i - 1;
	while (vlen && is_ows(*v))
		v++, vlen--;
	while (vlen && is_ows(v[vlen - 1]))
		vlen--;
	for (size_t k = 0; k < vlen; k++)
		if (!is_text(v[k])) {
			head_fail(r, "control byte 0x%02x in the value of %s", (unsigned char)v[k],
				  q(&b, l, i));
			return;
		}
	if (ieq(l, i, "content-length"))
		content_length(r, v, vlen);
	else if (ieq(l, i, "transfer-encoding"))
		transfer_encoding(r, v, vlen);
	else if (ieq(l, i, "content-encoding"))
		content_encoding(r, v, vlen);
	else if (ieq(l, i, "content-range"))
		content_range(r, v, vlen);
	else if (ieq(l, i, "connection"))
		connection(r, v, vlen);
	else if (ieq(l, i, "location") && !r->location[0])
		eg_quote(r->location, sizeof r->location, v, vlen);
}

/* the empty line: the head is complete */
static void end_head(struct eg_http_resp *r)
{
	if (r->status < 200) {
		/* 100, 102, 103: interim, the real response follows */
		if (r->status == 101)
			head_fail(r, "101 Switching Protocols, and no upgrade was asked for");
		else
			head_reset(r);
		return;
	}
	/* RFC 9112 section 6.1: framing that may have been meant two ways */
	if (r->chunked && r->minor == 0) {
		head_fail(r, "an HTTP/1.0 response with Transfer-Encoding");
		return;
	}
	if (r->chunked && r->length >= 0) {
		head_fail(r, "both Transfer-Encoding and Content-Length");
		return;
	}
	if (r->status == 204 || r->status == 304)
		r->framing = EG_HTTP_NO_BODY;
	else if (r->chunked)
		r->framing = EG_HTTP_CHUNKED;
	else if (r->length >= 0)
		r->framing = EG_HTTP_LENGTH;
	else
		r->framing = EG_HTTP_TO_CLOSE;
	r->state = EG_HTTP_DONE;
}

static void end_line(struct eg_http_resp *r)
{
	size_t n = r->len;

	r->len = 0;
	r->line++;
	if (r->line == 1)
		status_line(r, r->buf, n);
	else if (n == 0)
		end_head(r);
	else
		field_line(r, r->buf, n);
}

int eg_http_head_feed(struct eg_http_resp *r, const char *in, size_t len, size_t *used)
{
	size_t i = 0;

	while (i < len && r->state == EG_HTTP_MORE) {
		char c;

		if (r->total == EG_HTTP_HEAD_MAX) {
			r->line++;
			head_fail(r, "the response head goes on past %d bytes", EG_HTTP_HEAD_MAX);
			break;
		}
		c = in[i++];
		r->total++;
		if (c == '\n') {
			if (r->len == 0 || r->buf[r->len - 1] != '\r') {
				r->line++;
				head_fail(r, "a bare LF: lines end in CRLF");
				break;
			}
			r->len--;
			end_line(r);
			continue;
		}
		if (r->len && r->buf[r->len - 1] == '\r') {
			r->line++;
			head_fail(r, "a CR without LF");
			break;
		}
		/* total bounds it: len < total <= EG_HTTP_HEAD_MAX */
		r->buf[r->len++] = c;
	}
	*used = i;
	return r->state;
}

/* ---- is it what was asked for ---- */

static const char *accept_fail(struct eg_http_resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *accept_fail(struct eg_http_resp *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return r->err;
}

const char *eg_http_accept(struct eg_http_resp *r, int64_t from, int64_t size, int64_t *start)
{
	int s = r->status;
	const char *sp = r->reason[0] ? " " : "";
	long long first = r->range_first, last = r->range_last, total = r->range_total;

	if (r->state == EG_HTTP_ERROR)
		return r->err;
	if (r->state != EG_HTTP_DONE)
		return accept_fail(r, "HTTP: the response head is not complete");
	if (from < 0 || (size >= 0 && from >= size))
		return accept_fail(r, "HTTP: nothing to fetch from byte %lld of %lld", (long long)from,
				   (long long)size);
	if (s >= 300 && s < 400)
		return accept_fail(r, "HTTP %d%s%s: a redirect to %s, and earlyguard follows none", s,
				   sp, r->reason, r->location[0] ? r->location : "(no Location)");
	if (s == 416 && total >= 0)
		return accept_fail(r, "HTTP 416%s%s: the server refuses bytes=%lld- of its %lld bytes",
				   sp, r->reason, (long long)from, total);
	if (s == 200) {
		if (size >= 0 && r->length >= 0 && r->length != size)
			return accept_fail(r, "HTTP 200 with Content-Length %lld, not the %lld bytes "
					   "expected", (long long)r->length, (long long)size);
		*start = 0;
		return NULL;
	}
	if (s != 206)
		return accept_fail(r, "HTTP %d%s%s", s, sp, r->reason);
	if (from == 0)
		return accept_fail(r, "HTTP 206 to a request without Range");
	if (first < 0)
		return accept_fail(r, "HTTP 206 without a byte range in Content-Range");
	if (first != from)
		return accept_fail(r, "HTTP 206 for bytes %lld-%lld, not from byte %lld", first, last,
				   (long long)from);
	if (size >= 0 && (last != size - 1 || (total >= 0 && total != size)))
		return accept_fail(r, "HTTP 206 for bytes %lld-%lld of %lld, not up to the end of "
				   "the %lld bytes expected", first, last, total, (long long)size);
	if (size < 0 && total >= 0 && last != total - 1)
		return accept_fail(r, "HTTP 206 for bytes %lld-%lld, not up to the end of its %lld",
				   first, last, total);
	if (r->length >= 0 && r->length != last - first + 1)
		return accept_fail(r, "HTTP 206 with Content-Length %lld for bytes %lld-%lld",
				   (long long)r->length, first, last);
	*start = from;
	return NULL;
}

/* ---- the body ---- */

/* where a chunked body is in its grammar (RFC 9112 section 7.1) */
enum {
	C_SIZE,     /* chunk-size: 1*HEXDIG */
	C_SIZE_WS,  /* BWS before a chunk extension's ';' */
	C_EXT,      /* chunk-ext, skipped */
	C_SIZE_LF,  /* the size line's LF */
	C_DATA,     /* chunk-data */
	C_DATA_CR,  /* the CRLF after it */
	C_DATA_LF,
	C_TRAILER,  /* the start of a trailer line, or of the final CRLF */
	C_TNAME,    /* a trailer field's name */
	C_TVALUE,   /* ...its value, skipped */
	C_TLF,      /* ...its LF */
	C_END_LF    /* the final CRLF's LF */
};

static int body_fail(struct eg_http_body *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int body_fail(struct eg_http_body *b, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(b->err, sizeof b->err, "HTTP body, byte %lld: ", (long long)b->pos);

	va_start(ap, fmt);
	vsnprintf(b->err + n, sizeof b->err - (size_t)n, fmt, ap);
	va_end(ap);
	b->state = EG_HTTP_ERROR;
	return b->state;
}

const char *eg_http_body_init(struct eg_http_body *b, const struct eg_http_resp *r,
			      int64_t limit)
{
	memset(b, 0, sizeof *b);
	b->framing = r->framing;
	b->limit = limit;
	b->state = EG_HTTP_MORE;
	b->chunk = C_SIZE;
	if (r->state != EG_HTTP_DONE) {
		body_fail(b, "the response head is not complete");
		return b->err;
	}
	if (b->framing == EG_HTTP_NO_BODY)
		b->state = EG_HTTP_DONE;
	if (b->framing != EG_HTTP_LENGTH)
		return NULL;
	b->left = r->length;
	if (limit >= 0 && b->left > limit) {
		body_fail(b, "Content-Length %lld is more than the %lld bytes expected",
			  (long long)b->left, (long long)limit);
		return b->err;
	}
	if (b->left == 0)
		b->state = EG_HTTP_DONE;
	return NULL;
}

/* n body bytes from in to out */
static void emit(struct eg_http_body *b, const char *in, char *out, size_t n)
{
	memmove(out, in, n);
	b->total += (int64_t)n;
	b->pos += (int64_t)n;
}

/* One byte of a chunked body's framing (not its data). */
static int chunk_byte(struct eg_http_body *b, char c)
{
	struct q qb;
	int d;

	switch (b->chunk) {
	case C_SIZE:
		if ((d = hex_val(c)) >= 0) {
			if (b->n == EG_HTTP_CHUNK_LINE_MAX)
				return body_fail(b, "a chunk-size line over %d bytes",
						 EG_HTTP_CHUNK_LINE_MAX);
			if (b->left > (INT64_MAX - d) / 16)
				return body_fail(b, "a chunk size over 2^63-1");
			b->left = b->left * 16 + d;
			b->n++;
		} else if (b->n == 0) {
			return body_fail(b, c == '\r' ? "an empty chunk size%s" :
						      "a chunk size is not hexadecimal: %s",
					 c == '\r' ? "" : q(&qb, &c, 1));
		} else if (c == '\r') {
			b->chunk = C_SIZE_LF;
		} else if (c == ';' || is_ows(c)) {
			b->chunk = c == ';' ? C_EXT : C_SIZE_WS;
			b->n++;
		} else if (c == '\n') {
			return body_fail(b, "a bare LF: lines end in CRLF");
		} else {
			return body_fail(b, "a chunk size is not hexadecimal: %s", q(&qb, &c, 1));
		}
		return EG_HTTP_MORE;
	case C_SIZE_WS:
	case C_EXT:
		if (c == '\r' && b->chunk == C_EXT) {
			b->chunk = C_SIZE_LF;
			return EG_HTTP_MORE;
		}
		if (b->chunk == C_SIZE_WS && !is_ows(c) && c != ';')
			return body_fail(b, "whitespace after a chunk size, and no extension");
		if (!is_text(c))
			return body_fail(b, "control byte 0x%02x in a chunk extension", (unsigned char)c);
		if (b->n == EG_HTTP_CHUNK_LINE_MAX)
			return body_fail(b, "a chunk-size line over %d bytes", EG_HTTP_CHUNK_LINE_MAX);
		b->n++;
		if (c == ';')
			b->chunk = C_EXT;
		return EG_HTTP_MORE;
	case C_SIZE_LF:
		if (c != '\n')
			return body_fail(b, "a CR without LF after a chunk size");
		b->n = 0;
		if (b->left == 0) {
			b->chunk = C_TRAILER;
			return EG_HTTP_MORE;
		}
		if (b->limit >= 0 && b->left > b->limit - b->total)
			return body_fail(b, "a chunk of %lld bytes after %lld: more than the %lld "
					 "bytes expected", (long long)b->left, (long long)b->total,
					 (long long)b->limit);
		b->chunk = C_DATA;
		return EG_HTTP_MORE;
	case C_DATA_CR:
		if (c != '\r')
			return body_fail(b, "no CRLF after a chunk's data: longer than its size?");
		b->chunk = C_DATA_LF;
		return EG_HTTP_MORE;
	case C_DATA_LF:
		if (c != '\n')
			return body_fail(b, "a CR without LF after a chunk's data");
		b->chunk = C_SIZE;
		b->n = 0;
		return EG_HTTP_MORE;
	case C_END_LF:
		if (c != '\n')
			return body_fail(b, "a CR without LF at the end of the chunked body");
		b->state = EG_HTTP_DONE;
		return EG_HTTP_DONE;
	}
	/* the trailers, after the last chunk: skipped, but well-formed and bounded */
	if (b->n == EG_HTTP_TRAILER_MAX)
		return body_fail(b, "trailer fields over %d bytes", EG_HTTP_TRAILER_MAX);
	b->n++;
	switch (b->chunk) {
	case C_TRAILER:
		if (c == '\r')
			b->chunk = C_END_LF;
		else if (is_tchar(c))
			b->chunk = C_TNAME;
		else if (is_ows(c))
			return body_fail(b, "a trailer line that starts with whitespace (obs-fold) "
					 "is refused");
		else
			return body_fail(b, "a trailer field name holds %s", q(&qb, &c, 1));
		return EG_HTTP_MORE;
	case C_TNAME:
		if (c == ':')
			b->chunk = C_TVALUE;
		else if (!is_tchar(c))
			return body_fail(b, "a trailer field name holds %s", q(&qb, &c, 1));
		return EG_HTTP_MORE;
	case C_TVALUE:
		if (c == '\r')
			b->chunk = C_TLF;
		else if (!is_text(c))
			return body_fail(b, "control byte 0x%02x in a trailer field",
					 (unsigned char)c);
		return EG_HTTP_MORE;
	default: /* C_TLF */
		if (c != '\n')
			return body_fail(b, "a CR without LF in a trailer field");
		b->chunk = C_TRAILER;
		return EG_HTTP_MORE;
	}
}

int eg_http_body_feed(struct eg_http_body *b, const char *in, size_t len, char *out,
		      size_t *out_len, size_t *used)
{
	size_t i = 0, o = 0, n;

	while (i < len && b->state == EG_HTTP_MORE) {
		switch (b->framing) {
		case EG_HTTP_LENGTH:
			n = (uint64_t)b->left < len - i ? (size_t)b->left : len - i;
			emit(b, in + i, out + o, n);
			i += n;
			o += n;
			b->left -= (int64_t)n;
			if (b->left == 0)
				b->state = EG_HTTP_DONE;
			break;
		case EG_HTTP_TO_CLOSE:
			n = len - i;
			if (b->limit >= 0 && (uint64_t)(b->limit - b->total) < n)
				n = (size_t)(b->limit - b->total);
			emit(b, in + i, out + o, n);
			i += n;
			o += n;
			if (i < len)
				body_fail(b, "the body goes on past the %lld bytes expected",
					  (long long)b->limit);
			break;
		case EG_HTTP_CHUNKED:
			if (b->chunk == C_DATA) {
				n = (uint64_t)b->left < len - i ? (size_t)b->left : len - i;
				emit(b, in + i, out + o, n);
				i += n;
				o += n;
				b->left -= (int64_t)n;
				if (b->left == 0)
					b->chunk = C_DATA_CR;
				break;
			}
			/* an error names the offending byte: pos moves past it after */
			if (chunk_byte(b, in[i]) != EG_HTTP_ERROR)
				b->pos++;
			i++;
			break;
		default: /* no body: done at init */
			b->state = EG_HTTP_DONE;
			break;
		}
	}
	*out_len = o;
	*used = i;
	return b->state;
}

int eg_http_body_eof(struct eg_http_body *b)
{
	if (b->state != EG_HTTP_MORE)
		return b->state;
	if (b->framing == EG_HTTP_LENGTH)
		return body_fail(b, "the connection closed after %lld of %lld bytes",
				 (long long)b->total, (long long)(b->total + b->left));
	if (b->framing == EG_HTTP_CHUNKED)
		return body_fail(b, "the connection closed inside the chunked body, after %lld "
				 "bytes of data", (long long)b->total);
	b->state = EG_HTTP_DONE;
	return b->state;
}

/* ---- the request ---- */

/* RFC 3986: a byte of a path or query, '%' apart */
static bool is_uri_byte(char c)
{
	return is_alnum(c) || (c && strchr("-._~!$&'()*+,;=:@/?", c));
}

const char *eg_http_request(char *out, size_t size, size_t *len, const char *host,
			    const char *path, int64_t from)
{
	char range[48] = "";

	*len = 0;
	if (size)
		out[0] = '\0';
	if (!*host)
		return "no host";
	for (const char *h = host; *h; h++)
		if (!is_alnum(*h) && !strchr(".-_:[]", *h))
			return "the host may hold only letters, digits and . - _ : [ ]";
	if (path[0] != '/')
		return "the path does not start with /";
	for (const char *p = path; *p; p++)
		if (*p == '%' ? hex_val(p[1]) < 0 || hex_val(p[2]) < 0 : !is_uri_byte(*p))
			return "the path holds a byte a URI may not: a space, a control byte, "
			       "one of \"#<>[\\]^`{|} or a % not before two hex digits";
	if (from < 0)
		return "a range cannot start before byte 0";
	if (from > 0)
		snprintf(range, sizeof range, "Range: bytes=%lld-\r\n", (long long)from);
	if (!eg_fmt(out, size,
		    "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\n"
		    "%s"
		    "Accept-Encoding: identity\r\n"
		    "Connection: close\r\n"
		    "User-Agent: " EG_HTTP_USER_AGENT "\r\n"
		    "\r\n",
		    path, host, range)) {
		if (size)
			out[0] = '\0';
		return "the request is longer than its buffer";
	}
	*len = strlen(out);
	return NULL;
}
