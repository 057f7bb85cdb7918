-- deal_stats: the aggregate, its accessors, text/binary/jsonb forms,
-- merging, the history form, bad input.  Expected values: a small set
-- worked out by hand (comments), then every accessor against plain SQL
-- over the same 5,000 rows (percentile_cont, avg, sum, count FILTER).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;
\pset null '(null)'

CREATE TABLE hand (stage sales_stage, amount numeric, created_on date, closed_on date);
INSERT INTO hand VALUES
	('closed_won', 100.00, '2025-01-01', '2025-01-11'),		-- 10 days
	('closed_won', 300.00, '2025-01-01', '2025-01-21'),		-- 20 days
	('closed_won', 200.00, '2025-02-01', '2025-02-04'),		-- 3 days
	('closed_lost', 50.00, '2025-01-05', '2025-01-06'),
	('closed_lost', 150.00, '2025-01-05', NULL),
	('proposal', 400.00, '2025-03-01', NULL),
	('lead_generation', NULL, '2025-03-02', NULL),
	(NULL, 999, '2025-01-01', '2025-01-02');				-- no stage: skipped
-- won 3, lost 2, open 2; won 600.00, lost 200.00, open 400.00;
-- win rate 3 / 5 = 0.6, by amount 600 / 800 = 0.75; average won 200;
-- median won 200 (reported within 0.5 %: its bucket's value);
-- cycle days 3, 10, 20: mean 11, median 10, p90 = 10 + 0.8 * (20 - 10) = 18;
-- velocity = 2 open * 200 * 0.6 / 11 days = 240 / 11 = 21.8181...
SELECT deal_stats(stage, amount, created_on, closed_on) FROM hand;
SELECT k.* FROM (SELECT deal_stats(stage, amount, created_on, closed_on) AS s FROM hand) t,
	   LATERAL deal_kpis(t.s) AS k;
SELECT abs(median_won_size(s) - 200) <= 0.005 * 200 AS median_within_half_percent,
	   cycle_days_count(s), cycle_days_percentile(s, 0.5) AS p50, cycle_days_percentile(s, 0.25) AS p25
  FROM (SELECT deal_stats(stage, amount, created_on, closed_on) AS s FROM hand) t;
-- p25: position 0.25 * 2 = 0.5 -> 3 + 0.5 * 7 = 6.5
SELECT jsonb_pretty(deal_stats(stage, amount, created_on, closed_on)::jsonb) FROM hand;

-- timestamps: whole 24-hour periods (1 day 23 h -> 1; 2 days -> 2)
SELECT cycle_days_mean(deal_stats(s, NULL, c, d)), cycle_days_median(deal_stats(s, NULL, c, d))
  FROM (VALUES ('closed_won'::sales_stage, timestamptz '2025-03-29 12:00+00', timestamptz '2025-03-31 11:00+00'),
			   ('closed_won', '2025-03-01 00:00+00', '2025-03-03 00:00+00')) v(s, c, d);
SELECT cycle_days_p90(deal_stats(s, NULL, c, d))
  FROM (VALUES ('closed_won'::sales_stage, timestamp '2025-03-29 12:00', timestamp '2025-04-10 12:00')) v(s, c, d);

-- no rows, only NULL stages: NULL; no closed deal: NULL rates
SELECT deal_stats(stage, amount, created_on, closed_on) FROM hand WHERE false;
SELECT deal_stats(NULL::sales_stage, 1::numeric, NULL::date, NULL::date);
SELECT win_rate(s), win_rate_by_amount(s), avg_won_size(s), median_won_size(s),
	   cycle_days_mean(s), cycle_days_p90(s), sales_velocity(s)
  FROM (SELECT deal_stats(stage, amount, created_on, closed_on) AS s FROM hand WHERE stage = 'proposal') t;

-- ---- against plain SQL over 5,000 rows ----
CREATE TABLE ps_deals AS
SELECT i AS id, 'r' || (i % 3) AS region,
	   (enum_range(NULL::sales_stage))[1 + (i * 7919) % 7] AS stage,
	   CASE WHEN i % 11 = 0 THEN NULL ELSE round(((i * 7717) % 100000) / 100.0 + 100, 2) END AS amount,
	   date '2025-01-01' + (i * 13) % 200 AS created_on,
	   CASE WHEN i % 13 = 0 THEN NULL ELSE date '2025-01-01' + (i * 13) % 200 + (i * 31) % 120 END AS closed_on
  FROM generate_series(1, 5000) i;
CREATE TEMP TABLE ref AS
SELECT region,
	   count(*) FILTER (WHERE stage_category(stage) = 'won') AS won,
	   count(*) FILTER (WHERE stage_category(stage) = 'lost') AS lost,
	   count(*) FILTER (WHERE stage_category(stage) = 'open') AS open,
	   coalesce(sum(amount) FILTER (WHERE stage_category(stage) = 'won'), 0) AS won_amt,
	   coalesce(sum(amount) FILTER (WHERE stage_category(stage) = 'lost'), 0) AS lost_amt,
	   coalesce(sum(amount) FILTER (WHERE stage_category(stage) = 'open'), 0) AS open_amt,
	   count(amount) FILTER (WHERE stage_category(stage) = 'won') AS won_with_amt,
	   avg(amount) FILTER (WHERE stage_category(stage) = 'won') AS avg_won,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FILTER (WHERE stage_category(stage) = 'won') AS median_won,
	   avg(closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS mean_days,
	   sum(closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS sum_days,
	   count(closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS timed,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS median_days,
	   percentile_cont(0.9) WITHIN GROUP (ORDER BY closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS p90_days,
	   percentile_cont(0.37) WITHIN GROUP (ORDER BY closed_on - created_on) FILTER (WHERE stage_category(stage) = 'won') AS p37_days
  FROM ps_deals GROUP BY ROLLUP (region);
CREATE TEMP TABLE got AS
SELECT region, deal_stats(stage, amount, created_on, closed_on) AS s FROM ps_deals GROUP BY ROLLUP (region);
SELECT r.region,
	   won_deals(g.s) = r.won AND lost_deals(g.s) = r.lost AND open_deals(g.s) = r.open AS counts,
	   won_amount(g.s) = r.won_amt AND lost_amount(g.s) = r.lost_amt AND open_amount(g.s) = r.open_amt AS amounts,
	   win_rate(g.s) = r.won::float8 / (r.won + r.lost) AS win_rate,
	   win_rate_by_amount(g.s) = (r.won_amt / (r.won_amt + r.lost_amt))::float8 AS win_rate_amt,
	   avg_won_size(g.s) = r.avg_won AS avg_won,
	   abs(median_won_size(g.s) - r.median_won::numeric) <= 0.005 * r.median_won::numeric AS median_won_half_pct,
	   cycle_days_mean(g.s) = r.mean_days AS mean_days,
	   cycle_days_count(g.s) = r.timed AS timed,
	   cycle_days_median(g.s) = r.median_days::numeric AS median_days,
	   abs(cycle_days_p90(g.s) - r.p90_days::numeric) < 1e-9 AS p90_days,
	   cycle_days_percentile(g.s, 0.37) = r.p37_days AS p37_days,
	   sales_velocity(g.s) = (r.open * r.won_amt * r.won * r.timed)
							 / (r.won_with_amt * (r.won + r.lost) * r.sum_days) AS velocity,
	   abs(sales_velocity(g.s) - r.open * r.avg_won * (r.won::numeric / (r.won + r.lost)) / r.mean_days) < 1e-9 AS velocity_formula
  FROM ref r JOIN got g ON g.region IS NOT DISTINCT FROM r.region
 ORDER BY r.region NULLS LAST;
-- the totals themselves (plain SQL above agrees with them)
SELECT region, won_deals(s), lost_deals(s), open_deals(s), won_amount(s), round(win_rate(s)::numeric, 6) AS win_rate,
	   cycle_days_mean(s), cycle_days_median(s), cycle_days_p90(s), round(sales_velocity(s), 4) AS velocity
  FROM got ORDER BY region NULLS LAST;

-- ---- merging: + and deal_stats_merge equal the whole ----
SELECT (SELECT s FROM got WHERE region IS NULL) =
	   (SELECT deal_stats_merge(s) FROM got WHERE region IS NOT NULL) AS merge_equals_whole,
	   (SELECT s FROM got WHERE region IS NULL) =
	   (SELECT a.s + b.s + c.s FROM got a, got b, got c WHERE a.region = 'r0' AND b.region = 'r1' AND c.region = 'r2') AS plus_equals_whole;
-- any split: by id modulo 2..11, each split's parts merged
SELECT k, (SELECT deal_stats_merge(p) FROM (SELECT deal_stats(stage, amount, created_on, closed_on) AS p
											  FROM ps_deals GROUP BY id % k) parts)
		  = (SELECT s FROM got WHERE region IS NULL) AS equal
  FROM generate_series(2, 11) k;
-- amounts of different scales: the merge keeps the largest, as one pass does
SELECT (SELECT deal_stats(s, a, NULL::date, NULL::date) FROM (VALUES ('closed_won'::sales_stage, 1.5), ('closed_won', 2.25)) v(s, a))
	 = (SELECT deal_stats(s, a, NULL::date, NULL::date) FROM (VALUES ('closed_won'::sales_stage, 1.5)) v(s, a))
	 + (SELECT deal_stats(s, a, NULL::date, NULL::date) FROM (VALUES ('closed_won'::sales_stage, 2.25)) v(s, a)) AS scales_merge;

-- ---- text, binary, jsonb forms ----
SELECT s::text::deal_stats = s AS text_round_trip FROM got;
SELECT 'crm_sales.sales_stage{won=3/3/600.00;lost=2/2/200.00;open=2/1/400.00;cycle=3:1,10:1,20:1;sizes=530:1,553:1,574:1}'::deal_stats;
SELECT won_amount(' crm_sales.sales_stage {won=1/1/5;lost=0/0/0;open=0/0/0;cycle=;sizes=162:1}'::deal_stats);
\copy (SELECT region, s FROM got) TO 'results/deal_stats.bin' WITH (FORMAT binary)
CREATE TEMP TABLE got_bin (region text, s deal_stats);
\copy got_bin FROM 'results/deal_stats.bin' WITH (FORMAT binary)
SELECT count(*) AS rows, bool_and(b.s = g.s) AS binary_round_trip
  FROM got_bin b JOIN got g ON g.region IS NOT DISTINCT FROM b.region;
SELECT jsonb_object_keys(s::jsonb) FROM got WHERE region = 'r0' ORDER BY 1;

-- rollup table: stored values merge later (any grouping)
CREATE TABLE ds_rollup AS
SELECT region, date_trunc('month', created_on)::date AS month,
	   deal_stats(stage, amount, created_on, closed_on) AS s
  FROM ps_deals GROUP BY 1, 2;
SELECT region, deal_stats_merge(s) = (SELECT g.s FROM got g WHERE g.region = r.region) AS rollup_equals
  FROM ds_rollup r GROUP BY region ORDER BY region;

-- ---- the stage history form ----
CREATE TABLE hist_deals (id int PRIMARY KEY, amount numeric, stage sales_stage NOT NULL);
CREATE TRIGGER hist_stage BEFORE INSERT OR UPDATE ON hist_deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
INSERT INTO hist_deals SELECT g, g * 10, 'lead_generation' FROM generate_series(1, 12) g;
UPDATE hist_deals SET stage = 'proposal' WHERE id % 2 = 0;
UPDATE hist_deals SET stage = 'closed_won' WHERE id % 4 = 0;
UPDATE hist_deals SET stage = 'closed_lost' WHERE id % 3 = 0 AND stage <> 'closed_won';
-- won: 4, 8, 12; lost: 3, 6, 9; open: 1, 2, 5, 7, 10, 11
SELECT won_deals(s), lost_deals(s), open_deals(s), win_rate(s), cycle_days_count(s), cycle_days_mean(s)
  FROM (SELECT history_deal_stats('crm_sales.sales_stage', 'hist_deals') AS s) t;
SELECT stage, category, count(*), count(closed_at) AS closed,
	   bool_and(created_at <= coalesce(closed_at, created_at)) AS ordered
  FROM deal_history('crm_sales.sales_stage', 'hist_deals') GROUP BY 1, 2 ORDER BY 1;
-- with amounts from the table: won 40 + 80 + 120 = 240
SELECT won_amount(deal_stats(h.stage::sales_stage, d.amount, h.created_at, h.closed_at))
  FROM deal_history('crm_sales.sales_stage', 'hist_deals') h JOIN hist_deals d ON d.id::text = h.entity_id;

-- ---- bad input ----
SELECT deal_stats(s, 1, c, d) FROM (VALUES ('closed_won'::sales_stage, date '2025-02-01', date '2025-01-31')) v(s, c, d);
SELECT deal_stats(s, 1, c, d) FROM (VALUES ('closed_lost'::sales_stage, timestamptz '2025-02-01 10:00+00', timestamptz '2025-02-01 09:59+00')) v(s, c, d);
SELECT deal_stats(s, 'NaN', c, d) FROM (VALUES ('closed_won'::sales_stage, date '2025-01-01', date '2025-01-31')) v(s, c, d);
SELECT deal_stats(s, '-Infinity', c, d) FROM (VALUES ('closed_won'::sales_stage, date '2025-01-01', date '2025-01-31')) v(s, c, d);
SELECT deal_stats(s, 1, c, d) FROM (VALUES ('closed_won'::sales_stage, date '-infinity', date '2025-01-31')) v(s, c, d);
SELECT deal_stats(s, 1, c, d) FROM (VALUES ('closed_won'::sales_stage, date '1700-01-01', date '2025-01-31')) v(s, c, d);
CREATE TYPE not_a_model AS ENUM ('a', 'b');
SELECT deal_stats('a'::not_a_model, 1, NULL::date, NULL::date);
SELECT _deal_stats_trans(NULL, 'closed_won'::sales_stage, 1, NULL::date, NULL::date);
SELECT deal_stats(s, a, NULL::date, NULL::date) FROM (VALUES ('closed_won'::sales_stage, 1e30)) v(s, a)
 CROSS JOIN generate_series(1, 1) g;
SELECT deal_stats(s, 1e38, NULL::date, NULL::date) FROM (VALUES ('closed_won'::sales_stage), ('closed_won')) v(s);
SELECT cycle_days_percentile(s, 1.5) FROM got WHERE region = 'r0';
SELECT cycle_days_percentile(s, 'NaN') FROM got WHERE region = 'r0';
-- merging different models
SELECT (SELECT deal_stats('new'::lifecycle_stage, 1, NULL::date, NULL::date)) +
	   (SELECT deal_stats('closed_won'::sales_stage, 1, NULL::date, NULL::date));
-- malformed text
SELECT '{won=1/1/5;lost=0/0/0;open=0/0/0;cycle=;sizes=162:1}'::deal_stats;
SELECT 'crm_sales.sales_stage'::deal_stats;
SELECT 'no_such_type{won=0/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'not_a_model{won=0/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=1/2/5;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=-1/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=1/1/5x;lost=0/0/0;open=0/0/0;cycle=;sizes=162:1}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=1/1/5;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=2/0/0;lost=0/0/0;open=0/0/0;cycle=5:1,3:1;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=2/0/0;lost=0/0/0;open=0/0/0;cycle=5:3;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=2/0/0;lost=0/0/0;open=0/0/0;cycle=-5:1;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=2/0/0;lost=0/0/0;open=0/0/0;cycle=5:0;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=0/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes=}x'::deal_stats;
SELECT 'crm_sales.sales_stage{won=0/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes='::deal_stats;
SELECT 'crm_sales.sales_stage{won=99999999999999999999/0/0;lost=0/0/0;open=0/0/0;cycle=;sizes=}'::deal_stats;
SELECT 'crm_sales.sales_stage{won=1/1/0.1234567890123456789;lost=0/0/0;open=0/0/0;cycle=;sizes=1:1}'::deal_stats;

-- ---- concrete signatures (what Citus pushes down) ----
-- calls with crm_sales.sales_stage pick the shipped sales_stage overloads
SELECT p.oid::regprocedure
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.proname = 'deal_stats' AND p.pronamespace = 'crm_sales'::regnamespace
 ORDER BY p.oid::regprocedure::text;
-- a model of one's own gets the same with its own declaration (the docs'
-- recipe), equal to the polymorphic aggregate
SELECT create_model('my_stage', ARRAY['open_deal', 'won_deal', 'lost_deal'], schema_name => 'public');
SELECT set_category('my_stage', 'won_deal', 'won'), set_category('my_stage', 'lost_deal', 'lost');
CREATE AGGREGATE my_deal_stats(my_stage, numeric, date, date) (
	SFUNC = crm_sales._deal_stats_trans, STYPE = crm_sales.deal_stats,
	COMBINEFUNC = crm_sales.deal_stats_add, PARALLEL = SAFE);
SELECT my_deal_stats(s, a, c, d) = deal_stats(s, a, c, d) AS same, won_amount(my_deal_stats(s, a, c, d))
  FROM (VALUES ('won_deal'::my_stage, 10.5, date '2025-01-01', date '2025-01-09'),
			   ('lost_deal', 3, '2025-01-01', '2025-01-02'), ('open_deal', 7, '2025-01-03', NULL)) v(s, a, c, d);
