-- crm_sales.ols, linear_model, predict, coefficients.
-- Every expected number comes from R 4.2.2: the r_* tables loaded below are
-- printed by test/reference/forecast_reg/sql_reference.R (lm, summary.lm,
-- predict.lm); the tests print whether the relative error is below 1e-9
-- and how many values were compared.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set ECHO none
-- (also defines pg_temp.rel(a, b), the relative error of a against b)
\i test/reference/forecast_reg/reg_reference.sql
\set ECHO all

-- mtcars: lm(mpg ~ wt + hp + qsec)
CREATE TEMP TABLE fits AS
	SELECT 'mtcars'::text AS model, crm_sales.ols(mpg, ARRAY[wt, hp, qsec]) AS m FROM mtcars
	UNION ALL
	SELECT 'cars', crm_sales.ols(dist, ARRAY[speed]) FROM cars
	UNION ALL
	-- ill-conditioned: calendar years and their squares (R itself is 3e-11
	-- off the exact values here; the unit tests check the exact ones)
	SELECT 'trend', crm_sales.ols(((7 * i * i) % 23 + 3 * i)::float8,
								  ARRAY[2000 + i, (2000 + i)^2]::float8[])
	  FROM generate_series(0, 30) i;
SELECT f.model, count(*) AS terms,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error,
	   max(pg_temp.rel(c.t_value, r.t_value)) < 1e-9 AS t_value,
	   max(pg_temp.rel(c.p_value, r.p_value)) < 1e-9 AS p_value
  FROM fits f, crm_sales.coefficients(f.m) WITH ORDINALITY c
  JOIN r_coef r ON r.term = c.ordinality - 1
 WHERE r.model = f.model
 GROUP BY f.model ORDER BY f.model;
SELECT f.model,
	   pg_temp.rel((j->>'sigma')::float8, r.sigma) < 1e-9 AS sigma,
	   pg_temp.rel((j->>'r_squared')::float8, r.r2) < 1e-9 AS r2,
	   pg_temp.rel((j->>'adj_r_squared')::float8, r.adj_r2) < 1e-9 AS adj_r2,
	   pg_temp.rel((j->>'f_statistic')::float8, r.fstat) < 1e-9 AS f,
	   pg_temp.rel((j->>'f_p_value')::float8, r.f_p) < 1e-9 AS f_p,
	   (j->>'df')::float8 = r.df AS df
  FROM fits f CROSS JOIN LATERAL (SELECT f.m::jsonb) AS x(j)
  JOIN r_stats r ON r.model = f.model
 ORDER BY f.model;
-- term names and the whole jsonb form of a small exact case:
-- y = 1, 3, 2, 5 at x = 1 .. 4: slope 1.1, intercept 0, rss 2.7 (by hand)
SELECT crm_sales.ols(y, ARRAY[x])::jsonb - 't_values' - 'p_values' - 'coefficients'
  FROM (VALUES (1, 1), (2, 3), (3, 2), (4, 5)) v(x, y);
SELECT term, round(estimate::numeric, 12) AS estimate
  FROM crm_sales.coefficients((SELECT crm_sales.ols(y, ARRAY[x])
								 FROM (VALUES (1, 1), (2, 3), (3, 2), (4, 5)) v(x, y)));

-- predict: point, prediction intervals at 80, 95, 99 % and the standard
-- error of the fitted value (predict.lm(se.fit = TRUE))
SELECT r.level, count(*) AS rows,
	   max(pg_temp.rel(p.point, r.point)) < 1e-9 AS point,
	   max(pg_temp.rel(p.lower, r.lower)) < 1e-9 AS lower,
	   max(pg_temp.rel(p.upper, r.upper)) < 1e-9 AS upper,
	   max(pg_temp.rel(p.se_fit, r.se_fit)) < 1e-9 AS se_fit
  FROM r_pred r
  JOIN (VALUES (1, ARRAY[3, 150, 18]::float8[]), (2, ARRAY[2.5, 110, 20]),
			   (3, ARRAY[5.5, 300, 15])) AS nd(row, x) ON nd.row = r.row
  CROSS JOIN LATERAL crm_sales.predict((SELECT m FROM fits WHERE model = 'mtcars'), nd.x, r.level) p
 GROUP BY r.level ORDER BY r.level;
-- default level 0.95
SELECT (crm_sales.predict(m, ARRAY[3, 150, 18])).point = (crm_sales.predict(m, ARRAY[3, 150, 18], 0.95)).point AS same,
	   (crm_sales.predict(m, ARRAY[3, 150, 18])).lower = (crm_sales.predict(m, ARRAY[3, 150, 18], 0.95)).lower AS same_lower
  FROM fits WHERE model = 'mtcars';

-- NULL rows are skipped: NULL y, NULL x, NULL in x
SELECT crm_sales.ols(mpg, ARRAY[wt, hp, qsec])::text =
	   (SELECT crm_sales.ols(y, x) FROM (
			SELECT mpg AS y, ARRAY[wt, hp, qsec] AS x FROM mtcars
			UNION ALL SELECT NULL, ARRAY[1, 2, 3]::float8[]
			UNION ALL SELECT 1, NULL
			UNION ALL SELECT 1, ARRAY[1, NULL, 3]::float8[]) s)::text AS nulls_skipped
  FROM mtcars;
-- no rows, or only NULL rows: NULL
SELECT crm_sales.ols(y, x) IS NULL AS empty FROM (SELECT 1.0::float8 y, ARRAY[1.0]::float8[] x WHERE false) s;
SELECT crm_sales.ols(NULL, ARRAY[1.0]) IS NULL AS all_null;

-- text round trip (exact) and binary round trip (COPY BINARY)
SELECT m::text::crm_sales.linear_model::text = m::text AS text_round_trip,
	   m::text::crm_sales.linear_model::jsonb = m::jsonb AS same_model
  FROM fits ORDER BY model;
CREATE TEMP TABLE bin (model text, m crm_sales.linear_model);
\copy (SELECT model, m FROM fits) TO 'results/reg_ols.bin' WITH (FORMAT binary)
\copy bin FROM 'results/reg_ols.bin' WITH (FORMAT binary)
SELECT f.model, b.m::text = f.m::text AS binary_round_trip FROM fits f JOIN bin b USING (model) ORDER BY 1;
SELECT 'ols(p=1,n=4,mean=[2.5,2.75],r=[2.23606797749979,2.4596747752497685,1.6431676725154984])'::crm_sales.linear_model;
-- spaces are allowed between tokens
SELECT ' ols( p=1 , n=4, mean=[2.5 ,2.75], r=[2.23606797749979, 2.4596747752497685, 1.6431676725154984] ) '::crm_sales.linear_model;

-- parallel query: partial states merged by the combine function give R's
-- answer on 100,000 rows (sql_reference.R, model 'big')
CREATE TABLE reg_big AS
	SELECT i, (i % 97)::float8 AS x1, ((i::bigint * i) % 101)::float8 AS x2, sin(i) AS x3,
		   3 + 0.5 * (i % 97) - 0.25 * ((i::bigint * i) % 101) + 2 * sin(i) + (i * 7) % 13 AS y
	  FROM generate_series(1, 100000) i;
ANALYZE reg_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm_sales.ols(y, ARRAY[x1, x2, x3]) FROM reg_big;
CREATE TEMP TABLE par AS SELECT crm_sales.ols(y, ARRAY[x1, x2, x3]) AS m FROM reg_big;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS SELECT crm_sales.ols(y, ARRAY[x1, x2, x3]) AS m FROM reg_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS terms,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error,
	   max(pg_temp.rel(c.t_value, r.t_value)) < 1e-9 AS t_value
  FROM par, crm_sales.coefficients(par.m) WITH ORDINALITY c
  JOIN r_coef r ON r.model = 'big' AND r.term = c.ordinality - 1;
SELECT pg_temp.rel((p.m::jsonb->>'sigma')::float8, (s.m::jsonb->>'sigma')::float8) < 1e-12 AS parallel_equals_serial,
	   pg_temp.rel((p.m::jsonb->>'r_squared')::float8, r.r2) < 1e-9 AS r2
  FROM par p, ser s, r_stats r WHERE r.model = 'big';
-- partial states shipped as text and merged by the combine function (used
-- as the transition of a merging aggregate): four parts of the same rows
CREATE AGGREGATE reg_ols_partial(float8, float8[]) (SFUNC = crm_sales._ols_trans, STYPE = float8[]);
CREATE AGGREGATE reg_ols_merge(float8[]) (
	SFUNC = crm_sales._ols_combine, STYPE = float8[], FINALFUNC = crm_sales._ols_final);
SELECT count(*) AS terms,
	   max(pg_temp.rel(c.estimate, r.estimate)) < 1e-9 AS estimate,
	   max(pg_temp.rel(c.std_error, r.std_error)) < 1e-9 AS std_error
  FROM crm_sales.coefficients((
	SELECT reg_ols_merge(state::float8[])
	  FROM (SELECT i % 4 AS part, reg_ols_partial(y, ARRAY[x1, x2, x3])::text AS state
			  FROM reg_big GROUP BY i % 4) s)) WITH ORDINALITY c
  JOIN r_coef r ON r.model = 'big' AND r.term = c.ordinality - 1;
-- the text form of a state reads back bit for bit
SELECT bool_and(s::text::float8[] = s) AS state_text_exact, count(*) AS states
  FROM (SELECT reg_ols_partial(y, ARRAY[x1, x2, x3]) AS s FROM reg_big GROUP BY i % 4) t;
-- states of different widths do not merge
SELECT reg_ols_merge(s) FROM (VALUES ('{1,0,0,0,0,0,0}'::float8[]), ('{2,0,0,0,0,0,0,0,0,0,0}')) v(s);
\echo :LAST_ERROR_SQLSTATE
SELECT reg_ols_merge(s) FROM (VALUES ('{1,0,0,0,0,0,0}'::float8[]), ('{1,2,0,0,0,0}')) v(s);
\echo :LAST_ERROR_SQLSTATE
DROP AGGREGATE reg_ols_merge(float8[]);
DROP AGGREGATE reg_ols_partial(float8, float8[]);
DROP TABLE reg_big;

-- as a window function over a moving frame (restarted for each row):
-- y = 3, 4, 7, 8, 11 at x = 1..5, frames of up to 5 rows around each row;
-- slopes by hand Sxy / Sxx: 4/2, 9/5, 20/10, 11/5, 4/2
SELECT x, round(((crm_sales.ols(y, ARRAY[x]) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING))::jsonb->'coefficients'->>1)::numeric, 12) AS slope
  FROM (VALUES (1.0::float8, 3.0::float8), (2, 4), (3, 7), (4, 8), (5, 11)) v(x, y)
 ORDER BY x;
-- a perfect fit and a constant y do not fail: sigma 0, R^2 1 or null
SELECT (m::jsonb->>'sigma')::float8 < 1e-12 AS sigma_zero, round((m::jsonb->>'r_squared')::numeric, 12) AS r2,
	   round((m::jsonb->'coefficients'->>0)::numeric, 12) AS b0, round((m::jsonb->'coefficients'->>1)::numeric, 12) AS b1
  FROM (SELECT crm_sales.ols(2 * x + 1, ARRAY[x]) AS m FROM generate_series(1, 5) x) s;
SELECT m::jsonb->'sigma' AS sigma, m::jsonb->'r_squared' AS r2, m::jsonb->'t_values' AS t
  FROM (SELECT crm_sales.ols(7, ARRAY[x]) AS m FROM generate_series(1, 5) x) s;
-- the largest design: 100 regressors, 150 rows (x_ij = sin(i * j), y = sum of x_i. + i mod 7)
SELECT count(*) AS terms, bool_and(std_error > 0) AS all_se_positive
  FROM crm_sales.coefficients((
	SELECT crm_sales.ols((SELECT sum(sin(i * j)) FROM generate_series(1, 100) j) + i % 7,
						 ARRAY(SELECT sin(i * j) FROM generate_series(1, 100) j ORDER BY j))
	  FROM generate_series(1, 150) i));

-- bad input
-- a hand-made aggregate over the transition function with a forged state
CREATE AGGREGATE reg_forged(float8, float8[]) (
	SFUNC = crm_sales._ols_trans, STYPE = float8[], INITCOND = '{3,0,0}',
	FINALFUNC = crm_sales._ols_final);
SELECT reg_forged(1, ARRAY[1, 2, 3]);
\echo :LAST_ERROR_SQLSTATE
DROP AGGREGATE reg_forged(float8, float8[]);
SELECT crm_sales._ols_final('{1,2,3}');
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales._ols_trans(NULL, 1, ARRAY[1.0]);
\echo :LAST_ERROR_SQLSTATE
-- singular designs name the column
SELECT crm_sales.ols(i % 3, ARRAY[i, 2 * i + 1, (i * i) % 7]::float8[]) FROM generate_series(1, 10) i;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(i % 3, ARRAY[i, 5]::float8[]) FROM generate_series(1, 10) i;
\echo :LAST_ERROR_SQLSTATE
-- a nearly constant column: centring leaves 1e-6 steps on 1e6 with only a
-- few correct digits (the fit was off by 9e-6 relative, silently); R 4.2.2
-- coef(lm(y ~ x)) with i <- 1:10; y <- 2 * i + i %% 3; x <- 1e6 + i * 1e-6
-- gives x = NA (below lm's 1e-7 tolerance against the uncentred norm)
SELECT crm_sales.ols(2 * i + i % 3, ARRAY[1e6 + i * 1e-6]::float8[]) FROM generate_series(1, 10) i;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(2 * i + i % 3, ARRAY[i, 1e6 + i * 1e-6]::float8[]) FROM generate_series(1, 10) i;
\echo :LAST_ERROR_SQLSTATE
-- the same slope on a column that keeps its digits still fits: R gives
-- 1.9636363636363630 for i (1.9636363636363631e+06 per unit of x above)
SELECT round((crm_sales.ols(2 * i + i % 3, ARRAY[i]::float8[])::jsonb->'coefficients'->>1)::numeric, 12)
  FROM generate_series(1, 10) i;
-- x arrays of different lengths
SELECT crm_sales.ols(y, x) FROM (VALUES (1, ARRAY[1, 2]::float8[]), (2, ARRAY[1, 2, 3])) v(y, x);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(1, '{}'::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(1, '{{1,2},{3,4}}'::float8[]);
\echo :LAST_ERROR_SQLSTATE
-- non-finite and out-of-range values
SELECT crm_sales.ols('NaN', ARRAY[1.0]);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(1, ARRAY[1.0, 'Infinity']);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(1e101, ARRAY[1.0]);
\echo :LAST_ERROR_SQLSTATE
-- fewer rows than coefficients + 1
SELECT crm_sales.ols(y, ARRAY[x, x * x]) FROM (VALUES (1.0, 1.0), (2, 2), (3, 4)) v(x, y);
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.ols(y, ARRAY[x]) FROM (VALUES (1.0, 1.0)) v(x, y);
\echo :LAST_ERROR_SQLSTATE
-- too many regressors
SELECT crm_sales.ols(1, array_fill(1.0::float8, ARRAY[101]));
\echo :LAST_ERROR_SQLSTATE
-- predict: level outside (0, 1), wrong x length, NULL in x, non-finite x
SELECT crm_sales.predict(m, ARRAY[3, 150, 18], 1.5) FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, 150, 18], 0) FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, 150, 18], 'NaN') FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, 150]) FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, NULL, 18]) FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, 'NaN', 18]::float8[]) FROM fits WHERE model = 'mtcars';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.predict(m, ARRAY[3, 150, 18], NULL) IS NULL AS strict FROM fits WHERE model = 'mtcars';
-- a level just below 1: 1 + level rounds to 2, so the quantile is taken
-- from the small tail (1 - level) / 2, as predict.lm does (was NaN).  R 4.2.2:
-- i <- 1:5; f <- lm(I(i + i %% 2) ~ i); predict(f, data.frame(i = 2),
-- interval = "prediction", level = 1 - 1e-16) gives fit 2.6,
-- lwr -195291.22455072639, upr 195296.4245507264
SELECT pg_temp.rel(p.lower, -195291.22455072639) < 1e-9 AS lower,
	   pg_temp.rel(p.upper, 195296.4245507264) < 1e-9 AS upper
  FROM crm_sales.predict((SELECT crm_sales.ols(i + i % 2, ARRAY[i]::float8[]) FROM generate_series(1, 5) i),
						 ARRAY[2], 1 - 1e-16) p;
-- malformed text
SELECT 'ols(p=1,n=4,mean=[2.5,2.75],r=[2.23606797749979,2.4596747752497685])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4,mean=[2.5,2.75],r=[2.2,2.4,1.6]) trailing'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4,mean=[NaN,2.75],r=[2.2,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4.5,mean=[2.5,2.75],r=[2.2,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4,mean=[2.5,2.75],r=[-2.2,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=0,n=4,mean=[2.75],r=[1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4,mean=[2.5,2.75],r=[0,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=2,mean=[2.5,2.75],r=[1,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'tslm(m=4,first=0,p=1,n=4,mean=[2.5,2.75],r=[1,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ols(p=1,n=4,mean=[0x10,2.75],r=[1,2.4,1.6])'::crm_sales.linear_model;
\echo :LAST_ERROR_SQLSTATE
