/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sumline.h"
#include "tap.h"

static void line(const char *name, size_t len, bool zero, const char *want, const char *what)
{
	char out[256];
	long n = sumline_format(out, sizeof(out), "ab12", name, len, zero);
	ok(n >= 0, "%s: formatted", what);
	ok(n >= 0 && memcmp(out, want, (size_t)n) == 0 && strlen(want) + (zero ? 1 : 0) == (size_t)n,
	   "%s: bytes", what);
}

int main(void)
{
	line("a b", 3, false, "ab12  a b\n", "plain name");
	line("a\\b", 3, false, "\\ab12  a\\\\b\n", "backslash escaped");
	line("a\nb", 3, false, "\\ab12  a\\nb\n", "newline escaped");
	line("a\rb", 3, false, "\\ab12  a\\rb\n", "carriage return escaped");
	line("a\nb", 3, true, "ab12  a\nb", "-z: no escaping, NUL end");
	ok(!sumline_needs_escape("abc", 3), "plain needs no escape");
	ok(sumline_needs_escape("a\\", 2), "backslash needs escape");

	char tiny[8];
	is_int(sumline_format(tiny, sizeof(tiny), "ab12", "name", 4, false), -ENOSPC, "short buffer");

	/* a long name goes through the piecewise path */
	char name[2000];
	memset(name, 'x', sizeof(name));
	name[10] = '\n';
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	is_int(sumline_print(f, "ab12", name, sizeof(name), false), 0, "long name printed");
	fclose(f);
	ok(blen == 1 + 4 + 2 + sizeof(name) + 1 + 1 && buf[0] == '\\' && buf[7 + 10] == '\\' &&
	   buf[7 + 11] == 'n' && buf[blen - 1] == '\n', "long name escaped like the short path");
	free(buf);
	return done_testing();
}
