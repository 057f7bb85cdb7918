/*
 * stage_model.c
 *		Per-backend cache of crm_sales stage models, its invalidation, and the
 *		SQL functions that read a model from an enum value.
 *
 * A model is read from crm_sales.model/stage/transition the first time a
 * backend needs it and kept in a memory context under CacheMemoryContext.
 * Every change of those tables fires crm_config_changed(), which queues a
 * relcache invalidation of the changed table; all backends (this one at the
 * next command, others at their next transaction) then drop the whole cache
 * and re-read models on demand.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "crm_sales.h"

/* bumped at every invalidation; users of cached pointers compare it */
uint64		crm_cache_generation = 1;

static MemoryContext cache_context = NULL;
static HTAB *model_cache = NULL;
static bool cache_stale = false;

/* OIDs of the config tables, known once a model has been loaded */
static Oid	config_relids[3] = {InvalidOid, InvalidOid, InvalidOid};

/* Mark the cache stale; it is rebuilt at the next lookup. */
static void
crm_invalidate(void)
{
	cache_stale = true;
	crm_cache_generation++;
}

/* Relcache invalidation (crm_sales.c): a config table changed, or everything. */
void
crm_model_relcache(Oid relid)
{
	size_t		i;

	if (relid == InvalidOid)
	{
		crm_invalidate();
		return;
	}
	for (i = 0; i < lengthof(config_relids); i++)
		if (config_relids[i] == relid)
		{
			crm_invalidate();
			return;
		}
}

/* Drop everything cached and start an empty hash table. */
static void
crm_cache_reset(void)
{
	HASHCTL		ctl;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "crm_sales model cache",
											  ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(cache_context);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(CrmModel);
	ctl.hcxt = cache_context;
	model_cache = hash_create("crm_sales models", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache_stale = false;
	/* every pointer handed out before this reset is now dangling */
	crm_cache_generation++;
}

/* The enum type under a domain, or InvalidOid if typid is no enum. */
Oid
crm_base_enum_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	return type_is_enum(base) ? base : InvalidOid;
}

/* crm_sales.stage.category text to its enum (the table's CHECK allows only these) */
static CrmCategory
category_from_text(const char *s)
{
	if (strcmp(s, "won") == 0)
		return CRM_CAT_WON;
	if (strcmp(s, "lost") == 0)
		return CRM_CAT_LOST;
	return CRM_CAT_OPEN;
}

/* Copy an SPI result column as a string into the cache context (NULL stays NULL). */
static char *
spi_string(HeapTuple tup, TupleDesc desc, int col)
{
	char	   *v = SPI_getvalue(tup, desc, col);

	return v ? MemoryContextStrdup(cache_context, v) : NULL;
}

/* qsort comparator of (oid, index) pairs by OID */
typedef struct OidIdx
{
	uint32_t	oid;
	int			idx;
} OidIdx;

static int
oididx_cmp(const void *a, const void *b)
{
	uint32_t	x = ((const OidIdx *) a)->oid;
	uint32_t	y = ((const OidIdx *) b)->oid;

	return (x > y) - (x < y);
}

/* Stage index of a label, or -1. */
int
crm_stage_by_name(const CrmModel *m, const char *name)
{
	int			i;

	for (i = 0; i < m->nstages; i++)
		if (strcmp(m->stages[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Run one read-only query of a config cache loader under the latest
 * snapshot rather than the statement's: like a catalog cache, a config cache
 * must hold what is committed now (and what this transaction did), or a
 * reload triggered by an invalidation could cache old rows for good (a
 * REPEATABLE READ transaction, a statement that waited on a lock).  The one
 * loader query of every config cache: stage models (here), lead score rules
 * (lead_score.c), currencies and rates (currency.c).
 */
void
crm_config_query(const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	SPIPlanPtr	plan;
	int			ret;

	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "crm_sales: preparing a config query failed: %s",
			 SPI_result_code_string(SPI_result));
	/*
	 * A parallel worker may not take a new snapshot; it reads under the
	 * leader's, which is what the leader's statement sees.
	 */
	ret = SPI_execute_snapshot(plan, args, NULL,
							   IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "crm_sales: reading the config failed: %s",
			 SPI_result_code_string(ret));
}

/* One query of the model loader with $1 = the model's type. */
static void
load_query(const char *sql, Oid typid)
{
	Oid			argtypes[1] = {REGTYPEOID};
	Datum		args[1];

	args[0] = ObjectIdGetDatum(typid);
	crm_config_query(sql, 1, argtypes, args);
}

/*
 * Read one model from the config tables into *m (whose key is set).
 * Runs its own SPI session; all kept data goes to cache_context.
 */
static void
crm_model_load(CrmModel *m)
{
	uint64		i;
	MemoryContext oldcxt;
	OidIdx	   *pairs;
	Oid			nsp;

	m->is_model = false;
	m->nstages = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");

	nsp = get_namespace_oid("crm_sales", false);
	config_relids[0] = get_relname_relid("model", nsp);
	config_relids[1] = get_relname_relid("stage", nsp);
	config_relids[2] = get_relname_relid("transition", nsp);

	load_query("SELECT 1 FROM crm_sales.model WHERE model OPERATOR(pg_catalog.=) $1", m->typid);
	if (SPI_processed == 0)
	{
		SPI_finish();
		return;
	}

	load_query("SELECT s.stage, e.oid, s.position, s.category,"
			   " s.probability::pg_catalog.float8, s.label_en, s.label_zh"
			   " FROM crm_sales.stage s"
			   " JOIN pg_catalog.pg_enum e"
			   "   ON e.enumtypid OPERATOR(pg_catalog.=) s.model"
			   "  AND e.enumlabel OPERATOR(pg_catalog.=) s.stage"
			   " WHERE s.model OPERATOR(pg_catalog.=) $1 ORDER BY s.position", m->typid);
	if (SPI_processed < 1 || SPI_processed > TM_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model %s has %d stages", format_type_be_qualified(m->typid),
						(int) SPI_processed),
				 errdetail("A model has between 1 and %d stages.", TM_MAX_STAGES),
				 errhint("Check crm_sales.stage for this model.")));

	oldcxt = MemoryContextSwitchTo(cache_context);
	m->name = format_type_be_qualified(m->typid);
	m->nstages = (int) SPI_processed;
	m->stages = palloc0(sizeof(CrmStage) * m->nstages);
	m->names = palloc(sizeof(char *) * m->nstages);
	m->sorted_oids = palloc(sizeof(uint32_t) * m->nstages);
	m->sorted_idx = palloc(sizeof(int) * m->nstages);
	m->required = palloc0(sizeof(CrmRequired) * (m->nstages + 1) * m->nstages);
	if (tm_init(&m->matrix, m->nstages, palloc(tm_bytes(m->nstages))) != TM_OK)
		elog(ERROR, "crm_sales: cannot lay out a model of %d stages", m->nstages);
	MemoryContextSwitchTo(oldcxt);

	pairs = palloc(sizeof(OidIdx) * m->nstages);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CrmStage   *s = &m->stages[i];
		bool		isnull;
		char	   *cat;

		s->name = spi_string(tup, desc, 1);
		s->enum_oid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		s->position = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		cat = SPI_getvalue(tup, desc, 4);
		s->category = category_from_text(cat);
		s->probability = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
		s->has_probability = !isnull;
		s->label_en = spi_string(tup, desc, 6);
		s->label_zh = spi_string(tup, desc, 7);
		m->names[i] = s->name;
		pairs[i].oid = s->enum_oid;
		pairs[i].idx = (int) i;
	}
	qsort(pairs, m->nstages, sizeof(OidIdx), oididx_cmp);
	for (i = 0; i < (uint64) m->nstages; i++)
	{
		m->sorted_oids[i] = pairs[i].oid;
		m->sorted_idx[i] = pairs[i].idx;
	}

	load_query("SELECT from_stage, to_stage, required_columns::pg_catalog.text[]"
			   " FROM crm_sales.transition"
			   " WHERE model OPERATOR(pg_catalog.=) $1 AND allowed", m->typid);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *from_name = SPI_getvalue(tup, desc, 1);
		char	   *to_name = SPI_getvalue(tup, desc, 2);
		int			from = from_name ? crm_stage_by_name(m, from_name) : TM_CREATION;
		int			to = crm_stage_by_name(m, to_name);
		bool		isnull;
		Datum		cols = SPI_getbinval(tup, desc, 3, &isnull);

		/* rows of stages without an enum value (renamed by hand) are ignored */
		if ((from_name && from < 0) || to < 0)
			continue;
		if (tm_set(&m->matrix, from, to, 1) != TM_OK)
			elog(ERROR, "crm_sales: transition %d -> %d out of range", from, to);
		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(cols);
			Datum	   *elems;
			bool	   *nulls;
			int			n,
						k;

			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			if (n > 0)
			{
				CrmRequired req = MemoryContextAllocZero(cache_context,
														 sizeof(char *) * (n + 1));

				for (k = 0; k < n; k++)
					req[k] = MemoryContextStrdup(cache_context,
												 TextDatumGetCString(elems[k]));
				m->required[(from + 1) * m->nstages + to] = req;
			}
		}
	}

	SPI_finish();
	m->is_model = true;
}

/*
 * The cached model of an enum type (a domain over one is looked through).
 * If the type is not a model: NULL when missing_ok, else an error.
 */
CrmModel *
crm_model_lookup(Oid typid, bool missing_ok)
{
	CrmModel   *m;
	bool		found;
	Oid			enumtyp = crm_base_enum_type(typid);

	if (!OidIsValid(enumtyp))
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("type %s is not an enum type", format_type_be_qualified(typid)),
				 errhint("Stage models are enum types registered with crm_sales.create_model() or crm_sales.register_model().")));
	}

	if (model_cache == NULL || cache_stale)
		crm_cache_reset();

	m = hash_search(model_cache, &enumtyp, HASH_FIND, NULL);
	if (m == NULL)
	{
		uint64		gen = crm_cache_generation;

		m = hash_search(model_cache, &enumtyp, HASH_ENTER, &found);
		PG_TRY();
		{
			crm_model_load(m);
		}
		PG_CATCH();
		{
			/* forget the half-built entry (its memory goes with the next reset) */
			if (model_cache != NULL && !cache_stale)
				hash_search(model_cache, &enumtyp, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();

		/*
		 * An invalidation that arrived while loading may mean we read old
		 * rows: use them for this call, but reload at the next lookup.
		 */
		if (gen != crm_cache_generation)
			cache_stale = true;
	}

	if (!m->is_model)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type %s is not a crm_sales model", format_type_be_qualified(enumtyp)),
				 errhint("Register it with crm_sales.register_model('%s').",
						 format_type_be_qualified(enumtyp))));
	}
	return m;
}

/* Stage index of an enum value in the model, or -1 if not configured. */
int
crm_stage_index(const CrmModel *model, Oid enum_oid)
{
	int			pos = tm_find_key(model->sorted_oids, model->nstages, enum_oid);

	return pos < 0 ? -1 : model->sorted_idx[pos];
}

/* Stage index of an enum value, with an error if the model lacks it. */
int
crm_stage_index_checked(const CrmModel *model, Oid enum_oid)
{
	int			idx = crm_stage_index(model, enum_oid);

	if (idx < 0)
	{
		HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(enum_oid));
		char	   *label = "?";

		if (HeapTupleIsValid(tup))
		{
			label = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
			ReleaseSysCache(tup);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value \"%s\" of type %s is not a stage of the model",
						label, model->name),
				 errdetail("The enum value exists but crm_sales.stage has no row for it."),
				 errhint("Add enum values with crm_sales.add_stage(), not ALTER TYPE.")));
	}
	return idx;
}

/* The columns required for the move from -> to, or NULL. */
CrmRequired
crm_required_columns(const CrmModel *model, int from, int to)
{
	return model->required[(from + 1) * model->nstages + to];
}

/* "a, b, c": the stages reachable from "from", palloc'd in the current context. */
char *
crm_targets_text(const CrmModel *model, int from)
{
	size_t		len = 1;
	int			i;
	char	   *buf;

	for (i = 0; i < model->nstages; i++)
		len += strlen(model->names[i]) + 2;
	len += 8;
	buf = palloc(len);
	tm_format_targets(&model->matrix, from, model->names, buf, len);
	return buf;
}

/*
 * Model of the polymorphic argument argno, cached in fn_extra together with
 * the cache generation, so repeated calls skip the hash lookup.
 */
typedef struct FnModelCache
{
	uint64		generation;
	Oid			typid;
	CrmModel   *model;
} FnModelCache;

static CrmModel *
fn_model(FunctionCallInfo fcinfo, int argno)
{
	FnModelCache *c = (FnModelCache *) fcinfo->flinfo->fn_extra;
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, argno);

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not determine the enum type of the stage argument"),
				 errhint("Cast the stage to its enum type, e.g. 'proposal'::crm_sales.sales_stage.")));
	if (c == NULL)
	{
		/* first call of this statement: take in model changes committed since */
		AcceptInvalidationMessages();
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FnModelCache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (c->model == NULL || c->generation != crm_cache_generation ||
		c->typid != typid || cache_stale)
	{
		c->model = crm_model_lookup(typid, false);
		c->generation = crm_cache_generation;
		c->typid = typid;
	}
	return c->model;
}

PG_FUNCTION_INFO_V1(crm_transition_allowed);

/* anyenum ~> anyenum: is the move allowed?  NULL source = creation. */
Datum
crm_transition_allowed(PG_FUNCTION_ARGS)
{
	CrmModel   *m;
	int			from,
				to;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	m = fn_model(fcinfo, 1);
	to = crm_stage_index_checked(m, PG_GETARG_OID(1));
	from = PG_ARGISNULL(0) ? TM_CREATION
		: crm_stage_index_checked(m, PG_GETARG_OID(0));
	PG_RETURN_BOOL(tm_allowed(&m->matrix, from, to));
}

PG_FUNCTION_INFO_V1(crm_transition_allowed_text);

/* transition_allowed(model regtype, from text, to text) for stored labels. */
Datum
crm_transition_allowed_text(PG_FUNCTION_ARGS)
{
	CrmModel   *m;
	int			from = TM_CREATION;
	int			to;
	char	   *to_name;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		/* first call of this statement: take in model changes committed since */
		AcceptInvalidationMessages();
		fcinfo->flinfo->fn_extra = fcinfo->flinfo;	/* any non-NULL mark */
	}
	m = crm_model_lookup(PG_GETARG_OID(0), false);
	to_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	to = crm_stage_by_name(m, to_name);
	if (to < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage \"%s\" does not exist in model %s", to_name, m->name),
				 errhint("See crm_sales.stage for the stages of the model.")));
	if (!PG_ARGISNULL(1))
	{
		char	   *from_name = text_to_cstring(PG_GETARG_TEXT_PP(1));

		from = crm_stage_by_name(m, from_name);
		if (from < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%s\" does not exist in model %s", from_name, m->name),
					 errhint("See crm_sales.stage for the stages of the model.")));
	}
	PG_RETURN_BOOL(tm_allowed(&m->matrix, from, to));
}

PG_FUNCTION_INFO_V1(crm_allowed_transitions);

/* The stages reachable from a stage (NULL: the creation stages), as an array. */
Datum
crm_allowed_transitions(PG_FUNCTION_ARGS)
{
	CrmModel   *m = fn_model(fcinfo, 0);
	int			from = PG_ARGISNULL(0) ? TM_CREATION
		: crm_stage_index_checked(m, PG_GETARG_OID(0));
	int		   *targets = palloc(sizeof(int) * m->nstages);
	Datum	   *elems = palloc(sizeof(Datum) * m->nstages);
	int			n = tm_targets(&m->matrix, from, targets, m->nstages);
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = ObjectIdGetDatum(m->stages[targets[i]].enum_oid);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, m->typid, sizeof(Oid),
										  true, TYPALIGN_INT));
}

/* The stage of an enum argument, for the accessor functions. */
static CrmStage *
arg_stage(FunctionCallInfo fcinfo)
{
	CrmModel   *m = fn_model(fcinfo, 0);

	return &m->stages[crm_stage_index_checked(m, PG_GETARG_OID(0))];
}

PG_FUNCTION_INFO_V1(crm_stage_category);

/* 'open', 'won' or 'lost' */
Datum
crm_stage_category(PG_FUNCTION_ARGS)
{
	CrmStage   *s = arg_stage(fcinfo);

	PG_RETURN_TEXT_P(cstring_to_text(s->category == CRM_CAT_WON ? "won" :
									 s->category == CRM_CAT_LOST ? "lost" : "open"));
}

PG_FUNCTION_INFO_V1(crm_stage_probability);

/* win probability of the stage (NULL if the model sets none) */
Datum
crm_stage_probability(PG_FUNCTION_ARGS)
{
	CrmStage   *s = arg_stage(fcinfo);

	if (!s->has_probability)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->probability);
}

PG_FUNCTION_INFO_V1(crm_stage_position);

/* 1-based position of the stage in its model */
Datum
crm_stage_position(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(arg_stage(fcinfo)->position);
}

PG_FUNCTION_INFO_V1(crm_stage_label);

/* English ('en') or Chinese ('zh') label of the stage */
Datum
crm_stage_label(PG_FUNCTION_ARGS)
{
	CrmStage   *s = arg_stage(fcinfo);
	char	   *lang = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (strcmp(lang, "en") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(s->label_en));
	if (strcmp(lang, "zh") == 0)
	{
		if (s->label_zh == NULL)
			PG_RETURN_NULL();
		PG_RETURN_TEXT_P(cstring_to_text(s->label_zh));
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown label language \"%s\"", lang),
			 errhint("Use 'en' or 'zh'.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(crm_config_changed);

/*
 * Statement trigger on the config tables: queue a relcache invalidation of
 * the changed table so every backend drops its cached models once the change
 * commits (and this backend at its next command).
 */
Datum
crm_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales._config_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
