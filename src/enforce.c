/*
 * enforce.c
 *		The crm_sales.enforce_transition() trigger: stage rules of a model
 *		enforced on INSERT and UPDATE, accepted moves recorded in
 *		crm_sales.stage_history (through history.c).
 *
 * Usage (crm_sales.enforce_stages() creates both triggers in one step):
 *	 CREATE TRIGGER stage_check BEFORE INSERT OR UPDATE OF stage ON deals
 *		 FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
 *	 CREATE TRIGGER stage_history AFTER INSERT OR UPDATE OF stage ON deals
 *		 FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
 * Arguments: the stage column; the id column (without it moves are checked
 * but not recorded); a timestamptz column holding the move's effective time.
 *
 * The BEFORE trigger refuses an illegal move before the row is written.
 * The AFTER trigger sees exactly the rows written (not the proposed row of
 * an INSERT ... ON CONFLICT that did nothing or updated, nor a row a later
 * BEFORE trigger dropped), checks them again and records them.  A BEFORE
 * trigger records moves itself only when no such AFTER partner (same
 * function, same arguments, enabled, firing on the same event) is on the
 * table: the 0.1.0 form, whose history is exact only without upserts and
 * row-dropping triggers.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm_sales.h"

/* crm_sales.enforce_transitions: superuser-only switch for bulk imports */
bool		crm_enforce_transitions = true;

/* What one trigger remembers between rows (in fn_extra, per query). */
typedef struct TrigCache
{
	uint64		generation;		/* crm_cache_generation when filled */
	Oid			relid;
	AttrNumber	stage_attnum;
	AttrNumber	id_attnum;		/* 0: no history */
	AttrNumber	time_attnum;	/* 0: moves take the statement's time */
	Oid			id_typoutput;
	bool		partner_insert; /* BEFORE: an AFTER partner records inserts */
	bool		partner_update; /* ... and updates */
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
				 errhint("Usage: EXECUTE FUNCTION crm_sales.enforce_transition('stage_column', 'id_column', 'effective_time_column').")));
	return (AttrNumber) attnum;
}

/* Would trigger t fire now (enabled for this session_replication_role)? */
static bool
trigger_fires_now(const Trigger *t)
{
	if (t->tgenabled == TRIGGER_DISABLED)
		return false;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return t->tgenabled != TRIGGER_FIRES_ON_ORIGIN;
	return t->tgenabled != TRIGGER_FIRES_ON_REPLICA;
}

/* Do two triggers give the same arguments? */
static bool
same_arguments(const Trigger *a, const Trigger *b)
{
	int			i;

	if (a->tgnargs != b->tgnargs)
		return false;
	for (i = 0; i < a->tgnargs; i++)
		if (strcmp(a->tgargs[i], b->tgargs[i]) != 0)
			return false;
	return true;
}

/* Does trigger t fire on an UPDATE whose SET list names the stage column? */
static bool
fires_on_stage_update(const Trigger *t, AttrNumber stage_attnum)
{
	int			i;

	if (!TRIGGER_FOR_UPDATE(t->tgtype))
		return false;
	if (t->tgnattr == 0)
		return true;
	for (i = 0; i < t->tgnattr; i++)
		if (t->tgattr[i] == stage_attnum)
			return true;
	return false;
}

/*
 * For a BEFORE trigger: is there an AFTER ROW partner that records what it
 * accepts?  It calls the same function with the same arguments, is enabled
 * now and fires on INSERT (on an UPDATE of the stage column).  Its own
 * UPDATE OF list and WHEN condition then decide which moves are recorded:
 * a BEFORE trigger never records a move its partner may record too.
 */
static void
find_partner(TrigCache *c, TriggerData *td)
{
	TriggerDesc *trigdesc = td->tg_relation->trigdesc;
	const Trigger *me = td->tg_trigger;
	int			i;

	c->partner_insert = false;
	c->partner_update = false;
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || c->id_attnum == 0 || trigdesc == NULL)
		return;
	for (i = 0; i < trigdesc->numtriggers; i++)
	{
		const Trigger *t = &trigdesc->triggers[i];

		if (t->tgfoid != me->tgfoid || !TRIGGER_FOR_ROW(t->tgtype) ||
			!TRIGGER_FOR_AFTER(t->tgtype) || !trigger_fires_now(t) ||
			!same_arguments(t, me))
			continue;
		if (TRIGGER_FOR_INSERT(t->tgtype))
			c->partner_insert = true;
		if (fires_on_stage_update(t, c->stage_attnum))
			c->partner_update = true;
	}
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

	if (tg->tgnargs < 1 || tg->tgnargs > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm_sales.enforce_transition() takes one to three arguments, trigger \"%s\" on table \"%s\" gives %d",
						tg->tgname, RelationGetRelationName(rel), tg->tgnargs),
				 errhint("Usage: EXECUTE FUNCTION crm_sales.enforce_transition('stage_column', 'id_column', 'effective_time_column'); without the id column no history is recorded, without the time column moves take the statement's time.")));

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
	if (tg->tgnargs >= 2)
	{
		bool		isvarlena;

		c->id_attnum = trigger_column(rel, tg->tgargs[1], "id");
		getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), c->id_attnum - 1)->atttypid,
						  &c->id_typoutput, &isvarlena);
	}
	c->time_attnum = 0;
	if (tg->tgnargs == 3)
	{
		c->time_attnum = trigger_column(rel, tg->tgargs[2], "effective time");
		typid = TupleDescAttr(RelationGetDescr(rel), c->time_attnum - 1)->atttypid;
		if (typid != TIMESTAMPTZOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" named as the effective time column of crm_sales.enforce_transition() is of type %s",
							tg->tgargs[2], format_type_be(typid)),
					 errhint("Use a column of type timestamp with time zone (timestamptz).")));
	}
	find_partner(c, td);
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

/*
 * The effective time of the move: the row's time column when the writer
 * gave one (non-NULL and, on UPDATE, not the old row's value), else the
 * statement's time.  *given says which.
 */
static TimestampTz
move_time(TrigCache *c, TriggerData *td, HeapTuple newtup, bool is_insert,
		  bool *given)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	TimestampTz now = GetCurrentStatementStartTimestamp();
	bool		isnull,
				oldnull;
	Datum		v,
				old;

	*given = false;
	if (c->time_attnum == 0)
		return now;
	v = heap_getattr(newtup, c->time_attnum, desc, &isnull);
	if (isnull)
		return now;
	if (!is_insert)
	{
		old = heap_getattr(td->tg_trigtuple, c->time_attnum, desc, &oldnull);
		if (!oldnull && DatumGetTimestampTz(old) == DatumGetTimestampTz(v))
			return now;
	}
	*given = true;
	return DatumGetTimestampTz(v);
}

/*
 * Refuse an effective time the history cannot take: not finite, in the
 * future, or before the entity's last recorded move (history is a sequence
 * in time).  The look-up may reset the model cache: the caller holds no
 * model pointer across this call.
 */
static void
check_move_time(TrigCache *c, Relation rel, const char *id, Oid model,
				TimestampTz at, const char *from_name, const char *to_name)
{
	const char *column = NameStr(TupleDescAttr(RelationGetDescr(rel), c->time_attnum - 1)->attname);
	const char *idcol = NameStr(TupleDescAttr(RelationGetDescr(rel), c->id_attnum - 1)->attname);
	char	   *last_stage;
	TimestampTz last_at;

	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("effective time %s of a stage change is not a point in time",
						crm_time_text(at)),
				 errdetail("Column \"%s\" dates the move to \"%s\". Row: %s = %s.",
						   column, to_name, idcol, id),
				 errhint("Set \"%s\" to the time the move was made, or leave it unchanged to date the move now.", column),
				 errtablecol(rel, c->time_attnum)));
	if (at > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a stage change cannot be dated in the future"),
				 errdetail("Column \"%s\" dates the move to \"%s\" at %s. Row: %s = %s.",
						   column, to_name, crm_time_text(at), idcol, id),
				 errhint("Leave \"%s\" unchanged to date the move now, or check the clock of the client that set it.", column),
				 errtablecol(rel, c->time_attnum)));
	if (crm_history_last_move(RelationGetRelid(rel), id, model, &last_stage, &last_at) &&
		at < last_at)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a stage change cannot be dated before the row's last recorded move"),
				 errdetail("Column \"%s\" dates the move %sto \"%s\" at %s, but the row moved to \"%s\" at %s. Row: %s = %s.",
						   column, from_name ? psprintf("from \"%s\" ", from_name) : "",
						   to_name, crm_time_text(at), last_stage, crm_time_text(last_at),
						   idcol, id),
				 errhint("Date the move at or after %s, or leave \"%s\" unchanged to date it now.",
						 crm_time_text(last_at), column),
				 errtablecol(rel, c->time_attnum)));
}

/*
 * An accepted move of a row that is written (the AFTER form), or about to
 * be with no AFTER partner to record it (the 0.1.0 BEFORE form).  Every
 * move the trigger records goes through here once: the place for anything
 * that must follow a stage change, such as stage-entry rules.
 */
static void
move_accepted(const CrmMove *mv, Relation rel, HeapTuple newtup,
			  Oid from_enum, Oid to_enum)
{
	crm_history_record(mv);
	/* follow-up rules, idle clock, outbox: same transaction (automation.c) */
	crm_automation_on_move(rel, newtup, mv->model, from_enum, to_enum,
						   mv->entity_id);
}

PG_FUNCTION_INFO_V1(crm_enforce_transition);

/* BEFORE or AFTER INSERT OR UPDATE ... FOR EACH ROW trigger: see the file header. */
Datum
crm_enforce_transition(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TrigCache  *c;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		is_insert;
	bool		before;
	bool		newnull,
				oldnull = true;
	Datum		newval,
				oldval = (Datum) 0;
	int			from = TM_CREATION,
				to;
	char	   *id;
	Datum		result;
	CrmMove		mv;
	bool		time_given;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales.enforce_transition() must be called as a trigger"),
				 errhint("Create its triggers with crm_sales.enforce_stages(), or CREATE TRIGGER ... BEFORE INSERT OR UPDATE ... FOR EACH ROW.")));
	if (TRIGGER_FIRED_INSTEAD(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be a BEFORE or AFTER ... FOR EACH ROW trigger to use crm_sales.enforce_transition()",
						td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation)),
				 errhint("Recreate it with crm_sales.enforce_stages(), or as CREATE TRIGGER ... BEFORE INSERT OR UPDATE OF <stage column> ON ... FOR EACH ROW.")));
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		is_insert = true;
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		is_insert = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must fire on INSERT or UPDATE only to use crm_sales.enforce_transition()",
						td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation)),
				 errhint("Recreate it with crm_sales.enforce_stages(), or as CREATE TRIGGER ... BEFORE INSERT OR UPDATE OF <stage column> ON ... FOR EACH ROW.")));

	newtup = is_insert ? td->tg_trigtuple : td->tg_newtuple;
	before = TRIGGER_FIRED_BEFORE(td->tg_event);
	/* a BEFORE trigger returns the row to store; an AFTER trigger's result is ignored */
	result = before ? PointerGetDatum(newtup) : PointerGetDatum(NULL);
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
	if (id == NULL)
		return result;

	/*
	 * The move is legal.  From here on the cached model may be reset (the
	 * history look-up and write run SQL), so keep copies of what is needed.
	 */
	mv.relid = RelationGetRelid(rel);
	mv.entity_id = id;
	mv.model = c->model->typid;
	mv.from_stage = from == TM_CREATION ? NULL : pstrdup(c->model->names[from]);
	mv.to_stage = pstrdup(c->model->names[to]);
	mv.changed_by = GetUserNameFromId(GetUserId(), false);
	mv.changed_at = move_time(c, td, newtup, is_insert, &time_given);
	if (time_given && mv.changed_at != GetCurrentStatementStartTimestamp())
		check_move_time(c, rel, id, mv.model, mv.changed_at, mv.from_stage, mv.to_stage);
	else if (before && c->time_attnum != 0)
	{
		/* not given: the row gets the time the move is recorded with */
		int			attnum = c->time_attnum;
		Datum		v = TimestampTzGetDatum(mv.changed_at);
		bool		isnull = false;

		result = PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, 1, &attnum,
														   &v, &isnull));
	}

	if (!before || !(is_insert ? c->partner_insert : c->partner_update))
		move_accepted(&mv, rel, newtup,
					  oldnull ? InvalidOid : DatumGetObjectId(oldval),
					  DatumGetObjectId(newval));
	return result;
}
