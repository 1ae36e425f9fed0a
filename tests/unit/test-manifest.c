/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/manifest.c: the sha256sum -c / b2sum -c line grammar (coreutils 9.1). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "tap.h"

#define H64 "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"

/* Parse text with a fresh SHA256 parser (or p); check name and result. */
static void one(struct manifest_parser *p, const char *text, bool is_stdin, int want_rc,
		const char *want_name, size_t want_len, const char *what)
{
	struct manifest_parser fresh;
	struct manifest_entry e = { 0 };
	size_t len = strlen(text);
	char *buf = malloc(len + 1);
	memcpy(buf, text, len + 1);
	if (!p) {
		manifest_init(&fresh, "SHA256", 64, false);
		p = &fresh;
	}
	int rc = manifest_parse(p, buf, len, is_stdin, &e);
	is_int(rc, want_rc, "%s: result", what);
	if (rc == 1 && want_name) {
		ok(e.name_len == want_len && memcmp(e.name, want_name, want_len) == 0,
		   "%s: name", what);
		ok(e.hex_len == 64 || e.hex_len == p->hex_len || p->var_len, "%s: hex length", what);
	}
	free(buf);
}

int main(void)
{
	one(NULL, H64 "  a b\n", false, 1, "a b", 3, "text mode");
	one(NULL, H64 " *a\n", false, 1, "a", 1, "binary mode");
	one(NULL, H64 "  a\r\n", false, 1, "a", 1, "CRLF line");
	one(NULL, "\\" H64 "  new\\nline\\\\x\n", false, 1, "new\nline\\x", 10, "escaped name");
	one(NULL, "\\" H64 "  bad\\q\n", false, -EINVAL, NULL, 0, "unknown escape");
	one(NULL, "\\" H64 "  trailing\\\n", false, -EINVAL, NULL, 0, "trailing backslash");
	one(NULL, H64 "  back\\slash\n", false, 1, "back\\slash", 10, "unescaped line keeps backslash");
	one(NULL, "SHA256 (sp ace) = " H64 "\n", false, 1, "sp ace", 6, "BSD tag");
	one(NULL, "SHA256 (a(b)c) = " H64 "\n", false, 1, "a(b)c", 5, "BSD tag, parens in name");
	one(NULL, "\\SHA256 (x\\ny) = " H64 "\n", false, 1, "x\ny", 3, "BSD tag escaped");
	one(NULL, "SHA256 (a) = " H64 "0\n", false, -EINVAL, NULL, 0, "BSD tag, digest too long");
	one(NULL, "SHA256 (a) " H64 "\n", false, -EINVAL, NULL, 0, "BSD tag without =");
	one(NULL, "MD5 (a) = " H64 "\n", false, -EINVAL, NULL, 0, "other algorithm tag");
	one(NULL, "# comment\n", false, 0, NULL, 0, "comment");
	one(NULL, "\n", false, 0, NULL, 0, "empty line");
	one(NULL, "\r\n", false, 0, NULL, 0, "CR only");
	one(NULL, "garbage\n", false, -EINVAL, NULL, 0, "garbage");
	one(NULL, H64 "\n", false, -EINVAL, NULL, 0, "digest without name");
	one(NULL, "g" H64 "  a\n", false, -EINVAL, NULL, 0, "non-hex digit");
	one(NULL, H64 "  -\n", true, -EINVAL, NULL, 0, "'-' refused when the manifest is stdin");
	one(NULL, H64 "  -\n", false, 1, "-", 1, "'-' accepted from a file");
	one(NULL, "  \t" H64 "  a\n", false, 1, "a", 1, "leading white space");
	one(NULL, H64 "   lead\n", false, 1, " lead", 5, "name keeps its leading space");

	/* reversed "HEX NAME" (md5 -r): decided by the first line of the run */
	struct manifest_parser p;
	manifest_init(&p, "SHA256", 64, false);
	one(&p, H64 " a\n", false, 1, "a", 1, "reversed first line");
	one(&p, H64 " b\n", false, 1, "b", 1, "reversed again");
	one(&p, H64 "  c\n", false, 1, " c", 2, "two spaces after reversed: space in name");
	manifest_init(&p, "SHA256", 64, false);
	one(&p, H64 "  a\n", false, 1, "a", 1, "normal first line");
	one(&p, H64 " b\n", false, -EINVAL, NULL, 0, "reversed after normal is refused");

	/* BLAKE2b: any even length up to 512 bits, tag with -BITS */
	manifest_init(&p, "BLAKE2b", 128, true);
	one(&p, "13  a\n", false, 1, "a", 1, "b2 8-bit digest");
	one(&p, "BLAKE2b-16 (a) = 9c14\n", false, 1, "a", 1, "b2 tag with length");
	one(&p, "BLAKE2b-12 (a) = 9c1\n", false, -EINVAL, NULL, 0, "b2 length not a multiple of 8");
	one(&p, "BLAKE2b-1024 (a) = 9c\n", false, -EINVAL, NULL, 0, "b2 length too long");
	one(&p, "BLAKE2b (a) = 9c14\n", false, -EINVAL, NULL, 0, "b2 bare tag means 512 bits");
	one(&p, "BLAKE2b-0x10 (a) = 9c14\n", false, 1, "a", 1, "b2 length in hex, as strtoumax reads it");
	one(&p, "BLAKE2b\n", false, -EINVAL, NULL, 0, "b2 bare tag");
	one(&p, "123  a\n", false, -EINVAL, NULL, 0, "b2 odd digit count");

	ok(manifest_hex_equal("ABcd", "abcd", 4), "hex compare ignores case");
	ok(!manifest_hex_equal("abce", "abcd", 4), "hex compare finds a difference");
	return done_testing();
}
