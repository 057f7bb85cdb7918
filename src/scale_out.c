/*
 * scale_out.c
 *		Glue for running crm_sales on a Citus cluster: transition functions
 *		of the aggregates over one model's own enum type, and the trigger
 *		that records the stage history of a distributed table.
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
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

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

/* ---- stage history of distributed tables ---- */

/*
 * The saved INSERT into one distributed history table, per history table
 * and entity-key type: kept for the backend's life (the plan cache
 * revalidates it after DDL); at most HISTORY_PLANS tables.
 */
typedef struct HistoryPlan
{
	Oid			history_relid;	/* InvalidOid: free slot */
	Oid			key_type;
	SPIPlanPtr	plan;
} HistoryPlan;

#define HISTORY_PLANS 16
#define HISTORY_ARGS 8
static HistoryPlan history_plans[HISTORY_PLANS];
static int	history_plans_next = 0;

/* The history table named by a trigger argument, or a clear error. */
static Oid
history_table_oid(const char *name, Relation rel)
{
	List	   *names = stringToQualifiedNameList(name);
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("history table \"%s\" of table \"%s\" does not exist",
						name, RelationGetRelationName(rel)),
				 errhint("Create it and the trigger with crm_sales.distribute_history().")));
	return relid;
}

/*
 * The saved INSERT of a history row into history_relid, whose entity_key
 * column has type key_type.
 */
static SPIPlanPtr
history_plan(Oid history_relid, Oid key_type)
{
	HistoryPlan *hp = NULL;
	Oid			argtypes[HISTORY_ARGS] = {key_type, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID};
	char	   *query;
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < HISTORY_PLANS; i++)
		if (history_plans[i].history_relid == history_relid &&
			history_plans[i].key_type == key_type)
			return history_plans[i].plan;

	query = psprintf("INSERT INTO %s (entity_key, table_name, entity_id, model,"
					 " from_stage, to_stage, changed_at, changed_by)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(history_relid)),
												get_rel_name(history_relid)));
	plan = SPI_prepare(query, HISTORY_ARGS, argtypes);
	if (plan == NULL)
		elog(ERROR, "crm_sales: preparing the insert into the distributed history failed: %s",
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);

	hp = &history_plans[history_plans_next];
	history_plans_next = (history_plans_next + 1) % HISTORY_PLANS;
	if (hp->plan != NULL)
		SPI_freeplan(hp->plan);
	hp->history_relid = history_relid;
	hp->key_type = key_type;
	hp->plan = plan;
	return plan;
}

/* Column number of a trigger argument naming a column, or a clear error. */
static AttrNumber
record_column(Relation rel, const char *colname, const char *role)
{
	int			attnum = SPI_fnumber(RelationGetDescr(rel), colname);

	if (attnum == SPI_ERROR_NOATTRIBUTE || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" named as the %s column of crm_sales._distributed_history_record() does not exist in table \"%s\"",
						colname, role, RelationGetRelationName(rel)),
				 errhint("Create the trigger with crm_sales.distribute_history().")));
	return (AttrNumber) attnum;
}

/*
 * AFTER INSERT OR UPDATE row trigger _distributed_history_record(stage
 * column, id column, history table, entity table name), made by
 * crm_sales.distribute_history() on a Citus distributed table: records each
 * stage change of a row written (a creation with a stage, or a changed
 * stage) in the history table, which is distributed by the entity's key
 * and co-located with the entity table, so on a worker the row goes to the
 * shard next to the entity's.  Checking the move is enforce_transition's
 * job (a BEFORE trigger); this one only records, as the owner of the
 * entity table, in a security-restricted operation with search_path pinned.
 */
PG_FUNCTION_INFO_V1(crm_distributed_history_record);
Datum
crm_distributed_history_record(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	Trigger    *tg;
	TupleDesc	desc;
	HeapTuple	newtup;
	AttrNumber	stage_att,
				id_att;
	Oid			enumtyp;
	CrmModel   *m;
	bool		newnull,
				oldnull = true,
				keynull;
	Datum		newval,
				oldval = (Datum) 0,
				key;
	Oid			key_type,
				typoutput,
				history_relid;
	bool		isvarlena;
	Datum		values[HISTORY_ARGS];
	char		nulls[HISTORY_ARGS];
	Oid			save_userid;
	int			save_sec,
				save_nestlevel,
				ret;
	SPIPlanPtr	plan;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales._distributed_history_record() must be an AFTER INSERT OR UPDATE ... FOR EACH ROW trigger"),
				 errhint("Create it with crm_sales.distribute_history().")));
	rel = td->tg_relation;
	tg = td->tg_trigger;
	if (tg->tgnargs != 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm_sales._distributed_history_record() takes four arguments, trigger \"%s\" on table \"%s\" gives %d",
						tg->tgname, RelationGetRelationName(rel), tg->tgnargs),
				 errhint("Create it with crm_sales.distribute_history().")));
	/* switched off for an import, as enforce_transition is */
	if (!crm_enforce_transitions)
		return PointerGetDatum(NULL);

	desc = RelationGetDescr(rel);
	stage_att = record_column(rel, tg->tgargs[0], "stage");
	id_att = record_column(rel, tg->tgargs[1], "id");
	enumtyp = crm_base_enum_type(TupleDescAttr(desc, stage_att - 1)->atttypid);
	m = OidIsValid(enumtyp) ? crm_model_lookup(enumtyp, true) : NULL;
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" is of type %s, which is not a crm_sales model",
						tg->tgargs[0], RelationGetRelationName(rel),
						format_type_be(TupleDescAttr(desc, stage_att - 1)->atttypid)),
				 errhint("Run crm_sales.apply_config_cluster_wide() on the coordinator, so that every node knows the model.")));

	newtup = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? td->tg_trigtuple : td->tg_newtuple;
	newval = heap_getattr(newtup, stage_att, desc, &newnull);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		oldval = heap_getattr(td->tg_trigtuple, stage_att, desc, &oldnull);
	/* no stage, or the same stage: nothing to record */
	if (newnull || (!oldnull && DatumGetObjectId(oldval) == DatumGetObjectId(newval)))
		return PointerGetDatum(NULL);

	key = heap_getattr(newtup, id_att, desc, &keynull);
	if (keynull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("id column \"%s\" is NULL, so the stage change cannot be recorded",
						tg->tgargs[1]),
				 errhint("Give every row an id: on Citus it is the distribution column, which must not be NULL."),
				 errtablecol(rel, id_att)));
	key_type = TupleDescAttr(desc, id_att - 1)->atttypid;
	getTypeOutputInfo(key_type, &typoutput, &isvarlena);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = key;
	values[1] = CStringGetTextDatum(tg->tgargs[3]);
	values[2] = CStringGetTextDatum(OidOutputFunctionCall(typoutput, key));
	values[3] = CStringGetTextDatum(format_type_be_qualified(m->typid));
	if (oldnull)
	{
		values[4] = (Datum) 0;
		nulls[4] = 'n';
	}
	else
		values[4] = CStringGetTextDatum(m->names[crm_stage_index_checked(m, DatumGetObjectId(oldval))]);
	values[5] = CStringGetTextDatum(m->names[crm_stage_index_checked(m, DatumGetObjectId(newval))]);
	values[6] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	values[7] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(rel->rd_rel->relowner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* under the pinned search_path: the name must be schema-qualified */
	history_relid = history_table_oid(tg->tgargs[2], rel);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	plan = history_plan(history_relid, key_type);
	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "crm_sales: inserting into the distributed history failed: %s",
			 SPI_result_code_string(ret));
	SPI_finish();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	return PointerGetDatum(NULL);
}
