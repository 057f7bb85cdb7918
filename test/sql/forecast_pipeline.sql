-- crm_sales.weighted_pipeline and the combined forecasts.
-- Expected values are derived by hand from the shipped probabilities
-- (lead_generation 0.1, initial_contact 0.2, needs_analysis 0.4,
-- proposal 0.6, negotiation 0.8; closed_won won, closed_lost lost) and the
-- category rules of the README; the derivations are in the comments.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TEMP TABLE deals (id int, amount numeric, stage crm_sales.sales_stage, expected_close date);
INSERT INTO deals VALUES
	(1, 1000.10, 'closed_won', '2026-01-10'),
	(2, 2000, 'negotiation', '2026-01-20'),
	(3, 3000, 'proposal', '2026-01-05'),
	(4, 400, 'needs_analysis', '2026-02-01'),
	(5, 500.05, 'lead_generation', '2026-02-03'),
	(6, 600, 'closed_lost', '2026-02-11'),
	(7, NULL, 'proposal', '2026-02-11'),
	(8, 70, NULL, '2026-02-12'),
	(9, 333.33, 'initial_contact', '2026-02-28');
-- January: closed 1000.10; commit 2000 (0.8 >= 0.8); best case 3000 (0.6);
--   weighted = 1000.10 + 2000 * 0.8 + 3000 * 0.6 = 4400.10
-- February: pipeline 400 + 500.05 + 333.33 = 1233.38 (0.4, 0.1, 0.2 < 0.5);
--   omitted 600; weighted = 160 + 50.005 + 66.666 = 276.671; rows 7 and 8
--   (NULL amount, NULL stage) are skipped
SELECT date_trunc('month', expected_close)::date AS month,
	   (crm_sales.weighted_pipeline(amount, stage)).*
  FROM deals GROUP BY 1 ORDER BY 1;
-- thresholds given: commit >= 0.6 (negotiation, proposal), best case >= 0.3
-- (needs_analysis), pipeline: lead_generation, initial_contact
SELECT (crm_sales.weighted_pipeline(amount, stage, 0.6, 0.3)).* FROM deals;
-- no rows: zeros
SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM deals WHERE false;
-- a changed probability is seen by the next statement (proposal 0.6 -> 0.85:
-- January weighted = 1000.10 + 1600 + 2550 = 5150.10, proposal is commit)
BEGIN;
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.85);
SELECT (crm_sales.weighted_pipeline(amount, stage)).weighted,
	   (crm_sales.weighted_pipeline(amount, stage)).commit
  FROM deals WHERE expected_close < '2026-02-01';
ROLLBACK;

-- parallel query: 120,000 deals, 20,000 per stage except closed_lost
-- (stages cycle by id % 6 over the first six stages); amount = id / 100.
-- Per stage the amounts sum to 20000 * (mean of its ids) / 100.
CREATE TABLE reg_deals AS
	SELECT i AS id, (i / 100.0)::numeric AS amount,
		   (enum_range(NULL::crm_sales.sales_stage))[1 + i % 6] AS stage
	  FROM generate_series(1, 120000) i;
ANALYZE reg_deals;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm_sales.weighted_pipeline(amount, stage) FROM reg_deals;
CREATE TEMP TABLE par AS SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM reg_deals;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM reg_deals;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT (SELECT row(par.*)::text FROM par) = (SELECT row(ser.*)::text FROM ser) AS parallel_equals_serial;
-- the same sums in plain SQL (independent of the aggregate)
SELECT p.total = s.total AND p.closed = s.closed AND p.commit = s.commit AND p.best_case = s.best_case
	   AND p.pipeline = s.pipeline AND p.weighted = s.weighted AS matches_plain_sql,
	   p.total, p.weighted
  FROM par p,
	   (SELECT sum(amount) AS total,
			   sum(amount) FILTER (WHERE stage = 'closed_won') AS closed,
			   sum(amount) FILTER (WHERE stage = 'negotiation') AS commit,
			   sum(amount) FILTER (WHERE stage = 'proposal') AS best_case,
			   sum(amount) FILTER (WHERE stage IN ('lead_generation', 'initial_contact', 'needs_analysis')) AS pipeline,
			   sum(amount * CASE stage WHEN 'closed_won' THEN 1 WHEN 'negotiation' THEN 0.8
									   WHEN 'proposal' THEN 0.6 WHEN 'needs_analysis' THEN 0.4
									   WHEN 'initial_contact' THEN 0.2 WHEN 'lead_generation' THEN 0.1
									   ELSE 0 END) AS weighted
		  FROM reg_deals) s;
-- total by hand: sum of 1 .. 120000 / 100 = 120000 * 120001 / 200 = 72000600
DROP TABLE reg_deals;

-- bad input
SELECT crm_sales.weighted_pipeline('NaN', 'proposal'::crm_sales.sales_stage);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.weighted_pipeline('Infinity', 'proposal'::crm_sales.sales_stage);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.weighted_pipeline(1, 'proposal'::crm_sales.sales_stage, 1.5, 0.5);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.weighted_pipeline(1, 'proposal'::crm_sales.sales_stage, 0.5, 0.6);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.weighted_pipeline(1, 'proposal'::crm_sales.sales_stage, NULL, 0.6);
\echo :LAST_ERROR_SQLSTATE
-- an open stage without a probability (the lifecycle model has none)
SELECT crm_sales.weighted_pipeline(1, 'prospect'::crm_sales.lifecycle_stage);
\echo :LAST_ERROR_SQLSTATE
-- won / lost stages need no probability
SELECT (crm_sales.weighted_pipeline(5, 'new'::crm_sales.lifecycle_stage)).closed;
-- an enum that is not a model
CREATE TYPE reg_color AS ENUM ('red', 'green');
SELECT crm_sales.weighted_pipeline(1, 'red'::reg_color);
\echo :LAST_ERROR_SQLSTATE
DROP TYPE reg_color;

-- combined forecasts, by hand:
-- three models at one step: points 100, 110, 130; bounds [90, 110],
-- [95, 125], [100, 160]; in-sample MSE 4, 16, 64
CREATE TEMP TABLE fc (model text, step int, point float8, lower float8, upper float8, mse float8);
INSERT INTO fc VALUES
	('a', 1, 100, 90, 110, 4), ('b', 1, 110, 95, 125, 16), ('c', 1, 130, 100, 160, 64),
	('a', 2, 200, 180, 220, 4), ('b', 2, 230, 200, 260, 16), ('c', 2, NULL, NULL, NULL, 64);
-- mean: step 1 point 340 / 3 = 113.333.., lower 285 / 3 = 95, upper 395 / 3 = 131.666..
--       step 2 (model c has no forecast): point 215, lower 190, upper 240
SELECT step, (crm_sales.combine_forecast(point, lower, upper)).* FROM fc GROUP BY step ORDER BY step;
-- inverse MSE: weights 1/4, 1/16, 1/64 = 16/21, 4/21, 1/21:
--   step 1 point 2170 / 21 = 103.333.., lower 1920 / 21 = 91.428571.., upper 2420 / 21 = 115.238095..
--   step 2 weights 4/5, 1/5: point 206, lower 184, upper 228
SELECT step, (crm_sales.combine_forecast_inverse_mse(point, lower, upper, mse)).*
  FROM fc GROUP BY step ORDER BY step;
-- explicit weights 1, 1, 2: point (100 + 110 + 260) / 4 = 117.5
SELECT (crm_sales.combine_forecast(point, lower, upper, CASE model WHEN 'c' THEN 2 ELSE 1 END)).*
  FROM fc WHERE step = 1;
-- a model with zero in-sample MSE takes all the weight
SELECT (crm_sales.combine_forecast_inverse_mse(point, lower, upper, CASE model WHEN 'b' THEN 0 ELSE mse END)).*
  FROM fc WHERE step = 1;
-- a model without an interval: the combined interval is NULL
SELECT (crm_sales.combine_forecast(point, CASE model WHEN 'a' THEN NULL ELSE lower END, upper)).*
  FROM fc WHERE step = 1;
-- no rows, or all weights zero: NULL
SELECT crm_sales.combine_forecast(point, lower, upper) IS NULL AS empty FROM fc WHERE false;
SELECT crm_sales.combine_forecast(point, lower, upper, 0) IS NULL AS zero_weights FROM fc;
-- bad input
SELECT crm_sales.combine_forecast(point, lower, upper, -1) FROM fc;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.combine_forecast_inverse_mse(point, lower, upper, 'NaN') FROM fc;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.combine_forecast('Infinity', 1, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.combine_forecast(1, 3, 2);
\echo :LAST_ERROR_SQLSTATE
-- an in-sample MSE so small that 1 / mse overflows counts as a perfect fit
-- (was NaN): by hand, models with mse 1e-320 and 0 share the weight,
-- point (1 + 5) / 2 = 3, lower (0 + 4) / 2 = 2, upper (2 + 6) / 2 = 4
SELECT (crm_sales.combine_forecast_inverse_mse(p, l, u, w)).*
  FROM (VALUES (1.0::float8, 0.0::float8, 2.0::float8, 1e-320::float8), (3, 2, 4, 1), (5, 4, 6, 0)) v(p, l, u, w);
-- a forged state: a model count outside int (was cast: undefined behaviour)
SELECT crm_sales._combine_forecast_final('{1e300,1e300,1,1,1,1,0,0,0,0}');
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales._combine_forecast_final('{NaN,1,1,1,1,1,0,0,0,0}');
\echo :LAST_ERROR_SQLSTATE
-- bigint counts of partial states do not wrap around
SELECT crm_sales._weighted_pipeline_combine('(1,0,0,0,0,0,0,0,0,0,0,0,0)', '(9223372036854775807,0,0,0,0,0,0,0,0,0,0,0,0)');
\echo :LAST_ERROR_SQLSTATE
