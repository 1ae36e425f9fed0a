/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer: one compact object on one line. */
#ifndef TUNEKIT_JSONW_H
#define TUNEKIT_JSONW_H

#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 16

struct jsonw {
	FILE *out;
	int depth;
	int count[JSONW_MAX_DEPTH]; /* members written at each level */
	char close[JSONW_MAX_DEPTH]; /* '}' or ']' for each open level */
};

/* Start writing to out (nothing is printed yet). */
void jw_init(struct jsonw *w, FILE *out);
/* Open an object or array; key is NULL at the top and inside arrays. */
void jw_object(struct jsonw *w, const char *key);
void jw_array(struct jsonw *w, const char *key);
/* Close the innermost object or array; at depth 0 a newline follows. */
void jw_end(struct jsonw *w);
/* Members: a NULL string prints null. */
void jw_str(struct jsonw *w, const char *key, const char *value);
void jw_u64(struct jsonw *w, const char *key, uint64_t value);
void jw_i64(struct jsonw *w, const char *key, int64_t value);
void jw_bool(struct jsonw *w, const char *key, int value);
void jw_double(struct jsonw *w, const char *key, double value);
/* Write s as a JSON string literal (quotes and escapes). */
void jw_quote(FILE *out, const char *s);

#endif
