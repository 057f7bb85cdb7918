-- Business calendars: create_calendar, add_holiday, is_business_day,
-- add_business_days, add_business_time, business_days_between.
--
-- The calendar 'cn' below follows the pattern of China's National Day
-- week (dates made up for the test): 2026-10-01 (Thursday) to 2026-10-07
-- off, with Sunday 2026-09-27 and Saturday 2026-10-10 worked instead (调休).
-- Expected dates are read off a wall calendar (2026-09-25 is a Friday);
-- the bulk checks compare with a plain-SQL day-by-day reference built from
-- generate_series, extract(isodow) and the holiday table, which shares no
-- code with the C under test.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET TimeZone = 'UTC';

SELECT create_calendar('cn', '{6,7}', 'Asia/Shanghai', 'Mainland China');
SELECT add_holiday('cn', d::date, 'National Day')
  FROM generate_series('2026-10-01'::date, '2026-10-07', '1 day') d;
SELECT add_holiday('cn', '2026-09-27', 'make-up working day', working => true);
SELECT add_holiday('cn', '2026-10-10', 'make-up working day', working => true);
SELECT * FROM business_calendar ORDER BY calendar;
SELECT calendar, day, to_char(day, 'Dy') AS dow, label, working FROM holiday ORDER BY day;

-- day by day around the holiday week
SELECT d::date AS day, to_char(d, 'Dy') AS dow, is_business_day(d::date, 'cn') AS business
  FROM generate_series('2026-09-25'::date, '2026-10-12', '1 day') d;

-- Wednesday 30 Sep + 1 = Thursday 8 Oct (1-7 Oct off)
SELECT add_business_days('2026-09-30', 1, 'cn');
-- Friday 25 Sep + 1 = Sunday 27 Sep (worked); + 3 = Tuesday 29 Sep
SELECT add_business_days('2026-09-25', 1, 'cn'), add_business_days('2026-09-25', 3, 'cn');
-- Friday 9 Oct + 1 = Saturday 10 Oct (worked); + 2 = Monday 12 Oct
SELECT add_business_days('2026-10-09', 1, 'cn'), add_business_days('2026-10-09', 2, 'cn');
-- backwards: Thursday 8 Oct - 1 = Wednesday 30 Sep; - 4 = Sunday 27 Sep
SELECT add_business_days('2026-10-08', -1, 'cn'), add_business_days('2026-10-08', -4, 'cn');
-- 0 keeps the day, even a holiday; no calendar counts every day
SELECT add_business_days('2026-10-03', 0, 'cn'), add_business_days('2026-10-03', 3, NULL);
-- business days in (from, to]: 30 Sep..12 Oct holds 8, 9, 10, 12 Oct
SELECT business_days_between('2026-09-30', '2026-10-12', 'cn'),
	   business_days_between('2026-10-12', '2026-09-30', 'cn'),
	   business_days_between('2026-10-02', '2026-10-02', 'cn');

-- The reference: every day of two years, business or not, in plain SQL.
CREATE TEMP TABLE ref_days AS
SELECT d::date AS day,
	   coalesce(h.working, extract(isodow FROM d) NOT IN (6, 7)) AS biz
  FROM generate_series('2025-06-01'::date, '2027-09-01', '1 day') d
  LEFT JOIN crm_sales.holiday h ON h.calendar = 'cn' AND h.day = d::date;
CREATE TEMP TABLE cases AS
SELECT s::date AS start, n
  FROM generate_series('2026-08-01'::date, '2026-11-30', '1 day') s,
	   generate_series(-25, 25) n;
-- every (start, n) of four months x -25..25: mismatches with the reference
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE add_business_days(c.start, c.n, 'cn') IS DISTINCT FROM
		   CASE WHEN c.n = 0 THEN c.start
				WHEN c.n > 0 THEN (SELECT r.day FROM ref_days r WHERE r.day > c.start AND r.biz
									ORDER BY r.day OFFSET c.n - 1 LIMIT 1)
				ELSE (SELECT r.day FROM ref_days r WHERE r.day < c.start AND r.biz
					   ORDER BY r.day DESC OFFSET -c.n - 1 LIMIT 1) END) AS add_mismatches,
	   count(*) FILTER (WHERE business_days_between(c.start, c.start + c.n, 'cn') IS DISTINCT FROM
		   CASE WHEN c.n >= 0
				THEN (SELECT count(*) FROM ref_days r
					   WHERE r.day > c.start AND r.day <= c.start + c.n AND r.biz)
				ELSE -(SELECT count(*) FROM ref_days r
						WHERE r.day > c.start + c.n AND r.day <= c.start AND r.biz) END)
		   AS between_mismatches,
	   count(*) FILTER (WHERE is_business_day(c.start + c.n, 'cn') IS DISTINCT FROM
		   (SELECT r.biz FROM ref_days r WHERE r.day = c.start + c.n)) AS day_mismatches
  FROM cases c;

-- Timestamps: the days of the interval are business days of the calendar's
-- time zone (Asia/Shanghai, UTC+8, no daylight saving), the hours are added
-- as they are.  30 Sep 18:00 CST + 1 day 2 hours = 8 Oct 18:00 + 2 h
-- = 8 Oct 20:00 CST = 12:00 UTC.
SELECT add_business_time('2026-09-30 18:00+08', '1 day 2 hours', 'cn');
-- 30 Sep 20:00 UTC is 1 Oct 04:00 in Shanghai, a holiday: + 1 business day
-- = 8 Oct 04:00 CST = 7 Oct 20:00 UTC (a UTC calendar would say 1 Oct)
SELECT add_business_time('2026-09-30 20:00+00', '1 day', 'cn');
-- negative intervals count backwards: 8 Oct 10:00 CST - 1 day = 30 Sep 10:00 CST
SELECT add_business_time('2026-10-08 10:00+08', '-1 day', 'cn');
-- hours only: no business-day shift; NULL calendar: plain addition
SELECT add_business_time('2026-10-03 10:00+08', '5 hours', 'cn'),
	   add_business_time('2026-10-03 10:00+08', '1 month', NULL),
	   add_business_time('infinity', '3 days', 'cn'),
	   add_business_time(NULL, '3 days', 'cn') IS NULL AS null_in_null_out;

-- A calendar without a time zone uses the session's; weekends differ.
SELECT create_calendar('gulf', '{5,6}', description => 'Friday and Saturday off');
SELECT create_calendar('always', '{}');
SET TimeZone = 'America/New_York';
-- Thursday 24 Sep 2026 23:00 New York + 1 business day (Fri, Sat off) =
-- Sunday 27 Sep 23:00 EDT = 28 Sep 03:00 UTC
SELECT add_business_time('2026-09-24 23:00-04', '1 day', 'gulf') AT TIME ZONE 'UTC' AS utc;
RESET TimeZone;
SET TimeZone = 'UTC';
SELECT add_business_days('2026-10-02', 3, 'always'), is_business_day('2026-10-03', 'always');

-- A change of the calendar is seen at once (the cache is invalidated).
SELECT add_business_days('2026-11-02', 1, 'cn');
SELECT add_holiday('cn', '2026-11-03', 'office move');
SELECT add_business_days('2026-11-02', 1, 'cn');
-- listing a day again replaces it
SELECT add_holiday('cn', '2026-11-03', 'office move', working => true);
SELECT add_business_days('2026-11-02', 1, 'cn');
DELETE FROM holiday WHERE calendar = 'cn' AND day = '2026-11-03';

-- infinite dates pass through add_business_days
SELECT add_business_days('infinity', 5, 'cn'), add_business_days('-infinity', 5, 'cn');

-- Errors
SELECT add_business_days('2026-10-01', 1, 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT is_business_day('2026-10-01', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT is_business_day('infinity', 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT business_days_between('2026-10-01', 'infinity', 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT add_business_time('2026-10-01', '1 month', 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT add_business_days('5874897-12-20', 20, 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT add_business_days('4714-11-30 BC', -20, 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT add_business_time('294276-12-20', '20 days', 'cn');
\echo :LAST_ERROR_SQLSTATE
SELECT add_business_days('2026-01-01', 2147483647, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('cn');
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('');
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('bad', '{0,6}');
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('bad', '{6,NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('bad', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('bad', '{1,2,3,4,5,6,7}');
\echo :LAST_ERROR_SQLSTATE
SELECT create_calendar('bad', '{6,7}', 'Mars/Olympus_Mons');
\echo :LAST_ERROR_SQLSTATE
SELECT add_holiday('nope', '2026-10-01');
\echo :LAST_ERROR_SQLSTATE
SELECT add_holiday('cn', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT add_holiday('cn', 'infinity');
\echo :LAST_ERROR_SQLSTATE
-- the table's own checks hold for direct writes too
INSERT INTO business_calendar VALUES ('bad', '{8}');
\echo :LAST_ERROR_SQLSTATE

DROP TABLE ref_days, cases;
DELETE FROM business_calendar;
