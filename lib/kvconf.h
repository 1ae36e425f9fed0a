/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sysctl.d line format, as `sysctl -p` reads it: "key = value" or
 * "key=value", blank lines, comments starting with '#' or ';', and a '-'
 * before the key meaning "ignore errors for this key". Keys are stored in
 * canonical dot form (see sysctl.h), values trimmed. An empty value is
 * allowed (net.ipv4.ip_local_reserved_ports is empty by default).
 */
#ifndef TUNEKIT_KVCONF_H
#define TUNEKIT_KVCONF_H

#include <stddef.h>
#include <stdio.h>

#define KVCONF_LINE_MAX 4096

struct kv_entry {
	char *key;         /* canonical dot form */
	char *value;       /* trimmed */
	int ignore_errors; /* the line started with '-' */
	unsigned line;     /* 1-based line number it came from, 0 if set in code */
};

/*
 * Entries in order, plus a hash index over their keys so that finding,
 * setting and parsing stay linear in the number of lines (the index is
 * private: zero-initialise a list and use only these functions on it).
 */
struct kv_list {
	struct kv_entry *v;
	size_t n, cap;
	size_t *slot;   /* 0 empty, else entry index + 1; nslot is a power of two */
	size_t nslot;
	size_t indexed; /* entries the index covers; the index is used when == n */
};

/* Where parsing stopped: line number and reason (static string). */
struct kv_error {
	unsigned line;
	const char *why;
};

/*
 * Parse one line (no newline). Returns 1 and fills *entry (caller frees
 * with kv_entry_free) for a setting, 0 for a blank or comment line,
 * -EINVAL with *why for a malformed one.
 */
int kvconf_parse_line(const char *line, size_t len, struct kv_entry *entry, const char **why);

/*
 * Parse a buffer of lines into list (appending; a key set twice keeps the
 * last value, as sysctl -p does). Returns 0, or -EINVAL with err filled and
 * list unchanged. NUL bytes and lines longer than KVCONF_LINE_MAX are errors.
 */
int kvconf_parse_buffer(const char *buf, size_t len, struct kv_list *list, struct kv_error *err);

/* Set key to value (replacing an earlier value). Key must already be canonical. */
void kv_list_set(struct kv_list *list, const char *key, const char *value);
/* Index of key or -1 (constant time for lists built by these functions). */
long kv_list_find(const struct kv_list *list, const char *key);
/* Sort by key (bytewise); the index follows. */
void kv_list_sort(struct kv_list *list);
void kv_list_free(struct kv_list *list);
void kv_entry_free(struct kv_entry *e);

/* "key = value\n" per entry, in list order. */
void kvconf_print(FILE *out, const struct kv_list *list);
/* The same into a new string (optionally after a header comment block). */
char *kvconf_format(const struct kv_list *list, const char *header);

#endif
