/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checksum lines in the format of coreutils sha256sum (and xxhsum):
 * "HASH  NAME\n". A name holding a backslash, newline or carriage return is
 * escaped as sha256sum does (a leading '\' on the line; \\, \n, \r in the
 * name), so `sha256sum -c` reads the line back.
 */
#ifndef TUNEKIT_SUMLINE_H
#define TUNEKIT_SUMLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True when name[0..len) needs sha256sum's escaping. */
bool sumline_needs_escape(const char *name, size_t len);

/*
 * Format one line into out (cap bytes, NUL-terminated). zero: end with NUL
 * instead of newline and do not escape (sha256sum -z). Returns the line
 * length without the final NUL of the string, or -ENOSPC when cap is short.
 */
long sumline_format(char *out, size_t cap, const char *hex, const char *name,
		    size_t len, bool zero);

/* Bytes sumline_format needs at most (line and terminating NUL). */
size_t sumline_max(size_t hexlen, size_t namelen);

/*
 * Write name to f, escaped as sha256sum escapes names when escape is true
 * (\\, \n, \r; the caller prints the leading '\\'). 0 or -errno.
 */
int sumline_print_name(FILE *f, const char *name, size_t len, bool escape);

/* Write the line to f; 0 or -errno (EIO when the stream failed). */
int sumline_print(FILE *f, const char *hex, const char *name, size_t len, bool zero);

#endif
