/*
 * boxmin.c
 *		Projected BFGS inside a box with finite-difference gradients.
 *
 * The method (see boxmin.h): at each iteration the variables sitting on a
 * bound with the gradient pushing outwards are held fixed; on the others a
 * BFGS inverse-Hessian approximation gives the direction; the step is cut
 * back (Armijo rule on the projected path, Bertsekas 1982) until it gives a
 * sufficient decrease.  When the active set changes or a quasi-Newton step
 * fails, the approximation restarts from a scaled identity.  Stops when the
 * projected gradient vanishes, when a step no longer lowers the function
 * measurably, or after maxit iterations.  The BFGS algebra (direction,
 * update) is shared with clv_optim.c (bfgs.c).
 */
#include "numeric/boxmin.h"
#include "numeric/bfgs.h"

#include <math.h>
#include <string.h>

/* finite-difference step, relative to the box width */
#define BM_FD_STEP 1e-7
/* Armijo constant and the most step halvings tried */
#define BM_ARMIJO 1e-4
#define BM_MAX_HALVINGS 50

typedef struct bm_ctx
{
	bm_func		fn;
	void	   *arg;
	int			d;
	const double *lo;
	const double *hi;
	int			evals;
} bm_ctx;

/* Evaluate, counting; a NaN becomes +Inf so comparisons stay meaningful. */
static double
bm_eval(bm_ctx *c, const double *x)
{
	double		f = c->fn(x, c->arg);

	c->evals++;
	return isnan(f) ? INFINITY : f;
}

/* Gradient by central differences, one-sided where a bound is in the way. */
static void
bm_gradient(bm_ctx *c, double *x, double fx, double *g)
{
	int			i;

	for (i = 0; i < c->d; i++)
	{
		double		xi = x[i];
		double		h = BM_FD_STEP * (c->hi[i] - c->lo[i]);
		double		up = xi + h,
					dn = xi - h;
		double		fu,
					fd;

		if (up > c->hi[i])
			up = c->hi[i];
		if (dn < c->lo[i])
			dn = c->lo[i];
		x[i] = up;
		fu = (up == xi) ? fx : bm_eval(c, x);
		x[i] = dn;
		fd = (dn == xi) ? fx : bm_eval(c, x);
		x[i] = xi;
		g[i] = (up > dn) ? (fu - fd) / (up - dn) : 0.0;
		if (!isfinite(g[i]))
			g[i] = 0.0;
	}
}

/* Clamp a point into the box. */
static void
bm_project(const bm_ctx *c, double *x)
{
	int			i;

	for (i = 0; i < c->d; i++)
	{
		if (x[i] < c->lo[i])
			x[i] = c->lo[i];
		else if (x[i] > c->hi[i])
			x[i] = c->hi[i];
	}
}

/* Reset the inverse Hessian to a scaled identity. */
static void
bm_reset(int d, double *H, const double *g, const int *freev)
{
	double		gmax = 0.0;
	double		scale;
	int			i;

	for (i = 0; i < d; i++)
		if (freev[i] && fabs(g[i]) > gmax)
			gmax = fabs(g[i]);
	/* first step moves the largest component by 0.1 */
	scale = gmax > 0.0 ? 0.1 / gmax : 1.0;
	bfgs_identity(d, H, scale);
}

/*
 * Minimise fn over the box from the start x (clamped into the box); x is
 * replaced by the best point found.  Returns 0, or -1 for a bad dimension.
 */
int
bm_minimize(bm_func fn, void *arg, int d, const double *lower,
			const double *upper, double *x, int maxit, bm_result *res)
{
	bm_ctx		c;
	double		H[BM_MAX_DIM * BM_MAX_DIM];
	double		g[BM_MAX_DIM],
				gn[BM_MAX_DIM],
				dir[BM_MAX_DIM],
				xn[BM_MAX_DIM],
				s[BM_MAX_DIM],
				y[BM_MAX_DIM],
				Hy[BM_MAX_DIM];
	int			freev[BM_MAX_DIM],
				oldfree[BM_MAX_DIM];
	double		f,
				fn_new = 0.0;
	int			iter,
				i,
				stalls = 0;

	res->f = INFINITY;
	res->evals = 0;
	res->iters = 0;
	res->converged = 0;
	if (d < 1 || d > BM_MAX_DIM)
		return -1;
	c.fn = fn;
	c.arg = arg;
	c.d = d;
	c.lo = lower;
	c.hi = upper;
	c.evals = 0;
	res->converged = 0;

	bm_project(&c, x);
	f = bm_eval(&c, x);
	bm_gradient(&c, x, f, g);
	for (i = 0; i < d; i++)
		oldfree[i] = -1;

	for (iter = 0; iter < maxit; iter++)
	{
		double		pgmax = 0.0,
					slope = 0.0,
					t = 1.0;
		int			changed = 0,
					ok = 0,
					k,
					tries;

		/* active set: on a bound with the gradient pointing outwards */
		for (i = 0; i < d; i++)
		{
			freev[i] = !((x[i] <= lower[i] && g[i] > 0.0) ||
						 (x[i] >= upper[i] && g[i] < 0.0));
			if (freev[i] && fabs(g[i]) > pgmax)
				pgmax = fabs(g[i]);
			if (freev[i] != oldfree[i])
				changed = 1;
			oldfree[i] = freev[i];
		}
		if (pgmax == 0.0 || !isfinite(f))
		{
			res->converged = 1;
			break;
		}
		if (changed)
			bm_reset(d, H, g, freev);

		/* up to two tries: quasi-Newton direction, then scaled steepest */
		for (tries = 0; tries < 2 && !ok; tries++)
		{
			slope = bfgs_direction(d, H, g, freev, dir);
			if (!(slope < 0.0))
			{
				bm_reset(d, H, g, freev);
				continue;
			}
			t = 1.0;
			for (k = 0; k < BM_MAX_HALVINGS; k++)
			{
				double		decrease = 0.0;

				for (i = 0; i < d; i++)
					xn[i] = x[i] + t * dir[i];
				bm_project(&c, xn);
				for (i = 0; i < d; i++)
					decrease += g[i] * (xn[i] - x[i]);
				fn_new = bm_eval(&c, xn);
				if (fn_new <= f + BM_ARMIJO * decrease && fn_new < f)
				{
					ok = 1;
					break;
				}
				t *= 0.5;
			}
			if (!ok)
				bm_reset(d, H, g, freev);
		}
		if (!ok)
		{
			/* no descent along either direction: a (numerical) minimum */
			res->converged = 1;
			break;
		}

		/* relative decrease so small twice in a row: done */
		if (f - fn_new <= 1e-15 * fabs(f) + 1e-300)
			stalls++;
		else
			stalls = 0;

		bm_gradient(&c, xn, fn_new, gn);
		for (i = 0; i < d; i++)
		{
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
		}

		/* BFGS update of the inverse Hessian on the free variables */
		{
			double		sy = 0.0,
						ss = 0.0,
						yy = 0.0;

			for (i = 0; i < d; i++)
			{
				if (!freev[i])
				{
					s[i] = y[i] = 0.0;
					continue;
				}
				sy += s[i] * y[i];
				ss += s[i] * s[i];
				yy += y[i] * y[i];
			}
			if (sy > 1e-12 * sqrt(ss * yy) && sy > 0.0)
				bfgs_update(d, H, s, y, sy, Hy);
		}

		memcpy(x, xn, sizeof(double) * d);
		memcpy(g, gn, sizeof(double) * d);
		f = fn_new;
		if (stalls >= 2)
		{
			res->converged = 1;
			break;
		}
	}
	res->f = f;
	res->evals = c.evals;
	res->iters = iter;
	return 0;
}
