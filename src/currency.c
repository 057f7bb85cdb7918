/*
 * currency.c
 *		Multi-currency amounts: to_currency() with dated exchange rates
 *		(direct, inverse, or triangulated through the corporate currency),
 *		exact arithmetic and one rounding to the target's minor units; the
 *		per-backend rate cache and its invalidation; the freeze_won_amount()
 *		trigger that stores the converted amount when a row is won.
 *
 * Currencies and the corporate currency are read once per backend; a
 * pair's rates are read the first time the pair is needed, sorted by
 * valid_from.  Every change of crm_sales.currency, exchange_rate or
 * corporate_currency queues a relcache invalidation of the changed table
 * (crm_sales.config_changed(), as for the stage models); this backend then
 * drops the whole cache at its next command, others at their next
 * statement.  The arithmetic is src/core/performance/bignum.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "numeric_glue.h"
#include "performance/bignum.h"
#include "performance/rate_lookup.h"

/* ISO 4217 codes are three letters; keys are NUL-terminated */
#define CODE_LEN 4

typedef struct CurrencyEntry
{
	char		code[CODE_LEN];	/* hash key */
	int			minor_units;
} CurrencyEntry;

typedef struct PairKey
{
	char		from[CODE_LEN];
	char		to[CODE_LEN];
} PairKey;

/* The dated rates of one pair, ascending by valid_from (n may be 0). */
typedef struct PairEntry
{
	PairKey		key;			/* hash key */
	int			n;
	int32	   *valid_from;		/* days since 2000-01-01 */
	bn_dec	   *rate;
} PairEntry;

static MemoryContext cur_context = NULL;
static HTAB *currencies = NULL;
static HTAB *pairs = NULL;
static char corporate[CODE_LEN];
static bool cur_stale = true;
static uint64 cur_generation = 1;
static uint64 cur_epoch = 0;		/* bumped at every reload: cached pointers die */

/* OIDs of currency, exchange_rate, corporate_currency once known */
static Oid	cur_relids[3] = {InvalidOid, InvalidOid, InvalidOid};

/* Relcache invalidation (crm_sales.c): one of our tables changed, or everything. */
void
crm_currency_relcache(Oid relid)
{
	size_t		i;

	for (i = 0; i < lengthof(cur_relids); i++)
		if (relid == InvalidOid || cur_relids[i] == relid)
		{
			cur_stale = true;
			cur_generation++;
			return;
		}
}

/* The error for an amount too large to convert exactly. */
static void
out_of_range(int weight)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("amount is out of range for currency conversion"),
			 errdetail("The amount has about %d digits before the point; conversions are exact with at most %d digits in all.",
					   4 * (weight + 1), BN_LIMBS * 9),
			 errhint("Round the amount before converting it.")));
}

/* A numeric rate as an exact decimal (the table's trigger keeps it in range). */
static void
numeric_to_bn_dec(Numeric num, bn_dec *out)
{
	CrmNumericDigits nd;

	crm_numeric_digits(num, &nd);
	if (nd.special ||
		bn_dec_from_base10000(nd.negative, nd.weight, nd.digits, nd.ndigits, out) != BN_OK)
		out_of_range(nd.weight);
}

/* Drop the cache and read the currencies and the corporate currency. */
static void
cur_reload(void)
{
	HASHCTL		ctl;
	uint64		i;
	Oid			nsp;

	if (cur_context == NULL)
		cur_context = AllocSetContextCreate(CacheMemoryContext,
											"crm_sales currency cache",
											ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cur_context);
	currencies = pairs = NULL;
	corporate[0] = '\0';
	cur_stale = false;
	cur_epoch++;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = CODE_LEN;
	ctl.entrysize = sizeof(CurrencyEntry);
	ctl.hcxt = cur_context;
	currencies = hash_create("crm_sales currencies", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(PairKey);
	ctl.entrysize = sizeof(PairEntry);
	pairs = hash_create("crm_sales exchange rates", 64, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	nsp = get_namespace_oid("crm_sales", false);
	cur_relids[0] = get_relname_relid("currency", nsp);
	cur_relids[1] = get_relname_relid("exchange_rate", nsp);
	cur_relids[2] = get_relname_relid("corporate_currency", nsp);

	crm_config_query("SELECT code, minor_units FROM crm_sales.currency", 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *code = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bool		isnull;
		CurrencyEntry *e;
		char		key[CODE_LEN] = {0};

		if (code == NULL || strlen(code) != 3)
			continue;
		memcpy(key, code, 3);
		e = hash_search(currencies, key, HASH_ENTER, NULL);
		e->minor_units = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 2, &isnull));
	}
	crm_config_query("SELECT code FROM crm_sales.corporate_currency", 0, NULL, NULL);
	if (SPI_processed == 1)
	{
		char	   *code = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (code != NULL && strlen(code) == 3)
			strlcpy(corporate, code, CODE_LEN);
	}
	SPI_finish();
}

/* Make sure the cache is current (taking in committed changes first). */
static void
cur_check(bool accept_invalidations)
{
	if (accept_invalidations)
		AcceptInvalidationMessages();
	if (cur_stale || currencies == NULL)
	{
		uint64		gen = cur_generation;

		PG_TRY();
		{
			cur_reload();
		}
		PG_CATCH();
		{
			cur_stale = true;
			PG_RE_THROW();
		}
		PG_END_TRY();
		/* an invalidation during the load: use it now, reload next time */
		if (gen != cur_generation)
			cur_stale = true;
	}
}

/* The currency of a code, or a clear error naming it. */
static CurrencyEntry *
cur_lookup(const char *code, const char *what)
{
	char		key[CODE_LEN] = {0};
	CurrencyEntry *e = NULL;

	if (strlen(code) == 3)
	{
		memcpy(key, code, 3);
		e = hash_search(currencies, key, HASH_FIND, NULL);
	}
	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown currency code \"%s\"", code),
				 errdetail("The %s currency must be an ISO 4217 code listed in crm_sales.currency.", what),
				 errhint("Use the upper-case three-letter code (e.g. USD, EUR, JPY), or add the currency to crm_sales.currency.")));
	return e;
}

/* The rates of a pair, read on first use. */
static PairEntry *
pair_lookup(const char *from, const char *to)
{
	PairKey		key;
	PairEntry  *p;
	bool		found;

	memset(&key, 0, sizeof(key));
	memcpy(key.from, from, 3);
	memcpy(key.to, to, 3);
	p = hash_search(pairs, &key, HASH_FIND, NULL);
	if (p == NULL)
	{
		Oid			argtypes[2] = {TEXTOID, TEXTOID};
		Datum		args[2];
		uint64		i;
		MemoryContext old;

		args[0] = CStringGetTextDatum(from);
		args[1] = CStringGetTextDatum(to);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "crm_sales: SPI_connect failed");
		crm_config_query("SELECT valid_from, rate FROM crm_sales.exchange_rate"
				  " WHERE from_currency OPERATOR(pg_catalog.=) $1"
				  " AND to_currency OPERATOR(pg_catalog.=) $2 ORDER BY valid_from",
				  2, argtypes, args);
		p = hash_search(pairs, &key, HASH_ENTER, &found);
		p->n = 0;
		old = MemoryContextSwitchTo(cur_context);
		p->valid_from = palloc(sizeof(int32) * Max(SPI_processed, 1));
		p->rate = palloc(sizeof(bn_dec) * Max(SPI_processed, 1));
		MemoryContextSwitchTo(old);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
			Datum		r = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

			p->valid_from[i] = DatumGetDateADT(d);
			numeric_to_bn_dec(DatumGetNumeric(r), &p->rate[i]);
		}
		p->n = (int) SPI_processed;
		SPI_finish();
	}
	return p;
}



/* Parse the rounding argument. */
static bn_rounding
rounding_arg(text *t)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *s;

	if (len == 7 && memcmp(VARDATA_ANY(t), "half_up", 7) == 0)
		return BN_HALF_UP;
	if (len == 9 && memcmp(VARDATA_ANY(t), "half_even", 9) == 0)
		return BN_HALF_EVEN;
	s = text_to_cstring(t);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown rounding \"%s\"", s),
			 errhint("Use 'half_up' (ties away from zero, as round() does) or 'half_even' (ties to even).")));
	return BN_HALF_UP;			/* keep the compiler quiet */
}

/* The text of a date, for messages. */
static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

/* The pairs a conversion from -> to may use, looked up once per call site. */
typedef struct Route
{
	uint64		epoch;			/* cur_epoch when resolved */
	char		from[CODE_LEN];
	char		to[CODE_LEN];
	int			minor_units;	/* of the target */
	bool		same;			/* from = to */
	PairEntry  *direct,
			   *inverse;
	PairEntry  *leg1,
			   *leg1_inv,		/* from -> corporate, corporate -> from */
			   *leg2,
			   *leg2_inv;		/* corporate -> to, to -> corporate */
} Route;

/* Resolve the route of from -> to (the cache must be current). */
static void
route_resolve(Route *r, const char *from, const char *to)
{
	(void) cur_lookup(from, "source");
	r->minor_units = cur_lookup(to, "target")->minor_units;
	strlcpy(r->from, from, CODE_LEN);
	strlcpy(r->to, to, CODE_LEN);
	r->same = strcmp(from, to) == 0;
	r->direct = r->inverse = r->leg1 = r->leg1_inv = r->leg2 = r->leg2_inv = NULL;
	if (!r->same)
	{
		r->direct = pair_lookup(from, to);
		r->inverse = pair_lookup(to, from);
		if (corporate[0] != '\0' && strcmp(from, corporate) != 0 && strcmp(to, corporate) != 0)
		{
			r->leg1 = pair_lookup(from, corporate);
			r->leg1_inv = pair_lookup(corporate, from);
			r->leg2 = pair_lookup(corporate, to);
			r->leg2_inv = pair_lookup(to, corporate);
		}
	}
	r->epoch = cur_epoch;
}

/* The rate of a pair in force on day at, or NULL. */
static const bn_dec *
pair_rate(const PairEntry *p, DateADT at)
{
	int			i = rate_index(p->valid_from, p->n, at);

	return i < 0 ? NULL : &p->rate[i];
}

/* One leg: the direct rate as numerator, else the inverse's as denominator. */
static bool
route_leg(const PairEntry *d, const PairEntry *inv, DateADT at,
		  const bn_dec **num, int *nnum, const bn_dec **den, int *nden)
{
	const bn_dec *x = pair_rate(d, at);

	if (x != NULL)
	{
		num[(*nnum)++] = x;
		return true;
	}
	x = pair_rate(inv, at);
	if (x != NULL)
	{
		den[(*nden)++] = x;
		return true;
	}
	return false;
}

/* The numeric of an exact decimal, built without text. */
static Datum
bn_dec_numeric(const bn_dec *d)
{
	int16		digits[BN_LIMBS * 3 + 4];
	int			weight;
	int			n = bn_to_base10000(&d->coef, d->scale, digits, lengthof(digits), &weight);

	if (n < 0)
	{
		char		buf[BN_TEXT_MAX];

		bn_format(&d->coef, d->scale, d->negative, buf);
		return crm_numeric_from_text(buf);
	}
	return crm_numeric_from_digits(d->negative, weight, d->scale, digits, n);
}

/*
 * amount converted along the route with the rates in force on day at,
 * rounded to scale places (the target's minor units unless scale >= 0).
 */
static Datum
convert_amount(Numeric amount, const Route *rt, DateADT at,
			   bn_rounding rounding, int scale)
{
	const bn_dec *num[2];
	const bn_dec *den[2];
	int			nnum = 0,
				nden = 0;
	bn_dec		a,
				out;
	CrmNumericDigits nd;

	crm_numeric_digits(amount, &nd);
	if (nd.special)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot convert %s: an amount must be a finite number",
						crm_numeric_text(amount))));
	if (DATE_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot convert at date %s", date_text(at)),
				 errhint("Pass the day whose exchange rate applies, e.g. the close date.")));
	if (scale < 0)
		scale = rt->minor_units;

	if (!rt->same && !route_leg(rt->direct, rt->inverse, at, num, &nnum, den, &nden))
	{
		/* triangulate through the corporate currency */
		bool		ok = false;

		if (rt->leg1 != NULL)
		{
			nnum = nden = 0;
			ok = route_leg(rt->leg1, rt->leg1_inv, at, num, &nnum, den, &nden) &&
				route_leg(rt->leg2, rt->leg2_inv, at, num, &nnum, den, &nden);
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no exchange rate from %s to %s on %s", rt->from, rt->to, date_text(at)),
					 corporate[0] != '\0' ?
					 errdetail("Neither %s->%s nor %s->%s has a rate valid on or before that day, and the route through the corporate currency %s is incomplete.",
							   rt->from, rt->to, rt->to, rt->from, corporate) :
					 errdetail("Neither %s->%s nor %s->%s has a rate valid on or before that day, and no corporate currency is set to triangulate through.",
							   rt->from, rt->to, rt->to, rt->from),
					 errhint("Add a rate with valid_from on or before %s to crm_sales.exchange_rate%s.",
							 date_text(at),
							 corporate[0] != '\0' ? "" : ", or set one with crm_sales.set_corporate_currency()")));
	}

	if (bn_dec_from_base10000(nd.negative, nd.weight, nd.digits, nd.ndigits, &a) != BN_OK ||
		bn_dec_scale_ratio(&a, num, nnum, den, nden, scale, rounding, &out) != BN_OK)
		out_of_range(nd.weight);
	return bn_dec_numeric(&out);
}

/* A currency code argument as a key (any other length is an unknown code). */
static void
code_key(text *t, char *key, const char *what)
{
	int			len = VARSIZE_ANY_EXHDR(t);

	memset(key, 0, CODE_LEN);
	if (len == 3)
		memcpy(key, VARDATA_ANY(t), 3);
	else
		(void) cur_lookup(text_to_cstring(t), what);
}

/* routes a call site keeps (a column of currencies has few distinct ones) */
#define ROUTE_SLOTS 16

typedef struct RouteCache
{
	int			n;				/* slots in use */
	int			next;			/* slot to replace when full */
	uint64		key[ROUTE_SLOTS];	/* from and to packed, for a quick match */
	Route		slot[ROUTE_SLOTS];
} RouteCache;

/* The 3-letter codes from and to packed into one integer. */
static inline uint64
route_key(const char *from, const char *to)
{
	uint64		k = 0;

	memcpy(&k, from, 3);
	memcpy((char *) &k + 4, to, 3);
	return k;
}

/*
 * The route of this call's from -> to, kept in fn_extra while the cache
 * stays the same (up to ROUTE_SLOTS pairs per call site).  The first call
 * of a statement takes in committed rate changes first.
 */
static Route *
fn_route(FunctionCallInfo fcinfo, int from_arg, int to_arg)
{
	RouteCache *rc = (RouteCache *) fcinfo->flinfo->fn_extra;
	char		from[CODE_LEN],
				to[CODE_LEN];
	Route	   *r;
	uint64		key;
	int			i;

	if (rc == NULL)
	{
		rc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RouteCache));
		fcinfo->flinfo->fn_extra = rc;
		cur_check(true);
	}
	else
		cur_check(false);
	code_key(PG_GETARG_TEXT_PP(from_arg), from, "source");
	code_key(PG_GETARG_TEXT_PP(to_arg), to, "target");
	key = route_key(from, to);
	for (i = 0; i < rc->n; i++)
		if (rc->key[i] == key)
		{
			r = &rc->slot[i];
			if (r->epoch != cur_epoch)
				route_resolve(r, from, to);
			return r;
		}
	if (rc->n < ROUTE_SLOTS)
		i = rc->n++;
	else
	{
		i = rc->next;
		rc->next = (rc->next + 1) % ROUTE_SLOTS;
	}
	r = &rc->slot[i];
	rc->key[i] = key;
	memset(r, 0, sizeof(Route));
	route_resolve(r, from, to);
	return r;
}

PG_FUNCTION_INFO_V1(crm_to_currency);

/* to_currency(amount, from, to, at [, rounding]) */
Datum
crm_to_currency(PG_FUNCTION_ARGS)
{
	bn_rounding rounding = PG_NARGS() > 4 ? rounding_arg(PG_GETARG_TEXT_PP(4)) : BN_HALF_UP;

	Route	   *r = fn_route(fcinfo, 1, 2);

	/* the amount is read in place (a short header needs no copy) */
	PG_RETURN_DATUM(convert_amount((Numeric) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0)), r,
								   PG_GETARG_DATEADT(3), rounding, -1));
}

PG_FUNCTION_INFO_V1(crm_currency_rate);

/*
 * currency_rate(from, to, at): the rate to_currency() applies, as one
 * number rounded half up to 18 decimal places (direct rates, which have at
 * most 18, are exact); for display; conversions never use it rounded.
 */
Datum
crm_currency_rate(PG_FUNCTION_ARGS)
{
	Route	   *r = fn_route(fcinfo, 0, 1);

	PG_RETURN_DATUM(convert_amount(DatumGetNumeric(crm_numeric_from_text("1")), r,
								   PG_GETARG_DATEADT(2), BN_HALF_UP, 18));
}

PG_FUNCTION_INFO_V1(crm_corporate_currency);

/* corporate_currency(): the code set with set_corporate_currency(), or NULL. */
Datum
crm_corporate_currency(PG_FUNCTION_ARGS)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, 1);
		cur_check(true);
	}
	else
		cur_check(false);
	if (corporate[0] == '\0')
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(corporate));
}

/* ---- freeze_won_amount trigger ---- */

/* Attribute number of a trigger argument's column, or 42703. */
static int
trigger_column(Relation rel, const char *name, const char *role)
{
	int			att = SPI_fnumber(RelationGetDescr(rel), name);

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" of crm_sales.freeze_won_amount() does not exist in table \"%s\"",
						role, name, RelationGetRelationName(rel)),
				 errhint("Arguments: stage_column, amount_column, currency_column, converted_column [, date_column [, target_currency]].")));
	return att;
}

/* Refuse a column whose type is not the expected one. */
static void
need_type(Relation rel, int att, Oid want, const char *role)
{
	Oid			typ = getBaseType(TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid);

	if (typ != want)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s column \"%s\" must be of type %s, not %s",
						role, NameStr(TupleDescAttr(RelationGetDescr(rel), att - 1)->attname),
						format_type_be(want), format_type_be(typ))));
}

/* Is the stage value of a row won in its model (NULL is not)? */
static bool
row_won(HeapTuple tup, TupleDesc desc, int att, CrmModel *m)
{
	bool		isnull;
	Datum		v = heap_getattr(tup, att, desc, &isnull);

	if (isnull)
		return false;
	return m->stages[crm_stage_index_checked(m, DatumGetObjectId(v))].category == CRM_CAT_WON;
}

PG_FUNCTION_INFO_V1(crm_freeze_won_amount);

/*
 * BEFORE INSERT OR UPDATE row trigger:
 *	freeze_won_amount(stage_column, amount_column, currency_column,
 *					  converted_column [, date_column [, target_currency]])
 * When the row's stage becomes a won stage of its model (inserted won, or
 * moved from a stage that is not won), store amount converted into the
 * target currency (default: the corporate currency) with the rates in force
 * on date_column's day (default: the statement's day) in converted_column.
 * The stored amount then stays as it is, whatever later rates say.
 */
Datum
crm_freeze_won_amount(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	char	  **args;
	int			nargs;
	int			stage_att,
				amount_att,
				currency_att,
				conv_att,
				date_att = 0;
	Oid			stage_type;
	CrmModel   *m;
	HeapTuple	newtup;
	bool		isnull;
	Datum		amount,
				code;
	DateADT		at;
	const char *target;
	Datum		converted;
	int			cols[1];
	Datum		vals[1];
	bool		nulls[1] = {false};

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales.freeze_won_amount() must be called as a trigger")));
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales.freeze_won_amount() must be a BEFORE INSERT OR UPDATE row trigger")));
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	nargs = td->tg_trigger->tgnargs;
	args = td->tg_trigger->tgargs;
	if (nargs < 4 || nargs > 6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm_sales.freeze_won_amount() takes 4 to 6 arguments, got %d", nargs),
				 errhint("Arguments: stage_column, amount_column, currency_column, converted_column [, date_column [, target_currency]].")));

	stage_att = trigger_column(rel, args[0], "stage");
	amount_att = trigger_column(rel, args[1], "amount");
	currency_att = trigger_column(rel, args[2], "currency");
	conv_att = trigger_column(rel, args[3], "converted");
	if (nargs >= 5 && args[4][0] != '\0')
		date_att = trigger_column(rel, args[4], "date");
	stage_type = TupleDescAttr(desc, stage_att - 1)->atttypid;
	m = crm_model_lookup(stage_type, false);
	need_type(rel, amount_att, NUMERICOID, "amount");
	need_type(rel, conv_att, NUMERICOID, "converted");

	newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	if (!row_won(newtup, desc, stage_att, m) ||
		(TRIGGER_FIRED_BY_UPDATE(td->tg_event) && row_won(td->tg_trigtuple, desc, stage_att, m)))
		return PointerGetDatum(newtup);

	cur_check(true);
	target = nargs >= 6 ? args[5] : corporate;
	if (target[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no target currency to freeze the won amount in"),
				 errdetail("Trigger \"%s\" names no target currency and no corporate currency is set.",
						   td->tg_trigger->tgname),
				 errhint("Set one with crm_sales.set_corporate_currency(), or pass the target as the sixth trigger argument.")));

	amount = heap_getattr(newtup, amount_att, desc, &isnull);
	if (!isnull)
		code = heap_getattr(newtup, currency_att, desc, &isnull);
	if (isnull)
		nulls[0] = true;		/* nothing to convert */
	else
	{
		Oid			out;
		bool		varlena;
		char	   *s;
		int			len;

		getTypeOutputInfo(TupleDescAttr(desc, currency_att - 1)->atttypid, &out, &varlena);
		s = OidOutputFunctionCall(out, code);
		len = strlen(s);
		while (len > 0 && s[len - 1] == ' ')	/* character(n) pads */
			s[--len] = '\0';
		if (date_att > 0)
		{
			Datum		d = heap_getattr(newtup, date_att, desc, &isnull);
			Oid			dt = getBaseType(TupleDescAttr(desc, date_att - 1)->atttypid);

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("column \"%s\" must not be NULL to freeze the won amount", args[4]),
						 errhint("Set the close date in the statement that moves the row to a won stage.")));
			if (dt == DATEOID)
				at = DatumGetDateADT(d);
			else if (dt == TIMESTAMPTZOID)
				at = DatumGetDateADT(DirectFunctionCall1(timestamptz_date, d));
			else if (dt == TIMESTAMPOID)
				at = DatumGetDateADT(DirectFunctionCall1(timestamp_date, d));
			else
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("date column \"%s\" must be of type date, timestamp or timestamptz, not %s",
								args[4], format_type_be(dt))));
		}
		else
			at = DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
													 TimestampTzGetDatum(GetCurrentStatementStartTimestamp())));
		{
			Route		r;

			route_resolve(&r, s, target);
			converted = convert_amount((Numeric) PG_DETOAST_DATUM_PACKED(amount), &r, at, BN_HALF_UP, -1);
		}
		vals[0] = converted;
	}
	cols[0] = conv_att;
	return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, 1, cols, vals, nulls));
}
