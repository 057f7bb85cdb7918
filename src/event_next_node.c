/*
 * event_next_node.c
 *		SQL glue of next-step analysis (algorithm in core/funnel/next_node.c):
 *
 *	 crm_sales.sequence_next_node(direction text, base text, ts timestamptz,
 *			value text, base_condition boolean
 *			[, event1 boolean [, VARIADIC events boolean[]]])	-> text
 *		ClickHouse's sequenceNextNode: the value of the node that follows
 *		(forward) or precedes (backward) the matched events.
 *
 * State: every row of the group (ClickHouse keeps them all too): 24 bytes
 * per node plus its value's bytes, bounded by crm_sales.sequence_max_events.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "event_funnel.h"
#include "funnel/event_log.h"
#include "funnel/next_node.h"

PG_FUNCTION_INFO_V1(crm_next_node_trans);
PG_FUNCTION_INFO_V1(crm_next_node_combine);
PG_FUNCTION_INFO_V1(crm_next_node_serial);
PG_FUNCTION_INFO_V1(crm_next_node_deserial);
PG_FUNCTION_INFO_V1(crm_next_node_final);

#define NN_MAX_EVENTS 32

/* A node as kept in the state: the value lives in the state's byte buffer. */
typedef struct NnRow
{
	int64		ts;
	int64		off;			/* value offset in the buffer */
	uint32		len;
	uint32		events;
	bool		can_be_base;
} NnRow;

/* One group's state. */
typedef struct NnState
{
	bool		set;
	int			direction;
	int			base;
	int			nevents;
	int64		n;
	int64		cap;
	NnRow	   *rows;
	char	   *bytes;			/* the values, one after the other */
	int64		nbytes;
	int64		bytecap;
} NnState;

/* The keyword of a direction or base argument, or 22023 naming it. */
static int
nn_keyword(text *t, bool is_base)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			k = is_base ? nn_parse_base(s, len) : nn_parse_direction(s, len);

	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown sequence_next_node %s \"%.*s\"",
						is_base ? "base" : "direction", len, s),
				 errhint(is_base ? "The base is head, tail, first_match or last_match."
						 : "The direction is forward or backward.")));
	return k;
}

/* Room for one more row of len value bytes, or 54000 naming the setting. */
static void
nn_reserve(NnState *st, int64 len)
{
	int			limit = crm_sequence_max_events();

	if (st->n + 1 > limit)
		wf_too_many("sequence_next_node", "crm_sales.sequence_max_events",
					st->n + 1, limit, 0);
	if (st->n >= st->cap)
	{
		int64		cap = Min(Max(st->cap * 2, 16), (int64) limit);

		st->rows = ev_grow(st->rows, cap, sizeof(NnRow));
		st->cap = cap;
	}
	if (st->nbytes + len > st->bytecap)
	{
		int64		cap = Max(st->nbytes + len, Max(st->bytecap * 2, 1024));

		if (cap > (int64) MaxAllocHugeSize / 2)
			wf_too_many("sequence_next_node", "crm_sales.sequence_max_events",
						st->n + 1, limit, 0);
		st->bytes = ev_grow(st->bytes, cap, 1);
		st->bytecap = cap;
	}
}

/* Append one row (in the state's memory context). */
static void
nn_push(NnState *st, int64 ts, const char *value, uint32 len, uint32 events, bool base)
{
	NnRow	   *r;

	nn_reserve(st, len);
	r = &st->rows[st->n++];
	r->ts = ts;
	r->off = st->nbytes;
	r->len = len;
	r->events = events;
	r->can_be_base = base;
	memcpy(st->bytes + st->nbytes, value, len);
	st->nbytes += len;
}

/*
 * sequence_next_node(direction, base, ts, value, base_condition [, events]):
 * rows with a NULL direction, base, timestamp or value, or VARIADIC NULL,
 * are skipped; a NULL condition is false.
 */
Datum
crm_next_node_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_next_node");
	NnState    *st = PG_ARGISNULL(0) ? NULL : (NnState *) PG_GETARG_POINTER(0);
	int			nargs = PG_NARGS();
	int			direction,
				base;
	int			nevents = 0;
	uint32		events = 0;
	int64		ts;
	text	   *value;
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		(nargs == 8 && PG_ARGISNULL(7)))
		PG_RETURN_POINTER(st);
	if (nargs >= 7)
	{
		nevents = 1;
		if (!PG_ARGISNULL(6) && PG_GETARG_BOOL(6))
			events = 1;
	}
	if (nargs == 8)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(7), BOOLOID, 1, true, TYPALIGN_CHAR,
						  &elems, &nulls, &nelems);
		if (1 + nelems > NN_MAX_EVENTS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sequence_next_node takes at most %d events", NN_MAX_EVENTS),
					 errdetail("The call gives %d events.", 1 + nelems)));
		for (i = 0; i < nelems; i++)
			if (!nulls[i] && DatumGetBool(elems[i]))
				events |= (uint32) 1 << (i + 1);
		nevents = 1 + nelems;
	}
	direction = nn_keyword(PG_GETARG_TEXT_PP(1), false);
	base = nn_keyword(PG_GETARG_TEXT_PP(2), true);
	if (!nn_valid(direction, base, nevents))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence_next_node does not take base %s with direction %s%s",
						text_to_cstring(PG_GETARG_TEXT_PP(2)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
						nevents == 0 && (base == NN_FIRST_MATCH || base == NN_LAST_MATCH) ?
						" and no event" : ""),
				 errhint("head goes forward, tail backward; first_match and last_match need "
						 "at least one event (ClickHouse's rules).")));
	if (st != NULL && st->set &&
		(st->direction != direction || st->base != base || st->nevents != nevents))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence_next_node needs the same direction, base and events in every row of a group"),
				 errhint("Pass the direction and base as constants.")));
	ts = wf_ts(PG_GETARG_TIMESTAMPTZ(3));
	value = PG_GETARG_TEXT_PP(4);
	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = palloc0(sizeof(NnState));
	st->set = true;
	st->direction = direction;
	st->base = base;
	st->nevents = nevents;
	nn_push(st, ts, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), events,
			!PG_ARGISNULL(5) && PG_GETARG_BOOL(5));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* Merge two states: b's rows are appended to a's. */
Datum
crm_next_node_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_next_node");
	NnState    *a = PG_ARGISNULL(0) ? NULL : (NnState *) PG_GETARG_POINTER(0);
	NnState    *b = PG_ARGISNULL(1) ? NULL : (NnState *) PG_GETARG_POINTER(1);
	MemoryContext old;
	int64		i;

	if (b == NULL || !b->set)
		PG_RETURN_POINTER(a);
	/* b comes from the deserial function, in the aggregate context: keep it */
	if (a == NULL || !a->set)
		PG_RETURN_POINTER(b);
	if (a->direction != b->direction || a->base != b->base || a->nevents != b->nevents)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence_next_node needs the same direction, base and events in every row of a group")));
	old = MemoryContextSwitchTo(aggcontext);
	for (i = 0; i < b->n; i++)
		nn_push(a, b->rows[i].ts, b->bytes + b->rows[i].off, b->rows[i].len,
				b->rows[i].events, b->rows[i].can_be_base);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/*
 * State -> bytea (event_log.h, kind 'n'): the header (flags = direction +
 * 16 * base, nsteps = events), the row count, then per row int64 ts, uint32
 * events, uint8 base condition, uint32 length and the value's bytes, in
 * network byte order.
 */
Datum
crm_next_node_serial(PG_FUNCTION_ARGS)
{
	NnState    *st = (NnState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, EL_STATE_VERSION);
	pq_sendbyte(&buf, 'n');
	pq_sendbyte(&buf, st->set ? 1 : 0);
	pq_sendint32(&buf, st->direction + 16 * st->base);
	pq_sendint32(&buf, st->nevents);
	pq_sendint64(&buf, 0);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->rows[i].ts);
		pq_sendint32(&buf, st->rows[i].events);
		pq_sendbyte(&buf, st->rows[i].can_be_base ? 1 : 0);
		pq_sendint32(&buf, st->rows[i].len);
		pq_sendbytes(&buf, st->bytes + st->rows[i].off, st->rows[i].len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytea -> state in the aggregate context, checked whole first. */
Datum
crm_next_node_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = wf_agg_context(fcinfo, "sequence_next_node");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(b);
	int			len = VARSIZE_ANY_EXHDR(b);
	ElStateHeader h;
	NnState    *st;
	const uint8 *q;
	int64		i;
	MemoryContext old;

	wf_check_serialized(b, 'n', 0xFF, &h, "sequence_next_node");
	if (!h.set || !nn_valid(h.flags % 16, h.flags / 16, h.nsteps) ||
		h.flags % 16 > NN_BACKWARD || h.flags / 16 > NN_LAST_MATCH)
		wf_bad_state("sequence_next_node", "malformed", len);
	old = MemoryContextSwitchTo(aggcontext);
	st = palloc0(sizeof(NnState));
	st->set = true;
	st->direction = h.flags % 16;
	st->base = h.flags / 16;
	st->nevents = h.nsteps;
	q = data + EL_STATE_HEADER + 8;
	for (i = 0; i < h.count; i++)
	{
		uint32		vlen = el_be32(q + 13);

		nn_push(st, (int64) el_be64(q), (const char *) q + 17, vlen, el_be32(q + 8), q[12] != 0);
		q += 17 + vlen;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* The value of the next (or previous) node; NULL when there is none. */
Datum
crm_next_node_final(PG_FUNCTION_ARGS)
{
	NnState    *st = PG_ARGISNULL(0) ? NULL : (NnState *) PG_GETARG_POINTER(0);
	NnNode	   *nodes;
	NnNode	   *scratch;
	int64		i;
	int64		k;
	text	   *result;

	if (st == NULL || !st->set || st->n == 0)
		PG_RETURN_NULL();
	nodes = palloc_extended(st->n * sizeof(NnNode), MCXT_ALLOC_HUGE);
	scratch = palloc_extended(st->n * sizeof(NnNode), MCXT_ALLOC_HUGE);
	for (i = 0; i < st->n; i++)
	{
		nodes[i].ts = st->rows[i].ts;
		nodes[i].value = st->bytes + st->rows[i].off;
		nodes[i].len = st->rows[i].len;
		nodes[i].events = st->rows[i].events;
		nodes[i].can_be_base = st->rows[i].can_be_base;
	}
	nn_sort(nodes, st->n, scratch);
	k = nn_next_node(nodes, st->n, st->direction, st->base, st->nevents);
	if (k < 0)
		PG_RETURN_NULL();
	result = cstring_to_text_with_len(nodes[k].value, nodes[k].len);
	pfree(nodes);
	pfree(scratch);
	PG_RETURN_TEXT_P(result);
}
