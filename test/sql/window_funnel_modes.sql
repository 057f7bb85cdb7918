-- window_funnel: hand-derived cases per mode, the tie rule, NULLs, windows,
-- errors and the size limit.  Each expected level is derived in the comment
-- above it from ClickHouse's windowFunnel rules (current source of
-- AggregateFunctionWindowFunnel: a step-1 event starts a chain, a step k
-- event extends the chain that reached k-1 when it is at most `window`
-- after that chain's step-1 event; strict_* as documented in the README).
-- Letters: A = step 1, B = step 2, C = step 3, X = an event of no step.
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
-- wf(window seconds, mode, timestamps in seconds, step of each row (0 = X))
CREATE FUNCTION wf(win float8, mode text, t float8[], s int[]) RETURNS int
LANGUAGE sql AS $$
  SELECT crm_sales.window_funnel(make_interval(secs => win), mode, to_timestamp(u.t),
								 u.s = 1, u.s = 2, u.s = 3)
	FROM unnest(t, s) AS u(t, s) $$;

-- default mode
-- A@0 B@1 C@2: 3 with window 10; window 1 stops before C (2 > 0 + 1): 2;
-- window 2 puts C exactly on the edge (inclusive): 3
SELECT wf(10, '', '{0,1,2}', '{1,2,3}') AS "3", wf(1, '', '{0,1,2}', '{1,2,3}') AS "2",
	   wf(2, 'default', '{0,1,2}', '{1,2,3}') AS "3 edge";
-- rows in any order: C@2 A@0 B@1 is the same log: 3
SELECT wf(10, '', '{2,0,1}', '{3,1,2}') AS "3";
-- B@0 A@1 C@2: B has no chain before it, C none after level 1: 1
SELECT wf(10, '', '{0,1,2}', '{2,1,3}') AS "1";
-- A@0 B@5 A@8 C@12, window 10: the A@0 chain reaches B; C@12 is 12 > 10 after
-- A@0; A@8 restarts level 1 only: 2
SELECT wf(10, '', '{0,5,8,12}', '{1,2,1,3}') AS "2";
-- A@0 A@8 B@9 C@12, window 10: B@9 extends the A@8 chain, C@12 is 4 after
-- A@8: 3
SELECT wf(10, '', '{0,8,9,12}', '{1,1,2,3}') AS "3";
-- the window counts from the chain's step-1 event, not the previous step:
-- A@0 B@6 C@11, window 10: C is 11 after A: 2
SELECT wf(10, '', '{0,6,11}', '{1,2,3}') AS "2";
-- no step 1 at all: 0; no rows: 0
SELECT wf(10, '', '{1,2}', '{2,3}') AS "0", wf(10, '', '{}', '{}') AS "0 empty";

-- tie rule: events sharing a timestamp are taken in ascending step order
-- (as ClickHouse's current source sorts on (timestamp, step)), whatever the
-- row order.  A@5 and B@5, window 0: A then B: 2.  ties_descending takes B
-- first, which finds no chain, then A: 1 (ClickHouse 18.16 with rows
-- inserted in that order).
SELECT wf(0, '', '{5,5}', '{1,2}') AS "2", wf(0, '', '{5,5}', '{2,1}') AS "2 swapped",
	   wf(0, 'ties_descending', '{5,5}', '{1,2}') AS "1",
	   wf(0, 'ties_descending', '{5,5}', '{2,1}') AS "1 swapped";
-- one row matching steps 1 and 2: 2 by default, 1 with ties_descending
-- (ClickHouse 18.16 takes one row's steps last to first: checked in
-- window_funnel_clickhouse)
SELECT window_funnel('0', now(), true, true) AS "2",
	   window_funnel('0', 'ties_descending', now(), true, true) AS "1";
-- A@0, B@1 twice at one timestamp, C@1: 3 by default
SELECT wf(10, '', '{0,1,1,1}', '{1,2,2,3}') AS "3";

-- strict_deduplication: A@0 B@1 B@2 C@3: the second B repeats reached
-- level 2: stop at 2 (default: 3)
SELECT wf(10, 'strict_deduplication', '{0,1,2,3}', '{1,2,2,3}') AS "2",
	   wf(10, '', '{0,1,2,3}', '{1,2,2,3}') AS "3";
-- a repeated step 1 is no repeat, it restarts: A@0 A@1 B@2: 2
SELECT wf(10, 'strict_deduplication', '{0,1,2}', '{1,1,2}') AS "2";
-- a step repeats only once it was reached: A@0 C@1 B@2 C@3: C@1 finds no
-- level 2; B@2 -> 2; C@3 -> 3
SELECT wf(10, 'strict_deduplication', '{0,1,2,3}', '{1,3,2,3}') AS "3";

-- strict_order: A@0 B@1 X@2 C@3: X interrupts the chain: 2 (default 3)
SELECT wf(10, 'strict_order', '{0,1,2,3}', '{1,2,0,3}') AS "2",
	   wf(10, '', '{0,1,2,3}', '{1,2,0,3}') AS "3";
-- X before any A does not matter: X@0 A@1 B@2: 2
SELECT wf(10, 'strict_order', '{0,1,2}', '{0,1,2}') AS "2";
-- A@0 C@1 B@2 C@3: C@1 comes before level 2 was reached: stop at 1
SELECT wf(10, 'strict_order', '{0,1,2,3}', '{1,3,2,3}') AS "1";
-- B@0 A@1 B@2: B@0 precedes every A, ignored: 2
SELECT wf(10, 'strict_order', '{0,1,2}', '{2,1,2}') AS "2";
-- X and A at one timestamp: X is taken first (ClickHouse sorts the
-- no-step event 0 first), before any A: A@0 X@0 B@1: 2
SELECT wf(10, 'strict_order', '{0,0,1}', '{1,0,2}') AS "2";
-- allow_reentry (with strict_order; current ClickHouse source): a step
-- whose predecessor was not reached yet is skipped instead of ending the
-- search.  A@0 C@1 B@2 C@3: strict_order stops at 1 (C@1 too early);
-- allow_reentry skips C@1, B@2 -> 2, C@3 -> 3
SELECT wf(10, 'strict_order', '{0,1,2,3}', '{1,3,2,3}') AS "1",
	   wf(10, 'strict_order, allow_reentry', '{0,1,2,3}', '{1,3,2,3}') AS "3";
-- an event of no step still ends the search: A@0 B@1 X@2 C@3 -> 2
SELECT wf(10, 'strict_order allow_reentry', '{0,1,2,3}', '{1,2,0,3}') AS "2";
-- strict_deduplication still stops first: A@0 B@1 B@2 C@3 -> 2
SELECT wf(10, 'strict_order,strict_deduplication,allow_reentry', '{0,1,2,3}', '{1,2,2,3}') AS "2";
-- allow_reentry alone is refused, as ClickHouse refuses it
SELECT wf(10, 'allow_reentry', '{0}', '{1}');
\echo :LAST_ERROR_SQLSTATE
-- strict_once (current ClickHouse source, getEventLevelStrictOnce): one
-- row counts at most once in a chain.  A row matching steps 1 and 2: 2 by
-- default (the row reaches both), 1 under strict_once
SELECT window_funnel('0', now(), true, true) AS "2",
	   window_funnel('0', 'strict_once', now(), true, true) AS "1";
-- A@0 and a row AB@5 (steps 1 and 2), window 10: strict_once chains A@0
-- with AB's step 2 -> 2; with window 4, AB@5 is 5 after A@0 and cannot use
-- its own step 1 -> 1 (default: 2 from AB alone)
SELECT window_funnel('10 s', 'strict_once', t, a, b) AS "2",
	   window_funnel('4 s', 'strict_once', t, a, b) AS "1",
	   window_funnel('4 s', t, a, b) AS "2 default"
  FROM (VALUES (timestamptz '2026-01-01 00:00:00+00', true, false),
			   ('2026-01-01 00:00:05+00', true, true)) v(t, a, b);
-- funnel_events has one step per row: strict_once changes nothing
SELECT funnel_events('10 s', e, t, s, 'strict_once')::text =
	   funnel_events('10 s', e, t, s)::text AS "true"
  FROM (VALUES (1, timestamptz '2026-01-01 00:00:00+00', 1), (1, '2026-01-01 00:00:01+00', 2),
			   (2, '2026-01-01 00:00:00+00', 1), (2, '2026-01-01 00:00:00+00', 2)) v(e, t, s);
-- any_order (PostHog's unordered funnel): the level is the most distinct
-- steps done within one window, in any order.  C@0 A@1 B@2 -> 3;
-- window 1: C@0 A@1 or A@1 B@2 -> 2; a lone B -> 1 (any one step is step 1)
SELECT wf(10, 'any_order', '{0,1,2}', '{3,1,2}') AS "3", wf(1, 'any_order', '{0,1,2}', '{3,1,2}') AS "2",
	   wf(10, 'any_order', '{5}', '{2}') AS "1", wf(10, '', '{5}', '{2}') AS "0 default";
-- a step repeated does not count twice: A@0 A@1 B@30, window 10 -> 1
SELECT wf(10, 'any_order', '{0,1,30}', '{1,1,2}') AS "1";
SELECT wf(10, 'any_order, strict_order', '{0}', '{1}');
\echo :LAST_ERROR_SQLSTATE
-- a row whose conditions are all NULL is an X event in strict_order
SELECT window_funnel('10 s', 'strict_order', t, s = 1, s = 2) AS "1"
  FROM (VALUES (timestamptz '2026-01-01 00:00:00+00', 1), ('2026-01-01 00:00:01+00', NULL),
			   ('2026-01-01 00:00:02+00', 2)) v(t, s);

-- strict_increase: A@0 B@0 C@1: B is not after A: 1 (default 3)
SELECT wf(10, 'strict_increase', '{0,0,1}', '{1,2,3}') AS "1",
	   wf(10, '', '{0,0,1}', '{1,2,3}') AS "3";
-- compared with the previous step's event: A@0 B@1 C@1: 2
SELECT wf(10, 'strict_increase', '{0,1,1}', '{1,2,3}') AS "2";
-- as ClickHouse: A@0 A@5 B@5: A@5 restarts level 1 at 5 before B@5 is
-- taken, so B@5 is not after it: 1
SELECT wf(10, 'strict_increase', '{0,5,5}', '{1,1,2}') AS "1";

-- modes combine; keywords in any case, separated by commas or spaces
SELECT wf(10, 'strict_order, STRICT_deduplication', '{0,1,2}', '{1,2,2}') AS "2",
	   wf(10, 'strict_order strict_increase', '{0,1,2}', '{1,2,3}') AS "3";

-- windows: an interval in any unit, a month counting 30 days, microseconds
-- exact.  A@0 B@30 days: '1 mon' -> 2, '29 days 23:59:59.999999' -> 1
SELECT wf(30 * 86400, '', '{0,2592000}', '{1,2}') AS "2",
	   window_funnel('1 mon', t, s = 1, s = 2) AS "2 mon",
	   window_funnel('29 days 23:59:59.999999', t, s = 1, s = 2) AS "1"
  FROM (VALUES (timestamptz '2026-01-01 00:00:00+00', 1), ('2026-01-31 00:00:00+00', 2)) v(t, s);
SELECT window_funnel('0', t, s = 1, s = 2) AS "1", window_funnel('1 microsecond', t, s = 1, s = 2) AS "2"
  FROM (VALUES (timestamptz '2026-01-01 00:00:00+00', 1), ('2026-01-01 00:00:00.000001+00', 2)) v(t, s);

-- 32 steps: one event per step one second apart, window 31 s: 32; 30 s: 31
SELECT window_funnel('31 s', 'default', to_timestamp(k), ARRAY(SELECT k = j FROM generate_series(1, 32) j)) AS "32",
	   window_funnel('30 s', 'default', to_timestamp(k), ARRAY(SELECT k = j FROM generate_series(1, 32) j)) AS "31"
  FROM generate_series(1, 32) k;
SELECT window_funnel('31 s', to_timestamp(k), k=1,k=2,k=3,k=4,k=5,k=6,k=7,k=8,k=9,k=10,k=11,k=12,k=13,k=14,k=15,k=16,
					 k=17,k=18,k=19,k=20,k=21,k=22,k=23,k=24,k=25,k=26,k=27,k=28,k=29,k=30,k=31,k=32) AS "32"
  FROM generate_series(1, 32) k;

-- NULLs: a row with a NULL timestamp, window or mode is skipped; a NULL
-- condition is false.  A@0, B with NULL ts, B@1 with NULL condition: 1
SELECT window_funnel('10 s', t, s = 1, s = 2) AS "1"
  FROM (VALUES (timestamptz '2026-01-01 00:00:00+00', 1), (NULL, 2), ('2026-01-01 00:00:01+00', NULL)) v(t, s);
SELECT window_funnel(NULL::interval, now(), true) AS "0", window_funnel('1 s', NULL::text, now(), true) AS "0 mode",
	   window_funnel('1 s', now(), NULL::bool[]) AS "0 array";

-- as a window function (the final function runs again after more rows):
-- B@5 -> 0; + A@0 -> A B = 2; + C@7 (7 s after A) -> 3; + B@1 -> 3.
-- funnel_events over the same rows (one entity): {0,0}, {1,1}, {1,1,1}, {1,1,1}
SELECT t, s, window_funnel('10 s', ts, s = 1, s = 2, s = 3) OVER (ORDER BY t) AS running,
	   funnel_events('10 s', 1, ts, s) OVER (ORDER BY t) AS running_funnel
  FROM (VALUES (1, timestamptz '2026-01-01 00:00:05+00', 2), (2, '2026-01-01 00:00:00+00', 1),
			   (3, '2026-01-01 00:00:07+00', 3), (4, '2026-01-01 00:00:01+00', 2)) v(t, ts, s);

-- errors
SELECT window_funnel('-1 s', now(), true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', 'strict_order,bogus', now(), true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', 'strict', now(), true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', 'infinity'::timestamptz, true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', '-infinity'::timestamptz, true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel(make_interval(secs => k), now(), true) FROM generate_series(1, 2) k;
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', now(), ARRAY[]::bool[]);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', now(), ARRAY(SELECT true FROM generate_series(1, 33)));
\echo :LAST_ERROR_SQLSTATE
-- (not an error: two rows at one timestamp, steps {1} and {1,2}: 1, 1, 2 -> 2)
SELECT window_funnel('10 s', now(), ARRAY[true, k > 1]) AS "2" FROM generate_series(1, 2) k;
SELECT window_funnel('10 s', now(), CASE WHEN k = 1 THEN ARRAY[true] ELSE ARRAY[true, true] END) FROM generate_series(1, 2) k;
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', now(), true,true,true,true,true,true,true,true,true,true,true,true,true,true,true,true,
					 true,true,true,true,true,true,true,true,true,true,true,true,true,true,true,true,true);
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('178000000 years', now(), true);
\echo :LAST_ERROR_SQLSTATE

-- the size limit: 12 bytes per kept event; rows matching no step are not
-- kept (except in strict_order)
SET crm_sales.window_funnel_max_events = 3;
SELECT window_funnel('10 s', to_timestamp(k), k % 2 = 0) AS "1" FROM generate_series(1, 7) k;
SELECT window_funnel('10 s', to_timestamp(k), true) FROM generate_series(1, 4) k;
\echo :LAST_ERROR_SQLSTATE
SELECT window_funnel('10 s', 'strict_order', to_timestamp(k), k % 2 = 0) FROM generate_series(1, 4) k;
\echo :LAST_ERROR_SQLSTATE
RESET crm_sales.window_funnel_max_events;
SET crm_sales.window_funnel_max_events = 0;
SHOW crm_sales.window_funnel_max_events;

DROP FUNCTION wf(float8, text, float8[], int[]);

-- Random event logs (ties and rows matching several steps included) against
-- a transcription of ClickHouse's current getEventLevel into Python, which
-- shares no code with ours: test/reference/clickhouse/modes/ (script and the
-- answers it printed).  Every mode and window must give 0 mismatches over
-- the 300 entities.
CREATE TABLE ch_mode_rows (entity int, ts int, c1 int, c2 int, c3 int, c4 int);
\copy ch_mode_rows FROM 'test/reference/clickhouse/modes/rows.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ch_mode_expected (mode text, win int, entity int, level int);
\copy ch_mode_expected FROM 'test/reference/clickhouse/modes/expected.csv' WITH (FORMAT csv, HEADER)
SELECT x.mode, x.win, count(*) AS compared, count(*) FILTER (WHERE x.level <> o.level) AS mismatches,
	   count(*) FILTER (WHERE x.level >= 2) AS level_2_or_more
  FROM ch_mode_expected x
  JOIN (SELECT m.mode, w.win, r.entity,
			   crm_sales.window_funnel(make_interval(secs => w.win), m.mode, to_timestamp(r.ts),
									   r.c1 = 1, r.c2 = 1, r.c3 = 1, r.c4 = 1) AS level
		  FROM ch_mode_rows r
		 CROSS JOIN (SELECT DISTINCT mode FROM ch_mode_expected) m
		 CROSS JOIN (VALUES (0), (3)) w(win)
		 GROUP BY 1, 2, 3) o USING (mode, win, entity)
 GROUP BY 1, 2 ORDER BY 1, 2;
DROP TABLE ch_mode_rows, ch_mode_expected;

-- A setting given before the library is loaded (SET at the start of a
-- session, ALTER ROLE ... SET, postgresql.conf) must survive the load: a
-- fresh session sets the limit to 3 before calling any crm_sales function,
-- then 4 kept events must fail with 54000 (no "removing it" warning).
\c -
SET crm_sales.window_funnel_max_events = 3;
SELECT crm_sales.window_funnel('10 s', to_timestamp(k), true) FROM generate_series(1, 4) k;
\echo :LAST_ERROR_SQLSTATE
SHOW crm_sales.window_funnel_max_events;
RESET crm_sales.window_funnel_max_events;
