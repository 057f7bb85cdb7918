/*
 * history.c
 *		crm_sales.stage_history: the one place where accepted moves are
 *		written (crm_history_record), the look-up of an entity's last
 *		recorded move, and the row-security test that limits who reads the
 *		history (crm_sales.history_visible).
 *
 * Every access made to the history on a writer's behalf runs as the owner
 * of stage_history, inside a security-restricted operation, with
 * search_path pinned to "pg_catalog, pg_temp" and a GUC nest level that
 * undoes any setting changed meanwhile: the way PostgreSQL runs a table
 * owner's index expressions during maintenance.  A trigger, rule, CHECK
 * constraint or index expression an administrator puts on stage_history
 * then runs with the owner's rights but with none of the writer's settings,
 * so the writer cannot put its own functions or operators in their place.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "crm_sales.h"

/* The columns of crm_sales.stage_history, as the install script makes them */
#define HISTORY_NATTS 8
static const char *const history_columns[HISTORY_NATTS] = {
	"id", "table_name", "entity_id", "model", "from_stage", "to_stage",
	"changed_at", "changed_by"
};
static const Oid history_types[HISTORY_NATTS] = {
	INT8OID, REGCLASSOID, TEXTOID, REGTYPEOID, TEXTOID, TEXTOID,
	TIMESTAMPTZOID, NAMEOID
};

/* the search_path of every access to the history (PostgreSQL 17's choice) */
#define HISTORY_SEARCH_PATH "pg_catalog, pg_temp"

/* crm_sales.stage_history and its schema, found at first use */
static Oid	history_nsp = InvalidOid;
static Oid	history_relid = InvalidOid;

/* identity sequence of stage_history.id, looked up once per history table */
static Oid	history_seq_rel = InvalidOid;
static Oid	history_seq = InvalidOid;

/* saved plans: the general-path INSERT and the last-move look-up */
static SPIPlanPtr history_insert_plan = NULL;
static SPIPlanPtr last_move_plan = NULL;

/* The writer's identity and settings while the history is accessed */
typedef struct HistoryAccess
{
	Oid			relid;			/* crm_sales.stage_history */
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} HistoryAccess;

/*
 * OID and owner of crm_sales.stage_history, or a clear error.  The OID is
 * kept for the backend and checked against the catalog at every use, so a
 * dropped and re-created extension is found again.
 */
static Oid
history_relation(Oid *owner)
{
	HeapTuple	tup;

	if (OidIsValid(history_relid))
	{
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(history_relid));
		if (HeapTupleIsValid(tup))
		{
			Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

			if (form->relnamespace == history_nsp &&
				strcmp(NameStr(form->relname), "stage_history") == 0)
			{
				*owner = form->relowner;
				ReleaseSysCache(tup);
				return history_relid;
			}
			ReleaseSysCache(tup);
		}
	}
	history_nsp = get_namespace_oid("crm_sales", true);
	history_relid = OidIsValid(history_nsp)
		? get_relname_relid("stage_history", history_nsp) : InvalidOid;
	tup = OidIsValid(history_relid)
		? SearchSysCache1(RELOID, ObjectIdGetDatum(history_relid)) : NULL;
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table crm_sales.stage_history does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION crm_sales; CREATE EXTENSION crm_sales.")));
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return history_relid;
}

/*
 * Become the owner of stage_history, in a security-restricted operation
 * with search_path pinned (see the file header).  An error before
 * history_access_end() is cleaned up by the (sub)transaction abort, which
 * restores the user, the security context and the settings.
 */
static void
history_access_begin(HistoryAccess *a)
{
	Oid			owner;

	a->relid = history_relation(&owner);
	GetUserIdAndSecContext(&a->save_userid, &a->save_sec_context);
	SetUserIdAndSecContext(owner, a->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	a->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", HISTORY_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* Back to the writer: its settings, user and security context. */
static void
history_access_end(HistoryAccess *a)
{
	AtEOXact_GUC(false, a->save_nestlevel);
	SetUserIdAndSecContext(a->save_userid, a->save_sec_context);
}

/*
 * May the history row go straight to the heap and its indexes?  Only when
 * the table is exactly as the install script made it, with no trigger or
 * rule a user may have added and no row security that applies to its
 * owner (the row is written as the owner, whom policies bind only under
 * FORCE ROW LEVEL SECURITY), and only indexes that are checked at once (no
 * deferred unique or exclusion constraint, which would need the executor's
 * after-trigger queue).  Otherwise the SPI path runs the INSERT.
 */
static bool
history_is_plain(Relation hrel)
{
	TupleDesc	desc = RelationGetDescr(hrel);
	int			i;

	if (hrel->trigdesc != NULL || hrel->rd_rules != NULL ||
		hrel->rd_rel->relforcerowsecurity ||
		hrel->rd_rel->relkind != RELKIND_RELATION ||
		desc->natts != HISTORY_NATTS ||
		(desc->constr != NULL && desc->constr->has_generated_stored))
		return false;
	for (i = 0; i < HISTORY_NATTS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != history_types[i] ||
			strcmp(NameStr(att->attname), history_columns[i]) != 0)
			return false;
	}
	return TupleDescAttr(desc, 0)->attidentity == ATTRIBUTE_IDENTITY_BY_DEFAULT;
}

/*
 * Insert the history row without SPI: heap insert, constraints and index
 * entries, as the executor would.  Returns false, having written nothing,
 * when the table is not plain (see history_is_plain).  values[] and nulls[]
 * hold columns 2..8; the id comes from the identity sequence.
 */
static bool
history_insert_direct(Oid relid, Datum *values, bool *nulls)
{
#if PG_VERSION_NUM >= 140000
	Relation	hrel = table_open(relid, RowExclusiveLock);
	ResultRelInfo *rri;
	EState	   *estate;
	TupleTableSlot *slot;
	int			i;

	if (!history_is_plain(hrel))
	{
		table_close(hrel, NoLock);
		return false;
	}
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, hrel, 0, NULL, 0);
	ExecOpenIndices(rri, false);
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		if (!rri->ri_IndexRelationDescs[i]->rd_index->indimmediate ||
			rri->ri_IndexRelationInfo[i]->ii_ExclusionOps != NULL)
		{
			ExecCloseIndices(rri);
			table_close(hrel, NoLock);
			return false;
		}
	}

	if (history_seq_rel != relid)
	{
#if PG_VERSION_NUM >= 170000
		history_seq = getIdentitySequence(hrel, 1, false);
#else
		history_seq = getIdentitySequence(relid, 1, false);
#endif
		history_seq_rel = relid;
	}

	estate = CreateExecutorState();
	slot = MakeSingleTupleTableSlot(RelationGetDescr(hrel), &TTSOpsVirtual);
	ExecClearTuple(slot);
	slot->tts_values[0] = Int64GetDatum(nextval_internal(history_seq, false));
	slot->tts_isnull[0] = false;
	for (i = 1; i < HISTORY_NATTS; i++)
	{
		slot->tts_values[i] = values[i - 1];
		slot->tts_isnull[i] = nulls[i - 1];
	}
	ExecStoreVirtualTuple(slot);

	ExecConstraints(rri, slot, estate);
	table_tuple_insert(hrel, slot, GetCurrentCommandId(true), 0, NULL);
#if PG_VERSION_NUM >= 160000
	ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL, false);
#else
	ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
#endif

	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	ExecCloseIndices(rri);
	table_close(hrel, NoLock);
	return true;
#else
	return false;
#endif
}

/* The general path: the saved INSERT through SPI (fires triggers, rules, ...). */
static void
history_insert_spi(Datum *values, bool *nulls)
{
	char		spi_nulls[HISTORY_NATTS - 1];
	int			ret;
	int			i;

	for (i = 0; i < HISTORY_NATTS - 1; i++)
		spi_nulls[i] = nulls[i] ? 'n' : ' ';
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	if (history_insert_plan == NULL)
	{
		Oid			argtypes[HISTORY_NATTS - 1] = {REGCLASSOID, TEXTOID, REGTYPEOID,
		TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO crm_sales.stage_history"
						   " (table_name, entity_id, model, from_stage, to_stage,"
						   "  changed_at, changed_by)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7)",
						   HISTORY_NATTS - 1, argtypes);
		if (plan == NULL)
			elog(ERROR, "crm_sales: preparing the history insert failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		history_insert_plan = plan;
	}
	ret = SPI_execute_plan(history_insert_plan, values, spi_nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "crm_sales: inserting into crm_sales.stage_history failed: %s",
			 SPI_result_code_string(ret));
	SPI_finish();
}

/*
 * Append one accepted move to crm_sales.stage_history, as the owner of that
 * table (like the RI triggers), so that writers of the entity table need no
 * privilege on the history and cannot forge it.  A plain history table gets
 * the row directly, which saves SPI's plan and executor set-up; one a user
 * has given triggers, rules or forced row security goes through SPI.  The
 * strings of *mv are copied before anything runs, so they may point into
 * the model cache.
 */
void
crm_history_record(const CrmMove *mv)
{
	Datum		values[HISTORY_NATTS - 1];
	bool		nulls[HISTORY_NATTS - 1] = {false, false, false, false, false, false, false};
	HistoryAccess a;

	values[0] = ObjectIdGetDatum(mv->relid);
	values[1] = CStringGetTextDatum(mv->entity_id);
	values[2] = ObjectIdGetDatum(mv->model);
	if (mv->from_stage == NULL)
	{
		values[3] = (Datum) 0;
		nulls[3] = true;
	}
	else
		values[3] = CStringGetTextDatum(mv->from_stage);
	values[4] = CStringGetTextDatum(mv->to_stage);
	values[5] = TimestampTzGetDatum(mv->changed_at);
	values[6] = DirectFunctionCall1(namein, CStringGetDatum(mv->changed_by));

	history_access_begin(&a);
	if (!history_insert_direct(a.relid, values, nulls))
		history_insert_spi(values, nulls);
	history_access_end(&a);
}

/*
 * The last recorded move of an entity in a model: false if it has none,
 * else true with its stage and time (palloc'd in the caller's context).
 * Read as the history's owner (row security does not hide it) under the
 * latest snapshot, so a move committed by a transaction this one waited
 * for is seen.  May process invalidations: cached model pointers held by
 * the caller must be looked up again afterwards.
 */
bool
crm_history_last_move(Oid relid, const char *entity_id, Oid model,
					  char **to_stage, TimestampTz *changed_at)
{
	MemoryContext caller = CurrentMemoryContext;
	HistoryAccess a;
	Datum		args[3];
	int			ret;
	bool		found = false;

	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(entity_id);
	args[2] = ObjectIdGetDatum(model);

	history_access_begin(&a);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	if (last_move_plan == NULL)
	{
		Oid			argtypes[3] = {REGCLASSOID, TEXTOID, REGTYPEOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT h.to_stage, h.changed_at"
						   " FROM crm_sales.stage_history h"
						   " WHERE h.table_name OPERATOR(pg_catalog.=) $1"
						   "   AND h.entity_id OPERATOR(pg_catalog.=) $2"
						   "   AND h.model OPERATOR(pg_catalog.=) $3"
						   " ORDER BY h.changed_at DESC, h.id DESC LIMIT 1",
						   3, argtypes);
		if (plan == NULL)
			elog(ERROR, "crm_sales: preparing the last-move look-up failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		last_move_plan = plan;
	}
	ret = SPI_execute_snapshot(last_move_plan, args, NULL, GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "crm_sales: reading the last move failed: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		*to_stage = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 1));
		*changed_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		found = true;
	}
	SPI_finish();
	history_access_end(&a);
	return found;
}

/*
 * Per-statement memory of crm_sales.history_visible(): the verdicts for the
 * last few tables, for one user.  History rows come from few tables, so a
 * short list answers nearly every row without a catalog look-up.
 */
#define VISIBLE_SLOTS 16
typedef struct VisibleCache
{
	Oid			userid;
	int			n;
	int			next;			/* slot to replace once the list is full */
	Oid			relid[VISIBLE_SLOTS];
	bool		visible[VISIBLE_SLOTS];
} VisibleCache;

PG_FUNCTION_INFO_V1(crm_history_visible);

/*
 * history_visible(regclass): may the current user SELECT from this table?
 * The row-security policy of stage_history: a role sees the history of the
 * tables it may read, and nothing of a dropped table.
 */
Datum
crm_history_visible(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			userid = GetUserId();
	VisibleCache *vc = (VisibleCache *) fcinfo->flinfo->fn_extra;
	bool		is_missing = false;
	bool		visible;
	int			i;

	if (vc == NULL)
	{
		vc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VisibleCache));
		fcinfo->flinfo->fn_extra = vc;
	}
	if (vc->userid != userid)
	{
		vc->userid = userid;
		vc->n = 0;
		vc->next = 0;
	}
	for (i = 0; i < vc->n; i++)
		if (vc->relid[i] == relid)
			PG_RETURN_BOOL(vc->visible[i]);

	visible = pg_class_aclcheck_ext(relid, userid, ACL_SELECT, &is_missing) == ACLCHECK_OK &&
		!is_missing;
	if (vc->n < VISIBLE_SLOTS)
		i = vc->n++;
	else
	{
		i = vc->next;
		vc->next = (vc->next + 1) % VISIBLE_SLOTS;
	}
	vc->relid[i] = relid;
	vc->visible[i] = visible;
	PG_RETURN_BOOL(visible);
}
