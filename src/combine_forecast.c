/*
 * combine_forecast.c
 *		Combined forecasts (crm_sales.combine_forecast and
 *		combine_forecast_inverse_mse): weighted means of several models' point
 *		forecasts and interval bounds, as an aggregate over the models.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/float.h"

#include "agg_util.h"

/*
 * combine_forecast state, a float8[]:
 *   [0] models  [1] models with an interval
 *   [2] sum w  [3] sum w point  [4] sum w lower  [5] sum w upper
 *   [6] models with zero in-sample MSE (inverse-MSE variant only)
 *   [7] sum point  [8] sum lower  [9] sum upper   of those models
 */
#define CF_LEN 10

/*
 * The doubles of a combine_forecast state, or an error.  A state may come
 * from outside (a direct call, a custom INITCOND, a shard), so it must be
 * one the transition and combine functions can make: model counts whole
 * numbers 0 .. INT32_MAX, the ones with an interval or zero MSE at most all;
 * every sum finite (the transition refuses overflow); the weight sum >= 0
 * and zero without models; lower sums at most the upper ones (w l <= w u
 * for each model, and rounding keeps the order).
 */
static double *
cf_values(ArrayType *a)
{
	double	   *s = crm_float8_state(a, CF_LEN, "combine_forecast", NULL);
	int			i;

	if (!(s[0] >= 0 && s[0] <= PG_INT32_MAX && s[0] == floor(s[0]) &&
		  s[1] >= 0 && s[1] <= s[0] && s[1] == floor(s[1]) &&
		  s[6] >= 0 && s[6] <= s[0] && s[6] == floor(s[6])))
		crm_agg_invalid_state("combine_forecast",
							  psprintf("The model counts %s, %s, %s are not valid.",
									   float8out_internal(s[0]), float8out_internal(s[1]),
									   float8out_internal(s[6])));
	for (i = 0; i < CF_LEN; i++)
		if (!isfinite(s[i]))
			crm_agg_invalid_state("combine_forecast",
								  psprintf("Element %d is %s; the sums of a state are finite.",
										   i + 1, float8out_internal(s[i])));
	if (!(s[2] >= 0) || (s[0] == 0 && s[2] != 0) || s[4] > s[5] || s[8] > s[9])
		crm_agg_invalid_state("combine_forecast",
							  "The weight sum is negative, or weights without models, or a lower bound sum above the upper one.");
	return s;
}

/*
 * Refuse a model count past INT32_MAX or a sum that left double range: a
 * state must stay within what cf_values accepts, so that it can tell a
 * crafted state from one the aggregate made.
 */
static void
cf_check_sums(const double *s)
{
	int			i;

	if (s[0] > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("combine_forecast: more than %d models", PG_INT32_MAX),
				 errhint("Combine fewer models per group.")));

	for (i = 0; i < CF_LEN; i++)
		if (!isfinite(s[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("combine_forecast: a weighted sum is out of range for type double precision"),
					 errdetail("Element %d of the state overflowed.", i + 1),
					 errhint("Rescale the forecasts or the weights.")));
}

/* the state array, created on the first row in the aggregate context */
static double *
cf_state(FunctionCallInfo fcinfo, ArrayType **out)
{
	MemoryContext aggcxt = crm_agg_context(fcinfo, "combine_forecast");
	ArrayType  *a;

	if (PG_ARGISNULL(0))
	{
		Datum		zeros[CF_LEN];
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		int			i;

		for (i = 0; i < CF_LEN; i++)
			zeros[i] = Float8GetDatum(0.0);
		a = construct_array(zeros, CF_LEN, FLOAT8OID, sizeof(float8),
							FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
		MemoryContextSwitchTo(old);
	}
	else
		a = PG_GETARG_ARRAYTYPE_P(0);
	*out = a;
	return cf_values(a);
}

/* a finite float8 argument, or an error naming it */
static double
finite_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("combine_forecast: %s is not finite", name),
				 errdetail("%s = %s", name, float8out_internal(v)),
				 errhint("Filter out NaN and Infinity rows, or pass NULL to skip a model.")));
	return v;
}

/*
 * Shared transition of the combine_forecast aggregates.  mode 0: equal
 * weights; 1: weight given; 2: weight = 1 / in-sample MSE.  Rows with a
 * NULL point (or weight) are skipped; a model without an interval (NULL
 * lower or upper) makes the combined interval NULL.
 */
static Datum
cf_trans(FunctionCallInfo fcinfo, int mode)
{
	ArrayType  *a;
	double	   *s = cf_state(fcinfo, &a);
	double		point,
				lower = 0,
				upper = 0,
				w = 1.0;
	bool		has_interval = !PG_ARGISNULL(2) && !PG_ARGISNULL(3);

	if (PG_ARGISNULL(1) || (mode > 0 && PG_ARGISNULL(4)))
		PG_RETURN_ARRAYTYPE_P(a);
	point = finite_arg(fcinfo, 1, "point");
	if (has_interval)
	{
		lower = finite_arg(fcinfo, 2, "lower");
		upper = finite_arg(fcinfo, 3, "upper");
		if (lower > upper)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("combine_forecast: lower bound %s exceeds upper bound %s",
							float8out_internal(lower), float8out_internal(upper)),
					 errhint("Pass the bounds as (lower, upper).")));
	}
	if (mode > 0)
	{
		double		v = finite_arg(fcinfo, 4, mode == 1 ? "weight" : "in_sample_mse");

		if (v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("combine_forecast: %s must not be negative",
							mode == 1 ? "weight" : "in_sample_mse"),
					 errdetail("%s = %s", mode == 1 ? "weight" : "in_sample_mse",
							   float8out_internal(v)),
					 errhint("%s", mode == 1 ? "Weights are relative sizes: 0 or more." :
							 "A mean squared error is 0 or more.")));
		if (mode == 2 && !isfinite(1.0 / v))
		{
			/*
			 * a perfect in-sample fit (or an MSE so small, below about
			 * 5.6e-309, that its inverse overflows): these models share all
			 * the weight
			 */
			s[0] += 1;
			s[1] += has_interval;
			s[6] += 1;
			s[7] += point;
			s[8] += lower;
			s[9] += upper;
			cf_check_sums(s);
			PG_RETURN_ARRAYTYPE_P(a);
		}
		w = mode == 1 ? v : 1.0 / v;
	}
	s[0] += 1;
	s[1] += has_interval;
	s[2] += w;
	s[3] += w * point;
	s[4] += w * lower;
	s[5] += w * upper;
	cf_check_sums(s);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(crm_combine_forecast_mean_trans);

/* combine_forecast(point, lower, upper): equal weights */
Datum
crm_combine_forecast_mean_trans(PG_FUNCTION_ARGS)
{
	return cf_trans(fcinfo, 0);
}

PG_FUNCTION_INFO_V1(crm_combine_forecast_weighted_trans);

/* combine_forecast(point, lower, upper, weight) */
Datum
crm_combine_forecast_weighted_trans(PG_FUNCTION_ARGS)
{
	return cf_trans(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(crm_combine_forecast_inverse_mse_trans);

/* combine_forecast_inverse_mse(point, lower, upper, in_sample_mse) */
Datum
crm_combine_forecast_inverse_mse_trans(PG_FUNCTION_ARGS)
{
	return cf_trans(fcinfo, 2);
}

PG_FUNCTION_INFO_V1(crm_combine_forecast_combine);

/* combine: element-wise sums (strict: PostgreSQL handles NULL states) */
Datum
crm_combine_forecast_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	double	   *sa,
			   *sb;
	int			i;

	crm_agg_context(fcinfo, "combine_forecast");
	a = PG_GETARG_ARRAYTYPE_P(0);
	sa = cf_values(a);
	sb = cf_values(PG_GETARG_ARRAYTYPE_P(1));
	for (i = 0; i < CF_LEN; i++)
		sa[i] += sb[i];
	cf_check_sums(sa);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(crm_combine_forecast_final);

/*
 * final: weighted means of points and bounds (models with zero in-sample
 * MSE, if any, take all the weight equally); NULL bounds unless every
 * model had an interval; NULL if no model had weight.
 */
Datum
crm_combine_forecast_final(PG_FUNCTION_ARGS)
{
	double	   *s = cf_values(PG_GETARG_ARRAYTYPE_P(0));
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		w,
				p,
				l,
				u;

	if (s[6] > 0)
		w = s[6], p = s[7], l = s[8], u = s[9];
	else
		w = s[2], p = s[3], l = s[4], u = s[5];
	if (!(w > 0))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("combine_forecast: return type must be a row type"),
				 errdetail("The function was declared with a result type other than crm_sales.combined_forecast."),
				 errhint("Use the function as crm_sales declares it.")));
	values[0] = Float8GetDatum(p / w);
	values[1] = Float8GetDatum(l / w);
	values[2] = Float8GetDatum(u / w);
	values[3] = Int32GetDatum((int32) s[0]);
	nulls[1] = nulls[2] = (s[1] != s[0]);
	BlessTupleDesc(desc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
