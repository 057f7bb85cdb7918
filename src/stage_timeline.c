/*
 * stage_timeline.c
 *		Mergeable time in stage (the algorithms in core/funnel/timeline.c):
 *
 *	 crm_sales.stage_agg(ts timestamptz, stage text [, seq bigint])
 *		-> crm_sales.stage_timeline: one entity's (or system's) timeline;
 *	 crm_sales.stage_timeline_merge(stage_timeline), stage_timeline + ...
 *		the timeline of several time buckets (a rollup) merged;
 *	 duration_in, interpolated_duration_in, visits, stage_at, timeline,
 *	 interpolated_timeline, stage_durations, stage_durations_by_bucket,
 *	 stage_timeline::jsonb	the readers.
 *
 * A value keeps every point (time, seq, stage): two partial values of one
 * entity may interleave in time (a parallel scan splits rows anywhere), so
 * merging must see every point; a stage that spans buckets is then split at
 * a bucket's edges by the readers (the interpolated_* functions carry the
 * previous bucket's last stage into the next, as TimescaleDB's state_agg
 * does).  The value is the aggregates' state itself: the transition appends
 * in place, keeping room (cap) to grow, and the final function returns the
 * canonical form: stage names in byte order, points in (time, seq, stage)
 * order, no spare room; every reader works on that form.
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "event_funnel.h"
#include "funnel/timeline.h"

PG_FUNCTION_INFO_V1(crm_stage_timeline_in);
PG_FUNCTION_INFO_V1(crm_stage_timeline_out);
PG_FUNCTION_INFO_V1(crm_stage_timeline_recv);
PG_FUNCTION_INFO_V1(crm_stage_timeline_send);
PG_FUNCTION_INFO_V1(crm_stage_timeline_add);
PG_FUNCTION_INFO_V1(crm_stage_timeline_eq);
PG_FUNCTION_INFO_V1(crm_stage_timeline_jsonb);
PG_FUNCTION_INFO_V1(crm_stage_agg_trans);
PG_FUNCTION_INFO_V1(crm_stage_timeline_merge_trans);
PG_FUNCTION_INFO_V1(crm_stage_timeline_final);
PG_FUNCTION_INFO_V1(crm_stage_duration_in);
PG_FUNCTION_INFO_V1(crm_stage_duration_in_range);
PG_FUNCTION_INFO_V1(crm_stage_interpolated_duration_in);
PG_FUNCTION_INFO_V1(crm_stage_visits);
PG_FUNCTION_INFO_V1(crm_stage_at);
PG_FUNCTION_INFO_V1(crm_stage_timeline_rows);
PG_FUNCTION_INFO_V1(crm_stage_interpolated_timeline);
PG_FUNCTION_INFO_V1(crm_stage_durations);
PG_FUNCTION_INFO_V1(crm_stage_durations_by_bucket);

#define TL_VERSION		1
#define TL_MAX_STAGES	1000	/* distinct stages of one value */
#define TL_MAX_NAME		255		/* bytes of a stage name */
#define TL_MAX_BUCKETS	1000000 /* buckets of one stage_durations_by_bucket */
/* a value must stay below 1 GB: 24 bytes a point plus the names */
#define TL_MAX_POINTS_LIMIT ((int) ((MaxAllocSize - 300000) / sizeof(TlPoint)))

/* crm_sales.stage_agg_max_points */
static int	tl_max_points = 1000000;

/*
 * On-disk layout: this header, TlPoint points[cap] (npoints used), then
 * the stage names: nstages entries of a length byte and the name's bytes
 * (names_len bytes used of names_cap).  A point's stage is the index of
 * its name.  The canonical form has cap = npoints, names_cap = names_len,
 * every name used, names in byte order and points in (ts, seq, stage)
 * order.
 */
typedef struct StageTimeline
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		flags;			/* none yet */
	int16		reserved;
	int32		npoints;
	int32		cap;
	int32		nstages;
	int32		names_len;
	int32		names_cap;
	int32		reserved2;
} StageTimeline;

#define TL_HDRSZ		((Size) sizeof(StageTimeline))
#define TL_POINTS(t)	((TlPoint *) ((char *) (t) + TL_HDRSZ))
#define TL_NAMES(t)		((char *) (TL_POINTS(t) + (t)->cap))

StaticAssertDecl(sizeof(StageTimeline) % sizeof(int64) == 0,
				 "the points after the stage_timeline header must be aligned");

#define DatumGetTimeline(d)		((StageTimeline *) PG_DETOAST_DATUM(d))

/* Define crm_sales.stage_agg_max_points (called from _PG_init). */
void
crm_stage_timeline_init(void)
{
	DefineCustomIntVariable("crm_sales.stage_agg_max_points",
							"Largest number of points one stage_timeline value may hold.",
							"Each point takes 24 bytes.",
							&tl_max_points,
							1000000, 1, TL_MAX_POINTS_LIMIT,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* A value with room for cap points and names_cap bytes of names. */
static StageTimeline *
tl_alloc(int32 cap, int32 names_cap)
{
	Size		sz = TL_HDRSZ + sizeof(TlPoint) * (Size) cap + names_cap;
	StageTimeline *t = palloc0(sz);

	SET_VARSIZE(t, sz);
	t->version = TL_VERSION;
	t->cap = cap;
	t->names_cap = names_cap;
	return t;
}

/*
 * What is wrong with a value's layout, or NULL: sizes, the name list, each
 * point's stage and time.  Checked on every value from outside this file,
 * so that reading it stays inside it.
 */
static const char *
tl_problem(const StageTimeline *t)
{
	Size		size = VARSIZE(t);
	const char *names;
	int32		off = 0;
	int32		i;

	if (size < TL_HDRSZ || t->version != TL_VERSION)
		return "unknown layout version";
	if (t->npoints < 0 || t->cap < t->npoints || t->cap > TL_MAX_POINTS_LIMIT ||
		t->nstages < 0 || t->nstages > TL_MAX_STAGES ||
		t->names_len < 0 || t->names_cap < t->names_len ||
		t->names_cap > TL_MAX_STAGES * (TL_MAX_NAME + 1) ||
		size != TL_HDRSZ + sizeof(TlPoint) * (Size) t->cap + t->names_cap)
		return "sizes do not fit together";
	names = TL_NAMES(t);
	for (i = 0; i < t->nstages; i++)
	{
		if (off >= t->names_len || off + 1 + (uint8) names[off] > t->names_len)
			return "stage names run past their area";
		off += 1 + (uint8) names[off];
	}
	if (off != t->names_len)
		return "stage names do not fill their area";
	for (i = 0; i < t->npoints; i++)
	{
		const TlPoint *p = &TL_POINTS(t)[i];

		if (p->stage < 0 || p->stage >= t->nstages || p->pad != 0)
			return "a point names no stage";
		if (TIMESTAMP_NOT_FINITE(p->ts))
			return "a point has an infinite time";
	}
	return NULL;
}

/* The detoasted value of argument n, checked. */
static StageTimeline *
tl_arg(FunctionCallInfo fcinfo, int n)
{
	StageTimeline *t = DatumGetTimeline(PG_GETARG_DATUM(n));
	const char *bad = tl_problem(t);

	if (bad != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid crm_sales.stage_timeline value"),
				 errdetail("%s.", bad)));
	return t;
}

/* The names of t: pointers into t (not NUL-terminated) and lengths. */
static void
tl_name_list(const StageTimeline *t, const char ***ptr, int **len)
{
	const char *names = TL_NAMES(t);
	int32		off = 0;
	int32		i;

	*ptr = palloc(sizeof(char *) * Max(t->nstages, 1));
	*len = palloc(sizeof(int) * Max(t->nstages, 1));
	for (i = 0; i < t->nstages; i++)
	{
		(*len)[i] = (uint8) names[off];
		(*ptr)[i] = names + off + 1;
		off += 1 + (*len)[i];
	}
}

/* The index of stage name (len bytes) in t, or -1. */
static int
tl_find_stage(const StageTimeline *t, const char *name, int len)
{
	const char *names = TL_NAMES(t);
	int32		off = 0;
	int			i;

	for (i = 0; i < t->nstages; i++)
	{
		int			l = (uint8) names[off];

		if (l == len && memcmp(names + off + 1, name, len) == 0)
			return i;
		off += 1 + l;
	}
	return -1;
}

/* Raise 54000 for a value past crm_sales.stage_agg_max_points. */
static void
tl_too_many(int64 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("stage_timeline value exceeds crm_sales.stage_agg_max_points = %d points", tl_max_points),
			 errdetail("The value would hold %lld points of 24 bytes each.", (long long) n),
			 errhint("Raise crm_sales.stage_agg_max_points (SET crm_sales.stage_agg_max_points = ...), "
					 "or aggregate per entity (GROUP BY the entity).")));
}

/* Refuse a stage name that is too long for a value. */
static void
tl_check_name(const char *name, int len)
{
	if (len > TL_MAX_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage name is longer than %d bytes", TL_MAX_NAME),
				 errdetail("The name starts with \"%.40s\" and has %d bytes.", name, len),
				 errhint("Use a shorter stage name (an enum label has at most 63 bytes).")));
}

/*
 * A copy of t with room for at least more_points further points and
 * more_names further bytes of names: twice the old room when it grows, so
 * that a transition copies its state a logarithmic number of times.
 */
static StageTimeline *
tl_grow(const StageTimeline *t, int64 more_points, int32 more_names)
{
	int64		need = (int64) t->npoints + more_points;
	int64		cap = t->cap;
	int32		names_cap = t->names_cap;
	StageTimeline *g;

	if (need > tl_max_points)
		tl_too_many(need);
	if (need > cap)
		cap = Min(Max(need, Max(2 * cap, 8)), (int64) tl_max_points);
	if (t->names_len + more_names > names_cap)
		names_cap = Min(Max(t->names_len + more_names, Max(2 * names_cap, 64)),
						TL_MAX_STAGES * (TL_MAX_NAME + 1));
	g = tl_alloc((int32) cap, names_cap);
	g->npoints = t->npoints;
	g->nstages = t->nstages;
	g->names_len = t->names_len;
	memcpy(TL_POINTS(g), TL_POINTS(t), sizeof(TlPoint) * t->npoints);
	memcpy(TL_NAMES(g), TL_NAMES(t), t->names_len);
	return g;
}

/*
 * The index of stage name in *tp, added when new (growing *tp, which is
 * then a new value, when its name area is full).
 */
static int
tl_stage_index(StageTimeline **tp, const char *name, int len)
{
	StageTimeline *t = *tp;
	int			i = tl_find_stage(t, name, len);

	if (i >= 0)
		return i;
	tl_check_name(name, len);
	if (t->nstages >= TL_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("stage_timeline holds at most %d distinct stages", TL_MAX_STAGES),
				 errdetail("Stage \"%.*s\" would be stage %d.", len, name, t->nstages + 1),
				 errhint("Aggregate a column with few distinct values (the stage, not a free text).")));
	if (t->names_len + 1 + len > t->names_cap)
		*tp = t = tl_grow(t, 0, 1 + len);
	TL_NAMES(t)[t->names_len] = (char) len;
	memcpy(TL_NAMES(t) + t->names_len + 1, name, len);
	t->names_len += 1 + len;
	return t->nstages++;
}

/* Append one point to *tp (growing it into a new value when full). */
static void
tl_push(StageTimeline **tp, int64 ts, int64 seq, const char *name, int len)
{
	int			s;
	StageTimeline *t;
	TlPoint    *p;

	if ((*tp)->npoints >= tl_max_points)
		tl_too_many((int64) (*tp)->npoints + 1);
	s = tl_stage_index(tp, name, len);
	t = *tp;
	if (t->npoints >= t->cap)
		*tp = t = tl_grow(t, 1, 0);
	p = &TL_POINTS(t)[t->npoints++];
	p->ts = ts;
	p->seq = seq;
	p->stage = s;
	p->pad = 0;
}

/* Append every point of b to *tp (a value of ours, grown when needed). */
static void
tl_append(StageTimeline **tp, const StageTimeline *b)
{
	const char **bn;
	int		   *bl;
	int		   *map;
	int32		i;

	if ((int64) (*tp)->npoints + b->npoints > tl_max_points)
		tl_too_many((int64) (*tp)->npoints + b->npoints);
	tl_name_list(b, &bn, &bl);
	map = palloc(sizeof(int) * Max(b->nstages, 1));
	for (i = 0; i < b->nstages; i++)
		map[i] = tl_stage_index(tp, bn[i], bl[i]);
	if ((*tp)->npoints + b->npoints > (*tp)->cap)
		*tp = tl_grow(*tp, b->npoints, 0);
	for (i = 0; i < b->npoints; i++)
	{
		TlPoint    *p = &TL_POINTS(*tp)[(*tp)->npoints++];

		*p = TL_POINTS(b)[i];
		p->stage = map[p->stage];
	}
	pfree(map);
	pfree(bn);
	pfree(bl);
}

/* Byte order of two names, a shorter prefix first. */
static int
tl_name_cmp(const char *a, int la, const char *b, int lb)
{
	int			c = memcmp(a, b, Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* Is t in canonical form (see the layout)? */
static bool
tl_is_canonical(const StageTimeline *t)
{
	const char **nm;
	int		   *nl;
	bool	   *used;
	int32		i;
	bool		ok = t->cap == t->npoints && t->names_cap == t->names_len;

	if (!ok)
		return false;
	tl_name_list(t, &nm, &nl);
	for (i = 1; i < t->nstages && ok; i++)
		if (tl_name_cmp(nm[i - 1], nl[i - 1], nm[i], nl[i]) >= 0)
			ok = false;
	for (i = 1; i < t->npoints && ok; i++)
		if (tl_cmp(&TL_POINTS(t)[i - 1], &TL_POINTS(t)[i]) > 0)
			ok = false;
	used = palloc0(sizeof(bool) * Max(t->nstages, 1));
	for (i = 0; i < t->npoints; i++)
		used[TL_POINTS(t)[i].stage] = true;
	for (i = 0; i < t->nstages && ok; i++)
		ok = used[i];
	pfree(used);
	pfree(nm);
	pfree(nl);
	return ok;
}

/* Names by byte order, for the canonical form. */
typedef struct TlName
{
	const char *name;
	int			len;
	int			old;
} TlName;

static int
tl_name_qcmp(const void *a, const void *b)
{
	const TlName *x = a,
			   *y = b;

	return tl_name_cmp(x->name, x->len, y->name, y->len);
}

/*
 * The canonical form of t (t itself when it is canonical): used names in
 * byte order, points remapped to them and sorted, no spare room.
 */
static StageTimeline *
tl_canonical(StageTimeline *t)
{
	const char **nm;
	int		   *nl;
	bool	   *used;
	TlName	   *order;
	int		   *map;
	int			nused = 0;
	int32		names_len = 0;
	StageTimeline *c;
	TlPoint    *scratch;
	int32		i;

	if (tl_is_canonical(t))
		return t;
	tl_name_list(t, &nm, &nl);
	used = palloc0(sizeof(bool) * Max(t->nstages, 1));
	for (i = 0; i < t->npoints; i++)
		used[TL_POINTS(t)[i].stage] = true;
	order = palloc(sizeof(TlName) * Max(t->nstages, 1));
	for (i = 0; i < t->nstages; i++)
		if (used[i])
		{
			order[nused].name = nm[i];
			order[nused].len = nl[i];
			order[nused++].old = i;
			names_len += 1 + nl[i];
		}
	qsort(order, nused, sizeof(TlName), tl_name_qcmp);
	map = palloc(sizeof(int) * Max(t->nstages, 1));
	c = tl_alloc(t->npoints, names_len);
	c->npoints = t->npoints;
	c->nstages = nused;
	c->names_len = names_len;
	names_len = 0;
	for (i = 0; i < nused; i++)
	{
		map[order[i].old] = i;
		TL_NAMES(c)[names_len] = (char) order[i].len;
		memcpy(TL_NAMES(c) + names_len + 1, order[i].name, order[i].len);
		names_len += 1 + order[i].len;
	}
	for (i = 0; i < t->npoints; i++)
	{
		TL_POINTS(c)[i] = TL_POINTS(t)[i];
		TL_POINTS(c)[i].stage = map[TL_POINTS(t)[i].stage];
	}
	scratch = palloc_extended(sizeof(TlPoint) * Max(t->npoints, 1), MCXT_ALLOC_HUGE);
	tl_sort(TL_POINTS(c), c->npoints, scratch);
	pfree(scratch);
	pfree(map);
	pfree(order);
	pfree(used);
	pfree(nm);
	pfree(nl);
	return c;
}

/* A canonical value's names as C strings. */
static char **
tl_cnames(const StageTimeline *t)
{
	const char **nm;
	int		   *nl;
	char	  **out = palloc(sizeof(char *) * Max(t->nstages, 1));
	int32		i;

	tl_name_list(t, &nm, &nl);
	for (i = 0; i < t->nstages; i++)
		out[i] = pnstrdup(nm[i], nl[i]);
	return out;
}

/* ---- aggregates ---- */

/*
 * stage_agg(ts, stage [, seq]) transition (not strict): appends the point
 * to the state in place.  Rows with a NULL time or stage are skipped; a
 * NULL seq is 0.
 */
Datum
crm_stage_agg_trans(PG_FUNCTION_ARGS)
{
	StageTimeline *t;
	text	   *stage;
	int64		ts;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stage_agg called in non-aggregate context")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ts = wf_ts(PG_GETARG_TIMESTAMPTZ(1));
	stage = PG_GETARG_TEXT_PP(2);
	/* the state is ours (made here), so it is updated in place */
	t = PG_ARGISNULL(0) ? tl_alloc(8, 64) : (StageTimeline *) PG_GETARG_POINTER(0);
	tl_push(&t, ts, PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_INT64(3) : 0,
			VARDATA_ANY(stage), VARSIZE_ANY_EXHDR(stage));
	PG_RETURN_POINTER(t);
}

/*
 * stage_agg's combine function and stage_timeline_merge's transition and
 * combine function (not strict): appends b's points to the state a.  The
 * state is made here from a checked copy of the first value, so when
 * AggCheckCallContext says a is the state it is updated in place.
 */
Datum
crm_stage_timeline_merge_trans(PG_FUNCTION_ARGS)
{
	StageTimeline *a;
	StageTimeline *b;
	bool		in_place;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = tl_arg(fcinfo, 1);
	in_place = AggCheckCallContext(fcinfo, NULL) != 0 && !PG_ARGISNULL(0) &&
		DatumGetPointer(PG_GETARG_DATUM(0)) ==
		(Pointer) DatumGetTimeline(PG_GETARG_DATUM(0));
	if (PG_ARGISNULL(0))
		a = tl_grow(b, 0, 0);
	else if (in_place)
		a = (StageTimeline *) PG_GETARG_POINTER(0);
	else
		a = tl_grow(tl_arg(fcinfo, 0), b->npoints, 0);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(a);
	tl_append(&a, b);
	PG_RETURN_POINTER(a);
}

/* The aggregates' final function: the canonical form of the state. */
Datum
crm_stage_timeline_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(tl_canonical(tl_arg(fcinfo, 0)));
}

/* stage_timeline + stage_timeline: the canonical form of both timelines. */
Datum
crm_stage_timeline_add(PG_FUNCTION_ARGS)
{
	StageTimeline *a = tl_grow(tl_arg(fcinfo, 0), 0, 0);

	tl_append(&a, tl_arg(fcinfo, 1));
	PG_RETURN_POINTER(tl_canonical(a));
}

/* stage_timeline = stage_timeline: the same points of the same stages. */
Datum
crm_stage_timeline_eq(PG_FUNCTION_ARGS)
{
	StageTimeline *a = tl_canonical(tl_arg(fcinfo, 0));
	StageTimeline *b = tl_canonical(tl_arg(fcinfo, 1));

	PG_RETURN_BOOL(VARSIZE(a) == VARSIZE(b) &&
				   memcmp((char *) a + VARHDRSZ, (char *) b + VARHDRSZ,
						  VARSIZE(a) - VARHDRSZ) == 0);
}

/* ---- text form ---- */

/* A timestamp in ISO 8601 form at UTC, whatever DateStyle and TimeZone say. */
static void
tl_append_ts(StringInfo buf, int64 ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		out[MAXDATELEN + 1];

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	/* a zone of offset 0 (EncodeDateTime prints none when tm_isdst < 0) */
	tm.tm_isdst = 0;
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_ISO_DATES, out);
	appendStringInfoString(buf, out);
}

/* {stage@time[#seq],...}: the canonical points, times at UTC. */
static char *
tl_to_text(StageTimeline *t)
{
	StringInfoData buf;
	char	  **names;
	int32		i;

	t = tl_canonical(t);
	names = tl_cnames(t);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < t->npoints; i++)
	{
		const TlPoint *p = &TL_POINTS(t)[i];

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		crm_append_stage_name(&buf, names[p->stage]);
		appendStringInfoChar(&buf, '@');
		tl_append_ts(&buf, p->ts);
		if (p->seq != 0)
			appendStringInfo(&buf, "#" INT64_FORMAT, p->seq);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* stage_timeline text output. */
Datum
crm_stage_timeline_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(tl_to_text(tl_arg(fcinfo, 0)));
}

/* Raise 22P02 for stage_timeline text, with a detail. */
static void
tl_bad_text(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type crm_sales.stage_timeline: \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("The form is {stage@2026-03-01 09:00:00+00,stage@...#seq,...}: ISO times with a zone, "
					 "an optional #seq; stage names that are not plain words in double quotes.")));
}

/* Read n decimal digits at *pp into *v (exactly n when exact, else 1..n). */
static bool
tl_digits(const char **pp, int n, bool exact, int *v)
{
	const char *p = *pp;
	int			k = 0;

	*v = 0;
	while (k < n && isdigit((unsigned char) *p))
	{
		*v = *v * 10 + (*p++ - '0');
		k++;
	}
	if (k == 0 || (exact && k != n))
		return false;
	*pp = p;
	return true;
}

/*
 * Parse an ISO time with a zone, YYYY-MM-DD HH:MM:SS[.ffffff](Z|+HH[:MM]|
 * -HH[:MM])[ BC] (a T for the blank accepted), at *pp; NULL on success,
 * else what is wrong.
 */
static const char *
tl_parse_ts(const char **pp, int64 *out)
{
	const char *p = *pp;
	struct pg_tm tm;
	fsec_t		fsec = 0;
	int			tz = 0;
	int			v;
	Timestamp	result;

	memset(&tm, 0, sizeof(tm));
	if (!tl_digits(&p, 7, false, &tm.tm_year) || *p++ != '-' ||
		!tl_digits(&p, 2, true, &tm.tm_mon) || *p++ != '-' ||
		!tl_digits(&p, 2, true, &tm.tm_mday) || (*p != ' ' && *p != 'T'))
		return "A time must start YYYY-MM-DD.";
	p++;
	if (!tl_digits(&p, 2, true, &tm.tm_hour) || *p++ != ':' ||
		!tl_digits(&p, 2, true, &tm.tm_min) || *p++ != ':' ||
		!tl_digits(&p, 2, true, &tm.tm_sec))
		return "A time needs HH:MM:SS after its date.";
	if (*p == '.')
	{
		int			k = 0;

		p++;
		while (isdigit((unsigned char) *p) && k < 6)
		{
			fsec = fsec * 10 + (*p++ - '0');
			k++;
		}
		if (k == 0 || isdigit((unsigned char) *p))
			return "A time's fraction of a second has 1 to 6 digits.";
		for (; k < 6; k++)
			fsec *= 10;
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		int			sign = *p++ == '-' ? -1 : 1;
		int			h,
					m = 0;

		if (!tl_digits(&p, 2, true, &h))
			return "A time zone needs two digits of hours.";
		if (*p == ':')
		{
			p++;
			if (!tl_digits(&p, 2, true, &m))
				return "A time zone's minutes need two digits.";
		}
		if (h > 15 || m > 59)
			return "A time zone is out of range.";
		/* PostgreSQL's tz is seconds west of UTC */
		tz = -sign * (h * SECS_PER_HOUR + m * SECS_PER_MINUTE);
	}
	else
		return "A time needs a zone (Z or +HH, -HH[:MM]).";
	if (strncmp(p, " BC", 3) == 0)
	{
		p += 3;
		if (tm.tm_year == 0)
			return "There is no year 0 BC.";
		tm.tm_year = 1 - tm.tm_year;
	}
	else if (tm.tm_year == 0)
		return "There is no year 0.";
	v = tm.tm_mon;
	if (v < 1 || v > MONTHS_PER_YEAR || tm.tm_mday < 1 ||
		tm.tm_mday > day_tab[isleap(tm.tm_year)][v - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return "A time's date or clock is out of range.";
	if (tm2timestamp(&tm, fsec, &tz, &result) != 0 || !IS_VALID_TIMESTAMP(result))
		return "A time is out of the range of timestamptz.";
	*pp = p;
	*out = result;
	return NULL;
}

/* Parse the text form (see tl_to_text); any order of points. */
static StageTimeline *
tl_from_text(const char *text)
{
	const char *p = text;
	StageTimeline *t = tl_alloc(8, 64);

	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '{')
		tl_bad_text(text, "\"{\" expected at the start.");
	while (isspace((unsigned char) *p))
		p++;
	if (*p == '}')
		p++;
	else
		for (;;)
		{
			StringInfoData name;
			int64		ts;
			int64		seq = 0;
			const char *bad;

			initStringInfo(&name);
			while (isspace((unsigned char) *p))
				p++;
			if (*p == '"')
			{
				p++;
				for (;;)
				{
					if (*p == '\0')
						tl_bad_text(text, "A quoted stage name is not closed.");
					if (*p == '"')
					{
						if (p[1] != '"')
							break;
						p++;
					}
					appendStringInfoChar(&name, *p++);
				}
				p++;
			}
			else
				while (*p && (isalnum((unsigned char) *p) || *p == '_' || IS_HIGHBIT_SET(*p)))
					appendStringInfoChar(&name, *p++);
			if (name.len == 0 && p[-1] != '"')
				tl_bad_text(text, "A stage name is missing.");
			if (name.len > TL_MAX_NAME)
				tl_bad_text(text, psprintf("A stage name is longer than %d bytes.", TL_MAX_NAME));
			if (*p++ != '@')
				tl_bad_text(text, "\"@\" expected after a stage name.");
			if ((bad = tl_parse_ts(&p, &ts)) != NULL)
				tl_bad_text(text, bad);
			if (*p == '#')
			{
				bool		neg = *++p == '-';

				if (neg)
					p++;
				if (!isdigit((unsigned char) *p))
					tl_bad_text(text, "A sequence number is missing after \"#\".");
				while (isdigit((unsigned char) *p))
				{
					if (pg_mul_s64_overflow(seq, 10, &seq) ||
						(neg ? pg_sub_s64_overflow(seq, *p - '0', &seq) :
						 pg_add_s64_overflow(seq, *p - '0', &seq)))
						tl_bad_text(text, "A sequence number is out of range.");
					p++;
				}
			}
			if (t->npoints >= tl_max_points)
				tl_too_many((int64) t->npoints + 1);
			if (tl_find_stage(t, name.data, name.len) < 0 && t->nstages >= TL_MAX_STAGES)
				tl_bad_text(text, psprintf("A value has at most %d distinct stages.", TL_MAX_STAGES));
			tl_push(&t, ts, seq, name.data, name.len);
			pfree(name.data);
			while (isspace((unsigned char) *p))
				p++;
			if (*p == ',')
			{
				p++;
				continue;
			}
			if (*p++ != '}')
				tl_bad_text(text, "\",\" or \"}\" expected after a point.");
			break;
		}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		tl_bad_text(text, "Unexpected text after \"}\".");
	return tl_canonical(t);
}

/* stage_timeline text input: any order of points, stored canonical. */
Datum
crm_stage_timeline_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(tl_from_text(PG_GETARG_CSTRING(0)));
}

/* ---- binary form ---- */

/*
 * A version byte, int32 nstages, each name as counted text, int32
 * npoints, each point as int64 time, int64 seq, int32 stage: network byte
 * order, canonical.
 */
Datum
crm_stage_timeline_send(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	const char **nm;
	int		   *nl;
	StringInfoData buf;
	int32		i;

	tl_name_list(t, &nm, &nl);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, TL_VERSION);
	pq_sendint32(&buf, t->nstages);
	for (i = 0; i < t->nstages; i++)
		pq_sendcountedtext(&buf, nm[i], nl[i], false);
	pq_sendint32(&buf, t->npoints);
	for (i = 0; i < t->npoints; i++)
	{
		pq_sendint64(&buf, TL_POINTS(t)[i].ts);
		pq_sendint64(&buf, TL_POINTS(t)[i].seq);
		pq_sendint32(&buf, TL_POINTS(t)[i].stage);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Raise 22P03 for a binary stage_timeline. */
static void
tl_bad_binary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary crm_sales.stage_timeline value"),
			 errdetail("%s", detail)));
}

/* stage_timeline binary input: the send form, checked, stored canonical. */
Datum
crm_stage_timeline_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int32		nstages,
				npoints,
				names_len = 0;
	char	  **names;
	int		   *lens;
	StageTimeline *t;
	const char *bad;
	int32		i;

	if (version != TL_VERSION)
		tl_bad_binary(psprintf("Unknown format version %d; this library reads version %d.",
							   version, TL_VERSION));
	nstages = (int32) pq_getmsgint(buf, 4);
	if (nstages < 0 || nstages > TL_MAX_STAGES)
		tl_bad_binary(psprintf("%d stages; a value has 0 to %d.", nstages, TL_MAX_STAGES));
	names = palloc(sizeof(char *) * Max(nstages, 1));
	lens = palloc(sizeof(int) * Max(nstages, 1));
	for (i = 0; i < nstages; i++)
	{
		int			len = (int) pq_getmsgint(buf, 4);

		if (len < 0 || len > buf->len - buf->cursor)
			tl_bad_binary("A stage name runs past the value.");
		names[i] = pq_getmsgtext(buf, len, &lens[i]);
		if (lens[i] > TL_MAX_NAME)
			tl_bad_binary(psprintf("A stage name is longer than %d bytes.", TL_MAX_NAME));
		names_len += 1 + lens[i];
	}
	npoints = (int32) pq_getmsgint(buf, 4);
	if (npoints < 0 || npoints > tl_max_points || (int64) npoints * 20 != buf->len - buf->cursor)
		tl_bad_binary(psprintf("%d points do not fit the %d bytes left.", npoints, buf->len - buf->cursor));
	t = tl_alloc(npoints, names_len);
	t->nstages = nstages;
	t->names_len = names_len;
	names_len = 0;
	for (i = 0; i < nstages; i++)
	{
		TL_NAMES(t)[names_len] = (char) lens[i];
		memcpy(TL_NAMES(t) + names_len + 1, names[i], lens[i]);
		names_len += 1 + lens[i];
	}
	for (i = 0; i < npoints; i++)
	{
		TlPoint    *p = &TL_POINTS(t)[i];

		p->ts = pq_getmsgint64(buf);
		p->seq = pq_getmsgint64(buf);
		p->stage = (int32) pq_getmsgint(buf, 4);
	}
	t->npoints = npoints;
	bad = tl_problem(t);
	if (bad != NULL)
		tl_bad_binary(psprintf("%s.", bad));
	for (i = 0; i < nstages; i++)
		if (tl_find_stage(t, names[i], lens[i]) != i)
			tl_bad_binary("A stage name appears twice.");
	PG_RETURN_POINTER(tl_canonical(t));
}

/* ---- readers ---- */

/* Microseconds as an interval of days and time (as timestamp - timestamp). */
static Datum
tl_interval(uint64 usecs)
{
	Interval   *iv = palloc(sizeof(Interval));

	iv->month = 0;
	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = (int64) (usecs % USECS_PER_DAY);
	return IntervalPGetDatum(iv);
}

/* start + length (calendar arithmetic: months and days as the time zone says). */
static int64
tl_plus(int64 start, Interval *length)
{
	return (int64) DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(start),
														   IntervalPGetDatum(length)));
}

/* The end of a bucket [start, start + length), which must come after start. */
static int64
tl_bucket_end(int64 start, Interval *length, const char *what)
{
	int64		end;

	if (TIMESTAMP_NOT_FINITE(start))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s start must be finite", what)));
	end = tl_plus(start, length);
	if (end <= start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s length must be positive", what),
				 errdetail("The length is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(length)))),
				 errhint("Pass the length of the bucket, e.g. '1 month'.")));
	return end;
}

/*
 * The runs of a timeline (canonical), the last one ending at end_ts (or at
 * the last point when end_ts is before it).
 */
static TlRun *
tl_runs_of(const StageTimeline *t, int64 end_ts, size_t *nruns)
{
	TlRun	   *runs = palloc_extended(sizeof(TlRun) * Max(t->npoints, 1), MCXT_ALLOC_HUGE);

	*nruns = tl_runs(TL_POINTS(t), t->npoints, end_ts, runs);
	return runs;
}

/*
 * The timeline of an interpolated reader: agg (may be NULL) with the last
 * point of prev (may be NULL) added, canonical; NULL when both are NULL.
 */
static StageTimeline *
tl_with_prev(FunctionCallInfo fcinfo, int agg_arg, int prev_arg)
{
	StageTimeline *t = NULL;

	if (!PG_ARGISNULL(agg_arg))
		t = tl_grow(tl_arg(fcinfo, agg_arg), 1, TL_MAX_NAME + 1);
	if (prev_arg < PG_NARGS() && !PG_ARGISNULL(prev_arg))
	{
		StageTimeline *prev = tl_canonical(tl_arg(fcinfo, prev_arg));

		if (prev->npoints > 0)
		{
			const TlPoint *last = &TL_POINTS(prev)[prev->npoints - 1];
			const char **nm;
			int		   *nl;

			tl_name_list(prev, &nm, &nl);
			if (t == NULL)
				t = tl_alloc(1, 1 + nl[last->stage]);
			tl_push(&t, last->ts, last->seq, nm[last->stage], nl[last->stage]);
		}
	}
	return t == NULL ? NULL : tl_canonical(t);
}

/* Time in stage `name` within [a, b) of runs. */
static uint64
tl_stage_time(const StageTimeline *t, const TlRun *runs, size_t nruns,
			  const char *name, int len, int64 a, int64 b, int64 *visits)
{
	int			s = tl_find_stage(t, name, len);
	uint64		dur = 0;
	size_t		i;

	*visits = 0;
	if (s < 0)
		return 0;
	for (i = 0; i < nruns; i++)
		if (runs[i].stage == s)
		{
			dur += tl_overlap(runs[i].start, runs[i].end, a, b);
			*visits += runs[i].start >= a && runs[i].start < b;
		}
	return dur;
}

/* duration_in(agg, stage): the time in the stage; the last run ends at the last point. */
Datum
crm_stage_duration_in(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	text	   *stage = PG_GETARG_TEXT_PP(1);
	size_t		nruns;
	TlRun	   *runs = tl_runs_of(t, PG_INT64_MIN, &nruns);
	int64		visits;

	PG_RETURN_DATUM(tl_interval(tl_stage_time(t, runs, nruns, VARDATA_ANY(stage),
											  VARSIZE_ANY_EXHDR(stage),
											  PG_INT64_MIN, PG_INT64_MAX, &visits)));
}

/*
 * duration_in(agg, stage, start [, length]): the time in the stage within
 * [start, start + length) (to the end of the timeline when length is
 * NULL); the last run ends at the last point.
 */
Datum
crm_stage_duration_in_range(PG_FUNCTION_ARGS)
{
	StageTimeline *t;
	text	   *stage;
	int64		a,
				b = PG_INT64_MAX;
	size_t		nruns;
	TlRun	   *runs;
	int64		visits;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	t = tl_canonical(tl_arg(fcinfo, 0));
	stage = PG_GETARG_TEXT_PP(1);
	a = PG_GETARG_TIMESTAMPTZ(2);
	if (!PG_ARGISNULL(3))
		b = tl_bucket_end(a, PG_GETARG_INTERVAL_P(3), "duration_in range");
	runs = tl_runs_of(t, PG_INT64_MIN, &nruns);
	PG_RETURN_DATUM(tl_interval(tl_stage_time(t, runs, nruns, VARDATA_ANY(stage),
											  VARSIZE_ANY_EXHDR(stage), a, b, &visits)));
}

/*
 * interpolated_duration_in(agg, stage, start, length [, prev]): the time in
 * the stage within the bucket [start, start + length): the last run lasts
 * to the bucket's end, and with prev the bucket starts in prev's last
 * stage (else the time before the first point is in no stage).  agg may be
 * NULL (a bucket without points): with prev the whole bucket is in prev's
 * last stage.
 */
Datum
crm_stage_interpolated_duration_in(PG_FUNCTION_ARGS)
{
	StageTimeline *t;
	text	   *stage;
	int64		a,
				b;
	size_t		nruns;
	TlRun	   *runs;
	int64		visits;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	stage = PG_GETARG_TEXT_PP(1);
	a = PG_GETARG_TIMESTAMPTZ(2);
	b = tl_bucket_end(a, PG_GETARG_INTERVAL_P(3), "bucket");
	t = tl_with_prev(fcinfo, 0, 4);
	if (t == NULL)
		PG_RETURN_NULL();
	runs = tl_runs_of(t, b, &nruns);
	PG_RETURN_DATUM(tl_interval(tl_stage_time(t, runs, nruns, VARDATA_ANY(stage),
											  VARSIZE_ANY_EXHDR(stage), a, b, &visits)));
}

/* visits(agg, stage): how many runs of the stage the timeline has. */
Datum
crm_stage_visits(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	text	   *stage = PG_GETARG_TEXT_PP(1);
	size_t		nruns;
	TlRun	   *runs = tl_runs_of(t, PG_INT64_MIN, &nruns);
	int64		visits;

	(void) tl_stage_time(t, runs, nruns, VARDATA_ANY(stage), VARSIZE_ANY_EXHDR(stage),
						 PG_INT64_MIN, PG_INT64_MAX, &visits);
	PG_RETURN_INT64(visits);
}

/* stage_at(agg, at): the stage of the last point at or before at; NULL before the first. */
Datum
crm_stage_at(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	int64		at = PG_GETARG_TIMESTAMPTZ(1);
	int32		lo = 0,
				hi = t->npoints;
	char	  **names;

	/* the first point after at */
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (TL_POINTS(t)[mid].ts <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		PG_RETURN_NULL();
	names = tl_cnames(t);
	PG_RETURN_TEXT_P(cstring_to_text(names[TL_POINTS(t)[lo - 1].stage]));
}

/* Put the runs of t within [a, b) as rows (stage, start_time, end_time). */
static void
tl_put_runs(FunctionCallInfo fcinfo, const StageTimeline *t, const TlRun *runs,
			size_t nruns, int64 a, int64 b)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	  **names = tl_cnames(t);
	size_t		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nruns; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int64		s = Max(runs[i].start, a);
		int64		e = Min(runs[i].end, b);

		/* a run within the window, or one of no length starting in it */
		if (!(e > s || (runs[i].start >= a && runs[i].start < b)))
			continue;
		values[0] = CStringGetTextDatum(names[runs[i].stage]);
		values[1] = TimestampTzGetDatum(s);
		values[2] = TimestampTzGetDatum(e);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* timeline(agg): every run as (stage, start_time, end_time); the last ends at its last point. */
Datum
crm_stage_timeline_rows(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	size_t		nruns;
	TlRun	   *runs = tl_runs_of(t, PG_INT64_MIN, &nruns);

	tl_put_runs(fcinfo, t, runs, nruns, PG_INT64_MIN, PG_INT64_MAX);
	return (Datum) 0;
}

/*
 * interpolated_timeline(agg, start, length [, prev]): the runs within the
 * bucket [start, start + length), the last one lasting to its end, the
 * first one starting at start in prev's last stage when prev is given.
 */
Datum
crm_stage_interpolated_timeline(PG_FUNCTION_ARGS)
{
	StageTimeline *t;
	int64		a,
				b;
	size_t		nruns = 0;
	TlRun	   *runs = NULL;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("interpolated_timeline needs a bucket start and length")));
	a = PG_GETARG_TIMESTAMPTZ(1);
	b = tl_bucket_end(a, PG_GETARG_INTERVAL_P(2), "bucket");
	t = tl_with_prev(fcinfo, 0, 3);
	if (t != NULL)
		runs = tl_runs_of(t, b, &nruns);
	else
		t = tl_alloc(0, 0);
	tl_put_runs(fcinfo, t, runs, nruns, a, b);
	return (Datum) 0;
}

/* stage_durations(agg): per stage (in name order) its time and visits. */
Datum
crm_stage_durations(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	char	  **names = tl_cnames(t);
	size_t		nruns;
	TlRun	   *runs = tl_runs_of(t, PG_INT64_MIN, &nruns);
	uint64	   *dur = palloc0(sizeof(uint64) * Max(t->nstages, 1));
	int64	   *visits = palloc0(sizeof(int64) * Max(t->nstages, 1));
	size_t		i;
	int32		s;

	for (i = 0; i < nruns; i++)
	{
		dur[runs[i].stage] += (uint64) runs[i].end - (uint64) runs[i].start;
		visits[runs[i].stage]++;
	}
	InitMaterializedSRF(fcinfo, 0);
	for (s = 0; s < t->nstages; s++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(names[s]);
		values[1] = tl_interval(dur[s]);
		values[2] = Int64GetDatum(visits[s]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * stage_durations_by_bucket(agg, bucket, since, until): for each bucket
 * since + k * bucket within [since, until), the time in each stage within
 * it and the runs starting in it (stages with neither are left out); the
 * stage in force at a bucket's start carries in, and the last run lasts
 * to until.  Splits a whole timeline at bucket edges, empty buckets
 * included.
 */
Datum
crm_stage_durations_by_bucket(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	Interval   *bucket = PG_GETARG_INTERVAL_P(1);
	int64		since = PG_GETARG_TIMESTAMPTZ(2);
	int64		until = PG_GETARG_TIMESTAMPTZ(3);
	char	  **names = tl_cnames(t);
	size_t		nruns;
	TlRun	   *runs;
	uint64	   *dur = palloc0(sizeof(uint64) * Max(t->nstages, 1));
	int64	   *visits = palloc0(sizeof(int64) * Max(t->nstages, 1));
	int32	   *touched = palloc(sizeof(int32) * Max(t->nstages, 1));
	size_t		cursor = 0;
	int64		a;
	int			k;

	(void) tl_bucket_end(since, bucket, "bucket");
	if (TIMESTAMP_NOT_FINITE(until) || until <= since)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage_durations_by_bucket needs a finite until after since"),
				 errhint("Pass the end of the last bucket, e.g. now() or the first day of next month.")));
	runs = tl_runs_of(t, until, &nruns);
	InitMaterializedSRF(fcinfo, 0);
	for (k = 0, a = since; a < until; k++)
	{
		/* since + (k + 1) * bucket: no drift through short months */
		Interval   *step = DatumGetIntervalP(DirectFunctionCall2(interval_mul,
																 IntervalPGetDatum(bucket),
																 Float8GetDatum((double) (k + 1))));
		int64		b = Min(tl_plus(since, step), until);
		int			nt = 0;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (k >= TL_MAX_BUCKETS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("stage_durations_by_bucket makes at most %d buckets", TL_MAX_BUCKETS),
					 errhint("Use longer buckets or a shorter range.")));
		if (b <= a)
			break;
		tl_window(runs, nruns, &cursor, a, b, dur, visits, touched, &nt);
		/* rows in stage-name order: sort the touched stages */
		for (j = 1; j < nt; j++)
		{
			int32		x = touched[j];
			int			m = j;

			while (m > 0 && touched[m - 1] > x)
			{
				touched[m] = touched[m - 1];
				m--;
			}
			touched[m] = x;
		}
		for (j = 0; j < nt; j++)
		{
			int32		s = touched[j];
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = TimestampTzGetDatum(a);
			values[1] = CStringGetTextDatum(names[s]);
			values[2] = tl_interval(dur[s]);
			values[3] = Int64GetDatum(visits[s]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			dur[s] = 0;
			visits[s] = 0;
		}
		a = b;
	}
	return (Datum) 0;
}

/* A timestamp as a JSON string (ISO, UTC). */
static void
tl_append_json_ts(StringInfo buf, int64 ts)
{
	StringInfoData s;

	initStringInfo(&s);
	tl_append_ts(&s, ts);
	escape_json(buf, s.data);
}

/*
 * stage_timeline::jsonb, for BI tools: the runs (stage, start, end) and per
 * stage its time in seconds and visits.
 */
Datum
crm_stage_timeline_jsonb(PG_FUNCTION_ARGS)
{
	StageTimeline *t = tl_canonical(tl_arg(fcinfo, 0));
	char	  **names = tl_cnames(t);
	size_t		nruns;
	TlRun	   *runs = tl_runs_of(t, PG_INT64_MIN, &nruns);
	uint64	   *dur = palloc0(sizeof(uint64) * Max(t->nstages, 1));
	int64	   *visits = palloc0(sizeof(int64) * Max(t->nstages, 1));
	StringInfoData buf;
	size_t		i;
	int32		s;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"timeline\": [");
	for (i = 0; i < nruns; i++)
	{
		appendStringInfoString(&buf, i ? ", {\"stage\": " : "{\"stage\": ");
		escape_json(&buf, names[runs[i].stage]);
		appendStringInfoString(&buf, ", \"start\": ");
		tl_append_json_ts(&buf, runs[i].start);
		appendStringInfoString(&buf, ", \"end\": ");
		tl_append_json_ts(&buf, runs[i].end);
		appendStringInfoChar(&buf, '}');
		dur[runs[i].stage] += (uint64) runs[i].end - (uint64) runs[i].start;
		visits[runs[i].stage]++;
	}
	appendStringInfoString(&buf, "], \"stages\": [");
	for (s = 0; s < t->nstages; s++)
	{
		appendStringInfoString(&buf, s ? ", {\"stage\": " : "{\"stage\": ");
		escape_json(&buf, names[s]);
		appendStringInfo(&buf, ", \"seconds\": " UINT64_FORMAT ".%06d, \"visits\": " INT64_FORMAT "}",
						 dur[s] / USECS_PER_SEC, (int) (dur[s] % USECS_PER_SEC), visits[s]);
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(crm_jsonb_from_buf(&buf));
}
