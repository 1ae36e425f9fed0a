/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Target syntax of nettune-probe: command line forms and the targets file. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "probetarget.h"
#include "tap.h"

static void good(const char *s, const char *host, unsigned port, int http, const char *path)
{
	struct probe_target t;
	const char *why = NULL;
	int rc = probe_target_parse(s, strlen(s), &t, &why);
	if (!ok(rc == 0, "'%s' parses (%s)", s, why ? why : "ok"))
		return;
	int same = !strcmp(t.host, host) && t.port == port && t.http == http &&
		   (path ? t.path && !strcmp(t.path, path) : !t.path) && !strcmp(t.spec, s);
	ok(same, "'%s' -> host '%s' port %u http %d path '%s' (got '%s' %u %d '%s')", s, host, port, http,
	   path ? path : "-", t.host, t.port, t.http, t.path ? t.path : "-");
	probe_target_free(&t);
}

static void bad(const char *s, const char *why_want)
{
	struct probe_target t;
	const char *why = NULL;
	int rc = probe_target_parse(s, strlen(s), &t, &why);
	ok(rc == -EINVAL && why && strstr(why, why_want), "'%s' rejected: %s (got '%s')", s, why_want,
	   why ? why : "-");
	if (!rc)
		probe_target_free(&t);
}

int main(void)
{
	good("example.com", "example.com", 0, 0, NULL);
	good("127.0.0.1:8080", "127.0.0.1", 8080, 0, NULL);
	good("host-1.example_x.test:1", "host-1.example_x.test", 1, 0, NULL);
	good("[::1]:443", "::1", 443, 0, NULL);
	good("[fe80::1%eth0]:22", "fe80::1%eth0", 22, 0, NULL);
	good("[2001:db8::1]", "2001:db8::1", 0, 0, NULL);
	good("::1", "::1", 0, 0, NULL);
	good("2001:db8::ffff:10.0.0.1", "2001:db8::ffff:10.0.0.1", 0, 0, NULL);
	good("http://127.0.0.2:8000/slow?x=1", "127.0.0.2", 8000, 1, "/slow?x=1");
	good("http://example.com", "example.com", 80, 1, "/");
	good("HTTP://example.com/a/b", "example.com", 80, 1, "/a/b");
	good("http://[::1]:8080/", "::1", 8080, 1, "/");
	good("http://h?q", "h", 80, 1, "/?q");
	good("http://h/p#frag", "h", 80, 1, "/p");
	good("https://example.com/health", "example.com", 443, 1, "/health");
	good("HTTPS://[::1]:8443", "::1", 8443, 1, "/");
	{
		struct probe_target t;
		const char *why = NULL;
		int rc = probe_target_parse("https://h/", 10, &t, &why);
		ok(!rc && t.tls == 1, "https:// sets tls");
		if (!rc)
			probe_target_free(&t);
		rc = probe_target_parse("http://h/", 9, &t, &why);
		ok(!rc && t.tls == 0, "http:// does not set tls");
		if (!rc)
			probe_target_free(&t);
	}
	good("localhost:65535", "localhost", 65535, 0, NULL);

	bad("", "empty target");
	bad("host:", "empty port");
	bad(":80", "empty host");
	bad("host:0", "out of range");
	bad("host:65536", "out of range");
	bad("host:99999999999", "out of range");
	bad("host:8o", "not a number");
	bad("ho st", "blank");
	bad("h\001st", "control");
	bad("-rf", "starts with '-'");
	bad("host/x", "invalid character");
	bad("[::1", "missing ']'");
	bad("[::1]x", "junk after ']'");
	bad("[example.com]:80", "invalid IPv6");
	bad("[]:80", "invalid IPv6");
	bad("[::1%]:80", "invalid IPv6");
	bad("1:2:3g::", "invalid IPv6");
	bad("https://user@example.com/", "user information");
	bad("https://h:99999/", "out of range");
	bad("ftp://example.com/", "unknown URL scheme");
	bad("http://user@example.com/", "user information");
	bad("http:///path", "empty host");
	bad("http://h:0/", "out of range");
	char longhost[300];
	memset(longhost, 'a', 260);
	longhost[260] = '\0';
	bad(longhost, "longer than 253");
	char huge[1100];
	memset(huge, 'a', 1099);
	huge[1099] = '\0';
	bad(huge, "longer than 1024");

	/* the targets file */
	struct probe_target_list l = { 0 };
	unsigned line = 0;
	const char *why = NULL;
	const char *file =
		"# latency targets\n"
		"\n"
		"  127.0.0.1:22   # ssh\n"
		"\thttp://127.0.0.2:8000/#notacomment\r\n"
		"[::1]:80\n"
		"example.com";
	is_int(probe_targets_parse_buffer(file, strlen(file), &l, &line, &why), 0, "targets file parses");
	is_int((long long)l.n, 4, "four targets, comments and blank lines skipped");
	if (l.n == 4) {
		ok(!strcmp(l.v[0].spec, "127.0.0.1:22") && l.v[0].line == 3, "trailing comment cut, line 3");
		ok(!strcmp(l.v[1].path, "/") && l.v[1].line == 4, "'#' inside a URL is a fragment, CR stripped, line 4");
		ok(!strcmp(l.v[2].host, "::1") && l.v[3].line == 6, "v6 target, last line without newline");
	}

	const char *badfile = "127.0.0.1:22\n# ok\nexample.com:http\n";
	is_int(probe_targets_parse_buffer(badfile, strlen(badfile), &l, &line, &why), -EINVAL, "bad port in file");
	ok(line == 3 && why && strstr(why, "not a number"), "error names line 3: %s", why ? why : "-");
	is_int((long long)l.n, 4, "a failed file leaves the list as it was");

	const char *two = "a.test b.test\n";
	is_int(probe_targets_parse_buffer(two, strlen(two), &l, &line, &why), -EINVAL, "two targets on a line");
	ok(line == 1 && strstr(why, "more than one"), "error says more than one target on line 1");

	const char nul[] = "a.test\nb\0c\n";
	is_int(probe_targets_parse_buffer(nul, sizeof(nul) - 1, &l, &line, &why), -EINVAL, "NUL byte rejected");
	ok(line == 2, "NUL byte on line 2");

	char longline[1200];
	memset(longline, 'a', sizeof(longline));
	is_int(probe_targets_parse_buffer(longline, sizeof(longline), &l, &line, &why), -EINVAL, "overlong line");

	is_int(probe_targets_parse_buffer("", 0, &l, &line, &why), 0, "an empty file is fine");
	probe_target_list_free(&l);
	ok(l.n == 0 && l.v == NULL, "list freed");
	return done_testing();
}
