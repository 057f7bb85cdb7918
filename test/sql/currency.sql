-- Multi-currency: currencies, dated rates, to_currency() (direct, inverse,
-- triangulated, rounding), the rate cache, freeze_won_amount().
-- Every expected amount is worked out by hand in the comment above its
-- query (and the random cases at the end against Python's exact fractions:
-- test/reference/currency/).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;

-- the shipped list: ISO 4217 minor units
SELECT code, minor_units, name FROM currency
 WHERE code IN ('USD', 'EUR', 'JPY', 'KWD', 'CLF', 'CNY', 'GBP', 'BHD', 'KRW', 'ISK')
 ORDER BY code;
SELECT count(*) AS shipped, count(*) FILTER (WHERE minor_units = 2) AS two_places FROM currency;

-- a clean slate (other tests of this run may have set rates)
DELETE FROM exchange_rate;
DELETE FROM corporate_currency;
-- no corporate currency yet
SELECT corporate_currency();

INSERT INTO exchange_rate VALUES
	('EUR', 'USD', '2025-01-01', 1.0823),
	('EUR', 'USD', '2025-02-01', 1.0400),
	('EUR', 'USD', '2025-03-01', 1.0835),
	('USD', 'JPY', '2025-01-01', 151.37),
	('USD', 'KWD', '2025-01-01', 0.3075),
	('GBP', 'USD', '2025-01-01', 1.25),
	('USD', 'CNY', '2025-01-01', 7.2345);

-- direct, at the latest valid_from <= at:
--   2025-01-15: 100 * 1.0823 = 108.23; 2025-02-01: 100 * 1.04 = 104.00;
--   2025-02-28: still 1.04; 2025-12-31: 1.0835 -> 108.35
SELECT at, to_currency(100, 'EUR', 'USD', at) AS usd
  FROM unnest(ARRAY[date '2025-01-01', '2025-01-15', '2025-02-01', '2025-02-28', '2025-03-01', '2025-12-31']) AS at;
-- before the first rate: no rate
SELECT to_currency(100, 'EUR', 'USD', '2024-12-31');

-- inverse: 100 USD -> EUR on 2025-01-15 = 100 / 1.0823 = 92.3958...  -> 92.40
SELECT to_currency(100, 'USD', 'EUR', '2025-01-15');
-- same currency: rate 1, rounded to the minor units: 10.005 USD -> 10.01 (half up)
SELECT to_currency(10.005, 'USD', 'USD', '2025-01-15'), to_currency(10.005, 'USD', 'USD', '2025-01-15', 'half_even');

-- triangulation needs a corporate currency
SELECT to_currency(1000, 'EUR', 'JPY', '2025-01-15');
SELECT set_corporate_currency('USD');
SELECT corporate_currency();
-- EUR -> JPY via USD on 2025-01-15: 1000 * 1.0823 * 151.37 = 163827.751 -> 163828 (JPY: 0 places)
SELECT to_currency(1000, 'EUR', 'JPY', '2025-01-15');
-- rounding once at the end, not per leg: per leg would be
-- 1000 EUR -> 1082.30 USD -> 1082.30 * 151.37 = 163827.751 -> same here, but
-- 0.01 EUR -> 0.010823 USD (0.01 rounded) -> 1.5137 JPY -> 2; exactly:
-- 0.01 * 1.0823 * 151.37 = 1.63827751 -> 2; and 0.004 EUR: 0.65531... -> 1
-- (per leg: 0.004 * 1.0823 = 0.0043292 -> 0.00 USD -> 0 JPY)
SELECT to_currency(0.01, 'EUR', 'JPY', '2025-01-15'), to_currency(0.004, 'EUR', 'JPY', '2025-01-15');
-- JPY -> KWD via USD, both quoted from USD: 50000 / 151.37 * 0.3075
--   = 1537500 / 15137 = 101.57230627... -> 101.572 (KWD: 3 places)
SELECT to_currency(50000, 'JPY', 'KWD', '2025-01-15');
-- GBP -> EUR via USD, on 2025-02-10: 200 * 1.25 / 1.04 = 240.384615... -> 240.38
SELECT to_currency(200, 'GBP', 'EUR', '2025-02-10');
-- CNY -> JPY via USD: 7234.5 / 7.2345 * 151.37 = 1000 * 151.37 = 151370 (exact)
SELECT to_currency(7234.5, 'CNY', 'JPY', '2025-01-15');
-- negative amounts (refunds) round symmetrically: -0.125 GBP -> EUR on
-- 2025-01-15: -0.125 * 1.25 / 1.0823 = -0.144368... -> -0.14
SELECT to_currency(-0.125, 'GBP', 'EUR', '2025-01-15');

-- half up vs half even.  12.345 GBP -> USD: 12.345 * 1.25 = 15.43125, not
-- a tie at 2 places: 15.43 both ways.  Exact ties: 0.5 GBP -> USD = 0.625
-- -> 0.63 (half up) / 0.62 (half even); 0.3 GBP -> 0.375 -> 0.38 / 0.38 (8
-- is even); -0.5 GBP -> -0.625 -> -0.63 / -0.62; 0.1 GBP -> 0.125 -> 0.13 / 0.12.
SELECT amt, to_currency(amt, 'GBP', 'USD', '2025-01-15') AS half_up,
	   to_currency(amt, 'GBP', 'USD', '2025-01-15', 'half_even') AS half_even
  FROM unnest(ARRAY[12.345, 0.5, 0.3, -0.5, 0.1]) AS amt;
-- half up agrees with PostgreSQL's round() of the exact product
SELECT round(0.5 * 1.25, 2), round(-0.5 * 1.25, 2), round(0.3 * 1.25, 2);
-- a tie reached through a division: 1.25 USD -> GBP = 1.25 / 1.25 = 1.00;
-- 0.0125 USD -> GBP = 0.01 exactly; 0.01875 USD -> GBP = 0.015 -> 0.02 / 0.02;
-- 0.03125 USD -> GBP = 0.025 -> 0.03 (half up) / 0.02 (half even)
SELECT amt, to_currency(amt, 'USD', 'GBP', '2025-01-15') AS half_up,
	   to_currency(amt, 'USD', 'GBP', '2025-01-15', 'half_even') AS half_even
  FROM unnest(ARRAY[1.25, 0.0125, 0.01875, 0.03125]) AS amt;

-- every shipped currency converted to itself: rounded to its own minor
-- units (as round() does); 168 pairs in one statement also cycle the
-- per-call route cache (16 pairs) many times
SELECT minor_units, count(*) AS currencies,
	   bool_and(to_currency(1.23456, code, code, '2025-01-15') = round(1.23456, minor_units)
				AND scale(to_currency(1.23456, code, code, '2025-01-15')) = minor_units) AS rounded
  FROM currency WHERE origin = 'extension' GROUP BY minor_units ORDER BY minor_units;

-- the effective rate (for display; 18 places)
SELECT currency_rate('EUR', 'USD', '2025-01-15'), currency_rate('USD', 'EUR', '2025-01-15'),
	   currency_rate('EUR', 'JPY', '2025-01-15'), currency_rate('USD', 'USD', '2025-01-15');

-- conversion at the close date (Salesforce's dated rates): each deal at its own day
CREATE TABLE fx_deals (id int PRIMARY KEY, amount numeric, currency text, closed_on date);
INSERT INTO fx_deals VALUES
	(1, 1000.00, 'EUR', '2025-01-20'),	-- 1000 * 1.0823 = 1082.30
	(2, 1000.00, 'EUR', '2025-02-20'),	-- 1000 * 1.04   = 1040.00
	(3, 1000.00, 'EUR', '2025-03-20'),	-- 1000 * 1.0835 = 1083.50
	(4, 151370, 'JPY', '2025-03-20'),	-- 151370 / 151.37 = 1000.00
	(5, 99.99, 'USD', '2025-03-20');	-- 99.99
SELECT id, to_currency(amount, currency, 'USD', closed_on) FROM fx_deals ORDER BY id;
-- total 1082.30 + 1040.00 + 1083.50 + 1000.00 + 99.99 = 4305.79
SELECT sum(to_currency(amount, currency, 'USD', closed_on)) FROM fx_deals;

-- the cache sees changes at once: a new rate for EUR -> USD from 2025-03-15
SELECT to_currency(1000, 'EUR', 'USD', '2025-03-20');	-- 1083.50
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2025-03-15', 1.09);
SELECT to_currency(1000, 'EUR', 'USD', '2025-03-20');	-- 1090.00
BEGIN;
DELETE FROM exchange_rate WHERE valid_from = '2025-03-15';
SELECT to_currency(1000, 'EUR', 'USD', '2025-03-20');	-- 1083.50
ROLLBACK;
SELECT to_currency(1000, 'EUR', 'USD', '2025-03-20');	-- 1090.00 again
-- a direct rate wins over triangulation: EUR -> JPY 160 from 2025-03-01
INSERT INTO exchange_rate VALUES ('EUR', 'JPY', '2025-03-01', 160);
SELECT to_currency(1000, 'EUR', 'JPY', '2025-02-20'), to_currency(1000, 'EUR', 'JPY', '2025-03-20');
-- (2025-02-20 still triangulates: 1000 * 1.04 * 151.37 = 157424.8 -> 157425)
-- the corporate currency can change: through EUR, GBP -> JPY on 2025-03-20
-- has GBP -> EUR? no (only via USD): an error names the route
SELECT set_corporate_currency('EUR');
SELECT to_currency(100, 'GBP', 'JPY', '2025-03-20');
SELECT set_corporate_currency('USD');
-- 100 GBP -> JPY via USD: 100 * 1.25 * 151.37 = 18921.25 -> 18921
SELECT to_currency(100, 'GBP', 'JPY', '2025-03-20');

-- in a parallel plan (workers read the rates themselves)
CREATE TABLE fx_many AS
SELECT i, (i % 1000) / 10.0 AS amount, (ARRAY['EUR', 'GBP', 'JPY', 'USD'])[1 + i % 4] AS cur,
	   date '2025-01-01' + i % 120 AS d
  FROM generate_series(1, 20000) i;
ANALYZE fx_many;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT sum(to_currency(amount, cur, 'USD', d)) FROM fx_many;
CREATE TEMP TABLE par AS SELECT sum(to_currency(amount, cur, 'USD', d)) AS s FROM fx_many;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
-- against plain SQL: the latest rate by LATERAL lookup, direct or inverse,
-- round() (half up) to 2 places
SELECT (SELECT s FROM par) = sum(CASE WHEN m.cur = 'USD' THEN round(m.amount, 2)
									  WHEN r.rate IS NOT NULL THEN round(m.amount * r.rate, 2)
									  ELSE round(m.amount / ri.rate, 2) END) AS parallel_equals_plain_sql
  FROM fx_many m
  LEFT JOIN LATERAL (SELECT e.rate FROM exchange_rate e
					  WHERE e.from_currency = m.cur AND e.to_currency = 'USD' AND e.valid_from <= m.d
					  ORDER BY e.valid_from DESC LIMIT 1) r ON true
  LEFT JOIN LATERAL (SELECT e.rate FROM exchange_rate e
					  WHERE e.from_currency = 'USD' AND e.to_currency = m.cur AND e.valid_from <= m.d
					  ORDER BY e.valid_from DESC LIMIT 1) ri ON true;

-- NULLs give NULL (STRICT)
SELECT to_currency(NULL, 'EUR', 'USD', '2025-01-15') IS NULL AS a,
	   to_currency(1, NULL, 'USD', '2025-01-15') IS NULL AS b,
	   to_currency(1, 'EUR', 'USD', NULL) IS NULL AS c;

-- bad input
SELECT to_currency(1, 'XYZ', 'USD', '2025-01-15');
SELECT to_currency(1, 'EUR', 'usd', '2025-01-15');
SELECT to_currency('NaN', 'EUR', 'USD', '2025-01-15');
SELECT to_currency('Infinity', 'EUR', 'USD', '2025-01-15');
SELECT to_currency(1, 'EUR', 'USD', 'infinity');
SELECT to_currency(1, 'EUR', 'USD', '2025-01-15', 'bankers');
SELECT to_currency(1e400, 'EUR', 'USD', '2025-01-15');
-- a large amount still converts exactly: 1e300 * 1.0823 = 10823 and 296 zeros, .00
SELECT to_currency(1e300, 'EUR', 'USD', '2025-01-15') = 10823 * 1e296 AS exact, length(to_currency(1e300, 'EUR', 'USD', '2025-01-15')::text);
INSERT INTO exchange_rate VALUES ('EUR', 'XYZ', '2025-01-01', 1);
INSERT INTO exchange_rate VALUES ('eur', 'USD', '2025-01-01', 1);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', -1.2);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 0);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 'NaN');
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 'Infinity');
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 0.0000000000000000001);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 1e18);
INSERT INTO exchange_rate VALUES ('EUR', 'EUR', '2026-01-01', 1);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', 'infinity', 1.1);
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2025-01-01', 1.2);	-- duplicate day
UPDATE exchange_rate SET rate = -1 WHERE from_currency = 'GBP';
SELECT set_corporate_currency('XXX');
SELECT set_corporate_currency(NULL);
INSERT INTO currency (code, minor_units, name) VALUES ('usd', 2, 'lower case');
INSERT INTO currency (code, minor_units, name) VALUES ('ABC', 19, 'too many places');
-- a currency of one's own is accepted and converts
INSERT INTO currency (code, minor_units, name) VALUES ('XBT', 8, 'Bitcoin (not ISO 4217)');
INSERT INTO exchange_rate VALUES ('XBT', 'USD', '2025-01-01', 97000.5);
-- 1 USD -> XBT = 1 / 97000.5 = 0.0000103092...  -> 0.00001031 (8 places)
SELECT to_currency(1, 'USD', 'XBT', '2025-06-01');

-- ---- freeze the rate at close (HubSpot's convention) ----
CREATE TABLE fz_deals (
	id			int PRIMARY KEY,
	stage		sales_stage NOT NULL DEFAULT 'lead_generation',
	amount		numeric,
	currency	character(3),
	closed_on	date,
	amount_usd	numeric
);
CREATE TRIGGER fz_freeze BEFORE INSERT OR UPDATE ON fz_deals
	FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'amount_usd', 'closed_on');
INSERT INTO fz_deals (id, amount, currency) VALUES (1, 1000, 'EUR'), (2, 500, 'GBP'), (3, NULL, 'EUR');
-- open deals: nothing stored
SELECT id, amount_usd FROM fz_deals ORDER BY id;
-- won on 2025-01-20: 1000 * 1.0823 = 1082.30; 500 GBP * 1.25 = 625.00; no amount -> NULL
UPDATE fz_deals SET stage = 'closed_won', closed_on = '2025-01-20';
SELECT id, stage, amount_usd FROM fz_deals ORDER BY id;
-- later rate changes do not touch the frozen amount, and neither does
-- another update of a won row (even of its amount)
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2025-01-10', 2);
UPDATE fz_deals SET amount = 2000 WHERE id = 1;
SELECT id, amount, amount_usd, to_currency(amount, currency, 'USD', closed_on) AS at_close_now FROM fz_deals ORDER BY id;
DELETE FROM exchange_rate WHERE valid_from = '2025-01-10';
-- inserted won: frozen at once (1000 EUR on 2025-02-20: 1040.00)
INSERT INTO fz_deals (id, stage, amount, currency, closed_on) VALUES (4, 'closed_won', 1000, 'EUR', '2025-02-20');
-- lost: nothing stored
INSERT INTO fz_deals (id, stage, amount, currency, closed_on) VALUES (5, 'closed_lost', 1000, 'EUR', '2025-02-20');
SELECT id, stage, amount_usd FROM fz_deals WHERE id >= 4 ORDER BY id;
-- a won move without its date is refused; a won move with no rate too
UPDATE fz_deals SET stage = 'closed_won', closed_on = NULL WHERE id = 5;
INSERT INTO fz_deals (id, stage, amount, currency, closed_on) VALUES (6, 'closed_won', 1, 'EUR', '2020-01-01');
-- with a target currency and no date column: the statement's day (rates
-- of 2025 apply to today); JPY: 1000 EUR -> 160000 JPY (direct EUR -> JPY)
CREATE TABLE fz2 (id int, stage sales_stage, amount numeric, currency text, amount_jpy numeric);
CREATE TRIGGER fz2_freeze BEFORE INSERT OR UPDATE ON fz2
	FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'amount_jpy', '', 'JPY');
INSERT INTO fz2 VALUES (1, 'closed_won', 1000, 'EUR', NULL);
SELECT amount_jpy FROM fz2;
-- trigger misuse
CREATE TABLE fz3 (id int, stage sales_stage, amount numeric, currency text, conv numeric, t text, d text);
CREATE TRIGGER fz3a BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL);
DROP TRIGGER fz3a ON fz3;
CREATE TRIGGER fz3b BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'nope');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL);
DROP TRIGGER fz3b ON fz3;
CREATE TRIGGER fz3c BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 't', 'currency', 'conv');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL, 'x');
DROP TRIGGER fz3c ON fz3;
CREATE TRIGGER fz3d BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('amount', 'amount', 'currency', 'conv');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL);
DROP TRIGGER fz3d ON fz3;
CREATE TRIGGER fz3e BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'conv', 'd');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL, NULL, '2025-01-01');
DROP TRIGGER fz3e ON fz3;
CREATE TRIGGER fz3f AFTER INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'conv');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL);
DROP TRIGGER fz3f ON fz3;
SELECT freeze_won_amount();
-- no corporate currency and no target: refused
DELETE FROM corporate_currency;
SELECT corporate_currency();
CREATE TRIGGER fz3g BEFORE INSERT ON fz3 FOR EACH ROW EXECUTE FUNCTION freeze_won_amount('stage', 'amount', 'currency', 'conv');
INSERT INTO fz3 VALUES (1, 'closed_won', 1, 'EUR', NULL);
