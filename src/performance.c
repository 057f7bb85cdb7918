/*
 * performance.c
 *		The crm_sales.deal_stats type: the core sales KPIs of a set of deals
 *		in one mergeable value (text/binary I/O, jsonb, =, +), the
 *		deal_stats() and deal_stats_merge() aggregates, and its accessors
 *		(win rates, deal sizes, sales-cycle length, velocity).
 *
 * A deal_stats counts won, lost and open deals (categories from the stage
 * model) with the exact sums of their amounts (128-bit decimals at the
 * largest scale seen, as the funnel type keeps them), and two sparse
 * histograms (core/performance/sparse_hist.c): the cycle lengths of won
 * deals in whole days, exact, and the won amounts in log-scale buckets for
 * the median won size.  Everything in it depends only on the multiset of
 * rows aggregated, so merging the deal_stats of any split of the rows gives
 * the deal_stats of the whole.  The state of the aggregate is this type
 * itself (not internal), so Citus can push partial aggregation down.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "numeric_glue.h"
#include "performance/sparse_hist.h"

#define DS_VERSION		1
#define DS_WON			0
#define DS_LOST			1
#define DS_OPEN			2
#define DS_NCAT			3

/* longest sales cycle accepted, in days (about 274 years) */
#define DS_MAX_DAYS		100000
/* size keys sh_size_key() can produce */
#define DS_MIN_SIZE_KEY (-1400000)
#define DS_MAX_SIZE_KEY 400000

/*
 * Layout: this header, then
 *	int64	day_count[ndays], size_count[nsizes]
 *	int32	day_key[ndays], size_key[nsizes]	(both ascending)
 * day_key: cycle length of won deals in days; size_key: bucket of won amounts.
 */
typedef struct DealStats
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		flags;			/* none yet */
	int16		scale;			/* decimal places of the amounts */
	Oid			model;			/* the stage model's enum type */
	int32		ndays;
	int32		nsizes;
	int32		reserved;		/* pads the header to a multiple of 8 */
	int64		deals[DS_NCAT];
	int64		with_amount[DS_NCAT];
	dec128		amount[DS_NCAT];
} DealStats;

#define DS_HDRSZ	((Size) sizeof(DealStats))

StaticAssertDecl(sizeof(DealStats) % sizeof(int64) == 0,
				 "the int64 arrays after the deal_stats header must be aligned");

#define DS_DAY_COUNT(s)		((int64 *) ((char *) (s) + DS_HDRSZ))
#define DS_SIZE_COUNT(s)	(DS_DAY_COUNT(s) + (s)->ndays)
#define DS_DAY_KEY(s)		((int32 *) (DS_SIZE_COUNT(s) + (s)->nsizes))
#define DS_SIZE_KEY(s)		(DS_DAY_KEY(s) + (s)->ndays)

#define PG_GETARG_DS(n)		((DealStats *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

static const char *const cat_names[DS_NCAT] = {"won", "lost", "open"};

/* Bytes of a deal_stats with the given histogram sizes. */
static Size
ds_size(int ndays, int nsizes)
{
	return DS_HDRSZ + (sizeof(int64) + sizeof(int32)) * ((Size) ndays + nsizes);
}

/* An empty deal_stats with room for the histograms, in the current context. */
static DealStats *
ds_alloc(Oid model, int ndays, int nsizes)
{
	Size		sz = ds_size(ndays, nsizes);
	DealStats  *s = palloc0(sz);

	SET_VARSIZE(s, sz);
	s->version = DS_VERSION;
	s->model = model;
	s->ndays = ndays;
	s->nsizes = nsizes;
	return s;
}

/* Raise 22003 for a count or amount sum out of range. */
static void
ds_overflow(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("deal_stats %s out of range", what),
			 errdetail("Counts are bigint; amount sums keep at most 38 significant digits at up to %d decimal places.",
					   DEC_MAX_SCALE),
			 errhint("Round the amounts to fewer decimal places before aggregating them.")));
}

/* Check a detoasted value's header before trusting its layout. */
static void
ds_check(const DealStats *s)
{
	if (s->version != DS_VERSION || s->ndays < 0 || s->nsizes < 0 ||
		s->ndays > DS_MAX_DAYS + 1 || s->nsizes > DS_MAX_SIZE_KEY - DS_MIN_SIZE_KEY + 1 ||
		s->scale < 0 || s->scale > DEC_MAX_SCALE ||
		VARSIZE(s) != ds_size(s->ndays, s->nsizes))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid crm_sales.deal_stats value"),
				 errdetail("Version %d, %d cycle lengths, %d size buckets, %u bytes.",
						   s->version, s->ndays, s->nsizes, (unsigned) VARSIZE(s))));
}

/* Raise every amount sum of s (in place) to a larger scale. */
static void
ds_rescale(DealStats *s, int scale)
{
	int			c;

	if (scale <= s->scale)
		return;
	for (c = 0; c < DS_NCAT; c++)
		if (dec_rescale(s->amount[c], s->scale, scale, &s->amount[c]) != DEC_OK)
			ds_overflow("amount");
	s->scale = scale;
}

/*
 * A copy of s with key inserted into one of its histograms at position pos
 * (count 1); which = 0 for cycle days, 1 for sizes.
 */
static DealStats *
ds_insert_key(const DealStats *s, int which, int pos, int32 key)
{
	DealStats  *r = ds_alloc(s->model, s->ndays + (which == 0),
							 s->nsizes + (which == 1));
	const int64 *oc[2] = {DS_DAY_COUNT(s), DS_SIZE_COUNT(s)};
	const int32 *ok[2] = {DS_DAY_KEY(s), DS_SIZE_KEY(s)};
	int64	   *nc[2] = {DS_DAY_COUNT(r), DS_SIZE_COUNT(r)};
	int32	   *nk[2] = {DS_DAY_KEY(r), DS_SIZE_KEY(r)};
	int			on[2] = {s->ndays, s->nsizes};
	int			h;

	memcpy((char *) r + sizeof(int32), (const char *) s + sizeof(int32),
		   DS_HDRSZ - sizeof(int32));
	r->ndays = s->ndays + (which == 0);
	r->nsizes = s->nsizes + (which == 1);
	for (h = 0; h < 2; h++)
	{
		if (h != which)
		{
			memcpy(nc[h], oc[h], sizeof(int64) * on[h]);
			memcpy(nk[h], ok[h], sizeof(int32) * on[h]);
			continue;
		}
		memcpy(nc[h], oc[h], sizeof(int64) * pos);
		memcpy(nk[h], ok[h], sizeof(int32) * pos);
		nc[h][pos] = 1;
		nk[h][pos] = key;
		memcpy(nc[h] + pos + 1, oc[h] + pos, sizeof(int64) * (on[h] - pos));
		memcpy(nk[h] + pos + 1, ok[h] + pos, sizeof(int32) * (on[h] - pos));
	}
	return r;
}

/*
 * Count key once in histogram which of s: in place if the key is there,
 * else in a new value (returned; the executor copies it into the
 * aggregate's context and frees the old one).
 */
static DealStats *
ds_count_key(DealStats *s, int which, int32 key)
{
	int64	   *counts = which == 0 ? DS_DAY_COUNT(s) : DS_SIZE_COUNT(s);
	int32	   *keys = which == 0 ? DS_DAY_KEY(s) : DS_SIZE_KEY(s);
	int			n = which == 0 ? s->ndays : s->nsizes;
	int			pos;

	if (sh_find(keys, n, key, &pos))
	{
		if (counts[pos] == PG_INT64_MAX)
			ds_overflow("count");
		counts[pos]++;
		return s;
	}
	return ds_insert_key(s, which, pos, key);
}

/* a + b as a new value (the histograms merged key by key). */
static DealStats *
ds_merge(DealStats *a, DealStats *b)
{
	DealStats  *r;
	int			nd,
				ns;
	int			c;
	int			scale = Max(a->scale, b->scale);

	if (a->model != b->model)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge deal_stats of different stage models"),
				 errdetail("One is over %s, the other over %s.",
						   format_type_be_qualified(a->model), format_type_be_qualified(b->model)),
				 errhint("Merge the deal_stats of one model only; group by the model first.")));
	nd = sh_merge_count(DS_DAY_KEY(a), a->ndays, DS_DAY_KEY(b), b->ndays);
	ns = sh_merge_count(DS_SIZE_KEY(a), a->nsizes, DS_SIZE_KEY(b), b->nsizes);
	r = ds_alloc(a->model, nd, ns);
	r->scale = scale;
	for (c = 0; c < DS_NCAT; c++)
	{
		dec128		x,
					y;

		if (pg_add_s64_overflow(a->deals[c], b->deals[c], &r->deals[c]) ||
			pg_add_s64_overflow(a->with_amount[c], b->with_amount[c], &r->with_amount[c]))
			ds_overflow("count");
		if (dec_rescale(a->amount[c], a->scale, scale, &x) != DEC_OK ||
			dec_rescale(b->amount[c], b->scale, scale, &y) != DEC_OK ||
			dec_add(x, y, &r->amount[c]) != DEC_OK)
			ds_overflow("amount");
	}
	if (sh_merge(DS_DAY_KEY(a), DS_DAY_COUNT(a), a->ndays,
				 DS_DAY_KEY(b), DS_DAY_COUNT(b), b->ndays,
				 DS_DAY_KEY(r), DS_DAY_COUNT(r)) != 0 ||
		sh_merge(DS_SIZE_KEY(a), DS_SIZE_COUNT(a), a->nsizes,
				 DS_SIZE_KEY(b), DS_SIZE_COUNT(b), b->nsizes,
				 DS_SIZE_KEY(r), DS_SIZE_COUNT(r)) != 0)
		ds_overflow("count");
	return r;
}

/* deal_stats + deal_stats; also the combine function of the aggregates */
PG_FUNCTION_INFO_V1(crm_deal_stats_add);
Datum
crm_deal_stats_add(PG_FUNCTION_ARGS)
{
	DealStats  *a = PG_GETARG_DS(0);
	DealStats  *b = PG_GETARG_DS(1);

	ds_check(a);
	ds_check(b);
	PG_RETURN_POINTER(ds_merge(a, b));
}

/* ---- the aggregate ---- */

/* Per-call-site cache: the model's categories by enum OID, the date type. */
typedef struct DsAggCache
{
	Oid			model;
	int			nstages;
	uint32	   *sorted_oids;
	uint8	   *sorted_cat;		/* DS_WON/DS_LOST/DS_OPEN per sorted OID */
	Oid			time_type;		/* DATEOID or TIMESTAMPOID (also for timestamptz) */
} DsAggCache;

/*
 * The enum type of an enum value (pg_enum), for callers that pass no
 * expression to read argument types from (Citus's worker_partial_agg).
 */
static Oid
enum_type_of(Oid enum_oid)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(enum_oid));
	Oid			typid;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%u is not a value of an enum type", enum_oid)));
	typid = ((Form_pg_enum) GETSTRUCT(tup))->enumtypid;
	ReleaseSysCache(tup);
	return typid;
}

/* The cache of this call site, built at its first row; time_type as given. */
static DsAggCache *
ds_agg_cache(FunctionCallInfo fcinfo, Oid time_type)
{
	DsAggCache *c = (DsAggCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);
		CrmModel   *m;
		int			i;

		if (!OidIsValid(typid))
			typid = enum_type_of(PG_GETARG_OID(1));
		m = crm_model_lookup(typid, false);
		c = palloc(sizeof(DsAggCache));
		c->model = m->typid;
		c->nstages = m->nstages;
		c->sorted_oids = palloc(sizeof(uint32) * m->nstages);
		c->sorted_cat = palloc(m->nstages);
		for (i = 0; i < m->nstages; i++)
		{
			CrmCategory cat = m->stages[m->sorted_idx[i]].category;

			c->sorted_oids[i] = m->sorted_oids[i];
			c->sorted_cat[i] = cat == CRM_CAT_WON ? DS_WON : cat == CRM_CAT_LOST ? DS_LOST : DS_OPEN;
		}
		/* the declared type when known (for messages), else the storage */
		c->time_type = OidIsValid(get_fn_expr_argtype(fcinfo->flinfo, 3)) ?
			get_fn_expr_argtype(fcinfo->flinfo, 3) : time_type;
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

/* The text of a date/time argument, for messages. */
static char *
time_text(Oid type, Datum v)
{
	Oid			out;
	bool		varlena;

	getTypeOutputInfo(type, &out, &varlena);
	return OidOutputFunctionCall(out, v);
}

/*
 * Whole days from created to closed: the difference of two dates, or the
 * number of whole 24-hour periods between two timestamps.  A deal closed
 * before it was created, a cycle beyond DS_MAX_DAYS, or an infinite time is
 * an error.
 */
static int32
cycle_days(Oid type, Datum created, Datum closed)
{
	int64		days;
	bool		finite;

	if (type == DATEOID)
	{
		DateADT		a = DatumGetDateADT(created),
					b = DatumGetDateADT(closed);

		finite = !DATE_NOT_FINITE(a) && !DATE_NOT_FINITE(b);
		days = finite ? (int64) b - a : 0;
	}
	else
	{
		Timestamp	a = DatumGetTimestamp(created),
					b = DatumGetTimestamp(closed);

		int64		diff;

		finite = !TIMESTAMP_NOT_FINITE(a) && !TIMESTAMP_NOT_FINITE(b);
		/* floor division: b >= a is checked below, so truncation is floor */
		if (!finite)
			days = 0;
		else if (b < a)
			days = -1;
		else if (pg_sub_s64_overflow(b, a, &diff))
			days = PG_INT64_MAX;	/* beyond any cycle: refused below */
		else
			days = diff / USECS_PER_DAY;
	}
	if (!finite)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deal created at %s and closed at %s: the times must be finite",
						time_text(type, created), time_text(type, closed)),
				 errhint("Pass NULL for a time that is not known.")));
	if (days < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deal closed before it was created"),
				 errdetail("Created at %s, closed at %s.",
						   time_text(type, created), time_text(type, closed)),
				 errhint("Fix the row's dates; a deal closes on or after the day it was created.")));
	if (days > DS_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sales cycle of " INT64_FORMAT " days is out of range", days),
				 errdetail("Created at %s, closed at %s; the longest cycle counted is %d days.",
						   time_text(type, created), time_text(type, closed), DS_MAX_DAYS),
				 errhint("Check the row's dates.")));
	return (int32) days;
}

/*
 * deal_stats(stage anyenum, amount numeric, created_at, closed_at)
 * transition: the state is updated in place (AggCheckCallContext), or
 * replaced when a histogram gains a key.  time_type says how the times are
 * stored (DATEOID, or TIMESTAMPOID for timestamp and timestamptz alike):
 * each SQL signature has its own entry point, so nothing depends on the
 * caller passing argument types.
 */
static Datum
deal_stats_trans(FunctionCallInfo fcinfo, Oid time_type)
{
	DsAggCache *c;
	DealStats  *s;
	int			pos;
	int			cat;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("deal_stats called in non-aggregate context")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	c = ds_agg_cache(fcinfo, time_type);
	pos = tm_find_key(c->sorted_oids, c->nstages, PG_GETARG_OID(1));
	if (pos < 0)
	{
		CrmModel   *m = crm_model_lookup(c->model, false);

		(void) crm_stage_index_checked(m, PG_GETARG_OID(1));
		/* a stage added during this query: not in our cached list */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage of type %s was added to the model during this query",
						format_type_be_qualified(c->model))));
	}
	cat = c->sorted_cat[pos];
	s = PG_ARGISNULL(0) ? ds_alloc(c->model, 0, 0) : (DealStats *) DatumGetPointer(PG_GETARG_DATUM(0));

	if (s->deals[cat] == PG_INT64_MAX)
		ds_overflow("count");
	s->deals[cat]++;

	if (!PG_ARGISNULL(2))
	{
		Numeric		num = PG_GETARG_NUMERIC(2);
		CrmNumericDigits nd;
		dec128		v;

		crm_numeric_digits(num, &nd);
		if (nd.special)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("deal amount must be a finite number"),
					 errdetail("The amount is %s.", crm_numeric_text(num)),
					 errhint("Pass NULL to count the deal without an amount.")));
		if (nd.dscale > s->scale)
			ds_rescale(s, Min(nd.dscale, DEC_MAX_SCALE));
		if (dec_from_base10000(nd.negative, nd.weight, nd.digits, nd.ndigits,
							   s->scale, &v) != DEC_OK ||
			dec_add(s->amount[cat], v, &s->amount[cat]) != DEC_OK)
			ds_overflow("amount");
		s->with_amount[cat]++;
		if (cat == DS_WON)
			s = ds_count_key(s, 1, sh_size_key(dec_to_double(v, s->scale)));
	}
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4))
	{
		int32		days = cycle_days(c->time_type, PG_GETARG_DATUM(3), PG_GETARG_DATUM(4));

		if (cat == DS_WON)
			s = ds_count_key(s, 0, days);
	}
	PG_RETURN_POINTER(s);
}

/* deal_stats transition over dates */
PG_FUNCTION_INFO_V1(crm_deal_stats_trans);
Datum
crm_deal_stats_trans(PG_FUNCTION_ARGS)
{
	return deal_stats_trans(fcinfo, DATEOID);
}

/* deal_stats transition over timestamps (with or without time zone) */
PG_FUNCTION_INFO_V1(crm_deal_stats_trans_ts);
Datum
crm_deal_stats_trans_ts(PG_FUNCTION_ARGS)
{
	return deal_stats_trans(fcinfo, TIMESTAMPOID);
}

/* ---- reading a deal_stats ---- */

/* Total of a histogram's counts. */
static int64
hist_total(const int64 *counts, int n)
{
	int64		t;

	if (sh_total(counts, n, &t) != 0)
		ds_overflow("count");
	return t;
}

/* numeric of an int64 / __int128 */
static Numeric
num_i64(int64 v)
{
	return int64_to_numeric(v);
}

static Numeric
num_i128(__int128 v)
{
	char		buf[48];

	dec_format((dec128) v, 0, buf);
	return DatumGetNumeric(crm_numeric_from_text(buf));
}

static Numeric
num_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_div(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
ds_amount(const DealStats *s, int cat)
{
	return DatumGetNumeric(crm_dec_numeric(s->amount[cat], s->scale));
}

/* won / (won + lost), NULL (false) if no deal is closed */
static bool
win_rate(const DealStats *s, double *out)
{
	int64		closed;

	if (pg_add_s64_overflow(s->deals[DS_WON], s->deals[DS_LOST], &closed))
		ds_overflow("count");
	if (closed == 0)
		return false;
	*out = (double) s->deals[DS_WON] / (double) closed;
	return true;
}

/* won amount / (won + lost amount) as float8 of the exact numeric quotient */
static bool
win_rate_amount(const DealStats *s, double *out)
{
	dec128		closed;
	Numeric		q;

	if (dec_add(s->amount[DS_WON], s->amount[DS_LOST], &closed) != DEC_OK)
		ds_overflow("amount");
	if (closed == 0)
		return false;
	q = num_div(ds_amount(s, DS_WON), DatumGetNumeric(crm_dec_numeric(closed, s->scale)));
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(q)));
	return true;
}

/* won amount / won deals with an amount (as avg(numeric) computes it) */
static Numeric
avg_won_size(const DealStats *s)
{
	if (s->with_amount[DS_WON] == 0)
		return NULL;
	return num_div(ds_amount(s, DS_WON), num_i64(s->with_amount[DS_WON]));
}

/* The median won size from the size buckets (within SH_ALPHA). */
static Numeric
median_won_size(const DealStats *s)
{
	int64		n = hist_total(DS_SIZE_COUNT(s), s->nsizes);
	double		lo,
				hi;
	char		buf[64];
	Numeric		v;
	CrmNumericDigits nd;

	if (n == 0)
		return NULL;
	lo = sh_size_value(sh_key_at_rank(DS_SIZE_KEY(s), DS_SIZE_COUNT(s), s->nsizes, (n - 1) / 2));
	hi = sh_size_value(sh_key_at_rank(DS_SIZE_KEY(s), DS_SIZE_COUNT(s), s->nsizes, n / 2));
	/* 6 significant digits (the value is within 0.5 %), at most the scale */
	snprintf(buf, sizeof(buf), "%.6g", (lo + hi) / 2.0);
	v = DatumGetNumeric(crm_numeric_from_text(buf));
	crm_numeric_digits(v, &nd);
	if (nd.dscale <= s->scale)
		return v;
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(v),
											   Int32GetDatum(s->scale)));
}

/* sum and count of the cycle days; false if no won deal is timed */
static bool
cycle_sum(const DealStats *s, __int128 *sum, int64 *n)
{
	*n = hist_total(DS_DAY_COUNT(s), s->ndays);
	(void) sh_key_sum(DS_DAY_KEY(s), DS_DAY_COUNT(s), s->ndays, sum);
	return *n > 0;
}

/* mean cycle days, as avg() of the integer day counts computes it */
static Numeric
cycle_mean(const DealStats *s)
{
	__int128	sum;
	int64		n;

	if (!cycle_sum(s, &sum, &n))
		return NULL;
	return num_div(num_i128(sum), num_i64(n));
}

/* the exact percentile num/den of the cycle days (percentile_cont semantics) */
static Numeric
cycle_percentile(const DealStats *s, int num, int den)
{
	int64		tenths;
	char		buf[32];

	if (s->ndays == 0 ||
		sh_percentile_tenths(DS_DAY_KEY(s), DS_DAY_COUNT(s), s->ndays, num, den, &tenths) != 0)
		return NULL;
	if (tenths % 10 == 0)
		snprintf(buf, sizeof(buf), INT64_FORMAT, tenths / 10);
	else
		snprintf(buf, sizeof(buf), INT64_FORMAT ".%d", tenths / 10, (int) (tenths % 10));
	return DatumGetNumeric(crm_numeric_from_text(buf));
}

/*
 * Sales velocity per day: open deals * average won size * win rate /
 * mean cycle days, i.e. open * won_amount * won * timed /
 * (won_with_amount * (won + lost) * cycle_day_sum), one exact numeric
 * division.  NULL when a factor is undefined or the cycle sum is 0.
 */
static Numeric
velocity(const DealStats *s)
{
	__int128	sum;
	int64		timed;
	int64		closed;
	Numeric		num,
				den;

	if (pg_add_s64_overflow(s->deals[DS_WON], s->deals[DS_LOST], &closed))
		ds_overflow("count");
	if (s->with_amount[DS_WON] == 0 || closed == 0 ||
		!cycle_sum(s, &sum, &timed) || sum == 0)
		return NULL;
	num = num_mul(num_mul(num_mul(num_i64(s->deals[DS_OPEN]), ds_amount(s, DS_WON)),
						  num_i64(s->deals[DS_WON])), num_i64(timed));
	den = num_mul(num_mul(num_i64(s->with_amount[DS_WON]),
						  num_i64(closed)), num_i128(sum));
	return num_div(num, den);
}

#define RETURN_NUMERIC_OR_NULL(expr) \
	do { \
		Numeric		r_ = (expr); \
		if (r_ == NULL) \
			PG_RETURN_NULL(); \
		PG_RETURN_NUMERIC(r_); \
	} while (0)

/* The deal_stats argument, checked. */
static DealStats *
ds_arg(FunctionCallInfo fcinfo)
{
	DealStats  *s = PG_GETARG_DS(0);

	ds_check(s);
	return s;
}

/* counts: deals of a category (won_deals, lost_deals, open_deals) */
PG_FUNCTION_INFO_V1(crm_ds_deals);
Datum
crm_ds_deals(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(ds_arg(fcinfo)->deals[PG_GETARG_INT32(1)]);
}

PG_FUNCTION_INFO_V1(crm_ds_amount);
Datum
crm_ds_amount(PG_FUNCTION_ARGS)
{
	PG_RETURN_NUMERIC(ds_amount(ds_arg(fcinfo), PG_GETARG_INT32(1)));
}

PG_FUNCTION_INFO_V1(crm_ds_win_rate);
Datum
crm_ds_win_rate(PG_FUNCTION_ARGS)
{
	double		r;

	if (!win_rate(ds_arg(fcinfo), &r))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

PG_FUNCTION_INFO_V1(crm_ds_win_rate_amount);
Datum
crm_ds_win_rate_amount(PG_FUNCTION_ARGS)
{
	double		r;

	if (!win_rate_amount(ds_arg(fcinfo), &r))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

PG_FUNCTION_INFO_V1(crm_ds_avg_won_size);
Datum
crm_ds_avg_won_size(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(avg_won_size(ds_arg(fcinfo)));
}

PG_FUNCTION_INFO_V1(crm_ds_median_won_size);
Datum
crm_ds_median_won_size(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(median_won_size(ds_arg(fcinfo)));
}

PG_FUNCTION_INFO_V1(crm_ds_cycle_mean);
Datum
crm_ds_cycle_mean(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(cycle_mean(ds_arg(fcinfo)));
}

PG_FUNCTION_INFO_V1(crm_ds_cycle_median);
Datum
crm_ds_cycle_median(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(cycle_percentile(ds_arg(fcinfo), 1, 2));
}

PG_FUNCTION_INFO_V1(crm_ds_cycle_p90);
Datum
crm_ds_cycle_p90(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(cycle_percentile(ds_arg(fcinfo), 9, 10));
}

/* cycle_days_percentile(ds, p): as percentile_cont(p) computes it, in float8 */
PG_FUNCTION_INFO_V1(crm_ds_cycle_percentile);
Datum
crm_ds_cycle_percentile(PG_FUNCTION_ARGS)
{
	DealStats  *s = ds_arg(fcinfo);
	double		p = PG_GETARG_FLOAT8(1);

	if (isnan(p) || p < 0 || p > 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("percentile value %g is not between 0 and 1", p)));
	if (s->ndays == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sh_percentile_cont(DS_DAY_KEY(s), DS_DAY_COUNT(s), s->ndays, p));
}

PG_FUNCTION_INFO_V1(crm_ds_cycle_count);
Datum
crm_ds_cycle_count(PG_FUNCTION_ARGS)
{
	DealStats  *s = ds_arg(fcinfo);

	PG_RETURN_INT64(hist_total(DS_DAY_COUNT(s), s->ndays));
}

PG_FUNCTION_INFO_V1(crm_ds_velocity);
Datum
crm_ds_velocity(PG_FUNCTION_ARGS)
{
	RETURN_NUMERIC_OR_NULL(velocity(ds_arg(fcinfo)));
}

/* ---- text form ---- */

/*
 * model{won=deals/with_amount/amount;lost=...;open=...;cycle=day:count,...;
 * sizes=bucket:count,...}
 */
static char *
ds_to_text(const DealStats *s)
{
	StringInfoData buf;
	int			c,
				i;
	char		tmp[DEC_TEXT_MAX];

	initStringInfo(&buf);
	appendStringInfoString(&buf, format_type_be_qualified(s->model));
	appendStringInfoChar(&buf, '{');
	for (c = 0; c < DS_NCAT; c++)
	{
		dec_format(s->amount[c], s->scale, tmp);
		appendStringInfo(&buf, "%s=" INT64_FORMAT "/" INT64_FORMAT "/%s;",
						 cat_names[c], s->deals[c], s->with_amount[c], tmp);
	}
	appendStringInfoString(&buf, "cycle=");
	for (i = 0; i < s->ndays; i++)
		appendStringInfo(&buf, "%s%d:" INT64_FORMAT, i ? "," : "",
						 DS_DAY_KEY(s)[i], DS_DAY_COUNT(s)[i]);
	appendStringInfoString(&buf, ";sizes=");
	for (i = 0; i < s->nsizes; i++)
		appendStringInfo(&buf, "%s%d:" INT64_FORMAT, i ? "," : "",
						 DS_SIZE_KEY(s)[i], DS_SIZE_COUNT(s)[i]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

PG_FUNCTION_INFO_V1(crm_deal_stats_out);
Datum
crm_deal_stats_out(PG_FUNCTION_ARGS)
{
	DealStats  *s = ds_arg(fcinfo);

	PG_RETURN_CSTRING(ds_to_text(s));
}

/* Raise 22P02 for deal_stats text, with a detail. */
static void
ds_bad_text(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type crm_sales.deal_stats: \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("The form is model{won=deals/with_amount/amount;lost=...;open=...;cycle=day:count,...;sizes=bucket:count,...}, as deal_stats values print.")));
}

/* Read a (signed) integer at *pp within [min, max]. */
static int64
read_int(const char *text, const char **pp, int64 min, int64 max, const char *what)
{
	const char *p = *pp;
	bool		neg = false;
	int64		v = 0;

	if (*p == '-')
	{
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char) *p))
		ds_bad_text(text, psprintf("%s is missing.", what));
	while (isdigit((unsigned char) *p))
	{
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, *p - '0', &v))
			ds_bad_text(text, psprintf("%s is out of range.", what));
		p++;
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		ds_bad_text(text, psprintf("%s " INT64_FORMAT " is out of range.", what, v));
	*pp = p;
	return v;
}

/* Expect the literal lit at *pp. */
static void
expect(const char *text, const char **pp, const char *lit)
{
	size_t		n = strlen(lit);

	if (strncmp(*pp, lit, n) != 0)
		ds_bad_text(text, psprintf("\"%s\" expected.", lit));
	*pp += n;
}

/*
 * Read a histogram "k:c,k:c" up to ';' or '}' into palloc'd arrays; keys
 * strictly ascending within [kmin, kmax], counts positive.
 */
static int
read_hist(const char *text, const char **pp, int64 kmin, int64 kmax,
		  int32 **keys, int64 **counts, const char *what)
{
	const char *p = *pp;
	int			cap = 16,
				n = 0;

	*keys = palloc(sizeof(int32) * cap);
	*counts = palloc(sizeof(int64) * cap);
	while (*p != ';' && *p != '}')
	{
		int64		k,
					c;

		if (n > 0)
			expect(text, &p, ",");
		k = read_int(text, &p, kmin, kmax, what);
		expect(text, &p, ":");
		c = read_int(text, &p, 1, PG_INT64_MAX, "A histogram count");
		if (n > 0 && k <= (*keys)[n - 1])
			ds_bad_text(text, "The keys of a histogram must be strictly ascending.");
		if (n == cap)
		{
			cap *= 2;
			*keys = repalloc(*keys, sizeof(int32) * cap);
			*counts = repalloc(*counts, sizeof(int64) * cap);
		}
		(*keys)[n] = (int32) k;
		(*counts)[n] = c;
		n++;
	}
	*pp = p;
	return n;
}

/* Parse the text form (see ds_to_text). */
static DealStats *
ds_from_text(const char *text)
{
	const char *brace = NULL;
	const char *p;
	bool		inq = false;
	Oid			model;
	int64		deals[DS_NCAT],
				with_amount[DS_NCAT];
	dec128		amount[DS_NCAT];
	int			amount_scale[DS_NCAT];
	int			scale = 0;
	int32	   *day_key,
			   *size_key;
	int64	   *day_count,
			   *size_count;
	int			nd,
				ns;
	int			c;
	DealStats  *s;

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
	if (brace == NULL || brace == text)
		ds_bad_text(text, "The model name and the opening \"{\" are missing.");
	model = DatumGetObjectId(DirectFunctionCall1(regtypein,
												 CStringGetDatum(pnstrdup(text, brace - text))));
	model = crm_model_lookup(model, false)->typid;

	p = brace + 1;
	for (c = 0; c < DS_NCAT; c++)
	{
		const char *a;
		dec_status st;

		expect(text, &p, psprintf("%s=", cat_names[c]));
		deals[c] = read_int(text, &p, 0, PG_INT64_MAX, "A deal count");
		expect(text, &p, "/");
		with_amount[c] = read_int(text, &p, 0, deals[c], "A count of deals with an amount");
		expect(text, &p, "/");
		a = p;
		while (*p == '-' || *p == '.' || isdigit((unsigned char) *p))
			p++;
		st = dec_parse(a, p - a, &amount[c], &amount_scale[c]);
		if (st == DEC_SYNTAX)
			ds_bad_text(text, "An amount is not a decimal number.");
		if (st != DEC_OK)
			ds_bad_text(text, psprintf("An amount is out of range (at most 38 digits, %d decimal places).",
									   DEC_MAX_SCALE));
		scale = Max(scale, amount_scale[c]);
		expect(text, &p, ";");
	}
	expect(text, &p, "cycle=");
	nd = read_hist(text, &p, 0, DS_MAX_DAYS, &day_key, &day_count, "A cycle length");
	expect(text, &p, ";sizes=");
	ns = read_hist(text, &p, DS_MIN_SIZE_KEY, DS_MAX_SIZE_KEY, &size_key, &size_count, "A size bucket");
	expect(text, &p, "}");
	if (*p != '\0')
		ds_bad_text(text, "Unexpected text after \"}\".");

	s = ds_alloc(model, nd, ns);
	s->scale = scale;
	for (c = 0; c < DS_NCAT; c++)
	{
		s->deals[c] = deals[c];
		s->with_amount[c] = with_amount[c];
		if (dec_rescale(amount[c], amount_scale[c], scale, &s->amount[c]) != DEC_OK)
			ds_bad_text(text, "An amount is out of range.");
	}
	memcpy(DS_DAY_KEY(s), day_key, sizeof(int32) * nd);
	memcpy(DS_DAY_COUNT(s), day_count, sizeof(int64) * nd);
	memcpy(DS_SIZE_KEY(s), size_key, sizeof(int32) * ns);
	memcpy(DS_SIZE_COUNT(s), size_count, sizeof(int64) * ns);
	{
		int64		td,
					ts;

		if (sh_total(day_count, nd, &td) != 0 || td > deals[DS_WON])
			ds_bad_text(text, "More cycle lengths than won deals.");
		if (sh_total(size_count, ns, &ts) != 0 || ts != with_amount[DS_WON])
			ds_bad_text(text, "The size buckets must count each won deal with an amount once.");
	}
	return s;
}

PG_FUNCTION_INFO_V1(crm_deal_stats_in);
Datum
crm_deal_stats_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ds_from_text(PG_GETARG_CSTRING(0)));
}

/*
 * Binary form: a version byte, the model's qualified name as text, then the
 * numbers as network-order integers (amount sums as two 64-bit halves).
 */
PG_FUNCTION_INFO_V1(crm_deal_stats_send);
Datum
crm_deal_stats_send(PG_FUNCTION_ARGS)
{
	DealStats  *s = ds_arg(fcinfo);
	StringInfoData buf;
	char	   *name = format_type_be_qualified(s->model);
	int			c,
				i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, DS_VERSION);
	pq_sendint32(&buf, strlen(name));
	pq_sendtext(&buf, name, strlen(name));
	pq_sendint16(&buf, s->scale);
	for (c = 0; c < DS_NCAT; c++)
	{
		unsigned __int128 u = (unsigned __int128) s->amount[c];

		pq_sendint64(&buf, s->deals[c]);
		pq_sendint64(&buf, s->with_amount[c]);
		pq_sendint64(&buf, (int64) (uint64) (u >> 64));
		pq_sendint64(&buf, (int64) (uint64) u);
	}
	pq_sendint32(&buf, s->ndays);
	for (i = 0; i < s->ndays; i++)
	{
		pq_sendint32(&buf, DS_DAY_KEY(s)[i]);
		pq_sendint64(&buf, DS_DAY_COUNT(s)[i]);
	}
	pq_sendint32(&buf, s->nsizes);
	for (i = 0; i < s->nsizes; i++)
	{
		pq_sendint32(&buf, DS_SIZE_KEY(s)[i]);
		pq_sendint64(&buf, DS_SIZE_COUNT(s)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Raise 22P03 for a bad binary value. */
static void
ds_bad_binary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary crm_sales.deal_stats value"),
			 errdetail("%s", detail)));
}

/* Read n (key, count) pairs of a histogram, checking them. */
static void
recv_hist(StringInfo buf, int n, int32 *keys, int64 *counts, int64 kmin, int64 kmax)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		keys[i] = pq_getmsgint(buf, 4);
		counts[i] = pq_getmsgint64(buf);
		if (keys[i] < kmin || keys[i] > kmax || counts[i] <= 0 ||
			(i > 0 && keys[i] <= keys[i - 1]))
			ds_bad_binary("A histogram key is out of range or out of order, or a count is not positive.");
	}
}

PG_FUNCTION_INFO_V1(crm_deal_stats_recv);
Datum
crm_deal_stats_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len,
				c;
	char	   *name;
	Oid			model;
	int			scale;
	int64		v[DS_NCAT][4];
	int32		nd,
				ns;
	DealStats  *s;
	int64		td,
				ts;

	if (version != DS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary crm_sales.deal_stats version %d", version),
				 errhint("This build reads version %d.", DS_VERSION)));
	len = pq_getmsgint(buf, 4);
	if (len < 1 || len > buf->len - buf->cursor)
		ds_bad_binary("The model name is truncated.");
	name = pnstrdup(pq_getmsgbytes(buf, len), len);
	model = crm_model_lookup(DatumGetObjectId(DirectFunctionCall1(regtypein, CStringGetDatum(name))),
							 false)->typid;
	scale = (int16) pq_getmsgint(buf, 2);
	if (scale < 0 || scale > DEC_MAX_SCALE)
		ds_bad_binary("The amount scale is out of range.");
	for (c = 0; c < DS_NCAT; c++)
	{
		int			k;

		for (k = 0; k < 4; k++)
			v[c][k] = pq_getmsgint64(buf);
		if (v[c][0] < 0 || v[c][1] < 0 || v[c][1] > v[c][0])
			ds_bad_binary("A deal count is negative, or fewer than the deals with an amount.");
	}
	nd = pq_getmsgint(buf, 4);
	if (nd < 0 || nd > DS_MAX_DAYS + 1 || (Size) nd * 12 > (Size) (buf->len - buf->cursor))
		ds_bad_binary("The cycle histogram is truncated or too long.");
	s = ds_alloc(model, nd, 0);
	recv_hist(buf, nd, DS_DAY_KEY(s), DS_DAY_COUNT(s), 0, DS_MAX_DAYS);
	ns = pq_getmsgint(buf, 4);
	if (ns < 0 || ns > DS_MAX_SIZE_KEY - DS_MIN_SIZE_KEY + 1 ||
		(Size) ns * 12 > (Size) (buf->len - buf->cursor))
		ds_bad_binary("The size histogram is truncated or too long.");
	{
		DealStats  *t = ds_alloc(model, nd, ns);

		memcpy(DS_DAY_KEY(t), DS_DAY_KEY(s), sizeof(int32) * nd);
		memcpy(DS_DAY_COUNT(t), DS_DAY_COUNT(s), sizeof(int64) * nd);
		s = t;
	}
	recv_hist(buf, ns, DS_SIZE_KEY(s), DS_SIZE_COUNT(s), DS_MIN_SIZE_KEY, DS_MAX_SIZE_KEY);
	if (buf->cursor != buf->len)
		ds_bad_binary("Unexpected bytes after the value.");
	s->scale = scale;
	for (c = 0; c < DS_NCAT; c++)
	{
		s->deals[c] = v[c][0];
		s->with_amount[c] = v[c][1];
		s->amount[c] = (dec128) (((unsigned __int128) (uint64) v[c][2] << 64) | (uint64) v[c][3]);
	}
	if (sh_total(DS_DAY_COUNT(s), nd, &td) != 0 || td > s->deals[DS_WON] ||
		sh_total(DS_SIZE_COUNT(s), ns, &ts) != 0 || ts != s->with_amount[DS_WON])
		ds_bad_binary("The histograms do not match the won deals.");
	PG_RETURN_POINTER(s);
}

/* deal_stats = deal_stats: same model and numbers (amounts by value). */
PG_FUNCTION_INFO_V1(crm_deal_stats_eq);
Datum
crm_deal_stats_eq(PG_FUNCTION_ARGS)
{
	DealStats  *a = PG_GETARG_DS(0);
	DealStats  *b = PG_GETARG_DS(1);
	int			scale = Max(a->scale, b->scale);
	int			c;

	ds_check(a);
	ds_check(b);
	if (a->model != b->model || a->ndays != b->ndays || a->nsizes != b->nsizes ||
		memcmp(a->deals, b->deals, sizeof(a->deals)) != 0 ||
		memcmp(a->with_amount, b->with_amount, sizeof(a->with_amount)) != 0 ||
		memcmp(DS_DAY_COUNT(a), DS_DAY_COUNT(b),
			   ds_size(a->ndays, a->nsizes) - DS_HDRSZ) != 0)
		PG_RETURN_BOOL(false);
	for (c = 0; c < DS_NCAT; c++)
	{
		dec128		x,
					y;

		if (dec_rescale(a->amount[c], a->scale, scale, &x) != DEC_OK ||
			dec_rescale(b->amount[c], b->scale, scale, &y) != DEC_OK || x != y)
			PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

/* Append a numeric (or null) as a JSON number. */
static void
append_json_numeric(StringInfo buf, Numeric n)
{
	if (n == NULL)
		appendStringInfoString(buf, "null");
	else
		appendStringInfoString(buf, crm_numeric_text(n));
}

/* deal_stats::jsonb: counts, amounts and every KPI, for BI tools. */
PG_FUNCTION_INFO_V1(crm_deal_stats_jsonb);
Datum
crm_deal_stats_jsonb(PG_FUNCTION_ARGS)
{
	DealStats  *s = ds_arg(fcinfo);
	StringInfoData buf;
	char		tmp[DEC_TEXT_MAX];
	double		r;
	int			c;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"model\": ");
	escape_json(&buf, format_type_be_qualified(s->model));
	for (c = 0; c < DS_NCAT; c++)
	{
		dec_format(s->amount[c], s->scale, tmp);
		appendStringInfo(&buf, ", \"%s\": {\"deals\": " INT64_FORMAT ", \"with_amount\": " INT64_FORMAT ", \"amount\": %s}",
						 cat_names[c], s->deals[c], s->with_amount[c], tmp);
	}
	appendStringInfoString(&buf, ", \"win_rate\": ");
	if (win_rate(s, &r))
		crm_append_float8(&buf, r);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoString(&buf, ", \"win_rate_by_amount\": ");
	if (win_rate_amount(s, &r))
		crm_append_float8(&buf, r);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoString(&buf, ", \"avg_won_size\": ");
	append_json_numeric(&buf, avg_won_size(s));
	appendStringInfoString(&buf, ", \"median_won_size\": ");
	append_json_numeric(&buf, median_won_size(s));
	appendStringInfo(&buf, ", \"cycle_days\": {\"won_timed\": " INT64_FORMAT ", \"mean\": ",
					 hist_total(DS_DAY_COUNT(s), s->ndays));
	append_json_numeric(&buf, cycle_mean(s));
	appendStringInfoString(&buf, ", \"median\": ");
	append_json_numeric(&buf, cycle_percentile(s, 1, 2));
	appendStringInfoString(&buf, ", \"p90\": ");
	append_json_numeric(&buf, cycle_percentile(s, 9, 10));
	appendStringInfoString(&buf, "}, \"velocity_per_day\": ");
	append_json_numeric(&buf, velocity(s));
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
