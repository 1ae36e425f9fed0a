/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "httpmini.h"

enum {
	ST_STATUS,
	ST_HEADERS,
	ST_BODY_LENGTH,
	ST_BODY_CLOSE,
	ST_CHUNK_SIZE,
	ST_CHUNK_DATA,
	ST_CHUNK_CRLF,
	ST_TRAILERS,
	ST_DONE,
};

static int clean_token(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int http_format_get(char *buf, size_t size, const char *host_header, const char *path,
		    const char *user_agent)
{
	if (!*host_header || !clean_token(host_header) || path[0] != '/' || !clean_token(path))
		return -EINVAL;
	for (const char *u = user_agent; *u; u++)
		if ((unsigned char)*u < ' ' || (unsigned char)*u >= 0x7f)
			return -EINVAL;
	int n = snprintf(buf, size,
			 "GET %s HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "User-Agent: %s\r\n"
			 "Accept: */*\r\n"
			 "Connection: close\r\n"
			 "\r\n",
			 path, host_header, user_agent);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

void http_response_init(struct http_response *r, int head)
{
	memset(r, 0, sizeof(*r));
	r->state = ST_STATUS;
	r->head = head;
}

int http_response_started(const struct http_response *r)
{
	return r->state != ST_STATUS && r->status >= 200;
}

/* Status line: "HTTP/1.x SSS reason". */
static int parse_status(struct http_response *r, const char *l, size_t n)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || !isdigit((unsigned char)l[7]) || l[8] != ' ')
		return -EPROTO;
	for (int i = 9; i < 12; i++)
		if (!isdigit((unsigned char)l[i]))
			return -EPROTO;
	if (n > 12 && l[12] != ' ')
		return -EPROTO;
	r->minor = l[7] - '0';
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (r->status < 100)
		return -EPROTO;
	r->keep_alive = r->minor >= 1;
	r->have_length = 0;
	r->content_length = 0;
	r->body = HTTP_BODY_CLOSE;
	return 0;
}

static int parse_u64_dec(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n)
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EPROTO;
		if (x > (UINT64_MAX - 9) / 10)
			return -EPROTO;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* 1 if the comma-separated list value (of n bytes) has token as its last element. */
static int last_token_is(const char *v, size_t n, const char *token)
{
	const char *comma = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ',')
			comma = v + i;
	const char *s = comma ? comma + 1 : v, *e = v + n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s) == strlen(token) && !strncasecmp(s, token, (size_t)(e - s));
}

static int has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);
	const char *s = v, *e = v + n;
	while (s < e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		const char *te = comma ? comma : e;
		while (s < te && (*s == ' ' || *s == '\t'))
			s++;
		const char *t2 = te;
		while (t2 > s && (t2[-1] == ' ' || t2[-1] == '\t'))
			t2--;
		if ((size_t)(t2 - s) == tl && !strncasecmp(s, token, tl))
			return 1;
		s = comma ? comma + 1 : e;
	}
	return 0;
}

static int parse_header(struct http_response *r, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	if (l[0] == ' ' || l[0] == '\t')
		return 0; /* obsolete line folding: nothing we use continues */
	if (!colon || colon == l)
		return -EPROTO;
	for (const char *c = l; c < colon; c++)
		if (*c == ' ' || *c == '\t')
			return -EPROTO; /* no blanks in a field name (RFC 9112 5.1) */
	size_t klen = (size_t)(colon - l);
	const char *v = colon + 1, *e = l + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	size_t vlen = (size_t)(e - v);

	if (klen == 14 && !strncasecmp(l, "Content-Length", 14)) {
		uint64_t len;
		if (parse_u64_dec(v, vlen, &len))
			return -EPROTO;
		if (r->have_length && len != r->content_length)
			return -EPROTO; /* conflicting lengths: request smuggling territory */
		r->have_length = 1;
		r->content_length = len;
	} else if (klen == 17 && !strncasecmp(l, "Transfer-Encoding", 17)) {
		if (last_token_is(v, vlen, "chunked"))
			r->body = HTTP_BODY_CHUNKED;
		else if (has_token(v, vlen, "chunked"))
			return -EPROTO; /* chunked must be the final coding */
	} else if (klen == 10 && !strncasecmp(l, "Connection", 10)) {
		if (has_token(v, vlen, "close"))
			r->keep_alive = 0;
		else if (has_token(v, vlen, "keep-alive"))
			r->keep_alive = 1;
	}
	return 0;
}

/* All headers are in: decide how the body ends. Returns 1 if there is none. */
static int headers_done(struct http_response *r)
{
	if (r->status < 200) {
		/* interim response: the real one follows */
		r->state = ST_STATUS;
		return 0;
	}
	if (r->head || r->status == 204 || r->status == 304) {
		r->body = HTTP_BODY_NONE;
		r->state = ST_DONE;
		return 1;
	}
	if (r->body == HTTP_BODY_CHUNKED) {
		r->state = ST_CHUNK_SIZE;
		return 0;
	}
	if (r->have_length) {
		r->body = r->content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
		r->remaining = r->content_length;
		r->state = r->content_length ? ST_BODY_LENGTH : ST_DONE;
		return r->state == ST_DONE;
	}
	r->body = HTTP_BODY_CLOSE;
	r->state = ST_BODY_CLOSE;
	return 0;
}

static int parse_chunk_size(struct http_response *r, const char *l, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < n && isxdigit((unsigned char)l[i]); i++) {
		if (v >> 60)
			return -EPROTO;
		int d = isdigit((unsigned char)l[i]) ? l[i] - '0' : (tolower((unsigned char)l[i]) - 'a' + 10);
		v = v * 16 + (uint64_t)d;
	}
	if (!i)
		return -EPROTO;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < n && l[i] != ';')
		return -EPROTO; /* only chunk extensions may follow */
	r->remaining = v;
	r->state = v ? ST_CHUNK_DATA : ST_TRAILERS;
	return 0;
}

/* One complete line (CR LF or LF stripped) in the current state. */
static int line_done(struct http_response *r, const char *l, size_t n)
{
	switch (r->state) {
	case ST_STATUS:
		if (!n && r->status == 0)
			return 0; /* tolerate a stray empty line before the status */
		if (parse_status(r, l, n))
			return -EPROTO;
		r->state = ST_HEADERS;
		return 0;
	case ST_HEADERS:
		if (!n)
			return headers_done(r);
		return parse_header(r, l, n);
	case ST_CHUNK_SIZE:
		return parse_chunk_size(r, l, n);
	case ST_CHUNK_CRLF:
		if (n)
			return -EPROTO;
		r->state = ST_CHUNK_SIZE;
		return 0;
	case ST_TRAILERS:
		if (!n) {
			r->state = ST_DONE;
			return 1;
		}
		return 0;
	default:
		return -EPROTO;
	}
}

int http_response_feed(struct http_response *r, const char *data, size_t len, size_t *used)
{
	size_t i = 0;
	int rc = 0;

	while (i < len && r->state != ST_DONE) {
		switch (r->state) {
		case ST_BODY_CLOSE:
			r->body_bytes += len - i;
			i = len;
			break;
		case ST_BODY_LENGTH:
		case ST_CHUNK_DATA: {
			uint64_t take = len - i < r->remaining ? len - i : r->remaining;
			r->remaining -= take;
			r->body_bytes += take;
			i += (size_t)take;
			if (!r->remaining) {
				if (r->state == ST_BODY_LENGTH) {
					r->state = ST_DONE;
				} else {
					r->state = ST_CHUNK_CRLF;
				}
			}
			break;
		}
		default: {
			/* line-oriented states */
			const char *nl = memchr(data + i, '\n', len - i);
			size_t take = nl ? (size_t)(nl - (data + i)) : len - i;
			if (r->line_len + take > HTTP_LINE_MAX - 1)
				return -EMSGSIZE;
			if (r->state == ST_STATUS || r->state == ST_HEADERS || r->state == ST_TRAILERS) {
				r->header_bytes += take + (nl ? 1 : 0);
				if (r->header_bytes > HTTP_HEADERS_MAX)
					return -EMSGSIZE;
			}
			memcpy(r->line + r->line_len, data + i, take);
			r->line_len += take;
			i += take;
			if (!nl)
				break;
			i++; /* the '\n' */
			size_t n = r->line_len;
			if (n && r->line[n - 1] == '\r')
				n--;
			if (memchr(r->line, '\0', n))
				return -EPROTO;
			r->line[n] = '\0';
			r->line_len = 0;
			rc = line_done(r, r->line, n);
			if (rc < 0)
				return rc;
			break;
		}
		}
	}
	if (used)
		*used = i;
	return r->state == ST_DONE;
}

int http_response_eof(struct http_response *r)
{
	if (r->state == ST_DONE)
		return 1;
	if (r->state == ST_BODY_CLOSE) {
		r->state = ST_DONE;
		return 1;
	}
	return -EPROTO;
}
