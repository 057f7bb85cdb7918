-- funnel_events(window, entity, ts, step [, mode]) -> crm_sales.funnel: the
-- whole funnel in one pass; positional stage k is reached by the entities
-- whose deepest step (window_funnel semantics per entity) is at least k.
-- (The funnel's text form {r1,r2,...} lists those reached counts.)
-- Small cases derived by hand; on a
-- generated log every mode is compared with window_funnel ... GROUP BY
-- entity (window_funnel itself is checked against ClickHouse in
-- window_funnel_clickhouse) and with a plain-SQL formulation.
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
CREATE TABLE fe_small (entity bigint, ts timestamptz, step int);
INSERT INTO fe_small VALUES
  (1, '2026-01-01 00:00:00+00', 1), (1, '2026-01-01 00:00:01+00', 2), (1, '2026-01-01 00:00:02+00', 3),
  (2, '2026-01-01 00:00:00+00', 1), (2, '2026-01-01 00:00:01+00', 3),
  (3, '2026-01-01 00:00:00+00', 2),
  (4, '2026-01-01 00:00:00+00', 1), (4, '2026-01-01 00:00:20+00', 2),
  (5, '2026-01-01 00:00:05+00', 2), (5, '2026-01-01 00:00:05+00', 1), (5, '2026-01-01 00:00:04+00', 0);
-- window 10 s: 1 -> 3 (A B C); 2 -> 1 (C without B); 3 -> 0 (no A);
-- 4 -> 1 (B 20 s after A); 5 -> 2 (A and B at 5 s, ascending tie rule;
-- step 0 is ignored outside strict_order).  At least 1: 1,2,4,5 = 4;
-- at least 2: 1,5 = 2; at least 3: 1 = 1
SELECT funnel_events('10 s', entity, ts, step) AS "{4,2,1}" FROM fe_small;
-- a positional crm_sales.funnel: the funnel accessors read it; conversion
-- from step 1 to step 2 is 2 / 4
SELECT pg_typeof(f), conversion_rate(f, 1, 2) AS "0.5", f + f AS "{8,4,2}"
  FROM (SELECT funnel_events('10 s', entity, ts, step) AS f FROM fe_small) s;
-- window 30 s: 4 reaches 2: {4,3,1}
SELECT funnel_events('30 s', entity, ts, step) AS "{4,3,1}" FROM fe_small;
-- ties_descending: 5 -> 1: {4,1,1}
SELECT funnel_events('10 s', entity, ts, step, 'ties_descending') AS "{4,1,1}" FROM fe_small;
-- strict_order: entity 5's step-0 event at 4 s comes before its A: no
-- effect, same as default: {4,2,1}.  Add a step-0 event between A and B of
-- entity 1: entity 1 stops at 1; at least 2 is then entity 5 only, at least
-- 3 nobody: {4,1,0}
SELECT funnel_events('10 s', entity, ts, step, 'strict_order') AS "{4,2,1}" FROM fe_small;
SELECT funnel_events('10 s', entity, ts, step, 'strict_order') AS "{4,1,0}"
  FROM (SELECT * FROM fe_small UNION ALL SELECT 1, '2026-01-01 00:00:00.5+00', 0) s;
-- the number of steps is the highest step seen: only steps 1 and 2 -> 2
-- elements; entity 1 and 5 reach 2, entity 2 and 4 reach 1: {4,2}
SELECT funnel_events('10 s', entity, ts, step) AS "{4,2}" FROM fe_small WHERE step < 3;
-- NULL rows are skipped: a NULL step, ts or entity changes nothing
SELECT funnel_events('10 s', entity, ts, step) AS "{4,2,1}"
  FROM (SELECT * FROM fe_small
		UNION ALL VALUES (2, timestamptz '2026-01-01 00:00:00.5+00', NULL::int),
						 (2, NULL, 2), (NULL, '2026-01-01 00:00:00.5+00', 2)) s;
-- no rows, or only step-0 rows: NULL
SELECT funnel_events('10 s', entity, ts, step) IS NULL AS "null" FROM fe_small WHERE false;
SELECT funnel_events('10 s', entity, ts, step) IS NULL AS "null" FROM fe_small WHERE step = 0;

-- exclusion steps: step -k is an exclusion event between steps k and
-- k + 1 (here -2: lost between proposal (2) and won (3)); a chain that
-- reached step k before it cannot go on to step k + 1.  Window 10 s:
-- 1: lead@0 proposal@1 lost@2 won@3 -> 2 (won after lost does not count)
-- 2: lead@0 proposal@1 won@2 lost@3 -> 3 (lost after won)
-- 3: lead@0 proposal@1 lost@2 proposal@3 won@4 -> 3 (proposal again)
-- 4: lead@0 lost@1 proposal@2 won@3 -> 3 (lost before proposal)
-- 5: lead@0 proposal@1 lost@3 won@3 -> 2 (same instant: exclusions first)
-- at least 1 and 2: all 5; at least 3: 2, 3, 4
SELECT funnel_events('10 s', e, to_timestamp(t), s) AS "{5,5,3}",
	   funnel_events('10 s', e, to_timestamp(t), s) FILTER (WHERE s > 0) AS "{5,5,5} without",
	   funnel_events('10 s', e, to_timestamp(t), s, 'strict_increase') AS "{5,5,3} strict_increase"
  FROM (VALUES (1, 0, 1), (1, 1, 2), (1, 2, -2), (1, 3, 3),
			   (2, 0, 1), (2, 1, 2), (2, 2, 3), (2, 3, -2),
			   (3, 0, 1), (3, 1, 2), (3, 2, -2), (3, 3, 2), (3, 4, 3),
			   (4, 0, 1), (4, 1, -2), (4, 2, 2), (4, 3, 3),
			   (5, 0, 1), (5, 1, 2), (5, 3, -2), (5, 3, 3)) v(e, t, s);
-- an exclusion after step 1 (-1) cuts lead -> proposal: entity 1 of
-- lead@0 lost@1 proposal@2 -> 1; parallel workers and the fallback path
-- (entities out of order) keep exclusion events
SELECT funnel_events('10 s', e, to_timestamp(t), s) AS "{2,1}"
  FROM (VALUES (2, 0, 1), (2, 1, 2), (1, 0, 1), (1, 1, -1), (1, 2, 2)) v(e, t, s);
SELECT funnel_events('10 s', e, to_timestamp(t), s, 'any_order') FROM (VALUES (1, 0, -1)) v(e, t, s);
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('10 s', e, to_timestamp(t), s) FROM (VALUES (1, 0, -1), (1, 1, 32)) v(e, t, s);
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('10 s', 1, now(), -32);
\echo :LAST_ERROR_SQLSTATE

-- errors
SELECT funnel_events('10 s', entity, ts, 33) FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('10 s', entity, ts, -40) FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('-10 s', entity, ts, step) FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events(make_interval(secs => entity), entity, ts, step) FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('10 s', entity, ts, step, 'strict') FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_events('10 s', 1, 'infinity', 1);
\echo :LAST_ERROR_SQLSTATE
-- fe_small keeps 10 events (its step-0 row is not kept outside strict_order)
SET crm_sales.funnel_events_max_events = 10;
SELECT funnel_events('10 s', entity, ts, step) AS "{4,2,1}" FROM fe_small;
SET crm_sales.funnel_events_max_events = 9;
SELECT funnel_events('10 s', entity, ts, step) FROM fe_small;
\echo :LAST_ERROR_SQLSTATE
RESET crm_sales.funnel_events_max_events;

-- A generated log: 1000 entities given interleaved (not in entity order),
-- steps 0..5, times spread over 24 hours.
CREATE TABLE fe_log AS
SELECT (i * 7919) % 1000 AS entity,
	   timestamptz '2026-01-01 00:00:00+00' + (hashint4(i) & 1023) * interval '85 seconds' AS ts,
	   ((hashint4(i * 3) & 2147483647) % 6) AS step
  FROM generate_series(1, 20000) i;
ANALYZE fe_log;
-- every mode: funnel_events equals window_funnel per entity, counted
CREATE FUNCTION per_entity(win interval, mode text) RETURNS bigint[]
LANGUAGE sql AS $$
  SELECT array_agg((SELECT count(*) FROM (
			SELECT crm_sales.window_funnel(win, mode, ts, step = 1, step = 2, step = 3, step = 4, step = 5) AS l
			  FROM fe_log GROUP BY entity) e WHERE l >= k) ORDER BY k)
	FROM generate_series(1, 5) k $$;
SELECT m.mode, w.win,
	   funnel_events(w.win, entity, ts, step, m.mode)::text = per_entity(w.win, m.mode)::text AS same,
	   funnel_events(w.win, entity, ts, step, m.mode) AS funnel
  FROM fe_log
  CROSS JOIN (VALUES (''), ('strict_order'), ('strict_deduplication'), ('strict_increase'),
					 ('ties_descending'), ('strict_order,strict_deduplication,strict_increase'),
					 ('strict_order,allow_reentry'), ('any_order')) m(mode)
  CROSS JOIN (VALUES (interval '1 hour'), (interval '6 hours')) w(win)
 GROUP BY m.mode, w.win ORDER BY m.mode, w.win;

-- conversion trend (docs/funnels.md): one funnel per cohort, the cohort
-- being the hour of the entity's first step-1 event; equal to window_funnel
-- per entity counted per cohort
SELECT c.cohort, c.funnel, c.funnel::text = w.levels::text AS same_as_per_entity,
	   round(conversion_rate(c.funnel, 1, 3)::numeric, 4) AS step1_to_3
  FROM (SELECT date_trunc('hour', first1) AS cohort, funnel_events('1 hour', entity, ts, step) AS funnel
		  FROM (SELECT *, min(ts) FILTER (WHERE step = 1) OVER (PARTITION BY entity) AS first1
				  FROM fe_log) s
		 WHERE first1 IS NOT NULL GROUP BY 1) c
  JOIN (SELECT cohort, array_agg(n ORDER BY k) AS levels
		  FROM (SELECT cohort, k, count(*) FILTER (WHERE l >= k) AS n
				  FROM (SELECT date_trunc('hour', min(ts) FILTER (WHERE step = 1)) AS cohort,
							   window_funnel('1 hour', ts, step = 1, step = 2, step = 3, step = 4, step = 5) AS l
						  FROM fe_log GROUP BY entity) e
				 CROSS JOIN generate_series(1, 5) k
				 WHERE cohort IS NOT NULL GROUP BY 1, 2) x
		 GROUP BY cohort) w USING (cohort)
 ORDER BY c.cohort LIMIT 5;

-- default mode against a plain-SQL formulation of the same rule (the one
-- test/bench/event_funnel_bench.sh times): for every step-1 event, the
-- chain takes the earliest next step after the previous one (ties in step
-- order), within the window of its start; an entity's level is its best
-- chain.
CREATE TEMP TABLE ev AS
SELECT entity, ts, step, row_number() OVER (PARTITION BY entity ORDER BY ts, step) AS pos
  FROM fe_log WHERE step BETWEEN 1 AND 5;
CREATE INDEX ON ev (entity, step, pos);
ANALYZE ev;
WITH RECURSIVE chain AS (
	SELECT entity, ts AS start, pos, 1 AS level FROM ev WHERE step = 1
	UNION ALL
	SELECT c.entity, c.start, n.pos, c.level + 1
	  FROM chain c
	  CROSS JOIN LATERAL (SELECT e.pos FROM ev e
						   WHERE e.entity = c.entity AND e.pos > c.pos AND e.step = c.level + 1
							 AND e.ts <= c.start + interval '1 hour'
						   ORDER BY e.pos LIMIT 1) n
	 WHERE c.level < 5
), levels AS (SELECT entity, max(level) AS level FROM chain GROUP BY entity)
SELECT array_agg((SELECT count(*) FROM levels WHERE level >= k) ORDER BY k) AS plain_sql,
	   (SELECT funnel_events('1 hour', entity, ts, step) FROM fe_log) AS funnel_events
  FROM generate_series(1, 5) k;

-- parallel plan: the same funnel as the serial plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT funnel_events('1 hour', entity, ts, step) FROM fe_log;
SELECT funnel_events('1 hour', entity, ts, step)::text = per_entity('1 hour', '')::text AS same_as_serial FROM fe_log;
-- rows stored in entity order: each worker's state is then in entity order
-- and the leader merges them in one pass (the other path of the combine)
CREATE TABLE fe_sorted AS SELECT * FROM fe_log ORDER BY entity, ts;
SELECT funnel_events('1 hour', entity, ts, step)::text = per_entity('1 hour', '')::text AS same_as_serial_sorted
  FROM fe_sorted;
-- window_funnel per entity under a parallel plan: the same levels as serial
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT entity, window_funnel('1 hour', ts, step = 1, step = 2, step = 3) FROM fe_log GROUP BY entity;
CREATE TABLE wf_parallel AS
SELECT entity, window_funnel('1 hour', ts, step = 1, step = 2, step = 3) AS l FROM fe_log GROUP BY entity;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS entities, count(*) FILTER (WHERE p.l IS DISTINCT FROM s.l) AS differ
  FROM wf_parallel p
  FULL JOIN (SELECT entity, window_funnel('1 hour', ts, step = 1, step = 2, step = 3) AS l
			   FROM fe_log GROUP BY entity) s USING (entity);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_hashagg;
DROP FUNCTION per_entity(interval, text);
DROP TABLE fe_log, fe_sorted, wf_parallel;

-- The ordered fast path and its fallback (src/event_funnel.c): entities
-- arriving in ascending order have their levels computed as the next
-- entity starts; an entity arriving out of order switches the rest of the
-- input to buffering, and the final function merges both parts by entity.
-- Every shape must give what window_funnel per entity gives.
CREATE TABLE fe_log2 AS
SELECT (i * 7919) % 1000 AS entity,
	   timestamptz '2026-01-01 00:00:00+00' + (hashint4(i) & 1023) * interval '85 seconds' AS ts,
	   ((hashint4(i * 3) & 2147483647) % 6) AS step
  FROM generate_series(1, 20000) i;
CREATE FUNCTION per_entity2(win interval, mode text) RETURNS text
LANGUAGE sql AS $$
  SELECT array_agg((SELECT count(*) FROM (
			SELECT crm_sales.window_funnel(win, mode, ts, step = 1, step = 2, step = 3, step = 4, step = 5) AS l
			  FROM fe_log2 GROUP BY entity) e WHERE l >= k) ORDER BY k)::text
	FROM generate_series(1, 5) k $$;
SET max_parallel_workers_per_gather = 0;
-- in entity order (ordered path), entities split in two halves in time
-- order each (still ordered by entity), then in order with a tail of
-- entities seen before (fallback after the order breaks), and in reverse
SELECT m.mode,
	   (SELECT funnel_events('1 hour', entity, ts, step, m.mode)::text
		  FROM (SELECT * FROM fe_log2 ORDER BY entity, ts) s) = per_entity2('1 hour', m.mode) AS ordered,
	   (SELECT funnel_events('1 hour', entity, ts, step, m.mode)::text
		  FROM (SELECT * FROM fe_log2 ORDER BY entity, ts DESC) s) = per_entity2('1 hour', m.mode) AS ordered_ts_desc,
	   (SELECT funnel_events('1 hour', entity, ts, step, m.mode)::text
		  FROM (SELECT * FROM (SELECT * FROM fe_log2 WHERE step <> 2 ORDER BY entity, ts) a
				UNION ALL
				SELECT * FROM (SELECT * FROM fe_log2 WHERE step = 2 ORDER BY entity, ts) b) s)
		 = per_entity2('1 hour', m.mode) AS order_breaks,
	   (SELECT funnel_events('1 hour', entity, ts, step, m.mode)::text
		  FROM (SELECT * FROM fe_log2 ORDER BY entity DESC, ts) s) = per_entity2('1 hour', m.mode) AS reverse
  FROM (VALUES (''), ('strict_order'), ('strict_deduplication'), ('strict_increase'),
			   ('ties_descending')) m(mode) ORDER BY m.mode;
-- as a window function the final function runs after every row and the
-- state goes on: each running value equals funnel_events over that prefix
SELECT count(*) AS rows_checked,
	   count(*) FILTER (WHERE r.running IS DISTINCT FROM
		 (SELECT funnel_events('10 s', p.entity, p.ts, p.step) FROM fe_small p
		   WHERE (p.entity, p.ts, p.step) <= (r.entity, r.ts, r.step))) AS differ
  FROM (SELECT entity, ts, step,
			   funnel_events('10 s', entity, ts, step) OVER (ORDER BY entity, ts, step) AS running
		  FROM fe_small) r;
-- as a window function over rows in time order (not entity order) every
-- call adds a log; past 16 the final function rewrites them as one: the
-- running values still equal funnel_events over each prefix (120 rows)
CREATE TABLE fe_win AS SELECT * FROM fe_log2 ORDER BY ts, entity, step LIMIT 120;
SELECT count(*) AS rows_checked,
	   count(*) FILTER (WHERE r.running IS DISTINCT FROM
		 (SELECT funnel_events('1 hour', p.entity, p.ts, p.step) FROM fe_win p
		   WHERE (p.ts, p.entity, p.step) <= (r.ts, r.entity, r.step))) AS differ,
	   count(DISTINCT r.running::text) AS distinct_values
  FROM (SELECT entity, ts, step,
			   funnel_events('1 hour', entity, ts, step) OVER (ORDER BY ts, entity, step) AS running
		  FROM fe_win) r;
DROP TABLE fe_win;
-- parallel plan over a table stored in entity order whose entities span
-- many pages: workers see parts of the same entities (the leader merges
-- those again)
CREATE TABLE fe_long AS
SELECT i / 400 AS entity,
	   timestamptz '2026-01-01 00:00:00+00' + (hashint4(i) & 65535) * interval '1 second' AS ts,
	   1 + (hashint4(i * 7) & 2147483647) % 4 AS step
  FROM generate_series(1, 40000) i ORDER BY 1;
ANALYZE fe_long;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT funnel_events('40 s', entity, ts, step) AS f FROM fe_long;
SELECT funnel_events('40 s', entity, ts, step) AS par FROM fe_long \gset
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT :'par' = s.f::text AS parallel_equals_serial, s.f,
	   s.f::text = (SELECT array_agg((SELECT count(*) FROM (
			SELECT window_funnel('40 s', ts, step = 1, step = 2, step = 3, step = 4) AS l
			  FROM fe_long GROUP BY entity) e WHERE l >= k) ORDER BY k)::text
		 FROM generate_series(1, 4) k) AS equals_per_entity
  FROM (SELECT funnel_events('40 s', entity, ts, step) AS f FROM fe_long) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP FUNCTION per_entity2(interval, text);
DROP TABLE fe_small, fe_log2, fe_long;
