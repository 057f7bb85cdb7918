-- crm_sales.tslm and tslm_forecast against forecast::tslm(y ~ trend + season)
-- and forecast(fit, h = 2 * frequency, level = c(80, 95)) of forecast 8.20 on
-- R's AirPassengers, UKgas and USAccDeaths (r_* tables printed by
-- test/reference/forecast_reg/sql_reference.R).  period = year * m + cycle - 1.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set ECHO none
-- (also defines pg_temp.rel(a, b), the relative error of a against b)
\i test/reference/forecast_reg/reg_reference.sql
\set ECHO all

-- one grouped query fits all three series; rows arrive scrambled
CREATE TEMP TABLE fits AS
	SELECT name, crm_sales.tslm(period, value, CASE name WHEN 'UKgas' THEN 4 ELSE 12 END) AS m
	  FROM (SELECT * FROM series ORDER BY md5(period::text || name)) s
	 GROUP BY name;
SELECT f.name, count(*) AS terms,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error,
	   max(pg_temp.rel(c.t_value, r.t_value)) < 1e-9 AS t_value,
	   max(pg_temp.rel(c.p_value, r.p_value)) < 1e-9 AS p_value
  FROM fits f, crm_sales.coefficients(f.m) WITH ORDINALITY c
  JOIN r_coef r ON r.term = c.ordinality - 1
 WHERE r.model = f.name
 GROUP BY f.name ORDER BY f.name;
SELECT f.name,
	   pg_temp.rel((f.m::jsonb->>'sigma')::float8, r.sigma) < 1e-9 AS sigma,
	   pg_temp.rel((f.m::jsonb->>'r_squared')::float8, r.r2) < 1e-9 AS r2,
	   pg_temp.rel((f.m::jsonb->>'adj_r_squared')::float8, r.adj_r2) < 1e-9 AS adj_r2
  FROM fits f JOIN r_stats r ON r.model = f.name ORDER BY 1;
-- forecasts: 2 seasons ahead, 80 and 95 % intervals
SELECT f.name, count(*) AS values_compared, min(fc.period) AS first_period,
	   max(pg_temp.rel(fc.point, r.point)) < 1e-9 AS point,
	   max(pg_temp.rel(fc.lower, r.lower)) < 1e-9 AS lower,
	   max(pg_temp.rel(fc.upper, r.upper)) < 1e-9 AS upper
  FROM fits f
 CROSS JOIN LATERAL crm_sales.tslm_forecast(f.m, CASE f.name WHEN 'UKgas' THEN 8 ELSE 24 END) fc
  JOIN r_fc r ON r.model = f.name AND r.step = fc.step AND r.level = fc.level
 GROUP BY f.name ORDER BY 1;
-- the shape of the output: first steps of AirPassengers (period 1961 * 12 = 23532
-- is January 1961); values rounded, R: 449.25568181818198 [413.557, 484.954]
SELECT step, period, level, round(point::numeric, 6) AS point,
	   round(lower::numeric, 6) AS lower, round(upper::numeric, 6) AS upper
  FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'AirPassengers'), 2, '{0.8,0.95}');
-- term names follow R's, the text form round-trips
SELECT m::jsonb->'terms' AS terms, m::jsonb->'season_length' AS m, m::jsonb->'first_period' AS first
  FROM fits WHERE name = 'UKgas';
SELECT name, m::text::crm_sales.linear_model::text = m::text AS text_round_trip FROM fits ORDER BY 1;
SELECT m::text FROM fits WHERE name = 'UKgas';
-- predict() on a tslm model takes (trend, season dummies): step 1 of UKgas
-- is trend 109 in season 0 (no dummy set)
SELECT pg_temp.rel(p.point, r.point) < 1e-9 AS point, pg_temp.rel(p.lower, r.lower) < 1e-9 AS lower
  FROM crm_sales.predict((SELECT m FROM fits WHERE name = 'UKgas'), ARRAY[109, 0, 0, 0], 0.95) p
  JOIN r_fc r ON r.model = 'UKgas' AND r.step = 1 AND r.level = 0.95;
-- periods near the top of the integer range (UKgas shifted by a multiple
-- of 4, so the seasons stay R's): still R's fit.  Before the regression
-- counted periods from their own first value, centring 2.1e9 lost digits
-- and the consecutive check refused this series
SELECT count(*) AS terms, min(p) AS first_period,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error
  FROM (SELECT min(period + 2147475700) AS p, crm_sales.tslm(period + 2147475700, value, 4) AS m
		  FROM (SELECT * FROM series WHERE name = 'UKgas' ORDER BY md5(period::text)) s) f,
	   crm_sales.coefficients(f.m) WITH ORDINALITY c
  JOIN r_coef r ON r.term = c.ordinality - 1
 WHERE r.model = 'UKgas';
-- NULL rows are skipped
SELECT crm_sales.tslm(period, value, 4)::text =
	   (SELECT crm_sales.tslm(period, value, 4) FROM series WHERE name = 'UKgas')::text AS nulls_skipped
  FROM (SELECT period, value FROM series WHERE name = 'UKgas'
		UNION ALL SELECT NULL, 5 UNION ALL SELECT 7900, NULL) s;

-- parallel query: 50 copies of each series, rows interleaved by period,
-- scanned by two workers; every copy's fit still equals R's
CREATE TABLE reg_ts AS
	SELECT name || '/' || k AS name, name AS series, period, value
	  FROM series, generate_series(1, 50) k ORDER BY period, k;
ANALYZE reg_ts;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
	SELECT name, crm_sales.tslm(period, value, CASE series WHEN 'UKgas' THEN 4 ELSE 12 END)
	  FROM reg_ts GROUP BY name;
CREATE TEMP TABLE par AS
	SELECT name, min(series) AS series,
		   crm_sales.tslm(period, value, CASE series WHEN 'UKgas' THEN 4 ELSE 12 END) AS m
	  FROM reg_ts GROUP BY name;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_hashagg;
SELECT count(DISTINCT p.name) AS fits, count(*) AS values_compared,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error
  FROM par p, crm_sales.coefficients(p.m) WITH ORDINALITY c
  JOIN r_coef r ON r.term = c.ordinality - 1
 WHERE r.model = p.series;
DROP TABLE reg_ts;

-- partial states as a shard would ship them: each series split into three
-- parts (period mod 3), each part's state sent as text, merged by the
-- combine function (used here as the transition of a merging aggregate)
CREATE AGGREGATE reg_tslm_partial(integer, float8, integer) (
	SFUNC = crm_sales._tslm_trans, STYPE = float8[]);
CREATE AGGREGATE reg_tslm_merge(float8[]) (
	SFUNC = crm_sales._tslm_combine, STYPE = float8[], FINALFUNC = crm_sales._tslm_final);
CREATE TEMP TABLE parts AS
	SELECT name, period % 3 AS part,
		   reg_tslm_partial(period, value, CASE name WHEN 'UKgas' THEN 4 ELSE 12 END)::text AS state
	  FROM series GROUP BY name, period % 3;
SELECT f.name, count(*) AS terms,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error
  FROM (SELECT name, reg_tslm_merge(state::float8[] ORDER BY part DESC) AS m FROM parts GROUP BY name) f,
	   crm_sales.coefficients(f.m) WITH ORDINALITY c
  JOIN r_coef r ON r.term = c.ordinality - 1
 WHERE r.model = f.name
 GROUP BY f.name ORDER BY f.name;
-- states of different season lengths do not merge
SELECT reg_tslm_merge(state::float8[]) FROM parts WHERE name IN ('UKgas', 'USAccDeaths');
\echo :LAST_ERROR_SQLSTATE
DROP AGGREGATE reg_tslm_merge(float8[]);
DROP AGGREGATE reg_tslm_partial(integer, float8, integer);

-- bad input
-- a missing period, a duplicate period
SELECT crm_sales.tslm(period, value, 4) FROM series WHERE name = 'UKgas' AND period <> 7845;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.tslm(period, value, 4)
  FROM (SELECT period, value FROM series WHERE name = 'UKgas' UNION ALL SELECT 7845, 1) s;
\echo :LAST_ERROR_SQLSTATE
-- duplicates and gaps that keep count, mean and spread (and even the sum of
-- cubes): 0..11 with {1,2,9,10} replaced by {0,4,7,11}; 0+4+7+11 = 22 =
-- 1+2+9+10, squares 186 = 186, cubes 1738 = 1738.  Refused by the period
-- fingerprint (README "tslm" limits), also when the rows come in partial
-- states merged by the combine function
SELECT crm_sales.tslm(p, p * 1.5 + (p % 3), 4)
  FROM unnest('{0,0,3,4,4,5,6,7,7,8,11,11}'::int[]) p;
\echo :LAST_ERROR_SQLSTATE
CREATE AGGREGATE reg_tslm_partial(integer, float8, integer) (
	SFUNC = crm_sales._tslm_trans, STYPE = float8[]);
CREATE AGGREGATE reg_tslm_merge(float8[]) (
	SFUNC = crm_sales._tslm_combine, STYPE = float8[], FINALFUNC = crm_sales._tslm_final);
SELECT reg_tslm_merge(s) FROM (
	SELECT reg_tslm_partial(p, p * 1.5 + (p % 3), 4) AS s
	  FROM unnest('{0,0,3,4,4,5,6,7,7,8,11,11}'::int[]) WITH ORDINALITY u(p, i)
	 GROUP BY i % 3) parts;
\echo :LAST_ERROR_SQLSTATE
-- the same rows without the swap, split the same way, fit
SELECT reg_tslm_merge(s) IS NOT NULL AS consecutive_parts_fit FROM (
	SELECT reg_tslm_partial(p, p * 1.5 + (p % 3), 4) AS s
	  FROM generate_series(0, 11) WITH ORDINALITY u(p, i)
	 GROUP BY i % 3) parts;
-- a state whose fingerprint is not a residue (element 5; the state is
-- m, first, last, anchor, two fingerprints, then the regression) is refused
SELECT reg_tslm_merge(s) FROM (
	SELECT reg_tslm_partial(p, p * 1.5, 4) AS s FROM generate_series(0, 11) p
	UNION ALL
	SELECT array_cat(ARRAY[4, 12, 12, 12, 2147483647, 0]::float8[],
					 (reg_tslm_partial(p, p * 1.5, 4))[7:]) FROM generate_series(12, 12) p) parts;
\echo :LAST_ERROR_SQLSTATE
DROP AGGREGATE reg_tslm_merge(float8[]);
DROP AGGREGATE reg_tslm_partial(integer, float8, integer);
-- a forged initial state with a season length outside int is refused
-- (it was cast to int for the message: undefined behaviour)
CREATE AGGREGATE reg_tslm_forged(integer, float8, integer) (
	SFUNC = crm_sales._tslm_trans, STYPE = float8[], INITCOND = '{1e300,0,0,0,0,4}');
SELECT reg_tslm_forged(i, i, 4) FROM generate_series(1, 3) i;
\echo :LAST_ERROR_SQLSTATE
DROP AGGREGATE reg_tslm_forged(integer, float8, integer);
-- season_length out of range, NULL, or changing within a group
SELECT crm_sales.tslm(period, value, 1) FROM series WHERE name = 'UKgas';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.tslm(period, value, 101) FROM series WHERE name = 'UKgas';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.tslm(period, value, NULL) FROM series WHERE name = 'UKgas';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.tslm(period, value, CASE WHEN period < 7850 THEN 4 ELSE 12 END) FROM series WHERE name = 'UKgas';
\echo :LAST_ERROR_SQLSTATE
-- less than one season (with consecutive periods every season occurs once
-- there are season_length + 2 rows, so this is the only way to miss one)
SELECT crm_sales.tslm(i, i * 1.5 + (i % 3), 12) FROM generate_series(0, 8) i;
\echo :LAST_ERROR_SQLSTATE
-- one season and one period: too few rows for 13 coefficients
SELECT crm_sales.tslm(i, i * 1.5 + (i % 3), 12) FROM generate_series(0, 12) i;
\echo :LAST_ERROR_SQLSTATE
-- non-finite values
SELECT crm_sales.tslm(i, CASE WHEN i = 5 THEN 'NaN'::float8 ELSE i END, 4) FROM generate_series(0, 20) i;
\echo :LAST_ERROR_SQLSTATE
-- horizon and levels
SELECT * FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'UKgas'), 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'UKgas'), 100001);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'UKgas'), 4, '{0.8,1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'UKgas'), 4, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM crm_sales.tslm_forecast((SELECT m FROM fits WHERE name = 'UKgas'), 4, '{0.8,NULL}');
\echo :LAST_ERROR_SQLSTATE
-- a model that is not a tslm
SELECT * FROM crm_sales.tslm_forecast((SELECT crm_sales.ols(i % 5, ARRAY[i]) FROM generate_series(1, 10) i), 4);
\echo :LAST_ERROR_SQLSTATE
-- periods past the integer range
SELECT count(*) FROM crm_sales.tslm_forecast(
	(SELECT crm_sales.tslm(2147483600 + i, i % 3 + i, 2) FROM generate_series(0, 9) i), 100);
\echo :LAST_ERROR_SQLSTATE
