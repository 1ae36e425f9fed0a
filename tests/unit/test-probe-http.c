/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The minimal HTTP/1.1 client: request format and response framing. */
#include "config.h"

#include <errno.h>

#include "c.h"
#include "httpmini.h"
#include "tap.h"

static struct http_response r;

/* Feed text in pieces of step bytes; returns the last feed result. */
static int feed(const char *text, size_t step, size_t *used_total)
{
	size_t len = strlen(text), off = 0;
	int rc = 0;
	http_response_init(&r, 0);
	*used_total = 0;
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used = 0;
		rc = http_response_feed(&r, text + off, n, &used);
		*used_total += used;
		if (rc)
			break;
		off += n;
	}
	return rc;
}

static void complete(const char *name, const char *text, int status, unsigned long long body, size_t trailing)
{
	static const size_t steps[] = { 1, 3, 7, 4096 };
	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		size_t used;
		int rc = feed(text, steps[s], &used);
		ok(rc == 1 && r.status == status && r.body_bytes == body && used == strlen(text) - trailing,
		   "%s, %zu-byte pieces: done, status %d, %llu body bytes (rc %d status %d body %llu used %zu)", name,
		   steps[s], status, body, rc, r.status, (unsigned long long)r.body_bytes, used);
	}
}

static void malformed(const char *name, const char *text, int want)
{
	size_t used;
	int rc = feed(text, 4096, &used);
	is_int(rc, want, "%s rejected", name);
}

int main(void)
{
	char buf[512];
	int n = http_format_get(buf, sizeof(buf), "127.0.0.2:8000", "/x?y=1", "t/1");
	is_str(buf,
	       "GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.2:8000\r\nUser-Agent: t/1\r\nAccept: */*\r\n"
	       "Connection: close\r\n\r\n",
	       "GET request with Host and Connection: close");
	is_int(n, (long long)strlen(buf), "length returned");
	is_int(http_format_get(buf, 20, "h", "/", "t"), -ENOSPC, "too small a buffer");
	is_int(http_format_get(buf, sizeof(buf), "h", "/a b", "t"), -EINVAL, "blank in path");
	is_int(http_format_get(buf, sizeof(buf), "h\r\nX: y", "/", "t"), -EINVAL, "CRLF in host (header injection)");
	is_int(http_format_get(buf, sizeof(buf), "h", "x", "t"), -EINVAL, "path without '/'");

	complete("Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, 5, 0);
	complete("Content-Length, bytes of a next response left over",
		 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA", 200, 2, 5);
	complete("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "5\r\nhello\r\na;ext=1\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
		 200, 15, 0);
	complete("chunked overrides Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n"
						     "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		 200, 3, 0);
	complete("bare LF line ends", "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nnop", 404, 3, 0);
	complete("204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 204, 0, 0);
	complete("304 has no body", "HTTP/1.1 304 Not Modified\r\n\r\n", 304, 0, 0);
	complete("Content-Length: 0", "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", 302, 0, 0);
	complete("100 Continue skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\n!",
		 500, 1, 0);
	complete("no reason phrase", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 200, 1, 0);
	complete("duplicate equal Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx",
		 200, 1, 0);

	/* close-delimited: only EOF completes it */
	size_t used;
	int rc = feed("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody bytes", 4096, &used);
	ok(rc == 0 && r.body == HTTP_BODY_CLOSE && r.body_bytes == 10, "close-delimited body waits for EOF");
	is_int(http_response_eof(&r), 1, "EOF completes a close-delimited body");
	ok(http_response_started(&r), "response started");

	rc = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 4096, &used);
	ok(rc == 0 && r.body_bytes == 5, "a short body needs more");
	is_int(http_response_eof(&r), -EPROTO, "EOF in a Content-Length body is a truncated response");
	rc = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 4096, &used);
	is_int(http_response_eof(&r), -EPROTO, "EOF inside a chunk is a truncated response");
	rc = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 4096, &used);
	ok(!http_response_started(&r), "after a 100 Continue: final status line not in yet");
	rc = feed("HTTP/1.1 200 OK\r\nContent", 4096, &used);
	ok(http_response_started(&r), "status line in: started");
	is_int(http_response_eof(&r), -EPROTO, "EOF inside the headers");

	/* HEAD: no body whatever the headers say */
	http_response_init(&r, 1);
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	rc = http_response_feed(&r, head, strlen(head), &used);
	is_int(rc, 1, "HEAD response ends after the headers");

	malformed("not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", -EPROTO);
	malformed("HTTP/2 status line", "HTTP/2 200\r\n\r\n", -EPROTO);
	malformed("three-digit status required", "HTTP/1.1 20 OK\r\n\r\n", -EPROTO);
	malformed("status below 100", "HTTP/1.1 099 x\r\n\r\n", -EPROTO);
	malformed("conflicting Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		  -EPROTO);
	malformed("negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EPROTO);
	malformed("Content-Length overflow",
		  "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", -EPROTO);
	malformed("blank in a field name", "HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\n", -EPROTO);
	malformed("header without colon", "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", -EPROTO);
	malformed("chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", -EPROTO);
	malformed("bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", -EPROTO);
	malformed("chunk size overflow",
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", -EPROTO);
	malformed("missing CRLF after chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
		  -EPROTO);

	/* limits */
	static char big[HTTP_LINE_MAX + 64];
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 21);
	big[sizeof(big) - 1] = '\0';
	malformed("header line longer than HTTP_LINE_MAX", big, -EMSGSIZE);
	static char many[HTTP_HEADERS_MAX + 200];
	strcpy(many, "HTTP/1.1 200 OK\r\n");
	while (strlen(many) < HTTP_HEADERS_MAX + 100)
		strcat(many, "X-Padding: 0123456789\r\n");
	malformed("headers longer than HTTP_HEADERS_MAX", many, -EMSGSIZE);

	return done_testing();
}
