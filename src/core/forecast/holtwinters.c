/*
 * holtwinters.c
 *		Holt-Winters exponential smoothing compatible with R's stats::HoltWinters.
 *
 * Our own implementation of the method as R 4.2 documents and computes it
 * (HoltWinters, decompose, predict.HoltWinters):
 *
 * - start values: without season, level x[2] and slope x[2] - x[1] (level x[1]
 *   for simple smoothing); with season, a classical decomposition of the first
 *   two seasons (centred moving average of order m, 2 x m for even m), the
 *   seasonal figure centred (additive) or normalised (multiplicative), and the
 *   least-squares line through the non-missing trend values giving the start
 *   level (its intercept at index 0) and slope;
 * - the error-correction recursion over observations start .. n-1, the SSE of
 *   the one-step forecasts over that window;
 * - parameters not given are estimated by minimising the SSE over [0,1]
 *   (phi over [0.8, 0.98]) with our projected BFGS (boxmin.c) from R's start
 *   (0.3, 0.1, 0.1) and from the two best points of a 5-level grid that
 *   includes the bounds (optima often sit on a face: beta = 0, gamma = 1);
 * - prediction variance as predict.HoltWinters: var(residuals) times
 *   1 + sum psi(j)^2 (additive) or R's multiplicative sum, quirks included
 *   (see hw_forecast_sd).
 */
#include "forecast/holtwinters.h"
#include "forecast/ets.h"
#include "numeric/boxmin.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names of the components, as in the text form and the SQL options. */
const char *
hw_trend_name(hw_trend t)
{
	switch (t)
	{
		case HW_TREND_NONE:
			return "none";
		case HW_TREND_ADDITIVE:
			return "additive";
		case HW_TREND_DAMPED:
			return "damped";
	}
	return "?";
}

const char *
hw_season_name(hw_season s)
{
	switch (s)
	{
		case HW_SEASON_NONE:
			return "none";
		case HW_SEASON_ADDITIVE:
			return "additive";
		case HW_SEASON_MULTIPLICATIVE:
			return "multiplicative";
	}
	return "?";
}

/* Does name[0..len) equal word exactly? */
static int
hw_word_is(const char *name, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(name, word, len) == 0;
}

/* Parse a trend name; returns 1 on success. */
int
hw_trend_from_name(const char *name, size_t len, hw_trend *t)
{
	if (hw_word_is(name, len, "none"))
		*t = HW_TREND_NONE;
	else if (hw_word_is(name, len, "additive"))
		*t = HW_TREND_ADDITIVE;
	else if (hw_word_is(name, len, "damped"))
		*t = HW_TREND_DAMPED;
	else
		return 0;
	return 1;
}

/* Parse a season name; returns 1 on success. */
int
hw_season_from_name(const char *name, size_t len, hw_season *s)
{
	if (hw_word_is(name, len, "none"))
		*s = HW_SEASON_NONE;
	else if (hw_word_is(name, len, "additive"))
		*s = HW_SEASON_ADDITIVE;
	else if (hw_word_is(name, len, "multiplicative"))
		*s = HW_SEASON_MULTIPLICATIVE;
	else
		return 0;
	return 1;
}

/* Is a given (non-NaN) parameter inside [lo, hi]? NaN means "estimate". */
static int
hw_param_ok(double p, double lo, double hi)
{
	return isnan(p) || (p >= lo && p <= hi);
}

/*
 * Fewest observations a model needs: two full seasons with a season (R's
 * decompose), four with a trend and three for simple smoothing (so that the
 * residual variance has at least two residuals).
 */
int
hw_min_observations(const hw_spec *spec)
{
	if (spec->season != HW_SEASON_NONE)
		return 2 * spec->m;
	return spec->trend != HW_TREND_NONE ? 4 : 3;
}

/*
 * Check the specification and the data before fitting: season length,
 * parameter ranges, finite values, positive values for a multiplicative
 * season, and enough observations (two full seasons with a season, as R's
 * decompose needs; four without, so that the residual variance has at least
 * two residuals; three for simple smoothing).
 */
hw_status
hw_check(const hw_spec *spec, const double *x, int n)
{
	int			i,
				need;

	if (spec->season != HW_SEASON_NONE &&
		(spec->m < 2 || spec->m > HW_MAX_SEASON))
		return HW_BAD_SEASON_LENGTH;
	/* alpha = 0 would never update the level; R refuses it too */
	if (!isnan(spec->alpha) && !(spec->alpha > 0.0 && spec->alpha <= 1.0))
		return HW_BAD_PARAMETER;
	if (!hw_param_ok(spec->beta, 0.0, 1.0) ||
		!hw_param_ok(spec->gamma, 0.0, 1.0) ||
		(!isnan(spec->phi) && !(spec->phi > 0.0 && spec->phi <= 1.0)))
		return HW_BAD_PARAMETER;
	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return HW_NOT_FINITE;
	if (spec->season == HW_SEASON_MULTIPLICATIVE)
		for (i = 0; i < n; i++)
			if (!(x[i] > 0.0))
				return HW_NOT_POSITIVE;
	need = hw_min_observations(spec);
	if (n < need)
		return HW_TOO_SHORT;
	return HW_OK;
}

/*
 * Classical decomposition of x[0..len) as R's decompose(): the centred moving
 * average of order m (2 x m for even m) with R's filter() summation order,
 * then the seasonal figure -- the mean of the detrended values (x - trend,
 * or x / trend) at each season position -- centred (additive) or
 * normalised to mean 1 (multiplicative).  trend[] receives the trend values
 * for t = *first .. *first + *count - 1 (len doubles suffice); figure[] m
 * values.  Needs len >= 2m.
 */
void
hw_decompose(const double *x, int len, int m, hw_season type,
			 double *trend, int *first, int *count, double *figure)
{
	int			nf = m % 2 == 0 ? m + 1 : m;
	double		w_end = m % 2 == 0 ? 0.5 / m : 1.0 / m;
	double		w_mid = 1.0 / m;
	int			shift = nf / 2;
	int			lo = shift;
	int			hi = len - 1 - (nf - 1 - shift);
	double		mean = 0.0;
	int			i,
				j;

	for (i = lo; i <= hi; i++)
	{
		double		z = 0.0;

		/* R's filter(): z += filter[j] * x[t + shift - j], j ascending */
		for (j = 0; j < nf; j++)
			z += ((j == 0 || j == nf - 1) ? w_end : w_mid) * x[i + shift - j];
		trend[i - lo] = z;
	}
	for (i = 0; i < m; i++)
	{
		double		acc = 0.0;
		int			c = 0,
					t;

		for (t = i; t < len; t += m)
		{
			if (t < lo || t > hi)
				continue;
			if (type == HW_SEASON_MULTIPLICATIVE)
				acc += x[t] / trend[t - lo];
			else
				acc += x[t] - trend[t - lo];
			c++;
		}
		/* with len >= 2m every position has a trend value */
		figure[i] = acc / c;
	}
	for (i = 0; i < m; i++)
		mean += figure[i];
	mean /= m;
	for (i = 0; i < m; i++)
	{
		if (type == HW_SEASON_MULTIPLICATIVE)
			figure[i] /= mean;
		else
			figure[i] -= mean;
	}
	*first = lo;
	*count = hi - lo + 1;
}

/*
 * Least-squares line through y[0..cnt) against 1, 2, ..., cnt: intercept
 * (at 0) and slope.
 */
void
hw_line(const double *y, int cnt, double *intercept, double *slope)
{
	double		tbar = (cnt + 1) / 2.0,
				ybar = 0.0,
				sxx = 0.0,
				sxy = 0.0;
	int			i;

	for (i = 0; i < cnt; i++)
		ybar += y[i];
	ybar /= cnt;
	for (i = 0; i < cnt; i++)
	{
		double		dt = (i + 1) - tbar;

		sxx += dt * dt;
		sxy += dt * (y[i] - ybar);
	}
	*slope = cnt > 1 ? sxy / sxx : 0.0;
	*intercept = ybar - *slope * tbar;
}

/*
 * Start values as R's HoltWinters computes them (start.periods = 2).  With a
 * season: decompose(first 2m values), the figure as the seasonal start, and
 * the least-squares line through the non-missing trend values (x = 1, 2,
 * ...): its intercept (at index 0, one step before the first trend value:
 * R's quirk) is the level, its slope the slope.  Without season: level x[2]
 * and slope x[2] - x[1] (level x[1] for simple smoothing).  st->s must hold
 * m doubles, st->trend 2m.
 */
hw_status
hw_start_values(const hw_spec *spec, const double *x, int n, hw_start *st)
{
	int			first,
				count,
				i;

	st->level = 0.0;
	st->slope = 0.0;
	if (spec->season == HW_SEASON_NONE)
	{
		if (spec->trend == HW_TREND_NONE)
		{
			st->level = x[0];
			st->start = 1;
		}
		else
		{
			st->level = x[1];
			st->slope = x[1] - x[0];
			st->start = 2;
		}
		return HW_OK;
	}
	if (n < 2 * spec->m)
		return HW_TOO_SHORT;
	hw_decompose(x, 2 * spec->m, spec->m, spec->season, st->trend, &first,
				 &count, st->s);
	hw_line(st->trend, count, &st->level, &st->slope);
	st->start = spec->m;
	if (!isfinite(st->level) || !isfinite(st->slope))
		return HW_DEGENERATE_START;
	for (i = 0; i < spec->m; i++)
		if (!isfinite(st->s[i]))
			return HW_DEGENERATE_START;
	return HW_OK;
}

/* doubles of work space hw_run needs (the seasonal ring) */
size_t
hw_work_doubles(const hw_spec *spec, int n)
{
	(void) n;
	return spec->season == HW_SEASON_NONE ? 1 : (size_t) spec->m;
}

/*
 * Run the recursion over x[st->start .. n-1] with the given parameters and
 * return the SSE of the one-step forecasts (R's C_HoltWinters loop, with the
 * damping factor phi applied to the slope; phi = 1 is R's recursion).  work
 * holds hw_work_doubles() doubles.  When out is given, also fill in the final
 * states, parameters, SSE and residual variance (out->s needs m doubles);
 * when trace is given, the per-step forecast, level, slope and season.
 */
double
hw_run(const hw_spec *spec, const hw_start *st, const double *x, int n,
	   double alpha, double beta, double gamma, double phi,
	   double *work, hw_model *out, hw_trace *trace)
{
	int			m = spec->season == HW_SEASON_NONE ? 1 : spec->m;
	int			seasonal = spec->season != HW_SEASON_NONE;
	int			mult = spec->season == HW_SEASON_MULTIPLICATIVE;
	int			dotrend = spec->trend != HW_TREND_NONE;
	double		level = st->level;
	double		slope = dotrend ? st->slope : 0.0;
	double		sse = 0.0;
	double		rmean = 0.0,
				rm2 = 0.0;
	int			i,
				k = 0,
				pos = 0;

	if (spec->trend != HW_TREND_DAMPED)
		phi = 1.0;
	if (seasonal)
		memcpy(work, st->s, sizeof(double) * m);

	for (i = st->start; i < n; i++, k++)
	{
		double		tb = phi * slope;
		double		stmp = seasonal ? work[pos] : (mult ? 1.0 : 0.0);
		double		xhat = level + tb;
		double		res,
					newlevel;

		if (mult)
			xhat *= stmp;
		else
			xhat += stmp;
		res = x[i] - xhat;
		sse += res * res;
		if (out)
		{
			/* Welford: mean and sum of squared deviations of residuals */
			double		delta = res - rmean;

			rmean += delta / (k + 1);
			rm2 += delta * (res - rmean);
		}
		if (trace)
		{
			trace->xhat[k] = xhat;
			trace->level[k] = level;
			trace->slope[k] = slope;
			trace->season[k] = stmp;
		}
		if (mult)
			newlevel = alpha * (x[i] / stmp) + (1.0 - alpha) * (level + tb);
		else
			newlevel = alpha * (x[i] - stmp) + (1.0 - alpha) * (level + tb);
		if (dotrend)
			slope = beta * (newlevel - level) + (1.0 - beta) * tb;
		level = newlevel;
		if (seasonal)
		{
			if (mult)
				work[pos] = gamma * (x[i] / level) + (1.0 - gamma) * stmp;
			else
				work[pos] = gamma * (x[i] - level) + (1.0 - gamma) * stmp;
			if (++pos == m)
				pos = 0;
		}
	}
	if (out)
	{
		out->method = HW_METHOD_HOLT_WINTERS;
		out->error = HW_ERROR_ADDITIVE;
		out->aicc = NAN;
		out->trend = spec->trend;
		out->season = spec->season;
		out->m = m;
		out->n = n;
		out->n_fit = k;
		out->alpha = alpha;
		out->beta = dotrend ? beta : 0.0;
		out->gamma = seasonal ? gamma : 0.0;
		out->phi = spec->trend == HW_TREND_DAMPED ? phi : 1.0;
		out->sse = sse;
		out->sigma2 = k > 1 ? rm2 / (k - 1) : NAN;
		out->level = level;
		out->slope = dotrend ? slope : 0.0;
		if (seasonal)
		{
			/* ring position pos holds the state for the next period */
			for (i = 0; i < m; i++)
				out->s[i] = work[(pos + i) % m];
		}
	}
	return sse;
}

/* The SSE as a function of the free parameters, for the optimiser. */
typedef struct hw_objective
{
	const hw_spec *spec;
	const hw_start *st;
	const double *x;
	int			n;
	double	   *work;
	int			nfree;
	int			which[4];		/* 0 alpha, 1 beta, 2 gamma, 3 phi */
	double		fixed[4];
} hw_objective;

/* Full parameter vector from the free ones. */
static void
hw_expand(const hw_objective *o, const double *p, double *full)
{
	int			i;

	memcpy(full, o->fixed, sizeof(double) * 4);
	for (i = 0; i < o->nfree; i++)
		full[o->which[i]] = p[i];
}

static double
hw_objective_fn(const double *p, void *arg)
{
	hw_objective *o = (hw_objective *) arg;
	double		f[4];

	if (o->spec->poll)
		o->spec->poll();
	hw_expand(o, p, f);
	return hw_run(o->spec, o->st, o->x, o->n, f[0], f[1], f[2], f[3],
				  o->work, NULL, NULL);
}

/* doubles of work space hw_fit needs: start season, ring, decomposition */
size_t
hw_fit_work_doubles(const hw_spec *spec)
{
	return spec->season == HW_SEASON_NONE ? 4 : 4 * (size_t) spec->m;
}

/*
 * Fit: check, start values, estimate the missing parameters, final run.
 * work needs hw_fit_work_doubles() doubles; out->s needs m.
 * info (if given) receives the number of SSE evaluations and whether the
 * local search that gave the result stopped by its tolerances.
 */
hw_status
hw_fit(const hw_spec *spec, const double *x, int n, double *work,
	   hw_model *out, hw_fit_info *info)
{
	hw_status	rc;
	hw_start	st;
	hw_objective o;
	int			m = spec->season == HW_SEASON_NONE ? 1 : spec->m;
	double		lo[4],
				hi[4],
				best[4];
	double		bestf = INFINITY;
	int			evals = 0,
				converged = 1;
	int			i;

	rc = hw_check(spec, x, n);
	if (rc != HW_OK)
		return rc;
	st.s = work;
	st.trend = work + 2 * m;
	rc = hw_start_values(spec, x, n, &st);
	if (rc != HW_OK)
		return rc;

	o.spec = spec;
	o.st = &st;
	o.x = x;
	o.n = n;
	o.work = work + m;
	o.nfree = 0;
	o.fixed[0] = spec->alpha;
	o.fixed[1] = spec->trend != HW_TREND_NONE ? spec->beta : 0.0;
	o.fixed[2] = spec->season != HW_SEASON_NONE ? spec->gamma : 0.0;
	o.fixed[3] = spec->trend == HW_TREND_DAMPED ? spec->phi : 1.0;
	for (i = 0; i < 4; i++)
	{
		if (isnan(o.fixed[i]))
		{
			o.which[o.nfree] = i;
			lo[o.nfree] = i == 3 ? HW_PHI_LOWER : 0.0;
			hi[o.nfree] = i == 3 ? HW_PHI_UPPER : 1.0;
			o.nfree++;
		}
	}

	if (o.nfree > 0)
	{
		/* R's start point, then the best points of a grid */
		static const double rstart[4] = {0.3, 0.1, 0.1, 0.9};
		static const double levels[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
		double		starts[3][4];
		double		startf[3];
		int			nstart = 0,
					total = 1,
					g,
					s;

		for (i = 0; i < o.nfree; i++)
			total *= 5;
		for (s = 0; s < 3; s++)
			startf[s] = INFINITY;
		/* keep the two best grid points in starts[1], starts[2] */
		for (g = 0; g < total; g++)
		{
			double		p[4],
						f;
			int			r = g;

			for (i = 0; i < o.nfree; i++)
			{
				p[i] = lo[i] + levels[r % 5] * (hi[i] - lo[i]);
				r /= 5;
			}
			f = hw_objective_fn(p, &o);
			evals++;
			if (isnan(f))
				continue;
			if (f < startf[1])
			{
				memcpy(starts[2], starts[1], sizeof(starts[1]));
				startf[2] = startf[1];
				memcpy(starts[1], p, sizeof(p));
				startf[1] = f;
			}
			else if (f < startf[2])
			{
				memcpy(starts[2], p, sizeof(p));
				startf[2] = f;
			}
		}
		for (i = 0; i < o.nfree; i++)
			starts[0][i] = rstart[o.which[i]];
		startf[0] = 0.0;
		nstart = isfinite(startf[2]) ? 3 : isfinite(startf[1]) ? 2 : 1;

		for (s = 0; s < nstart; s++)
		{
			double		p[4];
			bm_result	res;

			memcpy(p, starts[s], sizeof(p));
			bm_minimize(hw_objective_fn, &o, o.nfree, lo, hi, p, 200, &res);
			evals += res.evals;
			if (res.f < bestf)
			{
				bestf = res.f;
				converged = res.converged;
				memcpy(best, p, sizeof(p));
			}
		}
		if (!isfinite(bestf))
			return HW_OPTIM_FAILED;
		hw_expand(&o, best, o.fixed);
	}
	hw_run(spec, &st, x, n, o.fixed[0], o.fixed[1], o.fixed[2], o.fixed[3],
		   o.work, out, NULL);
	if (!isfinite(out->sse))
		return HW_OPTIM_FAILED;
	if (info)
	{
		info->evals = evals;
		info->converged = converged;
	}
	return HW_OK;
}

/* Point forecasts for steps 1..h. */
void
hw_forecast_point(const hw_model *mod, int h, double *point)
{
	double		damp = 0.0,
				phik = 1.0;
	int			k;

	for (k = 1; k <= h; k++)
	{
		double		f;

		if (mod->trend == HW_TREND_DAMPED)
		{
			phik *= mod->phi;
			damp += phik;
			f = mod->level + damp * mod->slope;
		}
		else if (mod->trend == HW_TREND_ADDITIVE)
			f = mod->level + k * mod->slope;
		else
			f = mod->level;
		if (mod->season == HW_SEASON_ADDITIVE)
			f += mod->s[(k - 1) % mod->m];
		else if (mod->season == HW_SEASON_MULTIPLICATIVE)
			f *= mod->s[(k - 1) % mod->m];
		point[k - 1] = f;
	}
}

/*
 * R's coefficient vector c(a, [b,] s1..sm) read 1-based, NaN past its end:
 * predict.HoltWinters indexes it as if b were always present.
 */
static double
hw_coef(const hw_model *mod, int idx)
{
	int			has_b = mod->trend != HW_TREND_NONE;

	if (idx == 1)
		return mod->level;
	if (has_b && idx == 2)
		return mod->slope;
	idx -= 1 + has_b;			/* now 1-based season index */
	if (idx >= 1 && idx <= mod->m && mod->season != HW_SEASON_NONE)
		return mod->s[idx - 1];
	return NAN;
}

/* psi(j) of predict.HoltWinters; with damping, beta * (phi + ... + phi^j) */
static double
hw_psi(const hw_model *mod, int j, double damp)
{
	double		b = mod->trend == HW_TREND_NONE ? 0.0 : mod->beta;
	double		g = mod->season == HW_SEASON_NONE ? 0.0 : mod->gamma;
	double		tr = mod->trend == HW_TREND_DAMPED ? damp : (double) j;

	return mod->alpha * (1.0 + tr * b) +
		((j % mod->m) == 0 ? g * (1.0 - mod->alpha) : 0.0);
}

/*
 * Standard deviations of the forecast errors for steps 1..h, as
 * predict.HoltWinters: sqrt(var(residuals) * v(h)) with
 *   additive:       v(h) = 1 + sum_{j=1}^{h-1} psi(j)^2
 *   multiplicative: v(h) = sum_{j=0}^{h-1} (psi(j) * c[2 + rel] / c[2 + (rel - j) %% m])^2,
 *                   rel = 1 + (h - 1) %% m, c = R's coefficient vector
 * (R's multiplicative formula, kept as is for compatibility: it includes
 * j = 0 and reads c[2] -- the slope -- where (rel - j) %% m = 0).  Without
 * season m = 1, so every j is a season multiple but gamma is 0.  The
 * multiplicative sum costs O(h min(m, h)): poll (when not NULL) is called
 * before each stretch of at most h terms, so a long one can be cancelled.
 */
void
hw_forecast_sd(const hw_model *mod, int h, double *sd, void (*poll) (void))
{
	int			k;

	if (mod->season != HW_SEASON_MULTIPLICATIVE)
	{
		double		acc = 1.0,
					damp = 0.0,
					phik = 1.0;

		for (k = 1; k <= h; k++)
		{
			sd[k - 1] = sqrt(mod->sigma2 * acc);
			/* add psi(k)^2 for the next step */
			phik *= mod->phi;
			damp += phik;
			{
				double		p = hw_psi(mod, k, damp);

				acc += p * p;
			}
		}
		return;
	}
	/*
	 * The sum of step k depends on k only through rel and its length, so the
	 * steps sharing a rel (k = rel, rel + m, ...) extend one running sum, in
	 * the same order of j: O(h min(m, h)) work instead of O(h^2), same bits.
	 */
	for (k = 1; k <= h && k <= mod->m; k++)
	{
		int			rel = k;
		double		acc = 0.0,
					damp = 0.0,
					phik = 1.0;
		int			j = 0,
					kk;

		for (kk = k; kk <= h; kk += mod->m)
		{
			if (poll)
				poll();
			for (; j < kk; j++)
			{
				int			r = ((rel - j) % mod->m + mod->m) % mod->m;
				double		p;

				if (j > 0)
				{
					phik *= mod->phi;
					damp += phik;
				}
				p = hw_psi(mod, j, damp) * hw_coef(mod, 2 + rel) / hw_coef(mod, 2 + r);
				acc += p * p;
			}
			sd[kk - 1] = sqrt(mod->sigma2 * acc);
			if (kk > h - mod->m)
				break;			/* kk + m would pass h (or overflow) */
		}
	}
}

/*
 * Quantile of the standard normal distribution: Newton's method on
 * Phi(x) = erfc(-x / sqrt 2) / 2 from a rough start, in the lower tail (the
 * complement 1 - p of p >= 0.5 is exact in floating point).
 */
double
hw_qnorm(double p)
{
	double		q,
				x,
				t;
	int			i;

	if (!(p > 0.0 && p < 1.0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	q = p < 0.5 ? p : 1.0 - p;
	/* Abramowitz & Stegun 26.2.23 start (error < 4.5e-4) */
	t = sqrt(-2.0 * log(q));
	x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
		  (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
	for (i = 0; i < 50; i++)
	{
		double		cdf = 0.5 * erfc(-x / sqrt(2.0));
		double		pdf = 0.39894228040143267794 * exp(-0.5 * x * x);
		double		step = (cdf - q) / pdf;

		x -= step;
		if (fabs(step) <= 1e-16 * fabs(x))
			break;
	}
	return p < 0.5 ? x : -x;
}

/* Append text to buf at *pos (NUL-terminated while it fits). */
static void
hw_append_text(char *buf, size_t buflen, size_t *pos, const char *text)
{
	size_t		len = strlen(text);

	if (*pos + len < buflen)
		memcpy(buf + *pos, text, len + 1);
	*pos += len;
}

/*
 * Append a formatted double to buf at *pos, tracking the length needed.
 * Non-finite values are written as PostgreSQL writes them (NaN, Infinity,
 * -Infinity); strtod reads those back.
 */
static void
hw_append(char *buf, size_t buflen, size_t *pos, const char *fmt, double v)
{
	int			w;
	char		tmp[64];

	if (!isfinite(v))
	{
		const char *word = isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
		const char *pct = strchr(fmt, '%');

		/* the literal text before the conversion, then the word */
		snprintf(tmp, sizeof(tmp), "%.*s%s", (int) (pct - fmt), fmt, word);
		hw_append_text(buf, buflen, pos, tmp);
		return;
	}
	w = snprintf(*pos < buflen ? buf + *pos : NULL,
				 *pos < buflen ? buflen - *pos : 0, fmt, v);
	if (w > 0)
		*pos += (size_t) w;
}

/*
 * The text form:
 *   method=holt_winters|ets error=E trend=T seasonal=S season_length=M n=N
 *   n_fit=F last_period=P alpha=A beta=B gamma=G phi=PHI sse=SSE sigma2=V
 *   aicc=AICC level=L slope=SL season=s1,s2,...
 * floats with 17 significant digits (exact round trip).  Writes at most
 * buflen bytes (NUL included) and returns the length the whole text needs.
 */
size_t
hw_format(const hw_model *mod, char *buf, size_t buflen)
{
	size_t		pos = 0;
	char		head[256];
	int			w,
				i;

	if (buflen > 0)
		buf[0] = '\0';
	w = snprintf(head, sizeof(head),
				 "method=%s error=%s trend=%s seasonal=%s season_length=%d n=%d n_fit=%d last_period=%lld",
				 mod->method == HW_METHOD_ETS ? "ets" : "holt_winters",
				 mod->error == HW_ERROR_MULTIPLICATIVE ? "multiplicative" : "additive",
				 hw_trend_name(mod->trend), hw_season_name(mod->season),
				 (int) mod->m, (int) mod->n, (int) mod->n_fit,
				 (long long) mod->last_period);
	if (w > 0)
	{
		if ((size_t) w < buflen)
			memcpy(buf, head, (size_t) w + 1);
		pos = (size_t) w;
	}
	hw_append(buf, buflen, &pos, " alpha=%.17g", mod->alpha);
	hw_append(buf, buflen, &pos, " beta=%.17g", mod->beta);
	hw_append(buf, buflen, &pos, " gamma=%.17g", mod->gamma);
	hw_append(buf, buflen, &pos, " phi=%.17g", mod->phi);
	hw_append(buf, buflen, &pos, " sse=%.17g", mod->sse);
	hw_append(buf, buflen, &pos, " sigma2=%.17g", mod->sigma2);
	hw_append(buf, buflen, &pos, " aicc=%.17g", mod->aicc);
	hw_append(buf, buflen, &pos, " level=%.17g", mod->level);
	hw_append(buf, buflen, &pos, " slope=%.17g", mod->slope);
	hw_append_text(buf, buflen, &pos, " season=");
	if (mod->season != HW_SEASON_NONE)
		for (i = 0; i < mod->m; i++)
			hw_append(buf, buflen, &pos, i == 0 ? "%.17g" : ",%.17g", mod->s[i]);
	return pos;
}

/* Skip blanks. */
static const char *
hw_skip(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/*
 * Expect "key=" at *pp (after blanks); on success return the value's start
 * and its length (up to the next blank or the end) and advance *pp past it.
 */
static int
hw_key(const char **pp, const char *key, const char **val, size_t *len)
{
	const char *p = hw_skip(*pp);
	size_t		klen = strlen(key);
	const char *e;

	if (strncmp(p, key, klen) != 0 || p[klen] != '=')
		return 0;
	p += klen + 1;
	e = p;
	while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
		e++;
	*val = p;
	*len = (size_t) (e - p);
	*pp = e;
	return 1;
}

/* Parse exactly len characters as a double (strtod forms, nan, inf). */
static int
hw_number(const char *v, size_t len, double *out)
{
	char		tmp[64];
	char	   *end;

	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	/* out of range (1e400, 1e-400): refused as PostgreSQL's float8in does */
	if (errno == ERANGE && (isinf(*out) || *out == 0.0))
		return 0;
	return *end == '\0';
}

/* Parse exactly len characters as a decimal integer in [lo, hi]. */
static int
hw_integer(const char *v, size_t len, long long lo, long long hi, long long *out)
{
	char		tmp[32];
	char	   *end;
	long long	r;

	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	if (!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
		return 0;
	errno = 0;
	r = strtoll(tmp, &end, 10);
	if (*end != '\0' || errno == ERANGE || r < lo || r > hi)
		return 0;
	*out = r;
	return 1;
}

/*
 * Parse the text form up to "season=" (see hw_format); *season_text gets the
 * start of the seasonal list.  mod->s is left alone: the caller allocates m
 * doubles and calls hw_parse_season.
 */
hw_status
hw_parse_header(const char *text, hw_model *mod, const char **season_text)
{
	static const char *const dkeys[] = {"alpha", "beta", "gamma", "phi", "sse",
	"sigma2", "aicc", "level", "slope"};
	double	   *dvals[9];
	const char *p = text;
	const char *v;
	size_t		len;
	long long	iv;
	int			i;

	dvals[0] = &mod->alpha;
	dvals[1] = &mod->beta;
	dvals[2] = &mod->gamma;
	dvals[3] = &mod->phi;
	dvals[4] = &mod->sse;
	dvals[5] = &mod->sigma2;
	dvals[6] = &mod->aicc;
	dvals[7] = &mod->level;
	dvals[8] = &mod->slope;

	if (!hw_key(&p, "method", &v, &len))
		return HW_BAD_TEXT;
	if (hw_word_is(v, len, "holt_winters"))
		mod->method = HW_METHOD_HOLT_WINTERS;
	else if (hw_word_is(v, len, "ets"))
		mod->method = HW_METHOD_ETS;
	else
		return HW_BAD_TEXT;
	if (!hw_key(&p, "error", &v, &len))
		return HW_BAD_TEXT;
	if (hw_word_is(v, len, "additive"))
		mod->error = HW_ERROR_ADDITIVE;
	else if (hw_word_is(v, len, "multiplicative"))
		mod->error = HW_ERROR_MULTIPLICATIVE;
	else
		return HW_BAD_TEXT;
	if (!hw_key(&p, "trend", &v, &len) || !hw_trend_from_name(v, len, &mod->trend))
		return HW_BAD_TEXT;
	if (!hw_key(&p, "seasonal", &v, &len) ||
		!hw_season_from_name(v, len, &mod->season))
		return HW_BAD_TEXT;
	if (!hw_key(&p, "season_length", &v, &len) ||
		!hw_integer(v, len, 1, HW_MAX_SEASON, &iv))
		return HW_BAD_TEXT;
	mod->m = (int32_t) iv;
	if (!hw_key(&p, "n", &v, &len) || !hw_integer(v, len, 1, INT32_MAX, &iv))
		return HW_BAD_TEXT;
	mod->n = (int32_t) iv;
	if (!hw_key(&p, "n_fit", &v, &len) || !hw_integer(v, len, 1, INT32_MAX, &iv))
		return HW_BAD_TEXT;
	mod->n_fit = (int32_t) iv;
	if (!hw_key(&p, "last_period", &v, &len) ||
		!hw_integer(v, len, INT64_MIN, INT64_MAX, &iv))
		return HW_BAD_TEXT;
	mod->last_period = (int64_t) iv;
	for (i = 0; i < 9; i++)
		if (!hw_key(&p, dkeys[i], &v, &len) || !hw_number(v, len, dvals[i]))
			return HW_BAD_TEXT;
	if (!hw_key(&p, "season", &v, &len))
		return HW_BAD_TEXT;
	*season_text = v;
	return HW_OK;
}

/*
 * Parse the seasonal list (m comma-separated numbers, empty without season)
 * into mod->s, then nothing but blanks.
 */
hw_status
hw_parse_season(const char *text, hw_model *mod)
{
	const char *p = text;
	int			i;

	if (mod->season != HW_SEASON_NONE)
	{
		for (i = 0; i < mod->m; i++)
		{
			const char *e = p;

			while (*e && *e != ',' && *e != ' ' && *e != '\t' &&
				   *e != '\n' && *e != '\r')
				e++;
			if (!hw_number(p, (size_t) (e - p), &mod->s[i]))
				return HW_BAD_TEXT;
			p = e;
			if (i < mod->m - 1)
			{
				if (*p != ',')
					return HW_BAD_TEXT;
				p++;
			}
		}
	}
	p = hw_skip(p);
	return *p == '\0' ? HW_OK : HW_BAD_TEXT;
}

/*
 * Consistency of a model read from text or binary: what a fit can produce
 * (hw_fit, ets_fit, ets_auto), so that every consumer (forecast(), the text
 * and jsonb forms) handles it.  On failure *why (when why is not NULL)
 * names the rule broken.  The rules:
 *   - holt_winters models have additive errors and aicc NaN; ets models have
 *     no additive error with a multiplicative season, season_length 2 ..
 *     ETS_MAX_SEASON with a season (the class-3 variance is O(m^3) per
 *     step), aicc NaN (a constant series), finite or +Infinity (n = np + 2);
 *   - season_length 1 without a season, 2 .. HW_MAX_SEASON with one;
 *   - 1 <= n_fit <= n;
 *   - alpha, beta, gamma in [0, 1], phi in (0, 1]; beta, slope 0 without a
 *     trend, gamma 0 without a season, phi 1 unless the trend is damped;
 *   - level, slope, the seasonal states, sse >= 0 and sigma2 >= 0 finite.
 */
hw_status
hw_validate_why(const hw_model *mod, const char **why)
{
	const char *dummy;
	int			i;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if ((mod->method != HW_METHOD_HOLT_WINTERS && mod->method != HW_METHOD_ETS) ||
		(mod->error != HW_ERROR_ADDITIVE && mod->error != HW_ERROR_MULTIPLICATIVE) ||
		mod->trend < HW_TREND_NONE || mod->trend > HW_TREND_DAMPED ||
		mod->season < HW_SEASON_NONE || mod->season > HW_SEASON_MULTIPLICATIVE)
	{
		*why = "The method, error, trend or seasonal component is not one of the known kinds.";
		return HW_BAD_TEXT;
	}
	if (mod->method == HW_METHOD_HOLT_WINTERS && mod->error != HW_ERROR_ADDITIVE)
	{
		*why = "A holt_winters model has additive errors.";
		return HW_BAD_TEXT;
	}
	if (mod->method == HW_METHOD_ETS && mod->error == HW_ERROR_ADDITIVE &&
		mod->season == HW_SEASON_MULTIPLICATIVE)
	{
		*why = "ETS with additive errors and a multiplicative season is not a model ets() fits.";
		return HW_BAD_TEXT;
	}
	if (mod->season == HW_SEASON_NONE ? mod->m != 1 :
		(mod->m < 2 || mod->m > HW_MAX_SEASON))
	{
		*why = "season_length is 1 without a season and 2 to 10000 with one.";
		return HW_BAD_SEASON_LENGTH;
	}
	if (mod->method == HW_METHOD_ETS && mod->m > ETS_MAX_SEASON)
	{
		*why = "An ets model with a season has season_length 2 to 24.";
		return HW_BAD_SEASON_LENGTH;
	}
	if (mod->n < 1 || mod->n_fit < 1 || mod->n_fit > mod->n)
	{
		*why = "n and n_fit must be positive, n_fit at most n.";
		return HW_BAD_TEXT;
	}
	if (!(mod->alpha >= 0.0 && mod->alpha <= 1.0) ||
		!(mod->beta >= 0.0 && mod->beta <= 1.0) ||
		!(mod->gamma >= 0.0 && mod->gamma <= 1.0) ||
		!(mod->phi > 0.0 && mod->phi <= 1.0))
	{
		*why = "alpha, beta and gamma must lie in [0, 1], phi in (0, 1].";
		return HW_BAD_PARAMETER;
	}
	if ((mod->trend == HW_TREND_NONE && (mod->beta != 0.0 || mod->slope != 0.0)) ||
		(mod->season == HW_SEASON_NONE && mod->gamma != 0.0) ||
		(mod->trend != HW_TREND_DAMPED && mod->phi != 1.0))
	{
		*why = "A component the model lacks has its neutral value: beta=0 and slope=0 without a trend, gamma=0 without a season, phi=1 unless the trend is damped.";
		return HW_BAD_PARAMETER;
	}
	if (!isfinite(mod->level) || !isfinite(mod->slope))
	{
		*why = "level and slope must be finite.";
		return HW_NOT_FINITE;
	}
	if (mod->season != HW_SEASON_NONE)
		for (i = 0; i < mod->m; i++)
			if (!isfinite(mod->s[i]))
			{
				*why = "The seasonal states must be finite.";
				return HW_NOT_FINITE;
			}
	if (!(mod->sse >= 0.0 && isfinite(mod->sse)) ||
		!(mod->sigma2 >= 0.0 && isfinite(mod->sigma2)))
	{
		*why = "sse and sigma2 must be finite and >= 0.";
		return HW_NOT_FINITE;
	}
	if (mod->method == HW_METHOD_HOLT_WINTERS ? !isnan(mod->aicc) :
		!(isnan(mod->aicc) || mod->aicc > -INFINITY))
	{
		*why = "aicc is NaN for holt_winters; for ets it is NaN, a finite number or Infinity.";
		return HW_NOT_FINITE;
	}
	return HW_OK;
}

/* hw_validate_why without the reason. */
hw_status
hw_validate(const hw_model *mod)
{
	return hw_validate_why(mod, NULL);
}

/*
 * Options of the SQL aggregate: items separated by commas or blanks, each
 * "key=value" (seasonal, trend, alpha, beta, gamma, phi) or a bare word
 * (additive / multiplicative / none for the season, damped for the trend).
 * Fills spec (whose defaults the caller set); on error returns HW_BAD_TEXT
 * and points *bad at the offending item (*badlen its length).
 */
hw_status
hw_parse_options(const char *opt, size_t optlen, hw_spec *spec,
				 const char **bad, size_t *badlen)
{
	size_t		i = 0;

	while (i < optlen)
	{
		size_t		start,
					end,
					eq;
		const char *item;
		size_t		len;
		double		v;

		while (i < optlen && (opt[i] == ',' || opt[i] == ' ' || opt[i] == '\t' ||
							  opt[i] == '\n' || opt[i] == '\r'))
			i++;
		if (i >= optlen)
			break;
		start = i;
		while (i < optlen && opt[i] != ',' && opt[i] != ' ' && opt[i] != '\t' &&
			   opt[i] != '\n' && opt[i] != '\r')
			i++;
		end = i;
		item = opt + start;
		len = end - start;
		*bad = item;
		*badlen = len;
		for (eq = 0; eq < len && item[eq] != '='; eq++)
			;
		if (eq == len)
		{
			if (hw_season_from_name(item, len, &spec->season))
				continue;
			if (hw_word_is(item, len, "damped"))
			{
				spec->trend = HW_TREND_DAMPED;
				continue;
			}
			return HW_BAD_TEXT;
		}
		if (hw_word_is(item, eq, "seasonal"))
		{
			if (!hw_season_from_name(item + eq + 1, len - eq - 1, &spec->season))
				return HW_BAD_TEXT;
			continue;
		}
		if (hw_word_is(item, eq, "trend"))
		{
			if (!hw_trend_from_name(item + eq + 1, len - eq - 1, &spec->trend))
				return HW_BAD_TEXT;
			continue;
		}
		if (!hw_number(item + eq + 1, len - eq - 1, &v) || !isfinite(v))
			return HW_BAD_TEXT;
		if (hw_word_is(item, eq, "alpha"))
			spec->alpha = v;
		else if (hw_word_is(item, eq, "beta"))
			spec->beta = v;
		else if (hw_word_is(item, eq, "gamma"))
			spec->gamma = v;
		else if (hw_word_is(item, eq, "phi"))
			spec->phi = v;
		else
			return HW_BAD_TEXT;
	}
	return HW_OK;
}
