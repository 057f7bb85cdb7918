/*
 * enforce.c
 *		The crm_sales.enforce_transition() trigger: stage rules of a model
 *		enforced on INSERT and UPDATE, accepted moves recorded in
 *		crm_sales.stage_history.
 *
 * Usage:
 *	 CREATE TRIGGER t BEFORE INSERT OR UPDATE OF stage ON deals FOR EACH ROW
 *		 EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
 * With one argument (no id column) moves are checked but not recorded.
 *
 * As a BEFORE trigger (the usual form) it sees the row before it is stored:
 * cheapest, but a row that is then not stored after all (INSERT ... ON
 * CONFLICT, a later BEFORE trigger returning NULL) has already been checked
 * as a creation and recorded.  As an AFTER ROW trigger it sees exactly the
 * rows written, so history is exact with upserts; the README explains when
 * to use which.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "crm_sales.h"

/* crm_sales.enforce_transitions: superuser-only switch for bulk imports */
bool		crm_enforce_transitions = true;

/* the saved INSERT into crm_sales.stage_history */
static SPIPlanPtr history_plan = NULL;

/* What one trigger remembers between rows (in fn_extra, per query). */
typedef struct TrigCache
{
	uint64		generation;		/* crm_cache_generation when filled */
	Oid			relid;
	AttrNumber	stage_attnum;
	AttrNumber	id_attnum;		/* 0: no history */
	Oid			id_typoutput;
	Oid			history_relid;	/* crm_sales.stage_history, found at first use */
	CrmModel   *model;
} TrigCache;

/* Define the settings of this file. */
void
crm_enforce_init(void)
{
	DefineCustomBoolVariable("crm_sales.enforce_transitions",
							 "Enforce stage models in crm_sales.enforce_transition() triggers.",
							 "Superusers may turn this off for bulk historical imports; "
							 "while off, triggers neither check moves nor record history.",
							 &crm_enforce_transitions,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/* Column number of a trigger argument naming a column, or a clear error. */
static AttrNumber
trigger_column(Relation rel, const char *colname, const char *role)
{
	int			attnum = SPI_fnumber(RelationGetDescr(rel), colname);

	if (attnum == SPI_ERROR_NOATTRIBUTE || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" named as the %s column of crm_sales.enforce_transition() does not exist in table \"%s\"",
						colname, role, RelationGetRelationName(rel)),
				 errhint("Usage: EXECUTE FUNCTION crm_sales.enforce_transition('stage_column', 'id_column').")));
	return (AttrNumber) attnum;
}

/* Check how the trigger was defined and fill the per-query cache. */
static TrigCache *
trigger_setup(FunctionCallInfo fcinfo, TriggerData *td)
{
	TrigCache  *c = (TrigCache *) fcinfo->flinfo->fn_extra;
	Relation	rel = td->tg_relation;
	Trigger    *tg = td->tg_trigger;
	Oid			typid;
	Oid			enumtyp;

	if (c != NULL && c->generation == crm_cache_generation &&
		c->relid == RelationGetRelid(rel))
		return c;

	if (tg->tgnargs < 1 || tg->tgnargs > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm_sales.enforce_transition() takes one or two arguments, trigger \"%s\" on table \"%s\" gives %d",
						tg->tgname, RelationGetRelationName(rel), tg->tgnargs),
				 errhint("Usage: EXECUTE FUNCTION crm_sales.enforce_transition('stage_column', 'id_column'); without the id column no history is recorded.")));

	if (c == NULL)
	{
		/* first row of this statement: take in model changes committed since */
		AcceptInvalidationMessages();
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TrigCache));
		fcinfo->flinfo->fn_extra = c;
	}
	c->relid = RelationGetRelid(rel);
	c->stage_attnum = trigger_column(rel, tg->tgargs[0], "stage");
	typid = TupleDescAttr(RelationGetDescr(rel), c->stage_attnum - 1)->atttypid;
	enumtyp = crm_base_enum_type(typid);
	c->model = OidIsValid(enumtyp) ? crm_model_lookup(enumtyp, true) : NULL;
	if (c->model == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" is of type %s, which is not a crm_sales model",
						tg->tgargs[0], RelationGetRelationName(rel), format_type_be(typid)),
				 errhint("The stage column must be of a model's enum type, such as crm_sales.sales_stage; register an enum with crm_sales.register_model().")));

	c->id_attnum = 0;
	if (tg->tgnargs == 2)
	{
		bool		isvarlena;

		c->id_attnum = trigger_column(rel, tg->tgargs[1], "id");
		getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), c->id_attnum - 1)->atttypid,
						  &c->id_typoutput, &isvarlena);
	}
	c->generation = crm_cache_generation;
	return c;
}

/* The entity id of a row as text, or NULL if the trigger has no id column. */
static char *
row_id(TrigCache *c, Relation rel, HeapTuple tuple)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool		isnull;
	Datum		v;

	if (c->id_attnum == 0)
		return NULL;
	v = heap_getattr(tuple, c->id_attnum, desc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("id column \"%s\" is NULL, so the stage change cannot be recorded",
						NameStr(TupleDescAttr(desc, c->id_attnum - 1)->attname)),
				 errhint("Give every row an id, or create the trigger without the id column to skip history; an id computed by a generated column is only known to an AFTER ROW trigger."),
				 errtablecol(rel, c->id_attnum)));
	return OidOutputFunctionCall(c->id_typoutput, v);
}

/* errdetail text naming the row, "" when there is no id. */
static char *
row_words(TrigCache *c, TupleDesc desc, const char *id)
{
	if (id == NULL)
		return "";
	return psprintf(" Row: %s = %s.",
					NameStr(TupleDescAttr(desc, c->id_attnum - 1)->attname), id);
}

/* Refuse a move that the model does not allow. */
static void
refuse_move(TrigCache *c, Relation rel, int from, int to, const char *id)
{
	CrmModel   *m = c->model;
	TupleDesc	desc = RelationGetDescr(rel);

	if (from == TM_CREATION)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a row cannot be created in stage \"%s\"", m->names[to]),
				 errdetail("Model %s allows creation in: %s.%s",
						   m->name, crm_targets_text(m, from), row_words(c, desc, id)),
				 errhint("Insert the row in one of those stages, or allow it with crm_sales.allow_transition('%s', NULL, '%s').",
						 m->name, m->names[to]),
				 errtablecol(rel, c->stage_attnum)));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("stage transition from \"%s\" to \"%s\" is not allowed",
					m->names[from], m->names[to]),
			 tm_targets(&m->matrix, from, NULL, 0) == 0
			 ? errdetail("Model %s allows no move from \"%s\".%s",
						 m->name, m->names[from], row_words(c, desc, id))
			 : errdetail("Model %s allows from \"%s\": %s.%s",
						 m->name, m->names[from], crm_targets_text(m, from),
						 row_words(c, desc, id)),
			 errhint("Move the row through an allowed stage, or change the model with crm_sales.allow_transition()."),
			 errtablecol(rel, c->stage_attnum)));
}

/* Check that the columns the move requires are set in the new row. */
static void
check_required(TrigCache *c, Relation rel, HeapTuple newtup, int from, int to,
			   const char *id)
{
	CrmModel   *m = c->model;
	CrmRequired req = crm_required_columns(m, from, to);
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (req == NULL)
		return;
	for (i = 0; req[i] != NULL; i++)
	{
		int			attnum = SPI_fnumber(desc, req[i]);

		if (attnum == SPI_ERROR_NOATTRIBUTE || attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\", required by model %s to enter stage \"%s\", does not exist in table \"%s\"",
							req[i], m->name, m->names[to], RelationGetRelationName(rel)),
					 errhint("Fix the model with crm_sales.require_columns(), or add the column.")));
		if (heap_attisnull(newtup, attnum, desc))
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"%s\" must not be NULL to enter stage \"%s\"",
							req[i], m->names[to]),
					 from == TM_CREATION
					 ? errdetail("Model %s requires it to create a row in \"%s\".%s",
								 m->name, m->names[to], row_words(c, desc, id))
					 : errdetail("Model %s requires it for the move from \"%s\" to \"%s\".%s",
								 m->name, m->names[from], m->names[to],
								 row_words(c, desc, id)),
					 errhint("Set \"%s\" in the same statement that changes \"%s\".",
							 req[i], NameStr(TupleDescAttr(desc, c->stage_attnum - 1)->attname)),
					 errtablecol(rel, attnum)));
	}
}

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

/* identity sequence of stage_history.id, looked up once per history table */
static Oid	history_seq_rel = InvalidOid;
static Oid	history_seq = InvalidOid;

/*
 * May the history row go straight to the heap and its indexes?  Only when
 * the table is exactly as the install script made it, with no trigger, rule
 * or row security a user may have added, and only indexes that are checked
 * at once (no deferred unique or exclusion constraint, which would need the
 * executor's after-trigger queue).  Otherwise the SPI path runs the INSERT.
 */
static bool
history_is_plain(Relation hrel)
{
	TupleDesc	desc = RelationGetDescr(hrel);
	int			i;

	if (hrel->trigdesc != NULL || hrel->rd_rules != NULL ||
		hrel->rd_rel->relrowsecurity ||
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
history_insert_direct(Oid history_relid, Datum *values, bool *nulls)
{
#if PG_VERSION_NUM >= 140000
	Relation	hrel = table_open(history_relid, RowExclusiveLock);
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

	if (history_seq_rel != history_relid)
	{
#if PG_VERSION_NUM >= 170000
		history_seq = getIdentitySequence(hrel, 1, false);
#else
		history_seq = getIdentitySequence(history_relid, 1, false);
#endif
		history_seq_rel = history_relid;
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

/* The general path: the saved INSERT through SPI (fires triggers, RLS, ...). */
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
	if (history_plan == NULL)
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
		history_plan = plan;
	}
	ret = SPI_execute_plan(history_plan, values, spi_nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "crm_sales: inserting into crm_sales.stage_history failed: %s",
			 SPI_result_code_string(ret));
	SPI_finish();
}

/*
 * Append one row to crm_sales.stage_history, as the owner of that table
 * (like the RI triggers), so that writers of the entity table need no
 * privilege on the history and cannot forge it.  A plain history table gets
 * the row directly, which saves SPI's plan and executor set-up (about a
 * sixth of the history cost; the two index inserts are most of the rest);
 * one a user has given triggers, rules or row security goes through SPI.
 */
static void
record_history(TrigCache *c, Relation rel, int from, int to, const char *id)
{
	CrmModel   *m = c->model;
	Datum		values[HISTORY_NATTS - 1];
	bool		nulls[HISTORY_NATTS - 1] = {false, false, false, false, false, false, false};
	char	   *changed_by = GetUserNameFromId(GetUserId(), false);
	Oid			save_userid;
	int			save_sec;
	Oid			history_relid;
	Oid			owner;
	HeapTuple	reltup;

	/* looked up by name once per statement, not per row */
	if (!OidIsValid(c->history_relid))
		c->history_relid = get_relname_relid("stage_history",
											 get_namespace_oid("crm_sales", false));
	history_relid = c->history_relid;
	reltup = OidIsValid(history_relid)
		? SearchSysCache1(RELOID, ObjectIdGetDatum(history_relid)) : NULL;
	if (!HeapTupleIsValid(reltup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table crm_sales.stage_history does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION crm_sales; CREATE EXTENSION crm_sales.")));
	owner = ((Form_pg_class) GETSTRUCT(reltup))->relowner;
	ReleaseSysCache(reltup);

	values[0] = ObjectIdGetDatum(RelationGetRelid(rel));
	values[1] = CStringGetTextDatum(id);
	values[2] = ObjectIdGetDatum(m->typid);
	if (from == TM_CREATION)
	{
		values[3] = (Datum) 0;
		nulls[3] = true;
	}
	else
		values[3] = CStringGetTextDatum(m->names[from]);
	values[4] = CStringGetTextDatum(m->names[to]);
	values[5] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	values[6] = DirectFunctionCall1(namein, CStringGetDatum(changed_by));

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (!history_insert_direct(history_relid, values, nulls))
		history_insert_spi(values, nulls);
	SetUserIdAndSecContext(save_userid, save_sec);
}

PG_FUNCTION_INFO_V1(crm_enforce_transition);

/* BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger: see the file header. */
Datum
crm_enforce_transition(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TrigCache  *c;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		is_insert;
	bool		newnull,
				oldnull = true;
	Datum		newval,
				oldval = (Datum) 0;
	int			from = TM_CREATION,
				to;
	char	   *id;
	Datum		result;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales.enforce_transition() must be called as a trigger"),
				 errhint("Use it in CREATE TRIGGER ... BEFORE INSERT OR UPDATE ... FOR EACH ROW.")));
	if (TRIGGER_FIRED_INSTEAD(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be a BEFORE or AFTER ... FOR EACH ROW trigger to use crm_sales.enforce_transition()",
						td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation)),
				 errhint("Recreate it as CREATE TRIGGER ... BEFORE INSERT OR UPDATE OF <stage column> ON ... FOR EACH ROW.")));
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		is_insert = true;
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		is_insert = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must fire on INSERT or UPDATE only to use crm_sales.enforce_transition()",
						td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation)),
				 errhint("Recreate it as CREATE TRIGGER ... BEFORE INSERT OR UPDATE OF <stage column> ON ... FOR EACH ROW.")));

	newtup = is_insert ? td->tg_trigtuple : td->tg_newtuple;
	/* a BEFORE trigger returns the row to store; an AFTER trigger's result is ignored */
	result = TRIGGER_FIRED_BEFORE(td->tg_event) ? PointerGetDatum(newtup) : PointerGetDatum(NULL);
	/* switched off for an import: not even the model is looked at */
	if (!crm_enforce_transitions)
		return result;
	c = trigger_setup(fcinfo, td);

	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	newval = heap_getattr(newtup, c->stage_attnum, desc, &newnull);
	if (!is_insert)
		oldval = heap_getattr(td->tg_trigtuple, c->stage_attnum, desc, &oldnull);

	if (newnull)
	{
		/* no stage yet is fine; losing the stage a row had is not */
		if (oldnull)
			return result;
		from = crm_stage_index_checked(c->model, DatumGetObjectId(oldval));
		id = row_id(c, rel, newtup);
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("stage column \"%s\" cannot be set back to NULL",
						NameStr(TupleDescAttr(desc, c->stage_attnum - 1)->attname)),
				 errdetail("The row is in stage \"%s\" of model %s.%s",
						   c->model->names[from], c->model->name, row_words(c, desc, id)),
				 errhint("Move it to another stage, such as a lost one, instead."),
				 errtablecol(rel, c->stage_attnum)));
	}

	if (!oldnull && DatumGetObjectId(oldval) == DatumGetObjectId(newval))
		return result;

	to = crm_stage_index_checked(c->model, DatumGetObjectId(newval));
	if (!oldnull)
		from = crm_stage_index_checked(c->model, DatumGetObjectId(oldval));
	id = row_id(c, rel, newtup);

	if (!tm_allowed(&c->model->matrix, from, to))
		refuse_move(c, rel, from, to, id);
	check_required(c, rel, newtup, from, to, id);
	/* last: nothing above may use the cached model after this (see stage_model.c) */
	if (id != NULL)
	{
		Oid			model = c->model->typid;

		record_history(c, rel, from, to, id);
		/* follow-up rules, idle clock, outbox: same transaction (automation.c) */
		crm_automation_on_move(rel, newtup, model,
							   oldnull ? InvalidOid : DatumGetObjectId(oldval),
							   DatumGetObjectId(newval), id);
	}

	return result;
}
