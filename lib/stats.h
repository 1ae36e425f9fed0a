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

/*
 * Mann-Whitney U test of two independent samples a (na) and b (nb):
 * midranks for ties, the normal approximation with the tie correction and
 * a continuity correction of 0.5, two-sided (scipy.stats.mannwhitneyu with
 * method="asymptotic", use_continuity=True, alternative="two-sided").
 */
struct mann_whitney {
	size_t na, nb;
	double u_a;       /* U of a: pairs (a_i, b_j) with a_i > b_j, ties count 1/2 */
	double z;         /* (max(U_a, U_b) - na nb / 2 - 0.5) / sigma; 0 when sigma is 0 */
	double p;         /* two-sided p-value, 1 when every value ties */
	double shift;     /* Hodges-Lehmann: median of b_j - a_i over all pairs */
	double prob_b_gt; /* P(b > a) + P(b = a) / 2 = U_b / (na nb) */
};

/*
 * Run the test. Returns 0, -EINVAL when a sample is empty or holds a NaN or
 * an infinity, -E2BIG when na * nb exceeds 2^24 (the shift is exact, over
 * all pairs), -ENOMEM.
 */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct mann_whitney *out);

/* The standard normal quantile (inverse CDF) of p, 0 < p < 1 (Acklam, |error| < 1.2e-9). */
double stats_normal_quantile(double p);

/* Median absolute deviation from the median, scaled by 1.4826 (a robust sigma). */
int stats_mad_sigma(const double *samples, size_t n, double *out);

#endif
