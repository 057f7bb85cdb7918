/*
 * event_funnel.c
 *		SQL glue of the event-log funnels (algorithms in core/funnel/window_funnel.c):
 *
 *	 crm_sales.window_funnel(window interval, [mode text,] ts timestamptz,
 *							 step1 bool, ..., stepN bool)	-> integer
 *	 crm_sales.window_funnel(window interval, [mode text,] ts timestamptz,
 *							 steps bool[])					-> integer
 *		the deepest step one entity reached (ClickHouse windowFunnel);
 *	 crm_sales.retention(cond1 bool, ..., condN bool) / retention(bool[])
 *		-> integer[] (ClickHouse retention);
 *	 crm_sales.funnel_events(window interval, entity bigint, ts timestamptz,
 *							 step integer [, mode text])	-> crm_sales.funnel
 *		the whole funnel over many entities in one pass.
 *
 * States: window_funnel keeps 12 bytes per event of its group (int64
 * timestamp + uint32 step mask); funnel_events keeps 20 bytes per event
 * (int64 entity + int64 timestamp + uint32 mask).  Both are bounded by a
 * setting, past which they fail with an error naming it.
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "funnel.h"
#include "funnel/window_funnel.h"

PG_FUNCTION_INFO_V1(crm_window_funnel_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_mode_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_arr_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_mode_arr_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_combine);
PG_FUNCTION_INFO_V1(crm_window_funnel_serial);
PG_FUNCTION_INFO_V1(crm_window_funnel_deserial);
PG_FUNCTION_INFO_V1(crm_window_funnel_final);
PG_FUNCTION_INFO_V1(crm_retention_trans);
PG_FUNCTION_INFO_V1(crm_retention_arr_trans);
PG_FUNCTION_INFO_V1(crm_retention_combine);
PG_FUNCTION_INFO_V1(crm_retention_final);
PG_FUNCTION_INFO_V1(crm_funnel_events_trans);
PG_FUNCTION_INFO_V1(crm_funnel_events_combine);
PG_FUNCTION_INFO_V1(crm_funnel_events_serial);
PG_FUNCTION_INFO_V1(crm_funnel_events_deserial);
PG_FUNCTION_INFO_V1(crm_funnel_events_final);

/* Settings: the largest state each aggregate may hold, in events. */
static int	wf_max_events = 1000000;
static int	fe_max_events = 16000000;

/* The hard ceilings: a serialized state must stay below 1 GB. */
#define WF_MAX_EVENTS_LIMIT (int) ((MaxAllocSize - 64) / 12)
#define FE_MAX_EVENTS_LIMIT 50000000

/* Parameters shared by every row of a group. */
typedef struct WfParams
{
	bool		set;			/* taken from a row yet */
	int32		flags;
	int32		nsteps;			/* window_funnel: steps; funnel_events: max step */
	int64		window;			/* microseconds */
} WfParams;

/*
 * The state of both aggregates: events in parallel arrays.  window_funnel
 * keeps one group's events (no entity array: 12 bytes per event);
 * funnel_events keeps every row's events with their entity (20 bytes).
 */
typedef struct WfEvents
{
	WfParams	p;
	bool		has_entity;		/* funnel_events */
	bool		ascending;		/* entities came in ascending order */
	Interval	raw_window;		/* the window as given, once p.set */
	int64		n;
	int64		cap;
	int64	   *entity;			/* NULL without entities */
	int64	   *ts;
	uint32	   *mask;
} WfEvents;

/* Define the settings of this file (called from _PG_init). */
void
crm_window_funnel_init(void)
{
	DefineCustomIntVariable("crm_sales.window_funnel_max_events",
							"Largest number of events one window_funnel group may hold.",
							"Each event takes 12 bytes of the group's state.",
							&wf_max_events,
							1000000, 1, WF_MAX_EVENTS_LIMIT,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("crm_sales.funnel_events_max_events",
							"Largest number of events one funnel_events state may hold.",
							"Each event takes 20 bytes of the state, and up to 20 more "
							"while the final function groups the events by entity.",
							&fe_max_events,
							16000000, 1, FE_MAX_EVENTS_LIMIT,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* The aggregate memory context, or an error when not called as one. */
static MemoryContext
wf_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	return aggcontext;
}

/*
 * The window as microseconds: a month counts 30 days and a day 24 hours,
 * as interval comparison does.  Negative windows are refused.
 */
static int64
wf_window_usecs(Interval *iv)
{
	int64		usecs;
	int64		days;

	days = (int64) iv->month * DAYS_PER_MONTH + iv->day;
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window is out of range"),
				 errdetail("The window is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(iv))))));
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window must not be negative"),
				 errdetail("The window is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(iv)))),
				 errhint("Give the window as a positive interval, e.g. '7 days'.")));
	return usecs;
}

/*
 * The window of a row in microseconds: the group's converted window when
 * the row gives the same interval as before (the usual constant), else
 * converted anew (and then checked against the group's by wf_check_params).
 */
static int64
wf_row_window(WfEvents *st, Interval *iv)
{
	if (st != NULL && st->p.set &&
		memcmp(&st->raw_window, iv, sizeof(Interval)) == 0)
		return st->p.window;
	return wf_window_usecs(iv);
}

/* Parse a mode text into flags, or raise 22023 naming the bad keyword. */
static int32
wf_mode_flags(text *mode)
{
	int			flags;
	size_t		pos,
				len;
	char	   *s = VARDATA_ANY(mode);

	if (wf_parse_mode(s, VARSIZE_ANY_EXHDR(mode), &flags, &pos, &len) != WF_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown funnel mode \"%.*s\"", (int) len, s + pos),
				 errdetail("The mode text is \"%s\".", text_to_cstring(mode)),
				 errhint("Modes are strict_order, strict_deduplication, strict_increase "
						 "and ties_descending, separated by commas; '' or 'default' for none.")));
	return (int32) flags;
}

/*
 * The flags of a mode text, parsed once per distinct text: the last text
 * and its flags are kept in fn_extra, so a constant mode costs a memcmp.
 */
static int32
wf_mode_cached(FunctionCallInfo fcinfo, text *mode)
{
	typedef struct ModeCache
	{
		int32		flags;
		int			len;
		char		data[FLEXIBLE_ARRAY_MEMBER];
	} ModeCache;
	ModeCache  *c = (ModeCache *) fcinfo->flinfo->fn_extra;
	int			len = VARSIZE_ANY_EXHDR(mode);
	int32		flags;

	if (c != NULL && c->len == len && memcmp(c->data, VARDATA_ANY(mode), len) == 0)
		return c->flags;
	flags = wf_mode_flags(mode);
	if (c == NULL || c->len < len)
		c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, offsetof(ModeCache, data) + len);
	c->flags = flags;
	c->len = len;
	memcpy(c->data, VARDATA_ANY(mode), len);
	fcinfo->flinfo->fn_extra = c;
	return flags;
}

/* A timestamp as microseconds; infinite ones are refused. */
static int64
wf_ts(TimestampTz ts)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("event timestamp must be finite"),
				 errdetail("The timestamp is %s.", TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Filter out rows with infinite timestamps.")));
	return (int64) ts;
}

/*
 * Check a row's parameters against those the group took from its first row
 * (window, mode and step count are one per group), or take them.
 * nsteps < 0: the step count is not checked (funnel_events).
 */
static void
wf_check_params(WfParams *p, int64 window, int32 flags, int32 nsteps,
				const char *fname)
{
	if (!p->set)
	{
		p->set = true;
		p->window = window;
		p->flags = flags;
		p->nsteps = nsteps;
		return;
	}
	if (p->window != window || p->flags != flags)
	{
		char		mode_row[96];
		char		mode_first[96];

		wf_mode_text(flags, mode_row, sizeof(mode_row));
		wf_mode_text(p->flags, mode_first, sizeof(mode_first));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs the same window and mode in every row of a group", fname),
				 errdetail("A row has window %lld microseconds and mode %s; an earlier one %lld and %s.",
						   (long long) window, mode_row, (long long) p->window, mode_first),
				 errhint("Pass constants for the window and the mode.")));
	}
	if (nsteps >= 0 && p->nsteps != nsteps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs the same number of steps in every row of a group", fname),
				 errdetail("A row has %d steps, an earlier one %d.", nsteps, p->nsteps)));
}

/* The error for a state past its setting. */
static void
wf_too_many(const char *fname, const char *guc, int64 n, int limit, int bytes)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s state exceeds %s = %d events", fname, guc, limit),
			 errdetail("The state would hold %lld events of %d bytes each.",
					   (long long) n, bytes),
			 errhint("Raise %s (SET %s = ...), or aggregate fewer rows per group.",
					 guc, guc)));
}

/* A new, empty state in the current memory context. */
static WfEvents *
ev_new(bool has_entity)
{
	WfEvents   *ev = palloc0(sizeof(WfEvents));

	ev->has_entity = has_entity;
	ev->ascending = true;
	return ev;
}

/* Bytes per event of a state. */
static int
ev_bytes(const WfEvents *ev)
{
	return ev->has_entity ? 20 : 12;
}

/* Grow or allocate one array of a state to cap elements of size width. */
static void *
ev_grow(void *ptr, int64 cap, size_t width)
{
	if (ptr == NULL)
		return palloc_extended(cap * width, MCXT_ALLOC_HUGE);
	return repalloc_huge(ptr, cap * width);
}

/*
 * Make room for `more` events (in the current memory context), or fail
 * with the error naming the setting that bounds the state.
 */
static void
ev_reserve(WfEvents *ev, int64 more)
{
	int64		need = ev->n + more;
	int			limit = ev->has_entity ? fe_max_events : wf_max_events;
	int64		cap;

	if (need > limit)
		wf_too_many(ev->has_entity ? "funnel_events" : "window_funnel",
					ev->has_entity ? "crm_sales.funnel_events_max_events"
					: "crm_sales.window_funnel_max_events",
					need, limit, ev_bytes(ev));
	if (need <= ev->cap)
		return;
	cap = Max(need, Max(ev->cap * 2, 8));
	cap = Min(cap, (int64) limit);
	if (ev->has_entity)
		ev->entity = ev_grow(ev->entity, cap, sizeof(int64));
	ev->ts = ev_grow(ev->ts, cap, sizeof(int64));
	ev->mask = ev_grow(ev->mask, cap, sizeof(uint32));
	ev->cap = cap;
}

/* Append one event. */
static inline void
ev_push(WfEvents *ev, int64 entity, int64 ts, uint32 mask)
{
	if (ev->n >= ev->cap)
		ev_reserve(ev, 1);
	if (ev->has_entity)
	{
		if (ev->n > 0 && entity < ev->entity[ev->n - 1])
			ev->ascending = false;
		ev->entity[ev->n] = entity;
	}
	ev->ts[ev->n] = ts;
	ev->mask[ev->n] = mask;
	ev->n++;
}

/*
 * Combine: add b's events to a (allocated in aggcontext when NULL).  Two
 * states in ascending entity order (a parallel scan of a table stored in
 * entity order gives them) are merged in one pass, keeping that order.
 */
static WfEvents *
ev_combine(FunctionCallInfo fcinfo, bool has_entity, const char *fname)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, fname);
	WfEvents   *a = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	WfEvents   *b = PG_ARGISNULL(1) ? NULL : (WfEvents *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL || !b->p.set)
		return a;

	/*
	 * Nothing in a yet: take b itself.  b comes from the deserial function,
	 * which allocates it in the aggregate context, and the executor does not
	 * use it after this call (internal states are pointers, never copied).
	 */
	if (a == NULL || (!a->p.set && a->n == 0))
		return b;
	old = MemoryContextSwitchTo(aggcontext);
	if (has_entity)
	{
		/* funnel_events: the step count is the highest step seen */
		int32		nsteps = Max(a->p.nsteps, b->p.nsteps);

		wf_check_params(&a->p, b->p.window, b->p.flags, -1, fname);
		a->p.nsteps = nsteps;
	}
	else
		wf_check_params(&a->p, b->p.window, b->p.flags, b->p.nsteps, fname);
	if (b->n > 0 && has_entity && a->ascending && b->ascending &&
		a->n > 0 && b->entity[0] < a->entity[a->n - 1])
	{
		WfEvents	m;

		memset(&m, 0, sizeof(m));
		m.has_entity = true;
		ev_reserve(&m, a->n + b->n);
		wf_merge_entities(a->entity, a->ts, a->mask, a->n,
						  b->entity, b->ts, b->mask, b->n,
						  m.entity, m.ts, m.mask);
		pfree(a->entity);
		pfree(a->ts);
		pfree(a->mask);
		a->entity = m.entity;
		a->ts = m.ts;
		a->mask = m.mask;
		a->cap = m.cap;
		a->n += b->n;
	}
	else if (b->n > 0)
	{
		ev_reserve(a, b->n);
		if (has_entity)
		{
			if (!b->ascending || (a->n > 0 && b->entity[0] < a->entity[a->n - 1]))
				a->ascending = false;
			memcpy(a->entity + a->n, b->entity, b->n * sizeof(int64));
		}
		memcpy(a->ts + a->n, b->ts, b->n * sizeof(int64));
		memcpy(a->mask + a->n, b->mask, b->n * sizeof(uint32));
		a->n += b->n;
	}
	MemoryContextSwitchTo(old);
	return a;
}

/*
 * State -> bytea: parameters, flags, count, then the arrays as they are in
 * memory (native byte order: serialized states only move from parallel
 * workers to their leader).
 */
static bytea *
ev_serialize(const WfEvents *ev)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ev->p.set ? 1 : 0);
	pq_sendint32(&buf, ev->p.flags);
	pq_sendint32(&buf, ev->p.nsteps);
	pq_sendint64(&buf, ev->p.window);
	pq_sendbyte(&buf, ev->ascending ? 1 : 0);
	pq_sendint64(&buf, ev->n);
	enlargeStringInfo(&buf, ev->n * ev_bytes(ev));
	if (ev->has_entity)
		appendBinaryStringInfo(&buf, (char *) ev->entity, ev->n * sizeof(int64));
	appendBinaryStringInfo(&buf, (char *) ev->ts, ev->n * sizeof(int64));
	appendBinaryStringInfo(&buf, (char *) ev->mask, ev->n * sizeof(uint32));
	return pq_endtypsend(&buf);
}

/* bytea -> state, allocated in the aggregate context. */
static WfEvents *
ev_deserialize(FunctionCallInfo fcinfo, bool has_entity, const char *fname)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, fname);
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	WfEvents   *ev;
	int64		n;
	MemoryContext old;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	old = MemoryContextSwitchTo(aggcontext);
	ev = ev_new(has_entity);
	ev->p.set = pq_getmsgbyte(&buf) != 0;
	ev->p.flags = pq_getmsgint(&buf, 4);
	ev->p.nsteps = pq_getmsgint(&buf, 4);
	ev->p.window = pq_getmsgint64(&buf);
	ev->ascending = pq_getmsgbyte(&buf) != 0;
	n = pq_getmsgint64(&buf);
	/* divide rather than multiply: a corrupt n must not overflow */
	if (n < 0 || n > (buf.len - buf.cursor) / ev_bytes(ev) ||
		n * ev_bytes(ev) != buf.len - buf.cursor ||
		ev->p.nsteps < 0 || ev->p.nsteps > WF_MAX_STEPS ||
		(ev->p.flags & ~(WF_STRICT_ORDER | WF_STRICT_DEDUPLICATION |
						 WF_STRICT_INCREASE | WF_TIES_DESCENDING)) != 0 ||
		ev->p.window < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s state", fname),
				 errdetail("%lld events announced in %d bytes, %d steps, flags %d, window %lld.",
						   (long long) n, buf.len - buf.cursor, ev->p.nsteps,
						   (int) ev->p.flags, (long long) ev->p.window)));
	if (n > 0)
	{
		ev_reserve(ev, n);
		if (has_entity)
			memcpy(ev->entity, pq_getmsgbytes(&buf, n * sizeof(int64)), n * sizeof(int64));
		memcpy(ev->ts, pq_getmsgbytes(&buf, n * sizeof(int64)), n * sizeof(int64));
		memcpy(ev->mask, pq_getmsgbytes(&buf, n * sizeof(uint32)), n * sizeof(uint32));
		ev->n = n;
	}
	MemoryContextSwitchTo(old);
	return ev;
}

/*
 * The transition of every window_funnel form: mode at argument 2 when
 * has_mode, the steps as separate booleans or as one bool[].
 */
static Datum
wf_trans(FunctionCallInfo fcinfo, bool has_mode, bool is_array)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel");
	WfEvents   *st = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	int			tsarg = has_mode ? 3 : 2;
	int32		flags = 0;
	int32		nsteps;
	int64		window;
	uint32		mask = 0;
	int			i;
	MemoryContext old;

	/* rows with a NULL window, mode or timestamp are skipped */
	if (PG_ARGISNULL(1) || (has_mode && PG_ARGISNULL(2)) || PG_ARGISNULL(tsarg))
		PG_RETURN_POINTER(st);
	if (is_array)
	{
		ArrayType  *arr;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		if (PG_ARGISNULL(tsarg + 1))
			PG_RETURN_POINTER(st);
		arr = PG_GETARG_ARRAYTYPE_P(tsarg + 1);
		deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &nelems);
		if (nelems < 1 || nelems > WF_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_funnel takes 1 to %d steps", WF_MAX_STEPS),
					 errdetail("The step array has %d elements.", nelems)));
		nsteps = nelems;
		for (i = 0; i < nelems; i++)
			if (!nulls[i] && DatumGetBool(elems[i]))
				mask |= (uint32) 1 << i;
	}
	else
	{
		nsteps = PG_NARGS() - tsarg - 1;
		if (nsteps < 1 || nsteps > WF_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_funnel takes 1 to %d steps", WF_MAX_STEPS),
					 errdetail("The call has %d steps.", nsteps)));
		/* a NULL condition is false */
		for (i = 0; i < nsteps; i++)
			if (!PG_ARGISNULL(tsarg + 1 + i) && PG_GETARG_BOOL(tsarg + 1 + i))
				mask |= (uint32) 1 << i;
	}
	if (has_mode)
		flags = wf_mode_cached(fcinfo, PG_GETARG_TEXT_PP(2));
	window = wf_row_window(st, PG_GETARG_INTERVAL_P(1));

	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = ev_new(false);
	wf_check_params(&st->p, window, flags, nsteps, "window_funnel");
	st->raw_window = *PG_GETARG_INTERVAL_P(1);
	/* an event matching no step matters only to strict_order */
	if (mask != 0 || (flags & WF_STRICT_ORDER))
		ev_push(st, 0, wf_ts(PG_GETARG_TIMESTAMPTZ(tsarg)), mask);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* window_funnel(interval, timestamptz, bool, ...) */
Datum
crm_window_funnel_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, false, false);
}

/* window_funnel(interval, text, timestamptz, bool, ...) */
Datum
crm_window_funnel_mode_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, true, false);
}

/* window_funnel(interval, timestamptz, bool[]) */
Datum
crm_window_funnel_arr_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, false, true);
}

/* window_funnel(interval, text, timestamptz, bool[]) */
Datum
crm_window_funnel_mode_arr_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, true, true);
}

/* Merge two window_funnel states (parallel query, partial aggregation). */
Datum
crm_window_funnel_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ev_combine(fcinfo, false, "window_funnel"));
}

/* window_funnel state -> bytea. */
Datum
crm_window_funnel_serial(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(ev_serialize((WfEvents *) PG_GETARG_POINTER(0)));
}

/* bytea -> window_funnel state. */
Datum
crm_window_funnel_deserial(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ev_deserialize(fcinfo, false, "window_funnel"));
}

/* The deepest step reached; 0 when no row of the group matched step 1. */
Datum
crm_window_funnel_final(PG_FUNCTION_ARGS)
{
	WfEvents   *st = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	int64	   *sts;
	uint32	   *smask;
	int			level;

	if (st == NULL || st->n == 0)
		PG_RETURN_INT32(0);
	/* sorting in place leaves the same multiset of events */
	sts = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);
	smask = palloc_extended(st->n * sizeof(uint32), MCXT_ALLOC_HUGE);
	wf_sort(st->ts, st->mask, st->n, sts, smask);
	pfree(sts);
	pfree(smask);
	level = wf_level(st->ts, st->mask, st->n, st->p.nsteps, st->p.window, st->p.flags);
	PG_RETURN_INT32(level);
}

/*
 * retention: the state is a bigint holding the OR of the conditions seen
 * (low 32 bits) and the number of conditions (bits 32..39).
 */
static Datum
ret_trans(FunctionCallInfo fcinfo, bool is_array)
{
	int64		state = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	int64		nconds;
	uint32		seen = 0;
	int			i;

	if (is_array)
	{
		ArrayType  *arr;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		if (PG_ARGISNULL(1))
			PG_RETURN_INT64(state);
		arr = PG_GETARG_ARRAYTYPE_P(1);
		deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &nelems);
		if (nelems < 2 || nelems > WF_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention takes 2 to %d conditions", WF_MAX_STEPS),
					 errdetail("The condition array has %d elements.", nelems)));
		nconds = nelems;
		for (i = 0; i < nelems; i++)
			if (!nulls[i] && DatumGetBool(elems[i]))
				seen |= (uint32) 1 << i;
	}
	else
	{
		nconds = PG_NARGS() - 1;
		for (i = 0; i < nconds; i++)
			if (!PG_ARGISNULL(i + 1) && PG_GETARG_BOOL(i + 1))
				seen |= (uint32) 1 << i;
	}
	if ((state >> 32) != 0 && (state >> 32) != nconds)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention needs the same number of conditions in every row of a group"),
				 errdetail("A row has %d conditions, an earlier one %d.",
						   (int) nconds, (int) (state >> 32))));
	PG_RETURN_INT64((nconds << 32) | (int64) ((uint32) state | seen));
}

/* retention(bool, ...) */
Datum
crm_retention_trans(PG_FUNCTION_ARGS)
{
	return ret_trans(fcinfo, false);
}

/* retention(bool[]) */
Datum
crm_retention_arr_trans(PG_FUNCTION_ARGS)
{
	return ret_trans(fcinfo, true);
}

/* OR of two retention states with the same number of conditions. */
Datum
crm_retention_combine(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_INT64(0);
	int64		b = PG_GETARG_INT64(1);

	if ((a >> 32) != 0 && (b >> 32) != 0 && (a >> 32) != (b >> 32))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention needs the same number of conditions in every row of a group"),
				 errdetail("One part has %d conditions, another %d.",
						   (int) (a >> 32), (int) (b >> 32))));
	PG_RETURN_INT64(a | b);
}

/* The retention array; NULL over no rows (the count is unknown then). */
Datum
crm_retention_final(PG_FUNCTION_ARGS)
{
	int64		state = PG_GETARG_INT64(0);
	int			nconds = (int) (state >> 32);
	int32		out[WF_MAX_STEPS];
	Datum		elems[WF_MAX_STEPS];
	int			i;

	if (nconds < 1 || nconds > WF_MAX_STEPS)
		PG_RETURN_NULL();
	wf_retention((uint32) state, nconds, out);
	for (i = 0; i < nconds; i++)
		elems[i] = Int32GetDatum(out[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nconds, INT4OID, 4, true, TYPALIGN_INT));
}

/*
 * funnel_events(window, entity, ts, step [, mode]): rows with a NULL
 * window, entity, timestamp, step or mode are skipped; step 0 is an event
 * that matches no step (it ends chains in strict_order mode).
 */
Datum
crm_funnel_events_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "funnel_events");
	WfEvents   *st = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	bool		has_mode = PG_NARGS() > 5;
	int32		step;
	int32		flags = 0;
	int64		window;
	int64		entity;
	int64		ts;
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		(has_mode && PG_ARGISNULL(5)))
		PG_RETURN_POINTER(st);
	step = PG_GETARG_INT32(4);
	if (step < 0 || step > WF_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("funnel step %d is out of range", step),
				 errdetail("Steps are 1 to %d; 0 marks an event that matches no step.",
						   WF_MAX_STEPS)));
	entity = PG_GETARG_INT64(2);
	ts = wf_ts(PG_GETARG_TIMESTAMPTZ(3));
	window = wf_row_window(st, PG_GETARG_INTERVAL_P(1));
	if (has_mode)
		flags = wf_mode_cached(fcinfo, PG_GETARG_TEXT_PP(5));
	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = ev_new(true);
	wf_check_params(&st->p, window, flags, -1, "funnel_events");
	st->raw_window = *PG_GETARG_INTERVAL_P(1);
	if (step != 0 || (st->p.flags & WF_STRICT_ORDER))
	{
		ev_push(st, entity, ts, step == 0 ? 0 : (uint32) 1 << (step - 1));
		if (step > st->p.nsteps)
			st->p.nsteps = step;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* Merge two funnel_events states. */
Datum
crm_funnel_events_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ev_combine(fcinfo, true, "funnel_events"));
}

/* funnel_events state -> bytea. */
Datum
crm_funnel_events_serial(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(ev_serialize((WfEvents *) PG_GETARG_POINTER(0)));
}

/* bytea -> funnel_events state. */
Datum
crm_funnel_events_deserial(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ev_deserialize(fcinfo, true, "funnel_events"));
}

/*
 * The funnel: a positional crm_sales.funnel over steps 1..(highest step
 * seen), stage k reached by the entities whose deepest step is at least k.
 * NULL over no rows.
 */
Datum
crm_funnel_events_final(PG_FUNCTION_ARGS)
{
	WfEvents   *st = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	int64		deepest[WF_MAX_STEPS];
	int64	   *sts = NULL;
	uint32	   *smask = NULL;

	if (st == NULL || st->p.nsteps < 1)
		PG_RETURN_NULL();
	memset(deepest, 0, sizeof(deepest));
	if (st->n > 0 && !st->ascending)
	{
		/* group the events by entity (radix sort through scratch arrays) */
		int64	   *sent = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);

		sts = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);
		smask = palloc_extended(st->n * sizeof(uint32), MCXT_ALLOC_HUGE);
		wf_group_entities(st->entity, st->ts, st->mask, st->n, sent, sts, smask);
		pfree(sent);
		pfree(sts);
		pfree(smask);
		st->ascending = true;
		CHECK_FOR_INTERRUPTS();
	}
	if (st->n > 0)
	{
		int64		longest = 1;
		int64		run = 1;
		int64		start = 0;
		int64		i;

		/* scratch for sorting one entity's events by time: the longest run */
		for (i = 1; i < st->n; i++)
		{
			run = st->entity[i] == st->entity[i - 1] ? run + 1 : 1;
			longest = Max(longest, run);
		}
		sts = palloc_extended(longest * sizeof(int64), MCXT_ALLOC_HUGE);
		smask = palloc_extended(longest * sizeof(uint32), MCXT_ALLOC_HUGE);
		/* whole entities, about a million events at a time, cancellable */
		while (start < st->n)
		{
			int64		end = Min(start + 1048576, st->n);

			while (end < st->n && st->entity[end] == st->entity[end - 1])
				end++;
			wf_entity_levels(st->entity + start, st->ts + start, st->mask + start,
							 end - start, st->p.nsteps, st->p.window, st->p.flags,
							 sts, smask, deepest);
			start = end;
			CHECK_FOR_INTERRUPTS();
		}
		pfree(sts);
		pfree(smask);
	}
	return crm_funnel_positional(st->p.nsteps, deepest);
}
