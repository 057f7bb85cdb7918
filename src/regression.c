/*
 * regression.c
 *		Least-squares models in SQL: the crm_sales.linear_model type, the
 *		ols(y, x[]) and tslm(period, value, season_length) aggregates,
 *		predict(), tslm_forecast(), coefficients() and the jsonb cast.
 *
 * The numerics live in src/core/forecast/ols.c; this file checks arguments, owns
 * memory contexts and turns status codes into errors.  Aggregate states are
 * float8[] arrays (a real SQL type of bounded size, so parallel query and
 * shards can split the aggregates and ship partial states as text).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "agg_util.h"
#include "crm_sales.h"
#include "miscadmin.h"
#include "regression.h"
#include "numeric/student_t.h"

/*
 * tslm aggregate state: [m, first period, last period, anchor, period
 * fingerprint (OLS_FP_COUNT values, see ols.h)] + the ols state.  The
 * regression sees period - anchor (the anchor is the first period the state
 * saw), so that periods near 2^31 keep their digits in the centring.
 */
#define TSLM_ANCHOR 3
#define TSLM_FP 4
#define TSLM_PREFIX (TSLM_FP + OLS_FP_COUNT)

/* longest horizon tslm_forecast accepts */
#define TSLM_MAX_HORIZON 100000

/*
 * The data of an array without NULLs (ARR_DATA_PTR, written so that
 * -Wsign-compare stays quiet about PostgreSQL's macro).
 */
static double *
arr_data(ArrayType *a)
{
	Size		off = ARR_HASNULL(a) ? (Size) a->dataoffset :
	ARR_OVERHEAD_NONULLS(ARR_NDIM(a));

	return (double *) ((char *) a + off);
}

/* a fresh one-dimensional float8[] of len zeros in memory context cxt */
static ArrayType *
new_float8_array(MemoryContext cxt, size_t len)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + len * sizeof(float8);
	ArrayType  *a = MemoryContextAllocZero(cxt, bytes);

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/*
 * The doubles of a state array that came back from PostgreSQL (ours, or a
 * partial state from another node): one dimension, no NULLs, float8.
 */
static double *
state_values(ArrayType *a, const char *func, size_t *len)
{
	int			n;
	double	   *v = crm_float8_state(a, -1, func, &n);

	*len = (size_t) n;
	return v;
}

/* error for a state array of len elements that is not a valid state */
static void
invalid_state(const char *func, size_t len)
{
	crm_agg_invalid_state(func,
						  psprintf("The array is not a least-squares state (%zu elements).", len));
}

/* error unless s[0 .. len-1] is a valid ols state */
static void
check_ols_state(const double *s, size_t len, const char *func)
{
	if (ols_state_check(s, len) != OLS_OK)
		invalid_state(func, len);
}

/*
 * Turn a failed ols_compute() into an error naming the column at fault.
 * (A tslm design with consecutive periods is singular only when it has too
 * few rows: with season_length + 2 periods every season occurs.)
 */
static void
report_fit_status(ols_status st, const ols_fit *f, const char *func)
{
	int			j = f->bad_column;

	switch (st)
	{
		case OLS_OK:
			return;
		case OLS_CONSTANT_COLUMN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the design is singular: x[%d] is constant", func, j),
					 errdetail("A constant column is collinear with the intercept, which %s adds itself.", func),
					 errhint("Remove x[%d] from the array.", j)));
			break;
		case OLS_COLLINEAR:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the design is singular: x[%d] is collinear with the intercept%s",
							func, j, j == 1 ? "" : j == 2 ? " and x[1]" :
							psprintf(" and x[1] .. x[%d]", j - 1)),
					 errdetail("After removing the intercept and the earlier columns less than %g of its norm is left.", OLS_TOL),
					 errhint("Drop x[%d] or a column it depends on.", j)));
			break;
		case OLS_TOO_FEW:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s rows are too few for %d coefficients",
							func, float8out_internal(f->n), f->p + 1),
					 errdetail("Estimating the residual variance needs at least %d rows (coefficients + 1).",
							   f->p + 2),
					 errhint("Add rows, or drop groups with too few rows (HAVING count(*) > %d).", f->p + 1)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: invalid least-squares state", func)));
	}
}

/* fit the model of state s (palloc'd buffers), or raise the reason */
static void
fit_or_error(const double *s, ols_fit *f, const char *func)
{
	double	   *buf = palloc(ols_fit_doubles((int) s[0]) * sizeof(double));

	report_fit_status(ols_compute(s, f, buf), f, func);
}

/* a linear_model value of the given kind around a copy of state s */
static LinearModel *
make_model(int kind, int m, double first, const double *s)
{
	size_t		len = ols_state_len((int) s[0]);
	Size		bytes = offsetof(LinearModel, state) + len * sizeof(float8);
	LinearModel *lm = palloc0(bytes);

	SET_VARSIZE(lm, bytes);
	lm->kind = kind;
	lm->season_length = m;
	lm->first_period = first;
	memcpy(lm->state, s, len * sizeof(double));
	return lm;
}

/* refuse a non-finite or too large value, naming it */
static void
check_value(double v, const char *func, const char *what, int index)
{
	char		name[32];

	if (fabs(v) <= OLS_MAX_ABS)
		return;
	if (index > 0)
		snprintf(name, sizeof(name), "%s[%d]", what, index);
	else
		snprintf(name, sizeof(name), "%s", what);
	if (isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: %s = %s is out of range", func, name, float8out_internal(v)),
				 errdetail("Values up to 1e100 in absolute value are accepted."),
				 errhint("Rescale the column.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s is not finite", func, name),
			 errdetail("%s = %s", name, float8out_internal(v)),
			 errhint("Filter out NaN and Infinity rows, or use NULL to skip a row.")));
}

/*
 * The state argument of a transition function, updatable in place: ours
 * when called as an aggregate (the state lives in the aggregate context),
 * else a copy.  NULL if the state is still NULL.
 */
static ArrayType *
trans_state(FunctionCallInfo fcinfo, const char *func, MemoryContext *aggcxt)
{
	*aggcxt = crm_agg_context(fcinfo, func);
	if (PG_ARGISNULL(0))
		return NULL;
	return PG_GETARG_ARRAYTYPE_P(0);
}

PG_FUNCTION_INFO_V1(crm_ols_trans);

/*
 * ols(y, x[]) transition: add one row.  Rows with a NULL y, a NULL x or a
 * NULL element in x are skipped (as na.omit in R).
 */
Datum
crm_ols_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ArrayType  *st = trans_state(fcinfo, "ols", &aggcxt);
	ArrayType  *xa;
	double	   *s;
	const double *x;
	double		y,
				work[OLS_MAX_P + 1];
	int			p,
				i;
	size_t		len;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		goto skip;
	xa = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(xa) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ols: x must be a one-dimensional array"),
				 errdetail("x has %d dimensions.", ARR_NDIM(xa))));
	if (array_contains_nulls(xa))
		goto skip;
	p = ArrayGetNItems(ARR_NDIM(xa), ARR_DIMS(xa));
	x = arr_data(xa);
	y = PG_GETARG_FLOAT8(1);

	if (st == NULL)
	{
		if (p < 1 || p > OLS_MAX_P)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ols: x has %d elements, 1 to %d are allowed", p, OLS_MAX_P),
					 errhint("Pass the regressors as x; ols adds the intercept itself.")));
		st = new_float8_array(aggcxt, ols_state_len(p));
		ols_state_init(arr_data(st), p);
	}
	s = state_values(st, "ols", &len);
	if (len < 1 || !(s[0] >= 1 && s[0] <= OLS_MAX_P) ||
		len != ols_state_len((int) s[0]))
		invalid_state("ols", len);
	if (s[0] != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ols: x arrays of different lengths: %d elements in this row, %d in earlier rows",
						p, (int) s[0]),
				 errhint("Every row of one group must have the same regressors.")));
	check_value(y, "ols", "y", 0);
	for (i = 0; i < p; i++)
		check_value(x[i], "ols", "x", i + 1);
	ols_add(s, y, x, work);
	PG_RETURN_ARRAYTYPE_P(st);

skip:
	if (st == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(st);
}

static void check_tslm_prefix(const double *s);

/*
 * Combine two partial states whose ols part starts after prefix doubles;
 * a is updated in place (it lives in the aggregate context).  Returns the
 * ols parts through sa and sb for the caller's own prefix logic.
 */
static ArrayType *
combine_states(FunctionCallInfo fcinfo, const char *func, int prefix,
			   double **sa, double **sb)
{
	ArrayType  *a,
			   *b;
	size_t		la,
				lb;
	double		work[OLS_MAX_P + 1];

	crm_agg_context(fcinfo, func);
	a = PG_GETARG_ARRAYTYPE_P(0);
	b = PG_GETARG_ARRAYTYPE_P(1);
	*sa = state_values(a, func, &la);
	*sb = state_values(b, func, &lb);
	if (la <= (size_t) prefix || lb <= (size_t) prefix)
		invalid_state(func, Min(la, lb));
	check_ols_state(*sa + prefix, la - prefix, func);
	check_ols_state(*sb + prefix, lb - prefix, func);
	if ((*sa)[prefix] != (*sb)[prefix])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: partial states with %d and %d regressors cannot be merged",
						func, (int) (*sa)[prefix], (int) (*sb)[prefix]),
				 errhint("Every row of one group must have the same regressors.")));
	if (prefix > 0)
	{
		/* tslm: b's first column counts from its own anchor; move it to a's */
		double	   *ob = *sb + prefix;

		check_tslm_prefix(*sa);
		check_tslm_prefix(*sb);
		if ((*sb)[TSLM_ANCHOR] != (*sa)[TSLM_ANCHOR] && ob[1] > 0)
		{
			ob = palloc((lb - prefix) * sizeof(double));
			memcpy(ob, *sb + prefix, (lb - prefix) * sizeof(double));
			ob[2] += (*sb)[TSLM_ANCHOR] - (*sa)[TSLM_ANCHOR];
		}
		ols_merge(*sa + prefix, ob, work);
		return a;
	}
	ols_merge(*sa + prefix, *sb + prefix, work);
	return a;
}

PG_FUNCTION_INFO_V1(crm_ols_combine);

/* ols combine function (strict: PostgreSQL handles NULL states) */
Datum
crm_ols_combine(PG_FUNCTION_ARGS)
{
	double	   *sa,
			   *sb;

	PG_RETURN_ARRAYTYPE_P(combine_states(fcinfo, "ols", 0, &sa, &sb));
}

PG_FUNCTION_INFO_V1(crm_ols_final);

/* ols final function: fit, raise design problems, return the model */
Datum
crm_ols_final(PG_FUNCTION_ARGS)
{
	size_t		len;
	double	   *s = state_values(PG_GETARG_ARRAYTYPE_P(0), "ols", &len);
	ols_fit		f;

	check_ols_state(s, len, "ols");
	fit_or_error(s, &f, "ols");
	PG_RETURN_POINTER(make_model(OLS_KIND_OLS, 0, 0, s));
}

/*
 * The fingerprint terms of the previous row's period, kept across rows of
 * one query (any group: rows in period order hit it either way).
 */
static ols_fp_cache *
fp_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(ols_fp_cache));
	return (ols_fp_cache *) fcinfo->flinfo->fn_extra;
}

PG_FUNCTION_INFO_V1(crm_tslm_trans);

/*
 * tslm(period, value, season_length) transition.  The regressors are the
 * period (made into R's trend 1 .. n at the end) and season dummies.  Rows
 * with a NULL period or value are skipped.
 */
Datum
crm_tslm_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ArrayType  *st = trans_state(fcinfo, "tslm", &aggcxt);
	double	   *s;
	double		x[OLS_MAX_P],
				work[OLS_MAX_P + 1],
				y;
	int32		period,
				m;
	size_t		len;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_ARRAYTYPE_P(st);
	}
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tslm: season_length must not be NULL"),
				 errhint("Pass the number of periods per season, e.g. 12 for monthly data.")));
	period = PG_GETARG_INT32(1);
	y = PG_GETARG_FLOAT8(2);
	m = PG_GETARG_INT32(3);
	if (m < 2 || m > OLS_MAX_P)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm: season_length %d is out of range", m),
				 errdetail("season_length must be between 2 and %d.", OLS_MAX_P),
				 errhint("Use ols() for a trend without seasons.")));
	if (st == NULL)
	{
		st = new_float8_array(aggcxt, TSLM_PREFIX + ols_state_len(m));
		s = arr_data(st);
		s[0] = m;
		s[1] = period;
		s[2] = period;
		s[TSLM_ANCHOR] = period;
		ols_state_init(s + TSLM_PREFIX, m);
	}
	s = state_values(st, "tslm", &len);
	/* a state from outside (a custom aggregate's INITCOND) may hold anything */
	if (len <= TSLM_PREFIX || !(s[0] >= 2 && s[0] <= OLS_MAX_P))
		invalid_state("tslm", len);
	if (len != TSLM_PREFIX + ols_state_len(m) || s[0] != m || s[TSLM_PREFIX] != m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm: season_length changed from %d to %d within a group",
						(int) s[0], m),
				 errhint("Pass one season_length per series.")));
	/*
	 * the prefix feeds integer arithmetic (the period fingerprint): a
	 * crafted INITCOND must not reach it (a negative sum was converted to an
	 * unsigned integer)
	 */
	check_tslm_prefix(s);
	check_value(y, "tslm", "value", 0);
	ols_tslm_row(period, m, x);
	x[0] = (double) period - s[TSLM_ANCHOR];
	ols_add(s + TSLM_PREFIX, y, x, work);
	ols_period_fp_add_cached(s + TSLM_FP, period, fp_cache(fcinfo));
	s[1] = Min(s[1], period);
	s[2] = Max(s[2], period);
	PG_RETURN_ARRAYTYPE_P(st);
}

/*
 * The tslm prefix of a state from outside (a partial state from another
 * node): m equal to the regression's p, first <= last, integer periods, a
 * valid fingerprint.
 */
static void
check_tslm_prefix(const double *s)
{
	if (s[0] != s[TSLM_PREFIX] || !(s[1] <= s[2]) ||
		ols_period_fp_check(s + TSLM_FP) != OLS_OK ||
		s[1] != floor(s[1]) || s[2] != floor(s[2]) ||
		s[1] < PG_INT32_MIN || s[2] > PG_INT32_MAX ||
		s[TSLM_ANCHOR] != floor(s[TSLM_ANCHOR]) ||
		!(s[TSLM_ANCHOR] >= PG_INT32_MIN && s[TSLM_ANCHOR] <= PG_INT32_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm: invalid aggregate state"),
				 errdetail("The season length, the period range or the period fingerprint of the state is not valid.")));
}

PG_FUNCTION_INFO_V1(crm_tslm_combine);

/* tslm combine function: merge the fits, widen the period range */
Datum
crm_tslm_combine(PG_FUNCTION_ARGS)
{
	double	   *sa,
			   *sb;
	ArrayType  *a = combine_states(fcinfo, "tslm", TSLM_PREFIX, &sa, &sb);

	sa[1] = Min(sa[1], sb[1]);
	sa[2] = Max(sa[2], sb[2]);
	ols_period_fp_merge(sa + TSLM_FP, sb + TSLM_FP);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(crm_tslm_final);

/*
 * tslm final function: periods must be first .. last, each once; the period
 * column becomes the trend 1 .. n and the model is fitted.
 */
Datum
crm_tslm_final(PG_FUNCTION_ARGS)
{
	size_t		len;
	double	   *s = state_values(PG_GETARG_ARRAYTYPE_P(0), "tslm", &len);
	double	   *o;
	ols_fit		f;

	if (len <= TSLM_PREFIX)
		invalid_state("tslm", len);
	check_ols_state(s + TSLM_PREFIX, len - TSLM_PREFIX, "tslm");
	check_tslm_prefix(s);
	o = palloc((len - TSLM_PREFIX) * sizeof(double));
	memcpy(o, s + TSLM_PREFIX, (len - TSLM_PREFIX) * sizeof(double));
	if (ols_tslm_rebase(o, s[1], s[2], s[TSLM_ANCHOR], s + TSLM_FP) != OLS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm: periods must be consecutive, each once"),
				 errdetail("%s rows span periods %d .. %d (%s periods).",
						   float8out_internal(o[1]), (int) s[1], (int) s[2],
						   float8out_internal(s[2] - s[1] + 1)),
				 errhint("Fill missing periods (e.g. with generate_series) and remove duplicates.")));
	fit_or_error(o, &f, "tslm");
	PG_RETURN_POINTER(make_model(OLS_KIND_TSLM, (int) s[0], s[1], o));
}

/*
 * A linear_model argument, detoasted, its layout checked before any consumer
 * reads state[0]: the header, and a state whose length matches its p.  A
 * datum failing this is corrupt (input functions make only valid ones).
 */
LinearModel *
crm_linear_model_arg(Datum d)
{
	LinearModel *lm = (LinearModel *) PG_DETOAST_DATUM(d);
	bool		ok = VARSIZE(lm) > offsetof(LinearModel, state) &&
		(VARSIZE(lm) - offsetof(LinearModel, state)) % sizeof(float8) == 0;

	if (ok)
	{
		double		p = lm->state[0];

		ok = p >= 1 && p <= OLS_MAX_P &&
			ols_state_len((int) p) == LM_STATE_LEN(lm) &&
			(lm->kind == OLS_KIND_OLS ||
			 (lm->kind == OLS_KIND_TSLM && lm->season_length == (int) p));
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt linear_model value"),
				 errdetail("%u bytes.", (unsigned) VARSIZE(lm)),
				 errhint("linear_model values are made only by ols(), tslm() and the type's input functions.")));
	return lm;
}

/* error unless a stored model is valid (text or binary input) */
static void
check_model(const LinearModel *lm, size_t len, const char *what)
{
	ols_fit		f;

	if (lm->pad != 0 ||
		ols_model_check(lm->kind, lm->season_length, lm->first_period,
						lm->state, len) != OLS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s for type linear_model", what),
				 errdetail("The values do not form a least-squares state.")));
	fit_or_error(lm->state, &f, "linear_model");
}

PG_FUNCTION_INFO_V1(crm_linear_model_in);

/* text input: the form printed by crm_linear_model_out */
Datum
crm_linear_model_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	size_t		maxlen = ols_state_len(OLS_MAX_P);
	double	   *s = palloc(maxlen * sizeof(double));
	int			kind,
				m;
	double		first;
	size_t		errpos;
	ols_fit		f;
	double	   *buf;
	ols_status	st;

	if (ols_parse(text, &kind, &m, &first, s, maxlen, &errpos) != OLS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type linear_model: \"%s\"", text),
				 errdetail_internal(errpos > 0 ? "Unexpected text at byte %zu." :
									"The values do not form a valid least-squares state.",
									errpos),
				 errhint("The text form is ols(p=P,n=N,mean=[...],r=[...]) or tslm(m=M,first=F,p=P,n=N,mean=[...],r=[...]).")));
	buf = palloc(ols_fit_doubles((int) s[0]) * sizeof(double));
	st = ols_compute(s, &f, buf);
	if (st != OLS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type linear_model: \"%s\"", text),
				 errdetail("The state describes a singular or underdetermined model.")));
	PG_RETURN_POINTER(make_model(kind, m, first, s));
}

/* "[v1,v2,...]" */
static void
append_list(StringInfo buf, const double *v, size_t n)
{
	size_t		i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		crm_append_float8(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

PG_FUNCTION_INFO_V1(crm_linear_model_out);

/* text output: every double in its shortest exact form */
Datum
crm_linear_model_out(PG_FUNCTION_ARGS)
{
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	int			p = (int) lm->state[0];
	size_t		k = (size_t) p + 1;
	StringInfoData buf;

	initStringInfo(&buf);
	if (lm->kind == OLS_KIND_TSLM)
		appendStringInfo(&buf, "tslm(m=%d,first=%d,", lm->season_length,
						 (int) lm->first_period);
	else
		appendStringInfoString(&buf, "ols(");
	appendStringInfo(&buf, "p=%d,n=", p);
	crm_append_float8(&buf, lm->state[1]);
	appendStringInfoString(&buf, ",mean=");
	append_list(&buf, lm->state + 2, k);
	appendStringInfoString(&buf, ",r=");
	append_list(&buf, lm->state + 2 + k, k * (k + 1) / 2);
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(crm_linear_model_recv);

/* binary input: kind, season length, first period, state length, state */
Datum
crm_linear_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int32		kind = pq_getmsgint(msg, 4);
	int32		m = pq_getmsgint(msg, 4);
	double		first = pq_getmsgfloat8(msg);
	int32		len = pq_getmsgint(msg, 4);
	double	   *s;
	LinearModel *lm;
	int			i;

	if (len < 1 || (size_t) len > ols_state_len(OLS_MAX_P))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state length %d in external linear_model value", len)));
	s = palloc(len * sizeof(double));
	for (i = 0; i < len; i++)
		s[i] = pq_getmsgfloat8(msg);
	if (!(s[0] >= 1 && s[0] <= OLS_MAX_P) || ols_state_len((int) s[0]) != (size_t) len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state length %d in external linear_model value", len)));
	lm = make_model(kind, m, first, s);
	check_model(lm, len, "external value");
	PG_RETURN_POINTER(lm);
}

PG_FUNCTION_INFO_V1(crm_linear_model_send);

/* binary output, the layout crm_linear_model_recv reads */
Datum
crm_linear_model_send(PG_FUNCTION_ARGS)
{
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	size_t		len = LM_STATE_LEN(lm),
				i;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, lm->kind);
	pq_sendint32(&buf, lm->season_length);
	pq_sendfloat8(&buf, lm->first_period);
	pq_sendint32(&buf, (int32) len);
	for (i = 0; i < len; i++)
		pq_sendfloat8(&buf, lm->state[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* name of coefficient i: R's names for tslm, x1 .. xp for ols */
static char *
term_name(const LinearModel *lm, int i)
{
	if (i == 0)
		return "(Intercept)";
	if (lm->kind == OLS_KIND_TSLM)
		return i == 1 ? "trend" : psprintf("season%d", i);
	return psprintf("x%d", i);
}

/* a JSON number, or null where the value is not finite */
static void
append_json_number(StringInfo buf, double v)
{
	if (isfinite(v))
		crm_append_float8(buf, v);
	else
		appendStringInfoString(buf, "null");
}

/* "key":[v1,...] */
static void
append_json_array(StringInfo buf, const char *key, const double *v, size_t n)
{
	size_t		i;

	appendStringInfo(buf, ",\"%s\":[", key);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		append_json_number(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* "key":v */
static void
append_json_field(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, ",\"%s\":", key);
	append_json_number(buf, v);
}

PG_FUNCTION_INFO_V1(crm_linear_model_jsonb);

/*
 * linear_model -> jsonb: everything summary.lm shows, plus what prediction
 * intervals need (means and the unscaled covariance (X'X)^-1).
 */
Datum
crm_linear_model_jsonb(PG_FUNCTION_ARGS)
{
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	int			p = (int) lm->state[0];
	size_t		k = (size_t) p + 1,
				i;
	ols_fit		f;
	StringInfoData buf;

	fit_or_error(lm->state, &f, "linear_model");
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\":\"%s\"",
					 lm->kind == OLS_KIND_TSLM ? "tslm" : "ols");
	if (lm->kind == OLS_KIND_TSLM)
		appendStringInfo(&buf, ",\"season_length\":%d,\"first_period\":%d",
						 lm->season_length, (int) lm->first_period);
	append_json_field(&buf, "n", f.n);
	append_json_field(&buf, "df", f.df);
	appendStringInfoString(&buf, ",\"terms\":[");
	for (i = 0; i < k; i++)
		appendStringInfo(&buf, "%s\"%s\"", i > 0 ? "," : "", term_name(lm, (int) i));
	appendStringInfoChar(&buf, ']');
	append_json_array(&buf, "coefficients", f.coef, k);
	append_json_array(&buf, "std_errors", f.se, k);
	append_json_array(&buf, "t_values", f.tval, k);
	append_json_array(&buf, "p_values", f.pval, k);
	append_json_field(&buf, "sigma", f.sigma);
	append_json_field(&buf, "r_squared", f.r2);
	append_json_field(&buf, "adj_r_squared", f.adj_r2);
	append_json_field(&buf, "f_statistic", f.fstat);
	append_json_field(&buf, "f_p_value", f.f_pvalue);
	append_json_field(&buf, "rss", f.rss);
	append_json_array(&buf, "x_means", lm->state + 2, p);
	append_json_field(&buf, "y_mean", lm->state[2 + p]);
	appendStringInfoString(&buf, ",\"cov_unscaled\":[");
	for (i = 0; i < k; i++)
	{
		size_t		j;

		appendStringInfoString(&buf, i > 0 ? ",[" : "[");
		for (j = 0; j < k; j++)
		{
			if (j > 0)
				appendStringInfoChar(&buf, ',');
			append_json_number(&buf, f.cov_unscaled[i * k + j]);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(crm_linear_model_coefficients);

/* coefficients(model): one row per term, as summary.lm's table */
Datum
crm_linear_model_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	int			k = (int) lm->state[0] + 1,
				i;
	ols_fit		f;

	fit_or_error(lm->state, &f, "linear_model");
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < k; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = CStringGetTextDatum(term_name(lm, i));
		values[1] = Float8GetDatum(f.coef[i]);
		values[2] = Float8GetDatum(f.se[i]);
		values[3] = Float8GetDatum(f.tval[i]);
		values[4] = Float8GetDatum(f.pval[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* a fitted model kept across calls of one function in one query */
typedef struct FitCache
{
	LinearModel *model;			/* copy, in fn_mcxt */
	ols_fit		fit;
	double	   *buf;
} FitCache;

/*
 * The fit of lm, recomputed only when the model differs from the last
 * call's (predict() is typically called once per row with one model).
 */
static ols_fit *
cached_fit(FunctionCallInfo fcinfo, LinearModel *lm)
{
	FitCache   *c = (FitCache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (c != NULL && VARSIZE(c->model) == VARSIZE(lm) &&
		memcmp(c->model, lm, VARSIZE(lm)) == 0)
		return &c->fit;
	if (c == NULL)
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FitCache));
	else
	{
		pfree(c->model);
		pfree(c->buf);
	}
	fcinfo->flinfo->fn_extra = NULL;	/* until complete */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->model = palloc(VARSIZE(lm));
	memcpy(c->model, lm, VARSIZE(lm));
	c->buf = palloc(ols_fit_doubles((int) lm->state[0]) * sizeof(double));
	MemoryContextSwitchTo(old);
	report_fit_status(ols_compute(c->model->state, &c->fit, c->buf),
					  &c->fit, "linear_model");
	fcinfo->flinfo->fn_extra = c;
	return &c->fit;
}

/* error unless 0 < level < 1 */
static void
check_level(double level, const char *func)
{
	if (!(level > 0.0 && level < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: level must be between 0 and 1 (exclusive)", func),
				 errdetail("level = %s", float8out_internal(level)),
				 errhint("Pass 0.95 for a 95%% prediction interval.")));
}

PG_FUNCTION_INFO_V1(crm_linear_model_predict);

/*
 * predict(model, x[], level): the point prediction, the prediction interval
 * of predict.lm(interval = "prediction", level = level) and the standard
 * error of the fitted value (se.fit), from which confidence intervals follow.
 */
Datum
crm_linear_model_predict(PG_FUNCTION_ARGS)
{
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(1);
	double		level = PG_GETARG_FLOAT8(2);
	int			p = (int) lm->state[0],
				nx,
				i;
	const double *x;
	double		work[OLS_MAX_P],
				out[4];
	ols_fit    *f;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("predict: return type must be a row type"),
				 errdetail("The function was declared with a result type that is not a row."),
				 errhint("Use the function as crm_sales declares it.")));
	if (ARR_NDIM(xa) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("predict: x must be a one-dimensional array")));
	nx = ArrayGetNItems(ARR_NDIM(xa), ARR_DIMS(xa));
	if (nx != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("predict: x has %d elements, the model has %d regressors", nx, p),
				 errhint("Pass the regressors in the order used to fit, without the intercept.")));
	if (array_contains_nulls(xa))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("predict: x must not contain NULL")));
	check_level(level, "predict");
	x = arr_data(xa);
	for (i = 0; i < p; i++)
		check_value(x[i], "predict", "x", i + 1);
	f = cached_fit(fcinfo, lm);
	ols_predict(lm->state, f, x, level, work, &out[0], &out[1], &out[2], &out[3]);
	for (i = 0; i < 4; i++)
		values[i] = Float8GetDatum(out[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

PG_FUNCTION_INFO_V1(crm_tslm_forecast);

/*
 * tslm_forecast(model, horizon, levels[]): h steps past the last fitted
 * period, one row per step and level, as forecast(tslm(...), h, level).
 */
Datum
crm_tslm_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LinearModel *lm = PG_GETARG_LINEAR_MODEL_P(0);
	int32		horizon = PG_GETARG_INT32(1);
	ArrayType  *la = PG_GETARG_ARRAYTYPE_P(2);
	int			m = lm->season_length,
				nlev,
				h,
				i;
	const double *levels;
	double		x[OLS_MAX_P],
				work[OLS_MAX_P];
	double		last;
	ols_fit    *f;

	if (lm->kind != OLS_KIND_TSLM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm_forecast: the model was not fitted by tslm()"),
				 errhint("Use predict() with the regressors of an ols() model.")));
	if (horizon < 1 || horizon > TSLM_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm_forecast: horizon %d is out of range", horizon),
				 errdetail("horizon must be between 1 and %d.", TSLM_MAX_HORIZON)));
	if (ARR_NDIM(la) != 1 || array_contains_nulls(la))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tslm_forecast: levels must be a non-empty array without NULLs"),
				 errhint("Pass e.g. '{0.8,0.95}'.")));
	nlev = ArrayGetNItems(ARR_NDIM(la), ARR_DIMS(la));
	levels = arr_data(la);
	for (i = 0; i < nlev; i++)
		check_level(levels[i], "tslm_forecast");
	last = lm->first_period + lm->state[1] - 1.0;
	if (last + horizon > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("tslm_forecast: period %s is out of range for integer",
						float8out_internal(last + horizon))));
	f = cached_fit(fcinfo, lm);
	InitMaterializedSRF(fcinfo, 0);
	for (h = 1; h <= horizon; h++)
	{
		ols_tslm_row(last + h, m, x);
		x[0] = lm->state[1] + h;	/* the trend continues n + 1, n + 2, ... */
		for (i = 0; i < nlev; i++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};
			double		pt,
						lo,
						hi;

			/* horizon x levels rows, each with a t quantile: cancellable */
			CHECK_FOR_INTERRUPTS();

			ols_predict(lm->state, f, x, levels[i], work, &pt, &lo, &hi, NULL);
			values[0] = Int32GetDatum(h);
			values[1] = Int32GetDatum((int32) (last + h));
			values[2] = Float8GetDatum(levels[i]);
			values[3] = Float8GetDatum(pt);
			values[4] = Float8GetDatum(lo);
			values[5] = Float8GetDatum(hi);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
