/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Summary statistics over a set of samples (latencies in any unit): min,
 * median, 95th percentile, max, mean and standard deviation. Pure
 * functions: no I/O, the caller's array is never modified.
 */
#ifndef TUNEKIT_STATS_H
#define TUNEKIT_STATS_H

#include <stddef.h>

struct stats {
	size_t n;      /* number of samples */
	double min;
	double median; /* stats_percentile(.., 50) */
	double p95;    /* stats_percentile(.., 95) */
	double max;
	double mean;
	double stddev; /* sample standard deviation (n - 1); 0 for one sample */
};

/*
 * Percentile p (0..100) of n samples sorted ascending, by linear
 * interpolation between closest ranks (numpy's default, R type 7, Python's
 * statistics.quantiles(method="inclusive")). n must be > 0.
 */
double stats_percentile_sorted(const double *sorted, size_t n, double p);

/*
 * Summarize n samples into *out. Returns 0, -EINVAL when n is 0 or a
 * sample is NaN or infinite (out untouched), -ENOMEM.
 */
int stats_summarize(const double *samples, size_t n, struct stats *out);

#endif
