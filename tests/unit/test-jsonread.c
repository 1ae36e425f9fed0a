/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jsonread: lookups in an iperf3-shaped document, validation, escaping. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "c.h"
#include "json.h"
#include "jsonread.h"
#include "tap.h"

static const char iperf3[] =
	"{\n"
	"  \"start\": {\"connected\": [{\"socket\": 5, \"remote_host\": \"127.0.0.1\"}],\n"
	"             \"test_start\": {\"protocol\": \"TCP\", \"duration\": 2}},\n"
	"  \"intervals\": [],\n"
	"  \"end\": {\n"
	"    \"sum_sent\": {\"seconds\": 2.000123, \"bytes\": 5000000000,\n"
	"                 \"bits_per_second\": 1.99e10, \"retransmits\": 3, \"sender\": true},\n"
	"    \"sum_received\": {\"seconds\": 2.0004, \"bits_per_second\": 19876543210.5}\n"
	"  }\n"
	"}\n";

int main(void)
{
	double v = 0;
	char s[64];
	enum jsonread_type type;
	size_t n = strlen(iperf3);

	is_int(jsonread_validate(iperf3, n), 0, "iperf3 document is valid");
	ok(jsonread_number(iperf3, n, "end.sum_sent.bits_per_second", &v) == 0 && v == 1.99e10,
	   "sender bits per second 1.99e10");
	ok(jsonread_number(iperf3, n, "end.sum_received.bits_per_second", &v) == 0 && v == 19876543210.5,
	   "receiver bits per second");
	ok(jsonread_number(iperf3, n, "end.sum_sent.retransmits", &v) == 0 && v == 3, "retransmits 3");
	ok(jsonread_string(iperf3, n, "start.connected.0.remote_host", s, sizeof(s)) == 0 && !strcmp(s, "127.0.0.1"),
	   "array index in a path");
	is_int(jsonread_number(iperf3, n, "end.sum_received.retransmits", &v), -ENOENT, "missing key");
	is_int(jsonread_number(iperf3, n, "start.connected.1.socket", &v), -ENOENT, "index past the end");
	is_int(jsonread_number(iperf3, n, "error", &v), -ENOENT, "no error key");
	is_int(jsonread_number(iperf3, n, "start.test_start.protocol", &v), -EDOM, "a string is not a number");
	is_int(jsonread_string(iperf3, n, "end.sum_sent.bytes", s, sizeof(s)), -EDOM, "a number is not a string");
	ok(jsonread_lookup(iperf3, n, "end.sum_sent.sender", &type) == 0 && type == JSONREAD_TRUE, "true typed");
	ok(jsonread_lookup(iperf3, n, "intervals", &type) == 0 && type == JSONREAD_ARRAY, "array typed");
	ok(jsonread_lookup(iperf3, n, "end", &type) == 0 && type == JSONREAD_OBJECT, "object typed");
	ok(jsonread_lookup(iperf3, n, "end.sum_sent.bits_per_second.x", &type) == -ENOENT, "path through a number");

	const char *err = "{\"start\": {}, \"error\": \"unable to connect to server: Connection refused\"}";
	ok(jsonread_string(err, strlen(err), "error", s, sizeof(s)) == 0 &&
		   !strcmp(s, "unable to connect to server: Connection refused"),
	   "iperf3 error string");

	const char *esc = "{\"k\": \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\u0000\"}";
	ok(jsonread_string(esc, strlen(esc), "k", s, sizeof(s)) == 0 &&
		   !strcmp(s, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd"),
	   "escapes decoded to UTF-8, \\u0000 replaced");
	char tiny[4];
	ok(jsonread_string(esc, strlen(esc), "k", tiny, sizeof(tiny)) == 0 && !strcmp(tiny, "a\"b"),
	   "truncated to the buffer");

	static const char *const invalid[] = {
		"", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "[01]", "{\"a\":1,}", "\"\\x\"", "\"\\u12\"", "tru",
		"1 2", "{\"a\":1}}", "-", "1.", "1e", "\"a\nb\"", "{'a':1}", "[1]x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		is_int(jsonread_validate(invalid[i], strlen(invalid[i])), -EINVAL, "invalid document %zu rejected", i);
	static const char *const valid[] = {
		"0", "-0.5e+3", "\"\"", "[]", "{}", " null ", "[true,false,null,{\"a\":[{}]}]", "{\"\":1}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		is_int(jsonread_validate(valid[i], strlen(valid[i])), 0, "valid: %s", valid[i]);

	/* nesting limit */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	is_int(jsonread_validate(deep, 200), -EINVAL, "nesting deeper than 64 refused");
	is_int(jsonread_validate(deep + 40, 120), 0, "nesting of 60 accepted");

	/* printing: what we write must read back */
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	fputs("{\"s\": ", f);
	json_put_quoted(f, "tab\there \"quoted\" back\\slash \x01 ctl");
	fputs("}", f);
	fclose(f);
	ok(jsonread_string(out, outlen, "s", s, sizeof(s)) == 0 && !strcmp(s, "tab\there \"quoted\" back\\slash \x01 ctl"),
	   "lib/json output reads back: %s", out);
	free(out);
	return done_testing();
}
