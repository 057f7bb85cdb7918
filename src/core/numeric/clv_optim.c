/*
 * clv_optim.c
 *		Minimiser for the lifetime-value likelihoods (see clv_optim.h).
 */
#include "numeric/clv_optim.h"
#include "numeric/bfgs.h"

#include <math.h>
#include <string.h>

#define BFGS_MAXIT 500
#define NM_MAXEVAL 600

typedef struct opt_ctx
{
	clv_objective fn;
	void	   *arg;
	int			dim;
	int			evaluations;
} opt_ctx;

/*
 * One evaluation; non-finite values become +Inf so comparisons work.  Past
 * CLV_OPT_MAX_EVAL evaluations every value is +Inf (and the gradient NaN),
 * so each stage stops at its next test and the fit reports the limit.
 */
static double
opt_eval(opt_ctx *c, const double *x, double *g)
{
	double		f;
	int			i;

	if (c->evaluations >= CLV_OPT_MAX_EVAL)
	{
		if (g)
			for (i = 0; i < c->dim; i++)
				g[i] = NAN;
		return INFINITY;
	}
	f = c->fn(x, g, c->arg);
	c->evaluations++;
	return isfinite(f) ? f : INFINITY;
}

/* Largest absolute component. */
static double
vec_maxabs(const double *v, int n)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		if (fabs(v[i]) > m || isnan(v[i]))
			m = isnan(v[i]) ? INFINITY : fabs(v[i]);
	return m;
}

/* Index of the first coordinate past the divergence limit, or -1. */
static int
out_of_range(const double *x, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (!(fabs(x[i]) <= CLV_THETA_MAX))
			return i;
	return -1;
}

/*
 * BFGS from x (updated in place).  Returns the final gradient maximum in
 * *gmax and the objective in *fx; stops when the gradient is below gtol,
 * when no step decreases f any more, or at a divergence.
 */
static clv_opt_status
bfgs(opt_ctx *c, double *x, double *fx, double *gmax, double gtol, int *iters, int *bad)
{
	int			n = c->dim;
	double		H[CLV_OPT_MAXDIM * CLV_OPT_MAXDIM];
	double		g[CLV_OPT_MAXDIM],
				gn[CLV_OPT_MAXDIM],
				d[CLV_OPT_MAXDIM],
				xn[CLV_OPT_MAXDIM],
				s[CLV_OPT_MAXDIM],
				y[CLV_OPT_MAXDIM],
				Hy[CLV_OPT_MAXDIM];
	double		f,
				fn_,
				step,
				slope,
				sy,
				dmax;
	int			i,
				it,
				k,
				first = 1;

	bfgs_identity(n, H, 1.0);
	f = opt_eval(c, x, g);
	if (!isfinite(f))
		return CLV_OPT_NOT_FINITE;
	for (it = 0; it < BFGS_MAXIT; it++)
	{
		(*iters)++;
		*gmax = vec_maxabs(g, n);
		*fx = f;
		if (*gmax <= gtol)
			return CLV_OPT_OK;
		/* direction d = -H g; reset to steepest descent if not downhill */
		slope = bfgs_direction(n, H, g, NULL, d);
		if (!(slope < 0.0))
		{
			bfgs_identity(n, H, 1.0);
			for (i = 0; i < n; i++)
				d[i] = -g[i];
			slope = 0.0;
			for (i = 0; i < n; i++)
				slope -= g[i] * g[i];
		}
		/* at most 2 units of log-parameter per step: no wild overflows */
		dmax = vec_maxabs(d, n);
		step = dmax > 2.0 ? 2.0 / dmax : 1.0;
		for (k = 0; k < 40; k++)
		{
			for (i = 0; i < n; i++)
				xn[i] = x[i] + step * d[i];
			fn_ = opt_eval(c, xn, gn);
			if (fn_ <= f + 1e-4 * step * slope && vec_maxabs(gn, n) < INFINITY)
				break;
			step *= 0.5;
		}
		if (k == 40)
			return CLV_OPT_NOT_CONVERGED;	/* no decrease: caller judges gmax */
		*bad = out_of_range(xn, n);
		if (*bad >= 0)
		{
			memcpy(x, xn, sizeof(double) * n);
			*fx = fn_;
			return CLV_OPT_DIVERGED;
		}
		sy = 0.0;
		for (i = 0; i < n; i++)
		{
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
		}
		memcpy(x, xn, sizeof(double) * n);
		memcpy(g, gn, sizeof(double) * n);
		if (fn_ == f && vec_maxabs(s, n) == 0.0)
			return CLV_OPT_NOT_CONVERGED;
		f = fn_;
		if (sy > 1e-300)
		{
			/* inverse-Hessian update; the first one also rescales H */
			if (first)
			{
				double		yy = 0.0;

				for (i = 0; i < n; i++)
					yy += y[i] * y[i];
				for (i = 0; i < n; i++)
					H[i * n + i] = sy / yy;
				first = 0;
			}
			bfgs_update(n, H, s, y, sy, Hy);
		}
	}
	*gmax = vec_maxabs(g, n);
	*fx = f;
	return *gmax <= gtol ? CLV_OPT_OK : CLV_OPT_NOT_CONVERGED;
}

/*
 * Nelder-Mead from x (updated in place), initial simplex steps of 1 in
 * every coordinate: a robust first descent when BFGS stalls far from the
 * optimum.  Standard coefficients (1, 2, 0.5, 0.5).
 */
static void
nelder_mead(opt_ctx *c, double *x)
{
	int			n = c->dim;
	double		p[CLV_OPT_MAXDIM + 1][CLV_OPT_MAXDIM];
	double		fv[CLV_OPT_MAXDIM + 1];
	double		cen[CLV_OPT_MAXDIM],
				xr[CLV_OPT_MAXDIM],
				xe[CLV_OPT_MAXDIM];
	double		fr,
				fe;
	int			i,
				j,
				lo,
				hi,
				nh,
				start = c->evaluations;

	for (i = 0; i <= n; i++)
	{
		memcpy(p[i], x, sizeof(double) * n);
		if (i > 0)
			p[i][i - 1] += 1.0;
		fv[i] = opt_eval(c, p[i], NULL);
	}
	while (c->evaluations - start < NM_MAXEVAL && c->evaluations < CLV_OPT_MAX_EVAL)
	{
		lo = hi = 0;
		for (i = 1; i <= n; i++)
		{
			if (fv[i] < fv[lo])
				lo = i;
			if (fv[i] > fv[hi])
				hi = i;
		}
		nh = lo;
		for (i = 0; i <= n; i++)
			if (i != hi && fv[i] >= fv[nh])
				nh = i;
		if (isfinite(fv[hi]) && fabs(fv[hi] - fv[lo]) <= 1e-10 * (1.0 + fabs(fv[lo])))
			break;
		for (j = 0; j < n; j++)
		{
			cen[j] = 0.0;
			for (i = 0; i <= n; i++)
				if (i != hi)
					cen[j] += p[i][j] / n;
			xr[j] = cen[j] + (cen[j] - p[hi][j]);
		}
		fr = opt_eval(c, xr, NULL);
		if (fr < fv[lo])
		{
			for (j = 0; j < n; j++)
				xe[j] = cen[j] + 2.0 * (cen[j] - p[hi][j]);
			fe = opt_eval(c, xe, NULL);
			if (fe < fr)
			{
				memcpy(p[hi], xe, sizeof(double) * n);
				fv[hi] = fe;
			}
			else
			{
				memcpy(p[hi], xr, sizeof(double) * n);
				fv[hi] = fr;
			}
		}
		else if (fr < fv[nh])
		{
			memcpy(p[hi], xr, sizeof(double) * n);
			fv[hi] = fr;
		}
		else
		{
			/* contraction toward the better of reflected and worst point */
			const double *base = fr < fv[hi] ? xr : p[hi];

			for (j = 0; j < n; j++)
				xe[j] = cen[j] + 0.5 * (base[j] - cen[j]);
			fe = opt_eval(c, xe, NULL);
			if (fe < fmin(fr, fv[hi]))
			{
				memcpy(p[hi], xe, sizeof(double) * n);
				fv[hi] = fe;
			}
			else
			{
				/* shrink toward the best point */
				for (i = 0; i <= n; i++)
				{
					if (i == lo)
						continue;
					for (j = 0; j < n; j++)
						p[i][j] = p[lo][j] + 0.5 * (p[i][j] - p[lo][j]);
					fv[i] = opt_eval(c, p[i], NULL);
				}
			}
		}
		if (out_of_range(p[lo], n) >= 0)
			break;
	}
	lo = 0;
	for (i = 1; i <= n; i++)
		if (fv[i] < fv[lo])
			lo = i;
	memcpy(x, p[lo], sizeof(double) * n);
}

/*
 * Newton steps with a central-difference Hessian of the analytic gradient.
 * They polish the BFGS optimum to (nearly) machine precision, and they are
 * the convergence test: a small gradient alone also occurs where the
 * likelihood flattens out toward a boundary (a parameter running to 0 or
 * infinity), but there the Newton step stays large, so the iterations walk
 * on until a coordinate passes CLV_THETA_MAX.  Converged: a Newton step
 * below 1e-7 in every coordinate, with a positive definite Hessian.
 */
static clv_opt_status
newton_polish(opt_ctx *c, double *x, double *fx, double *gmax, int *bad)
{
	int			n = c->dim;
	double		Hs[CLV_OPT_MAXDIM][CLV_OPT_MAXDIM],
				L[CLV_OPT_MAXDIM][CLV_OPT_MAXDIM];
	double		g[CLV_OPT_MAXDIM],
				gp[CLV_OPT_MAXDIM],
				gm[CLV_OPT_MAXDIM],
				xt[CLV_OPT_MAXDIM],
				gt[CLV_OPT_MAXDIM],
				z[CLV_OPT_MAXDIM];
	double		h = 1e-5,
				f,
				ft = INFINITY,
				sum,
				step,
				zmax;
	int			i,
				j,
				k,
				round;

	for (round = 0; round < 80; round++)
	{
		f = opt_eval(c, x, g);
		*fx = f;
		*gmax = vec_maxabs(g, n);
		for (j = 0; j < n; j++)
		{
			memcpy(xt, x, sizeof(double) * n);
			xt[j] = x[j] + h;
			opt_eval(c, xt, gp);
			xt[j] = x[j] - h;
			opt_eval(c, xt, gm);
			for (i = 0; i < n; i++)
				Hs[i][j] = (gp[i] - gm[i]) / (2.0 * h);
		}
		/* Cholesky of the symmetrised Hessian */
		for (i = 0; i < n; i++)
			for (j = 0; j <= i; j++)
			{
				sum = 0.5 * (Hs[i][j] + Hs[j][i]);
				for (k = 0; k < j; k++)
					sum -= L[i][k] * L[j][k];
				if (i == j)
				{
					if (!(sum > 0.0) || !isfinite(sum))
						return CLV_OPT_FLAT;
					L[i][i] = sqrt(sum);
				}
				else
					L[i][j] = sum / L[j][j];
			}
		/* solve H z = -g */
		for (i = 0; i < n; i++)
		{
			sum = -g[i];
			for (k = 0; k < i; k++)
				sum -= L[i][k] * z[k];
			z[i] = sum / L[i][i];
		}
		for (i = n - 1; i >= 0; i--)
		{
			sum = z[i];
			for (k = i + 1; k < n; k++)
				sum -= L[k][i] * z[k];
			z[i] = sum / L[i][i];
		}
		zmax = vec_maxabs(z, n);
		if (zmax <= 1e-7)
			return CLV_OPT_OK;
		/*
		 * Damped step: at most 2 log-units, halved until f does not grow.
		 * Near the optimum of a large data set the decrease is below f's
		 * rounding error, so a step that shrinks the gradient is also taken
		 * if f grows by no more than that error.
		 */
		step = zmax > 2.0 ? 2.0 / zmax : 1.0;
		for (k = 0; k < 40; k++)
		{
			for (i = 0; i < n; i++)
				xt[i] = x[i] + step * z[i];
			ft = opt_eval(c, xt, gt);
			if (ft <= f || (ft <= f + 1e-12 * (1.0 + fabs(f)) &&
							vec_maxabs(gt, n) < *gmax))
				break;
			step *= 0.5;
		}
		if (k == 40)
		{
			/* no step lowers f: at the optimum up to rounding if z is small */
			return zmax <= 1e-4 ? CLV_OPT_OK : CLV_OPT_NOT_CONVERGED;
		}
		memcpy(x, xt, sizeof(double) * n);
		*fx = ft;
		*bad = out_of_range(x, n);
		if (*bad >= 0)
			return CLV_OPT_DIVERGED;
	}
	return CLV_OPT_NOT_CONVERGED;
}

/*
 * Minimise fn over dim <= CLV_OPT_MAXDIM coordinates from theta (updated in
 * place).  BFGS from the start until the largest gradient component is at
 * most gtol (or no step lowers f), then Newton steps until the step
 * vanishes (see newton_polish); if that does not converge short of a
 * divergence, the same again after a Nelder-Mead descent from the start.
 */
clv_opt_result
clv_minimise(clv_objective fn, void *arg, int dim, double *theta, double gtol)
{
	opt_ctx		c;
	clv_opt_result res;
	double		x0[CLV_OPT_MAXDIM];

	memset(&res, 0, sizeof(res));
	res.bad_dim = -1;
	c.fn = fn;
	c.arg = arg;
	c.dim = dim;
	c.evaluations = 0;
	memcpy(x0, theta, sizeof(double) * dim);
	res.status = bfgs(&c, theta, &res.f, &res.gradmax, gtol, &res.iterations, &res.bad_dim);
	/*
	 * BFGS also stops when no step lowers f any more, which on a large
	 * data set happens near the optimum before the gradient test is met
	 * (f's rounding error exceeds the decrease a tiny step can make):
	 * Newton's steps decide from there.
	 */
	if (res.status == CLV_OPT_OK || res.status == CLV_OPT_NOT_CONVERGED)
		res.status = newton_polish(&c, theta, &res.f, &res.gradmax, &res.bad_dim);
	/*
	 * Second chance, unless the first pass ended far out on a ridge (some
	 * |log parameter| > 10): a fresh start only walks the same ridge again.
	 */
	if ((res.status == CLV_OPT_NOT_CONVERGED || res.status == CLV_OPT_FLAT) &&
		vec_maxabs(theta, dim) <= 10.0)
	{
		/* second chance: a derivative-free descent from the original start */
		memcpy(theta, x0, sizeof(double) * dim);
		nelder_mead(&c, theta);
		res.bad_dim = out_of_range(theta, dim);
		if (res.bad_dim >= 0)
			res.status = CLV_OPT_DIVERGED;
		else
		{
			res.status = bfgs(&c, theta, &res.f, &res.gradmax, gtol,
							  &res.iterations, &res.bad_dim);
			if (res.status == CLV_OPT_OK || res.status == CLV_OPT_NOT_CONVERGED)
				res.status = newton_polish(&c, theta, &res.f, &res.gradmax, &res.bad_dim);
		}
	}
	res.evaluations = c.evaluations;
	res.bad_high = (res.status == CLV_OPT_DIVERGED && res.bad_dim >= 0 &&
					theta[res.bad_dim] > 0.0);
	if (c.evaluations >= CLV_OPT_MAX_EVAL && res.status != CLV_OPT_DIVERGED)
		res.status = CLV_OPT_NOT_CONVERGED;
	return res;
}

/* The fit outcome that an optimiser outcome means. */
clv_status
clv_fit_status(clv_opt_status st)
{
	switch (st)
	{
		case CLV_OPT_OK:
			return CLV_OK;
		case CLV_OPT_DIVERGED:
			return CLV_DIVERGED;
		case CLV_OPT_NOT_FINITE:
			return CLV_NUMERIC;
		case CLV_OPT_FLAT:
			return CLV_NOT_IDENTIFIED;
		case CLV_OPT_NOT_CONVERGED:
			break;
	}
	return CLV_NOT_CONVERGED;
}

/*
 * ln of the w-weighted mean of v (v >= 0, w > 0), 0 if that mean is 0: the
 * fits start their scale parameter (alpha, gamma) there and search it
 * relative to that point, so the unit of time or money cannot push it past
 * CLV_THETA_MAX.  The plain sum first; if it overflows, the sum of the
 * weighted shares, which cannot.
 */
double
clv_log_mean(const double *v, const double *w, int64_t n)
{
	double		tw = 0.0,
				s = 0.0;
	int64_t		i;

	for (i = 0; i < n; i++)
	{
		tw += w[i];
		s += w[i] * v[i];
	}
	if (!isfinite(s))
	{
		s = 0.0;
		for (i = 0; i < n; i++)
			s += w[i] / tw * v[i];
		return log(s);
	}
	return s > 0.0 ? log(s / tw) : 0.0;
}
