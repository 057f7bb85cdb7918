-- forecast_model type, holt_winters options and errors, forecast(),
-- forecast_accuracy, backtest_holt_winters, damped trend.  Expected numbers
-- come from R 4.2.2 / forecast 8.20 (test/reference/forecast_ts/
-- accuracy_reference.R and .out) or are derived by hand in the comments.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
SET extra_float_digits = 0;

CREATE TABLE air (period int8, value float8);
-- R: as.numeric(AirPassengers)
INSERT INTO air SELECT i, v FROM unnest('{112,118,132,129,121,135,148,148,136,119,104,118,115,126,141,135,125,149,170,170,158,133,114,140,145,150,178,163,172,178,199,199,184,162,146,166,171,180,193,181,183,218,230,242,209,191,172,194,196,196,236,235,229,243,264,272,237,211,180,201,204,188,235,227,234,264,302,293,259,229,203,229,242,233,267,269,270,315,364,347,312,274,237,278,284,277,317,313,318,374,413,405,355,306,271,306,315,301,356,348,355,422,465,467,404,347,305,336,340,318,362,348,363,435,491,505,404,359,310,337,360,342,406,396,420,472,548,559,463,407,362,405,417,391,419,461,472,535,622,606,508,461,390,432}'::float8[]) WITH ORDINALITY AS u(v, i);
CREATE FUNCTION rel(a float8, b float8) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) / greatest(abs(a), abs(b), 1e-300) $$;

-- ---------------------------------------------------------------- text form
-- A simple-smoothing model written by hand: level 3, sigma2 0.5, alpha 0.5.
-- Forecast variance 0.5 * (1 + (h - 1) * alpha^2) (predict.HoltWinters with
-- psi = alpha); R: 3 -/+ qnorm(0.975) * sqrt(0.5 * c(1, 1.25, 1.5)) =
-- 1.6140961756503225 / 4.3859038243496773, 1.4505124192385963 /
-- 4.5494875807614035, 1.3026213988857429 / 4.6973786011142575.
CREATE TABLE fm (name text, m forecast_model);
INSERT INTO fm VALUES ('ses', 'method=holt_winters error=additive trend=none seasonal=none season_length=1 n=10 n_fit=9 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season=');
SELECT m FROM fm;
SELECT m::jsonb FROM fm;
SELECT step, period, point, rel(lower, l) < 1e-15 AS lower_ok, rel(upper, u) < 1e-15 AS upper_ok, level
  FROM fm, forecast(m, 3) f
  JOIN (VALUES (1, 1.6140961756503225, 4.3859038243496773), (2, 1.4505124192385963, 4.5494875807614035),
               (3, 1.3026213988857429, 4.6973786011142575)) r(s, l, u) ON r.s = f.step;
-- several levels at once (qnorm(0.9) = 1.2815515655446004: 3 -/+ 0.9062 at step 1)
SELECT step, level, round(lower::numeric, 6) AS lower, round(upper::numeric, 6) AS upper
  FROM fm, forecast(m, 2, ARRAY[0.8, 0.95]);
-- blanks between fields are free; the output is canonical
SELECT '  method=holt_winters   error=additive trend=none seasonal=none season_length=1 n=10 n_fit=9 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season=  '::forecast_model::text
     = (SELECT m::text FROM fm) AS blanks_ignored;

-- fitted models round-trip exactly through text and binary
INSERT INTO fm SELECT 'air_mult', holt_winters(period, value, 12, 'multiplicative') FROM air;
INSERT INTO fm SELECT 'air_damped', holt_winters(period, value, 12, 'damped') FROM air;
INSERT INTO fm SELECT 'air_holt', holt_winters(period, value, 1, 'none') FROM air;
SELECT name, m::text::forecast_model::text = m::text AS text_round_trip,
       m::jsonb->>'trend' AS trend, m::jsonb->>'seasonal' AS seasonal,
       CASE WHEN jsonb_typeof(m::jsonb->'season') = 'array' THEN jsonb_array_length(m::jsonb->'season') END AS season_states, (m::jsonb->>'n')::int AS n
  FROM fm ORDER BY name;
\copy (SELECT name, m FROM fm) TO 'results/forecast_ts_api.bin' WITH (FORMAT binary)
CREATE TABLE fm2 (LIKE fm);
\copy fm2 FROM 'results/forecast_ts_api.bin' WITH (FORMAT binary)
SELECT count(*) AS models, bool_and(fm.m::text = fm2.m::text) AS binary_round_trip
  FROM fm JOIN fm2 USING (name);
SELECT length(forecast_model_send(m)) AS send_bytes FROM fm WHERE name = 'air_mult';

-- malformed text: 22P02 with the text in the message
SELECT 'foo'::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=none season_length=1 n=10'::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=additive season_length=2 n=10 n_fit=8 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season=1'::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=none season_length=1 n=10 n_fit=9 last_period=10 alpha=2 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season='::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=none season_length=1 n=10 n_fit=9 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=NaN slope=0 season='::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=none season_length=1 n=10 n_fit=9 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season= x'::forecast_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'method=holt_winters error=additive trend=none seasonal=none season_length=3 n=10 n_fit=9 last_period=10 alpha=0.5 beta=0 gamma=0 phi=1 sse=4.5 sigma2=0.5 aicc=NaN level=3 slope=0 season='::forecast_model;
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- damped trend
-- Our extension (R's HoltWinters has no phi): the recursion written out in
-- R (accuracy_reference.R, part 3) for alpha 0.3, beta 0.1, gamma 0.2, phi 0.9:
-- sse 98858.857841129735, level 483.79205458199743, slope 0.68171829888375279;
-- steps 1, 12, 24: point 467.13177470102215 455.76728338130681 457.01071563484464,
-- lower 414.09751645471874 364.62860574110903 322.69458656263453,
-- upper 520.16603294732556 546.9059610215046 591.32684470705476
CREATE TABLE d AS SELECT holt_winters(period, value, 12, 'damped, alpha=0.3, beta=0.1, gamma=0.2, phi=0.9') AS m FROM air;
SELECT rel((m::jsonb->>'sse')::float8, 98858.857841129735) < 1e-9 AS sse_ok,
       rel((m::jsonb->>'level')::float8, 483.79205458199743) < 1e-9 AS level_ok,
       rel((m::jsonb->>'slope')::float8, 0.68171829888375279) < 1e-9 AS slope_ok,
       (m::jsonb->>'phi')::float8 AS phi FROM d;
SELECT f.step, rel(point, p) < 1e-9 AS point_ok, rel(lower, l) < 1e-9 AS lower_ok, rel(upper, u) < 1e-9 AS upper_ok
  FROM d, forecast(m, 24) f
  JOIN (VALUES (1, 467.13177470102215, 414.09751645471874, 520.16603294732556),
               (12, 455.76728338130681, 364.62860574110903, 546.9059610215046),
               (24, 457.01071563484464, 322.69458656263453, 591.32684470705476)) r(s, p, l, u)
    ON r.s = f.step ORDER BY f.step;
-- estimated phi stays in [0.8, 0.98] (forecast::ets' bounds) and no grid
-- value of phi with the other parameters re-estimated gives a lower SSE
SELECT (m::jsonb->>'phi')::float8 BETWEEN 0.8 AND 0.98 AS phi_in_bounds,
       (m::jsonb->>'sse')::float8 <= (SELECT min((q.g::jsonb->>'sse')::float8)
                                        FROM (VALUES (0.8), (0.85), (0.9), (0.95), (0.98)) v(phi),
                                             LATERAL (SELECT holt_winters(period, value, 12, 'damped, phi=' || phi) AS g FROM air) q)
                                      * (1 + 1e-9) AS best_over_phi_grid
  FROM fm WHERE name = 'air_damped';

-- ---------------------------------------------------------------- bad input
SELECT holt_winters(period, value, 1, 'additive') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 0) FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, NULL) FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'seasonal=cubic') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'additive foo=1') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'alpha=abc') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'alpha=0') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'beta=1.5') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'damped, phi=0') FROM air;
\echo :LAST_ERROR_SQLSTATE
-- a NULL options text means the defaults (README)
SELECT holt_winters(period, value, 12, NULL)::text = holt_winters(period, value, 12)::text AS null_options_default FROM air;
-- a parameter of a component the model lacks is an error, not ignored
SELECT holt_winters(period, value, 12, 'phi=0.9') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'trend=none, beta=0.1') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12, 'gamma=0.5, none') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 1, 'gamma=0.5') FROM air;
\echo :LAST_ERROR_SQLSTATE
-- fewer than two seasons
SELECT holt_winters(period, value, 12) FROM air WHERE period <= 23;
\echo :LAST_ERROR_SQLSTATE
-- exactly two seasons is enough
SELECT (holt_winters(period, value, 12)::jsonb->>'n_fit')::int AS n_fit FROM air WHERE period <= 24;
SELECT holt_winters(period, value, 1, 'none') FROM air WHERE period <= 2;
\echo :LAST_ERROR_SQLSTATE
-- non-finite values name their period
SELECT holt_winters(period, CASE WHEN period = 7 THEN 'NaN' ELSE value END, 12) FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, CASE WHEN period = 9 THEN '-Infinity' ELSE value END, 12) FROM air;
\echo :LAST_ERROR_SQLSTATE
-- duplicate and missing periods, NULL values count as missing
SELECT holt_winters(period, value, 12) FROM (SELECT * FROM air UNION ALL SELECT 30, 1) q;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value, 12) FROM air WHERE period <> 40;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, CASE WHEN period = 41 THEN NULL ELSE value END, 12) FROM air;
\echo :LAST_ERROR_SQLSTATE
-- leading/trailing NULL values just shorten the series
SELECT (holt_winters(period, CASE WHEN period = 1 THEN NULL ELSE value END, 12)::jsonb->>'n')::int AS n FROM air;
-- multiplicative season needs positive values
SELECT holt_winters(period, value - 104, 12, 'multiplicative') FROM air;
\echo :LAST_ERROR_SQLSTATE
SELECT holt_winters(period, value - 200, 12, 'multiplicative') FROM air;
\echo :LAST_ERROR_SQLSTATE
-- options must not change within a group
SELECT holt_winters(period, value, 12, CASE WHEN period < 50 THEN 'additive' ELSE 'multiplicative' END) FROM air;
\echo :LAST_ERROR_SQLSTATE
-- no rows, or only NULL values: NULL
SELECT holt_winters(period, value, 12) IS NULL AS is_null FROM air WHERE false;
SELECT holt_winters(period, NULL::float8, 12) IS NULL AS is_null FROM air;

-- forecast(): horizon and level limits
SELECT * FROM fm, forecast(m, 0) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM fm, forecast(m, 100001) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM fm, forecast(m, 100000) WHERE name = 'ses';
-- a multiplicative model's variance sum is O(h m), not O(h^2): 100,000 steps
-- well inside 10 s (it took over 20 s, deaf to statement_timeout); far
-- steps still equal R's predict.HoltWinters (AirPassengers, 0.3, 0.1, 0.2,
-- multiplicative, n.ahead = 300: steps 150, 299, 300, R 4.2.2):
-- 1257.3826738243145 [35.676778660402533, 2479.0885689882261],
-- 1356.3999126511385 [-932.04274210143194, 3644.8425674037089],
-- 1521.7494687423298 [-1044.2735595904394, 4087.7724970750987]
CREATE TABLE am AS SELECT holt_winters(period, value, 12, 'multiplicative, alpha=0.3, beta=0.1, gamma=0.2') AS m FROM air;
SET statement_timeout = '10s';
SELECT count(*), count(lower) AS lower_given FROM am, forecast(m, 100000);
RESET statement_timeout;
SELECT f.step, rel(point, p) < 1e-9 AS point_ok, rel(lower, l) < 1e-9 AS lower_ok, rel(upper, u) < 1e-9 AS upper_ok
  FROM am, forecast(m, 300) f
  JOIN (VALUES (150, 1257.3826738243145, 35.676778660402533, 2479.0885689882261),
               (299, 1356.3999126511385, -932.04274210143194, 3644.8425674037089),
               (300, 1521.7494687423298, -1044.2735595904394, 4087.7724970750987)) r(s, p, l, u)
    ON r.s = f.step ORDER BY f.step;
-- horizon x levels rows (here 500,000,000) can be cancelled while they are
-- produced (before, 1e8 rows ran 26.8 s under a 20 s timeout: no interrupt check)
SET statement_timeout = '200ms';
SELECT count(*) FROM am, forecast(m, 100000, array_fill(0.9, ARRAY[5000]));
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
DROP TABLE am;
-- a long fit can be cancelled (the parameter searches poll for interrupts):
-- 1,000,000 points take seconds to fit (18 s for holt_winters on this
-- machine, unlimited for ets 'auto'); a 1 s timeout must end each within 4 s
CREATE TABLE longs AS SELECT g::int8 AS p, 100 + 10 * sin(g * pi() / 6) + g % 7 AS v FROM generate_series(1, 1000000) g;
-- (a function, so that each call is its own statement with its own timeout)
CREATE FUNCTION cancelled_within(q text, lim interval) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE q;
    RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
    RETURN 'cancelled in time: ' || (clock_timestamp() - t0 < lim);
END $$;
SET statement_timeout = '1s';
SELECT cancelled_within('SELECT holt_winters(p, v, 12) FROM longs', '4 s');
SELECT cancelled_within('SELECT ets(p, v, 12) FROM longs', '4 s');
RESET statement_timeout;
DROP TABLE longs;
DROP FUNCTION cancelled_within(text, interval);
SELECT * FROM fm, forecast(m, 3, 0.0) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM fm, forecast(m, 3, 1.0) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM fm, forecast(m, 3, 'NaN'::float8) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM fm, forecast(m, 3, ARRAY[0.9, NULL]) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM fm, forecast(m, 3, '{}'::float8[]) WHERE name = 'ses';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM forecast(NULL, 3);

-- ---------------------------------------------------------------- accuracy
-- forecast::accuracy(pred, actual) (accuracy_reference.R part 1): ME
-- 0.16666666666666666, RMSE 3.082207001484488, MAE 2.8333333333333335,
-- MAPE 2.2592762466121599; sMAPE 2.2622117654013989; MASE with scale 7.5
-- 0.37777777777777782.
CREATE TABLE acc (t int, actual float8, pred float8);
INSERT INTO acc VALUES (1, 112, 110), (2, 118, 120), (3, 132, 130), (4, 129, 131), (5, 121, 125), (6, 135, 130),
                       (7, NULL, 1), (8, 1, NULL);
SELECT (a).n, rel((a).mae, 2.8333333333333335) < 1e-15 AS mae_ok, rel((a).rmse, 3.082207001484488) < 1e-15 AS rmse_ok,
       rel((a).mape, 2.2592762466121599) < 1e-15 AS mape_ok, rel((a).smape, 2.2622117654013989) < 1e-15 AS smape_ok,
       rel((a).bias, 0.16666666666666666) < 1e-14 AS bias_ok, rel((a).mase, 0.37777777777777782) < 1e-15 AS mase_ok
  FROM (SELECT forecast_accuracy(actual, pred, 7.5) AS a FROM acc) q;
SELECT (forecast_accuracy(actual, pred)).mase IS NULL AS no_scale_no_mase FROM acc;
SELECT (forecast_accuracy(actual, pred, NULL)).mase IS NULL AS null_scale_no_mase FROM acc;
SELECT * FROM (SELECT (forecast_accuracy(actual, pred)).* FROM acc WHERE false) q;
SELECT forecast_accuracy(actual, pred, t) FROM acc;
\echo :LAST_ERROR_SQLSTATE
SELECT forecast_accuracy(actual, pred, 0) FROM acc;
\echo :LAST_ERROR_SQLSTATE
SELECT forecast_accuracy(actual, 'Infinity') FROM acc;
\echo :LAST_ERROR_SQLSTATE
-- a zero actual makes MAPE infinite, as in R (100 * |e / 0|)
SELECT (forecast_accuracy(a, f)).mape FROM (VALUES (0.0::float8, 1.0::float8), (2, 1)) v(a, f);
-- parallel: partial states combined give the same sums
CREATE TABLE accbig AS SELECT g, (g % 97)::float8 + 1 AS a, (g % 89)::float8 + 1 AS f FROM generate_series(1, 200000) g;
ANALYZE accbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT forecast_accuracy(a, f, 3) FROM accbig;
CREATE TABLE accpar AS SELECT (forecast_accuracy(a, f, 3)).* FROM accbig;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT p.n, rel(p.mae, s.mae) < 1e-12 AS mae_same, rel(p.rmse, s.rmse) < 1e-12 AS rmse_same,
       rel(p.mape, s.mape) < 1e-12 AS mape_same, rel(p.mase, s.mase) < 1e-12 AS mase_same
  FROM accpar p, (SELECT avg(abs(a - f)) AS mae, sqrt(avg((a - f)^2)) AS rmse,
                         avg(100 * abs((a - f) / a)) AS mape, avg(abs(a - f)) / 3 AS mase FROM accbig) s;

-- ---------------------------------------------------------------- backtest
-- HoltWinters(alpha 0.3, beta 0.1, gamma 0.2) on all but the last 24 months,
-- scored by forecast::accuracy (accuracy_reference.R part 2)
SELECT c.name, rel((b).mae, c.mae) < 1e-9 AS mae_ok, rel((b).rmse, c.rmse) < 1e-9 AS rmse_ok,
       rel((b).mape, c.mape) < 1e-9 AS mape_ok, rel((b).smape, c.smape) < 1e-9 AS smape_ok,
       rel((b).bias, c.bias) < 1e-9 AS bias_ok, rel((b).mase, c.mase) < 1e-9 AS mase_ok, (b).n
  FROM (VALUES ('air additive', 'additive', 53.0197403918528, 67.666768001289626, 10.744395116150656, 11.618058387599094, 49.837850298389753, 1.8555191063901821),
               ('air multiplicative', 'multiplicative', 42.715963224958507, 50.586299908647824, 8.935668051911291, 9.4712316138614856, 40.107888372093448, 1.4949202943277768))
       c(name, seasonal, mae, rmse, mape, smape, bias, mase),
       LATERAL (SELECT backtest_holt_winters(array_agg(period ORDER BY period), array_agg(value ORDER BY period), 12, 24,
                                             c.seasonal || ', alpha=0.3, beta=0.1, gamma=0.2') AS b FROM air) q
 ORDER BY c.name;
SELECT backtest_holt_winters(ARRAY[1, 2, 3]::int8[], ARRAY[1, 2]::float8[], 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT backtest_holt_winters(ARRAY[1, 2, 3, 4, 5]::int8[], ARRAY[1, 2, 3, 4, 5]::float8[], 1, 5, 'none');
\echo :LAST_ERROR_SQLSTATE
SELECT backtest_holt_winters(ARRAY[1, 2, 3, 4, 5]::int8[], ARRAY[1, 2, 3, 4, 5]::float8[], 1, 0, 'none');
\echo :LAST_ERROR_SQLSTATE

-- month_number: consecutive integers for consecutive months
SELECT month_number('2024-03-15'), month_number('2024-04-01') - month_number('2023-04-30') AS twelve;

DROP TABLE air, fm, fm2, d, acc, accbig, accpar;
DROP FUNCTION rel(float8, float8);
RESET search_path;

-- The jsonb form keeps every digit whatever extra_float_digits says
-- (with 0, float8out would print 7.40098916542277 for 7.400989165422773).
SET extra_float_digits = 0;
CREATE TEMP TABLE efd0 AS
SELECT crm_sales.holt_winters(p, (p * 0.1 + sin(p))::float8, 4, 'none')::jsonb AS j
  FROM generate_series(1, 20) AS p;
RESET extra_float_digits;
SELECT j -> 'sse' AS sse_at_0,
	   j = (SELECT crm_sales.holt_winters(p, (p * 0.1 + sin(p))::float8, 4, 'none')::jsonb
			  FROM generate_series(1, 20) AS p) AS same_as_default
  FROM efd0;
