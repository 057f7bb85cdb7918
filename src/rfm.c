/*
 * rfm.c
 *		The crm_sales.rfm score type, the named RFM segments, the rfm_score
 *		window function and the rfm_model aggregate with its scalar scorer.
 *
 * An rfm value is three scores (recency, frequency, monetary), each 1..N,
 * and the bucket count N (2..9) they were scored with.  It is passed by
 * value as one int32 laid out as R << 24 | F << 16 | M << 8 | N, so plain
 * integer comparison gives the documented order (R, then F, then M, then N).
 * The binning itself lives in src/core/segment/rfm_bins.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "agg_util.h"
#include "crm_sales.h"
#include "segment/rfm_bins.h"

/* most rows one rfm_score partition or rfm_model aggregate may hold */
#define RFM_MAX_ROWS INT64CONST(100000000)

/* layout version of the serialized rfm_model aggregate state */
#define RFM_SERIAL_VERSION 2

#define RFM_PACK(r, f, m, n) \
	((int32) (((uint32) (r) << 24) | ((uint32) (f) << 16) | ((uint32) (m) << 8) | (uint32) (n)))
#define RFM_R(v) ((int) (((uint32) (v) >> 24) & 0xFF))
#define RFM_F(v) ((int) (((uint32) (v) >> 16) & 0xFF))
#define RFM_M(v) ((int) (((uint32) (v) >> 8) & 0xFF))
#define RFM_N(v) ((int) ((uint32) (v) & 0xFF))

#define RFM_HINT_TEXT "Write three scores 1..N separated by \"-\", then \"/N\" when N (2..9) is not 5, e.g. 5-4-3 or 7-2-9/9."

/* Is a bucket count one the type can hold? */
static void
check_buckets(int64 n, const char *who)
{
	if (n < RFM_MIN_BUCKETS || n > RFM_MAX_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: buckets must be between %d and %d", who,
						RFM_MIN_BUCKETS, RFM_MAX_BUCKETS),
				 errdetail("buckets = " INT64_FORMAT ".", n),
				 errhint("Scores are single digits; use 5 (the default) for the named segments.")));
}

/* Does an unpacked value hold valid scores? */
static bool
rfm_valid(int r, int f, int m, int n)
{
	return n >= RFM_MIN_BUCKETS && n <= RFM_MAX_BUCKETS &&
		r >= 1 && r <= n && f >= 1 && f <= n && m >= 1 && m <= n;
}

/* a digit 1..9 at *p, or -1 */
static int
digit_at(const char *p)
{
	return (*p >= '1' && *p <= '9') ? *p - '0' : -1;
}

PG_FUNCTION_INFO_V1(crm_rfm_in);

/*
 * Text input: "R-F-M" (5 buckets) or "R-F-M/N".  Strict: no spaces, single
 * digits, every score within 1..N.
 */
Datum
crm_rfm_in(PG_FUNCTION_ARGS)
{
	const char *s = PG_GETARG_CSTRING(0);
	int			r,
				f = -1,
				m = -1,
				n = RFM_DEFAULT_BUCKETS;
	bool		ok;

	r = digit_at(s);
	ok = r > 0 && s[1] == '-';
	if (ok)
	{
		f = digit_at(s + 2);
		ok = f > 0 && s[3] == '-';
	}
	if (ok)
	{
		m = digit_at(s + 4);
		ok = m > 0;
	}
	if (ok && s[5] == '/')
	{
		n = digit_at(s + 6);
		ok = n > 0 && s[7] == '\0';
	}
	else if (ok)
		ok = s[5] == '\0';
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm_sales.rfm: \"%s\"", s),
				 errhint(RFM_HINT_TEXT)));
	if (!rfm_valid(r, f, m, n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm_sales.rfm: \"%s\"", s),
				 n < RFM_MIN_BUCKETS ?
				 errdetail("The bucket count must be between %d and %d.",
						   RFM_MIN_BUCKETS, RFM_MAX_BUCKETS) :
				 errdetail("With %d buckets every score must be between 1 and %d.", n, n),
				 errhint(RFM_HINT_TEXT)));
	PG_RETURN_INT32(RFM_PACK(r, f, m, n));
}

PG_FUNCTION_INFO_V1(crm_rfm_out);

/* Text output: "R-F-M", plus "/N" unless N is 5. */
Datum
crm_rfm_out(PG_FUNCTION_ARGS)
{
	int32		v = PG_GETARG_INT32(0);
	int			n = RFM_N(v);

	if (n == RFM_DEFAULT_BUCKETS)
		PG_RETURN_CSTRING(psprintf("%d-%d-%d", RFM_R(v), RFM_F(v), RFM_M(v)));
	PG_RETURN_CSTRING(psprintf("%d-%d-%d/%d", RFM_R(v), RFM_F(v), RFM_M(v), n));
}

PG_FUNCTION_INFO_V1(crm_rfm_recv);

/* Binary input: four bytes R, F, M, N, checked like the text form. */
Datum
crm_rfm_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			r = pq_getmsgbyte(buf);
	int			f = pq_getmsgbyte(buf);
	int			m = pq_getmsgbyte(buf);
	int			n = pq_getmsgbyte(buf);

	if (!rfm_valid(r, f, m, n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary crm_sales.rfm value"),
				 errdetail("Scores %d, %d, %d with %d buckets.", r, f, m, n)));
	PG_RETURN_INT32(RFM_PACK(r, f, m, n));
}

PG_FUNCTION_INFO_V1(crm_rfm_send);

/* Binary output: four bytes R, F, M, N. */
Datum
crm_rfm_send(PG_FUNCTION_ARGS)
{
	int32		v = PG_GETARG_INT32(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RFM_R(v));
	pq_sendbyte(&buf, RFM_F(v));
	pq_sendbyte(&buf, RFM_M(v));
	pq_sendbyte(&buf, RFM_N(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_rfm_make);

/* crm_sales.rfm(r, f, m [, buckets]): build a value from its scores. */
Datum
crm_rfm_make(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);
	int32		n = PG_GETARG_INT32(3);

	check_buckets(n, "rfm");
	if (r < 1 || r > n || f < 1 || f > n || m < 1 || m > n)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rfm: scores must be between 1 and %d", n),
				 errdetail("recency %d, frequency %d, monetary %d.", r, f, m),
				 errhint("Pass the bucket count as the fourth argument when it is not 5.")));
	PG_RETURN_INT32(RFM_PACK(r, f, m, n));
}

/* Accessors: one score (or the bucket count) of a value. */
#define RFM_PART_FN(name, getter) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(getter(PG_GETARG_INT32(0))); \
}

RFM_PART_FN(crm_rfm_recency_score, RFM_R)
RFM_PART_FN(crm_rfm_frequency_score, RFM_F)
RFM_PART_FN(crm_rfm_monetary_score, RFM_M)
RFM_PART_FN(crm_rfm_buckets, RFM_N)

PG_FUNCTION_INFO_V1(crm_rfm_cmp);

/* btree support: the packed layout orders by R, F, M, then N. */
Datum
crm_rfm_cmp(PG_FUNCTION_ARGS)
{
	int32		a = PG_GETARG_INT32(0);
	int32		b = PG_GETARG_INT32(1);

	PG_RETURN_INT32((a > b) - (a < b));
}

#define RFM_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_INT32(0) op PG_GETARG_INT32(1)); \
}

RFM_CMP_FN(crm_rfm_eq, ==)
RFM_CMP_FN(crm_rfm_ne, !=)
RFM_CMP_FN(crm_rfm_lt, <)
RFM_CMP_FN(crm_rfm_le, <=)
RFM_CMP_FN(crm_rfm_gt, >)
RFM_CMP_FN(crm_rfm_ge, >=)

PG_FUNCTION_INFO_V1(crm_rfm_hash);

/* hash support, consistent with equality of the packed value */
Datum
crm_rfm_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_INT32(0));
}

/*
 * Segment index of a value, or an error when it was not scored 1..5.  The
 * grid lookup is guarded again: an index outside the grid (a corrupt datum:
 * input makes only valid scores) is an error, not a read past the table.
 */
static int
segment_of(int32 v)
{
	int			idx;

	if (RFM_N(v) != RFM_DEFAULT_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rfm_segment: the named segments need scores on 5 buckets"),
				 errdetail("The value has %d buckets.", RFM_N(v)),
				 errhint("Score with buckets = 5 (the default).")));
	idx = rfm_segment_index(RFM_R(v), RFM_F(v), RFM_M(v));
	if (rfm_segment_name(idx) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt crm_sales.rfm value"),
				 errdetail("Scores %d, %d, %d on %d buckets.",
						   RFM_R(v), RFM_F(v), RFM_M(v), RFM_N(v))));
	return idx;
}

PG_FUNCTION_INFO_V1(crm_rfm_segment);

/* crm_sales.rfm_segment(rfm): the named segment of the grid. */
Datum
crm_rfm_segment(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(rfm_segment_name(segment_of(PG_GETARG_INT32(0)))));
}

PG_FUNCTION_INFO_V1(crm_rfm_lifecycle_stage);

/*
 * crm_sales.rfm_lifecycle_stage(rfm): the lifecycle stage the segment
 * suggests, as a value of the function's declared enum result type.
 */
Datum
crm_rfm_lifecycle_stage(PG_FUNCTION_ARGS)
{
	Oid			enumtype = get_fn_expr_rettype(fcinfo->flinfo);
	const char *stage = rfm_segment_stage(segment_of(PG_GETARG_INT32(0)));

	return DirectFunctionCall2(enum_in, CStringGetDatum(stage),
							   ObjectIdGetDatum(enumtype));
}

/*
 * Check one recency/frequency/monetary value: finite and >= 0.
 */
static void
check_value(double v, const char *what, const char *who)
{
	if (!isfinite(v) || v < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a finite number >= 0", who, what),
				 errdetail("%s = %s.", what, float8out_internal(v)),
				 errhint("Recency is the time since the last purchase, frequency a count, monetary a total; leave a customer out (or pass NULL) when a value is unknown.")));
}

/* Is a row count within what one partition or aggregate may hold? */
static void
check_rows(int64 n, const char *who)
{
	if (n > RFM_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: too many rows (" INT64_FORMAT ")", who, n),
				 errdetail("At most " INT64_FORMAT " rows can be scored together.", RFM_MAX_ROWS),
				 errhint("Partition the population (PARTITION BY) or score it with a stored crm_sales.rfm_model built on a sample.")));
}

/* ----------------------------------------------------------------
 * The window function
 * ---------------------------------------------------------------- */

/* per-partition memory: the scores of every row, computed once */
typedef struct RfmWinState
{
	bool		done;
	bool		ntile;			/* the method the partition was scored with */
	int32		q;				/* and its bucket count */
	int32		scores[FLEXIBLE_ARRAY_MEMBER];	/* packed rfm, 0 = NULL */
} RfmWinState;

/*
 * Score one column (values in items, positions = partition rows) into
 * out[] with the chosen method.
 */
static void
score_column(rfm_item *items, int64 n, int q, bool ntile, uint8 *out)
{
	rfm_sort_items(items, (size_t) n);
	if (ntile)
		rfm_scores_ntile(items, (size_t) n, q, out);
	else
	{
		double		edges[RFM_MAX_BUCKETS + 1];
		int			ne = rfm_quantile_edges(items, (size_t) n, q, edges);

		rfm_scores_quantile(items, (size_t) n, edges, ne, out);
	}
}

/* The method argument: false = quantile (default), true = ntile. */
static bool
parse_method(text *t)
{
	char	   *s = text_to_cstring(t);

	if (strcmp(s, "quantile") == 0)
		return false;
	if (strcmp(s, "ntile") == 0)
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("rfm_score: unknown method \"%s\"", s),
			 errhint("Use 'quantile' (pandas qcut bins, the default) or 'ntile' (equal-size buckets).")));
	return false;
}

/* Compute every score of the partition into st->scores. */
static void
score_partition(WindowObject winobj, RfmWinState *st, int64 nrows, int q, bool ntile)
{
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext,
											   "rfm_score work",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);
	double	   *vals[3];
	int64	   *rowpos;
	rfm_item   *items;
	uint8	   *sc[3];
	int64		n = 0,
				i;
	int			d;
	static const char *const what[3] = {"recency", "frequency", "monetary"};

	for (d = 0; d < 3; d++)
	{
		vals[d] = MemoryContextAllocHuge(work, sizeof(double) * Max(nrows, 1));
		sc[d] = MemoryContextAllocHuge(work, Max(nrows, 1));
	}
	rowpos = MemoryContextAllocHuge(work, sizeof(int64) * Max(nrows, 1));
	for (i = 0; i < nrows; i++)
	{
		bool		isnull,
					isout,
					anynull = false;
		double		v[3];

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (d = 0; d < 3; d++)
		{
			Datum		x = WinGetFuncArgInPartition(winobj, d, (int) i,
													 WINDOW_SEEK_HEAD, false,
													 &isnull, &isout);

			if (isnull || isout)
			{
				anynull = true;
				break;
			}
			v[d] = DatumGetFloat8(x) + 0.0;	/* -0 to +0 */
			check_value(v[d], what[d], "rfm_score");
		}
		if (anynull)
			continue;
		/* recent = high score: bin the negated recency */
		vals[0][n] = -v[0];
		vals[1][n] = v[1];
		vals[2][n] = v[2];
		rowpos[n] = i;
		n++;
	}
	if (n > 0)
	{
		items = MemoryContextAllocHuge(work, sizeof(rfm_item) * n);
		for (d = 0; d < 3; d++)
		{
			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < n; i++)
			{
				items[i].v = vals[d][i];
				items[i].pos = i;
			}
			score_column(items, n, q, ntile, sc[d]);
		}
		for (i = 0; i < n; i++)
			st->scores[rowpos[i]] = RFM_PACK(sc[0][i], sc[1][i], sc[2][i], q);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
}

/* The buckets and method arguments of the current row, checked. */
static void
current_options(WindowObject winobj, int nargs, int32 *q, bool *ntile)
{
	bool		isnull;

	*q = RFM_DEFAULT_BUCKETS;
	*ntile = false;
	if (nargs >= 4)
	{
		Datum		b = WinGetFuncArgCurrent(winobj, 3, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rfm_score: buckets must not be NULL")));
		check_buckets(DatumGetInt32(b), "rfm_score");
		*q = DatumGetInt32(b);
	}
	if (nargs >= 5)
	{
		Datum		mt = WinGetFuncArgCurrent(winobj, 4, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rfm_score: method must not be NULL"),
					 errhint("Use 'quantile' or 'ntile'.")));
		*ntile = parse_method(DatumGetTextPP(mt));
	}
}

PG_FUNCTION_INFO_V1(crm_rfm_score_window);

/*
 * rfm_score(recency, frequency, monetary [, buckets [, method]]) OVER (...):
 * the first call in a partition reads the whole partition and scores every
 * row; each call returns the current row's score.  Rows with a NULL value
 * get NULL and take no part in the bins.  For 'ntile', rows with equal
 * values are ordered by their position in the window's ORDER BY.
 */
Datum
crm_rfm_score_window(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		nrows = WinGetPartitionRowCount(winobj);
	RfmWinState *st;
	int64		cur;
	int32		v;

	check_rows(nrows, "rfm_score");
	st = (RfmWinState *) WinGetPartitionLocalMemory(winobj,
													offsetof(RfmWinState, scores) +
													sizeof(int32) * Max(nrows, 1));
	if (!st->done)
	{
		current_options(winobj, PG_NARGS(), &st->q, &st->ntile);
		score_partition(winobj, st, nrows, st->q, st->ntile);
		st->done = true;
	}
	else if ((PG_NARGS() >= 4 && !get_fn_expr_arg_stable(fcinfo->flinfo, 3)) ||
			 (PG_NARGS() >= 5 && !get_fn_expr_arg_stable(fcinfo->flinfo, 4)))
	{
		/* options that may vary by row: every row must agree */
		int32		q;
		bool		ntile;

		current_options(winobj, PG_NARGS(), &q, &ntile);
		if (q != st->q || ntile != st->ntile)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rfm_score: buckets and method must be the same for every row of a partition"),
					 errdetail("buckets %d and %d, method %s and %s.", st->q, q,
							   st->ntile ? "ntile" : "quantile",
							   ntile ? "ntile" : "quantile"),
					 errhint("Pass constants, or PARTITION BY the column that chooses them.")));
	}
	cur = WinGetCurrentPosition(winobj);
	v = st->scores[cur];
	if (v == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(v);
}

/* ----------------------------------------------------------------
 * Stored thresholds: the rfm_model type
 * ---------------------------------------------------------------- */

/*
 * Bin edges of the three dimensions.  Recency edges are stored in recency
 * units, ascending; scoring uses them negated (recent = high score), exactly
 * as the window function bins -recency.
 */
typedef struct RfmModel
{
	int32		vl_len_;
	int32		buckets;
	int16		nedges[3];		/* recency, frequency, monetary */
	int16		pad;
	double		edges[FLEXIBLE_ARRAY_MEMBER];	/* concatenated */
} RfmModel;

#define RFM_MODEL_SIZE(total) (offsetof(RfmModel, edges) + sizeof(double) * (total))
static const char *const dim_names[3] = {"recency", "frequency", "monetary"};

/*
 * An rfm_model argument, detoasted, its layout checked before a consumer
 * indexes its edges (rfm_score copies them into fixed buffers of
 * RFM_MAX_BUCKETS + 1): buckets 2..9, 1..buckets+1 edges per dimension, the
 * size that makes.  Input makes only such values: failing this is
 * corruption.
 */
static RfmModel *
model_arg(FunctionCallInfo fcinfo, int argno)
{
	RfmModel   *mdl = (RfmModel *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	bool		ok = VARSIZE(mdl) >= offsetof(RfmModel, edges) &&
		mdl->buckets >= RFM_MIN_BUCKETS && mdl->buckets <= RFM_MAX_BUCKETS;
	int			d;

	for (d = 0; ok && d < 3; d++)
		ok = mdl->nedges[d] >= 1 && mdl->nedges[d] <= mdl->buckets + 1;
	if (!ok || VARSIZE(mdl) != RFM_MODEL_SIZE(mdl->nedges[0] + mdl->nedges[1] + mdl->nedges[2]))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt crm_sales.rfm_model value"),
				 errdetail("%u bytes.", (unsigned) VARSIZE(mdl)),
				 errhint("rfm_model values are made only by the rfm_model aggregate and the type's input functions.")));
	return mdl;
}

/* Build a model value from edges (recency edges already in recency units). */
static RfmModel *
model_make(int buckets, const int *nedges, double *const *edges)
{
	int			total = nedges[0] + nedges[1] + nedges[2];
	RfmModel   *mdl = palloc0(RFM_MODEL_SIZE(total));
	int			d,
				k = 0;

	SET_VARSIZE(mdl, RFM_MODEL_SIZE(total));
	mdl->buckets = buckets;
	for (d = 0; d < 3; d++)
	{
		mdl->nedges[d] = (int16) nedges[d];
		memcpy(mdl->edges + k, edges[d], sizeof(double) * nedges[d]);
		k += nedges[d];
	}
	return mdl;
}

/* Pointer to the edges of dimension d. */
static const double *
model_edges(const RfmModel *mdl, int d)
{
	int			k = 0,
				i;

	for (i = 0; i < d; i++)
		k += mdl->nedges[i];
	return mdl->edges + k;
}

/*
 * Check a model's edges (text or binary input): per dimension 1..buckets+1
 * finite values, strictly ascending.  Returns NULL or what is wrong.
 */
static const char *
model_problem(int buckets, const int *nedges, double *const *edges)
{
	int			d,
				i;

	if (buckets < RFM_MIN_BUCKETS || buckets > RFM_MAX_BUCKETS)
		return "buckets must be between 2 and 9";
	for (d = 0; d < 3; d++)
	{
		if (nedges[d] < 1 || nedges[d] > buckets + 1)
			return "each dimension needs 1 to buckets + 1 edges";
		for (i = 0; i < nedges[d]; i++)
		{
			if (!isfinite(edges[d][i]))
				return "edges must be finite";
			if (i > 0 && !(edges[d][i] > edges[d][i - 1]))
				return "edges must be strictly ascending";
		}
	}
	return NULL;
}


/*
 * Text form: {"buckets": 5, "recency": [...], "frequency": [...],
 * "monetary": [...]} — valid JSON, so the jsonb cast is the same text.
 */
static char *
model_to_cstring(const RfmModel *mdl)
{
	StringInfoData buf;
	int			d,
				i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"buckets\": %d", mdl->buckets);
	for (d = 0; d < 3; d++)
	{
		const double *e = model_edges(mdl, d);

		appendStringInfo(&buf, ", \"%s\": [", dim_names[d]);
		for (i = 0; i < mdl->nedges[d]; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			crm_append_float8(&buf, e[i]);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

PG_FUNCTION_INFO_V1(crm_rfm_model_out);

Datum
crm_rfm_model_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(model_to_cstring(model_arg(fcinfo, 0)));
}

/* raise the 22P02 error of a malformed rfm_model text */
static void
model_syntax_error(const char *input, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type crm_sales.rfm_model: \"%s\"", input),
			 errdetail("%s", why),
			 errhint("Write {\"buckets\": N, \"recency\": [...], \"frequency\": [...], \"monetary\": [...]}, as the output function prints it.")));
}

/* skip JSON whitespace */
static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* skip spaces; then expect the literal lit or fail */
static const char *
expect(const char *p, const char *lit, const char *input)
{
	size_t		len = strlen(lit);

	p = skip_space(p);
	if (strncmp(p, lit, len) != 0)
		model_syntax_error(input, psprintf("Expected %s at \"%.20s\".", lit, p));
	return p + len;
}

PG_FUNCTION_INFO_V1(crm_rfm_model_in);

/*
 * Text input of the form the output function prints (keys in that order,
 * any JSON whitespace between tokens).
 */
Datum
crm_rfm_model_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	double		vals[3][RFM_MAX_BUCKETS + 1];
	double	   *edges[3] = {vals[0], vals[1], vals[2]};
	int			nedges[3] = {0, 0, 0};
	int			buckets;
	int			d;
	char	   *end;
	const char *why;

	p = expect(p, "{", input);
	p = expect(p, "\"buckets\"", input);
	p = skip_space(expect(p, ":", input));
	if (!(p[0] >= '0' && p[0] <= '9') || (p[1] >= '0' && p[1] <= '9'))
		model_syntax_error(input, "buckets must be one digit.");
	buckets = p[0] - '0';
	p++;
	for (d = 0; d < 3; d++)
	{
		p = expect(p, ",", input);
		p = expect(p, psprintf("\"%s\"", dim_names[d]), input);
		p = expect(p, ":", input);
		p = expect(p, "[", input);
		for (;;)
		{
			if (nedges[d] > RFM_MAX_BUCKETS)
				model_syntax_error(input, "Too many edges.");
			/* float8in_internal reports malformed numbers with the input */
			vals[d][nedges[d]++] = float8in_internal((char *) p, &end,
													 "crm_sales.rfm_model", input);
			p = skip_space(end);
			if (*p == ',')
				p++;
			else
				break;
		}
		p = expect(p, "]", input);
	}
	p = skip_space(expect(p, "}", input));
	if (*p != '\0')
		model_syntax_error(input, "Text after the closing brace.");
	why = model_problem(buckets, nedges, edges);
	if (why)
		model_syntax_error(input, why);
	PG_RETURN_POINTER(model_make(buckets, nedges, edges));
}

PG_FUNCTION_INFO_V1(crm_rfm_model_send);

Datum
crm_rfm_model_send(PG_FUNCTION_ARGS)
{
	RfmModel   *mdl = model_arg(fcinfo, 0);
	StringInfoData buf;
	int			d,
				i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, mdl->buckets);
	for (d = 0; d < 3; d++)
	{
		const double *e = model_edges(mdl, d);

		pq_sendbyte(&buf, mdl->nedges[d]);
		for (i = 0; i < mdl->nedges[d]; i++)
			pq_sendfloat8(&buf, e[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_rfm_model_recv);

Datum
crm_rfm_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	double		vals[3][RFM_MAX_BUCKETS + 1];
	double	   *edges[3] = {vals[0], vals[1], vals[2]};
	int			nedges[3];
	int			buckets = pq_getmsgbyte(buf);
	int			d,
				i;
	const char *why;

	for (d = 0; d < 3; d++)
	{
		nedges[d] = pq_getmsgbyte(buf);
		if (nedges[d] > RFM_MAX_BUCKETS + 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary crm_sales.rfm_model value"),
					 errdetail("%d edges.", nedges[d])));
		for (i = 0; i < nedges[d]; i++)
			vals[d][i] = pq_getmsgfloat8(buf);
	}
	why = model_problem(buckets, nedges, edges);
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary crm_sales.rfm_model value"),
				 errdetail("%s", why)));
	PG_RETURN_POINTER(model_make(buckets, nedges, edges));
}

PG_FUNCTION_INFO_V1(crm_rfm_model_jsonb);

/* Cast to jsonb: the text form is JSON already. */
Datum
crm_rfm_model_jsonb(PG_FUNCTION_ARGS)
{
	char	   *s = model_to_cstring(model_arg(fcinfo, 0));

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/* ----------------------------------------------------------------
 * The rfm_model aggregate: every value is kept (exact quantiles need them)
 * ---------------------------------------------------------------- */

typedef struct RfmAggState
{
	int			buckets;
	int64		n;
	int64		cap;
	double	   *v[3];			/* -recency, frequency, monetary */
} RfmAggState;

/* Make room for `more` more rows. */
static void
agg_reserve(MemoryContext cxt, RfmAggState *st, int64 more)
{
	int			d;
	int64		want = st->n + more;

	check_rows(want, "rfm_model");
	if (want <= st->cap)
		return;
	want = Max(want, Max(st->cap * 2, 1024));
	/* never past the row limit: doubling 2^26 rows would reserve 2^27 */
	want = Min(want, RFM_MAX_ROWS);
	for (d = 0; d < 3; d++)
		st->v[d] = st->v[d] == NULL ?
			MemoryContextAllocHuge(cxt, sizeof(double) * want) :
			repalloc_huge(st->v[d], sizeof(double) * want);
	st->cap = want;
}

static RfmAggState *
agg_new(MemoryContext cxt, int buckets)
{
	RfmAggState *st = MemoryContextAllocZero(cxt, sizeof(RfmAggState));

	st->buckets = buckets;
	return st;
}

PG_FUNCTION_INFO_V1(crm_rfm_model_trans);

/*
 * Transition: rfm_model(recency, frequency, monetary [, buckets]).  Rows
 * with a NULL value are skipped, as the window function leaves them out.
 */
Datum
crm_rfm_model_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmAggState *st;
	int			buckets = RFM_DEFAULT_BUCKETS;
	double		v[3];
	int			d;

	aggcxt = crm_agg_context(fcinfo, "rfm_model");
	if (PG_NARGS() >= 5)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rfm_model: buckets must not be NULL")));
		buckets = PG_GETARG_INT32(4);
		check_buckets(buckets, "rfm_model");
	}
	st = PG_ARGISNULL(0) ? agg_new(aggcxt, buckets) : (RfmAggState *) PG_GETARG_POINTER(0);
	if (st->buckets != buckets)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rfm_model: buckets must be the same for every row"),
				 errdetail("%d and %d.", st->buckets, buckets)));
	for (d = 0; d < 3; d++)
	{
		if (PG_ARGISNULL(d + 1))
			PG_RETURN_POINTER(st);
		v[d] = PG_GETARG_FLOAT8(d + 1) + 0.0;	/* -0 to +0 */
		check_value(v[d], dim_names[d], "rfm_model");
	}
	agg_reserve(aggcxt, st, 1);
	st->v[0][st->n] = -v[0];
	st->v[1][st->n] = v[1];
	st->v[2][st->n] = v[2];
	st->n++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(crm_rfm_model_combine);

/* Combine: concatenate the values of two partial states. */
Datum
crm_rfm_model_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmAggState *a,
			   *b;
	int			d;

	aggcxt = crm_agg_context(fcinfo, "rfm_model");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (RfmAggState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		a = agg_new(aggcxt, b->buckets);
	}
	else
		a = (RfmAggState *) PG_GETARG_POINTER(0);
	if (a->buckets != b->buckets)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rfm_model: buckets must be the same for every row"),
				 errdetail("%d and %d.", a->buckets, b->buckets)));
	if (b->n > 0)
	{
		agg_reserve(aggcxt, a, b->n);
		for (d = 0; d < 3; d++)
			memcpy(a->v[d] + a->n, b->v[d], sizeof(double) * b->n);
		a->n += b->n;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(crm_rfm_model_serial);

/* Serialize: layout version, buckets, n, then the three columns as float8. */
Datum
crm_rfm_model_serial(PG_FUNCTION_ARGS)
{
	RfmAggState *st = (RfmAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;
	int			d;

	crm_agg_context(fcinfo, "rfm_model");
	crm_serial_begin(&buf, RFM_SERIAL_VERSION);
	pq_sendint32(&buf, st->buckets);
	pq_sendint64(&buf, st->n);
	for (d = 0; d < 3; d++)
		for (i = 0; i < st->n; i++)
			pq_sendfloat8(&buf, st->v[d][i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_rfm_model_deserial);

/*
 * Deserialize what crm_rfm_model_serial wrote; a wrong version, a bucket
 * count or row count out of range, truncated bytes or a value the
 * transition would have refused are errors.
 */
Datum
crm_rfm_model_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = crm_agg_context(fcinfo, "rfm_model");
	StringInfoData buf;
	RfmAggState *st;
	int64		n,
				i;
	int			d,
				buckets;

	crm_deserial_begin(&buf, b, RFM_SERIAL_VERSION, "rfm_model");
	crm_deserial_need(&buf, 1, sizeof(int32) + sizeof(int64), "rfm_model");
	buckets = pq_getmsgint(&buf, 4);
	n = pq_getmsgint64(&buf);
	if (buckets < RFM_MIN_BUCKETS || buckets > RFM_MAX_BUCKETS ||
		n < 0 || n > RFM_MAX_ROWS)
		crm_deserial_invalid("rfm_model",
							 psprintf("buckets %d, " INT64_FORMAT " rows.", buckets, n));
	crm_deserial_need(&buf, n, 3 * sizeof(double), "rfm_model");
	st = agg_new(aggcxt, buckets);
	agg_reserve(aggcxt, st, n);
	for (d = 0; d < 3; d++)
		for (i = 0; i < n; i++)
		{
			double		v = pq_getmsgfloat8(&buf);

			/* recency is kept negated: every stored value is <= 0 */
			if (!isfinite(v) || (d == 0 ? v > 0.0 : v < 0.0))
				crm_deserial_invalid("rfm_model", "A value is not one the transition accepts.");
			st->v[d][i] = v;
		}
	st->n = n;
	crm_deserial_end(&buf, "rfm_model");
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(crm_rfm_model_final);

/* Final: the quantile edges of each dimension (NULL for no rows). */
Datum
crm_rfm_model_final(PG_FUNCTION_ARGS)
{
	RfmAggState *st;
	rfm_item   *items;
	double		vals[3][RFM_MAX_BUCKETS + 1];
	double	   *edges[3] = {vals[0], vals[1], vals[2]};
	int			nedges[3];
	int			d,
				i;
	int64		j;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RfmAggState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	items = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(rfm_item) * st->n);
	for (d = 0; d < 3; d++)
	{
		for (j = 0; j < st->n; j++)
		{
			items[j].v = st->v[d][j];
			items[j].pos = j;
		}
		rfm_sort_items(items, (size_t) st->n);
		nedges[d] = rfm_quantile_edges(items, (size_t) st->n, st->buckets, vals[d]);
	}
	pfree(items);
	/* recency: stored in recency units, ascending */
	for (i = 0; i < nedges[0] / 2; i++)
	{
		double		t = vals[0][i];

		vals[0][i] = vals[0][nedges[0] - 1 - i];
		vals[0][nedges[0] - 1 - i] = t;
	}
	for (i = 0; i < nedges[0]; i++)
		vals[0][i] = -vals[0][i];
	PG_RETURN_POINTER(model_make(st->buckets, nedges, edges));
}

PG_FUNCTION_INFO_V1(crm_rfm_score_model);

/*
 * rfm_score(model, recency, frequency, monetary): score one customer with
 * stored edges, the same bins the window function's 'quantile' method used
 * when the model was built; values outside the edges go to the end bins.
 */
Datum
crm_rfm_score_model(PG_FUNCTION_ARGS)
{
	RfmModel   *mdl = model_arg(fcinfo, 0);
	double		v[3];
	double		neg[RFM_MAX_BUCKETS + 1];
	const double *re = model_edges(mdl, 0);
	int			s[3];
	int			d,
				nr = mdl->nedges[0];

	for (d = 0; d < 3; d++)
	{
		v[d] = PG_GETARG_FLOAT8(d + 1) + 0.0;	/* -0 to +0 */
		check_value(v[d], dim_names[d], "rfm_score");
	}
	for (d = 0; d < nr; d++)
		neg[d] = -re[nr - 1 - d];
	s[0] = rfm_bin(neg, nr, -v[0]);
	s[1] = rfm_bin(model_edges(mdl, 1), mdl->nedges[1], v[1]);
	s[2] = rfm_bin(model_edges(mdl, 2), mdl->nedges[2], v[2]);
	PG_RETURN_INT32(RFM_PACK(s[0], s[1], s[2], mdl->buckets));
}
