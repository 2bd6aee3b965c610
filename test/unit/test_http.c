/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "http.h"

#include <stdlib.h>

/* ---- a response through head and body, in pieces ---- */

#define BODY_MAX 8192

/* What a response stream comes to. */
struct run {
	int head;                 /* the head parser's last return */
	char herr[EG_HTTP_ERR];
	int status, minor, framing;
	int64_t length, first, last, total;
	bool chunked, close, has_range;
	char reason[EG_HTTP_REASON_MAX], location[EG_HTTP_LOCATION_MAX];
	int body;                 /* the body decoder's last return; -2: never started */
	char berr[EG_HTTP_ERR];
	char out[BODY_MAX];       /* the body bytes, all pieces' */
	size_t out_len;
	size_t used;              /* bytes of the stream the response took */
};

static struct eg_http_resp r;
static struct eg_http_body b;

/* Feed s (n bytes) cut at cuts[0..ncuts) (increasing), then the end of
 * the stream.  in_place: the body is decoded in each piece's own bytes. */
static void run(const char *s, size_t n, const size_t *cuts, size_t ncuts, int64_t limit,
		bool in_place, struct run *o)
{
	static char piece[BODY_MAX + EG_HTTP_HEAD_MAX], out[BODY_MAX + EG_HTTP_HEAD_MAX];
	size_t from = 0, used, ol;

	memset(o, 0, sizeof *o);
	o->body = -2;
	eg_http_head_init(&r);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t to = k < ncuts ? cuts[k] : n, off = 0, len = to - from;

		memcpy(piece, s + from, len);
		from = to;
		if (r.state == EG_HTTP_MORE) {
			o->head = eg_http_head_feed(&r, piece, len, &used);
			o->used += used;
			off = used;
			if (o->head == EG_HTTP_DONE) {
				eg_http_body_init(&b, &r, limit);
				o->body = b.state;
			}
		}
		if (o->body != EG_HTTP_MORE || off == len)
			continue;
		o->body = eg_http_body_feed(&b, piece + off, len - off, in_place ? piece + off : out,
					    &ol, &used);
		if (o->out_len + ol <= BODY_MAX)
			memcpy(o->out + o->out_len, in_place ? piece + off : out, ol);
		o->out_len += ol;
		o->used += used;
	}
	if (o->body == EG_HTTP_MORE)
		o->body = eg_http_body_eof(&b);
	memcpy(o->herr, r.err, sizeof o->herr);
	memcpy(o->berr, b.err, sizeof o->berr);
	if (o->body == -2)
		o->berr[0] = '\0';
	o->status = r.status;
	o->minor = r.minor;
	o->framing = (int)r.framing;
	o->length = r.length;
	o->first = r.range_first;
	o->last = r.range_last;
	o->total = r.range_total;
	o->chunked = r.chunked;
	o->close = r.close;
	o->has_range = r.has_range;
	memcpy(o->reason, r.reason, sizeof o->reason);
	memcpy(o->location, r.location, sizeof o->location);
}

static bool same(const struct run *a, const struct run *c)
{
	return a->head == c->head && strcmp(a->herr, c->herr) == 0 && a->status == c->status &&
	       a->minor == c->minor && a->framing == c->framing && a->length == c->length &&
	       a->first == c->first && a->last == c->last && a->total == c->total &&
	       a->chunked == c->chunked && a->close == c->close && a->has_range == c->has_range &&
	       strcmp(a->reason, c->reason) == 0 && strcmp(a->location, c->location) == 0 &&
	       a->body == c->body && strcmp(a->berr, c->berr) == 0 && a->out_len == c->out_len &&
	       memcmp(a->out, c->out, a->out_len < BODY_MAX ? a->out_len : BODY_MAX) == 0 &&
	       a->used == c->used;
}

static struct run whole, part;

/* s whole (out of place), then cut in two at every point and cut into
 * pieces of every size (in place): the same result every time. */
static const struct run *stream(const char *s, size_t n, int64_t limit)
{
	static size_t cuts[BODY_MAX];
	int differ = 0;

	run(s, n, NULL, 0, limit, false, &whole);
	for (size_t c = 0; c <= n; c++) {
		cuts[0] = c;
		run(s, n, cuts, 1, limit, true, &part);
		differ += !same(&whole, &part);
	}
	for (size_t size = 1; size <= n && size < 64; size++) {
		size_t k = 0;

		for (size_t c = size; c < n; c += size)
			cuts[k++] = c;
		run(s, n, cuts, k, limit, true, &part);
		differ += !same(&whole, &part);
	}
	CHECK(differ == 0, "the same whole, cut in two anywhere, or in pieces of any size");
	if (differ)
		printf("# %d ways of cutting it differ from feeding it whole\n", differ);
	return &whole;
}

#define S(lit) stream(lit, sizeof lit - 1, -1)
#define SL(lit, limit) stream(lit, sizeof lit - 1, limit)

static const char *body_str(const struct run *o)
{
	static char s[BODY_MAX + 1];

	memcpy(s, o->out, o->out_len);
	s[o->out_len] = '\0';
	return s;
}

/* ---- the head ---- */

static void heads(void)
{
	const struct run *o;

	o = S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello");
	CHECK(o->head == EG_HTTP_DONE && o->status == 200 && o->minor == 1 &&
		      strcmp(o->reason, "OK") == 0 && o->framing == EG_HTTP_LENGTH &&
		      o->length == 5 && !o->chunked && !o->close && !o->has_range,
	      "200 with Content-Length, any cut");
	CHECK(o->body == EG_HTTP_DONE && strcmp(body_str(o), "hello") == 0 && o->used == 54,
	      "its body, and all 54 bytes used");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and what follows");
	CHECK(o->body == EG_HTTP_DONE && strcmp(body_str(o), "hello") == 0 && o->used == 43,
	      "bytes after a Content-Length body are not used");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK(o->body == EG_HTTP_DONE && o->out_len == 0 && o->framing == EG_HTTP_LENGTH,
	      "Content-Length 0: done at once");
	o = S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	CHECK(o->framing == EG_HTTP_CHUNKED && o->chunked && o->length == -1 &&
		      o->body == EG_HTTP_DONE && strcmp(body_str(o), "hello") == 0,
	      "chunked");
	o = S("HTTP/1.1 200 OK\r\n\r\nup to the close");
	CHECK(o->framing == EG_HTTP_TO_CLOSE && o->body == EG_HTTP_DONE &&
		      strcmp(body_str(o), "up to the close") == 0,
	      "neither: the body ends with the connection");
	o = S("HTTP/1.0 200 OK\r\n\r\nold");
	CHECK(o->minor == 0 && o->framing == EG_HTTP_TO_CLOSE && strcmp(body_str(o), "old") == 0,
	      "HTTP/1.0 to the close");
	o = S("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
	CHECK(o->framing == EG_HTTP_NO_BODY && o->body == EG_HTTP_DONE && o->out_len == 0,
	      "204: no body, whatever Content-Length says");
	o = S("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\nnext");
	CHECK(o->framing == EG_HTTP_NO_BODY && o->body == EG_HTTP_DONE && o->used == 57,
	      "304: no body");
	o = S("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
	CHECK(o->status == 404 && strcmp(o->reason, "Not Found") == 0 &&
		      strcmp(body_str(o), "not found") == 0,
	      "404: its reason and body");
	o = S("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx");
	CHECK(o->head == EG_HTTP_DONE && o->status == 200 && o->reason[0] == '\0',
	      "no reason phrase, no space");
	o = S("HTTP/1.1 200 \r\n\r\n");
	CHECK(o->head == EG_HTTP_DONE && o->reason[0] == '\0', "an empty reason phrase");
	o = S("HTTP/1.1 500 Very \xe2\x9c\x97 Broken\t!\r\n\r\n");
	CHECK_STR(o->reason, "Very \\xe2\\x9c\\x97 Broken\\x09!", "a reason phrase kept printable");
	o = S("HTTP/1.1 500 0123456789012345678901234567890123456789012345678901234567890123456789"
	      "\r\n\r\n");
	CHECK_STR(o->reason, "012345678901234567890123456789012345678901234567890123456789...",
		  "a long reason phrase cut short");
	o = S("HTTP/1.2 200 OK\r\n\r\n");
	CHECK(o->head == EG_HTTP_DONE && o->minor == 2, "HTTP/1.2 is read as 1.x");
	o = S("HTTP/1.1 599 x\r\n\r\n");
	CHECK(o->head == EG_HTTP_DONE && o->status == 599, "599");

	/* interim responses */
	o = S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	CHECK(o->head == EG_HTTP_DONE && o->status == 200 && strcmp(body_str(o), "ok") == 0,
	      "100 Continue, then the response");
	o = S("HTTP/1.1 103 Early Hints\r\nLink: </x>\r\nContent-Length: 99\r\nConnection: close\r\n"
	      "\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest");
	CHECK(o->head == EG_HTTP_DONE && o->status == 200 && o->length == -1 && !o->close &&
		      strcmp(o->reason, "OK") == 0 && strcmp(body_str(o), "rest") == 0,
	      "103 and 102: what they say is forgotten");

	/* names in any case, values around OWS */
	o = S("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:3\r\n\r\nabc");
	CHECK(o->length == 3 && strcmp(body_str(o), "abc") == 0, "field names in any case");
	o = S("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: \t Chunked \t\r\n\r\n0\r\n\r\n");
	CHECK(o->chunked && o->body == EG_HTTP_DONE, "Transfer-Encoding Chunked, OWS around");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc");
	CHECK(o->length == 3 && o->head == EG_HTTP_DONE, "a repeated Content-Length, the same");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 3 , 3,3\r\n\r\nabc");
	CHECK(o->length == 3 && o->head == EG_HTTP_DONE, "a list of one Content-Length");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567");
	CHECK(o->length == 7 && strcmp(body_str(o), "1234567") == 0, "leading zeros");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n");
	CHECK(o->length == INT64_MAX && o->body == EG_HTTP_ERROR &&
		      strstr(o->berr, "closed after 0 of 9223372036854775807 bytes"),
	      "Content-Length 2^63-1");
	o = S("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Encoding: identity\r\n"
	      "Content-Length: 0\r\n\r\n");
	CHECK(o->close && o->head == EG_HTTP_DONE, "Connection: close in a list; identity");
	o = S("HTTP/1.1 200 OK\r\nConnection: closed\r\n\r\n");
	CHECK(!o->close, "closed is not close");
	o = S("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Obs: caf\xc3\xa9\r\n\r\n");
	CHECK(o->head == EG_HTTP_DONE, "an empty value, obs-text in a value");

	/* Content-Range */
	o = S("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-199/200\r\n"
	      "Content-Length: 100\r\n\r\n");
	CHECK(o->has_range && o->first == 100 && o->last == 199 && o->total == 200,
	      "Content-Range bytes 100-199/200");
	o = S("HTTP/1.1 206 x\r\nContent-Range: BYTES 0-0/*\r\n\r\n");
	CHECK(o->has_range && o->first == 0 && o->last == 0 && o->total == -1,
	      "Content-Range bytes 0-0/*, unit in any case");
	o = S("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */4096\r\n\r\n");
	CHECK(o->has_range && o->first == -1 && o->last == -1 && o->total == 4096,
	      "Content-Range bytes */4096");
	o = S("HTTP/1.1 206 x\r\nContent-Range: bytes 0-9223372036854775806/9223372036854775807"
	      "\r\n\r\n");
	CHECK(o->has_range && o->last == INT64_MAX - 1 && o->total == INT64_MAX,
	      "Content-Range up to 2^63-1");

	/* Location, to report */
	o = S("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/x\r\n"
	      "Location: http://second/\r\n\r\n");
	CHECK_STR(o->location, "http://elsewhere.example/x", "the first Location");
	o = S("HTTP/1.1 301 Moved\r\nLocation: /\xff\x1b[2J\r\n\r\n");
	CHECK(o->head == EG_HTTP_ERROR, "a Location with an escape sequence: a control byte");
	o = S("HTTP/1.1 301 Moved\r\nLocation: /caf\xc3\xa9\\\r\n\r\n");
	CHECK_STR(o->location, "/caf\\xc3\\xa9\\\\", "a Location kept printable");
	o = S("HTTP/1.1 301 Moved\r\nLocation: http://a.example/0123456789012345678901234567890123456"
	      "789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
	      "1234567890123456789012345678901234567890123456789\r\n\r\n");
	CHECK(strlen(o->location) == EG_HTTP_LOCATION_MAX - 1 &&
		      strcmp(o->location + EG_HTTP_LOCATION_MAX - 4, "...") == 0,
	      "a long Location cut short");

	/* the bound */
	static char big[EG_HTTP_HEAD_MAX + 16];
	const char *start = "HTTP/1.1 200 OK\r\nX: ";
	size_t n = strlen(start);

	memcpy(big, start, n);
	memset(big + n, 'a', EG_HTTP_HEAD_MAX - n - 4);
	memcpy(big + EG_HTTP_HEAD_MAX - 4, "\r\n\r\nbody", 8);
	run(big, EG_HTTP_HEAD_MAX + 4, NULL, 0, -1, false, &part);
	CHECK(part.head == EG_HTTP_DONE && part.used == EG_HTTP_HEAD_MAX + 4 &&
		      strcmp(body_str(&part), "body") == 0,
	      "a head of exactly %d bytes", EG_HTTP_HEAD_MAX);
	memcpy(big + EG_HTTP_HEAD_MAX - 4, "a\r\n\r\n", 5);
	run(big, EG_HTTP_HEAD_MAX + 1, NULL, 0, -1, false, &part);
	CHECK_STR(part.herr, "HTTP response line 3: the response head goes on past 4096 bytes",
		  "a head of %d bytes", EG_HTTP_HEAD_MAX + 1);
	CHECK_INT(part.used, EG_HTTP_HEAD_MAX, "the byte over it is not used");
	/* interim heads count */
	static char many[EG_HTTP_HEAD_MAX + 64];
	size_t m = 0;

	while (m + 16 <= EG_HTTP_HEAD_MAX) {
		memcpy(many + m, "HTTP/1.1 100 x\r\n\r\n", 18);
		m += 18;
	}
	memcpy(many + m, "HTTP/1.1 200 OK\r\n\r\n", 19);
	run(many, m + 19, NULL, 0, -1, false, &part);
	CHECK(part.head == EG_HTTP_ERROR && strstr(part.herr, "past 4096 bytes"),
	      "interim heads count towards the bound");

	/* once done or failed, it stays so */
	size_t used = 9;
	eg_http_head_init(&r);
	CHECK_INT(eg_http_head_feed(&r, "", 0, &used), EG_HTTP_MORE, "nothing fed: more");
	CHECK_INT(used, 0, "nothing used");
	eg_http_head_feed(&r, "HTTP/1.1 200 OK\r\n\r\n", 19, &used);
	CHECK(eg_http_head_feed(&r, "HTTP/1.1 500 x\r\n\r\n", 18, &used) == EG_HTTP_DONE &&
		      used == 0 && r.status == 200,
	      "DONE sticks, uses nothing");
	eg_http_head_init(&r);
	eg_http_head_feed(&r, "HTTP/1.1 200 OK\n", 16, &used);
	CHECK(eg_http_head_feed(&r, "\r\n", 2, &used) == EG_HTTP_ERROR && used == 0,
	      "ERROR sticks, uses nothing");
}

static void head_errors(void)
{
	static const struct {
		const char *in, *why;
	} t[] = {
		{"\r\n", "HTTP response line 1: not an HTTP response: "},
		{"ICY 200 OK\r\n\r\n", "HTTP response line 1: not an HTTP response: ICY 200 OK"},
		{"http/1.1 200 OK\r\n\r\n", "HTTP response line 1: not an HTTP response: http/1.1 200 OK"},
		{"HTTP/2 200\r\n\r\n", "HTTP response line 1: the status line does not start with "
				       "HTTP/1.x and a space: HTTP/2 200"},
		{"HTTP/1.10 200\r\n\r\n", "HTTP response line 1: the status line does not start with "
					  "HTTP/1.x and a space: HTTP/1.10 200"},
		{"HTTP/1.1\r\n\r\n", "HTTP response line 1: the status line does not start with "
				     "HTTP/1.x and a space: HTTP/1.1"},
		{"HTTP/0.9 200 OK\r\n\r\n", "HTTP response line 1: the status line does not start "
					    "with HTTP/1.x and a space: HTTP/0.9 200 OK"},
		{"HTTP/1.1  200 OK\r\n\r\n",
		 "HTTP response line 1: the status code is not 3 digits:  200 OK"},
		{"HTTP/1.1 20 OK\r\n\r\n", "HTTP response line 1: the status code is not 3 digits: 20 OK"},
		{"HTTP/1.1 2000 OK\r\n\r\n",
		 "HTTP response line 1: the status code is not 3 digits: 2000 OK"},
		{"HTTP/1.1 200\tOK\r\n\r\n",
		 "HTTP response line 1: the status code is not 3 digits: 200\\x09OK"},
		{"HTTP/1.1 -20 OK\r\n\r\n",
		 "HTTP response line 1: the status code is not 3 digits: -20 OK"},
		{"HTTP/1.1 099 x\r\n\r\n", "HTTP response line 1: status code 99 is not 100 to 599"},
		{"HTTP/1.1 600 x\r\n\r\n", "HTTP response line 1: status code 600 is not 100 to 599"},
		{"HTTP/1.1 200 O\x01K\r\n\r\n",
		 "HTTP response line 1: control byte 0x01 in the reason phrase"},
		{"HTTP/1.1 200 OK\x7f\r\n\r\n",
		 "HTTP response line 1: control byte 0x7f in the reason phrase"},
		{"HTTP/1.1 200 OK\n\n", "HTTP response line 1: a bare LF: lines end in CRLF"},
		{"HTTP/1.1 200 OK\r\nA: b\n\r\n", "HTTP response line 2: a bare LF: lines end in CRLF"},
		{"HTTP/1.1 200 OK\r\n\n", "HTTP response line 2: a bare LF: lines end in CRLF"},
		{"HTTP/1.1 200 OK\rX\r\n\r\n", "HTTP response line 1: a CR without LF"},
		{"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", "HTTP response line 2: a CR without LF"},
		{"HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n", "HTTP response line 2: a CR without LF"},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
		 "HTTP response line 3: 101 Switching Protocols, and no upgrade was asked for"},
		{"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
		 "HTTP response line 3: a line that starts with whitespace (obs-fold) is refused"},
		{"HTTP/1.1 200 OK\r\n\tA: b\r\n\r\n",
		 "HTTP response line 2: a line that starts with whitespace (obs-fold) is refused"},
		{"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
		 "HTTP response line 2: whitespace in a field name, or before its colon: "
		 "Content-Length : 5"},
		{"HTTP/1.1 200 OK\r\nX Y: 5\r\n\r\n",
		 "HTTP response line 2: whitespace in a field name, or before its colon: X Y: 5"},
		{"HTTP/1.1 200 OK\r\nX(Y): 5\r\n\r\n",
		 "HTTP response line 2: a field name holds more than token bytes: X(Y): 5"},
		{"HTTP/1.1 200 OK\r\nX\xc3\xa9: 5\r\n\r\n",
		 "HTTP response line 2: a field name holds more than token bytes: X\\xc3\\xa9: 5"},
		{"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		 "HTTP response line 2: whitespace in a field name, or before its colon: no colon"},
		{"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n",
		 "HTTP response line 2: a field line without a colon: nocolon"},
		{"HTTP/1.1 200 OK\r\n: x\r\n\r\n", "HTTP response line 2: a field without a name: : x"},
		{"HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
		 "HTTP response line 2: control byte 0x01 in the value of X"},
		{"HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n",
		 "HTTP response line 2: control byte 0x7f in the value of X"},
		{"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: +5"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: -1"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5a\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: 5a"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: 5 5"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: 0x10"},
		{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: "},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: "},
		{"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: "
		 "9223372036854775808"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		 "HTTP response line 2: Content-Length is not a number up to 2^63-1: "
		 "99999999999999999999999"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		 "HTTP response line 3: Content-Length 6, and 5 before"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
		 "HTTP response line 2: Content-Length 6, and 5 before"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding gzip is refused: chunked is the only one read"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding gzip is refused: chunked is the only one read"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding identity is refused: chunked is the only "
		 "one read"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding  is refused: chunked is the only one read"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding chunked;x=1 is refused: chunked is the only "
		 "one read"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		 "HTTP response line 2: Transfer-Encoding chunked twice"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		 "HTTP response line 3: Transfer-Encoding chunked twice"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		 "HTTP response line 4: both Transfer-Encoding and Content-Length"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		 "HTTP response line 4: both Transfer-Encoding and Content-Length"},
		{"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		 "HTTP response line 3: an HTTP/1.0 response with Transfer-Encoding"},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
		 "HTTP response line 2: Content-Encoding gzip is refused: earlyguard asks for identity"},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: identity, br\r\n\r\n",
		 "HTTP response line 2: Content-Encoding br is refused: earlyguard asks for identity"},
		{"HTTP/1.1 206 x\r\nContent-Range: items 0-1/2\r\n\r\n",
		 "HTTP response line 2: Content-Range is not in bytes: items 0-1/2"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes\r\n\r\n",
		 "HTTP response line 2: Content-Range is not in bytes: bytes"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes=0-1/2\r\n\r\n",
		 "HTTP response line 2: Content-Range is not in bytes: bytes=0-1/2"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 0-1"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes  0-1/2\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes  0-1/2"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes -1/2\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes -1/2"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 1-/2\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 1-/2"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1/2x\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 0-1/2x"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1/\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 0-1/"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1-2/3\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 0-1-2/3"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes */*\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes */*"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1/2/3\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: bytes 0-1/2/3"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-9223372036854775808/*\r\n\r\n",
		 "HTTP response line 2: Content-Range is not bytes FIRST-LAST/TOTAL: "
		 "bytes 0-9223372036854775808/*"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 5-4/10\r\n\r\n",
		 "HTTP response line 2: Content-Range is not a range inside its total: bytes 5-4/10"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-100/100\r\n\r\n",
		 "HTTP response line 2: Content-Range is not a range inside its total: "
		 "bytes 0-100/100"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-0/0\r\n\r\n",
		 "HTTP response line 2: Content-Range is not a range inside its total: bytes 0-0/0"},
		{"HTTP/1.1 206 x\r\nContent-Range: bytes 0-1/2\r\nContent-Range: bytes 0-1/2\r\n\r\n",
		 "HTTP response line 3: a second Content-Range"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const struct run *o = stream(t[i].in, strlen(t[i].in), -1);

		CHECK(o->head == EG_HTTP_ERROR, "refused, any cut: %s", t[i].why);
		CHECK_STR(o->herr, t[i].why, "  its reason (%zu)", i);
	}
	static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	const struct run *o = stream(nul, sizeof nul - 1, -1);
	CHECK_STR(o->herr, "HTTP response line 2: control byte 0x00 in the value of X",
		  "a NUL in a value");
}

/* ---- accept ---- */

static const char *acc(const char *head, int64_t from, int64_t size, int64_t *start)
{
	size_t used;
	const char *why;

	eg_http_head_init(&r);
	eg_http_head_feed(&r, head, strlen(head), &used);
	*start = -7;
	why = eg_http_accept(&r, from, size, start);
	return why ? why : "(ok)";
}

static void accepts(void)
{
	int64_t start;

	CHECK_STR(acc("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0, 100, &start), "(ok)",
		  "200, the whole artifact");
	CHECK_INT(start, 0, "  from 0");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\n\r\n", 0, 100, &start), "(ok)",
		  "200 without a length");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, -1, &start),
		  "(ok)", "200 chunked, size unknown");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 60, 100, &start), "(ok)",
		  "200 to a Range: the server sends it all again");
	CHECK_INT(start, 0, "  from 0");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 0, 100, &start),
		  "HTTP 200 with Content-Length 99, not the 100 bytes expected", "200, short");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 0, -1, &start), "(ok)",
		  "200, any length when the size is unknown");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/100\r\n"
			 "Content-Length: 40\r\n\r\n",
			 60, 100, &start),
		  "(ok)", "206 for the rest");
	CHECK_INT(start, 60, "  from 60");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/*\r\n\r\n", 60, 100,
			 &start),
		  "(ok)", "206, total unknown");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/100\r\n\r\n", 60, -1,
			 &start),
		  "(ok)", "206, size unknown, to the end of its total");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-98/100\r\n\r\n", 60, -1,
			 &start),
		  "HTTP 206 for bytes 60-98, not up to the end of its 100", "206 short of its total");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/100\r\n\r\n", 0, 100,
			 &start),
		  "HTTP 206 to a request without Range", "206 without Range");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\n\r\n", 60, 100, &start),
		  "HTTP 206 without a byte range in Content-Range", "206 without Content-Range");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes */100\r\n\r\n", 60, 100,
			 &start),
		  "HTTP 206 without a byte range in Content-Range", "206 with */100");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 50-99/100\r\n\r\n", 60, 100,
			 &start),
		  "HTTP 206 for bytes 50-99, not from byte 60", "206 from elsewhere");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-98/100\r\n\r\n", 60, 100,
			 &start),
		  "HTTP 206 for bytes 60-98 of 100, not up to the end of the 100 bytes expected",
		  "206 short");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/200\r\n\r\n", 60, 100,
			 &start),
		  "HTTP 206 for bytes 60-99 of 200, not up to the end of the 100 bytes expected",
		  "206 of another size");
	CHECK_STR(acc("HTTP/1.1 206 Partial\r\nContent-Range: bytes 60-99/100\r\n"
			 "Content-Length: 41\r\n\r\n",
			 60, 100, &start),
		  "HTTP 206 with Content-Length 41 for bytes 60-99", "206 with a wrong length");
	CHECK_STR(acc("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */50\r\n\r\n",
			 60, 100, &start),
		  "HTTP 416 Range Not Satisfiable: the server refuses bytes=60- of its 50 bytes",
		  "416");
	CHECK_STR(acc("HTTP/1.1 416 Range Not Satisfiable\r\n\r\n", 60, 100, &start),
		  "HTTP 416 Range Not Satisfiable", "416 without a total");
	CHECK_STR(acc("HTTP/1.1 302 Found\r\nLocation: http://other.example/img\r\n\r\n", 0, 100,
			 &start),
		  "HTTP 302 Found: a redirect to http://other.example/img, and earlyguard follows none",
		  "a redirect");
	CHECK_STR(acc("HTTP/1.1 307 Temporary Redirect\r\n\r\n", 0, 100, &start),
		  "HTTP 307 Temporary Redirect: a redirect to (no Location), and earlyguard follows "
		  "none",
		  "a redirect without Location");
	CHECK_STR(acc("HTTP/1.1 404 Not Found\r\n\r\n", 0, 100, &start), "HTTP 404 Not Found",
		  "404");
	CHECK_STR(acc("HTTP/1.1 500 \r\n\r\n", 0, 100, &start), "HTTP 500", "500");
	CHECK_STR(acc("HTTP/1.1 204 No Content\r\n\r\n", 0, 100, &start), "HTTP 204 No Content",
		  "204");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\n", 0, 100, &start),
		  "HTTP: the response head is not complete", "an incomplete head");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, 100, &start),
		  "HTTP response line 2: Content-Length is not a number up to 2^63-1: x",
		  "a refused head: its reason");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\n\r\n", 100, 100, &start),
		  "HTTP: nothing to fetch from byte 100 of 100", "from the end");
	CHECK_STR(acc("HTTP/1.1 200 OK\r\n\r\n", -1, 100, &start),
		  "HTTP: nothing to fetch from byte -1 of 100", "from before the start");
	CHECK_INT(start, -7, "start untouched when refused");
}

/* ---- the body ---- */

static void bodies(void)
{
	const struct run *o;
	char c[1200];

#define CH "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	o = S(CH "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n");
	CHECK(o->body == EG_HTTP_DONE && strcmp(body_str(o), "hello, world") == 0,
	      "chunks, any cut, in place or not");
	o = S(CH "A\r\n0123456789\r\na\r\nabcdefghij\r\n0000\r\n\r\n");
	CHECK(strcmp(body_str(o), "0123456789abcdefghij") == 0 && o->body == EG_HTTP_DONE,
	      "hex in either case, zeros");
	o = S(CH "00000005\r\nhello\r\n0\r\n\r\n");
	CHECK(strcmp(body_str(o), "hello") == 0, "leading zeros");
	o = S(CH "5;name=value;q=\"a b\"\r\nhello\r\n0;last\r\n\r\n");
	CHECK(strcmp(body_str(o), "hello") == 0 && o->body == EG_HTTP_DONE, "extensions skipped");
	o = S(CH "5 ;x\r\nhello\r\n5\t \t; y = z\r\nworld\r\n0\r\n\r\n");
	CHECK(strcmp(body_str(o), "helloworld") == 0 && o->body == EG_HTTP_DONE,
	      "whitespace before an extension");
	o = S(CH "5\r\nhello\r\n0\r\nX-Digest: abc\r\nY:\r\nZ:\xff \t v\r\n\r\n");
	CHECK(strcmp(body_str(o), "hello") == 0 && o->body == EG_HTTP_DONE, "trailers skipped");
	o = S(CH "3\r\n\r\n\r\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");
	CHECK(o->out_len == 3 && memcmp(o->out, "\r\n\r", 3) == 0 && o->body == EG_HTTP_DONE &&
		      o->used == 60,
	      "CR and LF as data; what follows the end is not used");
	o = S(CH "0\r\n\r\n");
	CHECK(o->out_len == 0 && o->body == EG_HTTP_DONE, "an empty chunked body");
	o = SL(CH "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10);
	CHECK(o->body == EG_HTTP_DONE && o->out_len == 10, "chunked, up to the limit exactly");
	o = SL(CH "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10);
	CHECK_STR(o->berr, "HTTP body, byte 12: a chunk of 6 bytes after 5: more than the 10 bytes "
			   "expected",
		  "chunked, past the limit: refused at its size, before its data");
	CHECK_STR(body_str(o), "hello", "  what came before");
	o = SL(CH "0\r\n\r\n", 0);
	CHECK(o->body == EG_HTTP_DONE, "an empty body, limit 0");

	/* bounds */
	memcpy(c, CH, strlen(CH));
	memset(c + strlen(CH), '0', 255);
	memcpy(c + strlen(CH) + 255, "1\r\nx\r\n0\r\n\r\n", 11);
	o = stream(c, strlen(CH) + 266, -1);
	CHECK(o->body == EG_HTTP_DONE && strcmp(body_str(o), "x") == 0,
	      "a chunk-size line of %d bytes", EG_HTTP_CHUNK_LINE_MAX);
	memset(c + strlen(CH), '0', 256);
	memcpy(c + strlen(CH) + 256, "1\r\nx\r\n0\r\n\r\n", 11);
	o = stream(c, strlen(CH) + 267, -1);
	CHECK_STR(o->berr, "HTTP body, byte 256: a chunk-size line over 256 bytes",
		  "a chunk-size line of %d bytes", EG_HTTP_CHUNK_LINE_MAX + 1);
	memcpy(c + strlen(CH), "1;", 2);
	memset(c + strlen(CH) + 2, 'e', 255);
	memcpy(c + strlen(CH) + 257, "\r\nx\r\n0\r\n\r\n", 10);
	o = stream(c, strlen(CH) + 267, -1);
	CHECK_STR(o->berr, "HTTP body, byte 256: a chunk-size line over 256 bytes",
		  "extensions count in the bound");
	memcpy(c + strlen(CH) + 256, "\r\nx\r\n0\r\n\r\n", 10);
	o = stream(c, strlen(CH) + 266, -1);
	CHECK(o->body == EG_HTTP_DONE && strcmp(body_str(o), "x") == 0, "...and fit in it");
	/* trailers: "X:" and 1019 bytes of value, CRLF: 1023 bytes, then CR = 1024 */
	memcpy(c, CH "0\r\nX:", strlen(CH) + 5);
	memset(c + strlen(CH) + 5, 'v', 1019);
	memcpy(c + strlen(CH) + 1024, "\r\n\r\n", 4);
	o = stream(c, strlen(CH) + 1028, -1);
	CHECK(o->body == EG_HTTP_DONE, "trailers of %d bytes", EG_HTTP_TRAILER_MAX);
	c[strlen(CH) + 1024] = 'v';
	memcpy(c + strlen(CH) + 1025, "\r\n\r\n", 4);
	o = stream(c, strlen(CH) + 1029, -1);
	CHECK_STR(o->berr, "HTTP body, byte 1027: trailer fields over 1024 bytes",
		  "trailers of %d bytes", EG_HTTP_TRAILER_MAX + 1);
	o = S(CH "7fffffffffffffff\r\nabc");
	CHECK_STR(o->berr, "HTTP body, byte 21: the connection closed inside the chunked body, "
			   "after 3 bytes of data",
		  "a chunk of 2^63-1 bytes: read until the close");
	o = S(CH "8000000000000000\r\n");
	CHECK_STR(o->berr, "HTTP body, byte 15: a chunk size over 2^63-1", "a chunk of 2^63");
	o = S(CH "ffffffffffffffffff\r\n");
	CHECK_STR(o->berr, "HTTP body, byte 15: a chunk size over 2^63-1", "a chunk of 2^72");

	/* Content-Length and to the close, against the limit */
	o = SL("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 10);
	CHECK_STR(o->berr, "HTTP body, byte 0: Content-Length 11 is more than the 10 bytes expected",
		  "Content-Length over the limit");
	CHECK(o->out_len == 0 && o->used == 39, "  nothing of its body");
	o = SL("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello worl", 10);
	CHECK(o->body == EG_HTTP_DONE && o->out_len == 10, "Content-Length at the limit");
	o = SL("HTTP/1.1 200 OK\r\n\r\nhello world", 10);
	CHECK_STR(o->berr, "HTTP body, byte 10: the body goes on past the 10 bytes expected",
		  "to the close, over the limit");
	CHECK_STR(body_str(o), "hello worl", "  the bytes up to it");
	o = SL("HTTP/1.1 200 OK\r\n\r\nhello worl", 10);
	CHECK(o->body == EG_HTTP_DONE && o->out_len == 10, "to the close, at the limit");
	o = SL("HTTP/1.1 200 OK\r\n\r\n", 0);
	CHECK(o->body == EG_HTTP_DONE && o->out_len == 0, "to the close, empty, limit 0");
	o = S("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello");
	CHECK_STR(o->berr, "HTTP body, byte 5: the connection closed after 5 of 11 bytes",
		  "Content-Length, closed early");
	CHECK_STR(body_str(o), "hello", "  the bytes before");

	/* the decoder on its own */
	size_t ol = 9, used = 9;
	char buf[16];

	eg_http_head_init(&r);
	CHECK_STR(eg_http_body_init(&b, &r, -1) ? b.err : "(ok)",
		  "HTTP body, byte 0: the response head is not complete", "no head, no body");
	CHECK(eg_http_body_feed(&b, "x", 1, buf, &ol, &used) == EG_HTTP_ERROR && ol == 0 &&
		      used == 0,
	      "  and feeding it fails");
	eg_http_head_feed(&r, CH, strlen(CH), &used);
	eg_http_body_init(&b, &r, -1);
	CHECK(eg_http_body_feed(&b, "", 0, buf, &ol, &used) == EG_HTTP_MORE && ol == 0 &&
		      used == 0,
	      "nothing fed");
	CHECK(eg_http_body_feed(&b, "0\r\n\r\nx", 6, buf, &ol, &used) == EG_HTTP_DONE && used == 5,
	      "the end");
	CHECK(eg_http_body_feed(&b, "5\r\n", 3, buf, &ol, &used) == EG_HTTP_DONE && used == 0 &&
		      ol == 0,
	      "DONE sticks");
	CHECK_INT(eg_http_body_eof(&b), EG_HTTP_DONE, "eof after the end");
}

static void body_errors(void)
{
	static const struct {
		const char *in, *why;
	} t[] = {
		{CH "\r\n", "HTTP body, byte 0: an empty chunk size"},
		{CH "g\r\n", "HTTP body, byte 0: a chunk size is not hexadecimal: g"},
		{CH "-5\r\n", "HTTP body, byte 0: a chunk size is not hexadecimal: -"},
		{CH "+5\r\n", "HTTP body, byte 0: a chunk size is not hexadecimal: +"},
		{CH " 5\r\n", "HTTP body, byte 0: a chunk size is not hexadecimal:  "},
		{CH ";x\r\n", "HTTP body, byte 0: a chunk size is not hexadecimal: ;"},
		{CH "0x5\r\n", "HTTP body, byte 1: a chunk size is not hexadecimal: x"},
		{CH "5g\r\n", "HTTP body, byte 1: a chunk size is not hexadecimal: g"},
		{CH "5\n", "HTTP body, byte 1: a bare LF: lines end in CRLF"},
		{CH "5\rhello", "HTTP body, byte 2: a CR without LF after a chunk size"},
		{CH "5 \r\n", "HTTP body, byte 2: whitespace after a chunk size, and no extension"},
		{CH "5 x\r\n", "HTTP body, byte 2: whitespace after a chunk size, and no extension"},
		{CH "5;a\x01\r\n", "HTTP body, byte 3: control byte 0x01 in a chunk extension"},
		{CH "5;a\n", "HTTP body, byte 3: control byte 0x0a in a chunk extension"},
		{CH "5;a\x7f\r\n", "HTTP body, byte 3: control byte 0x7f in a chunk extension"},
		{CH "5\r\nhelloX\r\n", "HTTP body, byte 8: no CRLF after a chunk's data: longer than "
				       "its size?"},
		{CH "5\r\nhello\n0\r\n\r\n", "HTTP body, byte 8: no CRLF after a chunk's data: longer "
					     "than its size?"},
		{CH "5\r\nhello\rX", "HTTP body, byte 9: a CR without LF after a chunk's data"},
		{CH "0\r\n\rX", "HTTP body, byte 4: a CR without LF at the end of the chunked body"},
		{CH "0\r\n\n", "HTTP body, byte 3: a trailer field name holds \\x0a"},
		{CH "0\r\n X: y\r\n\r\n", "HTTP body, byte 3: a trailer line that starts with "
					  "whitespace (obs-fold) is refused"},
		{CH "0\r\nX y: z\r\n\r\n", "HTTP body, byte 4: a trailer field name holds  "},
		{CH "0\r\nX\r\n\r\n", "HTTP body, byte 4: a trailer field name holds \\x0d"},
		{CH "0\r\n:y\r\n\r\n", "HTTP body, byte 3: a trailer field name holds :"},
		{CH "0\r\nX: a\x01\r\n\r\n", "HTTP body, byte 7: control byte 0x01 in a trailer field"},
		{CH "0\r\nX: a\n\r\n", "HTTP body, byte 7: control byte 0x0a in a trailer field"},
		{CH "0\r\nX: a\rb\r\n", "HTTP body, byte 8: a CR without LF in a trailer field"},
		{CH "5\r\nhel", "HTTP body, byte 6: the connection closed inside the chunked body, "
				"after 3 bytes of data"},
		{CH "5\r\nhello\r\n", "HTTP body, byte 10: the connection closed inside the chunked "
				      "body, after 5 bytes of data"},
		{CH "5\r\nhello\r\n0\r\n", "HTTP body, byte 13: the connection closed inside the "
					   "chunked body, after 5 bytes of data"},
		{CH "0\r\n\r", "HTTP body, byte 4: the connection closed inside the chunked body, "
			       "after 0 bytes of data"},
		{CH, "HTTP body, byte 0: the connection closed inside the chunked body, after 0 "
		     "bytes of data"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const struct run *o = stream(t[i].in, strlen(t[i].in), -1);

		CHECK(o->head == EG_HTTP_DONE && o->body == EG_HTTP_ERROR, "refused, any cut: %s",
		      t[i].why);
		CHECK_STR(o->berr, t[i].why, "  its reason (%zu)", i);
	}
	static const char nul[] = CH "5;\0\r\nhello\r\n0\r\n\r\n";
	const struct run *o = stream(nul, sizeof nul - 1, -1);
	CHECK_STR(o->berr, "HTTP body, byte 2: control byte 0x00 in a chunk extension",
		  "a NUL in an extension");
}

/* ---- the request ---- */

static void requests(void)
{
	char out[EG_HTTP_REQUEST_MAX];
	size_t len = 99;
	const char *why;

	why = eg_http_request(out, sizeof out, &len, "192.0.2.7", "/recovery/manifest", 0);
	CHECK(why == NULL, "a request");
	CHECK_STR(out,
		  "GET /recovery/manifest HTTP/1.1\r\n"
		  "Host: 192.0.2.7\r\n"
		  "Accept-Encoding: identity\r\n"
		  "Connection: close\r\n"
		  "User-Agent: earlyguard/" EG_VERSION "\r\n"
		  "\r\n",
		  "  its bytes");
	CHECK_INT(len, strlen(out), "  its length");
	why = eg_http_request(out, sizeof out, &len, "[2001:db8::7]:8080", "/r/vmlinuz",
			      9223372036854775807LL);
	CHECK(why == NULL, "a request with Range");
	CHECK_STR(out,
		  "GET /r/vmlinuz HTTP/1.1\r\n"
		  "Host: [2001:db8::7]:8080\r\n"
		  "Range: bytes=9223372036854775807-\r\n"
		  "Accept-Encoding: identity\r\n"
		  "Connection: close\r\n"
		  "User-Agent: earlyguard/" EG_VERSION "\r\n"
		  "\r\n",
		  "  its bytes");
	CHECK(eg_http_request(out, sizeof out, &len, "kg.example_1-a:80",
			      "/a-b._~!$&'()*+,;=:@/x%20y%2F?q=1&r=/s?", 1) == NULL,
	      "every byte a path and query may hold");

	static const struct {
		const char *host, *path;
		int64_t from;
		const char *why;
	} t[] = {
		{"", "/", 0, "no host"},
		{"a b", "/", 0, "the host may hold only letters, digits and . - _ : [ ]"},
		{"a\r\nX-Evil: 1", "/", 0, "the host may hold only letters, digits and . - _ : [ ]"},
		{"user@host", "/", 0, "the host may hold only letters, digits and . - _ : [ ]"},
		{"host/x", "/", 0, "the host may hold only letters, digits and . - _ : [ ]"},
		{"h\xc3\xa9", "/", 0, "the host may hold only letters, digits and . - _ : [ ]"},
		{"h", "", 0, "the path does not start with /"},
		{"h", "x/y", 0, "the path does not start with /"},
		{"h", "http://h/x", 0, "the path does not start with /"},
		{"h", "*", 0, "the path does not start with /"},
		{"h", "/a b", 0, NULL},
		{"h", "/a\r\nHost: evil", 0, NULL},
		{"h", "/a\n", 0, NULL},
		{"h", "/a\t", 0, NULL},
		{"h", "/a\x7f", 0, NULL},
		{"h", "/caf\xc3\xa9", 0, NULL},
		{"h", "/a#frag", 0, NULL},
		{"h", "/a\"", 0, NULL},
		{"h", "/a<b>", 0, NULL},
		{"h", "/a\\b", 0, NULL},
		{"h", "/a^b", 0, NULL},
		{"h", "/a`b", 0, NULL},
		{"h", "/a{b}", 0, NULL},
		{"h", "/a|b", 0, NULL},
		{"h", "/a[0]", 0, NULL},
		{"h", "/a%", 0, NULL},
		{"h", "/a%2", 0, NULL},
		{"h", "/a%zz", 0, NULL},
		{"h", "/a%2g", 0, NULL},
		{"h", "/", -1, "a range cannot start before byte 0"},
	};
	static const char bad_path[] = "the path holds a byte a URI may not: a space, a control "
				       "byte, one of \"#<>[\\]^`{|} or a % not before two hex digits";
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		len = 99;
		memcpy(out, "junk", 5);
		why = eg_http_request(out, sizeof out, &len, t[i].host, t[i].path, t[i].from);
		CHECK_STR(why ? why : "(ok)", t[i].why ? t[i].why : bad_path, "refused (%zu): %s", i,
			  t[i].why ? t[i].why : "a bad path");
		CHECK(len == 0 && out[0] == '\0', "  nothing written (%zu)", i);
	}

	/* the buffer */
	size_t need;
	eg_http_request(out, sizeof out, &need, "h", "/x", 5);
	why = eg_http_request(out, need + 1, &len, "h", "/x", 5);
	CHECK(why == NULL && len == need, "a request fits in %zu bytes", need + 1);
	why = eg_http_request(out, need, &len, "h", "/x", 5);
	CHECK_STR(why ? why : "(ok)", "the request is longer than its buffer",
		  "...and not in %zu", need);
	CHECK(len == 0 && out[0] == '\0', "  nothing written");
	static char path[EG_HTTP_REQUEST_MAX];
	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	why = eg_http_request(out, sizeof out, &len, "h", path, 0);
	CHECK_STR(why ? why : "(ok)", "the request is longer than its buffer", "a long path");
}

void test_http(void)
{
	heads();
	head_errors();
	accepts();
	bodies();
	body_errors();
	requests();
}
