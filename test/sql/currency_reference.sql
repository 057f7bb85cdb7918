-- to_currency() on 400 random cases (direct, inverse and triangulated
-- through USD; 0 to 5 decimals in; JPY, KWD, CLF, USD... out; half up and
-- half even) against exact answers from Python's fractions:
-- test/reference/currency/gen_cases.py wrote rates.csv and cases.csv.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;
-- only these rates (other tests leave theirs in the table)
DELETE FROM exchange_rate;
SELECT set_corporate_currency('USD');
\copy exchange_rate (from_currency, to_currency, valid_from, rate) FROM 'test/reference/currency/rates.csv' WITH (FORMAT csv)
CREATE TABLE ref_cases (amount numeric, from_currency text, to_currency text, at date,
						rounding text, expected numeric);
\copy ref_cases FROM 'test/reference/currency/cases.csv' WITH (FORMAT csv)
SELECT count(*) AS cases,
	   count(*) FILTER (WHERE to_currency(amount, from_currency, to_currency, at, rounding) = expected
						  AND scale(to_currency(amount, from_currency, to_currency, at, rounding))
							  = (SELECT minor_units FROM currency c WHERE c.code = ref_cases.to_currency)) AS equal
  FROM ref_cases;
-- the cases that differ, if any
SELECT *, to_currency(amount, from_currency, to_currency, at, rounding) AS got
  FROM ref_cases
 WHERE to_currency(amount, from_currency, to_currency, at, rounding) <> expected;
-- how the cases spread over the routes
SELECT CASE WHEN from_currency = to_currency THEN 'same'
			WHEN EXISTS (SELECT 1 FROM exchange_rate e WHERE e.from_currency = r.from_currency
						   AND e.to_currency = r.to_currency AND e.valid_from <= r.at) THEN 'direct'
			WHEN EXISTS (SELECT 1 FROM exchange_rate e WHERE e.from_currency = r.to_currency
						   AND e.to_currency = r.from_currency AND e.valid_from <= r.at) THEN 'inverse'
			ELSE 'triangulated' END AS route, count(*)
  FROM ref_cases r GROUP BY 1 ORDER BY 1;
