/*
 * ols.c
 *		Mergeable least squares: Givens-updated factor of centred data
 *		(see ols.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/ols.h"
#include "numeric/student_t.h"

#define S_P(s)		((int) (s)[0])
#define S_N(s)		((s)[1])
#define S_MEAN(s)	((s) + 2)
#define S_R(s)		((s) + 2 + (size_t) S_P(s) + 1)

/* number of doubles in the state of a model with p regressors */
size_t
ols_state_len(int p)
{
	size_t		k = (size_t) p + 1;

	if (p < 1 || p > OLS_MAX_P)
		return 0;
	return 2 + k + k * (k + 1) / 2;
}

/* an empty state for p regressors */
ols_status
ols_state_init(double *s, int p)
{
	size_t		len = ols_state_len(p);

	if (len == 0)
		return OLS_BAD_P;
	memset(s, 0, len * sizeof(double));
	s[0] = p;
	return OLS_OK;
}

/*
 * Validate a state that came from outside (text, binary, an array): right
 * length for its p, n a non-negative integer, everything finite, the
 * diagonal of R non-negative (the rotations keep it so), empty states zero.
 */
ols_status
ols_state_check(const double *s, size_t len)
{
	int			p;
	size_t		k,
				i;
	const double *r;

	if (len < 1 || !(s[0] >= 1 && s[0] <= OLS_MAX_P) || s[0] != floor(s[0]))
		return OLS_BAD_P;
	p = (int) s[0];
	k = (size_t) p + 1;
	if (len != ols_state_len(p))
		return OLS_BAD_STATE;
	for (i = 1; i < len; i++)
		if (!isfinite(s[i]))
			return OLS_BAD_STATE;
	if (s[1] < 0 || s[1] != floor(s[1]) || s[1] > 9007199254740992.0)
		return OLS_BAD_STATE;
	r = S_R(s);
	for (i = 0; i < k; i++)
		if (r[OLS_RIDX(k, i, i)] < 0)
			return OLS_BAD_STATE;
	if (s[1] == 0)
		for (i = 2; i < len; i++)
			if (s[i] != 0)
				return OLS_BAD_STATE;
	return OLS_OK;
}

/*
 * sqrt(a^2 + b^2) as the rotations always computed it, but by hypot() when
 * a square would underflow or overflow: with tiny entries (x = 1e-300 i)
 * both squares underflow to 0 and the rotation became 0 / 0.
 */
static double
givens_norm(double a, double b)
{
	double		big = fmax(fabs(a), fabs(b));

	if (big > 1e-150 && big < 1e150)
		return sqrt(a * a + b * b);
	return hypot(a, b);
}

/*
 * R'R += w w' by Givens rotations; w (length k, entries before "from" zero)
 * is destroyed.  Keeps the diagonal non-negative.
 */
static void
givens_update(double *r, size_t k, double *w, size_t from)
{
	size_t		i,
				j;

	for (i = from; i < k; i++)
	{
		double	   *row = r + OLS_RIDX(k, i, i);
		double		wi = w[i];
		double		h,
					c,
					sn;

		if (wi == 0.0)
			continue;
		h = givens_norm(row[0], wi);
		c = row[0] / h;
		sn = wi / h;
		row[0] = h;
		for (j = i + 1; j < k; j++)
		{
			double		t = row[j - i];

			row[j - i] = c * t + sn * w[j];
			w[j] = c * w[j] - sn * t;
		}
	}
}

/*
 * Add one row (y, x[0 .. p-1]).  work holds p + 1 doubles.  Values must be
 * finite and within OLS_MAX_ABS; the state is unchanged otherwise.
 */
ols_status
ols_add(double *s, double y, const double *x, double *work)
{
	int			p = S_P(s);
	size_t		k = (size_t) p + 1,
				i;
	double	   *mean = S_MEAN(s);
	double		n0 = S_N(s),
				n1 = n0 + 1.0,
				scale;

	for (i = 0; i < (size_t) p; i++)
		if (!(fabs(x[i]) <= OLS_MAX_ABS))
			return OLS_NOT_FINITE;
	if (!(fabs(y) <= OLS_MAX_ABS))
		return OLS_NOT_FINITE;
	scale = sqrt(n0 / n1);
	for (i = 0; i < k; i++)
	{
		double		d = (i < (size_t) p ? x[i] : y) - mean[i];

		mean[i] += d / n1;
		work[i] = d * scale;
	}
	S_N(s) = n1;
	if (n0 > 0)
		givens_update(S_R(s), k, work, 0);
	return OLS_OK;
}

/*
 * a := a + b (the state of the union of both row sets).  Both must have the
 * same p.  work holds p + 1 doubles.
 */
ols_status
ols_merge(double *a, const double *b, double *work)
{
	int			p = S_P(a);
	size_t		k = (size_t) p + 1,
				i,
				j;
	double		na = S_N(a),
				nb = S_N(b),
				n;
	double	   *ma = S_MEAN(a);
	const double *mb = S_MEAN(b);
	double	   *ra = S_R(a);
	const double *rb = S_R(b);
	double		scale;

	if (S_P(b) != p)
		return OLS_BAD_P;
	if (nb == 0)
		return OLS_OK;
	if (na == 0)
	{
		memcpy(a, b, ols_state_len(p) * sizeof(double));
		return OLS_OK;
	}
	n = na + nb;
	/* rows of b's factor */
	for (i = 0; i < k; i++)
	{
		for (j = 0; j < k; j++)
			work[j] = j < i ? 0.0 : rb[OLS_RIDX(k, i, j)];
		givens_update(ra, k, work, i);
	}
	/* the between-means row, sqrt(na nb / n) (mb - ma) */
	scale = sqrt(na / n * nb);
	for (i = 0; i < k; i++)
	{
		double		d = mb[i] - ma[i];

		work[i] = d * scale;
		ma[i] += d * (nb / n);
	}
	givens_update(ra, k, work, 0);
	S_N(a) = n;
	return OLS_OK;
}

/* doubles of caller memory ols_compute needs for a model with p regressors */
size_t
ols_fit_doubles(int p)
{
	size_t		k = (size_t) p + 1;

	return 4 * k + k * k + (size_t) p * p + k;
}

/*
 * Fit the model held in state s: coefficients, standard errors, t and p
 * values, (X'X)^-1, sigma, R^2, F.  buf holds ols_fit_doubles(p) doubles.
 * A column whose norm, after removing the intercept and the earlier columns,
 * is below OLS_TOL of its own uncentred norm (R's lm rule: a nearly constant
 * column such as 1e6 + 1e-6 i has lost its digits to the centring) makes the
 * design singular; f->bad_column names it.
 */
ols_status
ols_compute(const double *s, ols_fit *f, double *buf)
{
	int			p = S_P(s);
	size_t		k = (size_t) p + 1,
				i,
				j,
				l;
	const double *mean = S_MEAN(s);
	const double *r = S_R(s);
	double		n = S_N(s);
	double	   *u;
	double		s2,
				q;

	memset(f, 0, sizeof(*f));
	f->p = p;
	f->n = n;
	f->coef = buf;
	f->se = f->coef + k;
	f->tval = f->se + k;
	f->pval = f->tval + k;
	f->cov_unscaled = f->pval + k;
	f->rinv = f->cov_unscaled + k * k;
	u = f->rinv + (size_t) p * p;

	f->df = n - p - 1;
	if (f->df < 1)
		return OLS_TOO_FEW;
	/* singular columns, in column order so the first culprit is named */
	for (j = 0; j < (size_t) p; j++)
	{
		double		norm = 0.0;

		/* by hypot: squares of tiny columns (1e-300) would underflow to 0 */
		for (i = 0; i <= j; i++)
			norm = hypot(norm, r[OLS_RIDX(k, i, j)]);
		if (norm == 0.0)
		{
			f->bad_column = (int) j + 1;
			return OLS_CONSTANT_COLUMN;
		}
		/* as R's tolerance: against the column's own (uncentred) norm */
		if (r[OLS_RIDX(k, j, j)] <= OLS_TOL * hypot(norm, sqrt(n) * fabs(mean[j])))
		{
			f->bad_column = (int) j + 1;
			return OLS_COLLINEAR;
		}
	}
	/* inverse of the upper-triangular x block, column by column */
	memset(f->rinv, 0, (size_t) p * p * sizeof(double));
	for (j = 0; j < (size_t) p; j++)
	{
		f->rinv[j * p + j] = 1.0 / r[OLS_RIDX(k, j, j)];
		for (i = j; i-- > 0;)
		{
			double		acc = 0.0;

			for (l = i + 1; l <= j; l++)
				acc += r[OLS_RIDX(k, i, l)] * f->rinv[l * p + j];
			f->rinv[i * p + j] = -acc / r[OLS_RIDX(k, i, i)];
		}
	}
	/* slopes: R_xx b = R_xy */
	for (i = p; i-- > 0;)
	{
		double		acc = r[OLS_RIDX(k, i, p)];

		for (l = i + 1; l < (size_t) p; l++)
			acc -= r[OLS_RIDX(k, i, l)] * f->coef[l + 1];
		f->coef[i + 1] = acc / r[OLS_RIDX(k, i, i)];
	}
	f->coef[0] = mean[p];
	for (i = 0; i < (size_t) p; i++)
		f->coef[0] -= f->coef[i + 1] * mean[i];

	f->rss = r[OLS_RIDX(k, p, p)] * r[OLS_RIDX(k, p, p)];
	f->mss = 0.0;
	for (i = 0; i < (size_t) p; i++)
		f->mss += r[OLS_RIDX(k, i, p)] * r[OLS_RIDX(k, i, p)];
	s2 = f->rss / f->df;
	f->sigma = sqrt(s2);
	/* as summary.lm: mss / (mss + rss) */
	f->r2 = f->mss / (f->mss + f->rss);
	f->adj_r2 = 1.0 - (1.0 - f->r2) * ((n - 1.0) / f->df);
	f->fstat = (f->mss / p) / s2;
	f->f_pvalue = st_pf_upper(f->fstat, p, f->df);

	/*
	 * (X'X)^-1 of the design with the 1 column: the x block is C^-1 = Rinv
	 * Rinv', the cross terms -C^-1 xbar, the corner 1/n + xbar' C^-1 xbar.
	 */
	for (i = 0; i < (size_t) p; i++)
		for (j = i; j < (size_t) p; j++)
		{
			double		acc = 0.0;

			for (l = j; l < (size_t) p; l++)
				acc += f->rinv[i * p + l] * f->rinv[j * p + l];
			f->cov_unscaled[(i + 1) * k + j + 1] = acc;
			f->cov_unscaled[(j + 1) * k + i + 1] = acc;
		}
	/* u = Rinv' xbar, so xbar' C^-1 xbar = |u|^2 and C^-1 xbar = Rinv u */
	for (l = 0; l < (size_t) p; l++)
	{
		double		acc = 0.0;

		for (i = 0; i <= l; i++)
			acc += f->rinv[i * p + l] * mean[i];
		u[l] = acc;
	}
	q = 0.0;
	for (l = 0; l < (size_t) p; l++)
		q += u[l] * u[l];
	f->cov_unscaled[0] = 1.0 / n + q;
	for (i = 0; i < (size_t) p; i++)
	{
		double		acc = 0.0;

		for (l = i; l < (size_t) p; l++)
			acc += f->rinv[i * p + l] * u[l];
		f->cov_unscaled[i + 1] = -acc;
		f->cov_unscaled[(i + 1) * k] = -acc;
	}
	for (i = 0; i < k; i++)
	{
		f->se[i] = f->sigma * sqrt(f->cov_unscaled[i * k + i]);
		f->tval[i] = f->coef[i] / f->se[i];
		f->pval[i] = 2.0 * st_pt_upper(f->tval[i], f->df);
	}
	return OLS_OK;
}

/*
 * Point prediction at x0 (p values) and, for 0 < level < 1, the prediction
 * interval of predict.lm(interval = "prediction"):
 * yhat -+ qt((1 + level) / 2, df) sqrt(sigma^2 + se_fit^2), where
 * se_fit^2 = sigma^2 (1/n + (x0 - xbar)' C^-1 (x0 - xbar)).  work holds p
 * doubles.
 */
ols_status
ols_predict(const double *s, const ols_fit *f, const double *x0,
			double level, double *work, double *point, double *lower,
			double *upper, double *se_fit)
{
	int			p = f->p;
	size_t		i,
				l;
	const double *mean = S_MEAN(s);
	double		yhat = f->coef[0],
				q = 0.0,
				sf,
				half;

	if (!(level > 0.0 && level < 1.0))
		return OLS_BAD_LEVEL;
	for (i = 0; i < (size_t) p; i++)
		if (!(fabs(x0[i]) <= OLS_MAX_ABS))
			return OLS_NOT_FINITE;
	for (i = 0; i < (size_t) p; i++)
		yhat += f->coef[i + 1] * x0[i];
	/* v = Rinv' (x0 - xbar) */
	for (l = 0; l < (size_t) p; l++)
	{
		double		acc = 0.0;

		for (i = 0; i <= l; i++)
			acc += f->rinv[i * p + l] * (x0[i] - mean[i]);
		work[l] = acc;
		q += acc * acc;
	}
	sf = f->sigma * sqrt(1.0 / f->n + q);
	/* qt((1 + level) / 2) from the small tail: 1 + level rounds to 2 near 1 */
	half = -st_qt((1.0 - level) / 2.0, f->df) *
		sqrt(f->sigma * f->sigma + sf * sf);
	*point = yhat;
	*lower = yhat - half;
	*upper = yhat + half;
	if (se_fit)
		*se_fit = sf;
	return OLS_OK;
}

/*
 * Regressors of one period of a trend + season model with season length m:
 * x[0] = period, x[j] = 1 if period mod m == j (j = 1 .. m-1).
 */
ols_status
ols_tslm_row(double period, int m, double *x)
{
	double		season;
	int			j;

	if (m < 2 || m > OLS_MAX_P)
		return OLS_BAD_P;
	if (!(fabs(period) <= 9007199254740992.0))
		return OLS_NOT_FINITE;
	season = fmod(period, (double) m);
	if (season < 0)
		season += m;
	x[0] = period;
	for (j = 1; j < m; j++)
		x[j] = (season == j) ? 1.0 : 0.0;
	return OLS_OK;
}

/* the period fingerprint modulus 2^31 - 1 and bases (see ols.h) */
#define FP_Q UINT64_C(2147483647)
static const uint64_t fp_base[OLS_FP_COUNT] = {7, 48271};

/* a * b mod 2^31 - 1 for a, b < 2^31 - 1 (2^31 = 1 mod q) */
static uint64_t
fp_mulmod(uint64_t a, uint64_t b)
{
	uint64_t	x = a * b;

	x = (x & FP_Q) + (x >> 31);
	x = (x & FP_Q) + (x >> 31);
	return x >= FP_Q ? x - FP_Q : x;
}

/* g^(period + 2^31) mod q: the exponent is never negative */
static uint64_t
fp_term(uint64_t g, double period)
{
	uint64_t	e = (uint64_t) (int64_t) period + (UINT64_C(1) << 31);
	uint64_t	r = 1;

	while (e > 0)
	{
		if (e & 1)
			r = fp_mulmod(r, g);
		g = fp_mulmod(g, g);
		e >>= 1;
	}
	return r;
}

/*
 * add one period (an integer in the int32 range) to the fingerprint fp,
 * which must hold valid sums (ols_period_fp_check)
 */
ols_status
ols_period_fp_add(double *fp, double period)
{
	return ols_period_fp_add_cached(fp, period, NULL);
}

/*
 * ols_period_fp_add, reusing the terms of the previous period in cache
 * (may be NULL) when the period is the same or one more.
 */
ols_status
ols_period_fp_add_cached(double *fp, double period, ols_fp_cache *cache)
{
	int			i;

	if (!(period == floor(period) && period >= -2147483648.0 &&
		  period <= 2147483647.0))
		return OLS_NOT_FINITE;
	for (i = 0; i < OLS_FP_COUNT; i++)
	{
		uint64_t	term,
					v;

		if (cache && cache->valid && period == cache->period)
			term = (uint64_t) cache->term[i];
		else if (cache && cache->valid && period == cache->period + 1.0)
			term = fp_mulmod((uint64_t) cache->term[i], fp_base[i]);
		else
			term = fp_term(fp_base[i], period);
		if (cache)
			cache->term[i] = (double) term;
		v = (uint64_t) fp[i] + term;
		fp[i] = (double) (v >= FP_Q ? v - FP_Q : v);
	}
	if (cache)
	{
		cache->valid = 1;
		cache->period = period;
	}
	return OLS_OK;
}

/* a := fingerprint of the union of both row sets */
void
ols_period_fp_merge(double *a, const double *b)
{
	int			i;

	for (i = 0; i < OLS_FP_COUNT; i++)
	{
		uint64_t	v = (uint64_t) a[i] + (uint64_t) b[i];

		a[i] = (double) (v >= FP_Q ? v - FP_Q : v);
	}
}

/* a fingerprint from outside must hold integers 0 .. q - 1 */
ols_status
ols_period_fp_check(const double *fp)
{
	int			i;

	for (i = 0; i < OLS_FP_COUNT; i++)
		if (!(fp[i] >= 0 && fp[i] < (double) FP_Q && fp[i] == floor(fp[i])))
			return OLS_BAD_STATE;
	return OLS_OK;
}

/*
 * Turn the period column (period - anchor) into R's trend 1 .. n once all
 * rows are in: the periods must be first .. last, each once.  The count
 * must be last - first + 1 and the fingerprint fp must equal that of
 * first .. last (see ols.h for what this proves); mean and spread are
 * checked too.  Shifting a column moves only its mean; the centred factor
 * is unchanged.
 */
ols_status
ols_tslm_rebase(double *s, double first, double last, double anchor,
				const double *fp)
{
	double		n = S_N(s);
	size_t		k = (size_t) S_P(s) + 1;
	double		r00 = S_R(s)[OLS_RIDX(k, 0, 0)];
	double		want_ss = n * (n * n - 1.0) / 12.0;
	int			i;

	if (n != last - first + 1.0 || ols_period_fp_check(fp) != OLS_OK)
		return OLS_BAD_STATE;
	for (i = 0; i < OLS_FP_COUNT; i++)
	{
		uint64_t	g = fp_base[i],
					t = fp_term(g, first),
					sum = 0;
		double		j;

		for (j = 0; j < n; j++)
		{
			sum += t;
			if (sum >= FP_Q)
				sum -= FP_Q;
			t = fp_mulmod(t, g);
		}
		if ((double) sum != fp[i])
			return OLS_BAD_STATE;
	}
	if (fabs(S_MEAN(s)[0] - ((first - anchor) + (last - anchor)) / 2.0) >
		1e-9 * (fabs(first - anchor) + fabs(last - anchor) + 1.0) ||
		fabs(r00 * r00 - want_ss) > 1e-9 * (want_ss + 1.0))
		return OLS_BAD_STATE;
	S_MEAN(s)[0] = (n + 1.0) / 2.0;
	return OLS_OK;
}

/*
 * A stored model (text, binary) must be a valid state; a tslm model has
 * p = m, an integer first period and the trend 1 .. n (mean (n + 1) / 2).
 */
ols_status
ols_model_check(int kind, int m, double first, const double *state,
				size_t len)
{
	ols_status	st = ols_state_check(state, len);

	if (st != OLS_OK)
		return st;
	if (kind == OLS_KIND_OLS)
		return m == 0 && first == 0 ? OLS_OK : OLS_BAD_STATE;
	if (kind != OLS_KIND_TSLM || m != (int) state[0] ||
		first != floor(first) || !(fabs(first) <= 2147483647.0) ||
		first + state[1] - 1.0 > 2147483647.0 ||
		state[2] != (state[1] + 1.0) / 2.0)
		return OLS_BAD_STATE;
	return OLS_OK;
}

/* parser cursor for ols_parse */
typedef struct ols_cursor
{
	const char *start;
	const char *p;
} ols_cursor;

static void
skip_space(ols_cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

/* consume the literal word w (after spaces); 0 if it is not there */
static int
expect(ols_cursor *c, const char *w)
{
	size_t		len = strlen(w);

	skip_space(c);
	if (strncmp(c->p, w, len) != 0)
		return 0;
	c->p += len;
	return 1;
}

/* a finite number in decimal notation (no "nan", "inf" or hex) */
static int
number(ols_cursor *c, double *out)
{
	const char *q;
	char	   *end;

	skip_space(c);
	q = c->p;
	if (*q == '-' || *q == '+')
		q++;
	if (!((*q >= '0' && *q <= '9') || *q == '.'))
		return 0;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		return 0;
	*out = strtod(c->p, &end);
	if (end == c->p || !isfinite(*out))
		return 0;
	c->p = end;
	return 1;
}

/* "[v1, v2, ...]" with exactly count numbers */
static int
number_list(ols_cursor *c, double *out, size_t count)
{
	size_t		i;

	if (!expect(c, "["))
		return 0;
	for (i = 0; i < count; i++)
		if ((i > 0 && !expect(c, ",")) || !number(c, &out[i]))
			return 0;
	return expect(c, "]");
}

/*
 * Parse the text form into kind, m, first and state (at most maxlen
 * doubles), then validate the state.  Never reads past the terminating NUL.
 */
ols_status
ols_parse(const char *text, int *kind, int *m, double *first, double *state,
		  size_t maxlen, size_t *errpos)
{
	ols_cursor	c = {text, text};
	double		v;
	size_t		k,
				len;
	ols_status	st;

	*m = 0;
	*first = 0;
	if (expect(&c, "ols("))
		*kind = OLS_KIND_OLS;
	else if (expect(&c, "tslm("))
	{
		*kind = OLS_KIND_TSLM;
		if (!expect(&c, "m=") || !number(&c, &v) || v != floor(v) ||
			v < 2 || v > OLS_MAX_P)
			goto bad;
		*m = (int) v;
		if (!expect(&c, ",") || !expect(&c, "first=") || !number(&c, first) ||
			*first != floor(*first) || fabs(*first) > 2147483647.0 ||
			!expect(&c, ","))
			goto bad;
	}
	else
		goto bad;
	if (!expect(&c, "p=") || !number(&c, &v) || v != floor(v) ||
		v < 1 || v > OLS_MAX_P)
		goto bad;
	len = ols_state_len((int) v);
	if (len > maxlen)
		goto bad;
	k = (size_t) v + 1;
	state[0] = v;
	if (!expect(&c, ",") || !expect(&c, "n=") || !number(&c, &state[1]) ||
		!expect(&c, ",") || !expect(&c, "mean=") ||
		!number_list(&c, state + 2, k) ||
		!expect(&c, ",") || !expect(&c, "r=") ||
		!number_list(&c, state + 2 + k, len - 2 - k) || !expect(&c, ")"))
		goto bad;
	skip_space(&c);
	if (*c.p != '\0')
		goto bad;
	st = ols_model_check(*kind, *m, *first, state, len);
	if (st != OLS_OK)
	{
		*errpos = 0;
		return st;
	}
	return OLS_OK;

bad:
	*errpos = (size_t) (c.p - c.start) + 1;
	return OLS_BAD_STATE;
}
