/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>

#include "tap.h"
#include "units.h"

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int rc = units_parse_size(s, &v);
	ok(rc == 0 && v == want, "size '%s' = %llu (got rc %d, %llu)", s,
	   (unsigned long long)want, rc, (unsigned long long)v);
}

static void size_bad(const char *s, int want_rc)
{
	uint64_t v = 12345;
	int rc = units_parse_size(s, &v);
	ok(rc == want_rc && v == 12345, "size '%s' rejected with %d (got %d)", s, want_rc, rc);
}

static void rate_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int rc = units_parse_rate(s, &v);
	ok(rc == 0 && v == want, "rate '%s' = %llu bit/s (got rc %d, %llu)", s,
	   (unsigned long long)want, rc, (unsigned long long)v);
}

static void rate_bad(const char *s, int want_rc)
{
	uint64_t v = 0;
	ok(units_parse_rate(s, &v) == want_rc, "rate '%s' rejected", s);
}

static void dur_ok(const char *s, uint64_t def, uint64_t want)
{
	uint64_t v = 0;
	int rc = units_parse_duration(s, def, &v);
	ok(rc == 0 && v == want, "duration '%s' = %llu ns (got rc %d, %llu)", s,
	   (unsigned long long)want, rc, (unsigned long long)v);
}

static void dur_bad(const char *s, uint64_t def, int want_rc)
{
	uint64_t v = 0;
	ok(units_parse_duration(s, def, &v) == want_rc, "duration '%s' rejected", s);
}

int main(void)
{
	char buf[64];

	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("4K", 4096);
	size_ok("4KiB", 4096);
	size_ok("4KB", 4000);
	size_ok("128MiB", 128ULL << 20);
	size_ok("1.5G", 3ULL << 29);
	size_ok("64 MiB", 64ULL << 20);
	size_bad("", -EINVAL);
	size_bad("K", -EINVAL);
	size_bad("-1", -EINVAL);
	size_bad("4X", -EINVAL);
	size_bad("4KiBx", -EINVAL);
	size_bad("12 34", -EINVAL);
	size_bad("18446744073709551616", -ERANGE);
	size_bad("17179869184G", -ERANGE);
	size_bad("16E", -ERANGE);
	size_ok("15E", 15ULL << 60);

	rate_ok("10gbit", 10000000000ULL);
	rate_ok("1.5Gbps", 1500000000ULL);
	rate_ok("100mbit", 100000000ULL);
	rate_ok("800kbps", 800000ULL);
	rate_ok("125MB/s", 1000000000ULL);
	rate_ok("1000", 1000);
	rate_bad("fast", -EINVAL);
	rate_bad("10gbitx", -EINVAL);
	rate_bad("10 furlongs", -EINVAL);
	rate_bad("99999999999999999999", -ERANGE);
	rate_bad("20000000000tbit", -ERANGE);

	dur_ok("50ms", 0, 50000000ULL);
	dur_ok("2s", 0, 2000000000ULL);
	dur_ok("1.5s", 0, 1500000000ULL);
	dur_ok("250us", 0, 250000ULL);
	dur_ok("0.1ms", 0, 100000ULL);
	dur_ok("3", 1000000000ULL, 3000000000ULL);
	dur_ok("1h", 0, 3600000000000ULL);
	dur_bad("3", 0, -EINVAL);
	dur_bad("ms", 0, -EINVAL);
	dur_bad("5 parsecs", 0, -EINVAL);
	dur_bad("-5ms", 0, -EINVAL);
	dur_bad("99999999999h", 0, -ERANGE);

	is_str(units_format_size(64ULL << 20, buf, sizeof(buf)), "64 MiB", "format 64 MiB");
	is_str(units_format_size(1536ULL << 20, buf, sizeof(buf)), "1.5 GiB", "format 1.5 GiB");
	is_str(units_format_size(512, buf, sizeof(buf)), "512 B", "format 512 B");
	is_str(units_format_rate(10000000000ULL, buf, sizeof(buf)), "10 Gbit/s", "format 10 Gbit/s");
	is_str(units_format_rate(1500000ULL, buf, sizeof(buf)), "1.5 Mbit/s", "format 1.5 Mbit/s");
	is_str(units_format_duration(80000000ULL, buf, sizeof(buf)), "80 ms", "format 80 ms");
	is_str(units_format_duration(1500000000ULL, buf, sizeof(buf)), "1.5 s", "format 1.5 s");
	is_str(units_format_duration(999, buf, sizeof(buf)), "999 ns", "format 999 ns");
	return done_testing();
}
