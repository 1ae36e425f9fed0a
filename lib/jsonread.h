/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON reader (RFC 8259) for the reports tunekit saves and compares.
 * Input is untrusted: depth is capped, every length is checked, strings are
 * decoded (\uXXXX with surrogate pairs to UTF-8), and the whole text must be
 * one value. Numbers are doubles.
 */
#ifndef TUNEKIT_JSONREAD_H
#define TUNEKIT_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

#define JV_MAX_DEPTH 64

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

/*
 * One value: 32 bytes, whatever its type. Memory is linear in the input:
 * one struct per value, strings and keys allocated to their decoded size,
 * member arrays trimmed to their count (about 40 bytes per value at most,
 * so `[1,1,...]` costs 16 times its size and typical reports far less).
 */
struct jv {
	enum jv_type type;
	uint32_t n;          /* JV_ARRAY/JV_OBJECT: members */
	union {
		int boolean;         /* JV_BOOL */
		double number;       /* JV_NUMBER */
		char *string;        /* JV_STRING: decoded, NUL-terminated */
	};
	struct jv *items;    /* members */
	char **keys;         /* JV_OBJECT: keys, parallel to items */
};

struct jv_error {
	size_t offset;       /* byte offset of the problem */
	const char *why;
};

/* Parse text (len bytes) into out. 0, or -EINVAL with err filled. */
int jv_parse(const char *text, size_t len, struct jv *out, struct jv_error *err);
void jv_free(struct jv *v);

/* Member of an object by key (first match), or NULL. */
const struct jv *jv_get(const struct jv *obj, const char *key);
/* String member or NULL; number member into *out (returns 0/-ENOENT). */
const char *jv_get_string(const struct jv *obj, const char *key);
int jv_get_number(const struct jv *obj, const char *key, double *out);

#endif
