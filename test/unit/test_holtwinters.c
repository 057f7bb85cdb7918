/*
 * test_holtwinters.c
 *		Unit tests of src/core/forecast/holtwinters.c and src/core/numeric/boxmin.c.
 *
 * Expected values come from R 4.2.2's stats::HoltWinters and
 * predict.HoltWinters on R's own series, written to hw_reference_data.h by
 * test/reference/forecast_ts/hw_reference.R (its printed output is
 * test/reference/forecast_ts/hw_reference.out).
 */
#include <math.h>
#include <stdlib.h>

#include "numeric/boxmin.h"
#include "forecast/holtwinters.h"
#include "unit.h"
#include "hw_reference_data.h"

/* |a - b| within tol relative, or within 1e-12 of the series' scale */
static int
close_to(double a, double b, double tol, double scale)
{
	if (isnan(a) && isnan(b))
		return 1;
	return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)) + 1e-12 * scale;
}

static double
series_scale(const double *x, int n)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		s = fmax(s, fabs(x[i]));
	return s;
}

/* Rosenbrock's function, for the optimiser alone */
static double
rosen(const double *p, void *arg)
{
	(void) arg;
	return 100.0 * (p[1] - p[0] * p[0]) * (p[1] - p[0] * p[0]) +
		(1.0 - p[0]) * (1.0 - p[0]);
}

/* a bowl whose minimum (2, -1) lies outside the box [0,1]^2 */
static double
bowl(const double *p, void *arg)
{
	(void) arg;
	return (p[0] - 2.0) * (p[0] - 2.0) + (p[1] + 1.0) * (p[1] + 1.0) + p[0] * p[1];
}

static void
test_boxmin(void)
{
	double		lo[2] = {-2.0, -2.0},
				hi[2] = {2.0, 2.0},
				x[2] = {-1.2, 1.0};
	double		lo2[2] = {0.0, 0.0},
				hi2[2] = {1.0, 1.0},
				x2[2] = {0.5, 0.5};
	bm_result	r;

	bm_minimize(rosen, NULL, 2, lo, hi, x, 500, &r);
	CHECK("rosenbrock x", fabs(x[0] - 1.0) < 1e-5 && fabs(x[1] - 1.0) < 1e-5);
	CHECK("rosenbrock f", r.f < 1e-10);
	/* minimum of the bowl on the box: x = 1 (gradient 2(1-2) + y < 0), y = 0 */
	bm_minimize(bowl, NULL, 2, lo2, hi2, x2, 500, &r);
	CHECK("bowl on bounds", x2[0] == 1.0 && x2[1] == 0.0);
	CHECK("bad dimension", bm_minimize(bowl, NULL, 0, lo2, hi2, x2, 5, &r) == -1);
}

static void
test_qnorm(void)
{
	/* R: sprintf("%.17g", qnorm(c(0.975, 0.9, 0.5, 0.025, 1e-10))) */
	CHECK("qnorm 0.975", close_to(hw_qnorm(0.975), 1.9599639845400536, 1e-15, 0));
	CHECK("qnorm 0.9", close_to(hw_qnorm(0.9), 1.2815515655446008, 1e-15, 0));
	CHECK("qnorm 0.5", hw_qnorm(0.5) == 0.0);
	CHECK("qnorm 0.025", close_to(hw_qnorm(0.025), -1.9599639845400538, 1e-15, 0));
	CHECK("qnorm 1e-10", close_to(hw_qnorm(1e-10), -6.3613409024040557, 1e-14, 0));
	CHECK("qnorm 0", isnan(hw_qnorm(0.0)));
	CHECK("qnorm 1", isnan(hw_qnorm(1.0)));
}

/* Every R case: start values, fit, forecasts, intervals. */
static void
test_r_cases(void)
{
	int			ncase = (int) (sizeof(hwref_cases) / sizeof(hwref_cases[0]));
	int			c;

	for (c = 0; c < ncase; c++)
	{
		const hwref_case *rc = &hwref_cases[c];
		hw_spec		spec;
		hw_start	st;
		hw_model	mod;
		double		s0[12],
					strend[24],
					sfin[12],
					work[64],
					xhat[500],
					lvl[500],
					slp[500],
					sea[500],
					point[HWREF_H],
					sd[HWREF_H];
		hw_trace	tr;
		hw_fit_info fi;
		double		scale = series_scale(rc->x, rc->n);
		double		q = hw_qnorm(0.975);
		int			estimated,
					ok,
					i,
					evals;
		char		name[128];

		spec.trend = rc->trend ? HW_TREND_ADDITIVE : HW_TREND_NONE;
		spec.season = (hw_season) rc->season;
		spec.m = rc->m;
		spec.alpha = rc->alpha;
		spec.beta = rc->beta;
		spec.gamma = rc->gamma;
		spec.phi = NAN;
		spec.poll = NULL;
		estimated = isnan(rc->alpha) || isnan(rc->beta) || isnan(rc->gamma);

		st.s = s0;
		st.trend = strend;
		snprintf(name, sizeof(name), "%s start", rc->name);
		CHECK(name, hw_start_values(&spec, rc->x, rc->n, &st) == HW_OK);
		ok = close_to(st.level, rc->l0, 1e-12, scale) &&
			(!rc->trend || close_to(st.slope, rc->b0, 1e-9, scale));
		for (i = 0; i < (rc->season ? rc->m : 0); i++)
			ok = ok && close_to(s0[i], rc->s0[i], 1e-9, scale);
		snprintf(name, sizeof(name), "%s start values", rc->name);
		CHECK(name, ok);

		mod.s = sfin;
		snprintf(name, sizeof(name), "%s fit", rc->name);
		CHECK(name, hw_fit(&spec, rc->x, rc->n, work, &mod, &fi) == HW_OK);
		evals = fi.evals;
		snprintf(name, sizeof(name), "%s search converged", rc->name);
		CHECK(name, fi.converged);
		if (estimated)
		{
			/* SSE never worse than R's by more than 1e-6 relative */
			snprintf(name, sizeof(name), "%s SSE <= R", rc->name);
			CHECK(name, mod.sse <= rc->sse * (1.0 + 1e-6));
			printf("  %-40s SSE ours/R - 1 = %+.3e (polished R %+.3e) max |param - R| %.1e (polished R %.1e) evals %d\n",
				   rc->name, mod.sse / rc->sse - 1.0, mod.sse / rc->p_sse - 1.0,
				   fmax(fabs(mod.alpha - rc->r_alpha), fmax(fabs(mod.beta - rc->r_beta), fabs(mod.gamma - rc->r_gamma))),
				   fmax(fabs(mod.alpha - rc->p_alpha), fmax(fabs(mod.beta - rc->p_beta), fabs(mod.gamma - rc->p_gamma))),
				   evals);

			/*
			 * R's optim stops at a relative SSE change of factr * eps =
			 * 2.2e-9, short of the minimum in flat valleys; its answer
			 * polished with tight tolerances (same R code) is the minimum
			 * R reaches.  Where that is within 1e-6 of ours (same basin),
			 * the parameters agree to 1e-4.
			 */
			if (fabs(mod.sse / rc->p_sse - 1.0) < 1e-6)
			{
				snprintf(name, sizeof(name), "%s parameters = R's optimum", rc->name);
				CHECK(name, fabs(mod.alpha - rc->p_alpha) < 1e-4 &&
					  fabs(mod.beta - rc->p_beta) < 1e-4 &&
					  fabs(mod.gamma - rc->p_gamma) < 1e-4);
			}
			continue;
		}

		/* given parameters: everything equal to R's to 1e-9 */
		ok = close_to(mod.sse, rc->sse, 1e-9, 0) &&
			close_to(mod.sigma2, rc->sigma2, 1e-9, 0) &&
			close_to(mod.level, rc->level, 1e-9, scale) &&
			close_to(mod.slope, rc->slope, 1e-9, scale);
		for (i = 0; i < (rc->season ? rc->m : 0); i++)
			ok = ok && close_to(mod.s[i], rc->s[i], 1e-9, scale);
		snprintf(name, sizeof(name), "%s coefficients/SSE", rc->name);
		CHECK(name, ok);

		tr.xhat = xhat;
		tr.level = lvl;
		tr.slope = slp;
		tr.season = sea;
		hw_run(&spec, &st, rc->x, rc->n, rc->alpha, rc->beta, rc->gamma, 1.0,
			   work, NULL, &tr);
		ok = 1;
		for (i = 0; i < 48 && i < rc->n - st.start; i++)
			ok = ok && close_to(xhat[i], rc->xhat[i], 1e-9, scale);
		snprintf(name, sizeof(name), "%s fitted values", rc->name);
		CHECK(name, ok);

		mod.last_period = rc->n;
		hw_forecast_point(&mod, HWREF_H, point);
		hw_forecast_sd(&mod, HWREF_H, sd, NULL);
		ok = 1;
		for (i = 0; i < HWREF_H; i++)
		{
			ok = ok && close_to(point[i], rc->fc[i], 1e-9, scale);
			ok = ok && close_to(point[i] - q * sd[i], rc->lwr[i], 1e-9, scale);
		}
		snprintf(name, sizeof(name), "%s forecasts and 95%% intervals", rc->name);
		CHECK(name, ok);
	}
}

/* polls seen by count_poll */
static int	npolls;

static void
count_poll(void)
{
	npolls++;
}

/* The parameter search polls (for query cancel) before every evaluation. */
static void
test_poll(void)
{
	const hwref_case *rc = &hwref_cases[0];
	hw_spec		spec = {HW_TREND_ADDITIVE, HW_SEASON_ADDITIVE, 12, NAN, NAN, NAN, NAN, count_poll};
	hw_model	mod;
	hw_fit_info fi;
	double		work[64],
				s[12];

	mod.s = s;
	npolls = 0;
	CHECK("poll fit", hw_fit(&spec, rc->x, rc->n, work, &mod, &fi) == HW_OK);
	CHECK("poll before every evaluation", npolls > 0 && npolls == fi.evals);
}

/* Bad input: each status code. */
static void
test_bad_input(void)
{
	double		x[30],
				work[64],
				s[12];
	hw_spec		spec = {HW_TREND_ADDITIVE, HW_SEASON_ADDITIVE, 12, NAN, NAN, NAN, NAN, NULL};
	hw_model	mod;
	int			i;

	mod.s = s;
	for (i = 0; i < 30; i++)
		x[i] = 10.0 + i % 4;
	CHECK("too short", hw_fit(&spec, x, 23, work, &mod, NULL) == HW_TOO_SHORT);
	spec.m = 1;
	CHECK("season 1", hw_fit(&spec, x, 30, work, &mod, NULL) == HW_BAD_SEASON_LENGTH);
	spec.m = 4;
	spec.alpha = 0.0;
	CHECK("alpha 0", hw_fit(&spec, x, 30, work, &mod, NULL) == HW_BAD_PARAMETER);
	spec.alpha = 0.5;
	spec.gamma = 1.5;
	CHECK("gamma 1.5", hw_fit(&spec, x, 30, work, &mod, NULL) == HW_BAD_PARAMETER);
	spec.gamma = NAN;
	x[7] = NAN;
	CHECK("NaN value", hw_fit(&spec, x, 30, work, &mod, NULL) == HW_NOT_FINITE);
	x[7] = 0.0;
	spec.season = HW_SEASON_MULTIPLICATIVE;
	CHECK("zero multiplicative", hw_fit(&spec, x, 30, work, &mod, NULL) == HW_NOT_POSITIVE);
	spec.season = HW_SEASON_NONE;
	spec.trend = HW_TREND_ADDITIVE;
	CHECK("holt 3 values", hw_fit(&spec, x, 3, work, &mod, NULL) == HW_TOO_SHORT);
	CHECK("holt 4 values", hw_fit(&spec, x, 4, work, &mod, NULL) == HW_OK);
}

/* Text form: exact round trip, and malformed texts refused. */
static void
test_text(void)
{
	double		s[4] = {0.1, -0.2, 1.0 / 3.0, 1e-300},
				s2[4];
	hw_model	a = {HW_METHOD_ETS, HW_ERROR_MULTIPLICATIVE, HW_TREND_DAMPED,
		HW_SEASON_ADDITIVE, 4, 40, 36, -7, 0.25, 0.1, 0.3, 0.9, 123.5, 4.25,
	-17.5, 100.0 / 7.0, -0.5, s};
	hw_model	b;
	char		buf[1024];
	const char *rest;
	size_t		len;
	int			i,
				same;

	len = hw_format(&a, buf, sizeof(buf));
	CHECK("format fits", len < sizeof(buf) && strlen(buf) == len);
	CHECK("format small buffer length", hw_format(&a, buf + 900, 10) == len);
	hw_format(&a, buf, sizeof(buf));
	b.s = s2;
	CHECK("parse header", hw_parse_header(buf, &b, &rest) == HW_OK);
	CHECK("parse season", hw_parse_season(rest, &b) == HW_OK);
	same = b.trend == a.trend && b.season == a.season && b.m == 4 && b.n == 40 &&
		b.n_fit == 36 && b.last_period == -7 && b.alpha == a.alpha &&
		b.level == a.level && b.slope == a.slope && b.sse == a.sse &&
		b.sigma2 == a.sigma2 && b.phi == a.phi && b.aicc == a.aicc &&
		b.method == a.method && b.error == a.error;
	for (i = 0; i < 4; i++)
		same = same && s2[i] == s[i];
	CHECK("round trip exact", same);
	CHECK("validate", hw_validate(&b) == HW_OK);
	{
		const char *prefix = "method=ets error=multiplicative trend=damped seasonal=additive season_length=4 n=40 ";

		CHECK_STR("text prefix", strncmp(buf, prefix, strlen(prefix)) == 0 ? "y" : buf, "y");
	}

	CHECK("bad method", hw_parse_header("method=ets", &b, &rest) == HW_BAD_TEXT);
	CHECK("empty", hw_parse_header("", &b, &rest) == HW_BAD_TEXT);
	CHECK("truncated", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5", &b, &rest) == HW_BAD_TEXT);
	CHECK("bad number", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=5 alpha=0.5x beta=0 gamma=0 phi=1 sse=1 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_BAD_TEXT);
	CHECK("good nonseasonal", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=5 alpha=0.5 beta=0 gamma=0 phi=1 sse=1 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_OK &&
		  hw_parse_season(rest, &b) == HW_OK && hw_validate(&b) == HW_OK);
	b.s = s2;
	CHECK("short season list", hw_parse_header(buf, &b, &rest) == HW_OK &&
		  hw_parse_season("1,2,3", &b) == HW_BAD_TEXT);
	CHECK("long season list", hw_parse_season("1,2,3,4,5", &b) == HW_BAD_TEXT);
	CHECK("period out of range", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=99999999999999999999 alpha=0.5 beta=0 gamma=0 phi=1 sse=1 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_BAD_TEXT);
	CHECK("most negative period", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=-9223372036854775808 alpha=0.5 beta=0 gamma=0 phi=1 sse=1 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_OK &&
		  b.last_period == INT64_MIN);
	CHECK("trailing junk", hw_parse_season("1,2,3,4 x", &b) == HW_BAD_TEXT);
	b.alpha = 1.5;
	CHECK("validate alpha", hw_validate(&b) == HW_BAD_PARAMETER);
}

/*
 * What text and binary input accept (hw_validate_why): the models a fit can
 * make.  Each refusal below names one rule; the base model is valid.
 */
static void
test_validate_rules(void)
{
	static const char *base = "method=ets error=multiplicative trend=additive seasonal=multiplicative season_length=24 n=100 n_fit=100 last_period=100 alpha=0.5 beta=0.1 gamma=0.1 phi=1 sse=1 sigma2=0.01 aicc=1 level=10 slope=1 season=";
	static double big[10000];
	double		s[32];
	hw_model	b,
				c;
	const char *rest,
			   *why;
	int			i;

	b.s = s;
	for (i = 0; i < 32; i++)
		s[i] = 1.0;
	CHECK("rules base", hw_parse_header(base, &b, &rest) == HW_OK && hw_validate(&b) == HW_OK);
	c = b;
	c.m = 25;
	CHECK("ets season 25 refused (issue 9)",
		  hw_validate_why(&c, &why) == HW_BAD_SEASON_LENGTH && why != NULL);
	c = b;
	c.method = HW_METHOD_HOLT_WINTERS;
	CHECK("holt_winters multiplicative error refused", hw_validate(&c) != HW_OK);
	c.error = HW_ERROR_ADDITIVE;
	c.aicc = NAN;
	c.m = 10000;
	c.s = big;
	for (i = 0; i < 10000; i++)
		big[i] = 1.0;
	CHECK("holt_winters season 10000", hw_validate(&c) == HW_OK);
	c.aicc = 3.0;
	CHECK("holt_winters aicc not NaN refused", hw_validate(&c) != HW_OK);
	c = b;
	c.aicc = INFINITY;
	CHECK("ets aicc Infinity (n = np + 2)", hw_validate(&c) == HW_OK);
	c.aicc = -INFINITY;
	CHECK("ets aicc -Infinity refused", hw_validate(&c) != HW_OK);
	c = b;
	c.sigma2 = INFINITY;
	CHECK("sigma2 Infinity refused", hw_validate(&c) != HW_OK);
	c.sigma2 = NAN;
	CHECK("sigma2 NaN refused", hw_validate(&c) != HW_OK);
	c = b;
	c.sse = INFINITY;
	CHECK("sse Infinity refused", hw_validate(&c) != HW_OK);
	c = b;
	c.error = HW_ERROR_ADDITIVE;
	CHECK("ets A,*,M refused", hw_validate(&c) != HW_OK);
	c = b;
	c.trend = HW_TREND_NONE;
	CHECK("beta without trend refused", hw_validate(&c) != HW_OK);
	c.beta = 0.0;
	c.slope = 0.0;
	CHECK("no trend, beta 0, slope 0", hw_validate(&c) == HW_OK);
	c.phi = 0.9;
	CHECK("phi without damping refused", hw_validate(&c) != HW_OK);
	c = b;
	c.n_fit = 101;
	CHECK("n_fit > n refused", hw_validate(&c) != HW_OK);
	c = b;
	s[5] = INFINITY;
	CHECK("infinite season state refused", hw_validate(&c) != HW_OK);
	s[5] = 1.0;

	/* numbers out of double range are refused, not made infinite or zero */
	CHECK("1e400 refused", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=5 alpha=0.5 beta=0 gamma=0 phi=1 sse=1e400 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_BAD_TEXT);
	CHECK("1e-400 refused", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=5 alpha=0.5 beta=0 gamma=0 phi=1 sse=1e-400 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_BAD_TEXT);
	CHECK("subnormal 5e-324 kept", hw_parse_header("method=holt_winters error=additive trend=none seasonal=none season_length=1 n=5 n_fit=4 last_period=5 alpha=0.5 beta=0 gamma=0 phi=1 sse=5e-324 sigma2=1 aicc=nan level=1 slope=0 season=", &b, &rest) == HW_OK &&
		  b.sse > 0.0);
}

/*
 * hw_forecast_sd polls while it sums: a multiplicative season of m = 500
 * and h = 2000 steps is 2000 stretches of at most m terms.
 */
static void
test_forecast_poll(void)
{
	static double s[500];
	static double sd[2000];
	hw_model	mod = {HW_METHOD_HOLT_WINTERS, HW_ERROR_ADDITIVE, HW_TREND_ADDITIVE,
		HW_SEASON_MULTIPLICATIVE, 500, 1000, 500, 0, 0.5, 0.1, 0.1, 1.0, 1.0, 0.01,
	NAN, 10.0, 1.0, s};
	int			i;

	for (i = 0; i < 500; i++)
		s[i] = 1.0;
	npolls = 0;
	hw_forecast_sd(&mod, 2000, sd, count_poll);
	CHECK("forecast sd polls per stretch", npolls == 2000);
	CHECK("forecast sd finite", isfinite(sd[0]) && isfinite(sd[1999]));
}

void
test_holtwinters(void)
{
	test_boxmin();
	test_qnorm();
	test_r_cases();
	test_poll();
	test_bad_input();
	test_text();
	test_validate_rules();
	test_forecast_poll();
}
