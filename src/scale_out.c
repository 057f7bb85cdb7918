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
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "crm_sales.h"

/* the transition functions of funnel_agg(anyenum ...) and weighted_pipeline */
extern PGDLLEXPORT Datum crm_funnel_agg_enum(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum crm_weighted_pipeline_trans(PG_FUNCTION_ARGS);

/*
 * Citus's worker_partial_agg hands the transition function a new FmgrInfo
 * at every row, so nothing can be kept in its fn_extra.  What such call
 * sites need, the FmgrInfo passed on to the target (with an expression
 * carrying the argument types, and the target's own cache in its fn_extra),
 * is kept here per (function, enum type) until the next model invalidation
 * (crm_cache_generation), in a memory context of its own.
 */
typedef struct TypedCall
{
	Oid			fn_oid;			/* InvalidOid: free slot */
	Oid			enumtypid;
	uint64		generation;
	MemoryContext cxt;
	FmgrInfo	inner;
} TypedCall;

#define TYPED_CALLS 8
static TypedCall typed_calls[TYPED_CALLS];
static int	typed_calls_next = 0;

/* enum value OID -> enum type, a direct-mapped memo (values repeat a lot) */
#define ENUM_MEMO 64
static struct
{
	Oid			value;
	Oid			typid;
}			enum_memo[ENUM_MEMO];
static uint64 enum_memo_generation = 0;

/*
 * The enum type of enum value OID v.  The type is fixed for one call site,
 * but a value that is not an enum label at all can only come from a direct
 * call with a forged argument.
 */
static Oid
enum_type_of(Oid v)
{
	int			slot = v % ENUM_MEMO;
	HeapTuple	tup;
	Oid			typid;

	if (enum_memo_generation != crm_cache_generation)
	{
		memset(enum_memo, 0, sizeof(enum_memo));
		enum_memo_generation = crm_cache_generation;
	}
	if (enum_memo[slot].value == v && OidIsValid(v))
		return enum_memo[slot].typid;
	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(v));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("enum value with OID %u does not exist", v),
				 errhint("Pass a value of a model's enum type.")));
	typid = ((Form_pg_enum) GETSTRUCT(tup))->enumtypid;
	ReleaseSysCache(tup);
	enum_memo[slot].value = v;
	enum_memo[slot].typid = typid;
	return typid;
}

/*
 * The TypedCall of function outer->fn_oid over enum type enumtypid: found,
 * or made (replacing the oldest) with an FmgrInfo like outer whose
 * expression has the declared argument types, enum_arg's being enumtypid.
 * One left from before a model invalidation is emptied and made again.
 */
static TypedCall *
typed_call(FmgrInfo *outer, int enum_arg, Oid enumtypid)
{
	TypedCall  *tc = NULL;
	MemoryContext old;
	Oid		   *argtypes;
	int			nargs;
	Oid			rettype;
	List	   *args = NIL;
	int			i;

	for (i = 0; i < TYPED_CALLS; i++)
		if (typed_calls[i].fn_oid == outer->fn_oid && typed_calls[i].enumtypid == enumtypid)
		{
			tc = &typed_calls[i];
			if (tc->generation == crm_cache_generation)
				return tc;
			break;
		}
	if (tc == NULL)
	{
		tc = &typed_calls[typed_calls_next];
		typed_calls_next = (typed_calls_next + 1) % TYPED_CALLS;
	}
	if (tc->cxt == NULL)
		tc->cxt = AllocSetContextCreate(TopMemoryContext, "crm_sales typed aggregate call",
										ALLOCSET_SMALL_SIZES);
	MemoryContextReset(tc->cxt);
	tc->fn_oid = InvalidOid;	/* unusable until complete */

	old = MemoryContextSwitchTo(tc->cxt);
	rettype = get_func_signature(outer->fn_oid, &argtypes, &nargs);
	for (i = 0; i < nargs; i++)
		args = lappend(args, makeNullConst(i == enum_arg ? enumtypid : argtypes[i],
										   -1, InvalidOid));
	tc->inner = *outer;
	tc->inner.fn_extra = NULL;
	tc->inner.fn_mcxt = tc->cxt;
	tc->inner.fn_expr = (Node *) makeFuncExpr(outer->fn_oid, rettype, args,
											  InvalidOid, InvalidOid,
											  COERCE_EXPLICIT_CALL);
	MemoryContextSwitchTo(old);
	tc->enumtypid = enumtypid;
	tc->generation = crm_cache_generation;
	tc->fn_oid = outer->fn_oid;
	return tc;
}

/*
 * Call target (a transition function that reads the type of its enum
 * argument enum_arg with get_fn_expr_argtype) with fcinfo's arguments.  When
 * the call site has an expression tree (PostgreSQL's own executor) the
 * target reads the types from it; otherwise (Citus's worker_partial_agg)
 * it gets the FmgrInfo of typed_call.  A row with a NULL enum value needs
 * no type: the targets skip it without looking at the type or fn_extra.
 */
static Datum
call_with_enum_type(FunctionCallInfo fcinfo, PGFunction target, int enum_arg)
{
	FmgrInfo   *outer = fcinfo->flinfo;
	TypedCall  *tc;
	Datum		result;

	if (outer->fn_expr != NULL || PG_ARGISNULL(enum_arg))
		return target(fcinfo);
	tc = typed_call(outer, enum_arg, enum_type_of(PG_GETARG_OID(enum_arg)));
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
