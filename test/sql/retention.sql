-- retention(cond1, ..., condN): [cond1 seen, cond1 and cond2 seen, ...,
-- cond1 and condN seen] per group (ClickHouse retention; checked against
-- ClickHouse 18.16 in window_funnel_clickhouse).  Expected arrays below are
-- derived by hand from that rule.
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
CREATE TABLE visits (customer int, day date);
INSERT INTO visits VALUES
  (1, '2026-01-01'), (1, '2026-01-02'), (1, '2026-01-08'),	-- day 0, 1, 7
  (2, '2026-01-01'), (2, '2026-01-08'),					-- day 0, 7
  (3, '2026-01-02'), (3, '2026-01-08'),					-- no day 0
  (4, '2026-01-01');										-- day 0 only
-- per customer: cond1 = visited on 1 Jan, cond2 = on 2 Jan, cond3 = on 8 Jan
-- 1: {1,1,1}; 2: {1,0,1}; 3: day 0 missing -> {0,0,0}; 4: {1,0,0}
SELECT customer, retention(day = '2026-01-01', day = '2026-01-02', day = '2026-01-08') AS r
  FROM visits GROUP BY customer ORDER BY customer;
-- a cohort table: sums of the arrays: day 0 = 3, day 1 = 1, day 7 = 2
SELECT sum(r[1]) AS day0, sum(r[2]) AS day1, sum(r[3]) AS day7
  FROM (SELECT retention(day = '2026-01-01', day = '2026-01-02', day = '2026-01-08') AS r
		  FROM visits GROUP BY customer) c;
-- the bool[] form
SELECT customer, retention(ARRAY[day = '2026-01-01', day = '2026-01-02']) AS r
  FROM visits GROUP BY customer ORDER BY customer;
-- one row matching several conditions counts for each of them: {1,1}
SELECT retention(true, true) AS "{1,1}";
-- NULL conditions are false: {1,0,0}
SELECT retention(c, NULL, false) FROM (VALUES (true), (NULL)) v(c);
-- no rows: NULL (the number of conditions is unknown then)
SELECT retention(true, true) IS NULL AS "null" FROM visits WHERE false;
-- 32 conditions: customer 1 has days 0, 1, 7 -> positions 1, 2, 8 are 1
SELECT retention(ARRAY(SELECT v.day = date '2026-01-01' + j FROM generate_series(0, 31) j)) FROM visits v WHERE customer = 1;

-- errors: 1 or 33 conditions, different counts in one group
SELECT retention(true);
\echo :LAST_ERROR_SQLSTATE
SELECT retention(ARRAY[true]);
\echo :LAST_ERROR_SQLSTATE
SELECT retention(ARRAY(SELECT true FROM generate_series(1, 33)));
\echo :LAST_ERROR_SQLSTATE
SELECT retention(CASE WHEN k = 1 THEN ARRAY[true, true] ELSE ARRAY[true, true, true] END) FROM generate_series(1, 2) k;
\echo :LAST_ERROR_SQLSTATE

-- parallel plan: the same arrays as a serial plan
CREATE TABLE ret_big AS
SELECT i % 5000 AS customer, (hashint4(i) & 31) AS day FROM generate_series(1, 100000) i;
ANALYZE ret_big;
CREATE TABLE ret_serial AS
SELECT customer, retention(day = 0, day = 1, day = 7, day = 30) AS r FROM ret_big GROUP BY customer;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT retention(day = 0, day = 1, day = 7, day = 30) FROM ret_big;
SELECT retention(day = 0, day = 1, day = 7, day = 30) AS "all rows" FROM ret_big;
EXPLAIN (COSTS OFF)
SELECT customer, retention(day = 0, day = 1, day = 7, day = 30) AS r FROM ret_big GROUP BY customer;
SELECT count(*) AS differ
  FROM (SELECT customer, retention(day = 0, day = 1, day = 7, day = 30) AS r FROM ret_big GROUP BY customer) p
  FULL JOIN ret_serial s USING (customer)
 WHERE p.r IS DISTINCT FROM s.r;
-- and the serial arrays equal plain SQL's bool_or of each condition
SELECT count(*) AS compared,
	   count(*) FILTER (WHERE s.r IS DISTINCT FROM q.r) AS differ_from_plain_sql
  FROM ret_serial s
  FULL JOIN (SELECT customer,
					ARRAY[f::int, (f AND bool_or(day = 1))::int, (f AND bool_or(day = 7))::int,
						  (f AND bool_or(day = 30))::int] AS r
			   FROM (SELECT customer, day, bool_or(day = 0) OVER (PARTITION BY customer) AS f
					   FROM ret_big) x
			  GROUP BY customer, f) q USING (customer);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_hashagg;
DROP TABLE visits, ret_big, ret_serial;
