/*
 * funnel_timing.c
 *		Time to convert per funnel step (algorithms in core/funnel/timing.c
 *		and the chains of core/funnel/window_funnel.c):
 *
 *	 crm_sales.funnel_timing(window interval, [mode text,] ts timestamptz,
 *							 step1 bool, VARIADIC steps bool[])
 *	 crm_sales.funnel_timing(window interval, [mode text,] ts timestamptz,
 *							 steps bool[])		-> crm_sales.funnel_timing
 *		one entity (a GROUP BY group): the steps window_funnel credits it
 *		with and the times between them;
 *	 crm_sales.funnel_timing_merge(funnel_timing), funnel_timing + funnel_timing
 *		the population: reached counts per step, and per step k >= 2 the
 *		distribution of the time from step k-1 to step k (and from step 1
 *		to step k) over the entities that reached step k;
 *	 funnel_timing_steps, funnel_timing_quantile, funnel_timing_histogram,
 *	 funnel_timing::jsonb	the readers.
 *
 * A funnel_timing value is bounded (at most FT_NBUCKETS buckets per
 * distribution), so it is the merge aggregate's state itself: rollup tables
 * store it, parallel query and Citus combine it.  The merge updates its
 * state in place, keeping room (cap) for new buckets; the final function
 * returns the compact form (cap = nb), which is what is stored.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "event_funnel.h"
#include "funnel/timing.h"
#include "funnel/window_funnel.h"

PG_FUNCTION_INFO_V1(crm_funnel_timing_in);
PG_FUNCTION_INFO_V1(crm_funnel_timing_out);
PG_FUNCTION_INFO_V1(crm_funnel_timing_recv);
PG_FUNCTION_INFO_V1(crm_funnel_timing_send);
PG_FUNCTION_INFO_V1(crm_funnel_timing_add);
PG_FUNCTION_INFO_V1(crm_funnel_timing_merge_trans);
PG_FUNCTION_INFO_V1(crm_funnel_timing_merge_final);
PG_FUNCTION_INFO_V1(crm_funnel_timing_eq);
PG_FUNCTION_INFO_V1(crm_funnel_timing_jsonb);
PG_FUNCTION_INFO_V1(crm_funnel_timing_final);
PG_FUNCTION_INFO_V1(crm_funnel_timing_steps);
PG_FUNCTION_INFO_V1(crm_funnel_timing_quantile);
PG_FUNCTION_INFO_V1(crm_funnel_timing_histogram);

#define FT_VERSION		1

/* most edges of one funnel_timing_histogram call */
#define FT_MAX_EDGES	1000

/*
 * One distribution of a value: the time from step k-1 to step k ("prev")
 * or from step 1 to step k ("first"), over the reached[k-1] entities that
 * reached step k.  Its list is at byte offset off from the start of the
 * value: int64 cnt[cap], then int64 key[cap]; nb of them are used.  Keys
 * are durations when exact (at most FT_EXACT_MAX of them), else bucket
 * numbers of the grid of core/funnel/timing.h.
 */
typedef struct FtPair
{
	int64		min;
	int64		max;
	uint64		sum_hi;			/* the 128-bit sum of the durations */
	uint64		sum_lo;
	int32		nb;
	int32		cap;
	int32		off;
	int32		exact;
} FtPair;

/*
 * On-disk layout: this header, int64 reached[nsteps] (entities that reached
 * step k, non-increasing), FtPair pairs[npairs], then the pairs' buckets.
 * Pairs: "prev" of steps 2..n (indexes 0..n-2), then "first" of steps
 * 3..n (indexes n-1..2n-4); "first" of step 2 is "prev" of step 2.
 * Durations are in microseconds.
 */
typedef struct FunnelTiming
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		flags;			/* none yet */
	int16		nsteps;
	int32		npairs;
	int32		reserved;
} FunnelTiming;

#define FT_HDRSZ		((Size) sizeof(FunnelTiming))
#define FT_REACHED(t)	((int64 *) ((char *) (t) + FT_HDRSZ))
#define FT_PAIRS(t)		((FtPair *) (FT_REACHED(t) + (t)->nsteps))
#define FT_CNT(t, p)	((int64 *) ((char *) (t) + (p)->off))
#define FT_KEY(t, p)	((int64 *) (FT_CNT(t, p) + (p)->cap))

StaticAssertDecl(sizeof(FunnelTiming) % sizeof(int64) == 0,
				 "the int64 arrays after the funnel_timing header must be aligned");
StaticAssertDecl(sizeof(FtPair) % sizeof(int64) == 0,
				 "the buckets after the pairs must be aligned");

#define DatumGetFunnelTiming(d)	((FunnelTiming *) PG_DETOAST_DATUM(d))
#define PG_GETARG_FT(n)			DatumGetFunnelTiming(PG_GETARG_DATUM(n))

/* Pairs of an n-step value: n-1 "prev" and n-2 "first". */
static inline int
ft_npairs(int nsteps)
{
	return nsteps >= 2 ? 2 * nsteps - 3 : 0;
}

/* The pair of step k (2..n): from the previous step, or from step 1. */
static inline int
ft_pair_index(int nsteps, int k, bool from_first)
{
	return from_first && k >= 3 ? nsteps - 1 + (k - 3) : k - 2;
}

/* The step of pair p, and whether it is a "first" pair. */
static inline int
ft_pair_step(int nsteps, int p, bool *from_first)
{
	*from_first = p >= nsteps - 1;
	return *from_first ? p - (nsteps - 1) + 3 : p + 2;
}

/* Bytes of one pair's list with room for cap entries. */
static inline Size
ft_bucket_bytes(int32 cap)
{
	return (Size) cap * 2 * sizeof(int64);
}

/* The 128-bit sum of a pair. */
static inline ft_u128
ft_pair_sum(const FtPair *p)
{
	return ((ft_u128) p->sum_hi << 64) | (ft_u128) p->sum_lo;
}

static inline void
ft_pair_set_sum(FtPair *p, ft_u128 v)
{
	p->sum_hi = (uint64) (v >> 64);
	p->sum_lo = (uint64) v;
}

/* A view of pair p of t for the core functions. */
static FtDist
ft_dist(const FunnelTiming *t, int p)
{
	const FtPair *pr = &FT_PAIRS(t)[p];
	bool		first;
	FtDist		d;

	d.n = FT_REACHED(t)[ft_pair_step(t->nsteps, p, &first) - 1];
	d.min = pr->min;
	d.max = pr->max;
	d.sum = ft_pair_sum(pr);
	d.exact = pr->exact;
	d.nb = pr->nb;
	d.key = FT_KEY(t, pr);
	d.cnt = FT_CNT(t, pr);
	return d;
}

/*
 * A zeroed value of nsteps steps with room for caps[p] buckets in pair p
 * (caps NULL: none), in the current memory context.
 */
static FunnelTiming *
ft_alloc(int nsteps, const int32 *caps)
{
	int			np = ft_npairs(nsteps);
	Size		off = FT_HDRSZ + sizeof(int64) * nsteps + sizeof(FtPair) * np;
	Size		sz = off;
	FunnelTiming *t;
	int			p;

	for (p = 0; caps != NULL && p < np; p++)
		sz += ft_bucket_bytes(caps[p]);
	t = palloc0(sz);
	SET_VARSIZE(t, sz);
	t->version = FT_VERSION;
	t->nsteps = nsteps;
	t->npairs = np;
	for (p = 0; p < np; p++)
	{
		FtPair	   *pr = &FT_PAIRS(t)[p];

		pr->cap = caps != NULL ? caps[p] : 0;
		pr->off = (int32) off;
		off += ft_bucket_bytes(pr->cap);
	}
	return t;
}

/*
 * What is wrong with a value, or NULL: its layout (so that reading it stays
 * inside it) and its numbers (reached counts non-increasing; each pair's
 * buckets, counts, minimum, maximum and sum consistent with its reached
 * count: ft_check).  Every value from outside this file is checked.
 */
static const char *
ft_problem(const FunnelTiming *t)
{
	Size		size = VARSIZE(t);
	Size		data;
	int			k,
				p;

	if (size < FT_HDRSZ || t->version != FT_VERSION)
		return "unknown layout version";
	if (t->nsteps < 1 || t->nsteps > WF_MAX_STEPS || t->npairs != ft_npairs(t->nsteps))
		return "wrong number of steps";
	data = FT_HDRSZ + sizeof(int64) * t->nsteps + sizeof(FtPair) * t->npairs;
	if (size < data)
		return "too short";
	for (k = 0; k < t->nsteps; k++)
		if (FT_REACHED(t)[k] < 0 || (k > 0 && FT_REACHED(t)[k] > FT_REACHED(t)[k - 1]))
			return "reached counts must not grow from one step to the next";
	for (p = 0; p < t->npairs; p++)
	{
		const FtPair *pr = &FT_PAIRS(t)[p];
		FtDist		d;

		if (pr->cap < 0 || pr->cap > FT_NBUCKETS || pr->nb < 0 || pr->nb > pr->cap ||
			(pr->exact != 0 && pr->exact != 1) ||
			pr->off < 0 || pr->off % sizeof(int64) != 0 || (Size) pr->off < data ||
			(Size) pr->off + ft_bucket_bytes(pr->cap) > size)
			return "bucket arrays out of place";
		d = ft_dist(t, p);
		if (d.n == 0)
		{
			if (d.nb != 0 || d.min != 0 || d.max != 0 || d.sum != 0 || d.exact)
				return "durations of a step nobody reached";
		}
		else
		{
			bool		first;
			int			k = ft_pair_step(t->nsteps, p, &first);
			const char *name = psprintf("%s%d", first ? "first" : "prev", k);

			switch (ft_check(&d))
			{
				case FT_OK:
					break;
				case FT_BAD_BUCKET:
					return psprintf("%s: its keys must ascend, buckets be below %d, exact durations at most %d",
									name, FT_NBUCKETS, FT_EXACT_MAX);
				case FT_BAD_COUNT:
					return psprintf("%s: its counts must be positive and add up to the " INT64_FORMAT " entities that reached step %d",
									name, d.n, k);
				case FT_BAD_RANGE:
					return psprintf("%s: its minimum and maximum must be its first and last duration (or lie in its first and last bucket)",
									name);
				default:
					return psprintf("%s: its sum does not fit its durations", name);
			}
		}
	}
	return NULL;
}

/* Detoasted value of argument n, checked. */
static FunnelTiming *
ft_arg(FunctionCallInfo fcinfo, int n)
{
	FunnelTiming *t = PG_GETARG_FT(n);
	const char *bad = ft_problem(t);

	if (bad != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid crm_sales.funnel_timing value"),
				 errdetail("%s.", bad)));
	return t;
}

/* One pair's list in the form (exact or buckets) the merge result takes. */
typedef struct FtList
{
	const int64 *key;
	const int64 *cnt;
	int32		nb;
	bool		converted;		/* made from exact durations */
} FtList;

/*
 * Copy the reached counts and pairs of from into to (made by ft_alloc with
 * room), each pair's list from lists[p] when given (a converted list).
 */
static void
ft_copy_into(FunnelTiming *to, const FunnelTiming *from, const FtList *lists)
{
	int			p;

	to->flags = from->flags;
	memcpy(FT_REACHED(to), FT_REACHED(from), sizeof(int64) * from->nsteps);
	for (p = 0; p < from->npairs; p++)
	{
		const FtPair *f = &FT_PAIRS(from)[p];
		FtPair	   *t = &FT_PAIRS(to)[p];
		const int64 *key = lists ? lists[p].key : FT_KEY(from, f);
		const int64 *cnt = lists ? lists[p].cnt : FT_CNT(from, f);

		t->min = f->min;
		t->max = f->max;
		t->sum_hi = f->sum_hi;
		t->sum_lo = f->sum_lo;
		t->exact = lists && lists[p].converted ? 0 : f->exact;
		t->nb = lists ? lists[p].nb : f->nb;
		Assert(t->nb <= t->cap);
		memcpy(FT_CNT(to, t), cnt, sizeof(int64) * t->nb);
		memcpy(FT_KEY(to, t), key, sizeof(int64) * t->nb);
	}
}

/* The compact form of t (no room left in any pair), or t itself. */
static FunnelTiming *
ft_compact(FunnelTiming *t)
{
	int32	   *caps;
	FunnelTiming *c;
	int			p;
	bool		compact = true;

	for (p = 0; p < t->npairs; p++)
		if (FT_PAIRS(t)[p].cap != FT_PAIRS(t)[p].nb)
			compact = false;
	if (compact)
		return t;
	caps = palloc(sizeof(int32) * Max(t->npairs, 1));
	for (p = 0; p < t->npairs; p++)
		caps[p] = FT_PAIRS(t)[p].nb;
	c = ft_alloc(t->nsteps, caps);
	ft_copy_into(c, t, NULL);
	pfree(caps);
	return c;
}

/* The error for a count past the bigint range. */
static void
ft_count_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("funnel_timing count out of range"),
			 errdetail("A count of entities of the merged value exceeds the bigint range.")));
}

/* The list of pair pr of t, as buckets when to_buckets and it is exact. */
static FtList
ft_list(const FunnelTiming *t, const FtPair *pr, bool to_buckets)
{
	FtList		l;

	l.key = FT_KEY(t, pr);
	l.cnt = FT_CNT(t, pr);
	l.nb = pr->nb;
	l.converted = false;
	if (to_buckets && pr->exact && pr->nb > 0)
	{
		int64	   *k = palloc(sizeof(int64) * pr->nb);
		int64	   *c = palloc(sizeof(int64) * pr->nb);

		l.nb = ft_to_buckets(FT_KEY(t, pr), FT_CNT(t, pr), pr->nb, k, c);
		l.key = k;
		l.cnt = c;
		l.converted = true;
	}
	return l;
}

/*
 * a + b.  Per pair the result is exact when both are exact (or empty) and
 * their union has at most FT_EXACT_MAX distinct durations, else buckets
 * (timing.h): the same for any order of merges.  When in_place (a is the
 * aggregate's own state) a is updated and returned if every pair keeps its
 * form and has room; otherwise the result is a new value: with room to
 * grow (twice the old room) when in_place, so that an aggregate copies its
 * state a logarithmic number of times, and compact otherwise.
 */
static FunnelTiming *
ft_merge(FunnelTiming *a, const FunnelTiming *b, bool in_place)
{
	int			np = a->npairs;
	int32	   *need;
	bool	   *exact;
	FtList	   *la;
	FtList	   *lb;
	bool		fits = in_place;
	FunnelTiming *r;
	int			k,
				p;

	if (a->nsteps != b->nsteps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge funnel timings of %d and %d steps", a->nsteps, b->nsteps),
				 errhint("Merge values of one funnel only; group by the funnel first.")));
	need = palloc(sizeof(int32) * Max(np, 1));
	exact = palloc(sizeof(bool) * Max(np, 1));
	la = palloc(sizeof(FtList) * Max(np, 1));
	lb = palloc(sizeof(FtList) * Max(np, 1));
	for (p = 0; p < np; p++)
	{
		const FtPair *pa = &FT_PAIRS(a)[p];
		const FtPair *pb = &FT_PAIRS(b)[p];
		bool		a_exact = pa->nb == 0 || pa->exact;
		bool		b_exact = pb->nb == 0 || pb->exact;

		exact[p] = a_exact && b_exact;
		if (exact[p] && pa->nb > 0 && pb->nb > 0 &&
			ft_union_size(FT_KEY(a, pa), pa->nb, FT_KEY(b, pb), pb->nb) > FT_EXACT_MAX)
			exact[p] = false;
		la[p] = ft_list(a, pa, !exact[p]);
		lb[p] = ft_list(b, pb, !exact[p]);
		need[p] = ft_union_size(la[p].key, la[p].nb, lb[p].key, lb[p].nb);
		if (la[p].converted || need[p] > pa->cap)
			fits = false;
	}
	if (fits)
		r = a;
	else
	{
		int32	   *caps = palloc(sizeof(int32) * Max(np, 1));

		for (p = 0; p < np; p++)
			caps[p] = in_place ? Max(need[p], Min(2 * FT_PAIRS(a)[p].cap, FT_NBUCKETS)) : need[p];
		r = ft_alloc(a->nsteps, caps);
		ft_copy_into(r, a, la);
		pfree(caps);
	}

	for (k = 0; k < r->nsteps; k++)
		if (pg_add_s64_overflow(FT_REACHED(r)[k], FT_REACHED(b)[k], &FT_REACHED(r)[k]))
			ft_count_overflow();
	for (p = 0; p < np; p++)
	{
		FtPair	   *pr = &FT_PAIRS(r)[p];
		const FtPair *pb = &FT_PAIRS(b)[p];
		ft_u128		sum = ft_pair_sum(pr);

		/* an empty list is neither form: exact stays 0 */
		pr->exact = exact[p] && (pr->nb > 0 || pb->nb > 0);
		if (pb->nb == 0)
			continue;
		if (pr->nb == 0)
		{
			pr->min = pb->min;
			pr->max = pb->max;
		}
		else
		{
			pr->min = Min(pr->min, pb->min);
			pr->max = Max(pr->max, pb->max);
		}
		/* under 2^64 durations of under 2^63 each: the sum stays below 2^127 */
		ft_pair_set_sum(pr, sum + ft_pair_sum(pb));
		if ((int64) lb[p].nb * 16 < pr->nb)
		{
			/* few keys into many: a binary search and insertion each */
			int			i;

			for (i = 0; i < lb[p].nb; i++)
				if (ft_add_bucket(FT_KEY(r, pr), FT_CNT(r, pr), &pr->nb, pr->cap,
								  lb[p].key[i], lb[p].cnt[i]) != 0)
					ft_count_overflow();
		}
		else
		{
			int32		n = ft_merge_buckets(FT_KEY(r, pr), FT_CNT(r, pr), pr->nb,
											 lb[p].key, lb[p].cnt, lb[p].nb,
											 FT_KEY(r, pr), FT_CNT(r, pr));

			if (n < 0)
				ft_count_overflow();
			pr->nb = n;
		}
	}
	return r;
}

/* funnel_timing + funnel_timing: a new, compact value. */
Datum
crm_funnel_timing_add(PG_FUNCTION_ARGS)
{
	FunnelTiming *a = ft_arg(fcinfo, 0);
	FunnelTiming *b = ft_arg(fcinfo, 1);

	PG_RETURN_POINTER(ft_compact(ft_merge(a, b, false)));
}

/*
 * funnel_timing_merge's transition and combine function (not strict): adds
 * b into the state a.  The state is made here from a checked first value,
 * so when AggCheckCallContext says a is the state it is trusted and updated
 * in place; a NULL input leaves the state as it is.
 */
Datum
crm_funnel_timing_merge_trans(PG_FUNCTION_ARGS)
{
	FunnelTiming *a;
	FunnelTiming *b;
	bool		in_place;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = ft_arg(fcinfo, 1);
	/* the first value: the executor copies it into the aggregate context */
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(b);
	a = PG_GETARG_FT(0);
	in_place = AggCheckCallContext(fcinfo, NULL) != 0 &&
		a == (FunnelTiming *) DatumGetPointer(PG_GETARG_DATUM(0));
	if (!in_place)
		a = ft_arg(fcinfo, 0);
	PG_RETURN_POINTER(ft_merge(a, b, in_place));
}

/* funnel_timing_merge's final function: the compact form of the state. */
Datum
crm_funnel_timing_merge_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ft_compact(PG_GETARG_FT(0)));
}

/* funnel_timing = funnel_timing: the same steps, counts and distributions. */
Datum
crm_funnel_timing_eq(PG_FUNCTION_ARGS)
{
	FunnelTiming *a = ft_arg(fcinfo, 0);
	FunnelTiming *b = ft_arg(fcinfo, 1);
	int			p;

	if (a->nsteps != b->nsteps ||
		memcmp(FT_REACHED(a), FT_REACHED(b), sizeof(int64) * a->nsteps) != 0)
		PG_RETURN_BOOL(false);
	for (p = 0; p < a->npairs; p++)
	{
		const FtPair *pa = &FT_PAIRS(a)[p];
		const FtPair *pb = &FT_PAIRS(b)[p];

		if (pa->min != pb->min || pa->max != pb->max || pa->sum_hi != pb->sum_hi ||
			pa->sum_lo != pb->sum_lo || pa->nb != pb->nb || pa->exact != pb->exact ||
			memcmp(FT_KEY(a, pa), FT_KEY(b, pb), sizeof(int64) * pa->nb) != 0 ||
			memcmp(FT_CNT(a, pa), FT_CNT(b, pb), sizeof(int64) * pa->nb) != 0)
			PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

/* ---- text form ---- */

/*
 * {reached=r1,...,rn;prev2=min,max,sum,exact,d:c,...;prev3=...;first3=...}:
 * the sections of step k are present when someone reached it; durations
 * in microseconds; after "exact" each distinct duration d and its count,
 * after "buckets" each bucket number of the grid of timing.h and its count.
 */
static void
ft_append_pair(StringInfo buf, const FunnelTiming *t, int p)
{
	const FtPair *pr = &FT_PAIRS(t)[p];
	char		sum[48];
	bool		first;
	int			k = ft_pair_step(t->nsteps, p, &first);
	int			i;

	ft_u128_format(ft_pair_sum(pr), sum);
	appendStringInfo(buf, ";%s%d=" INT64_FORMAT "," INT64_FORMAT ",%s,%s",
					 first ? "first" : "prev", k, pr->min, pr->max, sum,
					 pr->exact ? "exact" : "buckets");
	for (i = 0; i < pr->nb; i++)
		appendStringInfo(buf, "," INT64_FORMAT ":" INT64_FORMAT, FT_KEY(t, pr)[i], FT_CNT(t, pr)[i]);
}

static char *
ft_to_text(const FunnelTiming *t)
{
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{reached=");
	for (k = 0; k < t->nsteps; k++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, k > 0 ? "," : "", FT_REACHED(t)[k]);
	for (k = 2; k <= t->nsteps; k++)
	{
		if (FT_REACHED(t)[k - 1] == 0)
			continue;
		ft_append_pair(&buf, t, ft_pair_index(t->nsteps, k, false));
		if (k >= 3)
			ft_append_pair(&buf, t, ft_pair_index(t->nsteps, k, true));
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* funnel_timing text output (ft_to_text). */
Datum
crm_funnel_timing_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(ft_to_text(ft_arg(fcinfo, 0)));
}

/* Raise 22P02 for funnel_timing text, with a detail. */
static void
ft_bad_text(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type crm_sales.funnel_timing: \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("The form is {reached=r1,...,rn;prevK=min,max,sum,exact,duration:count,...;firstK=...} "
					 "(or buckets,bucket:count,...), as funnel_timing values print; build values with crm_sales.funnel_timing().")));
}

/* Read an unsigned decimal integer at *pp (at most max). */
static int64
ft_read_int(const char *text, const char **pp, int64 max, const char *what)
{
	const char *p = *pp;
	int64		v = 0;

	if (!isdigit((unsigned char) *p))
		ft_bad_text(text, psprintf("%s (a non-negative integer) is missing.", what));
	while (isdigit((unsigned char) *p))
	{
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, *p - '0', &v) || v > max)
			ft_bad_text(text, psprintf("%s is out of range.", what));
		p++;
	}
	*pp = p;
	return v;
}

/* Expect character c at *pp. */
static void
ft_expect(const char *text, const char **pp, char c, const char *where)
{
	if (**pp != c)
		ft_bad_text(text, psprintf("\"%c\" expected %s.", c, where));
	(*pp)++;
}

/* One parsed pair section. */
typedef struct FtParsed
{
	bool		seen;
	int64		min;
	int64		max;
	ft_u128		sum;
	bool		exact;
	int32		nb;
	int32		cap;
	int64	   *key;
	int64	   *cnt;
} FtParsed;

/* Parse the text form (see ft_to_text). */
static FunnelTiming *
ft_from_text(const char *text)
{
	const char *p = text;
	int64		reached[WF_MAX_STEPS];
	int			nsteps = 0;
	FtParsed   *pairs;
	int32	   *caps;
	FunnelTiming *t;
	const char *bad;
	int			np,
				k,
				q;

	ft_expect(text, &p, '{', "at the start");
	if (strncmp(p, "reached=", 8) != 0)
		ft_bad_text(text, "The value must start with \"{reached=\".");
	p += 8;
	for (;;)
	{
		if (nsteps >= WF_MAX_STEPS)
			ft_bad_text(text, psprintf("A funnel has at most %d steps.", WF_MAX_STEPS));
		reached[nsteps++] = ft_read_int(text, &p, PG_INT64_MAX, "A reached count");
		if (*p != ',')
			break;
		p++;
	}
	np = ft_npairs(nsteps);
	pairs = palloc0(sizeof(FtParsed) * Max(np, 1));
	while (*p == ';')
	{
		bool		first;
		FtParsed   *pr;
		const char *s;

		p++;
		if (strncmp(p, "prev", 4) == 0)
		{
			first = false;
			p += 4;
		}
		else if (strncmp(p, "first", 5) == 0)
		{
			first = true;
			p += 5;
		}
		else
			ft_bad_text(text, "A section must be prevK= or firstK=.");
		k = (int) ft_read_int(text, &p, WF_MAX_STEPS + 1, "A section's step");
		if (k < 2 || k > nsteps || (first && k < 3))
			ft_bad_text(text, nsteps < 2 ?
						psprintf("A funnel of one step has no section (%s%d).", first ? "first" : "prev", k) :
						nsteps == 2 ?
						psprintf("A funnel of 2 steps has one section, prev2, not %s%d.", first ? "first" : "prev", k) :
						psprintf("A funnel of %d steps has sections prev2 to prev%d and first3 to first%d, not %s%d.",
								 nsteps, nsteps, nsteps, first ? "first" : "prev", k));
		pr = &pairs[ft_pair_index(nsteps, k, first)];
		if (pr->seen)
			ft_bad_text(text, psprintf("Section %s%d appears twice.", first ? "first" : "prev", k));
		pr->seen = true;
		ft_expect(text, &p, '=', "after a section name");
		pr->min = ft_read_int(text, &p, PG_INT64_MAX, "A minimum");
		ft_expect(text, &p, ',', "after a minimum");
		pr->max = ft_read_int(text, &p, PG_INT64_MAX, "A maximum");
		ft_expect(text, &p, ',', "after a maximum");
		s = p;
		while (isdigit((unsigned char) *p))
			p++;
		if (ft_u128_parse(s, p - s, &pr->sum) != 0)
			ft_bad_text(text, "A sum (a non-negative integer below 2^128) is missing or out of range.");
		if (strncmp(p, ",exact", 6) == 0)
		{
			pr->exact = true;
			p += 6;
		}
		else if (strncmp(p, ",buckets", 8) == 0)
			p += 8;
		else
			ft_bad_text(text, "\"exact\" or \"buckets\" expected after a sum.");
		while (*p == ',')
		{
			int32		most = pr->exact ? FT_EXACT_MAX : FT_NBUCKETS;

			p++;
			if (pr->nb >= most)
				ft_bad_text(text, psprintf("A section has more than %d %s.", most,
										   pr->exact ? "exact durations" : "buckets"));
			if (pr->nb == pr->cap)
			{
				pr->cap = pr->cap == 0 ? 16 : Min(pr->cap * 2, most);
				pr->key = pr->key ? repalloc(pr->key, sizeof(int64) * pr->cap) :
					palloc(sizeof(int64) * pr->cap);
				pr->cnt = pr->cnt ? repalloc(pr->cnt, sizeof(int64) * pr->cap) :
					palloc(sizeof(int64) * pr->cap);
			}
			pr->key[pr->nb] = pr->exact ?
				ft_read_int(text, &p, PG_INT64_MAX, "A duration") :
				ft_read_int(text, &p, FT_NBUCKETS - 1, "A bucket number");
			ft_expect(text, &p, ':', pr->exact ? "after a duration" : "after a bucket number");
			pr->cnt[pr->nb++] = ft_read_int(text, &p, PG_INT64_MAX, "A count");
		}
	}
	ft_expect(text, &p, '}', "at the end");
	if (*p != '\0')
		ft_bad_text(text, "Unexpected text after \"}\".");
	for (k = 2; k <= nsteps; k++)
		for (q = 0; q < (k >= 3 ? 2 : 1); q++)
		{
			FtParsed   *pr = &pairs[ft_pair_index(nsteps, k, q == 1)];

			if (pr->seen != (reached[k - 1] > 0))
				ft_bad_text(text, psprintf("Section %s%d must be given exactly when step %d was reached.",
										   q == 1 ? "first" : "prev", k, k));
		}

	caps = palloc(sizeof(int32) * Max(np, 1));
	for (q = 0; q < np; q++)
		caps[q] = pairs[q].nb;
	t = ft_alloc(nsteps, caps);
	memcpy(FT_REACHED(t), reached, sizeof(int64) * nsteps);
	for (q = 0; q < np; q++)
	{
		FtPair	   *to = &FT_PAIRS(t)[q];

		to->min = pairs[q].min;
		to->max = pairs[q].max;
		ft_pair_set_sum(to, pairs[q].sum);
		to->exact = pairs[q].exact;
		to->nb = pairs[q].nb;
		if (to->nb > 0)
		{
			memcpy(FT_KEY(t, to), pairs[q].key, sizeof(int64) * to->nb);
			memcpy(FT_CNT(t, to), pairs[q].cnt, sizeof(int64) * to->nb);
		}
	}
	bad = ft_problem(t);
	if (bad != NULL)
		ft_bad_text(text, psprintf("The numbers do not fit together: %s.", bad));
	return t;
}

/* funnel_timing text input: only the form ft_to_text writes, checked whole. */
Datum
crm_funnel_timing_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ft_from_text(PG_GETARG_CSTRING(0)));
}

/* ---- binary form ---- */

/*
 * A version byte, int16 nsteps, int64 reached[nsteps], then per pair of a
 * reached step (in text order): int64 min, max, sum (high, low), a byte
 * (1 exact, 0 buckets), int32 nb, and nb (int64 key, int64 count): network
 * byte order.
 */
Datum
crm_funnel_timing_send(PG_FUNCTION_ARGS)
{
	FunnelTiming *t = ft_arg(fcinfo, 0);
	StringInfoData buf;
	int			k,
				q,
				i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FT_VERSION);
	pq_sendint16(&buf, t->nsteps);
	for (k = 0; k < t->nsteps; k++)
		pq_sendint64(&buf, FT_REACHED(t)[k]);
	for (k = 2; k <= t->nsteps; k++)
		for (q = 0; q < (k >= 3 ? 2 : 1) && FT_REACHED(t)[k - 1] > 0; q++)
		{
			const FtPair *pr = &FT_PAIRS(t)[ft_pair_index(t->nsteps, k, q == 1)];

			pq_sendint64(&buf, pr->min);
			pq_sendint64(&buf, pr->max);
			pq_sendint64(&buf, (int64) pr->sum_hi);
			pq_sendint64(&buf, (int64) pr->sum_lo);
			pq_sendbyte(&buf, pr->exact ? 1 : 0);
			pq_sendint32(&buf, pr->nb);
			for (i = 0; i < pr->nb; i++)
			{
				pq_sendint64(&buf, FT_KEY(t, pr)[i]);
				pq_sendint64(&buf, FT_CNT(t, pr)[i]);
			}
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Raise 22P03 for a binary funnel_timing. */
static void
ft_bad_binary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary crm_sales.funnel_timing value"),
			 errdetail("%s", detail)));
}

/* funnel_timing binary input: the send form, checked whole (22P03). */
Datum
crm_funnel_timing_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			nsteps;
	int64		reached[WF_MAX_STEPS];
	int32	   *caps;
	FunnelTiming *t;
	const char *bad;
	int			k,
				q,
				i,
				np;
	int			start;

	if (version != FT_VERSION)
		ft_bad_binary(psprintf("Unknown format version %d; this library reads version %d.",
							   version, FT_VERSION));
	nsteps = (int16) pq_getmsgint(buf, 2);
	if (nsteps < 1 || nsteps > WF_MAX_STEPS)
		ft_bad_binary(psprintf("%d steps; a funnel has 1 to %d.", nsteps, WF_MAX_STEPS));
	for (k = 0; k < nsteps; k++)
		reached[k] = pq_getmsgint64(buf);
	np = ft_npairs(nsteps);

	/* first pass over the pairs: their bucket counts, for the layout */
	caps = palloc0(sizeof(int32) * Max(np, 1));
	start = buf->cursor;
	for (k = 2; k <= nsteps; k++)
		for (q = 0; q < (k >= 3 ? 2 : 1) && reached[k - 1] > 0; q++)
		{
			int32		nb;

			(void) pq_getmsgbytes(buf, 33);
			nb = (int32) pq_getmsgint(buf, 4);
			if (nb < 1 || nb > FT_NBUCKETS)
				ft_bad_binary(psprintf("A distribution has %d entries (1 to %d).", nb, FT_NBUCKETS));
			caps[ft_pair_index(nsteps, k, q == 1)] = nb;
			(void) pq_getmsgbytes(buf, nb * 16);
		}
	if (buf->cursor != buf->len)
		ft_bad_binary("Unexpected bytes after the value.");
	buf->cursor = start;
	t = ft_alloc(nsteps, caps);
	memcpy(FT_REACHED(t), reached, sizeof(int64) * nsteps);
	for (k = 2; k <= nsteps; k++)
		for (q = 0; q < (k >= 3 ? 2 : 1) && reached[k - 1] > 0; q++)
		{
			FtPair	   *pr = &FT_PAIRS(t)[ft_pair_index(nsteps, k, q == 1)];

			pr->min = pq_getmsgint64(buf);
			pr->max = pq_getmsgint64(buf);
			pr->sum_hi = (uint64) pq_getmsgint64(buf);
			pr->sum_lo = (uint64) pq_getmsgint64(buf);
			pr->exact = pq_getmsgbyte(buf);
			pr->nb = (int32) pq_getmsgint(buf, 4);
			for (i = 0; i < pr->nb; i++)
			{
				FT_KEY(t, pr)[i] = pq_getmsgint64(buf);
				FT_CNT(t, pr)[i] = pq_getmsgint64(buf);
			}
		}
	bad = ft_problem(t);
	if (bad != NULL)
		ft_bad_binary(psprintf("The numbers do not fit together: %s.", bad));
	PG_RETURN_POINTER(t);
}

/* ---- the per-entity aggregate ---- */

/*
 * funnel_timing(...)'s final function: the entity's deepest step and the
 * times between the steps of the chain window_funnel credits it with
 * (window_funnel.h, wf_level_path).  NULL over no rows; a value with no
 * step reached when no row matched step 1.
 */
Datum
crm_funnel_timing_final(PG_FUNCTION_ARGS)
{
	WfStateView v;
	int64		path[WF_MAX_STEPS];
	int32		caps[2 * WF_MAX_STEPS] = {0};
	int			level = 0;
	FunnelTiming *t;
	int			k,
				p;

	if (PG_ARGISNULL(0) || !wf_state_events(PG_GETARG_POINTER(0), &v))
		PG_RETURN_NULL();
	if (v.n > 0)
		level = wf_level_any(v.ts, v.mask, v.n, v.nsteps, v.window, v.flags, path);
	for (p = 0; p < ft_npairs(v.nsteps); p++)
	{
		bool		first;

		caps[p] = ft_pair_step(v.nsteps, p, &first) <= level ? 1 : 0;
	}
	t = ft_alloc(v.nsteps, caps);
	for (k = 1; k <= level; k++)
		FT_REACHED(t)[k - 1] = 1;
	for (p = 0; p < t->npairs; p++)
	{
		FtPair	   *pr = &FT_PAIRS(t)[p];
		bool		first;
		int64		d;

		k = ft_pair_step(v.nsteps, p, &first);
		if (k > level)
			continue;
		/* events are sorted, so the steps of a chain never go back in time */
		d = path[k - 1] - path[first ? 0 : k - 2];
		pr->min = pr->max = d;
		ft_pair_set_sum(pr, (ft_u128) d);
		pr->exact = 1;
		pr->nb = 1;
		FT_KEY(t, pr)[0] = d;
		FT_CNT(t, pr)[0] = 1;
	}
	PG_RETURN_POINTER(t);
}

/* ---- readers ---- */

/* Microseconds >= 0 as an interval of days and time (as timestamp - timestamp). */
static Datum
ft_interval(int64 usecs)
{
	Interval   *iv = palloc(sizeof(Interval));

	iv->month = 0;
	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = usecs % USECS_PER_DAY;
	return IntervalPGetDatum(iv);
}

/* Microseconds as JSON seconds (exact: six decimals). */
static void
ft_append_seconds(StringInfo buf, int64 usecs)
{
	appendStringInfo(buf, INT64_FORMAT ".%06d", usecs / USECS_PER_SEC,
					 (int) (usecs % USECS_PER_SEC));
}

/* The step k of a funnel_timing argument: 2..nsteps, or 22023. */
static int
ft_step_arg(const FunnelTiming *t, int32 k)
{
	if (k < 2 || k > t->nsteps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step %d has no time to convert", k),
				 errdetail("The funnel has steps 1 to %d; times are kept for steps 2 to %d.",
						   t->nsteps, t->nsteps),
				 errhint("Ask for the time to reach step 2 or later.")));
	return k;
}

/*
 * funnel_timing_quantile(t, step, p [, from_first]): the p-quantile of the
 * time to reach step from the previous step (or from step 1), in the sense
 * of percentile_disc, within 1/256 of the exact value (timing.h); NULL when
 * nobody reached the step.
 */
Datum
crm_funnel_timing_quantile(PG_FUNCTION_ARGS)
{
	FunnelTiming *t = ft_arg(fcinfo, 0);
	int			k = ft_step_arg(t, PG_GETARG_INT32(1));
	float8		p = PG_GETARG_FLOAT8(2);
	bool		from_first = PG_GETARG_BOOL(3);
	FtDist		d;

	if (isnan(p) || p < 0 || p > 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("quantile must be between 0 and 1"),
				 errdetail("The quantile is %g.", p),
				 errhint("Pass 0.5 for the median, 0.9 for the 90th percentile.")));
	d = ft_dist(t, ft_pair_index(t->nsteps, k, from_first));
	if (d.n == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(ft_interval(ft_quantile(&d, p)));
}

/*
 * funnel_timing_steps(t): one row per step: step, reached, conversion from
 * the previous step, and for steps 2.. the mean, median, p90, min and max
 * of the time from the previous step, and the mean, median and p90 of the
 * time from step 1.
 */
Datum
crm_funnel_timing_steps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FunnelTiming *t = ft_arg(fcinfo, 0);
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	for (k = 1; k <= t->nsteps; k++)
	{
		Datum		values[11];
		bool		nulls[11];
		int64		r = FT_REACHED(t)[k - 1];
		int			c;

		memset(nulls, true, sizeof(nulls));
		values[0] = Int32GetDatum(k);
		nulls[0] = false;
		values[1] = Int64GetDatum(r);
		nulls[1] = false;
		if (k >= 2 && FT_REACHED(t)[k - 2] > 0)
		{
			values[2] = Float8GetDatum((double) r / (double) FT_REACHED(t)[k - 2]);
			nulls[2] = false;
		}
		if (k >= 2 && r > 0)
		{
			FtDist		prev = ft_dist(t, ft_pair_index(t->nsteps, k, false));
			FtDist		first = ft_dist(t, ft_pair_index(t->nsteps, k, true));

			values[3] = ft_interval(ft_mean(&prev));
			values[4] = ft_interval(ft_quantile(&prev, 0.5));
			values[5] = ft_interval(ft_quantile(&prev, 0.9));
			values[6] = ft_interval(prev.min);
			values[7] = ft_interval(prev.max);
			values[8] = ft_interval(ft_mean(&first));
			values[9] = ft_interval(ft_quantile(&first, 0.5));
			values[10] = ft_interval(ft_quantile(&first, 0.9));
			for (c = 3; c < 11; c++)
				nulls[c] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* An interval as microseconds (a month is 30 days, a day 24 hours), >= 0. */
static int64
ft_interval_usecs(const Interval *iv, const char *what)
{
	int64		usecs;

	if (pg_mul_s64_overflow((int64) iv->month * DAYS_PER_MONTH + iv->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what),
				 errdetail("The interval is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(iv))))));
	return usecs;
}

/*
 * funnel_timing_histogram(t, step, edges interval[] [, from_first]): the
 * entities per bin of the time to reach step (bins [0, e1), [e1, e2), ...,
 * [en, infinity)), with each bin's share and whether its count is exact:
 * a bin's count is exact unless a bucket of the value's grid straddles one
 * of its edges (then durations within 1/128 of that edge may be counted on
 * its other side).
 */
Datum
crm_funnel_timing_histogram(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FunnelTiming *t = ft_arg(fcinfo, 0);
	int			k = ft_step_arg(t, PG_GETARG_INT32(1));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	bool		from_first = PG_GETARG_BOOL(3);
	Datum	   *elems;
	bool	   *enulls;
	int			m,
				j;
	int64	   *edges;
	int64	   *counts;
	unsigned char *exact;
	FtDist		d;

	deconstruct_array(arr, INTERVALOID, sizeof(Interval), false, TYPALIGN_DOUBLE,
					  &elems, &enulls, &m);
	if (m < 1 || m > FT_MAX_EDGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_timing_histogram takes 1 to %d edges", FT_MAX_EDGES),
				 errdetail("The array has %d elements.", m),
				 errhint("Pass the bin edges in ascending order, e.g. ARRAY['1 hour', '1 day', '7 days']::interval[].")));
	edges = palloc(sizeof(int64) * m);
	for (j = 0; j < m; j++)
	{
		if (enulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("histogram edge %d is NULL", j + 1),
					 errhint("Remove the NULL from the edges.")));
		edges[j] = ft_interval_usecs(DatumGetIntervalP(elems[j]), "histogram edge");
		if (edges[j] <= 0 || (j > 0 && edges[j] <= edges[j - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("histogram edges must be positive and ascending"),
					 errdetail("Edge %d is %s.", j + 1,
							   DatumGetCString(DirectFunctionCall1(interval_out, elems[j]))),
					 errhint("Pass strictly ascending positive intervals, e.g. ARRAY['1 hour', '1 day']::interval[].")));
	}
	counts = palloc(sizeof(int64) * (m + 1));
	exact = palloc(m + 1);
	d = ft_dist(t, ft_pair_index(t->nsteps, k, from_first));
	if (d.n > 0)
		ft_histogram(&d, edges, m, counts, exact);
	else
	{
		memset(counts, 0, sizeof(int64) * (m + 1));
		memset(exact, 1, m + 1);
	}
	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j <= m; j++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(j + 1);
		values[1] = j == 0 ? ft_interval(0) : elems[j - 1];
		values[2] = j < m ? elems[j] : (Datum) 0;
		nulls[2] = j == m;
		values[3] = Int64GetDatum(counts[j]);
		values[4] = Float8GetDatum(d.n > 0 ? (double) counts[j] / (double) d.n : 0);
		nulls[4] = d.n == 0;
		values[5] = BoolGetDatum(exact[j] != 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* One distribution as a JSON object of seconds. */
static void
ft_append_json_dist(StringInfo buf, const FtDist *d)
{
	appendStringInfoString(buf, "{\"mean\": ");
	ft_append_seconds(buf, ft_mean(d));
	appendStringInfoString(buf, ", \"min\": ");
	ft_append_seconds(buf, d->min);
	appendStringInfoString(buf, ", \"median\": ");
	ft_append_seconds(buf, ft_quantile(d, 0.5));
	appendStringInfoString(buf, ", \"p90\": ");
	ft_append_seconds(buf, ft_quantile(d, 0.9));
	appendStringInfoString(buf, ", \"max\": ");
	ft_append_seconds(buf, d->max);
	appendStringInfoChar(buf, '}');
}

/*
 * funnel_timing::jsonb, for BI tools: reached counts and per step the
 * summary of the time from the previous step and from step 1, in seconds.
 */
Datum
crm_funnel_timing_jsonb(PG_FUNCTION_ARGS)
{
	FunnelTiming *t = ft_arg(fcinfo, 0);
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"steps\": %d, \"reached\": [", t->nsteps);
	for (k = 0; k < t->nsteps; k++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, k ? ", " : "", FT_REACHED(t)[k]);
	appendStringInfoString(&buf, "], \"step_times\": [");
	for (k = 2; k <= t->nsteps; k++)
	{
		FtDist		prev = ft_dist(t, ft_pair_index(t->nsteps, k, false));
		FtDist		first = ft_dist(t, ft_pair_index(t->nsteps, k, true));

		appendStringInfo(&buf, "%s{\"step\": %d, \"entities\": " INT64_FORMAT,
						 k > 2 ? ", " : "", k, prev.n);
		if (prev.n > 0)
		{
			appendStringInfoString(&buf, ", \"from_previous\": ");
			ft_append_json_dist(&buf, &prev);
			appendStringInfoString(&buf, ", \"from_first\": ");
			ft_append_json_dist(&buf, &first);
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(crm_jsonb_from_buf(&buf));
}
