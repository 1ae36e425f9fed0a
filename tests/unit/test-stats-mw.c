/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mann-Whitney U, the normal quantile and the MAD sigma (lib/stats.c).
 * Reference values: scipy.stats.mannwhitneyu(a, b, method="asymptotic")
 * (two-sided, continuity correction), worked by hand in the comments.
 */
#include "config.h"

#include <errno.h>
#include <math.h>

#include "stats.h"
#include "tap.h"

static int near(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

int main(void)
{
	struct mann_whitney mw;

	/*
	 * Fully separated, no ties: ranks of a are 1..5, R = 15,
	 * U_a = 15 - 5*6/2 = 0, U_b = 25, mu = 12.5,
	 * var = 5*5/12 * 11 = 22.9167, z = (25 - 12.5 - 0.5) / 4.78714 = 2.50672,
	 * p = erfc(2.50672 / sqrt 2) = 0.0121858 (scipy: 0.012185780355344818).
	 */
	double a1[] = { 1, 2, 3, 4, 5 }, b1[] = { 6, 7, 8, 9, 10 };
	is_int(stats_mann_whitney(a1, 5, b1, 5, &mw), 0, "separated samples");
	ok(mw.u_a == 0, "separated: U_a 0 (got %g)", mw.u_a);
	ok(near(mw.z, 2.5067182457620487, 1e-9), "separated: z 2.50672 (got %.10g)", mw.z);
	ok(near(mw.p, 0.012185780355344818, 1e-9), "separated: p 0.0121858 (got %.10g)", mw.p);
	ok(near(mw.shift, 5, 1e-12), "separated: Hodges-Lehmann shift b - a = 5 (got %g)", mw.shift);
	ok(mw.prob_b_gt == 1, "separated: P(b > a) = 1");

	/* the same, swapped: U_a = 25, the same p, the shift negated */
	is_int(stats_mann_whitney(b1, 5, a1, 5, &mw), 0, "swapped samples");
	ok(mw.u_a == 25 && near(mw.p, 0.012185780355344818, 1e-9) && near(mw.shift, -5, 1e-12),
	   "swapped: U_a 25, same p, shift -5");

	/*
	 * scipy's documented example (males vs females): U_a = 17,
	 * asymptotic p = 0.11134688653314041. Ranks of a in the pooled
	 * 11 12 16 17 19 20 22 24 29: 19->5, 22->7, 16->3, 29->9, 24->8, R = 32,
	 * U_a = 32 - 15 = 17; var = 20/12 * 10 = 16.667, z = (17 - 10 - .5)/4.0825.
	 */
	double a2[] = { 19, 22, 16, 29, 24 }, b2[] = { 20, 11, 17, 12 };
	is_int(stats_mann_whitney(a2, 5, b2, 4, &mw), 0, "scipy example");
	ok(mw.u_a == 17, "scipy example: U_a 17 (got %g)", mw.u_a);
	ok(near(mw.p, 0.11134688653314041, 1e-9), "scipy example: p 0.111347 (got %.10g)", mw.p);

	/*
	 * Ties: pooled 1 2 2 2 3 3 4 4 -> midranks 1, 3, 3, 3, 5.5, 5.5, 7.5, 7.5;
	 * a = {1,2,2,3}: R = 1 + 3 + 3 + 5.5 = 12.5, U_a = 12.5 - 10 = 2.5;
	 * tie sum = (27-3) + (8-2) + (8-2) = 36, var = 16/12 * (9 - 36/56) = 11.142857,
	 * z = (13.5 - 8 - .5) / 3.33809 = 1.49786, p = 0.134169.
	 */
	double a3[] = { 1, 2, 2, 3 }, b3[] = { 2, 3, 4, 4 };
	is_int(stats_mann_whitney(a3, 4, b3, 4, &mw), 0, "tied samples");
	ok(mw.u_a == 2.5, "ties: U_a 2.5 (got %g)", mw.u_a);
	ok(near(mw.z, 1.4978617237881953, 1e-9), "ties: z 1.49786 (got %.10g)", mw.z);
	ok(near(mw.p, 0.13416918012812581, 1e-9), "ties: p 0.134169 (got %.10g)", mw.p);
	ok(near(mw.prob_b_gt, 13.5 / 16, 1e-12), "ties: P(b > a) + P(=)/2 = 13.5/16 (got %g)", mw.prob_b_gt);

	/* every value equal: no spread, no evidence */
	double same[] = { 7, 7, 7 };
	is_int(stats_mann_whitney(same, 3, same, 3, &mw), 0, "all tied");
	ok(mw.p == 1 && mw.z == 0 && mw.shift == 0, "all tied: p 1, z 0, shift 0");

	/* one outlier does not move the verdict: ranks, not values */
	double a4[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
	double b4[] = { 20, 21, 22, 23, 24, 25, 26, 27, 28, 1e9 };
	double b5[] = { 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 };
	struct mann_whitney mw2;
	is_int(stats_mann_whitney(a4, 10, b4, 10, &mw), 0, "outlier sample");
	is_int(stats_mann_whitney(a4, 10, b5, 10, &mw2), 0, "outlier-free sample");
	ok(mw.p == mw2.p && mw.shift == mw2.shift, "an outlier of 1e9 changes neither p nor the shift");
	/* n = 10 + 10 separated: var = 100/12 * 21 = 175, z = (100 - 50 - .5)/13.2288 = 3.74185, p = 1.8267e-4 */
	ok(near(mw.p, 1.8267e-4, 1e-7), "10 vs 10 separated: p 1.8267e-4 (got %.6g)", mw.p);

	/* invalid input */
	double nan1[] = { 1, NAN };
	is_int(stats_mann_whitney(a1, 0, b1, 5, &mw), -EINVAL, "empty a rejected");
	is_int(stats_mann_whitney(a1, 5, b1, 0, &mw), -EINVAL, "empty b rejected");
	is_int(stats_mann_whitney(nan1, 2, b1, 5, &mw), -EINVAL, "NaN rejected");

	/* normal quantile: z(0.975) = 1.959963985, z(0.8) = 0.8416212336, z(0.01) = -2.326347874 */
	ok(near(stats_normal_quantile(0.975), 1.959963985, 1e-8), "z(0.975) 1.95996");
	ok(near(stats_normal_quantile(0.8), 0.8416212336, 1e-8), "z(0.8) 0.84162");
	ok(near(stats_normal_quantile(0.01), -2.326347874, 1e-8), "z(0.01) -2.32635");
	ok(near(stats_normal_quantile(0.5), 0, 1e-12), "z(0.5) 0");

	/* MAD: {1,2,3,4,100}: median 3, deviations 2 1 0 1 97 -> median 1, sigma 1.4826 */
	double mad[] = { 1, 2, 3, 4, 100 }, sigma = 0;
	is_int(stats_mad_sigma(mad, 5, &sigma), 0, "MAD sigma");
	ok(near(sigma, 1.4826, 1e-12), "MAD sigma 1.4826 (got %g)", sigma);
	is_int(stats_mad_sigma(mad, 0, &sigma), -EINVAL, "MAD of nothing rejected");

	return done_testing();
}
