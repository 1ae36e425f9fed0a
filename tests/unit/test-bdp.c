/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BDP sizing rule of nettune-buffers, on the table of issue 4. */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "bdp.h"
#include "tap.h"
#include "units.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define MS 1000000ULL

static void sized(const char *rate, const char *rtt, uint64_t floor, uint64_t max,
		  uint64_t ram, uint64_t want_bdp, uint64_t want_buf, enum bdp_limit want_limit)
{
	uint64_t bps = 0, ns = 0;
	struct bdp_sizing s = { 0 };
	int rc = units_parse_rate(rate, &bps);
	rc = rc ? rc : units_parse_duration(rtt, 0, &ns);
	rc = rc ? rc : bdp_size_buffer(bps, ns, floor, max, ram, &s);
	ok(rc == 0 && s.bdp == want_bdp && s.buffer == want_buf && s.limit == want_limit,
	   "%s/%s: bdp %llu buffer %llu limit %s (got rc %d, %llu, %llu, %s)", rate, rtt,
	   (unsigned long long)want_bdp, (unsigned long long)want_buf,
	   bdp_limit_name(want_limit), rc, (unsigned long long)s.bdp,
	   (unsigned long long)s.buffer, bdp_limit_name(s.limit));
}

int main(void)
{
	uint64_t b = 0, pages = 0;
	struct bdp_sizing s;

	/* the table: 2 x BDP rounded up to a power of two */
	sized("1gbit", "20ms", BDP_KERNEL_RMEM_MAX, 0, 0, 2500000, 8 * MiB, BDP_LIMIT_NONE);
	sized("10gbit", "100ms", BDP_KERNEL_RMEM_MAX, 0, 0, 125000000, 256 * MiB, BDP_LIMIT_NONE);
	sized("100mbit", "300ms", BDP_KERNEL_RMEM_MAX, 0, 0, 3750000, 8 * MiB, BDP_LIMIT_NONE);
	sized("10gbit", "100ms", BDP_KERNEL_RMEM_MAX, 128 * MiB, 0, 125000000, 128 * MiB, BDP_LIMIT_MAX);
	sized("10gbit", "100ms", BDP_KERNEL_RMEM_MAX, 0, 1 * GiB, 125000000, 128 * MiB, BDP_LIMIT_RAM);
	sized("1gbit", "1ms", BDP_KERNEL_RMEM_MAX, 0, 0, 125000, BDP_KERNEL_RMEM_MAX, BDP_LIMIT_FLOOR);
	/* a power of two stays: 2 x 4 MiB BDP = 8 MiB */
	sized("33554432bit", "1s", 0, 0, 0, 4 * MiB, 8 * MiB, BDP_LIMIT_NONE);
	/* tiny: 1 bit/s for 1 ns is a fraction of a byte, rounded up to 1 */
	sized("1", "1ns", 0, 0, 0, 1, 2, BDP_LIMIT_NONE);
	sized("1kbit", "1ms", BDP_KERNEL_WMEM_MAX, 0, 0, 1, BDP_KERNEL_WMEM_MAX, BDP_LIMIT_FLOOR);
	/* huge: capped by the kernel's INT_MAX even without --max */
	sized("100tbit", "1s", 0, 0, 0, 12500000000000ULL, BDP_KERNEL_LIMIT, BDP_LIMIT_MAX);
	sized("18446744073709551615", "1ns", 0, 0, 0, 2305843010ULL, BDP_KERNEL_LIMIT, BDP_LIMIT_MAX);

	/* overflow of rate x rtt and zero inputs */
	is_int(bdp_bytes(UINT64_MAX, 3600ULL * 1000 * MS, &b), -ERANGE, "max rate x 1h overflows");
	is_int(bdp_bytes(UINT64_MAX, 8000000000ULL, &b), 0, "max rate x 8s fits exactly");
	is_u64(b, UINT64_MAX, "... and is UINT64_MAX bytes");
	is_int(bdp_size_buffer(UINT64_MAX, 8000000000ULL, 0, 0, 0, &s), 0, "saturating 2 x BDP");
	is_u64(s.wanted, UINT64_MAX, "wanted saturates");
	is_u64(s.buffer, BDP_KERNEL_LIMIT, "buffer still capped");
	is_int(bdp_bytes(0, MS, &b), -EINVAL, "zero rate rejected");
	is_int(bdp_bytes(1000, 0, &b), -EINVAL, "zero rtt rejected");

	/* junk units never reach the rule */
	uint64_t v;
	is_int(units_parse_rate("10gbits", &v), -EINVAL, "junk rate unit '10gbits'");
	is_int(units_parse_rate("fast", &v), -EINVAL, "junk rate 'fast'");
	is_int(units_parse_duration("80 parsecs", 0, &v), -EINVAL, "junk rtt unit");
	is_int(units_parse_duration("-5ms", 0, &v), -EINVAL, "negative rtt");

	/* powers of two */
	is_u64(bdp_pow2_up(0), 1, "pow2(0) = 1");
	is_u64(bdp_pow2_up(5000000), 8388608, "pow2(5e6) = 8 MiB");
	is_u64(bdp_pow2_up(1ULL << 40), 1ULL << 40, "pow2 of a power of two");
	is_u64(bdp_pow2_up((1ULL << 63) + 1), UINT64_MAX, "pow2 beyond 2^63 saturates");

	/* the original's fallback: 1/8 of RAM, at most 128 MiB */
	bdp_fallback(24 * GiB, BDP_KERNEL_RMEM_MAX, 0, &s);
	ok(s.buffer == 128 * MiB && s.limit == BDP_LIMIT_MAX, "fallback 24 GiB RAM -> 128 MiB (capped)");
	bdp_fallback(512 * MiB, BDP_KERNEL_RMEM_MAX, 0, &s);
	ok(s.buffer == 64 * MiB && s.limit == BDP_LIMIT_NONE, "fallback 512 MiB RAM -> 64 MiB");
	bdp_fallback(16 * MiB, BDP_KERNEL_RMEM_MAX, 0, &s);
	ok(s.buffer == BDP_KERNEL_RMEM_MAX && s.limit == BDP_LIMIT_FLOOR, "fallback tiny RAM -> kernel default");
	bdp_fallback(24 * GiB, BDP_KERNEL_RMEM_MAX, 32 * MiB, &s);
	ok(s.buffer == 32 * MiB && s.limit == BDP_LIMIT_MAX, "fallback honours --max");

	/* tcp_mem ceiling (pages) vs N flows */
	ok(bdp_tcp_mem_fits(575796, 4096, 16, 128 * MiB, &pages) == 1 && pages == 524288,
	   "16 flows of 128 MiB fit 575796 pages");
	ok(bdp_tcp_mem_fits(575796, 4096, 32, 128 * MiB, &pages) == 0 && pages == 1048576,
	   "32 flows of 128 MiB do not");
	ok(bdp_tcp_mem_fits(10, 4096, UINT64_MAX, UINT64_MAX, &pages) == 0 && pages == UINT64_MAX,
	   "absurd flows saturate");
	is_str(bdp_limit_name(BDP_LIMIT_RAM), "ram", "limit names");
	is_str(bdp_limit_name(BDP_LIMIT_DEFAULT), "default", "limit name of a raised maximum");

	/* a cap under the default: the maximum goes back up to the default */
	sized("10gbit", "100ms", BDP_KERNEL_RMEM_MAX, 0, 512 * 1024, 125000000, 64 * 1024, BDP_LIMIT_RAM);
	bdp_size_buffer(10000000000ULL, 100 * MS, BDP_KERNEL_RMEM_MAX, 0, 512 * 1024, &s);
	is_int(bdp_keep_order(&s, 212992), 1, "64 KiB RAM cap under a 208 KiB default is raised");
	ok(s.buffer == 212992 && s.limit == BDP_LIMIT_DEFAULT, "... to the default, limit 'default'");
	is_int(bdp_keep_order(&s, 212992), 0, "a maximum equal to its default stays");
	s.buffer = 212993;
	s.limit = BDP_LIMIT_NONE;
	ok(bdp_keep_order(&s, 212992) == 0 && s.buffer == 212993 && s.limit == BDP_LIMIT_NONE,
	   "one above the default stays, limit untouched");
	s.buffer = 0;
	ok(bdp_keep_order(&s, 1) == 1 && s.buffer == 1, "a zero maximum is raised to a default of 1");
	/* --max below the floor wins over the floor: the caller must keep the order */
	sized("1kbit", "1ms", BDP_KERNEL_RMEM_MAX, 1, 0, 1, 1, BDP_LIMIT_MAX);

	/* triplet order */
	is_int(bdp_triplet_ordered(4096, 131072, 6291456), 1, "kernel tcp_rmem is ordered");
	is_int(bdp_triplet_ordered(4096, 131072, 1), 0, "max 1 under default 131072 is not");
	is_int(bdp_triplet_ordered(4096, 131072, 131072), 1, "max equal to default is");
	is_int(bdp_triplet_ordered(4096, 131072, 131071), 0, "max one under default is not");
	is_int(bdp_triplet_ordered(131073, 131072, 6291456), 0, "min over default is not");
	is_int(bdp_triplet_ordered(131072, 131072, 131072), 1, "all equal is");
	is_int(bdp_triplet_ordered(0, 0, 0), 1, "all zero is (the kernel refuses it elsewhere)");
	is_int(bdp_triplet_ordered(UINT64_MAX, UINT64_MAX, UINT64_MAX), 1, "all max is");
	return done_testing();
}
