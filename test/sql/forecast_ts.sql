-- Holt-Winters against R 4.2.2: stats::HoltWinters and predict.HoltWinters
-- on R's own series.  The series and R's results (hw_ref: parameters, SSE,
-- coefficients; hw_ref_fc: 24 forecasts with 95% intervals) are written by
-- test/reference/forecast_ts/hw_reference.R (its printout: hw_reference.out
-- next to it).  Each query below prints whether we agree with R, never our
-- own numbers alone.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
\set SHOW_CONTEXT never
\set ECHO none
\i test/reference/forecast_ts/hw_cases.sql
\set ECHO all

-- relative difference, with a floor of 1e-12 of the series' magnitude
CREATE FUNCTION rel(a float8, b float8, scale float8) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) / greatest(abs(a), abs(b), 1e-12 * scale) $$;
CREATE VIEW scale AS SELECT series, max(abs(value)) AS scale FROM ts_data GROUP BY series;

-- our fit of every R case, all in one grouped query; options text from R's arguments
CREATE TABLE ours AS
SELECT r.id, crm_sales.holt_winters(d.period, d.value,
           CASE WHEN r.seasonal = 'none' THEN 1
                WHEN r.series IN ('UKgas', 'JohnsonJohnson') THEN 4 ELSE 12 END,
           concat_ws(', ', r.seasonal, 'trend=' || r.trend, 'alpha=' || r.alpha,
                     'beta=' || r.beta, 'gamma=' || r.gamma)) AS model
  FROM hw_ref r JOIN ts_data d USING (series)
 GROUP BY r.id;

-- the options each case used
SELECT id, series, seasonal, trend, alpha, beta, gamma, estimated FROM hw_ref ORDER BY id;

-- given parameters: SSE, final level, slope and seasonal states equal R's to 1e-9
SELECT r.id, r.series, r.seasonal, r.trend,
       rel((o.model::jsonb->>'sse')::float8, r.sse, 0) <= 1e-9 AS sse_ok,
       rel((o.model::jsonb->>'level')::float8, r.level, s.scale) <= 1e-9 AS level_ok,
       r.trend = 'none' OR rel((o.model::jsonb->>'slope')::float8, r.slope, s.scale) <= 1e-9 AS slope_ok,
       r.seasonal = 'none' OR (SELECT bool_and(rel(j.v::float8, r.season[j.i], s.scale) <= 1e-9)
                                 FROM jsonb_array_elements_text(o.model::jsonb->'season')
                                      WITH ORDINALITY AS j(v, i)) AS season_ok
  FROM hw_ref r JOIN ours o USING (id) JOIN scale s USING (series)
 WHERE NOT r.estimated ORDER BY r.id;

-- given parameters: 24 forecasts and 95% intervals equal R's to 1e-9;
-- where R's interval is NA (its multiplicative formula without trend reads
-- past the coefficients) ours is NULL
SELECT r.id, count(*) AS steps,
       bool_and(rel(f.point, c.point, s.scale) <= 1e-9) AS point_ok,
       bool_and(CASE WHEN c.lower IS NULL THEN f.lower IS NULL
                     ELSE rel(f.lower, c.lower, s.scale) <= 1e-9 END) AS lower_ok,
       bool_and(CASE WHEN c.upper IS NULL THEN f.upper IS NULL
                     ELSE rel(f.upper, c.upper, s.scale) <= 1e-9 END) AS upper_ok,
       count(*) FILTER (WHERE c.lower IS NULL) AS r_na
  FROM hw_ref r JOIN ours o USING (id) JOIN scale s USING (series)
  CROSS JOIN LATERAL crm_sales.forecast(o.model, 24) f
  JOIN hw_ref_fc c ON c.id = r.id AND c.step = f.step
 WHERE NOT r.estimated GROUP BY r.id ORDER BY r.id;

-- estimated parameters: SSE never above R's by more than 1e-6 relative;
-- parameters near R's (R's optim stops at a relative SSE change of 2.2e-9,
-- up to 3e-4 short of the minimum in flat valleys: the unit tests compare
-- with R's minimum polished at tight tolerances, to 1e-4)
SELECT r.id, r.series, r.seasonal, r.trend,
       (o.model::jsonb->>'sse')::float8 <= r.sse * (1 + 1e-6) AS sse_not_worse,
       abs((o.model::jsonb->>'alpha')::float8 - r.r_alpha) < 3e-4 AS alpha_near,
       abs(coalesce((o.model::jsonb->>'beta')::float8, 0) - r.r_beta) < 3e-4 AS beta_near,
       abs(coalesce((o.model::jsonb->>'gamma')::float8, 0) - r.r_gamma) < 3e-4 AS gamma_near
  FROM hw_ref r JOIN ours o USING (id)
 WHERE r.estimated ORDER BY r.id;

-- rows in any order give the same model
SELECT (SELECT crm_sales.holt_winters(period, value, 12, 'multiplicative')
          FROM (SELECT * FROM ts_data WHERE series = 'AirPassengers' ORDER BY md5(period::text)) q)::text
     = (SELECT crm_sales.holt_winters(period, value, 12, 'multiplicative')
          FROM (SELECT * FROM ts_data WHERE series = 'AirPassengers' ORDER BY period) q)::text AS same;

-- parallel aggregation (partial states serialised, combined) gives the same models
CREATE TABLE big AS SELECT s.k, d.* FROM ts_data d, generate_series(1, 8) s(k);
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT k, series, crm_sales.holt_winters(period, value, 4, 'none') FROM big GROUP BY k, series;
CREATE TABLE par AS
SELECT k, series, crm_sales.holt_winters(period, value, 4, 'none')::text AS m FROM big GROUP BY k, series;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_hashagg;
SELECT count(*) AS models, count(DISTINCT series) AS series,
       bool_and(p.m = (SELECT crm_sales.holt_winters(period, value, 4, 'none')::text
                         FROM ts_data d WHERE d.series = p.series)) AS same_as_serial
  FROM par p;

DROP TABLE big, par, ours, hw_ref, hw_ref_fc, ts_data CASCADE;
DROP FUNCTION rel(float8, float8, float8);
