/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "bounds.h"
#include "jsonread.h"
#include "tap.h"
#include "xalloc.h"

static int parses(const char *text, struct jv *v)
{
	struct jv_error err = { 0, NULL };
	return jv_parse(text, strlen(text), v, &err);
}

static void bad(const char *text, const char *label)
{
	struct jv v;
	struct jv_error err = { 0, NULL };
	int rc = jv_parse(text, strlen(text), &v, &err);
	ok(rc == -EINVAL && err.why, "rejected: %s (%s at %zu)", label, err.why ? err.why : "-", err.offset);
}

int main(void)
{
	struct jv v;
	double d = 0;

	is_int(parses("{\"a\":[1,2.5,-3e2],\"b\":{\"c\":\"x\\u00e9\\ud83d\\ude00\\n\"},\"t\":true,\"n\":null}", &v), 0,
	       "parse a nested document");
	const struct jv *a = jv_get(&v, "a");
	ok(a && a->type == JV_ARRAY && a->n == 3, "array of three");
	ok(a && a->items[1].number == 2.5 && a->items[2].number == -300, "numbers");
	is_str(jv_get_string(jv_get(&v, "b"), "c"), "x\xc3\xa9\xf0\x9f\x98\x80\n", "escapes decoded to UTF-8");
	ok(jv_get(&v, "t")->boolean == 1 && jv_get(&v, "n")->type == JV_NULL, "true and null");
	is_int(jv_get_number(&v, "missing", &d), -ENOENT, "missing member");
	jv_free(&v);

	is_int(parses("  [ ]  ", &v), 0, "empty array with blanks");
	jv_free(&v);
	is_int(parses("\"\\u0000\"", &v), 0, "NUL escape becomes U+FFFD");
	is_str(v.string, "\xef\xbf\xbd", "U+FFFD");
	jv_free(&v);

	bad("", "empty input");
	bad("{", "unterminated object");
	bad("[1,]", "trailing comma");
	bad("{\"a\" 1}", "missing colon");
	bad("01", "leading zero");
	bad("1.", "dot without digits");
	bad("\"abc", "unterminated string");
	bad("\"a\x01\"", "raw control character");
	bad("\"\\x\"", "bad escape");
	bad("\"\\u12\"", "short unicode escape");
	bad("tru", "truncated literal");
	bad("1 2", "two values");
	bad("1e999", "number out of range");
	{
		char *deep = xmalloc(200);
		memset(deep, '[', 199);
		deep[199] = '\0';
		bad(deep, "nesting deeper than the cap");
		free(deep);
	}
	{
		/*
		 * 100,000 short strings (400 KB) in 64 MiB of address space: each
		 * string is allocated to its own size, not to the rest of the input
		 * (which took 405 MB), and arrays are trimmed to their count.
		 */
		enum { STRINGS = 100000 };
		bounds_set(20, 64);
		size_t len = 0;
		char *text = xmalloc((size_t)STRINGS * 4 + 16);
		text[len++] = '[';
		for (int i = 0; i < STRINGS; i++) {
			memcpy(text + len, i ? ",\"a\"" : "\"a\"", i ? 4 : 3);
			len += i ? 4 : 3;
		}
		text[len++] = ']';
		struct jv_error err;
		double t0 = bounds_now();
		int rc = jv_parse(text, len, &v, &err);
		double took = bounds_now() - t0;
		ok(rc == 0 && v.type == JV_ARRAY && v.n == STRINGS && !strcmp(v.items[STRINGS - 1].string, "a"),
		   "100,000 short strings parse in 64 MiB of address space");
		ok(took < 5.0, "in %.3f s", took);
		jv_free(&v);
		/* an escape-laden string keeps its decoded bytes, unterminated input still fails */
		const char *esc = "\"\\u001b[31m\\u0007\\n\"";
		ok(jv_parse(esc, strlen(esc), &v, &err) == 0 && !strcmp(v.string, "\x1b[31m\a\n"),
		   "escapes decode to control characters (printing them is the caller's care)");
		jv_free(&v);
		bad("[\"a\\\"", "unterminated after an escaped quote");
		bad("[\"ab\\", "unterminated after a backslash");
		free(text);
	}
	ok(sizeof(struct jv) <= 32, "a value takes %zu bytes", sizeof(struct jv));
	return done_testing();
}
