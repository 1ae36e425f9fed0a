/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Server syntax of nettune-dns: plain and DNS over TLS (tls://ADDR[:PORT][#NAME]). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dnsclient.h"
#include "tap.h"

static void good(const char *spec, int tls, unsigned port, const char *name, const char *text)
{
	struct dns_server s;
	char buf[320];
	int rc = dns_server_parse(spec, &s);
	if (!ok(rc == 0, "'%s' parses", spec))
		return;
	ok(s.tls == tls && dns_server_port(&s) == port && !strcmp(s.tls_name, name),
	   "'%s': tls %d port %u name '%s' (got %d %u '%s')", spec, tls, port, name, s.tls, dns_server_port(&s),
	   s.tls_name);
	dns_server_format(&s, 0, buf, sizeof(buf));
	ok(!strcmp(buf, text), "'%s' formats as '%s' (got '%s')", spec, text, buf);
	struct dns_server again;
	ok(dns_server_parse(buf, &again) == 0 && dns_server_equal(&s, &again), "'%s' round-trips", buf);
}

static void bad(const char *spec)
{
	struct dns_server s;
	ok(dns_server_parse(spec, &s) == -EINVAL, "'%s' rejected", spec);
}

int main(void)
{
	good("192.0.2.1", 0, 53, "", "192.0.2.1");
	good("192.0.2.1:5353", 0, 5353, "", "192.0.2.1:5353");
	good("[2001:db8::1]:53", 0, 53, "", "2001:db8::1");
	good("tls://1.1.1.1", 1, 853, "", "tls://1.1.1.1");
	good("tls://1.1.1.1#cloudflare-dns.com", 1, 853, "cloudflare-dns.com", "tls://1.1.1.1#cloudflare-dns.com");
	good("tls://127.0.0.2:8853#dot.example", 1, 8853, "dot.example", "tls://127.0.0.2:8853#dot.example");
	good("tls://[2001:db8::1]#dns.example", 1, 853, "dns.example", "tls://2001:db8::1#dns.example");
	good("tls://[2001:db8::1]:8853", 1, 8853, "", "tls://[2001:db8::1]:8853");
	bad("tls://");
	bad("tls://#name");
	bad("tls://1.1.1.1#");
	bad("tls://1.1.1.1#bad name");
	bad("tls://1.1.1.1#-lead");
	bad("tls://1.1.1.1#a/b");
	bad("tls://dns.example");
	bad("tls://1.1.1.1:0");
	bad("https://1.1.1.1");
	bad("1.1.1.1#name");
	char longname[300] = "tls://1.1.1.1#";
	memset(longname + strlen(longname), 'a', 260);
	longname[14 + 260] = '\0';
	bad(longname);

	/* the same address over UDP and over TLS are two servers */
	struct dns_server a, b, c;
	dns_server_parse("127.0.0.1:853", &a);
	dns_server_parse("tls://127.0.0.1", &b);
	dns_server_parse("tls://127.0.0.1#x.example", &c);
	ok(!dns_server_equal(&a, &b), "udp and tls to the same port differ");
	ok(!dns_server_equal(&b, &c), "tls with and without a name differ");
	return done_testing();
}
