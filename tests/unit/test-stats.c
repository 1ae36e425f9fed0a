/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>

#include "stats.h"
#include "tap.h"

/* Reference values from Python: statistics.quantiles(method="inclusive"). */
static int near(double got, double want)
{
	return fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
}

int main(void)
{
	struct stats s;

	double one[] = { 42.5 };
	is_int(stats_summarize(one, 1, &s), 0, "one sample");
	ok(s.n == 1 && s.min == 42.5 && s.median == 42.5 && s.p95 == 42.5 && s.max == 42.5,
	   "one sample: min = median = p95 = max");
	ok(s.mean == 42.5 && s.stddev == 0, "one sample: mean is it, stddev 0");

	/* unsorted input, odd count */
	double five[] = { 5, 1, 4, 2, 3 };
	is_int(stats_summarize(five, 5, &s), 0, "five samples");
	ok(s.min == 1 && s.max == 5 && s.median == 3, "five: min 1, median 3, max 5");
	ok(near(s.p95, 4.8), "five: p95 interpolates 4 + 0.8 * (5 - 4) = 4.8 (got %g)", s.p95);
	ok(near(s.mean, 3) && near(s.stddev, sqrt(2.5)), "five: mean 3, sample stddev sqrt(2.5) (got %g)", s.stddev);
	ok(five[0] == 5 && five[4] == 3, "input array left unsorted");

	/* even count: the median is the mean of the middle two */
	double four[] = { 10, 40, 20, 30 };
	is_int(stats_summarize(four, 4, &s), 0, "four samples");
	ok(near(s.median, 25), "four: median 25 (got %g)", s.median);
	ok(near(s.p95, 38.5), "four: p95 = 30 + 0.85 * 10 = 38.5 (got %g)", s.p95);

	/* 1..100: p95 = 95.05 (rank 94.05) */
	double hundred[100];
	for (int i = 0; i < 100; i++)
		hundred[99 - i] = i + 1;
	is_int(stats_summarize(hundred, 100, &s), 0, "1..100");
	ok(near(s.median, 50.5) && near(s.p95, 95.05), "1..100: median 50.5, p95 95.05 (got %g, %g)",
	   s.median, s.p95);
	ok(near(s.mean, 50.5) && near(s.stddev, 29.011491975882016), "1..100: mean 50.5, stddev 29.0115 (got %.12g)",
	   s.stddev);

	/* one outlier moves max and p95, not the median */
	double spike[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 500 };
	is_int(stats_summarize(spike, 20, &s), 0, "outlier set");
	ok(s.median == 1 && s.max == 500, "outlier: median 1, max 500");
	ok(near(s.p95, 1 + 0.05 * 499), "outlier: p95 = 1 + 0.05 * 499 = 25.95 (got %g)", s.p95);

	/* large close values: Welford keeps the variance exact enough */
	double close[] = { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 };
	is_int(stats_summarize(close, 4, &s), 0, "large close values");
	ok(near(s.stddev * s.stddev, 30), "large close values: variance 30 (got %.9g)", s.stddev * s.stddev);

	/* percentile edges */
	double sorted[] = { 1, 2, 3 };
	ok(stats_percentile_sorted(sorted, 3, 0) == 1 && stats_percentile_sorted(sorted, 3, 100) == 3,
	   "p0 is min, p100 is max");
	ok(stats_percentile_sorted(sorted, 3, -5) == 1 && stats_percentile_sorted(sorted, 3, 250) == 3,
	   "out-of-range percentiles clamp");

	/* invalid input leaves out alone */
	struct stats keep = { .n = 77 };
	double bad[] = { 1, NAN, 3 };
	double inf[] = { INFINITY };
	is_int(stats_summarize(bad, 3, &keep), -EINVAL, "NaN sample rejected");
	is_int(stats_summarize(inf, 1, &keep), -EINVAL, "infinite sample rejected");
	is_int(stats_summarize(one, 0, &keep), -EINVAL, "no samples rejected");
	is_int((long long)keep.n, 77, "rejected input leaves the result untouched");

	return done_testing();
}
