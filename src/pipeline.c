/*
 * pipeline.c
 *		Weighted pipeline (crm_sales.weighted_pipeline): deal amounts per
 *		forecast category of the stage model.
 *
 * weighted_pipeline sums deal amounts per forecast category with exact
 * numeric arithmetic.  Its state is the composite crm_sales.pipeline_state
 * (a real SQL type: parallel query and shards can split and ship it); the
 * final function adds the cumulative commit and best-case forecasts.
 *
 * Forecast categories, from the stage of the deal in its model:
 *   closed    category 'won'
 *   omitted   category 'lost'
 *   commit    open, probability >= commit_at (default 0.8)
 *   best case open, best_case_at (default 0.5) <= probability < commit_at
 *   pipeline  open, probability < best_case_at
 * weighted = closed amount + sum of open amount * probability.
 */
#include "postgres.h"


#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "agg_util.h"
#include "crm_sales.h"

/* fields of crm_sales.pipeline_state, in order */
enum
{
	PS_DEALS,
	PS_TOTAL,
	PS_WEIGHTED,
	PS_CLOSED,
	PS_CLOSED_COUNT,
	PS_COMMIT,
	PS_COMMIT_COUNT,
	PS_BEST_CASE,
	PS_BEST_CASE_COUNT,
	PS_PIPELINE,
	PS_PIPELINE_COUNT,
	PS_OMITTED,
	PS_OMITTED_COUNT,
	PS_NFIELDS
};

/* the categories, as offsets of their amount field */
static const int category_field[] = {
	PS_CLOSED, PS_COMMIT, PS_BEST_CASE, PS_PIPELINE, PS_OMITTED
};

/* fields of crm_sales.pipeline_forecast: the state plus two cumulative sums */
#define PF_COMMIT_FORECAST PS_NFIELDS
#define PF_BEST_CASE_FORECAST (PS_NFIELDS + 1)
#define PF_NFIELDS (PS_NFIELDS + 2)

/* per-call cache: win probabilities of the model's stages as numeric */
typedef struct PipelineCache
{
	CrmModel   *model;			/* the model the values below belong to */
	uint64		generation;
	Datum	   *probability;	/* numeric, per stage; 0 where none */
} PipelineCache;

/* a numeric from a double in its shortest decimal form (0.8 -> 0.8) */
static Datum
numeric_from_double(double v)
{
	return DirectFunctionCall1(float8_numeric, Float8GetDatum(v));
}

/* error unless v is finite (numeric NaN and, in PostgreSQL 14+, Infinity) */
static void
check_numeric(Datum v, const char *func, const char *what)
{
	Numeric		n = DatumGetNumeric(v);

	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s is not finite", func, what),
				 errdetail("%s = %s", what,
						   DatumGetCString(DirectFunctionCall1(numeric_out, v))),
				 errhint("Filter out NaN and Infinity amounts.")));
}

/* a threshold argument: not NULL, within [0, 1] */
static double
threshold_arg(FunctionCallInfo fcinfo, int argno, const char *name, double dflt)
{
	double		v;

	if (PG_NARGS() <= argno)
		return dflt;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("weighted_pipeline: %s must not be NULL", name),
				 errhint("Pass a probability threshold between 0 and 1, or use weighted_pipeline(amount, stage) for the defaults 0.8 and 0.5.")));
	v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, PG_GETARG_DATUM(argno)));
	if (!(v >= 0.0 && v <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weighted_pipeline: %s must be between 0 and 1", name),
				 errdetail("%s = %s", name,
						   DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(argno)))),
				 errhint("Pass a probability, e.g. 0.8 (not 80).")));
	return v;
}

/* the stage probabilities of model m as numeric, cached across rows */
static Datum *
stage_probabilities(FunctionCallInfo fcinfo, CrmModel *m)
{
	PipelineCache *c = (PipelineCache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	int			i;

	if (c != NULL && c->model == m && c->generation == crm_cache_generation)
		return c->probability;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PipelineCache));
		fcinfo->flinfo->fn_extra = c;
	}
	else if (c->probability != NULL)
		pfree(c->probability);
	c->model = NULL;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->probability = palloc0(m->nstages * sizeof(Datum));
	for (i = 0; i < m->nstages; i++)
		c->probability[i] = numeric_from_double(m->stages[i].has_probability ?
												m->stages[i].probability : 0.0);
	MemoryContextSwitchTo(old);
	c->model = m;
	c->generation = crm_cache_generation;
	return c->probability;
}

/* the fields of a composite datum, deformed into values[] */
static TupleDesc
deform_composite(Datum d, Datum *values, bool *nulls, int nfields, const char *func)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(d);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
											  HeapTupleHeaderGetTypMod(th));
	HeapTupleData tuple;
	int			i;

	if (desc->natts != nfields)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: the state has %d fields, %d expected", func, desc->natts, nfields)));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, desc, values, nulls);
	for (i = 0; i < nfields; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: field %d of the state is NULL", func, i + 1)));
	return desc;
}

/* form a composite datum of descriptor desc (released here) */
static Datum
form_composite(TupleDesc desc, Datum *values, bool *nulls)
{
	HeapTuple	t;

	BlessTupleDesc(desc);
	t = heap_form_tuple(desc, values, nulls);
	ReleaseTupleDesc(desc);
	return HeapTupleGetDatum(t);
}

/* a + b for the bigint counts of the state, or an error on overflow */
static Datum
add_count(Datum a, Datum b)
{
	int64		r;

	if (pg_add_s64_overflow(DatumGetInt64(a), DatumGetInt64(b), &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weighted_pipeline: deal count out of range for bigint"),
				 errhint("Check the partial states being merged.")));
	return Int64GetDatum(r);
}

/* values[f] += amount (numeric) and values[f + 1] += 1 (bigint) */
static void
add_amount(Datum *values, int f, Datum amount)
{
	values[f] = DirectFunctionCall2(numeric_add, values[f], amount);
	values[f + 1] = add_count(values[f + 1], Int64GetDatum(1));
}

/*
 * Refuse a state the aggregate cannot have made (it is a composite any role
 * can write: a direct call, a custom INITCOND): every amount finite, every
 * count >= 0, deals the sum of the category counts and total the sum of
 * the category amounts (numeric addition is exact, so both hold exactly).
 */
static void
check_state(const Datum *values)
{
	int64		deals = 0;
	Datum		total = numeric_from_double(0.0);
	int			c,
				i;

	for (i = 0; i < PS_NFIELDS; i++)
	{
		if (i == PS_DEALS || i == PS_CLOSED_COUNT || i == PS_COMMIT_COUNT ||
			i == PS_BEST_CASE_COUNT || i == PS_PIPELINE_COUNT || i == PS_OMITTED_COUNT)
		{
			if (DatumGetInt64(values[i]) < 0)
				crm_agg_invalid_state("weighted_pipeline",
									  psprintf("Field %d, a deal count, is negative.", i + 1));
		}
		else
		{
			Numeric		n = DatumGetNumeric(values[i]);

			if (numeric_is_nan(n) || numeric_is_inf(n))
				crm_agg_invalid_state("weighted_pipeline",
									  psprintf("Field %d, an amount, is not finite.", i + 1));
		}
	}
	for (c = 0; c < (int) lengthof(category_field); c++)
	{
		if (pg_add_s64_overflow(deals, DatumGetInt64(values[category_field[c] + 1]), &deals))
			crm_agg_invalid_state("weighted_pipeline", "The category counts overflow bigint.");
		total = DirectFunctionCall2(numeric_add, total, values[category_field[c]]);
	}
	if (deals != DatumGetInt64(values[PS_DEALS]) ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, total, values[PS_TOTAL])))
		crm_agg_invalid_state("weighted_pipeline",
							  "deals and total must be the sums of the category counts and amounts.");
}

PG_FUNCTION_INFO_V1(crm_weighted_pipeline_trans);

/*
 * weighted_pipeline(amount, stage [, commit_at, best_case_at]) transition:
 * add one deal to its forecast category.  Deals with a NULL amount or stage
 * are skipped.
 */
Datum
crm_weighted_pipeline_trans(PG_FUNCTION_ARGS)
{
	Datum		values[PS_NFIELDS];
	bool		nulls[PS_NFIELDS];
	TupleDesc	desc;
	double		commit_at = threshold_arg(fcinfo, 3, "commit_at", 0.8);
	double		best_case_at = threshold_arg(fcinfo, 4, "best_case_at", 0.5);
	Oid			typid;
	CrmModel   *m;
	CrmStage   *s;
	Datum		amount;
	Datum	   *prob;
	int			idx,
				cat;

	if (best_case_at > commit_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weighted_pipeline: best_case_at must not exceed commit_at"),
				 errdetail("best_case_at = %s, commit_at = %s", float8out_internal(best_case_at),
						   float8out_internal(commit_at)),
				 errhint("Pass the commit threshold third and the lower best-case threshold fourth.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("weighted_pipeline: the state must not be NULL")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));

	amount = PG_GETARG_DATUM(1);
	check_numeric(amount, "weighted_pipeline", "amount");
	typid = get_fn_expr_argtype(fcinfo->flinfo, 2);
	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not determine the enum type of the stage argument")));
	m = crm_model_lookup(typid, false);
	idx = crm_stage_index_checked(m, PG_GETARG_OID(2));
	s = &m->stages[idx];
	prob = stage_probabilities(fcinfo, m);

	if (s->category == CRM_CAT_WON)
		cat = 0;
	else if (s->category == CRM_CAT_LOST)
		cat = 4;
	else
	{
		if (!s->has_probability)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weighted_pipeline: open stage \"%s\" of model %s has no win probability",
							s->name, m->name),
					 errhint("Set one with crm_sales.set_probability('%s', '%s', 0.5).",
							 m->name, s->name)));
		cat = s->probability >= commit_at ? 1 :
			s->probability >= best_case_at ? 2 : 3;
	}

	desc = deform_composite(PG_GETARG_DATUM(0), values, nulls, PS_NFIELDS,
							"weighted_pipeline");
	values[PS_DEALS] = add_count(values[PS_DEALS], Int64GetDatum(1));
	values[PS_TOTAL] = DirectFunctionCall2(numeric_add, values[PS_TOTAL], amount);
	add_amount(values, category_field[cat], amount);
	if (cat == 0)
		values[PS_WEIGHTED] = DirectFunctionCall2(numeric_add, values[PS_WEIGHTED], amount);
	else if (cat != 4)
		values[PS_WEIGHTED] =
			DirectFunctionCall2(numeric_add, values[PS_WEIGHTED],
								DirectFunctionCall2(numeric_mul, amount, prob[idx]));
	PG_RETURN_DATUM(form_composite(desc, values, nulls));
}

PG_FUNCTION_INFO_V1(crm_weighted_pipeline_combine);

/* combine: field-wise sums of two partial states */
Datum
crm_weighted_pipeline_combine(PG_FUNCTION_ARGS)
{
	Datum		a[PS_NFIELDS],
				b[PS_NFIELDS];
	bool		na[PS_NFIELDS],
				nb[PS_NFIELDS];
	TupleDesc	desc = deform_composite(PG_GETARG_DATUM(0), a, na, PS_NFIELDS,
										"weighted_pipeline");
	TupleDesc	desc2 = deform_composite(PG_GETARG_DATUM(1), b, nb, PS_NFIELDS,
										 "weighted_pipeline");
	int			i;

	ReleaseTupleDesc(desc2);
	check_state(a);
	check_state(b);
	for (i = 0; i < PS_NFIELDS; i++)
	{
		if (TupleDescAttr(desc, i)->atttypid == INT8OID)
			a[i] = add_count(a[i], b[i]);
		else
			a[i] = DirectFunctionCall2(numeric_add, a[i], b[i]);
	}
	PG_RETURN_DATUM(form_composite(desc, a, na));
}

PG_FUNCTION_INFO_V1(crm_weighted_pipeline_final);

/*
 * final: the state plus the cumulative forecasts
 * commit_forecast = closed + commit, best_case_forecast = that + best case.
 */
Datum
crm_weighted_pipeline_final(PG_FUNCTION_ARGS)
{
	Datum		values[PF_NFIELDS];
	bool		nulls[PF_NFIELDS];
	TupleDesc	sdesc = deform_composite(PG_GETARG_DATUM(0), values, nulls,
										 PS_NFIELDS, "weighted_pipeline");
	TupleDesc	desc;

	ReleaseTupleDesc(sdesc);
	check_state(values);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts != PF_NFIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("weighted_pipeline: unexpected result type"),
				 errdetail("The function was declared with a result type other than crm_sales.pipeline_forecast."),
				 errhint("Use the function as crm_sales declares it.")));
	values[PF_COMMIT_FORECAST] = DirectFunctionCall2(numeric_add, values[PS_CLOSED],
													 values[PS_COMMIT]);
	values[PF_BEST_CASE_FORECAST] = DirectFunctionCall2(numeric_add,
														values[PF_COMMIT_FORECAST],
														values[PS_BEST_CASE]);
	nulls[PF_COMMIT_FORECAST] = nulls[PF_BEST_CASE_FORECAST] = false;
	BlessTupleDesc(desc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
