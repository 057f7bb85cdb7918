/*
 * ets.c
 *		ETS state-space exponential smoothing by maximum likelihood (see ets.h).
 *
 * Written from Hyndman, Koehler, Ord & Snyder, "Forecasting with
 * Exponential Smoothing: the State Space Approach" (Springer 2008), tables
 * 2.2/2.3 (recursions), chapter 5 (likelihood), chapter 6 (prediction
 * variances of classes 1 and 2), and forecast::ets' documented choices
 * (start states, bounds, AICc, candidate models).
 *
 * The point recursions do not depend on the error type: with mu the one-step
 * forecast, lb = l + phi b (l + b; l) and s the seasonal state of the period,
 *   e    = y - mu
 *   l'   = lb + alpha e / r        r = s for a multiplicative season, else 1
 *   b'   = phi b + beta e / r
 *   s'   = s + gamma e / q         q = lb for a multiplicative season, else 1
 * (for multiplicative errors e = mu eps gives the book's forms).  The error
 * type enters the likelihood: eps = e (additive) or e / mu (multiplicative).
 */
#include "forecast/ets.h"
#include "numeric/boxmin.h"

#include <math.h>
#include <string.h>

#define ETS_LOWER 1e-4
#define ETS_UPPER 0.9999

/* The fit problem: data, model and the layout of the parameter vector. */
typedef struct ets_problem
{
	const ets_spec *spec;
	const double *y;
	int			n;
	double	   *ring;			/* m doubles of work */
	int			npar;			/* length of the parameter vector */
	int			i_phi;			/* index of phi, or -1 */
	int			i_beta;			/* index of beta / alpha, or -1 */
	int			i_gamma;		/* index of gamma / (1 - alpha), or -1 */
	int			i_l;			/* index of the initial level */
	int			i_b;			/* index of the initial slope, or -1 */
	int			i_s;			/* index of the m - 1 free seasonal states, or -1 */
} ets_problem;

/* Smoothing parameters from the vector (beta, gamma scaled to their bounds). */
static void
ets_params(const ets_problem *pr, const double *p, double *alpha, double *beta,
		   double *gamma, double *phi)
{
	*alpha = p[0];
	*beta = pr->i_beta >= 0 ? p[pr->i_beta] * p[0] : 0.0;
	*gamma = pr->i_gamma >= 0 ? p[pr->i_gamma] * (1.0 - p[0]) : 0.0;
	*phi = pr->i_phi >= 0 ? p[pr->i_phi] : 1.0;
}

/*
 * Run the recursion from the parameter vector p.  Returns -2 log L (forecast's
 * form), +Inf where a one-step forecast is zero with multiplicative errors or
 * the level or a seasonal state turns non-positive with a multiplicative
 * season.  With out
 * given, stores the final states in out (out->s: m doubles) and the sum of
 * squared eps in *sse.
 */
static double
ets_run(const ets_problem *pr, const double *p, hw_model *out, double *sse)
{
	const ets_spec *sp = pr->spec;
	int			m = sp->m;
	int			seasonal = sp->season != HW_SEASON_NONE;
	int			mseason = sp->season == HW_SEASON_MULTIPLICATIVE;
	int			merror = sp->error == HW_ERROR_MULTIPLICATIVE;
	double		alpha,
				beta,
				gamma,
				phi;
	double		l = p[pr->i_l];
	double		b = pr->i_b >= 0 ? p[pr->i_b] : 0.0;
	double	   *ring = pr->ring;
	double		sum2 = 0.0,
				sumlog = 0.0,
				lik;
	int			i,
				pos = 0;

	ets_params(pr, p, &alpha, &beta, &gamma, &phi);
	if (seasonal)
	{
		double		rest = mseason ? (double) m : 0.0;

		for (i = 1; i < m; i++)
		{
			ring[i] = p[pr->i_s + i - 1];
			rest -= ring[i];
		}
		ring[0] = rest;
	}
	for (i = 0; i < pr->n; i++)
	{
		double		pb = sp->trend == HW_TREND_NONE ? 0.0 :
		(sp->trend == HW_TREND_DAMPED ? phi * b : b);
		double		lb = l + pb;
		double		s = seasonal ? ring[pos] : (mseason ? 1.0 : 0.0);
		double		mu = mseason ? lb * s : lb + s;
		double		e = pr->y[i] - mu;
		double		r = mseason ? s : 1.0;
		double		eps;

		/* forecast's etscalc: a zero forecast ends a multiplicative-error fit */
		if ((merror && !(fabs(mu) >= 1e-10)) || (mseason && !(lb > 0.0 && s > 0.0)))
			return INFINITY;
		eps = merror ? e / mu : e;
		sum2 += eps * eps;
		if (merror)
			sumlog += log(fabs(mu));
		l = lb + alpha * e / r;
		if (sp->trend != HW_TREND_NONE)
			b = pb + beta * e / r;
		if (seasonal)
		{
			ring[pos] = s + gamma * e / (mseason ? lb : 1.0);
			if (++pos == m)
				pos = 0;
		}
	}
	if (!(sum2 > 0.0) || !isfinite(sum2))
		return INFINITY;
	lik = pr->n * log(sum2) + 2.0 * sumlog;
	if (out)
	{
		out->level = l;
		out->slope = sp->trend != HW_TREND_NONE ? b : 0.0;
		out->alpha = alpha;
		out->beta = beta;
		out->gamma = gamma;
		out->phi = phi;
		if (seasonal)
			for (i = 0; i < m; i++)
				out->s[i] = ring[(pos + i) % m];
		*sse = sum2;
	}
	return lik;
}

static double
ets_objective(const double *p, void *arg)
{
	const ets_problem *pr = (const ets_problem *) arg;

	if (pr->spec->poll)
		pr->spec->poll();
	return ets_run(pr, p, NULL, NULL);
}

/* doubles of work ets_fit and ets_auto need */
size_t
ets_work_doubles(int n, int m)
{
	return (size_t) 2 * n + 4 * (size_t) (m < 1 ? 1 : m) + 64;
}

/*
 * Start states as forecast::ets' initstate(): with a season, the figure of
 * decompose() over the whole series (additive or multiplicative; for a
 * multiplicative season floored at 0.01 and, if the figures sum to more than
 * m, divided by sum(figure + 0.01) as forecast does), the series seasonally
 * adjusted; level (and slope) from the mean (least-squares line) of the
 * first max(10, 2m) adjusted values.  ring[] gets the m seasonal states in
 * the order they apply to observations 1..m.
 */
static void
ets_start_states(const ets_spec *sp, const double *y, int n, double *work,
				 double *l0, double *b0, double *ring)
{
	int			m = sp->m;
	double	   *ysa = work;
	double	   *trend = work + n;
	int			maxn,
				i;

	if (sp->season != HW_SEASON_NONE)
	{
		int			first,
					count;
		double		sum = 0.0;

		hw_decompose(y, n, m, sp->season, trend, &first, &count, ring);
		/* adjusted series from the figure as decompose gave it */
		for (i = 0; i < n; i++)
			ysa[i] = sp->season == HW_SEASON_MULTIPLICATIVE ?
				y[i] / fmax(ring[i % m], 0.01) : y[i] - ring[i % m];
		if (sp->season == HW_SEASON_MULTIPLICATIVE)
		{
			/* forecast floors and rescales only the m - 1 free states */
			for (i = 1; i < m; i++)
			{
				if (ring[i] < 0.01)
					ring[i] = 0.01;
				sum += ring[i];
			}
			if (sum > m)
				for (i = 1; i < m; i++)
					ring[i] /= sum + 0.01 * (m - 1);
		}
	}
	else
		memcpy(ysa, y, sizeof(double) * n);

	maxn = 2 * m > 10 ? 2 * m : 10;
	if (maxn > n)
		maxn = n;
	if (sp->trend == HW_TREND_NONE)
	{
		double		mean = 0.0;

		for (i = 0; i < maxn; i++)
			mean += ysa[i];
		*l0 = mean / maxn;
		*b0 = 0.0;
	}
	else
	{
		hw_line(ysa, maxn, l0, b0);
		if (fabs(*l0 + *b0) < 1e-8)
		{
			*l0 *= 1.001;
			*b0 *= 0.999;
		}
	}
}

/* Number of values forecast::ets counts for "not enough data" (npars). */
static int
ets_npars_rule(const ets_spec *sp)
{
	int			np = 2;

	if (sp->trend != HW_TREND_NONE)
		np += 2;
	if (sp->season != HW_SEASON_NONE)
		np += sp->m;
	if (sp->trend == HW_TREND_DAMPED)
		np += 1;
	return np;
}

/*
 * Fit one ETS model.  work: ets_work_doubles(n, m); out->s: m doubles.
 * HW_TOO_SHORT when the data cannot support the model (forecast's rules:
 * n > npars + 4 and fewer estimated values than n - 1; a season needs
 * three full seasons here), HW_NOT_POSITIVE for a multiplicative
 * component with data <= 0, HW_OPTIM_FAILED when no finite likelihood.
 */
hw_status
ets_fit(const ets_spec *spec, const double *y, int n, double *work,
		hw_model *out, ets_info *info)
{
	ets_problem pr;
	double		lo[BM_MAX_DIM],
				hi[BM_MAX_DIM],
				p[BM_MAX_DIM],
				best[BM_MAX_DIM];
	double		l0,
				b0,
				range,
				ymin = INFINITY,
				ymax = -INFINITY,
				bestlik = INFINITY,
				sse = 0.0;
	double	   *ring0 = work + 2 * n;
	int			m = spec->season == HW_SEASON_NONE ? 1 : spec->m;
	int			k,
				i,
				s,
				np,
				converged = 0;

	if (spec->season != HW_SEASON_NONE &&
		(spec->m < 2 || spec->m > ETS_MAX_SEASON))
		return HW_BAD_SEASON_LENGTH;
	if (spec->error == HW_ERROR_ADDITIVE && spec->season == HW_SEASON_MULTIPLICATIVE)
		return HW_BAD_PARAMETER;
	for (i = 0; i < n; i++)
	{
		if (!isfinite(y[i]))
			return HW_NOT_FINITE;
		ymin = fmin(ymin, y[i]);
		ymax = fmax(ymax, y[i]);
	}
	if ((spec->error == HW_ERROR_MULTIPLICATIVE ||
		 spec->season == HW_SEASON_MULTIPLICATIVE) && !(ymin > 0.0))
		return HW_NOT_POSITIVE;
	if (n <= ets_npars_rule(spec) + 4 ||
		(spec->season != HW_SEASON_NONE && n < 3 * spec->m))
		return HW_TOO_SHORT;

	ets_start_states(spec, y, n, work, &l0, &b0, ring0);

	/* parameter vector layout and bounds */
	pr.spec = spec;
	pr.y = y;
	pr.n = n;
	pr.ring = work + 2 * n + m;
	k = 0;
	lo[k] = ETS_LOWER;
	hi[k++] = ETS_UPPER;
	pr.i_beta = pr.i_gamma = pr.i_phi = pr.i_b = pr.i_s = -1;
	if (spec->trend != HW_TREND_NONE)
	{
		pr.i_beta = k;
		lo[k] = ETS_LOWER;
		hi[k++] = 1.0;
	}
	if (spec->season != HW_SEASON_NONE)
	{
		pr.i_gamma = k;
		lo[k] = ETS_LOWER;
		hi[k++] = 1.0;
	}
	if (spec->trend == HW_TREND_DAMPED)
	{
		pr.i_phi = k;
		lo[k] = HW_PHI_LOWER;
		hi[k++] = HW_PHI_UPPER;
	}
	range = ymax - ymin;
	if (!(range > 0.0))
		range = fabs(ymax) > 0.0 ? fabs(ymax) : 1.0;
	pr.i_l = k;
	lo[k] = l0 - 2.0 * range;
	hi[k++] = l0 + 2.0 * range;
	if (spec->trend != HW_TREND_NONE)
	{
		pr.i_b = k;
		lo[k] = b0 - range / 4.0;
		hi[k++] = b0 + range / 4.0;
	}
	if (spec->season != HW_SEASON_NONE)
	{
		pr.i_s = k;
		for (i = 1; i < m; i++)
		{
			if (spec->season == HW_SEASON_MULTIPLICATIVE)
			{
				lo[k] = 1e-3;
				hi[k++] = ring0[i] + 1.0;
			}
			else
			{
				lo[k] = ring0[i] - range;
				hi[k++] = ring0[i] + range;
			}
		}
	}
	pr.npar = k;
	if (k > BM_MAX_DIM)
		return HW_BAD_SEASON_LENGTH;
	np = k;
	/* forecast: no fit when the estimated values reach n - 1 */
	if (np >= n - 1)
		return HW_TOO_SHORT;

	/* two starts: forecast's initparam() and a livelier one */
	for (s = 0; s < 2; s++)
	{
		bm_result res;

		p[0] = s == 0 ? ETS_LOWER + 0.2 * (ETS_UPPER - ETS_LOWER) / m : 0.5;
		if (pr.i_beta >= 0)
			p[pr.i_beta] = s == 0 ? 0.1 : 0.2;
		if (pr.i_gamma >= 0)
			p[pr.i_gamma] = s == 0 ? 0.05 : 0.2;
		if (pr.i_phi >= 0)
			p[pr.i_phi] = s == 0 ? HW_PHI_LOWER + 0.99 * (HW_PHI_UPPER - HW_PHI_LOWER) : 0.9;
		p[pr.i_l] = l0;
		if (pr.i_b >= 0)
			p[pr.i_b] = b0;
		for (i = 1; i < m && pr.i_s >= 0; i++)
			p[pr.i_s + i - 1] = ring0[i];
		if (bm_minimize(ets_objective, &pr, pr.npar, lo, hi, p, 1000, &res) != 0)
			return HW_BAD_SEASON_LENGTH;
		if (info)
			info->evals += res.evals;
		if (res.f < bestlik)
		{
			bestlik = res.f;
			converged = res.converged;
			memcpy(best, p, sizeof(double) * pr.npar);
		}
	}
	if (!isfinite(bestlik))
		return HW_OPTIM_FAILED;

	bestlik = ets_run(&pr, best, out, &sse);
	if (!isfinite(bestlik))
		return HW_OPTIM_FAILED;
	out->method = HW_METHOD_ETS;
	out->error = spec->error;
	out->trend = spec->trend;
	out->season = spec->season;
	out->m = m;
	out->n = n;
	out->n_fit = n;
	out->sse = sse;
	out->sigma2 = sse / (n - np);
	{
		double		npp = np + 1.0;

		out->aicc = bestlik + 2.0 * npp + 2.0 * npp * (npp + 1.0) / (n - npp - 1.0);
	}
	if (info)
	{
		info->lik = bestlik;
		info->aicc = out->aicc;
		info->np = np + 1;
		info->converged = converged;
	}
	return HW_OK;
}

/*
 * Automatic choice as forecast::ets(model = "ZZZ"): every candidate
 * ETS(E,T,S) -- E in {A, M}, T in {N, A, Ad}, S in {N, A, M}, without
 * additive error with multiplicative season, without M components for data
 * <= 0, without season for m < 2 or m > 24 -- fitted, the lowest AICc kept;
 * a constant series gets forecast's simple-smoothing answer (see below).
 * season_buf: m doubles of scratch for the candidates' states.
 */
hw_status
ets_auto(const double *y, int n, int m, double *work, hw_model *out,
		 double *season_buf, ets_info *info, void (*poll) (void))
{
	static const hw_error errs[2] = {HW_ERROR_ADDITIVE, HW_ERROR_MULTIPLICATIVE};
	static const hw_trend trends[3] = {HW_TREND_NONE, HW_TREND_ADDITIVE, HW_TREND_DAMPED};
	static const hw_season seasons[3] = {HW_SEASON_NONE, HW_SEASON_ADDITIVE,
	HW_SEASON_MULTIPLICATIVE};
	double		best = INFINITY;
	double	   *keep_s = out->s;
	int			best_converged = 1;
	int			positive = 1,
				i,
				e,
				t,
				s;
	hw_status	last = HW_TOO_SHORT;

	for (i = 0; i < n; i++)
	{
		if (!isfinite(y[i]))
			return HW_NOT_FINITE;
		if (!(y[i] > 0.0))
			positive = 0;
	}
	for (i = 1; i < n && y[i] == y[0]; i++)
		;
	if (n > 0 && i == n)
	{
		/*
		 * A constant series has no likelihood optimum (zero residuals):
		 * forecast::ets returns ses(y, alpha = 0.99999, initial = "simple")
		 * there, simple smoothing from the first value with sigma2 0.
		 */
		memset(out, 0, sizeof(*out));
		out->s = keep_s;
		out->method = HW_METHOD_ETS;
		out->error = HW_ERROR_ADDITIVE;
		out->trend = HW_TREND_NONE;
		out->season = HW_SEASON_NONE;
		out->m = 1;
		out->n = n;
		out->n_fit = n;
		out->alpha = 0.99999;
		out->phi = 1.0;
		out->aicc = NAN;
		out->level = y[0];
		if (info)
		{
			info->lik = NAN;
			info->aicc = NAN;
			info->np = 2;
			info->converged = 1;
		}
		return HW_OK;
	}
	for (e = 0; e < 2; e++)
		for (t = 0; t < 3; t++)
			for (s = 0; s < 3; s++)
			{
				ets_spec	sp;
				hw_model	cand;
				hw_status	rc;

				sp.error = errs[e];
				sp.trend = trends[t];
				sp.season = seasons[s];
				sp.m = sp.season == HW_SEASON_NONE ? 1 : m;
				sp.poll = poll;
				if (sp.season != HW_SEASON_NONE && (m < 2 || m > ETS_MAX_SEASON))
					continue;
				if (sp.error == HW_ERROR_ADDITIVE && sp.season == HW_SEASON_MULTIPLICATIVE)
					continue;
				if (!positive && (sp.error == HW_ERROR_MULTIPLICATIVE ||
								  sp.season == HW_SEASON_MULTIPLICATIVE))
					continue;
				cand.s = season_buf;
				rc = ets_fit(&sp, y, n, work, &cand, info);
				if (info)
					info->candidates++;
				if (rc != HW_OK)
				{
					if (last == HW_TOO_SHORT)
						last = rc;
					continue;
				}
				if (cand.aicc < best)
				{
					best = cand.aicc;
					best_converged = info ? info->converged : 1;
					*out = cand;
					out->s = keep_s;
					if (cand.season != HW_SEASON_NONE)
						memcpy(keep_s, season_buf, sizeof(double) * cand.m);
				}
			}
	if (!isfinite(best))
		return last == HW_OK ? HW_OPTIM_FAILED : last;
	if (info)
	{
		info->aicc = best;
		info->converged = best_converged;
	}
	return HW_OK;
}

/*
 * Which analytic prediction-interval class (Hyndman et al. 2008, ch. 6) a
 * model belongs to: 1 (additive error, no multiplicative season), 2
 * (multiplicative error, no multiplicative season), 3 (multiplicative error
 * and season), 0 otherwise (additive error, multiplicative season: none).
 */
int
ets_interval_class(const hw_model *mod)
{
	if (mod->season == HW_SEASON_MULTIPLICATIVE)
		return mod->error == HW_ERROR_MULTIPLICATIVE ? 3 : 0;
	return mod->error == HW_ERROR_ADDITIVE ? 1 : 2;
}

/* doubles of work ets_forecast needs for h steps of mod */
size_t
ets_forecast_work_doubles(const hw_model *mod, int h)
{
	size_t		p1 = mod->trend == HW_TREND_NONE ? 1 : 2;
	size_t		d = p1 * (size_t) mod->m;

	return 3 * (size_t) h + 10 * d * d + 2 * d + 16;
}

/* out = A B (n x n, row-major) */
static void
ets_mul(const double *A, const double *B, double *out, int n)
{
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
		{
			double		acc = 0.0;

			for (k = 0; k < n; k++)
				acc += A[i * n + k] * B[k * n + j];
			out[i * n + j] = acc;
		}
}

/* out = A B^T (n x n) */
static void
ets_mul_t(const double *A, const double *B, double *out, int n)
{
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
		{
			double		acc = 0.0;

			for (k = 0; k < n; k++)
				acc += A[i * n + k] * B[j * n + k];
			out[i * n + j] = acc;
		}
}

/* out = kron(A (ra x ca), B (rb x cb)), row-major */
static void
ets_kron(const double *A, int ra, int ca, const double *B, int rb, int cb,
		 double *out)
{
	int			a,
				b,
				c,
				d;

	for (a = 0; a < ra; a++)
		for (b = 0; b < rb; b++)
			for (c = 0; c < ca; c++)
				for (d = 0; d < cb; d++)
					out[(a * rb + b) * (ca * cb) + c * cb + d] =
						A[a * ca + c] * B[b * cb + d];
}

/*
 * Class 3 (multiplicative error and season): the forecast means and
 * variances of Hyndman et al. (2008, sec. 6.3) as forecast's class3()
 * computes them: the level/slope block x1 and the seasonal block x2 in
 * M_h = E[x1 x2'], V_h = Var(vec(x1 x2')), with
 *   mu_h = H1 M_h H2',  v_h = (1 + sigma2) H21 V_h H21' + sigma2 mu_h^2,
 *   V_{h+1} = F21 V F21' + sigma2 (F21 V G21' + G21 V F21'
 *             + K (V + m m') K' + sigma2 G21 (3 V + 2 m m') G21'),
 *   M_{h+1} = F1 M F2' + sigma2 G1 M G2'.
 * For damped trends F1 = [1 phi; 0 phi] (the book; forecast 8.20 writes
 * [1 1; 0 phi]).  Means for every step; variances for the first
 * ETS_CLASS3_MAX steps (O(h (2m)^3)), NaN beyond.
 */
static void
ets_class3(const hw_model *mod, int h, double *mean, double *var, double *work,
		   void (*poll) (void))
{
	int			p1 = mod->trend == HW_TREND_NONE ? 1 : 2;
	int			m = mod->m;
	int			D = p1 * m;
	size_t		DD = (size_t) D * D;
	double		F1[4],
				G1[4];
	double	   *F2 = work;		/* m x m */
	double	   *G2 = F2 + (size_t) m * m;
	double	   *F21 = G2 + (size_t) m * m;
	double	   *G21 = F21 + DD;
	double	   *K = G21 + DD;
	double	   *V = K + DD;
	double	   *T1 = V + DD;
	double	   *T2 = T1 + DD;
	double	   *S = T2 + DD;
	double	   *Vn = S + DD;
	double	   *M = Vn + DD;	/* p1 x m */
	double	   *Mn = M + D;
	double		s2 = mod->sigma2;
	double		phi = mod->trend == HW_TREND_DAMPED ? mod->phi : 1.0;
	int			i,
				j,
				k,
				step;

	/* vec[] below holds D values: never more than it was sized for */
	if (D > 2 * ETS_MAX_SEASON)
	{
		for (step = 0; step < h; step++)
			mean[step] = var[step] = NAN;
		return;
	}
	/* F1, G1 (p1 x p1) */
	if (p1 == 1)
	{
		F1[0] = 1.0;
		G1[0] = mod->alpha;
	}
	else
	{
		F1[0] = 1.0;
		F1[1] = phi;
		F1[2] = 0.0;
		F1[3] = phi;
		G1[0] = G1[1] = mod->alpha;
		G1[2] = G1[3] = mod->beta;
	}
	/* F2: new s1 = old sm, s_{k+1} = s_k; G2: gamma at (1, m) */
	memset(F2, 0, sizeof(double) * m * m);
	memset(G2, 0, sizeof(double) * m * m);
	F2[m - 1] = 1.0;
	for (i = 1; i < m; i++)
		F2[i * m + i - 1] = 1.0;
	G2[m - 1] = mod->gamma;
	ets_kron(F2, m, m, F1, p1, p1, F21);
	ets_kron(G2, m, m, G1, p1, p1, G21);
	ets_kron(G2, m, m, F1, p1, p1, K);
	ets_kron(F2, m, m, G1, p1, p1, T1);
	for (k = 0; k < (int) DD; k++)
		K[k] += T1[k];
	/* M = x1 x2' with x2 = (s1..sm), s1 the most recent: ours reversed */
	for (i = 0; i < p1; i++)
		for (j = 0; j < m; j++)
			M[i * m + j] = (i == 0 ? mod->level : mod->slope) * mod->s[m - 1 - j];
	memset(V, 0, sizeof(double) * DD);

	for (step = 0; step < h; step++)
	{
		double		mu = 0.0;

		if (poll)
			poll();
		for (i = 0; i < p1; i++)
			mu += M[i * m + m - 1];
		mean[step] = mu;
		if (step < ETS_CLASS3_MAX)
		{
			double		hv = 0.0;
			double		vec[2 * ETS_MAX_SEASON];

			for (i = 0; i < p1; i++)
				for (j = 0; j < p1; j++)
					hv += V[((m - 1) * p1 + i) * D + (m - 1) * p1 + j];
			var[step] = (1.0 + s2) * hv + s2 * mu * mu;

			/* vec(M), column-major: vec[j p1 + i] = M[i][j] */
			for (i = 0; i < p1; i++)
				for (j = 0; j < m; j++)
					vec[j * p1 + i] = M[i * m + j];
			/* Vn = F21 V F21' */
			ets_mul(F21, V, T1, D);
			ets_mul_t(T1, F21, Vn, D);
			/* + s2 (F21 V G21' + G21 V F21'): T1 = F21 V, so T1 G21' and its transpose */
			ets_mul_t(T1, G21, T2, D);
			for (i = 0; i < D; i++)
				for (j = 0; j < D; j++)
					Vn[i * D + j] += s2 * (T2[i * D + j] + T2[j * D + i]);
			/* + s2 K (V + vv') K' */
			for (i = 0; i < D; i++)
				for (j = 0; j < D; j++)
					S[i * D + j] = V[i * D + j] + vec[i] * vec[j];
			ets_mul(K, S, T1, D);
			ets_mul_t(T1, K, T2, D);
			for (k = 0; k < (int) DD; k++)
				Vn[k] += s2 * T2[k];
			/* + s2^2 G21 (3V + 2vv') G21' */
			for (i = 0; i < D; i++)
				for (j = 0; j < D; j++)
					S[i * D + j] = 3.0 * V[i * D + j] + 2.0 * vec[i] * vec[j];
			ets_mul(G21, S, T1, D);
			ets_mul_t(T1, G21, T2, D);
			for (k = 0; k < (int) DD; k++)
				Vn[k] += s2 * s2 * T2[k];
			memcpy(V, Vn, sizeof(double) * DD);
		}
		else
			var[step] = NAN;
		/* Mn = F1 M F2' + s2 G1 M G2' */
		for (i = 0; i < p1; i++)
			for (j = 0; j < m; j++)
			{
				double		acc = 0.0;
				int			a,
							b;

				for (a = 0; a < p1; a++)
					for (b = 0; b < m; b++)
						acc += M[a * m + b] *
							(F1[i * p1 + a] * F2[j * m + b] +
							 s2 * G1[i * p1 + a] * G2[j * m + b]);
				Mn[i * m + j] = acc;
			}
		memcpy(M, Mn, sizeof(double) * D);
	}
}

/*
 * Forecast means and error variances for steps 1..h.  Class 1
 *   v(h) = sigma2 (1 + sum_{j<h} c_j^2),
 *   c_j = alpha + beta (phi + ... + phi^j) + gamma [j multiple of m];
 * class 2 (forecast's class2(): theta_1 = mu_1^2,
 *   theta_h = mu_h^2 + sigma2 sum_{j<h} c_j^2 theta_{h-j},
 *   v(h) = (1 + sigma2) theta_h - mu_h^2);
 * class 3 ets_class3 (its means include the seasonal-variance term).
 * Means are the point forecasts (hw_forecast_point) outside class 3.
 * NaN variances where no formula applies and past ETS_CLASS2_MAX /
 * ETS_CLASS3_MAX steps.  work: ets_forecast_work_doubles(mod, h).  poll
 * (when not NULL) is called every few steps, so a long horizon can be
 * cancelled.  HW_BAD_SEASON_LENGTH (nothing computed) for a season longer
 * than ETS_MAX_SEASON, which no ETS fit produces.
 */
hw_status
ets_forecast(const hw_model *mod, int h, double *mean, double *var, double *work,
			 void (*poll) (void))
{
	int			cls = ets_interval_class(mod);
	int			k,
				j;
	double		damp = 0.0,
				phik = 1.0,
				acc = 1.0;
	double	   *c2 = work,
			   *theta = work + h;

	/* the class-3 recursion keeps vec(M) in a buffer sized for this bound */
	if (mod->m < 1 || mod->m > (mod->season == HW_SEASON_NONE ? 1 : ETS_MAX_SEASON))
		return HW_BAD_SEASON_LENGTH;
	if (cls == 3)
	{
		ets_class3(mod, h, mean, var, work, poll);
		return HW_OK;
	}
	hw_forecast_point(mod, h, mean);
	if (cls != 1 && cls != 2)
	{
		for (k = 0; k < h; k++)
			var[k] = NAN;
		return HW_OK;
	}
	for (k = 1; k <= h; k++)
	{
		double		c;

		if (cls == 1)
			var[k - 1] = mod->sigma2 * acc;
		/* c_k for the next step */
		phik *= mod->phi;
		damp += phik;
		c = mod->alpha;
		if (mod->trend == HW_TREND_ADDITIVE)
			c += mod->beta * k;
		else if (mod->trend == HW_TREND_DAMPED)
			c += mod->beta * damp;
		if (mod->season != HW_SEASON_NONE && k % mod->m == 0)
			c += mod->gamma;
		acc += c * c;
		c2[k - 1] = c * c;
	}
	if (cls == 2)
	{
		for (k = 0; k < h; k++)
		{
			double		t = mean[k] * mean[k];

			if (k >= ETS_CLASS2_MAX)
			{
				var[k] = NAN;
				continue;
			}
			if (poll && k % 256 == 0)
				poll();
			for (j = 0; j < k; j++)
				t += mod->sigma2 * c2[j] * theta[k - 1 - j];
			theta[k] = t;
			var[k] = (1.0 + mod->sigma2) * t - mean[k] * mean[k];
		}
	}
	return HW_OK;
}

/* The model's code as forecast prints it, e.g. "MAdM", in buf (8 bytes). */
const char *
ets_code(const hw_model *mod, char *buf)
{
	char	   *p = buf;

	*p++ = mod->error == HW_ERROR_MULTIPLICATIVE ? 'M' : 'A';
	*p++ = mod->trend == HW_TREND_NONE ? 'N' : 'A';
	if (mod->trend == HW_TREND_DAMPED)
		*p++ = 'd';
	*p++ = mod->season == HW_SEASON_NONE ? 'N' :
		mod->season == HW_SEASON_ADDITIVE ? 'A' : 'M';
	*p = '\0';
	return buf;
}

/* Parse a model code ("ANN", "AAdA", "MAM", ...); returns 1 on success. */
int
ets_parse_code(const char *code, size_t len, ets_spec *spec)
{
	size_t		i = 0;

	spec->poll = NULL;
	if (len < 3 || len > 4)
		return 0;
	if (code[i] == 'A')
		spec->error = HW_ERROR_ADDITIVE;
	else if (code[i] == 'M')
		spec->error = HW_ERROR_MULTIPLICATIVE;
	else
		return 0;
	i++;
	if (code[i] == 'N')
		spec->trend = HW_TREND_NONE;
	else if (code[i] == 'A')
		spec->trend = HW_TREND_ADDITIVE;
	else
		return 0;
	i++;
	if (code[i] == 'd')
	{
		if (spec->trend != HW_TREND_ADDITIVE)
			return 0;
		spec->trend = HW_TREND_DAMPED;
		i++;
	}
	if (i != len - 1)
		return 0;
	if (code[i] == 'N')
		spec->season = HW_SEASON_NONE;
	else if (code[i] == 'A')
		spec->season = HW_SEASON_ADDITIVE;
	else if (code[i] == 'M')
		spec->season = HW_SEASON_MULTIPLICATIVE;
	else
		return 0;
	return 1;
}
