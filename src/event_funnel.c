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
#include "event_funnel.h"
#include "funnel.h"
#include "funnel/event_log.h"
#include "funnel/window_funnel.h"

PG_FUNCTION_INFO_V1(crm_window_funnel_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_mode_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_arr_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_mode_arr_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_var_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_mode_var_trans);
PG_FUNCTION_INFO_V1(crm_window_funnel_combine);
PG_FUNCTION_INFO_V1(crm_window_funnel_serial);
PG_FUNCTION_INFO_V1(crm_window_funnel_deserial);
PG_FUNCTION_INFO_V1(crm_window_funnel_final);
PG_FUNCTION_INFO_V1(crm_retention_trans);
PG_FUNCTION_INFO_V1(crm_retention_arr_trans);
PG_FUNCTION_INFO_V1(crm_retention_var_trans);
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

/* window_funnel's state: one group's events in two parallel arrays. */
typedef struct WfEvents
{
	WfParams	p;
	Interval	raw_window;		/* the window as given, once p.set */
	int64		n;
	int64		cap;
	int64	   *ts;
	uint32	   *mask;
} WfEvents;

/* One log of funnel_events (core/funnel/event_log.h). */
typedef struct FeRun
{
	uint8	   *data;
	int64		len;
	int64		maxev;			/* events of its largest entity record */
} FeRun;

/*
 * funnel_events' state.  While entities arrive in ascending order (a table
 * stored or scanned in entity order) each entity's level is computed when
 * the next entity starts, from the open entity's events alone, and counted
 * in deepest[]; the closed entity goes into a compact log (event_log.h),
 * which is what a parallel worker ships to its leader and what makes the
 * rest of the input arrive in any order: once an entity comes out of order
 * the state keeps further events as they come (raw arrays), and the final
 * function merges the log with those events regrouped by entity.
 */
typedef struct FeState
{
	WfParams	p;
	Interval	raw_window;
	int64		nevents;		/* events held, bounded by the setting */
	int64		deepest[WF_MAX_STEPS];	/* levels of the entities closed in
										 * order (while nruns == 0) */
	bool		ordered;		/* no entity came out of order yet */
	bool		has_open;
	bool		has_closed;
	int64		open_entity;
	int64		last_closed;
	/* the open entity's events, and scratch for sorting them */
	int			on;
	int			ocap;
	int64	   *ots;
	uint32	   *omask;
	int64	   *sts;
	uint32	   *smask;
	/* the log of the entities closed in order */
	uint8	   *log;
	int64		loglen;
	int64		logcap;
	int64		log_maxev;
	/* events that came after the order broke */
	int64		rn;
	int64		rcap;
	int64	   *rentity;
	int64	   *rts;
	uint32	   *rmask;
	/* the most memory its context held at a growth step (DEBUG1 report) */
	Size		peak;
	/* finished logs: this state's own once flushed, and combined states' */
	int			nruns;
	int			runcap;
	FeRun	   *runs;
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
	crm_sequence_init();
}

/* The aggregate memory context, or an error when not called as one. */
MemoryContext
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
wf_row_window(const WfParams *p, const Interval *raw_window, Interval *iv)
{
	if (p != NULL && p->set && memcmp(raw_window, iv, sizeof(Interval)) == 0)
		return p->window;
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
				 errhint("Modes are strict_order, strict_deduplication, strict_increase, "
						 "strict_once, allow_reentry, any_order and ties_descending, separated "
						 "by commas; '' or 'default' for none.")));
	if ((flags & WF_ANY_ORDER) &&
		(flags & (WF_STRICT_ORDER | WF_STRICT_DEDUPLICATION | WF_STRICT_INCREASE | WF_STRICT_ONCE)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel mode any_order does not combine with strict_* modes"),
				 errdetail("The mode text is \"%s\".", text_to_cstring(mode))));
	if ((flags & WF_ALLOW_REENTRY) && !(flags & WF_STRICT_ORDER))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel mode allow_reentry needs strict_order"),
				 errdetail("The mode text is \"%s\".", text_to_cstring(mode)),
				 errhint("Write 'strict_order, allow_reentry' (as ClickHouse requires).")));
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
int64
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
	/* WF_EXCLUSIONS is no mode: the state sets it when it meets one */
	if (p->window != window || (p->flags & ~WF_EXCLUSIONS) != (flags & ~WF_EXCLUSIONS))
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
void
wf_too_many(const char *fname, const char *guc, int64 n, int limit, int bytes)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s state exceeds %s = %d events", fname, guc, limit),
			 bytes > 0 ? errdetail("The state would hold %lld events of %d bytes each.",
								   (long long) n, bytes)
			 : errdetail("The state would hold %lld events.", (long long) n),
			 errhint("Raise %s (SET %s = ...), or aggregate fewer rows per group.",
					 guc, guc)));
}

/*
 * The level of one entity's sorted events: wf_level, or under strict_once
 * wf_level_once with a pool of chains that grows (4x) until it is large
 * enough, up to crm_sales.window_funnel_max_events chains.
 */
static int
wf_level_any(const int64 *ts, const uint32 *mask, size_t n, int nsteps,
			 int64 window, int flags)
{
	WfOncePool	pool;
	size_t		cap = 64;

	if (!(flags & WF_STRICT_ONCE))
		return wf_level(ts, mask, n, nsteps, window, flags);
	for (;;)
	{
		int			level;

		pool.cap = cap;
		pool.first = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
		pool.last = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
		pool.next = palloc_extended(cap * sizeof(int32), MCXT_ALLOC_HUGE);
		pool.path = palloc_extended(cap * WF_MAX_STEPS * sizeof(uint32), MCXT_ALLOC_HUGE);
		level = wf_level_once(ts, mask, n, nsteps, window, flags, &pool);
		pfree(pool.first);
		pfree(pool.last);
		pfree(pool.next);
		pfree(pool.path);
		if (level >= 0)
			return level;
		if (cap >= (size_t) wf_max_events)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("strict_once funnel needs more than %zu open chains", cap),
					 errdetail("The entity has %zu events.", n),
					 errhint("Use a smaller window, or raise crm_sales.window_funnel_max_events.")));
		cap = Min(cap * 4, (size_t) wf_max_events);
		CHECK_FOR_INTERRUPTS();
	}
}

/* wf_level_any as an ElLevelFn (el_merge_levels). */
static int
wf_level_cb(void *arg, const int64_t *ts, const uint32_t *mask, size_t n,
			int nsteps, int64_t window, int flags)
{
	return wf_level_any(ts, mask, n, nsteps, window, flags);
}

/* A new, empty window_funnel state in the current memory context. */
static WfEvents *
ev_new(void)
{
	return palloc0(sizeof(WfEvents));
}

/* Grow or allocate one array to cap elements of size width. */
void *
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
	int64		cap;

	if (need > wf_max_events)
		wf_too_many("window_funnel", "crm_sales.window_funnel_max_events",
					need, wf_max_events, 12);
	if (need <= ev->cap)
		return;
	cap = Max(need, Max(ev->cap * 2, 8));
	cap = Min(cap, (int64) wf_max_events);
	ev->ts = ev_grow(ev->ts, cap, sizeof(int64));
	ev->mask = ev_grow(ev->mask, cap, sizeof(uint32));
	ev->cap = cap;
}

/* Append one event. */
static inline void
ev_push(WfEvents *ev, int64 ts, uint32 mask)
{
	if (ev->n >= ev->cap)
		ev_reserve(ev, 1);
	ev->ts[ev->n] = ts;
	ev->mask[ev->n] = mask;
	ev->n++;
}

/*
 * Serialized states: the layout of core/funnel/event_log.h (el_check_state),
 * written here in network byte order with pq_send*.  A later layout gets a
 * new EL_STATE_VERSION; this library refuses versions it does not know
 * rather than misreading them.
 */
/* Write the header of a serialized state. */
static void
wf_send_header(StringInfo buf, char kind, const WfParams *p)
{
	pq_sendbyte(buf, EL_STATE_VERSION);
	pq_sendbyte(buf, kind);
	pq_sendbyte(buf, p->set ? 1 : 0);
	pq_sendint32(buf, p->flags);
	pq_sendint32(buf, p->nsteps);
	pq_sendint64(buf, p->window);
}

/* The error for a serialized state that is cut short or malformed. */
void
wf_bad_state(const char *fname, const char *what, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s state: %s", fname, what),
			 len >= 0 ? errdetail("The serialized state has %d bytes.", len) : 0,
			 errhint("Serialized states are made by this extension's serial function; "
					 "do not build them by hand.")));
}

/*
 * Check a whole serialized state of the given kind (el_check_state) into
 * h: a wrong version, another aggregate's state, missing bytes or values
 * out of range are refused with 22P03.  Shared by every internal state.
 */
void
wf_check_serialized(bytea *b, char kind, int valid_flags, ElStateHeader *h,
					const char *fname)
{
	int			len = VARSIZE_ANY_EXHDR(b);
	int			rc = el_check_state((const uint8 *) VARDATA_ANY(b), len, kind,
									valid_flags, h);

	if (rc == EL_BAD_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s state: unknown format version %d", fname, h->version),
				 errdetail("This crm_sales library reads version %d.", EL_STATE_VERSION),
				 errhint("Run the same crm_sales version on every server that exchanges states.")));
	if (rc != EL_OK)
		wf_bad_state(fname, rc == EL_TRUNCATED ? "truncated" :
					 rc == EL_BAD_KIND ? "not a state of this aggregate" :
					 "malformed", len);
}

/* wf_check_serialized, then the parameters into p. */
static void
wf_check_state(bytea *b, char kind, WfParams *p, ElStateHeader *h,
			   const char *fname)
{
	wf_check_serialized(b, kind, WF_ALL_FLAGS, h, fname);
	p->set = h->set;
	p->flags = h->flags;
	p->nsteps = h->nsteps;
	p->window = h->window;
}

/* window_funnel state -> bytea: the header, the count, then (ts, mask) pairs. */
static bytea *
ev_serialize(const WfEvents *ev)
{
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	wf_send_header(&buf, 'w', &ev->p);
	pq_sendint64(&buf, ev->n);
	enlargeStringInfo(&buf, ev->n * 12);
	for (i = 0; i < ev->n; i++)
	{
		pq_writeint64(&buf, ev->ts[i]);
		pq_writeint32(&buf, ev->mask[i]);
	}
	return pq_endtypsend(&buf);
}

/* bytea -> window_funnel state, allocated in the aggregate context. */
static WfEvents *
ev_deserialize(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	ElStateHeader h;
	WfEvents   *ev;
	MemoryContext old;

	old = MemoryContextSwitchTo(aggcontext);
	ev = ev_new();
	wf_check_state(b, 'w', &ev->p, &h, "window_funnel");
	if (h.count > wf_max_events)
		wf_too_many("window_funnel", "crm_sales.window_funnel_max_events",
					h.count, wf_max_events, 12);
	if (h.count > 0)
	{
		ev_reserve(ev, h.count);
		el_get_pairs((const uint8 *) VARDATA_ANY(b) + EL_STATE_HEADER + 8, h.count,
					 ev->ts, ev->mask);
		ev->n = h.count;
	}
	MemoryContextSwitchTo(old);
	return ev;
}

/*
 * Add the true elements of a bool[] to *mask from bit `first` on, and
 * return the element count; a NULL element is false.
 */
static int
wf_array_mask(ArrayType *arr, int first, uint32 *mask, const char *fname,
			  int min, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;

	deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &nelems);
	if (first + nelems < min || first + nelems > WF_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes %d to %d %s", fname, min, WF_MAX_STEPS, what),
				 errdetail("The call gives %d %s.", first + nelems, what)));
	for (i = 0; i < nelems; i++)
		if (!nulls[i] && DatumGetBool(elems[i]))
			*mask |= (uint32) 1 << (first + i);
	pfree(elems);
	pfree(nulls);
	return first + nelems;
}

/* How window_funnel's steps are passed. */
typedef enum WfStepArgs
{
	WF_ARGS_SEPARATE,			/* step1, ..., stepN (the 0.1.0 overloads) */
	WF_ARGS_ARRAY,				/* steps boolean[] */
	WF_ARGS_VARIADIC			/* step1 boolean, VARIADIC boolean[] */
} WfStepArgs;

/*
 * The transition of every window_funnel form: mode at argument 2 when
 * has_mode, the steps as separate booleans, as one bool[], or as a first
 * boolean followed by a VARIADIC bool[].
 */
static Datum
wf_trans(FunctionCallInfo fcinfo, bool has_mode, WfStepArgs how)
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
	if (how == WF_ARGS_ARRAY)
	{
		if (PG_ARGISNULL(tsarg + 1))
			PG_RETURN_POINTER(st);
		nsteps = wf_array_mask(PG_GETARG_ARRAYTYPE_P(tsarg + 1), 0, &mask,
							   "window_funnel", 1, "steps");
	}
	else if (how == WF_ARGS_VARIADIC)
	{
		/* VARIADIC NULL: the step count is unknown, the row is skipped */
		if (PG_NARGS() != tsarg + 3 || PG_ARGISNULL(tsarg + 2))
			PG_RETURN_POINTER(st);
		if (!PG_ARGISNULL(tsarg + 1) && PG_GETARG_BOOL(tsarg + 1))
			mask = 1;
		nsteps = wf_array_mask(PG_GETARG_ARRAYTYPE_P(tsarg + 2), 1, &mask,
							   "window_funnel", 1, "steps");
	}
	else
	{
		nsteps = PG_NARGS() - tsarg - 1;
		if (nsteps < 1 || nsteps > WF_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_funnel takes 1 to %d steps", WF_MAX_STEPS),
					 errdetail("The call gives %d steps.", nsteps)));
		/* a NULL condition is false */
		for (i = 0; i < nsteps; i++)
			if (!PG_ARGISNULL(tsarg + 1 + i) && PG_GETARG_BOOL(tsarg + 1 + i))
				mask |= (uint32) 1 << i;
	}
	if (has_mode)
		flags = wf_mode_cached(fcinfo, PG_GETARG_TEXT_PP(2));
	window = wf_row_window(st ? &st->p : NULL, st ? &st->raw_window : NULL,
						   PG_GETARG_INTERVAL_P(1));

	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = ev_new();
	wf_check_params(&st->p, window, flags, nsteps, "window_funnel");
	st->raw_window = *PG_GETARG_INTERVAL_P(1);
	/* an event matching no step matters only to strict_order */
	if (mask != 0 || (flags & WF_STRICT_ORDER))
		ev_push(st, wf_ts(PG_GETARG_TIMESTAMPTZ(tsarg)), mask);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* window_funnel(interval, timestamptz, bool, ...): the 0.1.0 overloads */
Datum
crm_window_funnel_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, false, WF_ARGS_SEPARATE);
}

/* window_funnel(interval, text, timestamptz, bool, ...): the 0.1.0 overloads */
Datum
crm_window_funnel_mode_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, true, WF_ARGS_SEPARATE);
}

/* window_funnel(interval, timestamptz, bool[]) */
Datum
crm_window_funnel_arr_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, false, WF_ARGS_ARRAY);
}

/* window_funnel(interval, text, timestamptz, bool[]) */
Datum
crm_window_funnel_mode_arr_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, true, WF_ARGS_ARRAY);
}

/* window_funnel(interval, timestamptz, bool, VARIADIC bool[]) */
Datum
crm_window_funnel_var_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, false, WF_ARGS_VARIADIC);
}

/* window_funnel(interval, text, timestamptz, bool, VARIADIC bool[]) */
Datum
crm_window_funnel_mode_var_trans(PG_FUNCTION_ARGS)
{
	return wf_trans(fcinfo, true, WF_ARGS_VARIADIC);
}

/*
 * Merge two window_funnel states (parallel query, partial aggregation):
 * b's events are appended to a's (allocated in aggcontext when NULL).
 */
Datum
crm_window_funnel_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "window_funnel");
	WfEvents   *a = PG_ARGISNULL(0) ? NULL : (WfEvents *) PG_GETARG_POINTER(0);
	WfEvents   *b = PG_ARGISNULL(1) ? NULL : (WfEvents *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL || !b->p.set)
		PG_RETURN_POINTER(a);

	/*
	 * Nothing in a yet: take b itself.  b comes from the deserial function,
	 * which allocates it in the aggregate context, and the executor does not
	 * use it after this call (internal states are pointers, never copied).
	 */
	if (a == NULL || (!a->p.set && a->n == 0))
		PG_RETURN_POINTER(b);
	old = MemoryContextSwitchTo(aggcontext);
	wf_check_params(&a->p, b->p.window, b->p.flags, b->p.nsteps, "window_funnel");
	if (b->n > 0)
	{
		ev_reserve(a, b->n);
		memcpy(a->ts + a->n, b->ts, b->n * sizeof(int64));
		memcpy(a->mask + a->n, b->mask, b->n * sizeof(uint32));
		a->n += b->n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
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
	PG_RETURN_POINTER(ev_deserialize(fcinfo));
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
	level = wf_level_any(st->ts, st->mask, st->n, st->p.nsteps, st->p.window, st->p.flags);
	PG_RETURN_INT32(level);
}

/*
 * retention: the state is a bigint holding the OR of the conditions seen
 * (low 32 bits) and the number of conditions (bits 32..39).
 */
static Datum
ret_trans(FunctionCallInfo fcinfo, WfStepArgs how)
{
	int64		state = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	int64		nconds;
	uint32		seen = 0;
	int			i;

	if (how == WF_ARGS_ARRAY)
	{
		if (PG_ARGISNULL(1))
			PG_RETURN_INT64(state);
		nconds = wf_array_mask(PG_GETARG_ARRAYTYPE_P(1), 0, &seen,
							   "retention", 2, "conditions");
	}
	else if (how == WF_ARGS_VARIADIC)
	{
		/* VARIADIC NULL: the condition count is unknown, the row is skipped */
		if (PG_NARGS() != 3 || PG_ARGISNULL(2))
			PG_RETURN_INT64(state);
		if (!PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
			seen = 1;
		nconds = wf_array_mask(PG_GETARG_ARRAYTYPE_P(2), 1, &seen,
							   "retention", 2, "conditions");
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
	return ret_trans(fcinfo, WF_ARGS_SEPARATE);
}

/* retention(bool[]) */
Datum
crm_retention_arr_trans(PG_FUNCTION_ARGS)
{
	return ret_trans(fcinfo, WF_ARGS_ARRAY);
}

/* retention(bool, VARIADIC bool[]) */
Datum
crm_retention_var_trans(PG_FUNCTION_ARGS)
{
	return ret_trans(fcinfo, WF_ARGS_VARIADIC);
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

/* The error for a funnel_events state past its setting. */
static void
fe_too_many(int64 n)
{
	wf_too_many("funnel_events", "crm_sales.funnel_events_max_events",
				n, fe_max_events, 0);
}

/* Remember the memory of the state's context if it is the most so far. */
static void
fe_note_peak(FeState *st)
{
	if (message_level_is_interesting(DEBUG1))
	{
		Size		now = MemoryContextMemAllocated(GetMemoryChunkContext(st), true);

		st->peak = Max(st->peak, now);
	}
}

/* Make room for `more` bytes at the end of the log. */
static void
fe_log_reserve(FeState *st, int64 more)
{
	int64		need = st->loglen + more;
	int64		cap;

	if (need <= st->logcap)
		return;
	if (need > (int64) MaxAllocHugeSize / 2)
		fe_too_many(st->nevents);
	cap = Max(need, Max(st->logcap * 2, 65536));
	st->log = ev_grow(st->log, cap, 1);
	st->logcap = cap;
	fe_note_peak(st);
}

/*
 * Close the open entity: its level (the events are sorted by time in
 * place) counts in deepest[], and its record goes into the log.
 */
static void
fe_close(FeState *st)
{
	int			level;

	if (!st->has_open)
		return;
	wf_sort(st->ots, st->omask, st->on, st->sts, st->smask);
	level = wf_level_any(st->ots, st->omask, st->on, st->p.nsteps, st->p.window, st->p.flags);
	if (level > 0)
		st->deepest[level - 1]++;
	fe_log_reserve(st, EL_MAX_HEADER + (int64) st->on * EL_MAX_EVENT);
	st->loglen += el_put_entity(st->log + st->loglen, !st->has_closed,
								st->last_closed, st->open_entity, level,
								st->ots, st->omask, st->on);
	st->log_maxev = Max(st->log_maxev, st->on);
	st->has_closed = true;
	st->last_closed = st->open_entity;
	st->has_open = false;
	st->on = 0;
}

/* Append one event to the open entity (in the state's memory context). */
static void
fe_open_push(FeState *st, int64 ts, uint32 mask)
{
	if (st->on >= st->ocap)
	{
		int			cap = Max(16, st->ocap * 2);

		if (st->ocap >= fe_max_events)
			fe_too_many(st->nevents);
		st->ots = ev_grow(st->ots, cap, sizeof(int64));
		st->omask = ev_grow(st->omask, cap, sizeof(uint32));
		st->sts = ev_grow(st->sts, cap, sizeof(int64));
		st->smask = ev_grow(st->smask, cap, sizeof(uint32));
		st->ocap = cap;
	}
	st->ots[st->on] = ts;
	st->omask[st->on] = mask;
	st->on++;
}

/* Append one event that came out of entity order. */
static void
fe_raw_push(FeState *st, int64 entity, int64 ts, uint32 mask)
{
	if (st->rn >= st->rcap)
	{
		int64		cap = Max(st->rcap * 2, 1024);

		st->rentity = ev_grow(st->rentity, cap, sizeof(int64));
		st->rts = ev_grow(st->rts, cap, sizeof(int64));
		st->rmask = ev_grow(st->rmask, cap, sizeof(uint32));
		st->rcap = cap;
		fe_note_peak(st);
	}
	st->rentity[st->rn] = entity;
	st->rts[st->rn] = ts;
	st->rmask[st->rn] = mask;
	st->rn++;
}

/* Add a finished log to the state's runs. */
static void
fe_add_run(FeState *st, uint8 *data, int64 len, int64 maxev)
{
	if (len == 0)
		return;
	if (st->nruns >= st->runcap)
	{
		int			cap = Max(4, st->runcap * 2);

		st->runs = st->runs == NULL ? palloc(cap * sizeof(FeRun))
			: repalloc(st->runs, cap * sizeof(FeRun));
		st->runcap = cap;
	}
	st->runs[st->nruns].data = data;
	st->runs[st->nruns].len = len;
	st->runs[st->nruns].maxev = maxev;
	st->nruns++;
}

/*
 * Turn what the state holds into finished logs (runs): the open entity is
 * closed, the log of the entities that came in order becomes a run, and the
 * events that came out of order are grouped by entity (radix sort), their
 * levels computed, and written as one more run.  The entities both runs
 * hold are merged again by the final function.  Called in the state's
 * memory context.
 */
static void
fe_flush(FeState *st)
{
	fe_close(st);
	if (st->loglen > 0)
		fe_add_run(st, st->log, st->loglen, st->log_maxev);
	st->log = NULL;
	st->loglen = st->logcap = st->log_maxev = 0;
	st->has_closed = false;
	memset(st->deepest, 0, sizeof(st->deepest));
	if (st->rn > 0)
	{
		int64	   *s_ent = palloc_extended(st->rn * sizeof(int64), MCXT_ALLOC_HUGE);
		int64	   *s_ts = palloc_extended(st->rn * sizeof(int64), MCXT_ALLOC_HUGE);
		uint32	   *s_mask = palloc_extended(st->rn * sizeof(uint32), MCXT_ALLOC_HUGE);
		int64		i = 0;
		int64		maxev = 0;
		bool		first = true;
		int64		prev = 0;

		fe_note_peak(st);
		wf_group_entities(st->rentity, st->rts, st->rmask, st->rn, s_ent, s_ts, s_mask);
		CHECK_FOR_INTERRUPTS();
		while (i < st->rn)
		{
			int64		j = i + 1;
			int			level;

			while (j < st->rn && st->rentity[j] == st->rentity[i])
				j++;
			wf_sort(st->rts + i, st->rmask + i, j - i, s_ts, s_mask);
			level = wf_level_any(st->rts + i, st->rmask + i, j - i,
							 st->p.nsteps, st->p.window, st->p.flags);
			fe_log_reserve(st, EL_MAX_HEADER + (j - i) * EL_MAX_EVENT);
			st->loglen += el_put_entity(st->log + st->loglen, first, prev,
										st->rentity[i], level, st->rts + i,
										st->rmask + i, j - i);
			first = false;
			prev = st->rentity[i];
			maxev = Max(maxev, j - i);
			i = j;
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(s_ent);
		pfree(s_ts);
		pfree(s_mask);
		pfree(st->rentity);
		pfree(st->rts);
		pfree(st->rmask);
		st->rentity = st->rts = NULL;
		st->rmask = NULL;
		st->rn = st->rcap = 0;
		fe_add_run(st, st->log, st->loglen, maxev);
		st->log = NULL;
		st->loglen = st->logcap = 0;
	}
	/* whatever comes next (it should not) starts a fresh ordered log */
	st->ordered = true;
}

/*
 * Logs one state may hold before the final function rewrites them as one:
 * as a window function over rows not in entity order, every call of the
 * final function adds a log, and the merge goes through all of them.
 */
#define FE_MAX_RUNS 16

static void fe_bad_log(int rc, int len);

/*
 * Rewrite all logs of the state as one: their events go back to the raw
 * arrays and fe_flush groups them again (in the state's memory context).
 */
static void
fe_consolidate(FeState *st)
{
	int			i;

	for (i = 0; i < st->nruns; i++)
	{
		ElRun		r;

		el_run_init(&r, st->runs[i].data, st->runs[i].len);
		while (r.pos < r.end)
		{
			ElEntity	e;
			int			rc = el_get_entity(&r.pos, r.end, r.first, r.prev, &e);
			int64		k;

			if (rc != EL_OK)
				fe_bad_log(rc, -1);
			r.first = 0;
			r.prev = e.entity;
			/* room for the record's events, then decode them in place */
			for (k = 0; k < (int64) e.nevents; k++)
				fe_raw_push(st, e.entity, 0, 0);
			rc = el_get_events(&e, st->rts + st->rn - e.nevents, st->rmask + st->rn - e.nevents);
			if (rc != EL_OK)
				fe_bad_log(rc, -1);
		}
		pfree(st->runs[i].data);
	}
	st->nruns = 0;
	fe_flush(st);
}

/* A new, empty funnel_events state in the current memory context. */
static FeState *
fe_new(void)
{
	FeState    *st = palloc0(sizeof(FeState));

	st->ordered = true;
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
	uint32		mask;
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		(has_mode && PG_ARGISNULL(5)))
		PG_RETURN_POINTER(st);
	step = PG_GETARG_INT32(4);
	if (step < -(WF_MAX_STEPS - 1) || step > WF_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("funnel step %d is out of range", step),
				 errdetail("Steps are 1 to %d; 0 marks an event that matches no step, "
						   "-k (1 to %d) an exclusion event between steps k and k + 1.",
						   WF_MAX_STEPS, WF_MAX_STEPS - 1)));
	entity = PG_GETARG_INT64(2);
	ts = wf_ts(PG_GETARG_TIMESTAMPTZ(3));
	window = wf_row_window(st ? &st->p : NULL, st ? &st->raw_window : NULL,
						   PG_GETARG_INTERVAL_P(1));
	if (st == NULL)
	{
		old = MemoryContextSwitchTo(aggcontext);
		st = fe_new();
		MemoryContextSwitchTo(old);
	}
	if (has_mode)
		flags = wf_mode_cached(fcinfo, PG_GETARG_TEXT_PP(5));
	if (!st->p.set || st->p.window != window || st->p.flags != flags)
		wf_check_params(&st->p, window, flags, -1, "funnel_events");
	st->raw_window = *PG_GETARG_INTERVAL_P(1);
	/* an event matching no step matters only to strict_order */
	if (step == 0 && !(flags & WF_STRICT_ORDER))
		PG_RETURN_POINTER(st);
	if (step < 0)
	{
		/* an exclusion event: between steps -step and -step + 1 */
		if (flags & (WF_ANY_ORDER | WF_STRICT_ONCE))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("funnel_events exclusion steps do not combine with any_order or strict_once"),
					 errdetail("A row has step %d.", step)));
		st->p.flags |= WF_EXCLUSIONS;
		mask = WF_EXCLUSION_BIT | ((uint32) 1 << (-step - 1));
	}
	else
		mask = step == 0 ? 0 : (uint32) 1 << (step - 1);
	if ((st->p.flags & WF_EXCLUSIONS) && Max(step, st->p.nsteps) == WF_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_events takes at most %d steps with exclusion steps",
						WF_MAX_STEPS - 1),
				 errhint("Number the steps 1 to %d.", WF_MAX_STEPS - 1)));
	if (++st->nevents > fe_max_events)
		fe_too_many(st->nevents);
	if (step > st->p.nsteps)
		st->p.nsteps = step;
	old = MemoryContextSwitchTo(aggcontext);
	if (st->ordered)
	{
		if (!st->has_open || entity != st->open_entity)
		{
			if (st->has_open && entity < st->open_entity)
				st->ordered = false;
			else
			{
				fe_close(st);
				st->has_open = true;
				st->open_entity = entity;
			}
		}
		if (st->ordered)
			fe_open_push(st, ts, mask);
	}
	if (!st->ordered)
		fe_raw_push(st, entity, ts, mask);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/*
 * Merge two funnel_events states: both are turned into finished logs and
 * b's logs join a's (no copy); the final function merges them by entity.
 */
Datum
crm_funnel_events_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "funnel_events");
	FeState    *a = PG_ARGISNULL(0) ? NULL : (FeState *) PG_GETARG_POINTER(0);
	FeState    *b = PG_ARGISNULL(1) ? NULL : (FeState *) PG_GETARG_POINTER(1);
	MemoryContext old;
	int			i;

	if (b == NULL || !b->p.set)
		PG_RETURN_POINTER(a);
	/* as in window_funnel's combine: b is ours to keep */
	if (a == NULL || !a->p.set)
		PG_RETURN_POINTER(b);
	old = MemoryContextSwitchTo(aggcontext);
	wf_check_params(&a->p, b->p.window, b->p.flags, -1, "funnel_events");
	a->p.nsteps = Max(a->p.nsteps, b->p.nsteps);
	a->p.flags |= b->p.flags & WF_EXCLUSIONS;
	if (a->nevents + b->nevents > fe_max_events)
		fe_too_many(a->nevents + b->nevents);
	a->nevents += b->nevents;
	fe_flush(a);
	fe_flush(b);
	for (i = 0; i < b->nruns; i++)
		fe_add_run(a, b->runs[i].data, b->runs[i].len, b->runs[i].maxev);
	b->nruns = 0;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/*
 * funnel_events state -> bytea: the header (wf_send_header), the event
 * count and the number of logs, then each log as its length and its bytes
 * (event_log.h: varints, the same on every machine).
 */
Datum
crm_funnel_events_serial(PG_FUNCTION_ARGS)
{
	FeState    *st = (FeState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		total = 0;
	int			i;
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st));

	fe_flush(st);
	MemoryContextSwitchTo(old);
	for (i = 0; i < st->nruns; i++)
		total += 8 + st->runs[i].len;
	if (total > (int64) MaxAllocSize - 64)
		fe_too_many(st->nevents);
	pq_begintypsend(&buf);
	wf_send_header(&buf, 'e', &st->p);
	pq_sendint64(&buf, st->nevents);
	pq_sendint32(&buf, st->nruns);
	enlargeStringInfo(&buf, (int) total);
	for (i = 0; i < st->nruns; i++)
	{
		pq_sendint64(&buf, st->runs[i].len);
		appendBinaryStringInfo(&buf, (char *) st->runs[i].data, (int) st->runs[i].len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* The error for a log that el_check_log or el_merge_levels refused. */
static void
fe_bad_log(int rc, int len)
{
	wf_bad_state("funnel_events", rc == EL_TRUNCATED ? "truncated event log"
				 : "malformed event log", len);
}

/*
 * bytea -> funnel_events state in the aggregate context: the whole state
 * is checked first (el_check_state walks every record), so a truncated or
 * altered state is refused here; the logs are then copied as they are.
 */
Datum
crm_funnel_events_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "funnel_events");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	ElStateHeader h;
	FeState    *st;
	const uint8 *q;
	int			i;
	MemoryContext old;

	old = MemoryContextSwitchTo(aggcontext);
	st = fe_new();
	wf_check_state(b, 'e', &st->p, &h, "funnel_events");
	if (h.count > fe_max_events)
		fe_too_many(h.count);
	q = (const uint8 *) VARDATA_ANY(b) + EL_STATE_HEADER + 12;
	for (i = 0; i < h.nlogs; i++)
	{
		int64		len = (int64) el_be64(q);
		uint8	   *data = palloc_extended(len, MCXT_ALLOC_HUGE);

		memcpy(data, q + 8, len);
		q += 8 + len;
		fe_add_run(st, data, len, (int64) h.maxevents);
	}
	st->nevents = h.count;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/*
 * At DEBUG1, the memory the state's context holds at the end (the
 * benchmark reads it to report bytes per event).
 */
static void
fe_report_memory(FeState *st)
{
	int64		logbytes = st->loglen;
	int			i;

	if (!message_level_is_interesting(DEBUG1))
		return;
	for (i = 0; i < st->nruns; i++)
		logbytes += st->runs[i].len;
	fe_note_peak(st);
	ereport(DEBUG1,
			(errmsg_internal("funnel_events: %lld events, log %lld bytes, peak %zu bytes allocated in the aggregate context",
							 (long long) st->nevents, (long long) logbytes, st->peak)));
}

/*
 * The funnel: a positional crm_sales.funnel over steps 1..(highest step
 * seen), stage k reached by the entities whose deepest step is at least k.
 * NULL over no rows.  A state whose entities all came in order already
 * holds the answer (deepest[] plus the open entity); otherwise its logs
 * are merged by entity, about a million entities at a time between checks
 * for query cancel.
 */
Datum
crm_funnel_events_final(PG_FUNCTION_ARGS)
{
	FeState    *st = PG_ARGISNULL(0) ? NULL : (FeState *) PG_GETARG_POINTER(0);
	int64		deepest[WF_MAX_STEPS];
	ElRun	   *runs;
	int64		cap = 0;
	int64	   *s1;
	int64	   *s2;
	uint32	   *m1;
	uint32	   *m2;
	int			i;
	int			rc;

	if (st == NULL || st->p.nsteps < 1)
		PG_RETURN_NULL();
	if (st->nruns == 0 && st->rn == 0)
	{
		/* every entity came in order: count the open one too */
		memcpy(deepest, st->deepest, sizeof(deepest));
		if (st->has_open)
		{
			int			level;

			wf_sort(st->ots, st->omask, st->on, st->sts, st->smask);
			level = wf_level_any(st->ots, st->omask, st->on, st->p.nsteps,
							 st->p.window, st->p.flags);
			if (level > 0)
				deepest[level - 1]++;
		}
		fe_report_memory(st);
		return crm_funnel_positional(st->p.nsteps, deepest);
	}
	/* the final function may run more than once (window aggregates) */
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st));

		fe_flush(st);
		if (st->nruns > FE_MAX_RUNS)
			fe_consolidate(st);
		MemoryContextSwitchTo(old);
	}
	memset(deepest, 0, sizeof(deepest));
	runs = palloc(Max(st->nruns, 1) * sizeof(ElRun));
	for (i = 0; i < st->nruns; i++)
	{
		el_run_init(&runs[i], st->runs[i].data, st->runs[i].len);
		cap += st->runs[i].maxev;
	}
	cap = Max(cap, 1);
	s1 = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
	s2 = palloc_extended(cap * sizeof(int64), MCXT_ALLOC_HUGE);
	m1 = palloc_extended(cap * sizeof(uint32), MCXT_ALLOC_HUGE);
	m2 = palloc_extended(cap * sizeof(uint32), MCXT_ALLOC_HUGE);
	do
	{
		rc = el_merge_levels(runs, st->nruns, st->p.nsteps, st->p.window,
							 st->p.flags, deepest, 1048576, s1, m1, s2, m2, cap,
							 (st->p.flags & WF_STRICT_ONCE) ? wf_level_cb : NULL, NULL);
		CHECK_FOR_INTERRUPTS();
	} while (rc == EL_MORE);
	if (rc != EL_OK)
		fe_bad_log(rc, -1);
	fe_report_memory(st);
	pfree(runs);
	pfree(s1);
	pfree(s2);
	pfree(m1);
	pfree(m2);
	return crm_funnel_positional(st->p.nsteps, deepest);
}
