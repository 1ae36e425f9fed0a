/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small streaming JSON writer for the --json reports: it tracks commas
 * and nesting, escapes strings (control characters, invalid UTF-8 becomes
 * U+FFFD) and prints compact output. Keys are NULL inside arrays.
 */
#ifndef TUNEKIT_JSON_H
#define TUNEKIT_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out;
	int depth;
	unsigned char need_comma[JSON_MAX_DEPTH + 1];
};

/* Start writing to out. */
void json_init(struct json *j, FILE *out);
/* Open and close an object or array (key NULL at top level or in arrays). */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
/* Members: a string (NULL prints null), numbers, a boolean, null. */
void json_string(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
/* A finite double with up to `decimals` digits after the point. */
void json_double(struct json *j, const char *key, double value, int decimals);
void json_bool(struct json *j, const char *key, int value);
void json_null(struct json *j, const char *key);
/* Write s as a quoted, escaped JSON string literal. */
void json_put_quoted(FILE *out, const char *s);

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
