-- window_funnel and retention against ClickHouse 18.16.1 (Debian
-- clickhouse-server): the event logs come from
-- test/reference/clickhouse/gen_events.py, the expected levels and
-- retention arrays were printed by ClickHouse itself
-- (test/reference/clickhouse/run_clickhouse.sh; see its header for the
-- three variants asc / desc / rows).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE TABLE ch_events (set text, entity bigint, ts int, c1 int, c2 int, c3 int, c4 int, c5 int);
\copy ch_events FROM 'test/reference/clickhouse/events.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ch_expected (variant text, nsteps int, win int, entity bigint, level int);
\copy ch_expected FROM 'test/reference/clickhouse/windowfunnel_expected.csv' WITH (FORMAT csv, HEADER)
ANALYZE ch_events, ch_expected;
SELECT set, count(*) AS rows, count(DISTINCT entity) AS entities,
	   count(*) FILTER (WHERE c1 + c2 + c3 + c4 + c5 > 1) AS multi_step_rows,
	   count(*) FILTER (WHERE c1 + c2 + c3 + c4 + c5 = 0) AS no_step_rows
  FROM ch_events GROUP BY set ORDER BY set;

-- Our answers for every entity, window and variant: asc = default mode on
-- set A, desc = 'ties_descending' on set A, rows = 'ties_descending' on
-- set B.  Rows are given as they are (several steps in one row).
CREATE TABLE ours AS
SELECT v.variant, 5 AS nsteps, w.win, e.entity,
	   crm_sales.window_funnel(make_interval(secs => w.win), v.mode, to_timestamp(e.ts),
							   e.c1 = 1, e.c2 = 1, e.c3 = 1, e.c4 = 1, e.c5 = 1) AS level
  FROM ch_events e
  JOIN (VALUES ('asc', 'A', 'default'), ('desc', 'A', 'ties_descending'),
			   ('rows', 'B', 'ties_descending')) AS v(variant, set, mode) ON v.set = e.set
  CROSS JOIN (VALUES (0), (1), (2), (5), (10)) AS w(win)
 GROUP BY v.variant, w.win, e.entity
UNION ALL
SELECT v.variant, 3, w.win, e.entity,
	   crm_sales.window_funnel(make_interval(secs => w.win), v.mode, to_timestamp(e.ts),
							   e.c1 = 1, e.c2 = 1, e.c3 = 1)
  FROM ch_events e
  JOIN (VALUES ('asc', 'A', 'default'), ('desc', 'A', 'ties_descending')) AS v(variant, set, mode)
	ON v.set = e.set
  CROSS JOIN (VALUES (0), (1), (2), (5), (10)) AS w(win)
 GROUP BY v.variant, w.win, e.entity;

-- Every (variant, steps, window, entity): ClickHouse has no row for an
-- entity whose rows match no step (no input row there), which is level 0.
SELECT coalesce(o.variant, x.variant) AS variant, coalesce(o.nsteps, x.nsteps) AS nsteps,
	   count(*) AS compared,
	   count(*) FILTER (WHERE coalesce(o.level, 0) <> coalesce(x.level, 0)) AS mismatches,
	   count(*) FILTER (WHERE x.level IS NULL) AS level_0_not_in_clickhouse,
	   count(*) FILTER (WHERE o.level IS NULL) AS missing_here
  FROM ours o
  FULL JOIN ch_expected x USING (variant, nsteps, win, entity)
 GROUP BY 1, 2 ORDER BY 1, 2;

-- How the levels spread (the comparison is not all zeros).
SELECT variant, nsteps, level, count(*) FROM ch_expected GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- The difference of the tie rules shows on the same data: default
-- (ascending) and ties_descending disagree on entities with ties, and
-- ClickHouse 18.16 given the rows as they are (set B) agrees with
-- ties_descending only.
SELECT count(*) FILTER (WHERE a.level <> d.level) AS asc_vs_desc_differ
  FROM ours a JOIN ours d USING (nsteps, win, entity)
 WHERE a.variant = 'asc' AND d.variant = 'desc';
SELECT count(*) FILTER (WHERE l.level <> x.level) AS default_mode_vs_clickhouse_18_rows
  FROM (SELECT 5 AS nsteps, w.win, e.entity,
			   crm_sales.window_funnel(make_interval(secs => w.win), to_timestamp(e.ts),
									   e.c1 = 1, e.c2 = 1, e.c3 = 1, e.c4 = 1, e.c5 = 1) AS level
		  FROM ch_events e CROSS JOIN (VALUES (0), (1), (2), (5), (10)) AS w(win)
		 WHERE e.set = 'B' GROUP BY w.win, e.entity) l
  JOIN ch_expected x USING (nsteps, win, entity)
 WHERE x.variant = 'rows';

-- A readable sample: entity 1 (set A) with its rows and the levels.
SELECT ts, c1, c2, c3, c4, c5 FROM ch_events WHERE set = 'A' AND entity = 1 ORDER BY ts, c1 DESC, c2 DESC, c3 DESC, c4 DESC, c5 DESC;
SELECT o.variant, o.nsteps, o.win, o.level AS ours, x.level AS clickhouse
  FROM ours o JOIN ch_expected x USING (variant, nsteps, win, entity)
 WHERE o.entity = 1 ORDER BY 1, 2, 3;

-- The bool[] form gives the same levels as the separate booleans.
SELECT count(*) AS array_form_mismatches
  FROM (SELECT e.entity,
			   crm_sales.window_funnel('2 seconds', to_timestamp(e.ts),
									   ARRAY[e.c1 = 1, e.c2 = 1, e.c3 = 1, e.c4 = 1, e.c5 = 1]) AS level
		  FROM ch_events e WHERE set = 'A' GROUP BY e.entity) a
  JOIN ch_expected x ON x.variant = 'asc' AND x.nsteps = 5 AND x.win = 2 AND x.entity = a.entity
 WHERE a.level <> x.level;

-- funnel_events over set A's rows (one row per step, as funnel_events takes
-- them) equals the per-step counts of ClickHouse's levels.
SELECT (SELECT crm_sales.funnel_events('5 seconds', e.entity, to_timestamp(e.ts), s.step)
		  FROM ch_events e
		  CROSS JOIN LATERAL unnest(ARRAY[e.c1, e.c2 * 2, e.c3 * 3, e.c4 * 4, e.c5 * 5]) AS s(step)
		 WHERE e.set = 'A' AND s.step > 0) AS ours,
	   (SELECT ARRAY[count(*) FILTER (WHERE level >= 1), count(*) FILTER (WHERE level >= 2),
					 count(*) FILTER (WHERE level >= 3), count(*) FILTER (WHERE level >= 4),
					 count(*) FILTER (WHERE level >= 5)]
		  FROM ch_expected WHERE variant = 'asc' AND nsteps = 5 AND win = 5) AS clickhouse;

-- retention against ClickHouse's retention(c1, c2, c3, c4).  ClickHouse
-- 18.16 records only the first true condition of a row, its current source
-- every true condition (our meaning): "split" gave 18.16 one row per true
-- condition, "rows" the rows as they are (equal to ours on entities whose
-- rows have at most one true condition).
CREATE TABLE ch_ret (entity bigint, c1 int, c2 int, c3 int, c4 int);
\copy ch_ret FROM 'test/reference/clickhouse/retention.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ch_ret_expected (variant text, entity bigint, r1 int, r2 int, r3 int, r4 int);
\copy ch_ret_expected FROM 'test/reference/clickhouse/retention_expected.csv' WITH (FORMAT csv, HEADER)
WITH o AS (SELECT entity, crm_sales.retention(c1 = 1, c2 = 1, c3 = 1, c4 = 1) AS r,
				  bool_or(c1 + c2 + c3 + c4 > 1) AS multi
			 FROM ch_ret GROUP BY entity)
SELECT x.variant, count(*) AS compared,
	   count(*) FILTER (WHERE o.r IS DISTINCT FROM ARRAY[x.r1, x.r2, x.r3, x.r4]) AS mismatches,
	   count(*) FILTER (WHERE o.r IS DISTINCT FROM ARRAY[x.r1, x.r2, x.r3, x.r4]
						AND NOT o.multi) AS mismatches_without_multi_condition_rows,
	   sum(x.r1) AS r1, sum(x.r2) AS r2, sum(x.r3) AS r3, sum(x.r4) AS r4
  FROM o JOIN ch_ret_expected x USING (entity)
 GROUP BY x.variant ORDER BY x.variant;
-- entities whose rows match no condition: ClickHouse's split input has no
-- row for them; ours says [0,0,0,0]
SELECT r, count(*) FROM (SELECT entity, crm_sales.retention(c1 = 1, c2 = 1, c3 = 1, c4 = 1) AS r
						   FROM ch_ret GROUP BY entity) o
 WHERE NOT EXISTS (SELECT 1 FROM ch_ret_expected x WHERE x.variant = 'split' AND x.entity = o.entity)
 GROUP BY r;

DROP TABLE ch_events, ch_expected, ours, ch_ret, ch_ret_expected;
