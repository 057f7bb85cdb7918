/*
 * lead_score.c
 *		Rule-based lead scoring: crm_sales.lead_score(rule_set, attributes)
 *		and lead_score_explain(), over the rules of crm_sales.lead_score_rule.
 *
 * The rules of a rule set are read once per backend and kept in a memory
 * context under CacheMemoryContext.  Every change of the two rule tables
 * fires crm_sales._config_changed(), which queues a relcache invalidation of
 * the table; the callback registered here then drops the whole rule cache
 * (this backend at its next command, others at their next transaction), the
 * same scheme as the stage model cache (stage_model.c).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "crm_sales.h"

typedef enum LsOp
{
	LS_EQ,
	LS_NE,
	LS_LT,
	LS_LE,
	LS_GT,
	LS_GE,
	LS_CONTAINS,
	LS_NOT_CONTAINS,
	LS_EXISTS,
	LS_NOT_EXISTS,
	LS_IN,
	LS_NOT_IN
} LsOp;

static const char *const op_names[] = {
	"=", "<>", "<", "<=", ">", ">=", "contains", "not_contains",
	"exists", "not_exists", "in", "not_in"
};

typedef struct LsRule
{
	int32		rule_id;
	LsOp		op;
	int32		points;			/* negative for 'negative' rules */
	int			npath;
	Datum	   *path;			/* text elements */
	Datum		attribute;		/* the text[] as stored, for explain */
	Jsonb	   *value;			/* NULL for exists / not_exists */
} LsRule;

typedef struct LsRuleSet
{
	char	   *name;
	int			nrules;
	LsRule	   *rules;			/* rule_id order */
} LsRuleSet;

static MemoryContext ls_context = NULL;
static List *ls_sets = NIL;		/* of LsRuleSet *, in ls_context */
static Oid	ls_relids[2] = {InvalidOid, InvalidOid};
/* bumped at every invalidation; per-call caches compare it */
static uint64 ls_generation = 1;

/* per-call-site memory of the last rule set used (fn_extra) */
typedef struct LsFnCache
{
	uint64		generation;
	LsRuleSet  *rs;
} LsFnCache;

/* Relcache invalidation (crm_sales.c): drop the rule cache when a rule table changes. */
void
crm_lead_score_relcache(Oid relid)
{
	if (relid != InvalidOid && relid != ls_relids[0] && relid != ls_relids[1])
		return;
	if (ls_context != NULL)
		MemoryContextReset(ls_context);
	ls_sets = NIL;
	ls_generation++;
}

/* Run one loader query with $1 = the rule set (crm_config_query's snapshot). */
static void
ls_query(const char *sql, const char *set)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	args[0] = CStringGetTextDatum(set);
	crm_config_query(sql, 1, argtypes, args);
}

/* Operator text to its code, or an error (the table's CHECK was bypassed). */
static LsOp
ls_op(const char *s, int32 rule_id, const char *set)
{
	int			i;

	for (i = 0; i < (int) lengthof(op_names); i++)
		if (strcmp(s, op_names[i]) == 0)
			return (LsOp) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("lead score rule %d of rule set \"%s\" has an unknown operator \"%s\"",
					rule_id, set, s),
			 errhint("Use =, <>, <, <=, >, >=, contains, not_contains, exists, not_exists, in or not_in.")));
	return LS_EQ;
}

/*
 * Read a rule set; error if it does not exist.  The set is built in a context
 * of its own under the caller's memory, so neither an error half-way nor an
 * invalidation processed while reading (opening a catalog or a TOAST table
 * takes a lock, and taking a lock processes invalidations) can leave a
 * half-built set in, or free one out of, the cache.  It joins the cache only
 * if no invalidation arrived meanwhile (*cached = true); otherwise the rows
 * may predate a committed change, so the set serves this call only and the
 * next lookup reads it again.
 */
static LsRuleSet *
ls_load(const char *name, bool *cached)
{
	LsRuleSet  *rs;
	MemoryContext build,
				old;
	uint64		i;
	uint64		gen = ls_generation;
	Oid			nsp;

	build = AllocSetContextCreate(CurrentMemoryContext,
								  "crm_sales lead score rule set",
								  ALLOCSET_SMALL_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	nsp = get_namespace_oid("crm_sales", false);
	ls_relids[0] = get_relname_relid("lead_score_rule_set", nsp);
	ls_relids[1] = get_relname_relid("lead_score_rule", nsp);

	/* operators qualified: the caller's search_path must not pick them */
	ls_query("SELECT 1 FROM crm_sales.lead_score_rule_set"
			 " WHERE rule_set OPERATOR(pg_catalog.=) $1", name);
	if (SPI_processed == 0)
	{
		char	   *known = NULL;

		/* name the rule sets there are: the usual mistake is a typo */
		if (SPI_execute("SELECT pg_catalog.string_agg(rule_set, ', ' ORDER BY rule_set)"
						" FROM crm_sales.lead_score_rule_set", true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
			known = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown lead score rule set \"%s\"", name),
				 known ? errdetail("The rule sets are: %s.", known) :
				 errdetail("There is no rule set yet."),
				 errhint("%s", known ?
						 "Use one of them, or create it with INSERT INTO crm_sales.lead_score_rule_set (rule_set) VALUES (...)." :
						 "Create it with INSERT INTO crm_sales.lead_score_rule_set (rule_set) VALUES (...).")));
	}
	ls_query("SELECT rule_id, attribute, operator, value, points,"
			 " effect OPERATOR(pg_catalog.=) 'negative'"
			 " FROM crm_sales.lead_score_rule"
			 " WHERE rule_set OPERATOR(pg_catalog.=) $1 ORDER BY rule_id",
			 name);

	old = MemoryContextSwitchTo(build);
	rs = palloc0(sizeof(LsRuleSet));
	rs->name = pstrdup(name);
	rs->nrules = (int) SPI_processed;
	rs->rules = palloc0(sizeof(LsRule) * Max(rs->nrules, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		LsRule	   *r = &rs->rules[i];
		bool		isnull;
		Datum		d;
		ArrayType  *path;

		r->rule_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		r->attribute = datumCopy(d, false, -1);
		path = DatumGetArrayTypeP(r->attribute);
		deconstruct_array(path, TEXTOID, -1, false, TYPALIGN_INT,
						  &r->path, NULL, &r->npath);
		r->op = ls_op(SPI_getvalue(tup, desc, 3), r->rule_id, name);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		r->value = isnull ? NULL : DatumGetJsonbPCopy(d);
		if (r->value == NULL && r->op != LS_EXISTS && r->op != LS_NOT_EXISTS)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("lead score rule %d of rule set \"%s\" needs a value for operator %s",
							r->rule_id, name, op_names[r->op])));
		r->points = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		if (DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull)))
			r->points = -r->points;
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	*cached = (gen == ls_generation);
	if (*cached)
	{
		MemoryContextSetParent(build, ls_context);
		old = MemoryContextSwitchTo(ls_context);
		ls_sets = lappend(ls_sets, rs);
		MemoryContextSwitchTo(old);
	}
	return rs;
}

/*
 * The cached rule set of this name, loading it on first use; *cached says
 * whether the set is in the cache (see ls_load).
 */
static LsRuleSet *
ls_lookup(const char *name, bool *cached)
{
	ListCell   *lc;

	if (ls_context == NULL)
		ls_context = AllocSetContextCreate(CacheMemoryContext,
										   "crm_sales lead score rules",
										   ALLOCSET_SMALL_SIZES);
	foreach(lc, ls_sets)
	{
		LsRuleSet  *rs = (LsRuleSet *) lfirst(lc);

		if (strcmp(rs->name, name) == 0)
		{
			*cached = true;
			return rs;
		}
	}
	return ls_load(name, cached);
}

/*
 * The rule set for a call: on the first call of a statement, take in rule
 * changes committed since (a warm cache opens no table, so nothing else
 * would process the invalidations); then reuse the set while the cache
 * generation and the name stay the same.
 */
static LsRuleSet *
ls_fn_lookup(FunctionCallInfo fcinfo, const char *name)
{
	LsFnCache  *c = (LsFnCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		AcceptInvalidationMessages();
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LsFnCache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (c->rs == NULL || c->generation != ls_generation ||
		strcmp(c->rs->name, name) != 0)
	{
		bool		cached;
		LsRuleSet  *rs = ls_lookup(name, &cached);

		/* a set read for this call only is not remembered (generation 0) */
		c->rs = cached ? rs : NULL;
		c->generation = cached ? ls_generation : 0;
		return rs;
	}
	return c->rs;
}

/* A scalar JsonbValue from a jsonb value, or false if it is a container. */
static bool
as_scalar(Jsonb *j, JsonbValue *out)
{
	return JsonbExtractScalar(&j->root, out);
}

/* ASCII case-insensitive substring test */
static bool
contains_ci(const char *hay, int hlen, const char *needle, int nlen)
{
	int			i;

	if (nlen == 0)
		return true;
	for (i = 0; i + nlen <= hlen; i++)
		if (pg_strncasecmp(hay + i, needle, nlen) == 0)
			return true;
	return false;
}

/*
 * Compare two scalars of the same comparable type (numbers or strings):
 * sets *cmp and returns true, or false when they cannot be ordered.
 */
static bool
scalar_cmp(const JsonbValue *a, const JsonbValue *b, int *cmp)
{
	if (a->type == jbvNumeric && b->type == jbvNumeric)
	{
		*cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												 NumericGetDatum(a->val.numeric),
												 NumericGetDatum(b->val.numeric)));
		return true;
	}
	if (a->type == jbvString && b->type == jbvString)
	{
		int			len = Min(a->val.string.len, b->val.string.len);
		int			c = memcmp(a->val.string.val, b->val.string.val, len);

		*cmp = c != 0 ? c : (a->val.string.len > b->val.string.len) -
			(a->val.string.len < b->val.string.len);
		return true;
	}
	return false;
}

/* JSON equality of two jsonb values (scalars by value, containers deeply). */
static bool
jsonb_equal(Jsonb *a, Jsonb *b)
{
	return compareJsonbContainers(&a->root, &b->root) == 0;
}

/* Does any element of the array b equal a? */
static bool
array_has(Jsonb *arr, Jsonb *a)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue	sa;
	bool		a_scalar = as_scalar(a, &sa);

	if (!JB_ROOT_IS_ARRAY(arr) || JB_ROOT_IS_SCALAR(arr))
		return false;
	it = JsonbIteratorInit(&arr->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type == jbvBinary)
		{
			if (!a_scalar && jsonb_equal(JsonbValueToJsonb(&v), a))
				return true;
		}
		else if (a_scalar && v.type == sa.type)
		{
			int			c;

			if (v.type == jbvNull)
				return true;
			if (v.type == jbvBool && v.val.boolean == sa.val.boolean)
				return true;
			if (scalar_cmp(&v, &sa, &c) && c == 0)
				return true;
		}
	}
	return false;
}

/* Does one rule match the document? */
static bool
ls_match(const LsRule *r, Jsonb *doc)
{
	bool		isnull;
	Datum		d;
	Jsonb	   *attr;
	JsonbValue	av,
				rv;
	int			c;
	bool		present;

	d = jsonb_get_element(doc, r->path, r->npath, &isnull, false);
	attr = isnull ? NULL : DatumGetJsonbP(d);
	/* JSON null counts as absent */
	present = attr != NULL && !(as_scalar(attr, &av) && av.type == jbvNull);
	switch (r->op)
	{
		case LS_EXISTS:
			return present;
		case LS_NOT_EXISTS:
			return !present;
		default:
			break;
	}
	if (!present)
		return false;
	switch (r->op)
	{
		case LS_EQ:
			return jsonb_equal(attr, r->value);
		case LS_NE:
			return !jsonb_equal(attr, r->value);
		case LS_LT:
		case LS_LE:
		case LS_GT:
		case LS_GE:
			if (!as_scalar(attr, &av) || !as_scalar(r->value, &rv) ||
				!scalar_cmp(&av, &rv, &c))
				return false;
			return (r->op == LS_LT && c < 0) || (r->op == LS_LE && c <= 0) ||
				(r->op == LS_GT && c > 0) || (r->op == LS_GE && c >= 0);
		case LS_CONTAINS:
		case LS_NOT_CONTAINS:
			{
				bool		hit;

				if (as_scalar(attr, &av))
					hit = av.type == jbvString && as_scalar(r->value, &rv) &&
						rv.type == jbvString &&
						contains_ci(av.val.string.val, av.val.string.len,
									rv.val.string.val, rv.val.string.len);
				else
					hit = array_has(attr, r->value);
				return r->op == LS_CONTAINS ? hit : !hit;
			}
		case LS_IN:
			return array_has(r->value, attr);
		case LS_NOT_IN:
			return !array_has(r->value, attr);
		default:
			return false;
	}
}

PG_FUNCTION_INFO_V1(crm_lead_score);

/*
 * lead_score(rule_set, attributes): the sum of the points of the matching
 * rules, negative rules subtracting theirs.
 */
Datum
crm_lead_score(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *doc = PG_GETARG_JSONB_P(1);
	LsRuleSet  *rs = ls_fn_lookup(fcinfo, name);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext,
											   "lead_score", ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);
	int64		total = 0;
	int			i;

	for (i = 0; i < rs->nrules; i++)
	{
		if (ls_match(&rs->rules[i], doc))
			total += rs->rules[i].points;
		MemoryContextReset(work);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	if (total > PG_INT32_MAX || total < PG_INT32_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lead_score: the score of rule set \"%s\" is out of range for integer", name),
				 errdetail("The matching rules sum to " INT64_FORMAT ".", total)));
	PG_RETURN_INT32((int32) total);
}

PG_FUNCTION_INFO_V1(crm_lead_score_explain);

/*
 * lead_score_explain(rule_set, attributes): one row per matching rule
 * (rule_id, attribute, operator, value, points), in rule_id order; points
 * are negative for negative rules, so they sum to lead_score().
 */
Datum
crm_lead_score_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *doc = PG_GETARG_JSONB_P(1);
	LsRuleSet  *rs;
	int			i;

	rs = ls_fn_lookup(fcinfo, name);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < rs->nrules; i++)
	{
		LsRule	   *r = &rs->rules[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (!ls_match(r, doc))
			continue;
		values[0] = Int32GetDatum(r->rule_id);
		values[1] = r->attribute;
		values[2] = CStringGetTextDatum(op_names[r->op]);
		if (r->value)
			values[3] = JsonbPGetDatum(r->value);
		else
			nulls[3] = true;
		values[4] = Int32GetDatum(r->points);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
