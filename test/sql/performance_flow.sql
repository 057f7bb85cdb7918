-- Growth and customer flow.  customer_flow() and revenue_retention() on the
-- CDNOW sample (2,357 customers, 6,919 orders 1997-01..1998-06, test/data/
-- cdnow_orders.csv, see test/reference/performance/cdnow_orders.py) against
-- a plain-SQL formulation written from the definitions (EXISTS per customer
-- and month): every period and class equal.  Growth against hand-computed
-- series.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;

CREATE TABLE cdnow_orders (customer int, ordered_on date, cds int, amount numeric(10, 2));
\copy cdnow_orders FROM 'test/data/cdnow_orders.csv' WITH (FORMAT csv, HEADER)
CREATE INDEX ON cdnow_orders (customer, ordered_on);
ANALYZE cdnow_orders;
SELECT count(*) AS orders, count(DISTINCT customer) AS customers, min(ordered_on), max(ordered_on), sum(amount) FROM cdnow_orders;

-- the reference: for every month and customer, the definitions literally
CREATE TEMP TABLE ref_flow AS
WITH months AS (
	SELECT g::date AS m FROM generate_series(date '1997-01-01', date '1998-06-01', interval '1 month') g
), cm AS (
	SELECT c.customer, m.m,
		   EXISTS (SELECT 1 FROM cdnow_orders o WHERE o.customer = c.customer
					 AND o.ordered_on >= m.m AND o.ordered_on < m.m + interval '1 month') AS now,
		   EXISTS (SELECT 1 FROM cdnow_orders o WHERE o.customer = c.customer
					 AND o.ordered_on >= m.m - interval '1 month' AND o.ordered_on < m.m) AS prev,
		   EXISTS (SELECT 1 FROM cdnow_orders o WHERE o.customer = c.customer AND o.ordered_on < m.m) AS before,
		   (SELECT coalesce(sum(o.amount), 0) FROM cdnow_orders o WHERE o.customer = c.customer
			   AND o.ordered_on >= m.m AND o.ordered_on < m.m + interval '1 month') AS rev_now,
		   (SELECT coalesce(sum(o.amount), 0) FROM cdnow_orders o WHERE o.customer = c.customer
			   AND o.ordered_on >= m.m - interval '1 month' AND o.ordered_on < m.m) AS rev_prev
	  FROM (SELECT DISTINCT customer FROM cdnow_orders) c CROSS JOIN months m
)
SELECT m AS period_start, class, count(*) AS customers, sum(rev) AS revenue
  FROM (SELECT m, 'new' AS class, rev_now AS rev FROM cm WHERE now AND NOT before
		UNION ALL SELECT m, 'returning', rev_now FROM cm WHERE now AND prev
		UNION ALL SELECT m, 'resurrected', rev_now FROM cm WHERE now AND NOT prev AND before
		UNION ALL SELECT m, 'dormant', rev_prev FROM cm WHERE prev AND NOT now) x
 GROUP BY m, class;

CREATE TEMP TABLE got_flow AS
SELECT * FROM customer_flow('month', '1997-01-01', '1998-06-30', 'cdnow_orders', 'customer', 'ordered_on', 'amount');
-- 18 months x 4 classes, and every one equal to the reference (a class
-- absent from the reference has 0 customers and 0 revenue)
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE g.customers = coalesce(r.customers, 0)
						  AND g.revenue = coalesce(r.revenue, 0)) AS equal
  FROM got_flow g LEFT JOIN ref_flow r USING (period_start, class);
SELECT count(*) AS reference_rows_missing FROM ref_flow r
 WHERE NOT EXISTS (SELECT 1 FROM got_flow g WHERE g.period_start = r.period_start AND g.class = r.class);
-- the first half year as the function returns it (all of the cohort is
-- new in 1997-01..03: CDNOW's cohort made its first purchase in Q1 1997)
SELECT * FROM got_flow WHERE period_start < '1997-07-01' ORDER BY period_start,
	   array_position(ARRAY['new', 'returning', 'resurrected', 'dormant'], class);
-- conservation: active this month = new + returning + resurrected, and
-- active last month = returning + dormant
SELECT bool_and(a.n = f.new + f.ret + f.res) AS active_now,
	   bool_and(coalesce(p.n, 0) = f.ret + f.dorm) AS active_before
  FROM (SELECT period_start,
			   sum(customers) FILTER (WHERE class = 'new') AS new,
			   sum(customers) FILTER (WHERE class = 'returning') AS ret,
			   sum(customers) FILTER (WHERE class = 'resurrected') AS res,
			   sum(customers) FILTER (WHERE class = 'dormant') AS dorm
		  FROM got_flow GROUP BY period_start) f
  JOIN (SELECT date_trunc('month', ordered_on)::date AS m, count(DISTINCT customer) AS n FROM cdnow_orders GROUP BY 1) a
	ON a.m = f.period_start
  LEFT JOIN (SELECT (date_trunc('month', ordered_on) + interval '1 month')::date AS m, count(DISTINCT customer) AS n
			   FROM cdnow_orders GROUP BY 1) p ON p.m = f.period_start;
-- quarters, and a window that starts later (orders before since still
-- decide new vs resurrected)
SELECT * FROM customer_flow('quarter', '1997-07-01', '1998-06-30', 'cdnow_orders', 'customer', 'ordered_on', 'amount');

-- net revenue retention per cohort against plain SQL: revenue of the
-- cohort's customers in each month / their revenue in the first month
CREATE TEMP TABLE got_nrr AS
SELECT * FROM revenue_retention('month', '1997-01-01', '1998-06-30', 'cdnow_orders', 'customer', 'ordered_on', 'amount');
WITH firsts AS (
	SELECT customer, date_trunc('month', min(ordered_on))::date AS cohort FROM cdnow_orders GROUP BY customer
), base AS (
	SELECT f.cohort, count(DISTINCT f.customer) AS n, sum(o.amount) AS rev0
	  FROM firsts f JOIN cdnow_orders o ON o.customer = f.customer AND date_trunc('month', o.ordered_on) = f.cohort
	 GROUP BY f.cohort
), per AS (
	SELECT f.cohort, date_trunc('month', o.ordered_on)::date AS m, count(DISTINCT o.customer) AS active, sum(o.amount) AS rev
	  FROM firsts f JOIN cdnow_orders o ON o.customer = f.customer GROUP BY 1, 2
)
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE g.cohort_customers = b.n AND g.active_customers = coalesce(p.active, 0)
						  AND g.revenue = coalesce(p.rev, 0)
						  AND g.net_revenue_retention = round(coalesce(p.rev, 0) / b.rev0, 4)) AS equal
  FROM got_nrr g JOIN base b ON b.cohort = g.cohort
  LEFT JOIN per p ON p.cohort = g.cohort AND p.m = g.period_start;
SELECT cohort, period_start, period_number, cohort_customers, active_customers, revenue, net_revenue_retention
  FROM got_nrr WHERE cohort = '1997-01-01' AND period_number IN (0, 1, 2, 3, 6, 12, 17) ORDER BY period_start;

-- ---- growth ----
CREATE TABLE gsales (closed_at date, amount numeric);
INSERT INTO gsales VALUES
	('2023-01-15', 100), ('2023-04-10', 100), ('2023-07-01', 150),	-- 2023 Q4: nothing
	('2024-01-20', 120), ('2024-02-01', 30), ('2024-04-30', 100),	-- 2024 Q1 150, Q2 100
	('2024-10-05', 200),												-- Q3 0, Q4 200
	('2025-01-02', 300);												-- 2025 Q1 300
-- quarters 2024-Q1..2025-Q1 (gaps are 0):
--   Q1 150: previous (2023-Q4) 0 -> growth NULL; a year ago 100 -> +50.00 %
--   Q2 100: previous 150 -> -33.33 %; a year ago 100 -> 0.00 %; CAGR over
--          1 quarter = (100 / 150)^4 - 1 = -80.25 %
--   Q3 0:   previous 100 -> -100.00 %; a year ago 150 -> -100.00 %; CAGR -100.00
--   Q4 200: previous 0 -> NULL; a year ago 0 -> NULL;
--          CAGR over 3 quarters = (200 / 150)^(4/3) - 1 = 46.75 %
--   2025-Q1 300: previous 200 -> +50.00 %; a year ago 150 -> +100.00 %;
--          CAGR over 1 year = 300 / 150 - 1 = 100.00 %
SELECT * FROM period_growth('quarter', '2024-01-01', '2025-03-31', 'gsales');
-- years: 2023 350, 2024 450, 2025 300
SELECT period_start, amount, previous, growth_pct FROM period_growth('year', '2024-06-01', '2025-06-01', 'gsales');
-- cagr: 100 -> 121 in 2 years = 10 %; 100 -> 50 in 1 year = -50 %
SELECT round(cagr(100, 121, 2)::numeric, 10), cagr(100, 50, 1), cagr(0, 50, 1), cagr(100, -1, 1);
SELECT cagr(100, 121, 0);
SELECT * FROM period_growth('fortnight', '2024-01-01', '2025-03-31', 'gsales');
SELECT * FROM period_growth('month', '2025-01-01', '2024-03-31', 'gsales');
-- STRICT: a NULL argument gives no rows
SELECT count(*) FROM customer_flow('month', '1997-01-01', NULL, 'cdnow_orders', 'customer', 'ordered_on', 'amount');
SELECT * FROM customer_flow('month', '1998-01-01', '1997-02-01', 'cdnow_orders', 'customer', 'ordered_on', 'amount');
SELECT * FROM customer_flow('month', '1997-01-01', '1997-02-01', 'cdnow_orders', 'nope', 'ordered_on', 'amount');
