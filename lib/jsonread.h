/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Read JSON (lib/json.h writes it): a number or a string out of a document
 * by path ("end.sum_sent.bits_per_second",
 * "intervals.0.sum.bytes": object keys and array indexes separated by
 * dots). The reader validates the whole document (RFC 8259 syntax, nesting
 * at most 64 deep) before answering.
 */
#ifndef TUNEKIT_JSONREAD_H
#define TUNEKIT_JSONREAD_H

#include <stddef.h>

enum jsonread_type {
	JSONREAD_NULL,
	JSONREAD_FALSE,
	JSONREAD_TRUE,
	JSONREAD_NUMBER,
	JSONREAD_STRING,
	JSONREAD_ARRAY,
	JSONREAD_OBJECT,
};

/* 0 when buf is one valid JSON value (surrounding blanks allowed), -EINVAL if not. */
int jsonread_validate(const char *buf, size_t len);

/*
 * Find the value at path. Returns 0 and its type, -ENOENT when the path
 * does not exist, -EINVAL when the document is not valid JSON.
 */
int jsonread_lookup(const char *buf, size_t len, const char *path, enum jsonread_type *type);

/* The number at path: 0, -ENOENT, -EINVAL (bad JSON), -EDOM (not a number). */
int jsonread_number(const char *buf, size_t len, const char *path, double *value);

/*
 * The string at path, unescaped, NUL-terminated into out (truncated to
 * size - 1 bytes). 0, -ENOENT, -EINVAL (bad JSON), -EDOM (not a string).
 */
int jsonread_string(const char *buf, size_t len, const char *path, char *out, size_t size);

#endif
