/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/json: the --json writer, into a memory stream. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "json.h"
#include "tap.h"

static char *quoted(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	json_put_quoted(f, s);
	fclose(f);
	return out;
}

static void quote_is(const char *in, const char *want, const char *what)
{
	char *got = quoted(in);

	is_str(got, want, "quote: %s", what);
	free(got);
}

int main(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	struct json j;

	quote_is("eth0", "\"eth0\"", "plain");
	quote_is("a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash");
	quote_is("\n\t\r", "\"\\n\\t\\r\"", "newline, tab, return");
	quote_is("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "control characters");
	quote_is("caf\xc3\xa9", "\"caf\xc3\xa9\"", "valid UTF-8 kept");
	quote_is("\xe2\x82\xac", "\"\xe2\x82\xac\"", "three-byte UTF-8 kept");
	quote_is("\xff", "\"\\ufffd\"", "invalid byte replaced");
	quote_is("\xc3", "\"\\ufffd\"", "truncated sequence replaced");
	quote_is("\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong form replaced");
	quote_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "surrogate replaced");
	quote_is("", "\"\"", "empty");

	f = open_memstream(&out, &len);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "name", "veth0");
	json_u64(&j, "mtu", 18446744073709551615ULL);
	json_i64(&j, "speed", -1);
	json_bool(&j, "up", 1);
	json_null(&j, "driver");
	json_string(&j, "kind", NULL);
	json_array_begin(&j, "addresses");
	json_object_begin(&j, NULL);
	json_string(&j, "address", "10.200.0.1");
	json_object_end(&j);
	json_string(&j, NULL, "x");
	json_array_end(&j);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_double(&j, "rate", 1.25, 1);
	json_double(&j, "nan", NAN, 1);
	json_object_end(&j);
	fclose(f);
	is_str(out, "{\"name\":\"veth0\",\"mtu\":18446744073709551615,\"speed\":-1,"
		    "\"up\":true,\"driver\":null,\"kind\":null,"
		    "\"addresses\":[{\"address\":\"10.200.0.1\"},\"x\"],\"empty\":[],"
		    "\"rate\":1.2,\"nan\":null}\n",
	       "writer: commas, nesting, null, numbers, newline at the end");
	free(out);
	return done_testing();
}
