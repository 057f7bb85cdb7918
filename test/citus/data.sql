-- The rows of the citus suite, run on the coordinator (psql from the
-- repository root).  Every table exists twice: <name>_local, a plain table
-- on the coordinator (the single-node reference), and <name>, the same rows
-- in a table distributed by its first column (an entity or series key) over
-- 32 shards on the two workers.  Every table also has a column "region"
-- that is not the distribution column.  The generators are deterministic.
\set ON_ERROR_STOP on
SET citus.shard_count = 32;

-- deals of accounts: a furthest stage, its position, an amount, created and
-- (won or lost ones) closed dates
CREATE TABLE deals_local AS
SELECT i % 500 + 1 AS account_id, i AS deal_id,
	   (ARRAY['north', 'east', 'south', 'west'])[1 + (i % 500) % 4] AS region,
	   s.stage, crm_sales.stage_position(s.stage) AS position,
	   ((i * 7919) % 1000000) / 100.0 AS amount,
	   date '2026-01-01' + i % 200 AS created_on,
	   CASE WHEN crm_sales.stage_category(s.stage) <> 'open'
			THEN date '2026-01-01' + i % 200 + (i * 13) % 90 END AS closed_on
  FROM generate_series(1, 20000) AS i,
	   LATERAL (SELECT (enum_range(NULL::crm_sales.sales_stage))[1 + (i * 7 + i / 13) % 7] AS stage) s;

-- stored funnels and deal statistics (a rollup: per account and day)
CREATE TABLE funnels_local AS
SELECT account_id, region, deal_id % 30 AS day, crm_sales.funnel_agg(stage, amount) AS f,
	   crm_sales.deal_stats(stage, amount, created_on, closed_on) AS ds,
	   crm_sales.funnel_timing('60 days', created_on + make_interval(hours => deal_id % 24),
							   position >= 1, position >= 3, position >= 5) AS ft,
	   crm_sales.stage_agg(created_on + make_interval(mins => deal_id % 600), stage::text, deal_id) AS tl,
	   crm_sales.email_engagement((ARRAY['sent', 'opened', 'clicked'])[1 + deal_id % 3],
								  created_on + make_interval(mins => deal_id % 900)) AS ee
  FROM deals_local GROUP BY 1, 2, 3;

-- an event log: entity, time, funnel step (0 = an event of no step); the
-- steps mostly rise with time, some events share a timestamp
CREATE TABLE events_local AS
SELECT e AS entity_id, (ARRAY['north', 'east', 'south', 'west'])[1 + e % 4] AS region,
	   timestamptz '2026-01-01 00:00+00'
	   + make_interval(hours => (e * 37) % 1000 + k * (2 + e % 5) + (e * k * k) % 7) AS ts,
	   CASE WHEN (e * 7 + k * 11) % 10 = 0 THEN 0 ELSE 1 + (k / 3 + (e * k) % 3) % 4 END AS step
  FROM generate_series(1, 3000) AS e, generate_series(1, 12) AS k;

-- 40 series of 48 periods.  Periods are numbered through the whole table:
-- series s holds periods 48 (s - 1) + 1 .. 48 s and region r holds series
-- 10 r + 1 .. 10 r + 10, so one series, one region and the whole table are
-- each one gapless series (season 12, positive values).  month is the
-- period within the series (1 .. 48), shared by all series.
CREATE TABLE series_local AS
SELECT s AS series_id, (ARRAY['north', 'east', 'south', 'west'])[1 + (s - 1) / 10] AS region,
	   (48 * (s - 1) + p)::int8 AS period, p AS month,
	   v.value, v.value * (1 + 0.03 * sin(p * 1.7)) AS predicted,
	   p::float8 AS x1, cos(p * 0.9 + s) AS x2, 5.0::float8 AS naive_scale,
	   v.value * 0.9 AS lower, v.value * 1.1 AS upper, 1.0 + p % 3 AS weight,
	   0.5 + (s * p) % 7 AS mse
  FROM generate_series(1, 40) AS s, generate_series(1, 48) AS p,
	   LATERAL (SELECT 200 + 2 * s + 0.4 * (48 * (s - 1) + p)
					   + 15 * sin((48 * (s - 1) + p) * pi() / 6)
					   + 4 * cos((s * 31 + p * 17) % 23) AS value) v;

-- customers (CDNOW summary: repeat purchases x, recency t_x, age T in weeks,
-- mean spend zbar) in 4 stores (the BG/NBD and Gamma-Gamma fits converge on
-- each store and each region); behaviour vectors for k-means
CREATE TABLE cdnow (id int, x float8, t_x float8, "T" float8, zbar float8);
\copy cdnow FROM 'test/data/cdnow_summary.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE customers_local AS
SELECT id % 4 + 1 AS store_id, id AS customer_id,
	   (ARRAY['north', 'east', 'south', 'west'])[1 + (id / 4) % 4] AS region,
	   x AS frequency, t_x AS recency, "T", zbar AS monetary,
	   ARRAY[x, t_x / 10, zbar / 20] AS features
  FROM cdnow;
DROP TABLE cdnow;

-- the distributed copies, by the first column
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['deals', 'funnels', 'events', 'series', 'customers'] LOOP
		EXECUTE format('CREATE TABLE %I (LIKE %I)', t, t || '_local');
		PERFORM create_distributed_table(t,
			(SELECT attname FROM pg_attribute WHERE attrelid = t::regclass AND attnum = 1));
		EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_local');
	END LOOP;
END $$;
