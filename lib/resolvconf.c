/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
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

/* ---- ownership ----------------------------------------------------------- */

void resolvconf_link_normalize(const char *target, char *out, size_t len)
{
	size_t tl = strlen(target), bl = tl + sizeof("/etc/");
	char *buf = xmalloc(bl), **parts = xcalloc(tl / 2 + 2, sizeof(*parts));
	size_t np = 0, o = 0;

	snprintf(buf, bl, "%s%s", target[0] == '/' ? "" : "/etc/", target);
	for (char *save = NULL, *p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, "..")) {
			if (np)
				np--;
			continue;
		}
		parts[np++] = p;
	}
	if (!len)
		goto out;
	out[0] = '\0';
	for (size_t i = 0; i < np && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "/%s", parts[i]);
	if (!strncmp(out, "/var/run/", 9))
		memmove(out, out + 4, strlen(out + 4) + 1);
out:
	free(parts);
	free(buf);
}

static const struct {
	const char *target;
	enum resolvconf_owner owner;
} owner_links[] = {
	{ "/run/systemd/resolve/stub-resolv.conf", RESOLVCONF_OWNER_RESOLVED_STUB },
	{ "/run/systemd/resolve/resolv.conf", RESOLVCONF_OWNER_RESOLVED_UPLINK },
	{ "/usr/lib/systemd/resolv.conf", RESOLVCONF_OWNER_RESOLVED_STATIC },
	{ "/lib/systemd/resolv.conf", RESOLVCONF_OWNER_RESOLVED_STATIC },
	{ "/run/NetworkManager/resolv.conf", RESOLVCONF_OWNER_NETWORKMANAGER },
	{ "/run/NetworkManager/no-stub-resolv.conf", RESOLVCONF_OWNER_NETWORKMANAGER },
	{ "/run/resolvconf/resolv.conf", RESOLVCONF_OWNER_RESOLVCONF },
	{ "/etc/resolvconf/run/resolv.conf", RESOLVCONF_OWNER_RESOLVCONF },
};

/* The first marker found wins, in this order. */
static const struct {
	const char *text;
	enum resolvconf_owner owner;
	const char *why;
} owner_markers[] = {
	{ "# Generated by NetworkManager", RESOLVCONF_OWNER_NETWORKMANAGER,
	  "its header says \"# Generated by NetworkManager\"" },
	{ "generated by resolvconf", RESOLVCONF_OWNER_RESOLVCONF,
	  "its header says \"generated by resolvconf\"" },
	{ "managed by man:systemd-resolved", RESOLVCONF_OWNER_RESOLVED_FILE,
	  "its header says \"managed by man:systemd-resolved\"" },
};

enum resolvconf_owner resolvconf_owner_of(const struct resolvconf_seen *seen, char *link, size_t len,
					  const char **why)
{
	const char *because = "a regular file without a known header";
	enum resolvconf_owner o = RESOLVCONF_OWNER_PLAIN;

	if (len)
		link[0] = '\0';
	if (!seen->exists) {
		o = RESOLVCONF_OWNER_MISSING;
		because = "no such file";
	} else if (seen->link) {
		/* room for the whole name: the decision never depends on len */
		size_t alen = strlen(seen->link) + sizeof("/etc/");
		char *abs = xmalloc(alen);
		resolvconf_link_normalize(seen->link, abs, alen);
		o = RESOLVCONF_OWNER_UNKNOWN_LINK;
		because = "a symlink to a file no known manager writes";
		for (size_t i = 0; i < sizeof(owner_links) / sizeof(owner_links[0]); i++)
			if (!strcmp(abs, owner_links[i].target)) {
				o = owner_links[i].owner;
				because = "a symlink to the manager's file";
			}
		if (len)
			snprintf(link, len, "%s", abs);
		free(abs);
	} else if (seen->data) {
		/* memmem: a NUL byte must not hide a marker behind it */
		for (size_t i = 0; i < sizeof(owner_markers) / sizeof(owner_markers[0]); i++)
			if (memmem(seen->data, seen->len, owner_markers[i].text,
				   strlen(owner_markers[i].text))) {
				o = owner_markers[i].owner;
				because = owner_markers[i].why;
				break;
			}
	} else {
		because = "not a readable regular file";
	}
	if (why)
		*why = because;
	return o;
}

const char *resolvconf_owner_text(enum resolvconf_owner o)
{
	switch (o) {
	case RESOLVCONF_OWNER_MISSING: return "missing (a plain file will be created)";
	case RESOLVCONF_OWNER_PLAIN: return "a plain file";
	case RESOLVCONF_OWNER_RESOLVED_STUB: return "systemd-resolved (stub-resolv.conf)";
	case RESOLVCONF_OWNER_RESOLVED_UPLINK: return "systemd-resolved (uplink resolv.conf)";
	case RESOLVCONF_OWNER_RESOLVED_STATIC: return "systemd-resolved (static stub)";
	case RESOLVCONF_OWNER_RESOLVED_FILE: return "systemd-resolved (a copy of its file)";
	case RESOLVCONF_OWNER_NETWORKMANAGER: return "NetworkManager";
	case RESOLVCONF_OWNER_RESOLVCONF: return "resolvconf";
	case RESOLVCONF_OWNER_UNKNOWN_LINK: return "an unrecognised symlink";
	}
	return "?";
}

const char *resolvconf_owner_key(enum resolvconf_owner o)
{
	switch (o) {
	case RESOLVCONF_OWNER_MISSING: return "missing";
	case RESOLVCONF_OWNER_PLAIN: return "plain";
	case RESOLVCONF_OWNER_RESOLVED_STUB: return "resolved-stub";
	case RESOLVCONF_OWNER_RESOLVED_UPLINK: return "resolved-uplink";
	case RESOLVCONF_OWNER_RESOLVED_STATIC: return "resolved-static";
	case RESOLVCONF_OWNER_RESOLVED_FILE: return "resolved-file";
	case RESOLVCONF_OWNER_NETWORKMANAGER: return "networkmanager";
	case RESOLVCONF_OWNER_RESOLVCONF: return "resolvconf";
	case RESOLVCONF_OWNER_UNKNOWN_LINK: return "unknown-link";
	}
	return "?";
}

int resolvconf_owner_is_resolved(enum resolvconf_owner o)
{
	return o == RESOLVCONF_OWNER_RESOLVED_STUB || o == RESOLVCONF_OWNER_RESOLVED_UPLINK ||
	       o == RESOLVCONF_OWNER_RESOLVED_STATIC || o == RESOLVCONF_OWNER_RESOLVED_FILE;
}

/* ---- rewrite ------------------------------------------------------------- */

struct outbuf {
	char *p;
	size_t n, cap;
};

static void out_add(struct outbuf *b, const char *s, size_t len)
{
	if (b->cap - b->n < len + 1) {
		while (b->cap - b->n < len + 1)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void out_str(struct outbuf *b, const char *s)
{
	out_add(b, s, strlen(s));
}

static void emit_nameservers(struct outbuf *b, const char *const *addrs, size_t n)
{
	out_str(b, RESOLVCONF_MANAGED_COMMENT "\n");
	for (size_t i = 0; i < n; i++) {
		out_str(b, "nameserver ");
		out_str(b, addrs[i]);
		out_str(b, "\n");
	}
}

char *resolvconf_rewrite(const char *old, size_t olen, const char *const *addrs, size_t n,
			 unsigned *bad_line)
{
	struct resolvconf rc;
	struct outbuf b = { 0 };
	const size_t mc = strlen(RESOLVCONF_MANAGED_COMMENT);
	int placed = 0;

	out_add(&b, "", 0);
	resolvconf_parse(old ? old : "", old ? olen : 0, &rc);
	for (size_t k = 0; k < rc.nlines; k++) {
		const struct resolvconf_line *l = &rc.lines[k];
		const char *line = old + l->off;
		if (l->why && memchr(line, '\0', l->len)) {
			*bad_line = l->lineno;
			free(b.p);
			resolvconf_free(&rc);
			return NULL;
		}
		if (l->kind == RESOLVCONF_NAMESERVER ||
		    (l->len == mc && !memcmp(line, RESOLVCONF_MANAGED_COMMENT, mc))) {
			if (!placed)
				emit_nameservers(&b, addrs, n);
			placed = 1;
			continue;
		}
		out_add(&b, line, l->len);
		out_str(&b, "\n");
	}
	if (!placed)
		emit_nameservers(&b, addrs, n);
	resolvconf_free(&rc);
	return b.p;
}

/* ---- NetworkManager ------------------------------------------------------ */

static int nm_word_ok(const char *w)
{
	if (!*w)
		return 0;
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || (*w >= '0' && *w <= '9') ||
		      strchr("._:+-", *w)))
			return 0;
	return 1;
}

/* "key=w1,w2\n" of the words that key-file syntax cannot misread */
static void nm_list(struct outbuf *b, const char *key, char *const *w, size_t n, size_t *skipped)
{
	size_t k = 0;
	out_str(b, key);
	out_str(b, "=");
	for (size_t i = 0; i < n; i++) {
		if (!nm_word_ok(w[i])) {
			if (skipped)
				(*skipped)++;
			continue;
		}
		if (k++)
			out_str(b, ",");
		out_str(b, w[i]);
	}
	out_str(b, "\n");
}

char *resolvconf_nm_dropin(const char *const *addrs, size_t n, const struct resolvconf *cur,
			   size_t *skipped)
{
	struct outbuf b = { 0 };
	out_str(&b, "# Written by nettune-dns (tunekit): resolvers measured and ranked.\n"
		    "# Undo: nettune-backup restore, or remove this file and run: nmcli general reload conf\n"
		    "# Global DNS replaces the DNS servers, search domains and options of every\n"
		    "# connection; the search domains and options in use were carried over.\n"
		    "[global-dns]\n");
	if (skipped)
		*skipped = 0;
	if (cur && cur->nsearch)
		nm_list(&b, "searches", cur->search, cur->nsearch, skipped);
	if (cur && cur->noptions)
		nm_list(&b, "options", cur->options, cur->noptions, skipped);
	out_str(&b, "\n[global-dns-domain-*]\n");
	nm_list(&b, "servers", (char *const *)addrs, n, skipped);
	return b.p;
}

static int is_space(char c)
{
	return is_blank(c) || c == '\n';
}

size_t resolvconf_nm_servers(const char *buf, size_t len, char ***out)
{
	struct words w = { 0 };
	int in_default = 0;

	*out = NULL;
	for (size_t off = 0; off < len;) {
		const char *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - line) : len - off;
		off += llen + (nl ? 1 : 0);
		while (llen && is_space(*line))
			line++, llen--;
		while (llen && is_space(line[llen - 1]))
			llen--;
		if (!llen || *line == '#' || memchr(line, '\0', llen))
			continue;
		if (*line == '[') {
			in_default = llen == sizeof("[global-dns-domain-*]") - 1 &&
				     !memcmp(line, "[global-dns-domain-*]", llen);
			continue;
		}
		const char *eq = memchr(line, '=', llen);
		if (!in_default || !eq)
			continue;
		size_t kl = (size_t)(eq - line);
		while (kl && is_blank(line[kl - 1]))
			kl--;
		if (kl != 7 || memcmp(line, "servers", 7))
			continue;
		words_clear(&w); /* the last key wins */
		const char *p = eq + 1, *end = line + llen;
		while (p < end) {
			const char *e = p;
			while (e < end && *e != ',' && *e != ';')
				e++;
			const char *s = p, *t = e;
			while (s < t && is_blank(*s))
				s++;
			while (t > s && is_blank(t[-1]))
				t--;
			if (t > s)
				words_add(&w, s, (size_t)(t - s));
			p = e + 1;
		}
	}
	*out = w.v;
	return w.n;
}

long resolvconf_pid_parse(const char *buf, size_t len)
{
	long pid = 0;
	size_t i = 0;
	while (i < len && is_blank(buf[i]))
		i++;
	size_t start = i;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		pid = pid * 10 + (buf[i] - '0');
		if (pid > 4194304) /* PID_MAX_LIMIT */
			return -EINVAL;
	}
	if (i == start || pid <= 0)
		return -EINVAL;
	while (i < len && is_space(buf[i]))
		i++;
	return i == len ? pid : -EINVAL;
}
