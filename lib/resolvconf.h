/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resolv.conf(5) parsing: pure, over a buffer (no I/O), linear in time and
 * memory, fuzzed. nameserver, search, domain and options are understood;
 * comments (# or ;), blank lines and other keywords (sortlist...) are kept
 * as lines. A malformed line (a NUL byte, a keyword without its value) is
 * ignored and recorded with its number; parsing goes on with the next line.
 */
#ifndef TUNEKIT_RESOLVCONF_H
#define TUNEKIT_RESOLVCONF_H

#include <stddef.h>

enum resolvconf_kind {
	RESOLVCONF_BLANK,
	RESOLVCONF_COMMENT,
	RESOLVCONF_NAMESERVER,
	RESOLVCONF_SEARCH,
	RESOLVCONF_DOMAIN,
	RESOLVCONF_OPTIONS,
	RESOLVCONF_OTHER,      /* a keyword this parser does not use */
};

struct resolvconf_line {
	unsigned lineno;            /* 1-based */
	size_t off, len;            /* the line's bytes in the buffer, without '\n' */
	enum resolvconf_kind kind;  /* by its first word, malformed or not */
	const char *why;            /* NULL, or why the line is malformed (ignored) */
};

struct resolvconf {
	char **nameservers;         /* first word after each nameserver, in order */
	size_t nnameservers;
	char **search;              /* the last search or domain line wins */
	size_t nsearch;
	char **options;             /* every word of every options line, in order */
	size_t noptions;
	struct resolvconf_line *lines; /* every line, in order */
	size_t nlines;
	size_t nmalformed;          /* lines with why set */
};

/* Parse len bytes of buf (NUL bytes included) into rc. Returns rc->nmalformed. */
size_t resolvconf_parse(const char *buf, size_t len, struct resolvconf *rc);
void resolvconf_free(struct resolvconf *rc);

#endif
