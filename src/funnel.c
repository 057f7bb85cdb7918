/*
 * funnel.c
 *		The crm_sales.funnel type (text/binary I/O, jsonb cast, merge) and the
 *		snapshot aggregate funnel_agg().
 *
 * A funnel stores, per stage, how many entities have that stage as their
 * furthest one and the exact sum of their amounts (see core/funnel/funnel_hist.h); the
 * cumulative "reached" numbers users read are computed on output.  So
 * funnel_agg() costs one increment per row and merging two funnels one
 * addition per stage.  Amounts are exact decimals in 128-bit integers at the
 * largest scale seen (at most DEC_MAX_SCALE places).
 */
#include "postgres.h"

#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "crm_sales.h"
#include "funnel.h"
#include "numeric_glue.h"

/* ---- layout ---- */

#define FN_AT(f)		((int64 *) ((char *) (f) + FUNNEL_HDRSZ))
#define FN_AMT_PTR(f)	((char *) (f) + FUNNEL_HDRSZ + sizeof(int64) * (f)->nstages)
#define FN_HAS_AMT(f)	(((f)->flags & FUNNEL_HAS_AMOUNT) != 0)
#define FN_STAGES(f)	((Oid *) (FN_AMT_PTR(f) + (FN_HAS_AMT(f) ? sizeof(dec128) * (f)->nstages : 0)))
#define FN_OFFPATH(f)	((uint8 *) (FN_STAGES(f) + (f)->nstages))

#define DatumGetFunnel(d)	((FunnelData *) PG_DETOAST_DATUM(d))
#define PG_GETARG_FUNNEL(n) DatumGetFunnel(PG_GETARG_DATUM(n))

/* Bytes of a funnel of n stages. */
static Size
funnel_size(int n, bool model, bool amount)
{
	return FUNNEL_HDRSZ + sizeof(int64) * n +
		(amount ? sizeof(dec128) * n : 0) +
		(model ? (sizeof(Oid) + 1) * n : 0);
}

/* A zeroed funnel in the current memory context. */
static FunnelData *
funnel_alloc(int n, Oid model, bool amount, int scale)
{
	Size		sz = funnel_size(n, OidIsValid(model), amount);
	FunnelData *f = palloc0(sz);

	SET_VARSIZE(f, sz);
	f->version = FUNNEL_VERSION;
	f->flags = amount ? FUNNEL_HAS_AMOUNT : 0;
	f->scale = scale;
	f->nstages = n;
	f->model = model;
	return f;
}

/* A copy of f in the current memory context. */
static FunnelData *
funnel_copy(const FunnelData *f)
{
	FunnelData *c = palloc(VARSIZE(f));

	memcpy(c, f, VARSIZE(f));
	return c;
}

static inline dec128
fn_amount(const FunnelData *f, int i)
{
	dec128		v;

	memcpy(&v, FN_AMT_PTR(f) + sizeof(dec128) * i, sizeof(dec128));
	return v;
}

static inline void
fn_set_amount(FunnelData *f, int i, dec128 v)
{
	memcpy(FN_AMT_PTR(f) + sizeof(dec128) * i, &v, sizeof(dec128));
}

/* Raise the error for an amount sum that left the 128-bit range. */
static void
amount_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("funnel amount out of range"),
			 errdetail("A per-stage amount sum needs more than 38 significant digits at %d decimal places.",
					   DEC_MAX_SCALE),
			 errhint("Round the amounts to fewer decimal places before aggregating them.")));
}

/* Check a detoasted funnel's header before trusting its layout. */
static void
funnel_check(const FunnelData *f)
{
	if (f->version != FUNNEL_VERSION || f->nstages < 0 ||
		f->nstages > FUNNEL_MAX_STAGES ||
		VARSIZE(f) != funnel_size(f->nstages, OidIsValid(f->model), FN_HAS_AMT(f)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid crm_sales.funnel value"),
				 errdetail("Version %d, %d stages, %u bytes.",
						   f->version, f->nstages, (unsigned) VARSIZE(f))));
}

/* Rescale every amount of f (in place) to a larger scale. */
static void
funnel_rescale(FunnelData *f, int scale)
{
	int			i;

	if (!FN_HAS_AMT(f) || scale <= f->scale)
		return;
	for (i = 0; i < f->nstages; i++)
	{
		dec128		v;

		if (dec_rescale(fn_amount(f, i), f->scale, scale, &v) != DEC_OK)
			amount_overflow();
		fn_set_amount(f, i, v);
	}
	f->scale = scale;
}

/*
 * Numeric -> dec128 at the funnel's scale, raising the funnel's scale first
 * if the value has more decimal places.  Reads the numeric's stored digits
 * (sign, weight, display scale and base-10000 digits, PostgreSQL's stable
 * on-disk format) so no numeric arithmetic runs per row.
 */
static dec128
numeric_to_dec(FunnelData *f, Numeric num)
{
	CrmNumericDigits nd;
	dec128		v;

	crm_numeric_digits(num, &nd);
	if (nd.special)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel amount must be a finite number"),
				 errdetail("The amount is %s.", crm_numeric_text(num)),
				 errhint("Pass NULL to count the entity without an amount.")));
	if (nd.dscale > f->scale)
		funnel_rescale(f, Min(nd.dscale, DEC_MAX_SCALE));
	if (dec_from_base10000(nd.negative, nd.weight, nd.digits, nd.ndigits,
						   f->scale, &v) != DEC_OK)
		amount_overflow();
	return v;
}

/* Add one entity with furthest stage idx (and amount, if any) to f. */
static inline void
funnel_add_entity(FunnelData *f, int idx, Numeric amount)
{
	FN_AT(f)[idx]++;
	if (amount != NULL)
	{
		dec128		a = numeric_to_dec(f, amount);
		dec128		s;

		if (dec_add(fn_amount(f, idx), a, &s) != DEC_OK)
			amount_overflow();
		fn_set_amount(f, idx, s);
	}
}

/* ---- model funnels: stage lists ---- */

/* The label of an enum value (via the catalog, so old funnels still print). */
static char *
enum_label(Oid enum_oid)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(enum_oid));
	char	   *label;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("funnel stage %u no longer exists", enum_oid),
				 errhint("The model's enum type was dropped after the funnel was built.")));
	label = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	return label;
}

/* An empty funnel with the current stage list of a model. */
static FunnelData *
funnel_for_model(const CrmModel *m, bool amount)
{
	FunnelData *f = funnel_alloc(m->nstages, m->typid, amount, 0);
	int			i;

	for (i = 0; i < m->nstages; i++)
	{
		FN_STAGES(f)[i] = m->stages[i].enum_oid;
		FN_OFFPATH(f)[i] = m->stages[i].category == CRM_CAT_LOST;
	}
	return f;
}

/* Same model, same stages in the same order? */
static bool
same_stage_list(const FunnelData *a, const FunnelData *b)
{
	if (a->model != b->model || a->nstages != b->nstages)
		return false;
	if (!OidIsValid(a->model))
		return true;
	return memcmp(FN_STAGES(a), FN_STAGES(b), sizeof(Oid) * a->nstages) == 0 &&
		memcmp(FN_OFFPATH(a), FN_OFFPATH(b), a->nstages) == 0;
}

/* Index of enum value e in f's stage list, or -1. */
static int
funnel_stage_index(const FunnelData *f, Oid e)
{
	int			i;

	for (i = 0; i < f->nstages; i++)
		if (FN_STAGES(f)[i] == e)
			return i;
	return -1;
}

/* ---- merge ---- */

/* Add stage i of src into stage j of r (r's scale is at least src's). */
static void
add_stage_into(FunnelData *r, int j, const FunnelData *src, int i)
{
	if (pg_add_s64_overflow(FN_AT(r)[j], FN_AT(src)[i], &FN_AT(r)[j]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("funnel count out of range"),
				 errdetail("A stage count of the merged funnel exceeds the bigint range.")));
	if (FN_HAS_AMT(r))
	{
		dec128		v = fn_amount(src, i),
					sum;

		if (dec_rescale(v, src->scale, r->scale, &v) != DEC_OK ||
			dec_add(fn_amount(r, j), v, &sum) != DEC_OK)
			amount_overflow();
		fn_set_amount(r, j, sum);
	}
}

/*
 * a + b.  Funnels of the same model are aligned by stage; when their stage
 * lists differ (a stage was added to the model between them) the result has
 * the model's current stage list.  Positional funnels of different lengths
 * are padded.  When in_place, a is updated and returned if its layout fits.
 */
static FunnelData *
funnel_merge_two(FunnelData *a, FunnelData *b, bool in_place)
{
	FunnelData *r;
	int			scale = Max(a->scale, b->scale);
	int			i;

	if (a->model != b->model)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge funnels of different models"),
				 errdetail("One funnel is over %s, the other over %s.",
						   OidIsValid(a->model) ? format_type_be_qualified(a->model) : "positions",
						   OidIsValid(b->model) ? format_type_be_qualified(b->model) : "positions"),
				 errhint("Merge funnels of one model only; group by the model first.")));
	if (FN_HAS_AMT(a) != FN_HAS_AMT(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge a funnel with amounts and a funnel without"),
				 errdetail("The %s funnel has no amounts.", FN_HAS_AMT(a) ? "second" : "first"),
				 errhint("Build both with funnel_agg(stage, amount), or both with funnel_agg(stage).")));

	if (same_stage_list(a, b))
	{
		r = in_place ? a : funnel_copy(a);
		funnel_rescale(r, scale);
		for (i = 0; i < r->nstages; i++)
			add_stage_into(r, i, b, i);
		return r;
	}

	/* different stage lists: build the result, then add both into it */
	if (OidIsValid(a->model))
		r = funnel_for_model(crm_model_lookup(a->model, false), FN_HAS_AMT(a));
	else
		r = funnel_alloc(Max(a->nstages, b->nstages), InvalidOid, FN_HAS_AMT(a), 0);
	r->scale = scale;
	for (int k = 0; k < 2; k++)
	{
		FunnelData *src = k == 0 ? a : b;

		for (i = 0; i < src->nstages; i++)
		{
			int			j = OidIsValid(r->model) ? funnel_stage_index(r, FN_STAGES(src)[i]) : i;

			if (j < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("funnel stage \"%s\" is no longer a stage of %s",
								enum_label(FN_STAGES(src)[i]), format_type_be_qualified(r->model))));
			add_stage_into(r, j, src, i);
		}
	}
	return r;
}

/* funnel + funnel; also the combine and transition function of the aggregates */
PG_FUNCTION_INFO_V1(crm_funnel_add);
Datum
crm_funnel_add(PG_FUNCTION_ARGS)
{
	FunnelData *a = PG_GETARG_FUNNEL(0);
	FunnelData *b = PG_GETARG_FUNNEL(1);
	bool		in_place = AggCheckCallContext(fcinfo, NULL) != 0 &&
		a == (FunnelData *) DatumGetPointer(PG_GETARG_DATUM(0));

	funnel_check(a);
	funnel_check(b);
	PG_RETURN_POINTER(funnel_merge_two(a, b, in_place));
}

/* ---- funnel_agg ---- */

/* Per-query cache of funnel_agg over an enum: the model's stage lookup. */
typedef struct AggCache
{
	Oid			typid;
	int			nstages;
	uint32	   *sorted_oids;	/* enum OIDs ascending ... */
	int		   *sorted_idx;		/* ... and their stage indexes */
	FunnelData *empty;			/* template state */
} AggCache;

/* The cache for this call site, built at its first row. */
static AggCache *
agg_cache(FunctionCallInfo fcinfo, bool amount)
{
	AggCache   *c = (AggCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);
		CrmModel   *m = crm_model_lookup(typid, false);

		c = palloc(sizeof(AggCache));
		c->typid = m->typid;
		c->nstages = m->nstages;
		c->sorted_oids = palloc(sizeof(uint32) * m->nstages);
		c->sorted_idx = palloc(sizeof(int) * m->nstages);
		memcpy(c->sorted_oids, m->sorted_oids, sizeof(uint32) * m->nstages);
		memcpy(c->sorted_idx, m->sorted_idx, sizeof(int) * m->nstages);
		c->empty = funnel_for_model(m, amount);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

/* Refuse a call outside an aggregate. */
static void
need_agg_context(FunctionCallInfo fcinfo, const char *name)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", name)));
}

/*
 * funnel_agg(furthest_stage anyenum [, amount numeric]) transition.  The
 * state is updated in place; a new state is made in the per-row context and
 * copied into the aggregate context by the executor.
 */
PG_FUNCTION_INFO_V1(crm_funnel_agg_enum);
Datum
crm_funnel_agg_enum(PG_FUNCTION_ARGS)
{
	bool		amount = PG_NARGS() > 2;
	AggCache   *c;
	FunnelData *f;
	int			pos;

	need_agg_context(fcinfo, "funnel_agg");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	c = agg_cache(fcinfo, amount);
	if (PG_ARGISNULL(0))
		f = funnel_copy(c->empty);
	else
		f = (FunnelData *) DatumGetPointer(PG_GETARG_DATUM(0));

	pos = tm_find_key(c->sorted_oids, c->nstages, PG_GETARG_OID(1));
	if (pos < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value \"%s\" of type %s is not a stage of the model",
						enum_label(PG_GETARG_OID(1)), format_type_be_qualified(c->typid)),
				 errdetail("The enum value has no row in crm_sales.stage (or was added during this query)."),
				 errhint("Add enum values with crm_sales.add_stage(), not ALTER TYPE.")));
	funnel_add_entity(f, c->sorted_idx[pos],
					  amount && !PG_ARGISNULL(2) ? PG_GETARG_NUMERIC(2) : NULL);
	PG_RETURN_POINTER(f);
}

/* funnel_agg(furthest_position int [, amount numeric]) transition. */
PG_FUNCTION_INFO_V1(crm_funnel_agg_pos);
Datum
crm_funnel_agg_pos(PG_FUNCTION_ARGS)
{
	bool		amount = PG_NARGS() > 2;
	FunnelData *f;
	int32		pos;

	need_agg_context(fcinfo, "funnel_agg");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	pos = PG_GETARG_INT32(1);
	if (pos < 1 || pos > FUNNEL_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("funnel position %d is out of range", pos),
				 errdetail("Positions run from 1 to %d.", FUNNEL_MAX_STAGES),
				 errhint("Pass the 1-based position of the furthest step the entity reached.")));
	if (PG_ARGISNULL(0))
		f = funnel_alloc(pos, InvalidOid, amount, 0);
	else
	{
		f = (FunnelData *) DatumGetPointer(PG_GETARG_DATUM(0));
		if (pos > f->nstages)
		{
			/* grow: a new state the executor copies, freeing the old one */
			FunnelData *g = funnel_alloc(pos, InvalidOid, amount, f->scale);

			memcpy(FN_AT(g), FN_AT(f), sizeof(int64) * f->nstages);
			if (amount)
				memcpy(FN_AMT_PTR(g), FN_AMT_PTR(f), sizeof(dec128) * f->nstages);
			f = g;
		}
	}
	funnel_add_entity(f, pos - 1,
					  amount && !PG_ARGISNULL(2) ? PG_GETARG_NUMERIC(2) : NULL);
	PG_RETURN_POINTER(f);
}

/* For the event-log aggregates: a positional funnel from deepest-step counts. */
Datum
crm_funnel_positional(int nsteps, const int64 *deepest)
{
	FunnelData *f;

	Assert(nsteps >= 1 && nsteps <= FUNNEL_MAX_STAGES);
	f = funnel_alloc(nsteps, InvalidOid, false, 0);
	memcpy(FN_AT(f), deepest, sizeof(int64) * nsteps);
	return PointerGetDatum(f);
}

/* ---- reading a funnel ---- */

/* A funnel with its reached counts and amounts worked out. */
typedef struct FunnelView
{
	FunnelData *f;
	int			n;
	int64	   *reached;
	dec128	   *amount;			/* NULL without amounts */
	const uint8 *off_path;		/* NULL for positional funnels */
	char	  **names;			/* stage names (positions as text) */
} FunnelView;

static void
funnel_view(FunnelData *f, FunnelView *v)
{
	int			i;

	funnel_check(f);
	v->f = f;
	v->n = f->nstages;
	v->off_path = OidIsValid(f->model) ? FN_OFFPATH(f) : NULL;
	v->reached = palloc(sizeof(int64) * Max(v->n, 1));
	if (fc_reached(v->n, FN_AT(f), v->off_path, v->reached) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("funnel count out of range"),
				 errdetail("The number of entities reaching a stage exceeds the bigint range.")));
	v->amount = NULL;
	if (FN_HAS_AMT(f))
	{
		dec128	   *at = palloc(sizeof(dec128) * Max(v->n, 1));

		v->amount = palloc(sizeof(dec128) * Max(v->n, 1));
		for (i = 0; i < v->n; i++)
			at[i] = fn_amount(f, i);
		if (fc_amount_reached(v->n, at, v->off_path, v->amount) != DEC_OK)
			amount_overflow();
	}
	v->names = palloc(sizeof(char *) * Max(v->n, 1));
	for (i = 0; i < v->n; i++)
		v->names[i] = OidIsValid(f->model) ? enum_label(FN_STAGES(f)[i]) : psprintf("%d", i + 1);
}

/* Append a stage name, double-quoted when it is not a plain word. */
static void
append_stage_name(StringInfo buf, const char *name)
{
	const char *p;
	bool		plain = *name != '\0';

	for (p = name; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '_' || IS_HIGHBIT_SET(*p)))
			plain = false;
	if (plain)
	{
		appendStringInfoString(buf, name);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

static void
append_amount(StringInfo buf, dec128 v, int scale)
{
	char		tmp[DEC_TEXT_MAX];

	dec_format(v, scale, tmp);
	appendStringInfoString(buf, tmp);
}

/* The text form: [model]{[stage=]reached[/amount], ...} */
static char *
funnel_to_text(FunnelData *f)
{
	FunnelView	v;
	StringInfoData buf;
	int			i;

	funnel_view(f, &v);
	initStringInfo(&buf);
	if (OidIsValid(f->model))
		appendStringInfoString(&buf, format_type_be_qualified(f->model));
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < v.n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (OidIsValid(f->model))
		{
			append_stage_name(&buf, v.names[i]);
			appendStringInfoChar(&buf, '=');
		}
		appendStringInfo(&buf, INT64_FORMAT, v.reached[i]);
		if (v.amount != NULL)
		{
			appendStringInfoChar(&buf, '/');
			append_amount(&buf, v.amount[i], f->scale);
		}
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

PG_FUNCTION_INFO_V1(crm_funnel_out);
Datum
crm_funnel_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(funnel_to_text(PG_GETARG_FUNNEL(0)));
}

/* ---- text input ---- */

/* Raise 22P02 for funnel text, with a detail. */
static void
bad_text(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type crm_sales.funnel: \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("The form is model{stage=reached/amount,...} or {reached/amount,...} for positions, e.g. crm_sales.sales_stage{lead_generation=10/500.00,initial_contact=4/200.00}.")));
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Read a stage name (plain word or "quoted") at *pp into a palloc'd string. */
static char *
read_name(const char *text, const char **pp)
{
	const char *p = *pp;
	StringInfoData buf;

	initStringInfo(&buf);
	if (*p == '"')
	{
		p++;
		for (;;)
		{
			if (*p == '\0')
				bad_text(text, "A quoted stage name is not closed.");
			if (*p == '"')
			{
				if (p[1] != '"')
					break;
				p++;
			}
			appendStringInfoChar(&buf, *p++);
		}
		p++;
	}
	else
		while (*p && (isalnum((unsigned char) *p) || *p == '_' || IS_HIGHBIT_SET(*p)))
			appendStringInfoChar(&buf, *p++);
	if (buf.len == 0 && **pp != '"')
		bad_text(text, "A stage name is missing.");
	*pp = p;
	return buf.data;
}

/* Read an unsigned 64-bit count at *pp. */
static int64
read_count(const char *text, const char **pp)
{
	const char *p = *pp;
	int64		v = 0;

	if (!isdigit((unsigned char) *p))
		bad_text(text, "A reached count (a non-negative integer) is missing.");
	while (isdigit((unsigned char) *p))
	{
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, *p - '0', &v))
			bad_text(text, "A reached count is out of range.");
		p++;
	}
	*pp = p;
	return v;
}

/* Parse the text form (see funnel_to_text). */
static FunnelData *
funnel_from_text(const char *text)
{
	const char *brace = NULL;
	const char *p;
	bool		inq = false;
	Oid			model = InvalidOid;
	CrmModel   *m = NULL;
	int			cap = FUNNEL_MAX_STAGES;
	int64	   *reached = palloc0(sizeof(int64) * cap);
	dec128	   *amt = palloc0(sizeof(dec128) * cap);
	int		   *amt_scale = palloc0(sizeof(int) * cap);
	bool	   *seen = palloc0(sizeof(bool) * cap);
	int			n = 0;
	int			nentries = 0;
	int			with_amount = -1;
	int			scale = 0;
	FunnelData *f;
	int64	   *at;
	int			bad;
	int			i;

	/* the model name ends at the first '{' outside double quotes */
	for (p = text; *p; p++)
	{
		if (*p == '"')
			inq = !inq;
		else if (*p == '{' && !inq)
		{
			brace = p;
			break;
		}
	}
	if (brace == NULL)
		bad_text(text, "The opening \"{\" is missing.");
	{
		char	   *name = pnstrdup(text, brace - text);
		char	   *s = name,
				   *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s)
		{
			model = DatumGetObjectId(DirectFunctionCall1(regtypein, CStringGetDatum(s)));
			m = crm_model_lookup(model, false);
			model = m->typid;
			n = m->nstages;
		}
	}

	p = skip_space(brace + 1);
	if (*p == '}')
		p++;
	else
		for (;;)
		{
			int			idx;

			if (m != NULL)
			{
				char	   *name = read_name(text, &p);

				for (idx = 0; idx < m->nstages; idx++)
					if (strcmp(m->stages[idx].name, name) == 0)
						break;
				if (idx == m->nstages)
					bad_text(text, psprintf("\"%s\" is not a stage of %s.", name, m->name));
				if (seen[idx])
					bad_text(text, psprintf("Stage \"%s\" appears twice.", name));
				p = skip_space(p);
				if (*p != '=')
					bad_text(text, psprintf("\"=\" is missing after stage \"%s\".", name));
				p = skip_space(p + 1);
			}
			else
			{
				if (nentries >= FUNNEL_MAX_STAGES)
					bad_text(text, psprintf("A funnel has at most %d positions.", FUNNEL_MAX_STAGES));
				idx = nentries;
				n = nentries + 1;
			}
			seen[idx] = true;
			nentries++;
			reached[idx] = read_count(text, &p);
			p = skip_space(p);
			if ((*p == '/') != (with_amount != 0) && with_amount != -1)
				bad_text(text, "Either every stage has an amount or none has.");
			with_amount = *p == '/';
			if (*p == '/')
			{
				const char *s = p = skip_space(p + 1);
				dec_status st;

				while (*p == '-' || *p == '+' || *p == '.' || isdigit((unsigned char) *p))
					p++;
				st = dec_parse(s, p - s, &amt[idx], &amt_scale[idx]);
				if (st == DEC_SYNTAX)
					bad_text(text, "An amount is not a decimal number.");
				if (st != DEC_OK)
					bad_text(text, psprintf("An amount is out of range (at most 38 digits, %d decimal places).",
											DEC_MAX_SCALE));
				scale = Max(scale, amt_scale[idx]);
				p = skip_space(p);
			}
			if (*p == ',')
			{
				p = skip_space(p + 1);
				continue;
			}
			if (*p == '}')
			{
				p++;
				break;
			}
			bad_text(text, "Expected \",\" or \"}\".");
		}
	if (*skip_space(p) != '\0')
		bad_text(text, "Unexpected text after \"}\".");
	if (m == NULL && n == 0)
		bad_text(text, "A positional funnel needs at least one position.");

	f = m != NULL ? funnel_for_model(m, with_amount == 1) :
		funnel_alloc(n, InvalidOid, with_amount == 1, 0);
	at = FN_AT(f);
	bad = fc_at_from_reached(n, reached, m != NULL ? FN_OFFPATH(f) : NULL, at);
	if (bad >= 0)
		bad_text(text, psprintf("Stage %s is reached by " INT64_FORMAT " entities, more than the stage before it on the path: a funnel narrows along its path.",
								m != NULL ? m->stages[bad].name : psprintf("%d", bad + 1),
								reached[bad]));
	if (with_amount == 1)
	{
		dec128	   *at_amt = palloc(sizeof(dec128) * n);

		f->scale = scale;
		for (i = 0; i < n; i++)
			if (dec_rescale(amt[i], amt_scale[i], scale, &amt[i]) != DEC_OK)
				bad_text(text, "An amount is out of range.");
		if (fc_amount_at_from_reached(n, amt, m != NULL ? FN_OFFPATH(f) : NULL, at_amt) != DEC_OK)
			bad_text(text, "An amount is out of range.");
		for (i = 0; i < n; i++)
			fn_set_amount(f, i, at_amt[i]);
	}
	return f;
}

PG_FUNCTION_INFO_V1(crm_funnel_in);
Datum
crm_funnel_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(funnel_from_text(PG_GETARG_CSTRING(0)));
}

/*
 * Binary form: a version byte, then the text form.  Stage names, not OIDs,
 * so a value moves between servers whose enum OIDs differ.
 */
PG_FUNCTION_INFO_V1(crm_funnel_send);
Datum
crm_funnel_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	char	   *s = funnel_to_text(PG_GETARG_FUNNEL(0));

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FUNNEL_VERSION);
	pq_sendtext(&buf, s, strlen(s));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_funnel_recv);
Datum
crm_funnel_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			nbytes;
	char	   *s;

	if (version != FUNNEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary crm_sales.funnel version %d", version)));
	s = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);
	PG_RETURN_POINTER(funnel_from_text(s));
}

/* funnel = funnel: same model, stages and numbers (amounts compared by value). */
PG_FUNCTION_INFO_V1(crm_funnel_eq);
Datum
crm_funnel_eq(PG_FUNCTION_ARGS)
{
	FunnelData *a = PG_GETARG_FUNNEL(0);
	FunnelData *b = PG_GETARG_FUNNEL(1);
	int			scale = Max(a->scale, b->scale);
	int			i;

	funnel_check(a);
	funnel_check(b);
	if (!same_stage_list(a, b) || FN_HAS_AMT(a) != FN_HAS_AMT(b) ||
		memcmp(FN_AT(a), FN_AT(b), sizeof(int64) * a->nstages) != 0)
		PG_RETURN_BOOL(false);
	for (i = 0; FN_HAS_AMT(a) && i < a->nstages; i++)
	{
		dec128		x,
					y;

		if (dec_rescale(fn_amount(a, i), a->scale, scale, &x) != DEC_OK ||
			dec_rescale(fn_amount(b, i), b->scale, scale, &y) != DEC_OK || x != y)
			PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

/* ---- accessors ---- */

/*
 * Index of a stage given by name (positional funnels: its number).  An
 * unknown name is the common mistake of a typo: the error lists the stages
 * the funnel has, in order, so the fix can be read off it.
 */
static int
view_stage(const FunnelView *v, const char *name)
{
	StringInfoData stages;
	int			i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->names[i], name) == 0)
			return i;
	if (!OidIsValid(v->f->model))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a stage of this funnel", name),
				 errdetail("The funnel has positions 1 to %d.", v->n),
				 errhint("Use a position from 1 to %d.", v->n)));
	initStringInfo(&stages);
	for (i = 0; i < v->n; i++)
		appendStringInfo(&stages, "%s%s", i > 0 ? ", " : "", v->names[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" is not a stage of this funnel", name),
			 errdetail("The stages of the funnel (model %s) are: %s.",
					   format_type_be_qualified(v->f->model), stages.data),
			 errhint("Use one of the stages listed.")));
	return -1;					/* keep the compiler quiet */
}

/*
 * conversion_rate(funnel, from, to): share of the entities that reached
 * stage "from" which also reached stage "to"; NULL if none reached "from".
 */
PG_FUNCTION_INFO_V1(crm_funnel_conversion);
Datum
crm_funnel_conversion(PG_FUNCTION_ARGS)
{
	FunnelView	v;
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 1);
	int			from,
				to;

	funnel_view(PG_GETARG_FUNNEL(0), &v);
	if (argtype == INT4OID)
	{
		from = view_stage(&v, psprintf("%d", PG_GETARG_INT32(1)));
		to = view_stage(&v, psprintf("%d", PG_GETARG_INT32(2)));
	}
	else if (argtype == TEXTOID)
	{
		from = view_stage(&v, text_to_cstring(PG_GETARG_TEXT_PP(1)));
		to = view_stage(&v, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	}
	else
	{
		/* a value of another enum may share a label with a stage of ours */
		if (argtype != v.f->model)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("conversion_rate stages of type %s do not match the funnel",
							format_type_be_qualified(argtype)),
					 errdetail("The funnel is over %s.",
							   OidIsValid(v.f->model) ? format_type_be_qualified(v.f->model) : "positions"),
					 errhint("Pass values of the funnel's model type, or the stage names as text.")));
		from = view_stage(&v, enum_label(PG_GETARG_OID(1)));
		to = view_stage(&v, enum_label(PG_GETARG_OID(2)));
	}
	if (v.reached[from] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) v.reached[to] / (double) v.reached[from]);
}

/*
 * funnel_steps(funnel): one row per stage with labels, reached, amount,
 * conversion from the previous path stage and from the first, drop-off.
 */
PG_FUNCTION_INFO_V1(crm_funnel_steps);
Datum
crm_funnel_steps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FunnelView	v;
	CrmModel   *m = NULL;
	int			first = -1,
				prev = -1;
	int			i;

	funnel_view(PG_GETARG_FUNNEL(0), &v);
	if (OidIsValid(v.f->model))
		m = crm_model_lookup(v.f->model, true);
	InitMaterializedSRF(fcinfo, 0);

	for (i = 0; i < v.n; i++)
	{
		Datum		values[11];
		bool		nulls[11];
		bool		on_path = v.off_path == NULL || !v.off_path[i];
		const CrmStage *st = NULL;
		int			k;

		memset(nulls, 0, sizeof(nulls));
		if (m != NULL)
			for (k = 0; k < m->nstages; k++)
				if (m->stages[k].enum_oid == FN_STAGES(v.f)[i])
					st = &m->stages[k];
		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(v.names[i]);
		nulls[2] = st == NULL;
		if (st)
			values[2] = CStringGetTextDatum(st->label_en);
		nulls[3] = st == NULL || st->label_zh == NULL;
		if (!nulls[3])
			values[3] = CStringGetTextDatum(st->label_zh);
		values[4] = CStringGetTextDatum(!on_path ? "lost" :
										st != NULL && st->category == CRM_CAT_WON ? "won" :
										OidIsValid(v.f->model) ? "open" : "step");
		values[5] = Int64GetDatum(v.reached[i]);
		nulls[6] = v.amount == NULL;
		if (v.amount)
			values[6] = crm_dec_numeric(v.amount[i], v.f->scale);
		/* conversion from the previous path stage, from the first, drop-off */
		nulls[7] = nulls[8] = nulls[9] = true;
		if (on_path)
		{
			if (prev >= 0 && v.reached[prev] > 0)
			{
				nulls[7] = false;
				values[7] = Float8GetDatum((double) v.reached[i] / v.reached[prev]);
			}
			if (first >= 0 && v.reached[first] > 0)
			{
				nulls[8] = false;
				values[8] = Float8GetDatum((double) v.reached[i] / v.reached[first]);
			}
			else if (first < 0 && v.reached[i] > 0)
			{
				nulls[8] = false;
				values[8] = Float8GetDatum(1.0);
			}
			if (prev >= 0)
			{
				nulls[9] = false;
				values[9] = Int64GetDatum(v.reached[prev] - v.reached[i]);
			}
			if (first < 0)
				first = i;
			prev = i;
		}
		/*
		 * share of all entities whose furthest stage this is; summed in
		 * double, since path and lost stages together can pass the bigint
		 * range (each is checked only on its own)
		 */
		{
			double		total = 0;

			for (k = 0; k < v.n; k++)
				total += (double) FN_AT(v.f)[k];
			nulls[10] = total == 0;
			if (total > 0)
				values[10] = Float8GetDatum((double) FN_AT(v.f)[i] / total);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* funnel::jsonb, for BI tools: the model and one object per stage. */
PG_FUNCTION_INFO_V1(crm_funnel_jsonb);
Datum
crm_funnel_jsonb(PG_FUNCTION_ARGS)
{
	FunnelView	v;
	StringInfoData buf;
	int			i;

	funnel_view(PG_GETARG_FUNNEL(0), &v);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"model\": ");
	if (OidIsValid(v.f->model))
		escape_json(&buf, format_type_be_qualified(v.f->model));
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoString(&buf, ", \"stages\": [");
	for (i = 0; i < v.n; i++)
	{
		appendStringInfo(&buf, "%s{\"position\": %d, \"stage\": ", i ? ", " : "", i + 1);
		escape_json(&buf, v.names[i]);
		appendStringInfo(&buf, ", \"on_path\": %s, \"reached\": " INT64_FORMAT,
						 v.off_path && v.off_path[i] ? "false" : "true", v.reached[i]);
		if (v.amount)
		{
			appendStringInfoString(&buf, ", \"amount\": ");
			append_amount(&buf, v.amount[i], v.f->scale);
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/*
 * funnel_chart(funnel, width): one text line per stage, a bar scaled to the
 * first stage, the reached count and the conversion from the previous stage
 * and from the first.  Bars use U+2588 in UTF-8 databases, '#' otherwise.
 */
PG_FUNCTION_INFO_V1(crm_funnel_chart);
Datum
crm_funnel_chart(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FunnelView	v;
	int32		width = PG_GETARG_INT32(1);
	const char *block = GetDatabaseEncoding() == PG_UTF8 ? "\xe2\x96\x88" : "#";
	int			namew = 5;
	int64		top = 0;
	int			first = -1,
				prev = -1;
	int			i;

	if (width < 1 || width > 200)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_chart width must be between 1 and 200"),
				 errdetail("The width is %d.", width),
				 errhint("Pass the number of characters of the longest bar, e.g. 40.")));
	funnel_view(PG_GETARG_FUNNEL(0), &v);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < v.n; i++)
	{
		namew = Max(namew, pg_mbstrlen(v.names[i]));
		top = Max(top, v.reached[i]);
	}
	for (i = 0; i < v.n; i++)
	{
		StringInfoData line;
		bool		on_path = v.off_path == NULL || !v.off_path[i];
		int			bar = top > 0 ? (int) ((double) v.reached[i] * width / top + 0.5) : 0;
		int			k;
		Datum		val;
		bool		isnull = false;

		initStringInfo(&line);
		appendStringInfoString(&line, v.names[i]);
		for (k = pg_mbstrlen(v.names[i]); k < namew; k++)
			appendStringInfoChar(&line, ' ');
		appendStringInfoString(&line, " |");
		for (k = 0; k < width; k++)
			appendStringInfoString(&line, k < bar ? block : " ");
		appendStringInfo(&line, "| %*lld", 10, (long long) v.reached[i]);
		if (!on_path)
			appendStringInfoString(&line, "  (lost)");
		else
		{
			if (first >= 0 && v.reached[first] > 0)
				appendStringInfo(&line, "  %5.1f%% of first", 100.0 * v.reached[i] / v.reached[first]);
			else if (first < 0)
				appendStringInfoString(&line, "                ");
			if (prev >= 0 && v.reached[prev] > 0)
				appendStringInfo(&line, "  %5.1f%% of previous", 100.0 * v.reached[i] / v.reached[prev]);
			if (first < 0)
				first = i;
			prev = i;
		}
		/* no trailing blanks */
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		val = CStringGetTextDatum(line.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &val, &isnull);
	}
	return (Datum) 0;
}
