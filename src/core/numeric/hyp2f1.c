/*
 * hyp2f1.c
 *		Gauss hypergeometric function and special functions (see hyp2f1.h).
 */
#include "numeric/hyp2f1.h"

#include <float.h>
#include <math.h>

/* how close to an integer c - a - b may come before we step around it */
#define HYP_DEGENERATE 1e-5

/*
 * Digamma function psi(x) for x > 0 (what the likelihood gradients need):
 * the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
 * asymptotic series, accurate to a few units of 1e-16 there.  NaN for x <= 0.
 */
double
clv_digamma(double x)
{
	double		acc = 0.0;
	double		x2;

	if (!(x > 0.0) || isinf(x))
		return isinf(x) && x > 0 ? x : NAN;
	while (x < 10.0)
	{
		acc -= 1.0 / x;
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	return acc + log(x) - 0.5 / x
		- x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 / 132))));
}

/*
 * log|Gamma(x)| with the sign of Gamma(x) in *sign.  At a pole (x a
 * non-positive integer) *sign is 0 and the result +Inf, so 1/Gamma is 0.
 * C99 lgamma() reports the sign only through a global, hence our own.
 */
double
clv_lgamma_sign(double x, int *sign)
{
	if (x > 0.0)
	{
		*sign = 1;
		return lgamma(x);
	}
	if (x == floor(x))
	{
		*sign = 0;
		return INFINITY;
	}
	/* Gamma is negative on (-1, 0), (-3, -2), ...: floor(x) odd */
	*sign = (fmod(floor(x), 2.0) != 0.0) ? -1 : 1;
	return lgamma(x);
}

/*
 * The power series sum_n (a)_n (b)_n / ((c)_n n!) z^n for |z| < 1, with the
 * largest term magnitude in *maxterm (so callers can judge cancellation).
 * Stops when a term no longer changes the sum, or when the series
 * terminates (a or b a non-positive integer).
 */
hyp_status
hyp2f1_series(double a, double b, double c, double z, double *sum, double *maxterm)
{
	double		s = 1.0;
	double		term = 1.0;
	double		big = 1.0;
	int			n;

	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) || !(fabs(z) < 1.0))
		return HYP_DOMAIN;
	if (c <= 0.0 && c == floor(c))
		return HYP_DOMAIN;
	for (n = 0; n < HYP_MAX_TERMS; n++)
	{
		term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		s += term;
		if (fabs(term) > big)
			big = fabs(term);
		if (!isfinite(s))
			return HYP_RANGE;
		/* a zero term ends a terminating series; else wait until negligible */
		if (term == 0.0 || (fabs(term) <= 0.25 * DBL_EPSILON * fabs(s) && n > 2))
		{
			*sum = s;
			*maxterm = big;
			return HYP_OK;
		}
	}
	return HYP_NO_CONVERGENCE;
}

/*
 * exp(lscale) * 2F1(a, b; c; z) for 1/2 < z < 1 by the transformation to
 * 1 - z (A&S 15.3.6), c - a - b not an integer:
 *	 F = G(c)G(c-a-b)/(G(c-a)G(c-b)) F(a, b; a+b-c+1; 1-z)
 *	   + (1-z)^(c-a-b) G(c)G(a+b-c)/(G(a)G(b)) F(c-a, c-b; c-a-b+1; 1-z).
 * Each Gamma factor is taken in logs with its sign, so 1/Gamma at a pole
 * is an exact zero and large arguments do not overflow.  *err bounds the
 * rounding error: per term, its size times (the series' largest term over
 * its sum, plus the size of the logs that were exponentiated) times a few
 * units of DBL_EPSILON; cancellation between the terms shows up as an
 * error large against the result.
 */
static hyp_status
hyp2f1_connect(double a, double b, double c, double z, double lscale,
			   double *out, double *err)
{
	double		m = c - a - b;
	double		w = 1.0 - z;
	double		s1 = 0.0,
				s2 = 0.0,
				big1 = 0.0,
				big2 = 0.0;
	double		l1 = 0.0,
				l2 = 0.0;
	int			g_c,
				g_m,
				g_ca,
				g_cb,
				g_mm,
				g_a,
				g_b;
	double		lg_c = clv_lgamma_sign(c, &g_c);
	double		lg_m = clv_lgamma_sign(m, &g_m);
	double		lg_ca = clv_lgamma_sign(c - a, &g_ca);
	double		lg_cb = clv_lgamma_sign(c - b, &g_cb);
	double		lg_mm = clv_lgamma_sign(-m, &g_mm);
	double		lg_a = clv_lgamma_sign(a, &g_a);
	double		lg_b = clv_lgamma_sign(b, &g_b);
	double		t1 = 0.0,
				t2 = 0.0;
	hyp_status	st;

	if (g_c == 0)
		return HYP_DOMAIN;
	/* first term: vanishes when c - a or c - b is a pole of Gamma */
	if (g_ca != 0 && g_cb != 0)
	{
		st = hyp2f1_series(a, b, 1.0 - m, w, &s1, &big1);
		if (st != HYP_OK)
			return st;
		if (s1 != 0.0)
		{
			l1 = lscale + lg_c + lg_m - lg_ca - lg_cb + log(fabs(s1));
			t1 = (double) (g_c * g_m * g_ca * g_cb) * (s1 < 0 ? -1.0 : 1.0) * exp(l1);
			l1 = fabs(lscale) + fabs(lg_c) + fabs(lg_m) + fabs(lg_ca) + fabs(lg_cb) +
				4.0 * big1 / fabs(s1);
		}
	}
	if (g_a != 0 && g_b != 0)
	{
		st = hyp2f1_series(c - a, c - b, 1.0 + m, w, &s2, &big2);
		if (st != HYP_OK)
			return st;
		if (s2 != 0.0)
		{
			l2 = lscale + m * log(w) + lg_c + lg_mm - lg_a - lg_b + log(fabs(s2));
			t2 = (double) (g_c * g_mm * g_a * g_b) * (s2 < 0 ? -1.0 : 1.0) * exp(l2);
			l2 = fabs(lscale) + fabs(m * log(w)) + fabs(lg_c) + fabs(lg_mm) +
				fabs(lg_a) + fabs(lg_b) + 4.0 * big2 / fabs(s2);
		}
	}
	*out = t1 + t2;
	*err = 4.0 * DBL_EPSILON * (fabs(t1) * (l1 + 1.0) + fabs(t2) * (l2 + 1.0));
	return isfinite(*out) && isfinite(*err) ? HYP_OK : HYP_RANGE;
}

/*
 * exp(lscale) * 2F1(a, b; c; z) for 0 <= z < 1 (see hyp2f1.h for the
 * method), with a bound on its absolute error in *err.  HYP_LOSS when
 * that bound exceeds 1e-8 of the result.
 */
hyp_status
hyp2f1_scaled(double a, double b, double c, double z, double lscale,
			  double *out, double *err)
{
	double		s,
				big,
				m,
				lo,
				hi,
				elo,
				ehi;
	hyp_status	st;

	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) || isnan(lscale) ||
		!(z >= 0.0 && z < 1.0) || (c <= 0.0 && c == floor(c)))
		return HYP_DOMAIN;
	if (z <= 0.5)
	{
		st = hyp2f1_series(a, b, c, z, &s, &big);
		if (st != HYP_OK)
			return st;
		*out = s * exp(lscale);
		*err = 4.0 * DBL_EPSILON * (big * exp(lscale) + fabs(*out) * (fabs(lscale) + 1.0));
	}
	else
	{
		m = c - a - b;
		if (fabs(m - nearbyint(m)) >= HYP_DEGENERATE)
			st = hyp2f1_connect(a, b, c, z, lscale, out, err);
		else
		{
			/* removable singularity: the mean of the two neighbours in a */
			st = hyp2f1_connect(a - HYP_DEGENERATE, b, c, z, lscale, &lo, &elo);
			if (st == HYP_OK)
				st = hyp2f1_connect(a + HYP_DEGENERATE, b, c, z, lscale, &hi, &ehi);
			if (st != HYP_OK)
				return st;
			*out = 0.5 * (lo + hi);
			/* rounding, plus the curvature term (about delta * |hi - lo|) */
			*err = 0.5 * (elo + ehi) + HYP_DEGENERATE * fabs(hi - lo);
		}
		if (st != HYP_OK)
			return st;
	}
	if (!isfinite(*out))
		return HYP_RANGE;
	return *err <= 1e-8 * fabs(*out) ? HYP_OK : HYP_LOSS;
}

/*
 * 2F1(a, b; c; z) for real z < 1: Pfaff's transformation for z < 0, then
 * hyp2f1_scaled().
 */
hyp_status
hyp2f1(double a, double b, double c, double z, double *out)
{
	double		err;

	if (isnan(z) || !(z < 1.0))
		return HYP_DOMAIN;
	if (z < 0.0)
		return hyp2f1_scaled(a, c - b, c, z / (z - 1.0), -a * log1p(-z), out, &err);
	return hyp2f1_scaled(a, b, c, z, 0.0, out, &err);
}
