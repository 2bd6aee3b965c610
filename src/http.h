/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTP/1.1 for `earlyguard fetch`, without the sockets: the request it
 * sends, the response head it reads, and the body's framing (a
 * Content-Length, chunked, or up to the close).  Everything that comes from
 * the server is parsed incrementally, so bytes may arrive in pieces of any
 * size, and the pieces never change the result: the fuzzer checks that a
 * response fed whole and fed in pieces gives the same answer, byte for byte.
 *
 * Strict where RFC 9112 lets a recipient choose, because the server is the
 * operator's own and a clear refusal beats a guess: lines end in CRLF (a
 * bare LF or CR is an error), obs-fold is refused, Transfer-Encoding may
 * only be "chunked", a response with both Transfer-Encoding and
 * Content-Length is refused, so is any Content-Encoding but identity.
 * Interim 1xx responses (100, 102, 103) are skipped; 101 is refused.
 * Redirects are never followed: Location is kept only to say which
 * redirect was refused.
 *
 * Sizes are int64_t (an off_t), -1 where absent.  Pure: no I/O, no malloc;
 * the caller owns every struct.  A step that fails says why in the
 * struct's err, naming the header line or the body offset.
 */
#ifndef EG_HTTP_H
#define EG_HTTP_H

#include "eg.h"

#define EG_HTTP_HEAD_MAX 4096      /* a response head, interim 1xx heads included */
#define EG_HTTP_CHUNK_LINE_MAX 256 /* a chunk-size line, extensions included, CRLF not */
#define EG_HTTP_TRAILER_MAX 1024   /* all trailer fields of a chunked body */
#define EG_HTTP_REASON_MAX 64      /* what is kept of the reason phrase, to report */
#define EG_HTTP_LOCATION_MAX 160   /* what is kept of a Location, to report */
#define EG_HTTP_ERR 256            /* one reason */
#define EG_HTTP_REQUEST_MAX 1024   /* a formatted request */
#define EG_HTTP_USER_AGENT "earlyguard/" EG_VERSION

/* What a feed step returns. */
enum eg_http_ret { EG_HTTP_ERROR = -1, EG_HTTP_MORE = 0, EG_HTTP_DONE = 1 };

/* How the body is delimited (RFC 9112 section 6.3, for a GET). */
enum eg_http_framing {
	EG_HTTP_NO_BODY, /* 204, 304 */
	EG_HTTP_LENGTH,  /* Content-Length */
	EG_HTTP_CHUNKED, /* Transfer-Encoding: chunked */
	EG_HTTP_TO_CLOSE /* neither: the body ends when the server closes */
};

struct eg_http_resp {
	/* the final response's head, once eg_http_head_feed returned DONE */
	int minor;                          /* HTTP/1.minor */
	int status;                         /* 200 to 599 */
	char reason[EG_HTTP_REASON_MAX];    /* printable, possibly cut short */
	enum eg_http_framing framing;
	int64_t length;                     /* Content-Length, or -1 */
	bool chunked;                       /* Transfer-Encoding: chunked */
	bool close;                         /* Connection: close */
	bool has_range;                     /* a Content-Range: */
	int64_t range_first, range_last;    /* bytes FIRST-LAST/..., or -1 when unsatisfied */
	int64_t range_total;                /* .../TOTAL, or -1 when the server left it out */
	char location[EG_HTTP_LOCATION_MAX]; /* printable, possibly cut short; "" if none */
	/* the parser's own */
	int state;                    /* enum eg_http_ret: MORE until done or failed */
	size_t total;                 /* head bytes so far */
	unsigned line;                /* lines of this head so far */
	size_t len;                   /* bytes of the current line */
	char buf[EG_HTTP_HEAD_MAX];   /* the current line */
	char err[EG_HTTP_ERR];
};

void eg_http_head_init(struct eg_http_resp *r);
/* Feed len bytes of the response.  *used is how many were the head's;
 * when DONE, the bytes after them are the body's.  MORE: all were used
 * and the head goes on.  ERROR: why in r->err.  Once DONE or ERROR it
 * stays so and uses no more bytes. */
int eg_http_head_feed(struct eg_http_resp *r, const char *in, size_t len, size_t *used);

/* Is this response what a GET for bytes from- of an artifact of size bytes
 * (size -1: unknown; from 0: no Range was sent) should get?  200: the
 * whole artifact, *start 0 (a server that ignores Range sends it all
 * again).  206: the range from- to the end, *start from, with a
 * Content-Range that says so.  NULL, or why not in r->err: a redirect
 * (never followed), a refused range, any other status, sizes that
 * disagree. */
const char *eg_http_accept(struct eg_http_resp *r, int64_t from, int64_t size, int64_t *start);

/* The body decoder. */
struct eg_http_body {
	enum eg_http_framing framing;
	int state;     /* enum eg_http_ret */
	int64_t limit; /* the most body bytes accepted, or -1 */
	int64_t total; /* body bytes out so far */
	int64_t pos;   /* body bytes in so far (chunked: the framing too) */
	int64_t left;  /* bytes due: of the body (LENGTH), of this chunk (CHUNKED) */
	int chunk;     /* chunked: where in the grammar (http.c) */
	size_t n;      /* chunked: bytes of the size line, or of the trailers */
	char err[EG_HTTP_ERR];
};

/* Get ready for the body of r (its head is DONE).  limit: the most body
 * bytes to accept (-1: any); a Content-Length over it is refused here, a
 * longer chunked or to-close body when it gets there.  NULL, or why not. */
const char *eg_http_body_init(struct eg_http_body *b, const struct eg_http_resp *r,
			      int64_t limit);
/* Feed len bytes that follow the head.  The body bytes among them go to
 * out, which has room for len bytes and may be in itself (decoding in
 * place); *out_len says how many.  *used is how many of in were the
 * body's: fewer than len only when DONE (the bytes after the body are not
 * this response's).  MORE, DONE or ERROR (why in b->err); DONE and ERROR
 * stick. */
int eg_http_body_feed(struct eg_http_body *b, const char *in, size_t len, char *out,
		      size_t *out_len, size_t *used);
/* The connection closed: DONE if the body was complete (a to-close body
 * is complete now), else ERROR with why. */
int eg_http_body_eof(struct eg_http_body *b);

/* The request: GET path HTTP/1.1, Host, Range: bytes=from- when from > 0,
 * Accept-Encoding: identity, Connection: close, User-Agent, into
 * out[size]; *len its length (it holds no NUL, but is NUL-terminated).
 * host is the Host header's value, host[:port] ([v6]:port): letters,
 * digits and . - _ : [ ] only.  path starts with '/' and holds only what a
 * URI path and query may (RFC 3986: no space, no control byte, no '#',
 * '%' only before two hex digits).  NULL, or why not (a static string). */
const char *eg_http_request(char *out, size_t size, size_t *len, const char *host,
			    const char *path, int64_t from);

#endif
