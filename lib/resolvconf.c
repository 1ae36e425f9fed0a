/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "resolvconf.h"
#include "xalloc.h"

struct words {
	char **v;
	size_t n, cap;
};

static void words_add(struct words *w, const char *s, size_t len)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		w->v = xreallocarray(w->v, w->cap, sizeof(*w->v));
	}
	w->v[w->n++] = xstrndup(s, len);
}

static void words_clear(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next word of p[0..end): its start in *w and length, or 0 at the end. */
static size_t next_word(const char **p, const char *end, const char **w)
{
	const char *s = *p;
	while (s < end && is_blank(*s))
		s++;
	const char *e = s;
	while (e < end && !is_blank(*e))
		e++;
	*w = s;
	*p = e;
	return (size_t)(e - s);
}

static int word_is(const char *w, size_t len, const char *kw)
{
	return len == strlen(kw) && !memcmp(w, kw, len);
}

size_t resolvconf_parse(const char *buf, size_t len, struct resolvconf *rc)
{
	struct words ns = { 0 }, search = { 0 }, opts = { 0 };
	size_t cap = 0;
	unsigned lineno = 0;

	memset(rc, 0, sizeof(*rc));
	for (size_t off = 0; off < len;) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - line) : len - off;
		const char *end = line + llen, *p = line, *w;

		if (rc->nlines == cap) {
			cap = cap ? cap * 2 : 16;
			rc->lines = xreallocarray(rc->lines, cap, sizeof(*rc->lines));
		}
		struct resolvconf_line *l = &rc->lines[rc->nlines++];
		l->lineno = ++lineno;
		l->off = off;
		l->len = llen;
		l->why = NULL;
		off += llen + (nl ? 1 : 0);

		size_t wl = next_word(&p, end, &w);
		if (!wl)
			l->kind = RESOLVCONF_BLANK;
		else if (*w == '#' || *w == ';')
			l->kind = RESOLVCONF_COMMENT;
		else if (word_is(w, wl, "nameserver"))
			l->kind = RESOLVCONF_NAMESERVER;
		else if (word_is(w, wl, "search"))
			l->kind = RESOLVCONF_SEARCH;
		else if (word_is(w, wl, "domain"))
			l->kind = RESOLVCONF_DOMAIN;
		else if (word_is(w, wl, "options"))
			l->kind = RESOLVCONF_OPTIONS;
		else
			l->kind = RESOLVCONF_OTHER;
		/* a NUL byte: what the C library sees of the line is not what is there */
		if (memchr(line, '\0', llen)) {
			l->why = "a NUL byte";
			rc->nmalformed++;
			continue;
		}
		const char *rest = p;
		switch (l->kind) {
		case RESOLVCONF_NAMESERVER:
			if (!(wl = next_word(&p, end, &w))) {
				l->why = "nameserver without an address";
				break;
			}
			words_add(&ns, w, wl); /* later words are ignored, as by the C library */
			break;
		case RESOLVCONF_SEARCH:
		case RESOLVCONF_DOMAIN:
			if (!next_word(&p, end, &w)) {
				l->why = l->kind == RESOLVCONF_SEARCH ? "search without a domain"
								      : "domain without a name";
				break;
			}
			words_clear(&search);
			for (p = rest; (wl = next_word(&p, end, &w));) {
				words_add(&search, w, wl);
				if (l->kind == RESOLVCONF_DOMAIN)
					break;
			}
			break;
		case RESOLVCONF_OPTIONS:
			while ((wl = next_word(&p, end, &w)))
				words_add(&opts, w, wl);
			break;
		default:
			break;
		}
		if (l->why)
			rc->nmalformed++;
	}
	rc->nameservers = ns.v;
	rc->nnameservers = ns.n;
	rc->search = search.v;
	rc->nsearch = search.n;
	rc->options = opts.v;
	rc->noptions = opts.n;
	return rc->nmalformed;
}

void resolvconf_free(struct resolvconf *rc)
{
	struct words w[] = { { rc->nameservers, rc->nnameservers, 0 },
			     { rc->search, rc->nsearch, 0 },
			     { rc->options, rc->noptions, 0 } };
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		words_clear(&w[i]);
		free(w[i].v);
	}
	free(rc->lines);
	memset(rc, 0, sizeof(*rc));
}
