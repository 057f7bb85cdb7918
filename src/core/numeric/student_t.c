/*
 * student_t.c
 *		Student t and F probabilities (see student_t.h).
 */
#include <math.h>

#include "numeric/student_t.h"

#define ST_LN_SQRT_2PI 0.918938533204672741780329736406

/*
 * Remainder of Stirling's series: lgamma(x) - ((x - 1/2) log x - x +
 * log sqrt(2 pi)), for x >= 10.  Terms B_2k / (2k (2k-1) x^(2k-1)) up to
 * k = 8; the next term is below 1e-19 at x = 10.
 */
static double
stirling_rest(double x)
{
	double		x2 = 1.0 / (x * x);

	return (1.0 / 12.0 +
			x2 * (-1.0 / 360.0 +
				  x2 * (1.0 / 1260.0 +
						x2 * (-1.0 / 1680.0 +
							  x2 * (1.0 / 1188.0 +
									x2 * (-691.0 / 360360.0 +
										  x2 * (1.0 / 156.0 +
												x2 * (-3617.0 / 122400.0)))))))) / x;
}

/*
 * log B(a, b).  For large arguments lgamma(a) + lgamma(b) - lgamma(a + b)
 * cancels badly, so the Stirling forms are combined analytically first.
 */
double
st_lbeta(double a, double b)
{
	double		p = a < b ? a : b;
	double		q = a < b ? b : a;
	double		s = p + q;

	if (p >= 10.0)
		return -0.5 * log(q) + ST_LN_SQRT_2PI +
			stirling_rest(p) + stirling_rest(q) - stirling_rest(s) +
			(p - 0.5) * log(p / s) + q * log1p(-p / s);
	if (q >= 10.0)
		return lgamma(p) + stirling_rest(q) - stirling_rest(s) +
			p - p * log(s) + (q - 0.5) * log1p(-p / s);
	return lgamma(p) + lgamma(q) - lgamma(s);
}

/* one step of the modified Lentz method with partial numerator num */
static double
lentz_step(double num, double *c, double *d)
{
	const double tiny = 1e-300;

	*d = 1.0 + num * *d;
	if (fabs(*d) < tiny)
		*d = tiny;
	*c = 1.0 + num / *c;
	if (fabs(*c) < tiny)
		*c = tiny;
	*d = 1.0 / *d;
	return *d * *c;
}

/* continued fraction of I_x(a, b) (DLMF 8.17.22), modified Lentz */
static double
incbeta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1.0;
	double		d = 1.0 - (a + b) * x / (a + 1.0);
	double		f;
	int			m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	f = d;
	for (m = 1; m <= 100000; m++)
	{
		double		delta;

		/* even step: d_{2m} */
		f *= lentz_step(m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
						&c, &d);
		/* odd step: d_{2m+1} */
		delta = lentz_step(-(a + m) * (a + b + m) * x /
						   ((a + 2 * m) * (a + 2 * m + 1)), &c, &d);
		f *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			break;
	}
	return f;
}

/*
 * I_x(a, b) = x^a y^b / (a B(a, b)) * CF, using the symmetry
 * I_x(a, b) = 1 - I_y(b, a) where the fraction converges slowly.
 */
double
st_incbeta(double a, double b, double x, double y, double logx, double logy)
{
	double		front;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	if (x > (a + 1.0) / (a + b + 2.0))
		return 1.0 - st_incbeta(b, a, y, x, logy, logx);
	front = exp(a * logx + b * logy - st_lbeta(a, b)) / a;
	return front * incbeta_cf(a, b, x);
}

/*
 * P(T > |t|) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2); x, 1 - x and
 * their logs are formed from t^2/df directly.
 */
double
st_pt_upper(double t, double df)
{
	double		r;
	double		x,
				y,
				lx,
				ly;

	if (isnan(t) || !(df > 0.0))
		return NAN;
	if (isinf(t))
		return 0.0;
	r = t * t / df;
	if (r == 0.0)
		return 0.5;
	x = 1.0 / (1.0 + r);
	y = r / (1.0 + r);
	lx = -log1p(r);
	ly = log(r) - log1p(r);
	return 0.5 * st_incbeta(df / 2.0, 0.5, x, y, lx, ly);
}

/* P(T <= t) */
double
st_pt(double t, double df)
{
	double		u = st_pt_upper(t, df);

	return t > 0 ? 1.0 - u : u;
}

/* density of t(df) at t */
static double
st_dt(double t, double df)
{
	return exp(-(df + 1.0) / 2.0 * log1p(t * t / df) -
			   0.5 * log(df) - st_lbeta(df / 2.0, 0.5));
}

/*
 * Quantile: find t >= 0 with P(T > t) = q (q = the smaller tail), by Newton
 * steps on the tail probability kept inside a bisection bracket.
 */
double
st_qt(double p, double df)
{
	double		q,
				lo = 0.0,
				hi = 1.0,
				t;
	int			i;

	if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	q = p < 0.5 ? p : 1.0 - p;
	while (st_pt_upper(hi, df) > q)
	{
		lo = hi;
		hi *= 2.0;
		if (hi > 1e300)
			return NAN;
	}
	t = (lo + hi) / 2.0;
	for (i = 0; i < 400; i++)
	{
		double		g = st_pt_upper(t, df) - q;
		double		next;

		if (g > 0.0)
			lo = t;
		else if (g < 0.0)
			hi = t;
		else
			break;
		next = t + g / st_dt(t, df);
		if (!(next > lo && next < hi))
			next = (lo + hi) / 2.0;
		if (fabs(next - t) <= 1e-15 * fabs(t) || hi - lo <= 2e-16 * hi)
		{
			t = next;
			break;
		}
		t = next;
	}
	return p < 0.5 ? -t : t;
}

/* P(F > f) = I_x(df2/2, df1/2) with x = df2 / (df2 + df1 f) */
double
st_pf_upper(double f, double df1, double df2)
{
	double		r;

	if (isnan(f) || !(df1 > 0.0) || !(df2 > 0.0))
		return NAN;
	if (f <= 0.0)
		return 1.0;
	if (isinf(f))
		return 0.0;
	r = df1 * f / df2;
	return st_incbeta(df2 / 2.0, df1 / 2.0, 1.0 / (1.0 + r), r / (1.0 + r),
					  -log1p(r), log(r) - log1p(r));
}
