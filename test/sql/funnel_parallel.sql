-- The funnel aggregates under a parallel plan give the same funnels as a
-- serial plan, and those match plain-SQL counts over the same rows.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

CREATE TABLE pdeals AS
SELECT i AS id, 'r' || (i % 4) AS region,
	   (enum_range(NULL::sales_stage))[1 + (i * 7919) % 7] AS furthest,
	   1 + (i * 31) % 5 AS pos,
	   ((i * 37) % 100000) / 100.0 AS amount
  FROM generate_series(1, 60000) AS i;
ANALYZE pdeals;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT region, funnel_agg(furthest) AS f1, funnel_agg(furthest, amount) AS f2,
	   funnel_agg(pos) AS f3, funnel_agg(pos, amount) AS f4
  FROM pdeals GROUP BY region;
CREATE TEMP TABLE serial_all AS SELECT funnel_agg(furthest, amount) AS f FROM pdeals;

-- parallel: workers do the scan and the partial aggregates
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT funnel_agg(furthest, amount) FROM pdeals;
EXPLAIN (COSTS OFF) SELECT region, funnel_agg(furthest) FROM pdeals GROUP BY region;
SELECT (SELECT funnel_agg(furthest, amount) FROM pdeals) = f AS parallel_equals_serial FROM serial_all;
SELECT s.region, p.f1 = s.f1 AS f1, p.f2 = s.f2 AS f2, p.f3 = s.f3 AS f3, p.f4 = s.f4 AS f4
  FROM serial s
  JOIN (SELECT region, funnel_agg(furthest) AS f1, funnel_agg(furthest, amount) AS f2,
			   funnel_agg(pos) AS f3, funnel_agg(pos, amount) AS f4
		  FROM pdeals GROUP BY region) p USING (region)
 ORDER BY region;

-- funnel_merge over stored funnels, in parallel
CREATE TABLE prollup AS
SELECT id % 500 AS day, funnel_agg(furthest, amount) AS f FROM pdeals GROUP BY id % 500;
ANALYZE prollup;
EXPLAIN (COSTS OFF) SELECT funnel_merge(f) FROM prollup;
SELECT funnel_merge(f) = (SELECT f FROM serial_all) AS merged_equals_serial FROM prollup;

-- the parallel result against plain counting and summing over the rows
RESET parallel_leader_participation;
SELECT st.stage, st.reached = c.reached AS reached_ok, st.amount = c.amount AS amount_ok
  FROM funnel_steps((SELECT funnel_agg(furthest, amount) FROM pdeals)) st
  JOIN (SELECT s::text AS stage,
			   count(d.id) AS reached, coalesce(sum(d.amount), 0) AS amount
		  FROM unnest(enum_range(NULL::sales_stage)) AS s
		  LEFT JOIN pdeals d
			ON CASE WHEN crm_sales.stage_category(s) = 'lost' THEN d.furthest = s
					ELSE crm_sales.stage_category(d.furthest) <> 'lost'
						 AND crm_sales.stage_position(d.furthest) >= crm_sales.stage_position(s) END
		 GROUP BY s) c USING (stage)
 ORDER BY st."position";
