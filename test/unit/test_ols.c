/*
 * test_ols.c
 *		Unit tests of src/core/forecast/ols.c and src/core/numeric/student_t.c.  Expected values:
 *		R 4.2.2 (lm, summary.lm, predict.lm, pt, qt, pf, forecast 8.20 tslm),
 *		printed by test/reference/forecast_reg/unit_data.R into reg_data.h and
 *		by lm_reference.R into lm_reference.out; the trend design against exact
 *		rational arithmetic (trend_exact.py -> trend_exact.out).
 */
#include <math.h>
#include <stdlib.h>

#include "forecast/ols.h"
#include "numeric/student_t.h"
#include "unit.h"
#include "reg_data.h"

/* |got - want| <= tol |want| */
static int
rel(double got, double want, double tol)
{
	return fabs(got - want) <= tol * fabs(want);
}

/* every element of got[] within tol of want[] */
static int
rel_all(const double *got, const double *want, int n, double tol)
{
	int			i;

	for (i = 0; i < n; i++)
		if (!rel(got[i], want[i], tol))
		{
			printf("  element %d: got %.17g want %.17g\n", i, got[i], want[i]);
			return 0;
		}
	return 1;
}

static void
test_student_t(void)
{
	/* lm_reference.out, "== Student t" */
	CHECK("pt 2.5 10", rel(st_pt(2.5, 10), 0.98427657788169554, 1e-14));
	CHECK("pt -1.3 3", rel(st_pt(-1.3, 3), 0.14223375436394847, 1e-14));
	CHECK("pt 0.1 28", rel(st_pt(0.1, 28), 0.53947155011383663, 1e-14));
	CHECK("pt 12 5", rel(st_pt(12, 5), 0.99996455253741412, 1e-14));
	CHECK("pt 1.96 1e6", rel(st_pt(1.96, 1e6), 0.97500196620736512, 1e-11));
	CHECK("pt -7.5 2", rel(st_pt(-7.5, 2), 0.0086586634396862219, 1e-14));
	CHECK("pt 0 7", st_pt(0, 7) == 0.5);
	CHECK("qt .975 28", rel(st_qt(0.975, 28), 2.0484071417952445, 1e-13));
	CHECK("qt .9 1", rel(st_qt(0.9, 1), 3.0776835371752544, 1e-13));
	CHECK("qt .995 2", rel(st_qt(0.995, 2), 9.9248432009182892, 1e-13));
	CHECK("qt .6 150", rel(st_qt(0.6, 150), 0.25379692204033832, 1e-13));
	CHECK("qt .999999 4", rel(st_qt(0.999999, 4), 41.577854150151516, 1e-13));
	CHECK("qt .025 12", rel(st_qt(0.025, 12), -2.1788128296672289, 1e-13));
	CHECK("qt .975 1e6", rel(st_qt(0.975, 1e6), 1.9599663568141066, 1e-10));
	CHECK("qt bad p", isnan(st_qt(1.0, 5)) && isnan(st_qt(0.0, 5)));
	CHECK("qt bad df", isnan(st_qt(0.9, 0)));
	/* a p value far in the tail: summary(lm(dist ~ speed, cars)) */
	CHECK("p tail", rel(2 * st_pt_upper(9.4639899902983675, 48), 1.4898364962950928e-12, 1e-12));
}

/* mtcars rows lo .. hi-1 into a fresh state */
static void
mtcars_rows(double *s, int lo, int hi)
{
	double		x[3],
				w[4];
	int			i;

	ols_state_init(s, 3);
	for (i = lo; i < hi; i++)
	{
		x[0] = mtcars_wt[i];
		x[1] = mtcars_hp[i];
		x[2] = mtcars_qsec[i];
		ols_add(s, mtcars_mpg[i], x, w);
	}
}

static void
test_mtcars(void)
{
	double		s[64],
				a[64],
				b[64],
				c[64],
				w[8];
	double		buf[128];
	ols_fit		f;
	double		x0[2][3] = {{3, 150, 18}, {2.5, 110, 20}};
	double		pt,
				lo,
				hi;
	int			i;

	CHECK("state len", ols_state_len(3) == 16 && sizeof(s) / sizeof(double) >= 16);
	CHECK("fit doubles", ols_fit_doubles(3) <= sizeof(buf) / sizeof(double));
	mtcars_rows(s, 0, 32);
	CHECK("mt ok", ols_compute(s, &f, buf) == OLS_OK);
	CHECK("mt coef", rel_all(f.coef, mt_coef, 4, 1e-12));
	CHECK("mt se", rel_all(f.se, mt_se, 4, 1e-12));
	CHECK("mt t", rel_all(f.tval, mt_t, 4, 1e-12));
	CHECK("mt p", rel_all(f.pval, mt_p, 4, 1e-11));
	CHECK("mt cov", rel_all(f.cov_unscaled, mt_cov, 16, 1e-11));
	CHECK("mt sigma", rel(f.sigma, mt_stats[0], 1e-13));
	CHECK("mt r2", rel(f.r2, mt_stats[1], 1e-13));
	CHECK("mt adj", rel(f.adj_r2, mt_stats[2], 1e-13));
	CHECK("mt F", rel(f.fstat, mt_stats[3], 1e-12));
	CHECK("mt F p", rel(f.f_pvalue, mt_stats[4], 1e-10));
	CHECK("mt df", f.df == 28 && f.n == 32);
	for (i = 0; i < 2; i++)
	{
		double		got[3];

		CHECK("mt pred95", ols_predict(s, &f, x0[i], 0.95, w, &pt, &lo, &hi, NULL) == OLS_OK);
		got[0] = pt, got[1] = lo, got[2] = hi;
		CHECK("mt pred95 values", rel_all(got, mt_pred95 + 3 * i, 3, 1e-12));
		ols_predict(s, &f, x0[i], 0.80, w, &pt, &lo, &hi, NULL);
		got[0] = pt, got[1] = lo, got[2] = hi;
		CHECK("mt pred80 values", rel_all(got, mt_pred80 + 3 * i, 3, 1e-12));
	}
	CHECK("level 1", ols_predict(s, &f, x0[0], 1.0, w, &pt, &lo, &hi, NULL) == OLS_BAD_LEVEL);
	CHECK("level 0", ols_predict(s, &f, x0[0], 0.0, w, &pt, &lo, &hi, NULL) == OLS_BAD_LEVEL);
	CHECK("level nan", ols_predict(s, &f, x0[0], NAN, w, &pt, &lo, &hi, NULL) == OLS_BAD_LEVEL);

	/* three partial states merged in two orders give R's answer */
	mtcars_rows(a, 0, 7);
	mtcars_rows(b, 7, 25);
	mtcars_rows(c, 25, 32);
	CHECK("merge", ols_merge(b, c, w) == OLS_OK && ols_merge(b, a, w) == OLS_OK);
	CHECK("merge ok", ols_compute(b, &f, buf) == OLS_OK);
	CHECK("merge coef", rel_all(f.coef, mt_coef, 4, 1e-12));
	CHECK("merge se", rel_all(f.se, mt_se, 4, 1e-12));
	CHECK("merge n", f.n == 32);
	/* every row its own one-row state, merged one by one */
	ols_state_init(a, 3);
	for (i = 0; i < 32; i++)
	{
		mtcars_rows(c, i, i + 1);
		ols_merge(a, c, w);
	}
	CHECK("merge singles ok", ols_compute(a, &f, buf) == OLS_OK);
	CHECK("merge singles coef", rel_all(f.coef, mt_coef, 4, 1e-12));
	CHECK("merge singles se", rel_all(f.se, mt_se, 4, 1e-12));
	/* merging an empty state changes nothing; into an empty one copies */
	ols_state_init(a, 3);
	CHECK("merge empty", ols_merge(s, a, w) == OLS_OK);
	ols_state_init(c, 3);
	ols_merge(c, s, w);
	CHECK("merge into empty", memcmp(c, s, 16 * sizeof(double)) == 0);
	ols_state_init(c, 2);
	CHECK("merge other p", ols_merge(s, c, w) == OLS_BAD_P);
}

static void
test_cars_and_trend(void)
{
	double		s[64],
				w[8],
				buf[128],
				x[3],
				pt,
				lo,
				hi;
	ols_fit		f;
	int			i;

	/* one regressor: lm(dist ~ speed, cars) */
	ols_state_init(s, 1);
	for (i = 0; i < 50; i++)
		ols_add(s, cars_dist[i], &cars_speed[i], w);
	CHECK("cars ok", ols_compute(s, &f, buf) == OLS_OK);
	CHECK("cars coef", rel_all(f.coef, cars_coef, 2, 1e-12));
	CHECK("cars se", rel_all(f.se, cars_se, 2, 1e-12));
	CHECK("cars p", rel_all(f.pval, cars_p, 2, 1e-11));
	x[0] = 21;
	ols_predict(s, &f, x, 0.99, w, &pt, &lo, &hi, NULL);
	CHECK("cars pred99", rel(pt, cars_pred99[0], 1e-12) &&
		  rel(lo, cars_pred99[1], 1e-12) && rel(hi, cars_pred99[2], 1e-12));

	/*
	 * Ill-conditioned: x = 2000 .. 2030 and x^2, y = (7 i^2 mod 23) + 3 i.
	 * Exact values from trend_exact.out (rational arithmetic).
	 */
	ols_state_init(s, 2);
	for (i = 0; i <= 30; i++)
	{
		x[0] = 2000 + i;
		x[1] = x[0] * x[0];
		ols_add(s, (7 * i * i) % 23 + 3 * i, x, w);
	}
	CHECK("trend ok", ols_compute(s, &f, buf) == OLS_OK);
	{
		const double coef[] = {-5.38922958211143695015e+4, 5.04625113762766710486e+1, -1.17554858934169278997e-2};
		const double se[] = {6.99723486561617520580e+4, 6.94524218589092790008e+1, 1.72338177276603385706e-2};
		const double tv[] = {-7.70194181789389227780e-1, 7.26576698488497655267e-1, -6.82117339244532646490e-1};
		/* R's lm (lm_reference.out) is itself 3e-11 off the exact values */
		const double r_coef[] = {-53892.295819715902, 50.462511374888095, -0.011755485893072248};

		CHECK("trend coef exact", rel_all(f.coef, coef, 3, 1e-9));
		CHECK("trend se exact", rel_all(f.se, se, 3, 1e-9));
		CHECK("trend t exact", rel_all(f.tval, tv, 3, 1e-9));
		CHECK("trend coef R", rel_all(f.coef, r_coef, 3, 1e-9));
		CHECK("trend sigma", rel(f.sigma, 6.85516125341716893292e+0, 1e-12));
		CHECK("trend r2", rel(f.r2, 9.47335637504827986085e-1, 1e-13));
		CHECK("trend adj", rel(f.adj_r2, 9.43573897326601413663e-1, 1e-13));
		x[0] = 2031;
		x[1] = 2031.0 * 2031.0;
		ols_predict(s, &f, x, 0.95, w, &pt, &lo, &hi, NULL);
		CHECK("trend point", rel(pt, 1.06143937708565072303e+2, 1e-9));
		/* interval of R's predict.lm: lm_reference.out pred95_2031 */
		CHECK("trend lower", rel(lo, 89.942076748691875, 1e-9));
		CHECK("trend upper", rel(hi, 122.34579866856427, 1e-9));
		/* half width^2 / qt^2 = s^2 (1 + x0' (X'X)^-1 x0): trend_exact.out */
		CHECK("trend pred var", rel(pow((hi - lo) / 2 / st_qt(0.975, 28), 2), 6.25600718774519846283e+1, 1e-9));
	}
}

static void
test_bad_designs(void)
{
	double		s[64],
				w[8],
				buf[128],
				x[3];
	ols_fit		f;
	int			i;

	/* x2 = 2 x1 + 1: the second column is at fault */
	ols_state_init(s, 3);
	for (i = 0; i < 10; i++)
	{
		x[0] = i;
		x[1] = 2 * i + 1;
		x[2] = (i * i) % 7;
		ols_add(s, i % 3, x, w);
	}
	CHECK("collinear", ols_compute(s, &f, buf) == OLS_COLLINEAR && f.bad_column == 2);
	/* nearly constant: R's lm drops 1e6 + 1e-6 i (tolerance on the uncentred norm) */
	ols_state_init(s, 1);
	for (i = 1; i <= 10; i++)
	{
		x[0] = 1e6 + i * 1e-6;
		ols_add(s, 2 * i + i % 3, x, w);
	}
	CHECK("nearly constant", ols_compute(s, &f, buf) == OLS_COLLINEAR && f.bad_column == 1);
	/* a constant column is collinear with the intercept */
	ols_state_init(s, 2);
	for (i = 0; i < 10; i++)
	{
		x[0] = i;
		x[1] = 5;
		ols_add(s, i % 3, x, w);
	}
	CHECK("constant", ols_compute(s, &f, buf) == OLS_CONSTANT_COLUMN && f.bad_column == 2);
	/* n = p + 1: no degree of freedom left */
	ols_state_init(s, 2);
	for (i = 0; i < 3; i++)
	{
		x[0] = i;
		x[1] = i * i;
		ols_add(s, i, x, w);
	}
	CHECK("too few", ols_compute(s, &f, buf) == OLS_TOO_FEW);
	x[0] = 1;
	ols_add(s, 1.0, x, w);		/* n = 4 now */
	CHECK("n=4 ok", ols_compute(s, &f, buf) == OLS_OK && f.df == 1);
	/* non-finite values are refused and leave the state alone */
	x[1] = NAN;
	CHECK("nan x", ols_add(s, 1.0, x, w) == OLS_NOT_FINITE && s[1] == 4);
	x[1] = 1;
	CHECK("inf y", ols_add(s, INFINITY, x, w) == OLS_NOT_FINITE);
	CHECK("huge y", ols_add(s, 1e101, x, w) == OLS_NOT_FINITE && s[1] == 4);
	/* state validation */
	CHECK("check ok", ols_state_check(s, ols_state_len(2)) == OLS_OK);
	CHECK("check len", ols_state_check(s, ols_state_len(2) - 1) == OLS_BAD_STATE);
	s[1] = 4.5;
	CHECK("check n", ols_state_check(s, ols_state_len(2)) == OLS_BAD_STATE);
	s[1] = 4;
	s[5] = -1;					/* R[0][0] */
	CHECK("check diag", ols_state_check(s, ols_state_len(2)) == OLS_BAD_STATE);
	s[0] = 0;
	CHECK("check p", ols_state_check(s, 1) == OLS_BAD_P);
	CHECK("init p", ols_state_init(s, OLS_MAX_P + 1) == OLS_BAD_P && ols_state_len(0) == 0);
}

/*
 * tslm on one of R's series: periods year * m + cycle, rows added in a
 * scrambled order, compared with forecast::tslm and forecast(h = 2m).
 */
static void
check_tslm(const char *name, const double *y, int n, int m, double start_year,
		   const double *coef, const double *se, const double *fc)
{
	double	   *s = calloc(ols_state_len(m), sizeof(double));
	double	   *buf = calloc(ols_fit_doubles(m), sizeof(double));
	double		x[13],
				w[14];
	double		first = start_year * m,
				last = first + n - 1,
				fp[OLS_FP_COUNT] = {0, 0};
	ols_fit		f;
	int			i,
				h,
				ok = 1;

	ols_state_init(s, m);
	for (i = 0; i < n; i++)
	{
		int			j = (i * 7) % n;	/* n is not a multiple of 7 */

		ols_tslm_row(first + j, m, x);
		ols_add(s, y[j], x, w);
		ols_period_fp_add(fp, first + j);
	}
	CHECK(name, ols_tslm_rebase(s, first, last, 0, fp) == OLS_OK);
	CHECK(name, ols_compute(s, &f, buf) == OLS_OK);
	CHECK(name, rel_all(f.coef, coef, m + 1, 1e-11));
	CHECK(name, rel_all(f.se, se, m + 1, 1e-11));
	for (h = 1; h <= 2 * m; h++)
	{
		double		pt,
					lo80,
					hi80,
					lo95,
					hi95;
		double		got[5];

		ols_tslm_row(last + h, m, x);
		x[0] = n + h;			/* the trend */
		ols_predict(s, &f, x, 0.80, w, &pt, &lo80, &hi80, NULL);
		ols_predict(s, &f, x, 0.95, w, &pt, &lo95, &hi95, NULL);
		got[0] = pt, got[1] = lo80, got[2] = hi80, got[3] = lo95, got[4] = hi95;
		ok &= rel_all(got, fc + 5 * (h - 1), 5, 1e-11);
	}
	CHECK(name, ok);
	free(s);
	free(buf);
}

/* a tslm state (m = 4) of n rows in s, its fingerprint in fp: periods 0 .. n-1 or periods[] */
static void
tslm_periods(double *s, double *fp, const int *periods, int n)
{
	double		x[4],
				w[5];
	int			i;

	ols_state_init(s, 4);
	fp[0] = fp[1] = 0;
	for (i = 0; i < n; i++)
	{
		int			p = periods ? periods[i] : i;

		ols_tslm_row(p, 4, x);
		ols_add(s, i, x, w);
		ols_period_fp_add(fp, p);
	}
}

static void
test_tslm(void)
{
	static const int dup[12] = {0, 1, 2, 3, 4, 4, 6, 7, 8, 9, 10, 11};
	static const int gap[12] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12};
	static const int pte[12] = {0, 0, 3, 4, 4, 5, 6, 7, 7, 8, 11, 11};
	static const int shifted[12] = {8, -3, 7, -2, 6, -1, 5, 0, 4, 1, 3, 2};
	double		s[200],
				fp[OLS_FP_COUNT],
				fp2[OLS_FP_COUNT];
	double		x[13];
	int			i;

	check_tslm("AirPassengers", air_passengers, 144, 12, 1949,
			   AirPassengers_coef, AirPassengers_se, AirPassengers_fc);
	check_tslm("UKgas", uk_gas, 108, 4, 1960, UKgas_coef, UKgas_se, UKgas_fc);
	check_tslm("USAccDeaths", us_acc_deaths, 72, 12, 1973,
			   USAccDeaths_coef, USAccDeaths_se, USAccDeaths_fc);

	/* season dummies, negative periods included */
	ols_tslm_row(-1, 4, x);
	CHECK("row -1", x[0] == -1 && x[1] == 0 && x[2] == 0 && x[3] == 1);
	ols_tslm_row(8, 4, x);
	CHECK("row 8", x[1] == 0 && x[2] == 0 && x[3] == 0);
	CHECK("row m=1", ols_tslm_row(8, 1, x) == OLS_BAD_P);

	/* a gap or a duplicate period is refused */
	tslm_periods(s, fp, NULL, 12);
	CHECK("consecutive", ols_tslm_rebase(s, 0, 11, 0, fp) == OLS_OK);
	tslm_periods(s, fp, dup, 12);
	CHECK("duplicate", ols_tslm_rebase(s, 0, 11, 0, fp) == OLS_BAD_STATE);
	tslm_periods(s, fp, gap, 12);
	CHECK("gap", ols_tslm_rebase(s, 0, 12, 0, fp) == OLS_BAD_STATE);

	/*
	 * Duplicates and gaps that keep count, sum, sum of squares and sum of
	 * cubes: {1,2,9,10} of 0..11 replaced by {0,4,7,11} (0+4+7+11 = 22 =
	 * 1+2+9+10, 0+16+49+121 = 186 = 1+4+81+100, 0+64+343+1331 = 1738 =
	 * 1+8+729+1000).  Mean and spread alone let this pass; the fingerprint
	 * refuses it.
	 */
	tslm_periods(s, fp, pte, 12);
	CHECK("same power sums", ols_tslm_rebase(s, 0, 11, 0, fp) == OLS_BAD_STATE);
	tslm_periods(s, fp, pte, 12);
	CHECK("same power sums: mean and spread agree",
		  fabs(s[2] - 5.5) < 1e-12 && fabs(s[2 + 5] * s[2 + 5] - 143.0) < 1e-9);

	/* fingerprints merge in any order and refuse bad residues */
	fp[0] = fp[1] = fp2[0] = fp2[1] = 0;
	for (i = 0; i < 6; i++)
		ols_period_fp_add(fp, -3 + i);
	for (i = 6; i < 12; i++)
		ols_period_fp_add(fp2, -3 + i);
	ols_period_fp_merge(fp2, fp);
	tslm_periods(s, fp, shifted, 12);
	CHECK("merged fingerprint", fp[0] == fp2[0] && fp[1] == fp2[1] &&
		  ols_tslm_rebase(s, -3, 8, 0, fp2) == OLS_OK);
	CHECK("fp period range", ols_period_fp_add(fp, 2147483648.0) == OLS_NOT_FINITE &&
		  ols_period_fp_add(fp, -2147483648.0) == OLS_OK &&
		  ols_period_fp_add(fp, 0.5) == OLS_NOT_FINITE);
	fp[0] = 2147483647.0;
	CHECK("fp residue", ols_period_fp_check(fp) == OLS_BAD_STATE);

	/* the cache (same period, next period, a jump) gives the same sums */
	{
		static const double seq[] = {5, 5, 6, 7, -4, -3, -3, 2147483646, 2147483647,
		-2147483648.0, -2147483647.0, 100};
		ols_fp_cache cache = {0, 0, {0, 0}};

		fp[0] = fp[1] = fp2[0] = fp2[1] = 0;
		for (i = 0; i < (int) (sizeof(seq) / sizeof(seq[0])); i++)
		{
			ols_period_fp_add(fp, seq[i]);
			ols_period_fp_add_cached(fp2, seq[i], &cache);
		}
		CHECK("fp cache", fp[0] == fp2[0] && fp[1] == fp2[1] && fp[0] != 0);
	}
}

/* the text form: a valid model, and refusals with their byte positions */
static void
test_parse(void)
{
	double		s[64];
	int			kind,
				m;
	double		first;
	size_t		pos;

	CHECK("parse ok", ols_parse(" ols( p=1, n=4,mean=[2.5,2.75],r=[2.2,2.4,1.6] ) ",
								&kind, &m, &first, s, 64, &pos) == OLS_OK &&
		  kind == OLS_KIND_OLS && s[0] == 1 && s[1] == 4 && s[6] == 1.6);
	CHECK("parse empty", ols_parse("", &kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE && pos == 1);
	CHECK("parse short list", ols_parse("ols(p=1,n=4,mean=[2.5,2.75],r=[2.2,2.4])",
										&kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE && pos == 39);
	CHECK("parse nan", ols_parse("ols(p=1,n=4,mean=[nan,2.75],r=[2.2,2.4,1.6])",
								 &kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE && pos == 19);
	CHECK("parse 1e999", ols_parse("ols(p=1,n=4,mean=[1e999,2.75],r=[2.2,2.4,1.6])",
								   &kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE && pos == 19);
	CHECK("parse too big for buffer", ols_parse("ols(p=20,n=4,mean=[1],r=[1])",
												&kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE);
	CHECK("parse negative diagonal", ols_parse("ols(p=1,n=4,mean=[2.5,2.75],r=[-2.2,2.4,1.6])",
											   &kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE && pos == 0);
	/* tslm: p = m and the trend mean (n + 1) / 2 */
	CHECK("parse tslm", ols_parse("tslm(m=2,first=10,p=2,n=5,mean=[3,0.4,1],r=[1,0,0,1,0,1])",
								  &kind, &m, &first, s, 64, &pos) == OLS_OK &&
		  kind == OLS_KIND_TSLM && m == 2 && first == 10);
	CHECK("parse tslm mean", ols_parse("tslm(m=2,first=10,p=2,n=5,mean=[2,0.4,1],r=[1,0,0,1,0,1])",
									   &kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE);
	CHECK("parse tslm m", ols_parse("tslm(m=3,first=10,p=2,n=5,mean=[3,0.4,1],r=[1,0,0,1,0,1])",
									&kind, &m, &first, s, 64, &pos) == OLS_BAD_STATE);
}

/*
 * Tiny regressors: x = 1e-300 i, y = i (i = 1 .. 10).  Their squares
 * underflow to 0; the rotations made 0 / 0 of them (issue 9: "invalid
 * aggregate state" on valid input).  The fit is y = 1e300 x exactly.
 */
static void
test_tiny_values(void)
{
	double		s[16],
				work[4],
				buf[64];
	ols_fit		f;
	int			i;

	ols_state_init(s, 1);
	for (i = 1; i <= 10; i++)
	{
		double		x = 1e-300 * i;

		ols_add(s, (double) i, &x, work);
	}
	CHECK("tiny state valid", ols_state_check(s, ols_state_len(1)) == OLS_OK);
	CHECK("tiny fit", ols_compute(s, &f, buf) == OLS_OK);
	CHECK("tiny slope 1e300", rel(f.coef[1], 1e300, 1e-12));
	CHECK("tiny intercept 0", fabs(f.coef[0]) < 1e-12);
}

void
test_ols(void)
{
	test_tiny_values();
	test_parse();
	test_student_t();
	test_mtcars();
	test_cars_and_trend();
	test_bad_designs();
	test_tslm();
}
