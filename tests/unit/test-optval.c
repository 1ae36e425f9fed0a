/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/optval: strict option values with ranges; counts are never sizes. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "optval.h"
#include "tap.h"

static int parses(enum optval_kind k, const char *arg, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 0;
	return optval_parse(k, arg, min, max, &v, NULL) == 0 && v == want;
}

static int refused(enum optval_kind k, const char *arg, uint64_t min, uint64_t max, int rc)
{
	uint64_t v = 7;
	const char *why = NULL;
	return optval_parse(k, arg, min, max, &v, &why) == rc && v == 7 && why != NULL;
}

int main(void)
{
	ok(parses(OPTVAL_COUNT, "64", 1, 100, 64), "count 64");
	ok(refused(OPTVAL_COUNT, "1k", 1, 1000000, -EINVAL), "a count is not a size: 1k refused");
	ok(refused(OPTVAL_COUNT, "-1", 0, 10, -EINVAL), "no sign");
	ok(refused(OPTVAL_COUNT, " 5", 0, 10, -EINVAL), "no blank");
	ok(refused(OPTVAL_COUNT, "", 0, 10, -EINVAL), "empty refused");
	ok(refused(OPTVAL_COUNT, "0", 1, 10, -ERANGE), "below the range");
	ok(refused(OPTVAL_COUNT, "101", 0, 100, -ERANGE), "above the range");
	ok(refused(OPTVAL_COUNT, "18446744073709551616", 0, UINT64_MAX, -ERANGE), "2^64 overflows");
	ok(parses(OPTVAL_COUNT, "18446744073709551615", 0, UINT64_MAX, UINT64_MAX), "2^64-1 fits");
	ok(parses(OPTVAL_SIZE, "4K", 1, UINT64_MAX, 4096), "size 4K");
	ok(refused(OPTVAL_SIZE, "4Q", 1, UINT64_MAX, -EINVAL), "size with a bad unit");
	ok(parses(OPTVAL_DURATION, "200ms", 1, UINT64_MAX, 200000000), "duration 200ms");
	ok(refused(OPTVAL_DURATION, "200", 1, UINT64_MAX, -EINVAL), "a duration needs a unit");
	ok(parses(OPTVAL_SECONDS, "2", 1, UINT64_MAX, 2000000000), "seconds: a bare 2 is 2 s");
	ok(refused(OPTVAL_SECONDS, "0", 1, 86400000000000ULL, -ERANGE), "0 s below the range");
	ok(refused(OPTVAL_SECONDS, "100000", 1, 86400000000000ULL, -ERANGE), "100000 s above it");
	ok(parses(OPTVAL_RATE, "10gbit", 1, UINT64_MAX, 10000000000ULL), "rate 10gbit");
	ok(refused(OPTVAL_RATE, "fast", 1, UINT64_MAX, -EINVAL), "rate fast refused");
	ok(parses(OPTVAL_MILLIS, "250", 1, UINT64_MAX, 250000000), "millis: a bare 250 is 250 ms");
	ok(parses(OPTVAL_MILLIS, "2s", 1, UINT64_MAX, 2000000000), "millis: 2s with its unit");
	ok(refused(OPTVAL_MILLIS, "0", 1000000, 60000000000ULL, -ERANGE), "millis: 0 below 1 ms");
	ok(refused(OPTVAL_MILLIS, "2m", 1000000, 60000000000ULL, -ERANGE), "millis: 2m above 60 s");
	ok(refused(OPTVAL_MILLIS, "5parsecs", 1, UINT64_MAX, -EINVAL), "millis: a bad unit");

	double d = -1;
	const char *why = NULL;
	ok(optval_parse_real("0.5", 0, 100, &d, NULL) == 0 && d == 0.5, "real 0.5");
	ok(optval_parse_real("12", 0, 100, &d, NULL) == 0 && d == 12, "real 12");
	ok(optval_parse_real("7.", 0, 100, &d, NULL) == 0 && d == 7, "real 7.");
	ok(optval_parse_real(".25", 0, 100, &d, NULL) == 0 && d == 0.25, "real .25");
	static const char *const bad[] = { "", ".", "-1", "+1", " 1", "1 ", "1e2", "0x10", "inf", "nan",
					   "1.2.3", "5%" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = -1;
		why = NULL;
		ok(optval_parse_real(bad[i], 0, 1e12, &d, &why) == -EINVAL && d == -1 && why,
		   "real '%s' refused", bad[i]);
	}
	ok(optval_parse_real("100.5", 0, 100, &d, &why) == -ERANGE && why, "real above the range");
	ok(optval_parse_real("1000000000000000000000000000000", 0, 1e12, &d, &why) == -ERANGE,
	   "real far above the range");
	return done_testing();
}
