/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "bounds.h"
#include "kvconf.h"
#include "tap.h"
#include "xalloc.h"

static int parse(const char *text, struct kv_list *l, struct kv_error *e)
{
	return kvconf_parse_buffer(text, strlen(text), l, e);
}

static void bad(const char *text, unsigned line, const char *label)
{
	struct kv_list l = { 0 };
	struct kv_error e = { 0, NULL };
	int rc = parse(text, &l, &e);
	ok(rc == -EINVAL && e.line == line && l.n == 0, "rejected at line %u: %s (%s)", line, label,
	   e.why ? e.why : "-");
	kv_list_free(&l);
}

int main(void)
{
	struct kv_list l = { 0 };
	struct kv_error e;
	const char *text =
		"# comment\n"
		"; also a comment\n"
		"\n"
		"net.core.rmem_max = 67108864\n"
		"net.ipv4.tcp_rmem=4096 131072 67108864\n"
		"   net/ipv4/tcp_wmem\t=\t4096 16384 67108864   \n"
		"-net.ipv4.tcp_mtu_probing = 1\n"
		"net.core.rmem_max = 134217728\n"
		"net.ipv4.conf.eth0/100.rp_filter = 2";
	is_int(parse(text, &l, &e), 0, "parse a mixed sysctl.d file");
	is_int((long long)l.n, 5, "five keys (duplicate merged)");
	long i = kv_list_find(&l, "net.core.rmem_max");
	ok(i >= 0 && !strcmp(l.v[i].value, "134217728"), "later duplicate wins, as sysctl -p");
	i = kv_list_find(&l, "net.ipv4.tcp_wmem");
	ok(i >= 0 && !strcmp(l.v[i].value, "4096 16384 67108864"), "path form key canonicalized, value trimmed");
	ok(i >= 0 && l.v[i].line == 6, "line number kept");
	i = kv_list_find(&l, "net.ipv4.tcp_mtu_probing");
	ok(i >= 0 && l.v[i].ignore_errors, "'-' prefix sets ignore_errors");
	ok(kv_list_find(&l, "net.ipv4.conf.eth0/100.rp_filter") >= 0, "vlan key kept in dot form");

	kv_list_sort(&l);
	char *out = kvconf_format(&l, "# header\n");
	is_str(out,
	       "# header\n"
	       "net.core.rmem_max = 134217728\n"
	       "net.ipv4.conf.eth0/100.rp_filter = 2\n"
	       "-net.ipv4.tcp_mtu_probing = 1\n"
	       "net.ipv4.tcp_rmem = 4096 131072 67108864\n"
	       "net.ipv4.tcp_wmem = 4096 16384 67108864\n",
	       "format sorted output");

	/* printed output parses back to the same list */
	struct kv_list again = { 0 };
	is_int(parse(out, &again, &e), 0, "round trip parses");
	is_int((long long)again.n, (long long)l.n, "round trip keeps every key");
	free(out);
	kv_list_free(&again);

	kv_list_set(&l, "net.core.somaxconn", "4096");
	kv_list_set(&l, "net.core.rmem_max", "1");
	ok(l.n == 6 && !strcmp(l.v[kv_list_find(&l, "net.core.rmem_max")].value, "1"), "set replaces and appends");
	kv_list_free(&l);

	bad("net.core.rmem_max 5\n", 1, "no '='");
	bad("# ok\nnet..x = 1\n", 2, "empty component");
	bad("= 5\n", 1, "empty key");
	{
		struct kv_list el = { 0 };
		ok(parse("net.ipv4.ip_local_reserved_ports =\n", &el, &e) == 0 && el.n == 1 &&
		   !strcmp(el.v[0].value, ""), "empty value accepted (ip_local_reserved_ports)");
		kv_list_free(&el);
	}
	bad("net.core.rmem max = 5\n", 1, "space in key");
	bad("net/../../etc/passwd = x\n", 1, "traversal");
	bad("/proc/sys/net/x = 1\n", 1, "leading slash");
	bad("net.a = 1\nnet.b = \x01\n", 2, "control character in value");
	{
		size_t n = 1 << 20;
		char *big = xmalloc(n + 32);
		strcpy(big, "net.core.a = ");
		memset(big + 13, '9', n);
		big[13 + n] = '\0';
		bad(big, 1, "1 MB line");
		free(big);
	}
	{
		struct kv_list nl = { 0 };
		const char withnul[] = "net.a = 1\nnet.b\0 = 2\n";
		ok(kvconf_parse_buffer(withnul, sizeof(withnul) - 1, &nl, &e) == -EINVAL && e.line == 2,
		   "NUL byte rejected with its line");
		kv_list_free(&nl);
	}
	{
		struct kv_list keep = { 0 };
		kv_list_set(&keep, "net.a", "1");
		parse("net.b = 2\nbroken\n", &keep, &e);
		ok(keep.n == 1, "a failed parse leaves the list unchanged");
		kv_list_free(&keep);
	}
	{
		/*
		 * 100,000 lines (50,000 keys, each set twice) parse, merge and sort
		 * in linear or n log n time: a quadratic parser took 11 s for 40,000
		 * lines and would take hours for the 16 MiB nettune-backup accepts.
		 */
		enum { KEYS = 50000 };
		bounds_set(20, 512);
		size_t cap = (size_t)KEYS * 2 * 48, len = 0;
		char *lines = xmalloc(cap);
		for (int round = 0; round < 2; round++)
			for (int k = 0; k < KEYS; k++)
				len += (size_t)snprintf(lines + len, cap - len, "net.ipv4.conf.if%d.rp_filter = %d\n", k,
							round + 1);
		struct kv_list big = { 0 };
		double t0 = bounds_now();
		int rc = kvconf_parse_buffer(lines, len, &big, &e);
		double parse_s = bounds_now() - t0;
		ok(rc == 0 && big.n == KEYS, "100,000 lines parse into %d keys", KEYS);
		ok(parse_s < 5.0, "100,000 lines parse in %.3f s (a linear parser takes well under 1 s)", parse_s);
		long at = kv_list_find(&big, "net.ipv4.conf.if4321.rp_filter");
		ok(at == 4321 && !strcmp(big.v[at].value, "2") && big.v[at].line == KEYS + 4322,
		   "duplicates: first position, last value and line");
		t0 = bounds_now();
		rc = kvconf_parse_buffer(lines, len, &big, &e);
		for (int k = 0; k < KEYS; k++) {
			char key[64];
			snprintf(key, sizeof(key), "net.ipv4.conf.ot%d.rp_filter", k);
			kv_list_set(&big, key, "0");
		}
		kv_list_sort(&big);
		at = kv_list_find(&big, "net.ipv4.conf.ot7.rp_filter");
		double merge_s = bounds_now() - t0;
		ok(rc == 0 && big.n == 2 * KEYS && at >= 0 && !strcmp(big.v[at].key, "net.ipv4.conf.ot7.rp_filter"),
		   "merge into a full list, set 50,000 more, sort, find");
		ok(merge_s < 5.0, "merge, set and sort in %.3f s", merge_s);
		kv_list_free(&big);
		free(lines);
	}
	return done_testing();
}
