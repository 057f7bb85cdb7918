-- ETS: the ets aggregate, its prediction intervals and the automatic model
-- choice, against forecast 8.20 (R 4.2.2): test/reference/forecast_ts/
-- ets_reference.R, its printout ets_reference.out and the SQL it writes
-- (ets_cases.sql: R's fitted models as forecast_model literals with
-- forecast.ets' forecasts and 95% intervals).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
\set ECHO none
\i test/reference/forecast_ts/hw_cases.sql
\i test/reference/forecast_ts/ets_cases.sql
\set ECHO all
CREATE FUNCTION rel(a float8, b float8) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) / greatest(abs(a), abs(b), 1e-300) $$;
CREATE TABLE freq (series text, m int);
INSERT INTO freq VALUES ('AirPassengers', 12), ('co2', 12), ('UKgas', 4), ('USAccDeaths', 12),
                        ('nottem', 12), ('JohnsonJohnson', 4), ('Nile', 1);

-- forecast means and 95% intervals of R's fitted models, our formulas, to
-- 1e-9 of the forecast's size: class 1 (additive error), class 2
-- (multiplicative error), class 3 (multiplicative error and season, forecast's
-- class3() recursion).  They equal forecast.ets' numbers except in two
-- places where forecast 8.20 departs from Hyndman et al. (2008), and there
-- they equal the book's formulas, computed in R next to forecast's (tb_
-- columns): without a trend (ANA, MNA) forecast's class1() puts gamma one
-- step early (j = m - 1 instead of j = m, mod m); for a damped class-3 model
-- (MAdM) its class3() moves the level by b instead of phi b.
SELECT l.id, l.name, count(*) AS steps,
       bool_and(abs(f.point - c.tb_point) <= 1e-9 * abs(c.point)) AS point_ok,
       bool_and(abs(f.lower - c.tb_lower) <= 1e-9 * abs(c.point)) AS lower_ok,
       bool_and(abs(f.upper - c.tb_upper) <= 1e-9 * abs(c.point)) AS upper_ok,
       bool_and(abs(f.lower - c.lower) <= 1e-9 * abs(c.point)
                AND abs(f.point - c.point) <= 1e-9 * abs(c.point)) AS as_forecast_ets
  FROM ets_lit l CROSS JOIN LATERAL forecast(l.model::forecast_model, 24) f
  JOIN ets_fc c ON c.id = l.id AND c.step = f.step
 GROUP BY l.id, l.name ORDER BY l.id;

-- acceptance: the last two seasons (10 years of Nile) held out, models
-- chosen automatically by AICc; mean MASE (scale: in-sample seasonal naive
-- MAE, as forecast::accuracy) no worse than forecast::ets' 1.2654409107959412
CREATE TABLE holdout AS
SELECT d.series, f.m, CASE WHEN f.m > 1 THEN 2 * f.m ELSE 10 END AS h,
       max(d.period) OVER (PARTITION BY d.series) AS n, d.period, d.value
  FROM ts_data d JOIN freq f USING (series);
CREATE TABLE fits AS
SELECT series, m, h, ets(period, value, m) AS model
  FROM holdout WHERE period <= n - h GROUP BY series, m, h;
CREATE TABLE scores AS
SELECT s.series, (forecast_accuracy(o.value, fc.point, sc.scale)).mase
  FROM fits s
  CROSS JOIN LATERAL forecast(s.model, s.h) fc
  JOIN holdout o ON o.series = s.series AND o.period = fc.period
  JOIN (SELECT series, avg(abs(value - prev)) AS scale
          FROM (SELECT series, period, n, h, value, lag(value, m) OVER (PARTITION BY series ORDER BY period) AS prev
                  FROM holdout) q
         WHERE period <= n - h AND prev IS NOT NULL GROUP BY series) sc ON sc.series = s.series
 GROUP BY s.series;
SELECT count(*) AS series, avg(mase) <= 1.2654409107959412 AS mean_mase_no_worse_than_forecast_ets FROM scores;

-- a fixed model reaching forecast's optimum: Nile ETS(A,N,N), R's AICc
-- 1459.0310399984116 (ets_reference.out)
SELECT rel((m::jsonb->>'aicc')::float8, 1459.0310399984116) < 1e-7 AS aicc_as_forecast,
       m::jsonb->>'model' AS model
  FROM (SELECT ets(period, value, 1, 'ANN') AS m FROM ts_data WHERE series = 'Nile') q;

-- text and binary forms carry the ETS fields
CREATE TABLE em AS SELECT ets(period, value, 4, 'MAdA') AS m FROM ts_data WHERE series = 'UKgas';
SELECT m::text::forecast_model::text = m::text AS text_round_trip,
       m::jsonb->>'method' AS method, m::jsonb->>'error' AS error, m::jsonb->>'model' AS model,
       (m::jsonb->>'phi')::float8 BETWEEN 0.8 AND 0.98 AS phi_in_bounds,
       (m::jsonb->>'beta')::float8 <= (m::jsonb->>'alpha')::float8 AS beta_le_alpha,
       (m::jsonb->>'gamma')::float8 <= 1 - (m::jsonb->>'alpha')::float8 AS gamma_le_1_minus_alpha
  FROM em;
\copy em TO 'results/forecast_ts_ets.bin' WITH (FORMAT binary)
CREATE TABLE em2 (LIKE em);
\copy em2 FROM 'results/forecast_ts_ets.bin' WITH (FORMAT binary)
SELECT (SELECT m::text FROM em) = (SELECT m::text FROM em2) AS binary_round_trip;

-- class 3 variances stop after 1000 steps (NULL bounds beyond), means go on
SELECT count(*) AS steps, count(lower) AS lower_given, count(point) AS points
  FROM (SELECT ets(period, value, 12, 'MAM') AS m FROM ts_data WHERE series = 'AirPassengers') q,
       forecast(m, 1002);

-- bad input
SELECT ets(period, value, 12, 'XYZ') FROM ts_data WHERE series = 'AirPassengers';
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value, 12, 'ANM') FROM ts_data WHERE series = 'AirPassengers';
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value, 30, 'AAA') FROM ts_data WHERE series = 'AirPassengers';
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value, 12, 'AAA') FROM ts_data WHERE series = 'AirPassengers' AND period <= 35;
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value - 104, 12, 'MNN') FROM ts_data WHERE series = 'AirPassengers';
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, CASE WHEN period = 5 THEN 'Infinity' ELSE value END, 12) FROM ts_data WHERE series = 'AirPassengers';
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value, 12) FROM ts_data WHERE series = 'AirPassengers' AND period <> 17;
\echo :LAST_ERROR_SQLSTATE
SELECT ets(period, value, 1) FROM ts_data WHERE series = 'Nile' AND period <= 5;
\echo :LAST_ERROR_SQLSTATE
-- zero or negative data: only additive candidates (the choice still works)
SELECT (ets(period, value - 300, 12)::jsonb->>'error') AS error FROM ts_data WHERE series = 'AirPassengers';
SELECT ets(period, value, 12) IS NULL AS no_rows FROM ts_data WHERE false;
-- a constant series: 'auto' answers as forecast::ets does (its
-- ses(y, alpha = 0.99999, initial = "simple")), not with an error.  R 4.2.2,
-- forecast 8.20: ets(ts(rep(5, 48), frequency = 12)) has alpha 0.99999,
-- l 5, sigma2 0, and forecast(h = 2) gives 5 with 95% bounds 5, 5;
-- ets(ts(rep(0, 10))) forecasts 0 [0, 0]
SELECT m::jsonb->>'model' AS model, (m::jsonb->>'alpha')::float8 AS alpha,
       (m::jsonb->>'level')::float8 AS level, (m::jsonb->>'sigma2')::float8 AS sigma2, f.step, f.point, f.lower, f.upper
  FROM (SELECT ets(g, 5, 12) AS m FROM generate_series(1, 48) g) q, forecast(m, 2) f;
SELECT f.step, f.point, f.lower, f.upper
  FROM (SELECT ets(g, 0, 1) AS m FROM generate_series(1, 10) g) q, forecast(m, 1) f;
-- a fixed model still needs a likelihood optimum
SELECT ets(g, 5, 12, 'ANN') FROM generate_series(1, 48) g;
\echo :LAST_ERROR_SQLSTATE

DROP TABLE ts_data, hw_ref, hw_ref_fc, ets_lit, ets_fc, freq, holdout, fits, scores, em, em2;
DROP FUNCTION rel(float8, float8);
RESET search_path;
