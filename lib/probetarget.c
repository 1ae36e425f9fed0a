/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probetarget.h"
#include "xalloc.h"

static int is_name_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Inside brackets or bare: hex digits, ':', '.' (v4-mapped tail), %zone. */
static int valid_v6(const char *s, size_t len)
{
	size_t colons = 0, i = 0;
	for (; i < len && s[i] != '%'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			colons++;
		else if (!isxdigit(c) && c != '.')
			return 0;
	}
	if (colons < 2)
		return 0;
	if (i < len) { /* zone: an interface name or index */
		if (++i == len)
			return 0;
		for (; i < len; i++)
			if (!is_name_char((unsigned char)s[i]))
				return 0;
	}
	return 1;
}

static int valid_name(const char *s, size_t len, const char **why)
{
	if (!len) {
		*why = "empty host";
		return 0;
	}
	if (len > PROBE_HOST_MAX) {
		*why = "host name longer than 253 characters";
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_name_char((unsigned char)s[i])) {
			*why = "invalid character in host";
			return 0;
		}
	if (s[0] == '-' || s[0] == '.') {
		*why = "host starts with '-' or '.'";
		return 0;
	}
	return 1;
}

static int parse_port(const char *s, size_t len, unsigned *port, const char **why)
{
	unsigned v = 0;
	if (!len) {
		*why = "empty port";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "port is not a number";
			return -EINVAL;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 65535) {
			*why = "port out of range 1-65535";
			return -EINVAL;
		}
	}
	if (!v) {
		*why = "port out of range 1-65535";
		return -EINVAL;
	}
	*port = v;
	return 0;
}

/* host or host:port or [v6] or [v6]:port or bare v6 in s[0..len) */
static int parse_authority(const char *s, size_t len, char **host, unsigned *port, const char **why)
{
	const char *h = s, *p = NULL;
	size_t hlen = len, plen = 0;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close) {
			*why = "missing ']' after IPv6 address";
			return -EINVAL;
		}
		h = s + 1;
		hlen = (size_t)(close - h);
		if (!valid_v6(h, hlen)) {
			*why = "invalid IPv6 address in brackets";
			return -EINVAL;
		}
		size_t rest = len - (size_t)(close + 1 - s);
		if (rest) {
			if (close[1] != ':') {
				*why = "junk after ']'";
				return -EINVAL;
			}
			p = close + 2;
			plen = rest - 1;
		}
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
			/* two or more colons: a bare IPv6 address, no port */
			if (!valid_v6(s, len)) {
				*why = "invalid IPv6 address (write [ADDR]:PORT for a port)";
				return -EINVAL;
			}
		} else if (colon) {
			hlen = (size_t)(colon - s);
			p = colon + 1;
			plen = len - hlen - 1;
		}
		if (hlen == len && colon) {
			/* bare IPv6 validated above */
		} else if (!valid_name(h, hlen, why)) {
			return -EINVAL;
		}
	}
	*port = 0;
	if (p && parse_port(p, plen, port, why))
		return -EINVAL;
	*host = xstrndup(h, hlen);
	return 0;
}

int probe_target_parse(const char *s, size_t len, struct probe_target *t, const char **why)
{
	char *host = NULL;
	unsigned port = 0;
	size_t hl = 0;
	int tls = 0;

	if (!len) {
		*why = "empty target";
		return -EINVAL;
	}
	if (len > PROBE_TARGET_MAX) {
		*why = "target longer than 1024 characters";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f) {
			*why = "blank, control or non-ASCII character in target";
			return -EINVAL;
		}
	}

	if (len >= 8 && !strncasecmp(s, "https://", 8)) {
		hl = 8;
		tls = 1;
	} else if (len >= 7 && !strncasecmp(s, "http://", 7)) {
		hl = 7;
	}
	if (hl) {
		const char *a = s + hl, *end = s + len;
		const char *slash = a;
		while (slash < end && *slash != '/' && *slash != '?' && *slash != '#')
			slash++;
		if (memchr(a, '@', (size_t)(slash - a))) {
			*why = "user information in URLs is not supported";
			return -EINVAL;
		}
		if (parse_authority(a, (size_t)(slash - a), &host, &port, why))
			return -EINVAL;
		/* the fragment never goes on the wire */
		const char *frag = memchr(slash, '#', (size_t)(end - slash));
		if (frag)
			end = frag;
		t->spec = xstrndup(s, len);
		t->host = host;
		t->port = port ? port : tls ? 443 : 80;
		t->http = 1;
		t->tls = tls;
		if (slash == end || *slash != '/')
			t->path = xasprintf("/%.*s", (int)(end - slash), slash);
		else
			t->path = xstrndup(slash, (size_t)(end - slash));
		t->line = 0;
		return 0;
	}
	if (memmem(s, len, "://", 3)) {
		*why = "unknown URL scheme (only http:// and https:// are supported)";
		return -EINVAL;
	}
	if (parse_authority(s, len, &host, &port, why))
		return -EINVAL;
	t->spec = xstrndup(s, len);
	t->host = host;
	t->port = port;
	t->http = 0;
	t->tls = 0;
	t->path = NULL;
	t->line = 0;
	return 0;
}

void probe_target_free(struct probe_target *t)
{
	free(t->spec);
	free(t->host);
	free(t->path);
	t->spec = t->host = t->path = NULL;
}

void probe_target_list_add(struct probe_target_list *list, const struct probe_target *t)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
	}
	struct probe_target *c = &list->v[list->n++];
	c->spec = xstrdup(t->spec);
	c->host = xstrdup(t->host);
	c->path = t->path ? xstrdup(t->path) : NULL;
	c->port = t->port;
	c->http = t->http;
	c->tls = t->tls;
	c->line = t->line;
}

void probe_target_list_free(struct probe_target_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		probe_target_free(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int probe_targets_parse_buffer(const char *buf, size_t len, struct probe_target_list *list,
			       unsigned *line, const char **why)
{
	size_t first = list->n;
	unsigned lineno = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p))) {
			*why = "NUL byte in line";
			goto bad;
		}
		if ((size_t)(eol - p) > PROBE_TARGET_MAX) {
			*why = "line longer than 1024 characters";
			goto bad;
		}
		const char *s = p, *e = eol;
		while (s < e && is_blank(*s))
			s++;
		/* a comment starts a line or follows a blank */
		for (const char *c = s; c < e; c++)
			if (*c == '#' && (c == s || is_blank(c[-1]))) {
				e = c;
				break;
			}
		while (e > s && is_blank(e[-1]))
			e--;
		if (s < e) {
			for (const char *c = s; c < e; c++)
				if (is_blank(*c)) {
					*why = "more than one target on the line";
					goto bad;
				}
			struct probe_target t;
			if (probe_target_parse(s, (size_t)(e - s), &t, why))
				goto bad;
			t.line = lineno;
			probe_target_list_add(list, &t);
			probe_target_free(&t);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
bad:
	*line = lineno;
	while (list->n > first)
		probe_target_free(&list->v[--list->n]);
	return -EINVAL;
}
