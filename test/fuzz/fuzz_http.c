/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: any bytes as an HTTP response, through the head parser and
 * the body decoder.  The differential property: the response fed whole
 * (decoded into another buffer) and fed in pieces cut where the fuzzer
 * chooses (decoded in place) give the same head, the same body bytes, the
 * same number of bytes used, the same return codes and the same error
 * strings, or abort().  Besides: nothing crashes; every message and every
 * kept header is printable; the body never exceeds its input or its limit;
 * eg_http_accept agrees with the head; and a request formatted from the
 * fuzzer's path holds no byte that could split it.
 *
 * The input: one byte of options (the limit, the Range asked for), one
 * byte for the number of cuts (up to 15), two bytes per cut (an offset),
 * then the response. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#define IN_MAX (2 * EG_HTTP_HEAD_MAX + 4096)

struct run {
	int head, body;
	struct eg_http_resp r;
	struct eg_http_body b;
	char out[IN_MAX];
	size_t out_len, used;
};

static struct run whole, part;
static char piece[IN_MAX], scratch[IN_MAX];

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* s (n bytes) in pieces ending at cuts[0..k), then at n. */
static void run(const char *s, size_t n, const size_t *cuts, size_t k, int64_t limit,
		bool in_place, struct run *o)
{
	size_t from = 0, used, ol;

	o->head = EG_HTTP_MORE;
	o->body = -2;
	o->out_len = o->used = 0;
	eg_http_head_init(&o->r);
	for (size_t i = 0; i <= k; i++) {
		size_t to = i < k ? cuts[i] : n, off = 0, len = to - from;
		char *p = in_place ? piece : (char *)s + from;
		char *dst;

		if (in_place)
			memcpy(piece, s + from, len);
		from = to;
		if (o->r.state == EG_HTTP_MORE) {
			o->head = eg_http_head_feed(&o->r, p, len, &used);
			if (used > len)
				abort();
			o->used += used;
			off = used;
			if (o->head == EG_HTTP_DONE) {
				eg_http_body_init(&o->b, &o->r, limit);
				o->body = o->b.state;
			}
		}
		if (o->body != EG_HTTP_MORE || off == len)
			continue;
		dst = in_place ? p + off : scratch;
		o->body = eg_http_body_feed(&o->b, p + off, len - off, dst, &ol, &used);
		if (used > len - off || ol > used || (o->body != EG_HTTP_DONE && used != len - off &&
						      o->body != EG_HTTP_ERROR))
			abort();
		memcpy(o->out + o->out_len, dst, ol);
		o->out_len += ol;
		o->used += used;
	}
	if (o->body == EG_HTTP_MORE)
		o->body = eg_http_body_eof(&o->b);
}

static void same(void)
{
	const struct eg_http_resp *a = &whole.r, *c = &part.r;

	if (whole.head != part.head || whole.body != part.body || whole.used != part.used ||
	    whole.out_len != part.out_len || memcmp(whole.out, part.out, whole.out_len) != 0)
		abort();
	if (strcmp(a->err, c->err) != 0 || a->status != c->status || a->minor != c->minor ||
	    a->framing != c->framing || a->length != c->length || a->chunked != c->chunked ||
	    a->close != c->close || a->has_range != c->has_range ||
	    a->range_first != c->range_first || a->range_last != c->range_last ||
	    a->range_total != c->range_total || strcmp(a->reason, c->reason) != 0 ||
	    strcmp(a->location, c->location) != 0 || a->total != c->total)
		abort();
	if (whole.body != -2 && (strcmp(whole.b.err, part.b.err) != 0 ||
				 whole.b.total != part.b.total || whole.b.pos != part.b.pos))
		abort();
}

static void checks(size_t n, int64_t limit, int64_t from, int64_t size)
{
	const struct eg_http_resp *r = &whole.r;
	int64_t start = -7;
	const char *why;

	if (!printable(r->err) || !printable(r->reason) || !printable(r->location) ||
	    !printable(whole.b.err) || whole.used > n || whole.out_len > n)
		abort();
	if (whole.head == EG_HTTP_DONE) {
		if (r->status < 200 || r->status > 599 || (r->chunked && r->length >= 0) ||
		    (r->framing == EG_HTTP_CHUNKED) != (r->chunked && r->status != 204 &&
							r->status != 304))
			abort();
		if (r->has_range && (r->range_last < r->range_first ||
				     (r->range_total >= 0 && r->range_last >= r->range_total)))
			abort();
		if ((int64_t)whole.out_len != whole.b.total || (limit >= 0 && whole.b.total > limit))
			abort();
		if (whole.body == EG_HTTP_DONE && r->framing == EG_HTTP_LENGTH &&
		    whole.b.total != r->length)
			abort();
	} else if (whole.body != -2 || whole.out_len) {
		abort();
	}
	why = eg_http_accept(&whole.r, from, size, &start);
	if (why ? !printable(why) || start != -7 :
		  whole.head != EG_HTTP_DONE || (start != 0 && start != from) ||
			  (start == from && from > 0 && r->status != 206) ||
			  (start == 0 && r->status != 200))
		abort();
}

/* A request for the fuzzer's path: refused, or exactly the lines it
 * should be, the path among them as it was. */
static void request(const char *s, size_t n, int64_t from)
{
	char path[300], out[EG_HTTP_REQUEST_MAX], *p;
	size_t len = n < sizeof path - 1 ? n : sizeof path - 1;
	const char *why;

	memcpy(path, s, len);
	path[len] = '\0';
	why = eg_http_request(out, sizeof out, &len, "192.0.2.1:8080", path, from);
	if (why) {
		if (len != 0 || out[0] != '\0')
			abort();
		return;
	}
	if (len != strlen(out) || strncmp(out, "GET ", 4) != 0)
		abort();
	p = out + 4 + strlen(path);
	if (strncmp(out + 4, path, strlen(path)) != 0 || strncmp(p, " HTTP/1.1\r\n", 11) != 0)
		abort();
	/* no byte splits it: CR only before LF, LF only after CR, nothing else below 0x21
	 * but the spaces of the request line and after each colon */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if ((c == '\r') != (i + 1 < len && out[i + 1] == '\n') ||
		    (c == '\n' && (i == 0 || out[i - 1] != '\r')) || c >= 0x7f ||
		    (c < 0x20 && c != '\r' && c != '\n'))
			abort();
	}
	if (len < 4 || memcmp(out + len - 4, "\r\n\r\n", 4) != 0 ||
	    (from > 0) != (strstr(out, "\r\nRange: bytes=") != NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const int64_t limits[4] = {-1, 0, 16, 1000};
	size_t cuts[16], k, n, hdr;
	const char *s;
	int64_t limit, from, len;

	if (size < 2 || size > IN_MAX)
		return 0;
	k = data[1] % 16;
	hdr = 2 + 2 * k;
	if (size < hdr)
		return 0;
	s = (const char *)data + hdr;
	n = size - hdr;
	limit = limits[data[0] & 3];
	/* the Range: from 0, 1 or 50 of an unknown, 100-byte or 51-byte artifact */
	from = (data[0] >> 2 & 3) == 3 ? 50 : data[0] >> 2 & 3;
	len = (data[0] >> 4 & 3) == 0 ? -1 : (data[0] >> 4 & 3) == 1 ? 100 : 51;
	for (size_t i = 0; i < k; i++)
		cuts[i] = (size_t)(data[2 + 2 * i] | data[3 + 2 * i] << 8) % (n + 1);
	/* in order: a cut before the previous one is moved onto it (an empty piece) */
	for (size_t i = 1; i < k; i++)
		if (cuts[i] < cuts[i - 1])
			cuts[i] = cuts[i - 1];
	run(s, n, NULL, 0, limit, false, &whole);
	run(s, n, cuts, k, limit, true, &part);
	same();
	/* byte by byte, for short inputs */
	if (n <= 64) {
		size_t every[64];

		for (size_t i = 0; i + 1 < n; i++)
			every[i] = i + 1;
		run(s, n, every, n ? n - 1 : 0, limit, true, &part);
		same();
	}
	checks(n, limit, from, len);
	/* the response's first line as the path */
	const char *nl = memchr(s, '\n', n);
	request(s, nl ? (size_t)(nl - s) : n, from);
	return 0;
}
