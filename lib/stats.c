/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double stats_percentile_sorted(const double *sorted, size_t n, double p)
{
	if (n == 1 || p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	double rank = p / 100.0 * (double)(n - 1);
	size_t lo = (size_t)rank;
	double frac = rank - (double)lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

int stats_summarize(const double *samples, size_t n, struct stats *out)
{
	if (!n || !samples)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(samples[i]))
			return -EINVAL;

	double *sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, samples, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);

	/* Welford: one pass, no catastrophic cancellation on close values */
	double mean = 0, m2 = 0;
	for (size_t i = 0; i < n; i++) {
		double delta = sorted[i] - mean;
		mean += delta / (double)(i + 1);
		m2 += delta * (sorted[i] - mean);
	}

	out->n = n;
	out->min = sorted[0];
	out->max = sorted[n - 1];
	out->median = stats_percentile_sorted(sorted, n, 50);
	out->p95 = stats_percentile_sorted(sorted, n, 95);
	out->mean = mean;
	out->stddev = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0;
	free(sorted);
	return 0;
}
