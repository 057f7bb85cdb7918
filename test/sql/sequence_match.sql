-- sequence_match / sequence_count: ClickHouse 18.16.1 (Debian
-- clickhouse-server) answers for a generated log, hand-derived cases (ties,
-- "==" time conditions that 18.16 does not have, units), NULLs, errors with
-- the position in the pattern, limits and parallel plans.
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
SET client_min_messages = warning;

-- The log of test/reference/clickhouse/sequence/gen_sequence.py and the
-- answers ClickHouse itself printed (run_sequence.sh), one row per
-- (pattern, entity).
CREATE TABLE sq_events (entity bigint, ts bigint, c1 int, c2 int, c3 int);
\copy sq_events FROM 'test/reference/clickhouse/sequence/events.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE sq_patterns (pattern_no int GENERATED ALWAYS AS IDENTITY, pattern text);
\copy sq_patterns (pattern) FROM 'test/reference/clickhouse/sequence/patterns.txt'
CREATE TABLE sq_expected (pattern_no int, entity bigint, matched int, count bigint);
\copy sq_expected FROM 'test/reference/clickhouse/sequence/expected.csv' WITH (FORMAT csv, HEADER)
ANALYZE sq_events, sq_expected;
SELECT count(*) AS rows, count(DISTINCT entity) AS entities,
	   count(*) FILTER (WHERE c1 + c2 + c3 = 0) AS non_event_rows,
	   count(*) FILTER (WHERE c1 + c2 + c3 > 1) AS multi_condition_rows,
	   (SELECT count(*) FROM sq_patterns) AS patterns
  FROM sq_events;
CREATE TABLE sq_ours AS
SELECT p.pattern_no, e.entity,
	   sequence_match(p.pattern, to_timestamp(e.ts), e.c1 = 1, e.c2 = 1, e.c3 = 1)::int AS matched,
	   sequence_count(p.pattern, to_timestamp(e.ts), e.c1 = 1, e.c2 = 1, e.c3 = 1) AS count
  FROM sq_events e CROSS JOIN sq_patterns p
 GROUP BY p.pattern_no, e.entity;
-- every (pattern, entity): 0 mismatches; the answers are not all equal
SELECT p.pattern_no, p.pattern, count(*) AS compared,
	   count(*) FILTER (WHERE o.matched IS DISTINCT FROM x.matched) AS match_differ,
	   count(*) FILTER (WHERE o.count IS DISTINCT FROM x.count) AS count_differ,
	   sum(x.matched) AS matched, sum(x.count) AS total_count
  FROM sq_patterns p
  JOIN sq_expected x USING (pattern_no)
  FULL JOIN sq_ours o USING (pattern_no, entity)
 GROUP BY p.pattern_no, p.pattern ORDER BY p.pattern_no;

-- the same under a parallel plan (partial states cross processes)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT entity, sequence_count('(?1).*(?t<=10)(?3)', to_timestamp(ts), c1 = 1, c2 = 1, c3 = 1)
  FROM sq_events GROUP BY entity;
SELECT count(*) AS compared, count(*) FILTER (WHERE o.c IS DISTINCT FROM x.count) AS differ
  FROM (SELECT entity, sequence_count('(?1).*(?t<=10)(?3)', to_timestamp(ts), c1 = 1, c2 = 1, c3 = 1) AS c
		  FROM sq_events GROUP BY entity) o
  JOIN sq_expected x ON x.entity = o.entity
 WHERE x.pattern_no = (SELECT pattern_no FROM sq_patterns WHERE pattern = '(?1).*(?t<=10)(?3)');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_hashagg;

-- Hand-derived cases.  sq(pattern, seconds, conditions as 'abc' letters per
-- row: a = cond1, b = cond2, c = cond3, '-' none) -> matched / count
CREATE FUNCTION sq(pat text, t int[], c text[]) RETURNS text
LANGUAGE sql AS $$
  SELECT crm_sales.sequence_match(pat, to_timestamp(u.t), u.c LIKE '%a%', u.c LIKE '%b%', u.c LIKE '%c%')
		 || '/' || crm_sales.sequence_count(pat, to_timestamp(u.t), u.c LIKE '%a%', u.c LIKE '%b%', u.c LIKE '%c%')
	FROM unnest(t, c) AS u(t, c) $$;
-- ties: equal timestamps are taken in ascending order of the condition
-- mask (cond1 = 1 before cond2 = 2), whatever the row order: a@5 b@5
-- matches (?1)(?2) and not (?2)(?1)
SELECT sq('(?1)(?2)', '{5,5}', '{b,a}') AS "true/1", sq('(?2)(?1)', '{5,5}', '{a,b}') AS "false/0";
-- a row with a and b (mask 3) sorts after a row with b only (mask 2): b@5
-- ab@5 -> the events are b, ab: (?2)(?1) matches (b then ab), (?1)(?2)
-- does not (ab is the last event)
SELECT sq('(?2)(?1)', '{5,5}', '{ab,b}') AS "true/1", sq('(?1)(?2)', '{5,5}', '{ab,b}') AS "false/0";
-- one row satisfying two conditions is one event: (?1)(?2) needs two
SELECT sq('(?1)(?2)', '{5}', '{ab}') AS "false/0", sq('(?1)', '{5}', '{ab}') AS "true/1";
-- rows where no condition holds are no events: a@1 -@2 b@3 matches
-- (?1)(?2) (adjacent events) and not (?1).(?2)
SELECT sq('(?1)(?2)', '{1,2,3}', '{a,-,b}') AS "true/1", sq('(?1).(?2)', '{1,2,3}', '{a,-,b}') AS "false/0";
-- "==" (current ClickHouse; 18.16 refuses it): a@0 b@3 b@4 with (?t==4)
-- from a: the backtracking skips b@3 (3 <> 4) and takes b@4
SELECT sq('(?1)(?t==4)(?2)', '{0,3,4}', '{a,b,b}') AS "true/1", sq('(?1)(?t==5)(?2)', '{0,3,4}', '{a,b,b}') AS "false/0";
-- units: (?t<=14d) is 1209600 seconds; a@0 b@1209600 matches, b one
-- second later does not; 2h = 7200 s
SELECT sq('(?1)(?t<=14d)(?2)', '{0,1209600}', '{a,b}') AS "true/1",
	   sq('(?1)(?t<=14d)(?2)', '{0,1209601}', '{a,b}') AS "false/0",
	   sq('(?1)(?t>=2h)(?2)', '{0,7200}', '{a,b}') AS "true/1",
	   sq('(?1)(?t<1w)(?2)', '{0,604800}', '{a,b}') AS "false/0",
	   sq('(?1)(?t<=1m)(?2)', '{0,60}', '{a,b}') AS "true/1";
-- sequence_count does not overlap matches: a a b b -> (?1).*(?2) once
-- (a@1 .. b@3; the search goes on after b@3 and finds no a); a b a b -> 2
SELECT sq('(?1).*(?2)', '{1,2,3,4}', '{a,a,b,b}') AS "true/1", sq('(?1).*(?2)', '{1,2,3,4}', '{a,b,a,b}') AS "true/2";
-- the empty pattern matches; its count is the number of events (as ".*")
SELECT sq('', '{1,2,3}', '{a,-,c}') AS "true/2", sq('.*', '{1,2,3}', '{a,-,c}') AS "true/2";

-- The use case: a proposal followed by negotiation within 14 days, with no
-- lost event between.  A time condition lets any events happen before the
-- event after it (ClickHouse: "any quantity of any type of events is
-- allowed over the specified time": a failing (?t<=...) backtracks to the
-- next event), so (?1)(?t<=14d)(?2) also accepts deal 3, whose proposal
-- and negotiation have a lost event between.  "Nothing between" is
-- adjacency, (?1)(?2), over the events of the three kinds; the 14 days go
-- into condition 2 with lag() over those events.
CREATE TABLE deal_moves (deal int, at timestamptz, stage text);
INSERT INTO deal_moves VALUES
  (1, '2026-03-01', 'proposal'), (1, '2026-03-10', 'negotiation'),            -- yes
  (2, '2026-03-01', 'proposal'), (2, '2026-03-20', 'negotiation'),            -- 19 days
  (3, '2026-03-01', 'proposal'), (3, '2026-03-05', 'closed_lost'),
  (3, '2026-03-08', 'negotiation'),                                           -- lost between
  (4, '2026-03-01', 'proposal'), (4, '2026-03-03', 'email'),
  (4, '2026-03-04', 'negotiation'),                                           -- yes (email is no event)
  (5, '2026-03-01', 'proposal'), (5, '2026-03-02', 'closed_lost'),
  (5, '2026-03-03', 'proposal'), (5, '2026-03-12', 'negotiation');            -- yes, from the second proposal
SELECT deal,
	   sequence_match('(?1)(?t<=14d)(?2)', at, stage = 'proposal', stage = 'negotiation',
					  stage = 'closed_lost') AS "within 14 days, events between allowed",
	   sequence_match('(?1)(?2)', at, stage = 'proposal',
					  stage = 'negotiation' AND at - prev_at <= interval '14 days',
					  stage = 'closed_lost') AS "within 14 days, nothing between"
  FROM (SELECT deal, at, stage, lag(at) OVER (PARTITION BY deal ORDER BY at) AS prev_at
		  FROM deal_moves WHERE stage IN ('proposal', 'negotiation', 'closed_lost')) m
 GROUP BY deal ORDER BY deal;

-- NULLs: a NULL condition is false; rows with a NULL pattern or timestamp
-- are skipped; no rows gives NULL
SELECT sequence_match('(?1)(?2)', t, c1, c2) AS "true", sequence_count('(?1)(?2)', t, c1, c2) AS "1"
  FROM (VALUES (timestamptz '2026-01-01 00:00:01+00', true, NULL::bool),
			   (NULL, false, true), ('2026-01-01 00:00:02+00', NULL, true)) v(t, c1, c2);
SELECT sequence_match('(?1)(?2)', now(), true, false) IS NULL AS "false",
	   sequence_match('(?1)(?2)', now(), true, false) FILTER (WHERE false) IS NULL AS "true",
	   sequence_count(NULL, now(), true, false) IS NULL AS "true";
-- a group whose rows are all non-events: nothing matches, but "" does
SELECT sequence_match('(?1)', now(), false, false) AS "false", sequence_match('', now(), false, false) AS "true",
	   sequence_count('', now(), false, false) AS "0";
-- 32 conditions, the most; VARIADIC array form
SELECT sequence_match('(?32)', now(), true, VARIADIC array_fill(true, ARRAY[31])) AS "true",
	   sequence_count('(?1)(?2)', t, c, VARIADIC ARRAY[NOT c]) AS "1"
  FROM (VALUES (timestamptz '2026-01-01 00:00:01+00', true), ('2026-01-01 00:00:02+00', false)) v(t, c);

-- errors: a malformed pattern is 22023 naming the (1-based) position
SELECT sequence_match('(?1) (?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?x)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?0)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?3)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)(?t=4)(?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)(?t<)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)(?t<5)(?t>1)(?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)(?t<=99999999999999999999)(?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)(?t<5y)(?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)é(?2)', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
-- the position counts characters: é is one
SELECT sequence_match('é', now(), true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)', now(), true, VARIADIC ARRAY[]::bool[]);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)', now(), true, VARIADIC array_fill(true, ARRAY[32]));
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match(CASE WHEN g = 1 THEN '(?1)' ELSE '(?2)' END, now(), true, false)
  FROM generate_series(1, 2) g;
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_match('(?1)', 'infinity', true, false);
\echo :LAST_ERROR_SQLSTATE
-- ClickHouse's limit of 1,000,000 backtracking steps: 54000
SELECT sequence_count('.*.*.*.*.*.*(?2)(?t<1)(?1)', to_timestamp(g), g % 2 = 0, g % 2 = 1)
  FROM generate_series(1, 60) g;
\echo :LAST_ERROR_SQLSTATE
SET crm_sales.sequence_max_events = 3;
SELECT sequence_count('(?1)', to_timestamp(g), true, false) FROM generate_series(1, 3) g;
SELECT sequence_count('(?1)', to_timestamp(g), true, false) FROM generate_series(1, 4) g;
\echo :LAST_ERROR_SQLSTATE
RESET crm_sales.sequence_max_events;

DROP FUNCTION sq(text, int[], text[]);
DROP TABLE sq_events, sq_patterns, sq_expected, sq_ours, deal_moves;
