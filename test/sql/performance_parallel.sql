-- deal_stats under forced parallel plans, and with partial states shipped
-- as text (what Citus does between its workers and the coordinator): every
-- way of splitting the rows gives the deal_stats of the whole, and that
-- equals plain-SQL counts and sums over the same rows.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;

CREATE TABLE pp_deals AS
SELECT i AS id, 'r' || (i % 4) AS region,
	   (enum_range(NULL::sales_stage))[1 + (i * 7919) % 7] AS stage,
	   round(((i * 37) % 100000) / 100.0, 2) AS amount,
	   timestamptz '2025-01-01 00:00+00' + (i % 365) * interval '1 day' AS created_at,
	   timestamptz '2025-01-01 00:00+00' + (i % 365) * interval '1 day' + ((i * 13) % 200) * interval '7 hours' AS closed_at
  FROM generate_series(1, 60000) AS i;
ANALYZE pp_deals;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT region, deal_stats(stage, amount, created_at, closed_at) AS s FROM pp_deals GROUP BY region;
CREATE TEMP TABLE serial_all AS SELECT deal_stats(stage, amount, created_at, closed_at) AS s FROM pp_deals;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT deal_stats(stage, amount, created_at, closed_at) FROM pp_deals;
EXPLAIN (COSTS OFF) SELECT region, deal_stats(stage, amount, created_at, closed_at) FROM pp_deals GROUP BY region;
SELECT (SELECT deal_stats(stage, amount, created_at, closed_at) FROM pp_deals) = s AS parallel_equals_serial
  FROM serial_all;
SELECT s.region, p.s = s.s AS parallel_equals_serial
  FROM serial s
  JOIN (SELECT region, deal_stats(stage, amount, created_at, closed_at) AS s FROM pp_deals GROUP BY region) p
	USING (region)
 ORDER BY region;
-- deal_stats_merge over a stored rollup, in parallel
CREATE TABLE pp_rollup AS
SELECT id % 500 AS bucket, deal_stats(stage, amount, created_at, closed_at) AS s FROM pp_deals GROUP BY id % 500;
ANALYZE pp_rollup;
EXPLAIN (COSTS OFF) SELECT deal_stats_merge(s) FROM pp_rollup;
SELECT deal_stats_merge(s) = (SELECT s FROM serial_all) AS merged_equals_serial FROM pp_rollup;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

-- partial states shipped as text: per shard (id % 7), print, parse, merge
SELECT deal_stats_merge(t::deal_stats) = (SELECT s FROM serial_all) AS text_shipped_equals_whole
  FROM (SELECT deal_stats(stage, amount, created_at, closed_at)::text AS t
		  FROM pp_deals GROUP BY id % 7) shards;
-- and split by stage, by amount range, by time: uneven splits
SELECT split, deal_stats_merge(t::deal_stats) = (SELECT s FROM serial_all) AS equal
  FROM (SELECT 'stage' AS split, deal_stats(stage, amount, created_at, closed_at)::text AS t FROM pp_deals GROUP BY stage
		UNION ALL
		SELECT 'amount', deal_stats(stage, amount, created_at, closed_at)::text FROM pp_deals GROUP BY amount > 900
		UNION ALL
		SELECT 'month', deal_stats(stage, amount, created_at, closed_at)::text FROM pp_deals
		 GROUP BY date_trunc('month', created_at AT TIME ZONE 'UTC')) parts
 GROUP BY split ORDER BY split;

-- the whole against plain SQL: counts, sums, cycle statistics
SELECT won_deals(s) = (SELECT count(*) FROM pp_deals WHERE stage = 'closed_won') AS won,
	   lost_deals(s) = (SELECT count(*) FROM pp_deals WHERE stage = 'closed_lost') AS lost,
	   open_amount(s) = (SELECT sum(amount) FROM pp_deals WHERE stage NOT IN ('closed_won', 'closed_lost')) AS open_amount,
	   cycle_days_mean(s) = (SELECT avg(floor(extract(epoch FROM closed_at - created_at) / 86400)::int)
							   FROM pp_deals WHERE stage = 'closed_won') AS mean_days,
	   cycle_days_p90(s) = (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM closed_at - created_at) / 86400))
							  FROM pp_deals WHERE stage = 'closed_won')::numeric AS p90_days
  FROM serial_all;
