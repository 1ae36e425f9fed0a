/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The resolv.conf parser: settings, malformed lines (a NUL byte), linearity. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolvconf.h"
#include "tap.h"
#include "xalloc.h"

#define P(rc, lit) resolvconf_parse(lit, sizeof(lit) - 1, rc)

/*
 * Linear time without a stopwatch race: the parser's CPU time (not wall
 * time, so a busy machine does not count) for N lines must stay under an
 * absolute bound far from both sides. N = 400,000: linear parsing takes
 * ~0.03 s (0.2 s under ASan); anything quadratic does ~8e10 steps, minutes.
 * The bound is 10 s, and alarm() turns a runaway parse into a failure.
 */
#define LINES 400000
#define CPU_BOUND_S 10.0

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds to parse n copies of unit */
static double parse_cpu(const char *unit, size_t ul, size_t n, struct resolvconf *rc)
{
	char *buf = xmalloc(ul * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * ul, unit, ul);
	double t0 = cpu_s();
	resolvconf_parse(buf, ul * n, rc);
	double t = cpu_s() - t0;
	free(buf);
	return t;
}

int main(void)
{
	struct resolvconf rc;

	/* the settings */
	is_int((long long)P(&rc, "# c\nnameserver 192.0.2.1\nnameserver  2001:db8::1  ignored\n"
			    "search a.test b.test\noptions edns0 timeout:2\noptions rotate\n"), 0,
	       "a plain file has no malformed line");
	ok(rc.nnameservers == 2 && !strcmp(rc.nameservers[0], "192.0.2.1") &&
	   !strcmp(rc.nameservers[1], "2001:db8::1"), "nameservers in order, words after the address ignored");
	ok(rc.nsearch == 2 && !strcmp(rc.search[0], "a.test") && !strcmp(rc.search[1], "b.test"),
	   "search list");
	ok(rc.noptions == 3 && !strcmp(rc.options[0], "edns0") && !strcmp(rc.options[2], "rotate"),
	   "options of every line, in order");
	ok(rc.nlines == 6 && rc.lines[0].kind == RESOLVCONF_COMMENT &&
	   rc.lines[1].kind == RESOLVCONF_NAMESERVER && rc.lines[3].kind == RESOLVCONF_SEARCH &&
	   rc.lines[4].kind == RESOLVCONF_OPTIONS, "line kinds");
	ok(rc.lines[1].off == 4 && rc.lines[1].len == 20 && rc.lines[1].lineno == 2, "line offsets");
	resolvconf_free(&rc);

	/* the last search or domain wins; domain takes one name */
	P(&rc, "search a.test b.test\ndomain c.test d.test\n");
	ok(rc.nsearch == 1 && !strcmp(rc.search[0], "c.test"), "domain after search: one name");
	resolvconf_free(&rc);
	P(&rc, "domain c.test\nsearch a.test b.test");
	ok(rc.nsearch == 2 && !strcmp(rc.search[1], "b.test"), "search after domain, no final newline");
	resolvconf_free(&rc);

	/* a NUL byte: that line is malformed, every later line still counts */
	static const char nul[] = "nameserver 192.0.2.1\nnameserver 192.0.2.2\0junk\n"
				  "nameserver 192.0.2.3\nsearch z.test\n";
	is_int((long long)resolvconf_parse(nul, sizeof(nul) - 1, &rc), 1, "NUL: one malformed line");
	ok(rc.nnameservers == 2 && !strcmp(rc.nameservers[0], "192.0.2.1") &&
	   !strcmp(rc.nameservers[1], "192.0.2.3"), "NUL: the line is dropped, the next one read");
	ok(rc.nsearch == 1 && !strcmp(rc.search[0], "z.test"), "NUL: the search line after it is read");
	ok(rc.lines[1].why && !strcmp(rc.lines[1].why, "a NUL byte") && rc.lines[1].lineno == 2 &&
	   rc.lines[1].len == 25, "NUL: line 2 named, its whole length kept");
	resolvconf_free(&rc);
	static const char nul_first[] = "\0nameserver 192.0.2.7\n\0\nnameserver 192.0.2.8";
	is_int((long long)resolvconf_parse(nul_first, sizeof(nul_first) - 1, &rc), 2,
	       "NUL at the start of two lines: both malformed");
	ok(rc.nnameservers == 1 && !strcmp(rc.nameservers[0], "192.0.2.8"), "... the last line read");
	resolvconf_free(&rc);
	static const char nul_word[] = "nameserver 192.0.2.9\0";
	resolvconf_parse(nul_word, sizeof(nul_word) - 1, &rc);
	ok(rc.nnameservers == 0 && rc.nmalformed == 1, "a trailing NUL is not stripped into a valid line");
	resolvconf_free(&rc);

	/* other malformed lines */
	is_int((long long)P(&rc, "nameserver\nsearch  \ndomain\t\noptions\n"), 3,
	       "keywords without values: nameserver, search, domain (options may be empty)");
	ok(rc.nnameservers == 0 && rc.nsearch == 0 && rc.noptions == 0, "... set nothing");
	is_str(rc.lines[0].why, "nameserver without an address", "... and say why");
	resolvconf_free(&rc);

	/* blanks, CRLF, comments, other keywords, leading whitespace */
	P(&rc, "; semi\r\n\tnameserver\t192.0.2.5\r\n\r\nsortlist 10.0.0.0\nnameservers 192.0.2.6\n#nameserver 192.0.2.7\n");
	ok(rc.nnameservers == 1 && !strcmp(rc.nameservers[0], "192.0.2.5"), "CRLF and tabs; 'nameservers' is not a keyword");
	ok(rc.lines[0].kind == RESOLVCONF_COMMENT && rc.lines[2].kind == RESOLVCONF_BLANK &&
	   rc.lines[3].kind == RESOLVCONF_OTHER && rc.lines[5].kind == RESOLVCONF_COMMENT, "kinds of the rest");
	resolvconf_free(&rc);

	/* empty input */
	is_int((long long)resolvconf_parse("", 0, &rc), 0, "empty buffer");
	ok(rc.nlines == 0 && rc.nnameservers == 0, "... no line");
	resolvconf_free(&rc);
	is_int((long long)resolvconf_parse(NULL, 0, &rc), 0, "NULL, 0");
	resolvconf_free(&rc);

	/* linear: far under an absolute CPU bound that a quadratic parser exceeds */
	alarm(120);
	static const char srch[] = "search a b c d e f g h\n", nuls[] = "nameserver 192.0.2.1\0\0\n";
	double t = parse_cpu(srch, sizeof(srch) - 1, LINES, &rc);
	ok(rc.nsearch == 8 && rc.nlines == LINES, "%d search lines: the last one wins", LINES);
	resolvconf_free(&rc);
	ok(t < CPU_BOUND_S, "search lines parse in linear time (%.3f s CPU for %d lines)", t, LINES);
	t = parse_cpu(nuls, sizeof(nuls) - 1, LINES, &rc);
	ok(rc.nmalformed == LINES && rc.nnameservers == 0, "%d lines with NUL bytes: all malformed", LINES);
	resolvconf_free(&rc);
	ok(t < CPU_BOUND_S, "NUL lines parse in linear time (%.3f s CPU for %d lines)", t, LINES);
	/* one huge line: a single pass, not a rescan per word (1e6 words: a
	 * rescan per word reads ~1e12 bytes) */
	char *big = xmalloc(2000001);
	memcpy(big, "options", 7);
	for (size_t i = 7; i < 2000000; i += 2)
		big[i] = ' ', big[i + 1] = 'x';
	double t0 = cpu_s();
	resolvconf_parse(big, 2000000 - 1, &rc);
	t = cpu_s() - t0;
	ok(rc.noptions == 999996 && t < CPU_BOUND_S, "one 2 MB options line: %zu words (%.3f s CPU)",
	   rc.noptions, t);
	resolvconf_free(&rc);
	free(big);
	alarm(0);
	return done_testing();
}
