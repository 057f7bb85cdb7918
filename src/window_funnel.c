/*
 * window_funnel.c
 *		SQL glue of the event-log funnels (algorithms in core/window_funnel.c):
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "crm_sales.h"
#include "funnel.h"
#include "window_funnel.h"

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

/* window_funnel state: one entity's events. */
typedef struct WfState
{
	WfParams	p;
	int32		n;
	int32		cap;
	int64	   *ts;
	uint32	   *mask;
} WfState;

/* funnel_events state: every event of the rows seen. */
typedef struct FeState
{
	WfParams	p;
	int64		n;
	int64		cap;
	bool		ascending;		/* entities came in ascending order */
	int64	   *entity;
	int64	   *ts;
	uint32	   *mask;
} FeState;

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

/* Make room for `more` events in a window_funnel state. */
static void
wf_reserve(WfState *st, int64 more)
{
	int64		need = (int64) st->n + more;
	int64		cap;

	if (need > wf_max_events)
		wf_too_many("window_funnel", "crm_sales.window_funnel_max_events",
					need, wf_max_events, 12);
	if (need <= st->cap)
		return;
	cap = Max(need, (int64) st->cap * 2);
	cap = Min(cap, (int64) wf_max_events);
	if (st->ts == NULL)
	{
		st->ts = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
		st->mask = palloc_extended(cap * sizeof(uint32), MCXT_ALLOC_HUGE);
	}
	else
	{
		st->ts = repalloc_huge(st->ts, cap * sizeof(int64));
		st->mask = repalloc_huge(st->mask, cap * sizeof(uint32));
	}
	st->cap = (int32) cap;
}

/*
 * The transition of every window_funnel form: mode at argument 2 when
 * has_mode, the steps as separate booleans or as one bool[].
 */
static Datum
wf_trans(FunctionCallInfo fcinfo, bool has_mode, bool is_array)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel");
	WfState    *st = PG_ARGISNULL(0) ? NULL : (WfState *) PG_GETARG_POINTER(0);
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
	window = wf_window_usecs(PG_GETARG_INTERVAL_P(1));

	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = palloc0(sizeof(WfState));
	wf_check_params(&st->p, window, flags, nsteps, "window_funnel");
	/* an event matching no step matters only to strict_order */
	if (mask != 0 || (flags & WF_STRICT_ORDER))
	{
		int64		ts = wf_ts(PG_GETARG_TIMESTAMPTZ(tsarg));

		if (st->n >= st->cap)
			wf_reserve(st, 1);
		st->ts[st->n] = ts;
		st->mask[st->n] = mask;
		st->n++;
	}
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
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel_combine");
	WfState    *a = PG_ARGISNULL(0) ? NULL : (WfState *) PG_GETARG_POINTER(0);
	WfState    *b = PG_ARGISNULL(1) ? NULL : (WfState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL || !b->p.set)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = palloc0(sizeof(WfState));
	wf_check_params(&a->p, b->p.window, b->p.flags, b->p.nsteps, "window_funnel");
	if (b->n > 0)
	{
		wf_reserve(a, b->n);
		memcpy(a->ts + a->n, b->ts, b->n * sizeof(int64));
		memcpy(a->mask + a->n, b->mask, b->n * sizeof(uint32));
		a->n += b->n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/* Write the shared parameters. */
static void
wf_send_params(StringInfo buf, const WfParams *p)
{
	pq_sendbyte(buf, p->set ? 1 : 0);
	pq_sendint32(buf, p->flags);
	pq_sendint32(buf, p->nsteps);
	pq_sendint64(buf, p->window);
}

/* Read the shared parameters. */
static void
wf_recv_params(StringInfo buf, WfParams *p)
{
	p->set = pq_getmsgbyte(buf) != 0;
	p->flags = pq_getmsgint(buf, 4);
	p->nsteps = pq_getmsgint(buf, 4);
	p->window = pq_getmsgint64(buf);
}

/*
 * window_funnel state -> bytea: parameters, count, then the timestamps and
 * masks as they are in memory (native byte order: serialized states only
 * move from parallel workers to their leader).
 */
Datum
crm_window_funnel_serial(PG_FUNCTION_ARGS)
{
	WfState    *st = (WfState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	wf_send_params(&buf, &st->p);
	pq_sendint32(&buf, st->n);
	enlargeStringInfo(&buf, st->n * 12);
	appendBinaryStringInfo(&buf, (char *) st->ts, st->n * sizeof(int64));
	appendBinaryStringInfo(&buf, (char *) st->mask, st->n * sizeof(uint32));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytea -> window_funnel state, in the aggregate context. */
Datum
crm_window_funnel_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel_deserial");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	WfState    *st;
	int32		n;
	MemoryContext old;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	old = MemoryContextSwitchTo(aggcontext);
	st = palloc0(sizeof(WfState));
	wf_recv_params(&buf, &st->p);
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * 12 != buf.len - buf.cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid window_funnel state"),
				 errdetail("%d events announced in %d bytes.", n, buf.len - buf.cursor)));
	if (n > 0)
	{
		wf_reserve(st, n);
		memcpy(st->ts, pq_getmsgbytes(&buf, n * sizeof(int64)), n * sizeof(int64));
		memcpy(st->mask, pq_getmsgbytes(&buf, n * sizeof(uint32)), n * sizeof(uint32));
		st->n = n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* The deepest step reached; 0 when no row of the group matched step 1. */
Datum
crm_window_funnel_final(PG_FUNCTION_ARGS)
{
	WfState    *st = PG_ARGISNULL(0) ? NULL : (WfState *) PG_GETARG_POINTER(0);
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

/* Make room for `more` events in a funnel_events state. */
static void
fe_reserve(FeState *st, int64 more)
{
	int64		need = st->n + more;
	int64		cap;

	if (need > fe_max_events)
		wf_too_many("funnel_events", "crm_sales.funnel_events_max_events",
					need, fe_max_events, 20);
	if (need <= st->cap)
		return;
	cap = Max(need, Max(st->cap * 2, 1024));
	cap = Min(cap, (int64) fe_max_events);
	if (st->entity == NULL)
	{
		st->entity = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
		st->ts = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
		st->mask = palloc_extended(cap * sizeof(uint32), MCXT_ALLOC_HUGE);
	}
	else
	{
		st->entity = repalloc_huge(st->entity, cap * sizeof(int64));
		st->ts = repalloc_huge(st->ts, cap * sizeof(int64));
		st->mask = repalloc_huge(st->mask, cap * sizeof(uint32));
	}
	st->cap = cap;
}

/* A new, empty funnel_events state in the current context. */
static FeState *
fe_new(void)
{
	FeState    *st = palloc0(sizeof(FeState));

	st->ascending = true;
	return st;
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
	FeState    *st = PG_ARGISNULL(0) ? NULL : (FeState *) PG_GETARG_POINTER(0);
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
	window = wf_window_usecs(PG_GETARG_INTERVAL_P(1));
	if (has_mode)
		flags = wf_mode_cached(fcinfo, PG_GETARG_TEXT_PP(5));
	if (st == NULL)
	{
		old = MemoryContextSwitchTo(aggcontext);
		st = fe_new();
		MemoryContextSwitchTo(old);
	}
	wf_check_params(&st->p, window, flags, -1, "funnel_events");
	if (step == 0 && !(st->p.flags & WF_STRICT_ORDER))
		PG_RETURN_POINTER(st);
	if (st->n >= st->cap)
	{
		old = MemoryContextSwitchTo(aggcontext);
		fe_reserve(st, 1);
		MemoryContextSwitchTo(old);
	}
	if (st->n > 0 && entity < st->entity[st->n - 1])
		st->ascending = false;
	st->entity[st->n] = entity;
	st->ts[st->n] = ts;
	st->mask[st->n] = step == 0 ? 0 : (uint32) 1 << (step - 1);
	st->n++;
	if (step > st->p.nsteps)
		st->p.nsteps = step;
	PG_RETURN_POINTER(st);
}

/* Merge two funnel_events states. */
Datum
crm_funnel_events_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "funnel_events_combine");
	FeState    *a = PG_ARGISNULL(0) ? NULL : (FeState *) PG_GETARG_POINTER(0);
	FeState    *b = PG_ARGISNULL(1) ? NULL : (FeState *) PG_GETARG_POINTER(1);
	MemoryContext old;
	int32		nsteps;

	if (b == NULL || !b->p.set)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = fe_new();
	nsteps = Max(a->p.nsteps, b->p.nsteps);
	wf_check_params(&a->p, b->p.window, b->p.flags, -1, "funnel_events");
	a->p.nsteps = nsteps;
	if (b->n > 0)
	{
		bool		both_ascending = a->ascending && b->ascending;

		if (both_ascending && a->n > 0 && b->entity[0] < a->entity[a->n - 1])
		{
			/* merge the two ascending runs into new arrays: one pass */
			FeState		m;

			memset(&m, 0, sizeof(m));
			m.p = a->p;
			fe_reserve(&m, a->n + b->n);
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
		else
		{
			fe_reserve(a, b->n);
			a->ascending = both_ascending;
			memcpy(a->entity + a->n, b->entity, b->n * sizeof(int64));
			memcpy(a->ts + a->n, b->ts, b->n * sizeof(int64));
			memcpy(a->mask + a->n, b->mask, b->n * sizeof(uint32));
			a->n += b->n;
		}
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/*
 * funnel_events state -> bytea: parameters, then the three arrays copied
 * as they are in memory (native byte order: the serialized state only
 * moves between processes of one server, from parallel workers to their
 * leader).
 */
Datum
crm_funnel_events_serial(PG_FUNCTION_ARGS)
{
	FeState    *st = (FeState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	wf_send_params(&buf, &st->p);
	pq_sendbyte(&buf, st->ascending ? 1 : 0);
	pq_sendint64(&buf, st->n);
	enlargeStringInfo(&buf, st->n * 20);
	appendBinaryStringInfo(&buf, (char *) st->entity, st->n * sizeof(int64));
	appendBinaryStringInfo(&buf, (char *) st->ts, st->n * sizeof(int64));
	appendBinaryStringInfo(&buf, (char *) st->mask, st->n * sizeof(uint32));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytea -> funnel_events state, in the aggregate context. */
Datum
crm_funnel_events_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "funnel_events_deserial");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	FeState    *st;
	int64		n;
	MemoryContext old;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	old = MemoryContextSwitchTo(aggcontext);
	st = fe_new();
	wf_recv_params(&buf, &st->p);
	st->ascending = pq_getmsgbyte(&buf) != 0;
	n = pq_getmsgint64(&buf);
	if (n < 0 || n * 20 != buf.len - buf.cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid funnel_events state"),
				 errdetail("%lld events announced in %d bytes.",
						   (long long) n, buf.len - buf.cursor)));
	if (n > 0)
	{
		fe_reserve(st, n);
		memcpy(st->entity, pq_getmsgbytes(&buf, n * sizeof(int64)), n * sizeof(int64));
		memcpy(st->ts, pq_getmsgbytes(&buf, n * sizeof(int64)), n * sizeof(int64));
		memcpy(st->mask, pq_getmsgbytes(&buf, n * sizeof(uint32)), n * sizeof(uint32));
		st->n = n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/*
 * The funnel: a positional crm_sales.funnel over steps 1..(highest step
 * seen), stage k reached by the entities whose deepest step is at least k.
 * NULL over no rows.
 */
Datum
crm_funnel_events_final(PG_FUNCTION_ARGS)
{
	FeState    *st = PG_ARGISNULL(0) ? NULL : (FeState *) PG_GETARG_POINTER(0);
	int64		deepest[WF_MAX_STEPS];
	int64	   *sts = NULL;
	uint32	   *smask = NULL;

	if (st == NULL || st->p.nsteps < 1)
		PG_RETURN_NULL();
	memset(deepest, 0, sizeof(deepest));
	if (st->n > 0)
	{
		/* scratch for grouping by entity and for sorting each entity by time */
		sts = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);
		smask = palloc_extended(st->n * sizeof(uint32), MCXT_ALLOC_HUGE);
		if (!st->ascending)
		{
			int64	   *sent = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);

			wf_group_entities(st->entity, st->ts, st->mask, st->n, sent, sts, smask);
			pfree(sent);
			st->ascending = true;
		}
		wf_entity_levels(st->entity, st->ts, st->mask, st->n, st->p.nsteps,
						 st->p.window, st->p.flags, sts, smask, deepest);
		pfree(sts);
		pfree(smask);
	}
	return crm_funnel_positional(st->p.nsteps, deepest);
}
