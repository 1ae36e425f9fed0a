/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "bounds.h"
#include "tap.h"
#include "xalloc.h"
#include "tkconf.h"

static void good(enum tkconf_kind kind, const char *key, const char *value)
{
	const char *why = NULL;
	ok(tkconf_check(kind, key, value, &why) == 0, "%s = %s accepted", key, value);
}

static void bad(enum tkconf_kind kind, const char *key, const char *value, const char *want)
{
	const char *why = NULL;
	int rc = tkconf_check(kind, key, value, &why);
	ok(rc == -EINVAL && why && strstr(why, want), "%s = %s rejected (%s)", key, value, why ? why : "-");
}

int main(void)
{
	good(TKCONF_LOCAL, "profile", "latency");
	good(TKCONF_LOCAL, "rate", "10gbit");
	good(TKCONF_LOCAL, "rtt", "80ms");
	good(TKCONF_LOCAL, "flows", "64");
	good(TKCONF_LOCAL, "probe_targets", "127.0.0.1:80 [::1]:443 http://127.0.0.2:8080/");
	good(TKCONF_LOCAL, "qdisc_ifaces", "eth0 veth-a");
	good(TKCONF_PROFILE, "sysctl.net.core.somaxconn", "4096");
	good(TKCONF_PROFILE, "description", "anything at all");

	bad(TKCONF_LOCAL, "profile", "fastest", "not a profile");
	bad(TKCONF_LOCAL, "rate", "fast", "not a rate");
	bad(TKCONF_LOCAL, "rtt", "80", "duration with a unit");
	bad(TKCONF_LOCAL, "flows", "0", "not a count");
	bad(TKCONF_LOCAL, "flows", "12x", "not a count");
	bad(TKCONF_LOCAL, "queues", "maybe", "yes or no");
	bad(TKCONF_LOCAL, "probe_targets", "127.0.0.1;rm -rf /", "HOST[:PORT]");
	bad(TKCONF_LOCAL, "qdisc_ifaces", "averyveryverylongname0", "interface names");
	bad(TKCONF_LOCAL, "colour", "blue", "unknown key");
	bad(TKCONF_LOCAL, "sysctl.net.core.somaxconn", "1", "belong in profiles");
	bad(TKCONF_LOCAL, "description", "x", "not allowed in tunekit.conf");
	bad(TKCONF_PROFILE, "profile", "latency", "not allowed in a profile");
	bad(TKCONF_PROFILE, "sysctl.net..x", "1", "empty component");

	struct kv_list l = { 0 };
	struct kv_error e = { 0, NULL };
	const char *text = "# local\nprofile = latency\nrate=1gbit\n\nflows = 8\n";
	is_int(tkconf_parse(TKCONF_LOCAL, text, strlen(text), &l, &e), 0, "parse a tunekit.conf");
	is_int((long long)l.n, 3, "three settings");
	kv_list_free(&l);
	text = "profile = latency\nbogus = 1\n";
	ok(tkconf_parse(TKCONF_LOCAL, text, strlen(text), &l, &e) == -EINVAL && e.line == 2 &&
	   !strcmp(e.why, "unknown key"), "unknown key names its line");
	ok(l.n == 0, "nothing kept from a bad file");
	text = "-rate = 1gbit\n";
	ok(tkconf_parse(TKCONF_LOCAL, text, strlen(text), &l, &e) == -EINVAL && e.line == 1,
	   "'-' prefix refused in tunekit.conf");
	{
		/* a profile of 100,000 sysctl.* lines: linear, not quadratic */
		enum { LINES = 100000 };
		bounds_set(20, 512);
		size_t cap = (size_t)LINES * 56, len = 0;
		char *big = xmalloc(cap);
		len += (size_t)snprintf(big, cap, "description = long\n");
		for (int k = 0; k < LINES; k++)
			len += (size_t)snprintf(big + len, cap - len, "sysctl.net.ipv4.conf.if%d.rp_filter = 1\n", k);
		struct kv_list bl = { 0 };
		double t0 = bounds_now();
		int rc = tkconf_parse(TKCONF_PROFILE, big, len, &bl, &e);
		double took = bounds_now() - t0;
		ok(rc == 0 && bl.n == LINES + 1, "a profile of 100,000 sysctl lines parses");
		ok(took < 5.0, "in %.3f s (a linear parser takes well under 1 s)", took);
		kv_list_free(&bl);
		free(big);
	}
	return done_testing();
}
