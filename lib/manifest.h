/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checksum manifest lines as coreutils sha256sum -c / b2sum -c read them
 * (coreutils 9.1, src/digest.c split_3): "HEX  NAME" (text), "HEX *NAME"
 * (binary), the escaped form (a leading '\' on the line, \\ \n \r in the
 * name), BSD tags "SHA256 (NAME) = HEX", and the "HEX NAME" reversed form
 * of BSD md5 -r when the first line of the run uses it. Pure: no I/O.
 */
#ifndef TUNEKIT_MANIFEST_H
#define TUNEKIT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

struct manifest_parser {
	const char *tag;        /* BSD tag: "SHA256", "XXH128", "BLAKE2b" */
	unsigned hex_len;       /* hex digits of a full digest */
	bool var_len;           /* BLAKE2b: any even length up to hex_len (b2sum -l) */
	int reversed;           /* -1 unknown, 0 no, 1 "HEX NAME" lines (run-wide) */
};

struct manifest_entry {
	const char *name;       /* NUL-terminated, inside the line */
	size_t name_len;
	const char *hex;        /* hex_len digits, inside the line */
	unsigned hex_len;
};

/* Set up for one algorithm; the reversed-format state spans the whole run. */
void manifest_init(struct manifest_parser *p, const char *tag, unsigned hex_len, bool var_len);

/*
 * Parse one line of len bytes (its newline included or not; line[len] must
 * be writable). The line is modified in place. is_stdin: the manifest is
 * standard input, so a name "-" is refused as sha256sum does. Returns 1 with
 * *e set, 0 for a line to skip (comment, empty), -EINVAL when improperly
 * formatted.
 */
int manifest_parse(struct manifest_parser *p, char *line, size_t len, bool is_stdin,
		   struct manifest_entry *e);

/* Compare a listed hex digest with computed lowercase hex (case-insensitive). */
bool manifest_hex_equal(const char *listed, const char *computed, size_t len);

#endif
