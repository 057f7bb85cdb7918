/*
 * event_sequence.c
 *		SQL glue of the sequence patterns (algorithm in core/funnel/sequence.c):
 *
 *	 crm_sales.sequence_match(pattern text, ts timestamptz,
 *							  cond1 bool, VARIADIC conds bool[])	-> boolean
 *	 crm_sales.sequence_count(pattern text, ts timestamptz,
 *							  cond1 bool, VARIADIC conds bool[])	-> bigint
 *		ClickHouse's sequenceMatch / sequenceCount over one group's events.
 *
 * State: the pattern text and 12 bytes per event (int64 timestamp + uint32
 * condition mask; rows where no condition holds are not events and are not
 * kept), bounded by crm_sales.sequence_max_events.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "event_funnel.h"
#include "funnel/event_log.h"
#include "funnel/sequence.h"
#include "funnel/window_funnel.h"

PG_FUNCTION_INFO_V1(crm_sequence_trans);
PG_FUNCTION_INFO_V1(crm_sequence_combine);
PG_FUNCTION_INFO_V1(crm_sequence_serial);
PG_FUNCTION_INFO_V1(crm_sequence_deserial);
PG_FUNCTION_INFO_V1(crm_sequence_match_final);
PG_FUNCTION_INFO_V1(crm_sequence_count_final);

/* Setting: the largest state one group may hold, in events. */
static int	seq_max_events = 1000000;

#define SEQ_MAX_EVENTS_LIMIT (int) ((MaxAllocSize - 1024 * 1024) / 12)

/* One group's state. */
typedef struct SeqState
{
	int32		nconds;
	int			plen;
	char	   *pattern;		/* not NUL-terminated */
	int64		n;
	int64		cap;
	int64	   *ts;
	uint32	   *mask;
} SeqState;

/* Define the setting (called from crm_window_funnel_init). */
void
crm_sequence_init(void)
{
	DefineCustomIntVariable("crm_sales.sequence_max_events",
							"Largest number of events one sequence_match or sequence_count group may hold.",
							"Each event (a row where a condition holds) takes 12 bytes of the group's state.",
							&seq_max_events,
							1000000, 1, SEQ_MAX_EVENTS_LIMIT,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* The setting, for sequence_next_node (event_next_node.c). */
int
crm_sequence_max_events(void)
{
	return seq_max_events;
}

/* The 1-based character position of byte offset pos in the pattern. */
static int
seq_char_pos(const char *p, size_t pos)
{
	return pg_mbstrlen_with_len(p, (int) pos) + 1;
}

/*
 * Parse a pattern for nconds conditions into actions (palloc'd, len + 1),
 * or raise 22023 naming the position of the problem.
 */
static SeqAction *
seq_parse_or_error(const char *p, int len, int nconds, int *nactions, int *has_time)
{
	SeqAction  *actions = palloc((len + 1) * sizeof(SeqAction));
	size_t		pos = 0;
	int			rc = seq_parse(p, len, nconds, USECS_PER_SEC, actions, nactions,
							   has_time, &pos);
	const char *what;

	if (rc == SEQ_OK)
		return actions;
	switch (rc)
	{
		case SEQ_ERR_SYMBOL:
			what = "unexpected symbol";
			break;
		case SEQ_ERR_NUMBER:
			what = "a number is expected";
			break;
		case SEQ_ERR_COND_RANGE:
			what = "condition number out of range";
			break;
		case SEQ_ERR_TIME_OP:
			what = "unknown time comparison";
			break;
		case SEQ_ERR_PAREN:
			what = "\")\" is expected";
			break;
		case SEQ_ERR_TIME_PLACE:
			what = "a time condition must follow an event, \".\" or \".*\"";
			break;
		default:
			what = "duration out of range";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid sequence pattern at position %d: %s",
					seq_char_pos(p, pos), what),
			 errdetail("The pattern is \"%.*s\"; the call has %d conditions.", len, p, nconds),
			 errhint("Patterns are made of (?N) for condition N (1 to %d), \".\" for any event, "
					 "\".*\" for any events, and time conditions such as (?t<=3600) or (?t>1d) "
					 "(seconds, or a unit s, m, h, d, w), with no blanks.", nconds)));
	return NULL;				/* not reached */
}

/*
 * Check a row's pattern and condition count against the group's (taken
 * from its first row), or take them.  A new pattern text is parsed once
 * per call site (the last one is kept in fn_extra) so a bad pattern fails
 * on the first row.
 */
static void
seq_check_pattern(FunctionCallInfo fcinfo, SeqState *st, text *pat, int nconds,
				  MemoryContext aggcontext)
{
	typedef struct PatCache
	{
		int			nconds;
		int			len;
		char		data[FLEXIBLE_ARRAY_MEMBER];
	} PatCache;
	PatCache   *c = (PatCache *) fcinfo->flinfo->fn_extra;
	const char *p = VARDATA_ANY(pat);
	int			len = VARSIZE_ANY_EXHDR(pat);

	if (st->pattern != NULL)
	{
		if (st->plen != len || memcmp(st->pattern, p, len) != 0 || st->nconds != nconds)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sequence patterns need the same pattern and conditions in every row of a group"),
					 errdetail("A row has pattern \"%.*s\" with %d conditions; an earlier one \"%.*s\" with %d.",
							   len, p, nconds, st->plen, st->pattern, st->nconds),
					 errhint("Pass the pattern as a constant.")));
		return;
	}
	if (c == NULL || c->len != len || c->nconds != nconds || memcmp(c->data, p, len) != 0)
	{
		int			na,
					ht;

		pfree(seq_parse_or_error(p, len, nconds, &na, &ht));
		if (c == NULL || c->len < len)
			c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, offsetof(PatCache, data) + len);
		c->len = len;
		c->nconds = nconds;
		memcpy(c->data, p, len);
		fcinfo->flinfo->fn_extra = c;
	}
	st->pattern = MemoryContextAlloc(aggcontext, Max(len, 1));
	memcpy(st->pattern, p, len);
	st->plen = len;
	st->nconds = nconds;
}

/* Make room for more events, or fail naming the setting. */
static void
seq_reserve(SeqState *st, int64 more)
{
	int64		need = st->n + more;
	int64		cap;

	if (need > seq_max_events)
		wf_too_many("sequence pattern", "crm_sales.sequence_max_events",
					need, seq_max_events, 12);
	if (need <= st->cap)
		return;
	cap = Min(Max(need, Max(st->cap * 2, 8)), (int64) seq_max_events);
	st->ts = ev_grow(st->ts, cap, sizeof(int64));
	st->mask = ev_grow(st->mask, cap, sizeof(uint32));
	st->cap = cap;
}

/*
 * sequence_match / sequence_count (pattern, ts, cond1, VARIADIC conds):
 * rows with a NULL pattern or timestamp, or VARIADIC NULL, are skipped; a
 * NULL condition is false; a row where no condition holds is no event.
 */
Datum
crm_sequence_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_match");
	SeqState   *st = PG_ARGISNULL(0) ? NULL : (SeqState *) PG_GETARG_POINTER(0);
	uint32		mask = 0;
	int			nconds;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_NARGS() != 5 || PG_ARGISNULL(4))
		PG_RETURN_POINTER(st);
	arr = PG_GETARG_ARRAYTYPE_P(4);
	deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &nelems);
	nconds = 1 + nelems;
	if (nconds < 2 || nconds > SEQ_MAX_CONDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence patterns take 2 to %d conditions", SEQ_MAX_CONDS),
				 errdetail("The call gives %d conditions.", nconds)));
	if (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3))
		mask = 1;
	for (i = 0; i < nelems; i++)
		if (!nulls[i] && DatumGetBool(elems[i]))
			mask |= (uint32) 1 << (i + 1);
	if (st == NULL)
		st = MemoryContextAllocZero(aggcontext, sizeof(SeqState));
	seq_check_pattern(fcinfo, st, PG_GETARG_TEXT_PP(1), nconds, aggcontext);
	if (mask != 0)
	{
		int64		ts = wf_ts(PG_GETARG_TIMESTAMPTZ(2));

		if (st->n >= st->cap)
		{
			old = MemoryContextSwitchTo(aggcontext);
			seq_reserve(st, 1);
			MemoryContextSwitchTo(old);
		}
		st->ts[st->n] = ts;
		st->mask[st->n] = mask;
		st->n++;
	}
	PG_RETURN_POINTER(st);
}

/* Merge two states (parallel query): b's events are appended to a's. */
Datum
crm_sequence_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_match");
	SeqState   *a = PG_ARGISNULL(0) ? NULL : (SeqState *) PG_GETARG_POINTER(0);
	SeqState   *b = PG_ARGISNULL(1) ? NULL : (SeqState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL || b->pattern == NULL)
		PG_RETURN_POINTER(a);
	/* b comes from the deserial function, in the aggregate context: keep it */
	if (a == NULL || a->pattern == NULL)
		PG_RETURN_POINTER(b);
	if (a->plen != b->plen || memcmp(a->pattern, b->pattern, a->plen) != 0 ||
		a->nconds != b->nconds)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence patterns need the same pattern and conditions in every row of a group")));
	old = MemoryContextSwitchTo(aggcontext);
	if (b->n > 0)
	{
		seq_reserve(a, b->n);
		memcpy(a->ts + a->n, b->ts, b->n * sizeof(int64));
		memcpy(a->mask + a->n, b->mask, b->n * sizeof(uint32));
		a->n += b->n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/*
 * State -> bytea (event_log.h, kind 'm'): the header, the pattern, the
 * event count and the (ts, mask) pairs, in network byte order.
 */
Datum
crm_sequence_serial(PG_FUNCTION_ARGS)
{
	SeqState   *st = (SeqState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, EL_STATE_VERSION);
	pq_sendbyte(&buf, 'm');
	pq_sendbyte(&buf, st->pattern != NULL ? 1 : 0);
	pq_sendint32(&buf, 0);
	pq_sendint32(&buf, st->nconds);
	pq_sendint64(&buf, 0);
	pq_sendint32(&buf, st->plen);
	appendBinaryStringInfo(&buf, st->pattern != NULL ? st->pattern : "", st->plen);
	pq_sendint64(&buf, st->n);
	enlargeStringInfo(&buf, st->n * 12);
	for (i = 0; i < st->n; i++)
	{
		pq_writeint64(&buf, st->ts[i]);
		pq_writeint32(&buf, st->mask[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytea -> state in the aggregate context, checked whole first. */
Datum
crm_sequence_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_match");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(b);
	int			len = VARSIZE_ANY_EXHDR(b);
	ElStateHeader h;
	SeqState   *st;
	const uint8 *q;
	MemoryContext old;

	wf_check_serialized(b, 'm', 0, &h, "sequence_match");
	if (!h.set || h.nsteps < 2)
		wf_bad_state("sequence_match", "malformed", len);
	if (h.count > seq_max_events)
		wf_too_many("sequence pattern", "crm_sales.sequence_max_events",
					h.count, seq_max_events, 12);
	old = MemoryContextSwitchTo(aggcontext);
	st = palloc0(sizeof(SeqState));
	st->nconds = h.nsteps;
	st->plen = (int) h.pattern_len;
	st->pattern = palloc(Max(st->plen, 1));
	memcpy(st->pattern, data + EL_STATE_HEADER + 4, st->plen);
	q = data + EL_STATE_HEADER + 4 + st->plen + 8;
	if (h.count > 0)
	{
		seq_reserve(st, h.count);
		el_get_pairs(q, h.count, st->ts, st->mask);
		st->n = h.count;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/*
 * Sort the state's events and run the pattern: count = false for
 * sequence_match (*result 0/1), true for sequence_count.
 */
static int64
seq_run(SeqState *st, bool count)
{
	SeqAction  *actions;
	int			na,
				has_time;
	size_t	   *stack;
	unsigned char *states;
	int			rc;
	int64		result = 0;

	/* the pattern was checked on the first row; a crafted state is checked here */
	actions = seq_parse_or_error(st->pattern, st->plen, st->nconds, &na, &has_time);
	if (st->n > 1)
	{
		int64	   *sts = palloc_extended(st->n * sizeof(int64), MCXT_ALLOC_HUGE);
		uint32	   *smask = palloc_extended(st->n * sizeof(uint32), MCXT_ALLOC_HUGE);

		wf_sort(st->ts, st->mask, st->n, sts, smask);
		pfree(sts);
		pfree(smask);
	}
	stack = palloc((size_t) na * 3 * sizeof(size_t));
	states = palloc(3 * (size_t) (na + 1));
	if (count)
		rc = seq_count(actions, na, st->ts, st->mask, st->n, stack, na, &result);
	else
	{
		int			m = 0;

		rc = seq_match(actions, na, has_time, st->ts, st->mask, st->n, stack, na,
					   states, &m);
		result = m;
	}
	if (rc == SEQ_ERR_TOO_HARD)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence pattern \"%.*s\" needs more than %d matching steps",
						st->plen, st->pattern, SEQ_MAX_ITERATIONS),
				 errdetail("The group has %lld events.", (long long) st->n),
				 errhint("Use fewer \".*\" and time conditions, or fewer events per group "
						 "(ClickHouse stops at the same limit).")));
	pfree(actions);
	pfree(stack);
	pfree(states);
	return result;
}

/* sequence_match: does the pattern match the group's events?  NULL over no rows. */
Datum
crm_sequence_match_final(PG_FUNCTION_ARGS)
{
	SeqState   *st = PG_ARGISNULL(0) ? NULL : (SeqState *) PG_GETARG_POINTER(0);

	if (st == NULL || st->pattern == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(seq_run(st, false) != 0);
}

/* sequence_count: non-overlapping matches in the group's events.  NULL over no rows. */
Datum
crm_sequence_count_final(PG_FUNCTION_ARGS)
{
	SeqState   *st = PG_ARGISNULL(0) ? NULL : (SeqState *) PG_GETARG_POINTER(0);

	if (st == NULL || st->pattern == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(seq_run(st, true));
}
