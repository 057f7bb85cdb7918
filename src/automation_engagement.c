/*
 * automation_engagement.c
 *		The email_engagement type and aggregates (SQL glue of
 *		src/core/automation/engagement.c): text and binary I/O, the
 *		transition, combine and merge functions, and the readers.
 *
 * The state is a fixed-size SQL type (struct eng_state, 152 bytes), so
 * that rollup tables can store it, parallel query and Citus can ship it,
 * and the transition function can update it in place.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "automation/engagement.h"

/* the size the install script declares (INTERNALLENGTH) */
StaticAssertDecl(sizeof(eng_state) == 152, "email_engagement is 152 bytes");

/* default half-life of the score: 14 days */
#define DEFAULT_HALF_LIFE ((int64) 14 * USECS_PER_DAY)

PG_FUNCTION_INFO_V1(crm_engagement_in);

/* Text input: the form of eng_format(); 22P02 for anything else. */
Datum
crm_engagement_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	eng_state  *s = palloc(sizeof(eng_state));
	size_t		pos;
	eng_status	st = eng_parse(str, strlen(str), s, &pos);

	if (st == ENG_SYNTAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type email_engagement: \"%s\"", str),
				 errdetail("Unexpected text at byte %zu.", pos + 1),
				 errhint("Build values with crm_sales.email_engagement(kind, at); the text form is the one they print.")));
	if (st != ENG_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid email_engagement value: \"%s\"", str),
				 errdetail("The counts, recipients, times or score are not consistent with each other.")));
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(crm_engagement_out);

/* Text output (round-trips through crm_engagement_in). */
Datum
crm_engagement_out(PG_FUNCTION_ARGS)
{
	eng_state  *s = (eng_state *) PG_GETARG_POINTER(0);
	char	   *buf = palloc(ENG_TEXT_MAX);

	eng_format(s, buf, ENG_TEXT_MAX);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(crm_engagement_send);

/* Binary output: version, then every field, big-endian. */
Datum
crm_engagement_send(PG_FUNCTION_ARGS)
{
	eng_state  *s = (eng_state *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			k;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->version);
	pq_sendint32(&buf, s->flags);
	pq_sendint64(&buf, s->half_life);
	pq_sendint64(&buf, s->as_of);
	for (k = 0; k < ENG_NKINDS; k++)
		pq_sendint64(&buf, s->n[k]);
	pq_sendint64(&buf, s->recipients);
	for (k = 0; k < ENG_NKINDS; k++)
		pq_sendint64(&buf, s->unique[k]);
	pq_sendint64(&buf, s->first_at);
	pq_sendint64(&buf, s->last_at);
	pq_sendfloat8(&buf, s->score);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_engagement_recv);

/* Binary input: refuses another version, a wrong length, impossible values. */
Datum
crm_engagement_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	eng_state  *s = palloc0(sizeof(eng_state));
	int			k;

	if (buf->len - buf->cursor != 4 + 4 + 8 * 18)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary email_engagement: %d bytes, expected %d",
						buf->len - buf->cursor, 4 + 4 + 8 * 18)));
	s->version = pq_getmsgint(buf, 4);
	if (s->version != ENG_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary email_engagement version %d", s->version),
				 errhint("This library reads version %d.", ENG_VERSION)));
	s->flags = pq_getmsgint(buf, 4);
	s->half_life = pq_getmsgint64(buf);
	s->as_of = pq_getmsgint64(buf);
	for (k = 0; k < ENG_NKINDS; k++)
		s->n[k] = pq_getmsgint64(buf);
	s->recipients = pq_getmsgint64(buf);
	for (k = 0; k < ENG_NKINDS; k++)
		s->unique[k] = pq_getmsgint64(buf);
	s->first_at = pq_getmsgint64(buf);
	s->last_at = pq_getmsgint64(buf);
	s->score = pq_getmsgfloat8(buf);
	if (eng_check(s) != ENG_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary email_engagement: inconsistent values")));
	PG_RETURN_POINTER(s);
}

/* Turn an eng_status other than OK into an SQL error. */
static void
eng_report(eng_status st)
{
	switch (st)
	{
		case ENG_OK:
		case ENG_SKIPPED:
			return;
		case ENG_OVERFLOW:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("email_engagement: a count is out of range for bigint")));
			break;
		case ENG_MISMATCH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("email_engagement states with different half-lives or as_of cannot be merged"),
					 errhint("Aggregate every state with the same as_of and half_life.")));
			break;
		case ENG_NOT_ONE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("email_engagement_combine() combines states of one recipient"),
					 errdetail("A state of several recipients (from email_engagement_merge) cannot be told apart by recipient."),
					 errhint("Use crm_sales.email_engagement_merge() for states of different recipients.")));
			break;
		case ENG_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("email_engagement: the score is out of range at that time"),
					 errhint("Read the score at or after the latest event.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("email_engagement: invalid state")));
	}
}

/* A half-life interval in microseconds: positive, no months. */
static int64
half_life_arg(Interval *iv)
{
	int64		us;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must not have months or years"),
				 errhint("Give it in days, e.g. '30 days'.")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, iv->time, &us))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("half_life is out of range")));
	if (us <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must be positive"),
				 errhint("E.g. '14 days'.")));
	return us;
}

/* Refuse an infinite timestamp. */
static TimestampTz
finite_arg(TimestampTz t, const char *name)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("email_engagement: %s must be finite", name)));
	return t;
}

/*
 * The state to update: the aggregate's own (updated in place), a fresh one
 * in the aggregate context, or a copy when not called as an aggregate.
 */
static eng_state *
state_for_update(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext aggcxt;
	eng_state  *s;

	if (AggCheckCallContext(fcinfo, &aggcxt))
	{
		if (PG_ARGISNULL(argno))
			return MemoryContextAllocZero(aggcxt, sizeof(eng_state));
		return (eng_state *) PG_GETARG_POINTER(argno);
	}
	s = palloc0(sizeof(eng_state));
	if (!PG_ARGISNULL(argno))
		memcpy(s, PG_GETARG_POINTER(argno), sizeof(eng_state));
	return s;
}

PG_FUNCTION_INFO_V1(crm_engagement_trans);

/*
 * Transition of email_engagement(kind, at [, as_of [, half_life]]): a row
 * with NULL kind or time is skipped; as_of and half_life must be the same
 * for every row of a group.
 */
Datum
crm_engagement_trans(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	bool		has_as_of = nargs >= 4;
	TimestampTz as_of = 0;
	int64		half_life = DEFAULT_HALF_LIFE;
	char	   *kind;
	int			k;
	TimestampTz at;
	eng_state  *s;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (has_as_of)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("email_engagement: as_of must not be NULL"),
					 errhint("Leave the argument out to count every event.")));
		as_of = finite_arg(PG_GETARG_TIMESTAMPTZ(3), "as_of");
	}
	if (nargs >= 5)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("email_engagement: half_life must not be NULL")));
		half_life = half_life_arg(PG_GETARG_INTERVAL_P(4));
	}
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	k = eng_kind_from_name(kind, strlen(kind));
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email event kind \"%s\"", kind),
				 errhint("Use sent, delivered, opened, clicked, bounced or unsubscribed.")));
	at = finite_arg(PG_GETARG_TIMESTAMPTZ(2), "event time");

	s = state_for_update(fcinfo, 0);
	if (s->version == 0)
		eng_init(s, half_life, has_as_of, as_of);
	else if (s->half_life != half_life || (s->flags & ENG_HAS_AS_OF) != (has_as_of ? ENG_HAS_AS_OF : 0) ||
			 s->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("email_engagement: as_of and half_life must be the same for every row of a group")));
	eng_report(eng_add(s, (eng_kind) k, at));
	PG_RETURN_POINTER(s);
}

/* Combine (same recipient) or merge (different recipients) two states. */
static Datum
engagement_join(FunctionCallInfo fcinfo, bool merge)
{
	eng_state  *s;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	s = state_for_update(fcinfo, 0);
	if (s->version == 0)
		memcpy(s, PG_GETARG_POINTER(1), sizeof(eng_state));
	else
		eng_report(merge ? eng_merge(s, (eng_state *) PG_GETARG_POINTER(1))
				   : eng_combine(s, (eng_state *) PG_GETARG_POINTER(1)));
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(crm_engagement_combine);

/* Combine states of the same recipient (the aggregate's combinefunc). */
Datum
crm_engagement_combine(PG_FUNCTION_ARGS)
{
	return engagement_join(fcinfo, false);
}

PG_FUNCTION_INFO_V1(crm_engagement_merge);

/* Merge states of different recipients (email_engagement_merge). */
Datum
crm_engagement_merge(PG_FUNCTION_ARGS)
{
	return engagement_join(fcinfo, true);
}

/* The time to decay the score to: the argument, the state's as_of, now(). */
static TimestampTz
read_time(FunctionCallInfo fcinfo, const eng_state *s)
{
	if (!PG_ARGISNULL(1))
		return finite_arg(PG_GETARG_TIMESTAMPTZ(1), "as_of");
	if (s->flags & ENG_HAS_AS_OF)
		return s->as_of;
	return GetCurrentTransactionStartTimestamp();
}

/* Float8 Datum, NULL for NaN (a rate whose denominator is 0). */
static Datum
rate_datum(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(*isnull ? 0.0 : v);
}

PG_FUNCTION_INFO_V1(crm_engagement_stats);

/* email_engagement_stats(state, as_of): the figures of a state. */
Datum
crm_engagement_stats(PG_FUNCTION_ARGS)
{
	eng_state  *s;
	TupleDesc	desc;
	Datum		v[17];
	bool		nulls[17];
	eng_rates	r;
	double		score;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (eng_state *) PG_GETARG_POINTER(0);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "crm_sales: email_engagement_stats must return a row");
	desc = BlessTupleDesc(desc);
	memset(nulls, 0, sizeof(nulls));
	eng_report(eng_score_at(s, read_time(fcinfo, s), &score));
	eng_get_rates(s, &r);
	v[0] = Int64GetDatum(s->recipients);
	v[1] = Int64GetDatum(s->n[ENG_SENT]);
	v[2] = Int64GetDatum(s->n[ENG_DELIVERED]);
	v[3] = Int64GetDatum(s->n[ENG_OPENED]);
	v[4] = Int64GetDatum(s->n[ENG_CLICKED]);
	v[5] = Int64GetDatum(s->n[ENG_BOUNCED]);
	v[6] = Int64GetDatum(s->n[ENG_UNSUBSCRIBED]);
	v[7] = Int64GetDatum(s->unique[ENG_OPENED]);
	v[8] = Int64GetDatum(s->unique[ENG_CLICKED]);
	v[9] = rate_datum(r.open_rate, &nulls[9]);
	v[10] = rate_datum(r.click_rate, &nulls[10]);
	v[11] = rate_datum(r.click_to_open, &nulls[11]);
	v[12] = rate_datum(r.bounce_rate, &nulls[12]);
	v[13] = rate_datum(r.unsubscribe_rate, &nulls[13]);
	v[14] = Float8GetDatum(score);
	v[15] = TimestampTzGetDatum(s->first_at);
	v[16] = TimestampTzGetDatum(s->last_at);
	nulls[15] = nulls[16] = (eng_total(s) == 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, nulls)));
}

PG_FUNCTION_INFO_V1(crm_engagement_score);

/* email_engagement_score(state, as_of): the decayed score. */
Datum
crm_engagement_score(PG_FUNCTION_ARGS)
{
	eng_state  *s;
	double		score;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (eng_state *) PG_GETARG_POINTER(0);
	eng_report(eng_score_at(s, read_time(fcinfo, s), &score));
	PG_RETURN_FLOAT8(score);
}
