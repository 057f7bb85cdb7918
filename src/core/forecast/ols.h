/*
 * ols.h
 *		Mergeable least-squares state and fit, in pure C99.
 *
 * The model is y = b0 + b1 x1 + ... + bp xp + e: the intercept is always
 * included and the caller passes only the p regressors.
 *
 * The state is a flat array of doubles, so that SQL can keep it in a
 * float8[] (a real type: parallel query and shards can ship it as text):
 *
 *   s[0]            p, the number of regressors (1 .. OLS_MAX_P)
 *   s[1]            n, the number of rows added
 *   s[2 .. p+2]     running means of x1 .. xp and of y
 *   s[p+3 ..]       R, upper triangle (row-major) of the (p+1) x (p+1)
 *                   Cholesky factor of the centred cross-product matrix of
 *                   [x1 .. xp y]: R'R = sum (z - mean)(z - mean)'
 *
 * Rows enter as Givens rotations of R (Miller, Applied Statistics algorithm
 * AS 274, with the running-mean centring of Welford), states merge by
 * rotating one factor into the other plus the mean-difference row (Chan,
 * Golub and LeVeque's pairwise update).  The cross products are never formed,
 * so an ill-conditioned design (a calendar year and its square) loses only
 * what a QR of the centred design loses, not twice that.
 *
 * Nothing here allocates or reports errors: callers own the memory and turn
 * status codes into messages.
 */
#ifndef CRM_OLS_H
#define CRM_OLS_H

#include <stddef.h>

/* most regressors a model may have (state of about 5,300 doubles) */
#define OLS_MAX_P 100

/* largest absolute value accepted in y or x (keeps squares finite) */
#define OLS_MAX_ABS 1e100

/* relative size below which a column counts as collinear (R's lm uses 1e-7) */
#define OLS_TOL 1e-7

typedef enum ols_status
{
	OLS_OK = 0,
	OLS_BAD_P,					/* p out of 1 .. OLS_MAX_P */
	OLS_NOT_FINITE,				/* a value is NaN, infinite or too large */
	OLS_CONSTANT_COLUMN,		/* column is constant: collinear with the intercept */
	OLS_COLLINEAR,				/* column is a combination of earlier ones */
	OLS_TOO_FEW,				/* n <= p + 1: no residual degree of freedom */
	OLS_BAD_STATE,				/* malformed state */
	OLS_BAD_LEVEL				/* level outside (0, 1) */
} ols_status;

/* the results of a fit; arrays point into caller memory (ols_fit_doubles) */
typedef struct ols_fit
{
	int			p;
	double		n;
	double		df;				/* n - p - 1 */
	double	   *coef;			/* p + 1: intercept, b1 .. bp */
	double	   *se;				/* p + 1 standard errors */
	double	   *tval;			/* p + 1 */
	double	   *pval;			/* p + 1, two-sided */
	double	   *cov_unscaled;	/* (p + 1)^2, row-major: (X'X)^-1 with the 1 column */
	double	   *rinv;			/* p x p, row-major upper: inverse of R's x block */
	double		rss;
	double		mss;			/* explained sum of squares about the mean */
	double		sigma;			/* residual standard error */
	double		r2;
	double		adj_r2;
	double		fstat;
	double		f_pvalue;
	int			bad_column;		/* 1-based regressor at fault, 0 if none */
} ols_fit;

extern size_t ols_state_len(int p);
extern ols_status ols_state_init(double *s, int p);
extern ols_status ols_state_check(const double *s, size_t len);
extern ols_status ols_add(double *s, double y, const double *x, double *work);
extern ols_status ols_merge(double *a, const double *b, double *work);

extern size_t ols_fit_doubles(int p);
extern ols_status ols_compute(const double *s, ols_fit *f, double *buf);
extern ols_status ols_predict(const double *s, const ols_fit *f,
							  const double *x0, double level, double *work,
							  double *point, double *lower, double *upper,
							  double *se_fit);

/*
 * Trend + season regression (forecast::tslm(y ~ trend + season)): the
 * regressors of period t are t itself and m - 1 dummies for seasons
 * 1 .. m-1 (season = t mod m, season 0 the baseline), so p = m.
 */
extern ols_status ols_tslm_row(double period, int m, double *x);
extern ols_status ols_tslm_rebase(double *s, double first, double last,
								  double anchor, const double *fp);

/*
 * Period fingerprint of a tslm state, to prove "first .. last, each once"
 * at the end without keeping the periods.  Count, mean and spread (all a
 * state of bounded size can hold exactly) do not suffice: {0,4,7,11} and
 * {1,2,9,10} have the same count, sum, sum of squares and sum of cubes, so
 * 0..11 with the second set swapped for the first keeps all of them.  No
 * deterministic state of bounded size can decide it exactly (it would
 * decide multiset equality, which needs memory linear in n), so we keep
 * OLS_FP_COUNT sums  F_i = sum over rows of g_i^(period + 2^31)  mod
 * q = 2^31 - 1 (g_i primitive roots 7 and 48271), exact integers below
 * 2^31, summed mod q when states merge.  The final check compares them with
 * the same sums over first .. last.  A wrong multiset of n periods passes
 * only if the nonzero polynomial sum_e c_e x^e (c_e = multiplicity
 * difference, degree < n) vanishes at both g_i mod q: at most n - 1 of the
 * q - 1 nonzero residues are roots of it, so for a base drawn at random the
 * chance is at most (n - 1) / (2^31 - 2) per base; the bases are fixed, so
 * data built on purpose against them can still pass.  Periods differing by
 * a multiple of q - 1 share a term, which matters only for series of more
 * than 2^31 - 2 periods.
 */
#define OLS_FP_COUNT 2

extern ols_status ols_period_fp_add(double *fp, double period);

/*
 * The terms of the last period added, so that the same period or the next
 * one (rows in period order) costs one multiplication instead of a power.
 */
typedef struct ols_fp_cache
{
	int			valid;
	double		period;
	double		term[OLS_FP_COUNT];
} ols_fp_cache;

extern ols_status ols_period_fp_add_cached(double *fp, double period,
										   ols_fp_cache *cache);
extern void ols_period_fp_merge(double *a, const double *b);
extern ols_status ols_period_fp_check(const double *fp);

/*
 * Text form of a linear model (the glue prints it; this parses it):
 *   ols(p=P,n=N,mean=[m1,...,y],r=[r11,r12,...])
 *   tslm(m=M,first=F,p=P,n=N,mean=[...],r=[...])
 * mean holds p + 1 values, r the (p+1)(p+2)/2 packed factor.  Spaces are
 * allowed around tokens.  On a syntax error *errpos is the 1-based byte
 * position of the problem; 0 means the syntax was right but the values do
 * not form a valid model.
 */
#define OLS_KIND_OLS 0
#define OLS_KIND_TSLM 1

extern ols_status ols_model_check(int kind, int m, double first,
								  const double *state, size_t len);
extern ols_status ols_parse(const char *text, int *kind, int *m,
							double *first, double *state, size_t maxlen,
							size_t *errpos);

/* index of R[i][j] (i <= j) in the packed triangle of a k x k factor */
#define OLS_RIDX(k, i, j) ((size_t) (i) * (k) - (size_t) (i) * ((i) - 1) / 2 + ((j) - (i)))

#endif							/* CRM_OLS_H */
