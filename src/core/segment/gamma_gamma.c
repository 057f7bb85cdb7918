/*
 * gamma_gamma.c
 *		Gamma-Gamma spend model: likelihood, fit, expected spend.
 */
#include "segment/gamma_gamma.h"

#include <math.h>
#include <stddef.h>

#include "numeric/hyp2f1.h"

/* Are p, q, gamma finite and positive? */
int
gg_params_valid(const gg_params *p)
{
	return isfinite(p->p) && p->p > 0.0 && isfinite(p->q) && p->q > 0.0 &&
		isfinite(p->gamma) && p->gamma > 0.0;
}

/* Weighted log-likelihood and, if grad, its gradient in (ln p, ln q, ln gamma). */
static double
gg_ll_grad(const gg_params *pp, const gg_data *d, double *grad)
{
	double		p = pp->p,
				q = pp->q,
				g = pp->gamma;
	double		lg = log(g),
				lgq = lgamma(q);
	double		psq = grad ? clv_digamma(q) : 0.0;
	double		ll = 0.0,
				llc = 0.0,		/* compensation of the ll sum (Neumaier) */
				gp = 0.0,
				gq = 0.0,
				gg = 0.0;
	double		cur_x = -1.0,
				px = 0,
				lx = 0,
				cx = 0,
				ps1 = 0,
				ps2 = 0;
	int64_t		i;

	if (d->tick)
		d->tick();
	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					m = d->m[i],
					w = d->w[i];
		double		lm = log(m),
					lgxm = log(g + x * m);

		if (x != cur_x)
		{
			cur_x = x;
			px = p * x;
			lx = log(x);
			cx = lgamma(px + q) - lgamma(px) - lgq + q * lg + px * lx;
			if (grad)
			{
				ps1 = clv_digamma(px + q);
				ps2 = clv_digamma(px);
			}
		}
		{
			double		l = w * (cx + (px - 1.0) * lm - (px + q) * lgxm);
			double		t = ll + l;

			llc += fabs(ll) >= fabs(l) ? (ll - t) + l : (l - t) + ll;
			ll = t;
		}
		if (grad)
		{
			gp += w * x * (ps1 - ps2 + lm + lx - lgxm);
			gq += w * (ps1 - psq + lg - lgxm);
			gg += w * (q / g - (px + q) / (g + x * m));
		}
	}
	if (grad)
	{
		grad[0] = gp * p;
		grad[1] = gq * q;
		grad[2] = gg * g;
	}
	return ll + llc;
}

/* Weighted log-likelihood of the data (NaN for invalid parameters). */
double
gg_loglik(const gg_params *p, const gg_data *d)
{
	if (!gg_params_valid(p))
		return NAN;
	return gg_ll_grad(p, d, NULL);
}

typedef struct gg_obj
{
	const gg_data *d;
	double		lscale;			/* ln gamma at theta[2] = 0: ln(mean spend) */
} gg_obj;

/* Minus the log-likelihood on log-parameters, for the minimiser. */
static double
gg_objective(const double *theta, double *grad, void *arg)
{
	const gg_obj *o = (const gg_obj *) arg;
	gg_params	p;
	double		ll;
	int			i;

	p.p = exp(theta[0]);
	p.q = exp(theta[1]);
	p.gamma = exp(theta[2] + o->lscale);
	if (!gg_params_valid(&p))
		return INFINITY;
	ll = gg_ll_grad(&p, o->d, grad);
	if (grad)
		for (i = 0; i < 3; i++)
			grad[i] = -grad[i];
	return -ll;
}

/*
 * Maximum-likelihood fit over repeat customers (x >= 1 whole, m > 0
 * finite).  Start: p = 1, q = 2, gamma = the mean of m (gamma is a money
 * scale, so the start does not depend on the currency unit); ln gamma is
 * searched relative to that start, so its divergence limit does not
 * depend on the unit either.
 */
clv_status
gg_fit(const gg_data *d, gg_params *out, gg_fit_info *info)
{
	gg_obj		o;
	double		theta[3];
	double		tw = 0.0;
	int64_t		i;

	for (i = 0; i < d->n; i++)
	{
		if (!(isfinite(d->x[i]) && d->x[i] >= 1.0 && d->x[i] == floor(d->x[i])) ||
			!(isfinite(d->m[i]) && d->m[i] > 0.0) || !(d->w[i] > 0.0) ||
			(i > 0 && d->x[i] < d->x[i - 1]))
			return CLV_BAD_INPUT;
		tw += d->w[i];
	}
	info->customers = tw;
	if (d->n == 0 || tw <= 0.0)
		return CLV_EMPTY;
	o.d = d;
	o.lscale = clv_log_mean(d->m, d->w, d->n);
	theta[0] = 0.0;
	theta[1] = log(2.0);
	theta[2] = 0.0;				/* gamma = mean spend */
	info->opt = clv_minimise(gg_objective, &o, 3, theta, 1e-8 * (1.0 + tw));
	out->p = exp(theta[0]);
	out->q = exp(theta[1]);
	out->gamma = exp(theta[2] + o.lscale);
	info->loglik = -info->opt.f;
	return clv_fit_status(info->opt.status);
}

/*
 * E(M | x, m) = (gamma + x m) p / (p x + q - 1), the note's eq. 5: a
 * weighted mean of the population mean p gamma / (q - 1) and the
 * customer's own mean m (ignored when x = 0).  Needs p x + q > 1 (for
 * x = 0, q > 1: the population mean exists).
 */
clv_status
gg_expected_spend(const gg_params *p, double x, double m, double *out)
{
	double		den;

	if (!gg_params_valid(p) || !(isfinite(x) && x >= 0.0 && x == floor(x)) ||
		!(isfinite(m) && m >= 0.0))
		return CLV_BAD_INPUT;
	den = p->p * x + p->q - 1.0;
	if (!(den > 0.0))
		return CLV_BAD_INPUT;

	*out = (p->gamma + x * m) * p->p / den;

	/*
	 * gamma + x m or p x overflowed on the way (Inf, or Inf/Inf = NaN, for
	 * huge x and m, or gamma p): the same value as (gamma/x + m) /
	 * (1 + (q-1)/(p x)) for x > 0 and gamma (p / (q - 1)) for x = 0, which
	 * have no such intermediates.  A result beyond double range is left,
	 * and that is CLV_OVERFLOW.
	 */
	if (!isfinite(*out))
		*out = x > 0.0 ? (p->gamma / x + m) / (1.0 + (p->q - 1.0) / (p->p * x)) :
			p->gamma * (p->p / den);
	return isfinite(*out) ? CLV_OK : CLV_OVERFLOW;
}

/*
 * Discounted lifetime value over horizon periods of length unit (in the
 * BG/NBD model's time unit), discount rate d per period:
 *	 sum_{i=1..horizon} spend * (E[Y(i unit)] - E[Y((i-1) unit)]) / (1+d)^i,
 * the expected purchases of each period valued at the Gamma-Gamma expected
 * spend and discounted at the period's end (as lifetimes'
 * customer_lifetime_value does with 30-day steps).
 *
 * clv_value_range() adds periods from..to to *sum, with *prev holding
 * E[Y((from-1) unit)] on entry and E[Y(to unit)] on return, so a caller
 * can work through a long horizon in slices (and check for interrupts).
 */
clv_status
clv_value_range(const bgnbd_params *bg, double spend, double x, double tx,
				double T, int from, int to, double d, double unit,
				double *prev, double *sum)
{
	double		cur;
	clv_status	st;
	int			i;

	if (!(d > -1.0) || !isfinite(d) || !(unit > 0.0) || !isfinite(unit) || from < 1)
		return CLV_BAD_INPUT;
	for (i = from; i <= to; i++)
	{
		st = bgnbd_conditional(bg, x, tx, T, i * unit, &cur);
		if (st != CLV_OK)
			return st;
		/* no purchases in the period: nothing to discount (0 * Inf is NaN) */
		if (cur != *prev)
			*sum += spend * (cur - *prev) * pow(1.0 + d, -(double) i);
		*prev = cur;
	}
	/* a negative rate compounds: (1 + d)^-i overflows over a long horizon */
	return isfinite(*sum) ? CLV_OK : CLV_OVERFLOW;
}

/* The whole discounted value at once (see clv_value_range). */
clv_status
clv_value(const bgnbd_params *bg, const gg_params *gg, double x, double tx,
		  double T, double m, int horizon, double d, double unit, double *out)
{
	double		spend,
				prev = 0.0;
	clv_status	st;

	if (horizon < 0)
		return CLV_BAD_INPUT;
	st = gg_expected_spend(gg, x, m, &spend);
	if (st != CLV_OK)
		return st;
	*out = 0.0;
	return clv_value_range(bg, spend, x, tx, T, 1, horizon, d, unit, &prev, out);
}
