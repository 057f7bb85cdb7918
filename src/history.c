/*
 * history.c
 *		crm_sales.stage_history: the one place where accepted moves are
 *		written (crm_history_record), the look-up of an entity's last
 *		recorded move, the row-security test that limits who reads the
 *		history (crm_sales.history_visible, with its planner support) and
 *		the checked import of historical moves (crm_sales.import_history).
 *
 * Every access made to the history on a writer's behalf runs as the owner
 * of stage_history, inside a security-restricted operation, with
 * search_path pinned to "pg_catalog, pg_temp" and a GUC nest level that
 * undoes any setting changed meanwhile: the way PostgreSQL runs a table
 * owner's index expressions during maintenance.  (The pinning is left out
 * only for a direct insert into a table whose write runs no SQL-level code,
 * history_runs_user_code(), where no setting can matter.)  A trigger, rule, CHECK
 * constraint or index expression an administrator puts on stage_history
 * then runs with the owner's rights but with none of the writer's settings,
 * so the writer cannot put its own functions or operators in their place.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/supportnodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

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
 * (see the file header).  An error before history_access_end() is cleaned
 * up by the (sub)transaction abort, which restores the user, the security
 * context and the settings.
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
	a->save_nestlevel = 0;
}

/*
 * Pin search_path (and open a GUC nest level that undoes whatever is set
 * meanwhile) before anything runs that may be SQL code: every SPI query,
 * and the direct insert when the table has code of its own.
 */
static void
history_pin_settings(HistoryAccess *a)
{
	if (a->save_nestlevel != 0)
		return;
	a->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", HISTORY_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* Back to the writer: its settings, user and security context. */
static void
history_access_end(HistoryAccess *a)
{
	if (a->save_nestlevel != 0)
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
 * Can writing a row run SQL-level code that a user attached to the table?
 * Not when the heap is the built-in one, there is no CHECK constraint and
 * no partition constraint, and every index is a built-in access method on
 * plain columns with built-in operator families and no predicate: then only
 * PostgreSQL's own C code runs (NOT NULL checks, btree comparisons), which
 * search_path cannot redirect, and the settings need no pinning.
 */
static bool
history_runs_user_code(Relation hrel, ResultRelInfo *rri)
{
	TupleDesc	desc = RelationGetDescr(hrel);
	int			i,
				k;

	if (hrel->rd_rel->relam != HEAP_TABLE_AM_OID || hrel->rd_rel->relispartition ||
		(desc->constr != NULL && desc->constr->num_check > 0))
		return true;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	irel = rri->ri_IndexRelationDescs[i];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL ||
			irel->rd_rel->relam >= FirstNormalObjectId)
			return true;
		for (k = 0; k < ii->ii_NumIndexKeyAttrs; k++)
			if (irel->rd_opfamily[k] >= FirstNormalObjectId)
				return true;
	}
	return false;
}

/*
 * Insert the history row without SPI: heap insert, constraints and index
 * entries, as the executor would.  Returns false, having written nothing,
 * when the table is not plain (see history_is_plain).  values[] and nulls[]
 * hold columns 2..8; the id comes from the identity sequence.  Settings are
 * pinned first if the table has code of its own.
 */
static bool
history_insert_direct(HistoryAccess *a, Datum *values, bool *nulls)
{
#if PG_VERSION_NUM >= 140000
	Oid			relid = a->relid;
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

	if (history_runs_user_code(hrel, rri))
		history_pin_settings(a);

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
	if (!history_insert_direct(&a, values, nulls))
	{
		history_pin_settings(&a);
		history_insert_spi(values, nulls);
	}
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
	history_pin_settings(&a);
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

PG_FUNCTION_INFO_V1(crm_history_visible_support);

/*
 * Planner support of history_visible(): the share of history rows a role
 * may see, from the statistics of stage_history.table_name (the share of
 * the most common tables it may read, and that same proportion of the
 * rest), instead of the default 1/3 for a boolean function.  Without
 * statistics every row is assumed visible.  The statistics are read
 * whatever row security says (the planner's acl_ok): only the share of
 * rows from tables the role may read comes out, nothing of the others.
 */
Datum
crm_history_visible_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSelectivity *req;
	VariableStatData vardata;
	double		selec = 1.0;

	if (!IsA(rawreq, SupportRequestSelectivity))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSelectivity *) rawreq;
	if (req->is_join || list_length(req->args) != 1)
		PG_RETURN_POINTER(NULL);

	examine_variable(req->root, (Node *) linitial(req->args), req->varRelid, &vardata);
	if (HeapTupleIsValid(vardata.statsTuple))
	{
		Form_pg_statistic stats = (Form_pg_statistic) GETSTRUCT(vardata.statsTuple);
		AttStatsSlot sslot;
		Oid			userid = GetUserId();

		selec = 1.0 - stats->stanullfrac;
		if (get_attstatsslot(&sslot, vardata.statsTuple, STATISTIC_KIND_MCV, InvalidOid,
							 ATTSTATSSLOT_VALUES | ATTSTATSSLOT_NUMBERS))
		{
			double		common = 0.0,
						visible = 0.0;
			int			i;

			for (i = 0; i < sslot.nvalues && i < sslot.nnumbers; i++)
			{
				bool		is_missing = false;

				common += sslot.numbers[i];
				if (pg_class_aclcheck_ext(DatumGetObjectId(sslot.values[i]), userid,
										  ACL_SELECT, &is_missing) == ACLCHECK_OK &&
					!is_missing)
					visible += sslot.numbers[i];
			}
			if (common > 0.0)
				selec = visible + (selec - common) * (visible / common);
			free_attstatsslot(&sslot);
		}
	}
	ReleaseVariableStats(vardata);
	CLAMP_PROBABILITY(selec);
	req->selectivity = selec;
	PG_RETURN_POINTER(req);
}

/* One move of an import, with its position in the caller's array */
typedef struct ImportMove
{
	int			pos;			/* 1-based position in the array */
	Oid			relid;
	char	   *entity_id;
	char	   *from_stage;		/* NULL: creation */
	char	   *to_stage;
	TimestampTz changed_at;
	char	   *changed_by;		/* NULL: the importing user */
} ImportMove;

/* The earliest illegal move found so far, and what to say about it */
typedef struct ImportFailure
{
	const ImportMove *move;		/* NULL: none */
	char	   *message;
	char	   *detail;
	char	   *hint;
} ImportFailure;

/* The columns of crm_sales.stage_move, in order */
#define MOVE_NATTS 6
static const Oid move_types[MOVE_NATTS] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID
};
static const char *const move_fields[MOVE_NATTS] = {
	"table_name", "entity_id", "from_stage", "to_stage", "changed_at", "changed_by"
};

/* qsort order of moves: per table and entity, in time order, then as given */
static int
import_move_cmp(const void *a, const void *b)
{
	const ImportMove *x = (const ImportMove *) a;
	const ImportMove *y = (const ImportMove *) b;
	int			c;

	if (x->relid != y->relid)
		return x->relid < y->relid ? -1 : 1;
	c = strcmp(x->entity_id, y->entity_id);
	if (c != 0)
		return c;
	if (x->changed_at != y->changed_at)
		return x->changed_at < y->changed_at ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* "move 3 (deals 42: proposal -> won at 2025-03-01 ...)", for messages */
static char *
move_words(const ImportMove *mv)
{
	return psprintf("move %d (%s %s: %s -> %s at %s)", mv->pos,
					DatumGetCString(DirectFunctionCall1(regclassout,
														ObjectIdGetDatum(mv->relid))),
					mv->entity_id, mv->from_stage ? mv->from_stage : "(creation)",
					mv->to_stage, crm_time_text(mv->changed_at));
}

/* "a, b, c": the stages of a model, for messages */
static char *
model_stages_text(const CrmModel *m)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < m->nstages; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", m->names[i]);
	return buf.data;
}

/* Stage index of a stage named in move mv, or an error naming the move. */
static int
import_stage(const CrmModel *m, const ImportMove *mv, const char *stage,
			 const char *field)
{
	int			idx = crm_stage_by_name(m, stage);

	if (idx < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of imported %s is not a stage of model %s",
						field, move_words(mv), m->name),
				 errdetail("The stages of %s are: %s.", m->name, model_stages_text(m)),
				 errhint("Correct that move; nothing was imported.")));
	return idx;
}

/*
 * The table a move names, read as regclass input reads a name (under the
 * importing role's search_path), or an error naming the move.  The last
 * name is remembered: moves usually come table by table.
 */
static Oid
import_table(const char *name, int pos, char **last_name, Oid *last_relid)
{
	List	   *parts;
	List	   *names = NIL;
	ListCell   *lc;
	Oid			relid;

	if (*last_name != NULL && strcmp(*last_name, name) == 0)
		return *last_relid;
	if (!SplitIdentifierString(pstrdup(name), '.', &parts) || parts == NIL ||
		list_length(parts) > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("table name \"%s\" of imported move %d is not a valid name", name, pos),
				 errhint("Write it as regclass input takes it: deals, sales.deals or \"Deals\"; nothing was imported.")));
	foreach(lc, parts)
		names = lappend(names, makeString(pstrdup((char *) lfirst(lc))));
	relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" of imported move %d does not exist", name, pos),
				 errhint("Name the table whose rows moved, with its schema if it is not on the search_path; nothing was imported.")));
	*last_name = pstrdup(name);
	*last_relid = relid;
	return relid;
}

/*
 * Read and check the fields of array element i (1-based) into *mv: the
 * checks that need no other move (NULLs, tables, stages of the model, the
 * time).  *last_name and *last_relid remember the last table found.
 */
static void
import_read_move(Datum elem, TupleDesc desc, int pos, const CrmModel *m,
				 TimestampTz now, ImportMove *mv, char **last_name, Oid *last_relid)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(elem);
	HeapTupleData tuple;
	Datum		v[MOVE_NATTS];
	bool		isnull[MOVE_NATTS];
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, desc, v, isnull);

	for (i = 0; i < MOVE_NATTS; i++)
		if (isnull[i] && i != 2 && i != 5)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("%s of imported move %d is NULL", move_fields[i], pos),
					 errhint("Every move needs table_name, entity_id, to_stage and changed_at; from_stage NULL is a creation, changed_by NULL the importing user.")));
	mv->pos = pos;
	mv->relid = import_table(TextDatumGetCString(v[0]), pos, last_name, last_relid);
	mv->entity_id = TextDatumGetCString(v[1]);
	mv->from_stage = isnull[2] ? NULL : TextDatumGetCString(v[2]);
	mv->to_stage = TextDatumGetCString(v[3]);
	mv->changed_at = DatumGetTimestampTz(v[4]);
	mv->changed_by = isnull[5] ? NULL : pstrdup(NameStr(*DatumGetName(v[5])));

	if (TIMESTAMP_NOT_FINITE(mv->changed_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("changed_at of imported move %d is %s", pos,
						crm_time_text(mv->changed_at)),
				 errhint("Give every move the finite time it was made.")));
	(void) import_stage(m, mv, mv->to_stage, "to_stage");
	if (mv->from_stage != NULL)
	{
		(void) import_stage(m, mv, mv->from_stage, "from_stage");
		if (strcmp(mv->from_stage, mv->to_stage) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("imported %s does not change the stage", move_words(mv)),
					 errhint("Leave out moves whose from_stage equals their to_stage; nothing was imported.")));
	}
	if (mv->changed_at > now)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("imported %s is dated in the future", move_words(mv)),
				 errhint("History records moves already made; nothing was imported.")));
}

/*
 * Check the tables of an import: they exist, the importing user may UPDATE
 * them (so may make moves there anyway), and they are locked against
 * writers and other imports until the transaction ends, so that no move is
 * recorded between the checks and the writes.  relids[] is sorted (a fixed
 * lock order: two imports cannot deadlock on each other).
 */
static void
import_lock_tables(const Oid *relids, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		Oid			relid = relids[i];
		char		kind;

		if (i > 0 && relid == relids[i - 1])
			continue;
		kind = get_rel_relkind(relid);
		if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE &&
			kind != RELKIND_FOREIGN_TABLE)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("table_name %s of an imported move is not a table",
							DatumGetCString(DirectFunctionCall1(regclassout,
																ObjectIdGetDatum(relid)))),
					 errhint("History is kept for tables; name the table whose rows moved.")));
		if (pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to import history of table %s",
							get_rel_name(relid)),
					 errhint("Importing history of a table needs the UPDATE privilege on it.")));
		LockRelationOid(relid, ShareRowExclusiveLock);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table %u of an imported move was dropped", relid)));
	}
}

/* Keep f as the failure to report if mv is earlier than the one kept. */
static void
import_fail(ImportFailure *f, const ImportMove *mv, char *message, char *detail,
			char *hint)
{
	if (f->move != NULL &&
		(f->move->changed_at < mv->changed_at ||
		 (f->move->changed_at == mv->changed_at && f->move->pos < mv->pos)))
		return;
	f->move = mv;
	f->message = message;
	f->detail = detail;
	f->hint = hint;
}

/* errdetail text: where the entity is before the move being checked */
static char *
previous_words(const char *stage, int pos, TimestampTz at)
{
	if (pos == 0)
		return psprintf("The entity is in \"%s\" after its last recorded move, at %s.",
						stage, crm_time_text(at));
	return psprintf("The entity is in \"%s\" after imported move %d, at %s.",
					stage, pos, crm_time_text(at));
}

/*
 * Check the moves of one entity, moves[0 .. n-1] in time order, against
 * its recorded history and the model; keep the first illegal one in *f.
 */
static void
import_check_entity(Oid model, const ImportMove *moves, int n, ImportFailure *f)
{
	char	   *prev_stage = NULL;
	TimestampTz prev_at = 0;
	int			prev_pos = 0;	/* 0: the recorded history */
	bool		have;
	CrmModel   *m;
	int			k;

	have = crm_history_last_move(moves[0].relid, moves[0].entity_id, model,
								 &prev_stage, &prev_at);
	/* the look-up may have reset the model cache */
	m = crm_model_lookup(model, false);
	for (k = 0; k < n; k++)
	{
		const ImportMove *mv = &moves[k];
		int			from,
					to;

		CHECK_FOR_INTERRUPTS();
		if (have && prev_pos == 0 && mv->changed_at < prev_at)
		{
			import_fail(f, mv, psprintf("imported %s is earlier than the entity's last recorded move", move_words(mv)),
						psprintf("The entity moved to \"%s\" at %s.", prev_stage,
								 crm_time_text(prev_at)),
						pstrdup("Import only moves made after the history already recorded; nothing was imported."));
			return;
		}
		if (mv->from_stage == NULL && have)
		{
			import_fail(f, mv, psprintf("imported %s creates an entity that already has moves", move_words(mv)),
						previous_words(prev_stage, prev_pos, prev_at),
						pstrdup("A creation (from_stage NULL) must be the entity's first move; was this history imported before?"));
			return;
		}
		if (mv->from_stage != NULL && !have)
		{
			import_fail(f, mv, psprintf("imported %s is the entity's first move but not a creation", move_words(mv)),
						pstrdup("The entity has no move recorded or imported before this one."),
						pstrdup("Start each entity's moves with its creation (from_stage NULL)."));
			return;
		}
		if (mv->from_stage != NULL && strcmp(mv->from_stage, prev_stage) != 0)
		{
			import_fail(f, mv, psprintf("imported %s does not start where the entity is", move_words(mv)),
						previous_words(prev_stage, prev_pos, prev_at),
						pstrdup("Each move must start from the stage the previous move of the entity ended in."));
			return;
		}
		from = mv->from_stage ? import_stage(m, mv, mv->from_stage, "from_stage") : TM_CREATION;
		to = import_stage(m, mv, mv->to_stage, "to_stage");
		if (!tm_allowed(&m->matrix, from, to))
		{
			import_fail(f, mv, psprintf("imported %s is not allowed by model %s", move_words(mv), m->name),
						from == TM_CREATION
						? psprintf("Model %s allows creation in: %s.", m->name, crm_targets_text(m, from))
						: tm_targets(&m->matrix, from, NULL, 0) == 0
						? psprintf("Model %s allows no move from \"%s\".", m->name, m->names[from])
						: psprintf("Model %s allows from \"%s\": %s.", m->name, m->names[from],
								   crm_targets_text(m, from)),
						pstrdup("Correct that move, or change the model with crm_sales.allow_transition(); nothing was imported."));
			return;
		}
		prev_stage = mv->to_stage;
		prev_at = mv->changed_at;
		prev_pos = mv->pos;
		have = true;
	}
}

PG_FUNCTION_INFO_V1(crm_import_history);

/*
 * import_history(model regtype, moves stage_move[]) returns bigint:
 * historical moves (from another CRM, offline clients, corrections) checked
 * against the model per entity in time order, each entity's first move
 * continuing its recorded history, then appended to stage_history as the
 * trigger appends moves.  All or nothing; the error names the earliest
 * illegal move.  EXECUTE is the extension owner's to grant.
 */
Datum
crm_import_history(PG_FUNCTION_ARGS)
{
	Oid			model;
	ArrayType  *arr;
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	Datum	   *elems;
	bool	   *elemnulls;
	int			n,
				i,
				start;
	TupleDesc	desc;
	CrmModel   *m;
	ImportMove *moves;
	Oid		   *relids;
	ImportFailure failure = {NULL, NULL, NULL, NULL};
	TimestampTz now = GetCurrentTimestamp();
	char	   *importer = GetUserNameFromId(GetUserId(), false);
	char	   *last_name = NULL;
	Oid			last_relid = InvalidOid;
	MemoryContext rowcxt;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", PG_ARGISNULL(0) ? "model" : "moves"),
				 errhint("Usage: crm_sales.import_history('crm_sales.sales_stage', ARRAY[ROW(table_name, entity_id, from_stage, to_stage, changed_at, changed_by)::crm_sales.stage_move, ...]).")));
	model = PG_GETARG_OID(0);
	m = crm_model_lookup(model, false);
	model = m->typid;
	arr = PG_GETARG_ARRAYTYPE_P(1);
	elemtype = ARR_ELEMTYPE(arr);
	desc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	for (i = 0; i < MOVE_NATTS && desc->natts == MOVE_NATTS; i++)
		if (TupleDescAttr(desc, i)->attisdropped ||
			TupleDescAttr(desc, i)->atttypid != move_types[i])
			break;
	if (desc->natts != MOVE_NATTS || i != MOVE_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("moves must be an array of crm_sales.stage_move, not of %s",
						format_type_be(elemtype))));
	get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
	deconstruct_array(arr, elemtype, elemlen, elembyval, elemalign,
					  &elems, &elemnulls, &n);
	if (n == 0)
		PG_RETURN_INT64(0);

	/* each move on its own, in the order given */
	moves = palloc(sizeof(ImportMove) * n);
	relids = palloc(sizeof(Oid) * n);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (elemnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("imported move %d is NULL", i + 1),
					 errhint("Leave it out of the array.")));
		import_read_move(elems[i], desc, i + 1, m, now, &moves[i], &last_name, &last_relid);
		relids[i] = moves[i].relid;
	}
	qsort(relids, n, sizeof(Oid), oid_cmp);
	import_lock_tables(relids, n);

	/* each entity's moves in time order, after its recorded history */
	qsort(moves, n, sizeof(ImportMove), import_move_cmp);
	for (start = 0; start < n;)
	{
		int			end = start + 1;

		while (end < n && moves[end].relid == moves[start].relid &&
			   strcmp(moves[end].entity_id, moves[start].entity_id) == 0)
			end++;
		import_check_entity(model, &moves[start], end - start, &failure);
		start = end;
	}
	if (failure.move != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg_internal("%s", failure.message),
				 errdetail_internal("%s", failure.detail),
				 errhint("%s", failure.hint)));

	/* all legal: write them, per entity in time order */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "crm_sales import",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		CrmMove		mv;

		CHECK_FOR_INTERRUPTS();
		mv.relid = moves[i].relid;
		mv.entity_id = moves[i].entity_id;
		mv.model = model;
		mv.from_stage = moves[i].from_stage;
		mv.to_stage = moves[i].to_stage;
		mv.changed_at = moves[i].changed_at;
		mv.changed_by = moves[i].changed_by ? moves[i].changed_by : importer;
		crm_history_record(&mv);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	PG_RETURN_INT64((int64) n);
}
