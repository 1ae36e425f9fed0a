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

struct ranked {
	double v;
	int from_b;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;
	return (x > y) - (x < y);
}

static int all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct mann_whitney *out)
{
	if (!na || !nb || !a || !b || !all_finite(a, na) || !all_finite(b, nb))
		return -EINVAL;
	if (na > ((size_t)1 << 24) / nb)
		return -E2BIG;
	size_t n = na + nb;
	struct ranked *all = malloc(n * sizeof(*all));
	double *diff = malloc(na * nb * sizeof(*diff));
	if (!all || !diff) {
		free(all);
		free(diff);
		return -ENOMEM;
	}
	for (size_t i = 0; i < na; i++)
		all[i] = (struct ranked){ a[i], 0 };
	for (size_t j = 0; j < nb; j++)
		all[na + j] = (struct ranked){ b[j], 1 };
	qsort(all, n, sizeof(*all), cmp_ranked);

	/* midranks; tie_sum is the sum of t^3 - t over groups of t equal values */
	double rank_sum_a = 0, tie_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		double midrank = ((double)i + (double)j) / 2 + 1, t = (double)(j - i + 1);
		tie_sum += t * t * t - t;
		for (size_t k = i; k <= j; k++)
			if (!all[k].from_b)
				rank_sum_a += midrank;
		i = j + 1;
	}
	double dna = (double)na, dnb = (double)nb, dn = (double)n;
	double u_a = rank_sum_a - dna * (dna + 1) / 2, u_b = dna * dnb - u_a;
	double mu = dna * dnb / 2;
	double var = n > 1 ? dna * dnb / 12 * ((dn + 1) - tie_sum / (dn * (dn - 1))) : 0;

	out->na = na;
	out->nb = nb;
	out->u_a = u_a;
	out->prob_b_gt = u_b / (dna * dnb);
	if (var > 0) {
		double u = u_a > u_b ? u_a : u_b;
		out->z = (u - mu - 0.5) / sqrt(var);
		out->p = erfc(out->z / sqrt(2.0));
		if (out->p > 1)
			out->p = 1;
	} else {
		out->z = 0;
		out->p = 1;
	}

	size_t nd = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			diff[nd++] = b[j] - a[i];
	qsort(diff, nd, sizeof(*diff), cmp_double);
	out->shift = stats_percentile_sorted(diff, nd, 50);
	free(diff);
	free(all);
	return 0;
}

double stats_normal_quantile(double p)
{
	/* P. J. Acklam's rational approximation, lower tail region below 0.02425 */
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				    6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				    -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				    3.754408661907416e+00 };
	const double low = 0.02425;
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < low || p > 1 - low) {
		double q = sqrt(-2 * log(p < low ? p : 1 - p));
		double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			   ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
		return p < low ? x : -x;
	}
	double q = p - 0.5, r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

int stats_mad_sigma(const double *samples, size_t n, double *out)
{
	if (!n || !samples || !all_finite(samples, n))
		return -EINVAL;
	double *v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, samples, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	double median = stats_percentile_sorted(v, n, 50);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - median);
	qsort(v, n, sizeof(*v), cmp_double);
	*out = 1.4826 * stats_percentile_sorted(v, n, 50);
	free(v);
	return 0;
}
