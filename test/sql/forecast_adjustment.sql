-- crm_sales.forecast_adjustment and adjust_forecast: manager adjustments on
-- top of a statistical forecast.  Expected values by hand from the rule
-- final = statistical * (product of factors) + (sum of amounts).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- nothing recorded: the statistical number passes through
SELECT * FROM crm_sales.adjust_forecast('2026-03-01', 'region=EMEA', 1000);
INSERT INTO crm_sales.forecast_adjustment (period, scope, factor, amount, reason, author, created_at) VALUES
	('2026-03-01', 'region=EMEA', 1.10, NULL, 'large renewal signed early', 'alice', '2026-02-20 09:00+00'),
	('2026-03-01', 'region=EMEA', NULL, -250.50, 'distributor churn', 'bob', '2026-02-21 10:30+00'),
	('2026-03-01', 'region=EMEA', 0.95, NULL, 'price cut', 'alice', '2026-02-22 08:00+00'),
	('2026-03-01', 'region=EMEA', NULL, 400, 'trade fair', 'carol', '2026-02-22 08:00+00'),
	('2026-03-01', 'region=APAC', 2, NULL, 'other scope', 'dave', '2026-02-20 09:00+00'),
	('2026-04-01', 'region=EMEA', 3, NULL, 'other period', 'dave', '2026-02-20 09:00+00');
-- factor 1.10 * 0.95 = 1.045; amounts -250.50 + 400 = 149.50;
-- final = 1000 * 1.045 + 149.50 = 1194.50, adjustment 194.50;
-- reasons in order of created_at, then id
SELECT statistical, factor, amount, adjustment, final, adjustments FROM crm_sales.adjust_forecast('2026-03-01', 'region=EMEA', 1000);
SELECT unnest(reasons) AS reason FROM crm_sales.adjust_forecast('2026-03-01', 'region=EMEA', 1000);
-- other scopes and periods are separate: APAC 1000 * 2 = 2000
SELECT final FROM crm_sales.adjust_forecast('2026-03-01', 'region=APAC', 1000);
SELECT final FROM crm_sales.adjust_forecast('2026-03-01', '', 1000);
-- applied to a statistical forecast table: both numbers stay visible
-- (EMEA March 1000 -> 1194.50, April 800 * 3 = 2400)
SELECT f.period, f.scope, a.statistical, a.adjustment, a.final
  FROM (VALUES ('2026-03-01'::date, 'region=EMEA', 1000::numeric), ('2026-04-01', 'region=EMEA', 800)) f(period, scope, stat)
 CROSS JOIN LATERAL crm_sales.adjust_forecast(f.period, f.scope, f.stat) a
 ORDER BY 1;
-- a float8 forecast (e.g. tslm_forecast's point) is passed as numeric
SELECT final FROM crm_sales.adjust_forecast('2026-04-01', 'region=EMEA', 12.5::float8::numeric);
-- NULL statistical forecast: NULL final
SELECT final IS NULL AS null_final FROM crm_sales.adjust_forecast('2026-03-01', 'region=EMEA', NULL);
-- the author defaults to the current user, created_at to the statement time
INSERT INTO crm_sales.forecast_adjustment (period, factor, reason) VALUES ('2030-01-01', 1, 'default author');
SELECT author = current_user AS author_default, scope = '' AS scope_default,
	   created_at <= statement_timestamp() AND created_at > statement_timestamp() - interval '1 hour' AS created_default
  FROM crm_sales.forecast_adjustment WHERE period = '2030-01-01';
-- pg_dump keeps the table and its sequence
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'crm_sales' AND c.relname LIKE 'forecast_adjustment%' ORDER BY 1;

-- bad rows: both or neither of factor and amount, negative factor,
-- empty reason, non-finite amount (terse: the failing rows carry times)
\set VERBOSITY terse
INSERT INTO crm_sales.forecast_adjustment (period, factor, amount, reason) VALUES ('2026-03-01', 1.1, 5, 'both');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO crm_sales.forecast_adjustment (period, reason) VALUES ('2026-03-01', 'neither');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO crm_sales.forecast_adjustment (period, factor, reason) VALUES ('2026-03-01', -1, 'negative');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO crm_sales.forecast_adjustment (period, factor, reason) VALUES ('2026-03-01', 1, '');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO crm_sales.forecast_adjustment (period, amount, reason) VALUES ('2026-03-01', 'NaN', 'nan');
\echo :LAST_ERROR_SQLSTATE
-- numeric NaN sorts above every number, so "factor >= 0" alone lets it in
INSERT INTO crm_sales.forecast_adjustment (period, factor, reason) VALUES ('2026-03-01', 'NaN', 'nan factor');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO crm_sales.forecast_adjustment (period, factor, reason) VALUES ('2026-03-01', 'Infinity', 'infinite factor');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM crm_sales.forecast_adjustment;
\set VERBOSITY default
