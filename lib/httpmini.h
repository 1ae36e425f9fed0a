/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal HTTP/1.1 client side, without I/O: format a GET request and
 * parse the response incrementally as bytes arrive (status line, headers,
 * then a body delimited by Content-Length, chunked transfer coding or the
 * end of the connection). 1xx interim responses are skipped.
 */
#ifndef TUNEKIT_HTTPMINI_H
#define TUNEKIT_HTTPMINI_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 8192    /* longest status, header or chunk-size line */
#define HTTP_HEADERS_MAX 65536 /* all header bytes of one response */

enum http_body {
	HTTP_BODY_NONE,    /* HEAD, 204, 304, or Content-Length: 0 */
	HTTP_BODY_LENGTH,  /* Content-Length */
	HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
	HTTP_BODY_CLOSE,   /* read until the server closes */
};

struct http_response {
	int status;           /* 100..999 once the status line is in */
	int minor;            /* HTTP/1.x */
	enum http_body body;  /* known once the headers are in */
	uint64_t content_length;
	uint64_t body_bytes;  /* body bytes seen (chunk framing excluded) */
	int keep_alive;       /* the server did not ask to close */
	/* parser state */
	int state;
	int head;             /* the request was HEAD: no body */
	int have_length;
	uint64_t remaining;
	size_t header_bytes;
	size_t line_len;
	char line[HTTP_LINE_MAX];
};

/*
 * Format "GET path HTTP/1.1" with Host, User-Agent, Accept and
 * "Connection: close" into buf. host_header is "name", "name:port" or
 * "[v6]:port". Returns the length, or -ENOSPC when it does not fit, -EINVAL
 * when path or host contain blanks or control characters.
 */
int http_format_get(char *buf, size_t size, const char *host_header, const char *path,
		    const char *user_agent);

/* Start parsing a response; head: the request was HEAD. */
void http_response_init(struct http_response *r, int head);

/*
 * Feed len bytes. *used gets how many were consumed (less than len only
 * when the response is complete). Returns 1 when the response is complete,
 * 0 when more bytes are needed, -EPROTO on a malformed response,
 * -EMSGSIZE when a line or the headers are too long.
 */
int http_response_feed(struct http_response *r, const char *data, size_t len, size_t *used);

/*
 * The server closed the connection. Returns 1 when that completes the
 * response (close-delimited body), -EPROTO when it was cut short.
 */
int http_response_eof(struct http_response *r);

/* 1 once the status line of the final (non-1xx) response is parsed. */
int http_response_started(const struct http_response *r);

#endif
