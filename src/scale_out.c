/*
 * scale_out.c
 *		Glue for running crm_sales on a Citus cluster: transition functions
 *		of the aggregates over one model's own enum type.
 *
 * Citus pushes partial aggregation to its workers (worker_partial_agg) only
 * when the argument types of the call equal the aggregate's declared ones,
 * so funnel_agg(anyenum) and weighted_pipeline(numeric, anyenum) always
 * fail there ("worker_partial_agg_sfunc could not confirm type
 * correctness").  sql/areas/80_scale_out.sql therefore declares, per model,
 * funnel_agg(<model>) and weighted_pipeline(numeric, <model>) overloads.
 * Their transition functions are the ones below: worker_partial_agg calls a
 * transition function through a bare FmgrInfo with no expression tree, so
 * get_fn_expr_argtype() cannot tell the enum type; these functions read it
 * from the enum value's pg_enum row and hand it to the existing transition
 * function in an expression of their own.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* the transition functions of funnel_agg(anyenum ...) and weighted_pipeline */
extern PGDLLEXPORT Datum crm_funnel_agg_enum(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum crm_weighted_pipeline_trans(PG_FUNCTION_ARGS);

/*
 * What a call site without an expression tree keeps in fn_extra: the
 * FmgrInfo handed to the target, whose fn_expr carries the argument types
 * (its own fn_extra is the target's cache).
 */
typedef struct TypedCall
{
	Oid			enumtypid;
	FmgrInfo	inner;
} TypedCall;

/*
 * The enum type of enum value OID v: the type is fixed for one call site,
 * but a value that is not an enum label at all can only come from a direct
 * call with a forged argument.
 */
static Oid
enum_type_of(Oid v)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(v));
	Oid			typid;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("enum value with OID %u does not exist", v),
				 errhint("Pass a value of a model's enum type.")));
	typid = ((Form_pg_enum) GETSTRUCT(tup))->enumtypid;
	ReleaseSysCache(tup);
	return typid;
}

/*
 * The TypedCall of a call site without an expression tree, made in its
 * fn_mcxt: an FmgrInfo like the caller's whose expression has the declared
 * argument types, the enum argument enum_arg with the type of its value.
 */
static TypedCall *
typed_call_new(FunctionCallInfo fcinfo, int enum_arg)
{
	FmgrInfo   *outer = fcinfo->flinfo;
	MemoryContext old = MemoryContextSwitchTo(outer->fn_mcxt);
	TypedCall  *tc = palloc(sizeof(TypedCall));
	Oid		   *argtypes;
	int			nargs;
	Oid			rettype = get_func_signature(outer->fn_oid, &argtypes, &nargs);
	List	   *args = NIL;
	int			i;

	tc->enumtypid = enum_type_of(PG_GETARG_OID(enum_arg));
	for (i = 0; i < nargs; i++)
		args = lappend(args, makeNullConst(i == enum_arg ? tc->enumtypid : argtypes[i],
										   -1, InvalidOid));
	tc->inner = *outer;
	tc->inner.fn_extra = NULL;
	tc->inner.fn_expr = (Node *) makeFuncExpr(outer->fn_oid, rettype, args,
											  InvalidOid, InvalidOid,
											  COERCE_EXPLICIT_CALL);
	MemoryContextSwitchTo(old);
	return tc;
}

/*
 * Call target (a transition function that reads the type of its enum
 * argument enum_arg with get_fn_expr_argtype) with fcinfo's arguments.  When
 * the call site has an expression tree (PostgreSQL's own executor) the
 * target reads the types from it; otherwise (Citus's worker_partial_agg)
 * the target gets the FmgrInfo of typed_call_new.  Until a row with a
 * non-NULL enum value came, the target is called as it is: it skips rows
 * with a NULL stage without looking at the type.
 */
static Datum
call_with_enum_type(FunctionCallInfo fcinfo, PGFunction target, int enum_arg)
{
	FmgrInfo   *outer = fcinfo->flinfo;
	TypedCall  *tc;
	Datum		result;

	/* fn_extra is the target's when there is an expression, else ours */
	if (outer->fn_expr != NULL)
		return target(fcinfo);
	tc = (TypedCall *) outer->fn_extra;
	if (tc == NULL)
	{
		if (PG_ARGISNULL(enum_arg))
			return target(fcinfo);
		tc = typed_call_new(fcinfo, enum_arg);
		outer->fn_extra = tc;
	}

	fcinfo->flinfo = &tc->inner;
	result = target(fcinfo);
	fcinfo->flinfo = outer;
	return result;
}

/* funnel_agg(<model> [, numeric]) transition: funnel_agg(anyenum ...)'s */
PG_FUNCTION_INFO_V1(crm_funnel_agg_typed_trans);
Datum
crm_funnel_agg_typed_trans(PG_FUNCTION_ARGS)
{
	return call_with_enum_type(fcinfo, crm_funnel_agg_enum, 1);
}

/* weighted_pipeline(numeric, <model> [, numeric, numeric]) transition */
PG_FUNCTION_INFO_V1(crm_weighted_pipeline_typed_trans);
Datum
crm_weighted_pipeline_typed_trans(PG_FUNCTION_ARGS)
{
	return call_with_enum_type(fcinfo, crm_weighted_pipeline_trans, 2);
}
