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

/*
 * Who owns /etc/resolv.conf, decided from what lstat(2), readlink(2) and a
 * read of it showed (the I/O is the caller's; these functions are pure).
 */
enum resolvconf_owner {
	RESOLVCONF_OWNER_MISSING,         /* no file: a plain one will be created */
	RESOLVCONF_OWNER_PLAIN,           /* a regular file nobody claims */
	RESOLVCONF_OWNER_RESOLVED_STUB,   /* -> /run/systemd/resolve/stub-resolv.conf */
	RESOLVCONF_OWNER_RESOLVED_UPLINK, /* -> /run/systemd/resolve/resolv.conf */
	RESOLVCONF_OWNER_RESOLVED_STATIC, /* -> /usr/lib/systemd/resolv.conf */
	RESOLVCONF_OWNER_RESOLVED_FILE,   /* a copy with resolved's header */
	RESOLVCONF_OWNER_NETWORKMANAGER,  /* -> /run/NetworkManager/..., or its header */
	RESOLVCONF_OWNER_RESOLVCONF,      /* -> /run/resolvconf/resolv.conf, or its header */
	RESOLVCONF_OWNER_UNKNOWN_LINK,    /* a symlink elsewhere */
};

/* What the caller saw of the file. */
struct resolvconf_seen {
	int exists;        /* lstat succeeded */
	const char *link;  /* the raw readlink target when a symlink, else NULL */
	const char *data;  /* the content when a readable regular file, else NULL */
	size_t len;
};

/*
 * The owner. *link (len bytes) gets the symlink target made absolute as seen
 * from /etc, lexically ("." and ".." folded, /var/run -> /run), "" if not a
 * link. *why (may be NULL) gets a static phrase naming the evidence.
 */
enum resolvconf_owner resolvconf_owner_of(const struct resolvconf_seen *seen, char *link, size_t len,
					  const char **why);
/* The lexical normalisation resolvconf_owner_of applies to a link target. */
void resolvconf_link_normalize(const char *target, char *out, size_t len);
/* Words for people ("systemd-resolved (stub-resolv.conf)") and stable keys for --json. */
const char *resolvconf_owner_text(enum resolvconf_owner o);
const char *resolvconf_owner_key(enum resolvconf_owner o);
int resolvconf_owner_is_resolved(enum resolvconf_owner o);

/* The comment line resolvconf_rewrite puts above the nameservers it writes. */
#define RESOLVCONF_MANAGED_COMMENT "# nameservers set by nettune-dns (tunekit)"

/*
 * old (olen bytes, NULL: no file) with its nameserver lines replaced by
 * addrs[0..n), in place of the first one (or at the end), under
 * RESOLVCONF_MANAGED_COMMENT; every other line kept byte for byte, each
 * ended by '\n'. NULL when a line holds a NUL byte (a damaged file is not
 * rewritten): *bad_line gets its number. The result is malloc'd.
 */
char *resolvconf_rewrite(const char *old, size_t olen, const char *const *addrs, size_t n,
			 unsigned *bad_line);

/*
 * NetworkManager: a conf.d drop-in with global DNS (NetworkManager.conf(5):
 * [global-dns] searches=, options=; [global-dns-domain-*] servers=, the
 * default domain, which is mandatory). Global DNS replaces the DNS of every
 * connection, search domains and options included, so the current ones
 * (cur, the parsed resolv.conf NetworkManager wrote; NULL: none) are carried
 * over. A word that is not plain [A-Za-z0-9._:+-] (key-file syntax: ',', ';',
 * '\\', '#') is left out and counted in *skipped (may be NULL). malloc'd.
 */
char *resolvconf_nm_dropin(const char *const *addrs, size_t n, const struct resolvconf *cur,
			   size_t *skipped);

/*
 * The servers of the [global-dns-domain-*] section of a NetworkManager
 * key file (len bytes, NUL bytes allowed), in order: out[0..return) are
 * malloc'd strings (free each, then *out). Separators ',' and ';', blanks
 * around them trimmed; the last servers= in the section wins, as in a key
 * file. No section or no key: 0.
 */
size_t resolvconf_nm_servers(const char *buf, size_t len, char ***out);

/* A pid file's content ("1234\n"): the pid (> 0), or -EINVAL. */
long resolvconf_pid_parse(const char *buf, size_t len);

#endif
