/*
 * automation.c
 *		Sales automation: follow-up rules fired by stage moves, tasks,
 *		activities, the outbox's NOTIFY, business calendars and title
 *		templates (the SQL part is sql/areas/60_automation.sql; the pure C
 *		in src/core/automation/).
 *
 * Stage moves.  enforce.c calls crm_automation_on_move() for every move it
 * accepts and records, in the same trigger call: stage-entry rules of the
 * table create their tasks (and task_created events), a move into a won or
 * lost stage cancels the entity's open follow-ups, the idle clock of a
 * table with an inactivity rule restarts, and a published table gets a
 * stage_moved event.  All of it is in the transaction of the move.
 *
 * Caches.  The rules of each table and the business calendars are read
 * once per backend (under the latest snapshot, as stage_model.c reads
 * models) and kept until one of their config tables changes: the tables'
 * config_changed() trigger queues a relcache invalidation, whose callback
 * here marks the cache stale; it is emptied at the next lookup.  Nothing
 * read from the cache is kept across a later lookup: callers copy what
 * they need first.
 *
 * Privileges.  The task, activity, idle-clock and outbox tables are written
 * only by the owner of crm_sales.task (the extension owner).  The trigger
 * path and the task and activity functions check what the calling role may
 * do, then write as that owner inside a security-restricted operation, the
 * way enforce.c writes the stage history; everything computed from the
 * caller's row (titles, owners) is computed before the switch.
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "crm_sales.h"
#include "automation/calendar.h"
#include "automation/template.h"

/* crm_sales.outbox_retention: minutes acknowledged events are kept */
static int	outbox_retention_minutes = 7 * 24 * 60;

/* the NOTIFY channel of the outbox */
#define OUTBOX_CHANNEL "crm_sales_outbox"

/* longest rendered task title, in bytes */
#define TITLE_MAX_BYTES 2000

/* ----------------------------------------------------------------------
 * Caches of rules and calendars
 * ---------------------------------------------------------------------- */

/* A stage-entry rule, as the trigger path needs it. */
typedef struct AutoRule
{
	char	   *name;
	Oid			model;
	char	   *stage;
	char	   *owner_column;	/* NULL: unassigned */
	char	   *title;
	Interval	due_in;
	char	   *calendar;		/* NULL: calendar days */
	bool		cancel_on_close;
} AutoRule;

/* What the rules say about one table. */
typedef struct AutoTable
{
	Oid			relid;			/* hash key */
	bool		any_rules;		/* any enabled rule: closing cancels tasks */
	bool		publish;		/* stage_moved events */
	int			nrules;
	AutoRule   *rules;			/* enabled stage-entry rules */
	int			ntracked;
	Oid		   *tracked;		/* models with an enabled inactivity rule */
} AutoTable;

/* A business calendar. */
typedef struct AutoCalendar
{
	char	   *name;
	pg_tz	   *tz;				/* NULL: the session's time zone */
	bcal		cal;			/* lists point into this struct's memory */
} AutoCalendar;

static MemoryContext auto_context = NULL;
static HTAB *auto_tables = NULL;
static List *auto_calendars = NIL;
static bool auto_stale = true;
/* the config tables whose changes empty the caches */
static Oid	auto_relids[4] = {InvalidOid, InvalidOid, InvalidOid, InvalidOid};

/* Relcache invalidation (crm_sales.c): a config table of this file changed, or everything. */
void
crm_automation_relcache(Oid relid)
{
	int			i;

	if (relid == InvalidOid)
	{
		auto_stale = true;
		return;
	}
	for (i = 0; i < (int) lengthof(auto_relids); i++)
		if (auto_relids[i] == relid)
			auto_stale = true;
}

/* Define the settings of this file. */
void
crm_automation_init(void)
{
	DefineCustomIntVariable("crm_sales.outbox_retention",
							"How long the sweep keeps acknowledged outbox events.",
							"crm_sales.run_sweep() deletes events acknowledged longer ago than this.",
							&outbox_retention_minutes,
							7 * 24 * 60, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MIN,
							NULL, NULL, NULL);
}

/* The OID of crm_sales.<name>, or an error saying to reinstall. */
static Oid
crm_relation(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("crm_sales", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table crm_sales.%s does not exist", name),
				 errhint("Reinstall the extension: DROP EXTENSION crm_sales; CREATE EXTENSION crm_sales.")));
	return relid;
}

/*
 * Is the automation part of the extension installed in this database?  A
 * database still on version 0.1.0 (one library serves every version) has
 * no crm_sales.followup_rule: there the trigger's hook does nothing.
 */
static bool
automation_installed(void)
{
	Oid			nsp = get_namespace_oid("crm_sales", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("followup_rule", nsp));
}

/* Empty the caches when stale; make sure they exist. */
static void
auto_cache_check(void)
{
	HASHCTL		ctl;

	if (!auto_stale && auto_tables != NULL)
		return;
	if (auto_context == NULL)
		auto_context = AllocSetContextCreate(CacheMemoryContext,
											 "crm_sales automation cache",
											 ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(auto_context);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(AutoTable);
	ctl.hcxt = auto_context;
	auto_tables = hash_create("crm_sales automation tables", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	auto_calendars = NIL;
	auto_stale = false;
	auto_relids[0] = crm_relation("followup_rule");
	auto_relids[1] = crm_relation("outbox_publication");
	auto_relids[2] = crm_relation("business_calendar");
	auto_relids[3] = crm_relation("holiday");
}

/*
 * Run a read-only query of a cache loader (inside SPI) under the latest
 * snapshot: the cache must hold what is committed now, whatever snapshot
 * the calling statement uses (see stage_model.c).
 */
static void
auto_load_query(const char *sql, Oid argtype, Datum arg)
{
	SPIPlanPtr	plan;
	int			ret;

	plan = SPI_prepare(sql, 1, &argtype);
	if (plan == NULL)
		elog(ERROR, "crm_sales: preparing an automation query failed: %s",
			 SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, &arg, NULL,
							   IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot(),
							   InvalidSnapshot, true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "crm_sales: reading the automation settings failed: %s",
			 SPI_result_code_string(ret));
}

/* A text column of an SPI result, copied into cxt (NULL stays NULL). */
static char *
spi_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	char	   *v = SPI_getvalue(tup, desc, col);

	return v ? MemoryContextStrdup(cxt, v) : NULL;
}

/*
 * Read the rules of one table into *t (whose key is set), allocating in
 * cxt.  Returns with SPI finished.
 */
static void
auto_table_load(AutoTable *t, MemoryContext cxt)
{
	Datum		relid = ObjectIdGetDatum(t->relid);
	uint64		i;
	int			nrules = 0,
				ntracked = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	auto_load_query("SELECT r.rule, r.kind, r.model::pg_catalog.oid, r.stage,"
					" r.owner_column::pg_catalog.text, r.title, r.due_in, r.calendar,"
					" r.cancel_on_close"
					" FROM crm_sales.followup_rule r"
					" WHERE r.table_name OPERATOR(pg_catalog.=) $1 AND r.enabled"
					" ORDER BY r.rule",
					REGCLASSOID, relid);
	t->any_rules = SPI_processed > 0;
	t->rules = MemoryContextAllocZero(cxt, sizeof(AutoRule) * Max(SPI_processed, 1));
	t->tracked = MemoryContextAllocZero(cxt, sizeof(Oid) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *kind = SPI_getvalue(tup, desc, 2);
		bool		isnull;
		Oid			model = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));

		if (strcmp(kind, "stage_entry") == 0)
		{
			AutoRule   *r = &t->rules[nrules++];

			r->name = spi_text(tup, desc, 1, cxt);
			r->model = model;
			r->stage = spi_text(tup, desc, 4, cxt);
			r->owner_column = spi_text(tup, desc, 5, cxt);
			r->title = spi_text(tup, desc, 6, cxt);
			r->due_in = *DatumGetIntervalP(SPI_getbinval(tup, desc, 7, &isnull));
			r->calendar = spi_text(tup, desc, 8, cxt);
			r->cancel_on_close = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
		}
		else if (strcmp(kind, "inactivity") == 0)
		{
			int			j;

			for (j = 0; j < ntracked && t->tracked[j] != model; j++)
				;
			if (j == ntracked)
				t->tracked[ntracked++] = model;
		}
	}
	t->nrules = nrules;
	t->ntracked = ntracked;
	auto_load_query("SELECT 1 FROM crm_sales.outbox_publication p"
					" WHERE p.table_name OPERATOR(pg_catalog.=) $1",
					REGCLASSOID, relid);
	t->publish = SPI_processed > 0;
	SPI_finish();
}

/*
 * The rules of a table, read on first use.  The result is valid until the
 * next lookup of this file's caches; callers copy what they keep.  When an
 * invalidation arrives while the rules are read, they serve this call only
 * (they may predate the change) and are read again next time.
 */
static AutoTable *
auto_table(Oid relid)
{
	AutoTable  *t;
	AutoTable  *tmp;
	bool		found;

	auto_cache_check();
	t = hash_search(auto_tables, &relid, HASH_FIND, NULL);
	if (t != NULL)
		return t;
	tmp = palloc0(sizeof(AutoTable));
	tmp->relid = relid;
	auto_table_load(tmp, CurrentMemoryContext);
	if (auto_stale)
		return tmp;
	/* copy into the cache */
	t = hash_search(auto_tables, &relid, HASH_ENTER, &found);
	{
		MemoryContext old = MemoryContextSwitchTo(auto_context);
		int			i;

		*t = *tmp;
		t->rules = palloc0(sizeof(AutoRule) * Max(tmp->nrules, 1));
		for (i = 0; i < tmp->nrules; i++)
		{
			AutoRule   *s = &tmp->rules[i],
					   *d = &t->rules[i];

			*d = *s;
			d->name = pstrdup(s->name);
			d->stage = pstrdup(s->stage);
			d->owner_column = s->owner_column ? pstrdup(s->owner_column) : NULL;
			d->title = pstrdup(s->title);
			d->calendar = s->calendar ? pstrdup(s->calendar) : NULL;
		}
		t->tracked = palloc0(sizeof(Oid) * Max(tmp->ntracked, 1));
		memcpy(t->tracked, tmp->tracked, sizeof(Oid) * tmp->ntracked);
		MemoryContextSwitchTo(old);
	}
	return t;
}

/* qsort comparator of DateADT */
static int
dateadt_cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Read a calendar into a new AutoCalendar in cxt, or error if unknown. */
static AutoCalendar *
auto_calendar_load(const char *name, MemoryContext cxt)
{
	AutoCalendar *c = MemoryContextAllocZero(cxt, sizeof(AutoCalendar));
	Datum		arg = CStringGetTextDatum(name);
	bool		isnull;
	Datum		d;
	int32	   *hol,
			   *work;
	int			nhol = 0,
				nwork = 0;
	uint64		i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
	auto_load_query("SELECT c.weekend, c.time_zone FROM crm_sales.business_calendar c"
					" WHERE c.calendar OPERATOR(pg_catalog.=) $1", TEXTOID, arg);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown business calendar \"%s\"", name),
				 errhint("Create it with crm_sales.create_calendar().")));
	c->name = MemoryContextStrdup(cxt, name);
	c->cal.day0_isodow = 6;		/* DateADT 0 = 2000-01-01, a Saturday */
	c->cal.weekend = 0;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					j;

		deconstruct_array(DatumGetArrayTypeP(d), INT2OID, 2, true, TYPALIGN_SHORT,
						  &elems, &nulls, &n);
		for (j = 0; j < n; j++)
		{
			int			dow = nulls[j] ? 0 : DatumGetInt16(elems[j]);

			if (dow >= 1 && dow <= 7)
				c->cal.weekend |= 1u << dow;
		}
	}
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
	{
		char	   *tzname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		c->tz = pg_tzset(tzname);
		if (c->tz == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("business calendar \"%s\" has an unknown time zone \"%s\"", name, tzname),
					 errhint("Set crm_sales.business_calendar.time_zone to a name of pg_timezone_names.")));
	}
	auto_load_query("SELECT h.day, h.working FROM crm_sales.holiday h"
					" WHERE h.calendar OPERATOR(pg_catalog.=) $1", TEXTOID, arg);
	hol = MemoryContextAlloc(cxt, sizeof(int32) * Max(SPI_processed, 1));
	work = MemoryContextAlloc(cxt, sizeof(int32) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		DateADT		day = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i],
														SPI_tuptable->tupdesc, 1, &isnull));
		bool		working = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 2, &isnull));

		if (DATE_NOT_FINITE(day))
			continue;
		if (working)
			work[nwork++] = day;
		else
			hol[nhol++] = day;
	}
	SPI_finish();
	/* the primary key (calendar, day) makes the lists disjoint and unique */
	qsort(hol, nhol, sizeof(int32), dateadt_cmp);
	qsort(work, nwork, sizeof(int32), dateadt_cmp);
	c->cal.holidays = hol;
	c->cal.nholidays = nhol;
	c->cal.workdays = work;
	c->cal.nworkdays = nwork;
	if (bcal_check(&c->cal) != BCAL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("business calendar \"%s\" lists a day twice", name),
				 errhint("Each day is either a holiday or a working day: see crm_sales.holiday.")));
	return c;
}

/*
 * A business calendar by name, read on first use.  Valid until the next
 * lookup of this file's caches (see auto_table).
 */
static AutoCalendar *
auto_calendar(const char *name)
{
	ListCell   *lc;
	AutoCalendar *c;

	auto_cache_check();
	foreach(lc, auto_calendars)
	{
		c = (AutoCalendar *) lfirst(lc);
		if (strcmp(c->name, name) == 0)
			return c;
	}
	c = auto_calendar_load(name, CurrentMemoryContext);
	if (auto_stale)
		return c;
	{
		AutoCalendar *k = auto_calendar_load(name, auto_context);
		MemoryContext old;

		/* read again straight into the cache unless that raced too */
		if (auto_stale)
			return c;
		old = MemoryContextSwitchTo(auto_context);
		auto_calendars = lappend(auto_calendars, k);
		MemoryContextSwitchTo(old);
		return k;
	}
}

/* ----------------------------------------------------------------------
 * Business calendars
 * ---------------------------------------------------------------------- */

/* Turn a bcal_status into an SQL error. */
static void
bcal_report(bcal_status st, const char *calendar, int64 n)
{
	if (st == BCAL_OK)
		return;
	if (st == BCAL_NO_BUSINESS_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business calendar \"%s\" has no %lld business days in that direction",
						calendar, (long long) (n < 0 ? -n : n)),
				 errdetail("Every weekday of the calendar is a weekend day and not enough working days are listed."),
				 errhint("Change the weekend with UPDATE crm_sales.business_calendar, or list working days with crm_sales.add_holiday(..., working => true).")));
	if (st == BCAL_RANGE)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%lld business days in calendar \"%s\" go out of range", (long long) n, calendar),
				 errhint("Use a smaller number of days.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("business calendar \"%s\" is inconsistent", calendar)));
}

/* Refuse an interval with months where business days are counted. */
static void
no_months(const Interval *iv)
{
	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an interval with months cannot be counted in business days"),
				 errdetail("Interval: %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(iv)))),
				 errhint("Give business time in days and hours, e.g. '20 days'.")));
}

/*
 * ts moved by days business days of the calendar, counted on its dates in
 * its time zone (the session's if it has none); the local time of day is
 * kept, or set to midnight, then sub_us microseconds are added.  Infinite
 * timestamps stay as they are.
 */
static TimestampTz
shift_business_days(TimestampTz ts, int64 days, const char *calname, bool midnight,
					int64 add_us)
{
	AutoCalendar *c;
	pg_tz	   *tz;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;
	int64		day,
				out;
	TimestampTz result;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ts;
	c = auto_calendar(calname);
	tz = c->tz ? c->tz : session_timezone;
	if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	day = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	bcal_report(bcal_add(&c->cal, day, days,
						 DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE,
						 TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 1, &out),
				calname, days);
	j2date((int) (out + POSTGRES_EPOCH_JDATE), &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	if (midnight)
	{
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		fsec = 0;
	}
	tzoff = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, fsec, &tzoff, &result) != 0 ||
		pg_add_s64_overflow(result, add_us, &result) ||
		!IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/*
 * The idle cutoff of an inactivity rule (see _idle_cutoff in the install
 * script): touches before it have been idle for idle as of as_of.  With a
 * calendar: midnight (calendar time zone) of the day idle.day business days
 * before as_of's day, minus idle's sub-day part, so that a touch is idle
 * once that many whole business days lie between its day and as_of's day.
 * This keeps "idle" a single comparison with a cutoff (an index range).
 */
static TimestampTz
idle_cutoff(TimestampTz as_of, const Interval *idle, const char *calname)
{
	if (calname == NULL)
		return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
													   TimestampTzGetDatum(as_of),
													   IntervalPGetDatum(idle)));
	no_months(idle);
	if (idle->time == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return shift_business_days(as_of, -(int64) idle->day, calname, true, -idle->time);
}

PG_FUNCTION_INFO_V1(crm_idle_cutoff);

/* _idle_cutoff(as_of, idle, calendar) */
Datum
crm_idle_cutoff(PG_FUNCTION_ARGS)
{
	char	   *cal;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	cal = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	PG_RETURN_TIMESTAMPTZ(idle_cutoff(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INTERVAL_P(1), cal));
}

/* start + delta, in business days when a calendar is named. */
static TimestampTz
due_time(TimestampTz start, const Interval *delta, const char *calname)
{
	if (calname == NULL)
		return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													   TimestampTzGetDatum(start),
													   IntervalPGetDatum(delta)));
	no_months(delta);
	return shift_business_days(start, delta->day, calname, false, delta->time);
}

PG_FUNCTION_INFO_V1(crm_add_business_time);

/* add_business_time(start, delta, calendar): see the SQL comment. */
Datum
crm_add_business_time(PG_FUNCTION_ARGS)
{
	char	   *cal;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	cal = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	PG_RETURN_TIMESTAMPTZ(due_time(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INTERVAL_P(1), cal));
}

PG_FUNCTION_INFO_V1(crm_add_business_days);

/* add_business_days(day, days, calendar): see the SQL comment. */
Datum
crm_add_business_days(PG_FUNCTION_ARGS)
{
	DateADT		day;
	int32		n;
	int64		out;
	char	   *calname;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	day = PG_GETARG_DATEADT(0);
	n = PG_GETARG_INT32(1);
	if (DATE_NOT_FINITE(day))
		PG_RETURN_DATEADT(day);
	if (PG_ARGISNULL(2))
	{
		out = (int64) day + n;
		if (!IS_VALID_DATE(out))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range")));
		PG_RETURN_DATEADT((DateADT) out);
	}
	calname = text_to_cstring(PG_GETARG_TEXT_PP(2));
	bcal_report(bcal_add(&auto_calendar(calname)->cal, day, n,
						 DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE,
						 DATE_END_JULIAN - POSTGRES_EPOCH_JDATE - 1, &out),
				calname, n);
	PG_RETURN_DATEADT((DateADT) out);
}

PG_FUNCTION_INFO_V1(crm_is_business_day);

/* is_business_day(day, calendar) */
Datum
crm_is_business_day(PG_FUNCTION_ARGS)
{
	DateADT		day = PG_GETARG_DATEADT(0);
	char	   *calname = text_to_cstring(PG_GETARG_TEXT_PP(1));
	AutoCalendar *c = auto_calendar(calname);

	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an infinite date is not a day of a calendar")));
	PG_RETURN_BOOL(bcal_is_business_day(&c->cal, day));
}

PG_FUNCTION_INFO_V1(crm_business_days_between);

/* business_days_between(from, to, calendar): business days in (from, to]. */
Datum
crm_business_days_between(PG_FUNCTION_ARGS)
{
	DateADT		a = PG_GETARG_DATEADT(0);
	DateADT		b = PG_GETARG_DATEADT(1);
	char	   *calname = text_to_cstring(PG_GETARG_TEXT_PP(2));
	AutoCalendar *c = auto_calendar(calname);

	if (DATE_NOT_FINITE(a) || DATE_NOT_FINITE(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot count business days to or from an infinite date")));
	/* at most the days between two dates: fits int32 */
	PG_RETURN_INT32((int32) bcal_count(&c->cal, a, b));
}

/* ----------------------------------------------------------------------
 * Title templates
 * ---------------------------------------------------------------------- */

/* longest template accepted (rules allow 1000 characters) */
#define TEMPLATE_MAX_BYTES 100000

/* Parse a template, or raise 22023 naming the problem. */
static tpl_segment *
parse_template(const char *tpl, int *nsegs)
{
	size_t		len = strlen(tpl);
	int			max;
	tpl_segment *segs;
	size_t		pos;
	tpl_status	st;
	const char *what;

	if (len > TEMPLATE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("title template is %zu bytes long", len),
				 errhint("Templates are limited to %d bytes.", TEMPLATE_MAX_BYTES)));
	max = (int) len + 1;
	segs = palloc(sizeof(tpl_segment) * max);
	st = tpl_parse(tpl, len, segs, max, nsegs, &pos);

	switch (st)
	{
		case TPL_OK:
			return segs;
		case TPL_UNCLOSED:
			what = "\"{\" has no matching \"}\"";
			break;
		case TPL_STRAY_CLOSE:
			what = "\"}\" closes nothing";
			break;
		case TPL_EMPTY_NAME:
			what = "\"{}\" names no column";
			break;
		case TPL_NAME_TOO_LONG:
			what = "a column name is longer than 63 bytes";
			break;
		default:
			what = "it is too long";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed title template: %s", what),
			 errdetail("Template: \"%s\", at byte %zu.", tpl, pos + 1),
			 errhint("Write columns as {column}, and a literal brace as {{ or }}.")));
	return NULL;
}

/* Cut a title to TITLE_MAX_BYTES on a character boundary (in place). */
static void
clip_title(StringInfo buf)
{
	if (buf->len > TITLE_MAX_BYTES)
	{
		buf->len = pg_mbcliplen(buf->data, buf->len, TITLE_MAX_BYTES);
		buf->data[buf->len] = '\0';
	}
}

/*
 * Render a template from a row: literal text as it is, {column} as the
 * column's text output ("" when NULL).  Runs the columns' output functions,
 * so call it as the role that wrote the row.  The result is cut at
 * TITLE_MAX_BYTES (on a character boundary).
 */
static char *
render_row(const char *tpl, HeapTuple tup, TupleDesc desc, const char *relname)
{
	int			nsegs,
				i;
	tpl_segment *segs = parse_template(tpl, &nsegs);
	StringInfoData buf;

	initStringInfo(&buf);
	for (i = 0; i < nsegs; i++)
	{
		char		name[TPL_MAX_NAME + 1];
		int			attnum;
		bool		isnull;
		Datum		v;
		Oid			typoutput;
		bool		isvarlena;

		CHECK_FOR_INTERRUPTS();
		if (!segs[i].is_column)
		{
			appendBinaryStringInfo(&buf, tpl + segs[i].off, (int) segs[i].len);
			continue;
		}
		memcpy(name, tpl + segs[i].off, segs[i].len);
		name[segs[i].len] = '\0';
		attnum = SPI_fnumber(desc, name);
		if (attnum == SPI_ERROR_NOATTRIBUTE || attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of title template \"%s\" does not exist in %s",
							name, tpl, relname),
					 errhint("Fix the rule's title (drop it with crm_sales.drop_rule() and add it again), or add the column.")));
		v = heap_getattr(tup, attnum, desc, &isnull);
		if (isnull)
			continue;
		getTypeOutputInfo(TupleDescAttr(desc, attnum - 1)->atttypid, &typoutput, &isvarlena);
		appendStringInfoString(&buf, OidOutputFunctionCall(typoutput, v));
		if (buf.len > TITLE_MAX_BYTES)
			break;
	}
	clip_title(&buf);
	return buf.data;
}

PG_FUNCTION_INFO_V1(crm_render_template);

/* render_template(template, row) */
Datum
crm_render_template(PG_FUNCTION_ARGS)
{
	char	   *tpl = text_to_cstring(PG_GETARG_TEXT_PP(0));
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	TupleDesc	desc;
	HeapTupleData tup;
	char	   *out;

	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
								  HeapTupleHeaderGetTypMod(rec));
	tup.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = rec;
	out = render_row(tpl, &tup, desc, "the row");
	ReleaseTupleDesc(desc);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

PG_FUNCTION_INFO_V1(crm_clip_title);

/* _clip_title(title): the title cut as render_template cuts it. */
Datum
crm_clip_title(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	StringInfoData buf;

	if (VARSIZE_ANY_EXHDR(t) <= TITLE_MAX_BYTES)
		PG_RETURN_TEXT_P(t);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	clip_title(&buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

PG_FUNCTION_INFO_V1(crm_template_sql);

/*
 * _template_sql(template, alias): an SQL expression rendering the template
 * from the row alias: crm_sales._clip_title(pg_catalog.format('literal %s
 * ...', alias.col, ...)), or the clipped literal when it names no column.
 * format()'s %s writes a value as its type's output function does and NULL
 * as nothing, exactly as render_row.
 */
Datum
crm_template_sql(PG_FUNCTION_ARGS)
{
	char	   *tpl = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *alias = NameStr(*PG_GETARG_NAME(1));
	int			nsegs,
				i,
				ncols = 0;
	tpl_segment *segs = parse_template(tpl, &nsegs);
	StringInfoData fmt,
				args,
				out;

	initStringInfo(&fmt);
	initStringInfo(&args);
	initStringInfo(&out);
	for (i = 0; i < nsegs; i++)
	{
		if (segs[i].is_column)
		{
			char		name[TPL_MAX_NAME + 1];

			memcpy(name, tpl + segs[i].off, segs[i].len);
			name[segs[i].len] = '\0';
			appendStringInfoString(&fmt, "%s");
			appendStringInfo(&args, ", %s.%s", quote_identifier(alias), quote_identifier(name));
			ncols++;
		}
		else
		{
			size_t		j;

			for (j = 0; j < segs[i].len; j++)
			{
				char		ch = tpl[segs[i].off + j];

				if (ch == '%')
					appendStringInfoChar(&fmt, '%');
				appendStringInfoChar(&fmt, ch);
			}
		}
	}
	if (ncols == 0)
	{
		/* no column: the text itself (format's %% undone) */
		StringInfoData lit;

		initStringInfo(&lit);
		for (i = 0; i < nsegs; i++)
			appendBinaryStringInfo(&lit, tpl + segs[i].off, (int) segs[i].len);
		clip_title(&lit);
		appendStringInfo(&out, "%s::pg_catalog.text", quote_literal_cstr(lit.data));
	}
	else
		appendStringInfo(&out, "crm_sales._clip_title(pg_catalog.format(%s%s))",
						 quote_literal_cstr(fmt.data), args.data);
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}

PG_FUNCTION_INFO_V1(crm_template_columns);

/* template_columns(template): the column names, in order, without repeats. */
Datum
crm_template_columns(PG_FUNCTION_ARGS)
{
	char	   *tpl = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			nsegs,
				i,
				n = 0;
	tpl_segment *segs = parse_template(tpl, &nsegs);
	Datum	   *names = palloc(sizeof(Datum) * Max(nsegs, 1));

	for (i = 0; i < nsegs; i++)
	{
		Name		nm;
		int			j;

		if (!segs[i].is_column)
			continue;
		nm = (Name) palloc0(NAMEDATALEN);
		memcpy(NameStr(*nm), tpl + segs[i].off, segs[i].len);
		for (j = 0; j < n; j++)
			if (strcmp(NameStr(*DatumGetName(names[j])), NameStr(*nm)) == 0)
				break;
		if (j == n)
			names[n++] = NameGetDatum(nm);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, NAMEOID, NAMEDATALEN, false,
										  TYPALIGN_CHAR));
}

/* ----------------------------------------------------------------------
 * Writing as the owner of crm_sales.task
 * ---------------------------------------------------------------------- */

typedef struct OwnerSwitch
{
	Oid			save_userid;
	int			save_sec;
} OwnerSwitch;

/* The role that owns crm_sales.task (the extension owner). */
static Oid
task_table_owner(void)
{
	Oid			relid = crm_relation("task");
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* Become the owner of crm_sales.task, in a security-restricted operation. */
static void
become_task_owner(OwnerSwitch *s)
{
	Oid			owner = task_table_owner();

	GetUserIdAndSecContext(&s->save_userid, &s->save_sec);
	SetUserIdAndSecContext(owner, s->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* Back to the caller's identity (an error on the way resets it too). */
static void
restore_user(OwnerSwitch *s)
{
	SetUserIdAndSecContext(s->save_userid, s->save_sec);
}

/* Start writing: become the owner of crm_sales.task and connect SPI. */
static void
owner_begin(OwnerSwitch *s)
{
	become_task_owner(s);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_sales: SPI_connect failed");
}

/* Done writing: disconnect SPI, back to the caller. */
static void
owner_end(OwnerSwitch *s)
{
	SPI_finish();
	restore_user(s);
}

/* The saved statements of this file, prepared on first use. */
typedef enum AutoPlan
{
	PLAN_TASK_INSERT,
	PLAN_EVENT_INSERT,
	PLAN_TASK_CANCEL_OPEN,
	PLAN_TOUCH,
	PLAN_TASK_GET,
	PLAN_TASK_SET,
	PLAN_ACTIVITY,
	NUM_PLANS
} AutoPlan;

static SPIPlanPtr auto_plans[NUM_PLANS];

/*
 * Every name is schema-qualified, every operator written as
 * OPERATOR(pg_catalog.x): a plan is re-planned under the search_path of
 * whoever runs it, which must not be able to substitute objects.
 */
static const char *const auto_plan_sql[NUM_PLANS] = {
	/* PLAN_TASK_INSERT: every column but the id (see task_spec) */
	"INSERT INTO crm_sales.task (rule, table_name, entity_id, owner, title, due_at,"
	" status, completed_at, created_at, kind, model, stage, anchor, cancel_on_close,"
	" due_notified_at, note, changed_by)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
	" RETURNING id",
	/* PLAN_EVENT_INSERT: every column but the id (see event_spec) */
	"INSERT INTO crm_sales.outbox_event (kind, table_name, entity_id, payload, created_at,"
	" deliveries, claimed_by, lease_until, acked_at, acked_by)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
	/* PLAN_TASK_CANCEL_OPEN: the entity closed: cancel its follow-ups */
	"UPDATE crm_sales.task SET status = 'cancelled', completed_at = $4,"
	" note = $5, changed_by = $6"
	" WHERE table_name OPERATOR(pg_catalog.=) $1 AND entity_id OPERATOR(pg_catalog.=) $2"
	" AND status OPERATOR(pg_catalog.=) ANY ('{open,snoozed}'::pg_catalog.text[])"
	" AND model OPERATOR(pg_catalog.=) $3 AND cancel_on_close",
	/* PLAN_TOUCH: the idle clock restarts in the new stage */
	"INSERT INTO crm_sales.entity_touch AS k"
	" (table_name, entity_id, model, stage, entered_at, last_touch)"
	" VALUES ($1, $2, $3, $4, $5, $5)"
	" ON CONFLICT (table_name, entity_id, model) DO UPDATE"
	" SET stage = EXCLUDED.stage, entered_at = EXCLUDED.entered_at,"
	" last_touch = EXCLUDED.last_touch",
	/* PLAN_TASK_GET */
	"SELECT owner, table_name, entity_id, status, title FROM crm_sales.task"
	" WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	/* PLAN_TASK_SET: status, completion, due time, note */
	"UPDATE crm_sales.task SET status = $2, completed_at = $3,"
	" due_at = COALESCE($4, due_at),"
	" due_notified_at = CASE WHEN $4 IS NULL THEN due_notified_at END,"
	" note = COALESCE($5, note), changed_by = $6"
	" WHERE id OPERATOR(pg_catalog.=) $1",
	/* PLAN_ACTIVITY */
	"INSERT INTO crm_sales.activity (table_name, entity_id, kind, occurred_at, owner,"
	" subject, payload, logged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
};

static const int auto_plan_nargs[NUM_PLANS] = {17, 10, 6, 5, 1, 6, 8};

static const Oid auto_plan_types[NUM_PLANS][17] = {
	{TEXTOID, REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, TEXTOID, REGTYPEOID, TEXTOID, TIMESTAMPTZOID, BOOLOID, TIMESTAMPTZOID,
	TEXTOID, NAMEOID},
	{TEXTOID, REGCLASSOID, TEXTOID, JSONBOID, TIMESTAMPTZOID, INT4OID, TEXTOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TEXTOID},
	{REGCLASSOID, TEXTOID, REGTYPEOID, TIMESTAMPTZOID, TEXTOID, NAMEOID},
	{REGCLASSOID, TEXTOID, REGTYPEOID, TEXTOID, TIMESTAMPTZOID},
	{INT8OID},
	{INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, NAMEOID},
	{REGCLASSOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, JSONBOID, NAMEOID}
};

/* Run a saved statement (inside SPI); returns SPI_processed. */
static uint64
auto_exec(AutoPlan which, Datum *values, const char *nulls, int expect)
{
	int			ret;

	if (auto_plans[which] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(auto_plan_sql[which], auto_plan_nargs[which],
									   (Oid *) auto_plan_types[which]);

		if (plan == NULL)
			elog(ERROR, "crm_sales: preparing an automation statement failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		auto_plans[which] = plan;
	}
	ret = SPI_execute_plan(auto_plans[which], values, nulls, false, 0);
	if (ret != expect)
		elog(ERROR, "crm_sales: an automation statement failed: %s",
			 SPI_result_code_string(ret));
	return SPI_processed;
}

/* Datum of a C string as text, or a NULL flag. */
static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* The schema-qualified, quoted name of a relation, as event payloads give it. */
static char *
qualified_name(Oid relid)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	if (nsp == NULL || rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(nsp, rel);
}

/* The name of the current role, as a name Datum. */
static Datum
current_role_name(void)
{
	return DirectFunctionCall1(namein,
							   CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
}


/* ----------------------------------------------------------------------
 * Writing tasks and events
 *
 * The trigger path writes a task and an event per rule fired.  Through SPI
 * each would start an executor, and re-read the tables' CHECK constraints,
 * per row: several times the cost of the move itself.  So while
 * crm_sales.task and crm_sales.outbox_event are as the install script made
 * them (same columns, types and NOT NULLs, as many CHECK constraints, no
 * trigger but the outbox's own NOTIFY trigger, no rule, no row security,
 * only immediate, non-exclusion indexes), the row goes straight to the heap
 * and its indexes, as the executor would put it there, its values made here
 * to satisfy the checks, and the NOTIFY is sent here.  Otherwise (a DBA
 * added an audit trigger, say) the same row goes through an INSERT, which
 * fires it.  Executor hooks (pgaudit) see only that second path, as with
 * the stage history (docs/stage_models.md).
 * ---------------------------------------------------------------------- */

/* A table as the install script makes it. */
typedef struct DirectSpec
{
	const char *relname;
	int			natts;
	const char *const *cols;
	const Oid  *types;
	const bool *notnull;
	int			nchecks;
	const char *own_trigger;	/* the one trigger it has, or NULL */
} DirectSpec;

#define TASK_NATTS 18
static const char *const task_cols[TASK_NATTS] = {
	"id", "rule", "table_name", "entity_id", "owner", "title", "due_at", "status",
	"completed_at", "created_at", "kind", "model", "stage", "anchor", "cancel_on_close",
	"due_notified_at", "note", "changed_by"
};
static const Oid task_types[TASK_NATTS] = {
	INT8OID, TEXTOID, REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, REGTYPEOID, TEXTOID, TIMESTAMPTZOID, BOOLOID,
	TIMESTAMPTZOID, TEXTOID, NAMEOID
};
static const bool task_notnull[TASK_NATTS] = {
	true, false, true, true, false, true, true, true, false, true, true, false, false, false,
	true, false, false, false
};
static const DirectSpec task_spec = {
	"task", TASK_NATTS, task_cols, task_types, task_notnull, 3, NULL
};

#define EVENT_NATTS 11
static const char *const event_cols[EVENT_NATTS] = {
	"id", "kind", "table_name", "entity_id", "payload", "created_at", "deliveries",
	"claimed_by", "lease_until", "acked_at", "acked_by"
};
static const Oid event_types[EVENT_NATTS] = {
	INT8OID, TEXTOID, REGCLASSOID, TEXTOID, JSONBOID, TIMESTAMPTZOID, INT4OID, TEXTOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID
};
static const bool event_notnull[EVENT_NATTS] = {
	true, true, false, false, true, true, true, false, false, false, false
};
static const DirectSpec event_spec = {
	"outbox_event", EVENT_NATTS, event_cols, event_types, event_notnull, 1,
	"outbox_event_notify"
};

/* Is the table exactly as the spec says (see the section comment)? */
static bool
direct_plain(Relation rel, const DirectSpec *spec)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			nchecks = desc->constr ? desc->constr->num_check : 0;
	int			i;

	if (rel->rd_rules != NULL || rel->rd_rel->relrowsecurity ||
		rel->rd_rel->relkind != RELKIND_RELATION || desc->natts != spec->natts ||
		nchecks != spec->nchecks ||
		(desc->constr != NULL && desc->constr->has_generated_stored))
		return false;
	if (rel->trigdesc != NULL &&
		(spec->own_trigger == NULL || rel->trigdesc->numtriggers != 1 ||
		 strcmp(rel->trigdesc->triggers[0].tgname, spec->own_trigger) != 0))
		return false;
	for (i = 0; i < spec->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != spec->types[i] ||
			att->attnotnull != spec->notnull[i] ||
			strcmp(NameStr(att->attname), spec->cols[i]) != 0)
			return false;
	}
	return TupleDescAttr(desc, 0)->attidentity == ATTRIBUTE_IDENTITY_BY_DEFAULT;
}

/*
 * Insert a row straight into the heap and indexes of crm_sales.<relname>,
 * its id (column 1) from the identity sequence into values[0].  Returns
 * false, having written nothing, when the table is not plain.  Called as
 * the table's owner.
 */
static bool
direct_insert(const DirectSpec *spec, Datum *values, bool *nulls)
{
	static Oid	seq_rel[2] = {InvalidOid, InvalidOid};
	static Oid	seq[2] = {InvalidOid, InvalidOid};
	int			which = spec == &task_spec ? 0 : 1;
	Oid			relid = crm_relation(spec->relname);
	Relation	rel = table_open(relid, RowExclusiveLock);
	ResultRelInfo *rri;
	EState	   *estate;
	TupleTableSlot *slot;
	int			i;

	if (!direct_plain(rel, spec))
	{
		table_close(rel, NoLock);
		return false;
	}
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 0, NULL, 0);
	ExecOpenIndices(rri, false);
	for (i = 0; i < rri->ri_NumIndices; i++)
		if (!rri->ri_IndexRelationDescs[i]->rd_index->indimmediate ||
			rri->ri_IndexRelationInfo[i]->ii_ExclusionOps != NULL)
		{
			ExecCloseIndices(rri);
			table_close(rel, NoLock);
			return false;
		}
	if (seq_rel[which] != relid)
	{
		seq[which] = getIdentitySequence(relid, 1, false);
		seq_rel[which] = relid;
	}
	values[0] = Int64GetDatum(nextval_internal(seq[which], false));
	nulls[0] = false;

	estate = CreateExecutorState();
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * spec->natts);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * spec->natts);
	ExecStoreVirtualTuple(slot);
	table_tuple_insert(rel, slot, GetCurrentCommandId(true), 0, NULL);
	ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	ExecCloseIndices(rri);
	table_close(rel, NoLock);
	return true;
}

/* The same row by INSERT (columns 2.. of values/nulls); returns its id. */
static int64
spi_insert(AutoPlan plan, int natts, Datum *values, bool *nulls)
{
	char		n[TASK_NATTS];
	bool		isnull;
	int			i;

	for (i = 1; i < natts; i++)
		n[i - 1] = nulls[i] ? 'n' : ' ';
	auto_exec(plan, values + 1, n, SPI_OK_INSERT_RETURNING);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* NOTIFY crm_sales_outbox of one event, sent if the transaction commits. */
static void
notify_event(int64 id, const char *kind)
{
	Async_Notify(OUTBOX_CHANNEL,
				 psprintf("{\"id\": " INT64_FORMAT ", \"kind\": \"%s\"}", id, kind));
}

/* A jsonb object built from key / value pairs (see the payload builders). */
typedef struct JsonPair
{
	const char *key;
	JsonbValue	value;
} JsonPair;

/* A JSON string, or null for NULL. */
static JsonbValue
json_string(const char *s)
{
	JsonbValue	v;

	if (s == NULL)
	{
		v.type = jbvNull;
		return v;
	}
	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	return v;
}

/* A JSON timestamp, written as jsonb_build_object writes timestamptz. */
static JsonbValue
json_time(TimestampTz t)
{
	char		buf[MAXDATELEN + 1];

	return json_string(pstrdup(JsonEncodeDateTime(buf, TimestampTzGetDatum(t),
												  TIMESTAMPTZOID, NULL)));
}

/* A JSON number from an int64. */
static JsonbValue
json_int64(int64 i)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(i);
	return v;
}

/* The jsonb object of the pairs, in the order given (jsonb sorts keys). */
static Datum
make_jsonb_object(JsonPair *pairs, int n)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < n; i++)
	{
		JsonbValue	k = json_string(pairs[i].key);

		pushJsonbValue(&state, WJB_KEY, &k);
		pushJsonbValue(&state, WJB_VALUE, &pairs[i].value);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/*
 * Insert an outbox event (between owner_begin/end), directly or by INSERT;
 * either way the NOTIFY goes out with the commit.
 */
static int64
insert_event(const char *kind, Oid relid, const char *entity, Datum payload)
{
	Datum		v[EVENT_NATTS];
	bool		n[EVENT_NATTS];
	int64		id;

	memset(n, true, sizeof(n));
	n[0] = false;
	v[1] = CStringGetTextDatum(kind);
	n[1] = false;
	v[2] = ObjectIdGetDatum(relid);
	n[2] = false;
	v[3] = CStringGetTextDatum(entity);
	n[3] = false;
	v[4] = payload;
	n[4] = false;
	v[5] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	n[5] = false;
	v[6] = Int32GetDatum(0);
	n[6] = false;
	if (direct_insert(&event_spec, v, n))
	{
		id = DatumGetInt64(v[0]);
		notify_event(id, kind);	/* the trigger notifies on the INSERT path */
		return id;
	}
	return spi_insert(PLAN_EVENT_INSERT, EVENT_NATTS, v, n);
}

/* A task to insert (see insert_task). */
typedef struct TaskRow
{
	const char *rule;			/* NULL: by hand */
	Oid			relid;
	const char *entity;
	const char *owner;			/* NULL: unassigned */
	const char *title;
	TimestampTz due;
	const char *kind;
	Oid			model;			/* InvalidOid: none */
	const char *stage;			/* NULL: none */
	TimestampTz anchor;
	bool		has_anchor;
	bool		cancel_on_close;
} TaskRow;

/*
 * Insert a task and its task_created event (between owner_begin/end);
 * returns the task id.
 */
static int64
insert_task(const TaskRow *t, Datum who)
{
	Datum		v[TASK_NATTS];
	bool		n[TASK_NATTS];
	int64		id;
	JsonPair	p[9];

	memset(n, false, sizeof(n));
	v[1] = t->rule ? CStringGetTextDatum(t->rule) : (n[1] = true, (Datum) 0);
	v[2] = ObjectIdGetDatum(t->relid);
	v[3] = CStringGetTextDatum(t->entity);
	v[4] = t->owner ? CStringGetTextDatum(t->owner) : (n[4] = true, (Datum) 0);
	v[5] = CStringGetTextDatum(t->title);
	v[6] = TimestampTzGetDatum(t->due);
	v[7] = CStringGetTextDatum("open");
	n[8] = true;				/* completed_at */
	v[9] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	v[10] = CStringGetTextDatum(t->kind);
	v[11] = ObjectIdGetDatum(t->model);
	n[11] = !OidIsValid(t->model);
	v[12] = t->stage ? CStringGetTextDatum(t->stage) : (n[12] = true, (Datum) 0);
	v[13] = TimestampTzGetDatum(t->anchor);
	n[13] = !t->has_anchor;
	v[14] = BoolGetDatum(t->cancel_on_close);
	n[15] = n[16] = true;		/* due_notified_at, note */
	v[17] = who;
	if (direct_insert(&task_spec, v, n))
		id = DatumGetInt64(v[0]);
	else
		id = spi_insert(PLAN_TASK_INSERT, TASK_NATTS, v, n);

	p[0].key = "task_id";
	p[0].value = json_int64(id);
	p[1].key = "task_kind";
	p[1].value = json_string(t->kind);
	p[2].key = "rule";
	p[2].value = json_string(t->rule);
	p[3].key = "table";
	p[3].value = json_string(qualified_name(t->relid));
	p[4].key = "entity_id";
	p[4].value = json_string(t->entity);
	p[5].key = "owner";
	p[5].value = json_string(t->owner);
	p[6].key = "title";
	p[6].value = json_string(t->title);
	p[7].key = "due_at";
	p[7].value = json_time(t->due);
	p[8].key = "stage";
	p[8].value = json_string(t->stage);
	(void) insert_event("task_created", t->relid, t->entity, make_jsonb_object(p, 9));
	return id;
}

/* Insert an activity (between owner_begin/end); payload 0 for none. */
static int64
insert_activity(Oid relid, const char *entity, const char *kind, TimestampTz at,
				const char *owner, const char *subject, Datum payload, Datum who)
{
	Datum		v[8];
	char		n[9] = "        ";
	bool		isnull;

	v[0] = ObjectIdGetDatum(relid);
	v[1] = CStringGetTextDatum(entity);
	v[2] = CStringGetTextDatum(kind);
	v[3] = TimestampTzGetDatum(at);
	v[4] = text_or_null(owner, &n[4]);
	v[5] = text_or_null(subject, &n[5]);
	v[6] = payload;
	n[6] = payload == (Datum) 0 ? 'n' : ' ';
	v[7] = who;
	auto_exec(PLAN_ACTIVITY, v, n, SPI_OK_INSERT_RETURNING);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* ----------------------------------------------------------------------
 * The stage trigger's hook
 * ---------------------------------------------------------------------- */

/* One task a stage-entry rule creates, computed before any write. */
typedef struct NewTask
{
	char	   *rule;
	char	   *owner;
	char	   *title;
	TimestampTz due;
	bool		cancel_on_close;
} NewTask;

/* The text of a column of the row (NULL when NULL or when no column). */
static char *
row_column_text(HeapTuple tup, TupleDesc desc, const char *col, const char *relname,
				const char *rule)
{
	int			attnum;
	bool		isnull;
	Datum		v;
	Oid			typoutput;
	bool		isvarlena;

	if (col == NULL)
		return NULL;
	attnum = SPI_fnumber(desc, col);
	if (attnum == SPI_ERROR_NOATTRIBUTE || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("owner column \"%s\" of follow-up rule \"%s\" does not exist in table \"%s\"",
						col, rule, relname),
				 errhint("Drop the rule with crm_sales.drop_rule() and add it again with an existing column.")));
	v = heap_getattr(tup, attnum, desc, &isnull);
	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(desc, attnum - 1)->atttypid, &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, v);
}

/*
 * Called by enforce_transition() for each accepted move of an entity it
 * records (from_enum InvalidOid: created), right after the history row, in
 * the same trigger call.  at is the move's effective time (the statement's
 * time, or the trigger's time column): due dates, the stage visit and the
 * idle clock count from it.  Fires the table's stage-entry rules for the
 * stage entered, cancels the entity's open follow-ups when it enters a won
 * or lost stage, restarts its idle clock, and publishes the move; see the
 * file header.
 */
void
crm_automation_on_move(Relation rel, HeapTuple newtup, Oid model_typid,
					   Oid from_enum, Oid to_enum, const char *id,
					   TimestampTz at)
{
	AutoTable  *t;
	bool		publish,
				any_rules,
				tracked = false;
	int			nrules = 0,
				ntasks = 0,
				i;
	AutoRule   *rules;
	NewTask    *tasks;
	CrmModel   *m;
	int			to,
				from = TM_CREATION;
	char	   *to_name,
			   *from_name = NULL;
	bool		closing;
	const char *relname = RelationGetRelationName(rel);
	OwnerSwitch sw;
	Datum		who;

	if (id == NULL)
		return;
	/* the cache is built only where the automation tables exist */
	if ((auto_stale || auto_tables == NULL) && !automation_installed())
		return;
	t = auto_table(RelationGetRelid(rel));
	if (!t->any_rules && !t->publish)
		return;

	/* copy what the cache says before anything can empty it */
	publish = t->publish;
	any_rules = t->any_rules;
	for (i = 0; i < t->ntracked; i++)
		if (t->tracked[i] == model_typid)
			tracked = true;
	rules = palloc(sizeof(AutoRule) * Max(t->nrules, 1));
	for (i = 0; i < t->nrules; i++)
	{
		AutoRule   *r = &t->rules[i];

		if (r->model != model_typid)
			continue;
		rules[nrules] = *r;
		rules[nrules].name = pstrdup(r->name);
		rules[nrules].stage = pstrdup(r->stage);
		rules[nrules].owner_column = r->owner_column ? pstrdup(r->owner_column) : NULL;
		rules[nrules].title = pstrdup(r->title);
		rules[nrules].calendar = r->calendar ? pstrdup(r->calendar) : NULL;
		nrules++;
	}

	/* the stages, by name, and whether the new one closes the entity */
	m = crm_model_lookup(model_typid, false);
	to = crm_stage_index_checked(m, to_enum);
	to_name = pstrdup(m->names[to]);
	if (OidIsValid(from_enum))
	{
		from = crm_stage_index_checked(m, from_enum);
		from_name = pstrdup(m->names[from]);
	}
	closing = any_rules && m->stages[to].category != CRM_CAT_OPEN;
	(void) from;

	/* the tasks, computed from the row as the role that wrote it */
	tasks = palloc(sizeof(NewTask) * Max(nrules, 1));
	for (i = 0; i < nrules; i++)
	{
		AutoRule   *r = &rules[i];
		NewTask    *k;

		if (strcmp(r->stage, to_name) != 0)
			continue;
		k = &tasks[ntasks++];
		k->rule = r->name;
		k->owner = row_column_text(newtup, RelationGetDescr(rel), r->owner_column,
								   relname, r->name);
		k->title = render_row(r->title, newtup, RelationGetDescr(rel), relname);
		k->due = due_time(at, &r->due_in, r->calendar);
		k->cancel_on_close = r->cancel_on_close;
	}
	if (ntasks == 0 && !closing && !tracked && !publish)
		return;

	who = current_role_name();
	owner_begin(&sw);
	if (closing)
	{
		Datum		v[6];
		char		n[6] = "      ";

		v[0] = ObjectIdGetDatum(RelationGetRelid(rel));
		v[1] = CStringGetTextDatum(id);
		v[2] = ObjectIdGetDatum(model_typid);
		v[3] = TimestampTzGetDatum(at);
		v[4] = CStringGetTextDatum(psprintf("closed: moved to %s", to_name));
		v[5] = who;
		auto_exec(PLAN_TASK_CANCEL_OPEN, v, n, SPI_OK_UPDATE);
	}
	for (i = 0; i < ntasks; i++)
	{
		TaskRow		row;

		row.rule = tasks[i].rule;
		row.relid = RelationGetRelid(rel);
		row.entity = id;
		row.owner = tasks[i].owner;
		row.title = tasks[i].title;
		row.due = tasks[i].due;
		row.kind = "follow_up";
		row.model = model_typid;
		row.stage = to_name;
		row.anchor = at;
		row.has_anchor = true;
		row.cancel_on_close = tasks[i].cancel_on_close;
		(void) insert_task(&row, who);
	}
	if (tracked)
	{
		Datum		v[5];
		char		n[6] = "     ";

		v[0] = ObjectIdGetDatum(RelationGetRelid(rel));
		v[1] = CStringGetTextDatum(id);
		v[2] = ObjectIdGetDatum(model_typid);
		v[3] = CStringGetTextDatum(to_name);
		v[4] = TimestampTzGetDatum(at);
		auto_exec(PLAN_TOUCH, v, n, SPI_OK_INSERT);
	}
	if (publish)
	{
		JsonPair	p[7];

		p[0].key = "table";
		p[0].value = json_string(qualified_name(RelationGetRelid(rel)));
		p[1].key = "entity_id";
		p[1].value = json_string(id);
		p[2].key = "model";
		p[2].value = json_string(format_type_be(model_typid));
		p[3].key = "from_stage";
		p[3].value = json_string(from_name);
		p[4].key = "to_stage";
		p[4].value = json_string(to_name);
		p[5].key = "at";
		p[5].value = json_time(at);
		p[6].key = "by";
		p[6].value = json_string(NameStr(*DatumGetName(who)));
		(void) insert_event("stage_moved", RelationGetRelid(rel), id, make_jsonb_object(p, 7));
	}
	owner_end(&sw);
}

/* ----------------------------------------------------------------------
 * The outbox's NOTIFY
 * ---------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(crm_outbox_notify);

/*
 * AFTER INSERT ... FOR EACH STATEMENT trigger of crm_sales.outbox_event,
 * with the new rows as transition table: NOTIFY crm_sales_outbox with
 * {"id": <id>, "kind": "<kind>"} for each, delivered when (and only if) the
 * inserting transaction commits.  (The trigger path's direct inserts send
 * theirs themselves.)
 */
Datum
crm_outbox_notify(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	TupleTableSlot *slot;
	int			id_att,
				kind_att;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales._outbox_notify() must be an AFTER INSERT FOR EACH STATEMENT trigger with a NEW TABLE")));
	desc = RelationGetDescr(td->tg_relation);
	id_att = SPI_fnumber(desc, "id");
	kind_att = SPI_fnumber(desc, "kind");
	if (id_att <= 0 || kind_att <= 0 ||
		TupleDescAttr(desc, id_att - 1)->atttypid != INT8OID ||
		TupleDescAttr(desc, kind_att - 1)->atttypid != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_sales._outbox_notify() needs columns id bigint and kind text")));
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		idnull,
					kindnull;
		Datum		id = slot_getattr(slot, id_att, &idnull);
		Datum		kind = slot_getattr(slot, kind_att, &kindnull);

		CHECK_FOR_INTERRUPTS();
		if (!idnull && !kindnull)
			notify_event(DatumGetInt64(id), TextDatumGetCString(kind));
	}
	ExecDropSingleTupleTableSlot(slot);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(crm_outbox_retention);

/* _outbox_retention(): the crm_sales.outbox_retention setting as an interval. */
Datum
crm_outbox_retention(PG_FUNCTION_ARGS)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = (int64) outbox_retention_minutes * USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(iv);
}

/* ----------------------------------------------------------------------
 * Tasks and activities
 * ---------------------------------------------------------------------- */

/* Refuse NULL for an argument of a non-strict function. */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/* A table the caller names must exist and be a table (or view...). */
static char *
table_name_of(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return name;
}

/* Refuse an empty entity id. */
static char *
entity_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *id;

	require_arg(fcinfo, argno, "entity_id");
	id = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (id[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("entity_id must not be empty"),
				 errhint("Pass the id of the row, as the stage history records it.")));
	return id;
}

/* Refuse an infinite time. */
static TimestampTz
finite_time(TimestampTz t, const char *name)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite time", name)));
	return t;
}

/* Does the current role hold this privilege on the table (or own it)? */
static bool
may_on_table(Oid relid, AclMode mode)
{
	return pg_class_aclcheck(relid, GetUserId(), mode) == ACLCHECK_OK;
}

PG_FUNCTION_INFO_V1(crm_log_activity);

/*
 * log_activity(table_name, entity_id, kind, subject, owner, occurred_at,
 * payload): see the SQL comment.  The caller must be able to read the
 * table; logged_by is the caller, whatever the arguments say.
 */
Datum
crm_log_activity(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *id;
	char	   *kind;
	TimestampTz occurred;
	static const char *const kinds[] = {"call", "email", "meeting", "note", "other"};
	bool		ok = false;
	int			i;
	OwnerSwitch sw;
	int64		activity_id;
	Datum		who;

	require_arg(fcinfo, 0, "table_name");
	relid = PG_GETARG_OID(0);
	id = entity_arg(fcinfo, 1);
	require_arg(fcinfo, 2, "kind");
	require_arg(fcinfo, 5, "occurred_at");
	kind = text_to_cstring(PG_GETARG_TEXT_PP(2));
	for (i = 0; i < (int) lengthof(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			ok = true;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid activity kind \"%s\"", kind),
				 errhint("Use call, email, meeting, note or other (task_done is logged by crm_sales.complete_task()).")));
	occurred = finite_time(PG_GETARG_TIMESTAMPTZ(5), "occurred_at");
	(void) table_name_of(relid);
	if (!may_on_table(relid, ACL_SELECT))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to log an activity on table %s", get_rel_name(relid)),
				 errhint("An activity may be logged by roles that may read the table.")));

	who = current_role_name();	/* the caller, before the switch */
	owner_begin(&sw);
	activity_id = insert_activity(relid, id, kind, occurred,
								  PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)),
								  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
								  PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6), who);
	owner_end(&sw);
	PG_RETURN_INT64(activity_id);
}

PG_FUNCTION_INFO_V1(crm_add_task);

/* add_task(table_name, entity_id, title, due_at, owner): see the SQL comment. */
Datum
crm_add_task(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *id;
	char	   *title;
	TimestampTz due;
	TaskRow		row;
	OwnerSwitch sw;
	int64		task_id;
	Datum		who;

	require_arg(fcinfo, 0, "table_name");
	relid = PG_GETARG_OID(0);
	id = entity_arg(fcinfo, 1);
	require_arg(fcinfo, 2, "title");
	require_arg(fcinfo, 3, "due_at");
	title = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (title[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("title must not be empty")));
	if (strlen(title) > TITLE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("task title is %zu bytes long", strlen(title)),
				 errhint("Keep titles to %d bytes.", TITLE_MAX_BYTES)));
	due = finite_time(PG_GETARG_TIMESTAMPTZ(3), "due_at");
	(void) table_name_of(relid);
	if (!may_on_table(relid, ACL_UPDATE))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to add a task on table %s", get_rel_name(relid)),
				 errhint("Tasks may be added by roles that may update the table.")));

	memset(&row, 0, sizeof(row));
	row.relid = relid;
	row.entity = id;
	row.owner = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	row.title = title;
	row.due = due;
	row.kind = "manual";
	row.model = InvalidOid;
	who = current_role_name();	/* the caller, before the switch */
	owner_begin(&sw);
	task_id = insert_task(&row, who);
	owner_end(&sw);
	PG_RETURN_INT64(task_id);
}

typedef enum TaskAction
{
	TASK_COMPLETE,
	TASK_SNOOZE,
	TASK_CANCEL
} TaskAction;

/*
 * Change a task: lock it, check the caller may (its owner, a role that may
 * update the entity's table, or a member of the owner of crm_sales.task),
 * check its status allows the action, write the change and, on completion,
 * the task_done activity.
 */
static void
task_action(int64 task_id, TaskAction action, TimestampTz until, const char *note)
{
	static const char *const verbs[] = {"complete", "snooze", "cancel"};
	OwnerSwitch sw;
	Oid			caller = GetUserId();
	char	   *caller_name = GetUserNameFromId(caller, false);
	Datum		who = current_role_name();
	Datum		v[8];
	char		n[9] = "        ";
	HeapTuple	tup;
	TupleDesc	desc;
	char	   *owner,
			   *status,
			   *entity,
			   *title;
	Oid			relid;
	bool		isnull;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	owner_begin(&sw);
	v[0] = Int64GetDatum(task_id);
	if (auto_exec(PLAN_TASK_GET, v, n, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("task " INT64_FORMAT " does not exist", task_id)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	owner = SPI_getvalue(tup, desc, 1);
	relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
	entity = SPI_getvalue(tup, desc, 3);
	status = SPI_getvalue(tup, desc, 4);
	title = SPI_getvalue(tup, desc, 5);

	/* privileges are the caller's */
	restore_user(&sw);
	if (!(owner != NULL && strcmp(owner, caller_name) == 0) &&
		!(get_rel_name(relid) != NULL && may_on_table(relid, ACL_UPDATE)) &&
		!has_privs_of_role(caller, task_table_owner()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s task " INT64_FORMAT, verbs[action], task_id),
				 errdetail("The task is assigned to %s.", owner ? owner : "nobody"),
				 errhint("A task may be changed by its owner and by roles that may update its table.")));
	if (strcmp(status, "open") != 0 && strcmp(status, "snoozed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("task " INT64_FORMAT " is %s", task_id, status),
				 errhint("Only open or snoozed tasks can be completed, snoozed or cancelled.")));
	if (action == TASK_SNOOZE && until <= now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a task can only be snoozed until a later time"),
				 errdetail("until = %s is not after the current transaction's start.",
						   timestamptz_to_str(until))));

	become_task_owner(&sw);
	v[1] = CStringGetTextDatum(action == TASK_COMPLETE ? "done" :
							   action == TASK_SNOOZE ? "snoozed" : "cancelled");
	v[2] = TimestampTzGetDatum(now);
	n[2] = action == TASK_SNOOZE ? 'n' : ' ';
	v[3] = TimestampTzGetDatum(until);
	n[3] = action == TASK_SNOOZE ? ' ' : 'n';
	v[4] = text_or_null(note, &n[4]);
	v[5] = who;
	auto_exec(PLAN_TASK_SET, v, n, SPI_OK_UPDATE);
	if (action == TASK_COMPLETE)
	{
		StringInfoData payload;

		initStringInfo(&payload);
		appendStringInfo(&payload, "{\"task_id\": " INT64_FORMAT, task_id);
		if (note != NULL)
		{
			appendStringInfoString(&payload, ", \"note\": ");
			escape_json(&payload, note);
		}
		appendStringInfoChar(&payload, '}');
		(void) insert_activity(relid, entity, "task_done", GetCurrentStatementStartTimestamp(),
							   owner, title,
							   crm_jsonb_from_buf(&payload), who);
	}
	owner_end(&sw);
}

PG_FUNCTION_INFO_V1(crm_complete_task);

/* complete_task(task_id, note) */
Datum
crm_complete_task(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "task_id");
	task_action(PG_GETARG_INT64(0), TASK_COMPLETE, 0,
				PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(crm_snooze_task);

/* snooze_task(task_id, until) */
Datum
crm_snooze_task(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "task_id");
	require_arg(fcinfo, 1, "until");
	task_action(PG_GETARG_INT64(0), TASK_SNOOZE,
				finite_time(PG_GETARG_TIMESTAMPTZ(1), "until"), NULL);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(crm_cancel_task);

/* cancel_task(task_id, note) */
Datum
crm_cancel_task(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "task_id");
	task_action(PG_GETARG_INT64(0), TASK_CANCEL, 0,
				PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
