/*
 * bgnbd.c
 *		BG/NBD likelihood, fit, P(alive) and expected purchases (bgnbd.h).
 *
 * Log-likelihood of one customer (paper eq. 6, in logs):
 *	 ll = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
 *		- (r+x) ln(alpha+T) + softplus(zeta),
 *	 zeta = ln a - ln(b+x-1) + (r+x) ln((alpha+T)/(alpha+t_x))	(x > 0),
 * where softplus(zeta) = ln(1 + e^zeta) is the log of (A1 + A2)/A1 taken
 * without forming either term, so no history overflows or gives NaN.
 * P(alive) = 1 / (1 + e^zeta), evaluated so that a huge zeta gives exactly
 * 0 rather than Inf/Inf.
 */
#include "segment/bgnbd.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "numeric/hyp2f1.h"
#include "numeric/student_t.h"

/* this close to a = 1 or C = 0, M comes from the integral (see clv_m) */
#define CLV_SINGULAR 1e-5

/* ln(1 + e^z) without overflow or loss for large |z|. */
static double
softplus(double z)
{
	return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* 1 / (1 + e^-z) without overflow. */
static double
sigmoid(double z)
{
	if (z >= 0.0)
		return 1.0 / (1.0 + exp(-z));
	return exp(z) / (1.0 + exp(z));
}

/* Are all four parameters finite and positive? */
int
bgnbd_params_valid(const bgnbd_params *p)
{
	return isfinite(p->r) && p->r > 0.0 && isfinite(p->alpha) && p->alpha > 0.0 &&
		isfinite(p->a) && p->a > 0.0 && isfinite(p->b) && p->b > 0.0;
}

/*
 * Is (x, t_x, T) a history the model can use?  x a whole number >= 0,
 * 0 <= t_x <= T finite, t_x = 0 when x = 0 (no repeat purchase, no
 * recency).  t_x = 0 with x > 0 is allowed: repeat purchases on the first
 * day round to it, and the likelihood is well defined there.
 */
int
bgnbd_history_valid(double x, double tx, double T)
{
	if (!(isfinite(x) && isfinite(tx) && isfinite(T)))
		return 0;
	if (x < 0.0 || x != floor(x) || tx < 0.0 || T < 0.0 || tx > T)
		return 0;
	if (x == 0.0 && tx != 0.0)
		return 0;
	return 1;
}

typedef struct bgnbd_obj
{
	const bgnbd_data *d;
	double		lscale;			/* ln alpha at theta[1] = 0: ln(mean T) */
} bgnbd_obj;

/*
 * Weighted log-likelihood at p and, when grad is not NULL, its gradient
 * with respect to (ln r, ln alpha, ln a, ln b).
 */
static double
bgnbd_ll_grad(const bgnbd_params *p, const bgnbd_data *d, double *grad)
{
	double		r = p->r,
				al = p->alpha,
				a = p->a,
				b = p->b;
	double		lal = log(al);
	double		lgr = lgamma(r),
				lgb = lgamma(b),
				lgab = lgamma(a + b);
	double		psr = 0,
				psb = 0,
				psab = 0;
	double		ll = 0.0,
				llc = 0.0,		/* compensation of the ll sum (Neumaier) */
				gr = 0.0,
				gal = 0.0,
				ga = 0.0,
				gb = 0.0;
	double		cur_x = -1.0;
	double		ax = 0,
				dr0 = 0,
				da0 = 0,
				db0 = 0,
				lc = 0,
				bx1 = 0;
	int64_t		i;

	if (d->tick)
		d->tick();
	if (grad)
	{
		psr = clv_digamma(r);
		psb = clv_digamma(b);
		psab = clv_digamma(a + b);
	}
	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					T = d->T[i],
					tx = d->tx[i],
					w = d->w[i];
		double		rx = r + x;
		double		lT = log(al + T);
		double		l,
					u = 0.0,
					zeta = 0.0,
					s = 0.0;

		if (x != cur_x)
		{
			/* terms that depend on x only */
			cur_x = x;
			ax = lgamma(rx) - lgr + r * lal + lgamma(b + x) - lgb + lgab - lgamma(a + b + x);
			bx1 = (x - 1.0) + b;	/* exact for x = 1, however small b is */
			lc = x > 0.0 ? log(a) - log(bx1) : 0.0;
			if (grad)
			{
				double		psabx = clv_digamma(a + b + x);

				dr0 = clv_digamma(rx) - psr + lal;
				da0 = psab - psabx;
				db0 = clv_digamma(b + x) - psb + psab - psabx;
			}
		}
		l = ax - rx * lT;
		if (x > 0.0)
		{
			u = log1p((T - tx) / (al + tx));
			zeta = lc + rx * u;
			l += softplus(zeta);
			s = sigmoid(zeta);
		}
		l *= w;
		{
			double		t = ll + l;

			llc += fabs(ll) >= fabs(l) ? (ll - t) + l : (l - t) + ll;
			ll = t;
		}
		if (grad)
		{
			gr += w * (dr0 - lT + s * u);
			gal += w * (r / al - rx / (al + T) + s * rx * (1.0 / (al + T) - 1.0 / (al + tx)));
			ga += w * (da0 + (x > 0.0 ? s / a : 0.0));
			gb += w * (db0 - (x > 0.0 ? s / bx1 : 0.0));
		}
	}
	if (grad)
	{
		grad[0] = gr * r;
		grad[1] = gal * al;
		grad[2] = ga * a;
		grad[3] = gb * b;
	}
	return ll + llc;
}

/* Weighted log-likelihood of the data under p (NaN for invalid p). */
double
bgnbd_loglik(const bgnbd_params *p, const bgnbd_data *d)
{
	if (!bgnbd_params_valid(p))
		return NAN;
	return bgnbd_ll_grad(p, d, NULL);
}

/* Objective for the minimiser: minus the log-likelihood on log-parameters. */
static double
bgnbd_objective(const double *theta, double *grad, void *arg)
{
	bgnbd_obj  *o = (bgnbd_obj *) arg;
	bgnbd_params p;
	double		ll;
	int			i;

	p.r = exp(theta[0]);
	p.alpha = exp(theta[1] + o->lscale);
	p.a = exp(theta[2]);
	p.b = exp(theta[3]);
	if (!bgnbd_params_valid(&p))
		return INFINITY;
	ll = bgnbd_ll_grad(&p, o->d, grad);
	if (grad)
		for (i = 0; i < 4; i++)
			grad[i] = -grad[i];
	return -ll;
}

/*
 * Maximum-likelihood fit.  Start: r = a = b = 1, alpha = the mean of T
 * (alpha is a time scale; this makes the start independent of the unit),
 * and ln alpha is searched relative to that start, so its divergence
 * limit does not depend on the unit either.
 * Converged when no gradient component (per unit of log-parameter) exceeds
 * 1e-8 * (1 + number of customers).
 */
clv_status
bgnbd_fit(const bgnbd_data *d, bgnbd_params *out, bgnbd_fit_info *info)
{
	bgnbd_obj	o;
	double		theta[4];
	double		tw = 0.0;
	int64_t		i;

	for (i = 0; i < d->n; i++)
	{
		if (!bgnbd_history_valid(d->x[i], d->tx[i], d->T[i]) || !(d->w[i] > 0.0) ||
			(i > 0 && d->x[i] < d->x[i - 1]))
			return CLV_BAD_INPUT;
		tw += d->w[i];
	}
	info->customers = tw;
	if (d->n == 0 || tw <= 0.0)
		return CLV_EMPTY;
	o.d = d;
	o.lscale = clv_log_mean(d->T, d->w, d->n);
	theta[0] = 0.0;
	theta[1] = 0.0;				/* alpha = mean T */
	theta[2] = 0.0;
	theta[3] = 0.0;
	info->opt = clv_minimise(bgnbd_objective, &o, 4, theta, 1e-8 * (1.0 + tw));
	out->r = exp(theta[0]);
	out->alpha = exp(theta[1] + o.lscale);
	out->a = exp(theta[2]);
	out->b = exp(theta[3]);
	info->loglik = -info->opt.f;
	return clv_fit_status(info->opt.status);
}

/* P(customer alive at T | x, t_x, T); 1 for x = 0. */
double
bgnbd_palive(const bgnbd_params *p, double x, double tx, double T)
{
	double		zeta;

	if (x == 0.0)
		return 1.0;
	zeta = log(p->a) - log((x - 1.0) + p->b) +
		(p->r + x) * log1p((T - tx) / (p->alpha + tx));
	return sigmoid(-zeta);
}

/* Gauss-Kronrod 7/15 nodes and weights (QUADPACK qk15) */
static const double gk_x[8] = {
	0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
	0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
	0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
	0.207784955007898467600689403773245, 0.0};
static const double gk_wk[8] = {
	0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
	0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
	0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
	0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double gk_wg[4] = {
	0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
	0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

/* The integrand of M over p, after the substitutions described at clv_m_int. */
typedef struct mint_arg
{
	double		A,
				a,
				B,
				u,
				lbeta;
	double		e;				/* exponent of the substitution: min(a, 1) or min(B, 1) */
	int			upper;			/* 0: p = s^(1/e) on p <= 1/2; 1: 1 - p = s^(1/e) */
} mint_arg;

/* The integrand at s, on the side g->upper says (see clv_m_int). */
static double
mint_f(const mint_arg *g, double s)
{
	double		p,
				q,
				lw;

	if (!g->upper)
	{
		p = pow(s, 1.0 / g->e);
		/* (1/e) p^(a-1-e) (1-p)^(B-1) (1 - (1+pu)^-A) / B(a, B) */
		lw = (g->a - 1.0 - g->e) * log(p) + (g->B - 1.0) * log1p(-p) - g->lbeta;
	}
	else
	{
		q = pow(s, 1.0 / g->e);
		p = 1.0 - q;
		/*
		 * (1/e) p^(a-2) q^(B-e) (1 - (1+pu)^-A) / B(a, B); ln p from q,
		 * which keeps its digits when p rounds to 1 (a huge: q ~ B / a)
		 */
		lw = (g->a - 2.0) * log1p(-q) + (g->B - g->e) * log(q) - g->lbeta;
	}
	return exp(lw) / g->e * -expm1(-g->A * log1p(p * g->u));
}

/* One Gauss-Kronrod panel on [lo, hi]: the Kronrod value, |K - G| in *err. */
static double
gk15(const mint_arg *g, double lo, double hi, double *err)
{
	double		c = 0.5 * (lo + hi),
				h = 0.5 * (hi - lo);
	double		fc = mint_f(g, c);
	double		k = fc * gk_wk[7],
				gs = fc * gk_wg[3];
	int			j;

	for (j = 0; j < 7; j++)
	{
		double		f1 = mint_f(g, c - h * gk_x[j]),
					f2 = mint_f(g, c + h * gk_x[j]);

		k += gk_wk[j] * (f1 + f2);
		if (j % 2 == 1)
			gs += gk_wg[j / 2] * (f1 + f2);
	}
	*err = fabs((k - gs) * h);
	return k * h;
}

/* Adaptive bisection until each panel meets its share of tol. */
static double
gk_adapt(const mint_arg *g, double lo, double hi, double tol, int depth, int *budget)
{
	double		err,
				v = gk15(g, lo, hi, &err),
				mid = 0.5 * (lo + hi);

	/* done: within tolerance, or down to the panel's own rounding error */
	if (err <= tol || err <= 50 * DBL_EPSILON * fabs(v) || depth >= 50 || --(*budget) <= 0)
	{
		if (err > tol && err > 1e-6 * fabs(v))
			*budget = -1000000; /* give up: reported as not accurate */
		return v;
	}
	return gk_adapt(g, lo, mid, 0.5 * tol, depth + 1, budget) +
		gk_adapt(g, mid, hi, 0.5 * tol, depth + 1, budget);
}

/*
 * M by numerical integration over the dropout probability p, the fallback
 * when the hypergeometric route loses its accuracy (very large x with
 * t > (alpha + T) / 2, say):
 *	 M = int_0^1 p^(a-2) (1-p)^(B-1) (1 - (1 + p u)^-A) dp / B(a, B).
 * p = s^(1/e), e = min(a, 1), on [0, 1/2] and 1 - p = s^(1/e), e = min(B, 1),
 * on [1/2, 1] remove the endpoint singularities (for a < 1, B < 1) and
 * leave a bounded integrand; adaptive Gauss-Kronrod 7/15 to 1e-13
 * relative on panels that halve toward 0.
 */
static clv_status
clv_m_int(double A, double a, double B, double u, double *out)
{
	mint_arg	g;
	double		part[2] = {0.0, 0.0},
				est,
				err,
				width;
	int			budget = 20000,
				side,
				k;

	g.A = A;
	g.a = a;
	g.B = B;
	g.u = u;
	/* not lgamma(a) + lgamma(B) - lgamma(a + B): that cancels for large B */
	g.lbeta = st_lbeta(a, B);
	for (side = 0; side < 2; side++)
	{
		g.upper = side;
		g.e = fmin(side ? B : a, 1.0);
		width = pow(0.5, g.e);
		if (!(width > 0.0))
			continue;			/* (1/2)^B underflows: nothing there */
		/*
		 * Panels [w 2^-(k+1), w 2^-k], k = 0..63, and [0, w 2^-64]: the
		 * mass sits near p = a / (a + B), at any scale for large B.  The
		 * size of the integral from one panel each, then adapt to 1e-13.
		 */
		est = 0.0;
		for (k = 0; k <= 64; k++)
			est += fabs(gk15(&g, k < 64 ? ldexp(width, -(k + 1)) : 0.0,
							 ldexp(width, -k), &err));
		for (k = 0; k <= 64; k++)
			part[side] += gk_adapt(&g, k < 64 ? ldexp(width, -(k + 1)) : 0.0,
								   ldexp(width, -k), 1e-13 * est / 65 + 1e-300,
								   0, &budget);
	}
	*out = part[0] + part[1];

	/*
	 * The integrand is positive (t > 0), so 0 means every node missed the
	 * mass: a peak too narrow for the panels (a and B both beyond about
	 * 1e8, or one of them beyond 1e19), not a value.
	 */
	return (budget > -1000 && isfinite(*out) && *out > 0.0) ? CLV_OK : CLV_NUMERIC;
}

/*
 * M = C * [1 - (beta/(beta+t))^A 2F1(A, B; C; z)] / (a - 1), C = a + B - 1,
 * z = t / (beta + t): eq. 7 is M with (A, B, beta) = (r, b, alpha); the
 * bracket of eq. 10 is M with (r + x, b + x, alpha + T).
 *
 * With u = t / beta, Pfaff's transformation turns the bracket into
 * 1 - 2F1(A, a - 1; C; -u), and (a - 1)_n = (a - 1)(a)_(n-1) cancels the
 * division:  M = sum_{n>=1} (-1)^(n+1) (A)_n (a)_(n-1) / ((C+1)_(n-1) n!) u^n,
 * free of the a = 1 and C = 0 singularities.  It is used for u <= 1/2
 * (fast, alternating, no cancellation worth the name there).  For larger u
 * the bracket comes from hyp2f1_scaled() with the (1 - z)^A factor applied
 * in logs, if 1 - q keeps 8 digits by its error bound.  Otherwise (terms
 * that overflow or cancel, a within CLV_SINGULAR of 1, C of 0), M comes
 * from numerical integration over p (clv_m_int), which has neither
 * singularity.
 */
static clv_status
clv_m(double A, double a, double B, double beta, double t, double *out)
{
	double		u = t / beta;
	double		C = a + B - 1.0;
	double		z,
				q,
				qerr;
	hyp_status	st;

	if (t == 0.0)
	{
		*out = 0.0;
		return CLV_OK;
	}
	if (u <= 0.5)
	{
		double		term = A * u,
					s = term,
					big = fabs(term);
		int			n;

		for (n = 1; n < HYP_MAX_TERMS; n++)
		{
			term *= -(A + n) * (a + n - 1.0) / ((C + n) * (n + 1.0)) * u;
			s += term;
			if (fabs(term) > big)
				big = fabs(term);
			if (fabs(term) <= 0.25 * DBL_EPSILON * fabs(s))
				break;
		}
		/* accept unless cancellation ate more than 8 digits */
		if (n < HYP_MAX_TERMS && isfinite(s) && big <= 1e8 * fabs(s))
		{
			*out = s;
			return CLV_OK;
		}
	}
	/*
	 * a near 1 (or C near 0): the division below would cancel; the integral
	 * has no singularity there.
	 */
	if (fabs(a - 1.0) < CLV_SINGULAR || fabs(C) < CLV_SINGULAR)
		return clv_m_int(A, a, B, u, out);
	z = u / (1.0 + u);
	st = hyp2f1_scaled(A, B, C, z, -A * log1p(u), &q, &qerr);
	/* 1 - q must keep 8 digits after the subtraction */
	if (st == HYP_OK && fabs(1.0 - q) >= 1e8 * qerr)
	{
		*out = C * (1.0 - q) / (a - 1.0);
		if (isfinite(*out))
			return CLV_OK;
	}
	return clv_m_int(A, a, B, u, out);
}

/* E[X(t)]: expected repeat purchases of a new customer in (0, t] (eq. 7). */
clv_status
bgnbd_expected(const bgnbd_params *p, double t, double *out)
{
	if (!bgnbd_params_valid(p) || !(t >= 0.0) || !isfinite(t))
		return CLV_BAD_INPUT;
	return clv_m(p->r, p->a, p->b, p->alpha, t, out);
}

/*
 * E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of a customer with
 * that history (eq. 10) = M(r + x, a, b + x, alpha + T, t) * P(alive).
 */
clv_status
bgnbd_conditional(const bgnbd_params *p, double x, double tx, double T,
				  double t, double *out)
{
	double		m;
	clv_status	st;

	if (!bgnbd_params_valid(p) || !bgnbd_history_valid(x, tx, T) ||
		!(t >= 0.0) || !isfinite(t))
		return CLV_BAD_INPUT;
	st = clv_m(p->r + x, p->a, p->b + x, p->alpha + T, t, &m);
	if (st != CLV_OK)
		return st;
	*out = m * bgnbd_palive(p, x, tx, T);
	return CLV_OK;
}

/*
 * E[Y(t) | x, t_x, T] always by integration over p (clv_m_int), never by
 * 2F1: the fallback route on its own, for cross-checks of the two routes.
 */
clv_status
bgnbd_conditional_by_integration(const bgnbd_params *p, double x, double tx,
								 double T, double t, double *out)
{
	double		m;
	clv_status	st;

	if (!bgnbd_params_valid(p) || !bgnbd_history_valid(x, tx, T) ||
		!(t >= 0.0) || !isfinite(t))
		return CLV_BAD_INPUT;
	if (t == 0.0)
	{
		*out = 0.0;
		return CLV_OK;
	}
	st = clv_m_int(p->r + x, p->a, p->b + x, t / (p->alpha + T), &m);
	if (st != CLV_OK)
		return st;
	*out = m * bgnbd_palive(p, x, tx, T);
	return CLV_OK;
}
