/*
 * test_ets.c
 *		Unit tests of src/core/forecast/ets.c against forecast::ets (forecast 8.20,
 *		R 4.2.2): test/reference/forecast_ts/ets_reference.R and its output
 *		ets_reference.out.  Series from hw_reference_data.h (R's datasets).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/ets.h"
#include "unit.h"
#include "hw_reference_data.h"

/* MASE of h forecasts of x[n-h..n) from a model fitted on x[0..n-h) */
static double
holdout_mase(const double *x, int n, int m, int h, char *code, double *aicc)
{
	int			ntr = n - h;
	double	   *work = malloc(sizeof(double) * ets_work_doubles(ntr, m));
	double		s[ETS_MAX_SEASON],
				sbuf[ETS_MAX_SEASON],
				fc[64];
	hw_model	mod;
	ets_info	info = {0, 0, 0, 0, 0, 0};
	double		scale = 0.0,
				mae = 0.0;
	int			i;

	mod.s = s;
	if (ets_auto(x, ntr, m, work, &mod, sbuf, &info, NULL) != HW_OK)
	{
		free(work);
		return NAN;
	}
	ets_code(&mod, code);
	*aicc = mod.aicc;
	hw_forecast_point(&mod, h, fc);
	for (i = m; i < ntr; i++)
		scale += fabs(x[i] - x[i - m]);
	scale /= ntr - m;
	for (i = 0; i < h; i++)
		mae += fabs(x[ntr + i] - fc[i]);
	free(work);
	return mae / h / scale;
}

/* -2 log L of one model on a whole series: no worse than forecast's */
static void
check_fixed(const char *name, const double *x, int n, int m, const char *code,
			double r_lik, double r_sigma2)
{
	ets_spec	sp;
	hw_model	mod;
	ets_info	info = {0, 0, 0, 0, 0, 0};
	double		s[ETS_MAX_SEASON];
	double	   *work = malloc(sizeof(double) * ets_work_doubles(n, m));
	char		label[96];

	CHECK("parse code", ets_parse_code(code, strlen(code), &sp));
	sp.m = sp.season == HW_SEASON_NONE ? 1 : m;
	mod.s = s;
	snprintf(label, sizeof(label), "%s %s fit", name, code);
	CHECK(label, ets_fit(&sp, x, n, work, &mod, &info) == HW_OK);
	printf("  %-14s %-5s -2logL ours %.4f forecast %.4f  sigma2 ours/forecast %.6f\n",
		   name, code, info.lik, r_lik, mod.sigma2 / r_sigma2);
	snprintf(label, sizeof(label), "%s %s search converged", name, code);
	CHECK(label, info.converged);
	snprintf(label, sizeof(label), "%s %s likelihood not worse than forecast::ets", name, code);
	CHECK(label, info.lik <= r_lik + 1e-6 * fabs(r_lik));
	free(work);
}

void
test_ets(void)
{
	/* holdout: last two seasons (10 for Nile); R's MASE per series */
	static const struct
	{
		const double *x;
		int			n,
					m;
		const char *name;
		double		r_mase;
	}			cases[] = {
		{hwref_AirPassengers, 144, 12, "AirPassengers", 2.2122492556295774},
		{hwref_co2, 468, 12, "co2", 0.21147533072949598},
		{hwref_UKgas, 108, 4, "UKgas", 2.6797829907623205},
		{hwref_USAccDeaths, 72, 12, "USAccDeaths", 0.43073617592449709},
		{hwref_nottem, 240, 12, "nottem", 0.60087846631381592},
		{hwref_JohnsonJohnson, 84, 4, "JohnsonJohnson", 1.8564270905524458},
		{hwref_Nile, 100, 1, "Nile", 0.86653706565943611},
	};
	double		ours = 0.0,
				theirs = 0.0;
	int			i;
	char		code[8];
	ets_spec	sp;

	for (i = 0; i < 7; i++)
	{
		int			h = cases[i].m > 1 ? 2 * cases[i].m : 10;
		double		aicc = NAN;
		double		mase = holdout_mase(cases[i].x, cases[i].n, cases[i].m, h, code, &aicc);

		printf("  %-14s ETS(%s) aicc %.4f  MASE ours %.4f forecast::ets %.4f\n",
			   cases[i].name, code, aicc, mase, cases[i].r_mase);
		CHECK("holdout fitted", isfinite(mase));
		ours += mase / 7;
		theirs += cases[i].r_mase / 7;
	}
	printf("  mean MASE ours %.4f forecast::ets %.4f\n", ours, theirs);
	CHECK("mean MASE no worse than forecast::ets", ours <= theirs);

	check_fixed("AirPassengers", hwref_AirPassengers, 144, 12, "MAM", 1364.8072381156121, 0.0015821481352416723);
	check_fixed("AirPassengers", hwref_AirPassengers, 144, 12, "AAN", 1727.294604989567, 1156.8533870022368);
	check_fixed("Nile", hwref_Nile, 100, 1, "ANN", 1452.7810399984116, 20802.801025564691);
	check_fixed("UKgas", hwref_UKgas, 108, 4, "MAdM", 1238.9767329215342, 0.014216077986126707);
	check_fixed("USAccDeaths", hwref_USAccDeaths, 72, 12, "AAA", 1111.849867466912, 90853.861735302533);

	/*
	 * variances by hand: ETS(A,N,N), alpha 0.5, sigma2 2: 2 (1 + (h - 1) 0.25);
	 * ETS(M,N,N), alpha 0.5, sigma2 0.1, level 10 (class 2): theta_1 = 100,
	 * theta_2 = 100 + 0.1 * 0.25 * 100 = 102.5, v_2 = 1.1 * 102.5 - 100 = 12.75;
	 * ETS(A,N,M) (no class): no formula, NaN
	 */
	{
		double		s1[1] = {0.0};
		hw_model	ann = {HW_METHOD_ETS, HW_ERROR_ADDITIVE, HW_TREND_NONE,
			HW_SEASON_NONE, 1, 10, 10, 10, 0.5, 0, 0, 1, 1, 2.0, 0, 10.0, 0, s1};
		double		var[3],
					mean[3],
					work[64];

		ets_forecast(&ann, 3, mean, var, work, NULL);
		CHECK("ANN variances", var[0] == 2.0 && var[1] == 2.5 && var[2] == 3.0);
		ann.error = HW_ERROR_MULTIPLICATIVE;
		ann.sigma2 = 0.1;
		ets_forecast(&ann, 2, mean, var, work, NULL);
		CHECK("MNN variances", fabs(var[0] - 10.0) < 1e-12 && fabs(var[1] - 12.75) < 1e-12);
		ann.season = HW_SEASON_MULTIPLICATIVE;
		ann.error = HW_ERROR_ADDITIVE;
		ets_forecast(&ann, 2, mean, var, work, NULL);
		CHECK("ANM no formula", isnan(var[0]) && isnan(var[1]));
	}

	/*
	 * a season longer than ETS_MAX_SEASON (no fit makes one; input refuses
	 * it): refused without touching the outputs, where the class-3 recursion
	 * overran its 2 * ETS_MAX_SEASON buffer (issue 9)
	 */
	{
		static double s25[25];
		static double work[3 * 4 + 10 * 50 * 50 + 2 * 50 + 16];
		hw_model	mam = {HW_METHOD_ETS, HW_ERROR_MULTIPLICATIVE, HW_TREND_ADDITIVE,
			HW_SEASON_MULTIPLICATIVE, 25, 100, 100, 100, 0.5, 0.1, 0.1, 1, 1, 0.01, 1,
		10.0, 1.0, s25};
		double		var[4] = {-1, -1, -1, -1},
					mean[4] = {-1, -1, -1, -1};
		int			i;

		for (i = 0; i < 25; i++)
			s25[i] = 1.0;
		CHECK("season 25 refused",
			  ets_forecast(&mam, 4, mean, var, work, NULL) == HW_BAD_SEASON_LENGTH &&
			  mean[0] == -1 && var[3] == -1);
		mam.m = 24;
		CHECK("season 24 forecast", ets_forecast(&mam, 4, mean, var, work, NULL) == HW_OK &&
			  mean[0] == 11.0 && isfinite(var[3]));
	}

	/*
	 * a constant series, 'auto': forecast::ets (8.20) answers with
	 * ses(y, alpha = 0.99999, initial = "simple"): level the value, sigma2 0
	 */
	{
		double		y[30],
					work[4096],
					sbuf[12],
					s2[12];
		hw_model	mod;
		ets_info	info;
		int			i;

		for (i = 0; i < 30; i++)
			y[i] = 7.5;
		mod.s = s2;
		memset(&info, 0, sizeof(info));
		CHECK("constant auto", ets_auto(y, 30, 12, work, &mod, sbuf, &info, NULL) == HW_OK &&
			  mod.method == HW_METHOD_ETS && mod.error == HW_ERROR_ADDITIVE &&
			  mod.trend == HW_TREND_NONE && mod.season == HW_SEASON_NONE &&
			  mod.alpha == 0.99999 && mod.level == 7.5 && mod.sigma2 == 0.0 &&
			  mod.n == 30 && hw_validate(&mod) == HW_OK);
	}

	/* codes */
	CHECK("code AAdA", ets_parse_code("AAdA", 4, &sp) && sp.trend == HW_TREND_DAMPED);
	CHECK("code MNM", ets_parse_code("MNM", 3, &sp) && sp.error == HW_ERROR_MULTIPLICATIVE);
	CHECK("code ANd refused", !ets_parse_code("ANdN", 4, &sp));
	CHECK("code XNN refused", !ets_parse_code("XNN", 3, &sp));
	CHECK("code AAAA refused", !ets_parse_code("AAAA", 4, &sp));
}
